/* wardd's store on SQLite: the connection, its statement cache and
 * transactions, the checkpointer, open and close. The entries live in
 * store_sqlite_bind.c (flow A), store_sqlite_ops.c (flow B) and
 * store_sqlite_dev.c (flow D); the schema in store_sqlite_schema.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_sqlite.h"

/* WAL pages after which the checkpointer copies the WAL back (16 MB):
 * the longer the WAL, the more of its frames are the same hot pages,
 * copied once (1000 pages cost 12 % more per relay). */
#define SQ_CHECKPOINT_PAGES 4000

/* SQLite's text of the calling thread's last failure (each request runs
 * on a thread of its own, so no other request overwrites it). */
static __thread char sq_why[256];

/* The first failure since the entry began is the cause; what fails after
 * it (the rollback of a failed commit) is not. */
void sq_note(sq *s)
{
    if (sq_why[0] != '\0') {
        return;
    }
    snprintf(sq_why, sizeof sq_why, "%s", s->db ? sqlite3_errmsg(s->db) : "out of memory");
}

const char *wardd_store_why(void)
{
    return sq_why[0] != '\0' ? sq_why : "no detail";
}

ward_err sq_exec(sq *s, const char *sql)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        sq_note(s);
        return WARD_ERR_IO;
    }
    return WARD_OK;
}

/* The cached statement for sql (prepared on first use); give it back
 * with sq_release(). Called with s->mu held. */
sqlite3_stmt *sq_prep(sq *s, const char *sql)
{
    for (size_t i = 0; i < s->ncache; i++) {
        if (s->cache[i].sql == sql) {
            return s->cache[i].st;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
        SQLITE_OK) {
        sq_note(s);
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
void sq_release(sq *s, sqlite3_stmt *st)
{
    if (st == NULL) {
        return;
    }
    /* Both answer the error of the statement's last step, if it failed:
     * noted here, the one place every statement passes. */
    for (size_t i = 0; i < s->ncache; i++) {
        if (s->cache[i].st == st) {
            if (sqlite3_reset(st) != SQLITE_OK) {
                sq_note(s);
            }
            sqlite3_clear_bindings(st);
            return;
        }
    }
    if (sqlite3_finalize(st) != SQLITE_OK) {
        sq_note(s);
    }
}

sqlite3_stmt *sq_prep_args(sq *s, const char *sql, const sq_arg *args, size_t n)
{
    sqlite3_stmt *st = sq_prep(s, sql);
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
            sq_release(s, st);
            st = NULL;
        }
    }
    return st;
}

/* Runs one cached statement that returns no row (BEGIN, COMMIT...). */
ward_err sq_run(sq *s, const char *sql)
{
    sqlite3_stmt *st = sq_prep(s, sql);
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    sq_release(s, st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? WARD_OK : WARD_ERR_IO;
}

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_begin_read[] = "BEGIN";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_sync_full[] = "PRAGMA synchronous = FULL";
static const char sql_sync_normal[] = "PRAGMA synchronous = NORMAL";

/* BEGIN, then the delivery marks waiting for a transaction.
 * Called with s->mu held; on failure nothing is left open. */
ward_err sq_begin_locked(sq *s)
{
    sq_why[0] = '\0';
    ward_err err = sq_run(s, sql_begin);
    if (err == WARD_OK) {
        err = sq_deferred_apply(s);
        if (err != WARD_OK) {
            sq_run(s, sql_rollback);
        }
    }
    return err;
}

ward_err sq_begin(sq *s)
{
    pthread_mutex_lock(&s->mu);
    ward_err err = sq_begin_locked(s);
    if (err != WARD_OK) {
        pthread_mutex_unlock(&s->mu);
    }
    return err;
}

/* A transaction whose commit must survive a power cut (bindings,
 * revocations): FULL fsyncs the WAL at its commit. Everything else runs
 * at NORMAL (see wardd_store_sqlite_open). */
ward_err sq_begin_durable(sq *s)
{
    pthread_mutex_lock(&s->mu);
    ward_err err = sq_run(s, sql_sync_full);
    if (err == WARD_OK) {
        err = sq_begin_locked(s);
    }
    if (err != WARD_OK) {
        sq_run(s, sql_sync_normal);
        pthread_mutex_unlock(&s->mu);
    }
    return err;
}

/* Commits on WARD_OK, rolls back otherwise; answers err (or the commit's
 * failure) and releases the connection. */
ward_err sq_finish(sq *s, ward_err err)
{
    if (err == WARD_OK) {
        if (sq_run(s, sql_commit) != WARD_OK) {
            err = WARD_ERR_IO;
            sq_run(s, sql_rollback);
        } else {
            s->ndeliveries = 0;     /* written by this commit */
        }
    } else {
        sq_run(s, sql_rollback);
    }
    return err;
}

ward_err sq_end(sq *s, ward_err err)
{
    err = sq_finish(s, err);
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* sq_end() of a sq_begin_durable() transaction. */
ward_err sq_end_durable(sq *s, ward_err err)
{
    err = sq_finish(s, err);
    sq_run(s, sql_sync_normal);
    pthread_mutex_unlock(&s->mu);
    return err;
}

ward_err sq_read_begin(sq *s)
{
    sq_why[0] = '\0';
    return sq_run(s, sql_begin_read);
}

void sq_read_end(sq *s)
{
    sq_run(s, sql_commit);
}

/* Runs a statement that returns no row, mapping constraint failures. */
ward_err sq_step_done(sq *s, sqlite3_stmt *st)
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
    sq_release(s, st);
    return err;
}

/* Reads the one number a SELECT count(*) (or any one-value query) gives. */
ward_err sq_count(sq *s, sqlite3_stmt *st, int64_t *n)
{
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_int64(st, 0);
    }
    sq_release(s, st);
    return rc == SQLITE_ROW ? WARD_OK : WARD_ERR_IO;
}

ward_err sq_rows(sq *s, sqlite3_stmt *st, sq_row_fn row, void *ctx)
{
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    ward_err err = WARD_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sq_row_step next = row(st, ctx);
        if (next != SQ_ROW_NEXT) {
            err = next == SQ_ROW_BAD ? WARD_ERR_IO : WARD_OK;
            break;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        err = WARD_ERR_IO;
    }
    sq_release(s, st);
    return err;
}

void sq_copy_text(sqlite3_stmt *st, int col, char *out, size_t cap)
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
ward_err sq_copy_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t len)
{
    const void *b = sqlite3_column_blob(st, col);
    if (b == NULL || (size_t)sqlite3_column_bytes(st, col) != len) {
        return WARD_ERR_IO;
    }
    memcpy(out, b, len);
    return WARD_OK;
}

/* Appends an audit row inside the caller's transaction. */
ward_err sq_audit_add(sq *s, const char *sn, int64_t ts_ms, const char *event,
                      const char *uid, int op, const char *detail)
{
    sqlite3_stmt *st = PREP(s,
        "INSERT INTO audit (sn, ts_ms, event, uid, op, detail) VALUES (?, ?, ?, ?, ?, ?)",
        SQ_TEXT(sn), SQ_INT(ts_ms), SQ_TEXT(event), SQ_TEXT(uid ? uid : ""), SQ_INT(op),
        SQ_TEXT(detail ? detail : ""));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    return sq_step_done(s, st);
}

/* Copies a blob column of 0..cap bytes (NULL reads as empty). */
ward_err sq_copy_var(sqlite3_stmt *st, int col, uint8_t *out, size_t cap,
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
        /* Held delivery marks wait at most this tick when nothing
         * else commits; a failure leaves them waiting for the next. */
        pthread_mutex_lock(&ck->owner->mu);
        sq_deferred_flush(ck->owner);
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
        sq_deferred_flush(s);
    }
    for (size_t i = 0; i < s->ncache; i++) {
        sqlite3_finalize(s->cache[i].st);
    }
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static const char sql_ready_read[] = "SELECT count(*) FROM sqlite_master";
static const char sql_ready_add[] = "INSERT INTO rate_events (key, at_ms) VALUES ('ready', ?)";
static const char sql_ready_drop[] = "DELETE FROM rate_events WHERE key = 'ready'";

/* /v1/ready's probe: the write lock, a read, a write undone in the same
 * transaction and the commit, which puts the touched pages in the WAL:
 * a database made read-only, a WAL that cannot grow or a lock another
 * process holds all fail it. */
static ward_err sq_ready(void *h)
{
    sq *s = h;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    int64_t n = 0;
    err = sq_count(s, sq_prep(s, sql_ready_read), &n);
    if (err == WARD_OK) {
        sqlite3_stmt *st = PREP(s, sql_ready_add, SQ_INT(0));
        err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
    }
    if (err == WARD_OK) {
        sqlite3_stmt *st = sq_prep(s, sql_ready_drop);
        err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
    }
    return sq_end(s, err);
}

ward_err wardd_store_sqlite_open(const char *path, wardd_store *out)
{
    sq *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return WARD_ERR_NOSPACE;
    }
    pthread_mutex_init(&s->mu, NULL);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    sq_why[0] = '\0';
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        sq_note(s);
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
    ward_err err = sq_exec(s, "PRAGMA journal_mode = WAL");
    if (err == WARD_OK) {
        err = sq_exec(s, "PRAGMA synchronous = NORMAL");
    }
    if (err == WARD_OK) {
        err = sq_exec(s, "PRAGMA foreign_keys = ON");
    }

    if (err == WARD_OK) {
        err = sq_migrate(s);
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
    out->ready = sq_ready;
    sq_fill_bind(out);
    sq_fill_ops(out);
    sq_fill_dev(out);
    sq_fill_gw(out);
    sq_fill_users(out);
    sq_fill_fw(out);
    return WARD_OK;
}
