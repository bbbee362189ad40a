/* wardd's SQLite store, flow B entries: operations, answers and their
 * deliveries, results, revocations, the lock inbox, clients, audit. */
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

static const sq_answer *sq_answer_held(const sq *s, const uint8_t op_id[WARDD_OP_ID_LEN])
{
    for (size_t i = 0; i < s->nanswers; i++) {
        if (memcmp(s->answers[i].op.op_id, op_id, WARDD_OP_ID_LEN) == 0) {
            return &s->answers[i];
        }
    }
    return NULL;
}

/* Cannot fail: out holds exactly the digits and the NUL. */
static void sq_op_id_hex(const uint8_t id[WARDD_OP_ID_LEN], char out[2 * WARDD_OP_ID_LEN + 1])
{
    ward_hex_encode(id, WARDD_OP_ID_LEN, out, 2 * WARDD_OP_ID_LEN + 1);
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
    sq_copy_text(st, 9, op->answered_by, sizeof op->answered_by);
    if (err == WARD_OK) {
        err = sq_copy_var(st, 10, op->approval, sizeof op->approval, &op->approval_len);
    }
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
     * admin): a member's answer would win here and be refused there,
     * leaving the grant unanswerable. */
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

/* An op whose winning answer is held reads from the held copy: nothing
 * else changes it before that answer is written (every other change runs
 * in a transaction, which writes the held answers first). */
static ward_err sq_op_get(void *h, const uint8_t op_id[WARDD_OP_ID_LEN], wardd_op *op)
{
    sq *s = h;
    pthread_mutex_lock(&s->mu);
    const sq_answer *q = sq_answer_held(s, op_id);
    ward_err err = WARD_OK;
    if (q != NULL) {
        *op = q->op;
    } else {
        err = op_read(s, op_id, op);
    }
    if (err == WARD_OK) {
        op->delivered = op->delivered || sq_delivery_waiting(s, op_id);
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* What the answer and result entries read of an op. */
typedef struct op_head_rec {
    int state;
    int64_t expires_ms;
    char sn[WARD_SN_MAX + 1];
    char target[WARD_UID_MAX + 1];
    int op;
    char first[WARD_UID_MAX + 1];   /* who answered, if anyone */
} op_head_rec;

/* Reads the op's head inside the caller's transaction. */
static ward_err op_head(sq *s, const uint8_t op_id[WARDD_OP_ID_LEN], op_head_rec *h)
{
    sqlite3_stmt *st = PREP(s,
        "SELECT state, expires_ms, sn, op, answered_by, target FROM ops WHERE op_id = ?",
        SQ_BLOB(op_id, WARDD_OP_ID_LEN));
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
        sq_copy_text(st, 4, h->first, sizeof h->first);
        sq_copy_text(st, 5, h->target, sizeof h->target);
        err = WARD_OK;
    }
    sq_release(s, st);
    return err;
}

/* Whether uid may answer the op: its target, when it names one, one of
 * the audience the op was offered to (not a client bound since, nor a
 * member for an add-client grant), and still bound to its lock (checked
 * in the answer's own snapshot, so a revocation committed before the
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
    sq_release(s, st);
    *same = rc == SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? WARD_OK : WARD_ERR_IO;
}

/* Writes a winning answer: the op's answer and its op_answered row.
 * *written is false, and nothing written, when the op is no longer
 * pending (answered meanwhile) or gone (purged). The audience rows stay
 * (purge drops them with the op): the pending list skips answered ops by
 * state, and deleting them would double the pages an answer writes. */
static ward_err answer_write(sq *s, const sq_answer *q, bool *written)
{
    *written = false;
    sqlite3_stmt *st = PREP(s,
        "UPDATE ops SET state = 1, answered_by = ?, approval = ?, answer_sig_input = ?,"
        " answer_sig = ?, answered_ms = ? WHERE op_id = ? AND state = 0",
        SQ_TEXT(q->op.answered_by), SQ_BLOB(q->op.approval, q->op.approval_len),
        SQ_TEXT(q->sig_input), SQ_TEXT(q->sig), SQ_INT(q->at_ms),
        SQ_BLOB(q->op.op_id, WARDD_OP_ID_LEN));
    if (st == NULL || sq_step_done(s, st) != WARD_OK) {
        return WARD_ERR_IO;
    }
    if (sqlite3_changes(s->db) != 1) {
        return WARD_OK;
    }
    char hex[2 * WARDD_OP_ID_LEN + 1];
    sq_op_id_hex(q->op.op_id, hex);
    if (sq_audit_add(s, q->op.sn, q->at_ms, "op_answered", q->op.answered_by, q->op.op, hex) !=
        WARD_OK) {
        return WARD_ERR_IO;
    }
    *written = true;
    return WARD_OK;
}

/* Makes q->op (the op as read) answered by a; false when a field does
 * not fit (the headers are bounded by the signature parser, so never in
 * use). */
static bool answer_fill(sq_answer *q, const wardd_answer_rec *a)
{
    if (strlen(a->uid) > WARD_UID_MAX || a->approval_len > sizeof q->op.approval ||
        a->sig_input == NULL || strlen(a->sig_input) >= sizeof q->sig_input ||
        a->sig == NULL || strlen(a->sig) >= sizeof q->sig) {
        return false;
    }
    q->op.state = WARDD_OP_ANSWERED;
    snprintf(q->op.answered_by, sizeof q->op.answered_by, "%s", a->uid);
    memcpy(q->op.approval, a->approval, a->approval_len);
    q->op.approval_len = a->approval_len;
    snprintf(q->sig_input, sizeof q->sig_input, "%s", a->sig_input);
    snprintf(q->sig, sizeof q->sig, "%s", a->sig);
    q->at_ms = a->now_ms;
    return true;
}

/* The common case of an answer, the winning one, without a commit of its
 * own: one read transaction checks that it wins (nonce unspent, op
 * pending and unexpired, signer bound), then it is held for the next
 * transaction of any entry. Reads show it at once (op_get, ops_pending),
 * the lock's fetch commits it before the lock may see it (sq_op_deliver)
 * and the checkpointer's tick within a second. *held says whether it
 * was; anything else goes to answer_in_txn, which refuses it as before.
 * Called with s->mu held. */
static ward_err answer_hold(sq *s, const wardd_answer_rec *a, wardd_answer_res *res,
                            bool *held)
{
    *held = false;
    if (s->nanswers == SQ_ANSWERS_MAX || sq_answer_held(s, a->op_id) != NULL) {
        return WARD_OK;
    }
    if (sq_read_begin(s) != WARD_OK) {
        return WARD_ERR_IO;
    }
    sq_answer *q = &s->answers[s->nanswers];    /* kept only if it wins */
    ward_err err = a->nonce != NULL ? nonce_seen(s, a->keyid, a->nonce) : WARD_OK;
    if (err == WARD_OK) {
        err = op_read(s, a->op_id, &q->op);
    }
    if (err == WARD_OK) {
        err = answer_audience(s, a->op_id, q->op.sn, q->op.target, a->uid, res);
    }
    sq_read_end(s);
    res->not_target = false;        /* answer_in_txn says it again */
    if (err != WARD_OK || q->op.state != WARDD_OP_PENDING || a->now_ms >= q->op.expires_ms ||
        !answer_fill(q, a)) {
        return WARD_OK;
    }
    s->nanswers++;
    *held = true;
    memcpy(res->sn, q->op.sn, sizeof res->sn);
    return WARD_OK;
}

/* The winning answer does not write its nonce: the op leaves pending and
 * keeps the request's Signature-Input, which names the nonce, so a replay
 * is recognised by that (WARD_ERR_AUTH) and can never answer again. Two
 * pages fewer per answer; every other answer spends its nonce as before.
 * The answer in a transaction of its own: the late, refused and replayed
 * ones, whose refusal writes (late rows, nonces); a held answer of the
 * same op is written first, by sq_begin. */
static ward_err answer_in_txn(sq *s, const wardd_answer_rec *a, wardd_answer_res *res)
{
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
    op_head_rec h;
    err = op_head(s, a->op_id, &h);
    if (err != WARD_OK) {
        return sq_end(s, err);
    }
    memcpy(res->sn, h.sn, sizeof res->sn);
    err = answer_audience(s, a->op_id, h.sn, h.target, a->uid, res);
    if (err != WARD_OK) {
        return sq_end(s, err);
    }
    if (h.state != WARDD_OP_PENDING) {
        if (a->nonce != NULL) {
            bool replay = false;
            err = winner_nonce(s, a, &replay);
            if (err == WARD_OK) {
                err = replay ? WARD_ERR_AUTH
                             : sq_nonce_add(s, a->keyid, a->nonce, a->nonce_expires_ms);
            }
        }
        if (err != WARD_OK) {
            return sq_end(s, err);
        }
        /* Late: keep the audit row, change nothing else. */
        char hex[2 * WARDD_OP_ID_LEN + 1];
        sq_op_id_hex(a->op_id, hex);
        err = sq_end(s, sq_audit_add(s, h.sn, a->now_ms, "op_late", a->uid, h.op, hex));
        if (err == WARD_OK) {
            memcpy(res->first, h.first, sizeof res->first);
        }
        return err == WARD_OK ? WARD_ERR_STATE : err;
    }
    if (a->now_ms >= h.expires_ms) {
        return sq_end(s, WARD_ERR_EXPIRED);
    }
    sq_answer *q = calloc(1, sizeof *q);
    bool written = false;
    if (q != NULL) {
        memcpy(q->op.op_id, a->op_id, WARDD_OP_ID_LEN);
        memcpy(q->op.sn, h.sn, sizeof q->op.sn);
        q->op.op = (uint8_t)h.op;
    }
    if (q == NULL || !answer_fill(q, a) || answer_write(s, q, &written) != WARD_OK ||
        !written) {
        err = WARD_ERR_IO;
    }
    free(q);
    return sq_end(s, err);
}

static ward_err sq_op_answer(void *h, const wardd_answer_rec *a, wardd_answer_res *res)
{
    sq *s = h;
    memset(res, 0, sizeof *res);
    bool held = false;
    pthread_mutex_lock(&s->mu);
    ward_err err = answer_hold(s, a, res, &held);
    pthread_mutex_unlock(&s->mu);
    if (err != WARD_OK || held) {
        return err;
    }
    return answer_in_txn(s, a, res);
}

/* Writes the held answers inside the caller's transaction. One written
 * twice (a rolled-back transaction's, written again) changes nothing. */
static ward_err answers_apply(sq *s)
{
    for (size_t i = 0; i < s->nanswers; i++) {
        bool written = false;
        if (answer_write(s, &s->answers[i], &written) != WARD_OK) {
            return WARD_ERR_IO;
        }
    }
    return WARD_OK;
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
            sq_release(s, st);
            continue;       /* written before, or the op was purged */
        }
        if (rc != SQLITE_ROW) {
            sq_release(s, st);
            return WARD_ERR_IO;
        }
        char sn[WARD_SN_MAX + 1], first[WARD_UID_MAX + 1], hex[2 * WARDD_OP_ID_LEN + 1];
        sq_copy_text(st, 0, sn, sizeof sn);
        int op = sqlite3_column_int(st, 1);
        sq_copy_text(st, 2, first, sizeof first);
        rc = sqlite3_step(st);      /* one row: op_id is the key */
        sq_release(s, st);
        if (rc != SQLITE_DONE) {
            return WARD_ERR_IO;
        }
        sq_op_id_hex(op_id, hex);
        if (sq_audit_add(s, sn, at, "op_delivered", first, op, hex) != WARD_OK) {
            return WARD_ERR_IO;
        }
    }
    return WARD_OK;
}

ward_err sq_deferred_apply(sq *s)
{
    ward_err err = answers_apply(s);
    return err == WARD_OK ? deliveries_apply(s) : err;
}

ward_err sq_deferred_flush(sq *s)
{
    if (s->nanswers == 0 && s->ndeliveries == 0) {
        return WARD_OK;
    }
    ward_err err = sq_begin_locked(s);
    return err == WARD_OK ? sq_finish(s, WARD_OK) : err;
}

/* The lock's fetch is the hottest read of a relay: rather than a commit
 * of its own, the delivery waits in memory for the next transaction of
 * any entry (or the checkpointer's tick, within a second). A crash can
 * lose the last second of delivery marks, never an answer the lock saw:
 * a held answer is committed here, with this delivery, before the fetch
 * may return it. Nothing is read here: op is the fetch's own op_get, and
 * an answer is never taken back (the deferred UPDATE checks the state
 * and the mark again). */
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
    bool answer_held = sq_answer_held(s, op->op_id) != NULL, added = false;
    if (!sq_delivery_waiting(s, op->op_id)) {
        if (s->ndeliveries == SQ_DELIVERIES_MAX) {
            err = sq_deferred_flush(s);
        }
        if (err == WARD_OK) {
            memcpy(s->deliveries[s->ndeliveries].op_id, op->op_id, WARDD_OP_ID_LEN);
            s->deliveries[s->ndeliveries].at_ms = now_ms;
            s->ndeliveries++;
            added = true;
        }
    }
    if (err == WARD_OK && answer_held) {
        err = sq_deferred_flush(s);
        if (err != WARD_OK && added) {
            /* Not delivered: the next fetch commits the answer again. */
            s->ndeliveries--;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_op_result(void *h, const uint8_t op_id[WARDD_OP_ID_LEN],
                             const uint8_t *msg, size_t len, int64_t now_ms)
{
    sq *s = h;
    ward_err err = sq_begin(s);
    if (err != WARD_OK) {
        return err;
    }
    op_head_rec head;
    err = op_head(s, op_id, &head);
    if (err != WARD_OK) {
        return sq_end(s, err);
    }
    if (head.state != WARDD_OP_ANSWERED) {
        return sq_end(s, WARD_ERR_STATE);
    }
    sqlite3_stmt *st = PREP(s,
        "UPDATE ops SET state = 2, result = ?, result_ms = ? WHERE op_id = ? AND state = 1",
        SQ_BLOB(msg, len), SQ_INT(now_ms), SQ_BLOB(op_id, WARDD_OP_ID_LEN));
    if (st == NULL) {
        return sq_end(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err == WARD_OK) {
        char hex[2 * WARDD_OP_ID_LEN + 1];
        sq_op_id_hex(op_id, hex);
        err = sq_audit_add(s, head.sn, now_ms, "op_result", head.first, head.op, hex);
    }
    return sq_end(s, err == WARD_OK ? WARD_OK : WARD_ERR_IO);
}

typedef struct pending_rows {
    sq *s;
    wardd_op_fn fn;
    void *ctx;
    wardd_op *op;           /* on the heap: an op holds three messages */
} pending_rows;

static sq_row_step pending_row(sqlite3_stmt *st, void *arg)
{
    pending_rows *p = arg;
    if (read_op(st, p->op) != WARD_OK) {
        return SQ_ROW_BAD;
    }
    if (sq_answer_held(p->s, p->op->op_id) != NULL) {
        return SQ_ROW_NEXT;     /* answered, the answer not yet written */
    }
    return p->fn(p->ctx, p->op) != 0 ? SQ_ROW_STOP : SQ_ROW_NEXT;
}

static ward_err sq_ops_pending(void *h, const char *uid, int64_t now_ms, wardd_op_fn fn,
                               void *ctx)
{
    sq *s = h;
    pending_rows p = { s, fn, ctx, malloc(sizeof *p.op) };
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

static ward_err sq_revoke(void *h, const wardd_revoke_rec *r, int64_t *inbox_id)
{
    sq *s = h;
    *inbox_id = 0;
    ward_err err = sq_begin_durable(s);
    if (err != WARD_OK) {
        return err;
    }
    uint8_t role = 0;
    err = sq_binding_role(s, r->sn, r->revoker, &role);
    if (err == WARD_ERR_NOTFOUND || (err == WARD_OK && role != r->revoker_role)) {
        return sq_end_durable(s, WARD_ERR_STATE);
    }
    if (err == WARD_OK) {
        err = sq_binding_role(s, r->sn, r->target, &role);
    }
    if (err == WARD_OK && role != r->target_role) {
        err = WARD_ERR_STATE;
    }
    if (err != WARD_OK) {
        return sq_end_durable(s, err);
    }
    sqlite3_stmt *st = PREP(s, "DELETE FROM bindings WHERE sn = ? AND uid = ?",
                            SQ_TEXT(r->sn), SQ_TEXT(r->target));
    if (st == NULL) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err != WARD_OK) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    if (sqlite3_changes(s->db) != 1) {
        return sq_end_durable(s, WARD_ERR_NOTFOUND);
    }
    st = PREP(s, "DELETE FROM escrows WHERE uid = ? AND sn = ?",
              SQ_TEXT(r->target), SQ_TEXT(r->sn));
    if (st == NULL) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err != WARD_OK) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    st = PREP(s, "INSERT INTO inbox (sn, msg, created_ms) VALUES (?, ?, ?)",
              SQ_TEXT(r->sn), SQ_BLOB(r->msg, r->msg_len), SQ_INT(r->now_ms));
    if (st == NULL) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    err = sq_step_done(s, st);
    if (err != WARD_OK) {
        return sq_end_durable(s, WARD_ERR_IO);
    }
    *inbox_id = sqlite3_last_insert_rowid(s->db);
    char detail[WARD_UID_MAX + 16];
    snprintf(detail, sizeof detail, "target=%s", r->target);
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

static ward_err sq_inbox_list(void *h, const char *sn, wardd_inbox_fn fn, void *ctx)
{
    sq *s = h;
    inbox_rows r = { fn, ctx };
    pthread_mutex_lock(&s->mu);
    ward_err err = sq_rows(s, PREP(s,
        "SELECT id, msg FROM inbox WHERE sn = ? ORDER BY id LIMIT 64", SQ_TEXT(sn)),
        inbox_row, &r);
    pthread_mutex_unlock(&s->mu);
    return err;
}

static ward_err sq_inbox_ack(void *h, const char *sn, const int64_t *ids, size_t n,
                             size_t *acked)
{
    sq *s = h;
    *acked = 0;
    ward_err err = sq_begin(s);
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
    out->op_deliver = sq_op_deliver;
    out->op_result = sq_op_result;
    out->ops_pending = sq_ops_pending;
    out->revoke = sq_revoke;
    out->inbox_list = sq_inbox_list;
    out->inbox_ack = sq_inbox_ack;
    out->clients_list = sq_clients_list;
    out->audit_list = sq_audit_list;
}
