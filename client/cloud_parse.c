/* Checks of wardd's answers to the client's flow A and D calls (no I/O): wardd is not trusted. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ward/ward_httpsig.h"
#include "ops_inner.h"
#include "cloud_inner.h"

/* Unix seconds below 10^11 (the year 5138): a bigger one is no date. */
#define UNIX_S_MAX 1e11

void ward_app_upload_parse(const char *json, size_t len, int64_t *expires)
{
    cJSON *o = cJSON_ParseWithLength(json, len);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "expires");
    *expires = 0;
    /* The range check comes before the cast: converting a double out of
     * range is undefined. */
    if (cJSON_IsNumber(e) && e->valuedouble > 0 && e->valuedouble < UNIX_S_MAX &&
        e->valuedouble == (double)(int64_t)e->valuedouble) {
        *expires = (int64_t)e->valuedouble;
    }
    cJSON_Delete(o);
}

void ward_app_task_parse(const char *json, size_t len, ward_app_task *t)
{
    cJSON *o = cJSON_ParseWithLength(json, len);
    const char *st = ward_json_str(o, "state");
    t->state = WARD_APP_TASK_WAITING;
    t->role = -1;
    if (st != NULL && strcmp(st, "bound") == 0) {
        t->state = WARD_APP_TASK_BOUND;
        t->role = ward_app_role_json(cJSON_GetObjectItemCaseSensitive(o, "role"));
    } else if (st != NULL && strcmp(st, "expired") == 0) {
        t->state = WARD_APP_TASK_EXPIRED;
    }
    cJSON_Delete(o);
}

bool ward_app_cloud_id_ok(const char *s)
{
    if (s == NULL || strlen(s) != WARD_DEV_CLOUD_ID_MAX) {
        return false;
    }
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* An app tag as wardd takes it: 1..64 of [A-Za-z0-9_-]. */
static bool tag_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > WARD_APP_CLOUD_TAG_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

/* One entry of the device list, checked; false to skip it. */
static bool device_entry(const cJSON *e, ward_app_cloud_device *d)
{
    const char *dev = ward_json_str(e, "device");
    const char *cid = ward_json_str(e, "cloud_id");
    const char *tag = ward_json_str(e, "app");
    memset(d, 0, sizeof *d);
    if (dev == NULL || strlen(dev) > WARD_DEV_ID_MAX ||
        ward_check_sn((const uint8_t *)dev, strlen(dev)) != WARD_OK ||
        !ward_app_cloud_id_ok(cid)) {
        return false;
    }
    memcpy(d->device, dev, strlen(dev) + 1);
    memcpy(d->cloud_id, cid, strlen(cid) + 1);
    if (tag_ok(tag)) {
        memcpy(d->app, tag, strlen(tag) + 1);
    }
    int64_t at = ward_json_int(e, "attached_ms", 0);
    d->attached_ms = at > 0 ? at : 0;
    return true;
}

ward_err ward_app_devices_parse(const char *json, size_t len, ward_app_cloud_devices *out)
{
    memset(out, 0, sizeof *out);
    cJSON *o = cJSON_ParseWithLength(json, len);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "devices");
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(o);
        return WARD_ERR_FORMAT;
    }
    int n = cJSON_GetArraySize(arr);
    size_t cap = n > 0 ? (size_t)n : 1;
    cap = cap < WARD_APP_CLOUD_DEVICES_MAX ? cap : WARD_APP_CLOUD_DEVICES_MAX;
    out->devices = calloc(cap, sizeof *out->devices);
    if (out->devices == NULL) {
        cJSON_Delete(o);
        return WARD_ERR_NOSPACE;
    }
    const cJSON *e = NULL;
    cJSON_ArrayForEach(e, arr) {
        if (out->count < cap && device_entry(e, &out->devices[out->count])) {
            out->count++;
        } else {
            out->skipped++;
        }
    }
    cJSON_Delete(o);
    return WARD_OK;
}

void ward_app_cloud_devices_free(ward_app_cloud_devices *list)
{
    if (list != NULL) {
        free(list->devices);
        memset(list, 0, sizeof *list);
    }
}

typedef struct msgs_walk {
    const char *cloud_id;
    ward_app_dev_msg_fn each;
    void *ctx;
    size_t given;
} msgs_walk;

static ward_http_entry_end each_msg(void *ctx, int64_t id, const char *cid, const uint8_t *msg,
                                    size_t len)
{
    msgs_walk *w = ctx;
    (void)id;
    /* Never a message of ours (not one, empty, for another attachment):
     * passed over, and the cursor moves past it. */
    if (msg == NULL || len == 0 ||
        (w->cloud_id != NULL && cid != NULL && strcmp(cid, w->cloud_id) != 0)) {
        return WARD_HTTP_ENTRY_PASSED;
    }
    if (w->each(w->ctx, msg, len) != 0) {
        return WARD_HTTP_ENTRY_STOP;
    }
    w->given++;
    return WARD_HTTP_ENTRY_TAKEN;
}

int ward_app_dev_msgs_parse(const char *json, size_t len, const char *cloud_id,
                            int64_t *after, ward_app_dev_msg_fn each, void *ctx,
                            size_t *handed)
{
    msgs_walk w = { cloud_id, each, ctx, 0 };
    int skipped = ward_http_each_entry(json, len, "msgs", "id", "msg", "cloud_id", after,
                                       each_msg, &w);
    if (handed != NULL) {
        *handed = w.given;
    }
    return skipped;
}
