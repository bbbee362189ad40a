/* wardd's firmware releases: the store keeps a class's releases only upward in counter, one
 * winner per counter; the Range parser of the image route takes one byte range and no other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward_test.h"
#include "fw.h"
#include "store.h"
#include "store_fixture.h"

static wardd_store st;

static int setup(void **state)
{
    (void)state;
    sf_make_dir("fwstore");
    assert_int_equal(wardd_store_sqlite_open(sf_path, &st), WARD_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    st.close(st.h);
    sf_remove_dir();
    return 0;
}

static void make_rel(wardd_fw_rel *r, const char *cls, uint32_t counter)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dev_class, sizeof r->dev_class, "%s", cls);
    snprintf(r->version, sizeof r->version, "v%lu", (unsigned long)counter);
    r->counter = counter;
    r->size = 1000 + counter;
    memset(r->digest, (int)counter, sizeof r->digest);
    r->manifest_len = WARD_FW_MANIFEST_MIN + counter;
    memset(r->manifest, 0xa0 + (int)counter, r->manifest_len);
    snprintf(r->file, sizeof r->file, "%s-%lu.img", cls, (unsigned long)counter);
    r->created_ms = 77;
}

static void test_counter_only_upward_per_class(void **state)
{
    (void)state;
    wardd_fw_rel r, got;
    assert_int_equal(st.fw_newest(st.h, "lock-m1", &got), WARD_ERR_NOTFOUND);
    make_rel(&r, "lock-m1", 5);
    assert_int_equal(st.fw_put(st.h, &r), WARD_OK);
    /* The same counter again, and an older one: refused, nothing changes. */
    make_rel(&r, "lock-m1", 5);
    snprintf(r.version, sizeof r.version, "evil");
    assert_int_equal(st.fw_put(st.h, &r), WARD_ERR_STATE);
    make_rel(&r, "lock-m1", 4);
    assert_int_equal(st.fw_put(st.h, &r), WARD_ERR_STATE);
    assert_int_equal(st.fw_get(st.h, "lock-m1", 4, &got), WARD_ERR_NOTFOUND);
    assert_int_equal(st.fw_newest(st.h, "lock-m1", &got), WARD_OK);
    assert_int_equal(got.counter, 5);
    assert_string_equal(got.version, "v5");
    /* Another class has its own counters. */
    make_rel(&r, "gw-x", 1);
    assert_int_equal(st.fw_put(st.h, &r), WARD_OK);
    make_rel(&r, "lock-m1", 9);
    assert_int_equal(st.fw_put(st.h, &r), WARD_OK);
    assert_int_equal(st.fw_newest(st.h, "lock-m1", &got), WARD_OK);
    assert_int_equal(got.counter, 9);
    /* Every field back as written; the older release still readable. */
    wardd_fw_rel want;
    make_rel(&want, "lock-m1", 5);
    assert_int_equal(st.fw_get(st.h, "lock-m1", 5, &got), WARD_OK);
    assert_string_equal(got.dev_class, want.dev_class);
    assert_string_equal(got.file, want.file);
    assert_int_equal(got.size, want.size);
    assert_int_equal(got.manifest_len, want.manifest_len);
    assert_memory_equal(got.manifest, want.manifest, want.manifest_len);
    assert_memory_equal(got.digest, want.digest, sizeof want.digest);
    assert_int_equal(got.created_ms, 77);
    assert_int_equal(st.fw_newest(st.h, "gw-x", &got), WARD_OK);
    assert_int_equal(got.counter, 1);
    assert_int_equal(sf_int("SELECT count(*) FROM fw_releases"), 3);
}

static void test_counter_limits(void **state)
{
    (void)state;
    wardd_fw_rel r, got;
    make_rel(&r, "c", 0xffffffffu);
    assert_int_equal(st.fw_put(st.h, &r), WARD_OK);
    assert_int_equal(st.fw_newest(st.h, "c", &got), WARD_OK);
    assert_int_equal(got.counter, 0xffffffffu);
    make_rel(&r, "c", 0);
    assert_int_equal(st.fw_put(st.h, &r), WARD_ERR_STATE);
}

static void range_is(const char *h, uint64_t size, wardd_range_res want, uint64_t f,
                     uint64_t l)
{
    uint64_t first = 12345, last = 12345;
    wardd_range_res got = wardd_range_parse(h, size, &first, &last);
    if (got != want) {
        fail_msg("Range \"%s\" of %llu: %d, expected %d", h ? h : "(none)",
                 (unsigned long long)size, (int)got, (int)want);
    }
    if (want == WARDD_RANGE_PART && (first != f || last != l)) {
        fail_msg("Range \"%s\": %llu-%llu, expected %llu-%llu", h, (unsigned long long)first,
                 (unsigned long long)last, (unsigned long long)f, (unsigned long long)l);
    }
}

static void test_range_parse(void **state)
{
    (void)state;
    range_is(NULL, 100, WARDD_RANGE_ALL, 0, 0);
    range_is("items=0-1", 100, WARDD_RANGE_ALL, 0, 0);
    range_is("bytes 0-1", 100, WARDD_RANGE_ALL, 0, 0);
    range_is("bytes=0-0", 100, WARDD_RANGE_PART, 0, 0);
    range_is("Bytes = 10-19 ", 100, WARDD_RANGE_PART, 10, 19);
    range_is("bytes=99-", 100, WARDD_RANGE_PART, 99, 99);
    range_is("bytes=90-1000", 100, WARDD_RANGE_PART, 90, 99);
    range_is("bytes=-1", 100, WARDD_RANGE_PART, 99, 99);
    range_is("bytes=-100", 100, WARDD_RANGE_PART, 0, 99);
    range_is("bytes=-500", 100, WARDD_RANGE_PART, 0, 99);
    range_is("bytes=0-", 1, WARDD_RANGE_PART, 0, 0);
    range_is("bytes=100-", 100, WARDD_RANGE_BAD, 0, 0);
    range_is("bytes=100-200", 100, WARDD_RANGE_BAD, 0, 0);
    range_is("bytes=5-4", 100, WARDD_RANGE_BAD, 0, 0);
    range_is("bytes=-0", 100, WARDD_RANGE_BAD, 0, 0);
    range_is("bytes=-", 100, WARDD_RANGE_BAD, 0, 0);
    range_is("bytes=", 100, WARDD_RANGE_BAD, 0, 0);
    range_is("bytes=a-1", 100, WARDD_RANGE_BAD, 0, 0);
    range_is("bytes=0-1,3-4", 100, WARDD_RANGE_BAD, 0, 0);
    range_is("bytes=0-1x", 100, WARDD_RANGE_BAD, 0, 0);
    range_is("bytes=+1-2", 100, WARDD_RANGE_BAD, 0, 0);
    /* More digits than any image: refused, never wrapped. */
    range_is("bytes=0-99999999999999999999", 100, WARDD_RANGE_BAD, 0, 0);
    range_is("bytes=18446744073709551617-", 100, WARDD_RANGE_BAD, 0, 0);
    range_is("bytes=999999999999999-", 100, WARDD_RANGE_BAD, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counter_only_upward_per_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_limits, setup, teardown),
        cmocka_unit_test(test_range_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
