/* Signed requests to wardd with one-line error messages; see api.h. */
#include "api.h"

#include <cjson/cJSON.h>
#include <stdio.h>
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
    if (err != WARD_OK) {
        snprintf(msg, msg_cap, "cannot reach wardd at %s (%s)", server, ward_strerror(err));
        return -1;
    }
    if (resp->status >= 200 && resp->status < 300) {
        return 0;
    }
    /* wardd answers {"error": class, "message": one line}. */
    cJSON *o = cJSON_ParseWithLength(resp->body, resp->body_len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "message");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "error");
    snprintf(msg, msg_cap, "wardd refused (%ld %s): %s", resp->status,
             cJSON_IsString(c) ? c->valuestring : "error",
             cJSON_IsString(m) ? m->valuestring : "no reason given");
    cJSON_Delete(o);
    return resp->status;
}
