/* wardd's connection guard (server/conn_guard.c): connections counted per
 * IPv4 address and per IPv6 /64, and a connection shut down when its
 * phase's deadline passes, but never while wardd works on its request.
 * Connections are socketpairs: the test holds the peer and sees the cut. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ward_test.h"
#include "conn_guard.h"

static struct sockaddr_storage v4(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
    return ss;
}

static struct sockaddr_storage v6(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
    return ss;
}

static bool admit(wardd_guard *g, const struct sockaddr_storage *ss)
{
    socklen_t len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                             : sizeof(struct sockaddr_in6);
    return wardd_guard_admit(g, (const struct sockaddr *)ss, len);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* True when the guard has shut down the connection whose peer is fd. */
static bool cut(int fd)
{
    char c;
    return recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

static void test_cap_per_address(void **state)
{
    (void)state;
    wardd_guard_cfg cfg = { 64, 2, 60000, 60000 };
    wardd_guard *g = NULL;
    assert_int_equal(wardd_guard_start(&cfg, &g), WARD_OK);
    struct sockaddr_storage a = v4("10.0.0.1"), b = v4("10.0.0.2");
    struct sockaddr_storage mapped = v6("::ffff:10.0.0.1");
    struct sockaddr_storage h1 = v6("2001:db8:0:7::1"), h2 = v6("2001:db8:0:7::2");
    struct sockaddr_storage other64 = v6("2001:db8:0:8::1");
    wardd_guard_conn *c[6];

    assert_true(admit(g, &a));
    c[0] = wardd_guard_open(g, -1, (struct sockaddr *)&a);
    assert_true(admit(g, &mapped));             /* the same address, mapped */
    c[1] = wardd_guard_open(g, -1, (struct sockaddr *)&mapped);
    assert_false(admit(g, &a));
    assert_false(admit(g, &mapped));
    assert_true(admit(g, &b));

    c[2] = wardd_guard_open(g, -1, (struct sockaddr *)&h1);
    c[3] = wardd_guard_open(g, -1, (struct sockaddr *)&h2);
    assert_false(admit(g, &h1));                /* one /64 */
    assert_true(admit(g, &other64));

    wardd_guard_close(c[0]);
    assert_true(admit(g, &a));                  /* released */
    wardd_guard_close(c[1]);
    wardd_guard_close(c[2]);
    wardd_guard_close(c[3]);
    wardd_guard_free(g);

    cfg.per_addr = 0;                           /* no cap */
    assert_int_equal(wardd_guard_start(&cfg, &g), WARD_OK);
    for (int i = 0; i < 6; i++) {
        assert_true(admit(g, &a));
        c[i] = wardd_guard_open(g, -1, (struct sockaddr *)&a);
    }
    for (int i = 0; i < 6; i++) {
        wardd_guard_close(c[i]);
    }
    wardd_guard_free(g);
}

static void test_deadlines(void **state)
{
    (void)state;
    wardd_guard_cfg cfg = { 64, 8, 300, 300 };
    wardd_guard *g = NULL;
    assert_int_equal(wardd_guard_start(&cfg, &g), WARD_OK);
    struct sockaddr_storage a = v4("10.0.0.1");
    enum { HEADERS, BODY, HANDLER, REPLY, KEPT, N };
    int sp[N][2];
    wardd_guard_conn *c[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]), 0);
        c[i] = wardd_guard_open(g, sp[i][0], (struct sockaddr *)&a);
    }
    wardd_guard_phase(c[BODY], WARDD_PHASE_HEADERS);
    wardd_guard_phase(c[BODY], WARDD_PHASE_BODY);
    wardd_guard_phase(c[HANDLER], WARDD_PHASE_BODY);
    wardd_guard_phase(c[HANDLER], WARDD_PHASE_HANDLER);
    wardd_guard_phase(c[REPLY], WARDD_PHASE_HANDLER);
    wardd_guard_phase(c[REPLY], WARDD_PHASE_REPLY);
    sleep_ms(150);
    for (int i = 0; i < N; i++) {
        assert_false(cut(sp[i][1]));
    }
    /* A kept-alive connection: each request has a fresh deadline. */
    for (int round = 0; round < 3; round++) {
        wardd_guard_phase(c[KEPT], WARDD_PHASE_IDLE);
        wardd_guard_phase(c[KEPT], WARDD_PHASE_HEADERS);
        sleep_ms(200);
        assert_false(cut(sp[KEPT][1]));
    }
    wardd_guard_phase(c[KEPT], WARDD_PHASE_HANDLER);
    sleep_ms(700);
    assert_true(cut(sp[HEADERS][1]));
    assert_true(cut(sp[BODY][1]));
    assert_true(cut(sp[REPLY][1]));
    assert_false(cut(sp[HANDLER][1]));          /* a long-poll is never cut */
    assert_false(cut(sp[KEPT][1]));
    for (int i = 0; i < N; i++) {
        wardd_guard_close(c[i]);
        close(sp[i][0]);
        close(sp[i][1]);
    }
    wardd_guard_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_per_address),
        cmocka_unit_test(test_deadlines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
