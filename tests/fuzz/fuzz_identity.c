/* libFuzzer harness for ward_identity: one check for every role, the bytes a certificate chain
 * or an ACTIVATION, against a fixed root, factory key and revocation list. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_identity.h"
#include "ward/ward_port_openssl.h"
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
    ward_keystore_soft_init(&soft, cp, NULL, &ks);
    CHECK(ward_keystore_soft_load(&soft, WARD_KEY_FACTORY, keys.priv[FC_ROOT]) == WARD_OK);
    CHECK(ward_cert_key_id(cp, keys.pub[FC_OTHER], kid) == WARD_OK);
    CHECK(ward_cert_list_sign_by(cp, &ks, WARD_KEY_FACTORY, 1, FC_NOW, kid, 1, list_bytes,
                                 sizeof list_bytes, &len) == WARD_OK);
    ward_keystore_soft_wipe(&soft);
    CHECK(ward_cert_list_verify(cp, keys.pub[FC_ROOT], list_bytes, len, NULL, &list) == WARD_OK);
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    if (!ready) {
        setup(cp);
    }
    const uint32_t all = WARD_IDENTITY_ROLE(WARD_CERT_ROLE_LOCK) |
                         WARD_IDENTITY_ROLE(WARD_CERT_ROLE_DEVICE) |
                         WARD_IDENTITY_ROLE(WARD_CERT_ROLE_GATEWAY) |
                         WARD_IDENTITY_ROLE(WARD_CERT_ROLE_SUBDEVICE) |
                         WARD_IDENTITY_ROLE(WARD_CERT_ROLE_SE_HOST);
    ward_identity read;
    ward_err rerr = ward_identity_read(cp, data, size, &read);
    CHECK(rerr == WARD_OK || rerr == WARD_ERR_FORMAT);
    /* Besides every role: only the one the input's second byte names, so
     * the fuzzer also meets the role refusal. */
    uint8_t r = size > 1 ? data[1] : 0;
    const uint32_t one = r < 32 ? WARD_IDENTITY_ROLE(r) : 0;
    for (int variant = 0; variant < 2; variant++) {
        ward_identity_trust t = { keys.pub[FC_ROOT], keys.pub[FC_FACTORY],
                                  variant ? &list : NULL, FC_NOW };
        ward_identity who;
        ward_cert_why why = WARD_CERT_OK;
        ward_err err = ward_identity_verify(cp, &t, variant ? one : all, data, size, &who, &why);
        CHECK((err == WARD_OK) == (why == WARD_CERT_OK));
        CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT ||
              err == WARD_ERR_EXPIRED);
        if (err == WARD_OK) {
            /* What verified reads the same without the signatures, and
             * names its own key and id. */
            CHECK(rerr == WARD_OK);
            CHECK(who.chain == read.chain && who.role == read.role);
            CHECK(who.id_len == read.id_len && memcmp(who.id, read.id, who.id_len) == 0);
            CHECK(memcmp(who.pub, read.pub, WARD_P256_POINT_LEN) == 0);
            CHECK(ward_identity_names(cp, data, size, all, who.id, who.id_len, who.pub) ==
                  WARD_OK);
            CHECK(cp->p256_point_check(who.pub) == WARD_OK);
            CHECK(!who.chain || who.expires == WARD_CERT_NO_EXPIRY || FC_NOW < who.expires);
        }
    }
    return 0;
}
