/* wardd's SQLite store, firmware releases: one row per (class, counter), the image beside. */
#include <string.h>

#include "store_sqlite.h"

#define FW_COLS "class, counter, version, size, digest, manifest, file, created_ms"

static ward_err read_rel(sqlite3_stmt *st, wardd_fw_rel *r)
{
    memset(r, 0, sizeof *r);
    sq_copy_text(st, 0, r->dev_class, sizeof r->dev_class);
    int64_t counter = sqlite3_column_int64(st, 1);
    sq_copy_text(st, 2, r->version, sizeof r->version);
    int64_t size = sqlite3_column_int64(st, 3);
    if (counter < 0 || counter > UINT32_MAX || size <= 0 || size > WARD_FW_SIZE_MAX) {
        return WARD_ERR_IO;
    }
    r->counter = (uint32_t)counter;
    r->size = (uint32_t)size;
    ward_err err = sq_copy_blob(st, 4, r->digest, sizeof r->digest);
    if (err == WARD_OK) {
        err = sq_copy_var(st, 5, r->manifest, sizeof r->manifest, &r->manifest_len);
    }
    sq_copy_text(st, 6, r->file, sizeof r->file);
    r->created_ms = sqlite3_column_int64(st, 7);
    return err;
}

static ward_err get_one(sq *s, sqlite3_stmt *st, wardd_fw_rel *out)
{
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    ward_err err = rc == SQLITE_ROW ? read_rel(st, out)
                                    : rc == SQLITE_DONE ? WARD_ERR_NOTFOUND : WARD_ERR_IO;
    sq_release(s, st);
    return err;
}

static ward_err sq_fw_put(void *h, const wardd_fw_rel *r)
{
    sq *s = h;
    ward_err err = sq_begin_durable(s);
    if (err != WARD_OK) {
        return err;
    }
    /* The newest counter and the insert in one transaction: of two
     * publishers of the same counter, the second is refused. */
    sqlite3_stmt *st = PREP(s, "SELECT COUNT(*) FROM fw_releases WHERE class = ? AND counter >= ?",
                            SQ_TEXT(r->dev_class), SQ_INT(r->counter));
    int64_t n = 0;
    err = sq_count(s, st, &n);
    if (err == WARD_OK && n != 0) {
        err = WARD_ERR_STATE;
    }
    if (err == WARD_OK) {
        st = PREP(s, "INSERT INTO fw_releases (" FW_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  SQ_TEXT(r->dev_class), SQ_INT(r->counter), SQ_TEXT(r->version),
                  SQ_INT(r->size), SQ_BLOB(r->digest, sizeof r->digest),
                  SQ_BLOB(r->manifest, r->manifest_len), SQ_TEXT(r->file),
                  SQ_INT(r->created_ms));
        err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
    }
    return sq_end_durable(s, err);
}

static ward_err sq_fw_newest(void *h, const char *dev_class, wardd_fw_rel *out)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = get_one(s, PREP(s, "SELECT " FW_COLS " FROM fw_releases WHERE class = ?"
                                      " ORDER BY counter DESC LIMIT 1", SQ_TEXT(dev_class)),
                           out);
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_fw_get(void *h, const char *dev_class, uint32_t counter, wardd_fw_rel *out)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = get_one(s, PREP(s, "SELECT " FW_COLS " FROM fw_releases WHERE class = ?"
                                      " AND counter = ?", SQ_TEXT(dev_class), SQ_INT(counter)),
                           out);
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* The firmware entries of the store's vtable. */
void sq_fill_fw(wardd_store *out)
{
    out->fw_put = sq_fw_put;
    out->fw_newest = sq_fw_newest;
    out->fw_get = sq_fw_get;
}
