/* `ward lock ...`: the CLI playing a smart lock. The device core
 * (ward_lock.h) does all the deciding; this file moves its bytes to wardd
 * and to the person at the door (QR code on the terminal, code typed in). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json_out.h"
#include "cli.h"
#include "fw_device.h"
#include "identity.h"
#include "state.h"
#include "keystore.h"
#include "lockops.h"
#include "qr.h"
#include "ward/ward.h"
#include "ward/ward_app.h"
#include "ward/ward_bind.h"
#include "ward/ward_http.h"
#include "ward/ward_op.h"

#define MSG_MAX 256

int cmd_lock_init(int argc, char **argv)
{
    const char *dir = NULL, *sn = NULL, *server = NULL, *factory = NULL, *no_act = NULL;
    const char *keystore = NULL, *fw_class = NULL, *release_pub = NULL;
    cli_id_opts ido = { NULL, NULL, NULL };
    const cli_option opts[] = {
        { "dir", true, &dir }, { "sn", true, &sn }, { "server", true, &server },
        { "factory-key", true, &factory }, { "no-activate", false, &no_act },
        { "keystore", true, &keystore }, { "cert", true, &ido.cert },
        { "factory-cert", true, &ido.factory_cert },
        { "fw-class", true, &fw_class }, { "release-pub", true, &release_pub },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    ido.factory_key = factory;
    if (dir == NULL || sn == NULL || server == NULL) {
        return cli_usage("usage: ward lock init --dir D --sn SN --server URL "
                         "--factory-key FILE [--factory-cert FILE] [--cert FILE] "
                         "[--no-activate] [--keystore URI]");
    }
    if ((rc = cli_server_opt(&server)) != 0 || (rc = cli_identity_usage(&ido)) != 0 ||
        (rc = fw_device_check_opts(fw_class, release_pub)) != 0) {
        return rc;
    }
    if (factory == NULL && no_act == NULL && ido.cert == NULL) {
        return cli_usage("give --factory-key FILE (the manufacturer key that "
                         "vouches for this lock), --cert FILE (its certificate chain) "
                         "or --no-activate");
    }
    cli_keystore_option(keystore);
    ward_agent_state ld;
    if ((rc = cli_state_create(&ld, WARD_AGENT_LOCK, dir, sn, server, NULL, NULL)) != 0) {
        return rc;
    }
    printf("lock %s: identity key ready in %s\n", ld.id, dir);
    rc = cli_state_identify(&ld, &ido, WARD_CERT_ROLE_LOCK);
    if (rc == 0 && fw_class != NULL) {
        rc = fw_device_init(dir, fw_class, release_pub, ld.host.crypto);
    }
    ward_agent_state_close(&ld);
    return rc;
}

/* Sends a confirmation wardd has not acknowledged yet, if there is one.
 * Returns 0 when there was none or wardd answered (the core then forgets
 * it); prints and returns 1 when wardd was unreachable. */
static int flush_unconfirmed(ward_agent_state *ld, bool *sent)
{
    uint8_t confirm[WARD_BIND_CONFIRM_MAX];
    size_t len = 0;
    *sent = false;
    if (ward_bind_unconfirmed(&ld->lock, confirm, sizeof confirm, &len) != WARD_OK) {
        return 0;
    }
    ward_agent_bound bound;
    char why[MSG_MAX];
    long status = ward_agent_bind_confirm(&ld->link, confirm, len, &bound, why, sizeof why);
    int rc = 0;
    if (status < 0 || status >= 500) {
        /* wardd did not decide (down, or failed inside): keep the
         * confirmation, so the server learns of this binding later. */
        return cli_fail("bound on the lock, but wardd has not recorded it (%s): "
                        "run ward lock sync --dir %s", why, ld->dir);
    }
    if (status != 0) {
        /* wardd refused for good: the lock undoes the binding, so it never
         * keeps a client the server does not know. */
        ward_err err = ward_bind_refused(&ld->lock);
        rc = cli_fail("%s: the lock undid the binding%s", why,
                      err == WARD_OK ? "" : " (but could not update its store)");
    } else {
        if (ward_bind_confirmed(&ld->lock) != WARD_OK) {
            /* Harmless: the lock sends the confirmation again, wardd has it. */
            fprintf(stderr, "ward: warning: the lock could not record wardd's answer\n");
        }
        printf("bound: user %s as %s, recorded by wardd\n", bound.uid, bound.role);
        *sent = true;
    }
    return rc;
}

/* How long the QR code is good for: the lock's own limit, or wardd's bind
 * task lifetime (its health answer's task_ttl) when shorter; the upload
 * happens after this, so it is "up to". 0 when wardd did not say. */
static unsigned qr_lifetime_s(ward_agent_state *ld, bool *from_wardd)
{
    unsigned s = (unsigned)(WARD_BIND_TTL_MS / 1000u), ttl = 0;
    *from_wardd = ward_agent_task_ttl(&ld->link, &ttl) == 0;
    if (*from_wardd && ttl < s) {
        s = ttl;
    }
    return s;
}

static int bind_start(ward_agent_state *ld, const char *phone, const char *qr_out)
{
    bool sent = false;
    int rc = flush_unconfirmed(ld, &sent);
    if (rc != 0) {
        return rc;
    }
    char qr[WARD_QR_JSON_MAX];
    size_t len = 0;
    ward_err err = ward_bind_start(&ld->lock, (const uint8_t *)phone, strlen(phone), qr,
                                   sizeof qr, &len);
    if (err == WARD_ERR_LOCKED) {
        uint64_t ms = 0;
        if (ward_bind_lockout(&ld->lock, &ms) != WARD_ERR_LOCKED) {
            ms = 0; /* the lock-out is over (or unreadable): no wait to tell */
        }
        return cli_fail("binding is locked after too many wrong codes: try again in %llu s",
                        (unsigned long long)((ms + 999) / 1000));
    }
    if (err == WARD_ERR_AUTH) {
        /* The lock has an owner: a new app needs an owner's or admin's yes. */
        printf("this lock already has an owner: asking the owner or an admin to allow "
               "a new app\n");
        ward_op_outcome out;
        memset(&out, 0, sizeof out);
        int rc2 = lockops_remote(ld, WARD_OP_ADD_CLIENT, NULL, WARD_OP_TTL_MS / 1000, 0, &out);
        if (rc2 == 0 && (rc2 = cli_state_reacquire(ld)) == 0 && !out.execute) {
            rc2 = cli_fail("refused: %.*s did not allow a new app", (int)out.uid_len,
                           (const char *)out.uid);
        }
        if (rc2 != 0) {
            return rc2;
        }
        printf("%.*s allowed a new app\n", (int)out.uid_len, (const char *)out.uid);
        err = ward_bind_start(&ld->lock, (const uint8_t *)phone, strlen(phone), qr,
                              sizeof qr, &len);
    }
    if (err == WARD_ERR_FORMAT) {
        return cli_usage("bad phone number '%s' (optional +, then 5-20 digits)", phone);
    }
    if (err != WARD_OK) {
        return cli_fail("cannot start binding: %s", ward_agent_state_strerror(ld, err));
    }
    printf("Scan this code with the ward app (phone %s):\n\n", phone);
    qr_print_terminal(stdout, qr);
    if (qr_write_png(qr_out, qr) != 0) {
        explicit_bzero(qr, sizeof qr);
        return cli_fail("cannot write the QR code to %s", qr_out);
    }
    explicit_bzero(qr, sizeof qr);
    bool said = false;
    unsigned s = qr_lifetime_s(ld, &said);
    char span[48];
    if (s % 60 == 0) {
        snprintf(span, sizeof span, "%u minute%s", s / 60, s == 60 ? "" : "s");
    } else {
        snprintf(span, sizeof span, "%u s", s);
    }
    printf("\nQR code also written to %s. It is valid for %s%s.\n", qr_out, span,
           said ? "" : " at the lock (wardd did not say how long it keeps a binding: "
                       "maybe less)");
    fflush(stdout);
    return 0;
}

/* GET the sealed bind data for the accepted task, waiting up to wait_s
 * seconds for the app's upload to arrive. */
static int fetch_blob(ward_agent_state *ld, unsigned wait_s, uint8_t *blob, size_t cap,
                      size_t *blob_len)
{
    uint8_t tid[WARD_TASK_ID_LEN];
    if (ward_bind_task_id(&ld->lock, tid) != WARD_OK) {
        return cli_fail("no accepted binding task");
    }
    for (unsigned waited = 0;; waited++) {
        char why[MSG_MAX];
        long status = ward_agent_bind_fetch(&ld->link, tid, blob, cap, blob_len, why,
                                            sizeof why);
        if (status == 0) {
            return 0;
        }
        if (status == WARD_AGENT_BAD_ANSWER) {
            return cli_fail("wardd sent binding data the lock cannot read: refused");
        }
        if (status != 404 || waited >= wait_s) {
            if (status == 404) {
                return cli_fail("wardd has no binding data for this code yet: scan the "
                                "QR code with the app, then run bind-finish again");
            }
            return cli_fail("fetching the binding data: %s", why);
        }
        sleep(1);
    }
}

/* The code is right: fetch, open, store, confirm. */
static int bind_complete(ward_agent_state *ld, unsigned wait_s)
{
    uint8_t blob[WARD_BIND_BLOB_MAX + 64], confirm[WARD_BIND_CONFIRM_MAX];
    size_t blob_len = 0, confirm_len = 0;
    int rc = fetch_blob(ld, wait_s, blob, sizeof blob, &blob_len);
    if (rc != 0) {
        return rc;
    }
    ward_err err = ward_bind_finish(&ld->lock, blob, blob_len, confirm, sizeof confirm,
                                    &confirm_len);
    switch (err) {
    case WARD_OK:
        break;
    case WARD_ERR_AUTH:
    case WARD_ERR_FORMAT:
        return cli_fail("the binding data from wardd does not verify with this lock's "
                        "key: refused (tampered, substituted or for another lock)");
    case WARD_ERR_EXPIRED:
        return cli_fail("the binding has expired: start again");
    case WARD_ERR_NOSPACE:
        return cli_fail("the lock already has %d clients bound: revoke one first",
                        WARD_MAX_CLIENTS);
    case WARD_ERR_CONFLICT:
        return cli_fail("refused: the binding data names a user already bound to this "
                        "lock (a binding never replaces a bound user; that user's own "
                        "app recovers its binding with ward app recover, or revokes "
                        "it first)");
    default:
        return cli_fail("cannot finish binding: %s", ward_agent_state_strerror(ld, err));
    }
    bool sent = false;
    return flush_unconfirmed(ld, &sent);
}

/* Enters one code. Returns 0 when accepted; otherwise prints why and
 * returns an exit code; *retry says whether another code may be tried. */
static int enter_code(ward_agent_state *ld, const char *code, bool *retry)
{
    unsigned tries = 0;
    *retry = false;
    ward_err err = ward_bind_enter_code(&ld->lock, (const uint8_t *)code, strlen(code),
                                        &tries);
    switch (err) {
    case WARD_OK:
        return 0;
    case WARD_ERR_AUTH:
        *retry = tries > 0;
        return cli_fail("wrong code: %u %s left", tries, tries == 1 ? "try" : "tries");
    case WARD_ERR_LOCKED: {
        uint64_t ms = 0;
        if (ward_bind_lockout(&ld->lock, &ms) != WARD_ERR_LOCKED) {
            ms = 0; /* the lock-out is over (or unreadable): no wait to tell */
        }
        return cli_fail("too many wrong codes: binding cancelled and locked for %llu s",
                        (unsigned long long)((ms + 999) / 1000));
    }
    case WARD_ERR_EXPIRED:
        return cli_fail("the binding has expired: start again");
    case WARD_ERR_STATE:
        return cli_fail("no binding in progress: run ward lock bind-start first");
    default:
        return cli_fail("cannot check the code: %s", ward_agent_state_strerror(ld, err));
    }
}

static int finish_with_code(ward_agent_state *ld, const char *code, unsigned wait_s)
{
    bool sent = false;
    ward_bind_state state = WARD_BIND_NONE;
    if (ward_bind_status(&ld->lock, &state, NULL) != WARD_OK) {
        state = WARD_BIND_NONE; /* as before: nothing known to resume */
    }
    if (state == WARD_BIND_NONE) {
        /* Maybe only the confirmation was left to send after a crash. */
        int rc = flush_unconfirmed(ld, &sent);
        if (rc != 0 || sent) {
            return rc;
        }
    }
    bool retry = false;
    int rc = enter_code(ld, code, &retry);
    return rc != 0 ? rc : bind_complete(ld, wait_s);
}

int cmd_lock_bind_start(int argc, char **argv)
{
    const char *dir = NULL, *phone = NULL, *qr_out = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "phone", true, &phone }, { "qr-out", true, &qr_out },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || phone == NULL || qr_out == NULL) {
        return cli_usage("usage: ward lock bind-start --dir D --phone P --qr-out FILE.png");
    }
    ward_agent_state ld;
    if ((rc = cli_state_open(&ld, WARD_AGENT_LOCK, dir)) != 0) {
        return rc;
    }
    rc = bind_start(&ld, phone, qr_out);
    if (rc == 0) {
        printf("Then type the SMS code: ward lock bind-finish --dir %s --code CODE\n", dir);
    }
    ward_agent_state_close(&ld);
    return rc;
}

int cmd_lock_bind_finish(int argc, char **argv)
{
    const char *dir = NULL, *code = NULL, *wait = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "code", true, &code }, { "wait", true, &wait },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || code == NULL) {
        return cli_usage("usage: ward lock bind-finish --dir D --code CODE [--wait S]");
    }
    unsigned wait_s = 0;
    if ((rc = cli_seconds_opt("wait", wait, 0, &wait_s)) != 0) {
        return rc;
    }
    ward_agent_state ld;
    if ((rc = cli_state_open(&ld, WARD_AGENT_LOCK, dir)) != 0) {
        return rc;
    }
    rc = finish_with_code(&ld, code, wait_s);
    ward_agent_state_close(&ld);
    return rc;
}

/* Reads one line from stdin into buf without its newline; false at EOF. */
static bool read_code(char *buf, size_t cap)
{
    fprintf(stderr, "SMS code: ");
    fflush(stderr);
    if (fgets(buf, (int)cap, stdin) == NULL) {
        return false;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return true;
}

int cmd_lock_bind(int argc, char **argv)
{
    const char *dir = NULL, *phone = NULL, *code = NULL, *qr_out = NULL, *wait = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "phone", true, &phone }, { "code", true, &code },
        { "qr-out", true, &qr_out }, { "wait", true, &wait },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || phone == NULL) {
        return cli_usage("usage: ward lock bind --dir D --phone P [--code CODE] "
                         "[--qr-out FILE.png] [--wait S]");
    }
    unsigned wait_s = 0;
    if ((rc = cli_seconds_opt("wait", wait, 30, &wait_s)) != 0) {
        return rc;
    }
    ward_agent_state ld;
    if ((rc = cli_state_open(&ld, WARD_AGENT_LOCK, dir)) != 0) {
        return rc;
    }
    char png[600];
    if (qr_out == NULL) {
        snprintf(png, sizeof png, "%s/bind-qr.png", dir);
        qr_out = png;
    }
    rc = bind_start(&ld, phone, qr_out);
    if (rc == 0 && code != NULL) {
        rc = finish_with_code(&ld, code, wait_s);
    } else if (rc == 0) {
        /* The person reads the SMS and types the code at the lock. */
        char line[32];
        bool retry = true;
        rc = CLI_EXIT_FAIL;
        while (retry && read_code(line, sizeof line)) {
            rc = enter_code(&ld, line, &retry);
            if (rc == 0) {
                rc = bind_complete(&ld, wait_s);
                break;
            }
        }
        if (rc != 0 && retry) {
            rc = cli_fail("no code entered: the binding stays open until it expires "
                          "(ward lock bind-finish --dir %s --code CODE)", dir);
        }
    }
    ward_agent_state_close(&ld);
    return rc;
}

/* For commands whose only option is --dir: parses it and opens the lock
 * (only to read it when readonly). */
static int open_dir_only(int argc, char **argv, const char *usage, bool readonly,
                         ward_agent_state *ld)
{
    const char *dir = NULL;
    const cli_option opts[] = { { "dir", true, &dir } };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: %s", usage);
    }
    return readonly ? cli_state_open_readonly(ld, WARD_AGENT_LOCK, dir) : cli_state_open(ld, WARD_AGENT_LOCK, dir);
}

int cmd_lock_clients(int argc, char **argv)
{
    const char *dir = NULL, *json = NULL;
    int rc = cli_parse_listing(argc, argv, "usage: ward lock clients --dir D [--json]", &dir, &json);
    if (rc != 0) {
        return rc;
    }
    ward_agent_state ld;
    if ((rc = cli_state_open_readonly(&ld, WARD_AGENT_LOCK, dir)) != 0) {
        return rc;
    }
    size_t n = 0;
    ward_err err = ward_lock_client_count(&ld.lock, &n);
    if (err != WARD_OK) {
        int fail = cli_fail("cannot read the client table: %s", ward_agent_state_strerror(&ld, err));
        ward_agent_state_close(&ld);
        return fail;
    }
    cJSON *doc = json != NULL ? cJSON_CreateObject() : NULL;
    cJSON *list = doc != NULL ? cJSON_AddArrayToObject(doc, "clients") : NULL;
    if (doc != NULL) {
        cJSON_AddStringToObject(doc, "sn", ld.id);
    } else {
        printf("lock %s: %zu client%s bound\n", ld.id, n, n == 1 ? "" : "s");
    }
    for (size_t i = 0; i < n; i++) {
        ward_lock_client c;
        if (ward_lock_client_get(&ld.lock, i, &c) != WARD_OK) {
            continue;
        }
        if (doc != NULL) {
            /* The core checked the user id's alphabet when it bound it. */
            char uid[WARD_UID_MAX + 1];
            cJSON *o = cli_json_push(list);
            snprintf(uid, sizeof uid, "%.*s", (int)c.uid_len, (const char *)c.uid);
            cJSON_AddStringToObject(o, "uid", uid);
            cli_json_str_or_null(o, "role", ward_role_name(c.role));
            cli_json_time(o, "bound_at", (int64_t)c.bound_at_ms);
            continue;
        }
        time_t t = (time_t)(c.bound_at_ms / 1000);
        struct tm tm;
        char when[32];
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        const char *role = ward_role_name(c.role);
        printf("  %-24.*s %-7s bound %s\n", (int)c.uid_len, (const char *)c.uid,
               role ? role : "?", when);
    }
    ward_agent_state_close(&ld);
    return doc != NULL ? cli_json_end(doc) : 0;
}

/* `ward lock sync`: sends what wardd has not acknowledged yet. */
int cmd_lock_sync(int argc, char **argv)
{
    ward_agent_state ld;
    int rc = open_dir_only(argc, argv, "ward lock sync --dir D", false, &ld);
    if (rc != 0) {
        return rc;
    }
    bool sent = false;
    rc = flush_unconfirmed(&ld, &sent);
    if (rc == 0 && !sent) {
        printf("lock %s: nothing to send\n", ld.id);
    }
    ward_agent_state_close(&ld);
    return rc;
}
