/* libFuzzer harness for the root's revocation list: the check against a fixed
 * root and a held list, the parser behind it, and the look-up. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "fuzz_common.h"
#include "fuzz_cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fc_keys keys;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    if (!ready) {
        CHECK(fc_keys_make(cp, &keys) == 0);
        ready = 1;
    }
    ward_cert_list l, held;
    memset(&held, 0, sizeof held);
    held.seq = 5;
    ward_err err = ward_cert_list_verify(cp, keys.pub[FC_ROOT], data, size, &held, &l);
    CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT ||
          err == WARD_ERR_EXPIRED);
    if (err == WARD_OK) {
        CHECK(l.seq > held.seq);
    }
    if (ward_cert_list_parse(data, size, &l) == WARD_OK) {
        CHECK(size == WARD_CERT_LIST_LEN(l.count));
        for (size_t i = 0; i < l.count; i++) {
            const uint8_t *e = l.entries + i * WARD_CERT_KEY_ID_LEN;
            CHECK(ward_cert_list_has(&l, e));
            if (i > 0) {
                CHECK(memcmp(e - WARD_CERT_KEY_ID_LEN, e, WARD_CERT_KEY_ID_LEN) < 0);
            }
        }
        uint8_t absent[WARD_CERT_KEY_ID_LEN];
        memset(absent, 0, sizeof absent);
        CHECK(!ward_cert_list_has(&l, absent) ||
              (l.count > 0 && memcmp(l.entries, absent, sizeof absent) == 0));
    }
    return 0;
}
