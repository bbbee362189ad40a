/*
 * store_sqlite.h - what the files of wardd's SQLite store share: the
 * connection, its statement cache and transactions. Not for the rest of
 * wardd, which sees only the vtable of store.h.
 */
#ifndef WARDD_STORE_SQLITE_H
#define WARDD_STORE_SQLITE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* Statements are prepared once per connection and reused: parsing SQL
 * costs more than running these one-row statements. Keyed by the SQL
 * text's address (every caller passes a string literal). */
#define SQ_CACHE 96

/* Deliveries held for the next transaction (see sq_op_deliver). */
#define SQ_DELIVERIES_MAX 256

/* Public keys of locks and users kept once read (see sq_key_find). */
#define SQ_KEYS 1024

typedef struct sq_key {
    char id[WARD_HTTPSIG_KEYID_MAX + 1];    /* "lock:SN" or "user:UID"; "" free */
    char phone[WARD_PHONE_MAX + 1];         /* users only */
    uint8_t pub[WARD_P256_POINT_LEN];
} sq_key;

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
    sq_key keys[SQ_KEYS];
    /* The locks' fetches of answers, not yet marked: the next
     * transaction of any entry writes them first, or the checkpointer's
     * tick. */
    struct {
        uint8_t op_id[WARDD_OP_ID_LEN];
        int64_t at_ms;
    } deliveries[SQ_DELIVERIES_MAX];
    size_t ndeliveries;
} sq;

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
 * Give it back with sq_release(). Called with s->mu held. */
#define PREP(s, sql, ...)                                                   \
    sq_prep_args((s), (sql), (const sq_arg[]){ __VA_ARGS__ },               \
                 sizeof((const sq_arg[]){ __VA_ARGS__ }) / sizeof(sq_arg))

/* ---- statements (s->mu held) ---- */
/* Keeps SQLite's text of the last failure for wardd_store_why(). */
void sq_note(sq *s);
ward_err sq_exec(sq *s, const char *sql);
sqlite3_stmt *sq_prep(sq *s, const char *sql);
sqlite3_stmt *sq_prep_args(sq *s, const char *sql, const sq_arg *args, size_t n);
void sq_release(sq *s, sqlite3_stmt *st);
ward_err sq_run(sq *s, const char *sql);
ward_err sq_step_done(sq *s, sqlite3_stmt *st);
void sq_copy_text(sqlite3_stmt *st, int col, char *out, size_t cap);
ward_err sq_copy_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t len);
ward_err sq_copy_var(sqlite3_stmt *st, int col, uint8_t *out, size_t cap, size_t *len);

ward_err sq_count(sq *s, sqlite3_stmt *st, int64_t *n);

/* What a row reader tells sq_rows: on to the next row, stop here (the
 * caller's callback asked to), or the row is not what wardd wrote. */
typedef enum { SQ_ROW_NEXT, SQ_ROW_STOP, SQ_ROW_BAD } sq_row_step;
typedef sq_row_step (*sq_row_fn)(sqlite3_stmt *st, void *ctx);

/* Steps st (NULL: it could not be prepared) through its rows, handing
 * each to row, and releases it: WARD_OK when done or stopped,
 * WARD_ERR_IO on a bad row or a failed step. */
ward_err sq_rows(sq *s, sqlite3_stmt *st, sq_row_fn row, void *ctx);

/* ---- transactions: one per entry ---- */
/* sq_begin takes s->mu and opens the transaction (the held writes
 * first); sq_end commits on WARD_OK, rolls back otherwise, answers err
 * or the commit's failure, and releases s->mu. The _durable pair commits
 * with synchronous FULL (bindings, revocations). */
ward_err sq_begin(sq *s);
ward_err sq_end(sq *s, ward_err err);
ward_err sq_begin_durable(sq *s);
ward_err sq_end_durable(sq *s, ward_err err);
/* The same without s->mu: for callers that hold it already. */
ward_err sq_begin_locked(sq *s);
ward_err sq_finish(sq *s, ward_err err);

/* ---- rows shared by the flows (inside the caller's transaction) ---- */
ward_err sq_audit_add(sq *s, const char *sn, int64_t ts_ms, const char *event,
                      const char *uid, int op, const char *detail);
ward_err sq_binding_role(sq *s, const char *sn, const char *uid, uint8_t *role);
ward_err sq_nonce_add(sq *s, const char *keyid, const char *nonce, int64_t expires_ms);
/* rate_take's check and charge (store.h) inside the caller's transaction. */
ward_err sq_rate_charge(sq *s, const wardd_rate_key *keys, size_t n, int64_t now_ms,
                        int64_t window_ms, int64_t *retry_ms);
/* The held deliveries: written inside the caller's transaction, or in
 * one of their own (s->mu held for both). */
ward_err sq_deferred_apply(sq *s);
ward_err sq_deferred_flush(sq *s);
/* A read-only transaction: its statements share one snapshot and take
 * the database's read lock once. Writes nothing, held or not. */
ward_err sq_read_begin(sq *s);
void sq_read_end(sq *s);

ward_err sq_migrate(sq *s);

/* Each flow's file fills its entries of the vtable. */
void sq_fill_bind(wardd_store *out);
void sq_fill_ops(wardd_store *out);
void sq_fill_dev(wardd_store *out);
void sq_fill_gw(wardd_store *out);
void sq_fill_users(wardd_store *out);
void sq_fill_fw(wardd_store *out);

#endif /* WARDD_STORE_SQLITE_H */
