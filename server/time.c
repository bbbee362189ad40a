/* GET /v1/time: wardd as a time server (ward_time.h) - its time key, made at first start beside
 * the database, its public key in DB.timepub, and the signed answer to a device's nonce. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward/ward_encode.h"
#include "ward/ward_keystore.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_suite.h"
#include "ward/ward_time.h"

#include "log.h"
#include "wardd.h"

/* How far wardd's clock may be from the true time: the host keeps it with
 * NTP, well inside a second. */
#define WARDD_TIME_RADIUS_MS 1000u

static struct {
    ward_keystore_soft soft;
    ward_keystore ks;
    int64_t skew_ms;            /* test only: WARDD_TEST_TIME_SKEW_MS */
} tm;

/* DB.timepub: the 65-byte point as 130 hex digits and a newline (the form
 * of factory.pub), written anew at every start, atomically. */
static ward_err write_pub(const char *db, const uint8_t pub[WARD_P256_POINT_LEN])
{
    char path[1100], tmp[1120], text[2 * WARD_P256_POINT_LEN + 2];
    int len = snprintf(path, sizeof path, "%s.timepub", db);
    if (len < 0 || (size_t)len >= sizeof path) {
        return WARD_ERR_PARAM;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    WARD_ASSERT(ward_hex_encode(pub, WARD_P256_POINT_LEN, text, sizeof text) == WARD_OK);
    size_t n = strlen(text);
    text[n++] = '\n';
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return WARD_ERR_IO;
    }
    ward_err err = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0 ? WARD_OK : WARD_ERR_IO;
    if (close(fd) != 0) {
        err = WARD_ERR_IO;
    }
    if (err == WARD_OK && rename(tmp, path) != 0) {
        err = WARD_ERR_IO;
    }
    if (err != WARD_OK) {
        unlink(tmp);
    }
    return err;
}

ward_err wardd_time_open(wardd *w)
{
    uint8_t key[WARDD_CODE_KEY_LEN], pub[WARD_P256_POINT_LEN];
    ward_err err = wardd_key_file_open(w->cfg.db, ".timekey", "time_key", key);
    if (err != WARD_OK) {
        return err;
    }
    ward_random rng = ward_random_posix();
    ward_keystore_soft_init(&tm.soft, w->cp, &rng, &tm.ks);
    err = ward_keystore_soft_load(&tm.soft, WARD_KEY_TIME, key);
    ward_wipe(key, sizeof key);
    if (err == WARD_OK) {
        err = tm.ks.public_key(tm.ks.ctx, WARD_KEY_TIME, pub);
    }
    if (err == WARD_OK) {
        err = write_pub(w->cfg.db, pub);
    }
    if (err != WARD_OK) {
        wardd_log("error", "time_key_bad", "err=\"%s\" why=\"%s\"", ward_strerror(err),
                  err == WARD_ERR_IO ? strerror(errno) : "");
        ward_keystore_soft_wipe(&tm.soft);
        return err;
    }
    const char *skew = getenv("WARDD_TEST_TIME_SKEW_MS");
    if (skew != NULL && skew[0] != '\0') {
        char *end = NULL;
        long long v = strtoll(skew, &end, 10);
        if (*end != '\0' || v < -(1LL << 40) || v > (1LL << 40)) {
            wardd_log("error", "time_skew_bad", "value=\"%s\"", skew);
            ward_keystore_soft_wipe(&tm.soft);
            return WARD_ERR_PARAM;
        }
        tm.skew_ms = (int64_t)v;
        wardd_log("warn", "time_skewed", "skew_ms=%lld msg=\"test only: GET /v1/time lies\"",
                  v);
    }
    return WARD_OK;
}

void wardd_time_close(void)
{
    ward_keystore_soft_wipe(&tm.soft);
}

/* GET /v1/time?nonce=HEX (32 bytes) -> 200 {"answer": base64} */
void wardd_h_time(wardd *w, const wardd_req *r, wardd_resp *out)
{
    const char *hex = r->arg(r->ctx, "nonce");
    uint8_t nonce[WARD_TIME_NONCE_LEN], ans[WARD_TIME_ANSWER_LEN];
    size_t len = 0;
    if (hex == NULL || strlen(hex) != 2 * WARD_TIME_NONCE_LEN ||
        ward_hex_decode(hex, strlen(hex), nonce, sizeof nonce, &len) != WARD_OK ||
        len != sizeof nonce) {
        wardd_fail(out, 400, "format", "nonce: 64 hex digits (32 bytes)");
        return;
    }
    int64_t now = wardd_now_ms() + tm.skew_ms;
    ward_err err = ward_time_answer_make(w->cp, &tm.ks, WARD_KEY_TIME, now > 0 ? (uint64_t)now : 0,
                                         WARDD_TIME_RADIUS_MS, nonce, ans, sizeof ans, &len);
    if (err != WARD_OK) {
        wardd_log("error", "time_sign_failed", "err=\"%s\"", ward_strerror(err));
        wardd_fail(out, 500, "internal", "cannot sign the time");
        return;
    }
    cJSON *j = cJSON_CreateObject();
    if (j == NULL || !wardd_json_add_b64(j, "answer", ans, len)) {
        cJSON_Delete(j);
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    wardd_reply(out, 200, j);
}
