/* The app's reading of wardd's flow C answers (ward_app_cloud.h): the
 * gateway list checked entry by entry, and the expiry warning. WARD_TEST_CLIENT */
#include "ward_test.h"

#include <stdio.h>
#include <string.h>

#include "ward/ward_app_cloud.h"

#define TID "00112233445566778899aabbccddeeff"
#define UUID "6f1c2a9033414e078b5d11c2e4097a3e"

static void test_gateways_parse(void **state)
{
    (void)state;
    static const char json[] =
        "{\"gateways\":["
        "{\"tid\":\"" TID "\",\"uuid\":\"" UUID "\",\"mac\":\"240ac4123456\","
        "\"generation\":2,\"expires_ms\":1800000000000},"
        /* each of these fails a check and is skipped */
        "{\"tid\":\"" TID "0\",\"uuid\":\"" UUID "\",\"mac\":\"240ac4123456\","
        "\"generation\":1,\"expires_ms\":1},"
        "{\"tid\":\"" TID "\",\"uuid\":\"" UUID "\",\"mac\":\"240AC4123456\","
        "\"generation\":1,\"expires_ms\":1},"
        "{\"tid\":\"" TID "\",\"uuid\":\"" UUID "\",\"mac\":\"240ac4123456\","
        "\"generation\":0,\"expires_ms\":1},"
        "{\"tid\":\"" TID "\",\"uuid\":\"" UUID "\",\"mac\":\"240ac4123456\","
        "\"generation\":1,\"expires_ms\":1e300},"
        "\"x\"]}";
    ward_app_gateways g;
    assert_int_equal(ward_app_gateways_parse(json, strlen(json), &g), WARD_OK);
    assert_int_equal(g.count, 1);
    assert_int_equal(g.skipped, 5);
    assert_string_equal(g.gw[0].tid, TID);
    assert_string_equal(g.gw[0].mac, "240ac4123456");
    assert_int_equal(g.gw[0].generation, 2);
    assert_true(g.gw[0].expires_ms == 1800000000000LL);
    assert_int_equal(ward_app_gateways_parse("{}", 2, &g), WARD_ERR_FORMAT);
    assert_int_equal(ward_app_gateways_parse("[", 1, &g), WARD_ERR_FORMAT);
}

static void test_expiry_warning(void **state)
{
    (void)state;
    const int64_t day = 24LL * 3600 * 1000, now = 1700000000000LL;
    assert_false(ward_app_gw_expiring(now + 16 * day, now));
    assert_true(ward_app_gw_expiring(now + 15 * day, now));
    assert_true(ward_app_gw_expiring(now + day, now));
    assert_true(ward_app_gw_expiring(now - day, now));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateways_parse),
        cmocka_unit_test(test_expiry_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
