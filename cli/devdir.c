/* The IoT device's state directory: device.json and the record store. */
#include "devlink.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "keystore.h"
#include "ward/ward.h"
#include "ward/ward_files.h"

#define STORE_FILE "store.bin"
#define CONFIG_FILE "device.json"
#define BUSY_FILE ".busy"
#define ERASE_UNIT 4096u

/* Two banks, each whole 4 KiB units holding a full node table. */
static size_t store_size(void)
{
    size_t bank = (WARD_DEV_STORE_BANK_MIN + ERASE_UNIT - 1) / ERASE_UNIT * ERASE_UNIT;
    return 2 * bank;
}

static int write_config(const devdir *dd)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    char *path = ward_path_join(dd->dir, CONFIG_FILE);
    ward_err err = WARD_ERR_IO;
    int os = ENOMEM;
    if (o && path && cJSON_AddStringToObject(o, "id", dd->id) &&
        cJSON_AddStringToObject(o, "server", dd->server) &&
        cJSON_AddStringToObject(o, "name", dd->name) &&
        cJSON_AddStringToObject(o, "type", dd->type) &&
        (text = cJSON_Print(o)) != NULL) {
        err = ward_file_write_atomic(path, text, strlen(text), 0644);
        os = errno;
    }
    cJSON_free(text);
    cJSON_Delete(o);
    free(path);
    return err == WARD_OK ? 0 : cli_fail("cannot write %s/%s: %s", dd->dir, CONFIG_FILE,
                                         cli_file_why(err, os, NULL));
}

static bool copy_str(const cJSON *o, const char *name, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) {
        return false;
    }
    snprintf(out, cap, "%s", v->valuestring);
    return true;
}

static int read_config(devdir *dd)
{
    char *path = ward_path_join(dd->dir, CONFIG_FILE);
    char *text = NULL;
    size_t len = 0;
    ward_err err = path ? ward_file_read(path, 4096, &text, &len) : WARD_ERR_IO;
    int os = path ? errno : ENOMEM;
    free(path);
    if (err == WARD_ERR_NOTFOUND) {
        return cli_fail("%s is not a device directory (run ward device init): %s/%s: %s",
                        dd->dir, dd->dir, CONFIG_FILE, strerror(os));
    }
    if (err != WARD_OK) {
        return cli_fail("cannot read %s/%s: %s", dd->dir, CONFIG_FILE,
                        cli_file_why(err, os, "too large (damaged, or another file)"));
    }
    cJSON *o = cJSON_ParseWithLength(text, len);
    int rc = 0;
    if (!copy_str(o, "id", dd->id, sizeof dd->id) ||
        !copy_str(o, "server", dd->server, sizeof dd->server) ||
        !copy_str(o, "name", dd->name, sizeof dd->name) ||
        !copy_str(o, "type", dd->type, sizeof dd->type)) {
        rc = cli_fail("%s/%s is damaged", dd->dir, CONFIG_FILE);
    }
    cJSON_Delete(o);
    free(text);
    return rc;
}

static int take_busy(devdir *dd)
{
    char *path = ward_path_join(dd->dir, BUSY_FILE);
    dd->busy_fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
    free(path);
    if (dd->busy_fd < 0) {
        return cli_fail("cannot open %s/%s", dd->dir, BUSY_FILE);
    }
    if (flock(dd->busy_fd, LOCK_EX | LOCK_NB) != 0) {
        close(dd->busy_fd);
        dd->busy_fd = -1;
        return cli_fail("the device in %s is busy in another ward process", dd->dir);
    }
    return 0;
}

int devdir_open(devdir *dd, const char *dir, bool create, const char *id,
                const char *server, const char *name, const char *type)
{
    memset(dd, 0, sizeof *dd);
    dd->file.fd = -1;
    dd->busy_fd = -1;
    if (snprintf(dd->dir, sizeof dd->dir, "%s", dir) >= (int)sizeof dd->dir) {
        return cli_usage("directory path too long");
    }
    ward_host_init(&dd->host);
    int rc;
    if (create) {
        if (ward_check_sn((const uint8_t *)id, strlen(id)) != WARD_OK) {
            return cli_usage("bad device id '%s' (1-32 of A-Z a-z 0-9 . _ -)", id);
        }
        if (strlen(server) >= sizeof dd->server || strlen(name) >= sizeof dd->name ||
            strlen(type) >= sizeof dd->type) {
            return cli_usage("server URL, name (32) or type (16) too long");
        }
        if (ward_mkdir(dir, 0700) != WARD_OK) {
            return cli_fail("cannot create directory %s: %s", dir, strerror(errno));
        }
        snprintf(dd->id, sizeof dd->id, "%s", id);
        snprintf(dd->server, sizeof dd->server, "%s", server);
        snprintf(dd->name, sizeof dd->name, "%s", name);
        snprintf(dd->type, sizeof dd->type, "%s", type);
    } else if ((rc = read_config(dd)) != 0) {
        return rc;
    }
    if ((rc = take_busy(dd)) != 0) {
        return rc;
    }
    char *path = ward_path_join(dd->dir, STORE_FILE);
    ward_store_port port;
    ward_err err = path ? ward_file_port_open(&dd->file, path, store_size(), &port)
                        : WARD_ERR_IO;
    free(path);
    bool opened = err == WARD_OK;
    if (err == WARD_OK) {
        err = ward_dev_open(&dd->dev, dd->host.crypto, &dd->host.rng, &dd->host.clock, &port);
        if (err != WARD_OK) {
            ward_file_port_close(&dd->file);
        }
    }
    /* The identity key may be in a keystore (--keystore, D/keystore). */
    if (err == WARD_OK && (rc = cli_keystore_attach(&dd->host, dd->dir)) != 0) {
        ward_file_port_close(&dd->file);
        devdir_close(dd);
        return rc;
    }
    if (err == WARD_OK) {
        ward_lock_use_keystore_as(&dd->dev.base, dd->host.keystore, WARD_KEY_DEVICE_IDENTITY);
    }
    if (err != WARD_OK) {
        devdir_close(dd);
        const char *why = opened && err == WARD_ERR_FORMAT ? ward_strerror(err)
                          : cli_file_why(err, dd->file.os_errno, "not a device's store (another "
                                         "size, or not a file: damaged, or another file)");
        return cli_fail("cannot open the device's store %s/%s: %s", dir, STORE_FILE, why);
    }
    dd->open = true;
    if (create) {
        err = ward_dev_provision(&dd->dev, (const uint8_t *)dd->id, strlen(dd->id),
                                 (const uint8_t *)dd->name, strlen(dd->name),
                                 (const uint8_t *)dd->type, strlen(dd->type));
        if (err != WARD_OK) {
            devdir_close(dd);
            return err == WARD_ERR_STATE
                       ? cli_fail("%s already holds a device with another id", dir)
                       : cli_fail("cannot make the device's identity: %s",
                                  ward_strerror(err));
        }
        if ((rc = write_config(dd)) != 0) {
            devdir_close(dd);
            return rc;
        }
    }
    return 0;
}

void devdir_close(devdir *dd)
{
    if (dd->open) {
        ward_file_port_close(&dd->file);
        dd->open = false;
    }
    if (dd->busy_fd >= 0) {
        flock(dd->busy_fd, LOCK_UN);
        close(dd->busy_fd);
        dd->busy_fd = -1;
    }
}

static ward_err sign(void *ctx, const char *base, size_t base_len,
                     uint8_t sig[WARD_P256_SIG_LEN])
{
    devdir *dd = ctx;
    if (dd->mu != NULL) {
        pthread_mutex_lock(dd->mu);
    }
    ward_err err = ward_dev_sign_request(&dd->dev, base, base_len, sig);
    if (dd->mu != NULL) {
        pthread_mutex_unlock(dd->mu);
    }
    return err;
}

void devdir_signer(devdir *dd, ward_http_signer *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->keyid, sizeof s->keyid, "lock:%s", dd->id);
    s->sign = sign;
    s->ctx = dd;
}
