/* The agent library: its routes over a fake transport (targets, bodies,
 * signing, the cursor over what wardd hands on, the stop hook on waits
 * only) and the one state directory module for both device roles. */
#include "ward_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ward/ward.h"
#include "ward/ward_agent.h"
#include "ward/ward_agent_state.h"
#include "ward/ward_httpsig.h"
#include "wardd_fixture.h"

static void test_activate_and_errors(void **state)
{
    (void)state;
    wf_agent x;
    wf_agent_setup(&x);
    const uint8_t act[3] = { 1, 2, 3 };
    x.f.status = 201;
    assert_int_equal(ward_agent_activate(&x.ag, act, sizeof act, x.why, sizeof x.why), 0);
    assert_string_equal(x.f.method, "POST");
    assert_string_equal(x.f.target, "/v1/locks");
    assert_string_equal(x.f.body, "{\"activation\":\"AQID\"}");
    assert_string_equal(x.f.keyid, "lock:SN1");
    assert_false(x.f.cancellable);

    /* wardd's refusal: its status, its text escaped. */
    x.f.status = 403;
    x.f.answer = "{\"error\":\"forbidden\",\"message\":\"no\\nway\"}";
    assert_int_equal(ward_agent_activate(&x.ag, act, sizeof act, x.why, sizeof x.why), 403);
    assert_non_null(strstr(x.why, "wardd refused (403 forbidden): no"));
    assert_null(strchr(x.why, '\n'));

    /* No answer at all. */
    x.f.err = WARD_ERR_IO;
    assert_int_equal(ward_agent_activate(&x.ag, act, sizeof act, x.why, sizeof x.why),
                     WARD_AGENT_UNREACHABLE);
    assert_non_null(strstr(x.why, "cannot reach wardd at http://127.0.0.1:1: Connection refused"));

    /* A URL longer than the agent keeps is refused, not cut. */
    char url[WARD_AGENT_URL_MAX + 2];
    memset(url, 'a', sizeof url - 1);
    url[sizeof url - 1] = '\0';
    assert_int_equal(ward_agent_set_server(&x.ag, url), WARD_ERR_PARAM);
}

static int take_all(void *ctx, long long id, const char *from, const uint8_t *msg, size_t len)
{
    int *seen = ctx;
    (void)from;
    (void)msg;
    (void)len;
    seen[0]++;
    seen[1] = (int)id;
    /* Stops at id 7: that one is handed on again next time. */
    return id == 7 ? 1 : 0;
}

static void test_answers_cursor(void **state)
{
    (void)state;
    wf_agent x;
    wf_agent_setup(&x);
    x.f.answer = "{\"answers\":[{\"n\":1,\"approval\":\"AQ==\",\"uid\":\"old\"},"
               "{\"n\":5.5,\"approval\":\"AQ==\"},{\"n\":1e300,\"approval\":\"AQ==\"},"
               "{\"n\":4,\"approval\":\"AQ==\",\"uid\":\"bob\"},"
               "{\"n\":7,\"approval\":\"AQ==\"},{\"n\":9,\"approval\":\"AQ==\"}]}";
    long long after = 2;
    int seen[2] = { 0, 0 }, skipped = 0;
    long st = ward_agent_op_answers(&x.ag, "ab12", "00ff", 25, &after, take_all, seen, &skipped,
                                    x.why, sizeof x.why);
    assert_int_equal(st, 0);
    assert_string_equal(x.f.method, "GET");
    assert_string_equal(x.f.target, "/v1/ops/ab12/answer?token=00ff&wait=25&after=2");
    assert_string_equal(x.f.keyid, "");         /* the token, not a signature */
    assert_true(x.f.cancellable);               /* a wait: the stop hook is on */
    assert_int_equal(skipped, 3);              /* 1 (not above 2), 5.5, 1e300 */
    assert_int_equal(seen[0], 2);              /* 4, then 7 which stopped the walk */
    assert_int_equal(after, 4);

    x.f.answer = "{\"nothing\":1}";
    assert_int_equal(ward_agent_op_answers(&x.ag, "ab12", "00ff", 1, &after, take_all, seen,
                                           &skipped, x.why, sizeof x.why), 0);
    assert_int_equal(skipped, -1);

    /* The result and the withdrawal are never cancellable. */
    const uint8_t res[2] = { 9, 9 };
    assert_int_equal(ward_agent_op_result(&x.ag, "ab12", "00ff", res, sizeof res, x.why,
                                          sizeof x.why), 0);
    assert_string_equal(x.f.target, "/v1/ops/ab12/result?token=00ff");
    assert_string_equal(x.f.keyid, "");
    assert_false(x.f.cancellable);
    assert_int_equal(ward_agent_op_withdraw(&x.ag, "ab12", x.why, sizeof x.why), 0);
    assert_string_equal(x.f.target, "/v1/ops/ab12/withdraw");
    assert_string_equal(x.f.keyid, "lock:SN1");
    assert_false(x.f.cancellable);
}

static void test_op_post(void **state)
{
    (void)state;
    char op_id[WARD_AGENT_OP_ID_MAX + 1], token[2 * WARD_AGENT_TOKEN_LEN + 1];
    wf_agent x;
    wf_agent_setup(&x);
    const uint8_t req[1] = { 0x42 };
    x.f.answer = "{\"op_id\":\"0a1b\"}";
    assert_int_equal(ward_agent_op_post(&x.ag, req, 1, op_id, token, x.why, sizeof x.why), 0);
    assert_string_equal(op_id, "0a1b");
    assert_string_equal(x.f.target, "/v1/ops");
    assert_int_equal(strlen(token), 2 * WARD_AGENT_TOKEN_LEN);
    /* wardd gets SHA-256 of the token, never the token. */
    uint8_t raw[WARD_AGENT_TOKEN_LEN], hash[WARD_SHA256_LEN];
    size_t n = 0;
    char hash_hex[2 * WARD_SHA256_LEN + 1], want[200];
    assert_int_equal(ward_hex_decode(token, strlen(token), raw, sizeof raw, &n), WARD_OK);
    ward_iov part = { raw, sizeof raw };
    assert_int_equal(x.ag.host.crypto->sha256(&part, 1, hash), WARD_OK);
    assert_int_equal(ward_hex_encode(hash, sizeof hash, hash_hex, sizeof hash_hex), WARD_OK);
    snprintf(want, sizeof want, "{\"request\":\"Qg==\",\"token_hash\":\"%s\"}", hash_hex);
    assert_string_equal(x.f.body, want);
    assert_null(strstr(x.f.body, token));
    /* An id that would go into URLs unescaped: refused. */
    x.f.answer = "{\"op_id\":\"../x\"}";
    assert_int_equal(ward_agent_op_post(&x.ag, req, 1, op_id, token, x.why, sizeof x.why),
                     WARD_AGENT_BAD_ANSWER);
    assert_string_equal(op_id, "");
}

static void test_bind_routes(void **state)
{
    (void)state;
    wf_agent x;
    wf_agent_setup(&x);
    uint8_t tid[16], blob[8];
    memset(tid, 0xab, sizeof tid);
    size_t n = 0;
    x.f.answer = "{\"blob\":\"AQIDBA==\"}";
    assert_int_equal(ward_agent_bind_fetch(&x.ag, tid, blob, sizeof blob, &n, x.why, sizeof x.why),
                     0);
    assert_string_equal(x.f.target, "/v1/bind/tasks/abababababababababababababababab");
    assert_int_equal(n, 4);
    x.f.answer = "{\"blob\":\"not base64!\"}";
    assert_int_equal(ward_agent_bind_fetch(&x.ag, tid, blob, sizeof blob, &n, x.why, sizeof x.why),
                     WARD_AGENT_BAD_ANSWER);
    x.f.status = 404;
    x.f.answer = "{\"error\":\"not_found\",\"message\":\"none\"}";
    assert_int_equal(ward_agent_bind_fetch(&x.ag, tid, blob, sizeof blob, &n, x.why, sizeof x.why),
                     404);

    ward_agent_bound b;
    x.f.status = 200;
    x.f.answer = "{\"uid\":\"alice\",\"role\":1}";
    assert_int_equal(ward_agent_bind_confirm(&x.ag, tid, 4, &b, x.why, sizeof x.why), 0);
    assert_string_equal(x.f.target, "/v1/bind/confirm");
    assert_string_equal(b.uid, "alice");
    assert_string_equal(b.role, "admin");

    unsigned ttl = 0;
    x.f.answer = "{\"task_ttl\":120}";
    assert_int_equal(ward_agent_task_ttl(&x.ag, &ttl), 0);
    assert_int_equal(ttl, 120);
    assert_string_equal(x.f.target, "/v1/health");
    x.f.answer = "{\"task_ttl\":-1}";
    assert_int_not_equal(ward_agent_task_ttl(&x.ag, &ttl), 0);
}

static int take_revoke(void *ctx, long long id, const char *from, const uint8_t *msg,
                       size_t len)
{
    int *n = ctx;
    (void)id;
    (void)from;
    (void)len;
    if (msg != NULL) {
        (*n)++;
    }
    return 0;
}

static void test_inbox_and_acks(void **state)
{
    (void)state;
    wf_agent x;
    wf_agent_setup(&x);
    x.f.answer = "{\"revokes\":[{\"id\":3,\"revoke\":\"AQ==\"},{\"id\":4,\"revoke\":\"%%\"}]}";
    long long after = 0;
    int n = 0, skipped = 0;
    assert_int_equal(ward_agent_inbox(&x.ag, 30, &after, take_revoke, &n, &skipped, x.why,
                                      sizeof x.why), 0);
    assert_string_equal(x.f.target, "/v1/lock/inbox?wait=30&after=0");
    assert_true(x.f.cancellable);
    assert_int_equal(n, 1);          /* 4 is not a message, but handed on (msg NULL) */
    assert_int_equal(after, 4);

    const uint8_t res[3] = { 1, 2, 3 };
    ward_agent_ack acks[2] = { { 3, res, sizeof res }, { 4, NULL, 0 } };
    assert_int_equal(ward_agent_inbox_ack(&x.ag, acks, 2, x.why, sizeof x.why), 0);
    assert_string_equal(x.f.target, "/v1/lock/inbox/ack");
    assert_false(x.f.cancellable);
    assert_string_equal(x.f.body, "{\"ids\":[4],\"results\":[{\"id\":3,\"result\":\"AQID\"}]}");
}

static void count_msg(void *ctx, const char *cloud_id, const uint8_t *msg, size_t len)
{
    int *n = ctx;
    assert_non_null(msg);
    assert_true(len > 0);
    assert_string_equal(cloud_id, "c1");
    (*n)++;
}

static void test_device_far(void **state)
{
    (void)state;
    wf_agent x;
    wf_agent_setup(&x);
    x.f.answer = "{\"msgs\":[{\"id\":1,\"msg\":\"AQ==\",\"cloud_id\":\"c1\"},"
               "{\"id\":2,\"msg\":7,\"cloud_id\":\"c1\"}]}";
    long long after = 0;
    int n = 0;
    assert_int_equal(ward_agent_dev_inbox(&x.ag, 3, &after, count_msg, &n, x.why, sizeof x.why), 0);
    assert_string_equal(x.f.target, "/v1/device/inbox?wait=3&after=0");
    assert_int_equal(n, 1);
    assert_int_equal(after, 2);      /* past the one that is not a message too */
    const uint8_t m[1] = { 5 };
    assert_int_equal(ward_agent_dev_reply(&x.ag, "c1", m, 1, x.why, sizeof x.why), 0);
    assert_string_equal(x.f.target, "/v1/device/replies");
    assert_string_equal(x.f.body, "{\"msg\":\"BQ==\",\"cloud_id\":\"c1\"}");
}

/* The lock's side for the inbox and wait tests: message byte 1 applies,
 * 2 is refused, 3 cannot be applied yet; answers: 1 decides, 2 does not
 * verify. */
static ward_agent_verdict fake_apply(void *ctx, long long id, const uint8_t *msg, size_t len,
                                     uint8_t *res, size_t cap, size_t *res_len)
{
    int *pages = ctx;
    (void)id;
    (void)len;
    (void)pages;
    assert_true(cap >= 2);
    if (msg[0] == 1) {
        res[0] = 0xaa;
        res[1] = 0xbb;
        *res_len = 2;
        return WARD_AGENT_APPLIED;
    }
    *res_len = 0;
    return msg[0] == 2 ? WARD_AGENT_PASSED : WARD_AGENT_NOT_YET;
}

static void count_page(void *ctx)
{
    int *pages = ctx;
    (*pages)++;
}

static void test_inbox_round(void **state)
{
    (void)state;
    wf_agent x;
    wf_agent_setup(&x);
    static ward_agent_inbox_run run;
    memset(&run, 0, sizeof run);
    int pages = 0;
    const ward_agent_inbox_ops ops = { fake_apply, count_page, NULL, &pages };
    x.f.answer = "{\"revokes\":[{\"id\":1,\"revoke\":\"AQ==\"},{\"id\":2,\"revoke\":\"Ag==\"},"
               "{\"id\":3,\"revoke\":\"Aw==\"},{\"id\":4,\"revoke\":\"AQ==\"}]}";
    assert_int_equal(ward_agent_inbox_round(&x.ag, &run, &ops), WARD_AGENT_ROUND_PROGRESS);
    assert_int_equal(pages, 1);
    /* 3 could not be applied: the cursor stays before it, 4 waits. */
    assert_int_equal(run.after, 2);
    assert_int_equal(x.f.calls, 2);
    assert_string_equal(x.f.log[0], "GET /v1/lock/inbox?wait=30&after=0");
    assert_string_equal(x.f.log[1], "POST /v1/lock/inbox/ack");
    assert_string_equal(x.f.body, "{\"ids\":[2],\"results\":[{\"id\":1,\"result\":\"qrs=\"}]}");
    assert_int_equal(run.nunacked, 0);

    /* Acknowledgements wardd does not take are kept, and go first next time. */
    x.f.calls = 0;
    x.f.nscript = 3;
    x.f.script[0] = "{\"revokes\":[{\"id\":3,\"revoke\":\"AQ==\"}]}";
    x.f.script_status[0] = 200;
    x.f.script[1] = "{\"error\":\"x\",\"message\":\"down\"}";
    x.f.script_status[1] = 503;
    x.f.script[2] = "{\"revokes\":[]}";
    x.f.script_status[2] = 200;
    assert_int_equal(ward_agent_inbox_round(&x.ag, &run, &ops), WARD_AGENT_ROUND_PROGRESS);
    assert_int_equal(run.after, 3);
    assert_int_equal(run.nunacked, 1);
    assert_int_equal(ward_agent_inbox_round(&x.ag, &run, &ops), WARD_AGENT_ROUND_IDLE);
    assert_string_equal(x.f.log[2], "POST /v1/lock/inbox/ack");
    assert_int_equal(run.nunacked, 0);
}

/* A main loop's tick: a short wait, capped; while wardd is away, the
 * ticks within the back-off send nothing; an answer ends the back-off. */
static void test_inbox_tick(void **state)
{
    (void)state;
    wf_agent x;
    wf_agent_setup(&x);
    static ward_agent_inbox_run run;   /* zeroed: a new process's */
    const ward_agent_inbox_ops ops = { fake_apply, NULL, NULL, NULL };
    x.f.answer = "{\"revokes\":[]}";
    assert_int_equal(ward_agent_inbox_tick(&x.ag, &run, &ops, 1), WARD_AGENT_ROUND_IDLE);
    assert_string_equal(x.f.log[0], "GET /v1/lock/inbox?wait=1&after=0");
    assert_int_equal(ward_agent_inbox_tick(&x.ag, &run, &ops, 3600), WARD_AGENT_ROUND_IDLE);
    assert_string_equal(x.f.log[1], "GET /v1/lock/inbox?wait=5&after=0");

    x.f.err = WARD_ERR_IO;
    assert_int_equal(ward_agent_inbox_tick(&x.ag, &run, &ops, 0), WARD_AGENT_ROUND_NO_ANSWER);
    assert_int_equal(x.f.calls, 3);
    assert_int_equal(run.backoff_s, 1);
    assert_int_equal(ward_agent_inbox_tick(&x.ag, &run, &ops, 0), WARD_AGENT_ROUND_BACKING_OFF);
    assert_int_equal(x.f.calls, 3);
    /* The back-off over: tried again, and it doubles. */
    run.retry_at_ms = 0;
    assert_int_equal(ward_agent_inbox_tick(&x.ag, &run, &ops, 0), WARD_AGENT_ROUND_NO_ANSWER);
    assert_int_equal(x.f.calls, 4);
    assert_int_equal(run.backoff_s, 2);
    for (int i = 0; i < 8; i++) {
        run.retry_at_ms = 0;
        assert_int_equal(ward_agent_inbox_tick(&x.ag, &run, &ops, 0), WARD_AGENT_ROUND_NO_ANSWER);
    }
    assert_int_equal(run.backoff_s, WARD_AGENT_BACKOFF_MAX_S);
    x.f.err = WARD_OK;
    run.retry_at_ms = 0;
    assert_int_equal(ward_agent_inbox_tick(&x.ag, &run, &ops, 0), WARD_AGENT_ROUND_IDLE);
    assert_int_equal(run.backoff_s, 0);
    assert_int_equal(ward_agent_inbox_tick(&x.ag, &run, &ops, 0), WARD_AGENT_ROUND_IDLE);
    assert_int_equal(x.f.calls, 14);
}

static ward_agent_answer fake_accept(void *ctx, long long n, const char *who,
                                     const uint8_t *approval, size_t len, uint8_t *res,
                                     size_t cap, size_t *res_len)
{
    (void)ctx;
    (void)n;
    (void)who;
    (void)len;
    (void)cap;
    if (approval[0] == 1) {
        res[0] = 0x77;
        *res_len = 1;
        return WARD_AGENT_ANSWER_DECIDED;
    }
    return WARD_AGENT_ANSWER_IGNORED;
}

static bool stop_now(void *ctx)
{
    (void)ctx;
    return true;
}

static void test_op_await(void **state)
{
    (void)state;
    wf_agent x;
    wf_agent_setup(&x);
    const ward_agent_op_wait_ops ops = { fake_accept, NULL, NULL, NULL };
    unsigned refused = 9;
    /* A forged answer, then the genuine one: decided, the result posted. */
    x.f.nscript = 3;
    x.f.script[0] = "{\"answers\":[{\"n\":1,\"approval\":\"Ag==\",\"uid\":\"eve\"}]}";
    x.f.script_status[0] = 200;
    x.f.script[1] = "{\"answers\":[{\"n\":2,\"approval\":\"AQ==\",\"uid\":\"bob\"}]}";
    x.f.script_status[1] = 200;
    x.f.script[2] = "{}";
    x.f.script_status[2] = 200;
    assert_int_equal(ward_agent_op_await(&x.ag, "ab", "cd", 30, &ops, &refused),
                     WARD_AGENT_OP_DECIDED);
    assert_int_equal(refused, 1);
    assert_int_equal(x.f.calls, 3);
    assert_string_equal(x.f.log[1], "GET /v1/ops/ab/answer?token=cd&wait=25&after=1");
    assert_string_equal(x.f.log[2], "POST /v1/ops/ab/result?token=cd");
    assert_string_equal(x.f.body, "{\"result\":\"dw==\"}");

    /* wardd says the request is gone: no withdrawal. */
    x.f.calls = 0;
    x.f.nscript = 1;
    x.f.script[0] = "{\"error\":\"gone\",\"message\":\"expired\"}";
    x.f.script_status[0] = 410;
    assert_int_equal(ward_agent_op_await(&x.ag, "ab", "cd", 30, &ops, &refused),
                     WARD_AGENT_OP_GONE);
    assert_int_equal(x.f.calls, 1);

    /* Out of time, or told to stop: withdrawn at wardd. */
    x.f.calls = 0;
    x.f.script[0] = "{}";
    x.f.script_status[0] = 200;
    assert_int_equal(ward_agent_op_await(&x.ag, "ab", "cd", 0, &ops, &refused),
                     WARD_AGENT_OP_TIMEOUT);
    assert_int_equal(x.f.calls, 1);
    assert_string_equal(x.f.log[0], "POST /v1/ops/ab/withdraw");
    x.f.calls = 0;
    x.ag.cancelled = stop_now;
    assert_int_equal(ward_agent_op_await(&x.ag, "ab", "cd", 30, &ops, &refused),
                     WARD_AGENT_OP_STOPPED);
    assert_int_equal(x.f.calls, 1);
    assert_string_equal(x.f.log[0], "POST /v1/ops/ab/withdraw");
    assert_false(x.f.cancellable);
}

static char root[256];

static int make_root(void **state)
{
    (void)state;
    return wf_root_make(root, sizeof root, "agent");
}

static int remove_root(void **state)
{
    (void)state;
    return wf_root_remove(root);
}

static void test_state_lock(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/lock", root);
    ward_agent_state a, b;
    assert_int_equal(ward_agent_state_create(&a, WARD_AGENT_LOCK, dir, "bad sn", "http://x",
                                             NULL, NULL, NULL), WARD_ERR_PARAM);
    assert_true(a.usage);
    assert_int_equal(ward_agent_state_create(&a, WARD_AGENT_LOCK, dir, "SN-9", "http://x:1",
                                             NULL, NULL, NULL), WARD_OK);
    assert_string_equal(a.signer.keyid, "lock:SN-9");
    assert_string_equal(a.link.server, "http://x:1");
    ward_agent_state_close(&a);

    assert_int_equal(ward_agent_state_open(&a, WARD_AGENT_LOCK, dir, NULL), WARD_OK);
    assert_string_equal(a.id, "SN-9");
    /* A reader shares nothing with a writer: it waits, then says busy. */
    ward_agent_state_release(&a);
    assert_int_equal(ward_agent_state_open_readonly(&b, WARD_AGENT_LOCK, dir), WARD_OK);
    size_t n = 99;
    assert_int_equal(ward_lock_client_count(&b.lock, &n), WARD_OK);
    assert_int_equal(n, 0);
    ward_agent_state_close(&b);
    assert_int_equal(ward_agent_state_reacquire(&a), WARD_OK);
    /* The signer works whether the state is held or let go. */
    uint8_t sig[WARD_P256_SIG_LEN];
    const char *base = "\"@method\": GET";
    assert_int_equal(a.signer.sign(a.signer.ctx, base, strlen(base), sig), WARD_OK);
    ward_agent_state_release(&a);
    assert_false(a.open);
    assert_int_equal(a.signer.sign(a.signer.ctx, base, strlen(base), sig), WARD_OK);
    assert_false(a.open);
    ward_agent_state_close(&a);

    /* Not a lock directory, and a device's directory is not a lock's. */
    char other[300];
    snprintf(other, sizeof other, "%s/none", root);
    assert_int_not_equal(ward_agent_state_open(&a, WARD_AGENT_LOCK, other, NULL), WARD_OK);
    assert_non_null(strstr(a.why, "cannot open the lock directory"));
    assert_int_not_equal(ward_agent_state_open(&a, WARD_AGENT_DEVICE, dir, NULL), WARD_OK);
    assert_non_null(strstr(a.why, "is not a device directory (run ward device init)"));
}

/* The lock's serial number as the core of st reads it. */
static void assert_sn(ward_agent_state *st, const char *sn)
{
    uint8_t got[WARD_SN_MAX], pub[WARD_P256_POINT_LEN];
    size_t len = 0;
    assert_int_equal(ward_lock_identity(&st->lock, got, &len, pub), WARD_OK);
    assert_int_equal(len, strlen(sn));
    assert_memory_equal(got, sn, len);
}

/* Copies file `from` over `to`: in place (the same file, other bytes) or
 * as a new file renamed over it. */
static void copy_store(const char *from, const char *to, bool in_place)
{
    char cmd[1400];
    if (in_place) {
        snprintf(cmd, sizeof cmd, "dd if='%s' of='%s' conv=notrunc status=none", from, to);
    } else {
        snprintf(cmd, sizeof cmd, "cp '%s' '%s.new' && mv '%s.new' '%s'", from, to, to, to);
    }
    assert_int_equal(system(cmd), 0);
}

/* Issue 16: a long-running process keeps its store open while it waits
 * (the flock let go) and reads it again only when another process
 * changed it, in place or by putting another file there. */
static void test_state_parked(void **state)
{
    (void)state;
    char dir[300], other[300], store[320], other_store[320], copy[320];
    snprintf(dir, sizeof dir, "%s/parked", root);
    snprintf(other, sizeof other, "%s/parked-other", root);
    snprintf(store, sizeof store, "%s/store.bin", dir);
    snprintf(other_store, sizeof other_store, "%s/store.bin", other);
    snprintf(copy, sizeof copy, "%s/parked-copy.bin", root);
    ward_agent_state a, b;
    assert_int_equal(ward_agent_state_create(&b, WARD_AGENT_LOCK, other, "SN-8", "http://x:1",
                                             NULL, NULL, NULL), WARD_OK);
    ward_agent_state_close(&b);
    assert_int_equal(ward_agent_state_create(&a, WARD_AGENT_LOCK, dir, "SN-7", "http://x:1",
                                             NULL, NULL, NULL), WARD_OK);
    copy_store(store, copy, false);

    /* Nobody else wrote: the same file, never closed. */
    int fd = a.file.fd;
    ward_agent_state_release(&a);
    assert_true(a.parked);
    assert_int_equal(a.file.fd, fd);
    assert_int_equal(ward_agent_state_open_readonly(&b, WARD_AGENT_LOCK, dir), WARD_OK);
    ward_agent_state_close(&b);
    assert_int_equal(ward_agent_state_reacquire(&a), WARD_OK);
    assert_int_equal(a.file.fd, fd);
    assert_sn(&a, "SN-7");

    /* Other bytes in the same file, then another file: read again. */
    ward_agent_state_release(&a);
    copy_store(other_store, store, true);
    assert_int_equal(ward_agent_state_reacquire(&a), WARD_OK);
    assert_sn(&a, "SN-8");
    ward_agent_state_release(&a);
    copy_store(copy, store, false);
    assert_int_equal(ward_agent_state_reacquire(&a), WARD_OK);
    assert_sn(&a, "SN-7");
    assert_false(a.parked);
    ward_agent_state_close(&a);
    assert_false(a.parked);
    assert_null(a.seen);
}

static void test_state_device(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/dev", root);
    ward_agent_state a, b;
    assert_int_equal(ward_agent_state_create(&a, WARD_AGENT_DEVICE, dir, "lamp1",
                                             "http://x:1", "Hall", "lamp", NULL), WARD_OK);
    ward_dev_info info;
    assert_int_equal(ward_dev_get_info(&a.dev, &info), WARD_OK);
    assert_string_equal(info.name, "Hall");
    /* A device's state is one process's: a second opener is told at once. */
    assert_int_equal(ward_agent_state_open(&b, WARD_AGENT_DEVICE, dir, NULL), WARD_ERR_BUSY);
    assert_non_null(strstr(b.why, "the device in"));
    ward_agent_state_close(&a);
    assert_int_equal(ward_agent_state_open(&b, WARD_AGENT_DEVICE, dir, NULL), WARD_OK);
    assert_string_equal(b.type, "lamp");
    assert_int_equal(ward_agent_state_set_server(&b, "http://y:2"), WARD_OK);
    assert_string_equal(b.link.server, "http://y:2");
    ward_agent_state_close(&b);
    /* Made again with another id: refused, the first identity kept. */
    assert_int_equal(ward_agent_state_create(&a, WARD_AGENT_DEVICE, dir, "lamp2",
                                             "http://x:1", "Hall", "lamp", NULL), WARD_ERR_STATE);
    assert_non_null(strstr(a.why, "already holds a device with another id"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activate_and_errors),
        cmocka_unit_test(test_answers_cursor),
        cmocka_unit_test(test_op_post),
        cmocka_unit_test(test_bind_routes),
        cmocka_unit_test(test_inbox_and_acks),
        cmocka_unit_test(test_device_far),
        cmocka_unit_test(test_inbox_round),
        cmocka_unit_test(test_inbox_tick),
        cmocka_unit_test(test_op_await),
        cmocka_unit_test(test_state_lock),
        cmocka_unit_test(test_state_parked),
        cmocka_unit_test(test_state_device),
    };
    return cmocka_run_group_tests(tests, make_root, remove_root);
}
