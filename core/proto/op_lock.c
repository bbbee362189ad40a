/* The lock's half of remote operation approval (flow B): request, accept, revoke and its result. */
#include <string.h>

#include "ward/ward_op.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "lock_inner.h"
#include "lock_records.h"
#include "op_inner.h"

static bool op_code_ok(uint8_t code)
{
    return code >= 1u && code <= WARD_OP_MAX;
}

static ward_err now_ms(const ward_lock *lock, uint64_t *now)
{
    return lock_cst(lock)->clock.now_ms(lock_cst(lock)->clock.ctx, now);
}

ward_err ward_op_lock_request(ward_lock *lock, ward_op_lock *op, uint8_t code,
                              const uint8_t *target, size_t target_len,
                              uint8_t *out, size_t cap, size_t *len)
{
    return ward_op_lock_request_within(lock, op, code, target, target_len, 0, out, cap,
                                       len);
}

ward_err ward_op_lock_request_within(ward_lock *lock, ward_op_lock *op, uint8_t code,
                                     const uint8_t *target, size_t target_len,
                                     uint32_t ttl_ms, uint8_t *out, size_t cap,
                                     size_t *len)
{
    ward_op_state next;
    ward_op_request req;
    lock_client_rec c;
    uint8_t sn[WARD_SN_MAX];
    size_t sn_len = 0;
    uint16_t key = 0;
    uint64_t now = 0;

    WARD_ASSERT(lock != NULL && op != NULL && out != NULL && len != NULL);
    WARD_ASSERT(target != NULL || target_len == 0);
    *len = 0;
    /* The old request is gone whatever happens: an answer to it must
     * never be acted on once the lock has asked something else. */
    memset(op, 0, sizeof *op);
    memset(&next, 0, sizeof next);
    if (!op_code_ok(code) ||
        (target != NULL && ward_check_uid(target, target_len) != WARD_OK)) {
        return WARD_ERR_PARAM;
    }
    ward_err err = ward_lock_identity(lock, sn, &sn_len, NULL);
    if (err == WARD_OK && target != NULL) {
        err = ward_lock_client_find(lock, target, target_len, &key, &c);
        ward_wipe(&c, sizeof c);
    }
    if (err == WARD_OK) {
        err = now_ms(lock, &now);
    }
    if (err == WARD_OK) {
        err = lock_st(lock)->rng.fill(lock_st(lock)->rng.ctx, next.nonce, sizeof next.nonce);
    }
    if (err != WARD_OK) {
        return err;
    }
    next.active = true;
    next.op = code;
    if (target != NULL) {
        memcpy(next.target, target, target_len);
        next.target_len = target_len;
    }
    /* A caller may ask for a shorter life (a door that must open now),
     * never a longer one. */
    uint32_t ttl = ttl_ms != 0u && ttl_ms < WARD_OP_TTL_MS ? ttl_ms
                                                           : (uint32_t)WARD_OP_TTL_MS;
    next.expires_ms = now + ttl;
    next.ttl_ms = ttl;

    req.sn = sn;
    req.sn_len = sn_len;
    req.nonce = next.nonce;
    req.op = code;
    req.target = target;
    req.target_len = target_len;
    req.expires_ms = next.expires_ms;
    err = ward_op_request_encode(&req, out, cap, len);
    if (err == WARD_OK) {
        *op_st(op) = next;
    }
    return err;
}

uint8_t ward_op_lock_code(const ward_op_lock *op)
{
    WARD_ASSERT(op != NULL);
    return op_cst(op)->active ? op_cst(op)->op : 0u;
}

/* A request past its expiry, or one whose expiry lies further ahead than
 * its own life allows (the clock went back): the lock cannot tell its
 * age, so it is dead. A short-lived request is measured by its own life,
 * not the default one, or a step back would stretch it. */
static bool op_expired(const ward_op_state *op, uint64_t now)
{
    uint64_t life = op->ttl_ms != 0u ? op->ttl_ms : (uint64_t)WARD_OP_TTL_MS;
    return now >= op->expires_ms || op->expires_ms - now > life;
}

/* What the checks before the decision leave for it. */
typedef struct answer {
    lock_client_rec c;           /* the approver; holds its auth key */
    uint8_t plain[WARD_APPROVAL_PLAIN_MAX];
    uint8_t nonce[WARD_OP_NONCE_LEN]; /* the request's, outliving it */
    ward_approval_plain ap;
} answer;

/* The chapter's checks up to the expiry, in its order: header and uid,
 * uid bound, tag under the outstanding nonce, the fields inside, and the
 * request's target. WARD_ERR_FORMAT / WARD_ERR_AUTH: not an answer. */
static ward_err answer_check(const ward_lock *lock, const ward_op_state *op,
                             const uint8_t *sn, size_t sn_len,
                             const uint8_t *msg, size_t len, answer *a)
{
    ward_op_sealed s;
    uint16_t key = 0;
    ward_err err = ward_op_sealed_split(msg, len, WARD_MSG_APPROVAL, &s);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_lock_client_find(lock, s.uid, s.uid_len, &key, &a->c);
    if (err != WARD_OK) {
        return err == WARD_ERR_NOTFOUND ? WARD_ERR_AUTH : err;
    }
    err = ward_approval_open(lock_cst(lock)->cp, a->c.auth_key, sn, sn_len, op->nonce,
                             msg, &s, a->plain, &a->ap);
    if (err != WARD_OK) {
        return err;
    }
    /* sn, N and uid are not in the plaintext (bytes over the air): the
     * key derived from them binds them, and the uid is associated data
     * too, so only the op is left to compare. The unit tests of replays,
     * restarts and other locks' approvals are what guard that key. */
    if (a->ap.op != op->op) {
        return WARD_ERR_AUTH;
    }
    if (op->target_len > 0 &&
        (op->target_len != a->c.uid_len ||
         memcmp(op->target, a->c.uid, a->c.uid_len) != 0)) {
        return WARD_ERR_AUTH;
    }
    return WARD_OK;
}

/* Logs the decision (and, for an allowed add-client, stores the grant) in
 * one store update: once it is durable the request counts as consumed,
 * and nothing is acted on that the ring does not show. */
static ward_err answer_commit(ward_lock *lock, const answer *a, uint8_t code,
                              uint8_t oc, uint64_t now)
{
    lock_audit_add log;
    uint8_t grant[GRANT_REC_LEN];
    uint8_t event = (uint8_t)(oc == WARD_OUTCOME_EXECUTED
                                  ? WARD_AUDIT_OP_EXECUTED
                                  : WARD_AUDIT_OP_REFUSED);
    ward_err err = ward_lock_audit_prepare(lock, event, code, oc, a->c.uid,
                                           a->c.uid_len, now, &log);
    if (err != WARD_OK) {
        return err;
    }
    ward_store64(grant, now + WARD_BIND_TTL_MS);
    ward_record_change ch[3] = {
        log.ch[0],
        log.ch[1],
        { LOCK_REC_ADD_GRANT, grant, sizeof grant, false },
    };
    bool grants = code == WARD_OP_ADD_CLIENT && oc == WARD_OUTCOME_EXECUTED;
    return ward_store_update(&lock_st(lock)->store, ch, grants ? 3u : 2u);
}

ward_err ward_op_lock_accept(ward_lock *lock, ward_op_lock *op,
                             const uint8_t *approval, size_t len,
                             ward_op_outcome *outcome, uint8_t *res,
                             size_t res_cap, size_t *res_len)
{
    answer a;
    uint8_t sn[WARD_SN_MAX];
    uint8_t msg[WARD_OP_RESULT_MAX];
    size_t sn_len = 0, msg_len = 0;
    uint64_t now = 0;
    uint8_t oc;
    ward_err err;

    WARD_ASSERT(lock != NULL && op != NULL && outcome != NULL);
    WARD_ASSERT(res != NULL && res_len != NULL);
    WARD_ASSERT(approval != NULL || len == 0);
    memset(outcome, 0, sizeof *outcome);
    memset(&a, 0, sizeof a);
    *res_len = 0;
    if (!op_cst(op)->active) {
        return WARD_ERR_STATE;
    }
    uint8_t code = op_cst(op)->op;
    err = ward_lock_identity(lock, sn, &sn_len, NULL);
    if (err == WARD_OK) {
        err = now_ms(lock, &now);
    }
    if (err != WARD_OK) {
        return err;
    }
    bool expired = op_expired(op_cst(op), now);
    err = answer_check(lock, op_cst(op), sn, sn_len, approval, len, &a);
    if (err == WARD_OK) {
        /* The answer's view of the nonce points at the request, which is
         * dropped below before the result is sealed: keep a copy. */
        memcpy(a.nonce, op_cst(op)->nonce, sizeof a.nonce);
        a.ap.nonce = a.nonce;
    }
    if (err != WARD_OK) {
        /* Not an answer: an unexpired request stays for the real one, so
         * garbage cannot burn it; an expired one is dead either way. */
        if ((err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT) && expired) {
            memset(op, 0, sizeof *op);
            err = WARD_ERR_EXPIRED;
        }
        goto out;
    }
    if (expired) {
        /* A valid answer, too late: dropped whatever happens next. */
        memset(op, 0, sizeof *op);
        oc = WARD_OUTCOME_EXPIRED;
    } else if (code == WARD_OP_ADD_CLIENT && a.c.role != WARD_ROLE_OWNER &&
               a.c.role != WARD_ROLE_ADMIN) {
        err = WARD_ERR_AUTH;
        goto out;
    } else {
        oc = (uint8_t)(a.ap.decision == WARD_DECISION_ALLOW
                           ? WARD_OUTCOME_EXECUTED
                           : WARD_OUTCOME_DENIED);
    }
    /* Sealed before the commit: a result buffer too small must not cost
     * the request. */
    err = ward_op_result_seal(lock_st(lock)->cp, a.c.auth_key, sn, sn_len,
                              a.ap.nonce, code, a.c.uid, a.c.uid_len, oc, msg,
                              sizeof msg, &msg_len);
    if (err == WARD_OK && res_cap < msg_len) {
        err = WARD_ERR_NOSPACE;
    }
    if (err == WARD_OK) {
        err = answer_commit(lock, &a, code, oc, now);
    }
    if (err != WARD_OK) {
        goto out;
    }
    memset(op, 0, sizeof *op);
    memcpy(res, msg, msg_len);
    *res_len = msg_len;
    outcome->execute = oc == WARD_OUTCOME_EXECUTED;
    outcome->op = code;
    outcome->outcome = oc;
    memcpy(outcome->uid, a.c.uid, a.c.uid_len);
    outcome->uid_len = a.c.uid_len;
    err = expired ? WARD_ERR_EXPIRED : WARD_OK;
out:
    ward_wipe(&a, sizeof a);
    return err;
}

/* Who may revoke whom: the owner anyone but itself, an admin members,
 * and anyone but the owner itself (the lock would be left ownerless). */
static bool revoke_allowed(const lock_client_rec *by,
                           const lock_client_rec *target)
{
    bool self = by->uid_len == target->uid_len &&
                memcmp(by->uid, target->uid, by->uid_len) == 0;
    if (self) {
        return by->role != WARD_ROLE_OWNER;
    }
    if (by->role == WARD_ROLE_OWNER) {
        return true;
    }
    return by->role == WARD_ROLE_ADMIN && target->role == WARD_ROLE_MEMBER;
}

ward_err ward_op_lock_revoke(ward_lock *lock, const uint8_t *msg, size_t len,
                             ward_revoke_outcome *out, uint8_t *res,
                             size_t res_cap, size_t *res_len)
{
    ward_op_sealed s;
    ward_revoke_plain rp;
    lock_client_rec by, target;
    lock_audit_add log;
    uint8_t sn[WARD_SN_MAX];
    uint8_t plain[WARD_REVOKE_PLAIN_MAX];
    size_t sn_len = 0;
    uint16_t by_key = 0, target_key = 0;
    uint64_t now = 0;

    WARD_ASSERT(lock != NULL && out != NULL && res != NULL && res_len != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(out, 0, sizeof *out);
    *res_len = 0;
    memset(&by, 0, sizeof by);
    memset(&target, 0, sizeof target);
    memset(plain, 0, sizeof plain);

    ward_err err = ward_op_sealed_split(msg, len, WARD_MSG_REVOKE, &s);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_lock_identity(lock, sn, &sn_len, NULL);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_lock_client_find(lock, s.uid, s.uid_len, &by_key, &by);
    if (err != WARD_OK) {
        err = err == WARD_ERR_NOTFOUND ? WARD_ERR_AUTH : err;
        goto out;
    }
    memcpy(out->revoker, by.uid, by.uid_len);
    out->revoker_len = by.uid_len;
    err = ward_revoke_open(lock_st(lock)->cp, by.auth_key, sn, sn_len, msg, &s, plain,
                           &rp);
    if (err != WARD_OK) {
        goto out;
    }
    if (rp.sn_len != sn_len || memcmp(rp.sn, sn, sn_len) != 0) {
        err = WARD_ERR_AUTH;
        goto out;
    }
    /* A valid REVOKE from a bound client: every outcome is answered, so
     * wardd can withhold an answer but never fake one. */
    memcpy(out->target, rp.target, rp.target_len);
    out->target_len = rp.target_len;
    err = ward_lock_client_find(lock, rp.target, rp.target_len, &target_key,
                                &target);
    if (err == WARD_ERR_NOTFOUND) {
        /* Gone already (a repeated or replayed REVOKE): nothing to do,
         * and the revoker hears exactly that. */
        out->outcome = WARD_REVOKE_NOT_BOUND;
        err = WARD_OK;
    } else if (err == WARD_OK) {
        out->has_tid = true;
        memcpy(out->tid, target.tid, WARD_TASK_ID_LEN);
        if (memcmp(target.tid, rp.tid, WARD_TASK_ID_LEN) != 0) {
            /* Bound again since, or named by a tid wardd made up: the
             * binding this names does not exist. The revoker learns the
             * one that does from the lock itself, under its own key. */
            out->outcome = WARD_REVOKE_STALE;
        } else if (!revoke_allowed(&by, &target)) {
            out->outcome = WARD_REVOKE_REFUSED;
        } else {
            out->outcome = WARD_REVOKE_DONE;
        }
    }
    /* Sealed before anything is removed: a result buffer too small must
     * not leave a revocation nobody hears of. */
    if (err == WARD_OK) {
        err = ward_revoke_result_seal(lock_st(lock)->cp, &lock_st(lock)->rng, by.auth_key, sn,
                                      sn_len, &s, out, res, res_cap, res_len);
    }
    if (err == WARD_OK && out->outcome == WARD_REVOKE_DONE) {
        err = now_ms(lock, &now);
        if (err == WARD_OK) {
            err = ward_lock_audit_prepare(lock, WARD_AUDIT_REVOKE, 0, 0, target.uid,
                                          target.uid_len, now, &log);
        }
        if (err == WARD_OK) {
            /* The client and its auth key go with the log entry, in one
             * update. */
            ward_record_change ch[3] = {
                { target_key, NULL, 0, true },
                log.ch[0],
                log.ch[1],
            };
            err = ward_store_update(&lock_st(lock)->store, ch, WARD_ARRAY_LEN(ch));
        }
        if (err != WARD_OK) {
            /* Nothing was removed: a "done" must not go out. */
            ward_wipe(res, *res_len);
        }
    }
out:
    if (err != WARD_OK) {
        memset(out, 0, sizeof *out);
        *res_len = 0;
    }
    ward_wipe(&by, sizeof by);
    ward_wipe(&target, sizeof target);
    ward_wipe(plain, sizeof plain);
    return err;
}
