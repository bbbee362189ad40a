/* `ward app ...`: the CLI playing the phone app. The client library
 * (ward_app.h) does the work; this file reads the camera (a PNG), talks
 * to wardd and tells the person what happened. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include "cli.h"
#include "json_out.h"
#include "keystore.h"
#include "qr.h"
#include "ward/ward.h"
#include "ward/ward_app.h"
#include "ward/ward_app_cloud.h"
#include "ward/ward_files.h"
#include "ward/ward_http.h"

#define MSG_MAX 256

static int app_open(ward_app *app, ward_host *host, const char *dir)
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
    return 0;
}

static void print_registered(ward_app *app)
{
    if (ward_app_mark_verified(app) != WARD_OK) {
        fprintf(stderr, "ward: warning: %s\n", ward_app_error(app));
    }
    char *key = ward_app_key_path(app);
    printf("registered %s (%s) with wardd at %s: phone verified\n", app->user, app->phone,
           app->server);
    printf("client key: %s (keep a copy: it recovers your locks on a new phone)\n",
           key ? key : "?");
    free(key);
}

/* Sends the code to wardd (ward_app_verify()): 0 when the phone is
 * verified (and says so); else 1 with wardd's refusal in why (*wrong: a
 * wrong code, another may be tried). */
static int verify_code(ward_app *app, const char *code, bool *wrong, char *why, size_t cap)
{
    ward_app_reply rep;
    ward_err err = ward_app_verify(app, code, &rep);
    /* Not 6 digits (nothing sent), or wardd's 403: try another. */
    *wrong = err != WARD_OK && (rep.status == 0 ? err == WARD_ERR_FORMAT : rep.status == 403);
    if (err != WARD_OK) {
        snprintf(why, cap, "%s", ward_app_error(app));
        return CLI_EXIT_FAIL;
    }
    print_registered(app);
    return 0;
}

/* Reads one line of standard input (the code from the SMS) into buf
 * without its newline, with a prompt when it is a terminal; false at the
 * end of input or on an empty line. */
static bool read_phone_code(const char *phone, char *buf, size_t cap)
{
    if (isatty(STDIN_FILENO)) {
        fprintf(stderr, "code from the SMS to %s: ", phone);
        fflush(stderr);
    }
    if (fgets(buf, (int)cap, stdin) == NULL) {
        return false;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf[0] != '\0';
}

/* `ward app register --dir A --code C`: finishes a registration. */
static int register_finish(const char *dir, const char *code)
{
    ward_host host;
    ward_app app;
    int rc = app_open(&app, &host, dir);
    if (rc != 0) {
        return rc;
    }
    bool wrong = false;
    char why[MSG_MAX];
    rc = verify_code(&app, code, &wrong, why, sizeof why);
    if (rc != 0) {
        rc = cli_fail("%s", why);
    }
    ward_app_close(&app);
    return rc;
}

/* Verifies the phone with the code given, or read from standard input
 * (wrong codes may be typed again: wardd counts them and locks out). */
static int register_code(ward_app *app, const char *dir, const char *code)
{
    char line[64], why[MSG_MAX] = "";
    bool wrong = false, tried = false;
    int rc = CLI_EXIT_FAIL;
    if (code != NULL) {
        rc = verify_code(app, code, &wrong, why, sizeof why);
        return rc == 0 ? 0 : cli_fail("%s", why);
    }
    while (read_phone_code(app->phone, line, sizeof line)) {
        tried = true;
        rc = verify_code(app, line, &wrong, why, sizeof why);
        if (rc == 0 || !wrong) {
            break;
        }
        if (isatty(STDIN_FILENO)) {
            fprintf(stderr, "ward: %s\n", why);
        }
    }
    explicit_bzero(line, sizeof line);
    if (rc == 0) {
        return 0;
    }
    if (!tried) {
        return cli_fail("no code entered: finish with `ward app register --dir %s --code NNNNNN` "
                        "(the code in the SMS to %s)", dir, app->phone);
    }
    if (wrong) {
        return cli_fail("%s: finish with `ward app register --dir %s --code NNNNNN`", why, dir);
    }
    return cli_fail("%s", why);
}

int cmd_app_register(int argc, char **argv)
{
    const char *dir = NULL, *server = NULL, *user = NULL, *phone = NULL, *code = NULL;
    const char *keystore = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "server", true, &server },
        { "user", true, &user }, { "phone", true, &phone }, { "code", true, &code },
        { "keystore", true, &keystore },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir && code && !server && !user && !phone) {
        return register_finish(dir, code);
    }
    if (!dir || !server || !user || !phone) {
        return cli_usage("usage: ward app register --dir A --server URL --user U --phone P "
                         "[--code C] | --dir A --code C");
    }
    if ((rc = cli_server_opt(&server)) != 0) {
        return rc;
    }
    ward_host host;
    ward_app app;
    ward_host_init(&host);
    cli_keystore_option(keystore);
    if ((rc = cli_keystore_attach(&host, dir)) != 0) {
        return rc;
    }
    /* A registration begun before goes on (a new code, rate-limited). */
    if (ward_app_register_open(&app, &host, dir, user, phone, server) != WARD_OK) {
        rc = cli_fail("%s", ward_app_error(&app));
        ward_app_close(&app);
        return rc;
    }
    bool verified = false;
    ward_app_reply rep;
    ward_err err = ward_app_register(&app, &verified, &rep);
    const char *why = ward_app_error(&app);
    /* Every failure here can be tried again with the same command: the
     * key stays and the registration resumes. */
    if (err != WARD_OK && rep.status == 409) {
        rc = cli_fail("%s: this user id is taken, or was registered with another phone; "
                      "run `ward app register --dir %s` again with another --user (this "
                      "directory keeps its client key)", why, dir);
    } else if (err != WARD_OK && rep.status != 0 && rep.retry_after_s > 0) {
        rc = cli_fail("%s; run the same `ward app register` again in %ld s", why,
                      rep.retry_after_s);
    } else if (err != WARD_OK) {
        rc = cli_fail("%s; run the same `ward app register` again to retry", why);
    }
    if (rc == 0 && verified) {
        print_registered(&app);
    } else if (rc == 0) {
        printf("account %s: wardd sent a code by SMS to %s to verify the phone\n", user, phone);
        fflush(stdout);
        rc = register_code(&app, dir, code);
    }
    ward_app_close(&app);
    return rc;
}

/* Where a binding task stands, as wardd says. */
typedef enum { TASK_WAITING, TASK_BOUND, TASK_GONE } task_state;

/* Asks wardd where task tid_hex (begun for lock sn) stands, waiting up to
 * wait_s for a change, and records the outcome (ward_app_bind_wait()):
 * "bound" binds the record the task began; "expired", or a task wardd
 * does not know (404), drops it, and one line says so, on standard
 * output or, quiet, on standard error (a bound record is never touched).
 * Prints the outcome unless quiet. 0 with *state, or 1 with why filled
 * and nothing printed: the caller says it. */
static int poll_task(ward_app *app, const char *sn, const char *tid_hex, unsigned wait_s,
                     bool quiet, task_state *state, char *why, size_t cap)
{
    uint8_t tid[WARD_TASK_ID_LEN];
    size_t got = 0;
    *state = TASK_WAITING;
    if (ward_hex_decode(tid_hex, strlen(tid_hex), tid, sizeof tid, &got) != WARD_OK ||
        got != sizeof tid) {
        snprintf(why, cap, "lock %s: bad task id", sn);
        return CLI_EXIT_FAIL;
    }
    ward_app_task t;
    if (ward_app_bind_wait(app, sn, tid, wait_s, &t) != WARD_OK) {
        snprintf(why, cap, "%s", ward_app_error(app));
        return CLI_EXIT_FAIL;
    }
    if (t.state == WARD_APP_TASK_BOUND) {
        if (!quiet) {
            printf("bound to lock %s as %s\n", sn,
                   ward_role_name(t.role) ? ward_role_name(t.role) : "member");
        }
        *state = TASK_BOUND;
        return 0;
    }
    if (t.state == WARD_APP_TASK_WAITING) {
        if (!quiet) {
            printf("lock %s: waiting for the code to be typed into the lock\n", sn);
        }
        return 0;
    }
    *state = TASK_GONE;
    if (t.dropped) {
        fprintf(quiet ? stderr : stdout, "%slock %s: the binding begun %s before the lock "
                "finished it: its record is dropped\n", quiet ? "ward: " : "", sn,
                t.state == WARD_APP_TASK_UNKNOWN ? "is unknown to wardd (expired and purged)"
                                                 : "expired");
    }
    return 0;
}

/* Before a QR code may record a binding of its lock: a binding the app
 * began before for that lock, which the lock has finished meanwhile
 * (wardd says so), is recorded as bound first, so that the new one
 * cannot take its place (ward_app_bind_prepare() refuses to replace a
 * bound one), and one that expired is dropped. Quiet: whatever fails
 * here, the scan goes on as before. */
static void settle_pending(ward_app *app, const char *payload, size_t n)
{
    ward_qr q;
    ward_app_lock lk;
    char sn[WARD_SN_MAX + 1], tid_hex[33], why[MSG_MAX];
    if (ward_qr_parse(payload, n, &q) != WARD_OK) {
        return;
    }
    snprintf(sn, sizeof sn, "%s", q.sn);
    ward_qr_wipe(&q);
    bool pending = ward_app_lock_get(app, sn, &lk) == WARD_OK && !lk.bound;
    WARD_ASSERT(ward_hex_encode(lk.tid, sizeof lk.tid, tid_hex, sizeof tid_hex) == WARD_OK);
    explicit_bzero(&lk, sizeof lk);
    task_state state;
    if (pending) {
        (void)poll_task(app, sn, tid_hex, 0, true, &state, why, sizeof why);
    }
    app->error[0] = '\0';
}

/* When wardd drops the binding if the code is not typed into the lock
 * by then (the upload's answer; 0: it gave no time). */
static void say_expiry(int64_t expires)
{
    if (expires > 0) {
        time_t t = (time_t)expires;
        struct tm tm;
        char when[32];
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("the code is good until %s (wardd's limit)\n", when);
    }
}

#define SCAN_USAGE "usage: ward app scan --dir A --qr FILE.png [--wait S] [--rebind]"

int cmd_app_scan(int argc, char **argv)
{
    const char *dir = NULL, *qr_file = NULL, *wait = NULL, *rebind = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "qr", true, &qr_file }, { "wait", true, &wait },
        { "rebind", false, &rebind },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (!dir || !qr_file) {
        return cli_usage(SCAN_USAGE " (see --help: --rebind completes only once the old "
                         "binding is revoked at the lock)");
    }
    unsigned wait_s = 0;
    if ((rc = cli_seconds_opt("wait", wait, 0, &wait_s)) != 0) {
        return rc;
    }
    char payload[WARD_QR_PAYLOAD_MAX + 64];
    int n = qr_read_png(qr_file, payload, sizeof payload);
    if (n < 0) {
        return cli_fail("no ward QR code found in %s", qr_file);
    }
    ward_host host;
    ward_app app;
    if ((rc = app_open(&app, &host, dir)) != 0) {
        explicit_bzero(payload, sizeof payload);
        return rc;
    }
    settle_pending(&app, payload, (size_t)n);
    char *upload = NULL, tid_hex[33], sn[WARD_SN_MAX + 1];
    ward_err err = ward_app_bind_prepare(&app, payload, (size_t)n, rebind != NULL, &upload,
                                         tid_hex, sn);
    explicit_bzero(payload, sizeof payload);
    if (err != WARD_OK) {
        rc = cli_fail("%s", ward_app_error(&app));
        ward_app_close(&app);
        return rc;
    }
    ward_app_upload up;
    err = ward_app_bind_upload(&app, upload, sn, tid_hex, &up);
    /* It holds the bind code too. */
    explicit_bzero(upload, strlen(upload));
    free(upload);
    /* wardd refused the upload (4xx, 429 too): the record just made is
     * dropped, and the same QR code may be scanned again. Unanswered or a
     * 5xx: wardd may hold it, and the next command asks. */
    char why[MSG_MAX];
    if (err != WARD_OK && up.dropped) {
        rc = cli_fail("%s (nothing recorded: scan the QR code again once wardd takes it)",
                      ward_app_error(&app));
    } else if (err != WARD_OK) {
        rc = cli_fail("%s", ward_app_error(&app));
    }
    if (rc == 0) {
        printf("binding data for lock %s sealed and uploaded; wardd is sending the code "
               "by SMS to %s: type it into the lock\n", sn, app.phone);
        say_expiry(up.expires);
        task_state state = TASK_WAITING;
        if (wait_s > 0 && poll_task(&app, sn, tid_hex, wait_s, false, &state, why,
                                    sizeof why) != 0) {
            rc = cli_fail("%s", why);
        } else if (state == TASK_GONE) {
            rc = cli_fail("the binding with lock %s expired before the lock finished it", sn);
        }
    }
    ward_app_close(&app);
    return rc;
}

/* Called for each lock record of a directory (its auth key already
 * wiped); returns 0 or 1 (a failure said, the walk goes on). */
typedef int (*record_fn)(ward_app *app, const char *sn, const ward_app_lock *lk,
                         bool rebinding, void *ctx);

/* Walks the records of one of the app's directories: locks/ (bindings,
 * and bindings begun) or pending/ (bindings begun again beside one in
 * use). Files that are no record of a lock are passed over. 0, or 1 if
 * fn failed for any. */
static int each_record(ward_app *app, const char *subdir, record_fn fn, void *ctx)
{
    bool rebinding = strcmp(subdir, "pending") == 0;
    char *path = ward_path_join(app->dir, subdir);
    DIR *d = path ? opendir(path) : NULL;
    int rc = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || len - 5 > WARD_SN_MAX || strcmp(e->d_name + len - 5, ".json") != 0) {
            continue;
        }
        char sn[WARD_SN_MAX + 1];
        snprintf(sn, sizeof sn, "%.*s", (int)(len - 5), e->d_name);
        ward_app_lock lk;
        ward_err err = rebinding ? ward_app_lock_rebinding(app, sn, &lk)
                                 : ward_app_lock_get(app, sn, &lk);
        if (err != WARD_OK) {
            continue;
        }
        explicit_bzero(lk.auth_key, sizeof lk.auth_key);
        if (fn(app, sn, &lk, rebinding, ctx) != 0) {
            rc = CLI_EXIT_FAIL;
        }
    }
    if (d) closedir(d);
    free(path);
    return rc;
}

typedef struct sync_ctx {
    unsigned wait_s;
    bool quiet;
    int *shown;
} sync_ctx;

/* Says where one record stands, and polls wardd for it if it is pending.
 * A failure is said (a warning when quiet). */
static int sync_record(ward_app *app, const char *sn, const ward_app_lock *lk, bool rebinding,
                       void *ctx)
{
    sync_ctx *c = ctx;
    (*c->shown)++;
    if (lk->bound) {
        if (!c->quiet) {
            printf("lock %s: bound as %s\n", sn, ward_role_name(lk->role));
        }
        return 0;
    }
    if (rebinding && !c->quiet) {
        printf("lock %s: binding again (the binding in use stays until the lock has "
               "the new one, which it takes only once the binding in use is revoked "
               "there)\n", sn);
    }
    char tid_hex[33], why[MSG_MAX];
    WARD_ASSERT(ward_hex_encode(lk->tid, sizeof lk->tid, tid_hex, sizeof tid_hex) == WARD_OK);
    task_state state;
    if (poll_task(app, sn, tid_hex, c->wait_s, c->quiet, &state, why, sizeof why) != 0) {
        fprintf(stderr, "ward: %slock %s: %s (the binding begun is kept: `ward app "
                "status --dir %s` asks again, `ward app forget --dir %s --sn %s` drops "
                "it)\n", c->quiet ? "warning: " : "", sn, why, app->dir, app->dir, sn);
        return CLI_EXIT_FAIL;
    }
    if (state == TASK_GONE) {
        (*c->shown)--;
    }
    return 0;
}

int app_sync_locks(ward_app *app, unsigned wait_s, bool quiet, int *shown)
{
    *shown = 0;
    sync_ctx c = { wait_s, quiet, shown };
    /* Every record is asked about, whatever another's failure. */
    int rc = each_record(app, "locks", sync_record, &c);
    int rc2 = each_record(app, "pending", sync_record, &c);
    /* Quiet, before another command: warnings only, never its failure. */
    return quiet ? 0 : rc != 0 ? rc : rc2;
}

/* --json: one record as it stands after asking wardd. */
static int status_record(ward_app *app, const char *sn, const ward_app_lock *lk,
                         bool rebinding, void *ctx)
{
    (void)app;
    char tid[2 * WARD_TASK_ID_LEN + 1];
    cJSON *o = cli_json_push(ctx);
    cJSON_AddStringToObject(o, "sn", sn);
    cJSON_AddStringToObject(o, "state", lk->bound ? "bound" : "pending");
    cli_json_str_or_null(o, "role", lk->bound ? ward_role_name(lk->role) : NULL);
    cJSON_AddBoolToObject(o, "rebinding", rebinding);
    cJSON_AddBoolToObject(o, "key_kept", lk->bound && !lk->no_key);
    WARD_ASSERT(ward_hex_encode(lk->tid, sizeof lk->tid, tid, sizeof tid) == WARD_OK);
    cJSON_AddStringToObject(o, "task", tid);
    return 0;
}

/* --json: the records of one of the app's directories (locks/, or
 * pending/ for rebindings). */
static void status_records(ward_app *app, const char *subdir, cJSON *list)
{
    each_record(app, subdir, status_record, list);
    app->error[0] = '\0';
}

/* `ward app status`: asks wardd about every pending binding of this app,
 * says where each lock stands, and fails only if asking failed. */
int cmd_app_status(int argc, char **argv)
{
    const char *dir = NULL, *wait = NULL, *json = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "wait", true, &wait }, { "json", false, &json },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (!dir) {
        return cli_usage("usage: ward app status --dir A [--wait S] [--json]");
    }
    unsigned wait_s = 0;
    if ((rc = cli_seconds_opt("wait", wait, 0, &wait_s)) != 0) {
        return rc;
    }
    /* The lines asking wardd prints go to stderr then; the records, as
     * they stand after, are the document. */
    if (json != NULL) {
        cli_json_begin();
    }
    ward_host host;
    ward_app app;
    if ((rc = app_open(&app, &host, dir)) != 0) {
        return rc;
    }
    int shown = 0;
    rc = app_sync_locks(&app, wait_s, false, &shown);
    if (rc == 0 && json != NULL) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "user", app.user);
        cJSON_AddStringToObject(doc, "phone", app.phone);
        cJSON_AddStringToObject(doc, "server", app.server);
        cJSON *list = cJSON_AddArrayToObject(doc, "locks");
        status_records(&app, "locks", list);
        status_records(&app, "pending", list);
        rc = cli_json_end(doc);
    } else if (rc == 0 && shown == 0) {
        printf("no locks yet\n");
    }
    ward_app_close(&app);
    return rc;
}

/* `ward app forget --dir A --sn SN`: drops the binding begun with lock SN
 * (its record, and its key: the lock never had it), whatever wardd says
 * or fails to say about it. A binding in use is never dropped here: it
 * is left by a revocation the lock confirms. */
int cmd_app_forget(int argc, char **argv)
{
    const char *dir = NULL, *sn = NULL;
    const cli_option opts[] = { { "dir", true, &dir }, { "sn", true, &sn } };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (!dir || !sn) {
        return cli_usage("usage: ward app forget --dir A --sn SN");
    }
    ward_host host;
    ward_app app;
    if ((rc = app_open(&app, &host, dir)) != 0) {
        return rc;
    }
    ward_app_lock lk;
    int dropped = 0;
    bool bound = false;
    ward_err err = WARD_OK;
    if (ward_app_lock_rebinding(&app, sn, &lk) == WARD_OK) {
        err = ward_app_lock_expired(&app, sn, lk.tid);
        dropped += err == WARD_OK;
    }
    if (err == WARD_OK && ward_app_lock_get(&app, sn, &lk) == WARD_OK) {
        bound = lk.bound;
        if (!bound) {
            err = ward_app_lock_expired(&app, sn, lk.tid);
            dropped += err == WARD_OK;
        }
    }
    explicit_bzero(&lk, sizeof lk);
    if (err != WARD_OK) {
        rc = cli_fail("%s", ward_app_error(&app));
    } else if (dropped > 0) {
        printf("lock %s: the binding begun is dropped (a new QR code from the lock starts "
               "another)\n", sn);
    } else if (bound) {
        rc = cli_fail("lock %s is bound to this app and has no binding begun: nothing "
                      "dropped (a binding in use ends by `ward app revoke`)", sn);
    } else {
        rc = cli_fail("this app holds no binding begun with lock %s", sn);
    }
    ward_app_close(&app);
    return rc;
}

int cmd_app_recover(int argc, char **argv)
{
    const char *dir = NULL, *key = NULL, *server = NULL, *keystore = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "from-key", true, &key }, { "server", true, &server },
        { "keystore", true, &keystore },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (!dir || !key) {
        return cli_usage("usage: ward app recover --dir A --from-key FILE [--server URL] "
                         "[--keystore URI]");
    }
    if ((rc = cli_server_opt(&server)) != 0) {
        return rc;
    }
    ward_host host;
    ward_app app;
    ward_host_init(&host);
    cli_keystore_option(keystore);
    if ((rc = cli_keystore_attach(&host, dir)) != 0) {
        return rc;
    }
    if (ward_app_recover(&app, &host, dir, key, server) != WARD_OK) {
        rc = cli_fail("%s", ward_app_error(&app));
        ward_app_close(&app);
        return rc;
    }
    size_t opened = 0;
    if (ward_app_recover_fetch(&app, &opened, NULL) != WARD_OK) {
        rc = cli_fail("%s", ward_app_error(&app));
    } else {
        printf("recovered %s: %zu lock%s restored from escrow\n", app.user, opened,
               opened == 1 ? "" : "s");
    }
    ward_app_close(&app);
    return rc;
}
