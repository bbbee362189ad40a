/* Worked examples of flow C's cloud stage: registration, login, session packets (examples.h). */
#include "examples_c.h"

#include <string.h>

#include "ward/ward_gw_cloud.h"

/* The identity key ex_c_dev_init made. */
#define GW_KEY WARD_KEY_DEVICE_IDENTITY

typedef struct ec {
    ex_c_dev g;   /* the gateway */
    ex_rng wr;
    ward_random wrng;
    uint8_t reg[WARD_GW_REGISTER_MAX], claim_msg[64];
    uint8_t creds_msg[WARD_GW_CREDS_MSG_LEN], login[WARD_GW_LOGIN_LEN];
    uint8_t reply[WARD_GW_LOGIN_REPLY_LEN], up[WARD_GW_DATA_MAX], down[WARD_GW_DATA_MAX];
    uint8_t logout[WARD_GW_DATA_MAX], reset[WARD_GW_DATA_MAX];
    ward_gw_session gs, ws;
} ec;

/* The documented session keys: HKDF-SHA256(salt = accesskey, ikm = ECDH
 * x, info = "ward/1 gw session" || 0x00 || context), 32 bytes. */
static void session_kdf(ex_set *s, const uint8_t *shared, const uint8_t *accesskey,
                        const uint8_t *ctx, size_t ctx_len, uint8_t out[32])
{
    static const char lab[] = "ward/1 " WARD_LABEL_GW_SESSION;
    uint8_t info[sizeof lab + WARD_KDF_CONTEXT_MAX];
    memcpy(info, lab, sizeof lab);   /* the NUL is the 0x00 */
    memcpy(info + sizeof lab, ctx, ctx_len);
    EX_OK(s, s->cp->hkdf_sha256(accesskey, WARD_GW_ACCESSKEY_LEN, shared, WARD_P256_SHARED_LEN,
                                info, sizeof lab + ctx_len, out, 32));
    uint8_t again[32];
    EX_OK(s, ward_kdf(s->cp, WARD_LABEL_GW_SESSION, shared, WARD_P256_SHARED_LEN, accesskey,
                      WARD_GW_ACCESSKEY_LEN, ctx, ctx_len, again, sizeof again));
    EX_SAME(s, again, sizeof again, out, 32, "session keys = HKDF(salt accesskey, ...)");
    ex_str(s, "session.label", WARD_LABEL_GW_SESSION);
    ex_hex(s, "session.ikm", shared, WARD_P256_SHARED_LEN);
    ex_hex(s, "session.salt", accesskey, WARD_GW_ACCESSKEY_LEN);
    ex_hex(s, "session.context", ctx, ctx_len);
    ex_hex(s, "session.info", info, sizeof lab + ctx_len);
    ex_hex(s, "session.okm", out, 32);
}

void ex_gen_flow_c_cloud(ex_set *s)
{
    static ec x;
    size_t len = 0, clen = 0, rlen = 0, ulen = 0, dlen = 0, olen = 0, n = 0;
    ward_wipe(&x, sizeof x);
    x.wrng = ex_rng_init(&x.wr, s->cp, "gw wardd");

    static const uint8_t uuid[WARD_GW_UUID_LEN] = { 0x6f, 0x1c, 0x2a, 0x90, 0x33, 0x41, 0x4e,
                                                    0x07, 0x8b, 0x5d, 0x11, 0xc2, 0xe4, 0x09,
                                                    0x7a, 0x3e };
    static const uint8_t mac[WARD_GW_MAC_LEN] = { 0x24, 0x0a, 0xc4, 0x12, 0x34, 0x56 };
    ex_c_dev_init(s, &x.g, "gw factory", "gw gateway", uuid);
    const size_t alen = x.g.act_len;
    uint8_t claim[WARD_GW_CLAIM_LEN];
    ex_rng_mark(&x.wr);
    EX_OK(s, x.wrng.fill(x.wrng.ctx, claim, sizeof claim));
    EX_OK(s, ward_gw_claim_encode(claim, x.claim_msg, sizeof x.claim_msg, &clen));
    /* The owner hash of the device info: a fixed code and epoch random. */
    uint8_t code[WARD_GW_OWNER_CODE_LEN], epoch[WARD_GW_OWNER_RANDOM_LEN];
    uint8_t owner[WARD_GW_OWNER_HASH_LEN];
    memset(code, 0xc0, sizeof code);
    memset(epoch, 0xe1, sizeof epoch);
    EX_OK(s, ward_gw_owner_hash(s->cp, code, epoch, uuid, owner));
    EX_OK(s, ward_gw_register_sign_by(s->cp, &x.g.dev, GW_KEY, claim, mac, uuid, x.g.act, alen,
                                      owner, x.reg, sizeof x.reg, &len));
    ward_gw_register r;
    EX_OK(s, ward_gw_register_verify(s->cp, x.g.factory_pub, x.reg, len, &r));
    EX_OK(s, ward_gw_owner_check(s->cp, &r, owner));

    ex_begin(s, "gw-register",
             "### Flow C: gateway registration, login and session\n"
             "\n"
             "A gateway registers with the claim wardd gave its owner's app, then\n"
             "opens the credentials wardd sealed to it, logs in and exchanges one\n"
             "packet each way. The activation is flow A's ACTIVATION with sn = the\n"
             "uuid in lowercase hex.");
    ex_hex(s, "factory_pub", x.g.factory_pub, sizeof x.g.factory_pub);
    ex_hex(s, "gw_pub", x.g.dev_pub, sizeof x.g.dev_pub);
    ex_hex(s, "uuid", uuid, sizeof uuid);
    ex_hex(s, "mac", mac, sizeof mac);
    ex_sig(s, "activation", x.g.act, alen, true, alen - WARD_P256_SIG_LEN, WARD_LABEL_ACTIVATE,
           x.g.factory_pub, x.g.act, alen - WARD_TLV_SIZE(WARD_P256_SIG_LEN));
    ex_note(s, "drawn by wardd: the claim; it keeps SHA-256(claim) only");
    ex_hex(s, "claim", claim, sizeof claim);
    ex_msg(s, "claim_msg", x.claim_msg, clen);
    ex_note(s, "owner hash (device info 0x04) = ward_kdf(label, ikm = the verification");
    ex_note(s, "code, salt = this epoch's random, context = uuid), 32 bytes:");
    ex_str(s, "owner_hash.label", WARD_LABEL_GW_OWNER);
    ex_hex(s, "owner_hash.code", code, sizeof code);
    ex_hex(s, "owner_hash.random", epoch, sizeof epoch);
    ex_hex(s, "owner_hash", owner, sizeof owner);
    ex_note(s, "its commitment in REGISTER (0x06), 16 bytes:");
    uint8_t commit[WARD_GW_OWNER_COMMIT_LEN];
    ex_kdf(s, "owner_commit", WARD_LABEL_GW_OWNER_COMMIT, owner, sizeof owner, uuid, sizeof uuid,
           commit, sizeof commit);
    EX_SAME(s, commit, sizeof commit, r.owner_commit, WARD_GW_OWNER_COMMIT_LEN, "owner commit");
    ex_note(s, "REGISTER: 0x01 claim, 0x02 mac, 0x03 uuid, 0x04 gw_pub, 0x05 activation,");
    ex_note(s, "0x06 owner_commit,");
    ex_note(s, "0xFE ward_sign(\"gw register\") by the gateway over every byte before it");
    ex_sig(s, "register_msg", x.reg, len, true, len - WARD_P256_SIG_LEN, WARD_LABEL_GW_REGISTER,
           x.g.dev_pub, x.reg, len - WARD_TLV_SIZE(WARD_P256_SIG_LEN));

    /* wardd issues the credentials. */
    ward_gw_creds c, back;
    ex_rng_mark(&x.wr);
    ex_c_draw_creds(s, &x.wrng, &c);
    uint8_t verifier[WARD_GW_VERIFIER_LEN], v2[WARD_GW_VERIFIER_LEN];
    EX_OK(s, ward_gw_creds_seal(s->cp, &x.wrng, x.g.dev_pub, &c, x.creds_msg, sizeof x.creds_msg,
                                &len));
    EX_OK(s, ward_gw_creds_open_by(s->cp, &x.g.dev, GW_KEY, x.creds_msg, len, &back));
    EX_SAME(s, back.accesskey, sizeof back.accesskey, c.accesskey, sizeof c.accesskey,
            "accesskey opened by the gateway");
    ex_begin(s, "gw-credentials", NULL);
    ex_note(s, "drawn by wardd: tid, password, accesskey, localkey");
    ex_hex(s, "tid", c.tid, sizeof c.tid);
    ex_hex(s, "password", c.password, sizeof c.password);
    ex_hex(s, "accesskey", c.accesskey, sizeof c.accesskey);
    ex_hex(s, "localkey", c.localkey, sizeof c.localkey);
    ex_note(s, "wardd keeps the verifier, not the password");
    ex_kdf(s, "verifier", WARD_LABEL_GW_PASSWORD, c.password, sizeof c.password, c.tid,
           sizeof c.tid, verifier, sizeof verifier);
    EX_OK(s, ward_gw_password_verifier(s->cp, c.tid, c.password, v2));
    EX_SAME(s, v2, sizeof v2, verifier, sizeof verifier, "password verifier");
    ex_note(s, "generation 1, expiry one year after the example clock; the sealed");
    ex_note(s, "field is ward_seal_to(gw_pub, ad = every byte before it,");
    ex_note(s, "password || accesskey || localkey)");
    ex_msg(s, "credentials_msg", x.creds_msg, len);

    /* Login. */
    ex_rng_mark(&x.g.dr);
    EX_OK(s, ward_gw_login_start(&x.gs, s->cp, &x.g.drng, &c, 1, x.login, sizeof x.login, &len));
    uint8_t g_draws[WARD_P256_SCALAR_LEN + WARD_GW_LOGIN_NONCE_LEN];
    if (x.g.dr.log_len != sizeof g_draws) {
        ex_fail(s, "the gateway drew %zu bytes for its login", x.g.dr.log_len);
    }
    memcpy(g_draws, x.g.dr.log, sizeof g_draws);
    static const uint8_t sid[WARD_GW_SID_LEN] = { 0x51, 0x1d, 0, 0, 0, 0, 0, 0,
                                                  0, 0, 0, 0, 0, 0, 0, 0x01 };
    ex_rng_mark(&x.wr);
    EX_OK(s, ward_gw_login_accept(&x.ws, s->cp, &x.wrng, c.tid, c.accesskey, verifier, 0, sid,
                                  3600, x.login, len, x.reply, sizeof x.reply, &rlen));
    uint8_t e_s[WARD_P256_SCALAR_LEN];
    if (x.wr.log_len != sizeof e_s) {
        ex_fail(s, "wardd drew %zu bytes for its share", x.wr.log_len);
    }
    memcpy(e_s, x.wr.log, sizeof e_s);
    EX_OK(s, ward_gw_login_finish(&x.gs, s->cp, x.reply, rlen));

    uint8_t lkey[WARD_AEAD_KEY_LEN], plain[WARD_GW_PASSWORD_LEN + WARD_P256_POINT_LEN];
    ex_begin(s, "gw-login", NULL);
    ex_note(s, "drawn by the gateway: e_g (its ephemeral scalar), then the nonce");
    ex_hex(s, "e_g", g_draws, WARD_P256_SCALAR_LEN);
    ex_hex(s, "login_nonce", g_draws + WARD_P256_SCALAR_LEN, WARD_GW_LOGIN_NONCE_LEN);
    ex_kdf(s, "login", WARD_LABEL_GW_LOGIN, c.accesskey, sizeof c.accesskey, c.tid, sizeof c.tid,
           lkey, sizeof lkey);
    size_t ad_len = WARD_GW_LOGIN_LEN - WARD_TLV_SIZE(sizeof plain + WARD_AEAD_TAG_LEN);
    EX_OK(s, ward_aead_open(s->cp, lkey, g_draws + WARD_P256_SCALAR_LEN, x.login, ad_len,
                            x.login + ad_len + 2, sizeof plain + WARD_AEAD_TAG_LEN, plain,
                            sizeof plain, &n));
    ex_note(s, "sealed = AES-128-CCM(login.okm, login_nonce, ad = every byte before the");
    ex_note(s, "field, password || E_g); counter 1");
    ex_hex(s, "E_g", plain + WARD_GW_PASSWORD_LEN, WARD_P256_POINT_LEN);
    ex_msg(s, "login_msg", x.login, len);
    ex_note(s, "drawn by wardd: e_s; sid is wardd's choice (here fixed)");
    ex_hex(s, "e_s", e_s, sizeof e_s);
    const uint8_t *E_s = x.reply + WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SID_LEN) + 2;
    uint8_t shared[WARD_P256_SHARED_LEN], keys[32];
    EX_OK(s, s->cp->p256_ecdh(e_s, plain + WARD_GW_PASSWORD_LEN, shared));
    uint8_t ctx[WARD_GW_TID_LEN + 8 + 2 * WARD_P256_POINT_LEN + WARD_GW_SID_LEN];
    size_t o = 0;
    memcpy(ctx, c.tid, WARD_GW_TID_LEN);
    o += WARD_GW_TID_LEN;
    memset(ctx + o, 0, 8);
    ctx[o + 7] = 1;
    o += 8;
    memcpy(ctx + o, plain + WARD_GW_PASSWORD_LEN, WARD_P256_POINT_LEN);
    o += WARD_P256_POINT_LEN;
    memcpy(ctx + o, E_s, WARD_P256_POINT_LEN);
    o += WARD_P256_POINT_LEN;
    memcpy(ctx + o, sid, sizeof sid);
    o += sizeof sid;
    ex_note(s, "context = tid || counter (8) || E_g || E_s || sid; okm = k_up || k_down");
    session_kdf(s, shared, c.accesskey, ctx, o, keys);
    ex_note(s, "confirm = the tag of AES-128-CCM(k_down, nonce 02 || 8 zero bytes || seq 0,");
    ex_note(s, "ad = every byte before the field, empty plaintext)");
    ex_msg(s, "login_reply", x.reply, rlen);

    EX_OK(s, ward_gw_session_seal(&x.gs, s->cp, WARD_MSG_GW_DATA, (const uint8_t *)"ping", 4,
                                  x.up, sizeof x.up, &ulen));
    EX_OK(s, ward_gw_session_seal(&x.ws, s->cp, WARD_MSG_GW_DATA, (const uint8_t *)"pong", 4,
                                  x.down, sizeof x.down, &dlen));
    EX_OK(s, ward_gw_session_seal(&x.gs, s->cp, WARD_MSG_GW_LOGOUT, NULL, 0, x.logout,
                                  sizeof x.logout, &olen));
    /* Sealed after the LOGOUT so every earlier example keeps its bytes. */
    size_t rslen = 0;
    EX_OK(s, ward_gw_session_seal(&x.gs, s->cp, WARD_MSG_GW_RESET, NULL, 0, x.reset,
                                  sizeof x.reset, &rslen));
    {
        uint8_t nonce[WARD_AEAD_NONCE_LEN], pt[8];
        size_t ad = WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SID_LEN);
        ex_c_nonce(0x01, 1, nonce);
        EX_OK(s, ward_aead_open(s->cp, keys, nonce, x.up, ad, x.up + ad + 2, ulen - ad - 2, pt,
                                sizeof pt, &n));
        EX_SAME(s, pt, n, "ping", 4, "DATA up under k_up, nonce 01 || 0^8 || seq");
        ex_c_nonce(0x02, 1, nonce);
        EX_OK(s, ward_aead_open(s->cp, keys + 16, nonce, x.down, ad, x.down + ad + 2,
                                dlen - ad - 2, pt, sizeof pt, &n));
        EX_SAME(s, pt, n, "pong", 4, "DATA down under k_down");
    }
    ex_begin(s, "gw-session", NULL);
    ex_note(s, "DATA: flags SEALED, seq = the sender's counter from 1; 0x01 sid, 0x02");
    ex_note(s, "AES-128-CCM(key of the direction, dir || 8 zero bytes || seq (4),");
    ex_note(s, "ad = header || the sid field, payload); up: k_up, dir 01");
    ex_text(s, "up_payload", (const uint8_t *)"ping", 4);
    ex_msg(s, "data_up", x.up, ulen);
    ex_note(s, "down: k_down, dir 02");
    ex_text(s, "down_payload", (const uint8_t *)"pong", 4);
    ex_msg(s, "data_down", x.down, dlen);
    ex_note(s, "LOGOUT: the same with type 0x4D and an empty payload; seq 2 up");
    ex_msg(s, "logout", x.logout, olen);
    ex_note(s, "RESET (reset-unbind): the same with type 0x56 and an empty payload; seq 3 up");
    ex_msg(s, "reset", x.reset, rslen);
    ward_wipe(shared, sizeof shared);
    ward_gw_session_wipe(&x.gs);
    ward_gw_session_wipe(&x.ws);
    ex_c_dev_wipe(&x.g);
}
