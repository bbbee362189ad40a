/* wardd's answers read once for every caller: the one-line outcome of a request and the walk of
 * the lists wardd hands on (ward_http.h). wardd is not trusted. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ward/ward_config.h"
#include "ward/ward_encode.h"
#include "ward/ward_http.h"

/* Below 2^53: every whole number a double holds exactly. */
#define ID_MAX 9007199254740991.0

long ward_http_outcome(ward_err err, const ward_http_response *resp, const char *server,
                       char *why, size_t why_cap)
{
    if (err != WARD_OK && resp->cert_untrusted) {
        snprintf(why, why_cap, "cannot reach wardd at %s: its certificate is not trusted "
                 "(%s); give its CA with ward --cacert FILE or SSL_CERT_FILE", server,
                 resp->error);
        return WARD_HTTP_NO_ANSWER;
    }
    if (err != WARD_OK) {
        /* The reason as the transport and the OS give it (refused, no
         * such host, timed out). */
        snprintf(why, why_cap, "cannot reach wardd at %s: %s", server,
                 resp->error[0] != '\0' ? resp->error : ward_strerror(err));
        return WARD_HTTP_NO_ANSWER;
    }
    if (resp->status >= 200 && resp->status < 300) {
        return 0;
    }
    /* wardd answers {"error": class, "message": one line}: its text, not
     * trusted to hold no escapes or newlines, is kept escaped. */
    cJSON *o = cJSON_ParseWithLength(resp->body, resp->body_len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "message");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "error");
    char cls[40], text[200];
    ward_http_text(cls, sizeof cls, cJSON_IsString(c) ? c->valuestring : "error");
    ward_http_text(text, sizeof text, cJSON_IsString(m) ? m->valuestring : "no reason given");
    snprintf(why, why_cap, "wardd refused (%ld %s): %s", resp->status, cls, text);
    cJSON_Delete(o);
    /* A status outside 1..999 would read as one of ours. */
    return resp->status > 0 && resp->status < 1000 ? resp->status : 999;
}

int ward_http_each_entry(const char *json, size_t len, const char *list, const char *id_key,
                         const char *msg_key, const char *from_key, int64_t *after,
                         ward_http_entry_fn each, void *ctx)
{
    cJSON *o = cJSON_ParseWithLength(json, len);
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
        if (!cJSON_IsNumber(id) || !(id->valuedouble > (double)*after) ||
            id->valuedouble > ID_MAX ||
            id->valuedouble != (double)(int64_t)id->valuedouble) {
            skipped++;
            continue;
        }
        int64_t n = (int64_t)id->valuedouble;
        uint8_t msg[WARD_MSG_MAX];
        size_t mlen = 0;
        /* A from that is there but no string makes the entry no message
         * either: it is not what wardd's API says. */
        bool ok = cJSON_IsString(m) && (from == NULL || cJSON_IsString(from)) &&
                  ward_b64_decode(m->valuestring, strlen(m->valuestring), msg, sizeof msg,
                                  &mlen) == WARD_OK;
        ward_http_entry_end end = each(ctx, n, from != NULL && ok ? from->valuestring : NULL,
                                       ok ? msg : NULL, ok ? mlen : 0);
        if (end == WARD_HTTP_ENTRY_STOP) {
            break;
        }
        if (end == WARD_HTTP_ENTRY_PASSED) {
            skipped++;
        }
        *after = n;
    }
    cJSON_Delete(o);
    return skipped;
}
