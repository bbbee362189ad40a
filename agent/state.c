/* A device's state directory (lock or IoT device): its config, its record
 * store and the flock that keeps it one process's (ward_agent_state.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ward/ward.h"
#include "ward/ward_agent_state.h"
#include "ward/ward_files.h"

#define STORE_FILE "store.bin"
#define BUSY_FILE ".busy"
#define ERASE_UNIT 4096u

/* What differs between the roles: names in messages, the config file, how
 * long to wait for another process. */
typedef struct role_info {
    const char *noun;         /* "lock", "device" */
    const char *config;       /* "lock.json", "device.json" */
    const char *id_name;      /* "serial number", "device id" */
    const char *damaged;      /* what a damaged config is not */
    const char *too_large;
    const char *other_id;     /* "another serial number", "another id" */
    unsigned busy_wait_ms;
    size_t bank_min;
} role_info;

static const role_info LOCK_INFO = {
    "lock", "lock.json", "serial number",
    " (not the {\"sn\", \"server\"} ward lock init writes)",
    "too large for a lock.json (damaged, or another file)", "another serial number",
    15000u, WARD_LOCK_STORE_BANK_MIN,
};
static const role_info DEVICE_INFO = {
    "device", "device.json", "device id", "", "too large (damaged, or another file)",
    "another id", 0u, WARD_DEV_STORE_BANK_MIN,
};

static const role_info *info(const ward_agent_state *st)
{
    return st->role == WARD_AGENT_LOCK ? &LOCK_INFO : &DEVICE_INFO;
}

static ward_err fail(ward_agent_state *st, ward_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ward_err fail(ward_agent_state *st, ward_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->why, sizeof st->why, fmt, ap);
    va_end(ap);
    return err;
}

/* Why a file operation failed, for a person (as the CLI says it). */
static const char *file_why(ward_err err, int os_errno, const char *not_what)
{
    if ((err == WARD_ERR_IO || err == WARD_ERR_NOTFOUND) && os_errno != 0) {
        return strerror(os_errno);
    }
    if (err == WARD_ERR_FORMAT && not_what != NULL) {
        return not_what;
    }
    return ward_strerror(err);
}

/* Two banks, each a whole number of 4 KiB units large enough for the
 * role's full tables. */
static size_t store_size(const ward_agent_state *st)
{
    size_t bank = (info(st)->bank_min + ERASE_UNIT - 1) / ERASE_UNIT * ERASE_UNIT;
    return 2 * bank;
}

static ward_err write_config(ward_agent_state *st)
{
    bool lock = st->role == WARD_AGENT_LOCK;
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    char *path = ward_path_join(st->dir, info(st)->config);
    ward_err err = WARD_ERR_IO;
    int os = ENOMEM;
    if (o && path && cJSON_AddStringToObject(o, lock ? "sn" : "id", st->id) &&
        cJSON_AddStringToObject(o, "server", st->server) &&
        (lock || (cJSON_AddStringToObject(o, "name", st->name) &&
                  cJSON_AddStringToObject(o, "type", st->type))) &&
        (text = cJSON_Print(o)) != NULL) {
        err = ward_file_write_atomic(path, text, strlen(text), 0644);
        os = errno;
    }
    cJSON_free(text);
    cJSON_Delete(o);
    free(path);
    return err == WARD_OK ? WARD_OK
                          : fail(st, err, "cannot write %s/%s: %s", st->dir, info(st)->config,
                                 file_why(err, os, NULL));
}

static bool copy_str(const cJSON *o, const char *name, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) {
        return false;
    }
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return true;
}

static ward_err read_config(ward_agent_state *st)
{
    const role_info *ri = info(st);
    char *path = ward_path_join(st->dir, ri->config);
    char *text = NULL;
    size_t len = 0;
    ward_err err = path ? ward_file_read(path, 4096, &text, &len) : WARD_ERR_IO;
    int os = path ? errno : ENOMEM;
    free(path);
    struct stat sb;
    if (err == WARD_ERR_NOTFOUND && stat(st->dir, &sb) != 0) {
        return fail(st, err, "cannot open the %s directory %s: %s", ri->noun, st->dir,
                    strerror(errno));
    }
    if (err == WARD_ERR_NOTFOUND) {
        return fail(st, err, "%s is not a %s directory (run ward %s init): %s/%s: %s",
                    st->dir, ri->noun, ri->noun, st->dir, ri->config, strerror(os));
    }
    if (err != WARD_OK) {
        return fail(st, err, "cannot read %s/%s: %s", st->dir, ri->config,
                    file_why(err, os, ri->too_large));
    }
    cJSON *o = cJSON_ParseWithLength(text, len);
    bool lock = st->role == WARD_AGENT_LOCK;
    err = WARD_OK;
    if (!copy_str(o, lock ? "sn" : "id", st->id, sizeof st->id) ||
        !copy_str(o, "server", st->server, sizeof st->server) ||
        (!lock && (!copy_str(o, "name", st->name, sizeof st->name) ||
                   !copy_str(o, "type", st->type, sizeof st->type)))) {
        err = fail(st, WARD_ERR_FORMAT, "%s/%s is damaged%s", st->dir, ri->config, ri->damaged);
    }
    cJSON_Delete(o);
    free(text);
    return err;
}

/* Waits (a lock) or not (a device) for the flock on D/.busy: the state is
 * one process's at a time, as a device's flash is one firmware's. */
static ward_err take_busy(ward_agent_state *st)
{
    char *path = ward_path_join(st->dir, BUSY_FILE);
    int os = ENOMEM;
    if (st->readonly) {
        /* A reader shares the flock with other readers; with no .busy
         * (made by the first writer) there is no writer to wait for. */
        st->busy_fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        os = path ? errno : ENOMEM;
        free(path);
        if (st->busy_fd < 0 && os == ENOENT) {
            return WARD_OK;
        }
    } else {
        st->busy_fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
        os = path ? errno : ENOMEM;
        free(path);
    }
    if (st->busy_fd < 0) {
        return fail(st, WARD_ERR_IO, "cannot open %s/%s: %s", st->dir, BUSY_FILE, strerror(os));
    }
    int how = st->readonly ? LOCK_SH : LOCK_EX;
    for (unsigned waited = 0; flock(st->busy_fd, how | LOCK_NB) != 0; waited += 50) {
        if (errno != EWOULDBLOCK || waited >= info(st)->busy_wait_ms) {
            close(st->busy_fd);
            st->busy_fd = -1;
            return fail(st, WARD_ERR_BUSY, "the %s in %s is busy in another ward process",
                        info(st)->noun, st->dir);
        }
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return WARD_OK;
}

static void drop_busy(ward_agent_state *st)
{
    if (st->busy_fd >= 0) {
        flock(st->busy_fd, LOCK_UN);
        close(st->busy_fd);
        st->busy_fd = -1;
    }
}

/* The clock of the device core's flows: the one given at open, else the host's. */
static const ward_clock *flow_clock(const ward_agent_state *st)
{
    return st->flow_clock.now_ms != NULL ? &st->flow_clock : &st->host.clock;
}

/* Under the flock: opens the store and the device core on it; drops the
 * flock when it fails. */
static ward_err open_store(ward_agent_state *st)
{
    const role_info *ri = info(st);
    char *path = ward_path_join(st->dir, STORE_FILE);
    ward_store_port port;
    ward_err err = path == NULL  ? WARD_ERR_IO
                   : st->readonly ? ward_file_port_open_readonly(&st->file, path,
                                                                 store_size(st), &port)
                                  : ward_file_port_open(&st->file, path, store_size(st),
                                                        &port);
    free(path);
    if (err != WARD_OK) {
        drop_busy(st);
        char not_what[96];
        snprintf(not_what, sizeof not_what, "not a %s's store (another size, or not a file: "
                 "damaged, or another file)", ri->noun);
        return fail(st, err, "cannot open the %s's store %s/%s: %s", ri->noun, st->dir,
                    STORE_FILE, file_why(err, st->file.os_errno, not_what));
    }
    err = st->role == WARD_AGENT_LOCK
              ? ward_lock_open(&st->lock, st->host.crypto, &st->host.rng, flow_clock(st), &port)
              : ward_dev_open(&st->dev, st->host.crypto, &st->host.rng, flow_clock(st), &port);
    if (err == WARD_OK && st->host.keystore != NULL) {
        /* Before anything signs or a new identity is made. */
        if (st->role == WARD_AGENT_LOCK) {
            ward_lock_use_keystore(&st->lock, st->host.keystore);
        } else {
            ward_dev_use_keystore(&st->dev, st->host.keystore);
        }
    }
    if (err != WARD_OK) {
        ward_file_port_close(&st->file);
        drop_busy(st);
        return fail(st, err, "cannot read the %s's store %s/%s: %s", ri->noun, st->dir,
                    STORE_FILE, ward_agent_state_strerror(st, err));
    }
    st->open = true;
    return WARD_OK;
}

/* Takes the flock, opens the store and the device core on it. */
static ward_err open_state(ward_agent_state *st)
{
    ward_err err = take_busy(st);
    return err != WARD_OK ? err : open_store(st);
}

/* Reads the whole store through the open file, in pieces of `len` bytes
 * handed to `each` (which returns false to stop); false when it cannot be
 * read or `each` stopped. */
static bool walk_store(ward_agent_state *st, unsigned char *buf, size_t len,
                       bool (*each)(ward_agent_state *, size_t, const unsigned char *, size_t))
{
    size_t size = store_size(st);
    for (size_t at = 0; at < size;) {
        size_t want = size - at < len ? size - at : len;
        ssize_t n = pread(st->file.fd, buf, want, (off_t)at);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0 || !each(st, at, buf, (size_t)n)) {
            return false;
        }
        at += (size_t)n;
    }
    return true;
}

static bool keep_piece(ward_agent_state *st, size_t at, const unsigned char *p, size_t n)
{
    memcpy(st->seen + at, p, n);
    return true;
}

static bool same_piece(ward_agent_state *st, size_t at, const unsigned char *p, size_t n)
{
    return memcmp(st->seen + at, p, n) == 0;
}

static void forget_seen(ward_agent_state *st)
{
    if (st->seen != NULL) {
        ward_wipe(st->seen, st->seen_len);   /* a software identity key lies in it */
        free(st->seen);
        st->seen = NULL;
        st->seen_len = 0;
    }
}

/* Under the flock, before it is dropped: keeps a copy of the store as this
 * process leaves it. */
static bool keep_seen(ward_agent_state *st)
{
    size_t size = store_size(st);
    if (st->seen == NULL) {
        st->seen = malloc(size);
        st->seen_len = st->seen == NULL ? 0 : size;
    }
    if (st->seen == NULL) {
        return false;
    }
    unsigned char buf[4096];
    bool ok = walk_store(st, buf, sizeof buf, keep_piece);
    ward_wipe(buf, sizeof buf);
    return ok;
}

/* Under the flock again: D/store.bin is still the file this process holds
 * open and its bytes are the ones it left (nobody else wrote), so the
 * device core's view of it is still true. */
static bool unchanged_since_seen(ward_agent_state *st)
{
    char *path = ward_path_join(st->dir, STORE_FILE);
    struct stat now, held;
    bool same = path != NULL && stat(path, &now) == 0 && fstat(st->file.fd, &held) == 0 &&
                now.st_dev == held.st_dev && now.st_ino == held.st_ino &&
                (size_t)held.st_size == st->seen_len;
    free(path);
    if (same) {
        unsigned char buf[4096];
        same = walk_store(st, buf, sizeof buf, same_piece);
        ward_wipe(buf, sizeof buf);
    }
    return same;
}

static ward_err sign_with_state(void *ctx, const char *base, size_t base_len,
                                uint8_t sig[WARD_P256_SIG_LEN])
{
    ward_agent_state *st = ctx;
    if (st->mu != NULL) {
        pthread_mutex_lock(st->mu);
    }
    bool was_open = st->open;
    ward_err err = was_open ? WARD_OK : ward_agent_state_reacquire(st);
    if (err == WARD_OK) {
        err = st->role == WARD_AGENT_LOCK
                  ? ward_lock_sign_request(&st->lock, base, base_len, sig)
                  : ward_dev_sign_request(&st->dev, base, base_len, sig);
        if (!was_open) {
            ward_agent_state_release(st);
        }
    } else {
        err = WARD_ERR_BUSY;
    }
    if (st->mu != NULL) {
        pthread_mutex_unlock(st->mu);
    }
    return err;
}

/* Everything before the config is read or written. */
static ward_err begin(ward_agent_state *st, ward_agent_role role, const char *dir,
                      bool readonly, const ward_keystore *keystore)
{
    memset(st, 0, sizeof *st);
    st->role = role == WARD_AGENT_DEVICE ? WARD_AGENT_DEVICE : WARD_AGENT_LOCK;
    st->file.fd = -1;
    st->busy_fd = -1;
    st->readonly = readonly;
    ward_host_init(&st->host);
    st->host.keystore = keystore;
    if (strlen(dir) > WARD_AGENT_DIR_MAX) {
        st->usage = true;
        return fail(st, WARD_ERR_PARAM, "directory path too long");
    }
    memcpy(st->dir, dir, strlen(dir) + 1);
    return WARD_OK;
}

/* The signer and the link, once the id and the server are known. */
static void link_up(ward_agent_state *st)
{
    memset(&st->signer, 0, sizeof st->signer);
    snprintf(st->signer.keyid, sizeof st->signer.keyid, "lock:%s", st->id);
    st->signer.sign = sign_with_state;
    st->signer.ctx = st;
    /* The server fits: read or checked to fit WARD_AGENT_URL_MAX. */
    WARD_ASSERT(ward_agent_init(&st->link, &ward_agent_http, &st->host, st->server,
                                &st->signer) == WARD_OK);
}

ward_err ward_agent_state_open(ward_agent_state *st, ward_agent_role role, const char *dir,
                               const ward_keystore *keystore)
{
    return ward_agent_state_open_clock(st, role, dir, keystore, NULL, NULL);
}

ward_err ward_agent_state_open_clock(ward_agent_state *st, ward_agent_role role, const char *dir,
                                     const ward_keystore *keystore, const ward_clock *flows,
                                     const ward_clock *host)
{
    ward_err err = begin(st, role, dir, false, keystore);
    /* Before the link and the core are made: each copies its clock. */
    if (err == WARD_OK && host != NULL) {
        st->host.clock = *host;
    }
    if (err == WARD_OK && flows != NULL) {
        st->flow_clock = *flows;
    }
    if (err == WARD_OK && (err = read_config(st)) == WARD_OK) {
        link_up(st);
        err = open_state(st);
    }
    return err;
}

ward_err ward_agent_state_open_readonly(ward_agent_state *st, ward_agent_role role,
                                        const char *dir)
{
    ward_err err = begin(st, role, dir, true, NULL);
    if (err == WARD_OK && (err = read_config(st)) == WARD_OK) {
        link_up(st);
        err = open_state(st);
    }
    return err;
}

ward_err ward_agent_state_create(ward_agent_state *st, ward_agent_role role, const char *dir,
                                 const char *id, const char *server, const char *name,
                                 const char *type, const ward_keystore *keystore)
{
    ward_err err = begin(st, role, dir, false, keystore);
    if (err != WARD_OK) {
        return err;
    }
    bool lock = st->role == WARD_AGENT_LOCK;
    if (ward_check_sn((const uint8_t *)id, strlen(id)) != WARD_OK) {
        st->usage = true;
        return fail(st, WARD_ERR_PARAM, "bad %s '%s' (1-32 of A-Z a-z 0-9 . _ -)",
                    info(st)->id_name, id);
    }
    if (lock) {
        name = type = "";
    }
    if (strlen(server) > WARD_AGENT_URL_MAX || strlen(name) >= sizeof st->name ||
        strlen(type) >= sizeof st->type) {
        st->usage = true;
        return fail(st, WARD_ERR_PARAM, lock ? "server URL too long"
                                             : "server URL, name (32) or type (16) too long");
    }
    if (ward_mkdir(dir, 0700) != WARD_OK) {
        return fail(st, WARD_ERR_IO, "cannot create directory %s: %s", dir, strerror(errno));
    }
    memcpy(st->id, id, strlen(id) + 1);
    memcpy(st->server, server, strlen(server) + 1);
    memcpy(st->name, name, strlen(name) + 1);
    memcpy(st->type, type, strlen(type) + 1);
    link_up(st);
    if ((err = open_state(st)) != WARD_OK) {
        return err;
    }
    err = lock ? ward_lock_provision(&st->lock, (const uint8_t *)id, strlen(id))
               : ward_dev_provision(&st->dev, (const uint8_t *)id, strlen(id),
                                    (const uint8_t *)name, strlen(name),
                                    (const uint8_t *)type, strlen(type));
    if (err == WARD_ERR_STATE) {
        ward_agent_state_close(st);
        return fail(st, err, "%s already holds a %s with %s", dir, info(st)->noun,
                    info(st)->other_id);
    }
    if (err != WARD_OK) {
        const char *why = ward_agent_state_strerror(st, err);
        ward_agent_state_close(st);
        return fail(st, err, "cannot make the %s's identity: %s", info(st)->noun, why);
    }
    if ((err = write_config(st)) != WARD_OK) {
        ward_agent_state_close(st);
    }
    return err;
}

const char *ward_agent_state_strerror(ward_agent_state *st, ward_err err)
{
    if (err == WARD_ERR_IO && st->file.os_errno != 0) {
        snprintf(st->err_why, sizeof st->err_why, "%s: %s", ward_strerror(err),
                 strerror(st->file.os_errno));
        return st->err_why;
    }
    return ward_strerror(err);
}

void ward_agent_state_close(ward_agent_state *st)
{
    if (st->open || st->parked) {
        ward_file_port_close(&st->file);
        st->open = false;
        st->parked = false;
    }
    forget_seen(st);
    drop_busy(st);
}

void ward_agent_state_release(ward_agent_state *st)
{
    if (!st->open || st->readonly || !keep_seen(st)) {
        ward_agent_state_close(st);
        return;
    }
    st->open = false;
    st->parked = true;
    drop_busy(st);
}

ward_err ward_agent_state_reacquire(ward_agent_state *st)
{
    if (st->open) {
        return WARD_OK;
    }
    if (!st->parked) {
        return open_state(st);
    }
    ward_err err = take_busy(st);
    if (err != WARD_OK) {
        return err;                 /* still parked: tried again later */
    }
    st->parked = false;
    if (unchanged_since_seen(st)) {
        st->open = true;
        return WARD_OK;
    }
    /* Another process wrote: the device core reads the store again. */
    ward_file_port_close(&st->file);
    forget_seen(st);
    return open_store(st);
}

ward_err ward_agent_state_set_server(ward_agent_state *st, const char *server)
{
    if (strlen(server) > WARD_AGENT_URL_MAX) {
        st->usage = true;
        return fail(st, WARD_ERR_PARAM, "server URL too long");
    }
    memcpy(st->server, server, strlen(server) + 1);
    return ward_agent_set_server(&st->link, server);
}
