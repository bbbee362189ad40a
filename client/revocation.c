/* Revoking a client from the app: seal, post, and follow the revocation
 * until the lock itself answers it (its REVOKE_RESULT, sealed for us). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward/ward_httpsig.h"
#include "ops_inner.h"

#define REVOCATIONS_DIR "revocations"

/* A revocation posted and not yet answered by the lock: kept in
 * revocations/<SN>+<UID>.json ('+' is in neither alphabet), so a later
 * `ward app revoke` follows it instead of posting another. */
typedef struct pending_rev {
    int64_t id;
    uint8_t msg[WARD_REVOKE_MAX];
    size_t len;
} pending_rev;

static char *pending_path(const ward_app *app, const char *sn, const char *target)
{
    char name[WARD_SN_MAX + WARD_UID_MAX + 8];
    snprintf(name, sizeof name, "%s+%s.json", sn, target);
    char *dir = ward_path_join(app->dir, REVOCATIONS_DIR);
    char *path = dir != NULL ? ward_path_join(dir, name) : NULL;
    free(dir);
    return path;
}

static ward_err pending_load(const ward_app *app, const char *sn, const char *target,
                             pending_rev *p)
{
    char *path = pending_path(app, sn, target), *text = NULL;
    size_t len = 0;
    memset(p, 0, sizeof *p);
    ward_err err = path != NULL ? ward_file_read(path, 4096, &text, &len) : WARD_ERR_IO;
    free(path);
    if (err != WARD_OK) {
        return err;
    }
    cJSON *o = cJSON_ParseWithLength(text, len);
    const char *b64 = ward_json_str(o, "revoke");
    p->id = ward_json_int(o, "id", 0);
    if (b64 == NULL || p->id < 1 ||
        ward_b64_decode(b64, strlen(b64), p->msg, sizeof p->msg, &p->len) != WARD_OK) {
        err = WARD_ERR_FORMAT;
    }
    cJSON_Delete(o);
    free(text);
    return err;
}

static ward_err pending_save(ward_app *app, const char *sn, const char *target,
                             const pending_rev *p)
{
    char b64[B64_LEN(WARD_REVOKE_MAX)], *text = NULL;
    char *dir = ward_path_join(app->dir, REVOCATIONS_DIR);
    char *path = pending_path(app, sn, target);
    cJSON *o = cJSON_CreateObject();
    ward_err err = dir != NULL && path != NULL ? ward_mkdir(dir, 0700) : WARD_ERR_IO;
    if (err == WARD_OK) {
        err = ward_b64_encode(p->msg, p->len, b64, sizeof b64);
    }
    if (err == WARD_OK && o != NULL && cJSON_AddStringToObject(o, "sn", sn) &&
        cJSON_AddStringToObject(o, "target", target) &&
        cJSON_AddNumberToObject(o, "id", (double)p->id) &&
        cJSON_AddStringToObject(o, "revoke", b64)) {
        text = cJSON_PrintUnformatted(o);
    }
    if (err == WARD_OK) {
        err = text != NULL ? ward_file_write_atomic(path, text, strlen(text), 0600)
                           : WARD_ERR_IO;
    }
    cJSON_free(text);
    cJSON_Delete(o);
    free(dir);
    free(path);
    return err;
}

static void pending_drop(const ward_app *app, const char *sn, const char *target)
{
    char *path = pending_path(app, sn, target);
    if (path != NULL) {
        unlink(path);
    }
    free(path);
}

/* The roles of docs/protocol.md, checked here too so a person hears why
 * before wardd and the lock refuse. */
static ward_err role_check(ward_app *app, const ward_app_client *me,
                           const ward_app_client *target)
{
    if (me == target) {
        if (me->role == (int)WARD_ROLE_OWNER) {
            return ward_app_fail(app, WARD_ERR_PARAM, "the owner cannot revoke itself");
        }
        return WARD_OK;
    }
    if (me->role == (int)WARD_ROLE_MEMBER) {
        return ward_app_fail(app, WARD_ERR_PARAM, WARD_APP_MSG_NOT_ADMIN);
    }
    if (me->role == (int)WARD_ROLE_ADMIN && target->role != (int)WARD_ROLE_MEMBER) {
        return ward_app_fail(app, WARD_ERR_PARAM, "an admin may revoke only members");
    }
    return WARD_OK;
}

/* POST /v1/revocations; *id is wardd's id of the queued message. */
static ward_err post_revoke(ward_app *app, const char *sn, const char *target,
                            const uint8_t *msg, size_t len, int64_t *id)
{
    char b64[B64_LEN(WARD_REVOKE_MAX)], *body = NULL;
    ward_http_response r;
    ward_err err = ward_b64_encode(msg, len, b64, sizeof b64);
    cJSON *o = cJSON_CreateObject();
    *id = 0;
    if (err == WARD_OK && o != NULL && cJSON_AddStringToObject(o, "sn", sn) &&
        cJSON_AddStringToObject(o, "target", target) &&
        cJSON_AddStringToObject(o, "revoke", b64)) {
        body = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    if (body == NULL) {
        return ward_app_fail(app, WARD_ERR_IO, "out of memory");
    }
    err = ward_app_call(app, "POST", "/v1/revocations", body, &r);
    cJSON_free(body);
    if (err != WARD_OK) {
        return err;
    }
    switch (r.status) {
    case 200: case 201: case 202: {
        cJSON *a = cJSON_ParseWithLength(r.body, r.body_len);
        *id = ward_json_int(a, "inbox_id", 0);
        cJSON_Delete(a);
        if (*id < 1) {
            err = ward_app_fail(app, WARD_ERR_FORMAT,
                                "wardd accepted the revocation but named no message id");
        }
        break;
    }
    case 403: err = ward_app_fail(app, WARD_ERR_PARAM, WARD_APP_MSG_NOT_ADMIN); break;
    case 404:
        err = ward_app_fail(app, WARD_ERR_NOTFOUND, "%s is not a client of lock %s", target,
                            sn);
        break;
    default: err = ward_app_status_fail(app, &r, "cannot revoke"); break;
    }
    ward_http_response_free(&r);
    return err;
}

ward_err ward_app_revoke_seal(ward_app *app, const char *sn,
                              const char *target,
                              const uint8_t tid[WARD_TASK_ID_LEN],
                              const uint8_t key[WARD_AUTH_KEY_LEN],
                              uint8_t *out, size_t cap, size_t *len)
{
    WARD_ASSERT(app != NULL && sn != NULL && target != NULL && tid != NULL &&
                key != NULL && out != NULL && len != NULL);
    *len = 0;
    if (ward_check_sn((const uint8_t *)sn, strlen(sn)) != WARD_OK ||
        ward_check_uid((const uint8_t *)target, strlen(target)) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_FORMAT,
                             "bad lock serial number or user id");
    }
    ward_err err = ward_revoke_seal(app->host.crypto, &app->host.rng, key,
                                    (const uint8_t *)sn, strlen(sn),
                                    (const uint8_t *)app->user,
                                    strlen(app->user),
                                    (const uint8_t *)target, strlen(target),
                                    tid, out, cap, len);
    if (err != WARD_OK) {
        return ward_app_fail(app, err, "cannot seal the revocation (%s)",
                             ward_strerror(err));
    }
    return WARD_OK;
}

ward_err ward_app_revoke_result(ward_app *app, const char *sn, const char *target,
                                const uint8_t *revoke, size_t revoke_len,
                                const uint8_t key[WARD_AUTH_KEY_LEN], const uint8_t *res,
                                size_t res_len, ward_revoke_outcome *out)
{
    WARD_ASSERT(app != NULL && sn != NULL && target != NULL && key != NULL && out != NULL);
    ward_err err = ward_revoke_result_open(app->host.crypto, key, (const uint8_t *)sn,
                                           strlen(sn), revoke, revoke_len,
                                           (const uint8_t *)target, strlen(target), res,
                                           res_len, out);
    if (err == WARD_ERR_PARAM) {
        return ward_app_fail(app, err, "bad lock serial number, user id or revocation");
    }
    if (err != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_AUTH, WARD_APP_MSG_REVOKE_FORGED);
    }
    return WARD_OK;
}

/* What following a revocation needs. */
typedef struct rev_follow {
    const char *sn;
    const char *target;
    const pending_rev *p;
    const uint8_t *key;
    ward_revoke_outcome *out;
} rev_follow;

/* One GET /v1/revocations/{id}?wait= (a ward_app_poll_fn over a
 * rev_follow): *done once the lock answered (out filled), or an error
 * (the revocation is then over too). */
static ward_err poll_revocation(ward_app *app, unsigned wait_s, void *ctx, bool *done)
{
    rev_follow *f = ctx;
    char path[64], state[16];
    uint8_t res[WARD_REVOKE_RESULT_MAX + 3];
    size_t res_len = 0;
    long status = 0;
    bool has_result = false;
    snprintf(path, sizeof path, "/v1/revocations/%lld?wait=%u", (long long)f->p->id, wait_s);
    ward_err err = ward_app_get_sealed(app, path, "cannot follow the revocation",
                                       "the server's revocation state is malformed",
                                       WARD_APP_MSG_REVOKE_FORGED, &status, state, res,
                                       sizeof res, &res_len, &has_result);
    if (status == 404) {
        *done = true;
        return ward_app_fail(app, WARD_ERR_NOTFOUND,
                             "wardd no longer knows revocation %lld: the lock has not "
                             "confirmed it", (long long)f->p->id);
    }
    if (has_result) {
        /* Whatever wardd says the state is, only the lock's seal counts. */
        *done = true;
        if (err == WARD_OK) {
            err = ward_app_revoke_result(app, f->sn, f->target, f->p->msg, f->p->len, f->key,
                                         res, res_len, f->out);
        }
    } else if (err == WARD_OK && strcmp(state, "queued") != 0) {
        *done = true;
        /* wardd's word only: the lock said nothing we could check. */
        err = ward_app_fail(app, WARD_ERR_AUTH,
                            "wardd says the lock took the revocation but did not answer it: "
                            "it could not verify it (is this app still bound there?)");
    }
    return err;
}

/* Seals a REVOKE of target under tid, posts it and remembers it. */
static ward_err send_revoke(ward_app *app, const char *sn, const char *target,
                            const uint8_t tid[WARD_TASK_ID_LEN],
                            const uint8_t key[WARD_AUTH_KEY_LEN], pending_rev *p)
{
    ward_err err = ward_app_revoke_seal(app, sn, target, tid, key, p->msg, sizeof p->msg,
                                        &p->len);
    if (err == WARD_OK) {
        err = post_revoke(app, sn, target, p->msg, p->len, &p->id);
    }
    if (err == WARD_OK && pending_save(app, sn, target, p) != WARD_OK) {
        err = ward_app_fail(app, WARD_ERR_IO,
                            "revocation %lld posted, but cannot remember it in %s",
                            (long long)p->id, app->dir);
    }
    return err;
}

/* The client list's view of target, and this user's, with the roles
 * checked. *tg points into *list (the caller frees it). */
static ward_err find_target(ward_app *app, const char *sn, const char *target,
                            ward_app_client **list, ward_app_client **tg)
{
    ward_app_client *me = NULL;
    size_t count = 0;
    *tg = NULL;
    ward_err err = ward_app_clients(app, sn, list, &count);
    for (size_t i = 0; err == WARD_OK && i < count; i++) {
        if (strcmp((*list)[i].uid, app->user) == 0) {
            me = &(*list)[i];
        }
        if (strcmp((*list)[i].uid, target) == 0) {
            *tg = &(*list)[i];
        }
    }
    if (err == WARD_OK && *tg == NULL) {
        err = ward_app_fail(app, WARD_ERR_NOTFOUND, "%s is not a client of lock %s", target,
                            sn);
    } else if (err == WARD_OK && me == NULL) {
        err = ward_app_fail(app, WARD_ERR_NOTFOUND,
                            "lock %s is not bound to this user at wardd", sn);
    }
    return err == WARD_OK ? role_check(app, me, *tg) : err;
}

ward_err ward_app_revoke(ward_app *app, const char *sn, const char *target, bool from_escrow,
                         unsigned wait_s, ward_revoke_outcome *out)
{
    ward_app_client *list = NULL, *tg = NULL;
    uint8_t key[WARD_AUTH_KEY_LEN];
    pending_rev p;
    bool done = false;
    WARD_ASSERT(app != NULL && sn != NULL && target != NULL && out != NULL);
    memset(key, 0, sizeof key);
    memset(out, 0, sizeof *out);
    if (ward_check_uid((const uint8_t *)target, strlen(target)) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_FORMAT, "bad user id");
    }
    if (ward_check_sn((const uint8_t *)sn, strlen(sn)) != WARD_OK ||
        !ward_app_bound(app, sn, NULL)) {
        return ward_app_fail(app, WARD_ERR_NOTFOUND, "lock %s is not bound to this app", sn);
    }
    ward_err err = ward_app_auth_key(app, sn, from_escrow, key);
    if (err == WARD_OK) {
        /* One posted earlier and not answered yet is followed, not sent
         * again. */
        if (pending_load(app, sn, target, &p) != WARD_OK) {
            err = find_target(app, sn, target, &list, &tg);
            if (err == WARD_OK) {
                err = send_revoke(app, sn, target, tg->tid, key, &p);
            }
        }
    }
    rev_follow f = { sn, target, &p, key, out };
    if (err == WARD_OK) {
        err = ward_app_long_poll(app, wait_s, poll_revocation, &f, &done);
    }
    /* Named by a binding the lock does not have (a tid wardd made up, or
     * the user bound again meanwhile): the lock's own answer names the
     * binding that exists. Once, with that tid. */
    if (err == WARD_OK && done && out->outcome == WARD_REVOKE_STALE && out->has_tid) {
        uint8_t tid[WARD_TASK_ID_LEN];
        memcpy(tid, out->tid, sizeof tid);
        pending_drop(app, sn, target);
        err = send_revoke(app, sn, target, tid, key, &p);
        if (err == WARD_OK) {
            err = ward_app_long_poll(app, wait_s, poll_revocation, &f, &done);
        }
    }
    ward_app_wipe(key, sizeof key);
    free(list);
    /* Forgotten only once it is over (the lock answered, or wardd forgot
     * it): a refusal of the follow-up (429, 401, a malformed state) is no
     * answer from the lock, and the next run follows the same REVOKE
     * rather than post a second one. */
    if (done) {
        pending_drop(app, sn, target);
    }
    if (err == WARD_OK && !done && wait_s == 0) {
        return ward_app_fail(app, WARD_ERR_EXPIRED,
                             "%s: wardd queued it as revocation %lld (not waited for the "
                             "lock's answer); run the same command again to follow it",
                             WARD_APP_MSG_UNCONFIRMED, (long long)p.id);
    }
    if (err == WARD_OK && !done) {
        return ward_app_fail(app, WARD_ERR_EXPIRED,
                             "%s: wardd queued it as revocation %lld, but the lock has not "
                             "answered within %u s (is it running?); run the same "
                             "command again to keep waiting",
                             WARD_APP_MSG_UNCONFIRMED, (long long)p.id, wait_s);
    }
    /* Revoked oneself, as the lock says: the record (and its key) goes,
     * and a rebinding begun beside it too (a later status poll would
     * otherwise make it the binding in use). */
    if (err == WARD_OK && out->outcome == WARD_REVOKE_DONE && strcmp(target, app->user) == 0 &&
        ward_app_lock_remove(app, sn) != WARD_OK) {
        err = ward_app_fail(app, WARD_ERR_IO,
                            "revoked, but cannot remove the records of lock %s", sn);
    }
    if (err == WARD_OK) {
        app->error[0] = '\0';
    }
    return err;
}
