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
#include "fuzz_gw_cloud.h"

static int put(const char *dir, const char *sub, const char *name, const uint8_t *data,
               size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "gen_corpus_gw_cloud: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_corpus_gw_cloud CORPUS_DIR\n");
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
    ward_keystore_soft_init(&fsoft, cp, &rng, &fks);
    ward_keystore_soft_init(&gsoft, cp, &rng, &gks);
    CHECK(ward_keystore_soft_load(&fsoft, WARD_KEY_FACTORY, GW_FACTORY_PRIV) == WARD_OK);
    CHECK(ward_keystore_soft_load(&gsoft, WARD_KEY_DEVICE_IDENTITY, GW_PRIV) == WARD_OK);
    CHECK(gks.public_key(gks.ctx, WARD_KEY_DEVICE_IDENTITY, gw_pub) == WARD_OK);
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
    bad |= put(argv[1], "gw_cloud", "register", msg, len);
    CHECK(ward_gw_claim_encode(claim, msg, sizeof msg, &len) == WARD_OK);
    bad |= put(argv[1], "gw_cloud", "claim", msg, len);
    gw_fix fx;
    gw_fix_make(cp, &fx);
    CHECK(ward_gw_creds_seal(cp, &rng, gw_pub, &fx.c, msg, sizeof msg, &len) == WARD_OK);
    bad |= put(argv[1], "gw_cloud", "credentials", msg, len);
    CHECK(ward_gw_creds_ack_encode(fx.c.tid, 1, msg, sizeof msg, &len) == WARD_OK);
    bad |= put(argv[1], "gw_cloud", "ack", msg, len);
    bad |= put(argv[1], "gw_session", "login", fx.login, fx.login_len);
    bad |= put(argv[1], "gw_session", "reply", fx.reply, fx.reply_len);
    CHECK(ward_gw_session_seal(&fx.gw, cp, WARD_MSG_GW_DATA, (const uint8_t *)"up", 2, msg,
                               sizeof msg, &len) == WARD_OK);
    bad |= put(argv[1], "gw_session", "data_up", msg, len);
    CHECK(ward_gw_session_seal(&fx.srv, cp, WARD_MSG_GW_DATA, (const uint8_t *)"down", 4, msg,
                               sizeof msg, &len) == WARD_OK);
    bad |= put(argv[1], "gw_session", "data_down", msg, len);
    CHECK(ward_gw_session_seal(&fx.gw, cp, WARD_MSG_GW_LOGOUT, NULL, 0, msg, sizeof msg, &len) ==
          WARD_OK);
    bad |= put(argv[1], "gw_session", "logout", msg, len);
    /* After the others, so their bytes stay as they were. */
    CHECK(ward_gw_session_seal(&fx.gw, cp, WARD_MSG_GW_RESET, NULL, 0, msg, sizeof msg, &len) ==
          WARD_OK);
    bad |= put(argv[1], "gw_session", "reset", msg, len);
    ward_keystore_soft_wipe(&fsoft);
    ward_keystore_soft_wipe(&gsoft);
    return bad;
}
