/* libFuzzer harness for device certificates: the chain check against a fixed
 * root (with and without a revocation list) and the parser behind it. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "proto/cert_inner.h"
#include "fuzz_common.h"
#include "fuzz_cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fc_keys keys;
static int ready;
static uint8_t list_bytes[WARD_CERT_LIST_LEN(1)];
static ward_cert_list list;

/* The root's list revoking FC_OTHER's key, made once. */
static void setup(const ward_crypto *cp)
{
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t kid[WARD_CERT_KEY_ID_LEN];
    size_t len = 0;
    CHECK(fc_keys_make(cp, &keys) == 0);
    fuzz_soft_key(cp, NULL, &soft, &ks, WARD_KEY_FACTORY, keys.priv[FC_ROOT], NULL);
    CHECK(ward_cert_key_id(cp, keys.pub[FC_OTHER], kid) == WARD_OK);
    CHECK(ward_cert_list_sign_by(cp, &ks, WARD_KEY_FACTORY, 1, FC_NOW, kid, 1, list_bytes,
                                 sizeof list_bytes, &len) == WARD_OK);
    ward_keystore_soft_wipe(&soft);
    CHECK(ward_cert_list_verify(cp, keys.pub[FC_ROOT], list_bytes, len, NULL, &list) == WARD_OK);
    ready = 1;
}

/* Each certificate that parses re-encodes to its own bytes. */
static void check_parse(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        size_t one = ward_cert_len(data + off, size - off);
        if (one == 0 || one > size - off) {
            return;
        }
        ward_cert c;
        if (ward_cert_parse(data + off, one, &c) == WARD_OK) {
            uint8_t tbs[WARD_CERT_MAX];
            size_t len = 0;
            CHECK(ward_cert_encode_tbs(&c, tbs, sizeof tbs, &len) == WARD_OK);
            CHECK(len + WARD_P256_SIG_LEN == one);
            CHECK(memcmp(tbs, data + off, len) == 0);
            CHECK(memcmp(c.sig, data + off + len, WARD_P256_SIG_LEN) == 0);
        }
        off += one;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    if (!ready) {
        setup(cp);
    }
    check_parse(data, size);
    /* The role asked for is the last certificate's own, when it has one,
     * so the fuzzer reaches the checks after the role's. */
    uint8_t role = WARD_CERT_ROLE_LOCK;
    size_t first = ward_cert_len(data, size);
    if (first > 0 && first < size && size - first >= 3) {
        role = data[first + 1];
    } else if (size >= 2) {
        role = data[1];
    }
    for (int with_list = 0; with_list < 2; with_list++) {
        ward_cert leaf;
        ward_cert_why why = WARD_CERT_OK;
        ward_err err = ward_cert_chain_verify(cp, keys.pub[FC_ROOT], data, size, role, FC_NOW,
                                              with_list ? &list : NULL, &leaf, &why);
        CHECK((err == WARD_OK) == (why == WARD_CERT_OK));
        CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT ||
              err == WARD_ERR_EXPIRED);
        if (err == WARD_OK) {
            /* Accepted: the device's certificate, its key on the curve
             * and the one its certificate carries. */
            uint8_t comp[WARD_P256_COMPRESSED_LEN];
            CHECK(leaf.role == role);
            CHECK(cp->p256_point_check(leaf.point) == WARD_OK);
            ward_p256_compress(leaf.point, comp);
            CHECK(memcmp(comp, leaf.pub, sizeof comp) == 0);
            CHECK(leaf.expires == WARD_CERT_NO_EXPIRY || FC_NOW < leaf.expires);
        }
    }
    return 0;
}
