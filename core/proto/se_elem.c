/* The secure element's side of flow E: binding, bind-lock, the power-up check with back-off, the session's commands. */
#include <string.h>

#include "ward/ward_se.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "se_inner.h"

static ward_err now_ms(const ward_se_elem_state *se, uint64_t *ms)
{
    return se->clock.now_ms(se->clock.ctx, ms);
}

/* Reads and checks the binding record into rec (the caller wipes it).
 * WARD_ERR_NOTFOUND when unbound. */
static ward_err read_binding(const ward_se_elem_state *se,
                             uint8_t rec[SE_BIND_REC_MAX], size_t *len)
{
    ward_err err = ward_store_get(&se->store, SE_REC_BINDING, rec,
                                  SE_BIND_REC_MAX, len);
    if (err != WARD_OK) {
        return err == WARD_ERR_NOSPACE ? WARD_ERR_FORMAT : err;
    }
    size_t want = rec[1] == WARD_SE_VARIANT_SYM ? WARD_SE_R1_LEN
                                                : WARD_P256_POINT_LEN;
    bool ok = *len >= SE_BIND_HDR_LEN &&
              (rec[0] == WARD_SE_STATE_BOUND ||
               rec[0] == WARD_SE_STATE_LOCKED) &&
              (rec[1] == WARD_SE_VARIANT_SYM ||
               rec[1] == WARD_SE_VARIANT_ASYM) &&
              (rec[1] == WARD_SE_VARIANT_ASYM || ward_se_f_len(rec[2]) != 0) &&
              rec[3] == want && *len == SE_BIND_HDR_LEN + want;
    return ok ? WARD_OK : WARD_ERR_FORMAT;
}

ward_err ward_se_elem_open(ward_se_elem *ctx, const ward_crypto *cp,
                           const ward_random *rng, const ward_clock *clock,
                           const ward_store_port *port)
{
    uint8_t rec[SE_BIND_REC_MAX];
    size_t len = 0;
    WARD_ASSERT(ctx != NULL && cp != NULL && rng != NULL && clock != NULL &&
                port != NULL);
    ward_se_elem_state *se = se_est(ctx);
    memset(ctx, 0, sizeof *ctx);
    se->cp = cp;
    se->rng = *rng;
    se->clock = *clock;
    ward_err err = ward_store_open(&se->store, port);
    if (err == WARD_OK) {
        err = ward_store_get(&se->store, SE_REC_ID, se->info.id, sizeof se->info.id,
                             &len);
        if (err == WARD_ERR_NOTFOUND) {
            /* The very first power-up: an id for the host to bind into
             * its answers, so one answer never serves two SEs. */
            err = se->rng.fill(se->rng.ctx, se->info.id, sizeof se->info.id);
            if (err == WARD_OK) {
                err = ward_store_put(&se->store, SE_REC_ID, se->info.id,
                                     sizeof se->info.id);
            }
        } else if (err == WARD_OK && len != WARD_SE_ID_LEN) {
            err = WARD_ERR_FORMAT;
        }
    }
    if (err == WARD_OK) {
        err = read_binding(se, rec, &len);
        if (err == WARD_OK) {
            se->info.state = rec[0];
            se->info.variant = rec[1];
            se->info.f = rec[2];
        } else if (err == WARD_ERR_NOTFOUND) {
            se->info.state = WARD_SE_STATE_UNBOUND;
            err = WARD_OK;
        }
        ward_wipe(rec, sizeof rec);
    }
    if (err == WARD_OK) {
        uint8_t fr[SE_FAILS_REC_LEN];
        err = ward_store_get(&se->store, SE_REC_FAILS, fr, sizeof fr, &len);
        if (err == WARD_OK && len == SE_FAILS_REC_LEN) {
            se->info.fails = ward_load32(fr);
            se->last_fail_ms = ward_load64(fr + 4);
        } else if (err == WARD_ERR_NOTFOUND) {
            err = WARD_OK;
        } else if (err == WARD_OK || err == WARD_ERR_NOSPACE) {
            err = WARD_ERR_FORMAT;
        }
    }
    if (err == WARD_OK) {
        err = now_ms(se, &se->boot_ms);
    }
    return err;
}

/* WARD_SE_BACKOFF_MS after the first failure, doubling, capped. */
static uint32_t backoff_ms(uint32_t fails)
{
    uint64_t d = WARD_SE_BACKOFF_MS;
    if (fails == 0) {
        return 0;
    }
    for (uint32_t i = 1; i < fails && d < WARD_SE_BACKOFF_MAX_MS; i++) {
        d *= 2;
    }
    return d > WARD_SE_BACKOFF_MAX_MS ? (uint32_t)WARD_SE_BACKOFF_MAX_MS
                                      : (uint32_t)d;
}

/* How long until the SE gives a challenge again (0: now). */
static ward_err wait_left(const ward_se_elem_state *se, uint32_t *wait_ms)
{
    uint64_t now = 0, base;
    *wait_ms = 0;
    if (se->info.fails == 0) {
        return WARD_OK;
    }
    ward_err err = now_ms(se, &now);
    if (err != WARD_OK) {
        return err;
    }
    /* Without a trusted clock the SE cannot tell how long it was off, so
     * every power-up waits the whole back-off again: pulling the power
     * does not shorten it. */
    if (se->failed_here) {
        base = se->ram_fail_ms;
    } else if (se->clock.trusted && se->last_fail_ms <= now) {
        base = se->last_fail_ms;
    } else {
        base = se->boot_ms;
    }
    uint64_t end = base + backoff_ms(se->info.fails);
    if (now < end) {
        uint64_t left = end - now;
        *wait_ms = left > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)left;
    }
    return WARD_OK;
}

ward_err ward_se_elem_wait(const ward_se_elem *ctx, uint32_t *wait_ms)
{
    WARD_ASSERT(ctx != NULL && wait_ms != NULL);
    return wait_left(se_cest(ctx), wait_ms);
}

/* The link went down, or the check failed: no challenge, no session. */
static void end_session(ward_se_elem_state *se)
{
    se->challenged = false;
    ward_wipe(se->r2, sizeof se->r2);
    ward_wipe(se->eph_priv, sizeof se->eph_priv);
    ward_wipe(se->eph_pub, sizeof se->eph_pub);
    se->info.verified = false;
    ward_wipe(se->ks, sizeof se->ks);
    se->ctr_in = 0;
    se->cmd_pending = false;
}

void ward_se_elem_end_session(ward_se_elem *ctx)
{
    WARD_ASSERT(ctx != NULL);
    end_session(se_est(ctx));
}

void ward_se_elem_get_info(const ward_se_elem *ctx, ward_se_elem_info *info)
{
    WARD_ASSERT(ctx != NULL && info != NULL);
    *info = se_cest(ctx)->info;
}

void ward_se_elem_close(ward_se_elem *ctx)
{
    WARD_ASSERT(ctx != NULL);
    ward_wipe(ctx, sizeof *ctx);
}

static ward_err on_hello(ward_se_elem_state *se, size_t len, ward_se_event *ev,
                         uint8_t *out, size_t cap, size_t *out_len,
                         uint32_t *wait)
{
    uint8_t p[3 + WARD_SE_ID_LEN + WARD_SE_R2_LEN + WARD_P256_POINT_LEN];
    size_t n = 0;
    if (len != 0) {
        return WARD_ERR_FORMAT;
    }
    /* A new challenge starts a new check: whatever came before is over. */
    end_session(se);
    p[n++] = se->info.state;
    memcpy(p + n, se->info.id, WARD_SE_ID_LEN);
    n += WARD_SE_ID_LEN;
    p[n++] = se->info.variant;
    p[n++] = se->info.f;
    if (se->info.state != WARD_SE_STATE_LOCKED) {
        /* Not bind-locked: no check, no services; say where it stands. */
        return ward_se_frame_encode(WARD_SE_CHALLENGE, p, n, out, cap,
                                    out_len);
    }
    ward_err err = wait_left(se, wait);
    if (err == WARD_OK && *wait > 0) {
        err = WARD_ERR_BUSY;
    }
    if (err == WARD_OK) {
        err = se->rng.fill(se->rng.ctx, se->r2, sizeof se->r2);
    }
    if (err == WARD_OK && se->info.variant == WARD_SE_VARIANT_ASYM) {
        err = ward_p256_keygen(se->cp, &se->rng, se->eph_priv, se->eph_pub);
    }
    if (err != WARD_OK) {
        end_session(se);
        return err;
    }
    memcpy(p + n, se->r2, WARD_SE_R2_LEN);
    n += WARD_SE_R2_LEN;
    if (se->info.variant == WARD_SE_VARIANT_ASYM) {
        memcpy(p + n, se->eph_pub, WARD_P256_POINT_LEN);
        n += WARD_P256_POINT_LEN;
    }
    se->challenged = true;
    ev->kind = WARD_SE_EV_CHALLENGE;
    return ward_se_frame_encode(WARD_SE_CHALLENGE, p, n, out, cap, out_len);
}

/* BIND: by (1) | variant (1) | f (1) | R1 (32, by the host) or the
 * host's public key (65, asymmetric). */
static ward_err on_bind(ward_se_elem_state *se, const uint8_t *p, size_t len,
                        ward_se_event *ev, uint8_t *out, size_t cap,
                        size_t *out_len)
{
    uint8_t rec[SE_BIND_REC_MAX], reply[WARD_SE_ID_LEN + WARD_SE_R1_LEN];
    static const uint8_t probe_key[WARD_SE_R1_LEN] = { 0 };
    uint8_t probe[32];
    size_t n = WARD_SE_ID_LEN;
    ward_err err = WARD_OK;

    if (se->info.state == WARD_SE_STATE_LOCKED) {
        return WARD_ERR_LOCKED;
    }
    if (len < 3) {
        return WARD_ERR_FORMAT;
    }
    uint8_t by = p[0], variant = p[1], f = p[2];
    rec[0] = WARD_SE_STATE_BOUND;
    rec[1] = variant;
    rec[2] = f;
    if (variant == WARD_SE_VARIANT_SYM) {
        if (!((by == WARD_SE_R1_BY_SE && len == 3) ||
              (by == WARD_SE_R1_BY_HOST && len == 3 + WARD_SE_R1_LEN)) ||
            ward_se_f_len(f) == 0) {
            return WARD_ERR_FORMAT;
        }
        /* Refuse an f this SE cannot compute now, not at every power-up. */
        err = ward_se_f(se->cp, f, probe_key, WARD_LABEL_SE_LOCK, NULL, 0,
                        probe);
        if (err != WARD_OK) {
            return err == WARD_ERR_CRYPTO ? err : WARD_ERR_UNSUPPORTED;
        }
        rec[3] = WARD_SE_R1_LEN;
        if (by == WARD_SE_R1_BY_SE) {
            err = se->rng.fill(se->rng.ctx, rec + SE_BIND_HDR_LEN,
                               WARD_SE_R1_LEN);
        } else {
            memcpy(rec + SE_BIND_HDR_LEN, p + 3, WARD_SE_R1_LEN);
        }
    } else if (variant == WARD_SE_VARIANT_ASYM) {
        if (by != 0 || f != 0 || len != 3 + WARD_P256_POINT_LEN ||
            se->cp->p256_point_check(p + 3) != WARD_OK) {
            return WARD_ERR_FORMAT;
        }
        rec[3] = WARD_P256_POINT_LEN;
        memcpy(rec + SE_BIND_HDR_LEN, p + 3, WARD_P256_POINT_LEN);
    } else {
        return WARD_ERR_FORMAT;
    }
    end_session(se);
    if (err == WARD_OK) {
        /* Rewriting before the lock is allowed: a failed factory binding
         * must not scrap the SE. */
        err = ward_store_put(&se->store, SE_REC_BINDING, rec,
                             SE_BIND_HDR_LEN + rec[3]);
    }
    if (err == WARD_OK) {
        se->info.state = WARD_SE_STATE_BOUND;
        se->info.variant = variant;
        se->info.f = f;
        memcpy(reply, se->info.id, WARD_SE_ID_LEN);
        if (variant == WARD_SE_VARIANT_SYM && by == WARD_SE_R1_BY_SE) {
            memcpy(reply + n, rec + SE_BIND_HDR_LEN, WARD_SE_R1_LEN);
            n += WARD_SE_R1_LEN;
        }
        err = ward_se_frame_encode(WARD_SE_BOUND, reply, n, out, cap, out_len);
        ev->kind = WARD_SE_EV_BOUND;
    }
    ward_wipe(rec, sizeof rec);
    ward_wipe(reply, sizeof reply);
    return err;
}

/* BIND_LOCK: f(R1, "se lock" || se_id), or the host's signature over
 * se_id: only the holder of the binding can lock it. */
static ward_err on_lock(ward_se_elem_state *se, const uint8_t *p, size_t len,
                        ward_se_event *ev, uint8_t *out, size_t cap,
                        size_t *out_len)
{
    uint8_t rec[SE_BIND_REC_MAX], want[32];
    size_t rec_len = 0;
    if (se->info.state == WARD_SE_STATE_UNBOUND) {
        return WARD_ERR_STATE;
    }
    ward_err err = read_binding(se, rec, &rec_len);
    if (err == WARD_OK && rec[1] == WARD_SE_VARIANT_SYM) {
        ward_iov id = { se->info.id, WARD_SE_ID_LEN };
        size_t flen = ward_se_f_len(rec[2]);
        err = len != flen ? WARD_ERR_FORMAT
                          : ward_se_f(se->cp, rec[2], rec + SE_BIND_HDR_LEN,
                                      WARD_LABEL_SE_LOCK, &id, 1, want);
        if (err == WARD_OK && !ward_ct_equal(want, p, flen)) {
            err = WARD_ERR_AUTH;
        }
    } else if (err == WARD_OK) {
        err = len != WARD_P256_SIG_LEN
                  ? WARD_ERR_FORMAT
                  : ward_verify(se->cp, WARD_LABEL_SE_LOCK,
                                rec + SE_BIND_HDR_LEN, se->info.id,
                                WARD_SE_ID_LEN, p);
        if (err != WARD_OK && err != WARD_ERR_FORMAT) {
            err = WARD_ERR_AUTH;
        }
    }
    if (err == WARD_OK && rec[0] == WARD_SE_STATE_BOUND) {
        /* The lock bit lives in the record with R1: one update sets it. */
        rec[0] = WARD_SE_STATE_LOCKED;
        err = ward_store_put(&se->store, SE_REC_BINDING, rec, rec_len);
    }
    if (err == WARD_OK) {
        se->info.state = WARD_SE_STATE_LOCKED;
        ev->kind = WARD_SE_EV_LOCKED;
        err = ward_se_frame_encode(WARD_SE_LOCKED, NULL, 0, out, cap, out_len);
    }
    ward_wipe(rec, sizeof rec);
    ward_wipe(want, sizeof want);
    return err;
}

/* Counts a failure in the store, before anything is compared. */
static ward_err count_failure(ward_se_elem_state *se, uint64_t now)
{
    uint8_t fr[SE_FAILS_REC_LEN];
    uint32_t fails = se->info.fails == 0xFFFFFFFFu ? se->info.fails : se->info.fails + 1u;
    ward_store32(fr, fails);
    ward_store64(fr + 4, now);
    ward_err err = ward_store_put(&se->store, SE_REC_FAILS, fr, sizeof fr);
    if (err == WARD_OK) {
        se->info.fails = fails;
        se->last_fail_ms = now;
    }
    return err;
}

/* What the answer's check needs, wiped in one place. */
typedef struct answer_work {
    uint8_t rec[SE_BIND_REC_MAX];
    uint8_t r2[WARD_SE_R2_LEN];
    uint8_t eph_priv[WARD_P256_SCALAR_LEN];
    uint8_t eph_pub[WARD_P256_POINT_LEN];
    uint8_t want[32];
    uint8_t msg[SE_ASYM_SIGNED_LEN];
    uint8_t shared[WARD_P256_SHARED_LEN];
    uint8_t tag[WARD_SE_TAG_LEN];
} answer_work;

static ward_err answer_check(ward_se_elem_state *se, answer_work *w,
                             const uint8_t *p, size_t len, bool *match)
{
    size_t rec_len = 0;
    *match = false;
    ward_err err = read_binding(se, w->rec, &rec_len);
    if (err != WARD_OK) {
        return err;
    }
    const uint8_t *nonce = p;
    if (w->rec[1] == WARD_SE_VARIANT_SYM) {
        ward_iov parts[3] = { { se->info.id, WARD_SE_ID_LEN },
                              { w->r2, WARD_SE_R2_LEN },
                              { nonce, WARD_SE_NONCE_LEN } };
        size_t flen = ward_se_f_len(w->rec[2]);
        err = ward_se_f(se->cp, w->rec[2], w->rec + SE_BIND_HDR_LEN,
                        WARD_LABEL_SE_ANSWER, parts, 3, w->want);
        if (err == WARD_OK) {
            *match = len == WARD_SE_NONCE_LEN + flen &&
                     ward_ct_equal(w->want, p + WARD_SE_NONCE_LEN, flen);
        }
        if (err == WARD_OK && *match) {
            err = ward_se_session_key(se->cp, w->rec + SE_BIND_HDR_LEN,
                                      WARD_SE_R1_LEN, se->info.id, w->r2, nonce,
                                      NULL, se->ks);
        }
        return err;
    }
    ward_se_asym_signed(se->info.id, w->r2, w->eph_pub, nonce, w->msg);
    err = len != WARD_SE_NONCE_LEN + WARD_P256_SIG_LEN
              ? WARD_ERR_AUTH
              : ward_verify(se->cp, WARD_LABEL_SE_ANSWER,
                            w->rec + SE_BIND_HDR_LEN, w->msg, sizeof w->msg,
                            p + WARD_SE_NONCE_LEN);
    if (err == WARD_ERR_AUTH) {
        return WARD_OK;
    }
    *match = err == WARD_OK;
    if (err == WARD_OK) {
        err = se->cp->p256_ecdh(w->eph_priv, w->rec + SE_BIND_HDR_LEN,
                                w->shared);
    }
    if (err == WARD_OK) {
        err = ward_se_session_key(se->cp, w->shared, sizeof w->shared, se->info.id,
                                  w->r2, nonce, w->eph_pub, se->ks);
    }
    if (err != WARD_OK) {
        *match = false;
    }
    return err;
}

/* ANSWER: nonce (16) | f(R1, R2) (16 or 32), or nonce | signature (64). */
static ward_err on_answer(ward_se_elem_state *se, const uint8_t *p, size_t len,
                          ward_se_event *ev, uint8_t *out, size_t cap,
                          size_t *out_len, uint32_t *wait)
{
    answer_work w;
    uint64_t now = 0;
    bool match = false;
    if (!se->challenged) {
        return WARD_ERR_STATE;
    }
    /* One answer per challenge, right or wrong. */
    memcpy(w.r2, se->r2, sizeof w.r2);
    memcpy(w.eph_priv, se->eph_priv, sizeof w.eph_priv);
    memcpy(w.eph_pub, se->eph_pub, sizeof w.eph_pub);
    end_session(se);
    if (len < WARD_SE_NONCE_LEN) {
        ward_wipe(&w, sizeof w);
        return WARD_ERR_FORMAT;
    }
    ward_err err = now_ms(se, &now);
    if (err == WARD_OK) {
        /* Counted before the comparison: cutting the power once the
         * answer is in cannot save a wrong guess from the counter. */
        err = count_failure(se, now);
    }
    if (err == WARD_OK) {
        err = answer_check(se, &w, p, len, &match);
    }
    if (err == WARD_OK && !match) {
        se->failed_here = true;
        se->ram_fail_ms = now;
        *wait = backoff_ms(se->info.fails);
        err = WARD_ERR_AUTH;
    }
    if (err == WARD_OK) {
        err = ward_store_remove(&se->store, SE_REC_FAILS);
    }
    if (err == WARD_OK) {
        se->info.fails = 0;
        se->last_fail_ms = 0;
        se->failed_here = false;
        err = ward_se_tag(se->cp, se->ks, SE_DIR_SE, WARD_SE_VERIFIED, 0, NULL,
                          0, w.tag);
    }
    if (err == WARD_OK) {
        err = ward_se_frame_encode(WARD_SE_VERIFIED, w.tag, sizeof w.tag, out,
                                   cap, out_len);
    }
    if (err == WARD_OK) {
        se->info.verified = true;
        se->ctr_in = 0;
        ev->kind = WARD_SE_EV_VERIFIED;
    } else {
        ward_wipe(se->ks, sizeof se->ks);
    }
    ward_wipe(&w, sizeof w);
    return err;
}

/* CMD: ctr (4) | data | tag (16). */
static ward_err on_cmd(ward_se_elem_state *se, const uint8_t *p, size_t len,
                       ward_se_event *ev)
{
    if (!se->info.verified) {
        return WARD_ERR_STATE;
    }
    uint32_t ctr = 0;
    size_t dlen = 0;
    ward_err err = ward_se_tagged_check(se->cp, se->ks, SE_DIR_HOST, WARD_SE_CMD,
                                        p, len, &ctr, &dlen);
    if (err == WARD_ERR_AUTH) {
        /* A forgery on the bus: end the session, the host checks again. */
        end_session(se);
    }
    if (err != WARD_OK) {
        return err;
    }
    /* Genuine but not the next one: a replay or a reordering. Refused;
     * the session goes on, since only the host can make such a frame. */
    if (se->ctr_in == 0xFFFFFFFFu || ctr != se->ctr_in + 1u) {
        return WARD_ERR_AUTH;
    }
    se->ctr_in = ctr;
    se->cmd_pending = true;
    ev->kind = WARD_SE_EV_COMMAND;
    ev->len = dlen;
    memcpy(ev->data, p + WARD_SE_CTR_LEN, dlen);
    return WARD_OK;
}

ward_err ward_se_elem_input(ward_se_elem *ctx, const uint8_t *in,
                            size_t in_len, ward_se_event *ev, uint8_t *out,
                            size_t cap, size_t *out_len)
{
    uint8_t type = 0;
    const uint8_t *p = NULL;
    size_t len = 0;
    uint32_t wait = 0;
    WARD_ASSERT(ctx != NULL && ev != NULL && out != NULL && out_len != NULL);
    ward_se_elem_state *se = se_est(ctx);
    WARD_ASSERT(in != NULL || in_len == 0);
    WARD_ASSERT(cap >= WARD_SE_FRAME_MAX);
    memset(ev, 0, sizeof *ev);
    *out_len = 0;
    /* A command the caller did not answer is dropped. */
    se->cmd_pending = false;

    ward_err err = ward_se_frame_parse(in, in_len, &type, &p, &len);
    if (err == WARD_OK) {
        switch (type) {
        case WARD_SE_HELLO:
            err = on_hello(se, len, ev, out, cap, out_len, &wait);
            break;
        case WARD_SE_BIND:
            err = on_bind(se, p, len, ev, out, cap, out_len);
            break;
        case WARD_SE_BIND_LOCK:
            err = on_lock(se, p, len, ev, out, cap, out_len);
            break;
        case WARD_SE_ANSWER:
            err = on_answer(se, p, len, ev, out, cap, out_len, &wait);
            break;
        case WARD_SE_CMD:
            err = on_cmd(se, p, len, ev);
            break;
        default:
            err = WARD_ERR_FORMAT;
            break;
        }
    }
    if (err == WARD_OK) {
        return WARD_OK;
    }
    memset(ev, 0, sizeof *ev);
    ev->kind = WARD_SE_EV_REFUSED;
    ev->err = err;
    ev->wait_ms = wait;
    return ward_se_error_frame(err, wait, out, cap, out_len);
}

ward_err ward_se_elem_reply(ward_se_elem *ctx, const uint8_t *data,
                            size_t len, uint8_t *out, size_t cap,
                            size_t *out_len)
{
    WARD_ASSERT(ctx != NULL && out != NULL && out_len != NULL);
    ward_se_elem_state *se = se_est(ctx);
    WARD_ASSERT(data != NULL || len == 0);
    *out_len = 0;
    if (!se->info.verified || !se->cmd_pending) {
        return WARD_ERR_STATE;
    }
    ward_err err = ward_se_tagged_frame(se->cp, se->ks, SE_DIR_SE, WARD_SE_RESP,
                                        se->ctr_in, data, len, out, cap, out_len);
    if (err == WARD_OK) {
        se->cmd_pending = false;
    }
    return err;
}
