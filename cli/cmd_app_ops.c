/* `ward app pending|approve|deny|near|revoke|clients|audit|forget-key`:
 * the phone app's side of remote approval and client management (flow
 * B). The client library (ward_app_ops.h) does the work and the talking
 * to wardd; this file reads options and tells the person what happened. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json_out.h"
#include "keystore.h"
#include "ward/ward.h"
#include "ward/ward_app.h"
#include "ward/ward_app_ops.h"
#include "ward/ward_files.h"
#include "ward/ward_http.h"
#include "ward/ward_op.h"

/* Opens the app and learns of bindings the lock finished since (and of
 * those that expired). What fails there for one lock's record is a
 * warning: it does not fail this command. */
static int open_app(ward_app *app, ward_host *host, const char *dir)
{
    ward_host_init(host);
    int krc = cli_keystore_attach(host, dir);
    if (krc != 0) {
        return krc;
    }
    if (ward_app_open(app, host, dir) != WARD_OK) {
        int rc = cli_fail("%s", ward_app_error(app));
        ward_app_close(app);
        return rc;
    }
    int shown = 0;
    app_sync_locks(app, 0, true, &shown);
    app->error[0] = '\0';
    return 0;
}

static int app_fail(ward_app *app)
{
    int rc = cli_fail("%s", ward_app_error(app));
    ward_app_close(app);
    return rc;
}

/* Whether locks/NAME (a lock's record) is a binding in use: its "state"
 * is "bound", not a binding begun. */
static bool record_bound(const char *locks, const char *name)
{
    char *path = ward_path_join(locks, name), *text = NULL;
    size_t len = 0;
    bool bound = false;
    if (path != NULL && ward_file_read(path, 64 * 1024, &text, &len) == WARD_OK) {
        cJSON *o = cJSON_ParseWithLength(text, len);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "state");
        bound = cJSON_IsString(st) && strcmp(st->valuestring, "bound") == 0;
        cJSON_Delete(o);
        explicit_bzero(text, len);
        free(text);
    }
    free(path);
    return bound;
}

/* --sn, or the one lock this app is bound to: among its records, the one
 * bound, or else the only one (a binding the lock may have finished
 * unbeknown to the app). A binding begun with a second lock does not
 * stop the commands of the lock in use. */
static int pick_lock(const char *dir, const char *given, char sn[WARD_SN_MAX + 1])
{
    if (given != NULL) {
        snprintf(sn, WARD_SN_MAX + 1, "%s", given);
        return 0;
    }
    char *path = ward_path_join(dir, "locks");
    DIR *d = path ? opendir(path) : NULL;
    int found = 0, records = 0;
    char any[WARD_SN_MAX + 1] = "";
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len > 5 && len - 5 <= WARD_SN_MAX && strcmp(e->d_name + len - 5, ".json") == 0) {
            records++;
            snprintf(any, sizeof any, "%.*s", (int)(len - 5), e->d_name);
            if (record_bound(path, e->d_name)) {
                snprintf(sn, WARD_SN_MAX + 1, "%s", any);
                found++;
            }
        }
    }
    free(path);
    if (found == 0 && records == 1) {
        snprintf(sn, WARD_SN_MAX + 1, "%s", any);
        found = 1;
    }
    if (d) closedir(d);
    if (found == 1) {
        return 0;
    }
    return cli_usage(found == 0 ? "this app is bound to no lock"
                                : "this app has several locks: say which with --sn SN");
}

static const char *outcome_text(int outcome)
{
    switch (outcome) {
    case WARD_OUTCOME_EXECUTED: return "executed";
    case WARD_OUTCOME_DENIED: return "refused as you decided";
    case WARD_OUTCOME_EXPIRED: return "refused: it expired before the lock got the answer";
    default: return "no result from the lock yet";
    }
}

int cmd_app_pending(int argc, char **argv)
{
    const char *dir = NULL, *wait = NULL, *json = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "wait", true, &wait }, { "json", false, &json },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: ward app pending --dir A [--wait S] [--json]");
    }
    unsigned wait_s = 0;
    if ((rc = cli_seconds_opt("wait", wait, 0, &wait_s)) != 0) {
        return rc;
    }
    if (json != NULL) {
        cli_json_begin();
    }
    ward_host host;
    ward_app app;
    if ((rc = open_app(&app, &host, dir)) != 0) {
        return rc;
    }
    ward_app_ops ops;
    if (ward_app_ops_pending(&app, wait_s, &ops) != WARD_OK) {
        return app_fail(&app);
    }
    cJSON *doc = json != NULL ? cJSON_CreateObject() : NULL;
    cJSON *list = doc != NULL ? cJSON_AddArrayToObject(doc, "requests") : NULL;
    if (doc == NULL && ops.count == 0) {
        printf("no pending requests\n");
    }
    uint64_t now_ms = 0;
    host.clock.now_ms(host.clock.ctx, &now_ms);
    for (size_t i = 0; i < ops.count; i++) {
        const ward_app_op *op = &ops.ops[i];
        long left = op->expires_ms > now_ms ? (long)((op->expires_ms - now_ms) / 1000) : 0;
        if (doc != NULL) {
            cJSON *o = cli_json_push(list);
            cli_json_remote(o, "op_id", op->op_id);
            cli_json_remote(o, "sn", op->sn);
            cli_json_str_or_null(o, "op", ward_app_op_name(op->op));
            cli_json_remote(o, "target", op->target);
            cli_json_time(o, "expires", (int64_t)op->expires_ms);
            cJSON_AddNumberToObject(o, "seconds_left", (double)left);
            continue;
        }
        printf("%s  lock %s asks to %s%s%s (%ld s left)\n", op->op_id, op->sn,
               ward_app_op_name(op->op), op->target[0] ? " - asked of " : "", op->target, left);
    }
    if (doc != NULL) {
        cJSON_AddNumberToObject(doc, "ignored", (double)ops.skipped);
    } else if (ops.skipped > 0) {
        printf("(%zu request%s not for this app's locks ignored)\n", ops.skipped,
               ops.skipped == 1 ? "" : "s");
    }
    ward_app_ops_free(&ops);
    ward_app_close(&app);
    return doc != NULL ? cli_json_end(doc) : 0;
}

static int answer(int argc, char **argv, uint8_t decision)
{
    const char *dir = NULL, *wait = NULL, *escrow = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "wait", true, &wait }, { "from-escrow", false, &escrow },
    };
    char *pos[1];
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), pos, 1, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || npos != 1) {
        return cli_usage("usage: ward app %s --dir A OP_ID [--wait S] [--from-escrow]",
                         decision == WARD_DECISION_ALLOW ? "approve" : "deny");
    }
    unsigned wait_s = 0;
    if ((rc = cli_seconds_opt("wait", wait, 10, &wait_s)) != 0) {
        return rc;
    }
    ward_host host;
    ward_app app;
    if ((rc = open_app(&app, &host, dir)) != 0) {
        return rc;
    }
    int outcome = WARD_APP_NO_OUTCOME;
    if (ward_app_op_answer(&app, pos[0], decision, escrow != NULL, wait_s, &outcome) !=
        WARD_OK) {
        return app_fail(&app);
    }
    printf("%s sent for %s; the lock: %s\n",
           decision == WARD_DECISION_ALLOW ? "approval" : "denial", pos[0],
           outcome_text(outcome));
    ward_app_close(&app);
    return 0;
}

int cmd_app_approve(int argc, char **argv)
{
    return answer(argc, argv, WARD_DECISION_ALLOW);
}

int cmd_app_deny(int argc, char **argv)
{
    return answer(argc, argv, WARD_DECISION_DENY);
}

int cmd_app_near(int argc, char **argv)
{
    const char *dir = NULL, *link = NULL, *opname = NULL, *sn_opt = NULL, *escrow = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "link", true, &link }, { "op", true, &opname },
        { "sn", true, &sn_opt }, { "from-escrow", false, &escrow },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || link == NULL) {
        return cli_usage("usage: ward app near --dir A --link SOCKET [--op unlock] [--sn SN]");
    }
    uint8_t op = WARD_OP_UNLOCK;
    if (opname && (op = ward_app_op_code(opname)) == 0) {
        return cli_usage("unknown operation '%s' (unlock, intercom, video)", opname);
    }
    char sn[WARD_SN_MAX + 1];
    if ((rc = pick_lock(dir, sn_opt, sn)) != 0) {
        return rc;
    }
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(link) >= sizeof addr.sun_path) {
        return cli_usage("link path too long");
    }
    memcpy(addr.sun_path, link, strlen(link) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (fd >= 0) close(fd);
        return cli_fail("no lock answers on %s (is ward lock run running?)", link);
    }
    ward_host host;
    ward_app app;
    if ((rc = open_app(&app, &host, dir)) != 0) {
        close(fd);
        return rc;
    }
    uint8_t outcome = 0xFF;
    ward_err err = ward_app_near(&app, fd, sn, op, WARD_DECISION_ALLOW, escrow != NULL,
                                 10000, &outcome);
    close(fd);
    if (err != WARD_OK) {
        return app_fail(&app);
    }
    printf("near field: %s at lock %s: %s\n", ward_app_op_name(op), sn, outcome_text(outcome));
    ward_app_close(&app);
    return outcome == WARD_OUTCOME_EXECUTED ? 0 : cli_fail("the lock refused");
}

/* How long `ward app revoke` waits for the lock's answer by default: a
 * running lock hears of a revocation within one long-poll. */
#define REVOKE_TIMEOUT_S 60u

int cmd_app_revoke(int argc, char **argv)
{
    const char *dir = NULL, *user = NULL, *sn_opt = NULL, *escrow = NULL, *timeout = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "user", true, &user }, { "sn", true, &sn_opt },
        { "from-escrow", false, &escrow }, { "timeout", true, &timeout },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || user == NULL) {
        return cli_usage("usage: ward app revoke --dir A --user U [--sn SN] [--timeout S] "
                         "[--from-escrow]");
    }
    unsigned timeout_s = 0;
    if ((rc = cli_seconds_opt("timeout", timeout, REVOKE_TIMEOUT_S, &timeout_s)) != 0) {
        return rc;
    }
    char sn[WARD_SN_MAX + 1];
    ward_host host;
    ward_app app;
    /* Opened first: the sync may record a binding finished, or drop one
     * that expired, before the lock is picked. */
    if ((rc = open_app(&app, &host, dir)) != 0) {
        return rc;
    }
    if ((rc = pick_lock(dir, sn_opt, sn)) != 0) {
        ward_app_close(&app);
        return rc;
    }
    ward_revoke_outcome out;
    if (ward_app_revoke(&app, sn, user, escrow != NULL, timeout_s, &out) != WARD_OK) {
        return app_fail(&app);
    }
    ward_app_close(&app);
    /* Only the lock's sealed answer speaks here, never wardd. */
    switch (out.outcome) {
    case WARD_REVOKE_DONE:
        printf("revoked %s from lock %s: confirmed by the lock\n", user, sn);
        return 0;
    case WARD_REVOKE_NOT_BOUND:
        /* The lock keeps no record of whom it revoked: after a restart of
         * `ward lock run` this may answer the revocation it applied. */
        printf("%s is not bound to lock %s (already revoked, or never bound; confirmed by "
               "the lock): nothing was left to revoke\n", user, sn);
        return 0;
    case WARD_REVOKE_STALE:
        if (!out.has_tid) {
            return cli_fail("the lock did not revoke %s: it holds another binding of that "
                            "user than the one named, and did not say which", user);
        }
        return cli_fail("the lock did not revoke %s: it holds another binding of that user "
                        "than the one named, and resending under it did not succeed", user);
    default:
        return cli_fail("the lock refused to revoke %s: your role does not allow it", user);
    }
}

/* For commands whose options are --dir and --sn (and --json, when json
 * is not NULL: then set, and standard output kept for the document):
 * parses them, picks the lock and opens the app. Returns 0 or an exit
 * code after printing why. */
static int open_for_lock(int argc, char **argv, const char *usage, ward_app *app,
                         ward_host *host, char sn[WARD_SN_MAX + 1], const char **json)
{
    const char *dir = NULL, *sn_opt = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "sn", true, &sn_opt }, { "json", false, json },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, json != NULL ? 3 : 2, NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: %s", usage);
    }
    if (json != NULL && *json != NULL) {
        cli_json_begin();
    }
    /* Opened first: the sync may record a binding finished, or drop one
     * that expired, before the lock is picked. */
    if ((rc = open_app(app, host, dir)) != 0) {
        return rc;
    }
    if ((rc = pick_lock(dir, sn_opt, sn)) != 0) {
        ward_app_close(app);
    }
    return rc;
}

int cmd_app_clients(int argc, char **argv)
{
    char sn[WARD_SN_MAX + 1];
    ward_host host;
    ward_app app;
    const char *json = NULL;
    int rc = open_for_lock(argc, argv, "ward app clients --dir A [--sn SN] [--json]", &app,
                           &host, sn, &json);
    if (rc != 0) {
        return rc;
    }
    ward_app_client *list = NULL;
    size_t n = 0;
    if (ward_app_clients(&app, sn, &list, &n) != WARD_OK) {
        return app_fail(&app);
    }
    if (json != NULL) {
        cJSON *doc = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(doc, "clients");
        cJSON_AddStringToObject(doc, "sn", sn);
        for (size_t i = 0; i < n; i++) {
            char tid[2 * WARD_TASK_ID_LEN + 1];
            cJSON *o = cli_json_push(arr);
            cli_json_remote(o, "uid", list[i].uid);
            cli_json_str_or_null(o, "role", ward_role_name(list[i].role));
            WARD_ASSERT(ward_hex_encode(list[i].tid, sizeof list[i].tid, tid,
                                        sizeof tid) == WARD_OK);
            cJSON_AddStringToObject(o, "task", tid);
            if (list[i].bound > 0) {
                cli_json_time(o, "bound_at", list[i].bound * 1000);
            } else {
                cJSON_AddNullToObject(o, "bound_at");
                cJSON_AddNullToObject(o, "bound_at_ms");
            }
        }
        free(list);
        ward_app_close(&app);
        return cli_json_end(doc);
    }
    printf("lock %s, as wardd records it: %zu client%s\n", sn, n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        const char *role = ward_role_name(list[i].role);
        printf("  %-24s %s\n", list[i].uid, role ? role : "?");
    }
    free(list);
    ward_app_close(&app);
    return 0;
}

int cmd_app_audit(int argc, char **argv)
{
    char sn[WARD_SN_MAX + 1];
    ward_host host;
    ward_app app;
    const char *json = NULL;
    int rc = open_for_lock(argc, argv, "ward app audit --dir A [--sn SN] [--json]", &app,
                           &host, sn, &json);
    if (rc != 0) {
        return rc;
    }
    ward_app_audit_event *list = NULL;
    size_t n = 0;
    if (ward_app_audit(&app, sn, &list, &n) != WARD_OK) {
        return app_fail(&app);
    }
    if (json != NULL) {
        cJSON *doc = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(doc, "events");
        cJSON_AddStringToObject(doc, "sn", sn);
        for (size_t i = 0; i < n; i++) {
            /* wardd's words, every one: escaped as the text output is. */
            cJSON *o = cli_json_push(arr);
            cli_json_time(o, "time", list[i].ts);
            cli_json_remote(o, "event", list[i].event);
            cli_json_remote(o, "uid", list[i].uid);
            cli_json_remote(o, "op", list[i].op);
            cli_json_remote(o, "detail", list[i].detail);
        }
        free(list);
        ward_app_close(&app);
        return cli_json_end(doc);
    }
    for (size_t i = 0; i < n; i++) {
        time_t t = (time_t)(list[i].ts / 1000);
        struct tm tm;
        char when[32];
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        /* wardd's words, every one: printed escaped. */
        char ev[4 * sizeof list[i].event], uid[4 * sizeof list[i].uid];
        char op[4 * sizeof list[i].op], detail[4 * sizeof list[i].detail];
        ward_http_text(ev, sizeof ev, list[i].event);
        ward_http_text(uid, sizeof uid, list[i].uid[0] ? list[i].uid : "-");
        ward_http_text(op, sizeof op, list[i].op[0] ? list[i].op : "-");
        ward_http_text(detail, sizeof detail, list[i].detail);
        printf("%s %-13s %-10s %-12s %s\n", when, ev, uid, op, detail);
    }
    if (n == 0) {
        printf("no events\n");
    }
    free(list);
    ward_app_close(&app);
    return 0;
}

int cmd_app_forget_key(int argc, char **argv)
{
    char sn[WARD_SN_MAX + 1];
    ward_host host;
    ward_app app;
    int rc = open_for_lock(argc, argv, "ward app forget-key --dir A [--sn SN]", &app, &host, sn,
                           NULL);
    if (rc != 0) {
        return rc;
    }
    if (ward_app_forget_key(&app, sn) != WARD_OK) {
        return app_fail(&app);
    }
    printf("the authorization key of lock %s is no longer kept on this phone: each "
           "answer fetches it from escrow and wipes it after\n", sn);
    ward_app_close(&app);
    return 0;
}
