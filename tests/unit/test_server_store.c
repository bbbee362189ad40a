/* wardd's SQLite store through its vtable: schema, persistence, atomic
 * confirm, replay nonces, rate-limit windows, phone codes; flow B's ops (audience,
 * first answer wins), revocation, lock inbox, clients and audit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ward_test.h"
#include "store.h"
#include "store_fixture.h"

static int setup(void **state)
{
    (void)state;
    sf_make_dir("store");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sf_remove_dir();
    return 0;
}

static void open_store(wardd_store *st)
{
    assert_int_equal(wardd_store_sqlite_open(sf_path, st), WARD_OK);
}

/* Whether SQLite's plan for sql reads through the named index. */
static bool plan_uses(const char *sql, const char *index)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char q[512];
    snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", sql);
    assert_int_equal(sqlite3_open(sf_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    bool found = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 3);
        found |= d != NULL && strstr(d, index) != NULL;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return found;
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
    assert_int_equal(sf_int("PRAGMA user_version"), WARDD_SCHEMA_VERSION);
    assert_int_equal(sf_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
                             " name IN ('locks','users','tasks','bindings','escrows',"
                             "'nonces','rate_events','ops','op_audience','inbox',"
                             "'audit')"), 11);
    /* WAL, so readers never block the writer. */
    assert_int_equal(sf_int("SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    /* Reopening an up-to-date database applies nothing. */
    open_store(&st);
    st.close(st.h);
    assert_int_equal(sf_int("PRAGMA user_version"), WARDD_SCHEMA_VERSION);
}

static void test_refuses_newer_schema(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    st.close(st.h);
    sf_exec("PRAGMA user_version = 99");
    assert_int_equal(wardd_store_sqlite_open(sf_path, &st), WARD_ERR_UNSUPPORTED);
}

/* A version-4 database (flow B's first schema, the tables the later
 * migrations touch) with an answered op: its answer becomes answer 1 of
 * op_answers, and the op's own copy is emptied. */
static void test_migrates_an_answered_op(void **state)
{
    (void)state;
    sf_exec("CREATE TABLE locks (sn TEXT PRIMARY KEY, pub BLOB NOT NULL);"
            "CREATE TABLE users (uid TEXT PRIMARY KEY, phone TEXT NOT NULL, pub BLOB NOT NULL);"
            "CREATE TABLE ops (op_id BLOB PRIMARY KEY, sn TEXT NOT NULL REFERENCES locks(sn),"
            " target TEXT NOT NULL DEFAULT '', op INTEGER NOT NULL, token_hash BLOB NOT NULL,"
            " request BLOB NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
            " state INTEGER NOT NULL DEFAULT 0, answered_by TEXT, approval BLOB,"
            " answer_sig_input TEXT, answer_sig TEXT, answered_ms INTEGER,"
            " delivered_ms INTEGER, result BLOB, result_ms INTEGER) WITHOUT ROWID;"
            "CREATE TABLE inbox (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " sn TEXT NOT NULL REFERENCES locks(sn), msg BLOB NOT NULL,"
            " created_ms INTEGER NOT NULL);"
            "INSERT INTO locks VALUES ('LOCK-1', x'04');"
            "INSERT INTO ops (op_id, sn, op, token_hash, request, created_ms, expires_ms, state,"
            " answered_by, approval, answer_sig_input, answer_sig, answered_ms)"
            " VALUES (x'01', 'LOCK-1', 1, x'02', x'03', 1000, 61000, 1, 'alice', x'AA',"
            " 'ward=(...)', 'ward=:AAAA:', 2000);"
            "PRAGMA user_version = 4;");
    wardd_store st;
    open_store(&st);
    st.close(st.h);
    assert_int_equal(sf_int("PRAGMA user_version"), WARDD_SCHEMA_VERSION);
    assert_int_equal(sf_int("SELECT count(*) FROM op_answers WHERE n = 1 AND uid = 'alice'"
                             " AND approval = x'AA' AND sig = 'ward=:AAAA:'"
                             " AND answered_ms = 2000"), 1);
    assert_int_equal(sf_int("SELECT answers FROM ops"), 1);
    assert_int_equal(sf_int("SELECT count(*) FROM ops WHERE approval IS NULL"
                             " AND answer_sig_input IS NULL AND answer_sig IS NULL"
                             " AND answered_by IS NULL"), 1);
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
    sf_exec("CREATE TRIGGER fail_update BEFORE UPDATE ON tasks"
             " BEGIN SELECT RAISE(ABORT, 'injected'); END;");
    wardd_confirm_rec c;
    confirm_rec(&t, escrow, &c);
    assert_int_not_equal(st.confirm(st.h, &c), WARD_OK);
    uint8_t role;
    assert_int_equal(st.binding_get(st.h, "LOCK-1", "alice", &role), WARD_ERR_NOTFOUND);
    int n = 0;
    assert_int_equal(st.escrow_list(st.h, "alice", count_escrow, &n), WARD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sf_int("SELECT count(*) FROM escrows"), 0);
    assert_int_equal(st.task_get(st.h, t.tid, &got), WARD_OK);
    assert_int_equal(got.state, WARDD_TASK_SEALED);
    /* With the fault gone the same confirmation goes through whole. */
    sf_exec("DROP TRIGGER fail_update");
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
    assert_int_equal(sf_int("SELECT count(*) FROM nonces"), 0);
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
    assert_int_equal(sf_int("SELECT count(*) FROM rate_events WHERE key = 'addr:a'"), 4);

    /* Either key over its limit refuses both. */
    wardd_rate_key k2[2] = { { "phone:2", 10 }, { "addr:b", 1 } };
    assert_int_equal(st.rate_take(st.h, k2, 2, 5000, window, &retry), WARD_OK);
    wardd_rate_key k3[2] = { { "phone:3", 10 }, { "addr:b", 1 } };
    assert_int_equal(st.rate_take(st.h, k3, 2, 6000, window, &retry), WARD_ERR_BUSY);
    assert_int_equal(retry, 5000 + window - 6000);
    assert_int_equal(sf_int("SELECT count(*) FROM rate_events WHERE key = 'phone:3'"), 0);
    wardd_rate_key zero[1] = { { "phone:4", 0 } };
    assert_int_equal(st.rate_take(st.h, zero, 1, 6000, window, &retry), WARD_ERR_BUSY);

    /* Purge drops events older than the window kept. */
    assert_int_equal(st.purge(st.h, 2 * window, window), WARD_OK);
    assert_int_equal(sf_int("SELECT count(*) FROM rate_events"), 2);   /* both at 601000 */
    st.close(st.h);
}

/* Phone codes: attempts counted across codes, lock-outs doubling, one
 * verified account per phone, a refused check committed all the same. */
static void test_phone_codes(void **state)
{
    (void)state;
    wardd_store st;
    wardd_task t;
    wardd_code_res res;
    uint8_t right[WARD_SHA256_LEN], wrong[WARD_SHA256_LEN], pub[WARD_P256_POINT_LEN];
    int64_t retry = 0;
    bool verified = true;
    int created = 0;
    memset(right, 0x31, sizeof right);
    memset(wrong, 0x32, sizeof wrong);
    open_store(&st);
    seed(&st, &t);
    assert_int_equal(st.user_verified(st.h, "nobody", &verified), WARD_ERR_NOTFOUND);
    assert_int_equal(st.user_verified(st.h, "alice", &verified), WARD_OK);
    assert_false(verified);
    assert_int_equal(st.code_check(st.h, "alice", right, 1000, NULL, 0, &res), WARD_ERR_EXPIRED);
    assert_int_equal(st.code_put(st.h, "nobody", right, 1000, 601000, &retry),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(st.code_put(st.h, "alice", right, 1000, 601000, &retry), WARD_OK);
    for (unsigned left = 4; left >= 2; left--) {
        assert_int_equal(st.code_check(st.h, "alice", wrong, 2000, NULL, 0, &res), WARD_ERR_AUTH);
        assert_int_equal(res.tries_left, left);
    }
    /* A new code keeps the count: one more wrong one, then the lock-out. */
    assert_int_equal(st.code_put(st.h, "alice", right, 3000, 603000, &retry), WARD_OK);
    assert_int_equal(st.code_check(st.h, "alice", wrong, 3000, NULL, 0, &res), WARD_ERR_AUTH);
    assert_int_equal(res.tries_left, 1);
    assert_int_equal(st.code_check(st.h, "alice", wrong, 4000, NULL, 0, &res), WARD_ERR_LOCKED);
    assert_int_equal(res.retry_ms, WARDD_CODE_LOCK_MS);
    /* Locked: nothing checked (not even the right code), nothing stored. */
    assert_int_equal(st.code_check(st.h, "alice", right, 5000, NULL, 0, &res), WARD_ERR_BUSY);
    assert_int_equal(res.retry_ms, WARDD_CODE_LOCK_MS - 1000);
    assert_int_equal(st.code_put(st.h, "alice", right, 5000, 605000, &retry), WARD_ERR_BUSY);
    assert_int_equal(retry, WARDD_CODE_LOCK_MS - 1000);
    /* The locked-out code is gone; a new one after the lock-out. */
    int64_t t1 = 4000 + WARDD_CODE_LOCK_MS;
    assert_int_equal(st.code_check(st.h, "alice", right, t1, NULL, 0, &res), WARD_ERR_EXPIRED);
    assert_int_equal(st.code_put(st.h, "alice", right, t1, t1 + 600000, &retry), WARD_OK);
    for (int i = 0; i < WARDD_CODE_TRIES - 1; i++) {
        assert_int_equal(st.code_check(st.h, "alice", wrong, t1, NULL, 0, &res), WARD_ERR_AUTH);
    }
    assert_int_equal(st.code_check(st.h, "alice", wrong, t1, NULL, 0, &res), WARD_ERR_LOCKED);
    assert_int_equal(res.retry_ms, 2 * WARDD_CODE_LOCK_MS);      /* doubled */
    int64_t t2 = t1 + 2 * WARDD_CODE_LOCK_MS;
    assert_int_equal(st.code_put(st.h, "alice", right, t2, t2 + 10, &retry), WARD_OK);
    assert_int_equal(st.code_check(st.h, "alice", right, t2 + 10, NULL, 0, &res), WARD_ERR_EXPIRED);
    assert_int_equal(st.code_put(st.h, "alice", right, t2, t2 + 600000, &retry), WARD_OK);
    assert_int_equal(st.code_check(st.h, "alice", right, t2, NULL, 0, &res), WARD_OK);
    assert_int_equal(res.took_over, 0);
    assert_int_equal(st.user_verified(st.h, "alice", &verified), WARD_OK);
    assert_true(verified);
    assert_int_equal(sf_int("SELECT count(*) FROM phone_codes"), 0);

    /* bob proves the same number: it is his now, not alice's. */
    fill(pub, sizeof pub, 0x33);
    assert_int_equal(st.user_put(st.h, "bob", "+8613800000000", pub, &created), WARD_OK);
    assert_int_equal(st.code_put(st.h, "bob", wrong, t2, t2 + 600000, &retry), WARD_OK);
    assert_int_equal(st.code_check(st.h, "bob", wrong, t2, NULL, 0, &res), WARD_OK);
    assert_int_equal(res.took_over, 1);
    assert_int_equal(st.user_verified(st.h, "alice", &verified), WARD_OK);
    assert_false(verified);
    assert_int_equal(sf_int("SELECT count(*) FROM users WHERE verified_ms IS NOT NULL"), 1);
    st.close(st.h);
    /* The database holds the MACs it was given, never a code. */
    assert_int_equal(sf_int("SELECT count(*) FROM pragma_table_info('phone_codes')"
                             " WHERE name = 'code'"), 0);
}

/* A code that never reached the phone is dropped (a NULL MAC): no live
 * code is left, the attempts made stay. */
static void test_code_drop(void **state)
{
    (void)state;
    wardd_store st;
    wardd_task t;
    wardd_code_res res;
    uint8_t right[WARD_SHA256_LEN], wrong[WARD_SHA256_LEN];
    int64_t retry = 0;
    memset(right, 0x31, sizeof right);
    memset(wrong, 0x32, sizeof wrong);
    open_store(&st);
    seed(&st, &t);
    assert_int_equal(st.code_put(st.h, "alice", right, 1000, 601000, &retry), WARD_OK);
    assert_int_equal(st.code_check(st.h, "alice", wrong, 2000, NULL, 0, &res), WARD_ERR_AUTH);
    assert_int_equal(st.code_put(st.h, "alice", NULL, 3000, 3000, &retry), WARD_OK);
    assert_int_equal(st.code_check(st.h, "alice", right, 4000, NULL, 0, &res), WARD_ERR_EXPIRED);
    assert_int_equal(sf_int("SELECT count(*) FROM phone_codes WHERE mac IS NULL"
                             " AND attempts = 1"), 1);
    st.close(st.h);
}

/* The number's budget of checks is charged in code_check's transaction,
 * only for a check against a live code: a locked-out or code-less check
 * costs nothing; a spent budget refuses before anything is compared. */
static void test_code_check_budget(void **state)
{
    (void)state;
    wardd_store st;
    wardd_task t;
    wardd_code_res res;
    uint8_t right[WARD_SHA256_LEN], wrong[WARD_SHA256_LEN];
    int64_t retry = 0, day = 24 * 3600 * 1000LL;
    memset(right, 0x31, sizeof right);
    memset(wrong, 0x32, sizeof wrong);
    open_store(&st);
    seed(&st, &t);
    wardd_rate_key budget = { "code-check-phone:+8613800000000", 6 };
    const char *charged = "SELECT count(*) FROM rate_events"
                          " WHERE key = 'code-check-phone:+8613800000000'";
    assert_int_equal(st.code_check(st.h, "alice", wrong, 1000, &budget, day, &res),
                     WARD_ERR_EXPIRED);
    assert_int_equal(sf_int(charged), 0);
    assert_int_equal(st.code_put(st.h, "alice", right, 1000, 601000, &retry), WARD_OK);
    for (int i = 0; i < WARDD_CODE_TRIES - 1; i++) {
        assert_int_equal(st.code_check(st.h, "alice", wrong, 2000, &budget, day, &res),
                         WARD_ERR_AUTH);
    }
    assert_int_equal(st.code_check(st.h, "alice", wrong, 2000, &budget, day, &res),
                     WARD_ERR_LOCKED);
    assert_int_equal(sf_int(charged), 5);
    assert_int_equal(st.code_check(st.h, "alice", right, 3000, &budget, day, &res),
                     WARD_ERR_BUSY);
    assert_false(res.budget_spent);
    int64_t t1 = 2000 + WARDD_CODE_LOCK_MS;
    assert_int_equal(st.code_check(st.h, "alice", right, t1, &budget, day, &res),
                     WARD_ERR_EXPIRED);
    assert_int_equal(sf_int(charged), 5);
    assert_int_equal(st.code_put(st.h, "alice", right, t1, t1 + 600000, &retry), WARD_OK);
    assert_int_equal(st.code_check(st.h, "alice", wrong, t1, &budget, day, &res),
                     WARD_ERR_AUTH);
    assert_int_equal(sf_int(charged), 6);
    /* Spent: even the right code is not compared, and no attempt counts. */
    assert_int_equal(st.code_check(st.h, "alice", right, t1 + 1, &budget, day, &res),
                     WARD_ERR_BUSY);
    assert_true(res.budget_spent);
    assert_int_equal(res.retry_ms, 2000 + day - (t1 + 1));
    assert_int_equal(sf_int("SELECT attempts FROM phone_codes"), 1);
    assert_int_equal(sf_int(charged), 6);
    bool verified = true;
    assert_int_equal(st.user_verified(st.h, "alice", &verified), WARD_OK);
    assert_false(verified);
    st.close(st.h);
}

/* Lock-outs decay: a day after both the last code's expiry and the last
 * lock-out's end, the row is forgotten (attempts and lock-outs start
 * over), so no one stays locked for a day at every slip for good; purge
 * drops such rows. */
static void test_lockouts_decay(void **state)
{
    (void)state;
    wardd_store st;
    wardd_task t;
    wardd_code_res res;
    uint8_t right[WARD_SHA256_LEN], wrong[WARD_SHA256_LEN];
    int64_t retry = 0, now = 1000;
    memset(right, 0x31, sizeof right);
    memset(wrong, 0x32, sizeof wrong);
    open_store(&st);
    seed(&st, &t);
    /* Three lock-outs in a row: 5, 10, 20 minutes. */
    for (int run = 0; run < 3; run++) {
        assert_int_equal(st.code_put(st.h, "alice", right, now, now + 600000, &retry), WARD_OK);
        for (int i = 0; i < WARDD_CODE_TRIES - 1; i++) {
            assert_int_equal(st.code_check(st.h, "alice", wrong, now, NULL, 0, &res),
                             WARD_ERR_AUTH);
        }
        assert_int_equal(st.code_check(st.h, "alice", wrong, now, NULL, 0, &res),
                         WARD_ERR_LOCKED);
        assert_int_equal(res.retry_ms, WARDD_CODE_LOCK_MS << run);
        now += res.retry_ms;
    }
    /* A day later (the lock-out over, the code long expired): a fresh start. */
    now += WARDD_CODE_FORGET_MS;
    assert_int_equal(st.code_put(st.h, "alice", right, now, now + 600000, &retry), WARD_OK);
    for (int i = 0; i < WARDD_CODE_TRIES - 1; i++) {
        assert_int_equal(st.code_check(st.h, "alice", wrong, now, NULL, 0, &res),
                         WARD_ERR_AUTH);
    }
    assert_int_equal(st.code_check(st.h, "alice", wrong, now, NULL, 0, &res), WARD_ERR_LOCKED);
    assert_int_equal(res.retry_ms, WARDD_CODE_LOCK_MS);
    /* Purge keeps the row until it has nothing left, then drops it. */
    int64_t ends = now + 600000;     /* the code's expiry, after the lock-out's end */
    assert_int_equal(st.purge(st.h, ends + WARDD_CODE_FORGET_MS - 1, WARDD_CODE_FORGET_MS),
                     WARD_OK);
    assert_int_equal(sf_int("SELECT count(*) FROM phone_codes"), 1);
    assert_int_equal(st.purge(st.h, ends + WARDD_CODE_FORGET_MS, WARDD_CODE_FORGET_MS), WARD_OK);
    assert_int_equal(sf_int("SELECT count(*) FROM phone_codes"), 0);
    st.close(st.h);
}

/* An unknown SN's upload: the key filled to its limit, then refused. */
static void test_rate_fill(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    const int64_t window = 600000;
    wardd_rate_key k = { "sms-phone:1", 3 };
    int64_t retry = 0;
    assert_int_equal(st.rate_take(st.h, &k, 1, 1000, window, &retry), WARD_OK);
    int64_t filled = 0;
    assert_int_equal(st.rate_fill(st.h, &k, 5000, window, &filled), WARD_OK);
    assert_int_equal(sf_int("SELECT count(*) FROM rate_events WHERE key = 'sms-phone:1'"), 3);
    assert_int_equal(st.rate_take(st.h, &k, 1, 6000, window, &retry), WARD_ERR_BUSY);
    assert_int_equal(retry, 1000 + window - 6000);    /* as a real sender's */
    assert_int_equal(filled, 1000 + window - 5000);   /* the fill says the same */
    assert_int_equal(st.rate_fill(st.h, &k, 7000, window, &filled), WARD_OK);   /* full: nothing */
    assert_int_equal(sf_int("SELECT count(*) FROM rate_events WHERE key = 'sms-phone:1'"), 3);
    assert_int_equal(filled, 1000 + window - 7000);
    wardd_rate_key zero = { "sms-phone:2", 0 };
    assert_int_equal(st.rate_fill(st.h, &zero, 7000, window, &filled), WARD_OK);
    assert_int_equal(filled, window);
    st.close(st.h);
}

/* ---- flow B ---- */

/* Binds uid to LOCK-1 with role through a task of its own (tid byte t). */
/* Keys are kept once read: answers stay what the file holds, a refused
 * replacement changes nothing, an unknown key is not remembered as
 * missing, and more keys than the table holds are all still found. */
static void test_keys_kept(void **state)
{
    (void)state;
    wardd_store st;
    wardd_task t;
    open_store(&st);
    seed(&st, &t);
    uint8_t pub[WARD_P256_POINT_LEN], want[WARD_P256_POINT_LEN];
    char phone[WARD_PHONE_MAX + 1];
    int created = 0;
    fill(want, sizeof want, 0x11);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(st.lock_get(st.h, "LOCK-1", pub), WARD_OK);
        assert_memory_equal(pub, want, sizeof pub);
    }
    fill(pub, sizeof pub, 0x33);
    assert_int_equal(st.lock_put(st.h, "LOCK-1", pub, &created), WARD_ERR_STATE);
    assert_int_equal(st.lock_get(st.h, "LOCK-1", pub), WARD_OK);
    assert_memory_equal(pub, want, sizeof pub);

    fill(want, sizeof want, 0x22);
    assert_int_equal(st.user_get(st.h, "alice", NULL, pub), WARD_OK);
    assert_memory_equal(pub, want, sizeof pub);
    assert_int_equal(st.user_get(st.h, "alice", phone, NULL), WARD_OK);
    assert_string_equal(phone, "+8613800000000");
    memset(pub, 0, sizeof pub);
    assert_int_equal(st.user_get(st.h, "alice", phone, pub), WARD_OK);
    assert_memory_equal(pub, want, sizeof pub);
    /* A user and a lock of the same name are different keys. */
    assert_int_equal(st.lock_get(st.h, "alice", pub), WARD_ERR_NOTFOUND);

    assert_int_equal(st.lock_get(st.h, "LOCK-2", pub), WARD_ERR_NOTFOUND);
    fill(want, sizeof want, 0x44);
    assert_int_equal(st.lock_put(st.h, "LOCK-2", want, &created), WARD_OK);
    assert_int_equal(st.lock_get(st.h, "LOCK-2", pub), WARD_OK);
    assert_memory_equal(pub, want, sizeof pub);

    char sn[16];
    for (unsigned i = 0; i < 3000; i++) {
        snprintf(sn, sizeof sn, "L-%u", i);
        fill(want, sizeof want, (uint8_t)(i * 7));
        want[1] = (uint8_t)(i >> 8);
        assert_int_equal(st.lock_put(st.h, sn, want, &created), WARD_OK);
        assert_int_equal(st.lock_get(st.h, sn, pub), WARD_OK);
    }
    for (unsigned i = 0; i < 3000; i++) {
        snprintf(sn, sizeof sn, "L-%u", i);
        fill(want, sizeof want, (uint8_t)(i * 7));
        want[1] = (uint8_t)(i >> 8);
        assert_int_equal(st.lock_get(st.h, sn, pub), WARD_OK);
        assert_memory_equal(pub, want, sizeof pub);
    }
    st.close(st.h);
}

static void bind_user(wardd_store *st, const char *uid, uint8_t role, uint8_t t)
{
    uint8_t pub[WARD_P256_POINT_LEN], escrow[WARD_ESCROW_LEN];
    int created = 0;
    fill(pub, sizeof pub, t);
    assert_int_equal(st->user_put(st->h, uid, "+8613800000000", pub, &created), WARD_OK);
    wardd_task tk;
    memset(&tk, 0, sizeof tk);
    memset(tk.tid, t, sizeof tk.tid);
    strcpy(tk.sn, "LOCK-1");
    strcpy(tk.uid, uid);
    strcpy(tk.phone, "+8613800000000");
    tk.blob_len = 10;
    tk.created_ms = 1000;
    tk.expires_ms = 601000;
    assert_int_equal(st->task_put(st->h, &tk), WARD_OK);
    memset(escrow, t, sizeof escrow);
    wardd_confirm_rec c;
    confirm_rec(&tk, escrow, &c);
    c.role = role;
    assert_int_equal(st->confirm(st->h, &c), WARD_OK);
}

/* LOCK-1 with alice (owner), bob (admin), carol (member). */
static void seed_b(wardd_store *st)
{
    wardd_task t;
    uint8_t escrow[WARD_ESCROW_LEN];
    memset(escrow, 0xE5, sizeof escrow);
    seed(st, &t);
    wardd_confirm_rec c;
    confirm_rec(&t, escrow, &c);
    c.role = WARD_ROLE_OWNER;
    assert_int_equal(st->confirm(st->h, &c), WARD_OK);
    bind_user(st, "bob", WARD_ROLE_ADMIN, 0xB0);
    bind_user(st, "carol", WARD_ROLE_MEMBER, 0xC0);
}

static void make_op(wardd_op *op, uint8_t id, const char *target)
{
    memset(op, 0, sizeof *op);
    memset(op->op_id, id, sizeof op->op_id);
    strcpy(op->sn, "LOCK-1");
    strcpy(op->target, target);
    op->op = WARD_OP_UNLOCK;
    memset(op->token_hash, 0x7C, sizeof op->token_hash);
    memset(op->request, 0x20, 40);
    op->request_len = 40;
    op->created_ms = 10000;
    op->expires_ms = 70000;
}

static int count_op(void *ctx, const wardd_op *op)
{
    int *n = ctx;
    assert_string_equal(op->sn, "LOCK-1");
    assert_int_equal(op->request_len, 40);
    (*n)++;
    return 0;
}

static int pending_n(wardd_store *st, const char *uid, int64_t now)
{
    int n = 0;
    assert_int_equal(st->ops_pending(st->h, uid, now, count_op, &n), WARD_OK);
    return n;
}

static void answer_rec(wardd_answer_rec *a, const uint8_t id, const char *uid,
                       const uint8_t *approval, int64_t now)
{
    memset(a, 0, sizeof *a);
    memset(a->op_id, id, sizeof a->op_id);
    a->uid = uid;
    a->approval = approval;
    a->approval_len = 30;
    a->sig_input = "ward=(...)";
    a->sig = "ward=:AAAA:";
    a->now_ms = now;
}

/* answer_rec with the request's nonce to spend in the same transaction. */
static void answer_rec_nonce(wardd_answer_rec *a, const uint8_t id, const char *uid,
                             const uint8_t *approval, int64_t now, const char *keyid,
                             const char *nonce)
{
    answer_rec(a, id, uid, approval, now);
    a->keyid = keyid;
    a->nonce = nonce;
    a->nonce_expires_ms = 900000;
}

/* The lock's fetch: the answers after `after`; *n how many, *last the
 * number of the last one and its approval's first byte in *first. */
typedef struct fetched {
    int n;
    int last;
    char uid[WARD_UID_MAX + 1];
    uint8_t first;
} fetched;

static int on_answer(void *ctx, const wardd_op_answer *a)
{
    fetched *f = ctx;
    assert_true(a->n > f->last);
    assert_int_equal(a->approval_len, 30);
    if (f->n == 0) {
        f->first = a->approval[0];
        strcpy(f->uid, a->uid);
    }
    f->last = a->n;
    f->n++;
    return 0;
}

static fetched fetch(wardd_store *st, const uint8_t op_id[WARDD_OP_ID_LEN], int after,
                     int64_t now)
{
    fetched f;
    memset(&f, 0, sizeof f);
    f.last = after;
    wardd_answers_res ar;
    assert_int_equal(st->op_answers(st->h, op_id, after, now, false, on_answer, &f, &ar),
                     WARD_OK);
    return f;
}

static void result_msg(uint8_t *res, size_t len)
{
    memset(res, 0x22, len);
}

/* A store seeded for flow B with one op (id filled with byte id) made. */
static void open_with_op(wardd_store *st, wardd_op *op, uint8_t id)
{
    open_store(st);
    seed_b(st);
    size_t aud = 0;
    make_op(op, id, "");
    assert_int_equal(st->op_create(st->h, op, &aud), WARD_OK);
}

static void test_op_audience_and_every_answer(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    seed_b(&st);
    wardd_op op, got;
    size_t aud = 0;
    make_op(&op, 0x01, "");
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_OK);
    assert_int_equal(aud, 3);
    /* Every bound user sees it, nobody else. */
    assert_int_equal(pending_n(&st, "alice", 20000), 1);
    assert_int_equal(pending_n(&st, "bob", 20000), 1);
    assert_int_equal(pending_n(&st, "carol", 20000), 1);
    assert_int_equal(pending_n(&st, "mallory", 20000), 0);
    /* ...until it expires. */
    assert_int_equal(pending_n(&st, "alice", 70000), 0);
    /* An op id is used once. */
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_ERR_STATE);

    uint8_t appr_a[30], appr_b[30], appr_c[30], res_msg[20];
    memset(appr_a, 0xAA, sizeof appr_a);
    memset(appr_b, 0xBB, sizeof appr_b);
    memset(appr_c, 0xCC, sizeof appr_c);
    result_msg(res_msg, sizeof res_msg);
    wardd_answer_rec a;
    wardd_answer_res res;
    /* Each member's answer is kept, in order: none burns another's. */
    answer_rec(&a, 0x01, "bob", appr_b, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    assert_int_equal(res.n, 1);
    answer_rec(&a, 0x01, "alice", appr_a, 20001);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    assert_int_equal(res.n, 2);
    /* One each: bob again is refused, and nothing changes. */
    answer_rec(&a, 0x01, "bob", appr_a, 20002);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_CONFLICT);
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_OK);
    assert_int_equal(got.state, WARDD_OP_ANSWERED);
    assert_int_equal(got.answers, 2);
    assert_string_equal(got.answered_by, "");
    assert_memory_equal(got.token_hash, op.token_hash, sizeof op.token_hash);
    fetched f = fetch(&st, op.op_id, 0, 20003);
    assert_int_equal(f.n, 2);
    assert_string_equal(f.uid, "bob");
    assert_int_equal(f.first, 0xBB);
    f = fetch(&st, op.op_id, 1, 20003);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.uid, "alice");
    assert_int_equal(fetch(&st, op.op_id, 2, 20003).n, 0);
    /* Those who answered leave the pending list; carol still sees it. */
    assert_int_equal(pending_n(&st, "alice", 20000), 0);
    assert_int_equal(pending_n(&st, "bob", 20000), 0);
    assert_int_equal(pending_n(&st, "carol", 20000), 1);
    /* The lock took alice's (bob's did not verify): done, by alice. */
    assert_int_equal(st.op_result(st.h, op.op_id, "carol", res_msg, sizeof res_msg, 20004),
                     WARD_ERR_PARAM);
    assert_int_equal(st.op_result(st.h, op.op_id, "alice", res_msg, sizeof res_msg, 20004),
                     WARD_OK);
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_OK);
    assert_int_equal(got.state, WARDD_OP_DONE);
    assert_string_equal(got.answered_by, "alice");
    assert_int_equal(pending_n(&st, "carol", 20000), 0);
    /* Carol is late now, and hears whose the lock took. */
    answer_rec(&a, 0x01, "carol", appr_c, 20005);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_STATE);
    assert_string_equal(res.first, "alice");
    assert_int_equal(sf_int("SELECT count(*) FROM op_answers"), 2);
    assert_int_equal(sf_int("SELECT count(*) FROM op_answers WHERE sig = 'ward=:AAAA:'"), 2);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_late'"
                             " AND uid = 'carol'"), 1);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_answered'"), 2);

    /* Past its expiry nobody answers; unknown ops are not found. */
    make_op(&op, 0x02, "");
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_OK);
    answer_rec(&a, 0x02, "alice", appr_a, 70000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_EXPIRED);
    answer_rec(&a, 0x09, "alice", appr_a, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_NOTFOUND);
    st.close(st.h);
}

/* op_answer checks the request's nonce in its own transaction: a replay
 * changes nothing, the winner's replay is known by its stored signature,
 * and a late answer spends its nonce. */
/* Only a client bound to the op's lock may answer, checked in the
 * answer's own transaction: a refusal changes nothing, and leaves the
 * request's nonce to the caller. */
static void test_op_answer_needs_binding(void **state)
{
    (void)state;
    wardd_store st;
    wardd_op op, got;
    open_with_op(&st, &op, 0x0B);
    uint8_t pub[WARD_P256_POINT_LEN];
    memset(pub, 0xD0, sizeof pub);
    pub[0] = 0x04;
    int created = 0;
    assert_int_equal(st.user_put(st.h, "dave", "+15550000004", pub, &created), WARD_OK);
    uint8_t appr[30];
    memset(appr, 0xAD, sizeof appr);
    wardd_answer_rec a;
    wardd_answer_res res;
    answer_rec_nonce(&a, 0x0B, "dave", appr, 20000, "user:dave",
                     "0badc0de0badc0de0badc0de0badc0de");
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_PARAM);
    assert_false(res.not_target);
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_OK);
    assert_int_equal(got.state, WARDD_OP_PENDING);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event IN"
                             " ('op_answered', 'op_late')"), 0);
    assert_int_equal(sf_int("SELECT count(*) FROM nonces"), 0);
    answer_rec(&a, 0x0B, "bob", appr, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    /* Not bound is said before late. */
    answer_rec(&a, 0x0B, "dave", appr, 20001);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_PARAM);
    st.close(st.h);
}

static void test_op_answer_spends_nonce(void **state)
{
    (void)state;
    wardd_store st;
    wardd_op op, got;
    size_t aud = 0;
    open_with_op(&st, &op, 0x0A);
    uint8_t appr[30];
    memset(appr, 0xAB, sizeof appr);
    wardd_answer_rec a;
    wardd_answer_res res;
    /* A nonce already spent elsewhere: refused, the op stays pending. */
    assert_int_equal(st.nonce_use(st.h, "user:bob", "00112233445566778899aabbccddeeff", 900000),
                     WARD_OK);
    answer_rec_nonce(&a, 0x0A, "bob", appr, 20000, "user:bob",
                     "00112233445566778899aabbccddeeff");
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_AUTH);
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_OK);
    assert_int_equal(got.state, WARDD_OP_PENDING);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_answered'"), 0);
    /* A fresh one: answered. Its nonce is not written; the stored
     * Signature-Input names it, which refuses the replay (even signed
     * anew) with no op_late row. */
    a.nonce = "ffeeddccbbaa99887766554433221100";
    a.sig_input = "ward=(...);created=1;nonce=\"ffeeddccbbaa99887766554433221100\"";
    long long nonces = sf_int("SELECT count(*) FROM nonces");
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    assert_int_equal(sf_int("SELECT count(*) FROM nonces"), nonces);
    a.sig = "ward=:BBBB:";
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_AUTH);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_late'"), 0);
    /* The same signer answering again with another nonce: once each,
     * refused, its nonce left to the caller. */
    a.nonce = "ffeeddccbbaa99887766554433221101";
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_CONFLICT);
    assert_int_equal(st.nonce_use(st.h, "user:bob", a.nonce, 900000), WARD_OK);
    /* Once the lock took bob's, a late answer spends its nonce with its
     * op_late audit row. */
    uint8_t res_msg[20];
    result_msg(res_msg, sizeof res_msg);
    assert_int_equal(st.op_result(st.h, op.op_id, "bob", res_msg, sizeof res_msg, 20001),
                     WARD_OK);
    answer_rec_nonce(&a, 0x0A, "alice", appr, 20001, "user:alice",
                     "0123456789abcdef0123456789abcdef");
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_STATE);
    assert_string_equal(res.first, "bob");
    assert_int_equal(st.nonce_use(st.h, "user:alice", a.nonce, 900000), WARD_ERR_AUTH);
    /* An expired op rolls everything back, the nonce included. */
    make_op(&op, 0x0B, "");
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_OK);
    answer_rec_nonce(&a, 0x0B, "alice", appr, 70000, "user:alice",
                     "abababababababababababababababab");
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_EXPIRED);
    assert_int_equal(st.nonce_use(st.h, "user:alice", a.nonce, 900000), WARD_OK);
    st.close(st.h);
}

static void test_op_target_and_no_client(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    seed_b(&st);
    wardd_op op;
    size_t aud = 9;
    make_op(&op, 0x03, "carol");
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_OK);
    assert_int_equal(aud, 1);
    assert_int_equal(pending_n(&st, "carol", 20000), 1);
    assert_int_equal(pending_n(&st, "alice", 20000), 0);
    /* Only the target answers it: another bound user is refused, with
     * nothing written; the store names the op's lock either way. */
    uint8_t appr[30];
    memset(appr, 0xAC, sizeof appr);
    wardd_answer_rec a;
    wardd_answer_res res;
    answer_rec(&a, 0x03, "alice", appr, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_PARAM);
    assert_true(res.not_target);
    assert_string_equal(res.sn, "LOCK-1");
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event IN ('op_answered', 'op_late')"), 0);
    answer_rec(&a, 0x03, "carol", appr, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    assert_false(res.not_target);
    assert_string_equal(res.sn, "LOCK-1");
    /* A target that is not bound: nothing is stored. */
    make_op(&op, 0x04, "zed");
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_ERR_NOTFOUND);
    assert_int_equal(sf_int("SELECT count(*) FROM ops WHERE op_id = x'04040404040404040404040404040404'"), 0);
    /* A lock nobody is bound to. */
    uint8_t pub[WARD_P256_POINT_LEN];
    int created = 0;
    fill(pub, sizeof pub, 0x44);
    assert_int_equal(st.lock_put(st.h, "LOCK-2", pub, &created), WARD_OK);
    make_op(&op, 0x05, "");
    strcpy(op.sn, "LOCK-2");
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_ERR_STATE);
    assert_int_equal(sf_int("SELECT count(*) FROM ops"), 1);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_created'"), 1);
    st.close(st.h);
}

/* The audience decides who may answer: an add-client grant is offered to
 * the owner and admins only (the lock takes it from no one else), and a
 * client bound after an op was made was never offered that op. */
static void test_answer_needs_the_audience(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    seed_b(&st);
    wardd_op op;
    size_t aud = 0;
    uint8_t appr[30];
    memset(appr, 0xAD, sizeof appr);
    wardd_answer_rec a;
    wardd_answer_res res;

    make_op(&op, 0x50, "");
    op.op = WARD_OP_ADD_CLIENT;
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_OK);
    assert_int_equal(aud, 2);
    assert_int_equal(pending_n(&st, "carol", 20000), 0);
    assert_int_equal(pending_n(&st, "bob", 20000), 1);
    answer_rec(&a, 0x50, "carol", appr, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_PARAM);
    assert_false(res.not_target);
    answer_rec(&a, 0x50, "bob", appr, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    /* Naming a member as the grant's target offers it to nobody. */
    make_op(&op, 0x51, "carol");
    op.op = WARD_OP_ADD_CLIENT;
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_ERR_NOTFOUND);

    make_op(&op, 0x52, "");
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_OK);
    assert_int_equal(aud, 3);
    bind_user(&st, "dave", WARD_ROLE_MEMBER, 0xD0);
    answer_rec(&a, 0x52, "dave", appr, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_PARAM);
    answer_rec(&a, 0x52, "carol", appr, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    st.close(st.h);
}

/* An answer is committed when it comes: the lock never sees one a crash
 * of wardd could take back. The lock's fetch marks the delivery, which
 * waits for the next transaction but reads show at once. */
static void test_answers_committed_and_fetched(void **state)
{
    (void)state;
    wardd_store st;
    wardd_op op, got;
    open_with_op(&st, &op, 0x40);
    uint8_t appr[30];
    memset(appr, 0xAA, sizeof appr);
    wardd_answer_rec a;
    wardd_answer_res res;
    answer_rec(&a, 0x40, "bob", appr, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    assert_int_equal(sf_int("SELECT state FROM ops"), WARDD_OP_ANSWERED);
    assert_int_equal(sf_int("SELECT answers FROM ops"), 1);
    assert_int_equal(sf_int("SELECT answered_ms FROM ops"), 20000);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_answered'"), 1);
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_OK);
    assert_false(got.delivered);
    assert_int_equal(fetch(&st, op.op_id, 0, 20001).n, 1);
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_OK);
    assert_true(got.delivered);
    /* The next transaction of any entry writes the mark, before itself. */
    answer_rec(&a, 0x40, "carol", appr, 20002);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    assert_int_equal(sf_int("SELECT delivered_ms FROM ops"), 20001);
    assert_int_equal(sf_int("SELECT count(*) FROM audit a JOIN audit d"
                             " ON a.event = 'op_answered' AND d.event = 'op_delivered'"
                             " AND a.ts_ms = 20000 AND d.ts_ms = 20001 AND a.id < d.id"), 1);
    /* A second fetch is not a second delivery. */
    assert_int_equal(fetch(&st, op.op_id, 0, 20003).n, 2);
    st.close(st.h);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_delivered'"), 1);
}

/* A member who answered before hears so whatever the op's state: on an
 * open op the unique index tells, on a closed one its answer is looked
 * up; a replay of its request is a replay either way. */
static void test_answered_before_on_any_op(void **state)
{
    (void)state;
    wardd_store st;
    wardd_op op;
    open_with_op(&st, &op, 0x45);
    uint8_t appr[30];
    memset(appr, 0xAA, sizeof appr);
    wardd_answer_rec a;
    wardd_answer_res res;
    answer_rec_nonce(&a, 0x45, "bob", appr, 20000, "user:bob",
                     "45454545454545454545454545454545");
    a.sig_input = "ward=(...);created=1;nonce=\"45454545454545454545454545454545\"";
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    for (int64_t at = 20001; at <= 70000; at += 49999) {    /* open, then expired */
        a.now_ms = at;
        assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_AUTH);
        a.nonce = "46464646464646464646464646464646";
        assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_CONFLICT);
        a.nonce = "45454545454545454545454545454545";
    }
    assert_int_equal(st.op_withdraw(st.h, op.op_id, "LOCK-1", 20002), WARD_OK);
    a.now_ms = 20003;
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_AUTH);
    answer_rec(&a, 0x45, "alice", appr, 20003);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_EXPIRED);
    assert_int_equal(sf_int("SELECT count(*) FROM op_answers"), 1);
    st.close(st.h);
}

/* A fetch whose caller knows the op delivered queues no mark. */
static void test_delivered_fetch_marks_nothing(void **state)
{
    (void)state;
    wardd_store st;
    wardd_op op, got;
    open_with_op(&st, &op, 0x44);
    uint8_t appr[30];
    memset(appr, 0xAA, sizeof appr);
    wardd_answer_rec a;
    wardd_answer_res res;
    answer_rec(&a, 0x44, "bob", appr, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    fetched f;
    memset(&f, 0, sizeof f);
    wardd_answers_res ar;
    assert_int_equal(st.op_answers(st.h, op.op_id, 0, 20001, true, on_answer, &f, &ar),
                     WARD_OK);
    assert_int_equal(f.n, 1);
    assert_false(ar.delivery);
    assert_int_equal(ar.state, WARDD_OP_ANSWERED);
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_OK);
    assert_false(got.delivered);
    st.close(st.h);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_delivered'"), 0);
}

/* The lock gives its op up: nobody is offered it, answers are refused,
 * and a done op cannot be withdrawn. */
static void test_op_withdraw(void **state)
{
    (void)state;
    wardd_store st;
    wardd_op op, got;
    open_with_op(&st, &op, 0x41);
    uint8_t appr[30], res_msg[20];
    memset(appr, 0xAA, sizeof appr);
    result_msg(res_msg, sizeof res_msg);
    wardd_answer_rec a;
    wardd_answer_res res;
    assert_int_equal(pending_n(&st, "alice", 20000), 1);
    assert_int_equal(st.op_withdraw(st.h, op.op_id, "LOCK-2", 20000), WARD_ERR_PARAM);
    assert_int_equal(st.op_withdraw(st.h, op.op_id, "LOCK-1", 20000), WARD_OK);
    assert_int_equal(st.op_withdraw(st.h, op.op_id, "LOCK-1", 20001), WARD_OK);
    assert_int_equal(pending_n(&st, "alice", 20000), 0);
    answer_rec(&a, 0x41, "alice", appr, 20002);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_ERR_EXPIRED);
    assert_true(res.withdrawn);
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_OK);
    assert_int_equal(got.state, WARDD_OP_WITHDRAWN);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_withdrawn'"), 1);
    memset(op.op_id, 0x42, sizeof op.op_id);
    assert_int_equal(st.op_withdraw(st.h, op.op_id, "LOCK-1", 20000), WARD_ERR_NOTFOUND);
    /* Answered, then done: too late to withdraw. */
    size_t aud = 0;
    make_op(&op, 0x43, "");
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_OK);
    answer_rec(&a, 0x43, "alice", appr, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    assert_int_equal(st.op_result(st.h, op.op_id, "alice", res_msg, sizeof res_msg, 20001),
                     WARD_OK);
    assert_int_equal(st.op_withdraw(st.h, op.op_id, "LOCK-1", 20002), WARD_ERR_STATE);
    st.close(st.h);
}

static void test_op_deliver_and_result(void **state)
{
    (void)state;
    wardd_store st;
    wardd_op op, got;
    open_with_op(&st, &op, 0x06);
    uint8_t res[20];
    memset(res, 0x22, sizeof res);
    /* Nothing to deliver or report on before an answer. */
    assert_int_equal(fetch(&st, op.op_id, 0, 20000).n, 0);
    assert_int_equal(st.op_result(st.h, op.op_id, "alice", res, sizeof res, 20000),
                     WARD_ERR_STATE);
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_OK);
    assert_false(got.delivered);
    uint8_t appr[30];
    memset(appr, 0xAA, sizeof appr);
    wardd_answer_rec a;
    wardd_answer_res ar;
    answer_rec(&a, 0x06, "alice", appr, 20000);
    assert_int_equal(st.op_answer(st.h, &a, &ar), WARD_OK);
    assert_int_equal(fetch(&st, op.op_id, 0, 20001).n, 1);
    assert_int_equal(fetch(&st, op.op_id, 0, 20002).n, 1);
    /* The delivery waits for the next transaction, but reads see it. */
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_OK);
    assert_true(got.delivered);
    assert_int_equal(got.result_len, 0);
    assert_int_equal(st.op_result(st.h, op.op_id, "alice", res, sizeof res, 20003), WARD_OK);
    /* Written once, at the fetch's time, before the result's row. */
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_delivered'"
                             " AND ts_ms = 20001"), 1);
    assert_int_equal(sf_int("SELECT count(*) FROM audit d JOIN audit r"
                             " ON d.event = 'op_delivered' AND r.event = 'op_result'"
                             " AND d.id < r.id"), 1);
    assert_int_equal(sf_int("SELECT delivered_ms FROM ops"), 20001);
    assert_int_equal(st.op_result(st.h, op.op_id, "alice", res, sizeof res, 20004),
                     WARD_ERR_STATE);
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_OK);
    assert_int_equal(got.state, WARDD_OP_DONE);
    assert_int_equal(got.result_len, sizeof res);
    assert_memory_equal(got.result, res, sizeof res);
    /* Purged a day after expiry, with its audience. */
    assert_int_equal(st.purge(st.h, op.expires_ms + 1000, 1000), WARD_OK);
    assert_int_equal(st.op_get(st.h, op.op_id, &got), WARD_ERR_NOTFOUND);
    assert_int_equal(sf_int("SELECT count(*) FROM op_audience"), 0);
    assert_int_equal(sf_int("SELECT count(*) FROM op_answers"), 0);
    st.close(st.h);
}

/* With nothing else committing, a delivery is written within about a
 * second, and closing the store writes what still waits. */
static void test_op_deliver_written_when_idle(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    seed_b(&st);
    wardd_op op;
    size_t aud = 0;
    uint8_t appr[30];
    memset(appr, 0xAA, sizeof appr);
    wardd_answer_rec a;
    wardd_answer_res res;
    for (uint8_t id = 0x30; id <= 0x31; id++) {
        make_op(&op, id, "");
        assert_int_equal(st.op_create(st.h, &op, &aud), WARD_OK);
        answer_rec(&a, id, "alice", appr, 20000);
        assert_int_equal(st.op_answer(st.h, &a, &res), WARD_OK);
    }
    memset(op.op_id, 0x30, sizeof op.op_id);
    assert_int_equal(fetch(&st, op.op_id, 0, 20001).n, 1);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_delivered'"), 0);
    struct timespec ts = { 1, 600 * 1000000L };
    nanosleep(&ts, NULL);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_delivered'"), 1);
    memset(op.op_id, 0x31, sizeof op.op_id);
    assert_int_equal(fetch(&st, op.op_id, 0, 20002).n, 1);
    st.close(st.h);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'op_delivered'"), 2);
}

/* The checkpointer lets the WAL start over from its beginning: a
 * checkpoint that never completed once let it grow to gigabytes. After
 * its tick, the next commit writes at the WAL's start again. */
static void test_wal_starts_over(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    char nonce[WARD_HTTPSIG_NONCE_HEX + 1];
    for (unsigned i = 0; i < 6000; i++) {
        /* Scattered keys: a few pages of WAL each, past the 4000-page mark. */
        snprintf(nonce, sizeof nonce, "%08x%024x", i * 2654435761u, i);
        assert_int_equal(st.nonce_use(st.h, "user:alice", nonce, 900000), WARD_OK);
    }
    struct timespec ts = { 1, 500 * 1000000L };
    nanosleep(&ts, NULL);
    assert_int_equal(st.nonce_use(st.h, "user:bob", "00000000000000000000000000000001", 900000),
                     WARD_OK);
    /* wal_checkpoint's second column: the frames now in the WAL. */
    assert_true(sf_int("PRAGMA wal_checkpoint(PASSIVE)") == 0);
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_open(sf_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(PASSIVE)", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_true(sqlite3_column_int(q, 1) < 50);
    sqlite3_finalize(q);
    sqlite3_close(db);
    st.close(st.h);
}

static int count_client(void *ctx, const wardd_client_rec *rec)
{
    int *n = ctx;
    if (strcmp(rec->uid, "bob") == 0) {
        uint8_t tid[WARD_TASK_ID_LEN];
        memset(tid, 0xB0, sizeof tid);
        assert_memory_equal(rec->tid, tid, sizeof tid);
        assert_int_equal(rec->role, WARD_ROLE_ADMIN);
    }
    (*n)++;
    return 0;
}

static int count_inbox(void *ctx, const wardd_inbox_rec *rec)
{
    int64_t *last = ctx;
    assert_int_equal(rec->msg_len, 50);
    *last = rec->id;
    return 0;
}

static void test_revoke_is_atomic(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    seed_b(&st);
    wardd_op op;
    size_t aud = 0;
    make_op(&op, 0x07, "");
    assert_int_equal(st.op_create(st.h, &op, &aud), WARD_OK);
    uint8_t msg[50];
    memset(msg, 0x23, sizeof msg);
    wardd_revoke_rec r = { "LOCK-1", "alice", "bob", msg, sizeof msg, 30000,
                           WARD_ROLE_OWNER, WARD_ROLE_ADMIN, false };
    int64_t id = 0;
    /* The last step (the audit row) fails: nothing of it stays. */
    sf_exec("CREATE TRIGGER fail_audit BEFORE INSERT ON audit WHEN NEW.event = 'revoke'"
             " BEGIN SELECT RAISE(ABORT, 'injected'); END;");
    assert_int_not_equal(st.revoke(st.h, &r, &id), WARD_OK);
    uint8_t role = 9;
    assert_int_equal(st.binding_get(st.h, "LOCK-1", "bob", &role), WARD_OK);
    assert_int_equal(sf_int("SELECT count(*) FROM escrows WHERE uid = 'bob'"), 1);
    assert_int_equal(sf_int("SELECT count(*) FROM inbox"), 0);
    sf_exec("DROP TRIGGER fail_audit");

    assert_int_equal(st.revoke(st.h, &r, &id), WARD_OK);
    assert_true(id > 0);
    assert_int_equal(st.binding_get(st.h, "LOCK-1", "bob", &role), WARD_ERR_NOTFOUND);
    assert_int_equal(sf_int("SELECT count(*) FROM escrows WHERE uid = 'bob'"), 0);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'revoke'"
                             " AND uid = 'alice' AND detail = 'target=bob'"), 1);
    /* A revoked user no longer sees the lock's pending ops. */
    assert_int_equal(pending_n(&st, "bob", 20000), 0);
    assert_int_equal(pending_n(&st, "carol", 20000), 1);
    int n = 0;
    assert_int_equal(st.clients_list(st.h, "LOCK-1", count_client, &n), WARD_OK);
    assert_int_equal(n, 2);
    /* Again: the target is gone. */
    assert_int_equal(st.revoke(st.h, &r, &id), WARD_ERR_NOTFOUND);
    assert_int_equal(sf_int("SELECT count(*) FROM inbox"), 1);
    /* Sent again for a binding wardd no longer has: not before the lock
     * answered the first (its acknowledgement alone is no answer)... */
    r.unbound = true;
    int64_t id3 = 0;
    assert_int_equal(st.revoke(st.h, &r, &id3), WARD_ERR_NOTFOUND);
    wardd_inbox_ack_rec ack;
    size_t acked = 0;
    memset(&ack, 0, sizeof ack);
    ack.id = sf_int("SELECT id FROM inbox WHERE target = 'bob'");
    assert_int_equal(st.inbox_ack(st.h, "LOCK-1", &ack, 1, 30500, &acked), WARD_OK);
    assert_int_equal(st.revoke(st.h, &r, &id3), WARD_ERR_NOTFOUND);
    sf_exec("UPDATE inbox SET result = x'0102' WHERE revoker = 'alice' AND target = 'bob'");
    /* ...then (the lock said it holds another): only queued, for the
     * lock to judge. */
    assert_int_equal(st.revoke(st.h, &r, &id3), WARD_OK);
    assert_true(id3 > id);
    assert_int_equal(sf_int("SELECT count(*) FROM inbox"), 2);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'revoke'"
                             " AND detail = 'target=bob unbound'"), 1);
    /* Not for a target wardd does have bound: that one goes the usual way. */
    wardd_revoke_rec bound_now = { "LOCK-1", "alice", "carol", msg, sizeof msg, 30000,
                                   WARD_ROLE_OWNER, WARD_ROLE_MEMBER, true };
    assert_int_equal(st.revoke(st.h, &bound_now, &id3), WARD_ERR_STATE);
    assert_int_equal(sf_int("SELECT count(*) FROM inbox"), 2);
    r.unbound = false;
    /* Judged on roles that no longer hold: the revoker was revoked in
     * between (bob, once admin, against carol), or the target's role is
     * not the one seen; nothing is done either way. */
    wardd_revoke_rec stale = { "LOCK-1", "bob", "carol", msg, sizeof msg, 30000,
                               WARD_ROLE_ADMIN, WARD_ROLE_MEMBER, false };
    assert_int_equal(st.revoke(st.h, &stale, &id), WARD_ERR_STATE);
    stale.revoker = "alice";
    stale.revoker_role = WARD_ROLE_OWNER;
    stale.target_role = WARD_ROLE_ADMIN;
    assert_int_equal(st.revoke(st.h, &stale, &id), WARD_ERR_STATE);
    assert_int_equal(st.binding_get(st.h, "LOCK-1", "carol", &role), WARD_OK);
    assert_int_equal(sf_int("SELECT count(*) FROM inbox"), 2);
    /* A member revoking itself: wardd holds no binding of it after the
     * first, and queues another only on the lock's answer to that one. */
    bind_user(&st, "dave", WARD_ROLE_MEMBER, 0xD0);
    wardd_revoke_rec me = { "LOCK-1", "dave", "dave", msg, sizeof msg, 30000,
                            WARD_ROLE_MEMBER, WARD_ROLE_MEMBER, false };
    int64_t mine = 0;
    assert_int_equal(st.revoke(st.h, &me, &mine), WARD_OK);
    me.unbound = true;
    assert_int_equal(st.revoke(st.h, &me, &id3), WARD_ERR_NOTFOUND);
    ack.id = mine;
    ack.result = msg;
    ack.result_len = 20;
    ack.result_uid = "dave";
    assert_int_equal(st.inbox_ack(st.h, "LOCK-1", &ack, 1, 30500, &acked), WARD_OK);
    assert_int_equal(acked, 1);
    assert_int_equal(st.revoke(st.h, &me, &id3), WARD_OK);
    assert_true(id3 > mine);
    /* Another's answer is no evidence: alice never revoked dave. */
    wardd_revoke_rec other = { "LOCK-1", "alice", "dave", msg, sizeof msg, 30000,
                               WARD_ROLE_OWNER, WARD_ROLE_MEMBER, true };
    assert_int_equal(st.revoke(st.h, &other, &id3), WARD_ERR_NOTFOUND);
    /* A lock with WARDD_INBOX_MAX messages waiting takes no more. */
    sf_exec("WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1030)"
            " INSERT INTO inbox (sn, msg, created_ms) SELECT 'LOCK-1', zeroblob(5), i FROM k;");
    wardd_revoke_rec full = { "LOCK-1", "alice", "carol", msg, sizeof msg, 30000,
                              WARD_ROLE_OWNER, WARD_ROLE_MEMBER, false };
    assert_int_equal(st.revoke(st.h, &full, &id), WARD_ERR_BUSY);
    assert_int_equal(st.binding_get(st.h, "LOCK-1", "carol", &role), WARD_OK);
    st.close(st.h);
}

static int64_t inbox_last(wardd_store *st, const char *sn, int64_t after, int *n)
{
    int64_t last = 0;
    *n = 0;
    assert_int_equal(st->inbox_list(st->h, sn, after, count_inbox, &last), WARD_OK);
    return last;
}

static int count_inbox_n(void *ctx, const wardd_inbox_rec *rec)
{
    int *n = ctx;
    (void)rec;
    (*n)++;
    return 0;
}

static void test_inbox_ack(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    seed_b(&st);
    uint8_t msg[50], res_msg[40];
    memset(msg, 0x23, sizeof msg);
    memset(res_msg, 0x25, sizeof res_msg);
    wardd_revoke_rec r = { "LOCK-1", "alice", "carol", msg, sizeof msg, 30000,
                           WARD_ROLE_OWNER, WARD_ROLE_MEMBER, false };
    int64_t id = 0;
    int n = 0;
    assert_int_equal(st.revoke(st.h, &r, &id), WARD_OK);
    assert_int_equal(inbox_last(&st, "LOCK-1", 0, &n), id);
    assert_int_equal(inbox_last(&st, "LOCK-1", id, &n), 0);
    wardd_revocation rv;
    assert_int_equal(st.revocation_get(st.h, id, &rv), WARD_OK);
    assert_false(rv.acked);
    assert_string_equal(rv.revoker, "alice");
    assert_string_equal(rv.target, "carol");
    /* Another lock cannot ack it; an unknown id acks nothing. */
    size_t acked = 9;
    wardd_inbox_ack_rec k[2];
    memset(k, 0, sizeof k);
    k[0].id = id;
    assert_int_equal(st.inbox_ack(st.h, "LOCK-2", k, 1, 31000, &acked), WARD_OK);
    assert_int_equal(acked, 0);
    /* A result for anyone but the revoker is not kept. */
    k[0].id = id + 100;
    k[1].id = id;
    k[1].result = res_msg;
    k[1].result_len = sizeof res_msg;
    k[1].result_uid = "mallory";
    assert_int_equal(st.inbox_ack(st.h, "LOCK-1", k, 2, 31000, &acked), WARD_OK);
    assert_int_equal(acked, 1);
    assert_int_equal(inbox_last(&st, "LOCK-1", 0, &n), 0);
    assert_int_equal(st.revocation_get(st.h, id, &rv), WARD_OK);
    assert_true(rv.acked);
    assert_int_equal(rv.result_len, 0);
    assert_int_equal(st.inbox_ack(st.h, "LOCK-1", &k[1], 1, 31000, &acked), WARD_OK);
    assert_int_equal(acked, 0);
    /* Ids are never reused, so a repeated ack cannot drop a new message;
     * the revoker's result is kept with it. */
    r.target = "bob";
    r.target_role = WARD_ROLE_ADMIN;
    int64_t id2 = 0;
    assert_int_equal(st.revoke(st.h, &r, &id2), WARD_OK);
    assert_true(id2 > id);
    k[0].id = id2;
    k[0].result = res_msg;
    k[0].result_len = sizeof res_msg;
    k[0].result_uid = "alice";
    assert_int_equal(st.inbox_ack(st.h, "LOCK-1", k, 1, 32000, &acked), WARD_OK);
    assert_int_equal(acked, 1);
    assert_int_equal(st.revocation_get(st.h, id2, &rv), WARD_OK);
    assert_int_equal(rv.result_len, sizeof res_msg);
    assert_memory_equal(rv.result, res_msg, sizeof res_msg);
    /* Kept a day for the revoker, then purged. */
    assert_int_equal(st.purge(st.h, 32000 + 500, 1000), WARD_OK);
    assert_int_equal(st.revocation_get(st.h, id2, &rv), WARD_OK);
    assert_int_equal(st.purge(st.h, 32000 + 1000, 1000), WARD_OK);
    assert_int_equal(st.revocation_get(st.h, id2, &rv), WARD_ERR_NOTFOUND);
    assert_int_equal(st.revocation_get(st.h, 999999, &rv), WARD_ERR_NOTFOUND);
    st.close(st.h);
}

/* More messages than one page: each poll after the last id seen gets the
 * next page, so an unacknowledged message never hides those behind it. */
static void test_inbox_pages(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    seed_b(&st);
    uint8_t msg[50];
    memset(msg, 0x23, sizeof msg);
    sf_exec("WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 150)"
            " INSERT INTO inbox (sn, msg, created_ms, revoker, target)"
            " SELECT 'LOCK-1', zeroblob(50), i, 'alice', 'carol' FROM k;");
    int n = 0;
    int64_t after = 0;
    int pages = 0, total = 0;
    for (;;) {
        n = 0;
        int64_t last = 0;
        assert_int_equal(st.inbox_list(st.h, "LOCK-1", after, count_inbox_n, &n), WARD_OK);
        if (n == 0) {
            break;
        }
        assert_true(n <= WARDD_INBOX_PAGE);
        assert_int_equal(st.inbox_list(st.h, "LOCK-1", after, count_inbox, &last), WARD_OK);
        assert_true(last > after);
        after = last;
        total += n;
        pages++;
    }
    assert_int_equal(total, 150);
    assert_int_equal(pages, 3);
    st.close(st.h);
}

typedef struct audit_seen {
    int n;
    int64_t prev;
    int binds;
} audit_seen;

static int see_audit(void *ctx, const wardd_audit_rec *rec)
{
    audit_seen *a = ctx;
    if (a->n > 0) {
        assert_true(rec->id < a->prev);      /* newest first */
    }
    a->prev = rec->id;
    a->binds += strcmp(rec->event, "bind") == 0;
    a->n++;
    return 0;
}

static void test_audit_bounded(void **state)
{
    (void)state;
    wardd_store st;
    open_store(&st);
    seed_b(&st);
    audit_seen a = { 0, 0, 0 };
    assert_int_equal(st.audit_list(st.h, "LOCK-1", 200, see_audit, &a), WARD_OK);
    assert_int_equal(a.n, 3);               /* the three confirmations */
    assert_int_equal(a.binds, 3);
    assert_int_equal(sf_int("SELECT count(*) FROM audit WHERE event = 'bind'"
                             " AND uid = 'bob' AND detail = 'role=admin'"), 1);
    sf_exec("WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 300)"
             " INSERT INTO audit (sn, ts_ms, event) SELECT 'LOCK-1', i, 'op_created' FROM k;"
             "INSERT INTO audit (sn, ts_ms, event) VALUES ('LOCK-2', 1, 'bind');");
    memset(&a, 0, sizeof a);
    assert_int_equal(st.audit_list(st.h, "LOCK-1", WARDD_AUDIT_READ_MAX, see_audit, &a),
                     WARD_OK);
    assert_int_equal(a.n, WARDD_AUDIT_READ_MAX);
    assert_int_equal(a.binds, 0);           /* the oldest fell out of the window */
    memset(&a, 0, sizeof a);
    assert_int_equal(st.audit_list(st.h, "LOCK-2", 200, see_audit, &a), WARD_OK);
    assert_int_equal(a.n, 1);
    /* The per-lock read is an index range, not a scan. */
    assert_true(plan_uses("SELECT id FROM audit WHERE sn = 'x' ORDER BY id DESC LIMIT 5",
                          "audit_sn"));
    assert_true(plan_uses("SELECT op_id FROM op_audience WHERE uid = 'x' AND expires_ms > 5",
                          "op_audience_uid"));
    st.close(st.h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrates_from_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrates_an_answered_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confirm_records_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confirm_is_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonce_replay_and_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_windows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phone_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_code_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_code_check_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockouts_decay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_fill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_audience_and_every_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_answer_needs_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_answer_spends_nonce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_target_and_no_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_needs_the_audience, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answers_committed_and_fetched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answered_before_on_any_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delivered_fetch_marks_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_withdraw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_deliver_and_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_deliver_written_when_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_is_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inbox_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inbox_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_starts_over, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
