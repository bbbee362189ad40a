/* `ward lock request`, `ward lock audit`: the lock asking its bound apps
 * for permission through wardd (flow B), and its own record of what it
 * did. The device core (ward_op.h) decides; this file carries bytes. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "cli.h"
#include "json_out.h"
#include "lockdir.h"
#include "lockops.h"
#include "ward/ward.h"
#include "ward/ward_app.h"
#include "ward/ward_app_ops.h"
#include "ward/ward_op.h"

#define MSG_MAX 256
#define TOKEN_LEN 16
#define POLL_S 25u
/* While wardd cannot be reached or fails (a restart, say), the fetches
 * back off from 1 s, doubling, to at most this; the request's own
 * deadline bounds them all. */
#define BACKOFF_MAX_S 8u

const char *lockops_op_name(uint8_t op)
{
    const char *name = ward_app_op_name(op);
    return name ? name : "unknown";
}

int lockops_op_code(const char *name, uint8_t *op)
{
    *op = strcmp(name, "add") == 0 ? (uint8_t)WARD_OP_ADD_CLIENT : ward_app_op_code(name);
    return *op != 0 ? 0 : -1;
}

void lockops_act(const lockdir *ld, const ward_op_outcome *o)
{
    /* The actuator of this simulated lock is its standard output. */
    if (o->execute) {
        printf("[%s] %s: %s, allowed by %.*s\n", ld->sn,
               o->op == WARD_OP_UNLOCK ? "*** DOOR UNLOCKED ***" : "executing",
               lockops_op_name(o->op), (int)o->uid_len, (const char *)o->uid);
    }
    fflush(stdout);
}

/* Posts the OP_RESULT with the request's capability token. On the lock's
 * own host, which has no stop hook: the door has acted (or refused), and
 * a stop signal now must not keep the app from hearing so. */
static void post_result(lockdir *ld, const char *op_id, const char *token_hex,
                        const uint8_t *res, size_t res_len)
{
    if (res_len == 0) {
        return;
    }
    char target[128], why[MSG_MAX];
    snprintf(target, sizeof target, "/v1/ops/%s/result?token=%s", op_id, token_hex);
    ward_http_response resp;
    long status = api_post_blob(&ld->host, ld->server, target, "result", res, res_len,
                                NULL, NULL, NULL, &resp, why, sizeof why);
    if (status != 0) {
        fprintf(stderr, "ward: the result did not reach wardd: %s\n", why);
    }
    ward_http_response_free(&resp);
}

/* Gives the request up at wardd, so no app is offered it any more. Signed
 * with the lock's key; sent even after a stop signal (the lock's host has
 * no stop hook: only the long-poll's copy does). */
static void withdraw(lockdir *ld, const char *op_id)
{
    char target[96], why[MSG_MAX];
    ward_http_signer signer;
    lockdir_signer(ld, &signer);
    snprintf(target, sizeof target, "/v1/ops/%s/withdraw", op_id);
    ward_http_response resp;
    long status = api_call(&ld->host, ld->server, "POST", target, "{}", &signer, &resp, why,
                           sizeof why);
    ward_http_response_free(&resp);
    if (status != 0) {
        fprintf(stderr, "ward: could not withdraw the request at wardd (%s): apps may still "
                "see it until it expires, and the lock refuses any answer to it\n", why);
    } else {
        fprintf(stderr, "ward: request withdrawn: no app is offered it any more\n");
    }
}

/* What one page of answers came to. */
typedef enum { PAGE_NONE, PAGE_DECIDED, PAGE_FAILED } page_end;

typedef struct answers_ctx {
    lockdir *ld;
    ward_op_lock *op;
    unsigned refused;
    ward_op_outcome *out;
    page_end end;
    bool decided;       /* the core decided (a result was made): no withdraw */
    bool expired;       /* ... that the answer came too late */
    bool held;          /* the lock's store is taken for this page */
    uint8_t res[WARD_OP_RESULT_MAX];  /* the result to post, once released */
    size_t res_len;
    int rc;
} answers_ctx;

/* One answer: the first that verifies decides; every one the lock
 * refuses is counted, and the request stays for the next. The store is
 * taken at the first answer to check and kept for the rest of the page. */
static int on_answer(void *ctx, long long n, const char *from, const uint8_t *approval,
                     size_t len)
{
    answers_ctx *a = ctx;
    /* Who answered, as wardd says: any bytes it likes, printed escaped. */
    char who[WARD_UID_MAX + 8];
    ward_http_text(who, sizeof who, from);
    if (approval == NULL) {
        a->refused++;
        fprintf(stderr, "ward: answer %lld (from %s) is not a ward message: ignored\n", n,
                who);
        return 0;
    }
    if (!a->held) {
        if ((a->rc = lockdir_reacquire(a->ld)) != 0) {
            a->end = PAGE_FAILED;
            return 1;
        }
        a->held = true;
    }
    ward_err err = ward_op_lock_accept(&a->ld->lock, a->op, approval, len, a->out, a->res,
                                       sizeof a->res, &a->res_len);
    if (err == WARD_OK || err == WARD_ERR_EXPIRED) {
        /* Decided; the result is posted once the store is let go. */
        a->end = err == WARD_OK ? PAGE_DECIDED : PAGE_FAILED;
        a->expired = err == WARD_ERR_EXPIRED;
        a->decided = true;
        return 1;
    }
    a->res_len = 0;
    if (err != WARD_ERR_AUTH && err != WARD_ERR_FORMAT) {
        a->rc = cli_fail("refused: %s", lockdir_strerror(a->ld, err));
        a->end = PAGE_FAILED;
        return 1;
    }
    a->refused++;
    fprintf(stderr, "ward: answer %lld (from %s) does not verify with the lock's keys "
            "(forged, altered, replayed or for another request): ignored\n", n, who);
    return 0;
}

/* Waits for answers to op_id and has the core check each, until one
 * verifies, the time is up, a stop signal, or a failure: every end that
 * is not the core's decision withdraws the request at wardd. Never
 * faster than one fetch a second when wardd answers at once with nothing
 * usable; while wardd is unreachable or failing (restarted: the request
 * is in its database and goes on), the fetches back off up to
 * BACKOFF_MAX_S, said once per outage. */
static int await_answer(lockdir *ld, ward_op_lock *op, const char *op_id,
                        const char *token_hex, unsigned timeout_s, ward_op_outcome *out)
{
    char target[192], why[MSG_MAX];
    time_t deadline = time(NULL) + (time_t)timeout_s;
    long long after = 0;
    /* A stop signal ends a long-poll at once: the hook is on this copy
     * of the host only, never on what posts a result or a withdrawal. */
    ward_host poll_host = ld->host;
    poll_host.cancelled = cli_cancelled;
    poll_host.cancel_ctx = NULL;
    answers_ctx a;
    memset(&a, 0, sizeof a);
    a.ld = ld;
    a.op = op;
    a.out = out;
    a.end = PAGE_NONE;
    unsigned backoff_s = 1;
    bool down = false;
    for (;;) {
        time_t left = deadline - time(NULL);
        if (cli_stopping) {
            withdraw(ld, op_id);
            return cli_fail("stopped before an answer: %s not done",
                            lockops_op_name(op->op));
        }
        /* Each member answers once, so an honest wardd hands on at most as
         * many answers as the lock has clients: more than twice the most it
         * can hold (WARD_MAX_CLIENTS) means wardd is making them up. */
        if (left <= 0 || a.refused > 2u * WARD_MAX_CLIENTS) {
            withdraw(ld, op_id);
            if (a.refused > 0) {
                return cli_fail("refused: no answer that verifies within %u s (%u answer%s "
                                "refused): %s not done", timeout_s, a.refused,
                                a.refused == 1 ? "" : "s", lockops_op_name(op->op));
            }
            return cli_fail("no answer within %u s: %s not done", timeout_s,
                            lockops_op_name(op->op));
        }
        snprintf(target, sizeof target, "/v1/ops/%s/answer?token=%s&wait=%u&after=%lld",
                 op_id, token_hex, left < (time_t)POLL_S ? (unsigned)left : POLL_S, after);
        time_t t0 = time(NULL);
        ward_http_response resp;
        long status = api_call(&poll_host, ld->server, "GET", target, NULL, NULL, &resp,
                               why, sizeof why);
        if (status == 410) {
            ward_http_response_free(&resp);
            if (a.refused > 0) {
                return cli_fail("refused: the request expired (or was withdrawn) before an "
                                "answer that verifies (%u refused): %s not done", a.refused,
                                lockops_op_name(op->op));
            }
            return cli_fail("no answer before the request expired (or was withdrawn) at "
                            "wardd: %s not done", lockops_op_name(op->op));
        }
        if (status == 0 && api_each_entry(&resp, "answers", "n", "approval", "uid", &after,
                                        on_answer, &a) < 0) {
            fprintf(stderr, "ward: wardd sent a malformed answer list: ignored\n");
        } else if (status != 0 && status != 404 && status >= 0 && status < 500 &&
                   !cli_stopping) {
            fprintf(stderr, "ward: waiting for the answer: %s\n", why);
        }
        bool failing = (status < 0 || status >= 500) && !cli_stopping;
        if (failing && !down) {
            fprintf(stderr, "ward: waiting for the answer: %s; trying again, at most every "
                    "%u s, until the request's time is up\n", why, BACKOFF_MAX_S);
        } else if (!failing && down) {
            fprintf(stderr, "ward: wardd answers again: still waiting for the answer\n");
            backoff_s = 1;
        }
        down = failing;
        ward_http_response_free(&resp);
        /* The page is walked: other ward processes (the near-field door)
         * may have the store until the next one. */
        if (a.held) {
            lockdir_release(ld);
            a.held = false;
        }
        if (a.decided) {
            post_result(ld, op_id, token_hex, a.res, a.res_len);
        }
        if (a.expired) {
            a.rc = cli_fail("refused: the answer came after the request expired");
        }
        if (a.end == PAGE_DECIDED) {
            return 0;
        }
        if (a.end == PAGE_FAILED) {
            /* Given up without a decision (the store could not be taken,
             * the core failed): no app is to be offered it any more. */
            if (!a.decided) {
                withdraw(ld, op_id);
            }
            return a.rc;
        }
        /* Never faster than a fetch a second, whatever wardd answers;
         * slower and slower while it fails. */
        if (down) {
            time_t rest = deadline - time(NULL);
            cli_nap(1000u * (rest < (time_t)backoff_s ? (rest > 0 ? (unsigned)rest : 0u)
                                                      : backoff_s));
            backoff_s = backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff_s * 2;
        } else if (time(NULL) - t0 < 1) {
            cli_nap(1000);
        }
    }
}

int lockops_remote(lockdir *ld, uint8_t code, const char *user, unsigned timeout_s,
                   unsigned ttl_s, ward_op_outcome *out)
{
    ward_op_lock op;
    memset(&op, 0, sizeof op);
    uint8_t req[WARD_OP_REQUEST_MAX], token[TOKEN_LEN], hash[WARD_SHA256_LEN];
    size_t req_len = 0;
    ward_err err = ward_op_lock_request_within(&ld->lock, &op, code, (const uint8_t *)user,
                                               user ? strlen(user) : 0, ttl_s * 1000u, req,
                                               sizeof req, &req_len);
    if (err == WARD_ERR_NOTFOUND) {
        return cli_fail("user %s is not bound to this lock", user);
    }
    if (err != WARD_OK) {
        return cli_fail("cannot make the request: %s", lockdir_strerror(ld, err));
    }
    /* The capability that lets this lock, and only it, fetch the answer. */
    ward_iov part = { token, sizeof token };
    char token_hex[2 * TOKEN_LEN + 1], hash_hex[2 * WARD_SHA256_LEN + 1];
    if (ld->host.rng.fill(ld->host.rng.ctx, token, sizeof token) != WARD_OK ||
        ld->host.crypto->sha256(&part, 1, hash) != WARD_OK) {
        return cli_fail("no randomness for the request token");
    }
    WARD_ASSERT(ward_hex_encode(token, sizeof token, token_hex, sizeof token_hex) == WARD_OK);
    WARD_ASSERT(ward_hex_encode(hash, sizeof hash, hash_hex, sizeof hash_hex) == WARD_OK);

    ward_http_signer signer;
    lockdir_signer(ld, &signer);
    ward_http_response resp;
    char why[MSG_MAX], op_id[WARD_APP_OP_ID_MAX + 1];
    long status = api_post_blob(&ld->host, ld->server, "/v1/ops", "request", req, req_len,
                                "token_hash", hash_hex, &signer, &resp, why, sizeof why);
    int rc = 0;
    if (status != 0) {
        rc = cli_fail("asking the apps: %s", why);
    } else if (api_json_str(&resp, "op_id", op_id, sizeof op_id) != 0 || op_id[0] == '\0' ||
               strspn(op_id, "0123456789abcdef") != strlen(op_id)) {
        /* It is printed and goes into this lock's URLs: hex or nothing. */
        rc = cli_fail("wardd gave no operation id (or not one of lower-case hex)");
    }
    ward_http_response_free(&resp);
    if (rc != 0) {
        return rc;
    }
    printf("asked %s to allow %s (operation %s); waiting up to %u s\n",
           user ? user : "the bound apps", lockops_op_name(code), op_id, timeout_s);
    fflush(stdout);
    /* Let other ward processes use the lock's state while the person
     * decides; the request itself stays in this process's memory only.
     * A stop signal ends the wait, and the request is withdrawn. */
    lockdir_release(ld);
    cli_catch_stop();
    return await_answer(ld, &op, op_id, token_hex, timeout_s, out);
}

int cmd_lock_request(int argc, char **argv)
{
    const char *dir = NULL, *opname = NULL, *user = NULL, *timeout = NULL, *ttl = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "op", true, &opname },
        { "user", true, &user }, { "timeout", true, &timeout }, { "ttl", true, &ttl },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, 5, NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    uint8_t code = 0;
    if (dir == NULL || opname == NULL) {
        return cli_usage("usage: ward lock request --dir D --op unlock|intercom|video|add "
                         "[--user U] [--timeout S] [--ttl S]");
    }
    if (lockops_op_code(opname, &code) != 0) {
        return cli_usage("unknown operation '%s' (unlock, intercom, video, add)", opname);
    }
    unsigned timeout_s = 0, ttl_s = 0;
    if ((rc = cli_seconds_opt("timeout", timeout, 60, &timeout_s)) != 0 ||
        (rc = cli_seconds_opt("ttl", ttl, 0, &ttl_s)) != 0) {
        return rc;
    }
    /* 0, or more than a request lives: as long as it lives. */
    if (timeout_s == 0 || timeout_s > WARD_OP_TTL_MS / 1000) {
        timeout_s = WARD_OP_TTL_MS / 1000;
    }
    lockdir ld;
    if ((rc = lockdir_open(&ld, dir, false, NULL, NULL)) != 0) {
        return rc;
    }
    ward_op_outcome out;
    memset(&out, 0, sizeof out);
    rc = lockops_remote(&ld, code, user, timeout_s, ttl_s, &out);
    if (rc == 0) {
        lockops_act(&ld, &out);
        if (!out.execute) {
            rc = cli_fail("refused: %.*s denied the %s", (int)out.uid_len,
                          (const char *)out.uid, lockops_op_name(out.op));
        } else {
            printf("executed: %s allowed by %.*s\n", lockops_op_name(out.op),
                   (int)out.uid_len, (const char *)out.uid);
        }
    }
    lockdir_close(&ld);
    return rc;
}

static const char *audit_event_name(uint8_t ev)
{
    switch (ev) {
    case WARD_AUDIT_BIND: return "bind";
    case WARD_AUDIT_REVOKE: return "revoke";
    case WARD_AUDIT_OP_EXECUTED: return "executed";
    case WARD_AUDIT_OP_REFUSED: return "refused";
    case WARD_AUDIT_LOCKOUT: return "lockout";
    case WARD_AUDIT_BIND_UNDONE: return "undone";
    default: return "?";
    }
}

int cmd_lock_audit(int argc, char **argv)
{
    const char *dir = NULL, *json = NULL;
    const cli_option opts[] = { { "dir", true, &dir }, { "json", false, &json } };
    int npos = 0, rc = cli_parse(argc, argv, opts, 2, NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: ward lock audit --dir D [--json]");
    }
    if (json != NULL) {
        cli_json_begin();
    }
    lockdir ld;
    if ((rc = lockdir_open_readonly(&ld, dir)) != 0) {
        return rc;
    }
    size_t pos = 0;
    ward_audit_event ev;
    int n = 0;
    ward_err err;
    cJSON *doc = json != NULL ? cJSON_CreateObject() : NULL;
    cJSON *list = doc != NULL ? cJSON_AddArrayToObject(doc, "events") : NULL;
    if (doc != NULL) {
        cJSON_AddStringToObject(doc, "sn", ld.sn);
    }
    while ((err = ward_audit_next(&ld.lock, &pos, &ev)) == WARD_OK) {
        bool has_op = ev.event == WARD_AUDIT_OP_EXECUTED || ev.event == WARD_AUDIT_OP_REFUSED;
        if (doc != NULL) {
            char uid[WARD_UID_MAX + 1];
            cJSON *o = cli_json_push(list);
            snprintf(uid, sizeof uid, "%.*s", (int)ev.uid_len, (const char *)ev.uid);
            cJSON_AddNumberToObject(o, "seq", ev.seq);
            cli_json_time(o, "time", (int64_t)ev.time_ms);
            cJSON_AddStringToObject(o, "event", audit_event_name(ev.event));
            cli_json_str_or_null(o, "op", has_op ? lockops_op_name(ev.op) : NULL);
            cli_json_str_or_null(o, "uid", uid);
            n++;
            continue;
        }
        time_t t = (time_t)(ev.time_ms / 1000);
        struct tm tm;
        char when[32];
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("%6u %s %-9s %-10s %.*s\n", ev.seq, when, audit_event_name(ev.event),
               ev.event == WARD_AUDIT_OP_EXECUTED || ev.event == WARD_AUDIT_OP_REFUSED
                   ? lockops_op_name(ev.op) : "-",
               (int)ev.uid_len, (const char *)ev.uid);
        n++;
    }
    if (err != WARD_ERR_NOTFOUND) {
        rc = cli_fail("cannot read the audit ring: %s", lockdir_strerror(&ld, err));
        cJSON_Delete(doc);
    } else if (doc != NULL) {
        rc = cli_json_end(doc);
    } else if (n == 0) {
        printf("no events yet\n");
    }
    lockdir_close(&ld);
    return rc;
}
