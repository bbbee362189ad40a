/* GET /v1/time: wardd as a time server (ward_time.h) - its time key (keys.c), its public key
 * in DB.timepub, the signed answer to a device's nonce, at a bounded rate per address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_encode.h"
#include "ward/ward_keystore.h"
#include "ward/ward_suite.h"
#include "ward/ward_time.h"

#include "log.h"
#include "wardd.h"

/* How far wardd's clock may be from the true time: the host keeps it with
 * NTP, well inside a second. */
#define WARDD_TIME_RADIUS_MS 1000u

static struct {
    const ward_keystore *ks;    /* wardd's keys (keys.c): the time key is WARD_KEY_TIME */
    int64_t skew_ms;            /* test only: WARDD_TEST_TIME_SKEW_MS */
} tm;

ward_err wardd_time_open(wardd *w)
{
    uint8_t pub[WARD_P256_POINT_LEN];
    ward_err err = wardd_key_load(w, WARD_KEY_TIME, ".timekey", ".timepub", "time_key", pub);
    if (err != WARD_OK) {
        return err;
    }
    tm.ks = wardd_keys();
    const char *skew = getenv("WARDD_TEST_TIME_SKEW_MS");
    if (skew != NULL && skew[0] != '\0') {
        char *end = NULL;
        long long v = strtoll(skew, &end, 10);
        if (*end != '\0' || v < -(1LL << 40) || v > (1LL << 40)) {
            wardd_log("error", "time_skew_bad", "value=\"%s\"", skew);
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
    tm.ks = NULL;               /* wardd_keys_close wipes the key */
}

/* GET /v1/time?nonce=HEX (32 bytes) -> 200 {"answer": base64}; 429 past
 * --time-per-addr a minute from one address (each answer costs a signature,
 * and the route is open to anyone). */
void wardd_h_time(wardd *w, const wardd_req *r, wardd_resp *out)
{
    int64_t retry_ms = 0;
    if (!wardd_time_rate_take(r->addr, WARDD_LIVE(w, time_per_addr), wardd_now_ms(),
                              &retry_ms)) {
        wardd_fail_retry(out, retry_ms, "too many time requests from this address");
        return;
    }
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
    ward_err err = ward_time_answer_make(w->cp, tm.ks, WARD_KEY_TIME, now > 0 ? (uint64_t)now : 0,
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
