/* The app's records of paired IoT devices (flow D): <app_dir>/devices/<ID>.json, mode 0600. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ward/ward_files.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_pair.h"
#include "ward/ward_suite.h"

#define DEVICES_DIR "devices"
#define DEVICE_FILE_MAX 4096

/* <app_dir>/devices[/<id>.json]; NULL for an id that is no device id
 * (it becomes a file name, so nothing like "../x" may pass). */
static char *device_path(const char *app_dir, const char *id)
{
    char name[WARD_DEV_ID_MAX + 6];
    char *dir = ward_path_join(app_dir, DEVICES_DIR);
    if (dir == NULL || id == NULL) {
        return dir;
    }
    if (ward_check_sn((const uint8_t *)id, strlen(id)) != WARD_OK ||
        strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
        free(dir);
        return NULL;
    }
    snprintf(name, sizeof name, "%s.json", id);
    char *p = ward_path_join(dir, name);
    free(dir);
    return p;
}

static bool add_hex(cJSON *o, const char *name, const uint8_t *v, size_t len)
{
    char hex[2 * WARD_DEV_UDIDX_MAX + 1];
    bool ok = ward_hex_encode(v, len, hex, sizeof hex) == WARD_OK &&
              cJSON_AddStringToObject(o, name, hex) != NULL;
    ward_wipe(hex, sizeof hex);
    return ok;
}

static void wipe_member(cJSON *o, const char *name)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsString(k)) {
        ward_wipe(k->valuestring, strlen(k->valuestring));
    }
}

ward_err ward_pair_device_save(const char *app_dir, const ward_pair_device *d)
{
    WARD_ASSERT(app_dir != NULL && d != NULL);
    if (d->key_index == 0 || d->udidx_len == 0 ||
        d->udidx_len > WARD_DEV_UDIDX_MAX ||
        d->client_id_len > WARD_CLIENT_ID_MAX) {
        return WARD_ERR_PARAM;
    }
    char *path = device_path(app_dir, d->id);
    char *dir = ward_path_join(app_dir, DEVICES_DIR);
    cJSON *o = cJSON_CreateObject();
    ward_err err = WARD_ERR_IO;
    int os = ENOMEM;
    if (path == NULL) {
        err = WARD_ERR_PARAM;
    } else if (dir != NULL && o != NULL &&
               cJSON_AddStringToObject(o, "id", d->id) &&
               cJSON_AddStringToObject(o, "name", d->name) &&
               cJSON_AddStringToObject(o, "type", d->type) &&
               cJSON_AddNumberToObject(o, "key_index", d->key_index) &&
               add_hex(o, "data_key", d->data_key, WARD_DEV_DATA_KEY_LEN) &&
               add_hex(o, "udidx", d->udidx, d->udidx_len) &&
               (d->client_id_len == 0 ||
                add_hex(o, "client_id", d->client_id, d->client_id_len)) &&
               (d->cloud_id[0] == '\0' ||
                cJSON_AddStringToObject(o, "cloud_id", d->cloud_id))) {
        char *text = cJSON_Print(o);
        err = ward_mkdir(dir, 0700);
        os = errno;
        if (text == NULL) {
            err = WARD_ERR_IO;
            os = ENOMEM;
        } else {
            if (err == WARD_OK) {
                err = ward_file_write_atomic(path, text, strlen(text), 0600);
                os = errno;
            }
            ward_wipe(text, strlen(text));
            free(text);
        }
    }
    if (o != NULL) {
        wipe_member(o, "data_key");
        cJSON_Delete(o);
    }
    free(path);
    free(dir);
    errno = os;
    return err;
}

static ward_err get_str(const cJSON *o, const char *name, char *dst,
                        size_t max, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (v == NULL && !required) {
        dst[0] = '\0';
        return WARD_OK;
    }
    if (!cJSON_IsString(v) || strlen(v->valuestring) > max ||
        (required && v->valuestring[0] == '\0')) {
        return WARD_ERR_FORMAT;
    }
    snprintf(dst, max + 1, "%s", v->valuestring);
    return WARD_OK;
}

static ward_err get_hex(const cJSON *o, const char *name, uint8_t *dst,
                        size_t max, size_t *len, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    *len = 0;
    if (v == NULL && !required) {
        return WARD_OK;
    }
    if (!cJSON_IsString(v)) {
        return WARD_ERR_FORMAT;
    }
    size_t n = strlen(v->valuestring);
    if (n == 0 || n % 2 != 0 || n / 2 > max) {
        return WARD_ERR_FORMAT;
    }
    return ward_hex_decode(v->valuestring, n, dst, max, len) == WARD_OK
               ? WARD_OK
               : WARD_ERR_FORMAT;
}

ward_err ward_pair_device_load(const char *app_dir, const char *id,
                               ward_pair_device *d)
{
    char *text = NULL;
    size_t text_len = 0, klen = 0;
    WARD_ASSERT(app_dir != NULL && id != NULL && d != NULL);
    memset(d, 0, sizeof *d);
    char *path = device_path(app_dir, id);
    if (path == NULL) {
        return WARD_ERR_NOTFOUND;
    }
    ward_err err = ward_file_read(path, DEVICE_FILE_MAX, &text, &text_len);
    free(path);
    if (err != WARD_OK) {
        return err;
    }
    cJSON *o = cJSON_ParseWithLength(text, text_len);
    const cJSON *ki = o != NULL ? cJSON_GetObjectItemCaseSensitive(o, "key_index")
                                : NULL;
    err = cJSON_IsObject(o) ? WARD_OK : WARD_ERR_FORMAT;
    if (err == WARD_OK) {
        err = get_str(o, "id", d->id, WARD_DEV_ID_MAX, true);
    }
    if (err == WARD_OK && strcmp(d->id, id) != 0) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = get_str(o, "name", d->name, WARD_DEV_NAME_MAX, true);
    }
    if (err == WARD_OK) {
        err = get_str(o, "type", d->type, WARD_DEV_TYPE_MAX, true);
    }
    if (err == WARD_OK) {
        err = get_str(o, "cloud_id", d->cloud_id, WARD_DEV_CLOUD_ID_MAX, false);
    }
    if (err == WARD_OK &&
        (!cJSON_IsNumber(ki) || ki->valuedouble < 1 || ki->valuedouble > 255 ||
         ki->valuedouble != (double)(int)ki->valuedouble)) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        d->key_index = (uint8_t)ki->valueint;
        err = get_hex(o, "data_key", d->data_key, WARD_DEV_DATA_KEY_LEN, &klen,
                      true);
    }
    if (err == WARD_OK && klen != WARD_DEV_DATA_KEY_LEN) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = get_hex(o, "udidx", d->udidx, WARD_DEV_UDIDX_MAX, &d->udidx_len,
                      true);
    }
    if (err == WARD_OK) {
        err = get_hex(o, "client_id", d->client_id, WARD_CLIENT_ID_MAX,
                      &d->client_id_len, false);
    }
    if (o != NULL) {
        wipe_member(o, "data_key");
        cJSON_Delete(o);
    }
    ward_wipe(text, text_len);
    free(text);
    if (err != WARD_OK) {
        ward_pair_device_wipe(d);
    }
    return err;
}

static int cmp_ids(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

ward_err ward_pair_device_list(const char *app_dir,
                               char ids[][WARD_DEV_ID_MAX + 1], size_t max,
                               size_t *count)
{
    WARD_ASSERT(app_dir != NULL && count != NULL);
    WARD_ASSERT(ids != NULL || max == 0);
    *count = 0;
    char *dir = ward_path_join(app_dir, DEVICES_DIR);
    if (dir == NULL) {
        return WARD_ERR_IO;
    }
    DIR *dp = opendir(dir);
    free(dir);
    if (dp == NULL) {
        return WARD_OK;   /* nothing paired yet */
    }
    ward_err err = WARD_OK;
    const struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n <= 5 || strcmp(e->d_name + n - 5, ".json") != 0 ||
            n - 5 > WARD_DEV_ID_MAX ||
            ward_check_sn((const uint8_t *)e->d_name, n - 5) != WARD_OK) {
            continue;   /* temporary files and strangers */
        }
        if (*count == max) {
            err = WARD_ERR_NOSPACE;
            break;
        }
        memcpy(ids[*count], e->d_name, n - 5);
        ids[*count][n - 5] = '\0';
        (*count)++;
    }
    closedir(dp);
    qsort(ids, *count, sizeof ids[0], cmp_ids);
    return err;
}

ward_err ward_pair_device_remove(const char *app_dir, const char *id)
{
    WARD_ASSERT(app_dir != NULL && id != NULL);
    char *path = device_path(app_dir, id);
    if (path == NULL) {
        return WARD_ERR_NOTFOUND;
    }
    int rc = unlink(path);
    free(path);
    return rc == 0 ? WARD_OK : WARD_ERR_NOTFOUND;
}
