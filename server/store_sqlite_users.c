/* wardd's SQLite store, phone verification: a user's code (as a MAC), its
 * attempts and lock-outs, the verified flag. */
#include <stdio.h>
#include <string.h>

#include "ward/ward_suite.h"
#include "store_sqlite.h"

static ward_err sq_user_verified(void *h, const char *uid, bool *verified)
{
    sq *s = h;
    *verified = false;
    pthread_mutex_lock(&s->mu);
    ward_err err = WARD_ERR_IO;
    sqlite3_stmt *st = PREP(s, "SELECT verified_ms IS NOT NULL FROM users WHERE uid = ?",
                            SQ_TEXT(uid));
    if (st != NULL) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *verified = sqlite3_column_int(st, 0) != 0;
            err = WARD_OK;
        } else if (rc == SQLITE_DONE) {
            err = WARD_ERR_NOTFOUND;
        }
        sq_release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* uid's code row at now_ms, inside the caller's transaction:
 * WARD_ERR_NOTFOUND without the user, found false when the user has no
 * row yet. A row WARDD_CODE_FORGET_MS past both its code's expiry and its
 * lock-out's end reads as fresh (found, nothing counted): lock-outs decay,
 * so a user is not locked out for a day at every slip for good. */
typedef struct code_row {
    bool found;
    bool live_mac;
    uint8_t mac[WARD_SHA256_LEN];
    int64_t expires_ms;
    int64_t attempts;
    int64_t lockouts;
    int64_t locked_until_ms;
} code_row;

static ward_err code_row_get(sq *s, const char *uid, int64_t now_ms, code_row *r)
{
    memset(r, 0, sizeof *r);
    sqlite3_stmt *st = PREP(s,
        "SELECT c.uid IS NOT NULL, c.mac, c.expires_ms, c.attempts, c.lockouts,"
        " c.locked_until_ms FROM users u LEFT JOIN phone_codes c ON c.uid = u.uid"
        " WHERE u.uid = ?", SQ_TEXT(uid));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    ward_err err = rc == SQLITE_DONE ? WARD_ERR_NOTFOUND : WARD_ERR_IO;
    if (rc == SQLITE_ROW) {
        r->found = sqlite3_column_int(st, 0) != 0;
        r->live_mac = sqlite3_column_type(st, 1) == SQLITE_BLOB &&
                      sq_copy_blob(st, 1, r->mac, sizeof r->mac) == WARD_OK;
        r->expires_ms = sqlite3_column_int64(st, 2);
        r->attempts = sqlite3_column_int64(st, 3);
        r->lockouts = sqlite3_column_int64(st, 4);
        r->locked_until_ms = sqlite3_column_int64(st, 5);
        err = WARD_OK;
    }
    sq_release(s, st);
    int64_t last = r->expires_ms > r->locked_until_ms ? r->expires_ms : r->locked_until_ms;
    if (r->found && now_ms - last >= WARDD_CODE_FORGET_MS) {
        bool found = r->found;
        ward_wipe(r, sizeof *r);
        r->found = found;
    }
    return err;
}

/* Opens a transaction and reads uid's code row in it; on failure the
 * transaction is over and the error is the caller's to return. */
static ward_err code_begin(sq *s, const char *uid, int64_t now_ms, code_row *r)
{
    ward_err err = sq_begin(s);
    if (err == WARD_OK) {
        err = code_row_get(s, uid, now_ms, r);
        if (err != WARD_OK) {
            err = sq_end(s, err);
        }
    }
    return err;
}

static ward_err code_row_put(sq *s, const char *uid, const code_row *r)
{
    sqlite3_stmt *st = PREP(s,
        "INSERT INTO phone_codes (uid, mac, expires_ms, attempts, lockouts, locked_until_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (uid) DO UPDATE SET mac = ?2,"
        " expires_ms = ?3, attempts = ?4, lockouts = ?5, locked_until_ms = ?6",
        SQ_TEXT(uid), SQ_BLOB(r->live_mac ? r->mac : NULL, r->live_mac ? sizeof r->mac : 0),
        SQ_INT(r->expires_ms), SQ_INT(r->attempts), SQ_INT(r->lockouts),
        SQ_INT(r->locked_until_ms));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    ward_err err = sq_step_done(s, st);
    return err == WARD_ERR_STATE ? WARD_ERR_IO : err;
}

static ward_err sq_code_put(void *h, const char *uid, const uint8_t mac[WARD_SHA256_LEN],
                            int64_t now_ms, int64_t expires_ms, int64_t *retry_ms)
{
    sq *s = h;
    code_row r;
    *retry_ms = 0;
    ward_err err = code_begin(s, uid, now_ms, &r);
    if (err != WARD_OK) {
        return err;
    }
    if (r.locked_until_ms > now_ms) {
        *retry_ms = r.locked_until_ms - now_ms;
        ward_wipe(&r, sizeof r);
        return sq_end(s, WARD_ERR_BUSY);
    }
    /* The attempts stay: asking for a new code buys no new guesses. */
    r.live_mac = mac != NULL;
    if (mac != NULL) {
        memcpy(r.mac, mac, sizeof r.mac);
    }
    r.expires_ms = expires_ms;
    err = code_row_put(s, uid, &r);
    ward_wipe(&r, sizeof r);
    return sq_end(s, err);
}

/* The lock-out after the n-th run of wrong codes: doubling, capped. */
static int64_t lock_ms(int64_t n)
{
    int64_t ms = WARDD_CODE_LOCK_MS;
    for (int64_t i = 1; i < n && ms < WARDD_CODE_LOCK_MAX_MS; i++) {
        ms *= 2;
    }
    return ms < WARDD_CODE_LOCK_MAX_MS ? ms : WARDD_CODE_LOCK_MAX_MS;
}

/* uid's phone becomes verified, and no other account's. */
static ward_err mark_verified(sq *s, const char *uid, int64_t now_ms, unsigned *took_over)
{
    sqlite3_stmt *st = PREP(s,
        "UPDATE users SET verified_ms = NULL WHERE verified_ms IS NOT NULL AND uid != ?1"
        " AND phone = (SELECT phone FROM users WHERE uid = ?1)", SQ_TEXT(uid));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    ward_err err = sq_step_done(s, st);
    *took_over = err == WARD_OK ? (unsigned)sqlite3_changes(s->db) : 0;
    if (err == WARD_OK) {
        st = PREP(s, "UPDATE users SET verified_ms = ? WHERE uid = ?", SQ_INT(now_ms),
                  SQ_TEXT(uid));
        err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
    }
    if (err == WARD_OK) {
        st = PREP(s, "DELETE FROM phone_codes WHERE uid = ?", SQ_TEXT(uid));
        err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
    }
    return err == WARD_ERR_STATE ? WARD_ERR_IO : err;
}

static ward_err sq_code_check(void *h, const char *uid, const uint8_t mac[WARD_SHA256_LEN],
                              int64_t now_ms, const wardd_rate_key *budget,
                              int64_t window_ms, wardd_code_res *res)
{
    sq *s = h;
    code_row r;
    memset(res, 0, sizeof *res);
    ward_err err = code_begin(s, uid, now_ms, &r);
    if (err != WARD_OK) {
        return err;
    }
    if (r.locked_until_ms > now_ms) {
        res->retry_ms = r.locked_until_ms - now_ms;
        ward_wipe(&r, sizeof r);
        return sq_end(s, WARD_ERR_BUSY);
    }
    if (!r.found || !r.live_mac || now_ms >= r.expires_ms) {
        ward_wipe(&r, sizeof r);
        return sq_end(s, WARD_ERR_EXPIRED);
    }
    /* Only a check against a live code spends the budget, so checks that
     * compare nothing cost the number nothing. */
    if (budget != NULL) {
        err = sq_rate_charge(s, budget, 1, now_ms, window_ms, &res->retry_ms);
        if (err != WARD_OK) {
            res->budget_spent = err == WARD_ERR_BUSY;
            ward_wipe(&r, sizeof r);
            return sq_end(s, err);
        }
    }
    /* The attempt counts whatever the outcome, in this transaction. */
    ward_err answer;
    r.attempts++;
    if (ward_ct_equal(r.mac, mac, sizeof r.mac)) {
        answer = WARD_OK;
        err = mark_verified(s, uid, now_ms, &res->took_over);
    } else if (r.attempts >= WARDD_CODE_TRIES) {
        answer = WARD_ERR_LOCKED;
        r.lockouts++;
        res->retry_ms = lock_ms(r.lockouts);
        r.live_mac = false;
        r.attempts = 0;
        r.locked_until_ms = now_ms + res->retry_ms;
        err = code_row_put(s, uid, &r);
    } else {
        answer = WARD_ERR_AUTH;
        res->tries_left = (unsigned)(WARDD_CODE_TRIES - r.attempts);
        err = code_row_put(s, uid, &r);
    }
    ward_wipe(&r, sizeof r);
    /* A wrong code's count is committed too: only a failure rolls back. */
    err = sq_end(s, err);
    return err != WARD_OK ? err : answer;
}

/* The phone verification entries of the store's vtable. */
void sq_fill_users(wardd_store *out)
{
    out->user_verified = sq_user_verified;
    out->code_put = sq_code_put;
    out->code_check = sq_code_check;
}
