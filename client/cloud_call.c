/* The client's wardd calls: one signed request, its failure said in one line a person can act on. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "app_inner.h"
#include "cloud_inner.h"

ward_err ward_app_cloud_status_err(long status)
{
    switch (status) {
    case 401: return WARD_ERR_AUTH;
    case 403: return WARD_ERR_PARAM;
    case 404: return WARD_ERR_NOTFOUND;
    case 409: return WARD_ERR_CONFLICT;
    case 410: return WARD_ERR_EXPIRED;
    case 429: return WARD_ERR_BUSY;
    default: return status >= 500 ? WARD_ERR_IO : WARD_ERR_FORMAT;
    }
}

ward_err ward_app_cloud_call(ward_app *app, const char *method, const char *target,
                             const char *body, ward_http_response *resp, ward_app_reply *rep)
{
    ward_http_signer signer;
    ward_app_reply dummy;
    rep = rep != NULL ? rep : &dummy;
    rep->status = 0;
    rep->retry_after_s = 0;
    memset(resp, 0, sizeof *resp);
    ward_app_http_signer(app, &signer);
    ward_err err = ward_http_request(&app->host, app->server, method, target,
                                     (const uint8_t *)body, body != NULL ? strlen(body) : 0,
                                     &signer, resp);
    if (err != WARD_OK && resp->cert_untrusted) {
        return ward_app_fail(app, WARD_ERR_IO, "cannot reach wardd at %s: its certificate is "
                             "not trusted (%s); give its CA with ward --cacert FILE or "
                             "SSL_CERT_FILE", app->server, resp->error);
    }
    if (err != WARD_OK) {
        /* The reason as libcurl and the OS give it (refused, no such
         * host, timed out). */
        return ward_app_fail(app, WARD_ERR_IO, "cannot reach wardd at %s: %s", app->server,
                             resp->error[0] != '\0' ? resp->error : ward_strerror(err));
    }
    rep->status = resp->status;
    rep->retry_after_s = resp->retry_after_s > 0 ? resp->retry_after_s : 0;
    if (resp->status >= 200 && resp->status < 300) {
        return WARD_OK;
    }
    /* wardd answers {"error": class, "message": one line}: its text, not
     * trusted to hold no escapes or newlines, is kept escaped. */
    cJSON *o = cJSON_ParseWithLength(resp->body, resp->body_len);
    const char *m = ward_json_str(o, "message");
    const char *c = ward_json_str(o, "error");
    char cls[40], text[200];
    ward_http_text(cls, sizeof cls, c != NULL ? c : "error");
    ward_http_text(text, sizeof text, m != NULL ? m : "no reason given");
    err = ward_app_fail(app, ward_app_cloud_status_err(resp->status),
                        "wardd refused (%ld %s): %s", resp->status, cls, text);
    cJSON_Delete(o);
    return err;
}
