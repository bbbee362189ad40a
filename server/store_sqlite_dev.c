/* wardd's SQLite store, flow D entries: device attachments and the
 * messages relayed between devices and apps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

static ward_err read_attach(sqlite3_stmt *st, wardd_attach *a)
{
    memset(a, 0, sizeof *a);
    ward_err err = sq_copy_blob(st, 0, a->cloud_id, WARDD_CLOUD_ID_LEN);
    sq_copy_text(st, 1, a->device, sizeof a->device);
    sq_copy_text(st, 2, a->uid, sizeof a->uid);
    sq_copy_text(st, 3, a->app, sizeof a->app);
    a->attached_ms = sqlite3_column_int64(st, 4);
    return err;
}

static ward_err sq_dev_attach(void *h, const wardd_attach *a, wardd_attach *out,
                              int *created)
{
    sq *s = h;
    *created = 0;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s,
        "SELECT cloud_id, device, uid, app, attached_ms FROM dev_attach"
        " WHERE device = ? AND uid = ? AND app = ?",
        SQ_TEXT(a->device), SQ_TEXT(a->uid), SQ_TEXT(a->app));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        err = read_attach(st, out);
        sq_release(s, st);
        return sq_end(s, err);
    }
    sq_release(s, st);
    if (rc != SQLITE_DONE) {
        return sq_end(s, WARD_ERR_IO);
    }
    int64_t n = 0;
    err = sq_count(s, PREP(s, "SELECT count(*) FROM dev_attach WHERE device = ?",
                           SQ_TEXT(a->device)), &n);
    if (err != WARD_OK) {
        return sq_end(s, err);
    }
    if (n >= WARDD_DEV_ATTACH_MAX) {
        return sq_end(s, WARD_ERR_BUSY);
    }
    st = PREP(s,
        "INSERT INTO dev_attach (cloud_id, device, uid, app, attached_ms)"
        " VALUES (?, ?, ?, ?, ?)",
        SQ_BLOB(a->cloud_id, WARDD_CLOUD_ID_LEN), SQ_TEXT(a->device), SQ_TEXT(a->uid),
        SQ_TEXT(a->app), SQ_INT(a->attached_ms));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err == WARD_OK) {
        *out = *a;
        *created = 1;
    }
    return sq_end(s, err);
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
        sq_release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

typedef struct attach_rows {
    wardd_attach_fn fn;
    void *ctx;
} attach_rows;

static sq_row_step attach_row(sqlite3_stmt *st, void *arg)
{
    attach_rows *a = arg;
    wardd_attach rec;
    if (read_attach(st, &rec) != WARD_OK) {
        return SQ_ROW_BAD;
    }
    return a->fn(a->ctx, &rec) != 0 ? SQ_ROW_STOP : SQ_ROW_NEXT;
}

static ward_err sq_dev_attach_list(void *h, const char *uid, wardd_attach_fn fn, void *ctx)
{
    sq *s = h;
    attach_rows a = { fn, ctx };
    pthread_mutex_lock(&s->mu);
    ward_err err = sq_rows(s, PREP(s,
        "SELECT cloud_id, device, uid, app, attached_ms FROM dev_attach WHERE uid = ?"
        " ORDER BY attached_ms, device, app", SQ_TEXT(uid)), attach_row, &a);
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
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s, "SELECT device FROM dev_attach WHERE cloud_id = ?",
                            SQ_BLOB(cloud_id, WARDD_CLOUD_ID_LEN));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    char device[WARD_SN_MAX + 1];
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        sq_copy_text(st, 0, device, sizeof device);
    }
    sq_release(s, st);
    if (rc != SQLITE_ROW) {
        return sq_end(s, rc == SQLITE_DONE ? WARD_ERR_NOTFOUND : WARD_ERR_IO);
    }
    int64_t n = 0;
    err = sq_count(s, PREP(s,
        "SELECT count(*) FROM dev_msgs WHERE cloud_id = ? AND way = ? AND expires_ms > ?",
        SQ_BLOB(cloud_id, WARDD_CLOUD_ID_LEN), SQ_INT(way), SQ_INT(now_ms)), &n);
    if (err != WARD_OK) {
        return sq_end(s, err);
    }
    if (n >= WARDD_DEV_QUEUE_MAX) {
        return sq_end(s, WARD_ERR_BUSY);
    }
    st = PREP(s,
        "INSERT INTO dev_msgs (cloud_id, device, way, msg, created_ms, expires_ms)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        SQ_BLOB(cloud_id, WARDD_CLOUD_ID_LEN), SQ_TEXT(device), SQ_INT(way), SQ_BLOB(msg, len),
        SQ_INT(now_ms), SQ_INT(expires_ms));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err == WARD_OK) {
        *id = sqlite3_last_insert_rowid(s->db);
    }
    return sq_end(s, err);
}

typedef struct msg_rows {
    wardd_dev_msg_fn fn;
    void *ctx;
    wardd_dev_msg *m;       /* on the heap: a message is up to WARD_MSG_MAX */
} msg_rows;

static sq_row_step msg_row(sqlite3_stmt *st, void *arg)
{
    msg_rows *r = arg;
    wardd_dev_msg *m = r->m;
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    m->created_ms = sqlite3_column_int64(st, 3);
    if (sq_copy_blob(st, 1, m->cloud_id, WARDD_CLOUD_ID_LEN) != WARD_OK ||
        sq_copy_var(st, 2, m->msg, sizeof m->msg, &m->msg_len) != WARD_OK) {
        return SQ_ROW_BAD;
    }
    return r->fn(r->ctx, m) != 0 ? SQ_ROW_STOP : SQ_ROW_NEXT;
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
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    for (int pass = 0; pass < 2 && err == WARD_OK; pass++) {
        const char *sql = pass == 0 ? (device ? del_dev : del_cloud)
                                    : (device ? sel_dev : sel_cloud);
        sqlite3_stmt *st = sq_prep(s, sql);
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
            err = sq_step_done(s, st);
            continue;
        }
        sqlite3_bind_int64(st, 5, WARDD_DEV_TAKE_MAX);
        msg_rows m = { fn, ctx, malloc(sizeof *m.m) };
        if (m.m == NULL) {
            sq_release(s, st);
            err = WARD_ERR_NOSPACE;
            break;
        }
        err = sq_rows(s, st, msg_row, &m);
        free(m.m);
    }
    return sq_end(s, err);
}

/* The flow D entries of the store's vtable. */
void sq_fill_dev(wardd_store *out)
{
    out->dev_attach = sq_dev_attach;
    out->dev_attach_get = sq_dev_attach_get;
    out->dev_attach_list = sq_dev_attach_list;
    out->dev_msg_put = sq_dev_msg_put;
    out->dev_msg_take = sq_dev_msg_take;
}
