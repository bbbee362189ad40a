/* The app's wardd calls of flows A and D (ward_app_cloud.h): every check of a hostile wardd's answers, parsers and calls against a scripted server. WARD_TEST_CLIENT */
#define _GNU_SOURCE
#include "ward_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_app.h"
#include "ward/ward_app_cloud.h"
#include "ward/ward_host.h"
#include "ward/ward_http.h"
#include "ward/ward_httpsig.h"
#include "wardd_fixture.h"

#define CID "00112233445566778899aabbccddeeff"

static char tmp_root[256];

/* ---- parsers ---- */

static void test_upload_parse(void **state)
{
    (void)state;
    int64_t e = -1;
    ward_app_upload_parse("{\"expires\": 1700000000}", 23, &e);
    assert_int_equal(e, 1700000000);
    const char *bad[] = { "{\"expires\": -5}", "{\"expires\": 1e300}", "{\"expires\": 1.5}",
                          "{\"expires\": \"1700000000\"}", "[]", "not json", "{}" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ward_app_upload_parse(bad[i], strlen(bad[i]), &e);
        assert_int_equal(e, 0);
    }
}

static void test_task_parse(void **state)
{
    (void)state;
    ward_app_task t;
    const char *b = "{\"state\":\"bound\",\"role\":1}";
    ward_app_task_parse(b, strlen(b), &t);
    assert_int_equal(t.state, WARD_APP_TASK_BOUND);
    assert_int_equal(t.role, 1);
    b = "{\"state\":\"bound\",\"role\":\"owner\"}";
    ward_app_task_parse(b, strlen(b), &t);
    assert_int_equal(t.role, 0);
    /* A role that is none of the three is no role: never cast. */
    const char *bad_roles[] = { "{\"state\":\"bound\",\"role\":7}",
                                "{\"state\":\"bound\",\"role\":1e300}",
                                "{\"state\":\"bound\",\"role\":0.5}",
                                "{\"state\":\"bound\",\"role\":\"king\"}",
                                "{\"state\":\"bound\"}" };
    for (size_t i = 0; i < sizeof bad_roles / sizeof *bad_roles; i++) {
        ward_app_task_parse(bad_roles[i], strlen(bad_roles[i]), &t);
        assert_int_equal(t.state, WARD_APP_TASK_BOUND);
        assert_int_equal(t.role, -1);
    }
    b = "{\"state\":\"expired\",\"role\":0}";
    ward_app_task_parse(b, strlen(b), &t);
    assert_int_equal(t.state, WARD_APP_TASK_EXPIRED);
    assert_int_equal(t.role, -1);
    /* Anything else changes nothing: waiting. */
    const char *waiting[] = { "{\"state\":\"sealed\"}", "{\"state\":\"BOUND\"}",
                              "{\"state\":1}", "{}", "[\"bound\"]", "bound", "" };
    for (size_t i = 0; i < sizeof waiting / sizeof *waiting; i++) {
        ward_app_task_parse(waiting[i], strlen(waiting[i]), &t);
        assert_int_equal(t.state, WARD_APP_TASK_WAITING);
    }
}

static void test_cloud_id_ok(void **state)
{
    (void)state;
    assert_true(ward_app_cloud_id_ok(CID));
    assert_false(ward_app_cloud_id_ok(NULL));
    assert_false(ward_app_cloud_id_ok(""));
    assert_false(ward_app_cloud_id_ok("00112233445566778899AABBCCDDEEFF"));
    assert_false(ward_app_cloud_id_ok("00112233445566778899aabbccddeef"));
    assert_false(ward_app_cloud_id_ok("00112233445566778899aabbccddeeff0"));
    assert_false(ward_app_cloud_id_ok("../../v1/users/verify?x=0123456"));
}

static void test_devices_parse(void **state)
{
    (void)state;
    ward_app_cloud_devices l;
    const char *j =
        "{\"devices\":["
        "{\"device\":\"DEV-1\",\"cloud_id\":\"" CID "\",\"app\":\"0a0b\",\"attached_ms\":5},"
        "{\"device\":\"../x\",\"cloud_id\":\"" CID "\"},"
        "{\"device\":\"DEV-2\",\"cloud_id\":\"00\\u001b[2J\"},"
        "{\"device\":\"DEV-3\",\"cloud_id\":\"" CID "\",\"app\":\"a b\",\"attached_ms\":1e300},"
        "{\"device\":7,\"cloud_id\":\"" CID "\"},"
        "\"DEV-4\"]}";
    assert_int_equal(ward_app_devices_parse(j, strlen(j), &l), WARD_OK);
    assert_int_equal(l.count, 2);
    assert_int_equal(l.skipped, 4);
    assert_string_equal(l.devices[0].device, "DEV-1");
    assert_string_equal(l.devices[0].cloud_id, CID);
    assert_string_equal(l.devices[0].app, "0a0b");
    assert_int_equal(l.devices[0].attached_ms, 5);
    assert_string_equal(l.devices[1].device, "DEV-3");
    assert_string_equal(l.devices[1].app, "");
    assert_int_equal(l.devices[1].attached_ms, 0);
    ward_app_cloud_devices_free(&l);
    assert_null(l.devices);
    assert_int_equal(ward_app_devices_parse("{\"devices\":[]}", 14, &l), WARD_OK);
    assert_int_equal(l.count, 0);
    ward_app_cloud_devices_free(&l);
    assert_int_equal(ward_app_devices_parse("{\"devices\":{}}", 14, &l), WARD_ERR_FORMAT);
    assert_int_equal(ward_app_devices_parse("nonsense", 8, &l), WARD_ERR_FORMAT);
}

typedef struct seen {
    char msgs[8][32];
    size_t n;
    size_t stop_at;            /* stop (non-zero) at this message, 0: never */
} seen;

static int take(void *ctx, const uint8_t *msg, size_t len)
{
    seen *s = ctx;
    if (s->stop_at != 0 && s->n + 1 == s->stop_at) {
        return 1;
    }
    snprintf(s->msgs[s->n++], sizeof s->msgs[0], "%.*s", (int)len, (const char *)msg);
    return 0;
}

static void test_msgs_parse(void **state)
{
    (void)state;
    /* "aGk=" "hi", "eW8=" "yo", "b2s=" "ok" */
    const char *j =
        "{\"msgs\":["
        "{\"id\":3,\"msg\":\"aGk=\",\"cloud_id\":\"" CID "\"},"
        "{\"id\":2,\"msg\":\"eW8=\"},"                               /* below the cursor */
        "{\"id\":4.5,\"msg\":\"eW8=\"},"                             /* not whole */
        "{\"id\":1e300,\"msg\":\"eW8=\"},"                           /* past 2^53 */
        "{\"id\":\"5\",\"msg\":\"eW8=\"},"                           /* not a number */
        "{\"id\":6,\"msg\":\"%%%\"},"                                /* not base64 */
        "{\"id\":7,\"msg\":\"\"},"                                   /* empty */
        "{\"id\":8,\"msg\":\"eW8=\",\"cloud_id\":\"ffffffffffffffffffffffffffffffff\"},"
        "{\"id\":9,\"msg\":\"b2s=\"}]}";
    seen s;
    memset(&s, 0, sizeof s);
    int64_t after = 0;
    size_t handed = 0;
    int skipped = ward_app_dev_msgs_parse(j, strlen(j), CID, &after, take, &s, &handed);
    assert_int_equal(skipped, 7);
    assert_int_equal(handed, 2);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.msgs[0], "hi");
    assert_string_equal(s.msgs[1], "ok");
    assert_int_equal(after, 9);
    /* Again: all behind the cursor now. */
    memset(&s, 0, sizeof s);
    skipped = ward_app_dev_msgs_parse(j, strlen(j), CID, &after, take, &s, &handed);
    assert_int_equal(s.n, 0);
    assert_int_equal(handed, 0);
    /* A stop leaves that message to be handed on again. */
    memset(&s, 0, sizeof s);
    s.stop_at = 2;
    after = 0;
    assert_true(ward_app_dev_msgs_parse(j, strlen(j), CID, &after, take, &s, &handed) >= 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(after, 8);
    assert_int_equal(ward_app_dev_msgs_parse("{}", 2, NULL, &after, take, &s, NULL), -1);
    assert_int_equal(ward_app_dev_msgs_parse("{\"msgs\":1}", 10, NULL, &after, take, &s, NULL),
                     -1);
}

/* ---- the client's reading of wardd's answers, shared with the agent (ward_http.h) ---- */

typedef struct walked {
    int64_t ids[8];
    bool had_msg[8];
    const char *from[8];
    size_t n;
} walked;

/* Takes ids 1 and 2, passes 3 over, stops at 4. */
static ward_http_entry_end walk_one(void *ctx, int64_t id, const char *from, const uint8_t *msg,
                                    size_t len)
{
    walked *w = ctx;
    (void)len;
    if (id == 4) {
        return WARD_HTTP_ENTRY_STOP;
    }
    w->ids[w->n] = id;
    w->had_msg[w->n] = msg != NULL;
    w->from[w->n++] = from != NULL ? "string" : NULL;
    return id == 3 ? WARD_HTTP_ENTRY_PASSED : WARD_HTTP_ENTRY_TAKEN;
}

static void test_http_answer(void **state)
{
    (void)state;
    const char *j = "{\"l\":[{\"id\":1,\"m\":\"aGk=\",\"f\":\"bob\"},"
                    "{\"id\":2,\"m\":\"aGk=\",\"f\":7},"      /* a from that is no string */
                    "{\"id\":2,\"m\":\"aGk=\"},"                /* not above the cursor */
                    "{\"id\":3,\"m\":\"aGk=\"},"
                    "{\"id\":4,\"m\":\"aGk=\"},{\"id\":5,\"m\":\"aGk=\"}]}";
    walked w;
    memset(&w, 0, sizeof w);
    int64_t after = 0;
    assert_int_equal(ward_http_each_entry(j, strlen(j), "l", "id", "m", "f", &after, walk_one,
                                          &w), 2);
    assert_int_equal(w.n, 3);
    assert_true(w.had_msg[0]);
    assert_non_null(w.from[0]);
    assert_false(w.had_msg[1]);          /* no message, and no from, for id 2 */
    assert_null(w.from[1]);
    assert_int_equal(w.ids[2], 3);
    assert_int_equal(after, 3);          /* 3 passed over, 4 stopped: handed on again */
    assert_int_equal(ward_http_each_entry("{}", 2, "l", "id", "m", NULL, &after, walk_one, &w),
                     -1);

    /* The outcome of a request, as the app and the agent both say it. */
    ward_http_response r;
    char why[300];
    memset(&r, 0, sizeof r);
    snprintf(r.error, sizeof r.error, "self-signed certificate");
    r.cert_untrusted = true;
    assert_int_equal(ward_http_outcome(WARD_ERR_IO, &r, "https://w:1", why, sizeof why),
                     WARD_HTTP_NO_ANSWER);
    assert_non_null(strstr(why, "cannot reach wardd at https://w:1: its certificate is not "
                                "trusted (self-signed certificate); give its CA with ward "
                                "--cacert FILE"));
    char body[] = "{\"error\":\"busy\",\"message\":\"later\\u001b\"}";
    r.cert_untrusted = false;
    r.status = 429;
    r.body = body;
    r.body_len = strlen(body);
    assert_int_equal(ward_http_outcome(WARD_OK, &r, "http://w:1", why, sizeof why), 429);
    assert_string_equal(why, "wardd refused (429 busy): later\\x1b");
    r.status = 204;
    assert_int_equal(ward_http_outcome(WARD_OK, &r, "http://w:1", why, sizeof why), 0);
    r.status = 0;
    assert_int_equal(ward_http_outcome(WARD_OK, &r, "http://w:1", why, sizeof why), 999);
}

/* ---- calls against a scripted wardd ---- */

static void test_refusal_message(void **state)
{
    (void)state;
    static const wf_canned a[] = {
        { 409, "{\"error\":\"conflict\",\"message\":\"taken\\u001b[2J\\nfake line\"}" },
        { 429, "{\"error\":\"busy\",\"message\":\"later\"}" },
        { 200, "{\"user\":\"alice\",\"verified\":true}" },
        { 201, "[\"verified\", true]" },
    };
    wf_app x;
    wf_app_start(&x, tmp_root, "refusal", a, 4);
    ward_app_reply rep;
    bool verified = true;
    assert_int_equal(ward_app_register(&x.app, &verified, &rep), WARD_ERR_CONFLICT);
    assert_false(verified);
    assert_int_equal(rep.status, 409);
    /* wardd's words escaped: no terminal control, one line. */
    assert_string_equal(ward_app_error(&x.app),
                        "wardd refused (409 conflict): taken\\x1b[2J\\x0afake line");
    assert_int_equal(ward_app_register(&x.app, &verified, &rep), WARD_ERR_BUSY);
    assert_int_equal(rep.retry_after_s, 7);
    assert_int_equal(ward_app_register(&x.app, &verified, &rep), WARD_OK);
    assert_true(verified);
    assert_int_equal(ward_app_register(&x.app, &verified, &rep), WARD_OK);
    assert_false(verified);
    assert_string_equal(x.w.last_target, "/v1/users");
    wf_wardd_stop(&x.w);
    /* Not 6 digits: nothing sent. */
    assert_int_equal(ward_app_verify(&x.app, "12345", &rep), WARD_ERR_FORMAT);
    assert_int_equal(rep.status, 0);
    ward_app_close(&x.app);
}

static void test_unreachable(void **state)
{
    (void)state;
    wf_app x;
    wf_app_start(&x, tmp_root, "nobody", NULL, 0);
    ward_app_reply rep;
    bool verified = true;
    assert_int_equal(ward_app_register(&x.app, &verified, &rep), WARD_ERR_IO);
    assert_int_equal(rep.status, 0);
    assert_non_null(strstr(ward_app_error(&x.app), "cannot reach wardd at http://127.0.0.1:1"));
    ward_app_close(&x.app);
}

static void test_attach(void **state)
{
    (void)state;
    static const wf_canned a[] = {
        { 201, "{\"cloud_id\":\"" CID "\",\"device\":\"DEV-1\"}" },
        { 201, "{\"cloud_id\":\"../../v1/escrow?\"}" },
        { 200, "{\"cloud_id\":\"00112233445566778899AABBCCDDEEFF\"}" },
        { 200, "{}" },
    };
    wf_app x;
    wf_app_start(&x, tmp_root, "attach", a, 4);
    char cloud[WARD_DEV_CLOUD_ID_MAX + 1];
    const uint8_t cid[2] = { 0x0a, 0x0b };
    assert_int_equal(ward_app_device_attach(&x.app, "DEV-1", cid, 2, cloud, NULL), WARD_OK);
    assert_string_equal(cloud, CID);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ward_app_device_attach(&x.app, "DEV-1", cid, 2, cloud, NULL),
                         WARD_ERR_FORMAT);
        assert_string_equal(cloud, "");
        assert_string_equal(ward_app_error(&x.app), "wardd gave no cloud id");
    }
    wf_wardd_stop(&x.w);
    /* Never sent: a device id that is none, a cloud id that is none. */
    assert_int_equal(ward_app_device_attach(&x.app, "../x", cid, 2, cloud, NULL), WARD_ERR_PARAM);
    const uint8_t m[1] = { 1 };
    assert_int_equal(ward_app_dev_post(&x.app, "../x", m, 1, NULL), WARD_ERR_PARAM);
    assert_int_equal(ward_app_dev_post(&x.app, CID, m, 0, NULL), WARD_ERR_PARAM);
    int64_t after = 0;
    assert_int_equal(ward_app_dev_replies(&x.app, "x?y", 0, &after, take, NULL, NULL, NULL),
                     WARD_ERR_PARAM);
    ward_app_close(&x.app);
}

static void test_devices_and_replies(void **state)
{
    (void)state;
    static const wf_canned a[] = {
        { 200, "{\"devices\":[{\"device\":\"DEV-1\",\"cloud_id\":\"" CID "\"}]}" },
        { 200, "{\"nope\":1}" },
        { 202, "{\"id\":1}" },
        { 200, "{\"msgs\":[{\"id\":4,\"msg\":\"aGk=\",\"cloud_id\":\"" CID "\"}]}" },
        { 200, "[]" },
        { 404, "{\"error\":\"notfound\",\"message\":\"no such cloud id\"}" },
    };
    wf_app x;
    wf_app_start(&x, tmp_root, "devs", a, 6);
    ward_app_cloud_devices l;
    assert_int_equal(ward_app_devices(&x.app, &l, NULL), WARD_OK);
    assert_int_equal(l.count, 1);
    ward_app_cloud_devices_free(&l);
    assert_int_equal(ward_app_devices(&x.app, &l, NULL), WARD_ERR_FORMAT);
    assert_null(l.devices);
    const uint8_t m[2] = { 'h', 'i' };
    assert_int_equal(ward_app_dev_post(&x.app, CID, m, 2, NULL), WARD_OK);
    assert_string_equal(x.w.last_target, "/v1/dev/" CID "/msgs");
    seen s;
    memset(&s, 0, sizeof s);
    int64_t after = 2;
    size_t handed = 0;
    ward_app_reply rep;
    assert_int_equal(ward_app_dev_replies(&x.app, CID, 99, &after, take, &s, &handed, &rep),
                     WARD_OK);
    /* The wait asked for is wardd's longest. */
    assert_string_equal(x.w.last_target, "/v1/dev/" CID "/replies?wait=30&after=2");
    assert_int_equal(handed, 1);
    assert_int_equal(after, 4);
    assert_string_equal(s.msgs[0], "hi");
    assert_int_equal(ward_app_dev_replies(&x.app, CID, 0, &after, take, &s, &handed, &rep),
                     WARD_ERR_FORMAT);
    assert_int_equal(rep.status, 200);
    assert_int_equal(ward_app_dev_replies(&x.app, CID, 0, &after, take, &s, &handed, &rep),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(rep.status, 404);
    wf_wardd_stop(&x.w);
    ward_app_close(&x.app);
}

static void test_task_status(void **state)
{
    (void)state;
    static const wf_canned a[] = {
        { 200, "{\"state\":\"sealed\"}" },
        { 404, "{\"error\":\"notfound\",\"message\":\"no such task\"}" },
        { 500, "{\"error\":\"internal\",\"message\":\"db\"}" },
        { 200, "{\"state\":\"expired\"}" },
    };
    wf_app x;
    wf_app_start(&x, tmp_root, "task", a, 4);
    uint8_t tid[WARD_TASK_ID_LEN];
    memset(tid, 0xab, sizeof tid);
    ward_app_task t;
    assert_int_equal(ward_app_task_status(&x.app, tid, 45, &t), WARD_OK);
    assert_int_equal(t.state, WARD_APP_TASK_WAITING);
    assert_string_equal(x.w.last_target,
                        "/v1/bind/tasks/abababababababababababababababab/status?wait=30");
    assert_int_equal(ward_app_task_status(&x.app, tid, 0, &t), WARD_OK);
    assert_int_equal(t.state, WARD_APP_TASK_UNKNOWN);
    assert_int_equal(ward_app_task_status(&x.app, tid, 0, &t), WARD_ERR_IO);
    assert_int_equal(t.reply.status, 500);
    assert_string_equal(ward_app_error(&x.app), "wardd refused (500 internal): db");
    /* Expired, for a task the x.app has no record of: nothing dropped. */
    assert_int_equal(ward_app_bind_wait(&x.app, "LOCK-1", tid, 0, &t), WARD_OK);
    assert_int_equal(t.state, WARD_APP_TASK_EXPIRED);
    assert_false(t.dropped);
    wf_wardd_stop(&x.w);
    ward_app_close(&x.app);
}

static int setup(void **state)
{
    (void)state;
    return wf_root_make(tmp_root, sizeof tmp_root, "app_cloud");
}

static int teardown(void **state)
{
    (void)state;
    return wf_root_remove(tmp_root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_parse),
        cmocka_unit_test(test_task_parse),
        cmocka_unit_test(test_cloud_id_ok),
        cmocka_unit_test(test_devices_parse),
        cmocka_unit_test(test_msgs_parse),
        cmocka_unit_test(test_http_answer),
        cmocka_unit_test(test_refusal_message),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_attach),
        cmocka_unit_test(test_devices_and_replies),
        cmocka_unit_test(test_task_status),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
