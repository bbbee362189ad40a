/*
 * ward_app_cloud.h - (client library) the app's calls to wardd for flow A
 * (registration, phone verification, bind-task upload and status, escrow
 * recovery) and flow D (device attachment, the cloud device list,
 * far-field messages). docs/protocol.md gives every route.
 *
 * Each call signs its request with the app's client key
 * (ward_app_http_signer()) and returns WARD_OK only for a 2xx answer whose
 * body it could check. wardd is not trusted: every member an answer
 * hands on is checked (ids, hex, base64, numbers that must be whole and
 * in range) before it reaches the caller; an entry that fails is skipped
 * and counted, an answer that fails as a whole is WARD_ERR_FORMAT.
 *
 * On failure ward_app_error() gives one line for a person:
 *     "cannot reach wardd at URL: <libcurl's reason>"   (no answer;
 *                                                       reply.status 0)
 *     "wardd refused (STATUS CLASS): <wardd's message, escaped>"
 * and the ward_err follows wardd's status: 401 WARD_ERR_AUTH, 403
 * WARD_ERR_PARAM, 404 WARD_ERR_NOTFOUND, 409 WARD_ERR_CONFLICT, 410
 * WARD_ERR_EXPIRED, 429 WARD_ERR_BUSY, 5xx WARD_ERR_IO, others
 * WARD_ERR_FORMAT; WARD_ERR_IO when no answer came.
 *
 *     ward_app_reply rep;
 *     bool verified;
 *     ward_app_register(&app, &verified, &rep);       // POST /v1/users
 *     if (!verified) ward_app_verify(&app, code, &rep);   // the SMS code
 *     ward_app_bind_prepare(&app, qr, n, false, &upload, tid_hex, sn);
 *     ward_app_bind_upload(&app, upload, sn, tid_hex, &up);
 *     ward_app_bind_wait(&app, sn, tid, 30, &task);    // records the outcome
 *
 * The *_parse() functions do no I/O: they are what the calls check
 * wardd's answers with, and what the unit tests drive directly.
 */
#ifndef WARD_APP_CLOUD_H
#define WARD_APP_CLOUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_app.h"
#include "ward/ward_device.h"
#include "ward/ward_gw_cloud.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest wait wardd honours on a long-poll, seconds (longer waits
 * are asked for in steps of this). */
#define WARD_APP_CLOUD_WAIT_MAX 30u
/* The most entries of GET /v1/devices taken (the rest are skipped). */
#define WARD_APP_CLOUD_DEVICES_MAX 1024u
/* An attachment's app tag: up to 64 of [A-Za-z0-9_-] (the CliID in hex). */
#define WARD_APP_CLOUD_TAG_MAX 64

/* How wardd answered a call. */
typedef struct ward_app_reply {
    long status;         /* wardd's HTTP status; 0 when no answer came */
    long retry_after_s;  /* a refusal's Retry-After, seconds; 0 if none */
} ward_app_reply;

/* ---- flow A ---- */

/* POST /v1/users with ward_app_register_json(): *verified when wardd says
 * the phone is verified already (nothing was sent); otherwise wardd texts
 * a code to the phone (an answer with no "verified": true is taken as
 * not verified: the code step then decides). rep may be NULL. */
WARD_MUST_CHECK
ward_err ward_app_register(ward_app *app, bool *verified, ward_app_reply *rep);

/* POST /v1/users/verify with the code: WARD_OK when wardd says the phone
 * is verified (the caller records it: ward_app_mark_verified()).
 * WARD_ERR_FORMAT with rep->status 0 when code is not 6 digits (nothing
 * sent); WARD_ERR_PARAM (403) a wrong code, another may be tried. The
 * body's copy of the code is wiped. */
WARD_MUST_CHECK
ward_err ward_app_verify(ward_app *app, const char *code, ward_app_reply *rep);

/* What became of an upload. */
typedef struct ward_app_upload {
    int64_t expires;     /* unix s wardd drops the task at; 0 if it gave none */
    bool dropped;        /* wardd refused it (4xx): the record begun is gone */
    ward_app_reply reply;
} ward_app_upload;

/* POST /v1/bind/tasks with the upload ward_app_bind_prepare() made for
 * lock sn and task tid_hex. When wardd refuses it (a 4xx, 429 too) it
 * holds no such task, so the record just begun, which could only wait
 * for a binding that cannot come, is dropped (u->dropped; the same QR
 * code may be scanned again). Unanswered or a 5xx: wardd may hold it,
 * and the record stays for ward_app_bind_wait() to ask about. */
WARD_MUST_CHECK
ward_err ward_app_bind_upload(ward_app *app, const char *upload, const char *sn,
                              const char *tid_hex, ward_app_upload *u);
/* The upload's answer {"expires": unix s}: *expires, or 0 when it is
 * missing or not a whole number in (0, 10^11). */
void ward_app_upload_parse(const char *json, size_t len, int64_t *expires);

/* Where a binding task stands, as wardd says. */
typedef enum ward_app_task_state {
    WARD_APP_TASK_WAITING = 0,   /* "sealed", or a state this library does not know */
    WARD_APP_TASK_BOUND,         /* the lock confirmed it */
    WARD_APP_TASK_EXPIRED,       /* "expired" */
    WARD_APP_TASK_UNKNOWN        /* 404: wardd no longer knows it (purged) */
} ward_app_task_state;

typedef struct ward_app_task {
    ward_app_task_state state;
    int role;            /* WARD_ROLE_* once bound; -1 when wardd gave none or a bad one */
    bool dropped;        /* expired or unknown: the app's record of it was dropped */
    ward_app_reply reply;
} ward_app_task;

/* {"state": "sealed"|"bound"|"expired", "role"?: 0..2 or a role name}.
 * Only "bound" and "expired" change anything; any other answer is
 * waiting. role -1 unless it is one of the three. */
void ward_app_task_parse(const char *json, size_t len, ward_app_task *t);

/* GET /v1/bind/tasks/{tid}/status?wait=S (S at most
 * WARD_APP_CLOUD_WAIT_MAX): one question, nothing recorded. A 404 is
 * WARD_OK with WARD_APP_TASK_UNKNOWN. */
WARD_MUST_CHECK
ward_err ward_app_task_status(ward_app *app, const uint8_t tid[WARD_TASK_ID_LEN],
                              unsigned wait_s, ward_app_task *t);

/* Asks wardd where the task tid that began the record of lock sn stands,
 * waiting up to wait_s for a change (at least one question; at most
 * wait_s / WARD_APP_CLOUD_WAIT_MAX + 1, a second apart at least when
 * wardd answers at once), and records the outcome: bound: the record
 * becomes bound (ward_app_lock_bound(), role member when wardd named
 * none); expired or unknown: the record it began goes
 * (ward_app_lock_expired(); t->dropped, false when there was none: a
 * bound record is never touched). WARD_OK with WARD_APP_TASK_WAITING:
 * the time ran out. */
WARD_MUST_CHECK
ward_err ward_app_bind_wait(ward_app *app, const char *sn, const uint8_t tid[WARD_TASK_ID_LEN],
                            unsigned wait_s, ward_app_task *t);

/* GET /v1/escrow and ward_app_recover_escrows() on it: after
 * ward_app_recover(), restores the lock records this client key made. */
WARD_MUST_CHECK
ward_err ward_app_recover_fetch(ward_app *app, size_t *opened, ward_app_reply *rep);

/* ---- flow D ---- */

/* true when s is a cloud id as wardd makes them: 32 lower-case hex
 * digits (it goes into a URL path and to the device). */
bool ward_app_cloud_id_ok(const char *s);

/* POST /v1/devices/attach {"device", "app": hex(client_id)}: this app's
 * cloud id for the device, checked (ward_app_cloud_id_ok(); else
 * WARD_ERR_FORMAT "wardd gave no cloud id"). device must be a device id
 * (WARD_ERR_PARAM). */
WARD_MUST_CHECK
ward_err ward_app_device_attach(ward_app *app, const char *device, const uint8_t *client_id,
                                size_t client_id_len,
                                char cloud_id[WARD_DEV_CLOUD_ID_MAX + 1], ward_app_reply *rep);

/* One attachment of this user, as GET /v1/devices lists it. */
typedef struct ward_app_cloud_device {
    char device[WARD_DEV_ID_MAX + 1];
    char cloud_id[WARD_DEV_CLOUD_ID_MAX + 1];
    char app[WARD_APP_CLOUD_TAG_MAX + 1];   /* "" if none */
    int64_t attached_ms;                    /* 0 if wardd gave none or a bad one */
} ward_app_cloud_device;

typedef struct ward_app_cloud_devices {
    ward_app_cloud_device *devices;   /* malloc'd: ward_app_cloud_devices_free() */
    size_t count;
    size_t skipped;                   /* entries with a bad device or cloud id */
} ward_app_cloud_devices;

/* {"devices": [{"device", "cloud_id", "app"?, "attached_ms"?}]}: the
 * entries whose device id passes ward_check_sn() and whose cloud id
 * passes ward_app_cloud_id_ok() (an app tag that is not one is taken as
 * ""), at most WARD_APP_CLOUD_DEVICES_MAX. WARD_ERR_FORMAT when there is
 * no such list. */
WARD_MUST_CHECK
ward_err ward_app_devices_parse(const char *json, size_t len, ward_app_cloud_devices *out);
/* GET /v1/devices, parsed. */
WARD_MUST_CHECK
ward_err ward_app_devices(ward_app *app, ward_app_cloud_devices *out, ward_app_reply *rep);
void ward_app_cloud_devices_free(ward_app_cloud_devices *list);

/* ---- flow C: gateways (client/cloud_gw.c) ----
 *
 *     ward_app_gw_claim(&app, 0, claim, sizeof claim, &claim_len, &exp, &rep);
 *     // claim -> gateway over the LAN; its REGISTER comes back
 *     // the owner hash: ward_gw_info.hash of the gateway's SEARCH answer
 *     ward_app_gw_register(&app, reg, reg_len, gw_info.hash, creds, sizeof creds, &creds_len,
 *                          &info, &rep);
 *     // creds -> gateway over the LAN (sealed to it: the app reads only info)
 */

/* The most gateways GET /v1/gateways takes (the rest are skipped). */
#define WARD_APP_GATEWAYS_MAX 64u
/* How long before its credentials expire the app warns, days. */
#define WARD_APP_GW_WARN_DAYS 15

/* POST /v1/gateways/claims: a one-use claim of ttl_min minutes (0: wardd's
 * 10) as the CLAIM message the gateway takes; *expires_ms when it lapses. */
WARD_MUST_CHECK
ward_err ward_app_gw_claim(ward_app *app, unsigned ttl_min, uint8_t *claim, size_t cap,
                           size_t *len, int64_t *expires_ms, ward_app_reply *rep);

/* What the app may know of a gateway's credentials (the clear part). */
typedef struct ward_app_gw_info {
    char tid[2 * WARD_GW_TID_LEN + 1];
    uint32_t generation;
    int64_t expires_ms;
    bool rotated;        /* registered before: new keys, the old ones stopped */
} ward_app_gw_info;

/* POST /v1/gateways with the gateway's REGISTER and the owner hash of
 * its device info (ward_gw_info.hash, what proves this app ran the LAN
 * hand-over of the gateway's current epoch): creds receives the
 * CREDENTIALS for the gateway (sealed to it), *info their clear part,
 * checked against wardd's JSON. 403 (WARD_ERR_PARAM) a claim that is
 * unknown, used, expired or another user's, or an owner hash that is not
 * the one the REGISTER commits to; 409 (WARD_ERR_CONFLICT) a gateway bound
 * to someone else. */
WARD_MUST_CHECK
ward_err ward_app_gw_register(ward_app *app, const uint8_t *reg, size_t reg_len,
                              const uint8_t owner[WARD_GW_OWNER_HASH_LEN], uint8_t *creds,
                              size_t cap, size_t *creds_len, ward_app_gw_info *info,
                              ward_app_reply *rep);

/* One gateway of this user, as GET /v1/gateways lists it. */
typedef struct ward_app_gateway {
    char tid[2 * WARD_GW_TID_LEN + 1];
    char uuid[2 * WARD_GW_UUID_LEN + 1];
    char mac[2 * WARD_GW_MAC_LEN + 1];
    uint32_t generation;
    int64_t expires_ms;
} ward_app_gateway;

typedef struct ward_app_gateways {
    ward_app_gateway gw[WARD_APP_GATEWAYS_MAX];
    size_t count;
    size_t skipped;      /* entries that failed a check, or past the cap */
} ward_app_gateways;

/* GET /v1/gateways's answer, each entry checked. */
WARD_MUST_CHECK
ward_err ward_app_gateways_parse(const char *json, size_t len, ward_app_gateways *out);
/* GET /v1/gateways, parsed. */
WARD_MUST_CHECK
ward_err ward_app_gateways_get(ward_app *app, ward_app_gateways *out, ward_app_reply *rep);
/* true when credentials expiring at expires_ms are within
 * WARD_APP_GW_WARN_DAYS of now_ms (or past): the owner should register
 * the gateway again, which rotates its keys. */
bool ward_app_gw_expiring(int64_t expires_ms, int64_t now_ms);

/* POST /v1/dev/{cloud_id}/msgs {"msg": b64}: one message (1..WARD_MSG_MAX
 * bytes, else WARD_ERR_PARAM) to the device, relayed. */
WARD_MUST_CHECK
ward_err ward_app_dev_post(ward_app *app, const char *cloud_id, const uint8_t *msg,
                           size_t len, ward_app_reply *rep);

/* One message of the device; non-zero stops the walk (that message is
 * handed on again next time). */
typedef int (*ward_app_dev_msg_fn)(void *ctx, const uint8_t *msg, size_t len);

/* {"msgs": [{"id", "msg", "cloud_id"?}]}: hands each() the entries whose
 * id is a whole number above *after and below 2^53, in order, and whose
 * msg is base64 of 1..WARD_MSG_MAX bytes and whose cloud_id, when
 * cloud_id is not NULL and the entry names one, is cloud_id; *after
 * moves past each entry handed on and each with a good id that failed
 * the other checks (it will never be one), so none is seen twice.
 * *handed counts the messages handed on (may be NULL). Returns the
 * number of entries skipped, or -1 when the answer has no such list. */
WARD_MUST_CHECK
int ward_app_dev_msgs_parse(const char *json, size_t len, const char *cloud_id,
                            int64_t *after, ward_app_dev_msg_fn each, void *ctx,
                            size_t *handed);

/* GET /v1/dev/{cloud_id}/replies?wait=S&after=N (S at most
 * WARD_APP_CLOUD_WAIT_MAX): the device's replies past *after, walked by
 * ward_app_dev_msgs_parse() (WARD_ERR_FORMAT when the answer has no
 * list). wardd drops those up to *after: asking with wait 0 after a walk
 * acknowledges what it handed on. */
WARD_MUST_CHECK
ward_err ward_app_dev_replies(ward_app *app, const char *cloud_id, unsigned wait_s,
                              int64_t *after, ward_app_dev_msg_fn each, void *ctx,
                              size_t *handed, ward_app_reply *rep);

#ifdef __cplusplus
}
#endif

#endif /* WARD_APP_CLOUD_H */
