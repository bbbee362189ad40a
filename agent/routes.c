/* The routes a lock or a device calls at wardd (ward_agent.h): each
 * builds its target and body, and reads the answer it expects. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_inner.h"
#include "ward/ward.h"
#include "ward/ward_agent.h"

/* The host for a long wait: the agent's stop hook on a copy, never on
 * the host that carries results and acknowledgements. */
static ward_host wait_host(const ward_agent *ag)
{
    ward_host h = ag->host;
    if (ag->cancelled != NULL) {
        h.cancelled = ag->cancelled;
        h.cancel_ctx = ag->cancel_ctx;
    }
    return h;
}

long ward_agent_activate(ward_agent *ag, const uint8_t *activation, size_t len, char *why,
                         size_t why_cap)
{
    ward_http_response resp;
    long st = ward_agent_post_blob(ag->transport, &ag->host, ag->server, "/v1/locks",
                                   "activation", activation, len, NULL, NULL, ag->signer,
                                   &resp, why, why_cap);
    ward_http_response_free(&resp);
    return st;
}

int ward_agent_task_ttl(ward_agent *ag, unsigned *ttl_s)
{
    ward_http_response resp;
    char why[128];
    int rc = -1;
    if (ward_agent_call(ag->transport, &ag->host, ag->server, "GET", "/v1/health", NULL, NULL,
                        &resp, why, sizeof why) == 0) {
        cJSON *o = cJSON_ParseWithLength(resp.body, resp.body_len);
        const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(o, "task_ttl");
        if (cJSON_IsNumber(ttl) && ttl->valuedouble >= 1 && ttl->valuedouble <= 1e9) {
            *ttl_s = (unsigned)ttl->valuedouble;
            rc = 0;
        }
        cJSON_Delete(o);
    }
    ward_http_response_free(&resp);
    return rc;
}

long ward_agent_bind_fetch(ward_agent *ag, const uint8_t task_id[16], uint8_t *blob,
                           size_t cap, size_t *blob_len, char *why, size_t why_cap)
{
    char tid_hex[2 * 16 + 1], target[64];
    WARD_ASSERT(ward_hex_encode(task_id, 16, tid_hex, sizeof tid_hex) == WARD_OK);
    snprintf(target, sizeof target, "/v1/bind/tasks/%s", tid_hex);
    ward_http_response resp;
    long st = ward_agent_call(ag->transport, &ag->host, ag->server, "GET", target, NULL,
                              ag->signer, &resp, why, why_cap);
    if (st == 0) {
        cJSON *o = cJSON_ParseWithLength(resp.body, resp.body_len);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "blob");
        if (!cJSON_IsString(b) ||
            ward_b64_decode(b->valuestring, strlen(b->valuestring), blob, cap, blob_len) !=
                WARD_OK) {
            snprintf(why, why_cap, "wardd sent binding data the lock cannot read");
            st = WARD_AGENT_BAD_ANSWER;
        }
        cJSON_Delete(o);
    }
    ward_http_response_free(&resp);
    return st;
}

/* The name of a role wardd gave as a number (ward_bind.h). */
static const char *role_name(double role)
{
    return role == WARD_ROLE_OWNER ? "owner" : role == WARD_ROLE_ADMIN ? "admin"
           : role == WARD_ROLE_MEMBER ? "member" : NULL;
}

long ward_agent_bind_confirm(ward_agent *ag, const uint8_t *confirm, size_t len,
                             ward_agent_bound *bound, char *why, size_t why_cap)
{
    ward_http_response resp;
    long st = ward_agent_post_blob(ag->transport, &ag->host, ag->server, "/v1/bind/confirm",
                                   "confirm", confirm, len, NULL, NULL, ag->signer, &resp,
                                   why, why_cap);
    if (st == 0) {
        cJSON *o = cJSON_ParseWithLength(resp.body, resp.body_len);
        const cJSON *uid = cJSON_GetObjectItemCaseSensitive(o, "uid");
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(o, "role");
        /* The role as a name, or as the number the core knows. */
        const char *rn = cJSON_IsNumber(role) ? role_name(role->valuedouble)
                                              : NULL;
        ward_http_text(bound->uid, sizeof bound->uid,
                       cJSON_IsString(uid) ? uid->valuestring : "?");
        ward_http_text(bound->role, sizeof bound->role,
                       cJSON_IsString(role) ? role->valuestring : rn != NULL ? rn : "?");
        cJSON_Delete(o);
    }
    ward_http_response_free(&resp);
    return st;
}

long ward_agent_op_post(ward_agent *ag, const uint8_t *req, size_t len,
                        char op_id[WARD_AGENT_OP_ID_MAX + 1],
                        char token_hex[2 * WARD_AGENT_TOKEN_LEN + 1], char *why,
                        size_t why_cap)
{
    /* The capability that lets this lock, and only it, fetch the answer:
     * wardd keeps only its hash. */
    uint8_t token[WARD_AGENT_TOKEN_LEN], hash[WARD_SHA256_LEN];
    char token_hash_hex[2 * WARD_SHA256_LEN + 1];
    ward_iov part = { token, sizeof token };
    op_id[0] = '\0';
    token_hex[0] = '\0';
    if (ag->host.rng.fill(ag->host.rng.ctx, token, sizeof token) != WARD_OK ||
        ag->host.crypto->sha256(&part, 1, hash) != WARD_OK) {
        snprintf(why, why_cap, "no randomness for the request token");
        return WARD_AGENT_UNREACHABLE;
    }
    WARD_ASSERT(ward_hex_encode(token, sizeof token, token_hex, 2 * WARD_AGENT_TOKEN_LEN + 1) == WARD_OK);
    WARD_ASSERT(ward_hex_encode(hash, sizeof hash, token_hash_hex, sizeof token_hash_hex) == WARD_OK);
    ward_wipe(token, sizeof token);
    ward_http_response resp;
    long st = ward_agent_post_blob(ag->transport, &ag->host, ag->server, "/v1/ops", "request",
                                   req, len, "token_hash", token_hash_hex, ag->signer, &resp,
                                   why, why_cap);
    if (st == 0 && (ward_agent_json_str(&resp, "op_id", op_id, WARD_AGENT_OP_ID_MAX + 1) != 0 ||
                    op_id[0] == '\0' ||
                    strspn(op_id, "0123456789abcdef") != strlen(op_id))) {
        /* It goes into this lock's URLs and is printed: hex or nothing. */
        op_id[0] = '\0';
        snprintf(why, why_cap, "wardd gave no operation id (or not one of lower-case hex)");
        st = WARD_AGENT_BAD_ANSWER;
    }
    ward_http_response_free(&resp);
    return st;
}

long ward_agent_op_answers(ward_agent *ag, const char *op_id, const char *token_hex,
                           unsigned wait_s, long long *after, ward_agent_entry_fn each,
                           void *ctx, int *skipped, char *why, size_t why_cap)
{
    char target[192];
    snprintf(target, sizeof target, "/v1/ops/%s/answer?token=%s&wait=%u&after=%lld", op_id,
             token_hex, wait_s, *after);
    ward_host h = wait_host(ag);
    ward_http_response resp;
    long st = ward_agent_call(ag->transport, &h, ag->server, "GET", target, NULL, NULL, &resp,
                              why, why_cap);
    *skipped = 0;
    if (st == 0) {
        *skipped = ward_agent_each_entry(&resp, "answers", "n", "approval", "uid", after,
                                         each, ctx);
    }
    ward_http_response_free(&resp);
    return st;
}

long ward_agent_op_result(ward_agent *ag, const char *op_id, const char *token_hex,
                          const uint8_t *res, size_t len, char *why, size_t why_cap)
{
    char target[192];
    snprintf(target, sizeof target, "/v1/ops/%s/result?token=%s", op_id, token_hex);
    ward_http_response resp;
    long st = ward_agent_post_blob(ag->transport, &ag->host, ag->server, target, "result",
                                   res, len, NULL, NULL, NULL, &resp, why, why_cap);
    ward_http_response_free(&resp);
    return st;
}

long ward_agent_op_withdraw(ward_agent *ag, const char *op_id, char *why, size_t why_cap)
{
    char target[128];
    snprintf(target, sizeof target, "/v1/ops/%s/withdraw", op_id);
    ward_http_response resp;
    long st = ward_agent_call(ag->transport, &ag->host, ag->server, "POST", target, "{}",
                              ag->signer, &resp, why, why_cap);
    ward_http_response_free(&resp);
    return st;
}

long ward_agent_inbox(ward_agent *ag, unsigned wait_s, long long *after,
                      ward_agent_entry_fn each, void *ctx, int *skipped, char *why,
                      size_t why_cap)
{
    char target[96];
    snprintf(target, sizeof target, "/v1/lock/inbox?wait=%u&after=%lld", wait_s, *after);
    ward_host h = wait_host(ag);
    ward_http_response resp;
    long st = ward_agent_call(ag->transport, &h, ag->server, "GET", target, NULL, ag->signer,
                              &resp, why, why_cap);
    *skipped = 0;
    if (st == 0) {
        *skipped = ward_agent_each_entry(&resp, "revokes", "id", "revoke", NULL, after, each,
                                         ctx);
    }
    ward_http_response_free(&resp);
    return st;
}

long ward_agent_inbox_ack(ward_agent *ag, const ward_agent_ack *acks, size_t n, char *why,
                          size_t why_cap)
{
    cJSON *body = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(body, "ids");
    cJSON *results = cJSON_AddArrayToObject(body, "results");
    bool ok = body != NULL && ids != NULL && results != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        if (acks[i].result_len == 0) {
            ok = cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)acks[i].id));
            continue;
        }
        size_t cap = 4 * ((acks[i].result_len + 2) / 3) + 1;
        char *b64 = malloc(cap);
        cJSON *e = cJSON_CreateObject();
        ok = b64 != NULL && e != NULL &&
             ward_b64_encode(acks[i].result, acks[i].result_len, b64, cap) == WARD_OK &&
             cJSON_AddNumberToObject(e, "id", (double)acks[i].id) &&
             cJSON_AddStringToObject(e, "result", b64);
        free(b64);
        if (!ok || !cJSON_AddItemToArray(results, e)) {
            cJSON_Delete(e);
            ok = false;
        }
    }
    char *text = ok ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (text == NULL) {
        snprintf(why, why_cap, "out of memory");
        return WARD_AGENT_UNREACHABLE;
    }
    ward_http_response resp;
    long st = ward_agent_call(ag->transport, &ag->host, ag->server, "POST",
                              "/v1/lock/inbox/ack", text, ag->signer, &resp, why, why_cap);
    cJSON_free(text);
    ward_http_response_free(&resp);
    return st;
}

long ward_agent_dev_inbox(ward_agent *ag, unsigned wait_s, long long *after,
                          ward_agent_msg_fn each, void *ctx, char *why, size_t why_cap)
{
    char target[128];
    snprintf(target, sizeof target, "/v1/device/inbox?wait=%u&after=%lld", wait_s, *after);
    ward_http_response resp;
    long st = ward_agent_call(ag->transport, &ag->host, ag->server, "GET", target, NULL,
                              ag->signer, &resp, why, why_cap);
    if (st == 0 && ward_agent_each_msg(&resp, after, each, ctx) < 0) {
        snprintf(why, why_cap, "wardd's answer has no message list");
        st = WARD_AGENT_BAD_ANSWER;
    }
    ward_http_response_free(&resp);
    return st;
}

void ward_agent_dev_loop(ward_agent *ag, unsigned wait_s, ward_agent_msg_fn each, void *ctx,
                         void (*note)(void *ctx, const char *line))
{
    long long after = 0;
    bool warned = false;
    unsigned idle_ms = 0;
    while (!ward_agent_stopping(ag)) {
        char why[256];
        long long before = after;
        if (ward_agent_dev_inbox(ag, wait_s, &after, each, ctx, why, sizeof why) == 0) {
            warned = false;
            /* Nothing new: a wardd that answers at once, whatever it is
             * asked to wait, is not asked again at once. */
            idle_ms = after != before ? 0
                      : idle_ms == 0  ? 100
                      : idle_ms < 500 ? idle_ms * 2
                                      : 1000;
            if (idle_ms > 0) {
                ward_agent_nap(ag, idle_ms);
            }
            continue;
        }
        if (!warned) {
            ward_agent_say(note, ctx, "far-field link down: %s", why);
        }
        warned = true;
        ward_agent_nap(ag, 1000);
    }
}

long ward_agent_dev_reply(ward_agent *ag, const char *cloud_id, const uint8_t *msg,
                          size_t len, char *why, size_t why_cap)
{
    ward_http_response resp;
    long st = ward_agent_post_blob(ag->transport, &ag->host, ag->server, "/v1/device/replies",
                                   "msg", msg, len, "cloud_id", cloud_id, ag->signer, &resp,
                                   why, why_cap);
    ward_http_response_free(&resp);
    return st;
}
