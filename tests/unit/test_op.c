/* Remote operation approval (flow B) on simulated flash: answers, forgeries, expiry, revocation, audit, power cuts. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <stdio.h>
#include <string.h>

#include "ward/ward_op.h"
#include "proto/lock_inner.h"
#include "ward_inner.h"
#include "proto/lock_records.h"
#include "proto/op_inner.h"
#include "lock_fixture.h"

/* One request as the app sees it, with the bytes its views point into. */
typedef struct asked {
    ward_op_lock op;
    uint8_t msg[WARD_OP_REQUEST_MAX];
    ward_op_request req;
} asked;

/* What the lock answered. */
typedef struct answered {
    ward_err err;
    ward_op_outcome out;
    uint8_t res[WARD_OP_RESULT_MAX];
    size_t res_len;
} answered;

static void ask(lf_env *e, asked *q, uint8_t code, const lf_app *target)
{
    lf_request(e, &q->op, code, target, q->msg, sizeof q->msg, &q->req);
}

static answered accept(lf_env *e, asked *q, const uint8_t *ap, size_t len)
{
    answered r;
    memset(&r, 0, sizeof r);
    r.err = ward_op_lock_accept(&e->lock, &q->op, ap, len, &r.out, r.res,
                                sizeof r.res, &r.res_len);
    return r;
}

/* The app's check of the lock's result. */
static ward_err open_result(const lf_app *a, const ward_op_request *req,
                            const answered *r, uint8_t *outcome)
{
    return ward_op_result_open(ward_test_cp, a->auth, req,
                               (const uint8_t *)a->uid, lf_uid_len(a), r->res,
                               r->res_len, outcome);
}

static uint32_t audit_count(lf_env *e, ward_audit_event *last)
{
    ward_audit_event ev;
    size_t pos = 0;
    uint32_t n = 0;
    memset(last, 0, sizeof *last);
    while (ward_audit_next(&e->lock, &pos, &ev) == WARD_OK) {
        *last = ev;
        n++;
    }
    assert_int_equal(ward_audit_next(&e->lock, &pos, &ev), WARD_ERR_NOTFOUND);
    return n;
}

static void expect_last(lf_env *e, uint8_t event, uint8_t op, uint8_t oc,
                        const lf_app *who)
{
    ward_audit_event ev;
    audit_count(e, &ev);
    assert_int_equal(ev.event, event);
    assert_int_equal(ev.op, op);
    assert_int_equal(ev.outcome, oc);
    assert_true(ev.time_ms == e->now);
    assert_int_equal(ev.uid_len, lf_uid_len(who));
    assert_memory_equal(ev.uid, who->uid, ev.uid_len);
}

/* Gives a the role directly in its record: the lock has no promotion
 * call yet, and the revocation rules need an admin. */
static void set_role(lf_env *e, const lf_app *a, uint8_t role)
{
    lock_client_rec c;
    uint8_t rec[CLIENT_REC_MAX];
    uint16_t key = 0;
    assert_int_equal(ward_lock_client_find(&e->lock, (const uint8_t *)a->uid,
                                           lf_uid_len(a), &key, &c), WARD_OK);
    c.role = role;
    size_t n = ward_lock_client_encode(&c, rec);
    assert_int_equal(ward_store_put(&lock_st(&e->lock)->store, key, rec, n), WARD_OK);
}

static lf_env *env_with(lf_app *apps, const char *const *uids, size_t n)
{
    lf_env *e = lf_env_new();
    for (size_t i = 0; i < n; i++) {
        lf_app_init(&apps[i], uids[i]);
        lf_bind(e, &apps[i]);
    }
    return e;
}

static void test_allow_executes(void **state)
{
    (void)state;
    lf_app a[2];
    static const char *const uids[] = { "alice", "bob" };
    lf_env *e = env_with(a, uids, 2);
    asked q, q2;
    uint8_t ap[WARD_APPROVAL_MAX], oc = 99;

    ask(e, &q, WARD_OP_UNLOCK, NULL);
    assert_null(q.req.target);
    assert_int_equal(q.req.sn_len, LF_SN_LEN);
    assert_memory_equal(q.req.sn, LF_SN, LF_SN_LEN);
    size_t n = lf_answer(&a[0], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    /* The chapter's example: 9-byte SN, 5-byte uid, 42 bytes. */
    assert_int_equal(n, 42);
    print_message("  APPROVAL for LOCK-0001 / alice: %zu bytes\n", n);
    const uint8_t *uid = NULL;
    size_t uid_len = 0;
    assert_int_equal(ward_approval_uid(ap, n, &uid, &uid_len), WARD_OK);
    assert_int_equal(uid_len, 5);
    assert_memory_equal(uid, "alice", 5);

    answered r = accept(e, &q, ap, n);
    assert_int_equal(r.err, WARD_OK);
    assert_true(r.out.execute);
    assert_int_equal(r.out.op, WARD_OP_UNLOCK);
    assert_int_equal(r.out.outcome, WARD_OUTCOME_EXECUTED);
    assert_int_equal(r.out.uid_len, 5);
    assert_memory_equal(r.out.uid, "alice", 5);
    expect_last(e, WARD_AUDIT_OP_EXECUTED, WARD_OP_UNLOCK,
                WARD_OUTCOME_EXECUTED, &a[0]);
    assert_int_equal(ward_approval_uid(r.res, r.res_len, &uid, &uid_len),
                     WARD_OK);
    assert_memory_equal(uid, "alice", 5);
    /* wardd asks for the type it expects: a result is no approval. */
    assert_int_equal(ward_sealed_uid(ap, n, WARD_MSG_APPROVAL, &uid, &uid_len), WARD_OK);
    assert_int_equal(uid_len, 5);
    assert_int_equal(ward_sealed_uid(r.res, r.res_len, WARD_MSG_APPROVAL, &uid, &uid_len),
                     WARD_ERR_FORMAT);
    assert_null(uid);
    assert_int_equal(ward_sealed_uid(ap, n, WARD_MSG_REVOKE, &uid, &uid_len),
                     WARD_ERR_FORMAT);

    /* The app reads the outcome; nobody else can, nor for another request. */
    assert_int_equal(open_result(&a[0], &q.req, &r, &oc), WARD_OK);
    assert_int_equal(oc, WARD_OUTCOME_EXECUTED);
    assert_int_equal(open_result(&a[1], &q.req, &r, &oc), WARD_ERR_AUTH);
    assert_int_equal(ward_op_result_open(ward_test_cp, a[1].auth, &q.req,
                                         (const uint8_t *)"alice", 5, r.res,
                                         r.res_len, &oc), WARD_ERR_AUTH);
    ask(e, &q2, WARD_OP_UNLOCK, NULL);
    assert_int_equal(open_result(&a[0], &q2.req, &r, &oc), WARD_ERR_AUTH);
    ward_op_request other = q.req;
    other.op = WARD_OP_VIDEO;
    assert_int_equal(open_result(&a[0], &other, &r, &oc), WARD_ERR_AUTH);
    for (size_t i = 0; i < r.res_len; i++) {
        answered bad = r;
        bad.res[i] ^= 0x20;
        assert_int_equal(open_result(&a[0], &q.req, &bad, &oc), WARD_ERR_AUTH);
    }

    /* Consumed: the same answer again finds nothing outstanding. */
    r = accept(e, &q, ap, n);
    assert_int_equal(r.err, WARD_ERR_STATE);
    assert_false(r.out.execute);
    lf_env_free(e);
}

static void test_deny_refuses(void **state)
{
    (void)state;
    lf_app a[1];
    static const char *const uids[] = { "alice" };
    lf_env *e = env_with(a, uids, 1);
    asked q;
    uint8_t ap[WARD_APPROVAL_MAX], oc = 99;
    ask(e, &q, WARD_OP_INTERCOM, NULL);
    size_t n = lf_answer(&a[0], &q.req, WARD_DECISION_DENY, ap, sizeof ap);
    answered r = accept(e, &q, ap, n);
    assert_int_equal(r.err, WARD_OK);
    assert_false(r.out.execute);
    assert_int_equal(r.out.outcome, WARD_OUTCOME_DENIED);
    assert_int_equal(r.out.op, WARD_OP_INTERCOM);
    assert_int_equal(open_result(&a[0], &q.req, &r, &oc), WARD_OK);
    assert_int_equal(oc, WARD_OUTCOME_DENIED);
    expect_last(e, WARD_AUDIT_OP_REFUSED, WARD_OP_INTERCOM,
                WARD_OUTCOME_DENIED, &a[0]);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_STATE);
    /* A denied "add client" grants nothing. */
    ask(e, &q, WARD_OP_ADD_CLIENT, NULL);
    n = lf_answer(&a[0], &q.req, WARD_DECISION_DENY, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_OK);
    lf_qr s;
    assert_int_equal(lf_try_start(e, &s), WARD_ERR_AUTH);
    lf_env_free(e);
}

static void test_replay_and_reorder(void **state)
{
    (void)state;
    lf_app a[1];
    static const char *const uids[] = { "alice" };
    lf_env *e = env_with(a, uids, 1);
    asked q1, q2;
    uint8_t ap1[WARD_APPROVAL_MAX], ap2[WARD_APPROVAL_MAX];

    /* Replayed to a later request. */
    ask(e, &q1, WARD_OP_UNLOCK, NULL);
    size_t n1 = lf_answer(&a[0], &q1.req, WARD_DECISION_ALLOW, ap1,
                          sizeof ap1);
    assert_int_equal(accept(e, &q1, ap1, n1).err, WARD_OK);
    ask(e, &q2, WARD_OP_UNLOCK, NULL);
    answered r = accept(e, &q2, ap1, n1);
    assert_int_equal(r.err, WARD_ERR_AUTH);
    assert_false(r.out.execute);
    assert_int_equal(r.res_len, 0);
    size_t n2 = lf_answer(&a[0], &q2.req, WARD_DECISION_ALLOW, ap2,
                          sizeof ap2);
    assert_int_equal(accept(e, &q2, ap2, n2).err, WARD_OK);

    /* Reordered: the answer to request 1 arrives after request 2 was made
     * (in the same context, which request 2 replaced). */
    ask(e, &q1, WARD_OP_UNLOCK, NULL);
    n1 = lf_answer(&a[0], &q1.req, WARD_DECISION_ALLOW, ap1, sizeof ap1);
    lf_request(e, &q1.op, WARD_OP_VIDEO, NULL, q2.msg, sizeof q2.msg, &q2.req);
    assert_int_equal(accept(e, &q1, ap1, n1).err, WARD_ERR_AUTH);
    n2 = lf_answer(&a[0], &q2.req, WARD_DECISION_ALLOW, ap2, sizeof ap2);
    r = accept(e, &q1, ap2, n2);
    assert_int_equal(r.err, WARD_OK);
    assert_int_equal(r.out.op, WARD_OP_VIDEO);
    lf_env_free(e);
}

static void test_wrong_lock_user_key(void **state)
{
    (void)state;
    lf_app a[2], carol;
    static const char *const uids[] = { "alice", "bob" };
    lf_env *e = env_with(a, uids, 2);
    asked q;
    uint8_t ap[WARD_APPROVAL_MAX];
    size_t n;

    ask(e, &q, WARD_OP_UNLOCK, NULL);
    /* Sealed for another lock with the same nonce. */
    ward_op_request other = q.req;
    other.sn = (const uint8_t *)"LOCK-0002";
    n = lf_answer(&a[0], &other, WARD_DECISION_ALLOW, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_AUTH);
    /* For another op. */
    other = q.req;
    other.op = WARD_OP_VIDEO;
    n = lf_answer(&a[0], &other, WARD_DECISION_ALLOW, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_AUTH);
    /* Alice's name under Bob's key, and Bob's under Alice's. */
    lf_app mix = a[1];
    memcpy(mix.uid, "alice", 6);
    n = lf_answer(&mix, &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_AUTH);
    mix = a[0];
    memcpy(mix.uid, "bob", 4);
    n = lf_answer(&mix, &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_AUTH);
    /* Not bound at all. */
    lf_app_init(&carol, "carol");
    memset(carol.auth, 7, sizeof carol.auth);
    n = lf_answer(&carol, &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_AUTH);
    /* Not an APPROVAL at all. */
    assert_int_equal(accept(e, &q, q.msg, WARD_OP_REQUEST_MAX).err,
                     WARD_ERR_FORMAT);
    assert_int_equal(accept(e, &q, NULL, 0).err, WARD_ERR_FORMAT);
    /* Through all that the request stayed: Bob's real answer works. */
    n = lf_answer(&a[1], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    answered r = accept(e, &q, ap, n);
    assert_int_equal(r.err, WARD_OK);
    assert_true(r.out.execute);
    assert_memory_equal(r.out.uid, "bob", 3);
    lf_env_free(e);
}

/* Any altered byte or length: not an answer, and the request stays. */
static void test_tampered(void **state)
{
    (void)state;
    lf_app a[1];
    static const char *const uids[] = { "alice" };
    lf_env *e = env_with(a, uids, 1);
    asked q;
    uint8_t ap[WARD_APPROVAL_MAX], bad[WARD_APPROVAL_MAX + 1];
    ask(e, &q, WARD_OP_UNLOCK, NULL);
    size_t n = lf_answer(&a[0], &q.req, WARD_DECISION_DENY, ap, sizeof ap);
    uint32_t before = audit_count(e, &(ward_audit_event){ 0 });
    for (size_t i = 0; i < n; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(bad, ap, n);
            bad[i] ^= (uint8_t)(1u << bit);
            answered r = accept(e, &q, bad, n);
            assert_true(r.err == WARD_ERR_AUTH || r.err == WARD_ERR_FORMAT);
            assert_false(r.out.execute);
            assert_int_equal(r.res_len, 0);
        }
    }
    for (size_t len = 0; len < n; len++) {
        assert_int_not_equal(accept(e, &q, ap, len).err, WARD_OK);
    }
    memcpy(bad, ap, n);
    bad[n] = 0;
    assert_int_equal(accept(e, &q, bad, n + 1).err, WARD_ERR_FORMAT);
    /* Deny turned into allow by flipping the last plaintext bit: the tag
     * says no (covered above, but it is the one that matters). */
    assert_int_equal(audit_count(e, &(ward_audit_event){ 0 }), before);
    answered r = accept(e, &q, ap, n);
    assert_int_equal(r.err, WARD_OK);
    assert_int_equal(r.out.outcome, WARD_OUTCOME_DENIED);
    lf_env_free(e);
}

static void test_expired(void **state)
{
    (void)state;
    lf_app a[1];
    static const char *const uids[] = { "alice" };
    lf_env *e = env_with(a, uids, 1);
    asked q;
    uint8_t ap[WARD_APPROVAL_MAX], oc = 99;
    size_t n;

    /* Just in time. */
    ask(e, &q, WARD_OP_UNLOCK, NULL);
    n = lf_answer(&a[0], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    e->now += WARD_OP_TTL_MS - 1;
    assert_int_equal(accept(e, &q, ap, n).err, WARD_OK);

    /* Too late: a valid answer gets an EXPIRED result, nothing acts. */
    ask(e, &q, WARD_OP_UNLOCK, NULL);
    n = lf_answer(&a[0], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    e->now += WARD_OP_TTL_MS;
    answered r = accept(e, &q, ap, n);
    assert_int_equal(r.err, WARD_ERR_EXPIRED);
    assert_false(r.out.execute);
    assert_int_equal(r.out.outcome, WARD_OUTCOME_EXPIRED);
    assert_int_equal(open_result(&a[0], &q.req, &r, &oc), WARD_OK);
    assert_int_equal(oc, WARD_OUTCOME_EXPIRED);
    expect_last(e, WARD_AUDIT_OP_REFUSED, WARD_OP_UNLOCK,
                WARD_OUTCOME_EXPIRED, &a[0]);
    /* Dropped. */
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_STATE);

    /* Garbage after the expiry: dropped too, with no result. */
    ask(e, &q, WARD_OP_UNLOCK, NULL);
    n = lf_answer(&a[0], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    e->now += WARD_OP_TTL_MS;
    ap[n - 1] ^= 1;
    r = accept(e, &q, ap, n);
    assert_int_equal(r.err, WARD_ERR_EXPIRED);
    assert_int_equal(r.res_len, 0);
    ap[n - 1] ^= 1;
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_STATE);

    /* A clock that went back cannot tell the request's age. */
    ask(e, &q, WARD_OP_UNLOCK, NULL);
    n = lf_answer(&a[0], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    e->now -= 1;
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_EXPIRED);

    /* A short-lived request is measured by its own life: 5 s, then the
     * clock steps back 50 s (inside the default 60 s) and it is dead
     * all the same; just in time it still acts. */
    size_t len = 0;
    assert_int_equal(ward_op_lock_request_within(&e->lock, &q.op, WARD_OP_UNLOCK, NULL, 0,
                                                 5000, q.msg, sizeof q.msg, &len), WARD_OK);
    assert_int_equal(ward_op_request_parse(q.msg, len, &q.req), WARD_OK);
    assert_true(q.req.expires_ms == e->now + 5000);
    n = lf_answer(&a[0], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    e->now -= 50000;
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_EXPIRED);
    e->now += 50000;
    assert_int_equal(ward_op_lock_request_within(&e->lock, &q.op, WARD_OP_UNLOCK, NULL, 0,
                                                 5000, q.msg, sizeof q.msg, &len), WARD_OK);
    assert_int_equal(ward_op_request_parse(q.msg, len, &q.req), WARD_OK);
    n = lf_answer(&a[0], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    e->now += 4999;
    assert_int_equal(accept(e, &q, ap, n).err, WARD_OK);
    lf_env_free(e);
}

static void test_target(void **state)
{
    (void)state;
    lf_app a[2], carol;
    static const char *const uids[] = { "alice", "bob" };
    lf_env *e = env_with(a, uids, 2);
    asked q;
    uint8_t ap[WARD_APPROVAL_MAX];
    size_t n = 0;

    ask(e, &q, WARD_OP_UNLOCK, &a[0]);
    assert_int_equal(q.req.target_len, 5);
    assert_memory_equal(q.req.target, "alice", 5);
    n = lf_answer(&a[1], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_AUTH);
    n = lf_answer(&a[0], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_OK);

    /* Only a bound target, only known ops. */
    lf_app_init(&carol, "carol");
    assert_int_equal(ward_op_lock_request(&e->lock, &q.op, WARD_OP_UNLOCK,
                                          (const uint8_t *)"carol", 5, q.msg,
                                          sizeof q.msg, &n),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(ward_op_lock_code(&q.op), 0);
    assert_int_equal(ward_op_lock_request(&e->lock, &q.op, 0, NULL, 0, q.msg,
                                          sizeof q.msg, &n), WARD_ERR_PARAM);
    assert_int_equal(ward_op_lock_request(&e->lock, &q.op, WARD_OP_MAX + 1,
                                          NULL, 0, q.msg, sizeof q.msg, &n),
                     WARD_ERR_PARAM);
    assert_int_equal(ward_op_lock_request(&e->lock, &q.op, WARD_OP_UNLOCK,
                                          (const uint8_t *)"a b", 3, q.msg,
                                          sizeof q.msg, &n), WARD_ERR_PARAM);
    assert_int_equal(ward_op_lock_request(&e->lock, &q.op, WARD_OP_UNLOCK,
                                          NULL, 0, q.msg, 10, &n),
                     WARD_ERR_NOSPACE);
    assert_int_equal(ward_op_lock_code(&q.op), 0);
    lf_env_free(e);
}

/* A restart forgets the request: the old answer is never acted on. */
static void test_restart_forgets(void **state)
{
    (void)state;
    lf_app a[1];
    static const char *const uids[] = { "alice" };
    lf_env *e = env_with(a, uids, 1);
    asked q;
    uint8_t ap[WARD_APPROVAL_MAX];
    ask(e, &q, WARD_OP_UNLOCK, NULL);
    size_t n = lf_answer(&a[0], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    lf_restart(e);
    memset(&q.op, 0, sizeof q.op); /* RAM after the power-up */
    answered r = accept(e, &q, ap, n);
    assert_int_equal(r.err, WARD_ERR_STATE);
    assert_false(r.out.execute);
    /* A new request after the restart has a new nonce. */
    asked q2;
    ask(e, &q2, WARD_OP_UNLOCK, NULL);
    assert_int_equal(accept(e, &q2, ap, n).err, WARD_ERR_AUTH);
    lf_env_free(e);
}

static void test_add_client_roles(void **state)
{
    (void)state;
    lf_app a[3], dave;
    static const char *const uids[] = { "owner", "admin", "member" };
    lf_env *e = env_with(a, uids, 3);
    asked q;
    uint8_t ap[WARD_APPROVAL_MAX];
    lf_qr s;
    set_role(e, &a[1], WARD_ROLE_ADMIN);

    /* A member's answer to "add client" is no answer, allow or deny. */
    ask(e, &q, WARD_OP_ADD_CLIENT, NULL);
    size_t n = lf_answer(&a[2], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_AUTH);
    n = lf_answer(&a[2], &q.req, WARD_DECISION_DENY, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_AUTH);
    assert_int_equal(lf_try_start(e, &s), WARD_ERR_AUTH);
    /* The admin's is. */
    n = lf_answer(&a[1], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    answered r = accept(e, &q, ap, n);
    assert_int_equal(r.err, WARD_OK);
    assert_true(r.out.execute);
    expect_last(e, WARD_AUDIT_OP_EXECUTED, WARD_OP_ADD_CLIENT,
                WARD_OUTCOME_EXECUTED, &a[1]);
    lf_app_init(&dave, "dave");
    assert_int_equal(lf_try_start(e, &s), WARD_OK);
    lf_enter_ok(e, &s);
    uint8_t blob[WARD_BIND_BLOB_MAX], m[WARD_BIND_CONFIRM_MAX];
    size_t mlen = 0;
    size_t blen = lf_app_blob(&dave, &s, LF_PHONE, LF_PHONE_LEN, blob);
    assert_int_equal(ward_bind_finish(&e->lock, blob, blen, m, sizeof m,
                                      &mlen), WARD_OK);
    expect_last(e, WARD_AUDIT_BIND, 0, 0, &dave);
    /* Members may still allow the other ops. */
    ask(e, &q, WARD_OP_UNLOCK, NULL);
    n = lf_answer(&a[2], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_OK);
    lf_env_free(e);
}

/* What a revocation came to: the REVOKE_RESULT's outcome (WARD_REVOKE_*,
 * checked by opening it as the revoker would), or R_ERR + the error when
 * the lock answered none. */
#define R_ERR 100

static int apply_revoke(lf_env *e, const lf_app *by, const lf_app *target,
                        const uint8_t *msg, size_t len)
{
    ward_revoke_outcome out, opened;
    uint8_t res[WARD_REVOKE_RESULT_MAX];
    size_t res_len = 99;
    ward_err err = ward_op_lock_revoke(&e->lock, msg, len, &out, res, sizeof res,
                                       &res_len);
    if (err != WARD_OK) {
        assert_int_equal(res_len, 0);
        return R_ERR + (int)err;
    }
    assert_true(res_len > 0 && res_len <= WARD_REVOKE_RESULT_MAX);
    assert_int_equal(out.target_len, lf_uid_len(target));
    assert_memory_equal(out.target, target->uid, out.target_len);
    assert_int_equal(out.revoker_len, lf_uid_len(by));
    /* Only the revoker opens it, and it says what the lock said. */
    assert_int_equal(ward_revoke_result_open(ward_test_cp, by->auth, LF_SN, LF_SN_LEN, msg,
                                             len, (const uint8_t *)target->uid,
                                             lf_uid_len(target), res, res_len, &opened),
                     WARD_OK);
    assert_int_equal(opened.outcome, out.outcome);
    assert_int_equal(opened.has_tid, out.has_tid);
    assert_memory_equal(opened.tid, out.tid, sizeof out.tid);
    assert_int_equal(ward_revoke_result_open(ward_test_cp, target->auth, LF_SN, LF_SN_LEN,
                                             msg, len, (const uint8_t *)target->uid,
                                             lf_uid_len(target), res, res_len, &opened),
                     by == target ? WARD_OK : WARD_ERR_AUTH);
    /* Named for another target, it does not open either. */
    assert_int_equal(ward_revoke_result_open(ward_test_cp, by->auth, LF_SN, LF_SN_LEN, msg,
                                             len, (const uint8_t *)"nobody", 6, res,
                                             res_len, &opened),
                     WARD_ERR_AUTH);
    if (out.outcome == WARD_REVOKE_NOT_BOUND) {
        assert_false(out.has_tid);
    } else {
        assert_true(out.has_tid);
    }
    return out.outcome;
}

static int revoke(lf_env *e, const lf_app *by, const lf_app *target,
                  const uint8_t *tid, uint8_t *msg, size_t *len)
{
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_revoke_seal(ward_test_cp, &rng, by->auth, LF_SN,
                                      LF_SN_LEN, (const uint8_t *)by->uid,
                                      lf_uid_len(by),
                                      (const uint8_t *)target->uid,
                                      lf_uid_len(target),
                                      tid != NULL ? tid : target->tid, msg,
                                      WARD_REVOKE_MAX, len), WARD_OK);
    return apply_revoke(e, by, target, msg, *len);
}

/* Whether the bytes are anywhere in the lock's flash, either bank. */
static bool flash_holds(const lf_env *e, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + len <= LF_FLASH; i++) {
        if (memcmp(e->mem + i, p, len) == 0) {
            return true;
        }
    }
    return false;
}

static bool bound(lf_env *e, const lf_app *a)
{
    uint8_t key[WARD_AUTH_KEY_LEN];
    return ward_lock_client_auth_key(&e->lock, (const uint8_t *)a->uid,
                                     lf_uid_len(a), key) == WARD_OK;
}

static void test_revoke(void **state)
{
    (void)state;
    lf_app a[5];
    static const char *const uids[] = { "owner", "admin", "m1", "m2", "m3" };
    lf_env *e = env_with(a, uids, 5);
    uint8_t msg[WARD_REVOKE_MAX], old[WARD_REVOKE_MAX];
    size_t len = 0, old_len = 0;
    lf_app *owner = &a[0], *admin = &a[1], *m1 = &a[2], *m2 = &a[3];
    lf_app *m3 = &a[4];
    set_role(e, admin, WARD_ROLE_ADMIN);

    /* Roles: refused, and the revoker hears so from the lock. */
    assert_int_equal(revoke(e, admin, owner, NULL, msg, &len), WARD_REVOKE_REFUSED);
    assert_int_equal(revoke(e, m1, m2, NULL, msg, &len), WARD_REVOKE_REFUSED);
    assert_int_equal(revoke(e, m1, admin, NULL, msg, &len), WARD_REVOKE_REFUSED);
    assert_int_equal(revoke(e, owner, owner, NULL, msg, &len), WARD_REVOKE_REFUSED);
    assert_true(bound(e, owner) && bound(e, admin) && bound(e, m2));

    /* The owner revokes a member: gone with its key, in the audit. */
    assert_true(flash_holds(e, m1->auth, sizeof m1->auth));
    assert_int_equal(revoke(e, owner, m1, NULL, old, &old_len), WARD_REVOKE_DONE);
    assert_false(bound(e, m1));
    /* Nor does its key stay in the old bank until the next update. */
    assert_false(flash_holds(e, m1->auth, sizeof m1->auth));
    expect_last(e, WARD_AUDIT_REVOKE, 0, 0, m1);
    /* Its approvals are no longer answers. */
    asked q;
    uint8_t ap[WARD_APPROVAL_MAX];
    ask(e, &q, WARD_OP_UNLOCK, NULL);
    size_t n = lf_answer(m1, &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_AUTH);
    /* Applying it again changes nothing and says the target is not
     * bound. */
    ward_audit_event before, after;
    uint32_t cnt = audit_count(e, &before);
    assert_int_equal(apply_revoke(e, owner, m1, old, old_len), WARD_REVOKE_NOT_BOUND);
    assert_int_equal(audit_count(e, &after), cnt);
    /* m1 binds again; the old revocation names the old binding: stale,
     * and the result names the binding that exists. */
    lf_bind(e, m1);
    assert_int_equal(apply_revoke(e, owner, m1, old, old_len), WARD_REVOKE_STALE);
    assert_true(bound(e, m1));
    /* A tid that was never m1's (one wardd made up) does nothing either,
     * and the result tells the revoker m1's real one. */
    uint8_t tid[WARD_TASK_ID_LEN];
    memset(tid, 0xA5, sizeof tid);
    assert_int_equal(revoke(e, owner, m1, tid, msg, &len), WARD_REVOKE_STALE);
    assert_true(bound(e, m1));
    {
        ward_revoke_outcome o;
        uint8_t res[WARD_REVOKE_RESULT_MAX];
        size_t res_len = 0;
        assert_int_equal(ward_op_lock_revoke(&e->lock, msg, len, &o, res, sizeof res,
                                             &res_len), WARD_OK);
        assert_true(o.has_tid);
        assert_memory_equal(o.tid, m1->tid, WARD_TASK_ID_LEN);
        /* A result buffer too small costs nothing. */
        assert_int_equal(ward_op_lock_revoke(&e->lock, msg, len, &o, res, 10, &res_len),
                         WARD_ERR_NOSPACE);
        assert_int_equal(res_len, 0);
    }
    /* With that tid the revocation goes through. */
    assert_int_equal(revoke(e, owner, m1, NULL, msg, &len), WARD_REVOKE_DONE);
    assert_false(bound(e, m1));
    lf_bind(e, m1);

    /* An admin revokes members only; anyone but the owner leaves alone. */
    assert_int_equal(revoke(e, admin, m2, NULL, msg, &len), WARD_REVOKE_DONE);
    assert_false(bound(e, m2));
    assert_int_equal(revoke(e, m3, m3, NULL, msg, &len), WARD_REVOKE_DONE);
    assert_false(bound(e, m3));
    assert_int_equal(revoke(e, admin, admin, NULL, msg, &len), WARD_REVOKE_DONE);
    assert_false(bound(e, admin));
    /* A revoker that is gone is nobody: no result at all. */
    assert_int_equal(revoke(e, admin, m1, NULL, msg, &len), R_ERR + WARD_ERR_AUTH);
    assert_true(bound(e, m1));

    /* A buffer too small for the result keeps the target. */
    {
        ward_random rng = ward_test_rng();
        ward_revoke_outcome o;
        uint8_t res[WARD_REVOKE_RESULT_MAX];
        size_t res_len = 0;
        assert_int_equal(ward_revoke_seal(ward_test_cp, &rng, owner->auth, LF_SN, LF_SN_LEN,
                                          (const uint8_t *)"owner", 5, (const uint8_t *)"m1",
                                          2, m1->tid, msg, sizeof msg, &len), WARD_OK);
        assert_int_equal(ward_op_lock_revoke(&e->lock, msg, len, &o, res, 10, &res_len),
                         WARD_ERR_NOSPACE);
        assert_int_equal(res_len, 0);
        assert_true(bound(e, m1));
    }

    /* Tampering, another lock, a revoker's name under another key. */
    assert_int_equal(revoke(e, owner, m1, NULL, msg, &len), WARD_OK);
    lf_bind(e, m1);
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_revoke_seal(ward_test_cp, &rng, owner->auth, LF_SN,
                                      LF_SN_LEN, (const uint8_t *)"owner", 5,
                                      (const uint8_t *)"m1", 2, m1->tid, msg,
                                      sizeof msg, &len), WARD_OK);
    for (size_t i = 0; i < len; i++) {
        uint8_t bad[WARD_REVOKE_MAX];
        memcpy(bad, msg, len);
        bad[i] ^= 0x04;
        ward_revoke_outcome o;
        uint8_t res[WARD_REVOKE_RESULT_MAX];
        size_t res_len = 99;
        ward_err err = ward_op_lock_revoke(&e->lock, bad, len, &o, res, sizeof res, &res_len);
        assert_true(err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
        assert_int_equal(res_len, 0);
        assert_true(bound(e, m1));
    }
    assert_int_equal(ward_revoke_seal(ward_test_cp, &rng, owner->auth,
                                      (const uint8_t *)"LOCK-0002", 9,
                                      (const uint8_t *)"owner", 5,
                                      (const uint8_t *)"m1", 2, m1->tid, msg,
                                      sizeof msg, &len), WARD_OK);
    assert_int_equal(apply_revoke(e, owner, m1, msg, len), R_ERR + WARD_ERR_AUTH);
    assert_int_equal(ward_revoke_seal(ward_test_cp, &rng, m1->auth, LF_SN,
                                      LF_SN_LEN, (const uint8_t *)"owner", 5,
                                      (const uint8_t *)"m1", 2, m1->tid, msg,
                                      sizeof msg, &len), WARD_OK);
    assert_int_equal(apply_revoke(e, owner, m1, msg, len), R_ERR + WARD_ERR_AUTH);
    assert_true(bound(e, m1));
    const uint8_t *uid = NULL;
    size_t uid_len = 0;
    assert_int_equal(ward_approval_uid(msg, len, &uid, &uid_len), WARD_OK);
    assert_memory_equal(uid, "owner", 5);
    /* Survives a restart: the table is in the store. */
    lf_restart(e);
    assert_false(bound(e, m2));
    assert_true(bound(e, m1));
    lf_env_free(e);
}

/* A REVOKE delivered twice (a lost inbox acknowledgement, a replay) is
 * answered twice, DONE then NOT_BOUND, under the one key its context
 * gives: each answer must carry its own nonce, or the two would share a
 * keystream and an eavesdropper would read one plaintext XOR the other. */
static void test_revoke_twice_fresh_nonce(void **state)
{
    (void)state;
    lf_app a[2];
    static const char *const uids[] = { "owner", "m1" };
    lf_env *e = env_with(a, uids, 2);
    ward_random rng = ward_test_rng();
    uint8_t msg[WARD_REVOKE_MAX];
    uint8_t res[2][WARD_REVOKE_RESULT_MAX];
    size_t len = 0, res_len[2] = { 0, 0 };
    ward_revoke_outcome out, opened;
    ward_op_sealed s[2];
    static const uint8_t want[2] = { WARD_REVOKE_DONE, WARD_REVOKE_NOT_BOUND };

    assert_int_equal(ward_revoke_seal(ward_test_cp, &rng, a[0].auth, LF_SN, LF_SN_LEN,
                                      (const uint8_t *)"owner", 5, (const uint8_t *)"m1", 2,
                                      a[1].tid, msg, sizeof msg, &len), WARD_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ward_op_lock_revoke(&e->lock, msg, len, &out, res[i],
                                             sizeof res[i], &res_len[i]), WARD_OK);
        assert_int_equal(out.outcome, want[i]);
        /* Both open for the revoker, and say what the lock did. */
        assert_int_equal(ward_revoke_result_open(ward_test_cp, a[0].auth, LF_SN, LF_SN_LEN,
                                                 msg, len, (const uint8_t *)"m1", 2, res[i],
                                                 res_len[i], &opened), WARD_OK);
        assert_int_equal(opened.outcome, want[i]);
        assert_int_equal(ward_op_sealed_split(res[i], res_len[i], WARD_MSG_REVOKE_RESULT,
                                              &s[i]), WARD_OK);
        assert_non_null(s[i].nonce);
    }
    assert_memory_not_equal(s[0].nonce, s[1].nonce, WARD_AEAD_NONCE_LEN);
    /* The plaintexts start 0x01 0x01 outcome 0x02 0x02 "m1": under one
     * (key, nonce) the ciphertexts would differ exactly where they do. */
    static const uint8_t pt_xor[7] = { 0, 0, WARD_REVOKE_DONE ^ WARD_REVOKE_NOT_BOUND,
                                       0, 0, 0, 0 };
    uint8_t ct_xor[7];
    for (size_t i = 0; i < sizeof ct_xor; i++) {
        ct_xor[i] = (uint8_t)(s[0].ct[i] ^ s[1].ct[i]);
    }
    assert_memory_not_equal(ct_xor, pt_xor, sizeof ct_xor);
    lf_env_free(e);
}

/* A revocation the store cannot record is not answered: no "done"
 * leaves the lock (the result, sealed first, is wiped from res), the
 * target stays bound, and the same REVOKE goes through once the store
 * works again. */
static void test_revoke_store_failure(void **state)
{
    (void)state;
    lf_app a[2];
    static const char *const uids[] = { "owner", "m1" };
    lf_env *e = env_with(a, uids, 2);
    ward_random rng = ward_test_rng();
    uint8_t msg[WARD_REVOKE_MAX], res[WARD_REVOKE_RESULT_MAX];
    size_t len = 0, res_len = 99;
    ward_revoke_outcome out;
    assert_int_equal(ward_revoke_seal(ward_test_cp, &rng, a[0].auth, LF_SN, LF_SN_LEN,
                                      (const uint8_t *)"owner", 5, (const uint8_t *)"m1", 2,
                                      a[1].tid, msg, sizeof msg, &len), WARD_OK);
    memset(res, 0xAA, sizeof res);
    ward_sim_flash_cut_after(&e->sf, 0);
    assert_int_equal(ward_op_lock_revoke(&e->lock, msg, len, &out, res, sizeof res, &res_len),
                     WARD_ERR_IO);
    assert_int_equal(res_len, 0);
    assert_int_equal(out.outcome, 0);
    assert_int_equal(out.revoker_len, 0);
    for (size_t i = 0; i < sizeof res; i++) {
        assert_true(res[i] == 0 || res[i] == 0xAA);
    }
    ward_sim_flash_power_on(&e->sf);
    assert_true(bound(e, &a[1]));
    assert_int_equal(apply_revoke(e, &a[0], &a[1], msg, len), WARD_REVOKE_DONE);
    assert_false(bound(e, &a[1]));
    lf_env_free(e);
}

/* The revoker's app takes a result only if it is one the lock could
 * have sealed: a tid exactly when the outcome is not NOT_BOUND. */
static void test_revoke_result_tid_matches_outcome(void **state)
{
    (void)state;
    ward_random rng = ward_test_rng();
    uint8_t auth[WARD_AUTH_KEY_LEN], tid[WARD_TASK_ID_LEN];
    uint8_t rv[WARD_REVOKE_MAX], res[WARD_REVOKE_RESULT_MAX];
    size_t rv_len = 0, res_len = 0;
    ward_op_sealed s;
    ward_revoke_outcome o, opened;
    memset(auth, 0x42, sizeof auth);
    memset(tid, 0x17, sizeof tid);
    assert_int_equal(ward_revoke_seal(ward_test_cp, &rng, auth, LF_SN, LF_SN_LEN,
                                      (const uint8_t *)"owner", 5, (const uint8_t *)"m1", 2,
                                      tid, rv, sizeof rv, &rv_len), WARD_OK);
    assert_int_equal(ward_op_sealed_split(rv, rv_len, WARD_MSG_REVOKE, &s), WARD_OK);
    for (uint8_t oc = 0; oc <= WARD_REVOKE_OUTCOME_MAX; oc++) {
        for (int with_tid = 0; with_tid < 2; with_tid++) {
            memset(&o, 0, sizeof o);
            o.outcome = oc;
            memcpy(o.target, "m1", 2);
            o.target_len = 2;
            o.has_tid = with_tid != 0;
            memcpy(o.tid, tid, sizeof o.tid);
            assert_int_equal(ward_revoke_result_seal(ward_test_cp, &rng, auth, LF_SN,
                                                     LF_SN_LEN, &s, &o, res, sizeof res,
                                                     &res_len), WARD_OK);
            bool fits = (oc == WARD_REVOKE_NOT_BOUND) == !o.has_tid;
            assert_int_equal(ward_revoke_result_open(ward_test_cp, auth, LF_SN, LF_SN_LEN, rv,
                                                     rv_len, (const uint8_t *)"m1", 2, res,
                                                     res_len, &opened),
                             fits ? WARD_OK : WARD_ERR_AUTH);
            if (!fits) {
                assert_int_equal(opened.outcome, 0);
                assert_false(opened.has_tid);
            }
        }
    }
}

static void test_audit_ring(void **state)
{
    (void)state;
    lf_app a[2];
    static const char *const uids[] = { "alice", "bob" };
    lf_env *e = env_with(a, uids, 2);
    ward_audit_event ev;
    size_t pos = 0;
    asked q;
    uint8_t ap[WARD_APPROVAL_MAX];

    /* So far: alice bound, the owner's grant for bob, bob bound. */
    assert_int_equal(ward_audit_next(&e->lock, &pos, &ev), WARD_OK);
    assert_int_equal(ev.seq, 1);
    assert_int_equal(ev.event, WARD_AUDIT_BIND);
    assert_memory_equal(ev.uid, "alice", 5);
    assert_int_equal(ward_audit_next(&e->lock, &pos, &ev), WARD_OK);
    assert_int_equal(ev.seq, 2);
    assert_int_equal(ev.event, WARD_AUDIT_OP_EXECUTED);
    assert_int_equal(ev.op, WARD_OP_ADD_CLIENT);
    assert_int_equal(ward_audit_next(&e->lock, &pos, &ev), WARD_OK);
    assert_int_equal(ev.seq, 3);
    assert_int_equal(ev.event, WARD_AUDIT_BIND);
    assert_memory_equal(ev.uid, "bob", 3);
    assert_int_equal(ward_audit_next(&e->lock, &pos, &ev), WARD_ERR_NOTFOUND);

    /* 40 more, alternating users and decisions, a second apart. */
    for (uint32_t i = 0; i < 40; i++) {
        e->now += 1000;
        const lf_app *who = &a[i % 2];
        ask(e, &q, (uint8_t)(1u + i % 3u), NULL);
        size_t n = lf_answer(who, &q.req,
                             (uint8_t)(i % 3u == 0 ? WARD_DECISION_DENY
                                                   : WARD_DECISION_ALLOW),
                             ap, sizeof ap);
        assert_int_equal(accept(e, &q, ap, n).err, WARD_OK);
    }
    /* A code lock-out is an event too. */
    e->now += 1000;
    lf_qr s;
    lf_start(e, &s); /* the owner's grant: event 44 */
    for (int i = 0; i < WARD_BIND_MAX_ATTEMPTS; i++) {
        assert_int_not_equal(ward_bind_enter_code(&e->lock, (const uint8_t *)"xxxxxx", 6,
                                                  NULL), WARD_OK);
    }
    lf_restart(e); /* the ring is in the store */
    pos = 0;
    uint32_t n = 0, want = 45 - WARD_AUDIT_MAX + 1;
    while (ward_audit_next(&e->lock, &pos, &ev) == WARD_OK) {
        assert_int_equal(ev.seq, want);
        if (want <= 43) {
            uint32_t i = want - 4;
            assert_true(ev.time_ms == LF_T0 + 1000ull * (i + 1));
            assert_int_equal(ev.op, 1u + i % 3u);
            assert_int_equal(ev.event, i % 3u == 0 ? WARD_AUDIT_OP_REFUSED
                                                   : WARD_AUDIT_OP_EXECUTED);
            assert_int_equal(ev.outcome, i % 3u == 0 ? WARD_OUTCOME_DENIED
                                                     : WARD_OUTCOME_EXECUTED);
            assert_int_equal(ev.uid_len, lf_uid_len(&a[i % 2]));
            assert_memory_equal(ev.uid, a[i % 2].uid, ev.uid_len);
        } else if (want == 44) {
            assert_int_equal(ev.op, WARD_OP_ADD_CLIENT);
        } else {
            assert_int_equal(ev.event, WARD_AUDIT_LOCKOUT);
            assert_int_equal(ev.uid_len, 0);
        }
        want++;
        n++;
    }
    assert_int_equal(n, WARD_AUDIT_MAX);
    assert_int_equal(want, 46);
    lf_env_free(e);
}

/* Power fails at every byte of the accept's store update: after the
 * power-up the decision is either durable with its audit entry (and, for
 * "add client", its grant) or not at all, and nothing ever executed. */
static void test_powercut_accept(void **state)
{
    (void)state;
    lf_app a[1];
    static const char *const uids[] = { "alice" };
    lf_env *e = env_with(a, uids, 1);
    static uint8_t image[LF_FLASH];
    asked q;
    uint8_t ap[WARD_APPROVAL_MAX];
    ward_audit_event last;

    ask(e, &q, WARD_OP_ADD_CLIENT, NULL);
    size_t n = lf_answer(&a[0], &q.req, WARD_DECISION_ALLOW, ap, sizeof ap);
    uint32_t events = audit_count(e, &last);
    memcpy(image, e->mem, LF_FLASH);
    asked saved = q;
    uint64_t before = e->sf.bytes_done;
    assert_int_equal(accept(e, &q, ap, n).err, WARD_OK);
    uint64_t total = e->sf.bytes_done - before;
    assert_true(total > 0);

    size_t old = 0, done = 0;
    for (uint64_t cut = 0; cut < total; cut++) {
        memcpy(e->mem, image, LF_FLASH);
        lf_restart(e);
        q = saved;
        ward_sim_flash_cut_after(&e->sf, cut);
        answered r = accept(e, &q, ap, n);
        assert_int_equal(r.err, WARD_ERR_IO);
        assert_false(r.out.execute);
        assert_int_equal(r.res_len, 0);
        if (cut % 61 == 0) {
            /* Power back without a restart: the same context retries
             * and the decision is logged once. */
            ward_sim_flash_power_on(&e->sf);
            r = accept(e, &q, ap, n);
            assert_int_equal(r.err, WARD_OK);
            assert_true(r.out.execute);
            assert_int_equal(audit_count(e, &last), events + 1);
            continue;
        }
        lf_restart(e); /* power back: RAM is gone */
        memset(&q.op, 0, sizeof q.op);
        assert_int_equal(accept(e, &q, ap, n).err, WARD_ERR_STATE);
        lf_qr s;
        ward_err granted = lf_try_start(e, &s);
        uint32_t now_events = audit_count(e, &last);
        if (now_events == events) {
            assert_int_equal(granted, WARD_ERR_AUTH);
            old++;
        } else {
            assert_int_equal(now_events, events + 1);
            assert_int_equal(last.event, WARD_AUDIT_OP_EXECUTED);
            assert_int_equal(last.op, WARD_OP_ADD_CLIENT);
            assert_int_equal(granted, WARD_OK);
            done++;
        }
    }
    print_message("  accept: %llu cut points, %zu before, %zu after\n",
                  (unsigned long long)total, old, done);
    assert_true(old > 0);
    lf_env_free(e);
}

static void test_messages(void **state)
{
    (void)state;
    uint8_t msg[WARD_MSG_MAX], again[WARD_MSG_MAX];
    size_t len = 0, len2 = 0;
    const uint8_t *uid = NULL;
    size_t uid_len = 0;
    uint8_t op = 0;
    uint8_t nonce[WARD_OP_NONCE_LEN];
    memset(nonce, 0x5A, sizeof nonce);

    /* NEAR_HELLO */
    assert_int_equal(ward_op_near_hello((const uint8_t *)"alice", 5,
                                        WARD_OP_UNLOCK, msg, sizeof msg,
                                        &len), WARD_OK);
    assert_true(len <= WARD_NEAR_HELLO_MAX);
    assert_int_equal(ward_op_near_hello_parse(msg, len, &uid, &uid_len, &op),
                     WARD_OK);
    assert_int_equal(uid_len, 5);
    assert_memory_equal(uid, "alice", 5);
    assert_int_equal(op, WARD_OP_UNLOCK);
    assert_int_equal(ward_op_near_hello((const uint8_t *)"alice", 5, 9, msg,
                                        sizeof msg, &len2), WARD_ERR_PARAM);
    assert_int_equal(ward_op_near_hello((const uint8_t *)"al ce", 5, 1, msg,
                                        sizeof msg, &len2), WARD_ERR_PARAM);
    assert_int_equal(ward_op_near_hello((const uint8_t *)"alice", 5, 1, msg,
                                        len - 1, &len2), WARD_ERR_NOSPACE);
    assert_int_equal(ward_op_near_hello((const uint8_t *)"alice", 5, 1, msg,
                                        sizeof msg, &len), WARD_OK);
    for (size_t i = 0; i < len; i++) {
        memcpy(again, msg, len);
        again[i] ^= 0x80;
        ward_err err = ward_op_near_hello_parse(again, len, &uid, &uid_len,
                                                &op);
        assert_int_equal(err, WARD_ERR_FORMAT);
    }
    again[len - 1] = 0; /* op 0 */
    memcpy(again, msg, len - 1);
    assert_int_equal(ward_op_near_hello_parse(again, len, &uid, &uid_len, &op),
                     WARD_ERR_FORMAT);

    /* OP_REQUEST: one encoding, fields checked. */
    ward_op_request req, got;
    memset(&req, 0, sizeof req);
    req.sn = LF_SN;
    req.sn_len = LF_SN_LEN;
    req.nonce = nonce;
    req.op = WARD_OP_VIDEO;
    req.target = (const uint8_t *)"bob@example.org";
    req.target_len = 15;
    req.expires_ms = 0x0102030405060708ull;
    assert_int_equal(ward_op_request_encode(&req, msg, sizeof msg, &len),
                     WARD_OK);
    assert_true(len <= WARD_OP_REQUEST_MAX);
    assert_int_equal(ward_op_request_parse(msg, len, &got), WARD_OK);
    assert_int_equal(got.op, WARD_OP_VIDEO);
    assert_true(got.expires_ms == req.expires_ms);
    assert_int_equal(got.target_len, 15);
    assert_int_equal(ward_op_request_encode(&got, again, sizeof again, &len2),
                     WARD_OK);
    assert_int_equal(len2, len);
    assert_memory_equal(again, msg, len);
    assert_int_equal(ward_op_request_parse(msg, len - 1, &got),
                     WARD_ERR_FORMAT);
    assert_int_equal(ward_approval_uid(msg, len, &uid, &uid_len),
                     WARD_ERR_FORMAT);
    req.op = 0;
    assert_int_equal(ward_op_request_encode(&req, msg, sizeof msg, &len),
                     WARD_ERR_PARAM);
    req.op = WARD_OP_UNLOCK;
    req.sn_len = 0;
    assert_int_equal(ward_op_request_encode(&req, msg, sizeof msg, &len),
                     WARD_ERR_PARAM);
    req.sn_len = LF_SN_LEN;
    req.target = NULL;
    req.target_len = 0;
    assert_int_equal(ward_op_request_encode(&req, msg, sizeof msg, &len),
                     WARD_OK);
    assert_int_equal(ward_op_request_parse(msg, len, &got), WARD_OK);
    assert_null(got.target);
    /* The op byte is the 3rd field's value: set it out of range. */
    size_t op_at = WARD_HDR_BASE_LEN + 2 + LF_SN_LEN + 2 + 16 + 2;
    assert_int_equal(msg[op_at], WARD_OP_UNLOCK);
    msg[op_at] = WARD_OP_MAX + 1;
    assert_int_equal(ward_op_request_parse(msg, len, &got), WARD_ERR_FORMAT);

    /* The app refuses to seal nonsense. */
    uint8_t key[WARD_AUTH_KEY_LEN] = { 0 };
    req.op = WARD_OP_UNLOCK;
    assert_int_equal(ward_approval_seal(ward_test_cp, key, &req,
                                        (const uint8_t *)"alice", 5, 2, msg,
                                        sizeof msg, &len), WARD_ERR_PARAM);
    assert_int_equal(ward_approval_seal(ward_test_cp, key, &req,
                                        (const uint8_t *)"alice", 5, 1, msg,
                                        20, &len), WARD_ERR_NOSPACE);
    assert_int_equal(ward_approval_uid(msg, 1, &uid, &uid_len),
                     WARD_ERR_FORMAT);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allow_executes),
        cmocka_unit_test(test_deny_refuses),
        cmocka_unit_test(test_replay_and_reorder),
        cmocka_unit_test(test_wrong_lock_user_key),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_target),
        cmocka_unit_test(test_restart_forgets),
        cmocka_unit_test(test_add_client_roles),
        cmocka_unit_test(test_revoke),
        cmocka_unit_test(test_revoke_twice_fresh_nonce),
        cmocka_unit_test(test_revoke_result_tid_matches_outcome),
        cmocka_unit_test(test_revoke_store_failure),
        cmocka_unit_test(test_audit_ring),
        cmocka_unit_test(test_powercut_accept),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
