/* wardd's address blocks and the real client behind trusted proxies
 * (server/proxy.c): X-Forwarded-For read from trusted peers only, right
 * to left, never past an entry that is not an address. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"

static wardd_cidrs blocks(const char *a, const char *b)
{
    wardd_cidrs l;
    memset(&l, 0, sizeof l);
    const char *in[2] = { a, b };
    for (int i = 0; i < 2; i++) {
        if (in[i] != NULL) {
            assert_true(wardd_cidr_parse(in[i], &l.v[l.n++]));
        }
    }
    return l;
}

static void addr(const char *text, uint8_t out[16])
{
    assert_true(wardd_addr_parse(text, strlen(text), out));
}

/* The client wardd takes for a request from peer with header xff. */
static const char *client_of(const wardd_cidrs *t, const char *peer, const char *xff)
{
    static char text[64];
    uint8_t p[16], c[16];
    addr(peer, p);
    wardd_client_resolve(t, p, xff, c);
    wardd_addr_text(c, text, sizeof text);
    return text;
}

static void test_cidrs(void **state)
{
    (void)state;
    wardd_cidr c;
    const char *good[] = { "10.0.0.0/8", "127.0.0.1", "0.0.0.0/0", "::1", "2001:db8::/32",
                           "::/0", "::ffff:10.0.0.0/104", "192.168.1.77/24" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true(wardd_cidr_parse(good[i], &c));
    }
    const char *bad[] = { "", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1",
                          "10.0.0.0/8x", "1.2.3", "example.org", "[::1]", "[::1]/128",
                          "10.0.0.0/ 8", "1.2.3.4:80" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(wardd_cidr_parse(bad[i], &c));
    }
    wardd_cidrs l = blocks("192.168.1.77/24", "2001:db8::/32");
    uint8_t a[16];
    addr("192.168.1.200", a);
    assert_true(wardd_cidrs_match(&l, a));
    addr("192.168.2.1", a);
    assert_false(wardd_cidrs_match(&l, a));
    addr("2001:db8:ffff::1", a);
    assert_true(wardd_cidrs_match(&l, a));
    addr("2001:db9::1", a);
    assert_false(wardd_cidrs_match(&l, a));
    /* An IPv4 peer on an IPv6 socket is the same IPv4 address. */
    addr("::ffff:192.168.1.9", a);
    assert_true(wardd_cidrs_match(&l, a));
    addr("127.9.9.9", a);
    assert_true(wardd_addr_loopback(a));
    addr("::1", a);
    assert_true(wardd_addr_loopback(a));
    addr("10.0.0.1", a);
    assert_false(wardd_addr_loopback(a));
}

static void test_untrusted_peer_is_the_client(void **state)
{
    (void)state;
    wardd_cidrs none = blocks(NULL, NULL);
    wardd_cidrs t = blocks("10.0.0.0/8", NULL);
    assert_string_equal(client_of(&none, "127.0.0.1", "198.51.100.1"), "127.0.0.1");
    assert_string_equal(client_of(&t, "127.0.0.1", "198.51.100.1"), "127.0.0.1");
    assert_string_equal(client_of(&t, "10.1.1.1", NULL), "10.1.1.1");
}

static void test_rightmost_untrusted_entry(void **state)
{
    (void)state;
    wardd_cidrs t = blocks("127.0.0.1/32", "10.0.0.0/8");
    assert_string_equal(client_of(&t, "127.0.0.1", "198.51.100.1"), "198.51.100.1");
    assert_string_equal(client_of(&t, "127.0.0.1", " 6.6.6.6 ,198.51.100.1 , 10.2.3.4"),
                        "198.51.100.1");
    assert_string_equal(client_of(&t, "127.0.0.1", "2001:db8::7"), "2001:db8::7");
    assert_string_equal(client_of(&t, "127.0.0.1", "[2001:db8::7]"), "2001:db8::7");
    /* Every entry a trusted proxy: the left-most one. */
    assert_string_equal(client_of(&t, "127.0.0.1", "10.9.9.9, 10.1.1.1"), "10.9.9.9");
}

static void test_garbage_stops_at_the_last_trusted_hop(void **state)
{
    (void)state;
    wardd_cidrs t = blocks("127.0.0.1/32", "10.0.0.0/8");
    assert_string_equal(client_of(&t, "127.0.0.1", "unknown"), "127.0.0.1");
    assert_string_equal(client_of(&t, "127.0.0.1", "198.51.100.1, junk"), "127.0.0.1");
    assert_string_equal(client_of(&t, "127.0.0.1", "junk, 10.1.1.1"), "10.1.1.1");
    assert_string_equal(client_of(&t, "127.0.0.1", ""), "127.0.0.1");
    assert_string_equal(client_of(&t, "127.0.0.1", ",,,"), "127.0.0.1");
    assert_string_equal(client_of(&t, "127.0.0.1", "1.2.3.4:5678"), "127.0.0.1");
    char big[WARDD_XFF_MAX + 20];
    memset(big, ' ', sizeof big - 1);
    memcpy(big + sizeof big - 1 - 12, "198.51.100.1", 12);
    big[sizeof big - 1] = '\0';
    assert_string_equal(client_of(&t, "127.0.0.1", big), "127.0.0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidrs),
        cmocka_unit_test(test_untrusted_peer_is_the_client),
        cmocka_unit_test(test_rightmost_untrusted_entry),
        cmocka_unit_test(test_garbage_stops_at_the_last_trusted_hop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
