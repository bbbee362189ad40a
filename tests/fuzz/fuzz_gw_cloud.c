/* libFuzzer harness for flow C's registration messages: wardd's check of a
 * REGISTER (fixed factory key), the gateway's CLAIM and CREDENTIALS parsers
 * and the app's readers of CREDENTIALS and their acknowledgement. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "fuzz_gw_cloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t factory_pub[WARD_P256_POINT_LEN];
static ward_keystore_soft soft;
static ward_keystore ks;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    if (!ready) {
        CHECK(ward_p256_public(cp, GW_FACTORY_PRIV, factory_pub) == WARD_OK);
        fuzz_soft_key(cp, NULL, &soft, &ks, WARD_KEY_DEVICE_IDENTITY, GW_PRIV, NULL);
        ready = 1;
    }
    ward_gw_register r;
    ward_err err = ward_gw_register_verify(cp, factory_pub, data, size, &r);
    CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
    if (err == WARD_OK) {
        /* Every view lies inside the message. */
        CHECK(r.activation >= data && r.activation + r.activation_len <= data + size);
        CHECK(r.gw_pub >= data && r.gw_pub + WARD_P256_POINT_LEN <= data + size);
        CHECK(r.owner_commit >= data && r.owner_commit + WARD_GW_OWNER_COMMIT_LEN <= data + size);
        /* The corpus's owner hash (gen_corpus_gw_cloud.c) binds; another does not. */
        uint8_t owner[WARD_GW_OWNER_HASH_LEN];
        memset(owner, 0x0e, sizeof owner);
        err = ward_gw_owner_check(cp, &r, owner);
        CHECK(err == WARD_OK || err == WARD_ERR_AUTH);
        owner[0] ^= 1;
        CHECK(ward_gw_owner_check(cp, &r, owner) == WARD_ERR_AUTH);
    }
    uint8_t claim[WARD_GW_CLAIM_LEN], again[WARD_GW_CLAIM_MSG_LEN];
    size_t n = 0;
    if (ward_gw_claim_parse(data, size, claim) == WARD_OK) {
        CHECK(ward_gw_claim_encode(claim, again, sizeof again, &n) == WARD_OK);
        CHECK(n == size && memcmp(again, data, n) == 0);
    }
    ward_gw_creds c;
    err = ward_gw_creds_peek(data, size, &c);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
    err = ward_gw_creds_open_by(cp, &ks, WARD_KEY_DEVICE_IDENTITY, data, size, &c);
    CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
    uint8_t tid[WARD_GW_TID_LEN], ack[WARD_GW_CREDS_ACK_LEN];
    uint32_t gen = 0;
    if (ward_gw_creds_ack_parse(data, size, tid, &gen) == WARD_OK) {
        CHECK(ward_gw_creds_ack_encode(tid, gen, ack, sizeof ack, &n) == WARD_OK);
        CHECK(n == size && memcmp(ack, data, n) == 0);
    }
    return 0;
}
