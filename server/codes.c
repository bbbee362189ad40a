/* Phone codes: the key their MACs are made under (a file beside the
 * database, never in it), a uniform 6-digit code, its MAC, and the shape
 * of a code as typed (phone and bind codes alike). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward/ward_port_posix.h"
#include "ward/ward_suite.h"

#include "log.h"
#include "wardd.h"

#define KEY_HEX (2 * WARDD_CODE_KEY_LEN)

static ward_err read_key(const char *path, uint8_t key[WARDD_CODE_KEY_LEN])
{
    char text[KEY_HEX + 2];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? WARD_ERR_NOTFOUND : WARD_ERR_IO;
    }
    ssize_t n = read(fd, text, sizeof text);
    close(fd);
    size_t got = 0;
    ward_err err = WARD_ERR_FORMAT;
    if (n == KEY_HEX + 1 && text[KEY_HEX] == '\n' &&
        ward_hex_decode(text, KEY_HEX, key, WARDD_CODE_KEY_LEN, &got) == WARD_OK &&
        got == WARDD_CODE_KEY_LEN) {
        err = WARD_OK;
    }
    ward_wipe(text, sizeof text);
    return err;
}

/* Writes a new key under a temporary name and links it into place: two
 * wardds starting at once end up with the one that linked first. */
static ward_err make_key(const char *path)
{
    uint8_t key[WARDD_CODE_KEY_LEN];
    char text[KEY_HEX + 2], tmp[1100];
    ward_random rng = ward_random_posix();
    int len = snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    if (len < 0 || (size_t)len >= sizeof tmp) {
        return WARD_ERR_PARAM;
    }
    ward_err err = rng.fill(rng.ctx, key, sizeof key);
    if (err == WARD_OK) {
        err = ward_hex_encode(key, sizeof key, text, sizeof text);
    }
    ward_wipe(key, sizeof key);
    if (err != WARD_OK) {
        return err;
    }
    text[KEY_HEX] = '\n';
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        ward_wipe(text, sizeof text);
        return WARD_ERR_IO;
    }
    err = write(fd, text, KEY_HEX + 1) == KEY_HEX + 1 && fsync(fd) == 0 ? WARD_OK
                                                                        : WARD_ERR_IO;
    ward_wipe(text, sizeof text);
    if (close(fd) != 0) {
        err = WARD_ERR_IO;
    }
    if (err == WARD_OK && link(tmp, path) != 0 && errno != EEXIST) {
        err = WARD_ERR_IO;
    }
    unlink(tmp);
    return err;
}

ward_err wardd_code_key_open(const char *db, uint8_t key[WARDD_CODE_KEY_LEN])
{
    return wardd_key_file_open(db, ".codekey", "code_key", key);
}

ward_err wardd_key_file_open(const char *db, const char *suffix, const char *what,
                             uint8_t key[WARDD_CODE_KEY_LEN])
{
    char path[1100];
    int len = snprintf(path, sizeof path, "%s%s", db, suffix);
    if (len < 0 || (size_t)len >= sizeof path) {
        return WARD_ERR_PARAM;
    }
    ward_err err = read_key(path, key);
    if (err == WARD_ERR_NOTFOUND) {
        err = make_key(path);
        if (err == WARD_OK) {
            char ev[64];
            snprintf(ev, sizeof ev, "%s_made", what);   /* code_key_made, gw_key_made */
            wardd_log("info", ev, "file=%s", path);
            err = read_key(path, key);
        }
    }
    if (err != WARD_OK) {
        char ev[64];
        snprintf(ev, sizeof ev, "%s_bad", what);
        wardd_log("error", ev, "file=%s err=\"%s\"", path, ward_strerror(err));
    }
    return err;
}

bool wardd_code_new(char code[WARD_BIND_CODE_LEN + 1])
{
    /* 32-bit draws below the largest multiple of 10^6 are uniform mod
     * 10^6; the bound makes a failing generator an error, not a hang. */
    const uint32_t range = 1000000u, limit = 4294000000u;
    ward_random rng = ward_random_posix();
    for (int i = 0; i < 64; i++) {
        uint8_t b[4];
        if (rng.fill(rng.ctx, b, sizeof b) != WARD_OK) {
            return false;
        }
        uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        ward_wipe(b, sizeof b);
        if (v < limit) {
            snprintf(code, WARD_BIND_CODE_LEN + 1, "%06lu", (unsigned long)(v % range));
            return true;
        }
    }
    return false;
}

bool wardd_code_ok(const char *code)
{
    if (code == NULL || strlen(code) != WARD_BIND_CODE_LEN) {
        return false;
    }
    for (const char *c = code; *c; c++) {
        if (*c < '0' || *c > '9') {
            return false;
        }
    }
    return true;
}

ward_err wardd_code_mac(const wardd *w, const char *uid, const char *phone, const char *code,
                        uint8_t mac[WARD_SHA256_LEN])
{
    uint8_t ctx[WARD_UID_MAX + 1 + WARD_PHONE_MAX + 1 + WARD_BIND_CODE_LEN];
    size_t u = strlen(uid), p = strlen(phone), c = strlen(code);
    if (u > WARD_UID_MAX || p > WARD_PHONE_MAX || c != WARD_BIND_CODE_LEN) {
        return WARD_ERR_PARAM;
    }
    /* uid || 0x00 || phone || 0x00 || code: neither alphabet holds a NUL. */
    memcpy(ctx, uid, u);
    ctx[u] = 0x00;
    memcpy(ctx + u + 1, phone, p);
    ctx[u + 1 + p] = 0x00;
    memcpy(ctx + u + 2 + p, code, c);
    ward_err err = ward_kdf(w->cp, WARD_LABEL_PHONE_CODE, w->code_key, sizeof w->code_key,
                            NULL, 0, ctx, u + 2 + p + c, mac, WARD_SHA256_LEN);
    ward_wipe(ctx, sizeof ctx);
    return err;
}
