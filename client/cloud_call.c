/* The client's wardd calls: one signed request, its failure said in one line a person can act on. */
#include <stdio.h>
#include <string.h>

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
    char why[WARD_APP_ERROR_MAX];
    long st = ward_http_outcome(err, resp, app->server, why, sizeof why);
    if (st == WARD_HTTP_NO_ANSWER) {
        return ward_app_fail(app, WARD_ERR_IO, "%s", why);
    }
    rep->status = resp->status;
    rep->retry_after_s = resp->retry_after_s > 0 ? resp->retry_after_s : 0;
    return st == 0 ? WARD_OK : ward_app_fail(app, ward_app_cloud_status_err(resp->status), "%s",
                                             why);
}
