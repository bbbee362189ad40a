/* Writes the seed corpora of the flow C harnesses (gw_cloud, gw_session)
 * into tests/fuzz/corpus/: real signed, sealed and session messages made
 * with fuzz_gw_cloud.h's fixed keys and login. Built with the fuzz targets (not
 * instrumented); run after a change of the messages:
 *
 *     build-fuzz/tests/fuzz/gen_corpus_gw_cloud tests/fuzz/corpus
 *
 * ECDSA signatures differ from run to run. */
#include <stdio.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "gen_corpus.h"
#include "fuzz_gw_cloud.h"

static int put(const char *dir, const char *sub, const char *name, const uint8_t *data,
               size_t len)
{
    return gc_put("gen_corpus_gw_cloud", dir, sub, name, data, len);
}

int main(int argc, char **argv)
{
    const char *dir = gc_corpus_dir(argc, argv, "gen_corpus_gw_cloud");
    if (dir == NULL) {
        return 2;
    }
    const ward_crypto *cp = ward_crypto_openssl();
    uint32_t seed = 3;
    ward_random rng = fuzz_rng(&seed);
    ward_keystore_soft fsoft, gsoft;
    ward_keystore fks, gks;
    uint8_t gw_pub[WARD_P256_POINT_LEN], act[WARD_ACTIVATION_MAX], msg[WARD_MSG_MAX];
    uint8_t claim[WARD_GW_CLAIM_LEN] = { 0xC1, 0xA1 }, uuid[WARD_GW_UUID_LEN] = { 0x0F };
    static const uint8_t mac[WARD_GW_MAC_LEN] = { 0x24, 0x0a, 0xc4, 1, 2, 3 };
    char uuid_hex[2 * WARD_GW_UUID_LEN];
    size_t alen = 0, len = 0;
    int bad = 0;
    fuzz_soft_key(cp, &rng, &fsoft, &fks, WARD_KEY_FACTORY, GW_FACTORY_PRIV, NULL);
    fuzz_soft_key(cp, &rng, &gsoft, &gks, WARD_KEY_DEVICE_IDENTITY, GW_PRIV, gw_pub);
    for (size_t i = 0; i < sizeof uuid; i++) {
        uuid_hex[2 * i] = "0123456789abcdef"[uuid[i] >> 4];
        uuid_hex[2 * i + 1] = "0123456789abcdef"[uuid[i] & 15];
    }
    ward_activation a = { (const uint8_t *)uuid_hex, sizeof uuid_hex, gw_pub };
    CHECK(ward_activation_sign_by(cp, &fks, WARD_KEY_FACTORY, &a, act, sizeof act, &alen) ==
          WARD_OK);
    uint8_t owner[WARD_GW_OWNER_HASH_LEN];
    memset(owner, 0x0e, sizeof owner);
    CHECK(ward_gw_register_sign_by(cp, &gks, WARD_KEY_DEVICE_IDENTITY, claim, mac, uuid, act,
                                   alen, owner, msg, sizeof msg, &len) == WARD_OK);
    bad |= put(dir, "gw_cloud", "register", msg, len);
    CHECK(ward_gw_claim_encode(claim, msg, sizeof msg, &len) == WARD_OK);
    bad |= put(dir, "gw_cloud", "claim", msg, len);
    gw_fix fx;
    gw_fix_make(cp, &fx);
    CHECK(ward_gw_creds_seal(cp, &rng, gw_pub, &fx.c, msg, sizeof msg, &len) == WARD_OK);
    bad |= put(dir, "gw_cloud", "credentials", msg, len);
    CHECK(ward_gw_creds_ack_encode(fx.c.tid, 1, msg, sizeof msg, &len) == WARD_OK);
    bad |= put(dir, "gw_cloud", "ack", msg, len);
    bad |= put(dir, "gw_session", "login", fx.login, fx.login_len);
    bad |= put(dir, "gw_session", "reply", fx.reply, fx.reply_len);
    CHECK(ward_gw_session_seal(&fx.gw, cp, WARD_MSG_GW_DATA, (const uint8_t *)"up", 2, msg,
                               sizeof msg, &len) == WARD_OK);
    bad |= put(dir, "gw_session", "data_up", msg, len);
    CHECK(ward_gw_session_seal(&fx.srv, cp, WARD_MSG_GW_DATA, (const uint8_t *)"down", 4, msg,
                               sizeof msg, &len) == WARD_OK);
    bad |= put(dir, "gw_session", "data_down", msg, len);
    CHECK(ward_gw_session_seal(&fx.gw, cp, WARD_MSG_GW_LOGOUT, NULL, 0, msg, sizeof msg, &len) ==
          WARD_OK);
    bad |= put(dir, "gw_session", "logout", msg, len);
    /* After the others, so their bytes stay as they were. */
    CHECK(ward_gw_session_seal(&fx.gw, cp, WARD_MSG_GW_RESET, NULL, 0, msg, sizeof msg, &len) ==
          WARD_OK);
    bad |= put(dir, "gw_session", "reset", msg, len);
    ward_keystore_soft_wipe(&fsoft);
    ward_keystore_soft_wipe(&gsoft);
    return bad;
}
