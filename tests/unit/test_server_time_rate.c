/* GET /v1/time's limit per address (server/time_rate.c): a bucket of N answers refilled at
 * N a minute, Retry-After until the next, one bucket per address, in a bounded table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wardd.h"

/* The unit an address is counted as (ratelimit.c; its /64 grouping is
 * test_server_proxy's and e2e_hsm's): here the address itself. */
void wardd_addr_unit(const char *addr, char *out, size_t cap)
{
    snprintf(out, cap, "%s", addr);
}

#define T0 1700000000000LL

static int answered(const char *addr, unsigned per_min, int64_t now, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++) {
        int64_t retry = -1;
        if (wardd_time_rate_take(addr, per_min, now, &retry)) {
            ok++;
        } else {
            assert_true(retry > 0 && retry <= 60000);
        }
    }
    return ok;
}

static void test_burst_then_refill(void **state)
{
    (void)state;
    assert_int_equal(answered("192.0.2.1", 5, T0, 20), 5);
    int64_t retry = 0;
    assert_false(wardd_time_rate_take("192.0.2.1", 5, T0, &retry));
    assert_int_equal(retry, 12000);                 /* one answer per 12 s at 5 a minute */
    assert_false(wardd_time_rate_take("192.0.2.1", 5, T0 + 11999, &retry));
    assert_int_equal(retry, 1);
    assert_int_equal(answered("192.0.2.1", 5, T0 + 12000, 3), 1);
    /* A minute idle: the whole burst again, never more. */
    assert_int_equal(answered("192.0.2.1", 5, T0 + 12000 + 600000, 9), 5);
}

static void test_addresses_apart(void **state)
{
    (void)state;
    assert_int_equal(answered("198.51.100.1", 3, T0, 10), 3);
    assert_int_equal(answered("198.51.100.2", 3, T0, 10), 3);
    assert_int_equal(answered("198.51.100.1", 3, T0 + 1, 1), 0);
}

static void test_more_addresses_than_buckets(void **state)
{
    (void)state;
    /* 6000 addresses in 4096 buckets: each gets its burst, the table does
     * not grow, and the one drained last is still refused. */
    char a[32];
    int total = 0;
    for (int i = 0; i < 6000; i++) {
        snprintf(a, sizeof a, "10.%d.%d.1", i / 256, i % 256);
        total += answered(a, 2, T0 + 5000, 3);
    }
    assert_int_equal(total, 2 * 6000);
    assert_int_equal(answered("10.23.111.1", 2, T0 + 5001, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_refill),
        cmocka_unit_test(test_addresses_apart),
        cmocka_unit_test(test_more_addresses_than_buckets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
