/* The agent's requests to wardd over its transport, and the lists wardd hands on, read by the
 * client's HTTP layer (ward_http.h) as the app's are (ward_agent.h). */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_inner.h"
#include "ward/ward.h"
#include "ward/ward_agent.h"

bool ward_agent_stopping(const ward_agent *ag)
{
    return ag->cancelled != NULL && ag->cancelled(ag->cancel_ctx);
}

void ward_agent_nap(const ward_agent *ag, unsigned ms)
{
    while (ms > 0 && !ward_agent_stopping(ag)) {
        unsigned step = ms < 100u ? ms : 100u;
        struct timespec ts = { 0, (long)step * 1000000L };
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

long long ward_agent_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ward_agent_say(void (*note)(void *ctx, const char *line), void *ctx, const char *fmt, ...)
{
    if (note == NULL) {
        return;
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    note(ctx, line);
}

static ward_err http_request(void *ctx, const ward_host *host, const char *server,
                             const char *method, const char *target, const uint8_t *body,
                             size_t body_len, const ward_http_signer *signer,
                             ward_http_response *resp)
{
    (void)ctx;
    return ward_http_request(host, server, method, target, body, body_len, signer, resp);
}

const ward_agent_transport ward_agent_http = { http_request, NULL };

ward_err ward_agent_set_server(ward_agent *ag, const char *server)
{
    if (server == NULL || strlen(server) > WARD_AGENT_URL_MAX) {
        return WARD_ERR_PARAM;
    }
    memcpy(ag->server, server, strlen(server) + 1);
    return WARD_OK;
}

ward_err ward_agent_init(ward_agent *ag, const ward_agent_transport *transport,
                         const ward_host *host, const char *server,
                         const ward_http_signer *signer)
{
    memset(ag, 0, sizeof *ag);
    ag->transport = transport;
    ag->host = *host;
    ag->signer = signer;
    return ward_agent_set_server(ag, server);
}

long ward_agent_call(const ward_agent_transport *t, const ward_host *host, const char *server,
                     const char *method, const char *target, const char *body,
                     const ward_http_signer *signer, ward_http_response *resp, char *why,
                     size_t why_cap)
{
    memset(resp, 0, sizeof *resp);
    ward_err err = t->request(t->ctx, host, server, method, target, (const uint8_t *)body,
                              body ? strlen(body) : 0, signer, resp);
    return ward_http_outcome(err, resp, server, why, why_cap);
}

long ward_agent_post_blob(const ward_agent_transport *t, const ward_host *host,
                          const char *server, const char *target, const char *field,
                          const uint8_t *bytes, size_t len, const char *extra_field,
                          const char *extra_value, const ward_http_signer *signer,
                          ward_http_response *resp, char *why, size_t why_cap)
{
    memset(resp, 0, sizeof *resp);
    size_t b64_cap = 4 * ((len + 2) / 3) + 1;
    char *b64 = malloc(b64_cap);
    cJSON *o = cJSON_CreateObject();
    char *body = NULL;
    if (b64 == NULL || o == NULL || ward_b64_encode(bytes, len, b64, b64_cap) != WARD_OK ||
        !cJSON_AddStringToObject(o, field, b64) ||
        (extra_field && !cJSON_AddStringToObject(o, extra_field, extra_value)) ||
        (body = cJSON_PrintUnformatted(o)) == NULL) {
        snprintf(why, why_cap, "out of memory");
        free(b64);
        cJSON_Delete(o);
        return WARD_AGENT_UNREACHABLE;
    }
    free(b64);
    cJSON_Delete(o);
    long status = ward_agent_call(t, host, server, "POST", target, body, signer, resp, why,
                                  why_cap);
    cJSON_free(body);
    return status;
}

int ward_agent_json_str(const ward_http_response *resp, const char *name, char *out,
                        size_t cap)
{
    out[0] = '\0';
    cJSON *o = cJSON_ParseWithLength(resp->body, resp->body_len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    int rc = -1;
    if (cJSON_IsString(v) && strlen(v->valuestring) < cap) {
        memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
        rc = 0;
    }
    cJSON_Delete(o);
    return rc;
}

typedef struct entry_walk {
    ward_agent_entry_fn each;
    void *ctx;
} entry_walk;

static ward_http_entry_end each_entry(void *ctx, int64_t id, const char *from,
                                      const uint8_t *msg, size_t len)
{
    entry_walk *w = ctx;
    return w->each(w->ctx, (long long)id, from, msg, len) != 0 ? WARD_HTTP_ENTRY_STOP
                                                                : WARD_HTTP_ENTRY_TAKEN;
}

int ward_agent_each_entry(const ward_http_response *resp, const char *list,
                          const char *id_key, const char *msg_key, const char *from_key,
                          long long *after, ward_agent_entry_fn each, void *ctx)
{
    entry_walk w = { each, ctx };
    int64_t cursor = (int64_t)*after;
    int skipped = ward_http_each_entry(resp->body, resp->body_len, list, id_key, msg_key,
                                       from_key, &cursor, each_entry, &w);
    *after = (long long)cursor;
    return skipped;
}

typedef struct msg_walk {
    ward_agent_msg_fn each;
    void *ctx;
} msg_walk;

static int each_msg(void *ctx, long long id, const char *cloud_id, const uint8_t *msg,
                    size_t len)
{
    msg_walk *w = ctx;
    (void)id;
    /* Not a message: passed over, and the cursor moves past it. */
    if (msg != NULL) {
        w->each(w->ctx, cloud_id, msg, len);
    }
    return 0;
}

int ward_agent_each_msg(const ward_http_response *resp, long long *after, ward_agent_msg_fn each,
                        void *ctx)
{
    msg_walk w = { each, ctx };
    return ward_agent_each_entry(resp, "msgs", "id", "msg", "cloud_id", after, each_msg, &w);
}
