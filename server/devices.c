/* Flow D's far-field relay: an app attaches to a device (its cloud id),
 * then app and device exchange ward messages through two bounded queues.
 * wardd reads only its own JSON here; the messages stay opaque bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "log.h"
#include "ward/ward_port_posix.h"
#include "wardd.h"

/* A relayed message waits this long for its poller; the channel above
 * retries with a fresh counter, so an old one is only noise. */
#define DEV_MSG_TTL_MS (2 * 60 * 1000LL)
/* Per WARDD_RATE_WINDOW_MS: posts by one app or one device, and attaches
 * by one user. Generous for people, tight for a loop. */
#define DEV_RATE_MSGS 1200
#define DEV_RATE_ATTACH 60

/* Cannot fail: out holds exactly the digits and the NUL. */
static void cloud_hex(const uint8_t id[WARDD_CLOUD_ID_LEN], char out[2 * WARDD_CLOUD_ID_LEN + 1])
{
    WARD_ASSERT(ward_hex_encode(id, WARDD_CLOUD_ID_LEN, out,
                                2 * WARDD_CLOUD_ID_LEN + 1) == WARD_OK);
}

/* Exactly 32 lowercase hex digits: one spelling per id. */
static bool cloud_parse(const char *hex, uint8_t id[WARDD_CLOUD_ID_LEN])
{
    if (hex == NULL || strlen(hex) != 2 * WARDD_CLOUD_ID_LEN) {
        return false;
    }
    for (size_t i = 0; i < 2 * WARDD_CLOUD_ID_LEN; i++) {
        char c = hex[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) {
            return false;
        }
        if (i % 2 == 0) {
            id[i / 2] = (uint8_t)(v << 4);
        } else {
            id[i / 2] = (uint8_t)(id[i / 2] | v);
        }
    }
    return true;
}

/* An app tag: what tells apart two app instances of one user (the app
 * sends its CliID in hex). Letters, digits, '-' and '_' only. */
static bool app_tag_ok(const char *t)
{
    size_t n = strlen(t);
    if (n > WARDD_APP_TAG_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_')) {
            return false;
        }
    }
    return true;
}

static bool rate(wardd *w, const char *kind, const char *id, unsigned limit,
                 wardd_resp *out)
{
    char key[128];
    snprintf(key, sizeof key, "%s:%s", kind, id);
    wardd_rate_key k = { key, limit };
    int64_t retry_ms = 0;
    ward_err err = w->store.rate_take(w->store.h, &k, 1, wardd_now_ms(),
                                      WARDD_RATE_WINDOW_MS, &retry_ms);
    if (err == WARD_ERR_BUSY) {
        long s = (long)((retry_ms + 999) / 1000);
        wardd_fail(out, 429, "busy", "too many requests; try later");
        out->retry_after_s = s > 0 ? s : 1;
        wardd_log("warn", "rate_limited", "key=%s retry_after=%ld", key, out->retry_after_s);
        return false;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return false;
    }
    return true;
}

static cJSON *attach_json(const wardd_attach *a)
{
    char hex[2 * WARDD_CLOUD_ID_LEN + 1];
    cloud_hex(a->cloud_id, hex);
    cJSON *o = cJSON_CreateObject();
    if (o != NULL) {
        cJSON_AddStringToObject(o, "cloud_id", hex);
        cJSON_AddStringToObject(o, "device", a->device);
        cJSON_AddStringToObject(o, "app", a->app);
        cJSON_AddNumberToObject(o, "attached_ms", (double)a->attached_ms);
    }
    return o;
}

static bool device_signed(wardd *w, const wardd_req *r, wardd_signer *s, wardd_resp *out)
{
    if (!wardd_auth(w, r, NULL, NULL, s, out)) {
        return false;
    }
    if (!s->is_lock) {
        wardd_fail(out, 403, "forbidden", "a device's request");
        return false;
    }
    return true;
}

/* The attachment named by the path, if it is the signer's; anybody
 * else's (or none) is the same 404, so cloud ids cannot be probed. */
static bool own_attach(wardd *w, const wardd_req *r, const wardd_signer *s,
                       wardd_attach *a, wardd_resp *out)
{
    uint8_t id[WARDD_CLOUD_ID_LEN];
    if (!cloud_parse(r->param, id)) {
        wardd_fail(out, 404, "notfound", "no such device attachment");
        return false;
    }
    ward_err err = w->store.dev_attach_get(w->store.h, id, a);
    if (err == WARD_OK && strcmp(a->uid, s->id) != 0) {
        err = WARD_ERR_NOTFOUND;
    }
    if (err == WARD_ERR_NOTFOUND) {
        wardd_fail(out, 404, "notfound", "no such device attachment");
        return false;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return false;
    }
    return true;
}

/* POST /v1/devices/attach {"device": ID, "app": TAG}: user-signed. */
void wardd_h_devices_attach(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    cJSON *j = NULL;
    if (!wardd_auth_user(w, r, &s, out) || !wardd_json_body(r, &j, out)) {
        return;
    }
    wardd_attach a;
    memset(&a, 0, sizeof a);
    const char *dev = wardd_json_str(j, "device", WARD_SN_MAX);
    const cJSON *app = cJSON_GetObjectItemCaseSensitive(j, "app");
    bool ok = dev != NULL && ward_check_sn((const uint8_t *)dev, strlen(dev)) == WARD_OK &&
              (app == NULL || (cJSON_IsString(app) && app_tag_ok(app->valuestring)));
    if (ok) {
        snprintf(a.device, sizeof a.device, "%s", dev);
        snprintf(a.app, sizeof a.app, "%s", app ? app->valuestring : "");
    }
    cJSON_Delete(j);
    if (!ok) {
        wardd_fail(out, 400, "format", "device: an id expected; app: up to 64 of [A-Za-z0-9_-]");
        return;
    }
    if (!rate(w, "dev-attach", s.id, DEV_RATE_ATTACH, out)) {
        return;
    }
    snprintf(a.uid, sizeof a.uid, "%s", s.id);
    a.attached_ms = wardd_now_ms();
    ward_random rng = ward_random_posix();
    wardd_attach got;
    int created = 0;
    ward_err err = WARD_ERR_STATE;
    /* A collision of 128 random bits is not expected; retry anyway. */
    for (int tries = 0; tries < 3 && err == WARD_ERR_STATE; tries++) {
        if (rng.fill(rng.ctx, a.cloud_id, sizeof a.cloud_id) != WARD_OK) {
            wardd_fail(out, 500, "internal", "no randomness");
            return;
        }
        err = w->store.dev_attach(w->store.h, &a, &got, &created);
    }
    if (err == WARD_ERR_NOTFOUND) {
        wardd_fail(out, 404, "notfound", "no such device");
        return;
    }
    if (err == WARD_ERR_BUSY) {
        wardd_fail(out, 409, "conflict", "the device has too many attachments");
        return;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    if (created) {
        char hex[2 * WARDD_CLOUD_ID_LEN + 1];
        cloud_hex(got.cloud_id, hex);
        wardd_log("info", "device_attached", "device=%s uid=%s cloud_id=%s", got.device,
                  got.uid, hex);
    }
    wardd_reply(out, created ? 201 : 200, attach_json(&got));
}

static int add_attach(void *ctx, const wardd_attach *a)
{
    cJSON *e = attach_json(a);
    if (e == NULL) {
        return 1;
    }
    cJSON_AddItemToArray(ctx, e);
    return 0;
}

/* GET /v1/devices: the signer's attachments, for discovery. */
void wardd_h_devices_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth_user(w, r, &s, out)) {
        return;
    }
    cJSON *res = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(res, "devices");
    ward_err err = w->store.dev_attach_list(w->store.h, s.id, add_attach, arr);
    if (err != WARD_OK) {
        cJSON_Delete(res);
        wardd_fail_store(out, err);
        return;
    }
    wardd_reply(out, 200, res);
}

/* {"msg": base64} out of a body, or a 400. */
static bool body_msg(const cJSON *j, uint8_t *msg, size_t *len, wardd_resp *out)
{
    if (!wardd_json_b64(j, "msg", msg, 1, WARD_MSG_MAX, len)) {
        wardd_fail(out, 400, "format", "msg: a base64 ward message expected");
        return false;
    }
    return true;
}

static bool queue(wardd *w, const uint8_t cloud_id[WARDD_CLOUD_ID_LEN], int way,
                  const uint8_t *msg, size_t len, wardd_resp *out)
{
    int64_t now = wardd_now_ms(), id = 0;
    ward_err err = w->store.dev_msg_put(w->store.h, cloud_id, way, msg, len, now,
                                        now + DEV_MSG_TTL_MS, &id);
    if (err == WARD_ERR_BUSY) {
        wardd_fail(out, 429, "busy", "the queue is full; poll it first");
        out->retry_after_s = 1;
        return false;
    }
    if (err == WARD_ERR_NOTFOUND) {
        wardd_fail(out, 404, "notfound", "no such device attachment");
        return false;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return false;
    }
    cJSON *res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double)id);
    wardd_reply(out, 202, res);
    return true;
}

/* POST /v1/dev/{cloud_id}/msgs {"msg": b64}: the app to its device. */
void wardd_h_dev_msgs_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    wardd_attach a;
    cJSON *j = NULL;
    if (!wardd_auth_user(w, r, &s, out) || !own_attach(w, r, &s, &a, out) ||
        !wardd_json_body(r, &j, out)) {
        return;
    }
    uint8_t msg[WARD_MSG_MAX];
    size_t len = 0;
    bool ok = body_msg(j, msg, &len, out);
    cJSON_Delete(j);
    if (!ok || !rate(w, "dev-msg", s.id, DEV_RATE_MSGS, out)) {
        return;
    }
    if (queue(w, a.cloud_id, WARDD_DEV_TO_DEVICE, msg, len, out)) {
        wardd_wake("device", a.device);
    }
}

/* POST /v1/device/replies {"cloud_id": hex, "msg": b64}: a device to one
 * of its apps. */
void wardd_h_device_replies_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    cJSON *j = NULL;
    if (!device_signed(w, r, &s, out) || !wardd_json_body(r, &j, out)) {
        return;
    }
    uint8_t msg[WARD_MSG_MAX], id[WARDD_CLOUD_ID_LEN];
    size_t len = 0;
    const char *hex = wardd_json_str(j, "cloud_id", 2 * WARDD_CLOUD_ID_LEN);
    bool ok = cloud_parse(hex, id);
    if (!ok) {
        wardd_fail(out, 400, "format", "cloud_id: 32 hex digits expected");
    } else {
        ok = body_msg(j, msg, &len, out);
    }
    cJSON_Delete(j);
    if (!ok) {
        return;
    }
    wardd_attach a;
    ward_err err = w->store.dev_attach_get(w->store.h, id, &a);
    if (err == WARD_OK && strcmp(a.device, s.id) != 0) {
        err = WARD_ERR_NOTFOUND;
    }
    if (err == WARD_ERR_NOTFOUND) {
        wardd_fail(out, 404, "notfound", "no such device attachment");
        return;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    if (!rate(w, "dev-reply", s.id, DEV_RATE_MSGS, out)) {
        return;
    }
    if (queue(w, id, WARDD_DEV_TO_APP, msg, len, out)) {
        char key[2 * WARDD_CLOUD_ID_LEN + 1];
        cloud_hex(id, key);
        wardd_wake("dev", key);
    }
}

typedef struct take_ctx {
    cJSON *arr;
    size_t n;
} take_ctx;

static int add_msg(void *ctx, const wardd_dev_msg *m)
{
    take_ctx *c = ctx;
    char hex[2 * WARDD_CLOUD_ID_LEN + 1];
    cloud_hex(m->cloud_id, hex);
    cJSON *e = cJSON_CreateObject();
    if (e == NULL) {
        return 1;
    }
    cJSON_AddNumberToObject(e, "id", (double)m->id);
    cJSON_AddStringToObject(e, "cloud_id", hex);
    wardd_json_add_b64(e, "msg", m->msg, m->msg_len);
    cJSON_AddItemToArray(c->arr, e);
    c->n++;
    return 0;
}

/* One long-poll over a queue: device set (the device's inbox) or
 * cloud_id set (an app's replies). Woken by (kind, key). */
static void poll_queue(wardd *w, const wardd_req *r, const char *device,
                       const uint8_t *cloud_id, int way, const char *kind,
                       const char *key, wardd_resp *out)
{
    long wait_s = 0;
    int64_t after = 0;
    if (!wardd_wait_arg(r, &wait_s, out) || !wardd_after_arg(r, &after, out)) {
        return;
    }
    int64_t deadline = wardd_now_ms() + wait_s * 1000;
    for (;;) {
        uint64_t gen = wardd_wake_gen(kind, key);
        cJSON *res = cJSON_CreateObject();
        take_ctx c = { cJSON_AddArrayToObject(res, "msgs"), 0 };
        ward_err err = w->store.dev_msg_take(w->store.h, device, cloud_id, way, after,
                                             wardd_now_ms(), add_msg, &c);
        if (err != WARD_OK) {
            cJSON_Delete(res);
            wardd_fail_store(out, err);
            return;
        }
        if (c.n > 0 || wardd_now_ms() >= deadline) {
            wardd_reply(out, 200, res);
            return;
        }
        cJSON_Delete(res);
        if (!wardd_wake_wait(w, kind, key, gen, deadline)) {
            deadline = 0;       /* time is up or shutdown: one last look */
        }
    }
}

/* GET /v1/device/inbox?wait=S&after=N: device-signed. */
void wardd_h_device_inbox_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!device_signed(w, r, &s, out)) {
        return;
    }
    poll_queue(w, r, s.id, NULL, WARDD_DEV_TO_DEVICE, "device", s.id, out);
}

/* GET /v1/dev/{cloud_id}/replies?wait=S&after=N: the attached app. */
void wardd_h_dev_replies_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    wardd_attach a;
    if (!wardd_auth_user(w, r, &s, out) || !own_attach(w, r, &s, &a, out)) {
        return;
    }
    char key[2 * WARDD_CLOUD_ID_LEN + 1];
    cloud_hex(a.cloud_id, key);
    poll_queue(w, r, NULL, a.cloud_id, WARDD_DEV_TO_APP, "dev", key, out);
}
