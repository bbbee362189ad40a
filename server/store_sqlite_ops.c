/* wardd's SQLite store, flow B entries: operations, every audience
 * member's answer and their delivery, results, withdrawals, revocations,
 * the lock inbox and its results, clients, audit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"
#include "ward/ward_httpsig.h"

static bool sq_delivery_waiting(const sq *s, const uint8_t op_id[WARDD_OP_ID_LEN])
{
    for (size_t i = 0; i < s->ndeliveries; i++) {
        if (memcmp(s->deliveries[i].op_id, op_id, WARDD_OP_ID_LEN) == 0) {
            return true;
        }
    }
    return false;
}

/* Cannot fail: out holds exactly the digits and the NUL. */
static void sq_op_id_hex(const uint8_t id[WARDD_OP_ID_LEN], char out[2 * WARDD_OP_ID_LEN + 1])
{
    WARD_ASSERT(ward_hex_encode(id, WARDD_OP_ID_LEN, out, 2 * WARDD_OP_ID_LEN + 1) == WARD_OK);
}

static const char sql_op_cols[] =
    "SELECT op_id, sn, target, op, token_hash, request, created_ms, expires_ms, state,"
    " answers, answered_by, delivered_ms IS NOT NULL, result FROM ops WHERE op_id = ?";
/* Offered to ?1, neither done nor withdrawn, still bound, not answered by
 * ?1 yet: an op another member answered stays on the list, since the
 * lock may refuse that answer and take this one. */
static const char sql_pending[] =
    "SELECT o.op_id, o.sn, o.target, o.op, o.token_hash, o.request, o.created_ms,"
    " o.expires_ms, o.state, o.answers, o.answered_by, o.delivered_ms IS NOT NULL,"
    " o.result FROM op_audience a JOIN ops o ON o.op_id = a.op_id"
    " JOIN bindings b ON b.sn = o.sn AND b.uid = a.uid"
    " WHERE a.uid = ?1 AND a.expires_ms > ?2 AND o.state IN (0, 1)"
    " AND NOT EXISTS (SELECT 1 FROM op_answers x WHERE x.op_id = o.op_id AND x.uid = ?1)"
    " ORDER BY o.created_ms LIMIT ?3";

/* Reads one row of sql_op_cols / sql_pending. */
static ward_err read_op(sqlite3_stmt *st, wardd_op *op)
{
    memset(op, 0, sizeof *op);
    size_t n = 0;
    ward_err err = sq_copy_blob(st, 0, op->op_id, WARDD_OP_ID_LEN);
    if (err != WARD_OK) {
        return err;
    }
    sq_copy_text(st, 1, op->sn, sizeof op->sn);
    sq_copy_text(st, 2, op->target, sizeof op->target);
    op->op = (uint8_t)sqlite3_column_int(st, 3);
    err = sq_copy_blob(st, 4, op->token_hash, WARD_SHA256_LEN);
    if (err == WARD_OK) {
        err = sq_copy_var(st, 5, op->request, sizeof op->request, &op->request_len);
    }
    op->created_ms = sqlite3_column_int64(st, 6);
    op->expires_ms = sqlite3_column_int64(st, 7);
    op->state = sqlite3_column_int(st, 8);
    op->answers = sqlite3_column_int(st, 9);
    sq_copy_text(st, 10, op->answered_by, sizeof op->answered_by);
    op->delivered = sqlite3_column_int(st, 11) != 0;
    if (err == WARD_OK) {
        err = sq_copy_var(st, 12, op->result, sizeof op->result, &n);
        op->result_len = n;
    }
    return err;
}

static ward_err sq_op_create(void *h, const wardd_op *op, size_t *audience)
{
    sq *s = h;
    *audience = 0;
    ward_err err = sq_begin(s);
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
        return sq_end(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err != WARD_OK) {
        return sq_end(s, err);
    }
    /* The audience: bound clients (PK lookups on bindings (sn, uid)), and
     * for an add-client grant only those the lock takes it from (owner,
     * admin): a member's answer could only be refused there. */
    st = PREP(s,
        "INSERT INTO op_audience (op_id, uid, expires_ms)"
        " SELECT ?1, uid, ?2 FROM bindings WHERE sn = ?3 AND (?4 = '' OR uid = ?4)"
        " AND (?5 != ?6 OR role IN (?7, ?8))",
        SQ_BLOB(op->op_id, WARDD_OP_ID_LEN), SQ_INT(op->expires_ms), SQ_TEXT(op->sn),
        SQ_TEXT(op->target), SQ_INT(op->op), SQ_INT(WARD_OP_ADD_CLIENT),
        SQ_INT(WARD_ROLE_OWNER), SQ_INT(WARD_ROLE_ADMIN));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err != WARD_OK) {
        return sq_end(s, WARD_ERR_IO);
    }
    *audience = (size_t)sqlite3_changes(s->db);
    if (*audience == 0) {
        return sq_end(s, op->target[0] ? WARD_ERR_NOTFOUND : WARD_ERR_STATE);
    }
    char hex[2 * WARDD_OP_ID_LEN + 1];
    sq_op_id_hex(op->op_id, hex);
    err = sq_audit_add(s, op->sn, op->created_ms, "op_created", op->target, op->op, hex);
    return sq_end(s, err);
}

/* Reads the op's row (in the caller's transaction, or its own). */
static ward_err op_read(sq *s, const uint8_t op_id[WARDD_OP_ID_LEN], wardd_op *op)
{
    sqlite3_stmt *st = PREP(s, sql_op_cols, SQ_BLOB(op_id, WARDD_OP_ID_LEN));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    ward_err err = rc == SQLITE_ROW    ? read_op(st, op)
                   : rc == SQLITE_DONE ? WARD_ERR_NOTFOUND
                                       : WARD_ERR_IO;
    sq_release(s, st);
    return err;
}

static ward_err sq_op_get(void *h, const uint8_t op_id[WARDD_OP_ID_LEN], wardd_op *op)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    ward_err err = op_read(s, op_id, op);
    if (err == WARD_OK) {
        op->delivered = op->delivered || sq_delivery_waiting(s, op_id);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* What the answer, result and withdrawal entries read of an op. */
typedef struct op_head_rec {
    int state;
    int64_t expires_ms;
    char sn[WARD_SN_MAX + 1];
    char target[WARD_UID_MAX + 1];
    int op;
    int answers;
    char taken[WARD_UID_MAX + 1];   /* done: whose answer the lock took */
} op_head_rec;

/* Reads the op's head inside the caller's transaction. */
static ward_err op_head(sq *s, const uint8_t op_id[WARDD_OP_ID_LEN], op_head_rec *h)
{
    sqlite3_stmt *st = PREP(s,
        "SELECT state, expires_ms, sn, op, answered_by, target, answers FROM ops"
        " WHERE op_id = ?", SQ_BLOB(op_id, WARDD_OP_ID_LEN));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    ward_err err = rc == SQLITE_DONE ? WARD_ERR_NOTFOUND : WARD_ERR_IO;
    if (rc == SQLITE_ROW) {
        h->state = sqlite3_column_int(st, 0);
        h->expires_ms = sqlite3_column_int64(st, 1);
        sq_copy_text(st, 2, h->sn, sizeof h->sn);
        h->op = sqlite3_column_int(st, 3);
        sq_copy_text(st, 4, h->taken, sizeof h->taken);
        sq_copy_text(st, 5, h->target, sizeof h->target);
        h->answers = sqlite3_column_int(st, 6);
        err = WARD_OK;
    }
    sq_release(s, st);
    return err;
}

/* Opens a transaction and reads the op's head in it; on failure the
 * transaction is over and the error is the caller's to return. */
static ward_err op_begin(sq *s, const uint8_t op_id[WARDD_OP_ID_LEN], op_head_rec *h)
{
    ward_err err = sq_begin(s);
    if (err == WARD_OK) {
        err = op_head(s, op_id, h);
        if (err != WARD_OK) {
            err = sq_end(s, err);
        }
    }
    return err;
}

/* Whether uid may answer the op: its target, when it names one, one of
 * the audience the op was offered to (not a client bound since, nor a
 * member for an add-client grant), and still bound to its lock (checked
 * in the answer's own transaction, so a revocation committed before the
 * answer always wins). */
static ward_err answer_audience(sq *s, const uint8_t op_id[WARDD_OP_ID_LEN], const char *sn,
                                const char *target, const char *uid, wardd_answer_res *res)
{
    if (target[0] != '\0' && strcmp(target, uid) != 0) {
        res->not_target = true;
        return WARD_ERR_PARAM;
    }
    /* Offered and still bound, in one PK lookup on each table. */
    int64_t may = 0;
    ward_err err = sq_count(s, PREP(s,
        "SELECT count(*) FROM op_audience a JOIN bindings b ON b.sn = ?3 AND b.uid = a.uid"
        " WHERE a.op_id = ?1 AND a.uid = ?2",
        SQ_BLOB(op_id, WARDD_OP_ID_LEN), SQ_TEXT(uid), SQ_TEXT(sn)), &may);
    if (err != WARD_OK) {
        return err;
    }
    return may == 0 ? WARD_ERR_PARAM : WARD_OK;
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
    sq_release(s, st);
    return rc == SQLITE_ROW ? WARD_ERR_AUTH : rc == SQLITE_DONE ? WARD_OK : WARD_ERR_IO;
}

/* Whether uid answered the op before (*exists) and, if so, whether with
 * this very request (its stored Signature-Input names the nonce): then
 * this is its replay. nonce NULL: no request to compare. */
static ward_err own_answer(sq *s, const wardd_answer_rec *a, bool *exists, bool *replay)
{
    sqlite3_stmt *st = PREP(s,
        "SELECT ?3 IS NOT NULL AND instr(sig_input, 'nonce=\"' || ?3 || '\"') > 0"
        " FROM op_answers WHERE op_id = ?1 AND uid = ?2",
        SQ_BLOB(a->op_id, WARDD_OP_ID_LEN), SQ_TEXT(a->uid), SQ_TEXT(a->nonce));
    if (st == NULL) {
        return WARD_ERR_IO;
    }
    int rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW;
    *replay = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sq_release(s, st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? WARD_OK : WARD_ERR_IO;
}

/* The refusal of an answer from a member who answered the op before:
 * WARD_ERR_AUTH for this very request again (a replay), WARD_ERR_CONFLICT
 * for another; WARD_OK when it did not answer. */
static ward_err answered_before(sq *s, const wardd_answer_rec *a)
{
    bool exists = false, replay = false;
    ward_err err = own_answer(s, a, &exists, &replay);
    if (err == WARD_OK && exists) {
        err = replay ? WARD_ERR_AUTH : WARD_ERR_CONFLICT;
    }
    return err;
}

/* Stores answer number n of the op and its op_answered row. The answer
 * does not write its nonce: the stored Signature-Input names it, so a
 * replay is recognised by that (own_answer) and can never answer again.
 * The unique index op_answers_uid refuses a member's second answer: then
 * answered_before's refusal (it tells a replay from a second answer). */
static ward_err answer_store(sq *s, const wardd_answer_rec *a, const op_head_rec *h, int n)
{
    sqlite3_stmt *st = PREP(s,
        "INSERT INTO op_answers (op_id, n, uid, approval, sig_input, sig, answered_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        SQ_BLOB(a->op_id, WARDD_OP_ID_LEN), SQ_INT(n), SQ_TEXT(a->uid),
        SQ_BLOB(a->approval, a->approval_len), SQ_TEXT(a->sig_input), SQ_TEXT(a->sig),
        SQ_INT(a->now_ms));
    ward_err err = st != NULL ? sq_step_done(s, st) : WARD_ERR_IO;
    if (err == WARD_ERR_STATE) {
        err = answered_before(s, a);
        return err == WARD_OK ? WARD_ERR_IO : err;  /* no answer of its own: not that index */
    }
    if (err != WARD_OK) {
        return WARD_ERR_IO;
    }
    st = PREP(s, "UPDATE ops SET state = 1, answers = ?, answered_ms = coalesce(answered_ms, ?)"
                 " WHERE op_id = ? AND state IN (0, 1)",
              SQ_INT(n), SQ_INT(a->now_ms), SQ_BLOB(a->op_id, WARDD_OP_ID_LEN));
    if (st == NULL || sq_step_done(s, st) != WARD_OK || sqlite3_changes(s->db) != 1) {
        return WARD_ERR_IO;
    }
    char hex[2 * WARDD_OP_ID_LEN + 1];
    sq_op_id_hex(a->op_id, hex);
    return sq_audit_add(s, h->sn, a->now_ms, "op_answered", a->uid, h->op, hex) == WARD_OK
               ? WARD_OK
               : WARD_ERR_IO;
}

/* Every answer in one transaction of its own: the checks and the write
 * share one snapshot, and the lock never sees an answer a crash of wardd
 * could take back. */
static ward_err sq_op_answer(void *h, const wardd_answer_rec *a, wardd_answer_res *res)
{
    sq *s = h;
    memset(res, 0, sizeof *res);
    if (a->sig_input == NULL || a->sig == NULL || a->approval_len > WARD_APPROVAL_MAX) {
        return WARD_ERR_PARAM;
    }
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    if (a->nonce != NULL) {
        err = nonce_seen(s, a->keyid, a->nonce);
        if (err != WARD_OK) {
            return sq_end(s, err);
        }
    }
    op_head_rec hd;
    err = op_head(s, a->op_id, &hd);
    if (err != WARD_OK) {
        return sq_end(s, err);
    }
    memcpy(res->sn, hd.sn, sizeof res->sn);
    err = answer_audience(s, a->op_id, hd.sn, hd.target, a->uid, res);
    if (err != WARD_OK) {
        return sq_end(s, err);
    }
    bool open = hd.state != WARDD_OP_DONE && hd.state != WARDD_OP_WITHDRAWN &&
                a->now_ms < hd.expires_ms;
    if (!open) {
        /* A member who answered before hears so (or that it replays) on a
         * closed op too; on an open one the insert's index tells. */
        err = answered_before(s, a);
        if (err != WARD_OK) {
            return sq_end(s, err);
        }
    }
    if (hd.state == WARDD_OP_DONE) {
        /* Late: the lock has acted on another answer. Keep the audit row
         * and spend the nonce, change nothing else. */
        if (a->nonce != NULL) {
            err = sq_nonce_add(s, a->keyid, a->nonce, a->nonce_expires_ms);
        }
        char hex[2 * WARDD_OP_ID_LEN + 1];
        sq_op_id_hex(a->op_id, hex);
        if (err == WARD_OK) {
            err = sq_audit_add(s, hd.sn, a->now_ms, "op_late", a->uid, hd.op, hex);
        }
        err = sq_end(s, err);
        if (err == WARD_OK) {
            memcpy(res->first, hd.taken, sizeof res->first);
        }
        return err == WARD_OK ? WARD_ERR_STATE : err;
    }
    if (!open) {
        res->withdrawn = hd.state == WARDD_OP_WITHDRAWN;
        return sq_end(s, WARD_ERR_EXPIRED);
    }
    err = sq_end(s, answer_store(s, a, &hd, hd.answers + 1));
    if (err == WARD_OK) {
        res->n = hd.answers + 1;
    }
    return err;
}

/* Writes the waiting deliveries (delivered_ms and the op_delivered audit
 * row) inside the caller's transaction. Writing one twice changes
 * nothing, so a rolled-back transaction's are simply written again. */
ward_err sq_deferred_apply(sq *s)
{
    for (size_t i = 0; i < s->ndeliveries; i++) {
        const uint8_t *op_id = s->deliveries[i].op_id;
        int64_t at = s->deliveries[i].at_ms;
        sqlite3_stmt *st = PREP(s,
            "UPDATE ops SET delivered_ms = ? WHERE op_id = ? AND state != 0"
            " AND delivered_ms IS NULL RETURNING sn, op",
            SQ_INT(at), SQ_BLOB(op_id, WARDD_OP_ID_LEN));
        if (st == NULL) {
            return WARD_ERR_IO;
        }
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
            sq_release(s, st);
            continue;       /* written before, or the op was purged */
        }
        if (rc != SQLITE_ROW) {
            sq_release(s, st);
            return WARD_ERR_IO;
        }
        char sn[WARD_SN_MAX + 1], hex[2 * WARDD_OP_ID_LEN + 1];
        sq_copy_text(st, 0, sn, sizeof sn);
        int op = sqlite3_column_int(st, 1);
        rc = sqlite3_step(st);      /* one row: op_id is the key */
        sq_release(s, st);
        if (rc != SQLITE_DONE) {
            return WARD_ERR_IO;
        }
        sq_op_id_hex(op_id, hex);
        if (sq_audit_add(s, sn, at, "op_delivered", "", op, hex) != WARD_OK) {
            return WARD_ERR_IO;
        }
    }
    return WARD_OK;
}

ward_err sq_deferred_flush(sq *s)
{
    if (s->ndeliveries == 0) {
        return WARD_OK;
    }
    ward_err err = sq_begin_locked(s);
    return err == WARD_OK ? sq_finish(s, WARD_OK) : err;
}

typedef struct answer_rows {
    wardd_op_answer_fn fn;
    void *ctx;
    size_t n;
} answer_rows;

static sq_row_step answer_row(sqlite3_stmt *st, void *arg)
{
    answer_rows *r = arg;
    wardd_op_answer a;
    memset(&a, 0, sizeof a);
    a.n = sqlite3_column_int(st, 0);
    sq_copy_text(st, 1, a.uid, sizeof a.uid);
    if (sq_copy_var(st, 2, a.approval, sizeof a.approval, &a.approval_len) != WARD_OK) {
        return SQ_ROW_BAD;
    }
    r->n++;
    return r->fn(r->ctx, &a) != 0 ? SQ_ROW_STOP : SQ_ROW_NEXT;
}

/* The lock's fetch is the hottest read of a relay: rather than a commit
 * of its own, its delivery mark waits in memory for the next transaction
 * of any entry (or the checkpointer's tick, within a second). A crash can
 * lose the last second of delivery marks, never an answer: answers are
 * committed when they come. */
static ward_err sq_op_answers(void *h, const uint8_t op_id[WARDD_OP_ID_LEN], int64_t after,
                              int64_t now_ms, bool delivered, wardd_op_answer_fn fn, void *ctx,
                              wardd_answers_res *res)
{
    sq *s = h;
    answer_rows r = { fn, ctx, 0 };
    memset(res, 0, sizeof *res);
    pthread_mutex_lock(&s->mu);
    int64_t state = 0;
    sqlite3_stmt *st = PREP(s, "SELECT state FROM ops WHERE op_id = ?",
                            SQ_BLOB(op_id, WARDD_OP_ID_LEN));
    int rc = st != NULL ? sqlite3_step(st) : SQLITE_ERROR;
    if (rc == SQLITE_ROW) {
        state = sqlite3_column_int64(st, 0);
    }
    sq_release(s, st);
    ward_err err = rc == SQLITE_ROW    ? WARD_OK
                   : rc == SQLITE_DONE ? WARD_ERR_NOTFOUND
                                       : WARD_ERR_IO;
    res->state = (int)state;
    /* The lock gave a withdrawn op up: its answers are nobody's to fetch. */
    if (err == WARD_OK && state != WARDD_OP_WITHDRAWN) {
        err = sq_rows(s, PREP(s,
            "SELECT n, uid, approval FROM op_answers WHERE op_id = ? AND n > ?"
            " ORDER BY n LIMIT ?",
            SQ_BLOB(op_id, WARDD_OP_ID_LEN), SQ_INT(after), SQ_INT(WARDD_OP_ANSWERS_TAKE)),
            answer_row, &r);
    }
    /* Marked once: a fetch the caller knows is not the first queues
     * nothing (nor looks through the waiting marks). */
    if (err == WARD_OK && r.n > 0 && !delivered && !sq_delivery_waiting(s, op_id)) {
        if (s->ndeliveries == SQ_DELIVERIES_MAX) {
            err = sq_deferred_flush(s);
        }
        if (err == WARD_OK) {
            memcpy(s->deliveries[s->ndeliveries].op_id, op_id, WARDD_OP_ID_LEN);
            s->deliveries[s->ndeliveries].at_ms = now_ms;
            s->ndeliveries++;
            res->delivery = true;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_op_result(void *h, const uint8_t op_id[WARDD_OP_ID_LEN], const char *uid,
                             const uint8_t *msg, size_t len, int64_t now_ms)
{
    sq *s = h;
    op_head_rec head;
    ward_err err = op_begin(s, op_id, &head);
    if (err != WARD_OK) {
        return err;
    }
    if (head.state != WARDD_OP_ANSWERED) {
        return sq_end(s, WARD_ERR_STATE);
    }
    int64_t answered = 0;
    err = sq_count(s, PREP(s, "SELECT count(*) FROM op_answers WHERE op_id = ? AND uid = ?",
                           SQ_BLOB(op_id, WARDD_OP_ID_LEN), SQ_TEXT(uid)), &answered);
    if (err != WARD_OK || answered == 0) {
        return sq_end(s, err != WARD_OK ? err : WARD_ERR_PARAM);
    }
    sqlite3_stmt *st = PREP(s,
        "UPDATE ops SET state = 2, result = ?, result_ms = ?, answered_by = ?"
        " WHERE op_id = ? AND state = 1",
        SQ_BLOB(msg, len), SQ_INT(now_ms), SQ_TEXT(uid), SQ_BLOB(op_id, WARDD_OP_ID_LEN));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err == WARD_OK) {
        char hex[2 * WARDD_OP_ID_LEN + 1];
        sq_op_id_hex(op_id, hex);
        err = sq_audit_add(s, head.sn, now_ms, "op_result", uid, head.op, hex);
    }
    return sq_end(s, err == WARD_OK ? WARD_OK : WARD_ERR_IO);
}

static ward_err sq_op_withdraw(void *h, const uint8_t op_id[WARDD_OP_ID_LEN], const char *sn,
                               int64_t now_ms)
{
    sq *s = h;
    op_head_rec head;
    ward_err err = op_begin(s, op_id, &head);
    if (err != WARD_OK) {
        return err;
    }
    if (strcmp(head.sn, sn) != 0) {
        return sq_end(s, WARD_ERR_PARAM);
    }
    if (head.state == WARDD_OP_WITHDRAWN) {
        return sq_end(s, WARD_OK);
    }
    if (head.state == WARDD_OP_DONE) {
        return sq_end(s, WARD_ERR_STATE);
    }
    sqlite3_stmt *st = PREP(s, "UPDATE ops SET state = 3 WHERE op_id = ? AND state IN (0, 1)",
                            SQ_BLOB(op_id, WARDD_OP_ID_LEN));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err == WARD_OK) {
        char hex[2 * WARDD_OP_ID_LEN + 1];
        sq_op_id_hex(op_id, hex);
        err = sq_audit_add(s, head.sn, now_ms, "op_withdrawn", "", head.op, hex);
    }
    return sq_end(s, err == WARD_OK ? WARD_OK : WARD_ERR_IO);
}

typedef struct pending_rows {
    wardd_op_fn fn;
    void *ctx;
    wardd_op *op;           /* on the heap: an op holds two messages */
} pending_rows;

static sq_row_step pending_row(sqlite3_stmt *st, void *arg)
{
    pending_rows *p = arg;
    if (read_op(st, p->op) != WARD_OK) {
        return SQ_ROW_BAD;
    }
    return p->fn(p->ctx, p->op) != 0 ? SQ_ROW_STOP : SQ_ROW_NEXT;
}

static ward_err sq_ops_pending(void *h, const char *uid, int64_t now_ms, wardd_op_fn fn,
                               void *ctx)
{
    sq *s = h;
    pending_rows p = { fn, ctx, malloc(sizeof *p.op) };
    if (p.op == NULL) {
        return WARD_ERR_NOSPACE;
    }
    pthread_mutex_lock(&s->mu);
    ward_err err = sq_rows(s, PREP(s, sql_pending, SQ_TEXT(uid), SQ_INT(now_ms),
                                   SQ_INT(WARDD_OPS_PENDING_MAX)),
                           pending_row, &p);
    pthread_mutex_unlock(&s->mu);
    free(p.op);
    return err;
}

/* Drops the target's binding and escrow (both must go together). */
static ward_err revoke_binding(sq *s, const wardd_revoke_rec *r)
{
    uint8_t role = 0;
    ward_err err = sq_binding_role(s, r->sn, r->target, &role);
    if (err == WARD_OK && role != r->target_role) {
        err = WARD_ERR_STATE;
    }
    if (err != WARD_OK) {
        return err;
    }
    sqlite3_stmt *st = PREP(s, "DELETE FROM bindings WHERE sn = ? AND uid = ?",
                            SQ_TEXT(r->sn), SQ_TEXT(r->target));
    if (st == NULL || sq_step_done(s, st) != WARD_OK) {
        return WARD_ERR_IO;
    }
    if (sqlite3_changes(s->db) != 1) {
        return WARD_ERR_NOTFOUND;
    }
    st = PREP(s, "DELETE FROM escrows WHERE uid = ? AND sn = ?",
              SQ_TEXT(r->target), SQ_TEXT(r->sn));
    return st != NULL && sq_step_done(s, st) == WARD_OK ? WARD_OK : WARD_ERR_IO;
}

/* The evidence that the lock still holds a binding wardd has not: an
 * earlier REVOKE of r->target by r->revoker that the lock acknowledged
 * with a result (it answers "bound under another binding" that way; wardd
 * cannot open the result, only see that the lock answered). */
static ward_err revoke_answered(sq *s, const wardd_revoke_rec *r)
{
    int64_t n = 0;
    ward_err err = sq_count(s, PREP(s,
        "SELECT count(*) FROM inbox WHERE sn = ? AND revoker = ? AND target = ?"
        " AND acked_ms IS NOT NULL AND result IS NOT NULL",
        SQ_TEXT(r->sn), SQ_TEXT(r->revoker), SQ_TEXT(r->target)), &n);
    return err != WARD_OK ? err : n > 0 ? WARD_OK : WARD_ERR_NOTFOUND;
}

static ward_err sq_revoke(void *h, const wardd_revoke_rec *r, int64_t *inbox_id)
{
    sq *s = h;
    *inbox_id = 0;
    ward_err err = sq_begin_durable(s);
    if (err != WARD_OK) {
        return err;
    }
    /* A self-revoker wardd no longer holds a binding of sends again on
     * the lock's answer alone; anyone else must still hold the role seen. */
    uint8_t role = 0;
    if (!r->unbound || strcmp(r->revoker, r->target) != 0) {
        err = sq_binding_role(s, r->sn, r->revoker, &role);
        if (err == WARD_ERR_NOTFOUND || (err == WARD_OK && role != r->revoker_role)) {
            return sq_end_durable(s, WARD_ERR_STATE);
        }
    }
    if (err == WARD_OK && !r->unbound) {
        err = revoke_binding(s, r);
    }
    if (err == WARD_OK && r->unbound) {
        /* Still not bound here: a binding made meanwhile is judged anew. */
        err = sq_binding_role(s, r->sn, r->target, &role);
        err = err == WARD_ERR_NOTFOUND ? WARD_OK : err == WARD_OK ? WARD_ERR_STATE : err;
    }
    if (err == WARD_OK && r->unbound) {
        err = revoke_answered(s, r);
    }
    int64_t waiting = 0;
    if (err == WARD_OK) {
        err = sq_count(s, PREP(s, "SELECT count(*) FROM inbox WHERE sn = ? AND acked_ms IS NULL",
                               SQ_TEXT(r->sn)), &waiting);
    }
    if (err == WARD_OK && waiting >= WARDD_INBOX_MAX) {
        err = WARD_ERR_BUSY;
    }
    if (err != WARD_OK) {
        return sq_end_durable(s, err);
    }
    sqlite3_stmt *st = PREP(s,
        "INSERT INTO inbox (sn, msg, created_ms, revoker, target) VALUES (?, ?, ?, ?, ?)",
        SQ_TEXT(r->sn), SQ_BLOB(r->msg, r->msg_len), SQ_INT(r->now_ms), SQ_TEXT(r->revoker),
        SQ_TEXT(r->target));
    if (st == NULL) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err != WARD_OK) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    *inbox_id = sqlite3_last_insert_rowid(s->db);
    char detail[WARD_UID_MAX + 24];
    snprintf(detail, sizeof detail, "target=%s%s", r->target, r->unbound ? " unbound" : "");
    err = sq_audit_add(s, r->sn, r->now_ms, "revoke", r->revoker, 0, detail);
    if (err != WARD_OK) {
        *inbox_id = 0;
    }
    return sq_end_durable(s, err == WARD_OK ? WARD_OK : WARD_ERR_IO);
}

typedef struct inbox_rows {
    wardd_inbox_fn fn;
    void *ctx;
} inbox_rows;

static sq_row_step inbox_row(sqlite3_stmt *st, void *arg)
{
    inbox_rows *r = arg;
    wardd_inbox_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.id = sqlite3_column_int64(st, 0);
    if (sq_copy_var(st, 1, rec.msg, sizeof rec.msg, &rec.msg_len) != WARD_OK) {
        return SQ_ROW_BAD;
    }
    return r->fn(r->ctx, &rec) != 0 ? SQ_ROW_STOP : SQ_ROW_NEXT;
}

static ward_err sq_inbox_list(void *h, const char *sn, int64_t after, wardd_inbox_fn fn,
                             void *ctx)
{
    sq *s = h;
    inbox_rows r = { fn, ctx };
    pthread_mutex_lock(&s->mu);
    ward_err err = sq_rows(s, PREP(s,
        "SELECT id, msg FROM inbox WHERE sn = ? AND id > ? AND acked_ms IS NULL"
        " ORDER BY id LIMIT ?", SQ_TEXT(sn), SQ_INT(after), SQ_INT(WARDD_INBOX_PAGE)),
        inbox_row, &r);
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_inbox_ack(void *h, const char *sn, const wardd_inbox_ack_rec *acks,
                             size_t n, int64_t now_ms, size_t *acked)
{
    sq *s = h;
    *acked = 0;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    size_t count = 0;
    for (size_t i = 0; i < n && err == WARD_OK; i++) {
        const wardd_inbox_ack_rec *k = &acks[i];
        /* Only this lock's messages, and a result only for the revoker:
         * another lock's ids and other users' results change nothing. */
        sqlite3_stmt *st = PREP(s,
            "UPDATE inbox SET acked_ms = ?1,"
            " result = CASE WHEN ?2 IS NOT NULL AND revoker = ?3 THEN ?2 ELSE NULL END"
            " WHERE id = ?4 AND sn = ?5 AND acked_ms IS NULL",
            SQ_INT(now_ms), SQ_BLOB(k->result, k->result_len),
            SQ_TEXT(k->result_uid != NULL ? k->result_uid : ""), SQ_INT(k->id), SQ_TEXT(sn));
        if (st == NULL) {
            err = WARD_ERR_IO;
            break;
        }
        err = sq_step_done(s, st);
        if (err == WARD_OK) {
            count += (size_t)sqlite3_changes(s->db);
        }
    }
    err = sq_end(s, err);
    if (err == WARD_OK) {
        *acked = count;
    }
    return err;
}

static ward_err sq_revocation_get(void *h, int64_t id, wardd_revocation *out)
{
    sq *s = h;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = PREP(s,
        "SELECT id, sn, revoker, target, created_ms, acked_ms IS NOT NULL, result"
        " FROM inbox WHERE id = ?", SQ_INT(id));
    ward_err err = WARD_ERR_IO;
    if (st != NULL) {
        int rc = sqlite3_step(st);
        err = rc == SQLITE_DONE ? WARD_ERR_NOTFOUND : rc == SQLITE_ROW ? WARD_OK : WARD_ERR_IO;
        if (err == WARD_OK) {
            out->id = sqlite3_column_int64(st, 0);
            sq_copy_text(st, 1, out->sn, sizeof out->sn);
            sq_copy_text(st, 2, out->revoker, sizeof out->revoker);
            sq_copy_text(st, 3, out->target, sizeof out->target);
            out->created_ms = sqlite3_column_int64(st, 4);
            out->acked = sqlite3_column_int(st, 5) != 0;
            err = sq_copy_var(st, 6, out->result, sizeof out->result, &out->result_len);
        }
        sq_release(s, st);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

typedef struct client_rows {
    wardd_client_fn fn;
    void *ctx;
} client_rows;

static sq_row_step client_row(sqlite3_stmt *st, void *arg)
{
    client_rows *r = arg;
    wardd_client_rec rec;
    memset(&rec, 0, sizeof rec);
    sq_copy_text(st, 0, rec.uid, sizeof rec.uid);
    rec.role = (uint8_t)sqlite3_column_int(st, 1);
    rec.bound_ms = sqlite3_column_int64(st, 3);
    if (sq_copy_blob(st, 2, rec.tid, WARD_TASK_ID_LEN) != WARD_OK) {
        return SQ_ROW_BAD;
    }
    return r->fn(r->ctx, &rec) != 0 ? SQ_ROW_STOP : SQ_ROW_NEXT;
}

static ward_err sq_clients_list(void *h, const char *sn, wardd_client_fn fn, void *ctx)
{
    sq *s = h;
    client_rows r = { fn, ctx };
    pthread_mutex_lock(&s->mu);
    ward_err err = sq_rows(s, PREP(s,
        "SELECT uid, role, tid, bound_ms FROM bindings WHERE sn = ? ORDER BY bound_ms, uid",
        SQ_TEXT(sn)), client_row, &r);
    pthread_mutex_unlock(&s->mu);
    return err;
}

typedef struct audit_rows {
    wardd_audit_fn fn;
    void *ctx;
} audit_rows;

static sq_row_step audit_row(sqlite3_stmt *st, void *arg)
{
    audit_rows *r = arg;
    wardd_audit_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.id = sqlite3_column_int64(st, 0);
    rec.ts_ms = sqlite3_column_int64(st, 1);
    sq_copy_text(st, 2, rec.event, sizeof rec.event);
    sq_copy_text(st, 3, rec.uid, sizeof rec.uid);
    rec.op = sqlite3_column_int(st, 4);
    sq_copy_text(st, 5, rec.detail, sizeof rec.detail);
    return r->fn(r->ctx, &rec) != 0 ? SQ_ROW_STOP : SQ_ROW_NEXT;
}

static ward_err sq_audit_list(void *h, const char *sn, size_t limit, wardd_audit_fn fn,
                              void *ctx)
{
    sq *s = h;
    audit_rows r = { fn, ctx };
    pthread_mutex_lock(&s->mu);
    /* The audit shows every answer and delivery so far. */
    ward_err err = sq_deferred_flush(s);
    if (err == WARD_OK) {
        err = sq_rows(s, PREP(s,
            "SELECT id, ts_ms, event, uid, op, detail FROM audit WHERE sn = ?"
            " ORDER BY id DESC LIMIT ?", SQ_TEXT(sn), SQ_INT((sqlite3_int64)limit)),
            audit_row, &r);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* The flow B entries of the store's vtable. */
void sq_fill_ops(wardd_store *out)
{
    out->op_create = sq_op_create;
    out->op_get = sq_op_get;
    out->op_answer = sq_op_answer;
    out->op_answers = sq_op_answers;
    out->op_result = sq_op_result;
    out->op_withdraw = sq_op_withdraw;
    out->ops_pending = sq_ops_pending;
    out->revoke = sq_revoke;
    out->inbox_list = sq_inbox_list;
    out->inbox_ack = sq_inbox_ack;
    out->revocation_get = sq_revocation_get;
    out->clients_list = sq_clients_list;
    out->audit_list = sq_audit_list;
}
