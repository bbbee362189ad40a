/* POST /v1/fw: a release published to wardd - the manifest checked by the core under a
 * configured release key before the body is read, the image's SHA-256, the image kept on disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ward/ward_encode.h"
#include "ward/ward_fw.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_suite.h"

#include "config.h"
#include "fw.h"
#include "log.h"

/* The header that carries the manifest, base64 (at most 244 chars). */
#define FW_MANIFEST_HEADER "Ward-Manifest"

static struct {
    uint8_t pub[WARDD_FW_KEYS_MAX][WARD_P256_POINT_LEN];
    unsigned n;
    unsigned uploads;           /* bodies held now; atomic */
} fw;

bool wardd_fw_path(const wardd *w, const char *name, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s.fw%s%s", w->cfg.db, name[0] ? "/" : "", name);
    return n > 0 && (size_t)n < cap;
}

ward_err wardd_fw_open(wardd *w)
{
    fw.n = 0;
    for (unsigned i = 0; i < w->cfg.release_pub.n && i < WARDD_FW_KEYS_MAX; i++) {
        ward_err err = wardd_factory_pub_load(w->cp, w->cfg.release_pub.v[i], fw.pub[fw.n]);
        if (err != WARD_OK) {
            wardd_log("error", "release_pub_bad", "file=%s err=\"%s\"",
                      w->cfg.release_pub.v[i], ward_strerror(err));
            return err;
        }
        fw.n++;
    }
    if (fw.n == 0) {
        wardd_log("warn", "no_release_pub", "msg=\"firmware publishing will be refused\"");
    }
    char dir[1100];
    if (!wardd_fw_path(w, "", dir, sizeof dir)) {
        return WARD_ERR_PARAM;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        wardd_log("error", "fw_dir_failed", "dir=%s why=\"%s\"", dir, strerror(errno));
        return WARD_ERR_IO;
    }
    return WARD_OK;
}

/* The Ward-Manifest header verified under one of the release keys: true
 * with *m, or false with the refusal (400 or 403) in *out. */
static bool manifest_of(wardd *w, const wardd_req *r, uint8_t *bytes, size_t *len,
                        ward_fw_manifest *m, wardd_resp *out)
{
    const char *b64 = r->header(r->ctx, FW_MANIFEST_HEADER);
    if (b64 == NULL || strlen(b64) > 4 * ((WARD_FW_MANIFEST_MAX + 2) / 3) ||
        ward_b64_decode(b64, strlen(b64), bytes, WARD_FW_MANIFEST_MAX, len) != WARD_OK ||
        ward_fw_manifest_parse(bytes, *len, m) != WARD_OK) {
        wardd_fail(out, 400, "format", "Ward-Manifest: the base64 of a firmware manifest");
        return false;
    }
    for (unsigned i = 0; i < fw.n; i++) {
        ward_err err = ward_fw_manifest_verify(w->cp, fw.pub[i], bytes, *len, m);
        if (err == WARD_OK) {
            return true;
        }
        if (err != WARD_ERR_NOTFOUND) {
            /* The key id of a configured key, and a signature that fails. */
            break;
        }
    }
    wardd_log("warn", "fw_refused", "addr=%s reason=signature", r->addr);
    wardd_fail(out, 403, "forbidden", "the manifest is not signed by a release key wardd holds");
    return false;
}

/* The class of m as a C string (its alphabet has no NUL). */
static void class_of(const ward_fw_manifest *m, char out[WARD_FW_CLASS_MAX + 1])
{
    memcpy(out, m->dev_class, m->class_len);
    out[m->class_len] = '\0';
}

/* 409 unless m's counter is above the newest of its class; false also
 * with a 500 when the store fails. */
static bool counter_new(wardd *w, const ward_fw_manifest *m, wardd_resp *out)
{
    char cls[WARD_FW_CLASS_MAX + 1];
    class_of(m, cls);
    wardd_fw_rel *newest = calloc(1, sizeof *newest);
    if (newest == NULL) {
        wardd_fail(out, 500, "internal", "out of memory");
        return false;
    }
    ward_err err = w->store.fw_newest(w->store.h, cls, newest);
    uint32_t top = newest->counter;
    free(newest);
    if (err == WARD_ERR_NOTFOUND) {
        return true;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return false;
    }
    if (m->counter <= top) {
        char msg[128];
        snprintf(msg, sizeof msg, "class %s has counter %lu: a release must raise it", cls,
                 (unsigned long)top);
        wardd_fail(out, 409, "conflict", msg);
        return false;
    }
    return true;
}

bool wardd_fw_early(wardd *w, const wardd_req *r, size_t *body_max, wardd_resp *out)
{
    if (fw.n == 0) {
        wardd_fail(out, 403, "forbidden",
                   "wardd holds no release key (--release-pub): it takes no firmware");
        return false;
    }
    /* Charged before any work: each refused attempt costs the sender too. */
    char key[96], unit[72];
    wardd_addr_unit(r->addr, unit, sizeof unit);
    snprintf(key, sizeof key, "fw-publish-addr:%s", unit);
    wardd_rate_key rk = { key, WARDD_LIVE(w, fw_publish_per_addr) };
    int64_t retry_ms = 0;
    ward_err err = w->store.rate_take(w->store.h, &rk, 1, wardd_now_ms(), WARDD_RATE_WINDOW_MS,
                                      &retry_ms);
    if (err == WARD_ERR_BUSY) {
        wardd_log("warn", "rate_limited", "kind=fw_publish addr=%s", r->addr);
        wardd_fail_retry(out, retry_ms, "too many firmware publications from this address");
        return false;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return false;
    }
    uint8_t bytes[WARD_FW_MANIFEST_MAX];
    size_t len = 0;
    ward_fw_manifest m;
    if (!manifest_of(w, r, bytes, &len, &m, out)) {
        return false;
    }
    if (m.size > (uint64_t)w->cfg.fw_max_bytes) {
        char msg[96];
        snprintf(msg, sizeof msg, "image of %lu bytes: wardd takes at most %ld",
                 (unsigned long)m.size, w->cfg.fw_max_bytes);
        wardd_fail(out, 413, "format", msg);
        return false;
    }
    const char *cl = r->header(r->ctx, "Content-Length");
    char expect[16];
    snprintf(expect, sizeof expect, "%lu", (unsigned long)m.size);
    if (cl == NULL || strcmp(cl, expect) != 0) {
        wardd_fail(out, 400, "format", "the body is the image: Content-Length must be its size");
        return false;
    }
    if (!counter_new(w, &m, out)) {
        return false;
    }
    unsigned held = __atomic_add_fetch(&fw.uploads, 1, __ATOMIC_ACQ_REL);
    if (held > WARDD_FW_UPLOADS_MAX) {
        __atomic_sub_fetch(&fw.uploads, 1, __ATOMIC_ACQ_REL);
        wardd_fail_retry(out, 1000, "other firmware uploads in progress");
        return false;
    }
    *body_max = m.size;
    return true;
}

void wardd_fw_done(void)
{
    __atomic_sub_fetch(&fw.uploads, 1, __ATOMIC_ACQ_REL);
}

/* Writes the image to DB.fw/NAME (a fresh name: class in hex, counter,
 * 8 random bytes) through a temporary file, synced, renamed, the
 * directory synced: the row that names it is only written after. */
static ward_err image_write(wardd *w, const ward_fw_manifest *m, const uint8_t *img,
                            char name[WARDD_FW_FILE_MAX])
{
    char hexcls[2 * WARD_FW_CLASS_MAX + 1], rnd[17];
    uint8_t salt[8];
    ward_random rng = ward_random_posix();
    if (rng.fill(rng.ctx, salt, sizeof salt) != WARD_OK) {
        return WARD_ERR_IO;
    }
    WARD_ASSERT(ward_hex_encode(m->dev_class, m->class_len, hexcls, sizeof hexcls) == WARD_OK);
    WARD_ASSERT(ward_hex_encode(salt, sizeof salt, rnd, sizeof rnd) == WARD_OK);
    snprintf(name, WARDD_FW_FILE_MAX, "%s-%lu-%s.img", hexcls, (unsigned long)m->counter, rnd);
    char path[1200], tmp[1220], dir[1100];
    if (!wardd_fw_path(w, name, path, sizeof path) || !wardd_fw_path(w, "", dir, sizeof dir)) {
        return WARD_ERR_PARAM;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return WARD_ERR_IO;
    }
    ward_err err = WARD_OK;
    for (size_t off = 0; off < m->size && err == WARD_OK;) {
        ssize_t n = write(fd, img + off, m->size - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            err = WARD_ERR_IO;
        } else {
            off += (size_t)n;
        }
    }
    if (err == WARD_OK && fsync(fd) != 0) {
        err = WARD_ERR_IO;
    }
    if (close(fd) != 0) {
        err = WARD_ERR_IO;
    }
    if (err == WARD_OK && rename(tmp, path) != 0) {
        err = WARD_ERR_IO;
    }
    if (err != WARD_OK) {
        unlink(tmp);
        return err;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0) {
            err = WARD_ERR_IO;
        }
        close(dfd);
    }
    if (err != WARD_OK) {
        unlink(path);
    }
    return err;
}

static void image_drop(wardd *w, const char *name)
{
    char path[1200];
    if (wardd_fw_path(w, name, path, sizeof path)) {
        unlink(path);
    }
}

/* POST /v1/fw, its body in: Ward-Manifest + the image -> 201 {class,
 * version, counter, size, digest}. */
void wardd_h_fw_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    /* The early check ran on the headers; the same manifest is checked
     * again here rather than trusted from then. */
    wardd_fw_rel *rel = calloc(1, sizeof *rel);
    if (rel == NULL) {
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    ward_fw_manifest m;
    if (!manifest_of(w, r, rel->manifest, &rel->manifest_len, &m, out)) {
        free(rel);
        return;
    }
    uint8_t digest[WARD_SHA256_LEN];
    ward_iov iov = { r->body, r->body_len };
    if (r->body_len != m.size) {
        wardd_fail(out, 400, "format", "the body is not as long as the manifest's image");
        free(rel);
        return;
    }
    if (w->cp->sha256(&iov, 1, digest) != WARD_OK) {
        wardd_fail(out, 500, "internal", "cannot hash the image");
        free(rel);
        return;
    }
    if (memcmp(digest, m.digest, sizeof digest) != 0) {
        wardd_log("warn", "fw_refused", "addr=%s reason=digest", r->addr);
        wardd_fail(out, 400, "format", "the image's SHA-256 is not the manifest's");
        free(rel);
        return;
    }
    class_of(&m, rel->dev_class);
    memcpy(rel->version, m.version, m.version_len);
    rel->version[m.version_len] = '\0';
    rel->counter = m.counter;
    rel->size = m.size;
    memcpy(rel->digest, m.digest, sizeof rel->digest);
    rel->created_ms = wardd_now_ms();
    ward_err err = image_write(w, &m, r->body, rel->file);
    if (err != WARD_OK) {
        wardd_log("error", "fw_write_failed", "why=\"%s\"", strerror(errno));
        wardd_fail(out, 500, "internal", "cannot keep the image");
        free(rel);
        return;
    }
    err = w->store.fw_put(w->store.h, rel);
    if (err != WARD_OK) {
        image_drop(w, rel->file);
        if (err == WARD_ERR_STATE) {
            wardd_fail(out, 409, "conflict", "a release of this class with this counter or a "
                                             "higher one was published meanwhile");
        } else {
            wardd_fail_store(out, err);
        }
        free(rel);
        return;
    }
    char hex[2 * WARD_SHA256_LEN + 1];
    WARD_ASSERT(ward_hex_encode(rel->digest, sizeof rel->digest, hex, sizeof hex) == WARD_OK);
    wardd_log("info", "fw_published", "class=%s counter=%lu version=%s size=%lu addr=%s",
              rel->dev_class, (unsigned long)rel->counter, rel->version,
              (unsigned long)rel->size, r->addr);
    cJSON *j = cJSON_CreateObject();
    if (j == NULL || cJSON_AddStringToObject(j, "class", rel->dev_class) == NULL ||
        cJSON_AddStringToObject(j, "version", rel->version) == NULL ||
        cJSON_AddNumberToObject(j, "counter", rel->counter) == NULL ||
        cJSON_AddNumberToObject(j, "size", rel->size) == NULL ||
        cJSON_AddStringToObject(j, "digest", hex) == NULL) {
        cJSON_Delete(j);
        wardd_fail(out, 500, "internal", "out of memory");
    } else {
        wardd_reply(out, 201, j);
    }
    free(rel);
}
