/* Flow B's plumbing: signed calls to wardd and their long-polls, status to error mapping, lock records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops_inner.h"

#define LOCKS_DIR "locks"

void ward_app_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n-- > 0) {
        *v++ = 0;
    }
}

ward_err ward_app_call(ward_app *app, const char *method, const char *target,
                       const char *body, ward_http_response *resp)
{
    ward_http_signer s;
    ward_app_http_signer(app, &s);
    ward_err err = ward_http_request(&app->host, app->server, method, target,
                                     (const uint8_t *)body,
                                     body != NULL ? strlen(body) : 0, &s,
                                     resp);
    /* No answer: said as every wardd call says it (ward_http_outcome);
     * an answer, whatever its status, is the caller's to read. */
    char why[WARD_APP_ERROR_MAX];
    if (err != WARD_OK && ward_http_outcome(err, resp, app->server, why, sizeof why) != 0) {
        return ward_app_fail(app, WARD_ERR_IO, "%s", why);
    }
    return err;
}

void ward_app_server_message(const ward_http_response *resp, char *out,
                             size_t cap)
{
    cJSON *o = cJSON_ParseWithLength(resp->body, resp->body_len);
    /* One line with no terminal control: wardd's text is not trusted. */
    ward_http_text(out, cap, ward_json_str(o, "message"));
    cJSON_Delete(o);
}

ward_err ward_app_status_fail(ward_app *app, const ward_http_response *resp,
                              const char *what)
{
    char msg[96];
    ward_err err;
    ward_app_server_message(resp, msg, sizeof msg);
    switch (resp->status) {
    case 401: err = WARD_ERR_AUTH; break;
    case 403: err = WARD_ERR_PARAM; break;
    case 404: err = WARD_ERR_NOTFOUND; break;
    case 410: err = WARD_ERR_EXPIRED; break;
    case 429: err = WARD_ERR_BUSY; break;
    default: err = resp->status >= 500 ? WARD_ERR_IO : WARD_ERR_FORMAT; break;
    }
    return ward_app_fail(app, err, "%s: wardd answered %ld%s%s", what,
                         resp->status, msg[0] != '\0' ? ": " : "", msg);
}

ward_err ward_app_get_sealed(ward_app *app, const char *target, const char *what,
                             const char *malformed, const char *forged, long *status,
                             char state[16],
                             uint8_t *res, size_t cap, size_t *res_len, bool *has_result)
{
    ward_http_response r;
    *status = 0;
    state[0] = '\0';
    *res_len = 0;
    *has_result = false;
    ward_err err = ward_app_call(app, "GET", target, NULL, &r);
    if (err != WARD_OK) {
        return err;
    }
    *status = r.status;
    if (r.status != 200) {
        err = ward_app_status_fail(app, &r, what);
        ward_http_response_free(&r);
        return err;
    }
    cJSON *o = cJSON_ParseWithLength(r.body, r.body_len);
    const char *st = ward_json_str(o, "state");
    const char *b64 = ward_json_str(o, "result");
    if (st == NULL || strlen(st) >= 16) {
        err = ward_app_fail(app, WARD_ERR_FORMAT, "%s", malformed);
    } else {
        memcpy(state, st, strlen(st) + 1);
        /* An empty result is none: nothing sealed came yet. */
        *has_result = b64 != NULL && b64[0] != '\0';
        if (*has_result &&
            ward_b64_decode(b64, strlen(b64), res, cap, res_len) != WARD_OK) {
            *res_len = 0;
            err = ward_app_fail(app, WARD_ERR_AUTH, "%s", forged);
        }
    }
    cJSON_Delete(o);
    ward_http_response_free(&r);
    return err;
}

bool ward_app_bound(ward_app *app, const char *sn, int *role)
{
    ward_app_lock l;
    bool ok = ward_app_lock_get(app, sn, &l) == WARD_OK && l.bound;
    if (ok && role != NULL) {
        *role = l.role;
    }
    ward_app_wipe(&l, sizeof l);
    return ok;
}

char *ward_app_lock_file(const ward_app *app, const char *sn)
{
    char *dir = ward_path_join(app->dir, LOCKS_DIR);
    char name[WARD_SN_MAX + 8];
    char *path = NULL;
    if (dir != NULL) {
        snprintf(name, sizeof name, "%s.json", sn);
        path = ward_path_join(dir, name);
    }
    free(dir);
    return path;
}

int ward_app_role_json(const cJSON *r)
{
    if (cJSON_IsNumber(r) && r->valuedouble >= 0 && r->valuedouble <= 2 &&
        r->valuedouble == (double)r->valueint) {
        return r->valueint;
    }
    if (cJSON_IsString(r)) {
        for (int i = 0; i <= 2; i++) {
            if (strcmp(r->valuestring, ward_role_name(i)) == 0) {
                return i;
            }
        }
    }
    return -1;
}

static ward_err now_ms(ward_app *app, uint64_t *t)
{
    *t = 0;
    ward_err err = app->host.clock.now_ms(app->host.clock.ctx, t);
    if (err != WARD_OK) {
        return ward_app_fail(app, err, "the clock failed (%s)", ward_strerror(err));
    }
    return WARD_OK;
}

ward_err ward_app_long_poll(ward_app *app, unsigned wait_s, ward_app_poll_fn step, void *ctx,
                            bool *done)
{
    uint64_t start = 0, end = 0;
    *done = false;
    ward_err err = now_ms(app, &start);
    if (err != WARD_OK) {
        return err;
    }
    uint64_t deadline = start + (uint64_t)wait_s * 1000u;
    /* Each round takes at least a second of the clock, so a clock that
     * works ends the wait within wait_s + 1 rounds; one that stands still
     * must not keep us here. */
    for (unsigned round = 0; round <= wait_s; round++) {
        if ((err = now_ms(app, &start)) != WARD_OK) {
            return err;
        }
        if (start >= deadline) {
            return WARD_OK;
        }
        uint64_t left = (deadline - start + 999u) / 1000u;
        unsigned w = left < WARD_APP_WAIT_MAX ? (unsigned)left : WARD_APP_WAIT_MAX;
        err = step(app, w, ctx, done);
        if (err != WARD_OK || *done) {
            return err;
        }
        if ((err = now_ms(app, &end)) != WARD_OK) {
            return err;
        }
        /* A server that answers a long-poll at once must not make us spin. */
        if (end < start + 1000u) {
            struct timespec ts = { 1, 0 };
            nanosleep(&ts, NULL);
        }
    }
    return WARD_OK;
}
