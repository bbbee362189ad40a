/* The app's half of remote operation approval (flow B): pending list, answer, the lock's result. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_httpsig.h"
#include "ops_inner.h"


static const char *const OP_NAMES[WARD_OP_MAX + 1] = {
    NULL, "unlock", "intercom", "video", "add client"
};

const char *ward_app_op_name(uint8_t op)
{
    return op >= 1 && op <= WARD_OP_MAX ? OP_NAMES[op] : NULL;
}

uint8_t ward_app_op_code(const char *name)
{
    for (uint8_t i = 1; name != NULL && i <= WARD_OP_MAX; i++) {
        if (strcmp(name, OP_NAMES[i]) == 0) {
            return i;
        }
    }
    return 0;
}

static bool op_id_ok(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;
    if (n == 0 || n > WARD_APP_OP_ID_MAX) {
        return false;
    }
    /* It goes into a URL path: lower-case hex and nothing else. */
    for (size_t i = 0; i < n; i++) {
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* Parses op->request and checks it against op->sn and this user. */
static ward_err request_check(const ward_app *app, const ward_app_op *op,
                              ward_op_request *req)
{
    size_t sn_len = strlen(op->sn), uid_len = strlen(app->user);
    if (ward_op_request_parse(op->request, op->request_len, req) != WARD_OK ||
        req->sn_len != sn_len || memcmp(req->sn, op->sn, sn_len) != 0) {
        return WARD_ERR_FORMAT;
    }
    if (req->target != NULL &&
        (req->target_len != uid_len ||
         memcmp(req->target, app->user, uid_len) != 0)) {
        return WARD_ERR_PARAM;
    }
    return WARD_OK;
}

/* One {"op_id","sn","request"}; false to skip it. */
static bool parse_entry(ward_app *app, const cJSON *e, ward_app_op *op)
{
    const char *id = ward_json_str(e, "op_id");
    const char *sn = ward_json_str(e, "sn");
    const char *b64 = ward_json_str(e, "request");
    ward_op_request req;

    memset(op, 0, sizeof *op);
    if (!op_id_ok(id) || sn == NULL || b64 == NULL ||
        ward_check_sn((const uint8_t *)sn, strlen(sn)) != WARD_OK ||
        ward_b64_decode(b64, strlen(b64), op->request, sizeof op->request,
                        &op->request_len) != WARD_OK) {
        return false;
    }
    memcpy(op->op_id, id, strlen(id) + 1);
    memcpy(op->sn, sn, strlen(sn) + 1);
    if (request_check(app, op, &req) != WARD_OK ||
        ward_app_op_name(req.op) == NULL) {
        return false;
    }
    op->op = req.op;
    op->expires_ms = req.expires_ms;
    if (req.target != NULL) {
        memcpy(op->target, req.target, req.target_len);
        op->target[req.target_len] = '\0';
    }
    /* A request for a lock we are not bound to cannot be answered: wardd
     * listed it by mistake, or is probing. */
    return ward_app_bound(app, op->sn, NULL);
}

ward_err ward_app_ops_parse(ward_app *app, const char *json, size_t len,
                            ward_app_ops *ops)
{
    WARD_ASSERT(app != NULL && json != NULL && ops != NULL);
    memset(ops, 0, sizeof *ops);
    cJSON *root = cJSON_ParseWithLength(json, len);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "ops");
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(root);
        return ward_app_fail(app, WARD_ERR_FORMAT,
                             "the server's list of pending operations is "
                             "malformed");
    }
    int n = cJSON_GetArraySize(list);
    ops->ops = calloc(n > 0 ? (size_t)n : 1, sizeof *ops->ops);
    if (ops->ops == NULL) {
        cJSON_Delete(root);
        return ward_app_fail(app, WARD_ERR_IO, "out of memory");
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        if (parse_entry(app, e, &ops->ops[ops->count])) {
            ops->count++;
        } else {
            ops->skipped++;
        }
    }
    cJSON_Delete(root);
    app->error[0] = '\0';
    return WARD_OK;
}

void ward_app_ops_free(ward_app_ops *ops)
{
    if (ops != NULL) {
        free(ops->ops);
        memset(ops, 0, sizeof *ops);
    }
}

ward_err ward_app_ops_pending(ward_app *app, unsigned wait_s,
                              ward_app_ops *ops)
{
    char target[64];
    ward_http_response r;
    WARD_ASSERT(app != NULL && ops != NULL);
    memset(ops, 0, sizeof *ops);
    snprintf(target, sizeof target, "/v1/ops/pending?wait=%u",
             wait_s < WARD_APP_WAIT_MAX ? wait_s : WARD_APP_WAIT_MAX);
    ward_err err = ward_app_call(app, "GET", target, NULL, &r);
    if (err != WARD_OK) {
        return err;
    }
    err = r.status == 200
              ? ward_app_ops_parse(app, r.body, r.body_len, ops)
              : ward_app_status_fail(app, &r,
                                     "cannot list pending operations");
    ward_http_response_free(&r);
    return err;
}

ward_err ward_app_approval(ward_app *app, const ward_app_op *op,
                           uint8_t decision,
                           const uint8_t key[WARD_AUTH_KEY_LEN], uint8_t *out,
                           size_t cap, size_t *len)
{
    ward_op_request req;
    WARD_ASSERT(app != NULL && op != NULL && key != NULL && out != NULL &&
                len != NULL);
    WARD_ASSERT(decision == WARD_DECISION_ALLOW ||
                decision == WARD_DECISION_DENY);
    *len = 0;
    ward_err err = request_check(app, op, &req);
    if (err == WARD_ERR_PARAM) {
        return ward_app_fail(app, err, "this request is for user %s",
                             op->target[0] != '\0' ? op->target : "another");
    }
    if (err != WARD_OK) {
        return ward_app_fail(app, err, "the lock's request is malformed");
    }
    err = ward_approval_seal(app->host.crypto, key, &req,
                             (const uint8_t *)app->user, strlen(app->user),
                             decision, out, cap, len);
    if (err != WARD_OK) {
        return ward_app_fail(app, err, "cannot seal the answer (%s)",
                             ward_strerror(err));
    }
    return WARD_OK;
}

ward_err ward_app_result_open(ward_app *app, const ward_app_op *op,
                              const uint8_t key[WARD_AUTH_KEY_LEN],
                              const uint8_t *res, size_t len,
                              uint8_t *outcome)
{
    ward_op_request req;
    uint8_t got = 0xFF;
    WARD_ASSERT(app != NULL && op != NULL && key != NULL && outcome != NULL);
    if (res == NULL || request_check(app, op, &req) != WARD_OK ||
        ward_op_result_open(app->host.crypto, key, &req,
                            (const uint8_t *)app->user, strlen(app->user),
                            res, len, &got) != WARD_OK ||
        got > WARD_OUTCOME_EXPIRED) {
        return ward_app_fail(app, WARD_ERR_AUTH, WARD_APP_MSG_FORGED);
    }
    *outcome = got;
    return WARD_OK;
}

/* An operation no longer in this app's pending list: ask wardd where it
 * stands, so a late answer learns it was late rather than "not found". */
static ward_err op_elsewhere(ward_app *app, const char *op_id)
{
    char target[96];
    snprintf(target, sizeof target, "/v1/ops/%s", op_id);
    ward_http_response resp;
    ward_err err = ward_app_call(app, "GET", target, NULL, &resp);
    if (err != WARD_OK) {
        return err;
    }
    char state[16] = "";
    if (resp.status == 200) {
        cJSON *o = cJSON_ParseWithLength(resp.body, resp.body_len);
        const char *st = ward_json_str(o, "state");
        if (st != NULL) {
            snprintf(state, sizeof state, "%s", st);
        }
        cJSON_Delete(o);
    }
    ward_http_response_free(&resp);
    if (strcmp(state, "answered") == 0 || strcmp(state, "done") == 0) {
        return ward_app_fail(app, WARD_ERR_STATE, "%s", WARD_APP_MSG_LATE);
    }
    if (strcmp(state, "expired") == 0) {
        return ward_app_fail(app, WARD_ERR_EXPIRED, "%s", WARD_APP_MSG_EXPIRED);
    }
    if (strcmp(state, "withdrawn") == 0) {
        return ward_app_fail(app, WARD_ERR_EXPIRED, "%s", WARD_APP_MSG_WITHDRAWN);
    }
    return ward_app_fail(app, WARD_ERR_NOTFOUND,
                         "no pending operation %s for this app (answered, "
                         "expired or never asked)", op_id);
}

static ward_err find_pending(ward_app *app, const char *op_id, ward_app_op *op)
{
    ward_app_ops ops;
    ward_err err = ward_app_ops_pending(app, 0, &ops);
    if (err != WARD_OK) {
        return err;
    }
    err = WARD_ERR_NOTFOUND;
    for (size_t i = 0; i < ops.count; i++) {
        if (strcmp(ops.ops[i].op_id, op_id) == 0) {
            *op = ops.ops[i];
            err = WARD_OK;
            break;
        }
    }
    ward_app_ops_free(&ops);
    return err == WARD_OK ? WARD_OK : op_elsewhere(app, op_id);
}

static ward_err post_answer(ward_app *app, const ward_app_op *op,
                            const uint8_t *approval, size_t len)
{
    char b64[B64_LEN(WARD_APPROVAL_MAX)], target[WARD_APP_OP_ID_MAX + 32];
    char *body = NULL;
    ward_http_response r;
    ward_err err = ward_b64_encode(approval, len, b64, sizeof b64);
    cJSON *o = cJSON_CreateObject();
    if (err == WARD_OK && o != NULL &&
        cJSON_AddStringToObject(o, "approval", b64)) {
        body = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    if (body == NULL) {
        return ward_app_fail(app, WARD_ERR_IO, "out of memory");
    }
    snprintf(target, sizeof target, "/v1/ops/%s/answer", op->op_id);
    err = ward_app_call(app, "POST", target, body, &r);
    free(body);
    if (err != WARD_OK) {
        return err;
    }
    cJSON *ans = r.status == 409 || r.status == 410
                     ? cJSON_ParseWithLength(r.body, r.body_len) : NULL;
    const char *cls = ward_json_str(ans, "error");
    const char *msg = ward_json_str(ans, "message");
    const char *state = ward_json_str(ans, "state");
    bool late = cls != NULL && strcmp(cls, "late") == 0;
    /* A 410 names its state; the message is read only from a wardd that
     * does not. */
    bool withdrawn = state != NULL ? strcmp(state, "withdrawn") == 0
                                   : msg != NULL && strstr(msg, "withdrew") != NULL;
    switch (r.status) {
    case 200: case 201: break;
    case 409:
        err = late ? ward_app_fail(app, WARD_ERR_STATE, WARD_APP_MSG_LATE)
                   : ward_app_fail(app, WARD_ERR_STATE, WARD_APP_MSG_ANSWERED);
        break;
    case 410:
        err = ward_app_fail(app, WARD_ERR_EXPIRED,
                            withdrawn ? WARD_APP_MSG_WITHDRAWN : WARD_APP_MSG_EXPIRED);
        break;
    case 403: err = ward_app_fail(app, WARD_ERR_PARAM, WARD_APP_MSG_FORBIDDEN); break;
    default: err = ward_app_status_fail(app, &r, "cannot send the answer"); break;
    }
    cJSON_Delete(ans);
    ward_http_response_free(&r);
    return err;
}

/* What following an op's result needs. */
typedef struct result_follow {
    const ward_app_op *op;
    const uint8_t *key;
    int *outcome;
} result_follow;

/* One GET /v1/ops/{id}?wait= (a ward_app_poll_fn over a result_follow):
 * *done with *outcome once a result opened, or an error. */
static ward_err poll_result(ward_app *app, unsigned wait_s, void *ctx, bool *done)
{
    result_follow *f = ctx;
    char target[WARD_APP_OP_ID_MAX + 32], state[16];
    uint8_t res[WARD_OP_RESULT_MAX + 3], got = 0;
    size_t res_len = 0;
    long status = 0;
    bool has_result = false;
    snprintf(target, sizeof target, "/v1/ops/%s?wait=%u", f->op->op_id, wait_s);
    ward_err err = ward_app_get_sealed(app, target, "cannot fetch the outcome",
                                       "the server's operation state is malformed",
                                       WARD_APP_MSG_FORGED, &status, state, res, sizeof res,
                                       &res_len, &has_result);
    if (err != WARD_OK) {
        return err;
    }
    const uint8_t *for_uid = NULL;
    size_t for_len = 0;
    if (has_result) {
        /* Whatever wardd says the state is, only the lock's seal counts. */
        if (ward_sealed_uid(res, res_len, WARD_MSG_OP_RESULT, &for_uid, &for_len) == WARD_OK &&
            (for_len != strlen(app->user) || memcmp(for_uid, app->user, for_len) != 0)) {
            /* Sealed for another member, says the result's header, which
             * is not authenticated: wardd's word that the lock took another
             * answer, not the lock's. */
            err = ward_app_fail(app, WARD_ERR_STATE, WARD_APP_MSG_LATE_WARDD);
        } else {
            err = ward_app_result_open(app, f->op, f->key, res, res_len, &got);
            if (err == WARD_OK) {
                *f->outcome = got;
                *done = true;
            }
        }
    } else if (strcmp(state, "done") == 0) {
        err = ward_app_fail(app, WARD_ERR_AUTH, WARD_APP_MSG_FORGED);
    } else if (strcmp(state, "expired") == 0) {
        err = ward_app_fail(app, WARD_ERR_EXPIRED, WARD_APP_MSG_EXPIRED);
    } else if (strcmp(state, "withdrawn") == 0) {
        err = ward_app_fail(app, WARD_ERR_EXPIRED, WARD_APP_MSG_WITHDRAWN);
    }
    return err;
}

ward_err ward_app_op_answer(ward_app *app, const char *op_id,
                            uint8_t decision, bool from_escrow,
                            unsigned wait_s, int *outcome)
{
    ward_app_op op;
    uint8_t key[WARD_AUTH_KEY_LEN];
    uint8_t approval[WARD_APPROVAL_MAX];
    size_t len = 0;
    WARD_ASSERT(app != NULL && op_id != NULL && outcome != NULL);
    *outcome = WARD_APP_NO_OUTCOME;
    if (!op_id_ok(op_id)) {
        return ward_app_fail(app, WARD_ERR_PARAM, "bad operation id %.80s",
                             op_id);
    }
    ward_err err = find_pending(app, op_id, &op);
    if (err == WARD_OK) {
        err = ward_app_auth_key(app, op.sn, from_escrow, key);
    }
    if (err == WARD_OK) {
        err = ward_app_approval(app, &op, decision, key, approval,
                                sizeof approval, &len);
    }
    if (err == WARD_OK) {
        err = post_answer(app, &op, approval, len);
    }
    if (err == WARD_OK && wait_s > 0) {
        result_follow f = { &op, key, outcome };
        bool done = false;
        err = ward_app_long_poll(app, wait_s, poll_result, &f, &done);
    }
    ward_app_wipe(key, sizeof key);
    if (err == WARD_OK) {
        app->error[0] = '\0';
    }
    return err;
}
