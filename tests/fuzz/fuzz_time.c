/* libFuzzer harness for secure time's answer: the reader (what it takes re-reads the same), and
 * the device's check of it in a sync of 2 trusted keys (fuzz_time.h), then the sync's end. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "fuzz_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static time_fix fx;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    if (!ready) {
        time_fix_make(cp, &fx);
        ready = 1;
    }
    ward_time_answer a;
    ward_err err = ward_time_answer_parse(data, size, &a);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
    if (err == WARD_OK) {
        CHECK(size == WARD_TIME_ANSWER_LEN && a.radius_ms <= WARD_TIME_RADIUS_MAX_MS &&
              a.time_ms <= WARD_TIME_MS_MAX);
        CHECK(memcmp(a.nonce, data + 21, WARD_TIME_NONCE_LEN) == 0);
        CHECK(memcmp(a.sig, data + WARD_TIME_BODY_LEN, WARD_P256_SIG_LEN) == 0);
    }
    ward_time t = fx.t;
    err = ward_time_add(&t, data, size, 1100);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT || err == WARD_ERR_NOTFOUND ||
          err == WARD_ERR_AUTH);
    if (err == WARD_OK) {
        /* Only a genuine answer to this sync's nonce gets here. */
        CHECK(memcmp(data + 21, fx.nonce, WARD_TIME_NONCE_LEN) == 0);
        CHECK(ward_time_add(&t, data, size, 1100) == WARD_ERR_CONFLICT);
    }
    /* One answer of two needed: never believed. */
    CHECK(ward_time_finish(&t, NULL, 1200) == WARD_ERR_AUTH);
    ward_time_interval iv;
    CHECK(ward_time_now(&t, 1200, &iv) == WARD_OK && !iv.synced &&
          iv.lo == TIME_FUZZ_BUILD_MS);
    return 0;
}
