/* wardd's store on SQLite: WAL, versioned schema, one transaction per entry. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "store.h"

/* Statements are prepared once per connection and reused: parsing SQL
 * costs more than running these one-row statements. Keyed by the SQL
 * text's address (every caller passes a string literal). */
#define SQ_CACHE 96

/* WAL pages after which the checkpointer copies the WAL back (16 MB):
 * the longer the WAL, the more of its frames are the same hot pages,
 * copied once (1000 pages cost 12 % more per relay). */
#define SQ_CHECKPOINT_PAGES 4000
/* Deliveries held for the next transaction (see sq_op_deliver). */
#define SQ_DELIVERIES_MAX 256

/* Checkpoints run on their own connection and thread: copying the WAL
 * into the database, and the two fsyncs that takes, then never hold the
 * request threads' connection (a checkpoint in a commit stalled every
 * request behind it for milliseconds). */
typedef struct sq_checkpointer {
    struct sq *owner;
    sqlite3 *db;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool due;
    bool stop;
    bool running;
} sq_checkpointer;

typedef struct sq {
    sqlite3 *db;
    /* One connection shared by the request threads: entries run their
     * transactions one at a time, which SQLite would impose anyway (so
     * the connection itself is opened without SQLite's own mutex). */
    pthread_mutex_t mu;
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[SQ_CACHE];
    size_t ncache;
    sq_checkpointer ck;
    /* Answers the locks fetched, not yet written: the next transaction
     * of any entry writes them first, or the checkpointer's tick. */
    struct {
        uint8_t op_id[WARDD_OP_ID_LEN];
        int64_t at_ms;
    } deliveries[SQ_DELIVERIES_MAX];
    size_t ndeliveries;
} sq;

static ward_err deliveries_apply(struct sq *s);
static ward_err deliveries_flush(struct sq *s);

static bool delivery_waiting(const sq *s, const uint8_t op_id[WARDD_OP_ID_LEN])
{
    for (size_t i = 0; i < s->ndeliveries; i++) {
        if (memcmp(s->deliveries[i].op_id, op_id, WARDD_OP_ID_LEN) == 0) {
            return true;
        }
    }
    return false;
}

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
    /* 2 -> 3: flow B. An op's audience rows live as long as the op, so
     * a user's pending list is one index range (answered ops filtered by
     * state); the audit is append-only, read newest first per lock. */
    "CREATE TABLE ops ("
    "  op_id BLOB PRIMARY KEY,"
    "  sn TEXT NOT NULL REFERENCES locks(sn),"
    "  target TEXT NOT NULL DEFAULT '',"
    "  op INTEGER NOT NULL,"
    "  token_hash BLOB NOT NULL,"
    "  request BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  answered_by TEXT,"
    "  approval BLOB,"
    "  answer_sig_input TEXT,"
    "  answer_sig TEXT,"
    "  answered_ms INTEGER,"
    "  delivered_ms INTEGER,"
    "  result BLOB,"
    "  result_ms INTEGER) WITHOUT ROWID;"
    "CREATE INDEX ops_expiry ON ops(expires_ms);"
    "CREATE TABLE op_audience ("
    "  op_id BLOB NOT NULL REFERENCES ops(op_id) ON DELETE CASCADE,"
    "  uid TEXT NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (op_id, uid)) WITHOUT ROWID;"
    "CREATE INDEX op_audience_uid ON op_audience(uid, expires_ms);"
    "CREATE TABLE inbox ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  sn TEXT NOT NULL REFERENCES locks(sn),"
    "  msg BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE INDEX inbox_sn ON inbox(sn, id);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  sn TEXT NOT NULL,"
    "  ts_ms INTEGER NOT NULL,"
    "  event TEXT NOT NULL,"
    "  uid TEXT NOT NULL DEFAULT '',"
    "  op INTEGER NOT NULL DEFAULT 0,"
    "  detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX audit_sn ON audit(sn, id);",
    /* 3 -> 4: flow D. A device is a row of locks (activated the same
     * way); an attachment gives one (device, user, app) its cloud id;
     * relayed messages wait per cloud id and way until polled or
     * expired. */
    "CREATE TABLE dev_attach ("
    "  cloud_id BLOB PRIMARY KEY,"
    "  device TEXT NOT NULL REFERENCES locks(sn),"
    "  uid TEXT NOT NULL REFERENCES users(uid),"
    "  app TEXT NOT NULL DEFAULT '',"
    "  attached_ms INTEGER NOT NULL,"
    "  UNIQUE (device, uid, app)) WITHOUT ROWID;"
    "CREATE INDEX dev_attach_uid ON dev_attach(uid, attached_ms);"
    "CREATE TABLE dev_msgs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  cloud_id BLOB NOT NULL REFERENCES dev_attach(cloud_id) ON DELETE CASCADE,"
    "  device TEXT NOT NULL,"
    "  way INTEGER NOT NULL,"
    "  msg BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL);"
    "CREATE INDEX dev_msgs_device ON dev_msgs(device, way, id);"
    "CREATE INDEX dev_msgs_cloud ON dev_msgs(cloud_id, way, id);"
    "CREATE INDEX dev_msgs_expiry ON dev_msgs(expires_ms);",
};

static ward_err exec(sq *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? WARD_OK
                                                                    : WARD_ERR_IO;
}

/* The cached statement for sql (prepared on first use); give it back
 * with release(). Called with s->mu held. */
static sqlite3_stmt *prep(sq *s, const char *sql)
{
    for (size_t i = 0; i < s->ncache; i++) {
        if (s->cache[i].sql == sql) {
            return s->cache[i].st;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
        SQLITE_OK) {
        return NULL;
    }
    if (s->ncache < SQ_CACHE) {
        s->cache[s->ncache].sql = sql;
        s->cache[s->ncache].st = st;
        s->ncache++;
    }
    return st;
}

/* Resets a statement for its next use (ending its read), or finalizes it
 * if the cache had no room for it. */
static void release(sq *s, sqlite3_stmt *st)
{
    if (st == NULL) {
        return;
    }
    for (size_t i = 0; i < s->ncache; i++) {
        if (s->cache[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    }
    sqlite3_finalize(st);
}

/* A value bound to a statement's parameter (see PREP). */
typedef struct sq_arg {
    enum { SQ_ARG_TEXT, SQ_ARG_BLOB, SQ_ARG_INT } kind;
    const void *p;
    int64_t n;              /* the blob's length, or the integer */
} sq_arg;

#define SQ_TEXT(t) { SQ_ARG_TEXT, (t), 0 }
#define SQ_BLOB(b, len) { SQ_ARG_BLOB, (b), (int64_t)(len) }
#define SQ_INT(v) { SQ_ARG_INT, NULL, (int64_t)(v) }

/* The cached statement for sql with its arguments bound to parameters
 * 1, 2...; NULL when it cannot be prepared or a value cannot be bound.
 * Give it back with release(). Called with s->mu held. */
#define PREP(s, sql, ...)                                                   \
    prep_args((s), (sql), (const sq_arg[]){ __VA_ARGS__ },                  \
              sizeof((const sq_arg[]){ __VA_ARGS__ }) / sizeof(sq_arg))

static sqlite3_stmt *prep_args(sq *s, const char *sql, const sq_arg *args, size_t n)
{
    sqlite3_stmt *st = prep(s, sql);
    for (size_t i = 0; st != NULL && i < n; i++) {
        int col = (int)i + 1, rc;
        if (args[i].kind == SQ_ARG_TEXT) {
            rc = sqlite3_bind_text(st, col, args[i].p, -1, SQLITE_TRANSIENT);
        } else if (args[i].kind == SQ_ARG_BLOB) {
            rc = sqlite3_bind_blob(st, col, args[i].p, (int)args[i].n, SQLITE_TRANSIENT);
        } else {
            rc = sqlite3_bind_int64(st, col, args[i].n);
        }
        if (rc != SQLITE_OK) {
            release(s, st);
            st = NULL;
        }
    }
    return st;
}

/* Runs one cached statement that returns no row (BEGIN, COMMIT...). */
static ward_err run(sq *s, const char *sql)
{
    sqlite3_stmt *st = prep(s, sql);
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    release(s, st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? WARD_OK : WARD_ERR_IO;
}

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_sync_full[] = "PRAGMA synchronous = FULL";
static const char sql_sync_normal[] = "PRAGMA synchronous = NORMAL";

/* BEGIN, then the deliveries waiting for a transaction. Called with
 * s->mu held; on failure nothing is left open. */
static ward_err begin_locked(sq *s)
{
    ward_err err = run(s, sql_begin);
    if (err == WARD_OK) {
        err = deliveries_apply(s);
        if (err != WARD_OK) {
            run(s, sql_rollback);
        }
    }
    return err;
}

static ward_err begin(sq *s)
{
    pthread_mutex_lock(&s->mu);
    ward_err err = begin_locked(s);
    if (err != WARD_OK) {
        pthread_mutex_unlock(&s->mu);
    }
    return err;
}

/* A transaction whose commit must survive a power cut (bindings,
 * revocations): FULL fsyncs the WAL at its commit. Everything else runs
 * at NORMAL (see wardd_store_sqlite_open). */
static ward_err begin_durable(sq *s)
{
    pthread_mutex_lock(&s->mu);
    ward_err err = run(s, sql_sync_full);
    if (err == WARD_OK) {
        err = begin_locked(s);
    }
    if (err != WARD_OK) {
        run(s, sql_sync_normal);
        pthread_mutex_unlock(&s->mu);
    }
    return err;
}

/* Commits on WARD_OK, rolls back otherwise; answers err (or the commit's
 * failure) and releases the connection. */
static ward_err finish(sq *s, ward_err err)
{
    if (err == WARD_OK) {
        if (run(s, sql_commit) != WARD_OK) {
            err = WARD_ERR_IO;
            run(s, sql_rollback);
        } else {
            s->ndeliveries = 0;     /* written by this commit */
        }
    } else {
        run(s, sql_rollback);
    }
    return err;
}

static ward_err end(sq *s, ward_err err)
{
    err = finish(s, err);
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* end() of a begin_durable() transaction. */
static ward_err end_durable(sq *s, ward_err err)
{
    err = finish(s, err);
    run(s, sql_sync_normal);
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* Runs a statement that returns no row, mapping constraint failures. */
static ward_err step_done(sq *s, sqlite3_stmt *st)
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
    release(s, st);
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

/* Frames a checkpoint may leave for the pass that holds the requests. */
#define SQ_CHECKPOINT_TAIL 256

/* Under steady writes a checkpoint never catches up with the WAL's end,
 * and the WAL only starts over from its beginning after one that did:
 * left alone it grows without bound. So: PASSIVE passes beside the
 * requests (never waiting; they copy the bulk and do the fsyncs) until
 * little is left, then one pass holding the request connection's mutex,
 * which nothing can outrun, so the next commit restarts the WAL. */
static void checkpoint_round(sq_checkpointer *ck)
{
    for (int i = 0; i < 4; i++) {
        int log = 0, done = 0;
        if (sqlite3_wal_checkpoint_v2(ck->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log,
                                      &done) != SQLITE_OK ||
            log - done <= SQ_CHECKPOINT_TAIL) {
            break;
        }
    }
    pthread_mutex_lock(&ck->owner->mu);
    sqlite3_wal_checkpoint_v2(ck->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    pthread_mutex_unlock(&ck->owner->mu);
}

static void *checkpoint_main(void *arg)
{
    sq_checkpointer *ck = arg;
    pthread_mutex_lock(&ck->mu);
    while (!ck->stop) {
        if (!ck->due) {
            /* Also once a second, so a quiet server's WAL drains. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&ck->cv, &ck->mu, &ts);
            if (ck->stop) {
                break;
            }
        }
        ck->due = false;
        pthread_mutex_unlock(&ck->mu);
        /* Deliveries wait at most this tick when nothing else commits; a
         * failure leaves them waiting for the next. */
        pthread_mutex_lock(&ck->owner->mu);
        deliveries_flush(ck->owner);
        pthread_mutex_unlock(&ck->owner->mu);
        checkpoint_round(ck);
        pthread_mutex_lock(&ck->mu);
    }
    pthread_mutex_unlock(&ck->mu);
    return NULL;
}

/* Called after every commit of the request connection with the WAL's
 * size: wakes the checkpointer when it is due. */
static int wal_grew(void *ctx, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    sq_checkpointer *ck = ctx;
    if (pages >= SQ_CHECKPOINT_PAGES) {
        pthread_mutex_lock(&ck->mu);
        ck->due = true;
        pthread_cond_signal(&ck->cv);
        pthread_mutex_unlock(&ck->mu);
    }
    return SQLITE_OK;
}

/* Starts the checkpointer for a database file in WAL mode; anything else
 * (an in-memory database) keeps SQLite's own checkpoints. */
static ward_err checkpointer_start(sq *s)
{
    const char *file = sqlite3_db_filename(s->db, "main");
    sqlite3_stmt *st = NULL;
    bool wal = false;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(st, 0);
        wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
    }
    sqlite3_finalize(st);
    if (file == NULL || file[0] == '\0' || !wal) {
        return WARD_OK;
    }
    sq_checkpointer *ck = &s->ck;
    ck->owner = s;
    /* A connection that has read nothing yet does not know the file is in
     * WAL mode, and its checkpoints silently do nothing: read the schema
     * once. */
    if (sqlite3_open_v2(file, &ck->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(ck->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) !=
            SQLITE_OK) {
        sqlite3_close(ck->db);
        ck->db = NULL;
        return WARD_ERR_IO;
    }
    pthread_mutex_init(&ck->mu, NULL);
    pthread_cond_init(&ck->cv, NULL);
    if (pthread_create(&ck->th, NULL, checkpoint_main, ck) != 0) {
        pthread_cond_destroy(&ck->cv);
        pthread_mutex_destroy(&ck->mu);
        sqlite3_close(ck->db);
        ck->db = NULL;
        return WARD_ERR_IO;
    }
    ck->running = true;
    sqlite3_wal_autocheckpoint(s->db, 0);
    sqlite3_wal_hook(s->db, wal_grew, ck);
    return WARD_OK;
}

static void checkpointer_stop(sq *s)
{
    sq_checkpointer *ck = &s->ck;
    if (!ck->running) {
        return;
    }
    sqlite3_wal_hook(s->db, NULL, NULL);
    pthread_mutex_lock(&ck->mu);
    ck->stop = true;
    pthread_cond_signal(&ck->cv);
    pthread_mutex_unlock(&ck->mu);
    pthread_join(ck->th, NULL);
    sqlite3_close(ck->db);
    pthread_cond_destroy(&ck->cv);
    pthread_mutex_destroy(&ck->mu);
    ck->running = false;
}

static void sq_close(void *h)
{
    sq *s = h;
    if (s == NULL) {
        return;
    }
    checkpointer_stop(s);
    if (s->db != NULL) {
        deliveries_flush(s);
    }
    for (size_t i = 0; i < s->ncache; i++) {
        sqlite3_finalize(s->cache[i].st);
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
    sqlite3_stmt *st = PREP(s, "SELECT pub FROM locks WHERE sn = ?", SQ_TEXT(sn));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 0);
        int same = b && sqlite3_column_bytes(st, 0) == WARD_P256_POINT_LEN &&
                   memcmp(b, pub, WARD_P256_POINT_LEN) == 0;
        release(s, st);
        *created = 0;
        return end(s, same ? WARD_OK : WARD_ERR_STATE);
    }
    release(s, st);
    if (rc != SQLITE_DONE) {
        return end(s, WARD_ERR_IO);
    }
    st = PREP(s, "INSERT INTO locks (sn, pub) VALUES (?, ?)",
              SQ_TEXT(sn), SQ_BLOB(pub, WARD_P256_POINT_LEN));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    *created = err == WARD_OK;
    return end(s, err);
}

static ward_err sq_lock_get(void *h, const char *sn,
                            uint8_t pub[WARD_P256_POINT_LEN])
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s, "SELECT pub FROM locks WHERE sn = ?", SQ_TEXT(sn));
    if (st != NULL) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            err = copy_blob(st, 0, pub, WARD_P256_POINT_LEN);
        } else if (rc == SQLITE_DONE) {
            err = WARD_ERR_NOTFOUND;
        }
        release(s, st);
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
    sqlite3_stmt *st = PREP(s, "SELECT pub, phone FROM users WHERE uid = ?", SQ_TEXT(uid));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 0);
        const unsigned char *ph = sqlite3_column_text(st, 1);
        int same = b && sqlite3_column_bytes(st, 0) == WARD_P256_POINT_LEN &&
                   memcmp(b, pub, WARD_P256_POINT_LEN) == 0 && ph &&
                   strcmp((const char *)ph, phone) == 0;
        release(s, st);
        *created = 0;
        return end(s, same ? WARD_OK : WARD_ERR_STATE);
    }
    release(s, st);
    if (rc != SQLITE_DONE) {
        return end(s, WARD_ERR_IO);
    }
    st = PREP(s, "INSERT INTO users (uid, phone, pub) VALUES (?, ?, ?)",
              SQ_TEXT(uid), SQ_TEXT(phone), SQ_BLOB(pub, WARD_P256_POINT_LEN));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
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
    sqlite3_stmt *st = PREP(s, "SELECT pub, phone FROM users WHERE uid = ?", SQ_TEXT(uid));
    if (st != NULL) {
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
        release(s, st);
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
    sqlite3_stmt *st = PREP(s,
        "INSERT INTO tasks (tid, sn, uid, phone, blob, created_ms, expires_ms,"
        " state, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        SQ_BLOB(t->tid, WARD_TASK_ID_LEN), SQ_TEXT(t->sn), SQ_TEXT(t->uid), SQ_TEXT(t->phone),
        SQ_BLOB(t->blob, t->blob_len), SQ_INT(t->created_ms), SQ_INT(t->expires_ms),
        SQ_INT(t->state), SQ_INT(t->role));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    return end(s, step_done(s, st));
}

static ward_err sq_task_get(void *h, const uint8_t tid[WARD_TASK_ID_LEN],
                            wardd_task *t)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s,
        "SELECT sn, uid, phone, blob, created_ms, expires_ms, state, role"
        " FROM tasks WHERE tid = ?", SQ_BLOB(tid, WARD_TASK_ID_LEN));
    if (st != NULL) {
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
        release(s, st);
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
    sqlite3_stmt *st = PREP(s, "DELETE FROM tasks WHERE tid = ? AND state = 0",
                            SQ_BLOB(tid, WARD_TASK_ID_LEN));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    return end(s, step_done(s, st));
}

static const char *role_name(uint8_t role)
{
    switch (role) {
    case WARD_ROLE_OWNER:
        return "role=owner";
    case WARD_ROLE_ADMIN:
        return "role=admin";
    default:
        return "role=member";
    }
}

/* Appends an audit row inside the caller's transaction. */
static ward_err audit_add(sq *s, const char *sn, int64_t ts_ms, const char *event,
                          const char *uid, int op, const char *detail)
{
    sqlite3_stmt *st = PREP(s,
        "INSERT INTO audit (sn, ts_ms, event, uid, op, detail) VALUES (?, ?, ?, ?, ?, ?)",
        SQ_TEXT(sn), SQ_INT(ts_ms), SQ_TEXT(event), SQ_TEXT(uid ? uid : ""), SQ_INT(op),
        SQ_TEXT(detail ? detail : ""));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    return step_done(s, st);
}

static ward_err sq_confirm(void *h, const wardd_confirm_rec *c)
{
    sq *s = h;
    ward_err err = begin_durable(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s, "SELECT state FROM tasks WHERE tid = ?",
                            SQ_BLOB(c->tid, WARD_TASK_ID_LEN));
    if (st == NULL) {
        return end_durable(s, WARD_ERR_IO);
    }
    int rc = sqlite3_step(st);
    int state = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    release(s, st);
    if (rc == SQLITE_DONE) {
        return end_durable(s, WARD_ERR_NOTFOUND);
    }
    if (rc != SQLITE_ROW) {
        return end_durable(s, WARD_ERR_IO);
    }
    if (state != WARDD_TASK_SEALED) {
        return end_durable(s, WARD_ERR_STATE);
    }
    /* A user binding the same lock again replaces role and escrow. */
    st = PREP(s,
        "INSERT INTO bindings (sn, uid, role, tid, bound_ms) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (sn, uid) DO UPDATE SET role = excluded.role,"
        " tid = excluded.tid, bound_ms = excluded.bound_ms",
        SQ_TEXT(c->sn), SQ_TEXT(c->uid), SQ_INT(c->role), SQ_BLOB(c->tid, WARD_TASK_ID_LEN),
        SQ_INT(c->now_ms));
    if (st == NULL) {
        return end_durable(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err != WARD_OK) {
        return end_durable(s, err == WARD_ERR_STATE ? WARD_ERR_IO : err);
    }
    st = PREP(s,
        "INSERT INTO escrows (uid, sn, blob) VALUES (?, ?, ?)"
        " ON CONFLICT (uid, sn) DO UPDATE SET blob = excluded.blob",
        SQ_TEXT(c->uid), SQ_TEXT(c->sn), SQ_BLOB(c->escrow, c->escrow_len));
    if (st == NULL) {
        return end_durable(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err != WARD_OK) {
        return end_durable(s, err == WARD_ERR_STATE ? WARD_ERR_IO : err);
    }
    st = PREP(s, "UPDATE tasks SET state = ?, role = ? WHERE tid = ?",
              SQ_INT(WARDD_TASK_BOUND), SQ_INT(c->role), SQ_BLOB(c->tid, WARD_TASK_ID_LEN));
    if (st == NULL) {
        return end_durable(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err == WARD_OK) {
        err = audit_add(s, c->sn, c->now_ms, "bind", c->uid, 0, role_name(c->role));
    }
    return end_durable(s, err == WARD_OK ? WARD_OK : WARD_ERR_IO);
}

static ward_err sq_escrow_list(void *h, const char *uid, wardd_escrow_fn fn,
                               void *ctx)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s,
        "SELECT e.sn, b.role, e.blob FROM escrows e JOIN bindings b"
        " ON b.sn = e.sn AND b.uid = e.uid WHERE e.uid = ? ORDER BY e.sn", SQ_TEXT(uid));
    if (st != NULL) {
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
        release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* uid's role on lock sn, read with s->mu held (in the caller's
 * transaction, if it has one). */
static ward_err binding_role(sq *s, const char *sn, const char *uid, uint8_t *role)
{
    sqlite3_stmt *st = PREP(s, "SELECT role FROM bindings WHERE sn = ? AND uid = ?",
                            SQ_TEXT(sn), SQ_TEXT(uid));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    ward_err err = rc == SQLITE_DONE ? WARD_ERR_NOTFOUND : WARD_ERR_IO;
    if (rc == SQLITE_ROW) {
        *role = (uint8_t)sqlite3_column_int(st, 0);
        err = WARD_OK;
    }
    release(s, st);
    return err;
}

static ward_err sq_binding_get(void *h, const char *sn, const char *uid,
                               uint8_t *role)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = binding_role(s, sn, uid, role);
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* Records a nonce inside the caller's transaction. A pair stays a replay
 * until purge() drops it, even past its expiry: refusing longer than
 * needed is the safe side. */
static ward_err nonce_add(sq *s, const char *keyid, const char *nonce, int64_t expires_ms)
{
    sqlite3_stmt *st = PREP(s,
        "INSERT INTO nonces (keyid, nonce, expires_ms) VALUES (?, ?, ?)",
        SQ_TEXT(keyid), SQ_TEXT(nonce), SQ_INT(expires_ms));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    ward_err err = step_done(s, st);
    return err == WARD_ERR_STATE ? WARD_ERR_AUTH : err;
}

static ward_err sq_nonce_use(void *h, const char *keyid, const char *nonce,
                             int64_t expires_ms)
{
    sq *s = h;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    return end(s, nonce_add(s, keyid, nonce, expires_ms));
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
        sqlite3_stmt *st = PREP(s,
            "SELECT at_ms FROM rate_events WHERE key = ? AND at_ms > ?"
            " ORDER BY at_ms DESC LIMIT 1 OFFSET ?",
            SQ_TEXT(keys[i].key), SQ_INT(now_ms - window_ms),
            SQ_INT((sqlite3_int64)keys[i].limit - 1));
        if (st == NULL) {
            return end(s, WARD_ERR_IO);
        }
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            int64_t wait = sqlite3_column_int64(st, 0) + window_ms - now_ms;
            if (wait > *retry_ms) {
                *retry_ms = wait;
            }
        }
        release(s, st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            return end(s, WARD_ERR_IO);
        }
    }
    if (*retry_ms > 0) {
        return end(s, WARD_ERR_BUSY);
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = PREP(s, "INSERT INTO rate_events (key, at_ms) VALUES (?, ?)",
                                SQ_TEXT(keys[i].key), SQ_INT(now_ms));
        if (st == NULL) {
            return end(s, WARD_ERR_IO);
        }
        err = step_done(s, st);
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
        "DELETE FROM ops WHERE expires_ms <= ?1 - ?2",
        "DELETE FROM dev_msgs WHERE expires_ms <= ?1",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0] && err == WARD_OK; i++) {
        sqlite3_stmt *st = PREP(s, sql[i], SQ_INT(now_ms));
        if (st == NULL) {
            err = WARD_ERR_IO;
            break;
        }
        if (sqlite3_bind_parameter_count(st) > 1) {
            sqlite3_bind_int64(st, 2, keep_ms);
        }
        err = step_done(s, st);
    }
    return end(s, err);
}

/* ---- flow B: operations, revocations, inbox, clients, audit ---- */

static void op_id_hex(const uint8_t id[WARDD_OP_ID_LEN], char out[2 * WARDD_OP_ID_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < WARDD_OP_ID_LEN; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[2 * WARDD_OP_ID_LEN] = '\0';
}

/* Copies a blob column of 0..cap bytes (NULL reads as empty). */
static ward_err copy_var(sqlite3_stmt *st, int col, uint8_t *out, size_t cap,
                         size_t *len)
{
    const void *b = sqlite3_column_blob(st, col);
    size_t n = b ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n > cap) {
        return WARD_ERR_IO;
    }
    if (n) {
        memcpy(out, b, n);
    }
    *len = n;
    return WARD_OK;
}

static const char sql_op_cols[] =
    "SELECT op_id, sn, target, op, token_hash, request, created_ms, expires_ms, state,"
    " answered_by, approval, delivered_ms IS NOT NULL, result FROM ops WHERE op_id = ?";
static const char sql_pending[] =
    "SELECT o.op_id, o.sn, o.target, o.op, o.token_hash, o.request, o.created_ms,"
    " o.expires_ms, o.state, o.answered_by, o.approval, o.delivered_ms IS NOT NULL,"
    " o.result FROM op_audience a JOIN ops o ON o.op_id = a.op_id"
    " JOIN bindings b ON b.sn = o.sn AND b.uid = a.uid"
    " WHERE a.uid = ?1 AND a.expires_ms > ?2 AND o.state = 0"
    " ORDER BY o.created_ms LIMIT ?3";

/* Reads one row of sql_op_cols / sql_pending. */
static ward_err read_op(sqlite3_stmt *st, wardd_op *op)
{
    memset(op, 0, sizeof *op);
    size_t n = 0;
    ward_err err = copy_blob(st, 0, op->op_id, WARDD_OP_ID_LEN);
    if (err != WARD_OK) {
        return err;
    }
    copy_text(st, 1, op->sn, sizeof op->sn);
    copy_text(st, 2, op->target, sizeof op->target);
    op->op = (uint8_t)sqlite3_column_int(st, 3);
    err = copy_blob(st, 4, op->token_hash, WARD_SHA256_LEN);
    if (err == WARD_OK) {
        err = copy_var(st, 5, op->request, sizeof op->request, &op->request_len);
    }
    op->created_ms = sqlite3_column_int64(st, 6);
    op->expires_ms = sqlite3_column_int64(st, 7);
    op->state = sqlite3_column_int(st, 8);
    copy_text(st, 9, op->answered_by, sizeof op->answered_by);
    if (err == WARD_OK) {
        err = copy_var(st, 10, op->approval, sizeof op->approval, &op->approval_len);
    }
    op->delivered = sqlite3_column_int(st, 11) != 0;
    if (err == WARD_OK) {
        err = copy_var(st, 12, op->result, sizeof op->result, &n);
        op->result_len = n;
    }
    return err;
}

static ward_err sq_op_create(void *h, const wardd_op *op, size_t *audience)
{
    sq *s = h;
    *audience = 0;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s,
        "INSERT INTO ops (op_id, sn, target, op, token_hash, request, created_ms,"
        " expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        SQ_BLOB(op->op_id, WARDD_OP_ID_LEN), SQ_TEXT(op->sn), SQ_TEXT(op->target),
        SQ_INT(op->op), SQ_BLOB(op->token_hash, WARD_SHA256_LEN),
        SQ_BLOB(op->request, op->request_len), SQ_INT(op->created_ms), SQ_INT(op->expires_ms));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err != WARD_OK) {
        return end(s, err);
    }
    /* The audience: bound clients (PK lookups on bindings (sn, uid)). */
    st = PREP(s,
        "INSERT INTO op_audience (op_id, uid, expires_ms)"
        " SELECT ?1, uid, ?2 FROM bindings WHERE sn = ?3 AND (?4 = '' OR uid = ?4)",
        SQ_BLOB(op->op_id, WARDD_OP_ID_LEN), SQ_INT(op->expires_ms), SQ_TEXT(op->sn),
        SQ_TEXT(op->target));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err != WARD_OK) {
        return end(s, WARD_ERR_IO);
    }
    *audience = (size_t)sqlite3_changes(s->db);
    if (*audience == 0) {
        return end(s, op->target[0] ? WARD_ERR_NOTFOUND : WARD_ERR_STATE);
    }
    char hex[2 * WARDD_OP_ID_LEN + 1];
    op_id_hex(op->op_id, hex);
    err = audit_add(s, op->sn, op->created_ms, "op_created", op->target, op->op, hex);
    return end(s, err);
}

static ward_err sq_op_get(void *h, const uint8_t op_id[WARDD_OP_ID_LEN], wardd_op *op)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s, sql_op_cols, SQ_BLOB(op_id, WARDD_OP_ID_LEN));
    if (st != NULL) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            err = read_op(st, op);
            op->delivered = op->delivered || delivery_waiting(s, op_id);
        } else if (rc == SQLITE_DONE) {
            err = WARD_ERR_NOTFOUND;
        }
        release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* Reads state, expiry, sn, op and who answered, inside a transaction. */
static ward_err op_head(sq *s, const uint8_t op_id[WARDD_OP_ID_LEN], int *state,
                        int64_t *expires_ms, char sn[WARD_SN_MAX + 1], int *op,
                        char first[WARD_UID_MAX + 1], bool *delivered)
{
    sqlite3_stmt *st = PREP(s,
        "SELECT state, expires_ms, sn, op, answered_by, delivered_ms IS NOT NULL"
        " FROM ops WHERE op_id = ?", SQ_BLOB(op_id, WARDD_OP_ID_LEN));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    ward_err err = rc == SQLITE_DONE ? WARD_ERR_NOTFOUND : WARD_ERR_IO;
    if (rc == SQLITE_ROW) {
        *state = sqlite3_column_int(st, 0);
        *expires_ms = sqlite3_column_int64(st, 1);
        copy_text(st, 2, sn, WARD_SN_MAX + 1);
        *op = sqlite3_column_int(st, 3);
        copy_text(st, 4, first, WARD_UID_MAX + 1);
        *delivered = sqlite3_column_int(st, 5) != 0;
        err = WARD_OK;
    }
    release(s, st);
    return err;
}

/* Whether (keyid, nonce) was spent, read inside the caller's transaction. */
static ward_err nonce_seen(sq *s, const char *keyid, const char *nonce)
{
    sqlite3_stmt *st = PREP(s, "SELECT 1 FROM nonces WHERE keyid = ? AND nonce = ?",
                            SQ_TEXT(keyid), SQ_TEXT(nonce));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    release(s, st);
    return rc == SQLITE_ROW ? WARD_ERR_AUTH : rc == SQLITE_DONE ? WARD_OK : WARD_ERR_IO;
}

/* Whether the op's winning answer spent this nonce (its Signature-Input,
 * stored with it, names the nonce): then this request is its replay. */
static ward_err winner_nonce(sq *s, const wardd_answer_rec *a, bool *same)
{
    sqlite3_stmt *st = PREP(s,
        "SELECT 1 FROM ops WHERE op_id = ? AND answered_by = ?"
        " AND instr(answer_sig_input, 'nonce=\"' || ? || '\"') > 0",
        SQ_BLOB(a->op_id, WARDD_OP_ID_LEN), SQ_TEXT(a->uid), SQ_TEXT(a->nonce));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    release(s, st);
    *same = rc == SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? WARD_OK : WARD_ERR_IO;
}

/* The winning answer does not write its nonce: the op leaves pending and
 * keeps the request's Signature-Input, which names the nonce, so a replay
 * is recognised by that (WARD_ERR_AUTH) and can never answer again. Two
 * pages fewer in the hottest commit; every other answer spends its nonce
 * as before. */
static ward_err sq_op_answer(void *h, const wardd_answer_rec *a,
                             char first[WARD_UID_MAX + 1])
{
    sq *s = h;
    first[0] = '\0';
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    if (a->nonce != NULL) {
        err = nonce_seen(s, a->keyid, a->nonce);
        if (err != WARD_OK) {
            return end(s, err);
        }
    }
    int state = 0, op = 0;
    int64_t expires = 0;
    char sn[WARD_SN_MAX + 1];
    bool delivered = false;
    err = op_head(s, a->op_id, &state, &expires, sn, &op, first, &delivered);
    if (err != WARD_OK) {
        return end(s, err);
    }
    /* Checked here, not before the call: a revocation committed between
     * the two could otherwise still let the revoked client's answer win. */
    uint8_t role = 0;
    err = binding_role(s, sn, a->uid, &role);
    if (err != WARD_OK) {
        first[0] = '\0';
        return end(s, err == WARD_ERR_NOTFOUND ? WARD_ERR_PARAM : err);
    }
    char hex[2 * WARDD_OP_ID_LEN + 1];
    op_id_hex(a->op_id, hex);
    if (state != WARDD_OP_PENDING) {
        if (a->nonce != NULL) {
            bool replay = false;
            err = winner_nonce(s, a, &replay);
            if (err == WARD_OK) {
                err = replay ? WARD_ERR_AUTH
                             : nonce_add(s, a->keyid, a->nonce, a->nonce_expires_ms);
            }
        }
        if (err != WARD_OK) {
            return end(s, err);
        }
        /* Late: keep the audit row, change nothing else. */
        err = end(s, audit_add(s, sn, a->now_ms, "op_late", a->uid, op, hex));
        return err == WARD_OK ? WARD_ERR_STATE : err;
    }
    first[0] = '\0';
    if (a->now_ms >= expires) {
        return end(s, WARD_ERR_EXPIRED);
    }
    sqlite3_stmt *st = PREP(s,
        "UPDATE ops SET state = 1, answered_by = ?, approval = ?, answer_sig_input = ?,"
        " answer_sig = ?, answered_ms = ? WHERE op_id = ? AND state = 0",
        SQ_TEXT(a->uid), SQ_BLOB(a->approval, a->approval_len), SQ_TEXT(a->sig_input),
        SQ_TEXT(a->sig), SQ_INT(a->now_ms), SQ_BLOB(a->op_id, WARDD_OP_ID_LEN));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err != WARD_OK || sqlite3_changes(s->db) != 1) {
        return end(s, WARD_ERR_IO);
    }
    /* The audience rows stay (purge drops them with the op): the pending
     * list skips answered ops by state, and deleting them would double
     * the pages this hot commit writes. */
    err = audit_add(s, sn, a->now_ms, "op_answered", a->uid, op, hex);
    return end(s, err == WARD_OK ? WARD_OK : WARD_ERR_IO);
}

/* Writes the waiting deliveries (delivered_ms and the op_delivered audit
 * row) inside the caller's transaction. Writing one twice changes
 * nothing, so a rolled-back transaction's are simply written again. */
static ward_err deliveries_apply(sq *s)
{
    for (size_t i = 0; i < s->ndeliveries; i++) {
        const uint8_t *op_id = s->deliveries[i].op_id;
        int64_t at = s->deliveries[i].at_ms;
        sqlite3_stmt *st = PREP(s,
            "UPDATE ops SET delivered_ms = ? WHERE op_id = ? AND state != 0"
            " AND delivered_ms IS NULL RETURNING sn, op, answered_by",
            SQ_INT(at), SQ_BLOB(op_id, WARDD_OP_ID_LEN));
        if (st == NULL) {
            return WARD_ERR_IO;
        }
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
            release(s, st);
            continue;       /* written before, or the op was purged */
        }
        if (rc != SQLITE_ROW) {
            release(s, st);
            return WARD_ERR_IO;
        }
        char sn[WARD_SN_MAX + 1], first[WARD_UID_MAX + 1], hex[2 * WARDD_OP_ID_LEN + 1];
        copy_text(st, 0, sn, sizeof sn);
        int op = sqlite3_column_int(st, 1);
        copy_text(st, 2, first, sizeof first);
        rc = sqlite3_step(st);      /* one row: op_id is the key */
        release(s, st);
        if (rc != SQLITE_DONE) {
            return WARD_ERR_IO;
        }
        op_id_hex(op_id, hex);
        if (audit_add(s, sn, at, "op_delivered", first, op, hex) != WARD_OK) {
            return WARD_ERR_IO;
        }
    }
    return WARD_OK;
}

/* Writes the waiting deliveries in a transaction of their own. Called
 * with s->mu held. */
static ward_err deliveries_flush(sq *s)
{
    if (s->ndeliveries == 0) {
        return WARD_OK;
    }
    ward_err err = begin_locked(s);
    return err == WARD_OK ? finish(s, WARD_OK) : err;
}

/* The lock's fetch is the hottest read of a relay: rather than a commit
 * of its own, the delivery waits in memory for the next transaction of
 * any entry (or the checkpointer's tick, within a second). A crash can
 * lose the last second of delivery marks, never an answer. Nothing is
 * read here: op is the fetch's own op_get, and an answer is never taken
 * back (the deferred UPDATE checks the state and the mark again). */
static ward_err sq_op_deliver(void *h, const wardd_op *op, int64_t now_ms)
{
    sq *s = h;
    if (op->state == WARDD_OP_PENDING) {
        return WARD_ERR_STATE;
    }
    if (op->delivered) {
        return WARD_OK;
    }
    ward_err err = WARD_OK;
    pthread_mutex_lock(&s->mu);
    if (!delivery_waiting(s, op->op_id)) {
        if (s->ndeliveries == SQ_DELIVERIES_MAX) {
            err = deliveries_flush(s);
        }
        if (err == WARD_OK) {
            memcpy(s->deliveries[s->ndeliveries].op_id, op->op_id, WARDD_OP_ID_LEN);
            s->deliveries[s->ndeliveries].at_ms = now_ms;
            s->ndeliveries++;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_op_result(void *h, const uint8_t op_id[WARDD_OP_ID_LEN],
                             const uint8_t *msg, size_t len, int64_t now_ms)
{
    sq *s = h;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    int state = 0, op = 0;
    int64_t expires = 0;
    char sn[WARD_SN_MAX + 1], first[WARD_UID_MAX + 1];
    bool delivered = false;
    err = op_head(s, op_id, &state, &expires, sn, &op, first, &delivered);
    if (err != WARD_OK) {
        return end(s, err);
    }
    if (state != WARDD_OP_ANSWERED) {
        return end(s, WARD_ERR_STATE);
    }
    sqlite3_stmt *st = PREP(s,
        "UPDATE ops SET state = 2, result = ?, result_ms = ? WHERE op_id = ? AND state = 1",
        SQ_BLOB(msg, len), SQ_INT(now_ms), SQ_BLOB(op_id, WARDD_OP_ID_LEN));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err == WARD_OK) {
        char hex[2 * WARDD_OP_ID_LEN + 1];
        op_id_hex(op_id, hex);
        err = audit_add(s, sn, now_ms, "op_result", first, op, hex);
    }
    return end(s, err == WARD_OK ? WARD_OK : WARD_ERR_IO);
}

static ward_err sq_ops_pending(void *h, const char *uid, int64_t now_ms, wardd_op_fn fn,
                               void *ctx)
{
    sq *s = h;
    wardd_op *op = malloc(sizeof *op);
    if (op == NULL) {
        return WARD_ERR_NOSPACE;
    }
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s, sql_pending,
                            SQ_TEXT(uid), SQ_INT(now_ms), SQ_INT(WARDD_OPS_PENDING_MAX));
    if (st != NULL) {
        int rc;
        err = WARD_OK;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            err = read_op(st, op);
            if (err != WARD_OK || fn(ctx, op) != 0) {
                break;
            }
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            err = WARD_ERR_IO;
        }
        release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    free(op);
    return err;
}

static ward_err sq_revoke(void *h, const wardd_revoke_rec *r, int64_t *inbox_id)
{
    sq *s = h;
    *inbox_id = 0;
    ward_err err = begin_durable(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s, "DELETE FROM bindings WHERE sn = ? AND uid = ?",
                            SQ_TEXT(r->sn), SQ_TEXT(r->target));
    if (st == NULL) {
        return end_durable(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err != WARD_OK) {
        return end_durable(s, WARD_ERR_IO);
    }
    if (sqlite3_changes(s->db) != 1) {
        return end_durable(s, WARD_ERR_NOTFOUND);
    }
    st = PREP(s, "DELETE FROM escrows WHERE uid = ? AND sn = ?",
              SQ_TEXT(r->target), SQ_TEXT(r->sn));
    if (st == NULL) {
        return end_durable(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err != WARD_OK) {
        return end_durable(s, WARD_ERR_IO);
    }
    st = PREP(s, "INSERT INTO inbox (sn, msg, created_ms) VALUES (?, ?, ?)",
              SQ_TEXT(r->sn), SQ_BLOB(r->msg, r->msg_len), SQ_INT(r->now_ms));
    if (st == NULL) {
        return end_durable(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err != WARD_OK) {
        return end_durable(s, WARD_ERR_IO);
    }
    *inbox_id = sqlite3_last_insert_rowid(s->db);
    char detail[WARD_UID_MAX + 16];
    snprintf(detail, sizeof detail, "target=%s", r->target);
    err = audit_add(s, r->sn, r->now_ms, "revoke", r->revoker, 0, detail);
    if (err != WARD_OK) {
        *inbox_id = 0;
    }
    return end_durable(s, err == WARD_OK ? WARD_OK : WARD_ERR_IO);
}

static ward_err sq_inbox_list(void *h, const char *sn, wardd_inbox_fn fn, void *ctx)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s, "SELECT id, msg FROM inbox WHERE sn = ? ORDER BY id LIMIT 64",
                            SQ_TEXT(sn));
    if (st != NULL) {
        wardd_inbox_rec rec;
        int rc;
        err = WARD_OK;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            memset(&rec, 0, sizeof rec);
            rec.id = sqlite3_column_int64(st, 0);
            err = copy_var(st, 1, rec.msg, sizeof rec.msg, &rec.msg_len);
            if (err != WARD_OK || fn(ctx, &rec) != 0) {
                break;
            }
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            err = WARD_ERR_IO;
        }
        release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_inbox_ack(void *h, const char *sn, const int64_t *ids, size_t n,
                             size_t *acked)
{
    sq *s = h;
    *acked = 0;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    size_t count = 0;
    for (size_t i = 0; i < n && err == WARD_OK; i++) {
        /* Only this lock's messages: another lock's ids change nothing. */
        sqlite3_stmt *st = PREP(s, "DELETE FROM inbox WHERE id = ? AND sn = ?",
                                SQ_INT(ids[i]), SQ_TEXT(sn));
        if (st == NULL) {
            err = WARD_ERR_IO;
            break;
        }
        err = step_done(s, st);
        if (err == WARD_OK) {
            count += (size_t)sqlite3_changes(s->db);
        }
    }
    err = end(s, err);
    if (err == WARD_OK) {
        *acked = count;
    }
    return err;
}

static ward_err sq_clients_list(void *h, const char *sn, wardd_client_fn fn, void *ctx)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s,
        "SELECT uid, role, tid, bound_ms FROM bindings WHERE sn = ? ORDER BY bound_ms, uid",
        SQ_TEXT(sn));
    if (st != NULL) {
        wardd_client_rec rec;
        int rc;
        err = WARD_OK;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            memset(&rec, 0, sizeof rec);
            copy_text(st, 0, rec.uid, sizeof rec.uid);
            rec.role = (uint8_t)sqlite3_column_int(st, 1);
            err = copy_blob(st, 2, rec.tid, WARD_TASK_ID_LEN);
            rec.bound_ms = sqlite3_column_int64(st, 3);
            if (err != WARD_OK || fn(ctx, &rec) != 0) {
                break;
            }
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            err = WARD_ERR_IO;
        }
        release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_audit_list(void *h, const char *sn, size_t limit, wardd_audit_fn fn,
                              void *ctx)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    /* The audit shows every delivery so far. */
    ward_err err = deliveries_flush(s);
    if (err != WARD_OK) {
        pthread_mutex_unlock(&s->mu);
        return err;
    }
    err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s,
        "SELECT id, ts_ms, event, uid, op, detail FROM audit WHERE sn = ?"
        " ORDER BY id DESC LIMIT ?", SQ_TEXT(sn), SQ_INT((sqlite3_int64)limit));
    if (st != NULL) {
        wardd_audit_rec rec;
        int rc;
        err = WARD_OK;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            memset(&rec, 0, sizeof rec);
            rec.id = sqlite3_column_int64(st, 0);
            rec.ts_ms = sqlite3_column_int64(st, 1);
            copy_text(st, 2, rec.event, sizeof rec.event);
            copy_text(st, 3, rec.uid, sizeof rec.uid);
            rec.op = sqlite3_column_int(st, 4);
            copy_text(st, 5, rec.detail, sizeof rec.detail);
            if (fn(ctx, &rec) != 0) {
                break;
            }
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            err = WARD_ERR_IO;
        }
        release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* ---- flow D: device attachments and relayed messages ---- */

static ward_err read_attach(sqlite3_stmt *st, wardd_attach *a)
{
    memset(a, 0, sizeof *a);
    ward_err err = copy_blob(st, 0, a->cloud_id, WARDD_CLOUD_ID_LEN);
    copy_text(st, 1, a->device, sizeof a->device);
    copy_text(st, 2, a->uid, sizeof a->uid);
    copy_text(st, 3, a->app, sizeof a->app);
    a->attached_ms = sqlite3_column_int64(st, 4);
    return err;
}

static ward_err sq_dev_attach(void *h, const wardd_attach *a, wardd_attach *out,
                              int *created)
{
    sq *s = h;
    *created = 0;
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s,
        "SELECT cloud_id, device, uid, app, attached_ms FROM dev_attach"
        " WHERE device = ? AND uid = ? AND app = ?",
        SQ_TEXT(a->device), SQ_TEXT(a->uid), SQ_TEXT(a->app));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        err = read_attach(st, out);
        release(s, st);
        return end(s, err);
    }
    release(s, st);
    if (rc != SQLITE_DONE) {
        return end(s, WARD_ERR_IO);
    }
    st = PREP(s, "SELECT count(*) FROM dev_attach WHERE device = ?", SQ_TEXT(a->device));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    rc = sqlite3_step(st);
    long long n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    release(s, st);
    if (n < 0) {
        return end(s, WARD_ERR_IO);
    }
    if (n >= WARDD_DEV_ATTACH_MAX) {
        return end(s, WARD_ERR_BUSY);
    }
    st = PREP(s,
        "INSERT INTO dev_attach (cloud_id, device, uid, app, attached_ms)"
        " VALUES (?, ?, ?, ?, ?)",
        SQ_BLOB(a->cloud_id, WARDD_CLOUD_ID_LEN), SQ_TEXT(a->device), SQ_TEXT(a->uid),
        SQ_TEXT(a->app), SQ_INT(a->attached_ms));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err == WARD_OK) {
        *out = *a;
        *created = 1;
    }
    return end(s, err);
}

static ward_err sq_dev_attach_get(void *h, const uint8_t cloud_id[WARDD_CLOUD_ID_LEN],
                                  wardd_attach *out)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s,
        "SELECT cloud_id, device, uid, app, attached_ms FROM dev_attach WHERE cloud_id = ?",
        SQ_BLOB(cloud_id, WARDD_CLOUD_ID_LEN));
    if (st != NULL) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            err = read_attach(st, out);
        } else if (rc == SQLITE_DONE) {
            err = WARD_ERR_NOTFOUND;
        }
        release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_dev_attach_list(void *h, const char *uid, wardd_attach_fn fn, void *ctx)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s,
        "SELECT cloud_id, device, uid, app, attached_ms FROM dev_attach WHERE uid = ?"
        " ORDER BY attached_ms, device, app", SQ_TEXT(uid));
    if (st != NULL) {
        wardd_attach rec;
        int rc;
        err = WARD_OK;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            err = read_attach(st, &rec);
            if (err != WARD_OK || fn(ctx, &rec) != 0) {
                break;
            }
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            err = WARD_ERR_IO;
        }
        release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_dev_msg_put(void *h, const uint8_t cloud_id[WARDD_CLOUD_ID_LEN], int way,
                               const uint8_t *msg, size_t len, int64_t now_ms,
                               int64_t expires_ms, int64_t *id)
{
    sq *s = h;
    *id = 0;
    if (len == 0 || len > WARD_MSG_MAX) {
        return WARD_ERR_PARAM;
    }
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s, "SELECT device FROM dev_attach WHERE cloud_id = ?",
                            SQ_BLOB(cloud_id, WARDD_CLOUD_ID_LEN));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    char device[WARD_SN_MAX + 1];
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_text(st, 0, device, sizeof device);
    }
    release(s, st);
    if (rc != SQLITE_ROW) {
        return end(s, rc == SQLITE_DONE ? WARD_ERR_NOTFOUND : WARD_ERR_IO);
    }
    st = PREP(s,
        "SELECT count(*) FROM dev_msgs WHERE cloud_id = ? AND way = ? AND expires_ms > ?",
        SQ_BLOB(cloud_id, WARDD_CLOUD_ID_LEN), SQ_INT(way), SQ_INT(now_ms));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    rc = sqlite3_step(st);
    long long n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    release(s, st);
    if (n < 0) {
        return end(s, WARD_ERR_IO);
    }
    if (n >= WARDD_DEV_QUEUE_MAX) {
        return end(s, WARD_ERR_BUSY);
    }
    st = PREP(s,
        "INSERT INTO dev_msgs (cloud_id, device, way, msg, created_ms, expires_ms)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        SQ_BLOB(cloud_id, WARDD_CLOUD_ID_LEN), SQ_TEXT(device), SQ_INT(way), SQ_BLOB(msg, len),
        SQ_INT(now_ms), SQ_INT(expires_ms));
    if (st == NULL) {
        return end(s, WARD_ERR_IO);
    }
    err = step_done(s, st);
    if (err == WARD_OK) {
        *id = sqlite3_last_insert_rowid(s->db);
    }
    return end(s, err);
}

static ward_err sq_dev_msg_take(void *h, const char *device, const uint8_t *cloud_id,
                                int way, int64_t after, int64_t now_ms,
                                wardd_dev_msg_fn fn, void *ctx)
{
    sq *s = h;
    /* One statement pair per scope, so each reads through its index. */
    static const char del_dev[] =
        "DELETE FROM dev_msgs WHERE device = ?1 AND way = ?2 AND (id <= ?3 OR expires_ms <= ?4)";
    static const char del_cloud[] =
        "DELETE FROM dev_msgs WHERE cloud_id = ?1 AND way = ?2 AND (id <= ?3 OR expires_ms <= ?4)";
    static const char sel_dev[] =
        "SELECT id, cloud_id, msg, created_ms FROM dev_msgs"
        " WHERE device = ?1 AND way = ?2 AND id > ?3 AND expires_ms > ?4 ORDER BY id LIMIT ?5";
    static const char sel_cloud[] =
        "SELECT id, cloud_id, msg, created_ms FROM dev_msgs"
        " WHERE cloud_id = ?1 AND way = ?2 AND id > ?3 AND expires_ms > ?4 ORDER BY id LIMIT ?5";
    if ((device == NULL) == (cloud_id == NULL)) {
        return WARD_ERR_PARAM;
    }
    ward_err err = begin(s);
    if (err != WARD_OK) {
        return err;
    }
    for (int pass = 0; pass < 2 && err == WARD_OK; pass++) {
        const char *sql = pass == 0 ? (device ? del_dev : del_cloud)
                                    : (device ? sel_dev : sel_cloud);
        sqlite3_stmt *st = prep(s, sql);
        if (st == NULL) {
            err = WARD_ERR_IO;
            break;
        }
        if (device != NULL) {
            sqlite3_bind_text(st, 1, device, -1, SQLITE_TRANSIENT);
        } else {
            sqlite3_bind_blob(st, 1, cloud_id, WARDD_CLOUD_ID_LEN, SQLITE_TRANSIENT);
        }
        sqlite3_bind_int(st, 2, way);
        sqlite3_bind_int64(st, 3, after);
        sqlite3_bind_int64(st, 4, now_ms);
        if (pass == 0) {
            err = step_done(s, st);
            continue;
        }
        sqlite3_bind_int64(st, 5, WARDD_DEV_TAKE_MAX);
        wardd_dev_msg *m = malloc(sizeof *m);
        if (m == NULL) {
            release(s, st);
            err = WARD_ERR_NOSPACE;
            break;
        }
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            memset(m, 0, sizeof *m);
            m->id = sqlite3_column_int64(st, 0);
            err = copy_blob(st, 1, m->cloud_id, WARDD_CLOUD_ID_LEN);
            if (err == WARD_OK) {
                err = copy_var(st, 2, m->msg, sizeof m->msg, &m->msg_len);
            }
            m->created_ms = sqlite3_column_int64(st, 3);
            if (err != WARD_OK || fn(ctx, m) != 0) {
                break;
            }
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            err = WARD_ERR_IO;
        }
        free(m);
        release(s, st);
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
        release(s, st);
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
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        sq_close(s);
        return WARD_ERR_IO;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    /* WAL lets readers of other processes (backups, the tests) run beside
     * the writer. synchronous NORMAL: a commit is durable against a crash
     * of wardd, not against a power cut of its machine, which may lose the
     * last commits. For ops, nonces and rate events that is safe: a lost
     * answer is a lock that sees no answer (it times out), a lost op is a
     * request the lock repeats. Bindings and revocations (confirm,
     * revoke) switch to FULL for their own commit, so an acknowledged one
     * survives a power cut. */
    ward_err err = exec(s, "PRAGMA journal_mode = WAL");
    if (err == WARD_OK) {
        err = exec(s, "PRAGMA synchronous = NORMAL");
    }
    if (err == WARD_OK) {
        err = exec(s, "PRAGMA foreign_keys = ON");
    }

    if (err == WARD_OK) {
        err = migrate(s);
    }
    if (err == WARD_OK) {
        err = checkpointer_start(s);
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
    out->op_create = sq_op_create;
    out->op_get = sq_op_get;
    out->op_answer = sq_op_answer;
    out->op_deliver = sq_op_deliver;
    out->op_result = sq_op_result;
    out->ops_pending = sq_ops_pending;
    out->revoke = sq_revoke;
    out->inbox_list = sq_inbox_list;
    out->inbox_ack = sq_inbox_ack;
    out->clients_list = sq_clients_list;
    out->audit_list = sq_audit_list;
    out->dev_attach = sq_dev_attach;
    out->dev_attach_get = sq_dev_attach_get;
    out->dev_attach_list = sq_dev_attach_list;
    out->dev_msg_put = sq_dev_msg_put;
    out->dev_msg_take = sq_dev_msg_take;
    return WARD_OK;
}
