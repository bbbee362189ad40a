/* The host's side of flow E: bind and bind-lock its secure element, answer its challenge, send authenticated commands. */
#include <string.h>

#include "ward/ward_keystore.h"
#include "ward/ward_se.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "se_inner.h"

#define HB_OFF_VARIANT WARD_SE_ID_LEN
#define HB_OFF_F (WARD_SE_ID_LEN + 1)
#define HB_OFF_LOCKED (WARD_SE_ID_LEN + 2)
#define HB_OFF_CRED_LEN (WARD_SE_ID_LEN + 3)
#define HB_OFF_CRED HOST_BIND_HDR_LEN

/* Reads and checks the binding record (the caller wipes rec).
 * WARD_ERR_NOTFOUND when this host is bound to no SE. */
static ward_err read_binding(const ward_se_host_state *h,
                             uint8_t rec[HOST_BIND_REC_MAX], size_t *len)
{
    ward_err err = ward_store_get(&h->store, HOST_REC_BINDING, rec,
                                  HOST_BIND_REC_MAX, len);
    if (err != WARD_OK) {
        return err == WARD_ERR_NOSPACE ? WARD_ERR_FORMAT : err;
    }
    if (*len < HOST_BIND_HDR_LEN) {
        return WARD_ERR_FORMAT;
    }
    uint8_t v = rec[HB_OFF_VARIANT];
    size_t want = v == WARD_SE_VARIANT_SYM ? WARD_SE_R1_LEN : HOST_CRED_MAX;
    bool ok = (v == WARD_SE_VARIANT_SYM || v == WARD_SE_VARIANT_ASYM) &&
              (v == WARD_SE_VARIANT_ASYM || ward_se_f_len(rec[HB_OFF_F]) != 0) &&
              rec[HB_OFF_LOCKED] <= 1u && rec[HB_OFF_CRED_LEN] == want &&
              *len == HOST_BIND_HDR_LEN + want;
    return ok ? WARD_OK : WARD_ERR_FORMAT;
}

static void forget_pending(ward_se_host_state *h)
{
    h->pend_by = 0;
    h->pend_variant = 0;
    h->pend_f = 0;
    ward_wipe(h->pend_cred, sizeof h->pend_cred);
}

void ward_se_host_end_session(ward_se_host *ctx)
{
    WARD_ASSERT(ctx != NULL);
    ward_se_host_state *h = se_hst(ctx);
    h->info.verified = false;
    ward_wipe(h->ks, sizeof h->ks);
    h->ctr_out = 0;
}

ward_err ward_se_host_open(ward_se_host *ctx, const ward_crypto *cp,
                           const ward_random *rng,
                           const ward_store_port *port)
{
    uint8_t rec[HOST_BIND_REC_MAX];
    size_t len = 0;
    WARD_ASSERT(ctx != NULL && cp != NULL && rng != NULL && port != NULL);
    ward_se_host_state *h = se_hst(ctx);
    memset(ctx, 0, sizeof *ctx);
    h->cp = cp;
    h->rng = *rng;
    ward_err err = ward_store_open(&h->store, port);
    if (err == WARD_OK) {
        err = read_binding(h, rec, &len);
    }
    if (err == WARD_OK) {
        h->info.bound = true;
        h->info.locked = rec[HB_OFF_LOCKED] == 1u;
        memcpy(h->info.se_id, rec, WARD_SE_ID_LEN);
        h->info.variant = rec[HB_OFF_VARIANT];
        h->info.f = rec[HB_OFF_F];
    } else if (err == WARD_ERR_NOTFOUND) {
        err = WARD_OK;
    }
    ward_wipe(rec, sizeof rec);
    return err;
}

void ward_se_host_use_keystore(ward_se_host *ctx, const ward_keystore *ks)
{
    WARD_ASSERT(ctx != NULL);
    ward_se_host_state *h = se_hst(ctx);
    h->keys = ks;
}

/* An asymmetric credential whose private half is all zero (never a
 * valid scalar) is in the keystore. */
static bool cred_external(const uint8_t *cred)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < WARD_P256_SCALAR_LEN; i++) {
        acc |= cred[i];
    }
    return acc == 0;
}

/* The keystore that holds the credential's key (WARD_KEY_SE): the host's,
 * or for a credential kept in the binding record (priv || pub), soft with
 * it put in for this one use (the caller wipes soft). NULL, *err set,
 * when there is none. */
static const ward_keystore *cred_keys(const ward_se_host_state *h, const uint8_t *cred,
                                      ward_keystore_soft *soft, ward_keystore *table,
                                      ward_err *err)
{
    ward_keystore_soft_init(soft, h->cp, NULL, table);
    if (cred_external(cred)) {
        *err = h->keys != NULL ? WARD_OK : WARD_ERR_STATE;
        return h->keys;
    }
    *err = ward_keystore_soft_put(soft, WARD_KEY_SE, cred, cred + WARD_P256_SCALAR_LEN);
    return *err == WARD_OK ? table : NULL;
}

static ward_err cred_sign(const ward_se_host_state *h, const char *label, const uint8_t *cred,
                          const uint8_t *msg, size_t len, uint8_t sig[WARD_P256_SIG_LEN])
{
    ward_keystore_soft soft;
    ward_keystore table;
    ward_err err = WARD_OK;
    const ward_keystore *ks = cred_keys(h, cred, &soft, &table, &err);
    if (ks != NULL) {
        err = ward_sign_by(h->cp, ks, WARD_KEY_SE, label, msg, len, sig);
    }
    ward_keystore_soft_wipe(&soft);
    return err;
}

static ward_err cred_ecdh(const ward_se_host_state *h, const uint8_t *cred,
                          const uint8_t peer[WARD_P256_POINT_LEN],
                          uint8_t shared[WARD_P256_SHARED_LEN])
{
    ward_keystore_soft soft;
    ward_keystore table;
    ward_err err = WARD_OK;
    const ward_keystore *ks = cred_keys(h, cred, &soft, &table, &err);
    if (ks != NULL) {
        err = ks->ecdh(ks->ctx, WARD_KEY_SE, peer, shared);
    }
    ward_keystore_soft_wipe(&soft);
    return err;
}

void ward_se_host_get_info(const ward_se_host *ctx, ward_se_host_info *info)
{
    WARD_ASSERT(ctx != NULL && info != NULL);
    *info = se_chst(ctx)->info;
}

void ward_se_host_close(ward_se_host *ctx)
{
    WARD_ASSERT(ctx != NULL);
    ward_wipe(ctx, sizeof *ctx);
}

ward_err ward_se_host_bind(ward_se_host *ctx, uint8_t r1_by, uint8_t variant,
                           uint8_t f, uint8_t *out, size_t cap,
                           size_t *out_len)
{
    uint8_t p[3 + WARD_P256_POINT_LEN];
    size_t n = 3;
    WARD_ASSERT(ctx != NULL && out != NULL && out_len != NULL);
    ward_se_host_state *h = se_hst(ctx);
    *out_len = 0;
    if (h->info.locked) {
        return WARD_ERR_LOCKED;
    }
    ward_err err = WARD_OK;
    forget_pending(h);
    ward_se_host_end_session(ctx);
    h->expect = 0;
    if (variant == WARD_SE_VARIANT_SYM) {
        if (r1_by != WARD_SE_R1_BY_SE && r1_by != WARD_SE_R1_BY_HOST) {
            return WARD_ERR_PARAM;
        }
        err = ward_se_f_check(h->cp, f);
        p[0] = r1_by;
        p[1] = variant;
        p[2] = f;
        if (err == WARD_OK && r1_by == WARD_SE_R1_BY_HOST) {
            err = h->rng.fill(h->rng.ctx, h->pend_cred, WARD_SE_R1_LEN);
            memcpy(p + 3, h->pend_cred, WARD_SE_R1_LEN);
            n += WARD_SE_R1_LEN;
        }
    } else if (variant == WARD_SE_VARIANT_ASYM) {
        r1_by = 0;
        f = 0;
        p[0] = 0;
        p[1] = variant;
        p[2] = 0;
        if (h->keys != NULL) {
            /* Made in the keystore; the pending private half stays zero,
             * the mark of a key kept outside. */
            memset(h->pend_cred, 0, WARD_P256_SCALAR_LEN);
            err = h->keys->generate(h->keys->ctx, WARD_KEY_SE,
                                    h->pend_cred + WARD_P256_SCALAR_LEN);
            if (err == WARD_ERR_STATE) {
                err = h->keys->public_key(h->keys->ctx, WARD_KEY_SE,
                                          h->pend_cred + WARD_P256_SCALAR_LEN);
            }
        } else {
            err = ward_p256_keygen(h->cp, &h->rng, h->pend_cred,
                                   h->pend_cred + WARD_P256_SCALAR_LEN);
        }
        memcpy(p + 3, h->pend_cred + WARD_P256_SCALAR_LEN,
               WARD_P256_POINT_LEN);
        n += WARD_P256_POINT_LEN;
    } else {
        return WARD_ERR_PARAM;
    }
    if (err == WARD_OK) {
        err = ward_se_frame_encode(WARD_SE_BIND, p, n, out, cap, out_len);
    }
    if (err == WARD_OK) {
        h->pend_by = r1_by;
        h->pend_variant = variant;
        h->pend_f = f;
        h->expect = WARD_SE_BOUND;
    } else {
        forget_pending(h);
    }
    ward_wipe(p, sizeof p);
    return err;
}

ward_err ward_se_host_lock(ward_se_host *ctx, uint8_t *out, size_t cap,
                           size_t *out_len)
{
    uint8_t rec[HOST_BIND_REC_MAX], proof[WARD_P256_SIG_LEN];
    size_t len = 0, n = 0;
    WARD_ASSERT(ctx != NULL && out != NULL && out_len != NULL);
    ward_se_host_state *h = se_hst(ctx);
    *out_len = 0;
    if (!h->info.bound) {
        return WARD_ERR_STATE;
    }
    ward_err err = read_binding(h, rec, &len);
    if (err == WARD_OK && rec[HB_OFF_VARIANT] == WARD_SE_VARIANT_SYM) {
        ward_iov id = { rec, WARD_SE_ID_LEN };
        n = ward_se_f_len(rec[HB_OFF_F]);
        err = ward_se_f(h->cp, rec[HB_OFF_F], rec + HB_OFF_CRED,
                        WARD_LABEL_SE_LOCK, &id, 1, proof);
    } else if (err == WARD_OK) {
        n = WARD_P256_SIG_LEN;
        err = cred_sign(h, WARD_LABEL_SE_LOCK, rec + HB_OFF_CRED, rec, WARD_SE_ID_LEN, proof);
    }
    if (err == WARD_OK) {
        err = ward_se_frame_encode(WARD_SE_BIND_LOCK, proof, n, out, cap,
                                   out_len);
    }
    if (err == WARD_OK) {
        h->expect = WARD_SE_LOCKED;
    }
    ward_wipe(rec, sizeof rec);
    ward_wipe(proof, sizeof proof);
    return err;
}

ward_err ward_se_host_hello(ward_se_host *ctx, uint8_t *out, size_t cap,
                            size_t *out_len)
{
    WARD_ASSERT(ctx != NULL && out != NULL && out_len != NULL);
    ward_se_host_state *h = se_hst(ctx);
    ward_se_host_end_session(ctx);
    ward_err err = ward_se_frame_encode(WARD_SE_HELLO, NULL, 0, out, cap,
                                        out_len);
    if (err == WARD_OK) {
        h->expect = WARD_SE_CHALLENGE;
    }
    return err;
}

ward_err ward_se_host_command(ward_se_host *ctx, const uint8_t *data,
                              size_t len, uint8_t *out, size_t cap,
                              size_t *out_len)
{
    WARD_ASSERT(ctx != NULL && out != NULL && out_len != NULL);
    ward_se_host_state *h = se_hst(ctx);
    WARD_ASSERT(data != NULL || len == 0);
    *out_len = 0;
    if (!h->info.verified || h->ctr_out == 0xFFFFFFFFu) {
        return WARD_ERR_STATE;
    }
    uint32_t ctr = h->ctr_out + 1u;
    ward_err err = ward_se_tagged_frame(h->cp, h->ks, SE_DIR_HOST, WARD_SE_CMD,
                                        ctr, data, len, out, cap, out_len);
    if (err == WARD_OK) {
        /* Counted even if the SE never answers: a counter is never reused. */
        h->ctr_out = ctr;
        h->expect = WARD_SE_RESP;
    }
    return err;
}

/* BOUND: se_id (16) | R1 (32) when the SE made it. */
static ward_err on_bound(ward_se_host_state *h, const uint8_t *p, size_t len,
                         ward_se_event *ev)
{
    uint8_t rec[HOST_BIND_REC_MAX];
    bool sym = h->pend_variant == WARD_SE_VARIANT_SYM;
    bool r1_in = sym && h->pend_by == WARD_SE_R1_BY_SE;
    size_t cred = sym ? WARD_SE_R1_LEN : HOST_CRED_MAX;
    if (len != WARD_SE_ID_LEN + (r1_in ? WARD_SE_R1_LEN : 0u)) {
        forget_pending(h);
        return WARD_ERR_FORMAT;
    }
    memcpy(rec, p, WARD_SE_ID_LEN);
    rec[HB_OFF_VARIANT] = h->pend_variant;
    rec[HB_OFF_F] = h->pend_f;
    rec[HB_OFF_LOCKED] = 0;
    rec[HB_OFF_CRED_LEN] = (uint8_t)cred;
    memcpy(rec + HB_OFF_CRED, r1_in ? p + WARD_SE_ID_LEN : h->pend_cred, cred);
    ward_err err = ward_store_put(&h->store, HOST_REC_BINDING, rec,
                                  HOST_BIND_HDR_LEN + cred);
    if (err == WARD_OK) {
        h->info.bound = true;
        h->info.locked = false;
        memcpy(h->info.se_id, p, WARD_SE_ID_LEN);
        h->info.variant = h->pend_variant;
        h->info.f = h->pend_f;
        ev->kind = WARD_SE_EV_BOUND;
    }
    forget_pending(h);
    ward_wipe(rec, sizeof rec);
    return err;
}

static ward_err on_locked(ward_se_host_state *h, size_t len, ward_se_event *ev)
{
    uint8_t rec[HOST_BIND_REC_MAX];
    size_t rec_len = 0;
    if (len != 0) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = read_binding(h, rec, &rec_len);
    if (err == WARD_OK && rec[HB_OFF_LOCKED] == 0u) {
        rec[HB_OFF_LOCKED] = 1;
        err = ward_store_put(&h->store, HOST_REC_BINDING, rec, rec_len);
    }
    if (err == WARD_OK) {
        h->info.locked = true;
        ev->kind = WARD_SE_EV_LOCKED;
    }
    ward_wipe(rec, sizeof rec);
    return err;
}

/* What answering a challenge needs, wiped in one place. */
typedef struct answer_work {
    uint8_t rec[HOST_BIND_REC_MAX];
    uint8_t nonce[WARD_SE_NONCE_LEN];
    uint8_t p[WARD_SE_NONCE_LEN + WARD_P256_SIG_LEN];
    uint8_t msg[SE_ASYM_SIGNED_LEN];
    uint8_t shared[WARD_P256_SHARED_LEN];
} answer_work;

/* CHALLENGE: state (1) | se_id (16) | variant (1) | f (1), then for a
 * bind-locked SE R2 (32) and, asymmetric, its ephemeral key (65). */
static ward_err on_challenge(ward_se_host_state *h, const uint8_t *p, size_t len,
                             ward_se_event *ev, uint8_t *out, size_t cap,
                             size_t *out_len)
{
    answer_work w;
    size_t rec_len = 0, n = WARD_SE_NONCE_LEN;
    const size_t head = 3 + WARD_SE_ID_LEN;
    if (len < head) {
        return WARD_ERR_FORMAT;
    }
    ev->se_state = p[0];
    if (p[0] != WARD_SE_STATE_LOCKED) {
        return p[0] <= WARD_SE_STATE_BOUND && len == head ? WARD_ERR_STATE
                                                          : WARD_ERR_FORMAT;
    }
    const uint8_t *id = p + 1, *r2 = p + head;
    uint8_t variant = p[1 + WARD_SE_ID_LEN], f = p[2 + WARD_SE_ID_LEN];
    size_t want = head + WARD_SE_R2_LEN +
                  (variant == WARD_SE_VARIANT_ASYM ? WARD_P256_POINT_LEN : 0u);
    if (len != want) {
        return WARD_ERR_FORMAT;
    }
    if (!h->info.bound) {
        return WARD_ERR_STATE;
    }
    /* Another kind of binding cannot be ours: the SE would refuse. */
    if (variant != h->info.variant ||
        (variant == WARD_SE_VARIANT_SYM && f != h->info.f)) {
        return WARD_ERR_AUTH;
    }
    ward_err err = read_binding(h, w.rec, &rec_len);
    if (err == WARD_OK) {
        err = h->rng.fill(h->rng.ctx, w.nonce, sizeof w.nonce);
    }
    memcpy(w.p, w.nonce, WARD_SE_NONCE_LEN);
    if (err == WARD_OK && variant == WARD_SE_VARIANT_SYM) {
        /* The SE's id comes from its challenge, not from our record: an
         * answer is only right for the SE holding R1 and that id, and
         * the SE is the judge. */
        ward_iov parts[3] = { { id, WARD_SE_ID_LEN },
                              { r2, WARD_SE_R2_LEN },
                              { w.nonce, WARD_SE_NONCE_LEN } };
        err = ward_se_f(h->cp, f, w.rec + HB_OFF_CRED, WARD_LABEL_SE_ANSWER,
                        parts, 3, w.p + n);
        n += ward_se_f_len(f);
        if (err == WARD_OK) {
            err = ward_se_session_key(h->cp, w.rec + HB_OFF_CRED,
                                      WARD_SE_R1_LEN, id, r2, w.nonce, NULL,
                                      h->ks);
        }
    } else if (err == WARD_OK) {
        const uint8_t *eph = r2 + WARD_SE_R2_LEN;
        err = cred_ecdh(h, w.rec + HB_OFF_CRED, eph, w.shared);
        if (err == WARD_OK) {
            ward_se_asym_signed(id, r2, eph, w.nonce, w.msg);
            err = cred_sign(h, WARD_LABEL_SE_ANSWER, w.rec + HB_OFF_CRED, w.msg,
                            sizeof w.msg, w.p + n);
            n += WARD_P256_SIG_LEN;
        }
        if (err == WARD_OK) {
            err = ward_se_session_key(h->cp, w.shared, sizeof w.shared, id,
                                      r2, w.nonce, eph, h->ks);
        }
    }
    if (err == WARD_OK) {
        err = ward_se_frame_encode(WARD_SE_ANSWER, w.p, n, out, cap, out_len);
    }
    if (err == WARD_OK) {
        h->expect = WARD_SE_VERIFIED;
        ev->kind = WARD_SE_EV_CHALLENGE;
    } else {
        ward_wipe(h->ks, sizeof h->ks);
        *out_len = 0;
    }
    ward_wipe(&w, sizeof w);
    return err;
}

/* VERIFIED: the SE's tag under the session key, so the host knows it
 * talks to the SE that holds the binding, with the same key. */
static ward_err on_verified(ward_se_host_state *h, const uint8_t *p, size_t len,
                            ward_se_event *ev)
{
    uint8_t want[WARD_SE_TAG_LEN];
    if (len != WARD_SE_TAG_LEN) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = ward_se_tag(h->cp, h->ks, SE_DIR_SE, WARD_SE_VERIFIED, 0,
                               NULL, 0, want);
    if (err == WARD_OK && !ward_ct_equal(want, p, WARD_SE_TAG_LEN)) {
        err = WARD_ERR_AUTH;
    }
    ward_wipe(want, sizeof want);
    if (err != WARD_OK) {
        return err;
    }
    h->info.verified = true;
    h->ctr_out = 0;
    ev->kind = WARD_SE_EV_VERIFIED;
    return WARD_OK;
}

/* RESP: ctr (4) | data | tag (16), the counter of the command it answers. */
static ward_err on_resp(ward_se_host_state *h, const uint8_t *p, size_t len,
                        ward_se_event *ev)
{
    if (!h->info.verified) {
        return WARD_ERR_STATE;
    }
    uint32_t ctr = 0;
    size_t dlen = 0;
    ward_err err = ward_se_tagged_check(h->cp, h->ks, SE_DIR_SE, WARD_SE_RESP,
                                        p, len, &ctr, &dlen);
    if (err == WARD_OK && ctr != h->ctr_out) {
        err = WARD_ERR_AUTH;
    }
    if (err != WARD_OK) {
        return err;
    }
    ev->kind = WARD_SE_EV_RESPONSE;
    ev->len = dlen;
    memcpy(ev->data, p + WARD_SE_CTR_LEN, dlen);
    return WARD_OK;
}

ward_err ward_se_host_input(ward_se_host *ctx, const uint8_t *in,
                            size_t in_len, ward_se_event *ev, uint8_t *out,
                            size_t cap, size_t *out_len)
{
    uint8_t type = 0;
    const uint8_t *p = NULL;
    size_t len = 0;
    WARD_ASSERT(ctx != NULL && ev != NULL && out != NULL && out_len != NULL);
    ward_se_host_state *h = se_hst(ctx);
    WARD_ASSERT(in != NULL || in_len == 0);
    memset(ev, 0, sizeof *ev);
    *out_len = 0;
    ward_err err = ward_se_frame_parse(in, in_len, &type, &p, &len);
    if (err != WARD_OK) {
        return err;
    }
    uint8_t expect = h->expect;
    if (type == WARD_SE_ERROR) {
        if (expect == 0) {
            return WARD_ERR_STATE;
        }
        if (len != 5 || p[0] == 0 || p[0] >= WARD_ERR_COUNT) {
            return WARD_ERR_FORMAT;
        }
        h->expect = 0;
        if (expect == WARD_SE_BOUND) {
            forget_pending(h);
        }
        ev->kind = WARD_SE_EV_REFUSED;
        ev->err = (ward_err)p[0];
        ev->wait_ms = ward_load32(p + 1);
        return ev->err;
    }
    /* The SE may send its challenge unasked, at its power-up. */
    if (type != expect && !(type == WARD_SE_CHALLENGE && expect == 0)) {
        return WARD_ERR_STATE;
    }
    h->expect = 0;
    switch (type) {
    case WARD_SE_BOUND:
        return on_bound(h, p, len, ev);
    case WARD_SE_LOCKED:
        return on_locked(h, len, ev);
    case WARD_SE_CHALLENGE:
        ward_se_host_end_session(ctx);
        return on_challenge(h, p, len, ev, out, cap, out_len);
    case WARD_SE_VERIFIED:
        err = on_verified(h, p, len, ev);
        break;
    default:
        err = on_resp(h, p, len, ev);
        break;
    }
    /* A forged VERIFIED or RESP from a device on the bus is dropped: the
     * host still takes the SE's genuine one after it. */
    if (err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT) {
        h->expect = type;
    }
    return err;
}
