/* `ward lock request`, `ward lock audit`: the lock asking its bound apps
 * for permission through wardd (flow B), and its own record of what it
 * did. The device core (ward_op.h) decides; this file carries bytes. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json_out.h"
#include "state.h"
#include "lockops.h"
#include "ward/ward.h"
#include "ward/ward_app.h"
#include "ward/ward_app_ops.h"
#include "ward/ward_op.h"

#define MSG_MAX 256

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

void lockops_act(const ward_agent_state *ld, const ward_op_outcome *o)
{
    /* The actuator of this simulated lock is its standard output. */
    if (o->execute) {
        printf("[%s] %s: %s, allowed by %.*s\n", ld->id,
               o->op == WARD_OP_UNLOCK ? "*** DOOR UNLOCKED ***" : "executing",
               lockops_op_name(o->op), (int)o->uid_len, (const char *)o->uid);
    }
    fflush(stdout);
}

/* The lock's side of the wait (ward_agent_op_await): the core checks each
 * answer. The store is taken at the first answer to check and kept for
 * the rest of the page, then let go (the near-field door gets in). */
typedef struct answers_ctx {
    cli_hold hold;      /* first: the page_done hook takes the context */
    ward_op_lock *op;
    ward_op_outcome *out;
    int rc;
} answers_ctx;

static ward_agent_answer on_answer(void *ctx, long long n, const char *who,
                                   const uint8_t *approval, size_t len, uint8_t *res,
                                   size_t cap, size_t *res_len)
{
    answers_ctx *a = ctx;
    if ((a->rc = cli_hold_take(&a->hold)) != 0) {
        return WARD_AGENT_ANSWER_FAILED;
    }
    ward_err err = ward_op_lock_accept(&a->hold.st->lock, a->op, approval, len, a->out, res, cap,
                                       res_len);
    if (err == WARD_OK) {
        return WARD_AGENT_ANSWER_DECIDED;
    }
    if (err == WARD_ERR_EXPIRED) {
        return WARD_AGENT_ANSWER_LATE;
    }
    *res_len = 0;
    if (err != WARD_ERR_AUTH && err != WARD_ERR_FORMAT) {
        a->rc = cli_fail("refused: %s", ward_agent_state_strerror(a->hold.st, err));
        return WARD_AGENT_ANSWER_FAILED;
    }
    fprintf(stderr, "ward: answer %lld (from %s) does not verify with the lock's keys "
            "(forged, altered, replayed or for another request): ignored\n", n, who);
    return WARD_AGENT_ANSWER_IGNORED;
}

/* Waits for answers to op_id through the agent, which paces and backs off
 * the fetches, posts the result, and withdraws the request at every end
 * that is not the core's decision. */
static int await_answer(ward_agent_state *ld, ward_op_lock *op, const char *op_id,
                        const char *token_hex, unsigned timeout_s, ward_op_outcome *out)
{
    answers_ctx a;
    memset(&a, 0, sizeof a);
    a.hold.st = ld;
    a.op = op;
    a.out = out;
    const ward_agent_op_wait_ops ops = { on_answer, cli_hold_drop, cli_note, &a };
    /* A stop signal ends a long-poll at once: the agent asks the hook
     * during its waits only, never while it posts a result or a
     * withdrawal. */
    ld->link.cancelled = cli_cancelled;
    ld->link.cancel_ctx = NULL;
    unsigned refused = 0;
    const char *name = lockops_op_name(ward_op_lock_code(op));
    switch (ward_agent_op_await(&ld->link, op_id, token_hex, timeout_s, &ops, &refused)) {
    case WARD_AGENT_OP_DECIDED:
        return 0;
    case WARD_AGENT_OP_LATE:
        return cli_fail("refused: the answer came after the request expired");
    case WARD_AGENT_OP_FAILED:
        return a.rc != 0 ? a.rc : cli_fail("refused: %s not done", name);
    case WARD_AGENT_OP_STOPPED:
        return cli_fail("stopped before an answer: %s not done", name);
    case WARD_AGENT_OP_GONE:
        if (refused > 0) {
            return cli_fail("refused: the request expired (or was withdrawn) before an "
                            "answer that verifies (%u refused): %s not done", refused, name);
        }
        return cli_fail("no answer before the request expired (or was withdrawn) at "
                        "wardd: %s not done", name);
    case WARD_AGENT_OP_TIMEOUT:
    default:
        if (refused > 0) {
            return cli_fail("refused: no answer that verifies within %u s (%u answer%s "
                            "refused): %s not done", timeout_s, refused,
                            refused == 1 ? "" : "s", name);
        }
        return cli_fail("no answer within %u s: %s not done", timeout_s, name);
    }
}

int lockops_remote(ward_agent_state *ld, uint8_t code, const char *user, unsigned timeout_s,
                   unsigned ttl_s, ward_op_outcome *out)
{
    ward_op_lock op;
    memset(&op, 0, sizeof op);
    uint8_t req[WARD_OP_REQUEST_MAX];
    size_t req_len = 0;
    ward_err err = ward_op_lock_request_within(&ld->lock, &op, code, (const uint8_t *)user,
                                               user ? strlen(user) : 0, ttl_s * 1000u, req,
                                               sizeof req, &req_len);
    if (err == WARD_ERR_NOTFOUND) {
        return cli_fail("user %s is not bound to this lock", user);
    }
    if (err != WARD_OK) {
        return cli_fail("cannot make the request: %s", ward_agent_state_strerror(ld, err));
    }
    char why[MSG_MAX], op_id[WARD_AGENT_OP_ID_MAX + 1];
    char token_hex[2 * WARD_AGENT_TOKEN_LEN + 1];
    long status = ward_agent_op_post(&ld->link, req, req_len, op_id, token_hex, why,
                                     sizeof why);
    if (status == WARD_AGENT_BAD_ANSWER) {
        return cli_fail("%s", why);
    }
    if (status != 0) {
        return cli_fail("asking the apps: %s", why);
    }
    printf("asked %s to allow %s (operation %s); waiting up to %u s\n",
           user ? user : "the bound apps", lockops_op_name(code), op_id, timeout_s);
    fflush(stdout);
    /* Let other ward processes use the lock's state while the person
     * decides; the request itself stays in this process's memory only.
     * A stop signal ends the wait, and the request is withdrawn. */
    ward_agent_state_release(ld);
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
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
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
    ward_agent_state ld;
    if ((rc = cli_state_open(&ld, WARD_AGENT_LOCK, dir)) != 0) {
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
    ward_agent_state_close(&ld);
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
    int rc = cli_parse_listing(argc, argv, "usage: ward lock audit --dir D [--json]", &dir, &json);
    if (rc != 0) {
        return rc;
    }
    ward_agent_state ld;
    if ((rc = cli_state_open_readonly(&ld, WARD_AGENT_LOCK, dir)) != 0) {
        return rc;
    }
    size_t pos = 0;
    ward_audit_event ev;
    int n = 0;
    ward_err err;
    cJSON *doc = json != NULL ? cJSON_CreateObject() : NULL;
    cJSON *list = doc != NULL ? cJSON_AddArrayToObject(doc, "events") : NULL;
    if (doc != NULL) {
        cJSON_AddStringToObject(doc, "sn", ld.id);
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
        rc = cli_fail("cannot read the audit ring: %s", ward_agent_state_strerror(&ld, err));
        cJSON_Delete(doc);
    } else if (doc != NULL) {
        rc = cli_json_end(doc);
    } else if (n == 0) {
        printf("no events yet\n");
    }
    ward_agent_state_close(&ld);
    return rc;
}
