/* wardd's SQLite store through its vtable: schema, persistence, atomic
 * confirm, replay nonces, rate-limit windows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ward_test.h"
#include "store.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ward-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/wardd.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void open_store(wardd_store *st)
{
    assert_int_equal(wardd_store_sqlite_open(path, st), WARD_OK);
}

/* Runs SQL on the file behind the store's back (a second connection). */
static void raw_exec(const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        fail_msg("%s: %s", sql, err ? err : "?");
    }
    sqlite3_close(db);
}

static long long raw_int(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void fill(uint8_t *p, size_t n, uint8_t v)
{
    memset(p, v, n);
    p[0] = 0x04;
}

/* A lock, a user and one sealed task for them. */
static void seed(wardd_store *st, wardd_task *t)
{
    uint8_t pub[WARD_P256_POINT_LEN];
    int created = 0;
    fill(pub, sizeof pub, 0x11);
    assert_int_equal(st->lock_put(st->h, "LOCK-1", pub, &created), WARD_OK);
    assert_int_equal(created, 1);
    fill(pub, sizeof pub, 0x22);
    assert_int_equal(st->user_put(st->h, "alice", "+8613800000000", pub, &created), WARD_OK);
    assert_int_equal(created, 1);
    memset(t, 0, sizeof *t);
    memset(t->tid, 0xA5, sizeof t->tid);
    strcpy(t->sn, "LOCK-1");
    strcpy(t->uid, "alice");
    strcpy(t->phone, "+8613800000000");
    memset(t->blob, 0x5A, 200);
    t->blob_len = 200;
    t->created_ms = 1000;
    t->expires_ms = 601000;
    t->state = WARDD_TASK_SEALED;
    assert_int_equal(st->task_put(st->h, t), WARD_OK);
}

static void confirm_rec(const wardd_task *t, const uint8_t *escrow,
                        wardd_confirm_rec *c)
{
    memset(c, 0, sizeof *c);
    memcpy(c->tid, t->tid, sizeof c->tid);
    c->sn = t->sn;
    c->uid = t->uid;
    c->role = WARD_ROLE_ADMIN;
    c->escrow = escrow;
    c->escrow_len = WARD_ESCROW_LEN;
    c->now_ms = 2000;
}

static int count_escrow(void *ctx, const wardd_escrow_rec *rec)
{
    int *n = ctx;
    assert_string_equal(rec->sn, "LOCK-1");
    assert_int_equal(rec->blob_len, WARD_ESCROW_LEN);
    (*n)++;
    return 0;
}

static void test_migrates_from_empty(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    st.close(st.h);
    assert_int_equal(raw_int("PRAGMA user_version"), WARDD_SCHEMA_VERSION);
    assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
                             " name IN ('locks','users','tasks','bindings','escrows',"
                             "'nonces','rate_events')"), 7);
    /* WAL, so readers never block the writer. */
    assert_int_equal(raw_int("SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    /* Reopening an up-to-date database applies nothing. */
    open_store(&st);
    st.close(st.h);
    assert_int_equal(raw_int("PRAGMA user_version"), WARDD_SCHEMA_VERSION);
}

static void test_refuses_newer_schema(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    st.close(st.h);
    raw_exec("PRAGMA user_version = 99");
    assert_int_equal(wardd_store_sqlite_open(path, &st), WARD_ERR_UNSUPPORTED);
}

static void test_reopen_keeps_data(void **state)
{
    (void)state;
    wardd_store st;
    wardd_task t, got;
    open_store(&st);
    seed(&st, &t);
    st.close(st.h);

    open_store(&st);
    uint8_t pub[WARD_P256_POINT_LEN], want[WARD_P256_POINT_LEN];
    assert_int_equal(st.lock_get(st.h, "LOCK-1", pub), WARD_OK);
    fill(want, sizeof want, 0x11);
    assert_memory_equal(pub, want, sizeof pub);
    char phone[WARD_PHONE_MAX + 1];
    assert_int_equal(st.user_get(st.h, "alice", phone, pub), WARD_OK);
    assert_string_equal(phone, "+8613800000000");
    assert_int_equal(st.task_get(st.h, t.tid, &got), WARD_OK);
    assert_string_equal(got.sn, "LOCK-1");
    assert_string_equal(got.uid, "alice");
    assert_int_equal(got.blob_len, 200);
    assert_memory_equal(got.blob, t.blob, 200);
    assert_int_equal(got.expires_ms, 601000);
    assert_int_equal(got.state, WARDD_TASK_SEALED);
    assert_int_equal(st.lock_get(st.h, "LOCK-2", pub), WARD_ERR_NOTFOUND);
    assert_int_equal(st.user_get(st.h, "bob", NULL, pub), WARD_ERR_NOTFOUND);
    st.close(st.h);
}

static void test_conflicts(void **state)
{
    (void)state;
    wardd_store st;
    wardd_task t;
    open_store(&st);
    seed(&st, &t);
    uint8_t pub[WARD_P256_POINT_LEN];
    int created = 1;
    fill(pub, sizeof pub, 0x11);
    assert_int_equal(st.lock_put(st.h, "LOCK-1", pub, &created), WARD_OK);
    assert_int_equal(created, 0);
    fill(pub, sizeof pub, 0x33);
    assert_int_equal(st.lock_put(st.h, "LOCK-1", pub, &created), WARD_ERR_STATE);
    fill(pub, sizeof pub, 0x22);
    assert_int_equal(st.user_put(st.h, "alice", "+8613899999999", pub, &created),
                     WARD_ERR_STATE);
    fill(pub, sizeof pub, 0x33);
    assert_int_equal(st.user_put(st.h, "alice", "+8613800000000", pub, &created),
                     WARD_ERR_STATE);
    /* A task id is used once; a task needs a known lock. */
    assert_int_equal(st.task_put(st.h, &t), WARD_ERR_STATE);
    t.tid[0] ^= 1;
    strcpy(t.sn, "LOCK-404");
    assert_int_equal(st.task_put(st.h, &t), WARD_ERR_NOTFOUND);
    st.close(st.h);
}

static void test_confirm_records_all(void **state)
{
    (void)state;
    wardd_store st;
    wardd_task t, got;
    uint8_t escrow[WARD_ESCROW_LEN];
    memset(escrow, 0xE5, sizeof escrow);
    open_store(&st);
    seed(&st, &t);
    wardd_confirm_rec c;
    confirm_rec(&t, escrow, &c);
    assert_int_equal(st.confirm(st.h, &c), WARD_OK);
    uint8_t role = 9;
    assert_int_equal(st.binding_get(st.h, "LOCK-1", "alice", &role), WARD_OK);
    assert_int_equal(role, WARD_ROLE_ADMIN);
    int n = 0;
    assert_int_equal(st.escrow_list(st.h, "alice", count_escrow, &n), WARD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(st.task_get(st.h, t.tid, &got), WARD_OK);
    assert_int_equal(got.state, WARDD_TASK_BOUND);
    assert_int_equal(got.role, WARD_ROLE_ADMIN);
    /* Again: already bound, nothing changes. */
    c.role = WARD_ROLE_MEMBER;
    assert_int_equal(st.confirm(st.h, &c), WARD_ERR_STATE);
    assert_int_equal(st.binding_get(st.h, "LOCK-1", "alice", &role), WARD_OK);
    assert_int_equal(role, WARD_ROLE_ADMIN);
    /* A bound task is not deleted. */
    assert_int_equal(st.task_delete(st.h, t.tid), WARD_OK);
    assert_int_equal(st.task_get(st.h, t.tid, &got), WARD_OK);
    c.tid[0] ^= 1;
    assert_int_equal(st.confirm(st.h, &c), WARD_ERR_NOTFOUND);
    st.close(st.h);
}

static void test_confirm_is_atomic(void **state)
{
    (void)state;
    wardd_store st;
    wardd_task t, got;
    uint8_t escrow[WARD_ESCROW_LEN];
    memset(escrow, 0xE5, sizeof escrow);
    open_store(&st);
    seed(&st, &t);
    /* Make the last step of the transaction (the task update) fail, after
     * the binding and escrow rows were written. */
    raw_exec("CREATE TRIGGER fail_update BEFORE UPDATE ON tasks"
             " BEGIN SELECT RAISE(ABORT, 'injected'); END;");
    wardd_confirm_rec c;
    confirm_rec(&t, escrow, &c);
    assert_int_not_equal(st.confirm(st.h, &c), WARD_OK);
    uint8_t role;
    assert_int_equal(st.binding_get(st.h, "LOCK-1", "alice", &role), WARD_ERR_NOTFOUND);
    int n = 0;
    assert_int_equal(st.escrow_list(st.h, "alice", count_escrow, &n), WARD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(raw_int("SELECT count(*) FROM escrows"), 0);
    assert_int_equal(st.task_get(st.h, t.tid, &got), WARD_OK);
    assert_int_equal(got.state, WARDD_TASK_SEALED);
    /* With the fault gone the same confirmation goes through whole. */
    raw_exec("DROP TRIGGER fail_update");
    assert_int_equal(st.confirm(st.h, &c), WARD_OK);
    assert_int_equal(st.binding_get(st.h, "LOCK-1", "alice", &role), WARD_OK);
    st.close(st.h);
}

static void test_nonce_replay_and_purge(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    const char *nonce = "00112233445566778899aabbccddeeff";
    assert_int_equal(st.nonce_use(st.h, "user:alice", nonce, 10000), WARD_OK);
    assert_int_equal(st.nonce_use(st.h, "user:alice", nonce, 10000), WARD_ERR_AUTH);
    /* Per keyid: another signer may draw the same nonce. */
    assert_int_equal(st.nonce_use(st.h, "lock:LOCK-1", nonce, 10000), WARD_OK);
    st.close(st.h);
    /* A restart does not forget it. */
    open_store(&st);
    assert_int_equal(st.nonce_use(st.h, "user:alice", nonce, 10000), WARD_ERR_AUTH);
    /* Purging before expiry keeps it; after expiry drops it. */
    assert_int_equal(st.purge(st.h, 9999, 1000), WARD_OK);
    assert_int_equal(st.nonce_use(st.h, "user:alice", nonce, 20000), WARD_ERR_AUTH);
    assert_int_equal(st.purge(st.h, 10000, 1000), WARD_OK);
    assert_int_equal(raw_int("SELECT count(*) FROM nonces"), 0);
    assert_int_equal(st.nonce_use(st.h, "user:alice", nonce, 20000), WARD_OK);
    st.close(st.h);
}

static void test_rate_windows(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    const int64_t window = 600000;
    wardd_rate_key k[2] = { { "phone:1", 3 }, { "addr:a", 10 } };
    int64_t retry = -1;
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(st.rate_take(st.h, k, 2, i * 1000, window, &retry), WARD_OK);
    }
    assert_int_equal(st.rate_take(st.h, k, 2, 4000, window, &retry), WARD_ERR_BUSY);
    /* Room comes back when the oldest of the three leaves the window. */
    assert_int_equal(retry, 1000 + window - 4000);
    assert_int_equal(st.rate_take(st.h, k, 2, 1000 + window - 1, window, &retry),
                     WARD_ERR_BUSY);
    assert_int_equal(st.rate_take(st.h, k, 2, 1000 + window, window, &retry), WARD_OK);
    /* A refused take charges no key: the address saw 4 events, not 6. */
    assert_int_equal(raw_int("SELECT count(*) FROM rate_events WHERE key = 'addr:a'"), 4);

    /* Either key over its limit refuses both. */
    wardd_rate_key k2[2] = { { "phone:2", 10 }, { "addr:b", 1 } };
    assert_int_equal(st.rate_take(st.h, k2, 2, 5000, window, &retry), WARD_OK);
    wardd_rate_key k3[2] = { { "phone:3", 10 }, { "addr:b", 1 } };
    assert_int_equal(st.rate_take(st.h, k3, 2, 6000, window, &retry), WARD_ERR_BUSY);
    assert_int_equal(retry, 5000 + window - 6000);
    assert_int_equal(raw_int("SELECT count(*) FROM rate_events WHERE key = 'phone:3'"), 0);
    wardd_rate_key zero[1] = { { "phone:4", 0 } };
    assert_int_equal(st.rate_take(st.h, zero, 1, 6000, window, &retry), WARD_ERR_BUSY);

    /* Purge drops events older than the window kept. */
    assert_int_equal(st.purge(st.h, 2 * window, window), WARD_OK);
    assert_int_equal(raw_int("SELECT count(*) FROM rate_events"), 2);   /* both at 601000 */
    st.close(st.h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrates_from_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confirm_records_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confirm_is_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonce_replay_and_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_windows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
