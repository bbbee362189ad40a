/* Flow D's calls to wardd: attaching a paired device, the cloud device list, far-field messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ward/ward_httpsig.h"
#include "ops_inner.h"
#include "cloud_inner.h"

ward_err ward_app_device_attach(ward_app *app, const char *device, const uint8_t *client_id,
                                size_t client_id_len,
                                char cloud_id[WARD_DEV_CLOUD_ID_MAX + 1], ward_app_reply *rep)
{
    char hex[2 * WARD_CLIENT_ID_MAX + 1] = "";
    ward_http_response r;
    cloud_id[0] = '\0';
    if (rep != NULL) {
        memset(rep, 0, sizeof *rep);
    }
    if (device == NULL || strlen(device) > WARD_DEV_ID_MAX ||
        ward_check_sn((const uint8_t *)device, strlen(device)) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_PARAM, "not a device id");
    }
    if (client_id_len > WARD_CLIENT_ID_MAX ||
        (client_id_len > 0 &&
         ward_hex_encode(client_id, client_id_len, hex, sizeof hex) != WARD_OK)) {
        return ward_app_fail(app, WARD_ERR_PARAM, "not a client id");
    }
    cJSON *o = cJSON_CreateObject();
    char *body = NULL;
    if (o == NULL || !cJSON_AddStringToObject(o, "device", device) ||
        !cJSON_AddStringToObject(o, "app", hex) || (body = cJSON_PrintUnformatted(o)) == NULL) {
        cJSON_Delete(o);
        return ward_app_fail(app, WARD_ERR_NOSPACE, "out of memory");
    }
    cJSON_Delete(o);
    ward_err err = ward_app_cloud_call(app, "POST", "/v1/devices/attach", body, &r, rep);
    cJSON_free(body);
    if (err == WARD_OK) {
        cJSON *a = cJSON_ParseWithLength(r.body, r.body_len);
        const char *cid = ward_json_str(a, "cloud_id");
        if (ward_app_cloud_id_ok(cid)) {
            memcpy(cloud_id, cid, strlen(cid) + 1);
        } else {
            err = ward_app_fail(app, WARD_ERR_FORMAT, "wardd gave no cloud id");
        }
        cJSON_Delete(a);
    }
    ward_http_response_free(&r);
    return err;
}

ward_err ward_app_devices(ward_app *app, ward_app_cloud_devices *out, ward_app_reply *rep)
{
    ward_http_response r;
    memset(out, 0, sizeof *out);
    ward_err err = ward_app_cloud_call(app, "GET", "/v1/devices", NULL, &r, rep);
    if (err == WARD_OK) {
        err = ward_app_devices_parse(r.body, r.body_len, out);
        if (err != WARD_OK) {
            ward_app_fail(app, err, "wardd's device list is malformed");
        }
    }
    ward_http_response_free(&r);
    return err;
}

/* "/v1/dev/<cloud_id><rest>" into target; false (the error set) for a
 * cloud id that is not one. */
static bool dev_target(ward_app *app, const char *cloud_id, const char *rest, char *target,
                       size_t cap)
{
    if (!ward_app_cloud_id_ok(cloud_id)) {
        ward_app_fail(app, WARD_ERR_PARAM, "not a cloud id (32 lower-case hex digits)");
        return false;
    }
    snprintf(target, cap, "/v1/dev/%s%s", cloud_id, rest);
    return true;
}

ward_err ward_app_dev_post(ward_app *app, const char *cloud_id, const uint8_t *msg,
                           size_t len, ward_app_reply *rep)
{
    char target[96], b64[B64_LEN(WARD_MSG_MAX)];
    ward_http_response r;
    if (rep != NULL) {
        memset(rep, 0, sizeof *rep);
    }
    if (!dev_target(app, cloud_id, "/msgs", target, sizeof target)) {
        return WARD_ERR_PARAM;
    }
    if (len == 0 || len > WARD_MSG_MAX || ward_b64_encode(msg, len, b64, sizeof b64) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_PARAM, "a message of 1 to %d bytes expected",
                             WARD_MSG_MAX);
    }
    cJSON *o = cJSON_CreateObject();
    char *body = NULL;
    if (o == NULL || !cJSON_AddStringToObject(o, "msg", b64) ||
        (body = cJSON_PrintUnformatted(o)) == NULL) {
        cJSON_Delete(o);
        return ward_app_fail(app, WARD_ERR_NOSPACE, "out of memory");
    }
    cJSON_Delete(o);
    ward_err err = ward_app_cloud_call(app, "POST", target, body, &r, rep);
    cJSON_free(body);
    ward_http_response_free(&r);
    return err;
}

ward_err ward_app_dev_replies(ward_app *app, const char *cloud_id, unsigned wait_s,
                              int64_t *after, ward_app_dev_msg_fn each, void *ctx,
                              size_t *handed, ward_app_reply *rep)
{
    char rest[64], target[128];
    ward_http_response r;
    if (handed != NULL) {
        *handed = 0;
    }
    if (rep != NULL) {
        memset(rep, 0, sizeof *rep);
    }
    snprintf(rest, sizeof rest, "/replies?wait=%u&after=%lld",
             wait_s < WARD_APP_CLOUD_WAIT_MAX ? wait_s : WARD_APP_CLOUD_WAIT_MAX,
             (long long)*after);
    if (!dev_target(app, cloud_id, rest, target, sizeof target)) {
        return WARD_ERR_PARAM;
    }
    ward_err err = ward_app_cloud_call(app, "GET", target, NULL, &r, rep);
    if (err == WARD_OK &&
        ward_app_dev_msgs_parse(r.body, r.body_len, cloud_id, after, each, ctx, handed) < 0) {
        err = ward_app_fail(app, WARD_ERR_FORMAT, "wardd's list of replies is malformed");
    }
    ward_http_response_free(&r);
    return err;
}
