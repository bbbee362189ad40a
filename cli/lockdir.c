/* The lock's state directory: lock.json and the record store file. */
#include "lockdir.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ward/ward_files.h"

#define STORE_FILE "store.bin"
#define CONFIG_FILE "lock.json"
#define ERASE_UNIT 4096u

/* Two banks, each a whole number of 4 KiB units large enough for a full
 * lock (WARD_LOCK_STORE_BANK_MIN). */
static size_t store_size(void)
{
    size_t bank = (WARD_LOCK_STORE_BANK_MIN + ERASE_UNIT - 1) / ERASE_UNIT * ERASE_UNIT;
    return 2 * bank;
}

static int write_config(const lockdir *ld)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    char *path = ward_path_join(ld->dir, CONFIG_FILE);
    ward_err err = WARD_ERR_IO;
    if (o && path && cJSON_AddStringToObject(o, "sn", ld->sn) &&
        cJSON_AddStringToObject(o, "server", ld->server) &&
        (text = cJSON_Print(o)) != NULL) {
        err = ward_file_write_atomic(path, text, strlen(text), 0644);
    }
    cJSON_free(text);
    cJSON_Delete(o);
    free(path);
    return err == WARD_OK ? 0 : cli_fail("cannot write %s/%s", ld->dir, CONFIG_FILE);
}

static int read_config(lockdir *ld)
{
    char *path = ward_path_join(ld->dir, CONFIG_FILE);
    char *text = NULL;
    size_t len = 0;
    ward_err err = path ? ward_file_read(path, 4096, &text, &len) : WARD_ERR_IO;
    free(path);
    if (err == WARD_ERR_NOTFOUND) {
        return cli_fail("%s is not a lock directory (run ward lock init)", ld->dir);
    }
    if (err != WARD_OK) {
        return cli_fail("cannot read %s/%s", ld->dir, CONFIG_FILE);
    }
    cJSON *o = cJSON_ParseWithLength(text, len);
    const cJSON *sn = cJSON_GetObjectItemCaseSensitive(o, "sn");
    const cJSON *server = cJSON_GetObjectItemCaseSensitive(o, "server");
    int rc = 0;
    if (!cJSON_IsString(sn) || !cJSON_IsString(server) ||
        strlen(sn->valuestring) > WARD_SN_MAX ||
        strlen(server->valuestring) >= sizeof ld->server) {
        rc = cli_fail("%s/%s is damaged", ld->dir, CONFIG_FILE);
    } else {
        snprintf(ld->sn, sizeof ld->sn, "%s", sn->valuestring);
        snprintf(ld->server, sizeof ld->server, "%s", server->valuestring);
    }
    cJSON_Delete(o);
    free(text);
    return rc;
}

int lockdir_open(lockdir *ld, const char *dir, bool create, const char *sn,
                 const char *server)
{
    memset(ld, 0, sizeof *ld);
    ld->file.fd = -1;
    if (snprintf(ld->dir, sizeof ld->dir, "%s", dir) >= (int)sizeof ld->dir) {
        return cli_usage("directory path too long");
    }
    ward_host_init(&ld->host);
    int rc;
    if (create) {
        if (ward_check_sn((const uint8_t *)sn, strlen(sn)) != WARD_OK) {
            return cli_usage("bad serial number '%s' (1-32 of A-Z a-z 0-9 . _ -)", sn);
        }
        if (strlen(server) >= sizeof ld->server) {
            return cli_usage("server URL too long");
        }
        if (ward_mkdir(dir, 0700) != WARD_OK) {
            return cli_fail("cannot create directory %s", dir);
        }
        snprintf(ld->sn, sizeof ld->sn, "%s", sn);
        snprintf(ld->server, sizeof ld->server, "%s", server);
    } else if ((rc = read_config(ld)) != 0) {
        return rc;
    }

    char *path = ward_path_join(dir, STORE_FILE);
    ward_store_port port;
    ward_err err = path ? ward_file_port_open(&ld->file, path, store_size(), &port)
                        : WARD_ERR_IO;
    free(path);
    if (err != WARD_OK) {
        return cli_fail("cannot open the lock's store in %s: %s", dir, ward_strerror(err));
    }
    err = ward_lock_open(&ld->lock, ld->host.crypto, &ld->host.rng, &ld->host.clock, &port);
    if (err != WARD_OK) {
        ward_file_port_close(&ld->file);
        return cli_fail("cannot read the lock's store in %s: %s", dir, ward_strerror(err));
    }
    ld->open = true;
    if (create) {
        err = ward_lock_provision(&ld->lock, (const uint8_t *)sn, strlen(sn));
        if (err == WARD_ERR_STATE) {
            lockdir_close(ld);
            return cli_fail("%s already holds a lock with another serial number", dir);
        }
        if (err != WARD_OK) {
            lockdir_close(ld);
            return cli_fail("cannot make the lock's identity: %s", ward_strerror(err));
        }
        if ((rc = write_config(ld)) != 0) {
            lockdir_close(ld);
            return rc;
        }
    }
    return 0;
}

void lockdir_close(lockdir *ld)
{
    if (ld->open) {
        ward_file_port_close(&ld->file);
        ld->open = false;
    }
}
