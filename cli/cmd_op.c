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
#include "lockdir.h"
#include "lockops.h"
#include "ward/ward.h"
#include "ward/ward_app.h"
#include "ward/ward_app_ops.h"
#include "ward/ward_op.h"

#define MSG_MAX 256
#define TOKEN_LEN 16
#define POLL_S 25u

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

/* Posts the OP_RESULT with the request's capability token. */
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

/* Waits for the answer to op_id and has the core check it. */
static int await_answer(lockdir *ld, ward_op_lock *op, const char *op_id,
                        const char *token_hex, unsigned timeout_s, ward_op_outcome *out)
{
    char target[160], why[MSG_MAX];
    time_t deadline = time(NULL) + (time_t)timeout_s;
    for (;;) {
        time_t left = deadline - time(NULL);
        if (left <= 0) {
            return cli_fail("no answer within %u s: %s not done", timeout_s,
                            lockops_op_name(op->op));
        }
        snprintf(target, sizeof target, "/v1/ops/%s/answer?token=%s&wait=%u", op_id,
                 token_hex, left < (time_t)POLL_S ? (unsigned)left : POLL_S);
        ward_http_response resp;
        long status = api_call(&ld->host, ld->server, "GET", target, NULL, NULL, &resp,
                               why, sizeof why);
        if (status == 404) {
            ward_http_response_free(&resp);
            continue;
        }
        if (status == 410) {
            ward_http_response_free(&resp);
            return cli_fail("refused: the request expired before anyone answered");
        }
        if (status != 0) {
            ward_http_response_free(&resp);
            return cli_fail("waiting for the answer: %s", why);
        }
        char b64[2 * WARD_APPROVAL_MAX];
        uint8_t approval[WARD_APPROVAL_MAX + 8], res[WARD_OP_RESULT_MAX];
        size_t len = 0, res_len = 0;
        int bad = api_json_str(&resp, "approval", b64, sizeof b64) != 0 ||
                  ward_b64_decode(b64, strlen(b64), approval, sizeof approval, &len) != WARD_OK;
        ward_http_response_free(&resp);
        if (bad) {
            return cli_fail("refused: wardd sent an answer the lock cannot read");
        }
        int rc = lockdir_reacquire(ld);
        if (rc != 0) {
            return rc;
        }
        ward_err err = ward_op_lock_accept(&ld->lock, op, approval, len, out, res,
                                           sizeof res, &res_len);
        lockdir_release(ld);
        switch (err) {
        case WARD_OK:
            post_result(ld, op_id, token_hex, res, res_len);
            return 0;
        case WARD_ERR_EXPIRED:
            post_result(ld, op_id, token_hex, res, res_len);
            return cli_fail("refused: the answer came after the request expired");
        case WARD_ERR_AUTH:
        case WARD_ERR_FORMAT:
            return cli_fail("refused: the answer does not verify with the lock's keys "
                            "(forged, altered, replayed or for another request)");
        default:
            return cli_fail("refused: %s", ward_strerror(err));
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
        return cli_fail("cannot make the request: %s", ward_strerror(err));
    }
    /* The capability that lets this lock, and only it, fetch the answer. */
    ward_iov part = { token, sizeof token };
    char token_hex[2 * TOKEN_LEN + 1], hash_hex[2 * WARD_SHA256_LEN + 1];
    if (ld->host.rng.fill(ld->host.rng.ctx, token, sizeof token) != WARD_OK ||
        ld->host.crypto->sha256(&part, 1, hash) != WARD_OK) {
        return cli_fail("no randomness for the request token");
    }
    ward_hex_encode(token, sizeof token, token_hex, sizeof token_hex);
    ward_hex_encode(hash, sizeof hash, hash_hex, sizeof hash_hex);

    ward_http_signer signer;
    lockdir_signer(ld, &signer);
    ward_http_response resp;
    char why[MSG_MAX], op_id[64];
    long status = api_post_blob(&ld->host, ld->server, "/v1/ops", "request", req, req_len,
                                "token_hash", hash_hex, &signer, &resp, why, sizeof why);
    int rc = 0;
    if (status != 0) {
        rc = cli_fail("asking the apps: %s", why);
    } else if (api_json_str(&resp, "op_id", op_id, sizeof op_id) != 0) {
        rc = cli_fail("wardd gave no operation id");
    }
    ward_http_response_free(&resp);
    if (rc != 0) {
        return rc;
    }
    printf("asked %s to allow %s (operation %s); waiting up to %u s\n",
           user ? user : "the bound apps", lockops_op_name(code), op_id, timeout_s);
    fflush(stdout);
    /* Let other ward processes use the lock's state while the person
     * decides; the request itself stays in this process's memory only. */
    lockdir_release(ld);
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
    unsigned timeout_s = timeout ? (unsigned)strtoul(timeout, NULL, 10) : 60;
    if (timeout_s == 0 || timeout_s > WARD_OP_TTL_MS / 1000) {
        timeout_s = WARD_OP_TTL_MS / 1000;
    }
    lockdir ld;
    if ((rc = lockdir_open(&ld, dir, false, NULL, NULL)) != 0) {
        return rc;
    }
    ward_op_outcome out;
    memset(&out, 0, sizeof out);
    unsigned ttl_s = ttl ? (unsigned)strtoul(ttl, NULL, 10) : 0;
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
    const char *dir = NULL;
    const cli_option opts[] = { { "dir", true, &dir } };
    int npos = 0, rc = cli_parse(argc, argv, opts, 1, NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: ward lock audit --dir D");
    }
    lockdir ld;
    if ((rc = lockdir_open(&ld, dir, false, NULL, NULL)) != 0) {
        return rc;
    }
    size_t pos = 0;
    ward_audit_event ev;
    int n = 0;
    ward_err err;
    while ((err = ward_audit_next(&ld.lock, &pos, &ev)) == WARD_OK) {
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
        rc = cli_fail("cannot read the audit ring: %s", ward_strerror(err));
    } else if (n == 0) {
        printf("no events yet\n");
    }
    lockdir_close(&ld);
    return rc;
}
