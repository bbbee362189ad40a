/*
 * cloud_inner.h - the request helper of the client's wardd calls
 * (cloud_*.c, ward_app_cloud.h). Not installed.
 */
#ifndef WARD_CLOUD_INNER_H
#define WARD_CLOUD_INNER_H

#include <stddef.h>

#include "ward/ward_app_cloud.h"
#include "ward/ward_http.h"

/* One signed request as this app. WARD_OK for a 2xx answer; otherwise
 * the error wardd's status maps to (ward_app_cloud.h), or WARD_ERR_IO
 * when no answer came, with the one line of ward_app_cloud.h in
 * ward_app_error(). resp is always filled (zeroed when no answer came):
 * the caller frees it. rep, if not NULL, gets the status and Retry-After.
 * body may be NULL. */
ward_err ward_app_cloud_call(ward_app *app, const char *method, const char *target,
                             const char *body, ward_http_response *resp, ward_app_reply *rep);

/* The ward_err an HTTP status stands for (ward_app_cloud.h). */
ward_err ward_app_cloud_status_err(long status);

#endif /* WARD_CLOUD_INNER_H */
