/* wardd's store on SQLite: WAL, versioned schema, one transaction per entry. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"

typedef struct sq {
    sqlite3 *db;
    /* One connection shared by the request threads: entries run their
     * transactions one at a time, which SQLite would impose anyway. */
    pthread_mutex_t mu;
} sq;

/* The schema, as an ordered list of migrations: migration i brings
 * user_version from i to i + 1. Never edit one that has shipped; append. */
static const char *const migrations[WARDD_SCHEMA_VERSION] = {
    /* 0 -> 1: locks, users, tasks, bindings, escrows. */
    "CREATE TABLE locks ("
    "  sn TEXT PRIMARY KEY,"
    "  pub BLOB NOT NULL);"
    "CREATE TABLE users ("
    "  uid TEXT PRIMARY KEY,"
    "  phone TEXT NOT NULL,"
    "  pub BLOB NOT NULL);"
    "CREATE TABLE tasks ("
    "  tid BLOB PRIMARY KEY,"
    "  sn TEXT NOT NULL REFERENCES locks(sn),"
    "  uid TEXT NOT NULL REFERENCES users(uid),"
    "  phone TEXT NOT NULL,"
    "  blob BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  role INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE bindings ("
    "  sn TEXT NOT NULL REFERENCES locks(sn),"
    "  uid TEXT NOT NULL REFERENCES users(uid),"
    "  role INTEGER NOT NULL,"
    "  tid BLOB NOT NULL,"
    "  bound_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (sn, uid));"
    "CREATE TABLE escrows ("
    "  uid TEXT NOT NULL REFERENCES users(uid),"
    "  sn TEXT NOT NULL REFERENCES locks(sn),"
    "  blob BLOB NOT NULL,"
    "  PRIMARY KEY (uid, sn));",
    /* 1 -> 2: replay nonces and rate-limit events, with their expiry. */
    "CREATE TABLE nonces ("
    "  keyid TEXT NOT NULL,"
    "  nonce TEXT NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (keyid, nonce)) WITHOUT ROWID;"
    "CREATE INDEX nonces_expiry ON nonces(expires_ms);"
    "CREATE TABLE rate_events ("
    "  key TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL);"
    "CREATE INDEX rate_events_key ON rate_events(key, at_ms);"
    "CREATE INDEX tasks_expiry ON tasks(expires_ms);",
};

static ward_err exec(sq *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? WARD_OK
                                                                    : WARD_ERR_IO;
}

static sqlite3_stmt *prep(sq *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        return NULL;
    }
    return st;
}

static ward_err begin(sq *s)
{
    pthread_mutex_lock(&s->mu);
    ward_err err = exec(s, "BEGIN IMMEDIATE");
    if (err != WARD_OK) {
        pthread_mutex_unlock(&s->mu);
    }
    return err;
}

/* Commits on WARD_OK, rolls back otherwise; answers err (or the commit's
 * failure) and releases the connection. */
static ward_err end(sq *s, ward_err err)
{
    if (err == WARD_OK) {
        if (exec(s, "COMMIT") != WARD_OK) {
            err = WARD_ERR_IO;
            exec(s, "ROLLBACK");
        }
    } else {
        exec(s, "ROLLBACK");
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* Runs a statement that returns no row, mapping constraint failures. */
static ward_err step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    ward_err err = WARD_OK;
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        err = WARD_ERR_STATE;
    } else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        err = WARD_ERR_NOTFOUND;
    } else if (rc != SQLITE_DONE) {
        err = WARD_ERR_IO;
    }
    sqlite3_finalize(st);
    return err;
}

static void copy_text(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n >= cap) {
        n = cap - 1;
    }
    if (n) {
        memcpy(out, t, n);
    }
    out[n] = '\0';
}

/* Copies a blob column of exactly `len` bytes (WARD_ERR_IO otherwise:
 * the database holds something we never wrote). */
static ward_err copy_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t len)
{
    const void *b = sqlite3_column_blob(st, col);
    if (b == NULL || (size_t)sqlite3_column_bytes(st, col) != len) {
        return WARD_ERR_IO;
    }
    memcpy(out, b, len);
    return WARD_OK;
}

static void sq_close(void *h)
{
    sq *s = h;
    if (s == NULL) {
        return;
    }
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* Shared by lock_put and user_put: same key (and phone) again is fine. */
static ward_err sq_lock_put(void *h, const char *sn,
                            const uint8_t pub[WARD_P256_POINT_LEN], int *created)
{
    sq *s = h;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = prep(s, "SELECT pub FROM locks WHERE sn = ?");
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    sqlite3_bind_text(st, 1, sn, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 0);
        int same = b && sqlite3_column_bytes(st, 0) == WARD_P256_POINT_LEN &&
                   memcmp(b, pub, WARD_P256_POINT_LEN) == 0;
        sqlite3_finalize(st);
        *created = 0;
        return end(s, same ? WARD_OK : WARD_ERR_STATE);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return end(s, WARD_ERR_IO);
    }
    st = prep(s, "INSERT INTO locks (sn, pub) VALUES (?, ?)");
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    sqlite3_bind_text(st, 1, sn, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, pub, WARD_P256_POINT_LEN, SQLITE_TRANSIENT);
    err = step_done(st);
    *created = err == WARD_OK;
    return end(s, err);
}

static ward_err sq_lock_get(void *h, const char *sn,
                            uint8_t pub[WARD_P256_POINT_LEN])
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = prep(s, "SELECT pub FROM locks WHERE sn = ?");
    if (st != NULL) {
        sqlite3_bind_text(st, 1, sn, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            err = copy_blob(st, 0, pub, WARD_P256_POINT_LEN);
        } else if (rc == SQLITE_DONE) {
            err = WARD_ERR_NOTFOUND;
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_user_put(void *h, const char *uid, const char *phone,
                            const uint8_t pub[WARD_P256_POINT_LEN], int *created)
{
    sq *s = h;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = prep(s, "SELECT pub, phone FROM users WHERE uid = ?");
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 0);
        const unsigned char *ph = sqlite3_column_text(st, 1);
        int same = b && sqlite3_column_bytes(st, 0) == WARD_P256_POINT_LEN &&
                   memcmp(b, pub, WARD_P256_POINT_LEN) == 0 && ph &&
                   strcmp((const char *)ph, phone) == 0;
        sqlite3_finalize(st);
        *created = 0;
        return end(s, same ? WARD_OK : WARD_ERR_STATE);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return end(s, WARD_ERR_IO);
    }
    st = prep(s, "INSERT INTO users (uid, phone, pub) VALUES (?, ?, ?)");
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, phone, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, pub, WARD_P256_POINT_LEN, SQLITE_TRANSIENT);
    err = step_done(st);
    *created = err == WARD_OK;
    return end(s, err);
}

static ward_err sq_user_get(void *h, const char *uid,
                            char phone[WARD_PHONE_MAX + 1],
                            uint8_t pub[WARD_P256_POINT_LEN])
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = prep(s, "SELECT pub, phone FROM users WHERE uid = ?");
    if (st != NULL) {
        sqlite3_bind_text(st, 1, uid, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            err = WARD_OK;
            if (pub != NULL) {
                err = copy_blob(st, 0, pub, WARD_P256_POINT_LEN);
            }
            if (phone != NULL) {
                copy_text(st, 1, phone, WARD_PHONE_MAX + 1);
            }
        } else if (rc == SQLITE_DONE) {
            err = WARD_ERR_NOTFOUND;
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_task_put(void *h, const wardd_task *t)
{
    sq *s = h;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = prep(s,
        "INSERT INTO tasks (tid, sn, uid, phone, blob, created_ms, expires_ms,"
        " state, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    sqlite3_bind_blob(st, 1, t->tid, WARD_TASK_ID_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, t->sn, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, t->uid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, t->phone, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 5, t->blob, (int)t->blob_len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, t->created_ms);
    sqlite3_bind_int64(st, 7, t->expires_ms);
    sqlite3_bind_int(st, 8, t->state);
    sqlite3_bind_int(st, 9, t->role);
    return end(s, step_done(st));
}

static ward_err sq_task_get(void *h, const uint8_t tid[WARD_TASK_ID_LEN],
                            wardd_task *t)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = prep(s,
        "SELECT sn, uid, phone, blob, created_ms, expires_ms, state, role"
        " FROM tasks WHERE tid = ?");
    if (st != NULL) {
        sqlite3_bind_blob(st, 1, tid, WARD_TASK_ID_LEN, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            memset(t, 0, sizeof *t);
            memcpy(t->tid, tid, WARD_TASK_ID_LEN);
            copy_text(st, 0, t->sn, sizeof t->sn);
            copy_text(st, 1, t->uid, sizeof t->uid);
            copy_text(st, 2, t->phone, sizeof t->phone);
            int n = sqlite3_column_bytes(st, 3);
            const void *b = sqlite3_column_blob(st, 3);
            if (b != NULL && n > 0 && (size_t)n <= sizeof t->blob) {
                memcpy(t->blob, b, (size_t)n);
                t->blob_len = (size_t)n;
                t->created_ms = sqlite3_column_int64(st, 4);
                t->expires_ms = sqlite3_column_int64(st, 5);
                t->state = sqlite3_column_int(st, 6);
                t->role = (uint8_t)sqlite3_column_int(st, 7);
                err = WARD_OK;
            }
        } else if (rc == SQLITE_DONE) {
            err = WARD_ERR_NOTFOUND;
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_task_delete(void *h, const uint8_t tid[WARD_TASK_ID_LEN])
{
    sq *s = h;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = prep(s, "DELETE FROM tasks WHERE tid = ? AND state = 0");
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    sqlite3_bind_blob(st, 1, tid, WARD_TASK_ID_LEN, SQLITE_TRANSIENT);
    return end(s, step_done(st));
}

static ward_err sq_confirm(void *h, const wardd_confirm_rec *c)
{
    sq *s = h;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = prep(s, "SELECT state FROM tasks WHERE tid = ?");
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    sqlite3_bind_blob(st, 1, c->tid, WARD_TASK_ID_LEN, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int state = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        return end(s, WARD_ERR_NOTFOUND);
    }
    if (rc != SQLITE_ROW) {
        return end(s, WARD_ERR_IO);
    }
    if (state != WARDD_TASK_SEALED) {
        return end(s, WARD_ERR_STATE);
    }
    /* A user binding the same lock again replaces role and escrow. */
    st = prep(s,
        "INSERT INTO bindings (sn, uid, role, tid, bound_ms) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (sn, uid) DO UPDATE SET role = excluded.role,"
        " tid = excluded.tid, bound_ms = excluded.bound_ms");
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    sqlite3_bind_text(st, 1, c->sn, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, c->uid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, c->role);
    sqlite3_bind_blob(st, 4, c->tid, WARD_TASK_ID_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, c->now_ms);
    err = step_done(st);
    if (err != WARD_OK) {
        return end(s, err == WARD_ERR_STATE ? WARD_ERR_IO : err);
    }
    st = prep(s,
        "INSERT INTO escrows (uid, sn, blob) VALUES (?, ?, ?)"
        " ON CONFLICT (uid, sn) DO UPDATE SET blob = excluded.blob");
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    sqlite3_bind_text(st, 1, c->uid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, c->sn, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, c->escrow, (int)c->escrow_len, SQLITE_TRANSIENT);
    err = step_done(st);
    if (err != WARD_OK) {
        return end(s, err == WARD_ERR_STATE ? WARD_ERR_IO : err);
    }
    st = prep(s, "UPDATE tasks SET state = ?, role = ? WHERE tid = ?");
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    sqlite3_bind_int(st, 1, WARDD_TASK_BOUND);
    sqlite3_bind_int(st, 2, c->role);
    sqlite3_bind_blob(st, 3, c->tid, WARD_TASK_ID_LEN, SQLITE_TRANSIENT);
    err = step_done(st);
    return end(s, err == WARD_OK ? WARD_OK : WARD_ERR_IO);
}

static ward_err sq_escrow_list(void *h, const char *uid, wardd_escrow_fn fn,
                               void *ctx)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = prep(s,
        "SELECT e.sn, b.role, e.blob FROM escrows e JOIN bindings b"
        " ON b.sn = e.sn AND b.uid = e.uid WHERE e.uid = ? ORDER BY e.sn");
    if (st != NULL) {
        sqlite3_bind_text(st, 1, uid, -1, SQLITE_TRANSIENT);
        wardd_escrow_rec rec;
        int rc;
        err = WARD_OK;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            memset(&rec, 0, sizeof rec);
            copy_text(st, 0, rec.sn, sizeof rec.sn);
            rec.role = (uint8_t)sqlite3_column_int(st, 1);
            int n = sqlite3_column_bytes(st, 2);
            const void *b = sqlite3_column_blob(st, 2);
            if (b == NULL || n <= 0 || (size_t)n > sizeof rec.blob) {
                err = WARD_ERR_IO;
                break;
            }
            memcpy(rec.blob, b, (size_t)n);
            rec.blob_len = (size_t)n;
            if (fn(ctx, &rec) != 0) {
                break;
            }
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            err = WARD_ERR_IO;
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_binding_get(void *h, const char *sn, const char *uid,
                               uint8_t *role)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = prep(s, "SELECT role FROM bindings WHERE sn = ? AND uid = ?");
    if (st != NULL) {
        sqlite3_bind_text(st, 1, sn, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, uid, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *role = (uint8_t)sqlite3_column_int(st, 0);
            err = WARD_OK;
        } else if (rc == SQLITE_DONE) {
            err = WARD_ERR_NOTFOUND;
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_nonce_use(void *h, const char *keyid, const char *nonce,
                             int64_t expires_ms)
{
    sq *s = h;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    /* A pair stays a replay until purge() drops it, even past its
     * expiry: refusing longer than needed is the safe side. */
    sqlite3_stmt *st = prep(s,
        "INSERT INTO nonces (keyid, nonce, expires_ms) VALUES (?, ?, ?)");
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    sqlite3_bind_text(st, 1, keyid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, nonce, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, expires_ms);
    err = step_done(st);
    return end(s, err == WARD_ERR_STATE ? WARD_ERR_AUTH : err);
}

static ward_err sq_rate_take(void *h, const wardd_rate_key *keys, size_t n,
                             int64_t now_ms, int64_t window_ms, int64_t *retry_ms)
{
    sq *s = h;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    *retry_ms = 0;
    for (size_t i = 0; i < n; i++) {
        if (keys[i].limit == 0) {
            *retry_ms = window_ms;
            return end(s, WARD_ERR_BUSY);
        }
        /* The event whose leaving the window makes room for one more. */
        sqlite3_stmt *st = prep(s,
            "SELECT at_ms FROM rate_events WHERE key = ? AND at_ms > ?"
            " ORDER BY at_ms DESC LIMIT 1 OFFSET ?");
        if (st == NULL) {
            return end(s, WARD_ERR_IO);
        }
        sqlite3_bind_text(st, 1, keys[i].key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, now_ms - window_ms);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)keys[i].limit - 1);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            int64_t wait = sqlite3_column_int64(st, 0) + window_ms - now_ms;
            if (wait > *retry_ms) {
                *retry_ms = wait;
            }
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            return end(s, WARD_ERR_IO);
        }
    }
    if (*retry_ms > 0) {
        return end(s, WARD_ERR_BUSY);
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = prep(s, "INSERT INTO rate_events (key, at_ms) VALUES (?, ?)");
        if (st == NULL) {
            return end(s, WARD_ERR_IO);
        }
        sqlite3_bind_text(st, 1, keys[i].key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, now_ms);
        err = step_done(st);
        if (err != WARD_OK) {
            return end(s, WARD_ERR_IO);
        }
    }
    return end(s, WARD_OK);
}

static ward_err sq_purge(void *h, int64_t now_ms, int64_t keep_ms)
{
    sq *s = h;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    static const char *const sql[] = {
        "DELETE FROM nonces WHERE expires_ms <= ?1",
        "DELETE FROM rate_events WHERE at_ms <= ?1 - ?2",
        "DELETE FROM tasks WHERE state = 0 AND expires_ms <= ?1 - ?2",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0] && err == WARD_OK; i++) {
        sqlite3_stmt *st = prep(s, sql[i]);
        if (st == NULL) {
            err = WARD_ERR_IO;
            break;
        }
        sqlite3_bind_int64(st, 1, now_ms);
        if (sqlite3_bind_parameter_count(st) > 1) {
            sqlite3_bind_int64(st, 2, keep_ms);
        }
        err = step_done(st);
    }
    return end(s, err);
}

/* Brings the schema from its user_version to WARDD_SCHEMA_VERSION, each
 * migration in its own transaction with the version bump. */
static ward_err migrate(sq *s)
{
    for (;;) {
        ward_err err = begin(s);
        if (err != WARD_OK) {
            return err;
        }
        sqlite3_stmt *st = prep(s, "PRAGMA user_version");
        int v = -1;
        if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
            v = sqlite3_column_int(st, 0);
        }
        sqlite3_finalize(st);
        if (v < 0 || v > WARDD_SCHEMA_VERSION) {
            /* Newer than this binary: refuse rather than guess. */
            return end(s, WARD_ERR_UNSUPPORTED);
        }
        if (v == WARDD_SCHEMA_VERSION) {
            return end(s, WARD_OK);
        }
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
        err = exec(s, migrations[v]);
        if (err == WARD_OK) {
            err = exec(s, bump);
        }
        err = end(s, err);
        if (err != WARD_OK) {
            return err;
        }
    }
}

ward_err wardd_store_sqlite_open(const char *path, wardd_store *out)
{
    sq *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return WARD_ERR_NOSPACE;
    }
    pthread_mutex_init(&s->mu, NULL);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        sq_close(s);
        return WARD_ERR_IO;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    /* WAL lets readers of other processes (backups, the tests) run beside
     * the writer; synchronous FULL fsyncs every commit, so an answered
     * request survives a power cut. */
    ward_err err = exec(s, "PRAGMA journal_mode = WAL");
    if (err == WARD_OK) {
        err = exec(s, "PRAGMA synchronous = FULL");
    }
    if (err == WARD_OK) {
        err = exec(s, "PRAGMA foreign_keys = ON");
    }
    if (err == WARD_OK) {
        err = migrate(s);
    }
    if (err != WARD_OK) {
        sq_close(s);
        return err;
    }
    memset(out, 0, sizeof *out);
    out->h = s;
    out->close = sq_close;
    out->lock_put = sq_lock_put;
    out->lock_get = sq_lock_get;
    out->user_put = sq_user_put;
    out->user_get = sq_user_get;
    out->task_put = sq_task_put;
    out->task_get = sq_task_get;
    out->task_delete = sq_task_delete;
    out->confirm = sq_confirm;
    out->escrow_list = sq_escrow_list;
    out->binding_get = sq_binding_get;
    out->nonce_use = sq_nonce_use;
    out->rate_take = sq_rate_take;
    out->purge = sq_purge;
    return WARD_OK;
}
