/* wardd's SQLite store, flow C entries: gateway claims and registered gateways. */
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"

#define GW_COLS                                                                          \
    "tid, uuid, mac, pub, uid, generation, expires_ms, verifier, wrapped, last_counter," \
    " created_ms"

static ward_err read_gw(sqlite3_stmt *st, wardd_gw *g)
{
    memset(g, 0, sizeof *g);
    ward_err err = sq_copy_blob(st, 0, g->tid, sizeof g->tid);
    if (err == WARD_OK) {
        err = sq_copy_blob(st, 1, g->uuid, sizeof g->uuid);
    }
    if (err == WARD_OK) {
        err = sq_copy_blob(st, 2, g->mac, sizeof g->mac);
    }
    if (err == WARD_OK) {
        err = sq_copy_blob(st, 3, g->pub, sizeof g->pub);
    }
    sq_copy_text(st, 4, g->uid, sizeof g->uid);
    g->generation = (uint32_t)sqlite3_column_int64(st, 5);
    g->expires_ms = sqlite3_column_int64(st, 6);
    if (err == WARD_OK) {
        err = sq_copy_blob(st, 7, g->verifier, sizeof g->verifier);
    }
    if (err == WARD_OK) {
        err = sq_copy_blob(st, 8, g->wrapped, sizeof g->wrapped);
    }
    g->last_counter = (uint64_t)sqlite3_column_int64(st, 9);
    g->created_ms = sqlite3_column_int64(st, 10);
    return err;
}

static ward_err sq_gw_claim_put(void *h, const uint8_t hash[WARD_SHA256_LEN], const char *uid,
                                int64_t expires_ms)
{
    sq *s = h;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s, "INSERT INTO gw_claims (hash, uid, expires_ms) VALUES (?, ?, ?)",
                            SQ_BLOB(hash, WARD_SHA256_LEN), SQ_TEXT(uid), SQ_INT(expires_ms));
    return sq_end(s, st != NULL ? sq_step_done(s, st) : WARD_ERR_IO);
}

static ward_err sq_gw_claim_take(void *h, const uint8_t hash[WARD_SHA256_LEN], const char *uid,
                                 int64_t now_ms)
{
    sq *s = h;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s,
        "UPDATE gw_claims SET used = 1 WHERE hash = ? AND uid = ? AND used = 0"
        " AND expires_ms > ?",
        SQ_BLOB(hash, WARD_SHA256_LEN), SQ_TEXT(uid), SQ_INT(now_ms));
    err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
    if (err == WARD_OK && sqlite3_changes(s->db) != 1) {
        err = WARD_ERR_AUTH;
    }
    return sq_end(s, err);
}

static ward_err get_one(sq *s, sqlite3_stmt *st, wardd_gw *out)
{
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    ward_err err = rc == SQLITE_ROW ? read_gw(st, out)
                                    : rc == SQLITE_DONE ? WARD_ERR_NOTFOUND : WARD_ERR_IO;
    sq_release(s, st);
    return err;
}

static ward_err sq_gw_by_uuid(void *h, const uint8_t uuid[WARD_GW_UUID_LEN], wardd_gw *out)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = get_one(s, PREP(s, "SELECT " GW_COLS " FROM gateways WHERE uuid = ?",
                                   SQ_BLOB(uuid, WARD_GW_UUID_LEN)), out);
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_gw_get(void *h, const uint8_t tid[WARD_GW_TID_LEN], wardd_gw *out)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = get_one(s, PREP(s, "SELECT " GW_COLS " FROM gateways WHERE tid = ?",
                                   SQ_BLOB(tid, WARD_GW_TID_LEN)), out);
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_gw_put(void *h, const wardd_gw *g, uint32_t prev_generation)
{
    sq *s = h;
    ward_err err = sq_begin_durable(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st;
    if (prev_generation == 0) {
        st = PREP(s, "INSERT INTO gateways (" GW_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  SQ_BLOB(g->tid, sizeof g->tid), SQ_BLOB(g->uuid, sizeof g->uuid),
                  SQ_BLOB(g->mac, sizeof g->mac), SQ_BLOB(g->pub, sizeof g->pub),
                  SQ_TEXT(g->uid), SQ_INT(g->generation), SQ_INT(g->expires_ms),
                  SQ_BLOB(g->verifier, sizeof g->verifier),
                  SQ_BLOB(g->wrapped, sizeof g->wrapped), SQ_INT((int64_t)g->last_counter),
                  SQ_INT(g->created_ms));
        err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
    } else {
        /* The key must stay the one that registered: a rotation is the
         * same gateway again, never a swap of its key. */
        st = PREP(s,
            "UPDATE gateways SET mac = ?, generation = ?, expires_ms = ?, verifier = ?,"
            " wrapped = ?, last_counter = ? WHERE tid = ? AND uuid = ? AND pub = ? AND uid = ?"
            " AND generation = ?",
            SQ_BLOB(g->mac, sizeof g->mac), SQ_INT(g->generation), SQ_INT(g->expires_ms),
            SQ_BLOB(g->verifier, sizeof g->verifier), SQ_BLOB(g->wrapped, sizeof g->wrapped),
            SQ_INT((int64_t)g->last_counter), SQ_BLOB(g->tid, sizeof g->tid),
            SQ_BLOB(g->uuid, sizeof g->uuid), SQ_BLOB(g->pub, sizeof g->pub), SQ_TEXT(g->uid),
            SQ_INT(prev_generation));
        err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
        if (err == WARD_OK && sqlite3_changes(s->db) != 1) {
            err = WARD_ERR_STATE;
        }
    }
    return sq_end_durable(s, err);
}

static ward_err sq_gw_login(void *h, const uint8_t tid[WARD_GW_TID_LEN], uint32_t generation,
                            uint64_t counter)
{
    sq *s = h;
    if (counter > (uint64_t)INT64_MAX) {
        return WARD_ERR_AUTH;
    }
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s,
        "UPDATE gateways SET last_counter = ? WHERE tid = ? AND generation = ?"
        " AND last_counter < ?",
        SQ_INT((int64_t)counter), SQ_BLOB(tid, WARD_GW_TID_LEN), SQ_INT(generation),
        SQ_INT((int64_t)counter));
    err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
    if (err == WARD_OK && sqlite3_changes(s->db) != 1) {
        err = WARD_ERR_AUTH;
    }
    return sq_end(s, err);
}

typedef struct gw_rows {
    wardd_gw_fn fn;
    void *ctx;
} gw_rows;

static sq_row_step gw_row(sqlite3_stmt *st, void *arg)
{
    gw_rows *a = arg;
    wardd_gw g;
    if (read_gw(st, &g) != WARD_OK) {
        return SQ_ROW_BAD;
    }
    return a->fn(a->ctx, &g) != 0 ? SQ_ROW_STOP : SQ_ROW_NEXT;
}

static ward_err sq_gw_list(void *h, const char *uid, wardd_gw_fn fn, void *ctx)
{
    sq *s = h;
    gw_rows a = { fn, ctx };
    pthread_mutex_lock(&s->mu);
    ward_err err = sq_rows(s, PREP(s, "SELECT " GW_COLS " FROM gateways WHERE uid = ?"
                                      " ORDER BY created_ms, tid", SQ_TEXT(uid)),
                           gw_row, &a);
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_gw_drop(void *h, const uint8_t tid[WARD_GW_TID_LEN])
{
    sq *s = h;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s, "DELETE FROM gateways WHERE tid = ?",
                            SQ_BLOB(tid, WARD_GW_TID_LEN));
    err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
    if (err == WARD_OK && sqlite3_changes(s->db) != 1) {
        err = WARD_ERR_NOTFOUND;
    }
    return sq_end(s, err);
}

/* The flow C entries of the store's vtable. */
void sq_fill_gw(wardd_store *out)
{
    out->gw_claim_put = sq_gw_claim_put;
    out->gw_claim_take = sq_gw_claim_take;
    out->gw_by_uuid = sq_gw_by_uuid;
    out->gw_get = sq_gw_get;
    out->gw_put = sq_gw_put;
    out->gw_login = sq_gw_login;
    out->gw_list = sq_gw_list;
    out->gw_drop = sq_gw_drop;
}
