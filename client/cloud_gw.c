/* Flow C's calls to wardd: a gateway's claim, its registration (the app only
 * relays the gateway's bytes and wardd's sealed answer), the gateway list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ward/ward_encode.h"
#include "app_inner.h"
#include "cloud_inner.h"

/* A base64 member of o decoded into out (1..cap bytes). */
static bool b64_member(const cJSON *o, const char *name, uint8_t *out, size_t cap, size_t *len)
{
    const char *b64 = ward_json_str(o, name);
    *len = 0;
    return b64 != NULL && ward_b64_decode(b64, strlen(b64), out, cap, len) == WARD_OK &&
           *len > 0;
}

static bool hex_ok(const char *s, size_t digits)
{
    if (s == NULL || strlen(s) != digits) {
        return false;
    }
    for (size_t i = 0; i < digits; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

ward_err ward_app_gw_claim(ward_app *app, unsigned ttl_min, uint8_t *claim, size_t cap,
                           size_t *len, int64_t *expires_ms, ward_app_reply *rep)
{
    ward_http_response r;
    char body[48];
    uint8_t raw[WARD_GW_CLAIM_LEN];
    *len = 0;
    *expires_ms = 0;
    if (rep != NULL) {
        memset(rep, 0, sizeof *rep);
    }
    if (ttl_min > 60) {
        return ward_app_fail(app, WARD_ERR_PARAM, "a claim lives at most 60 minutes");
    }
    if (ttl_min > 0) {
        snprintf(body, sizeof body, "{\"ttl_min\":%u}", ttl_min);
    } else {
        snprintf(body, sizeof body, "{}");
    }
    ward_err err = ward_app_cloud_call(app, "POST", "/v1/gateways/claims", body, &r, rep);
    if (err == WARD_OK) {
        cJSON *o = cJSON_ParseWithLength(r.body, r.body_len);
        int64_t exp = ward_json_int(o, "expires_ms", 0);
        if (!b64_member(o, "claim", claim, cap, len) ||
            ward_gw_claim_parse(claim, *len, raw) != WARD_OK || exp <= 0) {
            *len = 0;
            err = ward_app_fail(app, WARD_ERR_FORMAT, "wardd gave no claim");
        } else {
            *expires_ms = exp;
        }
        ward_wipe(raw, sizeof raw);
        cJSON_Delete(o);
    }
    ward_http_response_free(&r);
    return err;
}

ward_err ward_app_gw_register(ward_app *app, const uint8_t *reg, size_t reg_len,
                              const uint8_t owner[WARD_GW_OWNER_HASH_LEN], uint8_t *creds,
                              size_t cap, size_t *creds_len, ward_app_gw_info *info,
                              ward_app_reply *rep)
{
    ward_http_response r;
    char b64[2 * WARD_GW_REGISTER_MAX], oh[2 * WARD_GW_OWNER_HASH_LEN + 1];
    *creds_len = 0;
    memset(info, 0, sizeof *info);
    if (rep != NULL) {
        memset(rep, 0, sizeof *rep);
    }
    if (reg_len == 0 || reg_len > WARD_GW_REGISTER_MAX ||
        ward_b64_encode(reg, reg_len, b64, sizeof b64) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_PARAM, "not a gateway's registration");
    }
    char *body = NULL;
    cJSON *o = cJSON_CreateObject();
    bool built = o != NULL &&
                 ward_hex_encode(owner, WARD_GW_OWNER_HASH_LEN, oh, sizeof oh) == WARD_OK &&
                 cJSON_AddStringToObject(o, "register", b64) &&
                 cJSON_AddStringToObject(o, "owner", oh) &&
                 (body = cJSON_PrintUnformatted(o)) != NULL;
    ward_wipe(oh, sizeof oh);
    cJSON_Delete(o);
    if (!built) {
        return ward_app_fail(app, WARD_ERR_NOSPACE, "out of memory");
    }
    ward_err err = ward_app_cloud_call(app, "POST", "/v1/gateways", body, &r, rep);
    ward_wipe(body, strlen(body));
    cJSON_free(body);
    if (err == WARD_OK) {
        cJSON *a = cJSON_ParseWithLength(r.body, r.body_len);
        const char *tid = ward_json_str(a, "tid");
        ward_gw_creds c;
        char tid_hex[2 * WARD_GW_TID_LEN + 1] = "";
        /* The JSON must say what the sealed message says in clear: the
         * app shows the one and relays the other. */
        bool ok = b64_member(a, "credentials", creds, cap, creds_len) &&
                  ward_gw_creds_peek(creds, *creds_len, &c) == WARD_OK &&
                  ward_hex_encode(c.tid, sizeof c.tid, tid_hex, sizeof tid_hex) == WARD_OK &&
                  hex_ok(tid, 2 * WARD_GW_TID_LEN) && strcmp(tid, tid_hex) == 0 &&
                  ward_json_int(a, "generation", 0) == (int64_t)c.generation &&
                  ward_json_int(a, "expires_ms", 0) == (int64_t)c.expiry_ms;
        if (ok) {
            memcpy(info->tid, tid_hex, sizeof info->tid);
            info->generation = c.generation;
            info->expires_ms = (int64_t)c.expiry_ms;
            info->rotated = rep != NULL ? rep->status == 200 : c.generation > 1;
        } else {
            *creds_len = 0;
            err = ward_app_fail(app, WARD_ERR_FORMAT, "wardd's credentials do not check");
        }
        cJSON_Delete(a);
    }
    ward_http_response_free(&r);
    return err;
}

static bool gateway_entry(const cJSON *e, ward_app_gateway *g)
{
    const char *tid = ward_json_str(e, "tid"), *uuid = ward_json_str(e, "uuid");
    const char *mac = ward_json_str(e, "mac");
    int64_t gen = ward_json_int(e, "generation", 0), exp = ward_json_int(e, "expires_ms", 0);
    memset(g, 0, sizeof *g);
    if (!hex_ok(tid, 2 * WARD_GW_TID_LEN) || !hex_ok(uuid, 2 * WARD_GW_UUID_LEN) ||
        !hex_ok(mac, 2 * WARD_GW_MAC_LEN) || gen < 1 || gen > UINT32_MAX || exp <= 0) {
        return false;
    }
    memcpy(g->tid, tid, sizeof g->tid);
    memcpy(g->uuid, uuid, sizeof g->uuid);
    memcpy(g->mac, mac, sizeof g->mac);
    g->generation = (uint32_t)gen;
    g->expires_ms = exp;
    return true;
}

ward_err ward_app_gateways_parse(const char *json, size_t len, ward_app_gateways *out)
{
    memset(out, 0, sizeof *out);
    cJSON *o = cJSON_ParseWithLength(json, len);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "gateways");
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(o);
        return WARD_ERR_FORMAT;
    }
    const cJSON *e = NULL;
    cJSON_ArrayForEach(e, arr) {
        if (out->count < WARD_APP_GATEWAYS_MAX && gateway_entry(e, &out->gw[out->count])) {
            out->count++;
        } else {
            out->skipped++;
        }
    }
    cJSON_Delete(o);
    return WARD_OK;
}

ward_err ward_app_gateways_get(ward_app *app, ward_app_gateways *out, ward_app_reply *rep)
{
    ward_http_response r;
    memset(out, 0, sizeof *out);
    if (rep != NULL) {
        memset(rep, 0, sizeof *rep);
    }
    ward_err err = ward_app_cloud_call(app, "GET", "/v1/gateways", NULL, &r, rep);
    if (err == WARD_OK && ward_app_gateways_parse(r.body, r.body_len, out) != WARD_OK) {
        err = ward_app_fail(app, WARD_ERR_FORMAT, "wardd's gateway list is malformed");
    }
    ward_http_response_free(&r);
    return err;
}

bool ward_app_gw_expiring(int64_t expires_ms, int64_t now_ms)
{
    return expires_ms - now_ms <= (int64_t)WARD_APP_GW_WARN_DAYS * 24 * 3600 * 1000;
}
