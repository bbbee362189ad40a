/* The lock's inbox: REVOKE messages queued by wardd until the lock acks
 * them (GET /v1/lock/inbox, POST /v1/lock/inbox/ack). */
#include <math.h>
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

void wardd_h_inbox_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    long wait_s = 0;
    if (!wardd_auth(w, r, NULL, NULL, &s, out) || !wardd_wait_arg(r, &wait_s, out)) {
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
        ward_err err = w->store.inbox_list(w->store.h, s.id, add_msg, &c);
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
    int64_t ids[INBOX_ACK_MAX];
    size_t n = 0;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "ids");
    bool ok = cJSON_IsArray(arr) && cJSON_GetArraySize(arr) <= INBOX_ACK_MAX;
    const cJSON *e = NULL;
    if (ok) {
        cJSON_ArrayForEach(e, arr) {
            double v = cJSON_IsNumber(e) ? e->valuedouble : -1;
            if (v < 1 || v > 9007199254740991.0 || floor(v) != v) {
                ok = false;
                break;
            }
            ids[n++] = (int64_t)v;
        }
    }
    cJSON_Delete(j);
    if (!ok) {
        wardd_fail(out, 400, "format", "ids: up to 64 message ids expected");
        return;
    }
    size_t acked = 0;
    ward_err err = w->store.inbox_ack(w->store.h, s.id, ids, n, &acked);
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    wardd_log("info", "inbox_acked", "sn=%s n=%zu", s.id, acked);
    cJSON *res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "acked", (double)acked);
    wardd_reply(out, 200, res);
}
