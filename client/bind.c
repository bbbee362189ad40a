/* The app's half of lock-app binding (flow A): prepare the upload, record locks, recover escrows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward/ward_httpsig.h"
#include "ward/ward_suite.h"
#include "ops_inner.h"

#define LOCKS_DIR "locks"
/* A binding begun while the app is bound to the lock already (--rebind):
 * kept apart, so the binding in use is not touched until wardd says the
 * lock has taken the new one. */
#define PENDING_DIR "pending"
#define LOCK_FILE_MAX 4096

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n-- > 0) {
        *v++ = 0;
    }
}

/* subdir/<SN>.json; the directory is made by write_record() only, so a
 * read (a lookup of a rebinding that does not exist) creates nothing. */
static char *record_path(const ward_app *app, const char *subdir, const char *sn)
{
    char *dir = ward_path_join(app->dir, subdir);
    char name[WARD_SN_MAX + 8];
    char *path = NULL;
    if (dir != NULL) {
        /* sn passed ward_check_sn: no '/' and no "..": one component. */
        snprintf(name, sizeof name, "%s.json", sn);
        path = ward_path_join(dir, name);
    }
    free(dir);
    return path;
}

/* locks/<SN>.json, or pending/<SN>.json for a rebind:
 * {"sn","state","role","auth_key","tid"} */
static ward_err write_record(ward_app *app, const char *subdir, const ward_app_lock *l)
{
    char key_hex[2 * WARD_AUTH_KEY_LEN + 1], tid_hex[2 * WARD_TASK_ID_LEN + 1];
    ward_err err = WARD_ERR_IO;
    const char *role = l->bound ? ward_role_name(l->role) : "none";
    if (ward_check_sn((const uint8_t *)l->sn, strlen(l->sn)) != WARD_OK ||
        role == NULL) {
        return ward_app_fail(app, WARD_ERR_FORMAT, "bad lock record");
    }
    WARD_ASSERT(ward_hex_encode(l->auth_key, sizeof l->auth_key, key_hex,
                                sizeof key_hex) == WARD_OK);
    WARD_ASSERT(ward_hex_encode(l->tid, sizeof l->tid, tid_hex, sizeof tid_hex) == WARD_OK);
    char *dir = ward_path_join(app->dir, subdir);
    int os = ENOMEM;
    char *path = dir != NULL && ward_mkdir(dir, 0700) == WARD_OK
                     ? record_path(app, subdir, l->sn) : NULL;
    if (dir != NULL && path == NULL) {
        os = errno;
    }
    free(dir);
    cJSON *o = cJSON_CreateObject();
    if (path != NULL && o != NULL &&
        cJSON_AddStringToObject(o, "sn", l->sn) &&
        cJSON_AddStringToObject(o, "state", l->bound ? "bound" : "pending") &&
        cJSON_AddStringToObject(o, "role", role) &&
        (l->no_key || cJSON_AddStringToObject(o, "auth_key", key_hex)) &&
        cJSON_AddStringToObject(o, "tid", tid_hex)) {
        char *text = cJSON_PrintUnformatted(o);
        if (text != NULL) {
            size_t n = strlen(text);
            err = ward_file_write_atomic(path, text, n, 0600);
            os = errno;
            wipe(text, n);
            free(text);
        }
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "auth_key");
        if (cJSON_IsString(k)) {
            wipe(k->valuestring, strlen(k->valuestring));
        }
    }
    if (err != WARD_OK) {
        ward_app_fail_os(app, err, os, "cannot write the record of lock %s", l->sn);
    }
    cJSON_Delete(o);
    free(path);
    wipe(key_hex, sizeof key_hex);
    return err;
}

static int role_from_json(const cJSON *r)
{
    if (cJSON_IsNumber(r) && r->valueint >= 0 && r->valueint <= 2 &&
        r->valuedouble == (double)r->valueint) {
        return r->valueint;
    }
    if (cJSON_IsString(r)) {
        for (int i = 0; i <= 2; i++) {
            if (strcmp(r->valuestring, ward_role_name(i)) == 0) {
                return i;
            }
        }
    }
    return -1;
}

static ward_err write_lock(ward_app *app, const ward_app_lock *l)
{
    return write_record(app, LOCKS_DIR, l);
}

static ward_err read_record(ward_app *app, const char *subdir, const char *sn,
                            ward_app_lock *out)
{
    char *text = NULL;
    size_t len = 0, got = 0;
    memset(out, 0, sizeof *out);
    if (sn == NULL || ward_check_sn((const uint8_t *)sn, strlen(sn)) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_FORMAT, "bad lock serial number");
    }
    char *path = record_path(app, subdir, sn);
    ward_err err = path != NULL ? ward_file_read(path, LOCK_FILE_MAX, &text,
                                                 &len)
                                : WARD_ERR_IO;
    int os = errno;
    free(path);
    if (err == WARD_ERR_NOTFOUND) {
        return ward_app_fail(app, err, "no record of lock %s", sn);
    }
    if (err != WARD_OK) {
        return ward_app_fail_os(app, err, err == WARD_ERR_FORMAT ? 0 : os,
                                "cannot read the record of lock %s%s", sn,
                                err == WARD_ERR_FORMAT ? ": too large" : "");
    }
    cJSON *o = cJSON_ParseWithLength(text, len);
    const char *state = ward_json_str(o, "state");
    const char *key = ward_json_str(o, "auth_key");
    const char *tid = ward_json_str(o, "tid");
    const char *rsn = ward_json_str(o, "sn");
    err = WARD_ERR_FORMAT;
    /* No key: the app keeps A only in escrow (ward_app_forget_key()). */
    out->no_key = key == NULL &&
                  cJSON_GetObjectItemCaseSensitive(o, "auth_key") == NULL;
    if (state != NULL && (key != NULL || out->no_key) && tid != NULL &&
        rsn != NULL && strcmp(rsn, sn) == 0 &&
        (out->no_key ||
         (ward_hex_decode(key, strlen(key), out->auth_key,
                          sizeof out->auth_key, &got) == WARD_OK &&
          got == WARD_AUTH_KEY_LEN)) &&
        ward_hex_decode(tid, strlen(tid), out->tid, sizeof out->tid, &got) ==
            WARD_OK && got == WARD_TASK_ID_LEN) {
        memcpy(out->sn, sn, strlen(sn) + 1);
        out->bound = strcmp(state, "bound") == 0;
        out->role = out->bound
                        ? role_from_json(cJSON_GetObjectItemCaseSensitive(o,
                                                                          "role"))
                        : -1;
        err = out->bound && out->role < 0 ? WARD_ERR_FORMAT : WARD_OK;
    }
    if (key != NULL) {
        wipe((void *)key, strlen(key));
    }
    cJSON_Delete(o);
    wipe(text, len);
    free(text);
    if (err != WARD_OK) {
        wipe(out, sizeof *out);
        return ward_app_fail(app, err, "the record of lock %s is damaged", sn);
    }
    return WARD_OK;
}

ward_err ward_app_lock_get(ward_app *app, const char *sn, ward_app_lock *out)
{
    return read_record(app, LOCKS_DIR, sn, out);
}

ward_err ward_app_lock_rebinding(ward_app *app, const char *sn, ward_app_lock *out)
{
    return read_record(app, PENDING_DIR, sn, out);
}

static ward_err remove_record(ward_app *app, const char *subdir, const char *sn)
{
    char *path = record_path(app, subdir, sn);
    ward_err err = path != NULL && (unlink(path) == 0 || errno == ENOENT) ? WARD_OK
                                                                          : WARD_ERR_IO;
    free(path);
    if (err != WARD_OK) {
        return ward_app_fail(app, err, "cannot remove the %srecord of lock %s",
                             strcmp(subdir, PENDING_DIR) == 0 ? "pending " : "", sn);
    }
    return WARD_OK;
}

/* The record of lock sn that task tid began: the pending rebinding
 * (*rebinding true) or the one in locks/. WARD_ERR_NOTFOUND when neither
 * was begun with tid. */
static ward_err record_of_task(ward_app *app, const char *sn,
                               const uint8_t tid[WARD_TASK_ID_LEN], ward_app_lock *l,
                               bool *rebinding)
{
    ward_err err = ward_app_lock_rebinding(app, sn, l);
    *rebinding = err == WARD_OK && memcmp(l->tid, tid, WARD_TASK_ID_LEN) == 0;
    if (*rebinding || (err != WARD_OK && err != WARD_ERR_NOTFOUND)) {
        return err;
    }
    err = ward_app_lock_get(app, sn, l);
    if (err == WARD_OK && memcmp(l->tid, tid, WARD_TASK_ID_LEN) != 0) {
        wipe(l, sizeof *l);
        err = ward_app_fail(app, WARD_ERR_NOTFOUND, "no binding of lock %s was begun "
                            "with that task", sn);
    }
    return err;
}

ward_err ward_app_lock_bound(ward_app *app, const char *sn,
                             const uint8_t tid[WARD_TASK_ID_LEN], int role)
{
    ward_app_lock l;
    bool rebound = false;
    if (ward_role_name(role) == NULL) {
        return ward_app_fail(app, WARD_ERR_PARAM, "bad role %d", role);
    }
    /* Only the record that task began: wardd's word on one task must not
     * promote a rebinding begun with another. A rebinding the lock took
     * replaces the binding it was kept apart from: the new record first,
     * then the pending one goes (a crash in between leaves both; the next
     * status poll ends it the same way). */
    ward_err err = record_of_task(app, sn, tid, &l, &rebound);
    if (err == WARD_OK) {
        l.bound = true;
        l.role = role;
        err = write_lock(app, &l);
    }
    if (err == WARD_OK && rebound) {
        err = remove_record(app, PENDING_DIR, sn);
    }
    wipe(&l, sizeof l);
    return err;
}

ward_err ward_app_lock_expired(ward_app *app, const char *sn,
                               const uint8_t tid[WARD_TASK_ID_LEN])
{
    ward_app_lock l;
    bool rebinding = false;
    ward_err err = record_of_task(app, sn, tid, &l, &rebinding);
    bool bound = err == WARD_OK && l.bound;
    wipe(&l, sizeof l);
    if (err != WARD_OK) {
        return err;
    }
    /* A bound record is the binding in use: wardd's word on a task never
     * takes it away. */
    if (bound && !rebinding) {
        return ward_app_fail(app, WARD_ERR_STATE, "lock %s is bound by that task", sn);
    }
    return remove_record(app, rebinding ? PENDING_DIR : LOCKS_DIR, sn);
}

ward_err ward_app_lock_remove(ward_app *app, const char *sn)
{
    ward_err err = remove_record(app, LOCKS_DIR, sn);
    return err == WARD_OK ? remove_record(app, PENDING_DIR, sn) : err;
}

static ward_err upload_json(const ward_qr *qr, const char *phone,
                            const uint8_t *blob, size_t blob_len,
                            char tid_hex[33], char **out)
{
    char blob_b64[B64_LEN(WARD_BIND_BLOB_MAX)];
    ward_err err = ward_hex_encode(qr->tid, sizeof qr->tid, tid_hex, 33);
    if (err == WARD_OK) {
        err = ward_b64_encode(blob, blob_len, blob_b64, sizeof blob_b64);
    }
    if (err != WARD_OK) {
        return err;
    }
    cJSON *o = cJSON_CreateObject();
    err = WARD_ERR_IO;
    if (o != NULL && cJSON_AddStringToObject(o, "tid", tid_hex) &&
        cJSON_AddStringToObject(o, "sn", qr->sn) &&
        cJSON_AddStringToObject(o, "phone", phone) &&
        cJSON_AddStringToObject(o, "code", qr->sms) &&
        cJSON_AddStringToObject(o, "blob", blob_b64)) {
        *out = cJSON_PrintUnformatted(o);
        err = *out != NULL ? WARD_OK : WARD_ERR_IO;
    }
    cJSON_Delete(o);
    return err;
}

ward_err ward_app_bind_prepare(ward_app *app, const char *qr_text,
                               size_t qr_len, bool rebind, char **upload,
                               char tid_hex[33], char sn[WARD_SN_MAX + 1])
{
    const ward_crypto *cp = app->host.crypto;
    ward_qr qr;
    ward_app_lock l;
    ward_bind_data d;
    uint8_t escrow[WARD_ESCROW_LEN];
    uint8_t blob[WARD_BIND_BLOB_MAX];
    char tid_buf[33];
    size_t blob_len = 0;
    ward_err err;

    *upload = NULL;
    memset(&l, 0, sizeof l);
    if (ward_qr_parse(qr_text, qr_len, &qr) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_FORMAT,
                             "not a ward binding QR code");
    }
    if (strcmp(qr.mobile, app->phone) != 0) {
        ward_qr_wipe(&qr);
        return ward_app_fail(app, WARD_ERR_PARAM, WARD_APP_PHONE_MISMATCH);
    }
    /* A QR code names a lock, and anyone can print one: it never replaces
     * a record the app holds, a binding or one begun (whose key the lock
     * may take at any moment), unless the person asks to bind again. */
    err = ward_app_lock_get(app, qr.sn, &l);
    bool held = err == WARD_OK, bound = held && l.bound;
    bool same_task = held && memcmp(l.tid, qr.tid, sizeof l.tid) == 0;
    int role = l.role;
    wipe(&l, sizeof l);
    if (err != WARD_OK && err != WARD_ERR_NOTFOUND) {
        ward_qr_wipe(&qr);
        return err;
    }
    if (ward_app_lock_rebinding(app, qr.sn, &l) == WARD_OK) {
        same_task = same_task || memcmp(l.tid, qr.tid, sizeof l.tid) == 0;
        wipe(&l, sizeof l);
    }
    if (bound && !rebind) {
        err = ward_app_fail(app, WARD_ERR_STATE,
                            "lock %s: " WARD_APP_ALREADY_BOUND " (as %s); nothing "
                            "changed: give --rebind to bind it again", qr.sn,
                            ward_role_name(role) ? ward_role_name(role) : "?");
        ward_qr_wipe(&qr);
        return err;
    }
    if (held && !rebind) {
        err = ward_app_fail(app, WARD_ERR_STATE,
                            "lock %s: " WARD_APP_BINDING_BEGUN "; nothing changed: give "
                            "--rebind to bind it again", qr.sn);
        ward_qr_wipe(&qr);
        return err;
    }
    /* Its task is one the app recorded already: wardd holds that task's
     * blob (or never will: its id is taken), so a new key for it could
     * only break the binding. */
    if (same_task) {
        err = ward_app_fail(app, WARD_ERR_STATE,
                            "lock %s: this QR code's binding was begun already; nothing "
                            "changed: type its code into the lock", qr.sn);
        ward_qr_wipe(&qr);
        return err;
    }
    app->error[0] = '\0';
    err = app->host.rng.fill(app->host.rng.ctx, l.auth_key, sizeof l.auth_key);
    if (err == WARD_OK) {
        err = ward_escrow_make_by(cp, &app->host.rng, ward_app_keystore(app),
                                  WARD_KEY_APP_CLIENT, app->pub, (const uint8_t *)qr.sn,
                                  strlen(qr.sn), (const uint8_t *)app->user,
                                  strlen(app->user), l.auth_key, escrow);
    }
    if (err == WARD_OK) {
        d.sn = (const uint8_t *)qr.sn;
        d.sn_len = strlen(qr.sn);
        d.uid = (const uint8_t *)app->user;
        d.uid_len = strlen(app->user);
        d.client_pub = app->pub;
        d.auth_key = l.auth_key;
        d.escrow = escrow;
        d.phone = (const uint8_t *)app->phone;
        d.phone_len = strlen(app->phone);
        err = ward_bind_seal(cp, &app->host.rng, qr.key, qr.tid, &d, blob,
                             sizeof blob, &blob_len);
    }
    /* Recorded before the upload: once wardd has the blob, the lock may
     * bind with this auth key at any moment. Beside the binding in use
     * when there is one, in its place otherwise. */
    if (err == WARD_OK) {
        memcpy(l.sn, qr.sn, strlen(qr.sn) + 1);
        memcpy(l.tid, qr.tid, sizeof l.tid);
        l.bound = false;
        l.role = -1;
        err = write_record(app, held ? PENDING_DIR : LOCKS_DIR, &l);
        if (err != WARD_OK) {
            goto out;
        }
    }
    if (err == WARD_OK) {
        err = upload_json(&qr, app->phone, blob, blob_len, tid_buf, upload);
    }
    if (err == WARD_OK) {
        if (tid_hex != NULL) {
            memcpy(tid_hex, tid_buf, sizeof tid_buf);
        }
        if (sn != NULL) {
            memcpy(sn, qr.sn, strlen(qr.sn) + 1);
        }
    } else {
        ward_app_fail(app, err, "cannot prepare the binding (%s)",
                      ward_strerror(err));
    }
out:
    ward_qr_wipe(&qr);
    wipe(&l, sizeof l);
    return err;
}

ward_err ward_app_escrow_decode(ward_app *app, const char *sn, const char *b64,
                               uint8_t key[WARD_AUTH_KEY_LEN])
{
    uint8_t escrow[WARD_ESCROW_LEN + 3];
    size_t elen = 0;
    memset(key, 0, WARD_AUTH_KEY_LEN);
    if (b64 == NULL ||
        ward_b64_decode(b64, strlen(b64), escrow, sizeof escrow, &elen) != WARD_OK ||
        elen != WARD_ESCROW_LEN) {
        return WARD_ERR_FORMAT;
    }
    /* Only an escrow this client key signed: a key wardd sealed to us
     * itself would let it read and forge what is sealed under it. */
    ward_err err = ward_escrow_open_by(app->host.crypto, ward_app_keystore(app),
                                       WARD_KEY_APP_CLIENT, app->pub, (const uint8_t *)sn,
                                       strlen(sn), (const uint8_t *)app->user,
                                       strlen(app->user), escrow, key);
    if (err != WARD_OK) {
        wipe(key, WARD_AUTH_KEY_LEN);
        return WARD_ERR_AUTH;
    }
    return WARD_OK;
}

/* One entry {"sn","role","blob"} of GET /v1/escrow. Its lock record is
 * written only for an escrow this client key made (ward_escrow_open_by()):
 * one wardd planted is refused and changes nothing. */
static ward_err recover_one(ward_app *app, const cJSON *e, const char **sn_out)
{
    const char *sn = ward_json_str(e, "sn");
    int role = role_from_json(cJSON_GetObjectItemCaseSensitive(e, "role"));
    ward_app_lock l;
    ward_err err;

    memset(&l, 0, sizeof l);
    *sn_out = sn != NULL && ward_check_sn((const uint8_t *)sn, strlen(sn)) == WARD_OK
                  ? sn : "?";
    if (sn == NULL || role < 0 || ward_check_sn((const uint8_t *)sn, strlen(sn)) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    err = ward_app_escrow_decode(app, sn, ward_json_str(e, "blob"), l.auth_key);
    if (err == WARD_OK) {
        memcpy(l.sn, sn, strlen(sn) + 1);
        l.bound = true;
        l.role = role;
        err = write_lock(app, &l);
    }
    wipe(&l, sizeof l);
    return err;
}

ward_err ward_app_recover_escrows(ward_app *app, const char *json,
                                  size_t len, size_t *opened)
{
    ward_err first = WARD_OK;
    char first_sn[WARD_SN_MAX + 1] = "";
    *opened = 0;
    cJSON *root = cJSON_ParseWithLength(json, len);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "escrows");
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(root);
        return ward_app_fail(app, WARD_ERR_FORMAT,
                             "the server's escrow list is malformed");
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        const char *sn = "?";
        ward_err err = recover_one(app, e, &sn);
        if (err == WARD_OK) {
            (*opened)++;
        } else if (first == WARD_OK) {
            first = err == WARD_ERR_FORMAT || err == WARD_ERR_IO ? err : WARD_ERR_AUTH;
            snprintf(first_sn, sizeof first_sn, "%s", sn);
        }
    }
    cJSON_Delete(root);
    if (first == WARD_ERR_AUTH) {
        return ward_app_fail(app, first,
                             "lock %s: " WARD_APP_MSG_ESCROW_FOREIGN ": refused, record "
                             "unchanged (%zu restored)", first_sn, *opened);
    }
    if (first != WARD_OK) {
        return ward_app_fail(app, first,
                             "lock %s: the server's escrow %s: refused, record unchanged "
                             "(%zu restored)", first_sn,
                             first == WARD_ERR_IO ? "could not be recorded" : "is malformed",
                             *opened);
    }
    return WARD_OK;
}
