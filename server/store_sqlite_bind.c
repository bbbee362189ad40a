/* wardd's SQLite store, flow A entries: locks, users, binding tasks,
 * confirmations, escrows, nonces, rate limits, purge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

/* Shared by lock_put and user_put: same key (and phone) again is fine. */
static ward_err sq_lock_put(void *h, const char *sn,
                            const uint8_t pub[WARD_P256_POINT_LEN], int *created)
{
    sq *s = h;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s, "SELECT pub FROM locks WHERE sn = ?", SQ_TEXT(sn));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 0);
        int same = b && sqlite3_column_bytes(st, 0) == WARD_P256_POINT_LEN &&
                   memcmp(b, pub, WARD_P256_POINT_LEN) == 0;
        sq_release(s, st);
        *created = 0;
        return sq_end(s, same ? WARD_OK : WARD_ERR_STATE);
    }
    sq_release(s, st);
    if (rc != SQLITE_DONE) {
        return sq_end(s, WARD_ERR_IO);
    }
    st = PREP(s, "INSERT INTO locks (sn, pub) VALUES (?, ?)",
              SQ_TEXT(sn), SQ_BLOB(pub, WARD_P256_POINT_LEN));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    *created = err == WARD_OK;
    return sq_end(s, err);
}

/* Every signed request reads its signer's key, so keys are kept in a
 * direct-mapped table after their first read: a stored key never changes
 * (lock_put and user_put refuse another one) and is never deleted, so an
 * entry cannot go stale. Should keys ever become replaceable, the entry
 * that replaces one must drop it. Called with s->mu held; NULL: not kept. */
static sq_key *sq_key_slot(sq *s, const char *kind, const char *id, char full[],
                           size_t cap)
{
    int n = snprintf(full, cap, "%s:%s", kind, id);
    if (n < 0 || (size_t)n >= cap) {
        return NULL;
    }
    uint32_t h = 2166136261u;    /* FNV-1a */
    for (const char *c = full; *c; c++) {
        h = (h ^ (uint8_t)*c) * 16777619u;
    }
    return &s->keys[h % SQ_KEYS];
}

static const sq_key *sq_key_find(sq *s, const char *kind, const char *id)
{
    char full[sizeof s->keys[0].id];
    const sq_key *k = sq_key_slot(s, kind, id, full, sizeof full);
    return k != NULL && strcmp(k->id, full) == 0 ? k : NULL;
}

static void sq_key_keep(sq *s, const char *kind, const char *id, const char *phone,
                        const uint8_t pub[WARD_P256_POINT_LEN])
{
    char full[sizeof s->keys[0].id];
    sq_key *k = sq_key_slot(s, kind, id, full, sizeof full);
    if (k != NULL) {
        memcpy(k->id, full, sizeof full);
        snprintf(k->phone, sizeof k->phone, "%s", phone ? phone : "");
        memcpy(k->pub, pub, WARD_P256_POINT_LEN);
    }
}

static ward_err sq_lock_get(void *h, const char *sn,
                            uint8_t pub[WARD_P256_POINT_LEN])
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    const sq_key *k = sq_key_find(s, "lock", sn);
    if (k != NULL) {
        memcpy(pub, k->pub, WARD_P256_POINT_LEN);
        pthread_mutex_unlock(&s->mu);
        return WARD_OK;
    }
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s, "SELECT pub FROM locks WHERE sn = ?", SQ_TEXT(sn));
    if (st != NULL) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            err = sq_copy_blob(st, 0, pub, WARD_P256_POINT_LEN);
            if (err == WARD_OK) {
                sq_key_keep(s, "lock", sn, NULL, pub);
            }
        } else if (rc == SQLITE_DONE) {
            err = WARD_ERR_NOTFOUND;
        }
        sq_release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_user_put(void *h, const char *uid, const char *phone,
                            const uint8_t pub[WARD_P256_POINT_LEN], int *created)
{
    sq *s = h;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s, "SELECT pub, phone FROM users WHERE uid = ?", SQ_TEXT(uid));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 0);
        const unsigned char *ph = sqlite3_column_text(st, 1);
        int same = b && sqlite3_column_bytes(st, 0) == WARD_P256_POINT_LEN &&
                   memcmp(b, pub, WARD_P256_POINT_LEN) == 0 && ph &&
                   strcmp((const char *)ph, phone) == 0;
        sq_release(s, st);
        *created = 0;
        return sq_end(s, same ? WARD_OK : WARD_ERR_STATE);
    }
    sq_release(s, st);
    if (rc != SQLITE_DONE) {
        return sq_end(s, WARD_ERR_IO);
    }
    st = PREP(s, "INSERT INTO users (uid, phone, pub) VALUES (?, ?, ?)",
              SQ_TEXT(uid), SQ_TEXT(phone), SQ_BLOB(pub, WARD_P256_POINT_LEN));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    *created = err == WARD_OK;
    return sq_end(s, err);
}

static ward_err sq_user_get(void *h, const char *uid,
                            char phone[WARD_PHONE_MAX + 1],
                            uint8_t pub[WARD_P256_POINT_LEN])
{
    sq *s = h;
    uint8_t key[WARD_P256_POINT_LEN];
    char ph[WARD_PHONE_MAX + 1];
    pthread_mutex_lock(&s->mu);
    const sq_key *k = sq_key_find(s, "user", uid);
    ward_err err = WARD_ERR_IO;
    if (k != NULL) {
        memcpy(key, k->pub, sizeof key);
        memcpy(ph, k->phone, sizeof ph);
        err = WARD_OK;
    } else {
        sqlite3_stmt *st = PREP(s, "SELECT pub, phone FROM users WHERE uid = ?", SQ_TEXT(uid));
        if (st != NULL) {
            int rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) {
                err = sq_copy_blob(st, 0, key, sizeof key);
                sq_copy_text(st, 1, ph, sizeof ph);
                if (err == WARD_OK) {
                    sq_key_keep(s, "user", uid, ph, key);
                }
            } else if (rc == SQLITE_DONE) {
                err = WARD_ERR_NOTFOUND;
            }
            sq_release(s, st);
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (err == WARD_OK && pub != NULL) {
        memcpy(pub, key, sizeof key);
    }
    if (err == WARD_OK && phone != NULL) {
        memcpy(phone, ph, sizeof ph);
    }
    return err;
}

static ward_err sq_task_put(void *h, const wardd_task *t)
{
    sq *s = h;
    ward_err err = sq_begin(s);
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
        return sq_end(s, WARD_ERR_IO);
    }
    return sq_end(s, sq_step_done(s, st));
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
            sq_copy_text(st, 0, t->sn, sizeof t->sn);
            sq_copy_text(st, 1, t->uid, sizeof t->uid);
            sq_copy_text(st, 2, t->phone, sizeof t->phone);
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
        sq_release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_task_delete(void *h, const uint8_t tid[WARD_TASK_ID_LEN])
{
    sq *s = h;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s, "DELETE FROM tasks WHERE tid = ? AND state = 0",
                            SQ_BLOB(tid, WARD_TASK_ID_LEN));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    return sq_end(s, sq_step_done(s, st));
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

static ward_err sq_confirm(void *h, const wardd_confirm_rec *c)
{
    sq *s = h;
    ward_err err = sq_begin_durable(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s, "SELECT state FROM tasks WHERE tid = ?",
                            SQ_BLOB(c->tid, WARD_TASK_ID_LEN));
    if (st == NULL) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    int rc = sqlite3_step(st);
    int state = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sq_release(s, st);
    if (rc == SQLITE_DONE) {
        return sq_end_durable(s, WARD_ERR_NOTFOUND);
    }
    if (rc != SQLITE_ROW) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    if (state != WARDD_TASK_SEALED) {
        return sq_end_durable(s, WARD_ERR_STATE);
    }
    /* A user binding the same lock again replaces role and escrow. */
    st = PREP(s,
        "INSERT INTO bindings (sn, uid, role, tid, bound_ms) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (sn, uid) DO UPDATE SET role = excluded.role,"
        " tid = excluded.tid, bound_ms = excluded.bound_ms",
        SQ_TEXT(c->sn), SQ_TEXT(c->uid), SQ_INT(c->role), SQ_BLOB(c->tid, WARD_TASK_ID_LEN),
        SQ_INT(c->now_ms));
    if (st == NULL) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err != WARD_OK) {
        return sq_end_durable(s, err == WARD_ERR_STATE ? WARD_ERR_IO : err);
    }
    st = PREP(s,
        "INSERT INTO escrows (uid, sn, blob) VALUES (?, ?, ?)"
        " ON CONFLICT (uid, sn) DO UPDATE SET blob = excluded.blob",
        SQ_TEXT(c->uid), SQ_TEXT(c->sn), SQ_BLOB(c->escrow, c->escrow_len));
    if (st == NULL) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err != WARD_OK) {
        return sq_end_durable(s, err == WARD_ERR_STATE ? WARD_ERR_IO : err);
    }
    st = PREP(s, "UPDATE tasks SET state = ?, role = ? WHERE tid = ?",
              SQ_INT(WARDD_TASK_BOUND), SQ_INT(c->role), SQ_BLOB(c->tid, WARD_TASK_ID_LEN));
    if (st == NULL) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err == WARD_OK) {
        err = sq_audit_add(s, c->sn, c->now_ms, "bind", c->uid, 0, role_name(c->role));
    }
    return sq_end_durable(s, err == WARD_OK ? WARD_OK : WARD_ERR_IO);
}

typedef struct escrow_rows {
    wardd_escrow_fn fn;
    void *ctx;
} escrow_rows;

static sq_row_step escrow_row(sqlite3_stmt *st, void *arg)
{
    escrow_rows *e = arg;
    wardd_escrow_rec rec;
    memset(&rec, 0, sizeof rec);
    sq_copy_text(st, 0, rec.sn, sizeof rec.sn);
    rec.role = (uint8_t)sqlite3_column_int(st, 1);
    if (sq_copy_var(st, 2, rec.blob, sizeof rec.blob, &rec.blob_len) != WARD_OK ||
        rec.blob_len == 0) {
        return SQ_ROW_BAD;
    }
    return e->fn(e->ctx, &rec) != 0 ? SQ_ROW_STOP : SQ_ROW_NEXT;
}

static ward_err sq_escrow_list(void *h, const char *uid, wardd_escrow_fn fn,
                               void *ctx)
{
    sq *s = h;
    escrow_rows e = { fn, ctx };
    pthread_mutex_lock(&s->mu);
    ward_err err = sq_rows(s, PREP(s,
        "SELECT e.sn, b.role, e.blob FROM escrows e JOIN bindings b"
        " ON b.sn = e.sn AND b.uid = e.uid WHERE e.uid = ? ORDER BY e.sn", SQ_TEXT(uid)),
        escrow_row, &e);
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* uid's role on lock sn, read with s->mu held (in the caller's
 * transaction, if it has one). */
ward_err sq_binding_role(sq *s, const char *sn, const char *uid, uint8_t *role)
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
    sq_release(s, st);
    return err;
}

static ward_err sq_binding_get(void *h, const char *sn, const char *uid,
                               uint8_t *role)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = sq_binding_role(s, sn, uid, role);
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* Records a nonce inside the caller's transaction. A pair stays a replay
 * until purge() drops it, even past its expiry: refusing longer than
 * needed is the safe side. */
ward_err sq_nonce_add(sq *s, const char *keyid, const char *nonce, int64_t expires_ms)
{
    sqlite3_stmt *st = PREP(s,
        "INSERT INTO nonces (keyid, nonce, expires_ms) VALUES (?, ?, ?)",
        SQ_TEXT(keyid), SQ_TEXT(nonce), SQ_INT(expires_ms));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    ward_err err = sq_step_done(s, st);
    return err == WARD_ERR_STATE ? WARD_ERR_AUTH : err;
}

static ward_err sq_nonce_use(void *h, const char *keyid, const char *nonce,
                             int64_t expires_ms)
{
    sq *s = h;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    return sq_end(s, sq_nonce_add(s, keyid, nonce, expires_ms));
}

/* How long until key has room for one more event in (now - window, now]
 * (0: it has room), read inside the caller's transaction: the event whose
 * leaving the window makes that room. */
static ward_err rate_wait(sq *s, const wardd_rate_key *key, int64_t now_ms, int64_t window_ms,
                          int64_t *wait)
{
    *wait = 0;
    if (key->limit == 0) {
        *wait = window_ms;
        return WARD_OK;
    }
    sqlite3_stmt *st = PREP(s,
        "SELECT at_ms FROM rate_events WHERE key = ? AND at_ms > ?"
        " ORDER BY at_ms DESC LIMIT 1 OFFSET ?",
        SQ_TEXT(key->key), SQ_INT(now_ms - window_ms), SQ_INT((sqlite3_int64)key->limit - 1));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t w = sqlite3_column_int64(st, 0) + window_ms - now_ms;
        *wait = w > 0 ? w : 0;
    }
    sq_release(s, st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? WARD_OK : WARD_ERR_IO;
}

/* Checks keys and charges one event to each, inside the caller's
 * transaction: WARD_OK, or WARD_ERR_BUSY with *retry_ms and nothing
 * charged (rate_take's rule). */
ward_err sq_rate_charge(sq *s, const wardd_rate_key *keys, size_t n, int64_t now_ms,
                        int64_t window_ms, int64_t *retry_ms)
{
    *retry_ms = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t wait = 0;
        ward_err err = rate_wait(s, &keys[i], now_ms, window_ms, &wait);
        if (err != WARD_OK) {
            return err;
        }
        if (keys[i].limit == 0) {
            *retry_ms = wait;
            return WARD_ERR_BUSY;
        }
        if (wait > *retry_ms) {
            *retry_ms = wait;
        }
    }
    if (*retry_ms > 0) {
        return WARD_ERR_BUSY;
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = PREP(s, "INSERT INTO rate_events (key, at_ms) VALUES (?, ?)",
                                SQ_TEXT(keys[i].key), SQ_INT(now_ms));
        if (st == NULL || sq_step_done(s, st) != WARD_OK) {
            return WARD_ERR_IO;
        }
    }
    return WARD_OK;
}

static ward_err sq_rate_take(void *h, const wardd_rate_key *keys, size_t n,
                             int64_t now_ms, int64_t window_ms, int64_t *retry_ms)
{
    sq *s = h;
    *retry_ms = 0;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    return sq_end(s, sq_rate_charge(s, keys, n, now_ms, window_ms, retry_ms));
}

static ward_err sq_rate_fill(void *h, const wardd_rate_key *key, int64_t now_ms,
                             int64_t window_ms, int64_t *retry_ms)
{
    sq *s = h;
    *retry_ms = 0;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    int64_t n = 0;
    err = sq_count(s, PREP(s, "SELECT count(*) FROM rate_events WHERE key = ? AND at_ms > ?",
                           SQ_TEXT(key->key), SQ_INT(now_ms - window_ms)), &n);
    if (err == WARD_OK && n < (int64_t)key->limit) {
        sqlite3_stmt *st = PREP(s,
            "INSERT INTO rate_events (key, at_ms) WITH RECURSIVE k(i) AS"
            " (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?3) SELECT ?1, ?2 FROM k",
            SQ_TEXT(key->key), SQ_INT(now_ms), SQ_INT((int64_t)key->limit - n));
        err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
        err = err == WARD_ERR_STATE ? WARD_ERR_IO : err;
    }
    if (err == WARD_OK) {
        err = rate_wait(s, key, now_ms, window_ms, retry_ms);
    }
    return sq_end(s, err);
}

static ward_err sq_purge(void *h, int64_t now_ms, int64_t keep_ms)
{
    sq *s = h;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    static const char *const sql[] = {
        "DELETE FROM nonces WHERE expires_ms <= ?1",
        "DELETE FROM rate_events WHERE at_ms <= ?1 - ?2",
        "DELETE FROM tasks WHERE state = 0 AND expires_ms <= ?1 - ?2",
        "DELETE FROM ops WHERE expires_ms <= ?1 - ?2",
        "DELETE FROM inbox WHERE acked_ms <= ?1 - ?2",
        "DELETE FROM dev_msgs WHERE expires_ms <= ?1",
        "DELETE FROM phone_codes WHERE max(expires_ms, locked_until_ms) <= ?1 - ?2",
        /* A lapsed claim can never be taken: nothing to keep. */
        "DELETE FROM gw_claims WHERE expires_ms <= ?1",
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
        err = sq_step_done(s, st);
    }
    return sq_end(s, err);
}

/* The flow A entries of the store's vtable. */
void sq_fill_bind(wardd_store *out)
{
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
    out->rate_fill = sq_rate_fill;
    out->purge = sq_purge;
}
