/* Signed requests to wardd with one-line error messages; see api.h. */
#include "api.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward.h"

long api_call(const ward_host *host, const char *server, const char *method,
              const char *target, const char *body,
              const ward_http_signer *signer, ward_http_response *resp,
              char *msg, size_t msg_cap)
{
    memset(resp, 0, sizeof *resp);
    ward_err err = ward_http_request(host, server, method, target,
                                     (const uint8_t *)body, body ? strlen(body) : 0,
                                     signer, resp);
    if (err != WARD_OK && resp->cert_untrusted) {
        snprintf(msg, msg_cap, "cannot reach wardd at %s: its certificate is not trusted "
                 "(%s); give its CA with ward --cacert FILE or SSL_CERT_FILE", server,
                 resp->error);
        return -1;
    }
    if (err != WARD_OK) {
        /* The reason as libcurl and the OS give it (refused, no such
         * host, timed out, an untrusted certificate). */
        snprintf(msg, msg_cap, "cannot reach wardd at %s: %s", server,
                 resp->error[0] != '\0' ? resp->error : ward_strerror(err));
        return -1;
    }
    if (resp->status >= 200 && resp->status < 300) {
        return 0;
    }
    /* wardd answers {"error": class, "message": one line}: its text, not
     * trusted to hold no escapes or newlines, is printed escaped. */
    cJSON *o = cJSON_ParseWithLength(resp->body, resp->body_len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "message");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "error");
    char cls[40], text[200];
    ward_http_text(cls, sizeof cls, cJSON_IsString(c) ? c->valuestring : "error");
    ward_http_text(text, sizeof text, cJSON_IsString(m) ? m->valuestring : "no reason given");
    snprintf(msg, msg_cap, "wardd refused (%ld %s): %s", resp->status, cls, text);
    cJSON_Delete(o);
    return resp->status;
}

long api_post_blob(const ward_host *host, const char *server, const char *target,
                   const char *field, const uint8_t *bytes, size_t len,
                   const char *extra_field, const char *extra_value,
                   const ward_http_signer *signer, ward_http_response *resp,
                   char *msg, size_t msg_cap)
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
        snprintf(msg, msg_cap, "out of memory");
        free(b64);
        cJSON_Delete(o);
        return -1;
    }
    free(b64);
    cJSON_Delete(o);
    long status = api_call(host, server, "POST", target, body, signer, resp, msg, msg_cap);
    cJSON_free(body);
    return status;
}

int api_json_str(const ward_http_response *resp, const char *name, char *out,
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

int api_each_entry(const ward_http_response *resp, const char *list, const char *id_key,
                   const char *msg_key, const char *from_key, long long *after,
                   api_entry_fn each, void *ctx)
{
    cJSON *o = cJSON_ParseWithLength(resp->body, resp->body_len);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, list);
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(o);
        return -1;
    }
    int skipped = 0;
    const cJSON *e = NULL;
    cJSON_ArrayForEach(e, arr) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, id_key);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, msg_key);
        const cJSON *from = from_key != NULL ? cJSON_GetObjectItemCaseSensitive(e, from_key)
                                             : NULL;
        /* A whole number above the cursor and below 2^53, checked before
         * the cast. */
        if (!cJSON_IsNumber(id) || id->valuedouble <= (double)*after ||
            id->valuedouble > 9007199254740991.0 ||
            id->valuedouble != (double)(long long)id->valuedouble) {
            skipped++;
            continue;
        }
        long long n = (long long)id->valuedouble;
        uint8_t msg[WARD_MSG_MAX];
        size_t len = 0;
        bool ok = cJSON_IsString(m) &&
                  ward_b64_decode(m->valuestring, strlen(m->valuestring), msg, sizeof msg,
                                  &len) == WARD_OK;
        if (each(ctx, n, cJSON_IsString(from) ? from->valuestring : NULL, ok ? msg : NULL,
                 ok ? len : 0) != 0) {
            break;
        }
        *after = n;
    }
    cJSON_Delete(o);
    return skipped;
}

typedef struct msg_walk {
    api_msg_fn each;
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

int api_each_msg(const ward_http_response *resp, long long *after, api_msg_fn each, void *ctx)
{
    msg_walk w = { each, ctx };
    return api_each_entry(resp, "msgs", "id", "msg", "cloud_id", after, each_msg, &w);
}
