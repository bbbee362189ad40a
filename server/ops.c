/* Flow B's relay: operation tasks from a lock to its bound apps, every
 * audience member's answer back (the lock takes the first that verifies),
 * the lock's result, its withdrawal. wardd routes by the request's fields
 * (parsed by the core) and checks who answers; it opens nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_port_posix.h"
#include "ward/ward_suite.h"

#include "log.h"
#include "wardd.h"

#define OP_HEX_LEN (2 * WARDD_OP_ID_LEN)
#define TOKEN_LEN 16

static bool op_id_parse(const char *hex, uint8_t id[WARDD_OP_ID_LEN])
{
    size_t n = 0;
    return hex != NULL && strlen(hex) == OP_HEX_LEN &&
           ward_hex_decode(hex, OP_HEX_LEN, id, WARDD_OP_ID_LEN, &n) == WARD_OK &&
           n == WARDD_OP_ID_LEN;
}

/* Loads the op the route names into a heap copy, or answers 400/404/500. */
static wardd_op *load_op(wardd *w, const char *hex, wardd_resp *out)
{
    uint8_t id[WARDD_OP_ID_LEN];
    if (!op_id_parse(hex, id)) {
        wardd_fail(out, 400, "format", "op id: 32 hex digits expected");
        return NULL;
    }
    wardd_op *op = malloc(sizeof *op);
    if (op == NULL) {
        wardd_fail(out, 500, "internal", "out of memory");
        return NULL;
    }
    ward_err err = w->store.op_get(w->store.h, id, op);
    if (err == WARD_OK) {
        return op;
    }
    if (err == WARD_ERR_NOTFOUND) {
        wardd_fail(out, 404, "notfound", "no such op");
    } else {
        wardd_fail_store(out, err);
    }
    free(op);
    return NULL;
}

/* The lock's capability: SHA-256(token) must equal the hash it sent in
 * its signed POST /v1/ops. A hash compare instead of a signature check
 * saves an ECDSA verification per fetch. */
static bool token_ok(wardd *w, const wardd_req *r, const wardd_op *op, wardd_resp *out)
{
    const char *hex = r->arg(r->ctx, "token");
    uint8_t token[TOKEN_LEN], hash[WARD_SHA256_LEN];
    size_t n = 0;
    bool ok = hex != NULL && strlen(hex) == 2 * TOKEN_LEN &&
              ward_hex_decode(hex, 2 * TOKEN_LEN, token, sizeof token, &n) == WARD_OK &&
              n == TOKEN_LEN;
    if (ok) {
        ward_iov iov = { token, sizeof token };
        ok = w->cp->sha256(&iov, 1, hash) == WARD_OK &&
             ward_ct_equal(hash, op->token_hash, sizeof hash);
    }
    ward_wipe(token, sizeof token);
    if (!ok) {
        wardd_log("warn", "auth_refused", "reason=op_token");
        wardd_fail(out, 401, "auth", "op token refused");
    }
    return ok;
}

/* The wake key of an op: its id in lower case, as answers print it. */
static void wake_key(const char *param, char key[WARDD_PATH_MAX])
{
    size_t i = 0;
    for (; param[i] && i + 1 < WARDD_PATH_MAX; i++) {
        char c = param[i];
        key[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
    }
    key[i] = '\0';
}

static const char *state_name(const wardd_op *op, int64_t now)
{
    if (op->state == WARDD_OP_DONE) {
        return "done";
    }
    if (op->state == WARDD_OP_WITHDRAWN) {
        return "withdrawn";
    }
    if (now >= op->expires_ms) {
        return "expired";
    }
    return op->state == WARDD_OP_ANSWERED ? "answered" : "pending";
}

/* The 410 of an op no longer open, saying which way in "state"
 * ("withdrawn" or "expired"), so a client need not match the message. */
static void fail_gone(wardd_resp *out, bool withdrawn, const char *msg)
{
    wardd_fail(out, 410, "expired", msg);
    if (out->json != NULL) {
        cJSON_AddStringToObject(out->json, "state", withdrawn ? "withdrawn" : "expired");
    }
}

/* An op id is the creation time in ms (6 bytes, big-endian) and 10
 * random bytes, like a UUIDv7: ids made together sort together, so a
 * relay's writes land on the few hot pages of the ops table instead of a
 * random page each. The id is a name, not a secret: the lock's fetch
 * needs its capability token and everything else a bound user's
 * signature. */
static bool new_op_id(int64_t now_ms, uint8_t id[WARDD_OP_ID_LEN])
{
    uint64_t t = (uint64_t)now_ms;
    for (int i = 5; i >= 0; i--) {
        id[i] = (uint8_t)t;
        t >>= 8;
    }
    ward_random rng = ward_random_posix();
    return rng.fill(rng.ctx, id + 6, WARDD_OP_ID_LEN - 6) == WARD_OK;
}

static int wake_client(void *ctx, const wardd_client_rec *rec)
{
    (void)ctx;
    wardd_wake("user", rec->uid);
    return 0;
}

void wardd_h_ops_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    if (!s.is_lock) {
        wardd_fail(out, 403, "forbidden", "ops come from locks");
        return;
    }
    cJSON *j = NULL;
    if (!wardd_json_body(r, &j, out)) {
        return;
    }
    wardd_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        cJSON_Delete(j);
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    const char *th = wardd_json_str(j, "token_hash", 2 * WARD_SHA256_LEN);
    size_t n = 0;
    bool ok = wardd_json_b64(j, "request", op->request, 1, sizeof op->request,
                             &op->request_len) &&
              th != NULL && strlen(th) == 2 * WARD_SHA256_LEN &&
              ward_hex_decode(th, strlen(th), op->token_hash, WARD_SHA256_LEN, &n) ==
                  WARD_OK &&
              n == WARD_SHA256_LEN;
    cJSON_Delete(j);
    ward_op_request req;
    if (!ok || ward_op_request_parse(op->request, op->request_len, &req) != WARD_OK ||
        req.op == 0 || req.op > WARD_OP_MAX ||
        (req.target != NULL &&
         ward_check_uid(req.target, req.target_len) != WARD_OK)) {
        wardd_fail(out, 400, "format", "request or token_hash malformed");
        goto done;
    }
    if (req.sn_len != strlen(s.id) || memcmp(req.sn, s.id, req.sn_len) != 0 ||
        req.sn_len > WARD_SN_MAX) {
        wardd_fail(out, 403, "forbidden", "request is for another lock");
        goto done;
    }
    memcpy(op->sn, req.sn, req.sn_len);
    op->sn[req.sn_len] = '\0';
    if (req.target != NULL) {
        memcpy(op->target, req.target, req.target_len);
        op->target[req.target_len] = '\0';
    }
    op->op = req.op;
    int64_t now = wardd_now_ms();
    if (!new_op_id(now, op->op_id)) {
        wardd_fail(out, 500, "internal", "no randomness");
        goto done;
    }
    op->created_ms = now;
    /* wardd's own lifetime (--op-ttl, 60 s like WARD_OP_TTL_MS). The
     * request's expiry is on the lock's clock, which wardd cannot compare
     * with its own; the lock enforces that one itself, so wardd only
     * bounds how long it offers the op. */
    op->expires_ms = now + (int64_t)WARDD_LIVE(w, op_ttl_s) * 1000;
    op->state = WARDD_OP_PENDING;
    size_t audience = 0;
    ward_err err = w->store.op_create(w->store.h, op, &audience);
    if (err == WARD_ERR_NOTFOUND) {
        wardd_fail(out, 404, "notfound",
                   "target is not bound to this lock, or may not grant this op");
        goto done;
    }
    if (err == WARD_ERR_STATE) {
        wardd_fail(out, 409, "conflict", "no client is bound to this lock");
        goto done;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        goto done;
    }
    if (op->target[0]) {
        wardd_wake("user", op->target);
    } else {
        w->store.clients_list(w->store.h, op->sn, wake_client, NULL);
    }
    char hex[OP_HEX_LEN + 1];
    WARD_ASSERT(ward_hex_encode(op->op_id, sizeof op->op_id, hex, sizeof hex) == WARD_OK);
    wardd_log("info", "op_created", "sn=%s op_id=%s op=%u audience=%zu", op->sn, hex,
              op->op, audience);
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "op_id", hex);
    cJSON_AddNumberToObject(res, "expires", (double)(op->expires_ms / 1000));
    wardd_reply(out, 201, res);
done:
    free(op);
}

typedef struct pending_ctx {
    cJSON *arr;
    size_t n;
} pending_ctx;

static int add_pending(void *ctx, const wardd_op *op)
{
    pending_ctx *p = ctx;
    cJSON *e = cJSON_CreateObject();
    if (e == NULL) {
        return 1;
    }
    char hex[OP_HEX_LEN + 1];
    WARD_ASSERT(ward_hex_encode(op->op_id, sizeof op->op_id, hex, sizeof hex) == WARD_OK);
    cJSON_AddStringToObject(e, "op_id", hex);
    cJSON_AddStringToObject(e, "sn", op->sn);
    cJSON_AddNumberToObject(e, "op", op->op);
    wardd_json_add_b64(e, "request", op->request, op->request_len);
    cJSON_AddNumberToObject(e, "expires", (double)(op->expires_ms / 1000));
    cJSON_AddItemToArray(p->arr, e);
    p->n++;
    return 0;
}

void wardd_h_ops_pending(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    long wait_s = 0;
    if (!wardd_auth(w, r, NULL, NULL, &s, out) || !wardd_wait_arg(r, &wait_s, out)) {
        return;
    }
    if (s.is_lock) {
        wardd_fail(out, 403, "forbidden", "pending ops are for users");
        return;
    }
    int64_t deadline = wardd_now_ms() + wait_s * 1000;
    for (;;) {
        uint64_t gen = wardd_wake_gen("user", s.id);
        cJSON *res = cJSON_CreateObject();
        pending_ctx p = { cJSON_AddArrayToObject(res, "ops"), 0 };
        ward_err err = w->store.ops_pending(w->store.h, s.id, wardd_now_ms(), add_pending, &p);
        if (err != WARD_OK) {
            cJSON_Delete(res);
            wardd_fail_store(out, err);
            return;
        }
        if (p.n > 0 || !wardd_wake_wait(w, "user", s.id, gen, deadline)) {
            if (p.n == 0) {
                /* Woken by the deadline or shutdown: look once more. */
                cJSON_Delete(res);
                res = cJSON_CreateObject();
                p.arr = cJSON_AddArrayToObject(res, "ops");
                err = w->store.ops_pending(w->store.h, s.id, wardd_now_ms(), add_pending, &p);
                if (err != WARD_OK) {
                    cJSON_Delete(res);
                    wardd_fail_store(out, err);
                    return;
                }
            }
            wardd_reply(out, 200, res);
            return;
        }
        cJSON_Delete(res);
    }
}

/* The hot path of a relay: one transaction checks the nonce, the op and
 * its audience and stores the answer. Every member of the audience may
 * answer once; the lock tries them in order and takes the first that
 * verifies, so garbage from one member cannot burn another's answer. */
void wardd_h_op_answer_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth_deferred(w, r, &s, out)) {
        return;
    }
    wardd_answer_rec a;
    memset(&a, 0, sizeof a);
    if (s.is_lock) {
        wardd_fail(out, 403, "forbidden", "answers come from users");
        goto done;
    }
    if (!op_id_parse(r->param, a.op_id)) {
        wardd_fail(out, 400, "format", "op id: 32 hex digits expected");
        goto done;
    }
    cJSON *j = NULL;
    uint8_t msg[WARD_APPROVAL_MAX];
    size_t len = 0;
    const uint8_t *uid = NULL;
    size_t uid_len = 0;
    if (!wardd_json_body(r, &j, out)) {
        goto done;
    }
    bool ok = wardd_json_b64(j, "approval", msg, 1, sizeof msg, &len);
    cJSON_Delete(j);
    /* Two causes, two messages: a sender with good base64 and a wrong
     * header must be told about the header, not sent to its base64. */
    if (!ok) {
        wardd_fail(out, 400, "format", "approval: not base64, or longer than an APPROVAL can be");
        goto done;
    }
    if (ward_sealed_uid(msg, len, WARD_MSG_APPROVAL, &uid, &uid_len) != WARD_OK) {
        wardd_fail(out, 400, "format",
                   "approval: not an APPROVAL (header type 0x21, flags SEALED only, key index "
                   "0, seq 0, no client id; fields 0x01 uid, 0x02 ciphertext)");
        goto done;
    }
    /* The request's signature is the approval's: it must be the signer's. */
    if (uid_len != strlen(s.id) || memcmp(uid, s.id, uid_len) != 0) {
        wardd_log("warn", "answer_refused", "reason=uid_not_signer signer=%s", s.id);
        wardd_fail(out, 403, "forbidden", "approval is not the signer's");
        goto done;
    }
    a.uid = s.id;
    a.approval = msg;
    a.approval_len = len;
    a.sig_input = r->header(r->ctx, "Signature-Input");
    a.sig = r->header(r->ctx, "Signature");
    a.now_ms = wardd_now_ms();
    a.keyid = s.keyid;
    a.nonce = s.nonce;
    a.nonce_expires_ms = s.nonce_expires_ms;
    wardd_answer_res res;
    ward_err err = w->store.op_answer(w->store.h, &a, &res);
    if (err == WARD_ERR_NOTFOUND) {
        wardd_fail(out, 404, "notfound", "no such op");
        goto done;
    }
    if (err == WARD_ERR_PARAM && res.not_target) {
        wardd_log("warn", "answer_refused", "reason=not_target sn=%s uid=%s", res.sn, s.id);
        wardd_fail(out, 403, "forbidden", "the op asks another user");
        goto done;
    }
    if (err == WARD_ERR_PARAM) {
        wardd_log("warn", "answer_refused", "reason=not_offered sn=%s uid=%s", res.sn, s.id);
        wardd_fail(out, 403, "forbidden", "not bound to this lock, or not offered this op");
        goto done;
    }
    if (err == WARD_ERR_AUTH) {
        s.nonce_spent = true;   /* spent before: this is the replay */
        wardd_auth_replayed(out);
        goto done;
    }
    if (err == WARD_ERR_CONFLICT) {
        wardd_log("info", "answer_refused", "reason=answered_before sn=%s uid=%s", res.sn, s.id);
        wardd_fail(out, 409, "conflict", "this user has answered this op already");
        goto done;
    }
    /* A stored answer's Signature-Input names its nonce; a late answer's
     * nonce was written with its op_late row. */
    s.nonce_spent = err == WARD_OK || err == WARD_ERR_STATE;
    if (err == WARD_ERR_STATE) {
        wardd_log("info", "op_late", "sn=%s op_id=%s uid=%s", res.sn, r->param, s.id);
        cJSON *late = cJSON_CreateObject();
        cJSON_AddStringToObject(late, "error", "late");
        cJSON_AddStringToObject(late, "message", "the lock has taken another client's answer");
        cJSON_AddStringToObject(late, "answered_by", res.first);
        wardd_reply(out, 409, late);
        goto done;
    }
    if (err == WARD_ERR_EXPIRED) {
        fail_gone(out, res.withdrawn, res.withdrawn ? "the lock withdrew this op" : "op expired");
        goto done;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        goto done;
    }
    char key[WARDD_PATH_MAX];
    wake_key(r->param, key);
    wardd_wake("op", key);
    wardd_log("info", "op_answered", "sn=%s op_id=%s uid=%s n=%d", res.sn, r->param, s.id,
              res.n);
    cJSON *done_res = cJSON_CreateObject();
    cJSON_AddStringToObject(done_res, "state", "answered");
    cJSON_AddNumberToObject(done_res, "n", res.n);
    wardd_reply(out, 200, done_res);
done:
    /* A refused request spends its nonce too; a replay of it is a 401. */
    wardd_auth_spend(w, &s, out);
}

/* Sleeps until the op's wake key moves or until, then takes the
 * generation again: the caller reads the store after it, so a change
 * after that read is not missed. A shutdown ends the wait for good:
 * *deadline becomes 0, so the caller answers with what is known. */
static void op_sleep(wardd *w, const char *key, int64_t until, uint64_t *gen,
                     int64_t *deadline)
{
    if (!wardd_wake_wait(w, "op", key, *gen, until) && wardd_now_ms() < until) {
        *deadline = 0;
    }
    *gen = wardd_wake_gen("op", key);
}

/* op_sleep, then reads the op again. False, with a 500 in *out, when the
 * store fails. */
static bool op_wait(wardd *w, const char *key, int64_t until, uint64_t *gen,
                    int64_t *deadline, wardd_op *op, wardd_resp *out)
{
    op_sleep(w, key, until, gen, deadline);
    ward_err err = w->store.op_get(w->store.h, op->op_id, op);
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return false;
    }
    return true;
}

typedef struct answers_ctx {
    cJSON *arr;
    cJSON *first;
} answers_ctx;

static int add_answer(void *ctx, const wardd_op_answer *a)
{
    answers_ctx *c = ctx;
    cJSON *e = cJSON_CreateObject();
    if (e == NULL) {
        return 1;
    }
    cJSON_AddNumberToObject(e, "n", a->n);
    cJSON_AddStringToObject(e, "uid", a->uid);
    wardd_json_add_b64(e, "approval", a->approval, a->approval_len);
    cJSON_AddItemToArray(c->arr, e);
    if (c->first == NULL) {
        c->first = e;
    }
    return 0;
}

/* The lock's fetch: every answer after ?after=N (the lock has those),
 * each one as its member sent it. The first is repeated at the top
 * level ("approval", "uid") for a lock that reads only one. True when it
 * answered (with the answers, or a 500); false when there are none to
 * give. op->state becomes the state the store read with the answers. */
static bool answers_reply(wardd *w, wardd_op *op, int64_t after, wardd_resp *out)
{
    cJSON *res = cJSON_CreateObject();
    answers_ctx c = { cJSON_AddArrayToObject(res, "answers"), NULL };
    wardd_answers_res ar;
    ward_err err = w->store.op_answers(w->store.h, op->op_id, after, wardd_now_ms(),
                                       op->delivered, add_answer, &c, &ar);
    if (err != WARD_OK) {
        cJSON_Delete(res);
        wardd_fail_store(out, err);
        return true;
    }
    op->state = ar.state;
    if (c.first == NULL) {
        cJSON_Delete(res);
        return false;
    }
    cJSON_AddStringToObject(res, "approval",
                            cJSON_GetObjectItemCaseSensitive(c.first, "approval")->valuestring);
    cJSON_AddStringToObject(res, "uid",
                            cJSON_GetObjectItemCaseSensitive(c.first, "uid")->valuestring);
    if (ar.delivery) {
        char key[2 * WARDD_OP_ID_LEN + 1];
        WARD_ASSERT(ward_hex_encode(op->op_id, sizeof op->op_id, key, sizeof key) == WARD_OK);
        wardd_log("info", "op_delivered", "sn=%s op_id=%s", op->sn, key);
    }
    wardd_reply(out, 200, res);
    return true;
}

/* The lock's long-poll for answers. The op is read once (for its
 * capability); after a wake the answers are read first, with the op's
 * state, so an answer costs one read of the store, not two. */
void wardd_h_op_answer_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    long wait_s = 0;
    int64_t after = 0;
    if (!wardd_wait_arg(r, &wait_s, out) || !wardd_after_arg(r, &after, out)) {
        return;
    }
    char key[WARDD_PATH_MAX];
    wake_key(r->param, key);
    uint64_t gen = wardd_wake_gen("op", key);
    wardd_op *op = load_op(w, r->param, out);
    if (op == NULL) {
        return;
    }
    if (!token_ok(w, r, op, out)) {
        free(op);
        return;
    }
    int64_t deadline = wardd_now_ms() + wait_s * 1000;
    bool look = op->answers > after;    /* the store has some to list */
    for (;;) {
        if (look && answers_reply(w, op, after, out)) {
            break;
        }
        if (op->state == WARDD_OP_WITHDRAWN) {
            fail_gone(out, true, "the lock withdrew this op");
            break;
        }
        int64_t now = wardd_now_ms();
        if (now >= op->expires_ms) {
            fail_gone(out, false, "op expired unanswered");
            break;
        }
        if (now >= deadline) {
            wardd_fail(out, 404, "notfound", "no answer yet");
            break;
        }
        int64_t until = op->expires_ms < deadline ? op->expires_ms : deadline;
        op_sleep(w, key, until, &gen, &deadline);
        look = true;
    }
    free(op);
}

void wardd_h_op_result_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_op *op = load_op(w, r->param, out);
    if (op == NULL) {
        return;
    }
    if (!token_ok(w, r, op, out)) {
        free(op);
        return;
    }
    cJSON *j = NULL;
    uint8_t msg[WARD_OP_RESULT_MAX];
    size_t len = 0;
    const uint8_t *uid = NULL;
    size_t uid_len = 0;
    char who[WARD_UID_MAX + 1];
    if (!wardd_json_body(r, &j, out)) {
        free(op);
        return;
    }
    bool ok = wardd_json_b64(j, "result", msg, 1, sizeof msg, &len);
    cJSON_Delete(j);
    if (!ok) {
        wardd_fail(out, 400, "format", "result: not base64, or longer than an OP_RESULT can be");
        free(op);
        return;
    }
    if (ward_sealed_uid(msg, len, WARD_MSG_OP_RESULT, &uid, &uid_len) != WARD_OK) {
        wardd_fail(out, 400, "format",
                   "result: not an OP_RESULT (header type 0x22, flags SEALED only, key index "
                   "0, seq 0, no client id; fields 0x01 uid, 0x02 ciphertext)");
        free(op);
        return;
    }
    /* The result is sealed for the answer the lock took: its uid in clear
     * says whose, and the op records it as answered by that user. */
    memcpy(who, uid, uid_len);
    who[uid_len] = '\0';
    ward_err err = w->store.op_result(w->store.h, op->op_id, who, msg, len, wardd_now_ms());
    if (err == WARD_ERR_STATE) {
        wardd_fail(out, 409, "conflict", "op unanswered, withdrawn, or its result already stored");
    } else if (err == WARD_ERR_PARAM) {
        wardd_fail(out, 409, "conflict", "the result is for a user who did not answer");
    } else if (err != WARD_OK) {
        wardd_fail_store(out, err);
    } else {
        char key[WARDD_PATH_MAX];
        wake_key(r->param, key);
        wardd_wake("op", key);
        wardd_log("info", "op_result", "sn=%s op_id=%s uid=%s", op->sn, r->param, who);
        cJSON *res = cJSON_CreateObject();
        cJSON_AddStringToObject(res, "state", "done");
        wardd_reply(out, 200, res);
    }
    free(op);
}

/* The lock gives up its request (timed out, stopped): wardd stops
 * offering it at once. Signed by the lock, like the request itself. */
void wardd_h_op_withdraw(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    if (!s.is_lock) {
        wardd_fail(out, 403, "forbidden", "only the lock withdraws its op");
        return;
    }
    uint8_t id[WARDD_OP_ID_LEN];
    if (!op_id_parse(r->param, id)) {
        wardd_fail(out, 400, "format", "op id: 32 hex digits expected");
        return;
    }
    ward_err err = w->store.op_withdraw(w->store.h, id, s.id, wardd_now_ms());
    if (err == WARD_ERR_NOTFOUND || err == WARD_ERR_PARAM) {
        /* Another lock's op reads as none. */
        wardd_fail(out, 404, "notfound", "no such op of this lock");
        return;
    }
    if (err == WARD_ERR_STATE) {
        wardd_fail(out, 409, "conflict", "the op is done: the lock took an answer");
        return;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    char key[WARDD_PATH_MAX];
    wake_key(r->param, key);
    wardd_wake("op", key);
    wardd_log("info", "op_withdrawn", "sn=%s op_id=%s", s.id, key);
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "state", "withdrawn");
    wardd_reply(out, 200, res);
}

void wardd_h_op_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    long wait_s = 0;
    if (!wardd_auth(w, r, NULL, NULL, &s, out) || !wardd_wait_arg(r, &wait_s, out)) {
        return;
    }
    if (s.is_lock) {
        wardd_fail(out, 403, "forbidden", "op state is for users");
        return;
    }
    char key[WARDD_PATH_MAX];
    wake_key(r->param, key);
    uint64_t gen = wardd_wake_gen("op", key);
    wardd_op *op = load_op(w, r->param, out);
    if (op == NULL) {
        return;
    }
    if (!wardd_lock_reader(w, &s, op->sn, false, "not bound to this op's lock", out)) {
        free(op);
        return;
    }
    int64_t deadline = wardd_now_ms() + wait_s * 1000;
    for (;;) {
        int64_t now = wardd_now_ms();
        const char *state = state_name(op, now);
        /* Waits for the outcome: done, withdrawn or expired. */
        if (op->state == WARDD_OP_DONE || op->state == WARDD_OP_WITHDRAWN ||
            now >= op->expires_ms || now >= deadline) {
            cJSON *res = cJSON_CreateObject();
            cJSON_AddStringToObject(res, "op_id", key);
            cJSON_AddStringToObject(res, "sn", op->sn);
            cJSON_AddNumberToObject(res, "op", op->op);
            cJSON_AddStringToObject(res, "state", state);
            cJSON_AddNumberToObject(res, "answers", op->answers);
            if (op->answered_by[0]) {
                cJSON_AddStringToObject(res, "answered_by", op->answered_by);
            }
            wardd_json_add_b64(res, "request", op->request, op->request_len);
            if (op->result_len > 0) {
                wardd_json_add_b64(res, "result", op->result, op->result_len);
            }
            cJSON_AddNumberToObject(res, "expires", (double)(op->expires_ms / 1000));
            wardd_reply(out, 200, res);
            break;
        }
        int64_t until = deadline;
        if (op->state != WARDD_OP_DONE && op->expires_ms < until) {
            until = op->expires_ms;
        }
        if (!op_wait(w, key, until, &gen, &deadline, op, out)) {
            break;
        }
    }
    free(op);
}
