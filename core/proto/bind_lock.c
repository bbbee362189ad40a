/* The lock's half of lock-app binding (flow A): QR, code check, lock-out, finish. */
#include <string.h>

#include "ward/ward_lock.h"
#include "ward/ward_op.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "lock_inner.h"
#include "lock_records.h"
#include "proto_inner.h"

#define PEND_STATE_WAIT_CODE 1u
#define PEND_STATE_CODE_OK 2u

/* The pending binding, decoded. Holds K: wiped by every user. */
typedef struct pending {
    uint8_t state;
    uint8_t attempts;
    uint8_t tid[WARD_TASK_ID_LEN];
    uint8_t k[WARD_BIND_KEY_LEN];
    uint8_t code[WARD_BIND_CODE_LEN];
    uint64_t created_ms;
    uint8_t phone[WARD_PHONE_MAX];
    size_t phone_len;
} pending;

static ward_err now_ms(const ward_lock *lock, uint64_t *now)
{
    return lock_cst(lock)->clock.now_ms(lock_cst(lock)->clock.ctx, now);
}

static ward_err pending_load(const ward_lock *lock, pending *p)
{
    uint8_t rec[PEND_REC_MAX];
    size_t len = 0;
    memset(p, 0, sizeof *p);
    ward_err err = ward_store_get(&lock_cst(lock)->store, LOCK_REC_PENDING, rec,
                                  sizeof rec, &len);
    if (err == WARD_ERR_NOTFOUND) {
        return WARD_ERR_STATE;
    }
    if (err == WARD_ERR_NOSPACE) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK &&
        (len < PEND_OFF_PHONE ||
         (size_t)rec[PEND_OFF_PHONE_LEN] != len - PEND_OFF_PHONE ||
         (rec[PEND_OFF_STATE] != PEND_STATE_WAIT_CODE &&
          rec[PEND_OFF_STATE] != PEND_STATE_CODE_OK))) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        p->state = rec[PEND_OFF_STATE];
        p->attempts = rec[PEND_OFF_ATTEMPTS];
        memcpy(p->tid, rec + PEND_OFF_TID, WARD_TASK_ID_LEN);
        memcpy(p->k, rec + PEND_OFF_K, WARD_BIND_KEY_LEN);
        memcpy(p->code, rec + PEND_OFF_CODE, WARD_BIND_CODE_LEN);
        p->created_ms = ward_load64(rec + PEND_OFF_CREATED);
        p->phone_len = len - PEND_OFF_PHONE;
        memcpy(p->phone, rec + PEND_OFF_PHONE, p->phone_len);
    }
    ward_wipe(rec, sizeof rec);
    return err;
}

static size_t pending_encode(const pending *p, uint8_t rec[PEND_REC_MAX])
{
    rec[PEND_OFF_STATE] = p->state;
    rec[PEND_OFF_ATTEMPTS] = p->attempts;
    memcpy(rec + PEND_OFF_TID, p->tid, WARD_TASK_ID_LEN);
    memcpy(rec + PEND_OFF_K, p->k, WARD_BIND_KEY_LEN);
    memcpy(rec + PEND_OFF_CODE, p->code, WARD_BIND_CODE_LEN);
    ward_store64(rec + PEND_OFF_CREATED, p->created_ms);
    rec[PEND_OFF_PHONE_LEN] = (uint8_t)p->phone_len;
    memcpy(rec + PEND_OFF_PHONE, p->phone, p->phone_len);
    return PEND_OFF_PHONE + p->phone_len;
}

/* Saves p; with use_grant, removes the add-client grant in the same
 * update, so a grant buys exactly one binding even across power cuts. */
static ward_err pending_save_with(ward_lock *lock, const pending *p,
                                  bool use_grant)
{
    uint8_t rec[PEND_REC_MAX];
    size_t len = pending_encode(p, rec);
    ward_record_change ch[2] = {
        { LOCK_REC_PENDING, rec, len, false },
        { LOCK_REC_ADD_GRANT, NULL, 0, true },
    };
    ward_err err = ward_store_update(&lock_st(lock)->store, ch, use_grant ? 2u : 1u);
    ward_wipe(rec, sizeof rec);
    return err;
}

static ward_err pending_save(ward_lock *lock, const pending *p)
{
    return pending_save_with(lock, p, false);
}

/* A clock that went back past the task's start counts as expired too:
 * the lock cannot tell how old the task is. */
static bool pending_expired(const pending *p, uint64_t now)
{
    return now < p->created_ms || now - p->created_ms >= WARD_BIND_TTL_MS;
}

static ward_err lockout_load(const ward_lock *lock, uint64_t *until,
                             uint8_t *count)
{
    uint8_t rec[LOCKOUT_REC_LEN];
    size_t len = 0;
    *until = 0;
    *count = 0;
    ward_err err = ward_store_get(&lock_cst(lock)->store, LOCK_REC_LOCKOUT, rec,
                                  sizeof rec, &len);
    if (err == WARD_ERR_NOTFOUND) {
        return WARD_OK;
    }
    if (err == WARD_OK && len != LOCKOUT_REC_LEN) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        *until = ward_load64(rec);
        *count = rec[8];
    }
    return err;
}

/* The n-th lock-out in a row lasts 5 min * 2^(n-1), at most a day. */
static uint64_t lockout_duration(uint8_t count)
{
    uint64_t d = WARD_BIND_LOCKOUT_MS;
    for (uint8_t i = 1; i < count && d < WARD_BIND_LOCKOUT_MAX_MS; i++) {
        d *= 2u;
    }
    return d < WARD_BIND_LOCKOUT_MAX_MS ? d : WARD_BIND_LOCKOUT_MAX_MS;
}

/* Destroys the pending binding, starts a lock-out and logs it, in one
 * update, so a power cut cannot leave the one without the others. */
static ward_err lockout_begin(ward_lock *lock, uint64_t now)
{
    lock_audit_add a;
    uint64_t until = 0;
    uint8_t count = 0, rec[LOCKOUT_REC_LEN];
    ward_err err = lockout_load(lock, &until, &count);
    if (err == WARD_OK) {
        err = ward_lock_audit_prepare(lock, WARD_AUDIT_LOCKOUT, 0, 0, NULL, 0,
                                      now, &a);
    }
    if (err != WARD_OK) {
        return err;
    }
    if (count < 0xFFu) {
        count++;
    }
    ward_store64(rec, now + lockout_duration(count));
    rec[8] = count;
    ward_record_change ch[4] = {
        { LOCK_REC_PENDING, NULL, 0, true },
        { LOCK_REC_LOCKOUT, rec, sizeof rec, false },
        a.ch[0],
        a.ch[1],
    };
    err = ward_store_update(&lock_st(lock)->store, ch, WARD_ARRAY_LEN(ch));
    return err == WARD_OK ? WARD_ERR_LOCKED : err;
}

/* Once an app is bound, the next binding needs a grant: an owner's or
 * admin's approval of WARD_OP_ADD_CLIENT (op_lock.c) that is still live.
 * *use_grant says whether the save must consume one. */
static ward_err grant_check(const ward_lock *lock, uint64_t now,
                            bool *use_grant)
{
    uint8_t rec[GRANT_REC_LEN];
    size_t count = 0, len = 0;
    *use_grant = false;
    ward_err err = ward_lock_client_count(lock, &count);
    if (err != WARD_OK || count == 0) {
        return err;
    }
    err = ward_store_get(&lock_cst(lock)->store, LOCK_REC_ADD_GRANT, rec, sizeof rec,
                         &len);
    if (err == WARD_ERR_NOTFOUND || err == WARD_ERR_NOSPACE ||
        (err == WARD_OK && len != sizeof rec)) {
        return WARD_ERR_AUTH;
    }
    if (err != WARD_OK) {
        return err;
    }
    uint64_t until = ward_load64(rec);
    /* A clock that went back past the grant makes it look younger than
     * it is: refuse it, as an expired task is refused. */
    if (now >= until || until - now > WARD_BIND_TTL_MS) {
        return WARD_ERR_AUTH;
    }
    *use_grant = true;
    return WARD_OK;
}

ward_err ward_bind_lockout(const ward_lock *lock, uint64_t *remaining_ms)
{
    uint64_t until = 0, now = 0;
    uint8_t count = 0;
    WARD_ASSERT(lock != NULL);
    if (remaining_ms != NULL) {
        *remaining_ms = 0;
    }
    ward_err err = lockout_load(lock, &until, &count);
    if (err == WARD_OK) {
        err = now_ms(lock, &now);
    }
    if (err != WARD_OK) {
        return err;
    }
    if (now >= until) {
        return WARD_OK;
    }
    if (remaining_ms != NULL) {
        *remaining_ms = until - now;
    }
    return WARD_ERR_LOCKED;
}

/* A uniform 6-digit code: 32-bit draws at or above the largest multiple
 * of 10^6 are drawn again, so no code is likelier than another. */
static ward_err bind_code(const ward_random *rng,
                          uint8_t code[WARD_BIND_CODE_LEN])
{
    const uint32_t range = 1000000u;
    const uint32_t limit = 0xFFFFFFFFu - (0xFFFFFFFFu % range + 1u) % range;
    uint8_t b[4];
    uint32_t x;
    ward_err err;
    do {
        err = rng->fill(rng->ctx, b, sizeof b);
        if (err != WARD_OK) {
            return err;
        }
        x = ward_load32(b);
    } while (x > limit);
    x %= range;
    for (size_t i = WARD_BIND_CODE_LEN; i-- > 0;) {
        code[i] = (uint8_t)('0' + x % 10u);
        x /= 10u;
    }
    ward_wipe(b, sizeof b);
    return WARD_OK;
}

typedef struct out_buf {
    char *p;
    size_t cap;
    size_t len;
    bool full;
} out_buf;

static void out_put(out_buf *o, const char *s, size_t n)
{
    if (o->full || o->cap - o->len <= n) {
        o->full = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void out_str(out_buf *o, const char *s)
{
    out_put(o, s, strlen(s));
}

static void out_hex(out_buf *o, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char h[2] = { digits[b[i] >> 4], digits[b[i] & 15u] };
        out_put(o, h, 2);
    }
}

/* The identifiers' alphabets need no JSON escaping (ids.c). */
static ward_err qr_json(const pending *p, const uint8_t *sn, size_t sn_len,
                        char *qr, size_t cap, size_t *len)
{
    out_buf o = { qr, cap, 0, cap == 0 };
    if (cap > 0) {
        qr[0] = '\0';
    }
    out_str(&o, "{\"v\":1,\"mobile\":\"");
    out_put(&o, (const char *)p->phone, p->phone_len);
    out_str(&o, "\",\"sms\":\"");
    out_put(&o, (const char *)p->code, WARD_BIND_CODE_LEN);
    out_str(&o, "\",\"sn\":\"");
    out_put(&o, (const char *)sn, sn_len);
    out_str(&o, "\",\"key\":\"");
    out_hex(&o, p->k, WARD_BIND_KEY_LEN);
    out_str(&o, "\",\"tid\":\"");
    out_hex(&o, p->tid, WARD_TASK_ID_LEN);
    out_str(&o, "\"}");
    if (o.full) {
        ward_wipe(qr, cap);
        *len = 0;
        return WARD_ERR_NOSPACE;
    }
    *len = o.len;
    return WARD_OK;
}

ward_err ward_bind_start(ward_lock *lock, const uint8_t *phone,
                         size_t phone_len, char *qr, size_t cap, size_t *len)
{
    lock_identity id;
    pending p;
    uint64_t now = 0;
    size_t unconf_len = 0;
    uint8_t probe[1];
    bool use_grant = false;
    ward_err err;

    WARD_ASSERT(lock != NULL && qr != NULL && len != NULL);
    *len = 0;
    memset(&p, 0, sizeof p);
    if (ward_check_phone(phone, phone_len) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    err = ward_bind_lockout(lock, NULL);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_store_get(&lock_st(lock)->store, LOCK_REC_UNCONFIRMED, probe,
                         sizeof probe, &unconf_len);
    if (err != WARD_ERR_NOTFOUND) {
        return err == WARD_OK || err == WARD_ERR_NOSPACE ? WARD_ERR_BUSY : err;
    }
    err = ward_lock_load_identity(lock, &id);
    if (err != WARD_OK) {
        return err;
    }
    err = now_ms(lock, &now);
    if (err == WARD_OK) {
        err = grant_check(lock, now, &use_grant);
    }
    if (err == WARD_OK) {
        err = lock_st(lock)->rng.fill(lock_st(lock)->rng.ctx, p.k, sizeof p.k);
    }
    if (err == WARD_OK) {
        err = lock_st(lock)->rng.fill(lock_st(lock)->rng.ctx, p.tid, sizeof p.tid);
    }
    if (err == WARD_OK) {
        err = bind_code(&lock_st(lock)->rng, p.code);
    }
    if (err == WARD_OK) {
        p.state = PEND_STATE_WAIT_CODE;
        p.attempts = 0;
        p.created_ms = now;
        memcpy(p.phone, phone, phone_len);
        p.phone_len = phone_len;
        err = qr_json(&p, id.sn, id.sn_len, qr, cap, len);
    }
    /* Stored last: a QR that could not be written leaves no task and
     * keeps the grant. */
    if (err == WARD_OK) {
        err = pending_save_with(lock, &p, use_grant);
        if (err != WARD_OK) {
            ward_wipe(qr, cap);
            *len = 0;
        }
    }
    ward_wipe(&p, sizeof p);
    ward_wipe(&id, sizeof id);
    return err;
}

ward_err ward_bind_enter_code(ward_lock *lock, const uint8_t *code,
                              size_t code_len, unsigned *tries_left)
{
    pending p;
    uint64_t now = 0;
    uint8_t typed[WARD_BIND_CODE_LEN];
    ward_err err;

    WARD_ASSERT(lock != NULL);
    WARD_ASSERT(code != NULL || code_len == 0);
    if (tries_left != NULL) {
        *tries_left = 0;
    }
    err = pending_load(lock, &p);
    if (err == WARD_OK) {
        err = now_ms(lock, &now);
    }
    if (err != WARD_OK) {
        goto out;
    }
    if (p.state == PEND_STATE_CODE_OK) {
        goto left;
    }
    if (pending_expired(&p, now)) {
        err = ward_store_remove(&lock_st(lock)->store, LOCK_REC_PENDING);
        err = err == WARD_OK ? WARD_ERR_EXPIRED : err;
        goto out;
    }
    /* The last attempt was counted but the lock-out never written (power
     * was cut in between): finish that now. */
    if (p.attempts >= WARD_BIND_MAX_ATTEMPTS) {
        err = lockout_begin(lock, now);
        goto out;
    }
    /* Counted and made durable before the comparison: cutting the power
     * after seeing the result cannot buy a free try. */
    p.attempts++;
    err = pending_save(lock, &p);
    if (err != WARD_OK) {
        goto out;
    }
    memset(typed, 0, sizeof typed);
    if (code_len == WARD_BIND_CODE_LEN) {
        memcpy(typed, code, WARD_BIND_CODE_LEN);
    }
    bool right = ward_ct_equal(typed, p.code, WARD_BIND_CODE_LEN) &&
                 code_len == WARD_BIND_CODE_LEN;
    ward_wipe(typed, sizeof typed);
    if (right) {
        p.state = PEND_STATE_CODE_OK;
        err = pending_save(lock, &p);
    } else if (p.attempts >= WARD_BIND_MAX_ATTEMPTS) {
        err = lockout_begin(lock, now);
        goto out;
    } else {
        err = WARD_ERR_AUTH;
    }
left:
    if (tries_left != NULL && p.attempts < WARD_BIND_MAX_ATTEMPTS) {
        *tries_left = (unsigned)(WARD_BIND_MAX_ATTEMPTS - p.attempts);
    }
out:
    ward_wipe(&p, sizeof p);
    return err;
}

ward_err ward_bind_status(const ward_lock *lock, ward_bind_state *state,
                          uint8_t tid[WARD_TASK_ID_LEN])
{
    pending p;
    WARD_ASSERT(lock != NULL && state != NULL);
    *state = WARD_BIND_NONE;
    ward_err err = pending_load(lock, &p);
    if (err == WARD_ERR_STATE) {
        return WARD_OK;
    }
    if (err == WARD_OK) {
        *state = p.state == PEND_STATE_CODE_OK ? WARD_BIND_CODE_OK
                                               : WARD_BIND_WAIT_CODE;
        if (tid != NULL) {
            memcpy(tid, p.tid, WARD_TASK_ID_LEN);
        }
    }
    ward_wipe(&p, sizeof p);
    return err;
}

ward_err ward_bind_task_id(const ward_lock *lock,
                           uint8_t tid[WARD_TASK_ID_LEN])
{
    ward_bind_state state;
    WARD_ASSERT(tid != NULL);
    ward_err err = ward_bind_status(lock, &state, tid);
    if (err == WARD_OK && state == WARD_BIND_NONE) {
        err = WARD_ERR_STATE;
    }
    return err;
}

ward_err ward_bind_cancel(ward_lock *lock)
{
    WARD_ASSERT(lock != NULL);
    ward_err err = ward_store_remove(&lock_st(lock)->store, LOCK_REC_PENDING);
    return err == WARD_ERR_NOTFOUND ? WARD_OK : err;
}

/* The opened bind data must be for this lock and for the phone typed in
 * on it; K alone proves only that the sender saw the QR code. */
static bool bind_data_matches(const ward_bind_data *d, const pending *p,
                              const lock_identity *id)
{
    return d->sn_len == id->sn_len &&
           memcmp(d->sn, id->sn, id->sn_len) == 0 &&
           d->phone_len == p->phone_len &&
           memcmp(d->phone, p->phone, p->phone_len) == 0;
}

ward_err ward_bind_finish(ward_lock *lock, const uint8_t *blob,
                          size_t blob_len, uint8_t *confirm, size_t cap,
                          size_t *len)
{
    pending p;
    lock_identity id;
    lock_client_rec c;
    lock_audit_add a;
    ward_bind_data d;
    ward_bind_confirm bc;
    uint8_t plain[WARD_BIND_DATA_BODY_MAX];
    uint8_t rec[CLIENT_REC_MAX];
    size_t msg_len = 0, rec_len = 0;
    uint64_t now = 0;
    uint16_t key = 0;
    uint8_t role = 0;
    ward_err err;

    WARD_ASSERT(lock != NULL && confirm != NULL && len != NULL);
    WARD_ASSERT(blob != NULL || blob_len == 0);
    *len = 0;
    memset(&id, 0, sizeof id);
    memset(&c, 0, sizeof c);
    memset(plain, 0, sizeof plain);
    memset(rec, 0, sizeof rec);

    err = pending_load(lock, &p);
    if (err == WARD_OK && p.state != PEND_STATE_CODE_OK) {
        err = WARD_ERR_STATE;
    }
    if (err == WARD_OK) {
        err = now_ms(lock, &now);
    }
    if (err != WARD_OK) {
        goto out;
    }
    if (pending_expired(&p, now)) {
        err = ward_store_remove(&lock_st(lock)->store, LOCK_REC_PENDING);
        err = err == WARD_OK ? WARD_ERR_EXPIRED : err;
        goto out;
    }
    err = ward_lock_load_identity(lock, &id);
    if (err != WARD_OK) {
        goto out;
    }
    err = ward_bind_open(lock_st(lock)->cp, p.k, p.tid, id.sn, id.sn_len, blob,
                         blob_len, plain, sizeof plain, &d);
    if (err != WARD_OK) {
        goto out;
    }
    if (!bind_data_matches(&d, &p, &id)) {
        err = WARD_ERR_AUTH;
        goto out;
    }
    err = ward_lock_client_slot(lock, d.uid, d.uid_len, &key, &role);
    if (err != WARD_OK) {
        goto out;
    }
    memcpy(c.uid, d.uid, d.uid_len);
    c.uid_len = d.uid_len;
    memcpy(c.pub, d.client_pub, WARD_P256_POINT_LEN);
    memcpy(c.auth_key, d.auth_key, WARD_AUTH_KEY_LEN);
    c.role = role;
    c.bound_at_ms = now;
    memcpy(c.tid, p.tid, WARD_TASK_ID_LEN);
    rec_len = ward_lock_client_encode(&c, rec);
    err = ward_lock_audit_prepare(lock, WARD_AUDIT_BIND, 0, 0, d.uid,
                                  d.uid_len, now, &a);
    if (err != WARD_OK) {
        goto out;
    }

    bc.sn = id.sn;
    bc.sn_len = id.sn_len;
    bc.uid = d.uid;
    bc.uid_len = d.uid_len;
    bc.client_pub = d.client_pub;
    bc.tid = p.tid;
    bc.escrow = d.escrow;
    bc.role = role;
    bc.time_ms = now;
    /* Signed straight into the caller's buffer: no second copy of the
     * confirmation on the stack of a small device. */
    err = ward_lock_id_confirm(lock, &id, &bc, confirm, cap, &msg_len);
    if (err != WARD_OK) {
        goto out;
    }
    /* One update: after a power cut the lock is either still waiting for
     * this blob or fully bound, logged, with the confirmation ready to
     * resend. */
    ward_record_change ch[6] = {
        { key, rec, rec_len, false },
        { LOCK_REC_PENDING, NULL, 0, true },
        { LOCK_REC_LOCKOUT, NULL, 0, true },
        { LOCK_REC_UNCONFIRMED, confirm, msg_len, false },
        a.ch[0],
        a.ch[1],
    };
    err = ward_store_update(&lock_st(lock)->store, ch, WARD_ARRAY_LEN(ch));
    if (err == WARD_OK) {
        *len = msg_len;
    } else {
        memset(confirm, 0, msg_len);
    }
out:
    ward_wipe(&p, sizeof p);
    ward_wipe(&id, sizeof id);
    ward_wipe(&c, sizeof c);
    ward_wipe(plain, sizeof plain);
    ward_wipe(rec, sizeof rec);
    return err;
}

ward_err ward_bind_unconfirmed(const ward_lock *lock, uint8_t *out,
                               size_t cap, size_t *len)
{
    WARD_ASSERT(lock != NULL && out != NULL && len != NULL);
    return ward_store_get(&lock_cst(lock)->store, LOCK_REC_UNCONFIRMED, out, cap, len);
}

ward_err ward_bind_confirmed(ward_lock *lock)
{
    WARD_ASSERT(lock != NULL);
    ward_err err = ward_store_remove(&lock_st(lock)->store, LOCK_REC_UNCONFIRMED);
    return err == WARD_ERR_NOTFOUND ? WARD_OK : err;
}

ward_err ward_bind_refused(ward_lock *lock)
{
    uint8_t msg[WARD_BIND_CONFIRM_MAX];
    ward_bind_confirm bc;
    lock_client_rec c;
    lock_audit_add a;
    size_t len = 0;
    uint16_t key = 0;
    uint64_t now = 0;

    WARD_ASSERT(lock != NULL);
    memset(&c, 0, sizeof c);
    ward_err err = ward_store_get(&lock_st(lock)->store, LOCK_REC_UNCONFIRMED, msg,
                                  sizeof msg, &len);
    if (err != WARD_OK) {
        return err;
    }
    /* The lock wrote this record itself; if it no longer parses there is
     * nothing to undo but the record. */
    if (ward_bind_confirm_parse(lock_st(lock)->cp, msg, len, &bc) != WARD_OK) {
        return ward_store_remove(&lock_st(lock)->store, LOCK_REC_UNCONFIRMED);
    }
    err = ward_lock_client_find(lock, bc.uid, bc.uid_len, &key, &c);
    /* Only the record this confirmation created (its tid and its key):
     * a binding always takes a free slot, so removing that record leaves
     * the table exactly as it was before. Anything else (the same user
     * bound again since) is not touched. */
    if (err == WARD_ERR_NOTFOUND ||
        (err == WARD_OK && (memcmp(c.tid, bc.tid, WARD_TASK_ID_LEN) != 0 ||
                            memcmp(c.pub, bc.client_pub, WARD_P256_POINT_LEN) != 0))) {
        ward_wipe(&c, sizeof c);
        return ward_store_remove(&lock_st(lock)->store, LOCK_REC_UNCONFIRMED);
    }
    if (err == WARD_OK) {
        err = now_ms(lock, &now);
    }
    if (err == WARD_OK) {
        err = ward_lock_audit_prepare(lock, WARD_AUDIT_BIND_UNDONE, 0, 0,
                                      bc.uid, bc.uid_len, now, &a);
    }
    if (err == WARD_OK) {
        ward_record_change ch[4] = {
            { key, NULL, 0, true },
            { LOCK_REC_UNCONFIRMED, NULL, 0, true },
            a.ch[0],
            a.ch[1],
        };
        err = ward_store_update(&lock_st(lock)->store, ch, WARD_ARRAY_LEN(ch));
    }
    ward_wipe(&c, sizeof c);
    return err;
}
