/* Flow A's calls to wardd: registration, phone verification, the bind-task upload and its status, escrow recovery. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ward/ward_httpsig.h"
#include "ops_inner.h"
#include "cloud_inner.h"

ward_err ward_app_register(ward_app *app, bool *verified, ward_app_reply *rep)
{
    char *body = NULL;
    ward_http_response r;
    *verified = false;
    if (rep != NULL) {
        memset(rep, 0, sizeof *rep);
    }
    if (ward_app_register_json(app, &body) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_NOSPACE, "out of memory");
    }
    ward_err err = ward_app_cloud_call(app, "POST", "/v1/users", body, &r, rep);
    free(body);
    if (err == WARD_OK) {
        cJSON *o = cJSON_ParseWithLength(r.body, r.body_len);
        *verified = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "verified"));
        cJSON_Delete(o);
    }
    ward_http_response_free(&r);
    return err;
}

ward_err ward_app_verify(ward_app *app, const char *code, ward_app_reply *rep)
{
    char *body = NULL;
    ward_http_response r;
    if (rep != NULL) {
        memset(rep, 0, sizeof *rep);
    }
    ward_err err = ward_app_verify_json(app, code, &body);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_app_cloud_call(app, "POST", "/v1/users/verify", body, &r, rep);
    /* The only copy of the code made. */
    ward_app_wipe(body, strlen(body));
    free(body);
    ward_http_response_free(&r);
    return err;
}

ward_err ward_app_bind_upload(ward_app *app, const char *upload, const char *sn,
                              const char *tid_hex, ward_app_upload *u)
{
    ward_http_response r;
    uint8_t tid[WARD_TASK_ID_LEN];
    size_t got = 0;
    memset(u, 0, sizeof *u);
    if (tid_hex == NULL || strlen(tid_hex) != 2 * WARD_TASK_ID_LEN ||
        ward_hex_decode(tid_hex, strlen(tid_hex), tid, sizeof tid, &got) != WARD_OK ||
        got != sizeof tid) {
        return ward_app_fail(app, WARD_ERR_PARAM, "lock %s: bad task id", sn);
    }
    ward_err err = ward_app_cloud_call(app, "POST", "/v1/bind/tasks", upload, &r, &u->reply);
    if (err == WARD_OK) {
        ward_app_upload_parse(r.body, r.body_len, &u->expires);
    }
    ward_http_response_free(&r);
    /* A refusal (4xx, 429 too): wardd holds no such task, so the record
     * begun for it could only wait for a binding that cannot come. */
    if (err != WARD_OK && u->reply.status >= 400 && u->reply.status < 500) {
        char why[WARD_APP_ERROR_MAX];
        snprintf(why, sizeof why, "%s", app->error);
        u->dropped = ward_app_lock_expired(app, sn, tid) == WARD_OK;
        snprintf(app->error, sizeof app->error, "%s", why);
    }
    return err;
}

ward_err ward_app_task_status(ward_app *app, const uint8_t tid[WARD_TASK_ID_LEN],
                              unsigned wait_s, ward_app_task *t)
{
    char hex[2 * WARD_TASK_ID_LEN + 1], target[96];
    ward_http_response r;
    memset(t, 0, sizeof *t);
    t->role = -1;
    WARD_ASSERT(ward_hex_encode(tid, WARD_TASK_ID_LEN, hex, sizeof hex) == WARD_OK);
    snprintf(target, sizeof target, "/v1/bind/tasks/%s/status?wait=%u", hex,
             wait_s < WARD_APP_CLOUD_WAIT_MAX ? wait_s : WARD_APP_CLOUD_WAIT_MAX);
    ward_err err = ward_app_cloud_call(app, "GET", target, NULL, &r, &t->reply);
    if (err == WARD_OK) {
        ward_app_task_parse(r.body, r.body_len, t);
    } else if (t->reply.status == 404) {
        /* Expired and purged: what wardd says of a task it never had. */
        t->state = WARD_APP_TASK_UNKNOWN;
        app->error[0] = '\0';
        err = WARD_OK;
    }
    ward_http_response_free(&r);
    return err;
}

static uint64_t now_ms(ward_app *app)
{
    uint64_t t = 0;
    if (app->host.clock.now_ms == NULL ||
        app->host.clock.now_ms(app->host.clock.ctx, &t) != WARD_OK) {
        return 0;
    }
    return t;
}

ward_err ward_app_bind_wait(ward_app *app, const char *sn, const uint8_t tid[WARD_TASK_ID_LEN],
                            unsigned wait_s, ward_app_task *t)
{
    unsigned step = wait_s < WARD_APP_CLOUD_WAIT_MAX ? wait_s : WARD_APP_CLOUD_WAIT_MAX;
    unsigned waited = 0;
    ward_err err = WARD_OK;
    /* At most wait_s / 30 + 1 questions: each is counted as the wait it
     * asked for, whether or not wardd used it. */
    for (;;) {
        uint64_t start = now_ms(app);
        err = ward_app_task_status(app, tid, step, t);
        if (err != WARD_OK) {
            return err;
        }
        if (t->state != WARD_APP_TASK_WAITING) {
            break;
        }
        waited += step;
        if (waited >= wait_s) {
            return WARD_OK;
        }
        /* A wardd that answers a long-poll at once must not make us spin. */
        if (now_ms(app) < start + 1000u) {
            struct timespec ts = { 1, 0 };
            nanosleep(&ts, NULL);
        }
    }
    if (t->state == WARD_APP_TASK_BOUND) {
        int role = t->role >= 0 ? t->role : (int)WARD_ROLE_MEMBER;
        return ward_app_lock_bound(app, sn, tid, role);
    }
    err = ward_app_lock_expired(app, sn, tid);
    t->dropped = err == WARD_OK;
    if (err == WARD_ERR_NOTFOUND) {
        app->error[0] = '\0';
        err = WARD_OK;
    }
    return err;
}

ward_err ward_app_recover_fetch(ward_app *app, size_t *opened, ward_app_reply *rep)
{
    ward_http_response r;
    *opened = 0;
    ward_err err = ward_app_cloud_call(app, "GET", "/v1/escrow", NULL, &r, rep);
    if (err == WARD_OK) {
        err = ward_app_recover_escrows(app, r.body, r.body_len, opened);
    }
    ward_http_response_free(&r);
    return err;
}
