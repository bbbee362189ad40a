/*
 * store.h - everything wardd keeps, behind one vtable.
 *
 * The relay logic (locks.c, users.c, bind.c, escrow.c, auth.c,
 * ratelimit.c) calls only these entries and never sees SQL, so a second
 * implementation (PostgreSQL, for more than one machine) slots in beside
 * store_sqlite.c without touching it. Rules every implementation keeps:
 *
 *  - each entry is atomic: it commits completely or not at all, and
 *    entries that change several rows (confirm, rate_take) run in one
 *    transaction;
 *  - entries may be called from many threads at once;
 *  - times are unix milliseconds given by the caller (the store reads no
 *    clock, so tests can move time);
 *  - blobs (bind data, escrow) are opaque bytes: the store never looks in;
 *  - answers: WARD_OK, WARD_ERR_NOTFOUND (no such row), WARD_ERR_STATE
 *    (conflict with what is stored), WARD_ERR_AUTH (nonce seen),
 *    WARD_ERR_BUSY (rate limit), WARD_ERR_IO (the database failed).
 *
 * Open one with wardd_store_sqlite_open(); close with st->close(st->h).
 */
#ifndef WARDD_STORE_H
#define WARDD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_bind.h"
#include "ward/ward_crypto.h"
#include "ward/ward_err.h"

#define WARDD_TASK_SEALED 0
#define WARDD_TASK_BOUND 1

/* The schema version store_sqlite.c migrates to (PRAGMA user_version). */
#define WARDD_SCHEMA_VERSION 2

/* A bind task as stored: the uploader, the lock it is for, and the sealed
 * blob the lock fetches. The code is not stored (it only goes by SMS). */
typedef struct wardd_task {
    uint8_t tid[WARD_TASK_ID_LEN];
    char sn[WARD_SN_MAX + 1];
    char uid[WARD_UID_MAX + 1];
    char phone[WARD_PHONE_MAX + 1];
    uint8_t blob[WARD_BIND_BLOB_MAX];
    size_t blob_len;
    int64_t created_ms;
    int64_t expires_ms;
    int state;                 /* WARDD_TASK_* */
    uint8_t role;              /* when bound: the role the lock gave */
} wardd_task;

/* What a confirmation records: binding {sn, uid, role}, escrow {uid, sn,
 * blob}, and the task's new state, all at once. */
typedef struct wardd_confirm_rec {
    uint8_t tid[WARD_TASK_ID_LEN];
    const char *sn;
    const char *uid;
    uint8_t role;
    const uint8_t *escrow;
    size_t escrow_len;
    int64_t now_ms;
} wardd_confirm_rec;

typedef struct wardd_escrow_rec {
    char sn[WARD_SN_MAX + 1];
    uint8_t role;
    uint8_t blob[WARD_ESCROW_LEN];
    size_t blob_len;
} wardd_escrow_rec;

/* One rate-limit counter to check and charge: at most `limit` events per
 * window under `key`. */
typedef struct wardd_rate_key {
    const char *key;
    unsigned limit;
} wardd_rate_key;

typedef int (*wardd_escrow_fn)(void *ctx, const wardd_escrow_rec *rec);

typedef struct wardd_store {
    void *h;
    void (*close)(void *h);

    /* Locks: put answers *created = 1 for a new SN, 0 for the same key
     * again, WARD_ERR_STATE for the SN with another key. */
    ward_err (*lock_put)(void *h, const char *sn,
                         const uint8_t pub[WARD_P256_POINT_LEN], int *created);
    ward_err (*lock_get)(void *h, const char *sn,
                         uint8_t pub[WARD_P256_POINT_LEN]);

    /* Users: the same for {uid, phone, pub}: an existing uid with another
     * key or another phone is WARD_ERR_STATE. */
    ward_err (*user_put)(void *h, const char *uid, const char *phone,
                         const uint8_t pub[WARD_P256_POINT_LEN], int *created);
    ward_err (*user_get)(void *h, const char *uid,
                         char phone[WARD_PHONE_MAX + 1],
                         uint8_t pub[WARD_P256_POINT_LEN]);

    /* Tasks: put is WARD_ERR_STATE when the tid was ever used. */
    ward_err (*task_put)(void *h, const wardd_task *t);
    ward_err (*task_get)(void *h, const uint8_t tid[WARD_TASK_ID_LEN],
                         wardd_task *t);
    ward_err (*task_delete)(void *h, const uint8_t tid[WARD_TASK_ID_LEN]);

    /* Records binding + escrow and marks the task bound, in one
     * transaction. WARD_ERR_NOTFOUND without the task, WARD_ERR_STATE if
     * it is already bound (the caller answers as the first time). */
    ward_err (*confirm)(void *h, const wardd_confirm_rec *c);

    /* Calls fn for each escrow of uid (fn returns non-zero to stop). */
    ward_err (*escrow_list)(void *h, const char *uid, wardd_escrow_fn fn,
                            void *ctx);
    /* The role of uid on sn: WARD_ERR_NOTFOUND if not bound. */
    ward_err (*binding_get)(void *h, const char *sn, const char *uid,
                            uint8_t *role);

    /* Records (keyid, nonce) until expires_ms; WARD_ERR_AUTH if it is
     * already recorded (a replay). */
    ward_err (*nonce_use)(void *h, const char *keyid, const char *nonce,
                          int64_t expires_ms);

    /* Checks every key's count of events in (now - window, now]; if all
     * are under their limit, charges one event to each and answers
     * WARD_OK; otherwise charges none and answers WARD_ERR_BUSY with
     * *retry_ms = how long until the fullest key has room. */
    ward_err (*rate_take)(void *h, const wardd_rate_key *keys, size_t n,
                          int64_t now_ms, int64_t window_ms,
                          int64_t *retry_ms);

    /* Drops nonces past their expiry, rate events older than keep_ms,
     * and sealed tasks expired more than keep_ms ago. */
    ward_err (*purge)(void *h, int64_t now_ms, int64_t keep_ms);
} wardd_store;

/* Opens (creating and migrating) the SQLite database at path. */
ward_err wardd_store_sqlite_open(const char *path, wardd_store *st);

#endif /* WARDD_STORE_H */
