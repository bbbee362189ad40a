/* The app's wardd calls of flows A and D (ward_app_cloud.h): every check of a hostile wardd's answers, parsers and calls against a scripted server. WARD_TEST_CLIENT */
#define _GNU_SOURCE
#include "ward_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ward/ward_app.h"
#include "ward/ward_app_cloud.h"
#include "ward/ward_host.h"
#include "ward/ward_httpsig.h"

#define PHONE "+8613800000000"
#define CID "00112233445566778899aabbccddeeff"

static char tmp_root[256];

/* ---- a scripted wardd: one canned answer per connection ---- */

typedef struct canned {
    int status;
    const char *body;
} canned;

typedef struct fake_wardd {
    int fd;
    int port;
    const canned *answers;
    size_t n;
    char last_target[256];     /* the request line's target of the last request */
    pthread_t th;
} fake_wardd;

/* Reads one request (headers and the body Content-Length names). */
static void read_request(int c, fake_wardd *f)
{
    char buf[16384];
    size_t got = 0;
    char *end = NULL;
    while (got < sizeof buf - 1 && end == NULL) {
        ssize_t k = read(c, buf + got, sizeof buf - 1 - got);
        if (k <= 0) {
            return;
        }
        got += (size_t)k;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (end == NULL) {
        return;
    }
    char *sp = strchr(buf, ' ');
    char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
    if (sp && sp2) {
        snprintf(f->last_target, sizeof f->last_target, "%.*s", (int)(sp2 - sp - 1), sp + 1);
    }
    const char *cl = strcasestr(buf, "content-length:");
    size_t want = cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
    size_t have = got - (size_t)(end + 4 - buf);
    while (have < want) {
        ssize_t k = read(c, buf, sizeof buf);
        if (k <= 0) {
            return;
        }
        have += (size_t)k;
    }
}

static void *serve(void *arg)
{
    fake_wardd *f = arg;
    for (size_t i = 0; i < f->n; i++) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0) {
            return NULL;
        }
        read_request(c, f);
        char head[256];
        const char *body = f->answers[i].body;
        int hl = snprintf(head, sizeof head,
                          "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
                          f->answers[i].status, strlen(body),
                          f->answers[i].status == 429 ? "Retry-After: 7\r\n" : "");
        (void)!write(c, head, (size_t)hl);
        (void)!write(c, body, strlen(body));
        close(c);
    }
    return NULL;
}

static void fake_start(fake_wardd *f, const canned *answers, size_t n)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    memset(f, 0, sizeof *f);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->fd >= 0);
    assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(f->fd, 8), 0);
    assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &al), 0);
    f->port = ntohs(a.sin_port);
    f->answers = answers;
    f->n = n;
    assert_int_equal(pthread_create(&f->th, NULL, serve, f), 0);
}

static void fake_stop(fake_wardd *f)
{
    pthread_join(f->th, NULL);
    close(f->fd);
}

/* An app in a fresh directory whose server is the fake one. */
static void app_at(ward_app *app, ward_host *host, const char *name, const fake_wardd *f)
{
    char dir[512], url[64];
    snprintf(dir, sizeof dir, "%s/%s", tmp_root, name);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", f != NULL ? f->port : 1);
    ward_host_init(host);
    assert_int_equal(ward_app_create(app, host, dir, "alice", PHONE, url), WARD_OK);
}

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

/* ---- calls against a scripted wardd ---- */

static void test_refusal_message(void **state)
{
    (void)state;
    static const canned a[] = {
        { 409, "{\"error\":\"conflict\",\"message\":\"taken\\u001b[2J\\nfake line\"}" },
        { 429, "{\"error\":\"busy\",\"message\":\"later\"}" },
        { 200, "{\"user\":\"alice\",\"verified\":true}" },
        { 201, "[\"verified\", true]" },
    };
    fake_wardd f;
    fake_start(&f, a, 4);
    ward_host host;
    ward_app app;
    app_at(&app, &host, "refusal", &f);
    ward_app_reply rep;
    bool verified = true;
    assert_int_equal(ward_app_register(&app, &verified, &rep), WARD_ERR_CONFLICT);
    assert_false(verified);
    assert_int_equal(rep.status, 409);
    /* wardd's words escaped: no terminal control, one line. */
    assert_string_equal(ward_app_error(&app),
                        "wardd refused (409 conflict): taken\\x1b[2J\\x0afake line");
    assert_int_equal(ward_app_register(&app, &verified, &rep), WARD_ERR_BUSY);
    assert_int_equal(rep.retry_after_s, 7);
    assert_int_equal(ward_app_register(&app, &verified, &rep), WARD_OK);
    assert_true(verified);
    assert_int_equal(ward_app_register(&app, &verified, &rep), WARD_OK);
    assert_false(verified);
    assert_string_equal(f.last_target, "/v1/users");
    fake_stop(&f);
    /* Not 6 digits: nothing sent. */
    assert_int_equal(ward_app_verify(&app, "12345", &rep), WARD_ERR_FORMAT);
    assert_int_equal(rep.status, 0);
    ward_app_close(&app);
}

static void test_unreachable(void **state)
{
    (void)state;
    ward_host host;
    ward_app app;
    app_at(&app, &host, "nobody", NULL);
    ward_app_reply rep;
    bool verified = true;
    assert_int_equal(ward_app_register(&app, &verified, &rep), WARD_ERR_IO);
    assert_int_equal(rep.status, 0);
    assert_non_null(strstr(ward_app_error(&app), "cannot reach wardd at http://127.0.0.1:1"));
    ward_app_close(&app);
}

static void test_attach(void **state)
{
    (void)state;
    static const canned a[] = {
        { 201, "{\"cloud_id\":\"" CID "\",\"device\":\"DEV-1\"}" },
        { 201, "{\"cloud_id\":\"../../v1/escrow?\"}" },
        { 200, "{\"cloud_id\":\"00112233445566778899AABBCCDDEEFF\"}" },
        { 200, "{}" },
    };
    fake_wardd f;
    fake_start(&f, a, 4);
    ward_host host;
    ward_app app;
    app_at(&app, &host, "attach", &f);
    char cloud[WARD_DEV_CLOUD_ID_MAX + 1];
    const uint8_t cid[2] = { 0x0a, 0x0b };
    assert_int_equal(ward_app_device_attach(&app, "DEV-1", cid, 2, cloud, NULL), WARD_OK);
    assert_string_equal(cloud, CID);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ward_app_device_attach(&app, "DEV-1", cid, 2, cloud, NULL),
                         WARD_ERR_FORMAT);
        assert_string_equal(cloud, "");
        assert_string_equal(ward_app_error(&app), "wardd gave no cloud id");
    }
    fake_stop(&f);
    /* Never sent: a device id that is none, a cloud id that is none. */
    assert_int_equal(ward_app_device_attach(&app, "../x", cid, 2, cloud, NULL), WARD_ERR_PARAM);
    const uint8_t m[1] = { 1 };
    assert_int_equal(ward_app_dev_post(&app, "../x", m, 1, NULL), WARD_ERR_PARAM);
    assert_int_equal(ward_app_dev_post(&app, CID, m, 0, NULL), WARD_ERR_PARAM);
    int64_t after = 0;
    assert_int_equal(ward_app_dev_replies(&app, "x?y", 0, &after, take, NULL, NULL, NULL),
                     WARD_ERR_PARAM);
    ward_app_close(&app);
}

static void test_devices_and_replies(void **state)
{
    (void)state;
    static const canned a[] = {
        { 200, "{\"devices\":[{\"device\":\"DEV-1\",\"cloud_id\":\"" CID "\"}]}" },
        { 200, "{\"nope\":1}" },
        { 202, "{\"id\":1}" },
        { 200, "{\"msgs\":[{\"id\":4,\"msg\":\"aGk=\",\"cloud_id\":\"" CID "\"}]}" },
        { 200, "[]" },
        { 404, "{\"error\":\"notfound\",\"message\":\"no such cloud id\"}" },
    };
    fake_wardd f;
    fake_start(&f, a, 6);
    ward_host host;
    ward_app app;
    app_at(&app, &host, "devs", &f);
    ward_app_cloud_devices l;
    assert_int_equal(ward_app_devices(&app, &l, NULL), WARD_OK);
    assert_int_equal(l.count, 1);
    ward_app_cloud_devices_free(&l);
    assert_int_equal(ward_app_devices(&app, &l, NULL), WARD_ERR_FORMAT);
    assert_null(l.devices);
    const uint8_t m[2] = { 'h', 'i' };
    assert_int_equal(ward_app_dev_post(&app, CID, m, 2, NULL), WARD_OK);
    assert_string_equal(f.last_target, "/v1/dev/" CID "/msgs");
    seen s;
    memset(&s, 0, sizeof s);
    int64_t after = 2;
    size_t handed = 0;
    ward_app_reply rep;
    assert_int_equal(ward_app_dev_replies(&app, CID, 99, &after, take, &s, &handed, &rep),
                     WARD_OK);
    /* The wait asked for is wardd's longest. */
    assert_string_equal(f.last_target, "/v1/dev/" CID "/replies?wait=30&after=2");
    assert_int_equal(handed, 1);
    assert_int_equal(after, 4);
    assert_string_equal(s.msgs[0], "hi");
    assert_int_equal(ward_app_dev_replies(&app, CID, 0, &after, take, &s, &handed, &rep),
                     WARD_ERR_FORMAT);
    assert_int_equal(rep.status, 200);
    assert_int_equal(ward_app_dev_replies(&app, CID, 0, &after, take, &s, &handed, &rep),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(rep.status, 404);
    fake_stop(&f);
    ward_app_close(&app);
}

static void test_task_status(void **state)
{
    (void)state;
    static const canned a[] = {
        { 200, "{\"state\":\"sealed\"}" },
        { 404, "{\"error\":\"notfound\",\"message\":\"no such task\"}" },
        { 500, "{\"error\":\"internal\",\"message\":\"db\"}" },
        { 200, "{\"state\":\"expired\"}" },
    };
    fake_wardd f;
    fake_start(&f, a, 4);
    ward_host host;
    ward_app app;
    app_at(&app, &host, "task", &f);
    uint8_t tid[WARD_TASK_ID_LEN];
    memset(tid, 0xab, sizeof tid);
    ward_app_task t;
    assert_int_equal(ward_app_task_status(&app, tid, 45, &t), WARD_OK);
    assert_int_equal(t.state, WARD_APP_TASK_WAITING);
    assert_string_equal(f.last_target,
                        "/v1/bind/tasks/abababababababababababababababab/status?wait=30");
    assert_int_equal(ward_app_task_status(&app, tid, 0, &t), WARD_OK);
    assert_int_equal(t.state, WARD_APP_TASK_UNKNOWN);
    assert_int_equal(ward_app_task_status(&app, tid, 0, &t), WARD_ERR_IO);
    assert_int_equal(t.reply.status, 500);
    assert_string_equal(ward_app_error(&app), "wardd refused (500 internal): db");
    /* Expired, for a task the app has no record of: nothing dropped. */
    assert_int_equal(ward_app_bind_wait(&app, "LOCK-1", tid, 0, &t), WARD_OK);
    assert_int_equal(t.state, WARD_APP_TASK_EXPIRED);
    assert_false(t.dropped);
    fake_stop(&f);
    ward_app_close(&app);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_root, sizeof tmp_root, "/tmp/ward_test_app_cloud.XXXXXX");
    assert_non_null(mkdtemp(tmp_root));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_parse),
        cmocka_unit_test(test_task_parse),
        cmocka_unit_test(test_cloud_id_ok),
        cmocka_unit_test(test_devices_parse),
        cmocka_unit_test(test_msgs_parse),
        cmocka_unit_test(test_refusal_message),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_attach),
        cmocka_unit_test(test_devices_and_replies),
        cmocka_unit_test(test_task_status),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
