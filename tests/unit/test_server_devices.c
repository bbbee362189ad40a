/* wardd's flow D store entries through the vtable: attachments (one cloud
 * id per device, user and app; bounded), and the relay queues (bounded,
 * expiring, scoped to their device or cloud id, dropped once polled). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ward_test.h"
#include "store.h"
#include "store_fixture.h"

static wardd_store st;

/* A store with two devices and two users. */
static int setup(void **state)
{
    (void)state;
    sf_make_dir("devstore");
    assert_int_equal(wardd_store_sqlite_open(sf_path, &st), WARD_OK);
    uint8_t pub[WARD_P256_POINT_LEN];
    int created = 0;
    memset(pub, 0x11, sizeof pub);
    assert_int_equal(st.lock_put(st.h, "DEV-1", pub, &created), WARD_OK);
    memset(pub, 0x12, sizeof pub);
    assert_int_equal(st.lock_put(st.h, "DEV-2", pub, &created), WARD_OK);
    memset(pub, 0x22, sizeof pub);
    assert_int_equal(st.user_put(st.h, "alice", "+8613800000000", pub, &created), WARD_OK);
    memset(pub, 0x23, sizeof pub);
    assert_int_equal(st.user_put(st.h, "bob", "+8613800000001", pub, &created), WARD_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    st.close(st.h);
    sf_remove_dir();
    return 0;
}

static void attach(const char *device, const char *uid, const char *app, uint8_t idbyte,
                   wardd_attach *out, int expect_created)
{
    wardd_attach a;
    memset(&a, 0, sizeof a);
    memset(a.cloud_id, idbyte, sizeof a.cloud_id);
    snprintf(a.device, sizeof a.device, "%s", device);
    snprintf(a.uid, sizeof a.uid, "%s", uid);
    snprintf(a.app, sizeof a.app, "%s", app);
    a.attached_ms = 1000 + idbyte;
    int created = -1;
    assert_int_equal(st.dev_attach(st.h, &a, out, &created), WARD_OK);
    assert_int_equal(created, expect_created);
}

static void test_schema_has_flow_d(void **state)
{
    (void)state;
    assert_int_equal(sf_int("PRAGMA user_version"), WARDD_SCHEMA_VERSION);
    assert_true(WARDD_SCHEMA_VERSION >= 4);
    assert_int_equal(sf_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
                             " name IN ('dev_attach','dev_msgs')"), 2);
}

static void test_attach_is_idempotent_per_app(void **state)
{
    (void)state;
    wardd_attach a1, again, a2, b1;
    attach("DEV-1", "alice", "app1", 0x01, &a1, 1);
    /* The same pair again keeps its first cloud id, whatever was drawn. */
    attach("DEV-1", "alice", "app1", 0x02, &again, 0);
    assert_memory_equal(again.cloud_id, a1.cloud_id, WARDD_CLOUD_ID_LEN);
    assert_int_equal(again.attached_ms, a1.attached_ms);
    /* Another app of the same user, and another user: their own ids. */
    attach("DEV-1", "alice", "app2", 0x03, &a2, 1);
    attach("DEV-1", "bob", "app1", 0x04, &b1, 1);
    assert_memory_not_equal(a2.cloud_id, a1.cloud_id, WARDD_CLOUD_ID_LEN);

    wardd_attach got;
    assert_int_equal(st.dev_attach_get(st.h, b1.cloud_id, &got), WARD_OK);
    assert_string_equal(got.uid, "bob");
    assert_string_equal(got.device, "DEV-1");
    uint8_t none[WARDD_CLOUD_ID_LEN];
    memset(none, 0x77, sizeof none);
    assert_int_equal(st.dev_attach_get(st.h, none, &got), WARD_ERR_NOTFOUND);
}

static void test_attach_refusals(void **state)
{
    (void)state;
    wardd_attach a, out;
    memset(&a, 0, sizeof a);
    memset(a.cloud_id, 0x09, sizeof a.cloud_id);
    strcpy(a.device, "NO-SUCH");
    strcpy(a.uid, "alice");
    int created = -1;
    assert_int_equal(st.dev_attach(st.h, &a, &out, &created), WARD_ERR_NOTFOUND);
    strcpy(a.device, "DEV-1");
    strcpy(a.uid, "mallory");
    assert_int_equal(st.dev_attach(st.h, &a, &out, &created), WARD_ERR_NOTFOUND);
    /* A drawn id already in use: the caller draws again. */
    attach("DEV-1", "alice", "", 0x09, &out, 1);
    strcpy(a.uid, "bob");
    assert_int_equal(st.dev_attach(st.h, &a, &out, &created), WARD_ERR_STATE);
    assert_int_equal(created, 0);
}

static void test_attach_bounded(void **state)
{
    (void)state;
    wardd_attach out;
    for (int i = 0; i < WARDD_DEV_ATTACH_MAX; i++) {
        char app[16];
        snprintf(app, sizeof app, "a%d", i);
        attach("DEV-1", "alice", app, (uint8_t)(0x40 + i), &out, 1);
    }
    wardd_attach a;
    memset(&a, 0, sizeof a);
    memset(a.cloud_id, 0xEE, sizeof a.cloud_id);
    strcpy(a.device, "DEV-1");
    strcpy(a.uid, "bob");
    int created = -1;
    assert_int_equal(st.dev_attach(st.h, &a, &out, &created), WARD_ERR_BUSY);
    /* Only that device is full. */
    strcpy(a.device, "DEV-2");
    assert_int_equal(st.dev_attach(st.h, &a, &out, &created), WARD_OK);
    assert_int_equal(created, 1);
}

typedef struct seen {
    int n;
    int64_t ids[64];
    uint8_t first[4];
    uint8_t clouds[64];
} seen;

static int collect(void *ctx, const wardd_dev_msg *m)
{
    seen *s = ctx;
    s->ids[s->n] = m->id;
    s->clouds[s->n] = m->cloud_id[0];
    s->first[s->n % 4] = m->msg[0];
    s->n++;
    return 0;
}

static int count_attach(void *ctx, const wardd_attach *a)
{
    int *n = ctx;
    assert_string_equal(a->uid, "alice");
    (*n)++;
    return 0;
}

static void test_list_is_per_user(void **state)
{
    (void)state;
    wardd_attach out;
    attach("DEV-1", "alice", "x", 0x01, &out, 1);
    attach("DEV-2", "alice", "x", 0x02, &out, 1);
    attach("DEV-1", "bob", "x", 0x03, &out, 1);
    int n = 0;
    assert_int_equal(st.dev_attach_list(st.h, "alice", count_attach, &n), WARD_OK);
    assert_int_equal(n, 2);
}

static void test_queues_scoped_and_polled(void **state)
{
    (void)state;
    wardd_attach a, b, c;
    attach("DEV-1", "alice", "", 0x01, &a, 1);
    attach("DEV-1", "bob", "", 0x02, &b, 1);
    attach("DEV-2", "alice", "", 0x03, &c, 1);
    uint8_t msg[WARD_MSG_MAX];
    int64_t id = 0;
    memset(msg, 0xA1, sizeof msg);
    /* A full-size message goes; an empty or larger one is refused. */
    assert_int_equal(st.dev_msg_put(st.h, a.cloud_id, WARDD_DEV_TO_DEVICE, msg, sizeof msg,
                                     100, 10000, &id), WARD_OK);
    assert_int_equal(st.dev_msg_put(st.h, a.cloud_id, WARDD_DEV_TO_DEVICE, msg, 0, 100,
                                     10000, &id), WARD_ERR_PARAM);
    assert_int_equal(st.dev_msg_put(st.h, a.cloud_id, WARDD_DEV_TO_DEVICE, msg,
                                     WARD_MSG_MAX + 1, 100, 10000, &id), WARD_ERR_PARAM);
    msg[0] = 0xB2;
    assert_int_equal(st.dev_msg_put(st.h, b.cloud_id, WARDD_DEV_TO_DEVICE, msg, 10, 101,
                                     10000, &id), WARD_OK);
    msg[0] = 0xC3;
    assert_int_equal(st.dev_msg_put(st.h, c.cloud_id, WARDD_DEV_TO_DEVICE, msg, 10, 102,
                                     10000, &id), WARD_OK);
    msg[0] = 0xD4;
    int64_t reply_id = 0;
    assert_int_equal(st.dev_msg_put(st.h, a.cloud_id, WARDD_DEV_TO_APP, msg, 10, 103, 10000,
                                     &reply_id), WARD_OK);
    uint8_t none[WARDD_CLOUD_ID_LEN];
    memset(none, 0x55, sizeof none);
    assert_int_equal(st.dev_msg_put(st.h, none, WARDD_DEV_TO_DEVICE, msg, 10, 103, 10000,
                                     &id), WARD_ERR_NOTFOUND);

    /* DEV-1's inbox: both of its apps' messages, not DEV-2's, not replies. */
    seen s = { 0 };
    assert_int_equal(st.dev_msg_take(st.h, "DEV-1", NULL, WARDD_DEV_TO_DEVICE, 0, 200,
                                     collect, &s), WARD_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.first[0], 0xA1);
    assert_int_equal(s.first[1], 0xB2);
    assert_int_equal(s.clouds[0], 0x01);
    assert_int_equal(s.clouds[1], 0x02);
    /* Polling again with after = the first id drops it and only it. */
    int64_t last = s.ids[0];
    memset(&s, 0, sizeof s);
    assert_int_equal(st.dev_msg_take(st.h, "DEV-1", NULL, WARDD_DEV_TO_DEVICE, last, 200,
                                     collect, &s), WARD_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.first[0], 0xB2);
    assert_int_equal(sf_int("SELECT count(*) FROM dev_msgs WHERE way = 0"), 2);

    /* Alice's replies on her cloud id; bob's cloud id has none. */
    memset(&s, 0, sizeof s);
    assert_int_equal(st.dev_msg_take(st.h, NULL, b.cloud_id, WARDD_DEV_TO_APP, 0, 200,
                                     collect, &s), WARD_OK);
    assert_int_equal(s.n, 0);
    assert_int_equal(st.dev_msg_take(st.h, NULL, a.cloud_id, WARDD_DEV_TO_APP, 0, 200,
                                     collect, &s), WARD_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.ids[0], reply_id);
    /* Bob acknowledging alice's reply id on his own cloud id drops nothing. */
    memset(&s, 0, sizeof s);
    assert_int_equal(st.dev_msg_take(st.h, NULL, b.cloud_id, WARDD_DEV_TO_APP, reply_id, 200,
                                     collect, &s), WARD_OK);
    assert_int_equal(sf_int("SELECT count(*) FROM dev_msgs WHERE way = 1"), 1);
    /* Naming both scopes or none is misuse. */
    assert_int_equal(st.dev_msg_take(st.h, "DEV-1", a.cloud_id, WARDD_DEV_TO_APP, 0, 200,
                                     collect, &s), WARD_ERR_PARAM);
    assert_int_equal(st.dev_msg_take(st.h, NULL, NULL, WARDD_DEV_TO_APP, 0, 200, collect,
                                     &s), WARD_ERR_PARAM);
}

static void test_queue_bounded_and_expiring(void **state)
{
    (void)state;
    wardd_attach a;
    attach("DEV-1", "alice", "", 0x01, &a, 1);
    uint8_t msg[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    int64_t id = 0;
    for (int i = 0; i < WARDD_DEV_QUEUE_MAX; i++) {
        assert_int_equal(st.dev_msg_put(st.h, a.cloud_id, WARDD_DEV_TO_DEVICE, msg,
                                         sizeof msg, 100 + i, 1000, &id), WARD_OK);
    }
    assert_int_equal(st.dev_msg_put(st.h, a.cloud_id, WARDD_DEV_TO_DEVICE, msg, sizeof msg,
                                     200, 1000, &id), WARD_ERR_BUSY);
    /* The other way has its own room. */
    assert_int_equal(st.dev_msg_put(st.h, a.cloud_id, WARDD_DEV_TO_APP, msg, sizeof msg, 200,
                                     1000, &id), WARD_OK);
    /* One poll answers at most WARDD_DEV_TAKE_MAX. */
    seen s = { 0 };
    assert_int_equal(st.dev_msg_take(st.h, "DEV-1", NULL, WARDD_DEV_TO_DEVICE, 0, 500,
                                     collect, &s), WARD_OK);
    assert_int_equal(s.n, WARDD_DEV_TAKE_MAX);
    /* Past their expiry they are neither listed nor counted. */
    memset(&s, 0, sizeof s);
    assert_int_equal(st.dev_msg_take(st.h, "DEV-1", NULL, WARDD_DEV_TO_DEVICE, 0, 1000,
                                     collect, &s), WARD_OK);
    assert_int_equal(s.n, 0);
    assert_int_equal(st.dev_msg_put(st.h, a.cloud_id, WARDD_DEV_TO_DEVICE, msg, sizeof msg,
                                     1000, 2000, &id), WARD_OK);
    /* purge drops what expired, in every scope. */
    assert_int_equal(st.purge(st.h, 1500, 0), WARD_OK);
    assert_int_equal(sf_int("SELECT count(*) FROM dev_msgs"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_has_flow_d, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_is_idempotent_per_app, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_is_per_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queues_scoped_and_polled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_bounded_and_expiring, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
