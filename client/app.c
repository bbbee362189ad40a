/* The app's account: client key file, account file, open/create/recover. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_httpsig.h"
#include "ward/ward_suite.h"
#include "app_inner.h"

#define ACCOUNT_FILE "account.json"
#define KEY_FILE "client.key"
#define SMALL_FILE_MAX 4096

ward_err ward_app_fail(ward_app *app, ward_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->error, sizeof app->error, fmt, ap);
    va_end(ap);
    return err;
}

ward_err ward_app_fail_os(ward_app *app, ward_err err, int os_errno, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->error, sizeof app->error, fmt, ap);
    va_end(ap);
    if (os_errno != 0) {
        size_t n = strlen(app->error);
        snprintf(app->error + n, sizeof app->error - n, ": %s", strerror(os_errno));
    }
    return err;
}

const char *ward_app_error(const ward_app *app)
{
    return app->error[0] != '\0' ? app->error : "no error";
}

const char *ward_role_name(int role)
{
    switch (role) {
    case WARD_ROLE_OWNER: return "owner";
    case WARD_ROLE_ADMIN: return "admin";
    case WARD_ROLE_MEMBER: return "member";
    default: return NULL;
    }
}

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n-- > 0) {
        *v++ = 0;
    }
}

static void app_init(ward_app *app, const ward_host *host)
{
    memset(app, 0, sizeof *app);
    app->host = *host;
    ward_keystore_soft_init(&app->soft, host->crypto, &host->rng, &app->soft_table);
}

const ward_keystore *ward_app_keystore(const ward_app *app)
{
    return app->key_external ? app->host.keystore : &app->soft_table;
}

void ward_app_close(ward_app *app)
{
    free(app->dir);
    free(app->server);
    ward_keystore_soft_wipe(&app->soft);
    wipe(app, sizeof *app);
}

char *ward_app_key_path(const ward_app *app)
{
    return ward_path_join(app->dir, KEY_FILE);
}

static ward_err write_json(ward_app *app, const char *name, cJSON *obj,
                           unsigned mode)
{
    char *path = ward_path_join(app->dir, name);
    char *text = cJSON_PrintUnformatted(obj);
    ward_err err = WARD_ERR_IO;
    int os = ENOMEM;
    if (path != NULL && text != NULL) {
        size_t n = strlen(text);
        err = ward_file_write_atomic(path, text, n, mode);
        os = errno;
        wipe(text, n);
    }
    if (err != WARD_OK) {
        ward_app_fail_os(app, err, os, "cannot write %s in %s", name, app->dir);
    }
    free(text);
    free(path);
    return err;
}

static ward_err write_account(ward_app *app)
{
    cJSON *o = cJSON_CreateObject();
    ward_err err = WARD_ERR_IO;
    if (o != NULL && cJSON_AddStringToObject(o, "user", app->user) &&
        cJSON_AddStringToObject(o, "phone", app->phone) &&
        cJSON_AddStringToObject(o, "server", app->server) &&
        (!app->verified || cJSON_AddTrueToObject(o, "verified"))) {
        err = write_json(app, ACCOUNT_FILE, o, 0600);
    }
    cJSON_Delete(o);
    return err;
}

/* {"user","phone","server","key"}: the private key in hex; or, for a
 * key in a keystore, "pub" (the public point in hex) in place of "key". */
static ward_err write_key(ward_app *app)
{
    char hex[2 * WARD_P256_POINT_LEN + 1];
    uint8_t priv[WARD_P256_SCALAR_LEN];
    /* The software key's file is where it is kept: the one place it
     * leaves the keystore (ward_keystore_soft_export()). */
    ward_err err = app->key_external
                       ? ward_hex_encode(app->pub, sizeof app->pub, hex, sizeof hex)
                       : ward_keystore_soft_export(&app->soft, WARD_KEY_APP_CLIENT, priv);
    if (err == WARD_OK && !app->key_external) {
        err = ward_hex_encode(priv, sizeof priv, hex, sizeof hex);
    }
    wipe(priv, sizeof priv);
    const char *field = app->key_external ? "pub" : "key";
    cJSON *o = cJSON_CreateObject();
    if (err == WARD_OK) {
        err = WARD_ERR_IO;
        if (o != NULL && cJSON_AddStringToObject(o, "user", app->user) &&
            cJSON_AddStringToObject(o, "phone", app->phone) &&
            cJSON_AddStringToObject(o, "server", app->server) &&
            cJSON_AddStringToObject(o, field, hex)) {
            err = write_json(app, KEY_FILE, o, 0600);
        }
    }
    /* cJSON copied the hex; wipe its copy before freeing. */
    const cJSON *k = o != NULL ? cJSON_GetObjectItemCaseSensitive(o, "key")
                               : NULL;
    if (cJSON_IsString(k)) {
        wipe(k->valuestring, strlen(k->valuestring));
    }
    cJSON_Delete(o);
    wipe(hex, sizeof hex);
    return err;
}

/* The client key made in the host's keystore; one already there under
 * WARD_KEY_APP_CLIENT (made by the integrator's tooling) is taken. */
static ward_err keystore_key(ward_app *app)
{
    const ward_keystore *ks = app->host.keystore;
    ward_err err = ks->generate(ks->ctx, WARD_KEY_APP_CLIENT, app->pub);
    if (err == WARD_ERR_STATE) {
        err = ks->public_key(ks->ctx, WARD_KEY_APP_CLIENT, app->pub);
    }
    if (err == WARD_OK && app->host.crypto->p256_point_check(app->pub) != WARD_OK) {
        err = WARD_ERR_CRYPTO;
    }
    if (err != WARD_OK) {
        return ward_app_fail(app, err, "cannot make the client key in the keystore (%s): %s",
                             ks->name, ward_strerror(err));
    }
    app->key_external = true;
    return WARD_OK;
}

/* A key file with "pub" only: its key must be the one in the keystore. */
static ward_err keystore_check(ward_app *app, const char *path, const char *pub_hex)
{
    uint8_t pub[WARD_P256_POINT_LEN], held[WARD_P256_POINT_LEN];
    size_t got = 0;
    const ward_keystore *ks = app->host.keystore;
    if (strlen(pub_hex) != 2 * WARD_P256_POINT_LEN ||
        ward_hex_decode(pub_hex, strlen(pub_hex), pub, sizeof pub, &got) != WARD_OK ||
        app->host.crypto->p256_point_check(pub) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_FORMAT, "%s is not a ward key file", path);
    }
    if (ks == NULL) {
        return ward_app_fail(app, WARD_ERR_STATE, "the client key of %s is in a keystore, "
                             "and none was given (--keystore URI)", path);
    }
    ward_err err = ks->public_key(ks->ctx, WARD_KEY_APP_CLIENT, held);
    if (err != WARD_OK) {
        return ward_app_fail(app, err, "the keystore (%s) has no client key: %s", ks->name,
                             ward_strerror(err));
    }
    if (memcmp(pub, held, sizeof pub) != 0) {
        return ward_app_fail(app, WARD_ERR_CONFLICT, "the keystore (%s) holds another client "
                             "key than %s", ks->name, path);
    }
    memcpy(app->pub, pub, sizeof pub);
    app->key_external = true;
    return WARD_OK;
}

static ward_err set_identity(ward_app *app, const char *user,
                             const char *phone)
{
    if (user == NULL ||
        ward_check_uid((const uint8_t *)user, strlen(user)) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_FORMAT,
                             "bad user id (1-64 of A-Z a-z 0-9 . _ @ -)");
    }
    if (phone == NULL ||
        ward_check_phone((const uint8_t *)phone, strlen(phone)) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_FORMAT,
                             "bad phone number (optional +, 5-20 digits)");
    }
    memcpy(app->user, user, strlen(user) + 1);
    memcpy(app->phone, phone, strlen(phone) + 1);
    return WARD_OK;
}

static ward_err set_dirs(ward_app *app, const char *dir, const char *server)
{
    app->dir = strdup(dir);
    app->server = strdup(server != NULL ? server : "");
    if (app->dir == NULL || app->server == NULL) {
        return ward_app_fail(app, WARD_ERR_IO, "out of memory");
    }
    if (ward_mkdir(dir, 0700) != WARD_OK) {
        return ward_app_fail_os(app, WARD_ERR_IO, errno, "cannot create %s", dir);
    }
    return WARD_OK;
}

static bool key_exists(const char *dir)
{
    char *path = ward_path_join(dir, KEY_FILE);
    FILE *f = path != NULL ? fopen(path, "rb") : NULL;
    free(path);
    if (f != NULL) {
        fclose(f);
        return true;
    }
    return false;
}

ward_err ward_app_create(ward_app *app, const ward_host *host,
                         const char *dir, const char *user, const char *phone,
                         const char *server)
{
    app_init(app, host);
    ward_err err = set_identity(app, user, phone);
    if (err == WARD_OK) {
        err = set_dirs(app, dir, server);
    }
    if (err == WARD_OK && key_exists(dir)) {
        err = ward_app_fail(app, WARD_ERR_STATE,
                            "%s already holds a client key", dir);
    }
    if (err == WARD_OK && host->keystore != NULL) {
        err = keystore_key(app);
    } else if (err == WARD_OK) {
        /* In the software keystore, whose key write_key() keeps in the file. */
        err = app->soft_table.generate(app->soft_table.ctx, WARD_KEY_APP_CLIENT, app->pub);
        if (err != WARD_OK) {
            ward_app_fail(app, err, "cannot make the client key");
        }
    }
    /* The key first: an account file without a key would be useless. */
    if (err == WARD_OK) {
        err = write_key(app);
    }
    if (err == WARD_OK) {
        err = write_account(app);
    }
    return err;
}

/* Reads {"user","phone","key"} and derives the public key. */
/* server_out (may be NULL) receives the key file's server URL, malloc'd,
 * or NULL when the file names none. */
static ward_err load_key_file(ward_app *app, const char *path,
                              char **server_out)
{
    char *text = NULL;
    size_t len = 0, got = 0;
    ward_err err = ward_file_read(path, SMALL_FILE_MAX, &text, &len);
    if (err != WARD_OK) {
        return ward_app_fail_os(app, err, err == WARD_ERR_FORMAT ? 0 : errno,
                                "cannot read key file %s%s", path,
                                err == WARD_ERR_FORMAT ? ": too large for a key file" : "");
    }
    cJSON *o = cJSON_ParseWithLength(text, len);
    const char *key = ward_json_str(o, "key");
    const char *pub = key == NULL ? ward_json_str(o, "pub") : NULL;
    /* Not even the shape of one (truncated, overwritten, another file):
     * said so, rather than as a bad user id. */
    err = (key == NULL && pub == NULL) || ward_json_str(o, "user") == NULL ||
                  ward_json_str(o, "phone") == NULL
              ? ward_app_fail(app, WARD_ERR_FORMAT, "%s is not a ward key file (damaged, or "
                              "another file)", path)
              : set_identity(app, ward_json_str(o, "user"), ward_json_str(o, "phone"));
    uint8_t priv[WARD_P256_SCALAR_LEN];
    if (err == WARD_OK && pub != NULL) {
        err = keystore_check(app, path, pub);
    } else if (err == WARD_OK &&
        (key == NULL || strlen(key) != 2 * WARD_P256_SCALAR_LEN ||
         ward_hex_decode(key, strlen(key), priv, sizeof priv, &got) != WARD_OK ||
         ward_keystore_soft_load(&app->soft, WARD_KEY_APP_CLIENT, priv) != WARD_OK ||
         app->soft_table.public_key(app->soft_table.ctx, WARD_KEY_APP_CLIENT, app->pub) !=
             WARD_OK)) {
        err = ward_app_fail(app, WARD_ERR_FORMAT, "%s is not a ward key file",
                            path);
    }
    wipe(priv, sizeof priv);
    if (key != NULL) {
        wipe((void *)key, strlen(key));
    }
    if (err == WARD_OK && server_out != NULL) {
        const char *server = ward_json_str(o, "server");
        *server_out = server != NULL && server[0] ? strdup(server) : NULL;
    }
    cJSON_Delete(o);
    wipe(text, len);
    free(text);
    return err;
}

ward_err ward_app_mark_verified(ward_app *app)
{
    if (app->verified) {
        return WARD_OK;
    }
    app->verified = true;
    return write_account(app);
}

/* Whether account.json of dir says wardd verified the account's phone. */
static bool account_verified(const char *dir)
{
    char *path = ward_path_join(dir, ACCOUNT_FILE), *text = NULL;
    size_t len = 0;
    bool verified = false;
    if (path != NULL && ward_file_read(path, SMALL_FILE_MAX, &text, &len) == WARD_OK) {
        cJSON *o = cJSON_ParseWithLength(text, len);
        verified = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "verified"));
        cJSON_Delete(o);
        free(text);
    }
    free(path);
    return verified;
}

/* Whether dir holds anything the account made: a lock's record (bound,
 * begun, or begun again), a paired device, a revocation under way. */
static bool holds_records(const char *dir)
{
    static const char *const subdirs[] = { "locks", "pending", "devices", "revocations" };
    bool found = false;
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0] && !found; i++) {
        char *path = ward_path_join(dir, subdirs[i]);
        DIR *d = path != NULL ? opendir(path) : NULL;
        free(path);
        for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                found = true;
                break;
            }
        }
        if (d != NULL) {
            closedir(d);
        }
    }
    return found;
}

/* An account from an existing key file: loads key_path, then makes dir
 * hold it, the key and account files naming server (NULL: the one the
 * key file names, which must then name one). resume: the key file is
 * dir's own, of a registration begun before; for another user or phone
 * (wardd refused the first: the id taken, a phone mistyped) the key goes
 * on under them, as long as dir holds no record the first account made
 * (then only the same user and phone resume). The key is kept either
 * way: wardd may have registered it. */
static ward_err adopt_key(ward_app *app, const ward_host *host, const char *dir,
                          const char *key_path, bool resume, const char *user,
                          const char *phone, const char *server)
{
    char *file_server = NULL;
    app_init(app, host);
    ward_err err = key_path != NULL ? load_key_file(app, key_path, &file_server)
                                    : ward_app_fail(app, WARD_ERR_IO, "out of memory");
    bool other = err == WARD_OK && resume &&
                 (user == NULL || phone == NULL || strcmp(user, app->user) != 0 ||
                  strcmp(phone, app->phone) != 0);
    bool verified = err == WARD_OK && resume && account_verified(dir);
    if (other && (verified || holds_records(dir))) {
        err = ward_app_fail(app, WARD_ERR_STATE,
                            "%s already holds account %s (%s)%s: give the same --user and "
                            "--phone to go on with it, or another --dir", dir, app->user,
                            app->phone, verified ? ", verified" : ", with locks or devices");
    } else if (other) {
        err = set_identity(app, user, phone);
    }
    /* A recovered account is one wardd knew (it held its escrows). */
    app->verified = resume ? verified && !other : true;
    if (err == WARD_OK && !resume && server == NULL && file_server == NULL) {
        err = ward_app_fail(app, WARD_ERR_PARAM,
                            "the key file names no server: give --server URL");
    }
    if (err == WARD_OK) {
        err = set_dirs(app, dir, resume || server != NULL ? server : file_server);
    }
    free(file_server);
    /* The files name the server the account goes to now. */
    if (err == WARD_OK) {
        err = write_key(app);
    }
    if (err == WARD_OK) {
        err = write_account(app);
    }
    return err;
}

ward_err ward_app_register_open(ward_app *app, const ward_host *host,
                                const char *dir, const char *user,
                                const char *phone, const char *server)
{
    if (!key_exists(dir)) {
        return ward_app_create(app, host, dir, user, phone, server);
    }
    /* A registration begun before (its code not typed yet, or wardd not
     * reached): the same account resumes with its key; another is not
     * made over it. */
    char *path = ward_path_join(dir, KEY_FILE);
    ward_err err = adopt_key(app, host, dir, path, true, user, phone, server);
    free(path);
    return err;
}

ward_err ward_app_open(ward_app *app, const ward_host *host, const char *dir)
{
    char *path = NULL, *text = NULL;
    size_t len = 0;
    app_init(app, host);
    app->dir = strdup(dir);
    path = ward_path_join(dir, KEY_FILE);
    if (app->dir == NULL || path == NULL) {
        free(path);
        return ward_app_fail(app, WARD_ERR_IO, "out of memory");
    }
    ward_err err = load_key_file(app, path, NULL);
    free(path);
    if (err != WARD_OK) {
        return err;
    }
    path = ward_path_join(dir, ACCOUNT_FILE);
    err = path != NULL ? ward_file_read(path, SMALL_FILE_MAX, &text, &len)
                       : WARD_ERR_IO;
    int os = path != NULL ? errno : ENOMEM;
    free(path);
    if (err != WARD_OK) {
        return ward_app_fail_os(app, err, err == WARD_ERR_FORMAT ? 0 : os,
                                "cannot read %s/%s%s", dir, ACCOUNT_FILE,
                                err == WARD_ERR_FORMAT ? ": too large" : "");
    }
    cJSON *o = cJSON_ParseWithLength(text, len);
    const char *user = ward_json_str(o, "user");
    const char *server = ward_json_str(o, "server");
    app->verified = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "verified"));
    if (user == NULL || strcmp(user, app->user) != 0 || server == NULL) {
        err = ward_app_fail(app, WARD_ERR_FORMAT,
                            "%s/%s does not match the key file", dir,
                            ACCOUNT_FILE);
    } else if ((app->server = strdup(server)) == NULL) {
        err = ward_app_fail(app, WARD_ERR_IO, "out of memory");
    }
    cJSON_Delete(o);
    free(text);
    return err;
}

ward_err ward_app_recover(ward_app *app, const ward_host *host,
                          const char *dir, const char *key_file,
                          const char *server)
{
    return adopt_key(app, host, dir, key_file, false, NULL, NULL, server);
}

ward_err ward_app_register_json(ward_app *app, char **json)
{
    char b64[4 * ((WARD_P256_POINT_LEN + 2) / 3) + 1];
    *json = NULL;
    ward_err err = ward_b64_encode(app->pub, sizeof app->pub, b64, sizeof b64);
    cJSON *o = cJSON_CreateObject();
    if (err == WARD_OK) {
        err = WARD_ERR_IO;
        if (o != NULL && cJSON_AddStringToObject(o, "user", app->user) &&
            cJSON_AddStringToObject(o, "phone", app->phone) &&
            cJSON_AddStringToObject(o, "pub", b64)) {
            *json = cJSON_PrintUnformatted(o);
            err = *json != NULL ? WARD_OK : WARD_ERR_IO;
        }
    }
    cJSON_Delete(o);
    return err;
}

ward_err ward_app_verify_json(ward_app *app, const char *code, char **json)
{
    *json = NULL;
    if (code == NULL || strlen(code) != WARD_BIND_CODE_LEN ||
        strspn(code, "0123456789") != WARD_BIND_CODE_LEN) {
        return ward_app_fail(app, WARD_ERR_FORMAT,
                             "the code from the SMS is 6 digits");
    }
    /* Six digits need no escaping: written directly, so the code is in
     * no buffer but the answer (a cJSON tree and its print buffer would be
     * freed holding it). The caller wipes the answer. */
    static const char fmt[] = "{\"code\":\"%s\"}";
    size_t cap = sizeof fmt + WARD_BIND_CODE_LEN;
    *json = malloc(cap);
    if (*json == NULL) {
        return ward_app_fail(app, WARD_ERR_IO, "out of memory");
    }
    snprintf(*json, cap, fmt, code);
    return WARD_OK;
}

static ward_err app_sign(void *ctx, const char *base, size_t base_len,
                         uint8_t sig[WARD_P256_SIG_LEN])
{
    ward_app *app = ctx;
    return ward_httpsig_sign_by(app->host.crypto, ward_app_keystore(app), WARD_KEY_APP_CLIENT,
                                base, base_len, sig);
}

void ward_app_http_signer(ward_app *app, ward_http_signer *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->keyid, sizeof s->keyid, "user:%s", app->user);
    s->sign = app_sign;
    s->ctx = app;
}
