/* Worked examples of flows A and B: the real lock and the app's core calls (examples.h). */
#include "examples.h"
#include "ward_test.h"

#include <string.h>

#include "ward/ward_httpsig.h"
#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_sim.h"
#include "proto/op_inner.h"

#define ERASE 256
#define BANK ((WARD_LOCK_STORE_BANK_MIN + ERASE - 1) / ERASE * ERASE)

static const char SN[] = "LOCK-0001";
static const char PHONE[] = "+8613800000000";
static const char UID[] = "alice";

/* Everything the flows share: the lock, alice's keys, her binding. */
typedef struct ab {
    const ward_crypto *cp;
    uint8_t mem[2 * BANK];
    ward_sim_flash sf;
    ward_store_port port;
    ward_clock clock;
    ex_rng lock_rr, app_rr, factory_rr;
    ward_random lock_rng, app_rng, factory_rng;
    ward_lock lock;
    uint8_t lock_priv[WARD_P256_SCALAR_LEN], lock_pub[WARD_P256_POINT_LEN];
    uint8_t client_priv[WARD_P256_SCALAR_LEN], client_pub[WARD_P256_POINT_LEN];
    uint8_t k[WARD_BIND_KEY_LEN], tid[WARD_TASK_ID_LEN];
    char code[WARD_BIND_CODE_LEN + 1];
    uint8_t auth[WARD_AUTH_KEY_LEN];
    uint8_t escrow[WARD_ESCROW_LEN];
    uint8_t approval[WARD_APPROVAL_MAX];
    size_t approval_len;
    uint8_t revoke[WARD_REVOKE_MAX];   /* the REVOKE of the example, for its result */
    size_t revoke_len;
    uint8_t revoke_tid[WARD_TASK_ID_LEN];
} ab;

/* The first 2*len hex digits after "name":" in the QR payload. */
static void qr_hex(ex_set *s, const char *qr, const char *name, uint8_t *out, size_t len)
{
    char key[32];
    snprintf(key, sizeof key, "\"%s\":\"", name);
    const char *p = strstr(qr, key);
    if (p == NULL || strlen(p + strlen(key)) < 2 * len + 1 || p[strlen(key) + 2 * len] != '"') {
        ex_fail(s, "the QR payload has no %s of %zu bytes", name, len);
    }
    p += strlen(key);
    for (size_t i = 0; i < len; i++) {
        unsigned v = 0;
        if (sscanf(p + 2 * i, "%2x", &v) != 1) {
            ex_fail(s, "the QR payload's %s is not hex", name);
        }
        out[i] = (uint8_t)v;
    }
}

static void lock_up(ex_set *s, ab *a)
{
    ward_wipe(a, sizeof *a);
    a->cp = s->cp;
    memset(a->mem, 0xFF, sizeof a->mem);
    ward_sim_flash_init(&a->sf, a->mem, sizeof a->mem, ERASE, &a->port);
    a->clock = ex_clock();
    a->lock_rng = ex_rng_init(&a->lock_rr, s->cp, "lock");
    a->app_rng = ex_rng_init(&a->app_rr, s->cp, "app alice");
    a->factory_rng = ex_rng_init(&a->factory_rr, s->cp, "factory");
    EX_OK(s, ward_lock_open(&a->lock, s->cp, &a->lock_rng, &a->clock, &a->port));
    ex_rng_mark(&a->lock_rr);
    EX_OK(s, ward_lock_provision(&a->lock, (const uint8_t *)SN, strlen(SN)));
    EX_OK(s, ward_lock_identity(&a->lock, NULL, NULL, a->lock_pub));
    /* The identity key is the lock's first draw (a scalar below n). */
    uint8_t pub[WARD_P256_POINT_LEN];
    memcpy(a->lock_priv, a->lock_rr.log, sizeof a->lock_priv);
    EX_OK(s, ward_p256_public(s->cp, a->lock_priv, pub));
    EX_SAME(s, pub, sizeof pub, a->lock_pub, sizeof a->lock_pub, "lock identity key");
}

static void signed_fields(ex_set *s, const char *label, const uint8_t *priv,
                          const uint8_t *pub, const uint8_t *m, size_t len, const char *name)
{
    static const char prefix[] = "ward/1 sign ";
    static const uint8_t zero[1] = { 0 };
    uint8_t digest[WARD_SHA256_LEN];
    size_t signed_len = len - 2 - WARD_P256_SIG_LEN;
    ward_iov parts[4] = {
        { (const uint8_t *)prefix, strlen(prefix) },
        { (const uint8_t *)label, strlen(label) },
        { zero, 1 },
        { m, signed_len },
    };
    EX_OK(s, s->cp->sha256(parts, 4, digest));
    EX_OK(s, ward_verify(s->cp, label, pub, m, signed_len, m + signed_len + 2));
    ex_hex(s, "signer_priv", priv, WARD_P256_SCALAR_LEN);
    ex_hex(s, "signer_pub", pub, WARD_P256_POINT_LEN);
    ex_str(s, "sig.label", label);
    ex_note(s, "signed = every byte before the 0xFE field (header and the fields before it)");
    ex_hex(s, "signed", m, signed_len);
    ex_note(s, "digest = SHA-256(\"ward/1 sign \" || label || 0x00 || signed);");
    ex_note(s, "msg ends with 0xFE 0x40 and the ECDSA P-256 signature r || s of digest");
    ex_hex(s, "digest", digest, sizeof digest);
    ex_sig(s, name, m, len, true, signed_len + 2, label, pub, m, signed_len);
}

static void activation(ex_set *s, ab *a)
{
    uint8_t fpriv[WARD_P256_SCALAR_LEN], fpub[WARD_P256_POINT_LEN];
    uint8_t sn[WARD_SN_MAX], pub[WARD_P256_POINT_LEN], m[WARD_ACTIVATION_MAX];
    size_t n = 0;
    ward_activation act;
    EX_OK(s, ward_p256_keygen(s->cp, &a->factory_rng, fpriv, fpub));
    EX_OK(s, ward_lock_activation(&a->lock, sn, pub, &act));
    EX_OK(s, ward_activation_sign_by(s->cp, ward_test_key_cp(s->cp, fpriv), WARD_TEST_KEY, &act, m,
                                     sizeof m, &n));
    ex_begin(s, "activation",
             "### Flow A: lock–app binding\n"
             "\n"
             "Lock \"LOCK-0001\" and its app \"alice\" (phone +8613800000000). The\n"
             "activation the manufacturer signs (type 0x12; header flags 0, key index\n"
             "0, seq 0, no client id, as every message of flows A and B).");
    ex_str(s, "sn", SN);
    ex_hex(s, "lock_pub", a->lock_pub, sizeof a->lock_pub);
    signed_fields(s, WARD_LABEL_ACTIVATE, fpriv, fpub, m, n, "msg");
}

static void qr(ex_set *s, ab *a)
{
    char text[WARD_QR_PAYLOAD_MAX + 1];
    size_t n = 0;
    EX_OK(s, ward_bind_start(&a->lock, (const uint8_t *)PHONE, strlen(PHONE), text,
                             sizeof text, &n));
    qr_hex(s, text, "key", a->k, sizeof a->k);
    qr_hex(s, text, "tid", a->tid, sizeof a->tid);
    const char *c = strstr(text, "\"sms\":\"");
    if (c == NULL) {
        ex_fail(s, "the QR payload has no code");
    }
    memcpy(a->code, c + 7, WARD_BIND_CODE_LEN);
    a->code[WARD_BIND_CODE_LEN] = '\0';
    ex_begin(s, "qr",
             "The QR payload the lock shows (`ward_bind_start`): JSON, `v` the number\n"
             "1, the others strings; K and the task id in lower-case hex. Everywhere\n"
             "else (key contexts, associated data, REVOKE) the task id is its 16 raw\n"
             "bytes.");
    ex_str(s, "phone", PHONE);
    ex_str(s, "qr", text);
    ex_note(s, "drawn by the lock:");
    ex_hex(s, "K", a->k, sizeof a->k);
    ex_str(s, "code", a->code);
    ex_hex(s, "tid", a->tid, sizeof a->tid);
}

static void escrow(ex_set *s, ab *a)
{
    uint8_t ad[WARD_ESCROW_AD_MAX], x[WARD_P256_SHARED_LEN], e[WARD_P256_SCALAR_LEN];
    uint8_t epub[WARD_P256_POINT_LEN], ctx[2 * WARD_P256_POINT_LEN];
    uint8_t km[WARD_AEAD_KEY_LEN + WARD_AEAD_NONCE_LEN], back[WARD_AUTH_KEY_LEN];
    uint8_t signed_part[WARD_SN_MAX + 1 + WARD_UID_MAX + WARD_ESCROW_SEAL_LEN];
    size_t ad_len = 0, bn = 0, sp = 0;
    EX_OK(s, ward_p256_keygen(s->cp, &a->app_rng, a->client_priv, a->client_pub));
    EX_OK(s, a->app_rng.fill(a->app_rng.ctx, a->auth, sizeof a->auth));
    EX_OK(s, ward_escrow_ad((const uint8_t *)SN, strlen(SN), (const uint8_t *)UID,
                            strlen(UID), ad, sizeof ad, &ad_len));
    ex_rng_mark(&a->app_rr);
    /* Signed on mbedTLS, which signs by RFC 6979: the escrow travels
     * inside the sealed bind data and the lock's confirmation, so its
     * bytes must be the same whatever backend this run checks. */
    EX_OK(s, ward_escrow_make_by(ward_crypto_mbedtls(), &a->app_rng,
                                 ward_test_key_cp(ward_crypto_mbedtls(), a->client_priv),
                                 WARD_TEST_KEY, a->client_pub, (const uint8_t *)SN, strlen(SN),
                                 (const uint8_t *)UID, strlen(UID), a->auth, a->escrow));
    memcpy(e, a->app_rr.log, sizeof e);
    EX_OK(s, ward_p256_public(s->cp, e, epub));
    EX_SAME(s, epub, sizeof epub, a->escrow, sizeof epub, "escrow's E");
    EX_OK(s, s->cp->p256_ecdh(e, a->client_pub, x));
    EX_OK(s, ward_seal_open(s->cp, a->client_priv, a->client_pub, ad, ad_len, a->escrow,
                            WARD_ESCROW_SEAL_LEN, back, sizeof back, &bn));
    EX_SAME(s, back, bn, a->auth, sizeof a->auth, "opened escrow");
    EX_OK(s, ward_escrow_open_by(s->cp, ward_test_key_cp(s->cp, a->client_priv), WARD_TEST_KEY,
                                 a->client_pub, (const uint8_t *)SN, strlen(SN),
                                 (const uint8_t *)UID, strlen(UID), a->escrow, back));
    EX_SAME(s, back, sizeof back, a->auth, sizeof a->auth, "recovered escrow");
    /* What the client key signs: sn || 0x00 || uid || the seal. */
    memcpy(signed_part, SN, strlen(SN));
    sp = strlen(SN);
    signed_part[sp++] = 0x00;
    memcpy(signed_part + sp, UID, strlen(UID));
    sp += strlen(UID);
    memcpy(signed_part + sp, a->escrow, WARD_ESCROW_SEAL_LEN);
    sp += WARD_ESCROW_SEAL_LEN;
    ex_begin(s, "escrow",
             "The app's client key, its authorization key A, and the escrow of A (177\n"
             "bytes): a seal to the client's own public key (see `seal`) with\n"
             "associated data \"escrow\" ‖ sn ‖ 0x00 ‖ uid (113 bytes), then the client's\n"
             "signature `ward_sign(\"escrow\", sn ‖ 0x00 ‖ uid ‖ seal)` (64 bytes), which\n"
             "wardd, holding only the public key, cannot make. The client key file\n"
             "(`client.key`) holds `client_priv` as 64 hex digits.");
    ex_str(s, "uid", UID);
    ex_str(s, "sn", SN);
    ex_hex(s, "client_priv", a->client_priv, sizeof a->client_priv);
    ex_hex(s, "client_pub", a->client_pub, sizeof a->client_pub);
    ex_note(s, "drawn by the app: A, then e");
    ex_hex(s, "auth_key", a->auth, sizeof a->auth);
    ex_hex(s, "ad", ad, ad_len);
    ex_hex(s, "e", e, sizeof e);
    ex_hex(s, "E", epub, sizeof epub);
    ex_hex(s, "ecdh_x", x, sizeof x);
    memcpy(ctx, epub, WARD_P256_POINT_LEN);
    memcpy(ctx + WARD_P256_POINT_LEN, a->client_pub, WARD_P256_POINT_LEN);
    ex_kdf(s, "kdf", WARD_LABEL_SEAL, x, sizeof x, ctx, sizeof ctx, km, sizeof km);
    ex_hex(s, "seal", a->escrow, WARD_ESCROW_SEAL_LEN);
    ex_hex(s, "signed", signed_part, sp);
    ex_sig(s, "escrow", a->escrow, WARD_ESCROW_LEN, false, WARD_ESCROW_SEAL_LEN,
           WARD_LABEL_ESCROW, a->client_pub, signed_part, sp);
}

static void bind_data(ex_set *s, ab *a)
{
    uint8_t blob[WARD_BIND_BLOB_MAX], plain[WARD_BIND_DATA_BODY_MAX];
    uint8_t key[WARD_AEAD_KEY_LEN], ctx[WARD_TASK_ID_LEN + WARD_SN_MAX];
    uint8_t ad[WARD_HDR_BASE_LEN + WARD_TASK_ID_LEN + WARD_SN_MAX], ct[WARD_BIND_BLOB_MAX];
    uint8_t confirm[WARD_BIND_CONFIRM_MAX], body[WARD_BIND_DATA_BODY_MAX];
    size_t n = 0, cn = 0, mlen = 0, body_len = 0;
    ward_bind_data d = {
        (const uint8_t *)SN, strlen(SN), (const uint8_t *)UID, strlen(UID), a->client_pub,
        a->auth, a->escrow, (const uint8_t *)PHONE, strlen(PHONE),
    };
    ward_bind_data opened;
    ex_rng_mark(&a->app_rr);
    EX_OK(s, ward_bind_seal(s->cp, &a->app_rng, a->k, a->tid, &d, blob, sizeof blob, &n));
    EX_OK(s, ward_bind_open(s->cp, a->k, a->tid, (const uint8_t *)SN, strlen(SN), blob, n,
                            plain, sizeof plain, &opened));
    body_len = n - WARD_HDR_BASE_LEN - WARD_AEAD_NONCE_LEN - WARD_AEAD_TAG_LEN;
    memcpy(body, plain, body_len);
    ex_begin(s, "bind-data",
             "The bind data (type 0x10, flags SEALED, key index 0, seq 0, no client\n"
             "id), sealed by the app under K. body is the TLV plaintext: 0x01 sn,\n"
             "0x02 uid, 0x03 client_pub, 0x04 A, 0x05 escrow, 0x06 phone.");
    ex_hex(s, "K", a->k, sizeof a->k);
    ex_hex(s, "tid", a->tid, sizeof a->tid);
    ex_hex(s, "body", body, body_len);
    ex_note(s, "header: version 1, type 0x10, flags 0x04, key index 0, seq 0, body length,");
    ex_note(s, "ext_len 0; the body length counts nonce, ciphertext and tag");
    ex_hex(s, "header", blob, WARD_HDR_BASE_LEN);
    ex_note(s, "drawn by the app");
    ex_hex(s, "nonce", blob + WARD_HDR_BASE_LEN, WARD_AEAD_NONCE_LEN);
    memcpy(ctx, a->tid, WARD_TASK_ID_LEN);
    memcpy(ctx + WARD_TASK_ID_LEN, SN, strlen(SN));
    ex_note(s, "key = ward_kdf(\"bind data\", ikm = K, context = tid (16 raw bytes) || sn)");
    ex_kdf(s, "kdf", WARD_LABEL_BIND_DATA, a->k, sizeof a->k, ctx,
           WARD_TASK_ID_LEN + strlen(SN), key, sizeof key);
    memcpy(ad, blob, WARD_HDR_BASE_LEN);
    memcpy(ad + WARD_HDR_BASE_LEN, ctx, WARD_TASK_ID_LEN + strlen(SN));
    size_t ad_len = WARD_HDR_BASE_LEN + WARD_TASK_ID_LEN + strlen(SN);
    ex_hex(s, "ad", ad, ad_len);
    EX_OK(s, ward_aead_seal(s->cp, key, blob + WARD_HDR_BASE_LEN, ad, ad_len, body, body_len,
                            ct, sizeof ct, &cn));
    EX_SAME(s, ct, cn, blob + WARD_HDR_BASE_LEN + WARD_AEAD_NONCE_LEN,
            n - WARD_HDR_BASE_LEN - WARD_AEAD_NONCE_LEN, "bind data seal");
    ex_note(s, "blob = header || nonce || AES-128-CCM(key, nonce, ad, body) || tag");
    ex_msg(s, "blob", blob, n);

    /* The lock takes the code and the blob, stores alice and confirms. */
    unsigned left = 0;
    EX_OK(s, ward_bind_enter_code(&a->lock, (const uint8_t *)a->code, WARD_BIND_CODE_LEN,
                                  &left));
    EX_OK(s, ward_bind_finish(&a->lock, blob, n, confirm, sizeof confirm, &mlen));
    EX_OK(s, ward_bind_confirmed(&a->lock));
    ex_begin(s, "bind-confirm",
             "The lock's confirmation (type 0x11, flags 0): 0x01 sn, 0x02 uid, 0x03\n"
             "client_pub, 0x04 tid, 0x05 escrow, 0x06 role (0 owner), 0x07 time (ms),\n"
             "0xFE its signature with the identity key.");
    signed_fields(s, WARD_LABEL_BIND_CONFIRM, a->lock_priv, a->lock_pub, confirm, mlen, "msg");
}

/* The OP_REQUEST, its APPROVAL and the OP_RESULT, by the lock itself. */
static void op(ex_set *s, ab *a)
{
    uint8_t req_msg[WARD_OP_REQUEST_MAX], res[WARD_OP_RESULT_MAX];
    uint8_t ctx[WARD_SN_MAX + WARD_OP_NONCE_LEN + WARD_UID_MAX];
    uint8_t kn[WARD_AEAD_KEY_LEN + WARD_AEAD_NONCE_LEN], ad[WARD_HDR_BASE_LEN + WARD_UID_MAX];
    uint8_t pt[64], ct[64];
    size_t rn = 0, res_len = 0, pt_len = 0, cn = 0;
    ward_op_lock ol;
    ward_op_request req;
    ward_op_outcome oc;
    ward_op_sealed sealed;
    uint8_t outcome = 0xFF;
    memset(&ol, 0, sizeof ol);
    EX_OK(s, ward_op_lock_request(&a->lock, &ol, WARD_OP_UNLOCK, NULL, 0, req_msg,
                                  sizeof req_msg, &rn));
    EX_OK(s, ward_op_request_parse(req_msg, rn, &req));
    ex_begin(s, "op-request",
             "### Flow B: remote operation approval\n"
             "\n"
             "The lock asks its clients to allow an unlock (type 0x20, flags 0, not\n"
             "sealed): 0x01 sn, 0x02 N (16, drawn by the lock), 0x03 op, 0x05 expires\n"
             "(lock clock + 60 s, ms).");
    ex_msg(s, "msg", req_msg, rn);
    ex_hex(s, "N", req.nonce, WARD_OP_NONCE_LEN);

    EX_OK(s, ward_approval_seal(s->cp, a->auth, &req, (const uint8_t *)UID, strlen(UID),
                                WARD_DECISION_ALLOW, a->approval, sizeof a->approval,
                                &a->approval_len));
    size_t cl = strlen(SN) + WARD_OP_NONCE_LEN + strlen(UID);
    memcpy(ctx, SN, strlen(SN));
    memcpy(ctx + strlen(SN), req.nonce, WARD_OP_NONCE_LEN);
    memcpy(ctx + strlen(SN) + WARD_OP_NONCE_LEN, UID, strlen(UID));
    ex_begin(s, "approval",
             "alice allows it (type 0x21, flags SEALED): key and nonce both derived,\n"
             "so the body carries no nonce; the plaintext is 0x04 op, 0x05 decision\n"
             "(1 allow).");
    ex_hex(s, "auth_key", a->auth, sizeof a->auth);
    ex_str(s, "uid", UID);
    ex_note(s, "key || nonce = ward_kdf(\"approval\", ikm = A, context = sn || N || uid)");
    ex_kdf(s, "kdf", WARD_LABEL_APPROVAL, a->auth, sizeof a->auth, ctx, cl, kn, sizeof kn);
    ex_hex(s, "key", kn, WARD_AEAD_KEY_LEN);
    ex_hex(s, "nonce", kn + WARD_AEAD_KEY_LEN, WARD_AEAD_NONCE_LEN);
    EX_OK(s, ward_op_sealed_split(a->approval, a->approval_len, WARD_MSG_APPROVAL, &sealed));
    static const uint8_t ap_pt[] = { 0x04, 0x01, WARD_OP_UNLOCK, 0x05, 0x01, 0x01 };
    ex_hex(s, "plaintext", ap_pt, sizeof ap_pt);
    memcpy(ad, a->approval, WARD_HDR_BASE_LEN);
    memcpy(ad + WARD_HDR_BASE_LEN, UID, strlen(UID));
    ex_note(s, "ad = header (11 bytes) || uid");
    ex_hex(s, "ad", ad, WARD_HDR_BASE_LEN + strlen(UID));
    EX_OK(s, ward_aead_seal(s->cp, kn, kn + WARD_AEAD_KEY_LEN, ad,
                            WARD_HDR_BASE_LEN + strlen(UID), ap_pt, sizeof ap_pt, ct,
                            sizeof ct, &cn));
    EX_SAME(s, ct, cn, sealed.ct, sealed.ct_len, "APPROVAL ciphertext");
    ex_note(s, "msg = header || 0x01 uid || 0x02 AES-128-CCM(key, nonce, ad, plaintext) || tag");
    ex_msg(s, "msg", a->approval, a->approval_len);

    EX_OK(s, ward_op_lock_accept(&a->lock, &ol, a->approval, a->approval_len, &oc, res,
                                 sizeof res, &res_len));
    EX_OK(s, ward_op_result_open(s->cp, a->auth, &req, (const uint8_t *)UID, strlen(UID), res,
                                 res_len, &outcome));
    if (!oc.execute || outcome != WARD_OUTCOME_EXECUTED) {
        ex_fail(s, "the lock did not execute the approved unlock");
    }
    ex_begin(s, "op-result",
             "The lock's answer to alice (type 0x22, flags SEALED): plaintext 0x01 N,\n"
             "0x02 op, 0x03 outcome (0 executed).");
    ex_note(s, "key || nonce = ward_kdf(\"op result\", ikm = A, context = sn || N || uid)");
    ex_kdf(s, "kdf", WARD_LABEL_OP_RESULT, a->auth, sizeof a->auth, ctx, cl, kn, sizeof kn);
    ex_hex(s, "key", kn, WARD_AEAD_KEY_LEN);
    ex_hex(s, "nonce", kn + WARD_AEAD_KEY_LEN, WARD_AEAD_NONCE_LEN);
    pt[pt_len++] = 0x01;
    pt[pt_len++] = WARD_OP_NONCE_LEN;
    memcpy(pt + pt_len, req.nonce, WARD_OP_NONCE_LEN);
    pt_len += WARD_OP_NONCE_LEN;
    static const uint8_t tail[] = { 0x02, 0x01, WARD_OP_UNLOCK, 0x03, 0x01,
                                    WARD_OUTCOME_EXECUTED };
    memcpy(pt + pt_len, tail, sizeof tail);
    pt_len += sizeof tail;
    ex_hex(s, "plaintext", pt, pt_len);
    memcpy(ad, res, WARD_HDR_BASE_LEN);
    ex_hex(s, "ad", ad, WARD_HDR_BASE_LEN + strlen(UID));
    EX_OK(s, ward_op_sealed_split(res, res_len, WARD_MSG_OP_RESULT, &sealed));
    EX_OK(s, ward_aead_seal(s->cp, kn, kn + WARD_AEAD_KEY_LEN, ad,
                            WARD_HDR_BASE_LEN + strlen(UID), pt, pt_len, ct, sizeof ct, &cn));
    EX_SAME(s, ct, cn, sealed.ct, sealed.ct_len, "OP_RESULT ciphertext");
    ex_msg(s, "msg", res, res_len);
}

static ward_err http_sign(void *ctx, const char *base, size_t len, uint8_t sig[64])
{
    const ab *a = ctx;
    return ward_httpsig_sign_by(a->cp, ward_test_key_cp(a->cp, a->client_priv), WARD_TEST_KEY, base,
                                len, sig);
}

/* alice's POST of that approval to wardd, signed (RFC 9421). */
static void http(ex_set *s, ab *a)
{
    char b64[4 * ((WARD_APPROVAL_MAX + 2) / 3) + 1], body[512], path[80];
    char base[1024], digest[WARD_HTTPSIG_DIGEST_HDR_MAX];
    uint8_t op_id[16], sig[WARD_P256_SIG_LEN];
    ward_httpsig_params p;
    ward_httpsig_hdrs h;
    size_t blen = 0;
    ex_rng wr;
    ward_random wardd_rng = ex_rng_init(&wr, s->cp, "wardd ops");
    /* An op id: the creation time in ms (6 bytes), then 10 random bytes. */
    for (int i = 0; i < 6; i++) {
        op_id[i] = (uint8_t)(EX_T0 >> (8 * (5 - i)));
    }
    EX_OK(s, wardd_rng.fill(wardd_rng.ctx, op_id + 6, 10));
    char op_hex[33];
    EX_OK(s, ward_hex_encode(op_id, sizeof op_id, op_hex, sizeof op_hex));
    snprintf(path, sizeof path, "/v1/ops/%s/answer", op_hex);
    EX_OK(s, ward_b64_encode(a->approval, a->approval_len, b64, sizeof b64));
    snprintf(body, sizeof body, "{\"approval\":\"%s\"}", b64);
    memset(&p, 0, sizeof p);
    p.created = (int64_t)(EX_T0 / 1000u);
    uint8_t nonce[16];
    EX_OK(s, a->app_rng.fill(a->app_rng.ctx, nonce, sizeof nonce));
    EX_OK(s, ward_hex_encode(nonce, sizeof nonce, p.nonce, sizeof p.nonce));
    snprintf(p.keyid, sizeof p.keyid, "user:%s", UID);
    EX_OK(s, ward_httpsig_request(s->cp, &p, "POST", path, NULL, (const uint8_t *)body,
                                  strlen(body), http_sign, a, &h));
    EX_OK(s, ward_httpsig_digest(s->cp, (const uint8_t *)body, strlen(body), digest,
                                 sizeof digest));
    EX_OK(s, ward_httpsig_base("POST", path, NULL, digest, &p, base, sizeof base, &blen));
    /* The Signature header is "ward=:" base64(r || s) ":". */
    const char *open = strstr(h.sig, "=:");
    size_t sl = 0;
    if (open == NULL || strlen(open) < 3 ||
        ward_b64_decode(open + 2, strlen(open) - 3, sig, sizeof sig, &sl) != WARD_OK ||
        sl != sizeof sig) {
        ex_fail(s, "the Signature header is not ward=:<base64>:");
    }
    ex_begin(s, "http-signature",
             "alice's `POST /v1/ops/{op_id}/answer` carrying that approval, signed\n"
             "with her client key (RFC 9421 profile of \"Request signatures\"): ECDSA\n"
             "P-256 over SHA-256(base), no ward label. The nonce is 16 random bytes in\n"
             "lower-case hex.");
    ex_str(s, "path", path);
    ex_str(s, "body", body);
    ex_str(s, "content_digest", digest);
    ex_str(s, "signature_input", h.input);
    ex_note(s, "base, its lines joined by 0x0a (no newline at the end):");
    for (char *line = base, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        ex_note(s, "  %.*s", (int)(next != NULL ? (size_t)(next - line) : strlen(line)), line);
        next = next != NULL ? next + 1 : NULL;
    }
    ex_hex(s, "base", (const uint8_t *)base, blen);
    ex_hex(s, "signer_pub", a->client_pub, sizeof a->client_pub);
    ex_sig(s, "sig", sig, sizeof sig, false, 0, NULL, a->client_pub, (const uint8_t *)base,
           blen);
}

static void revoke(ex_set *s, ab *a)
{
    static const char TARGET[] = "bob";
    uint8_t ttid[WARD_TASK_ID_LEN], m[WARD_REVOKE_MAX], key[WARD_AEAD_KEY_LEN];
    uint8_t ctx[WARD_SN_MAX + WARD_UID_MAX], pt[WARD_REVOKE_PLAIN_MAX], ct[WARD_REVOKE_MAX];
    uint8_t ad[WARD_HDR_BASE_LEN + WARD_UID_MAX];
    size_t n = 0, pl = 0, cn = 0;
    ward_op_sealed sealed;
    EX_OK(s, a->factory_rng.fill(a->factory_rng.ctx, ttid, sizeof ttid));
    EX_OK(s, ward_revoke_seal(s->cp, &a->app_rng, a->auth, (const uint8_t *)SN, strlen(SN),
                              (const uint8_t *)UID, strlen(UID), (const uint8_t *)TARGET,
                              strlen(TARGET), ttid, m, sizeof m, &n));
    EX_OK(s, ward_op_sealed_split(m, n, WARD_MSG_REVOKE, &sealed));
    ex_begin(s, "revoke",
             "alice (the owner) revokes bob, bound under task id `target_tid` (type\n"
             "0x23, flags SEALED): the nonce is random and travels in field 0x02; the\n"
             "plaintext is 0x01 sn, 0x02 target uid, 0x03 target tid (16 raw bytes).");
    ex_str(s, "revoker", UID);
    ex_hex(s, "auth_key", a->auth, sizeof a->auth);
    ex_str(s, "target", TARGET);
    ex_hex(s, "target_tid", ttid, sizeof ttid);
    memcpy(ctx, SN, strlen(SN));
    memcpy(ctx + strlen(SN), UID, strlen(UID));
    ex_note(s, "key = ward_kdf(\"revoke\", ikm = A of the revoker, context = sn || revoker uid)");
    ex_kdf(s, "kdf", WARD_LABEL_REVOKE, a->auth, sizeof a->auth, ctx, strlen(SN) + strlen(UID),
           key, sizeof key);
    ex_note(s, "drawn by the app");
    ex_hex(s, "nonce", sealed.nonce, WARD_AEAD_NONCE_LEN);
    memcpy(ad, m, WARD_HDR_BASE_LEN);
    memcpy(ad + WARD_HDR_BASE_LEN, UID, strlen(UID));
    /* The plaintext as the documented key, nonce and AD open it: what it
     * holds is the code's to say, so a new field needs no edit here. */
    if (ward_aead_open(s->cp, key, sealed.nonce, ad, WARD_HDR_BASE_LEN + strlen(UID),
                       sealed.ct, sealed.ct_len, pt, sizeof pt, &pl) != WARD_OK) {
        ex_fail(s, "the documented REVOKE key, nonce or AD does not open the code's");
    }
    ex_hex(s, "plaintext", pt, pl);
    ex_note(s, "ad = header || revoker uid");
    ex_hex(s, "ad", ad, WARD_HDR_BASE_LEN + strlen(UID));
    EX_OK(s, ward_aead_seal(s->cp, key, sealed.nonce, ad, WARD_HDR_BASE_LEN + strlen(UID), pt,
                            pl, ct, sizeof ct, &cn));
    EX_SAME(s, ct, cn, sealed.ct, sealed.ct_len, "REVOKE ciphertext");
    ex_note(s, "msg = header || 0x01 revoker uid || 0x02 nonce || 0x03 ciphertext and tag");
    ex_msg(s, "msg", m, n);
    memcpy(a->revoke, m, n);
    a->revoke_len = n;
    memcpy(a->revoke_tid, ttid, sizeof ttid);
}

/* The lock's answer to that REVOKE, sealed for alice: "done". */
static void revoke_result(ex_set *s, ab *a)
{
    static const char TARGET[] = "bob";
    uint8_t m[WARD_REVOKE_RESULT_MAX], key[WARD_AEAD_KEY_LEN];
    uint8_t ctx[WARD_SN_MAX + WARD_AEAD_NONCE_LEN + WARD_UID_MAX];
    uint8_t pt[WARD_REVOKE_RESULT_PLAIN_MAX], ct[WARD_REVOKE_RESULT_MAX];
    uint8_t ad[WARD_HDR_BASE_LEN + WARD_UID_MAX];
    size_t n = 0, pl = 0, cn = 0, cl = 0;
    ward_op_sealed rv, sealed;
    ward_revoke_outcome o, opened;
    memset(&o, 0, sizeof o);
    o.outcome = WARD_REVOKE_DONE;
    memcpy(o.target, TARGET, strlen(TARGET));
    o.target_len = strlen(TARGET);
    o.has_tid = true;
    memcpy(o.tid, a->revoke_tid, sizeof o.tid);
    EX_OK(s, ward_op_sealed_split(a->revoke, a->revoke_len, WARD_MSG_REVOKE, &rv));
    EX_OK(s, ward_revoke_result_seal(s->cp, &a->lock_rng, a->auth, (const uint8_t *)SN,
                                     strlen(SN), &rv, &o, m, sizeof m, &n));
    EX_OK(s, ward_revoke_result_open(s->cp, a->auth, (const uint8_t *)SN, strlen(SN),
                                     a->revoke, a->revoke_len, (const uint8_t *)TARGET,
                                     strlen(TARGET), m, n, &opened));
    EX_OK(s, ward_op_sealed_split(m, n, WARD_MSG_REVOKE_RESULT, &sealed));
    ex_begin(s, "revoke-result",
             "The lock's answer to that REVOKE (type 0x25, flags SEALED), sealed for\n"
             "alice: the nonce is the lock's, random, and travels in field 0x02 as a\n"
             "REVOKE's does; plaintext 0x01 outcome (0 done), 0x02 target uid, 0x03\n"
             "the target's tid (16 raw bytes, absent when the target is not bound).");
    memcpy(ctx, SN, strlen(SN));
    cl = strlen(SN);
    memcpy(ctx + cl, rv.nonce, WARD_AEAD_NONCE_LEN);
    cl += WARD_AEAD_NONCE_LEN;
    memcpy(ctx + cl, UID, strlen(UID));
    cl += strlen(UID);
    ex_note(s, "key = ward_kdf(\"revoke result\", ikm = A of the revoker,");
    ex_note(s, "               context = sn || the REVOKE's nonce || revoker uid)");
    ex_kdf(s, "kdf", WARD_LABEL_REVOKE_RESULT, a->auth, sizeof a->auth, ctx, cl, key,
           sizeof key);
    ex_note(s, "drawn by the lock");
    ex_hex(s, "nonce", sealed.nonce, WARD_AEAD_NONCE_LEN);
    pt[pl++] = 0x01;
    pt[pl++] = 0x01;
    pt[pl++] = WARD_REVOKE_DONE;
    pt[pl++] = 0x02;
    pt[pl++] = (uint8_t)strlen(TARGET);
    memcpy(pt + pl, TARGET, strlen(TARGET));
    pl += strlen(TARGET);
    pt[pl++] = 0x03;
    pt[pl++] = WARD_TASK_ID_LEN;
    memcpy(pt + pl, a->revoke_tid, WARD_TASK_ID_LEN);
    pl += WARD_TASK_ID_LEN;
    ex_hex(s, "plaintext", pt, pl);
    memcpy(ad, m, WARD_HDR_BASE_LEN);
    memcpy(ad + WARD_HDR_BASE_LEN, UID, strlen(UID));
    ex_note(s, "ad = header || revoker uid");
    ex_hex(s, "ad", ad, WARD_HDR_BASE_LEN + strlen(UID));
    EX_OK(s, ward_aead_seal(s->cp, key, sealed.nonce, ad, WARD_HDR_BASE_LEN + strlen(UID), pt,
                            pl, ct, sizeof ct, &cn));
    EX_SAME(s, ct, cn, sealed.ct, sealed.ct_len, "REVOKE_RESULT ciphertext");
    ex_note(s, "msg = header || 0x01 revoker uid || 0x02 nonce || 0x03 ciphertext and tag");
    ex_msg(s, "msg", m, n);
}

static void near_hello(ex_set *s)
{
    uint8_t m[WARD_NEAR_HELLO_MAX];
    size_t n = 0;
    EX_OK(s, ward_op_near_hello((const uint8_t *)UID, strlen(UID), WARD_OP_UNLOCK, m, sizeof m,
                                &n));
    ex_begin(s, "near-hello",
             "NEAR_HELLO (type 0x24, flags 0) of the near field: 0x01 uid, 0x02 op.\n"
             "The lock answers it with an OP_REQUEST naming that uid as target (0x04).");
    ex_msg(s, "msg", m, n);
}

/* wardd's record of a phone code: a MAC under its code key, never the
 * code (server/codes.c); shown so another wardd can read the same table. */
static void phone_code(ex_set *s, ab *a)
{
    static const char CODE[] = "204917";
    uint8_t key[32], ctx[WARD_UID_MAX + 1 + WARD_PHONE_MAX + 1 + 6], mac[32];
    size_t n = 0;
    EX_OK(s, a->factory_rng.fill(a->factory_rng.ctx, key, sizeof key));
    memcpy(ctx, UID, strlen(UID));
    n = strlen(UID);
    ctx[n++] = 0x00;
    memcpy(ctx + n, PHONE, strlen(PHONE));
    n += strlen(PHONE);
    ctx[n++] = 0x00;
    memcpy(ctx + n, CODE, 6);
    n += 6;
    ex_begin(s, "phone-code",
             "wardd's record of a phone code it texted to the account alice: a MAC\n"
             "under its code key (32 random bytes in DB.codekey, outside the\n"
             "database), context uid ‖ 0x00 ‖ phone ‖ 0x00 ‖ the code's six ASCII\n"
             "digits. Only wardd computes it; the app sends the code itself.");
    ex_str(s, "uid", UID);
    ex_str(s, "phone", PHONE);
    ex_str(s, "code", CODE);
    ex_hex(s, "code_key", key, sizeof key);
    ex_kdf(s, "kdf", WARD_LABEL_PHONE_CODE, key, sizeof key, ctx, n, mac, sizeof mac);
    ward_wipe(key, sizeof key);
}

void ex_gen_flow_a_b(ex_set *s)
{
    /* Static: a failure longjmps out, and nothing may leak then. */
    static ab env;
    ab *a = &env;
    lock_up(s, a);
    activation(s, a);
    qr(s, a);
    phone_code(s, a);
    escrow(s, a);
    bind_data(s, a);
    op(s, a);
    http(s, a);
    revoke(s, a);
    revoke_result(s, a);
    near_hello(s);
    ward_wipe(a, sizeof *a);
}
