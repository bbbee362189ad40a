/* Flow A's relay: bind tasks (upload, fetch, status) and the lock's
 * confirmation. wardd stores the blob and the escrow as opaque bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ward/ward_suite.h"

#include "log.h"
#include "metrics.h"
#include "wardd.h"

static bool tid_parse(const char *hex, uint8_t tid[WARD_TASK_ID_LEN])
{
    size_t n = 0;
    return hex != NULL && strlen(hex) == 2 * WARD_TASK_ID_LEN &&
           ward_hex_decode(hex, strlen(hex), tid, WARD_TASK_ID_LEN, &n) == WARD_OK &&
           n == WARD_TASK_ID_LEN;
}

static const char *state_name(const wardd_task *t, int64_t now)
{
    if (t->state == WARDD_TASK_BOUND) {
        return "bound";
    }
    return now >= t->expires_ms ? "expired" : "sealed";
}

static void reply_bound(wardd_resp *out, const char *uid, uint8_t role)
{
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "state", "bound");
    cJSON_AddStringToObject(res, "uid", uid);
    cJSON_AddNumberToObject(res, "role", role);
    wardd_reply(out, 200, res);
}

/* Loads the task named by the route, or answers 400/404/500. */
static bool load_task(wardd *w, const char *hex, wardd_task *t, wardd_resp *out)
{
    uint8_t tid[WARD_TASK_ID_LEN];
    if (!tid_parse(hex, tid)) {
        wardd_fail(out, 400, "format", "task id: 32 hex digits expected");
        return false;
    }
    ward_err err = w->store.task_get(w->store.h, tid, t);
    if (err == WARD_ERR_NOTFOUND) {
        wardd_fail(out, 404, "notfound", "no such task");
        return false;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return false;
    }
    return true;
}

void wardd_h_tasks_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    if (s.is_lock) {
        wardd_fail(out, 403, "forbidden", "tasks are uploaded by users");
        return;
    }
    cJSON *j = NULL;
    if (!wardd_json_body(r, &j, out)) {
        return;
    }
    static wardd_task zero;
    wardd_task *t = malloc(sizeof *t);
    if (t == NULL) {
        cJSON_Delete(j);
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    *t = zero;
    const char *tid = wardd_json_str(j, "tid", 2 * WARD_TASK_ID_LEN);
    const char *sn = wardd_json_str(j, "sn", WARD_SN_MAX);
    const char *phone = wardd_json_str(j, "phone", WARD_PHONE_MAX);
    const char *code = wardd_json_str(j, "code", WARD_BIND_CODE_LEN);
    bool ok = tid_parse(tid, t->tid) && sn != NULL && phone != NULL && wardd_code_ok(code) &&
              ward_check_sn((const uint8_t *)sn, strlen(sn)) == WARD_OK &&
              ward_check_phone((const uint8_t *)phone, strlen(phone)) == WARD_OK &&
              wardd_json_b64(j, "blob", t->blob, 1, sizeof t->blob, &t->blob_len);
    char code_copy[WARD_BIND_CODE_LEN + 1] = "";
    if (ok) {
        snprintf(t->sn, sizeof t->sn, "%s", sn);
        snprintf(t->phone, sizeof t->phone, "%s", phone);
        snprintf(code_copy, sizeof code_copy, "%s", code);
    }
    wardd_json_wipe(j, "code");
    cJSON_Delete(j);
    if (!ok) {
        wardd_fail(out, 400, "format", "tid, sn, phone, code or blob malformed");
        goto done;
    }
    snprintf(t->uid, sizeof t->uid, "%s", s.id);

    /* The code goes only to the phone the uploader registered. */
    char registered[WARD_PHONE_MAX + 1];
    ward_err err = w->store.user_get(w->store.h, s.id, registered, NULL);
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        goto done;
    }
    if (strcmp(registered, t->phone) != 0) {
        wardd_log("warn", "task_refused", "reason=phone_mismatch uid=%s", s.id);
        wardd_fail(out, 403, "forbidden", "phone is not the account's phone");
        goto done;
    }
    /* ...and only once the account proved it holds that phone: else
     * anyone could register the owner's number and upload first. */
    bool verified = false;
    err = w->store.user_verified(w->store.h, s.id, &verified);
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        goto done;
    }
    if (!verified) {
        wardd_log("warn", "task_refused", "reason=phone_unverified uid=%s", s.id);
        wardd_fail(out, 403, "forbidden",
                   "phone not verified: finish the registration with the code sent by SMS");
        goto done;
    }
    /* Nothing before the SN check depends on the SN: the task id (which
     * names no lock) and the charge come first, so a real lock and an
     * unknown SN are answered and charged alike up to it. */
    wardd_task old;
    err = w->store.task_get(w->store.h, t->tid, &old);
    if (err == WARD_OK) {
        wardd_fail(out, 409, "conflict", "task id already used");
        goto done;
    }
    if (err != WARD_ERR_NOTFOUND) {
        wardd_fail_store(out, err);
        goto done;
    }
    if (!wardd_rate_sms(w, t->phone, r->addr, out)) {
        goto done;
    }
    uint8_t lock_pub[WARD_P256_POINT_LEN];
    err = w->store.lock_get(w->store.h, t->sn, lock_pub);
    if (err == WARD_ERR_NOTFOUND) {
        /* Answered as a used-up allowance, and made one: no oracle of
         * which SNs exist, and each probe costs the prober its codes. */
        wardd_log("warn", "task_refused", "reason=unknown_lock uid=%s", s.id);
        wardd_rate_unknown_lock(w, t->phone, r->addr, out);
        goto done;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        goto done;
    }
    int64_t now = wardd_now_ms();
    long ttl_s = WARDD_LIVE(w, task_ttl_s);     /* one value for the task and its SMS */
    t->created_ms = now;
    t->expires_ms = now + (int64_t)ttl_s * 1000;
    t->state = WARDD_TASK_SEALED;
    err = w->store.task_put(w->store.h, t);
    if (err == WARD_ERR_STATE) {
        wardd_fail(out, 409, "conflict", "task id already used");
        goto done;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        goto done;
    }
    char text[256];
    wardd_sms_text(text, sizeof text, code_copy, t->sn, t->uid, ttl_s);
    err = w->sms.send(w->sms.ctx, t->phone, text);
    ward_wipe(text, sizeof text);
    wardd_metric_inc(err == WARD_OK ? WARDD_C_SMS_BIND_SENT : WARDD_C_SMS_BIND_FAILED);
    if (err != WARD_OK) {
        /* No code reached the phone: drop the task so the app may retry. */
        w->store.task_delete(w->store.h, t->tid);
        wardd_log("error", "sms_failed", "provider=%s sn=%s", w->sms.name, t->sn);
        wardd_fail(out, 503, "unavailable", "could not send the code");
        goto done;
    }
    wardd_log("info", "task_stored", "sn=%s uid=%s provider=%s", t->sn, t->uid, w->sms.name);
    cJSON *res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "expires", (double)(t->expires_ms / 1000));
    wardd_reply(out, 201, res);
done:
    ward_wipe(code_copy, sizeof code_copy);
    free(t);
}

void wardd_h_task_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    wardd_task *t = malloc(sizeof *t);
    if (t == NULL) {
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    if (!load_task(w, r->param, t, out)) {
        free(t);
        return;
    }
    if (!s.is_lock || strcmp(s.id, t->sn) != 0) {
        wardd_fail(out, 403, "forbidden", "not this task's lock");
    } else if (strcmp(state_name(t, wardd_now_ms()), "expired") == 0) {
        wardd_fail(out, 410, "expired", "task expired");
    } else {
        cJSON *res = cJSON_CreateObject();
        cJSON_AddStringToObject(res, "tid", r->param);
        wardd_json_add_b64(res, "blob", t->blob, t->blob_len);
        wardd_reply(out, 200, res);
    }
    free(t);
}

/* Waits on w->changed until generation moves past gen or until at_ms. */
static void wait_change(wardd *w, uint64_t gen, int64_t at_ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(at_ms / 1000);
    ts.tv_nsec = (long)(at_ms % 1000) * 1000000L;
    wardd_metric_waiting(1);
    pthread_mutex_lock(&w->mu);
    while (!w->stopping && w->generation == gen) {
        if (pthread_cond_timedwait(&w->changed, &w->mu, &ts) == ETIMEDOUT) {
            break;
        }
    }
    pthread_mutex_unlock(&w->mu);
    wardd_metric_waiting(-1);
}

void wardd_notify(wardd *w)
{
    pthread_mutex_lock(&w->mu);
    w->generation++;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->mu);
}

void wardd_h_task_status(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    long wait_s = 0;
    const char *ws = r->arg(r->ctx, "wait");
    if (ws != NULL) {
        char *end = NULL;
        wait_s = strtol(ws, &end, 10);
        if (*ws == '\0' || *end != '\0' || wait_s < 0) {
            wardd_fail(out, 400, "format", "wait: seconds expected");
            return;
        }
        if (wait_s > WARDD_WAIT_MAX_S) {
            wait_s = WARDD_WAIT_MAX_S;
        }
    }
    wardd_task *t = malloc(sizeof *t);
    if (t == NULL) {
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    int64_t deadline = wardd_now_ms() + wait_s * 1000;
    for (;;) {
        /* Read the generation first: a confirm after this is not missed. */
        pthread_mutex_lock(&w->mu);
        uint64_t gen = w->generation;
        bool stopping = w->stopping;
        pthread_mutex_unlock(&w->mu);
        if (!load_task(w, r->param, t, out)) {
            break;
        }
        if (s.is_lock || strcmp(s.id, t->uid) != 0) {
            wardd_fail(out, 403, "forbidden", "not this task's uploader");
            break;
        }
        int64_t now = wardd_now_ms();
        const char *state = state_name(t, now);
        if (strcmp(state, "sealed") != 0 || now >= deadline || stopping) {
            cJSON *res = cJSON_CreateObject();
            cJSON_AddStringToObject(res, "state", state);
            if (t->state == WARDD_TASK_BOUND) {
                cJSON_AddNumberToObject(res, "role", t->role);
            }
            wardd_reply(out, 200, res);
            break;
        }
        wait_change(w, gen, t->expires_ms < deadline ? t->expires_ms : deadline);
    }
    free(t);
}

void wardd_h_confirm_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    if (!s.is_lock) {
        wardd_fail(out, 403, "forbidden", "confirmations come from locks");
        return;
    }
    cJSON *j = NULL;
    if (!wardd_json_body(r, &j, out)) {
        return;
    }
    uint8_t msg[WARD_BIND_CONFIRM_MAX];
    size_t len = 0;
    bool ok = wardd_json_b64(j, "confirm", msg, 1, sizeof msg, &len);
    cJSON_Delete(j);
    if (!ok) {
        wardd_fail(out, 400, "format", "confirm: base64 message expected");
        return;
    }
    /* The core checks the lock's signature with its registered key. */
    ward_bind_confirm c;
    ward_err err = ward_bind_confirm_verify(w->cp, s.pub, msg, len, &c);
    if (err == WARD_ERR_AUTH) {
        wardd_log("warn", "confirm_refused", "reason=signature sn=%s", s.id);
        wardd_fail(out, 401, "auth", "confirmation signature refused");
        return;
    }
    if (err != WARD_OK) {
        wardd_fail(out, 400, "format", "confirmation malformed");
        return;
    }
    if (c.sn_len != strlen(s.id) || memcmp(c.sn, s.id, c.sn_len) != 0 ||
        c.uid_len > WARD_UID_MAX) {
        wardd_fail(out, 403, "forbidden", "confirmation is for another lock");
        return;
    }
    char uid[WARD_UID_MAX + 1];
    memcpy(uid, c.uid, c.uid_len);
    uid[c.uid_len] = '\0';

    wardd_task *t = malloc(sizeof *t);
    if (t == NULL) {
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    err = w->store.task_get(w->store.h, c.tid, t);
    if (err != WARD_OK) {
        if (err == WARD_ERR_NOTFOUND) {
            wardd_fail(out, 404, "notfound", "no such task");
        } else {
            wardd_fail_store(out, err);
        }
        free(t);
        return;
    }
    uint8_t client_pub[WARD_P256_POINT_LEN];
    if (strcmp(t->sn, s.id) != 0 || strcmp(t->uid, uid) != 0) {
        wardd_fail(out, 403, "forbidden", "task is not this lock's or this user's");
        goto done;
    }
    err = w->store.user_get(w->store.h, uid, NULL, client_pub);
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        goto done;
    }
    if (memcmp(client_pub, c.client_pub, sizeof client_pub) != 0) {
        wardd_fail(out, 403, "forbidden", "client key is not the user's");
        goto done;
    }
    if (t->state == WARDD_TASK_BOUND) {
        reply_bound(out, uid, t->role);
        goto done;
    }
    int64_t now = wardd_now_ms();
    if (now >= t->expires_ms) {
        wardd_fail(out, 410, "expired", "task expired");
        goto done;
    }
    wardd_confirm_rec rec;
    memcpy(rec.tid, c.tid, sizeof rec.tid);
    rec.sn = s.id;
    rec.uid = uid;
    rec.role = c.role;
    rec.escrow = c.escrow;
    rec.escrow_len = WARD_ESCROW_LEN;
    rec.now_ms = now;
    err = w->store.confirm(w->store.h, &rec);
    if (err == WARD_ERR_STATE) {
        /* A concurrent repeat landed first: answer with what it recorded. */
        if (w->store.task_get(w->store.h, c.tid, t) == WARD_OK) {
            reply_bound(out, uid, t->role);
        } else {
            wardd_fail_store(out, WARD_ERR_IO);
        }
        goto done;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        goto done;
    }
    wardd_log("info", "bound", "sn=%s uid=%s role=%u", s.id, uid, c.role);
    wardd_notify(w);
    reply_bound(out, uid, c.role);
done:
    free(t);
}
