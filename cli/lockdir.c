/* The lock's state directory: lock.json and the record store file. */
#include "lockdir.h"
#include "keystore.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ward/ward_files.h"

#define STORE_FILE "store.bin"
#define CONFIG_FILE "lock.json"
#define BUSY_FILE ".busy"
#define ERASE_UNIT 4096u
/* How long a command waits for another ward process to finish with the
 * lock's state before it gives up. */
#define BUSY_WAIT_MS 15000

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
    int os = ENOMEM;
    if (o && path && cJSON_AddStringToObject(o, "sn", ld->sn) &&
        cJSON_AddStringToObject(o, "server", ld->server) &&
        (text = cJSON_Print(o)) != NULL) {
        err = ward_file_write_atomic(path, text, strlen(text), 0644);
        os = errno;
    }
    cJSON_free(text);
    cJSON_Delete(o);
    free(path);
    return err == WARD_OK ? 0 : cli_fail("cannot write %s/%s: %s", ld->dir, CONFIG_FILE,
                                         cli_file_why(err, os, NULL));
}

static int read_config(lockdir *ld)
{
    char *path = ward_path_join(ld->dir, CONFIG_FILE);
    char *text = NULL;
    size_t len = 0;
    ward_err err = path ? ward_file_read(path, 4096, &text, &len) : WARD_ERR_IO;
    int os = path ? errno : ENOMEM;
    free(path);
    struct stat sb;
    if (err == WARD_ERR_NOTFOUND && stat(ld->dir, &sb) != 0) {
        return cli_fail("cannot open the lock directory %s: %s", ld->dir, strerror(errno));
    }
    if (err == WARD_ERR_NOTFOUND) {
        return cli_fail("%s is not a lock directory (run ward lock init): %s/%s: %s", ld->dir,
                        ld->dir, CONFIG_FILE, strerror(os));
    }
    if (err != WARD_OK) {
        return cli_fail("cannot read %s/%s: %s", ld->dir, CONFIG_FILE,
                        cli_file_why(err, os, "too large for a lock.json (damaged, or "
                                     "another file)"));
    }
    cJSON *o = cJSON_ParseWithLength(text, len);
    const cJSON *sn = cJSON_GetObjectItemCaseSensitive(o, "sn");
    const cJSON *server = cJSON_GetObjectItemCaseSensitive(o, "server");
    int rc = 0;
    if (!cJSON_IsString(sn) || !cJSON_IsString(server) ||
        strlen(sn->valuestring) > WARD_SN_MAX ||
        strlen(server->valuestring) >= sizeof ld->server) {
        rc = cli_fail("%s/%s is damaged (not the {\"sn\", \"server\"} ward lock init "
                      "writes)", ld->dir, CONFIG_FILE);
    } else {
        snprintf(ld->sn, sizeof ld->sn, "%s", sn->valuestring);
        snprintf(ld->server, sizeof ld->server, "%s", server->valuestring);
    }
    cJSON_Delete(o);
    free(text);
    return rc;
}

/* Waits for the flock on D/.busy: the lock's state is one process's at a
 * time, as a device's flash is one firmware's. */
static int take_busy(lockdir *ld)
{
    char *path = ward_path_join(ld->dir, BUSY_FILE);
    int os = ENOMEM;
    if (ld->readonly) {
        /* A reader shares the flock with other readers; with no .busy
         * (made by the first writer) there is no writer to wait for. */
        ld->busy_fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        os = path ? errno : ENOMEM;
        free(path);
        if (ld->busy_fd < 0 && os == ENOENT) {
            return 0;
        }
    } else {
        ld->busy_fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
        os = path ? errno : ENOMEM;
        free(path);
    }
    if (ld->busy_fd < 0) {
        return cli_fail("cannot open %s/%s: %s", ld->dir, BUSY_FILE, strerror(os));
    }
    int how = ld->readonly ? LOCK_SH : LOCK_EX;
    for (int waited = 0; flock(ld->busy_fd, how | LOCK_NB) != 0; waited += 50) {
        if (errno != EWOULDBLOCK || waited >= BUSY_WAIT_MS) {
            close(ld->busy_fd);
            ld->busy_fd = -1;
            return cli_fail("the lock in %s is busy in another ward process", ld->dir);
        }
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void drop_busy(lockdir *ld)
{
    if (ld->busy_fd >= 0) {
        flock(ld->busy_fd, LOCK_UN);
        close(ld->busy_fd);
        ld->busy_fd = -1;
    }
}

/* Takes the flock, opens the store and the lock on it. */
static int open_state(lockdir *ld)
{
    int rc = take_busy(ld);
    if (rc != 0) {
        return rc;
    }
    char *path = ward_path_join(ld->dir, STORE_FILE);
    ward_store_port port;
    ward_err err = path == NULL  ? WARD_ERR_IO
                   : ld->readonly ? ward_file_port_open_readonly(&ld->file, path, store_size(),
                                                                 &port)
                                  : ward_file_port_open(&ld->file, path, store_size(), &port);
    free(path);
    if (err != WARD_OK) {
        drop_busy(ld);
        return cli_fail("cannot open the lock's store %s/%s: %s", ld->dir, STORE_FILE,
                        cli_file_why(err, ld->file.os_errno, "not a lock's store (another "
                                     "size, or not a file: damaged, or another file)"));
    }
    err = ward_lock_open(&ld->lock, ld->host.crypto, &ld->host.rng, &ld->host.clock, &port);
    if (err != WARD_OK) {
        ward_file_port_close(&ld->file);
        drop_busy(ld);
        return cli_fail("cannot read the lock's store %s/%s: %s", ld->dir, STORE_FILE,
                        lockdir_strerror(ld, err));
    }
    /* The identity key may be in a keystore (--keystore, D/keystore). */
    if ((rc = cli_keystore_attach(&ld->host, ld->dir)) != 0) {
        ward_file_port_close(&ld->file);
        drop_busy(ld);
        return rc;
    }
    ward_lock_use_keystore(&ld->lock, ld->host.keystore);
    ld->open = true;
    return 0;
}

int lockdir_open_readonly(lockdir *ld, const char *dir)
{
    memset(ld, 0, sizeof *ld);
    ld->file.fd = -1;
    ld->busy_fd = -1;
    ld->readonly = true;
    if (snprintf(ld->dir, sizeof ld->dir, "%s", dir) >= (int)sizeof ld->dir) {
        return cli_usage("directory path too long");
    }
    ward_host_init(&ld->host);
    int rc = read_config(ld);
    return rc != 0 ? rc : open_state(ld);
}

int lockdir_open(lockdir *ld, const char *dir, bool create, const char *sn,
                 const char *server)
{
    memset(ld, 0, sizeof *ld);
    ld->file.fd = -1;
    ld->busy_fd = -1;
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
            return cli_fail("cannot create directory %s: %s", dir, strerror(errno));
        }
        snprintf(ld->sn, sizeof ld->sn, "%s", sn);
        snprintf(ld->server, sizeof ld->server, "%s", server);
    } else if ((rc = read_config(ld)) != 0) {
        return rc;
    }

    if ((rc = open_state(ld)) != 0) {
        return rc;
    }
    if (create) {
        ward_err err = ward_lock_provision(&ld->lock, (const uint8_t *)sn, strlen(sn));
        if (err == WARD_ERR_STATE) {
            lockdir_close(ld);
            return cli_fail("%s already holds a lock with another serial number", dir);
        }
        if (err != WARD_OK) {
            lockdir_close(ld);
            return cli_fail("cannot make the lock's identity: %s", lockdir_strerror(ld, err));
        }
        if ((rc = write_config(ld)) != 0) {
            lockdir_close(ld);
            return rc;
        }
    }
    return 0;
}

const char *lockdir_strerror(lockdir *ld, ward_err err)
{
    if (err == WARD_ERR_IO && ld->file.os_errno != 0) {
        snprintf(ld->why, sizeof ld->why, "%s: %s", ward_strerror(err),
                 strerror(ld->file.os_errno));
        return ld->why;
    }
    return ward_strerror(err);
}

void lockdir_close(lockdir *ld)
{
    if (ld->open) {
        ward_file_port_close(&ld->file);
        ld->open = false;
    }
    drop_busy(ld);
}

void lockdir_release(lockdir *ld)
{
    lockdir_close(ld);
}

int lockdir_reacquire(lockdir *ld)
{
    return ld->open ? 0 : open_state(ld);
}

static ward_err sign_with_state(void *ctx, const char *base, size_t base_len,
                                uint8_t sig[WARD_P256_SIG_LEN])
{
    lockdir *ld = ctx;
    bool was_open = ld->open;
    if (!was_open && lockdir_reacquire(ld) != 0) {
        return WARD_ERR_BUSY;
    }
    ward_err err = ward_lock_sign_request(&ld->lock, base, base_len, sig);
    if (!was_open) {
        lockdir_release(ld);
    }
    return err;
}

void lockdir_signer(lockdir *ld, ward_http_signer *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->keyid, sizeof s->keyid, "lock:%s", ld->sn);
    s->sign = sign_with_state;
    s->ctx = ld;
}
