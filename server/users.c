/* POST /v1/users: account registration {user id, phone, client key}, which
 * sends a code by SMS to the phone; POST /v1/users/verify: the user types
 * it back and the phone is verified. Only a verified account uploads bind
 * tasks (bind.c), so wardd texts a phone for a stranger only the
 * rate-limited code that asks its owner to verify it. */
#include <stdio.h>
#include <string.h>

#include "ward/ward_suite.h"

#include "log.h"
#include "metrics.h"
#include "wardd.h"

#define WRONG_CODES "too many wrong codes"

static void reply_user(wardd_resp *out, unsigned status, const char *uid, bool verified,
                       int64_t code_expires_ms)
{
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "user", uid);
    cJSON_AddBoolToObject(res, "verified", verified);
    if (code_expires_ms > 0) {
        cJSON_AddNumberToObject(res, "code_expires", (double)(code_expires_ms / 1000));
    }
    wardd_reply(out, status, res);
}

/* A new code for uid's phone: stored (as a MAC), then sent. Answers
 * true with *expires_ms, or false with *out filled. */
static bool send_code(wardd *w, const wardd_req *r, const char *uid, const char *phone,
                      int64_t *expires_ms, wardd_resp *out)
{
    char code[WARD_BIND_CODE_LEN + 1], text[192];
    uint8_t mac[WARD_SHA256_LEN];
    int64_t retry_ms = 0, now = wardd_now_ms();
    bool ok = false;
    *expires_ms = now + WARDD_CODE_TTL_MS;
    if (!wardd_code_new(code)) {
        wardd_fail(out, 500, "internal", "no randomness");
        return false;
    }
    ward_err err = wardd_code_mac(w, uid, phone, code, mac);
    if (err == WARD_OK) {
        err = w->store.code_put(w->store.h, uid, mac, now, *expires_ms, &retry_ms);
    }
    ward_wipe(mac, sizeof mac);
    if (err == WARD_ERR_BUSY) {
        wardd_fail_retry(out, retry_ms, WRONG_CODES);
    } else if (err != WARD_OK) {
        wardd_fail_store(out, err);
    } else {
        wardd_sms_verify_text(text, sizeof text, code, uid, WARDD_CODE_TTL_MS / 1000);
        err = w->sms.send(w->sms.ctx, phone, text);
        ward_wipe(text, sizeof text);
        wardd_metric_inc(err == WARD_OK ? WARDD_C_SMS_CODE_SENT : WARDD_C_SMS_CODE_FAILED);
        if (err != WARD_OK) {
            /* The code never reached the phone: it is dropped, and
             * asking again (rate-limited) sends a new one. */
            w->store.code_put(w->store.h, uid, NULL, now, now, &retry_ms);
            wardd_log("error", "sms_failed", "provider=%s uid=%s", w->sms.name, uid);
            wardd_fail(out, 503, "unavailable", "could not send the code");
        } else {
            wardd_log("info", "code_sent", "uid=%s provider=%s addr=%s", uid, w->sms.name,
                      r->addr);
            ok = true;
        }
    }
    ward_wipe(code, sizeof code);
    return ok;
}

void wardd_h_users_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    cJSON *j = NULL;
    if (!wardd_auth_digest(w, r, out) || !wardd_json_body(r, &j, out)) {
        return;
    }
    char uid[WARD_UID_MAX + 1], phone[WARD_PHONE_MAX + 1];
    const char *u = wardd_json_str(j, "user", WARD_UID_MAX);
    const char *p = wardd_json_str(j, "phone", WARD_PHONE_MAX);
    uint8_t pub[WARD_P256_POINT_LEN];
    size_t pub_len = 0;
    bool ok = u != NULL && p != NULL &&
              wardd_json_b64(j, "pub", pub, sizeof pub, sizeof pub, &pub_len);
    if (ok) {
        snprintf(uid, sizeof uid, "%s", u);
        snprintf(phone, sizeof phone, "%s", p);
    }
    cJSON_Delete(j);
    if (!ok || ward_check_uid((const uint8_t *)uid, strlen(uid)) != WARD_OK ||
        ward_check_phone((const uint8_t *)phone, strlen(phone)) != WARD_OK ||
        w->cp->p256_point_check(pub) != WARD_OK) {
        wardd_fail(out, 400, "format", "user, phone or pub malformed");
        return;
    }
    char keyid[WARD_HTTPSIG_KEYID_MAX + 1];
    snprintf(keyid, sizeof keyid, "user:%s", uid);
    wardd_signer s;
    if (!wardd_auth(w, r, pub, keyid, &s, out)) {
        return;
    }
    /* The same account again (the same key and phone) resumes its
     * registration; another key or another phone is refused: a phone is
     * never changed under an account. */
    char known_phone[WARD_PHONE_MAX + 1];
    uint8_t known_pub[WARD_P256_POINT_LEN];
    ward_err err = w->store.user_get(w->store.h, uid, known_phone, known_pub);
    bool exists = err == WARD_OK;
    if (exists && (strcmp(known_phone, phone) != 0 ||
                   memcmp(known_pub, pub, sizeof pub) != 0)) {
        wardd_fail(out, 409, "conflict", "user already registered with another key or phone");
        return;
    }
    if (err != WARD_OK && err != WARD_ERR_NOTFOUND) {
        wardd_fail_store(out, err);
        return;
    }
    bool verified = false;
    if (exists) {
        err = w->store.user_verified(w->store.h, uid, &verified);
        if (err != WARD_OK) {
            wardd_fail_store(out, err);
            return;
        }
        if (verified) {
            reply_user(out, 200, uid, true, 0);
            return;
        }
    }
    /* Every registration that sends a code is counted per phone and per
     * address, before anything is written. */
    if (!wardd_rate_code(w, phone, r->addr, out)) {
        return;
    }
    int created = 0;
    err = w->store.user_put(w->store.h, uid, phone, pub, &created);
    if (err == WARD_ERR_STATE) {
        wardd_fail(out, 409, "conflict", "user already registered with another key or phone");
        return;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    if (created) {
        wardd_log("info", "user_registered", "uid=%s", uid);
    }
    int64_t expires_ms = 0;
    if (send_code(w, r, uid, phone, &expires_ms, out)) {
        reply_user(out, created ? 201 : 200, uid, false, expires_ms);
    }
}

void wardd_h_users_verify(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    if (s.is_lock) {
        wardd_fail(out, 403, "forbidden", "phones are verified by users");
        return;
    }
    cJSON *j = NULL;
    if (!wardd_json_body(r, &j, out)) {
        return;
    }
    char code[WARD_BIND_CODE_LEN + 1] = "";
    const char *c = wardd_json_str(j, "code", WARD_BIND_CODE_LEN);
    bool ok = wardd_code_ok(c);
    if (ok) {
        memcpy(code, c, sizeof code);
    }
    wardd_json_wipe(j, "code");
    cJSON_Delete(j);
    if (!ok) {
        wardd_fail(out, 400, "format", "code: 6 digits expected");
        return;
    }
    char phone[WARD_PHONE_MAX + 1];
    bool verified = false;
    ward_err err = w->store.user_get(w->store.h, s.id, phone, NULL);
    if (err == WARD_OK) {
        err = w->store.user_verified(w->store.h, s.id, &verified);
    }
    if (err != WARD_OK) {
        ward_wipe(code, sizeof code);
        wardd_fail_store(out, err);
        return;
    }
    if (verified) {
        ward_wipe(code, sizeof code);
        reply_user(out, 200, s.id, true, 0);
        return;
    }
    uint8_t mac[WARD_SHA256_LEN];
    wardd_code_res res;
    memset(&res, 0, sizeof res);
    err = wardd_code_mac(w, s.id, phone, code, mac);
    ward_wipe(code, sizeof code);
    bool answered = false;
    if (err == WARD_OK) {
        /* Counted against the number too, when there is a code to check. */
        answered = !wardd_rate_code_check(w, s.id, phone, mac, &err, &res, out);
    }
    ward_wipe(mac, sizeof mac);
    if (answered) {
        return;
    }
    char msg[96];
    switch (err) {
    case WARD_OK:
        wardd_log("info", "phone_verified", "uid=%s took_over=%u", s.id, res.took_over);
        reply_user(out, 200, s.id, true, 0);
        break;
    case WARD_ERR_AUTH:
        wardd_log("warn", "code_refused", "uid=%s tries_left=%u", s.id, res.tries_left);
        snprintf(msg, sizeof msg, "wrong code: %u tr%s left", res.tries_left,
                 res.tries_left == 1 ? "y" : "ies");
        wardd_fail(out, 403, "forbidden", msg);
        break;
    case WARD_ERR_LOCKED:
        wardd_log("warn", "code_locked", "uid=%s retry_after_ms=%lld", s.id,
                  (long long)res.retry_ms);
        wardd_fail_retry(out, res.retry_ms, WRONG_CODES);
        break;
    case WARD_ERR_BUSY:
        wardd_fail_retry(out, res.retry_ms, WRONG_CODES);
        break;
    case WARD_ERR_EXPIRED:
        wardd_fail(out, 410, "expired", "no live code: register again for a new one");
        break;
    default:
        wardd_fail_store(out, err);
        break;
    }
}
