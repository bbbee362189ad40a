/* Where an approval's auth key comes from: the lock record, or the escrow for one use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_httpsig.h"
#include "ward/ward_suite.h"
#include "ops_inner.h"

#define LOCK_FILE_MAX 4096

static ward_err open_escrow(ward_app *app, const char *sn, const cJSON *e,
                            uint8_t key[WARD_AUTH_KEY_LEN])
{
    ward_err err = ward_app_escrow_decode(app, sn, ward_json_str(e, "blob"), key);
    if (err == WARD_ERR_FORMAT) {
        return ward_app_fail(app, err, "the server's escrow of lock %s is malformed", sn);
    }
    if (err != WARD_OK) {
        return ward_app_fail(app, err, "lock %s: " WARD_APP_MSG_ESCROW_FOREIGN ": refused",
                             sn);
    }
    return WARD_OK;
}

ward_err ward_app_escrow_key(ward_app *app, const char *sn, const char *json,
                             size_t len, uint8_t key[WARD_AUTH_KEY_LEN])
{
    WARD_ASSERT(app != NULL && sn != NULL && json != NULL && key != NULL);
    memset(key, 0, WARD_AUTH_KEY_LEN);
    cJSON *root = cJSON_ParseWithLength(json, len);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "escrows");
    const cJSON *e, *found = NULL;
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(root);
        return ward_app_fail(app, WARD_ERR_FORMAT,
                             "the server's escrow list is malformed");
    }
    cJSON_ArrayForEach(e, list) {
        const char *esn = ward_json_str(e, "sn");
        if (esn != NULL && strcmp(esn, sn) == 0) {
            found = e;
            break;
        }
    }
    ward_err err = found != NULL
                       ? open_escrow(app, sn, found, key)
                       : ward_app_fail(app, WARD_ERR_NOTFOUND,
                                       "the server holds no escrow for lock %s",
                                       sn);
    cJSON_Delete(root);
    return err;
}

ward_err ward_app_auth_key(ward_app *app, const char *sn, bool from_escrow,
                           uint8_t key[WARD_AUTH_KEY_LEN])
{
    ward_app_lock l;
    ward_http_response r;
    WARD_ASSERT(app != NULL && sn != NULL && key != NULL);
    memset(key, 0, WARD_AUTH_KEY_LEN);
    ward_err err = ward_app_lock_get(app, sn, &l);
    if (err == WARD_ERR_NOTFOUND || (err == WARD_OK && !l.bound)) {
        ward_app_wipe(&l, sizeof l);
        return ward_app_fail(app, WARD_ERR_NOTFOUND,
                             "lock %s is not bound to this app", sn);
    }
    if (err != WARD_OK) {
        return err;
    }
    if (!from_escrow && !l.no_key) {
        memcpy(key, l.auth_key, WARD_AUTH_KEY_LEN);
        ward_app_wipe(&l, sizeof l);
        return WARD_OK;
    }
    ward_app_wipe(&l, sizeof l);
    err = ward_app_call(app, "GET", "/v1/escrow", NULL, &r);
    if (err != WARD_OK) {
        return err;
    }
    if (r.status != 200) {
        err = ward_app_status_fail(app, &r, "cannot fetch the escrow");
    } else {
        err = ward_app_escrow_key(app, sn, r.body, r.body_len, key);
    }
    ward_http_response_free(&r);
    return err;
}

ward_err ward_app_forget_key(ward_app *app, const char *sn)
{
    ward_app_lock l;
    char *text = NULL, *out = NULL, *path = NULL;
    size_t len = 0;
    WARD_ASSERT(app != NULL && sn != NULL);
    ward_err err = ward_app_lock_get(app, sn, &l);
    bool bound = l.bound, no_key = l.no_key;
    ward_app_wipe(&l, sizeof l);
    if (err != WARD_OK) {
        return err;
    }
    if (!bound) {
        return ward_app_fail(app, WARD_ERR_STATE,
                             "lock %s is not bound yet", sn);
    }
    if (no_key) {
        return WARD_OK;
    }
    path = ward_app_lock_file(app, sn);
    err = path != NULL ? ward_file_read(path, LOCK_FILE_MAX, &text, &len)
                       : WARD_ERR_IO;
    cJSON *o = err == WARD_OK ? cJSON_ParseWithLength(text, len) : NULL;
    cJSON *k = cJSON_DetachItemFromObjectCaseSensitive(o, "auth_key");
    if (cJSON_IsString(k)) {
        ward_app_wipe(k->valuestring, strlen(k->valuestring));
    }
    cJSON_Delete(k);
    out = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
    err = out != NULL ? ward_file_write_atomic(path, out, strlen(out), 0600)
                      : WARD_ERR_IO;
    int os = errno;
    if (text != NULL) {
        ward_app_wipe(text, len);
    }
    cJSON_Delete(o);
    free(out);
    free(text);
    free(path);
    if (err != WARD_OK) {
        return ward_app_fail_os(app, err, os, "cannot rewrite the record of lock %s",
                                sn);
    }
    return WARD_OK;
}
