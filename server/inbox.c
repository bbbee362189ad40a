/* The lock's inbox: REVOKE messages queued by wardd until the lock acks
 * them with its sealed answers (GET /v1/lock/inbox, POST
 * /v1/lock/inbox/ack), and the revoker's view of one (GET
 * /v1/revocations/{id}). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "wardd.h"

#define INBOX_ACK_MAX 64

typedef struct inbox_ctx {
    cJSON *arr;
    size_t n;
} inbox_ctx;

static int add_msg(void *ctx, const wardd_inbox_rec *rec)
{
    inbox_ctx *c = ctx;
    cJSON *e = cJSON_CreateObject();
    if (e == NULL) {
        return 1;
    }
    cJSON_AddNumberToObject(e, "id", (double)rec->id);
    wardd_json_add_b64(e, "revoke", rec->msg, rec->msg_len);
    cJSON_AddItemToArray(c->arr, e);
    c->n++;
    return 0;
}

/* One page of the lock's unacknowledged messages after ?after=N, oldest
 * first: the lock moves past every id it has handled, so a message it
 * cannot acknowledge never hides the ones behind it. */
void wardd_h_inbox_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    long wait_s = 0;
    int64_t after = 0;
    if (!wardd_auth(w, r, NULL, NULL, &s, out) || !wardd_wait_arg(r, &wait_s, out) ||
        !wardd_after_arg(r, &after, out)) {
        return;
    }
    if (!s.is_lock) {
        wardd_fail(out, 403, "forbidden", "the inbox is the lock's");
        return;
    }
    int64_t deadline = wardd_now_ms() + wait_s * 1000;
    for (;;) {
        uint64_t gen = wardd_wake_gen("lock", s.id);
        cJSON *res = cJSON_CreateObject();
        inbox_ctx c = { cJSON_AddArrayToObject(res, "revokes"), 0 };
        ward_err err = w->store.inbox_list(w->store.h, s.id, after, add_msg, &c);
        if (err != WARD_OK) {
            cJSON_Delete(res);
            wardd_fail_store(out, err);
            return;
        }
        if (c.n > 0 || wardd_now_ms() >= deadline) {
            wardd_reply(out, 200, res);
            return;
        }
        cJSON_Delete(res);
        if (!wardd_wake_wait(w, "lock", s.id, gen, deadline)) {
            deadline = 0;       /* time is up or shutdown: one last look */
        }
    }
}

/* An id of the lock's inbox: a whole number in 1..2^53 - 1. */
static bool json_id(const cJSON *e, int64_t *id)
{
    double v = cJSON_IsNumber(e) ? e->valuedouble : -1;
    if (v < 1 || v > 9007199254740991.0 || floor(v) != v) {
        return false;
    }
    *id = (int64_t)v;
    return true;
}

/* The acknowledgements in the order the store takes them: the answered
 * ones first, so an id both listed and answered keeps its result (the
 * store marks an id acknowledged once). */
typedef struct ack_set {
    wardd_inbox_ack_rec acks[2 * INBOX_ACK_MAX];
    uint8_t results[INBOX_ACK_MAX][WARD_REVOKE_RESULT_MAX];
    char uids[INBOX_ACK_MAX][WARD_UID_MAX + 1];
    size_t n;
} ack_set;

/* {"ids": [N...], "results": [{"id": N, "result": b64}...]}: the ids the
 * lock has handled, and for those it answered, the REVOKE_RESULT it
 * sealed for the revoker (a REVOKE_RESULT, or the whole ack is refused).
 * Results are read first (see ack_set). */
static bool ack_parse(const cJSON *j, ack_set *a)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(j, "ids");
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(j, "results");
    if (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) > INBOX_ACK_MAX ||
        (results != NULL &&
         (!cJSON_IsArray(results) || cJSON_GetArraySize(results) > INBOX_ACK_MAX))) {
        return false;
    }
    const cJSON *e = NULL;
    size_t i = 0;
    cJSON_ArrayForEach(e, results) {
        wardd_inbox_ack_rec *k = &a->acks[a->n];
        const uint8_t *uid = NULL;
        size_t uid_len = 0, len = 0;
        memset(k, 0, sizeof *k);
        if (!json_id(cJSON_GetObjectItemCaseSensitive(e, "id"), &k->id) ||
            !wardd_json_b64(e, "result", a->results[i], 1, WARD_REVOKE_RESULT_MAX, &len) ||
            ward_sealed_uid(a->results[i], len, WARD_MSG_REVOKE_RESULT, &uid, &uid_len) !=
                WARD_OK) {
            return false;
        }
        memcpy(a->uids[i], uid, uid_len);
        a->uids[i][uid_len] = '\0';
        k->result = a->results[i];
        k->result_len = len;
        k->result_uid = a->uids[i];
        a->n++;
        i++;
    }
    cJSON_ArrayForEach(e, ids) {
        wardd_inbox_ack_rec *k = &a->acks[a->n];
        memset(k, 0, sizeof *k);
        if (!json_id(e, &k->id)) {
            return false;
        }
        a->n++;
    }
    return true;
}

void wardd_h_inbox_ack(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    if (!s.is_lock) {
        wardd_fail(out, 403, "forbidden", "the inbox is the lock's");
        return;
    }
    cJSON *j = NULL;
    if (!wardd_json_body(r, &j, out)) {
        return;
    }
    ack_set *a = calloc(1, sizeof *a);
    bool ok = a != NULL && ack_parse(j, a);
    cJSON_Delete(j);
    if (a == NULL) {
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    if (!ok) {
        free(a);
        wardd_fail(out, 400, "format",
                   "ids: up to 64 message ids; results: up to 64 {id, result: base64 "
                   "REVOKE_RESULT}");
        return;
    }
    size_t acked = 0;
    ward_err err = w->store.inbox_ack(w->store.h, s.id, a->acks, a->n, wardd_now_ms(), &acked);
    if (err != WARD_OK) {
        free(a);
        wardd_fail_store(out, err);
        return;
    }
    for (size_t i = 0; i < a->n; i++) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)a->acks[i].id);
        wardd_wake("revocation", id);
    }
    free(a);
    wardd_log("info", "inbox_acked", "sn=%s n=%zu", s.id, acked);
    cJSON *res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "acked", (double)acked);
    wardd_reply(out, 200, res);
}

static const char *revocation_state(const wardd_revocation *rv)
{
    if (!rv->acked) {
        return "queued";
    }
    return rv->result_len > 0 ? "answered" : "unanswered";
}

/* The revoker follows its revocation: queued for the lock, answered (the
 * lock's REVOKE_RESULT, which only the revoker can open and which alone
 * says what the lock did), or unanswered (the lock took it but sealed no
 * result: it could not verify it). Anybody else is told there is none. */
void wardd_h_revocation_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    long wait_s = 0;
    if (!wardd_auth(w, r, NULL, NULL, &s, out) || !wardd_wait_arg(r, &wait_s, out)) {
        return;
    }
    char *end = NULL;
    long long id = strtoll(r->param, &end, 10);
    if (s.is_lock || r->param[0] == '\0' || *end != '\0' || id < 1) {
        wardd_fail(out, s.is_lock ? 403 : 400, s.is_lock ? "forbidden" : "format",
                   s.is_lock ? "revocations are followed by their revoker"
                             : "revocation id: a number expected");
        return;
    }
    char key[24];
    snprintf(key, sizeof key, "%lld", id);
    wardd_revocation *rv = malloc(sizeof *rv);
    if (rv == NULL) {
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    int64_t deadline = wardd_now_ms() + wait_s * 1000;
    for (;;) {
        uint64_t gen = wardd_wake_gen("revocation", key);
        ward_err err = w->store.revocation_get(w->store.h, id, rv);
        if (err == WARD_OK && strcmp(rv->revoker, s.id) != 0) {
            err = WARD_ERR_NOTFOUND;
        }
        if (err == WARD_ERR_NOTFOUND) {
            wardd_fail(out, 404, "notfound", "no such revocation of this user");
            break;
        }
        if (err != WARD_OK) {
            wardd_fail_store(out, err);
            break;
        }
        if (rv->acked || wardd_now_ms() >= deadline) {
            cJSON *res = cJSON_CreateObject();
            cJSON_AddNumberToObject(res, "id", (double)rv->id);
            cJSON_AddStringToObject(res, "sn", rv->sn);
            cJSON_AddStringToObject(res, "target", rv->target);
            cJSON_AddStringToObject(res, "state", revocation_state(rv));
            if (rv->result_len > 0) {
                wardd_json_add_b64(res, "result", rv->result, rv->result_len);
            }
            wardd_reply(out, 200, res);
            break;
        }
        if (!wardd_wake_wait(w, "revocation", key, gen, deadline)) {
            deadline = 0;       /* time is up or shutdown: one last look */
        }
    }
    free(rv);
}
