/* libFuzzer harness for wardd's check of a lock activation: verify with a
 * fixed factory key, and the parser behind the signature. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_port_openssl.h"
#include "proto/proto_inner.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t PRIV[WARD_P256_SCALAR_LEN] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static uint8_t pub[WARD_P256_POINT_LEN];
static int have_pub;

static void check_reencode(const uint8_t *data, size_t size,
                           const ward_activation *a)
{
    uint8_t out[WARD_MSG_MAX];
    size_t signed_len = 0;
    CHECK(ward_activation_encode(ward_crypto_openssl(), a, out, sizeof out,
                                 &signed_len) == WARD_OK);
    CHECK(signed_len + WARD_SIG_FIELD_LEN == size);
    CHECK(memcmp(out, data, signed_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    ward_activation a;
    if (!have_pub) {
        CHECK(ward_p256_public(cp, PRIV, pub) == WARD_OK);
        have_pub = 1;
    }
    ward_err err = ward_activation_verify(cp, pub, data, size, &a);
    CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
    if (err == WARD_OK) {
        check_reencode(data, size, &a);
    }
    if (ward_activation_parse(cp, data, size, &a) == WARD_OK) {
        check_reencode(data, size, &a);
    }
    return 0;
}
