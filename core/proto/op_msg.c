/* Flow B's messages: OP_REQUEST, APPROVAL, OP_RESULT, REVOKE, REVOKE_RESULT
 * and NEAR_HELLO bytes. */
#include <string.h>

#include "ward/ward_op.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "proto_inner.h"
#include "op_inner.h"

/* OP_REQUEST */
#define RQ_SN 0x01u
#define RQ_NONCE 0x02u
#define RQ_OP 0x03u
#define RQ_TARGET 0x04u
#define RQ_EXPIRES 0x05u

/* APPROVAL, OP_RESULT, REVOKE, REVOKE_RESULT bodies */
#define SB_UID 0x01u
#define SB_CT 0x02u
#define RV_NONCE 0x02u
#define RV_CT 0x03u

/* APPROVAL plaintext */
#define AP_OP 0x04u
#define AP_DECISION 0x05u

/* OP_RESULT plaintext */
#define RS_NONCE 0x01u
#define RS_OP 0x02u
#define RS_OUTCOME 0x03u

/* REVOKE plaintext */
#define RP_SN 0x01u
#define RP_TARGET 0x02u
#define RP_TID 0x03u

/* REVOKE_RESULT plaintext */
#define RR_OUTCOME 0x01u
#define RR_TARGET 0x02u
#define RR_TID 0x03u

/* NEAR_HELLO */
#define NH_UID 0x01u
#define NH_OP 0x02u

static const ward_tlv_spec request_spec[] = {
    { RQ_SN, true, 1, WARD_SN_MAX },
    { RQ_NONCE, true, WARD_OP_NONCE_LEN, WARD_OP_NONCE_LEN },
    { RQ_OP, true, 1, 1 },
    { RQ_TARGET, false, 1, WARD_UID_MAX },
    { RQ_EXPIRES, true, 8, 8 },
};

static const ward_tlv_spec approval_spec[] = {
    { SB_UID, true, 1, WARD_UID_MAX },
    { SB_CT, true, WARD_AEAD_TAG_LEN,
      WARD_APPROVAL_PLAIN_MAX + WARD_AEAD_TAG_LEN },
};

static const ward_tlv_spec result_spec[] = {
    { SB_UID, true, 1, WARD_UID_MAX },
    { SB_CT, true, WARD_AEAD_TAG_LEN,
      WARD_OP_RESULT_PLAIN_MAX + WARD_AEAD_TAG_LEN },
};

static const ward_tlv_spec revoke_spec[] = {
    { SB_UID, true, 1, WARD_UID_MAX },
    { RV_NONCE, true, WARD_AEAD_NONCE_LEN, WARD_AEAD_NONCE_LEN },
    { RV_CT, true, WARD_AEAD_TAG_LEN,
      WARD_REVOKE_PLAIN_MAX + WARD_AEAD_TAG_LEN },
};

/* Shaped as a REVOKE: the lock's random nonce travels too. */
static const ward_tlv_spec revoke_result_spec[] = {
    { SB_UID, true, 1, WARD_UID_MAX },
    { RV_NONCE, true, WARD_AEAD_NONCE_LEN, WARD_AEAD_NONCE_LEN },
    { RV_CT, true, WARD_AEAD_TAG_LEN,
      WARD_REVOKE_RESULT_PLAIN_MAX + WARD_AEAD_TAG_LEN },
};

/* The SN, the user id and the lock's nonce are not repeated inside: they
 * are in the key derivation (and the user id in the associated data), so
 * an approval opens only for them, and the message stays small. */
static const ward_tlv_spec approval_plain_spec[] = {
    { AP_OP, true, 1, 1 },
    { AP_DECISION, true, 1, 1 },
};

static const ward_tlv_spec result_plain_spec[] = {
    { RS_NONCE, true, WARD_OP_NONCE_LEN, WARD_OP_NONCE_LEN },
    { RS_OP, true, 1, 1 },
    { RS_OUTCOME, true, 1, 1 },
};

static const ward_tlv_spec revoke_plain_spec[] = {
    { RP_SN, true, 1, WARD_SN_MAX },
    { RP_TARGET, true, 1, WARD_UID_MAX },
    { RP_TID, true, WARD_TASK_ID_LEN, WARD_TASK_ID_LEN },
};

static const ward_tlv_spec revoke_result_plain_spec[] = {
    { RR_OUTCOME, true, 1, 1 },
    { RR_TARGET, true, 1, WARD_UID_MAX },
    { RR_TID, false, WARD_TASK_ID_LEN, WARD_TASK_ID_LEN },
};

static const ward_tlv_spec hello_spec[] = {
    { NH_UID, true, 1, WARD_UID_MAX },
    { NH_OP, true, 1, 1 },
};

/* key (16) || nonce (13), from ward_kdf(label, A, sn || N || uid); N is
 * the lock's 16-byte nonce (a REVOKE_RESULT derives only its key, N then
 * the REVOKE's 13-byte nonce). */
#define OP_KEY_NONCE_LEN (WARD_AEAD_KEY_LEN + WARD_AEAD_NONCE_LEN)
#define OP_CTX_MAX (WARD_SN_MAX + WARD_OP_NONCE_LEN + WARD_UID_MAX)
#define OP_AD_MAX (WARD_HDR_BASE_LEN + WARD_UID_MAX)
/* The largest ciphertext any of the three carries. */
#define OP_PLAIN_MAX2(a, b) ((a) > (b) ? (a) : (b))
#define OP_CT_MAX                                                            \
    (OP_PLAIN_MAX2(OP_PLAIN_MAX2(OP_PLAIN_MAX2(WARD_APPROVAL_PLAIN_MAX,      \
                                               WARD_OP_RESULT_PLAIN_MAX),    \
                                 WARD_REVOKE_PLAIN_MAX),                     \
                   WARD_REVOKE_RESULT_PLAIN_MAX) + WARD_AEAD_TAG_LEN)

static bool op_code_ok(uint8_t op)
{
    return op >= 1u && op <= WARD_OP_MAX;
}

/* ---- OP_REQUEST ---- */

ward_err ward_op_request_encode(const ward_op_request *req, uint8_t *out,
                                size_t cap, size_t *len)
{
    ward_tlv_writer w;
    size_t body_len = 0;
    WARD_ASSERT(req != NULL && out != NULL && len != NULL);
    *len = 0;
    if (ward_check_sn(req->sn, req->sn_len) != WARD_OK ||
        req->nonce == NULL || !op_code_ok(req->op) ||
        (req->target != NULL &&
         ward_check_uid(req->target, req->target_len) != WARD_OK)) {
        return WARD_ERR_PARAM;
    }
    if (cap < WARD_HDR_BASE_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN);
    ward_tlv_put(&w, RQ_SN, req->sn, req->sn_len);
    ward_tlv_put(&w, RQ_NONCE, req->nonce, WARD_OP_NONCE_LEN);
    ward_tlv_put_u8(&w, RQ_OP, req->op);
    if (req->target != NULL) {
        ward_tlv_put(&w, RQ_TARGET, req->target, req->target_len);
    }
    ward_tlv_put_u64(&w, RQ_EXPIRES, req->expires_ms);
    ward_err err = ward_tlv_writer_finish(&w, &body_len);
    if (err == WARD_OK) {
        err = ward_proto_hdr(WARD_MSG_OP_REQUEST, 0, body_len, out, cap);
    }
    if (err == WARD_OK) {
        *len = WARD_HDR_BASE_LEN + body_len;
    }
    return err;
}

ward_err ward_op_request_parse(const uint8_t *msg, size_t len,
                               ward_op_request *req)
{
    ward_tlv_field f[WARD_ARRAY_LEN(request_spec)];
    const uint8_t *body = NULL;
    size_t body_len = 0;
    uint8_t op = 0;
    uint64_t expires = 0;

    WARD_ASSERT(msg != NULL || len == 0);
    WARD_ASSERT(req != NULL);
    memset(req, 0, sizeof *req);
    if (msg == NULL ||
        ward_proto_hdr_check(msg, len, WARD_MSG_OP_REQUEST, 0, &body,
                             &body_len) != WARD_OK ||
        ward_tlv_parse(body, body_len, request_spec,
                       WARD_ARRAY_LEN(request_spec), f) != WARD_OK ||
        !ward_proto_canonical(f, WARD_ARRAY_LEN(f), body_len) ||
        ward_check_sn(f[0].ptr, f[0].len) != WARD_OK ||
        ward_tlv_get_u8(&f[2], &op) != WARD_OK || !op_code_ok(op) ||
        (f[3].present && ward_check_uid(f[3].ptr, f[3].len) != WARD_OK) ||
        ward_tlv_get_u64(&f[4], &expires) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    req->sn = f[0].ptr;
    req->sn_len = f[0].len;
    req->nonce = f[1].ptr;
    req->op = op;
    req->target = f[3].present ? f[3].ptr : NULL;
    req->target_len = f[3].present ? f[3].len : 0;
    req->expires_ms = expires;
    return WARD_OK;
}

/* ---- the sealed shape shared by APPROVAL, OP_RESULT, REVOKE ---- */

ward_err ward_op_sealed_split(const uint8_t *msg, size_t len, uint8_t type,
                              ward_op_sealed *s)
{
    ward_tlv_field f[3];
    const ward_tlv_spec *spec;
    size_t nspec;
    const uint8_t *body = NULL;
    size_t body_len = 0;

    memset(s, 0, sizeof *s);
    switch (type) {
    case WARD_MSG_APPROVAL:
        spec = approval_spec;
        nspec = WARD_ARRAY_LEN(approval_spec);
        break;
    case WARD_MSG_OP_RESULT:
        spec = result_spec;
        nspec = WARD_ARRAY_LEN(result_spec);
        break;
    case WARD_MSG_REVOKE:
        spec = revoke_spec;
        nspec = WARD_ARRAY_LEN(revoke_spec);
        break;
    case WARD_MSG_REVOKE_RESULT:
        spec = revoke_result_spec;
        nspec = WARD_ARRAY_LEN(revoke_result_spec);
        break;
    default:
        return WARD_ERR_FORMAT;
    }
    if (msg == NULL ||
        ward_proto_hdr_check(msg, len, type, WARD_FLAG_SEALED, &body,
                             &body_len) != WARD_OK ||
        ward_tlv_parse(body, body_len, spec, nspec, f) != WARD_OK ||
        !ward_proto_canonical(f, nspec, body_len) ||
        ward_check_uid(f[0].ptr, f[0].len) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    s->uid = f[0].ptr;
    s->uid_len = f[0].len;
    s->nonce = nspec == 3 ? f[1].ptr : NULL;
    s->ct = f[nspec - 1].ptr;
    s->ct_len = f[nspec - 1].len;
    return WARD_OK;
}

ward_err ward_sealed_uid(const uint8_t *msg, size_t len, uint8_t type,
                         const uint8_t **uid, size_t *uid_len)
{
    ward_op_sealed s;
    WARD_ASSERT(msg != NULL || len == 0);
    WARD_ASSERT(uid != NULL && uid_len != NULL);
    *uid = NULL;
    *uid_len = 0;
    ward_err err = ward_op_sealed_split(msg, len, type, &s);
    if (err == WARD_OK) {
        *uid = s.uid;
        *uid_len = s.uid_len;
    }
    return err;
}

ward_err ward_approval_uid(const uint8_t *msg, size_t len,
                           const uint8_t **uid, size_t *uid_len)
{
    WARD_ASSERT(msg != NULL || len == 0);
    if (len < 2) {
        *uid = NULL;
        *uid_len = 0;
        return WARD_ERR_FORMAT;
    }
    return ward_sealed_uid(msg, len, msg[1], uid, uid_len);
}

/* key || nonce13 = ward_kdf(label, A, sn || N || uid): one key and nonce
 * per request and user, so nothing sealed under it opens for another.
 * out_len is OP_KEY_NONCE_LEN, or WARD_AEAD_KEY_LEN for the key alone. */
static ward_err op_key_n(const ward_crypto *cp, const char *label,
                         const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                         const uint8_t *sn, size_t sn_len,
                         const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *uid, size_t uid_len,
                         uint8_t *out, size_t out_len)
{
    uint8_t ctx[OP_CTX_MAX];
    WARD_ASSERT(nonce_len <= WARD_OP_NONCE_LEN);
    WARD_ASSERT(out_len <= OP_KEY_NONCE_LEN);
    memcpy(ctx, sn, sn_len);
    memcpy(ctx + sn_len, nonce, nonce_len);
    memcpy(ctx + sn_len + nonce_len, uid, uid_len);
    return ward_kdf(cp, label, auth_key, WARD_AUTH_KEY_LEN, NULL, 0, ctx,
                    sn_len + nonce_len + uid_len, out, out_len);
}

/* ad = header || uid */
static size_t op_ad(const uint8_t *hdr, const uint8_t *uid, size_t uid_len,
                    uint8_t ad[OP_AD_MAX])
{
    memcpy(ad, hdr, WARD_HDR_BASE_LEN);
    memcpy(ad + WARD_HDR_BASE_LEN, uid, uid_len);
    return WARD_HDR_BASE_LEN + uid_len;
}

/* Writes header || uid || [nonce13] || AEAD(key, nonce13, header || uid,
 * pt). rv_nonce is the random nonce of a REVOKE or REVOKE_RESULT, which
 * travels; NULL for the derived nonce of an APPROVAL or OP_RESULT, which
 * does not. */
static ward_err op_seal_msg(const ward_crypto *cp, uint8_t type,
                            const uint8_t key[WARD_AEAD_KEY_LEN],
                            const uint8_t nonce[WARD_AEAD_NONCE_LEN],
                            const uint8_t *rv_nonce, const uint8_t *uid,
                            size_t uid_len, const uint8_t *pt, size_t pt_len,
                            uint8_t *out, size_t cap, size_t *len)
{
    uint8_t ct[OP_CT_MAX];
    uint8_t ad[OP_AD_MAX];
    size_t ct_len = 0, body_len = 0;
    ward_tlv_writer w;

    size_t ct_field = pt_len + WARD_AEAD_TAG_LEN;
    size_t want = WARD_TLV_SIZE(uid_len) + WARD_TLV_SIZE(ct_field) +
                  (rv_nonce != NULL ? WARD_TLV_SIZE(WARD_AEAD_NONCE_LEN) : 0u);
    if (cap < WARD_HDR_BASE_LEN + want) {
        return WARD_ERR_NOSPACE;
    }
    ward_err err = ward_proto_hdr(type, WARD_FLAG_SEALED, want, out, cap);
    if (err != WARD_OK) {
        return err;
    }
    size_t ad_len = op_ad(out, uid, uid_len, ad);
    err = ward_aead_seal(cp, key, nonce, ad, ad_len, pt, pt_len, ct,
                         sizeof ct, &ct_len);
    if (err != WARD_OK) {
        return err;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN);
    ward_tlv_put(&w, SB_UID, uid, uid_len);
    if (rv_nonce != NULL) {
        ward_tlv_put(&w, RV_NONCE, rv_nonce, WARD_AEAD_NONCE_LEN);
        ward_tlv_put(&w, RV_CT, ct, ct_len);
    } else {
        ward_tlv_put(&w, SB_CT, ct, ct_len);
    }
    err = ward_tlv_writer_finish(&w, &body_len);
    if (err == WARD_OK && body_len != want) {
        err = WARD_ERR_PARAM;
    }
    if (err == WARD_OK) {
        *len = WARD_HDR_BASE_LEN + body_len;
    }
    return err;
}

/* Verifies and decrypts s->ct; WARD_ERR_AUTH for anything that does not
 * verify (the backend's own failure stays WARD_ERR_CRYPTO). */
static ward_err op_open_msg(const ward_crypto *cp,
                            const uint8_t key[WARD_AEAD_KEY_LEN],
                            const uint8_t nonce[WARD_AEAD_NONCE_LEN],
                            const uint8_t *msg, const ward_op_sealed *s,
                            uint8_t *plain, size_t cap, size_t *plain_len)
{
    uint8_t ad[OP_AD_MAX];
    size_t ad_len = op_ad(msg, s->uid, s->uid_len, ad);
    if (s->ct_len - WARD_AEAD_TAG_LEN > cap) {
        return WARD_ERR_AUTH;
    }
    ward_err err = ward_aead_open(cp, key, nonce, ad, ad_len, s->ct,
                                  s->ct_len, plain, cap, plain_len);
    if (err != WARD_OK && err != WARD_ERR_CRYPTO) {
        err = WARD_ERR_AUTH;
    }
    return err;
}

/* APPROVAL and OP_RESULT take key and nonce from ward_kdf(label, A, sn ||
 * n || uid), n the lock's nonce: the derivation, the seal (or the
 * opening) and the wipe of the key, once. */
static ward_err op_seal_derived(const ward_crypto *cp, const char *label, uint8_t type,
                                const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                                const uint8_t *sn, size_t sn_len, const uint8_t *n,
                                size_t n_len, const uint8_t *uid, size_t uid_len,
                                const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                                size_t *len)
{
    uint8_t kn[OP_KEY_NONCE_LEN];
    ward_err err = op_key_n(cp, label, auth_key, sn, sn_len, n, n_len, uid, uid_len, kn,
                            sizeof kn);
    if (err == WARD_OK) {
        err = op_seal_msg(cp, type, kn, kn + WARD_AEAD_KEY_LEN, NULL, uid, uid_len, pt, pt_len,
                          out, cap, len);
    }
    ward_wipe(kn, sizeof kn);
    return err;
}

static ward_err op_open_derived(const ward_crypto *cp, const char *label,
                                const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                                const uint8_t *sn, size_t sn_len, const uint8_t *n,
                                size_t n_len, const uint8_t *msg, const ward_op_sealed *s,
                                uint8_t *plain, size_t cap, size_t *plain_len)
{
    uint8_t kn[OP_KEY_NONCE_LEN];
    ward_err err = op_key_n(cp, label, auth_key, sn, sn_len, n, n_len, s->uid, s->uid_len, kn,
                            sizeof kn);
    if (err == WARD_OK) {
        err = op_open_msg(cp, kn, kn + WARD_AEAD_KEY_LEN, msg, s, plain, cap, plain_len);
    }
    ward_wipe(kn, sizeof kn);
    return err;
}

/* ---- APPROVAL ---- */

static bool request_ok(const ward_op_request *req)
{
    return ward_check_sn(req->sn, req->sn_len) == WARD_OK &&
           req->nonce != NULL && op_code_ok(req->op);
}

ward_err ward_approval_seal(const ward_crypto *cp,
                            const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                            const ward_op_request *req, const uint8_t *uid,
                            size_t uid_len, uint8_t decision, uint8_t *out,
                            size_t cap, size_t *len)
{
    uint8_t pt[WARD_APPROVAL_PLAIN_MAX];
    ward_tlv_writer w;
    size_t pt_len = 0;

    WARD_ASSERT(cp != NULL && auth_key != NULL && req != NULL);
    WARD_ASSERT(out != NULL && len != NULL);
    *len = 0;
    if (!request_ok(req) || ward_check_uid(uid, uid_len) != WARD_OK ||
        decision > WARD_DECISION_ALLOW) {
        return WARD_ERR_PARAM;
    }
    ward_tlv_writer_init(&w, pt, sizeof pt);
    ward_tlv_put_u8(&w, AP_OP, req->op);
    ward_tlv_put_u8(&w, AP_DECISION, decision);
    ward_err err = ward_tlv_writer_finish(&w, &pt_len);
    if (err == WARD_OK) {
        err = op_seal_derived(cp, WARD_LABEL_APPROVAL, WARD_MSG_APPROVAL, auth_key, req->sn,
                              req->sn_len, req->nonce, WARD_OP_NONCE_LEN, uid, uid_len, pt,
                              pt_len, out, cap, len);
    }
    if (err != WARD_OK) {
        ward_wipe(out, cap);
        *len = 0;
    }
    ward_wipe(pt, sizeof pt);
    return err;
}

ward_err ward_approval_open(const ward_crypto *cp,
                            const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                            const uint8_t *sn, size_t sn_len,
                            const uint8_t nonce[WARD_OP_NONCE_LEN],
                            const uint8_t *msg, const ward_op_sealed *s,
                            uint8_t plain[WARD_APPROVAL_PLAIN_MAX],
                            ward_approval_plain *ap)
{
    ward_tlv_field f[WARD_ARRAY_LEN(approval_plain_spec)];
    size_t pt_len = 0;

    memset(ap, 0, sizeof *ap);
    ward_err err = op_open_derived(cp, WARD_LABEL_APPROVAL, auth_key, sn, sn_len, nonce,
                                   WARD_OP_NONCE_LEN, msg, s, plain, WARD_APPROVAL_PLAIN_MAX,
                                   &pt_len);
    if (err != WARD_OK) {
        return err;
    }
    /* Past the tag only the app wrote these bytes: a body that does not
     * parse is as wrong as a bad tag. */
    if (ward_tlv_parse(plain, pt_len, approval_plain_spec,
                       WARD_ARRAY_LEN(approval_plain_spec), f) != WARD_OK ||
        !ward_proto_canonical(f, WARD_ARRAY_LEN(f), pt_len) ||
        ward_tlv_get_u8(&f[0], &ap->op) != WARD_OK ||
        ward_tlv_get_u8(&f[1], &ap->decision) != WARD_OK ||
        ap->decision > WARD_DECISION_ALLOW) {
        ward_wipe(plain, WARD_APPROVAL_PLAIN_MAX);
        memset(ap, 0, sizeof *ap);
        return WARD_ERR_AUTH;
    }
    /* Bound by the key (and the uid by the associated data too). */
    ap->sn = sn;
    ap->sn_len = sn_len;
    ap->uid = s->uid;
    ap->uid_len = s->uid_len;
    ap->nonce = nonce;
    return WARD_OK;
}

/* ---- OP_RESULT ---- */

ward_err ward_op_result_seal(const ward_crypto *cp,
                             const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                             const uint8_t *sn, size_t sn_len,
                             const uint8_t nonce[WARD_OP_NONCE_LEN],
                             uint8_t op, const uint8_t *uid, size_t uid_len,
                             uint8_t outcome, uint8_t *out, size_t cap,
                             size_t *len)
{
    uint8_t pt[WARD_OP_RESULT_PLAIN_MAX];
    ward_tlv_writer w;
    size_t pt_len = 0;

    *len = 0;
    ward_tlv_writer_init(&w, pt, sizeof pt);
    ward_tlv_put(&w, RS_NONCE, nonce, WARD_OP_NONCE_LEN);
    ward_tlv_put_u8(&w, RS_OP, op);
    ward_tlv_put_u8(&w, RS_OUTCOME, outcome);
    ward_err err = ward_tlv_writer_finish(&w, &pt_len);
    if (err == WARD_OK) {
        err = op_seal_derived(cp, WARD_LABEL_OP_RESULT, WARD_MSG_OP_RESULT, auth_key, sn,
                              sn_len, nonce, WARD_OP_NONCE_LEN, uid, uid_len, pt, pt_len, out,
                              cap, len);
    }
    if (err != WARD_OK) {
        *len = 0;
    }
    return err;
}

ward_err ward_op_result_open(const ward_crypto *cp,
                             const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                             const ward_op_request *req, const uint8_t *uid,
                             size_t uid_len, const uint8_t *msg, size_t len,
                             uint8_t *outcome)
{
    ward_tlv_field f[WARD_ARRAY_LEN(result_plain_spec)];
    ward_op_sealed s;
    uint8_t pt[WARD_OP_RESULT_PLAIN_MAX];
    size_t pt_len = 0;
    uint8_t op = 0, oc = 0;

    WARD_ASSERT(cp != NULL && auth_key != NULL && req != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    WARD_ASSERT(outcome != NULL);
    *outcome = 0;
    if (!request_ok(req) || ward_check_uid(uid, uid_len) != WARD_OK) {
        return WARD_ERR_PARAM;
    }
    /* wardd handed this over: whatever is wrong with it, it is not the
     * lock's answer to us. */
    if (ward_op_sealed_split(msg, len, WARD_MSG_OP_RESULT, &s) != WARD_OK ||
        s.uid_len != uid_len || memcmp(s.uid, uid, uid_len) != 0) {
        return WARD_ERR_AUTH;
    }
    ward_err err = op_open_derived(cp, WARD_LABEL_OP_RESULT, auth_key, req->sn, req->sn_len,
                                   req->nonce, WARD_OP_NONCE_LEN, msg, &s, pt, sizeof pt,
                                   &pt_len);
    if (err != WARD_OK) {
        return err;
    }
    if (ward_tlv_parse(pt, pt_len, result_plain_spec,
                       WARD_ARRAY_LEN(result_plain_spec), f) != WARD_OK ||
        !ward_proto_canonical(f, WARD_ARRAY_LEN(f), pt_len) ||
        memcmp(f[0].ptr, req->nonce, WARD_OP_NONCE_LEN) != 0 ||
        ward_tlv_get_u8(&f[1], &op) != WARD_OK || op != req->op ||
        ward_tlv_get_u8(&f[2], &oc) != WARD_OK ||
        oc > WARD_OUTCOME_EXPIRED) {
        return WARD_ERR_AUTH;
    }
    *outcome = oc;
    return WARD_OK;
}

/* ---- REVOKE ---- */

/* key = ward_kdf("revoke", A_revoker, sn || revoker uid). The nonce is
 * random and travels: one revoker may send many revocations. */
static ward_err revoke_key(const ward_crypto *cp,
                           const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                           const uint8_t *sn, size_t sn_len,
                           const uint8_t *uid, size_t uid_len,
                           uint8_t key[WARD_AEAD_KEY_LEN])
{
    uint8_t ctx[WARD_SN_MAX + WARD_UID_MAX];
    memcpy(ctx, sn, sn_len);
    memcpy(ctx + sn_len, uid, uid_len);
    return ward_kdf(cp, WARD_LABEL_REVOKE, auth_key, WARD_AUTH_KEY_LEN, NULL,
                    0, ctx, sn_len + uid_len, key, WARD_AEAD_KEY_LEN);
}

ward_err ward_revoke_seal(const ward_crypto *cp, const ward_random *rng,
                          const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                          const uint8_t *sn, size_t sn_len,
                          const uint8_t *revoker, size_t revoker_len,
                          const uint8_t *target, size_t target_len,
                          const uint8_t target_tid[WARD_TASK_ID_LEN],
                          uint8_t *out, size_t cap, size_t *len)
{
    uint8_t pt[WARD_REVOKE_PLAIN_MAX];
    uint8_t key[WARD_AEAD_KEY_LEN];
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    ward_tlv_writer w;
    size_t pt_len = 0;

    WARD_ASSERT(cp != NULL && rng != NULL && auth_key != NULL);
    WARD_ASSERT(target_tid != NULL && out != NULL && len != NULL);
    *len = 0;
    if (ward_check_sn(sn, sn_len) != WARD_OK ||
        ward_check_uid(revoker, revoker_len) != WARD_OK ||
        ward_check_uid(target, target_len) != WARD_OK) {
        return WARD_ERR_PARAM;
    }
    ward_tlv_writer_init(&w, pt, sizeof pt);
    ward_tlv_put(&w, RP_SN, sn, sn_len);
    ward_tlv_put(&w, RP_TARGET, target, target_len);
    ward_tlv_put(&w, RP_TID, target_tid, WARD_TASK_ID_LEN);
    ward_err err = ward_tlv_writer_finish(&w, &pt_len);
    if (err == WARD_OK) {
        err = rng->fill(rng->ctx, nonce, sizeof nonce);
    }
    if (err == WARD_OK) {
        err = revoke_key(cp, auth_key, sn, sn_len, revoker, revoker_len, key);
    }
    if (err == WARD_OK) {
        err = op_seal_msg(cp, WARD_MSG_REVOKE, key, nonce, nonce, revoker,
                          revoker_len, pt, pt_len, out, cap, len);
    }
    if (err != WARD_OK) {
        ward_wipe(out, cap);
        *len = 0;
    }
    ward_wipe(key, sizeof key);
    return err;
}

ward_err ward_revoke_open(const ward_crypto *cp,
                          const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                          const uint8_t *sn, size_t sn_len,
                          const uint8_t *msg, const ward_op_sealed *s,
                          uint8_t plain[WARD_REVOKE_PLAIN_MAX],
                          ward_revoke_plain *rp)
{
    ward_tlv_field f[WARD_ARRAY_LEN(revoke_plain_spec)];
    uint8_t key[WARD_AEAD_KEY_LEN];
    size_t pt_len = 0;

    memset(rp, 0, sizeof *rp);
    ward_err err = revoke_key(cp, auth_key, sn, sn_len, s->uid, s->uid_len,
                              key);
    if (err == WARD_OK) {
        err = op_open_msg(cp, key, s->nonce, msg, s, plain,
                          WARD_REVOKE_PLAIN_MAX, &pt_len);
    }
    ward_wipe(key, sizeof key);
    if (err != WARD_OK) {
        return err;
    }
    if (ward_tlv_parse(plain, pt_len, revoke_plain_spec,
                       WARD_ARRAY_LEN(revoke_plain_spec), f) != WARD_OK ||
        !ward_proto_canonical(f, WARD_ARRAY_LEN(f), pt_len) ||
        ward_check_uid(f[1].ptr, f[1].len) != WARD_OK) {
        ward_wipe(plain, WARD_REVOKE_PLAIN_MAX);
        return WARD_ERR_AUTH;
    }
    rp->sn = f[0].ptr;
    rp->sn_len = f[0].len;
    rp->target = f[1].ptr;
    rp->target_len = f[1].len;
    rp->tid = f[2].ptr;
    return WARD_OK;
}

/* ---- REVOKE_RESULT ---- */

/* key = ward_kdf("revoke result", A_revoker, sn || the REVOKE's nonce13
 * || revoker uid): a result opens for that one REVOKE. The nonce is the
 * lock's, random, and travels: the lock keeps no record of the REVOKEs it
 * answered, so one delivered twice gets two results under this key. */
static ward_err revoke_result_key(const ward_crypto *cp,
                                  const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                                  const uint8_t *sn, size_t sn_len,
                                  const ward_op_sealed *revoke,
                                  uint8_t key[WARD_AEAD_KEY_LEN])
{
    return op_key_n(cp, WARD_LABEL_REVOKE_RESULT, auth_key, sn, sn_len, revoke->nonce,
                    WARD_AEAD_NONCE_LEN, revoke->uid, revoke->uid_len, key,
                    WARD_AEAD_KEY_LEN);
}

ward_err ward_revoke_result_seal(const ward_crypto *cp, const ward_random *rng,
                                 const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                                 const uint8_t *sn, size_t sn_len,
                                 const ward_op_sealed *revoke,
                                 const ward_revoke_outcome *rr, uint8_t *out,
                                 size_t cap, size_t *len)
{
    uint8_t pt[WARD_REVOKE_RESULT_PLAIN_MAX];
    uint8_t key[WARD_AEAD_KEY_LEN];
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    ward_tlv_writer w;
    size_t pt_len = 0;

    *len = 0;
    ward_tlv_writer_init(&w, pt, sizeof pt);
    ward_tlv_put_u8(&w, RR_OUTCOME, rr->outcome);
    ward_tlv_put(&w, RR_TARGET, rr->target, rr->target_len);
    if (rr->has_tid) {
        ward_tlv_put(&w, RR_TID, rr->tid, WARD_TASK_ID_LEN);
    }
    ward_err err = ward_tlv_writer_finish(&w, &pt_len);
    if (err == WARD_OK) {
        err = rng->fill(rng->ctx, nonce, sizeof nonce);
    }
    if (err == WARD_OK) {
        err = revoke_result_key(cp, auth_key, sn, sn_len, revoke, key);
    }
    if (err == WARD_OK) {
        err = op_seal_msg(cp, WARD_MSG_REVOKE_RESULT, key, nonce, nonce, revoke->uid,
                          revoke->uid_len, pt, pt_len, out, cap, len);
    }
    if (err != WARD_OK) {
        *len = 0;
    }
    ward_wipe(key, sizeof key);
    return err;
}

ward_err ward_revoke_result_open(const ward_crypto *cp,
                                 const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                                 const uint8_t *sn, size_t sn_len,
                                 const uint8_t *revoke, size_t revoke_len,
                                 const uint8_t *target, size_t target_len,
                                 const uint8_t *msg, size_t len,
                                 ward_revoke_outcome *out)
{
    ward_tlv_field f[WARD_ARRAY_LEN(revoke_result_plain_spec)];
    ward_op_sealed rv, s;
    uint8_t key[WARD_AEAD_KEY_LEN];
    uint8_t pt[WARD_REVOKE_RESULT_PLAIN_MAX];
    size_t pt_len = 0;
    uint8_t oc = 0;

    WARD_ASSERT(cp != NULL && auth_key != NULL && out != NULL);
    WARD_ASSERT(revoke != NULL || revoke_len == 0);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(out, 0, sizeof *out);
    if (ward_check_sn(sn, sn_len) != WARD_OK ||
        ward_check_uid(target, target_len) != WARD_OK ||
        ward_op_sealed_split(revoke, revoke_len, WARD_MSG_REVOKE, &rv) !=
            WARD_OK) {
        return WARD_ERR_PARAM;
    }
    /* wardd handed this over: whatever is wrong with it, it is not the
     * lock's answer to our REVOKE. */
    if (ward_op_sealed_split(msg, len, WARD_MSG_REVOKE_RESULT, &s) !=
            WARD_OK ||
        s.uid_len != rv.uid_len || memcmp(s.uid, rv.uid, rv.uid_len) != 0) {
        return WARD_ERR_AUTH;
    }
    ward_err err = revoke_result_key(cp, auth_key, sn, sn_len, &rv, key);
    if (err == WARD_OK) {
        err = op_open_msg(cp, key, s.nonce, msg, &s, pt, sizeof pt, &pt_len);
    }
    ward_wipe(key, sizeof key);
    if (err != WARD_OK) {
        return err;
    }
    if (ward_tlv_parse(pt, pt_len, revoke_result_plain_spec,
                       WARD_ARRAY_LEN(revoke_result_plain_spec), f) !=
            WARD_OK ||
        !ward_proto_canonical(f, WARD_ARRAY_LEN(f), pt_len) ||
        ward_tlv_get_u8(&f[0], &oc) != WARD_OK ||
        oc > WARD_REVOKE_OUTCOME_MAX || f[1].len != target_len ||
        memcmp(f[1].ptr, target, target_len) != 0 ||
        (oc == WARD_REVOKE_NOT_BOUND) != (f[2].ptr == NULL)) {
        /* The lock names the binding it found exactly when it found one:
         * a tid missing, or one for a target it says is not bound, is no
         * result of ours. */
        return WARD_ERR_AUTH;
    }
    out->outcome = oc;
    memcpy(out->revoker, rv.uid, rv.uid_len);
    out->revoker_len = rv.uid_len;
    memcpy(out->target, target, target_len);
    out->target_len = target_len;
    if (f[2].ptr != NULL) {
        out->has_tid = true;
        memcpy(out->tid, f[2].ptr, WARD_TASK_ID_LEN);
    }
    return WARD_OK;
}

/* ---- NEAR_HELLO ---- */

ward_err ward_op_near_hello(const uint8_t *uid, size_t uid_len, uint8_t op,
                            uint8_t *out, size_t cap, size_t *len)
{
    ward_tlv_writer w;
    size_t body_len = 0;
    WARD_ASSERT(out != NULL && len != NULL);
    *len = 0;
    if (ward_check_uid(uid, uid_len) != WARD_OK || !op_code_ok(op)) {
        return WARD_ERR_PARAM;
    }
    if (cap < WARD_HDR_BASE_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN);
    ward_tlv_put(&w, NH_UID, uid, uid_len);
    ward_tlv_put_u8(&w, NH_OP, op);
    ward_err err = ward_tlv_writer_finish(&w, &body_len);
    if (err == WARD_OK) {
        err = ward_proto_hdr(WARD_MSG_NEAR_HELLO, 0, body_len, out, cap);
    }
    if (err == WARD_OK) {
        *len = WARD_HDR_BASE_LEN + body_len;
    }
    return err;
}

ward_err ward_op_near_hello_parse(const uint8_t *msg, size_t len,
                                  const uint8_t **uid, size_t *uid_len,
                                  uint8_t *op)
{
    ward_tlv_field f[WARD_ARRAY_LEN(hello_spec)];
    const uint8_t *body = NULL;
    size_t body_len = 0;
    uint8_t code = 0;

    WARD_ASSERT(msg != NULL || len == 0);
    WARD_ASSERT(uid != NULL && uid_len != NULL && op != NULL);
    *uid = NULL;
    *uid_len = 0;
    *op = 0;
    if (msg == NULL ||
        ward_proto_hdr_check(msg, len, WARD_MSG_NEAR_HELLO, 0, &body,
                             &body_len) != WARD_OK ||
        ward_tlv_parse(body, body_len, hello_spec, WARD_ARRAY_LEN(hello_spec),
                       f) != WARD_OK ||
        !ward_proto_canonical(f, WARD_ARRAY_LEN(f), body_len) ||
        ward_check_uid(f[0].ptr, f[0].len) != WARD_OK ||
        ward_tlv_get_u8(&f[1], &code) != WARD_OK || !op_code_ok(code)) {
        return WARD_ERR_FORMAT;
    }
    *uid = f[0].ptr;
    *uid_len = f[0].len;
    *op = code;
    return WARD_OK;
}
