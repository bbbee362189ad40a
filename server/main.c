/* wardd: the ward relay server. Start-up, signals (reload on SIGHUP),
 * clean shutdown. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ward/ward_suite.h"

#include "config.h"
#include "db_guard.h"
#include "fw.h"
#include "log.h"
#include "metrics.h"
#include "record.h"
#include "wardd.h"

#if defined(WARD_CRYPTO_MBEDTLS)
#include "ward/ward_port_mbedtls.h"
#define WARDD_CRYPTO() ward_crypto_mbedtls()
#else
#include "ward/ward_port_openssl.h"
#define WARDD_CRYPTO() ward_crypto_openssl()
#endif

static wardd server;

static int open_sms(wardd *w)
{
    ward_err err;
    if (w->cfg.sms_command[0] != '\0') {
        err = wardd_sms_command_open(w->cfg.sms_command, WARDD_SMS_COMMAND_TIMEOUT_MS,
                                     &w->sms);
    } else {
        err = wardd_sms_outbox_open(w->cfg.sms_outbox, &w->sms);
    }
    if (err != WARD_OK) {
        wardd_log("error", "sms_open_failed", "err=\"%s\"", ward_strerror(err));
        return -1;
    }
    wardd_log("info", "sms_provider", "provider=%s", w->sms.name);
    return 0;
}

static void log_change(void *ctx, const char *name, bool applied)
{
    (void)ctx;
    if (applied) {
        wardd_log("info", "reload_applied", "setting=%s", name);
    } else {
        wardd_log("warn", "reload_needs_restart", "setting=%s", name);
    }
}

/* SIGHUP: the log file opened anew (after a rotation renamed it), then
 * the config file and flags read again; the settings that can change
 * while wardd runs take effect, the others are named as waiting for a
 * restart. A bad config file changes nothing. */
static void reload(wardd *w, int argc, char **argv)
{
    int log_err = w->cfg.log_file[0] != '\0' ? wardd_log_open(w->cfg.log_file) : 0;
    static wardd_config next;           /* big: not on the stack */
    char why[256];
    if (wardd_config_reload(argc, argv, &next, why, sizeof why) != WARDD_PARSE_RUN) {
        wardd_log("error", "reload_failed", "err=%s msg=\"settings kept\"", why);
        return;
    }
    wardd_config_live(&w->cfg, &next, log_change, NULL);
    if (log_err != 0) {
        wardd_log("error", "reloaded", "signal=HUP log=%s log_err=\"%s\"", w->cfg.log_file,
                  strerror(log_err));
    } else {
        wardd_log("info", "reloaded", "signal=HUP log=%s", w->cfg.log_file[0] ? w->cfg.log_file
                                                                             : "stderr");
    }
}

int main(int argc, char **argv)
{
    wardd *w = &server;
    int rc = wardd_config_parse(argc, argv, &w->cfg);
    if (rc == WARDD_PARSE_EXIT) {
        return 0;
    }
    if (rc != WARDD_PARSE_RUN) {
        return 2;
    }
    /* Signals are taken by sigwait() below; every thread inherits the
     * mask, so none of libmicrohttpd's threads is interrupted, and SIGHUP
     * (whose default is to end the process) reloads instead. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (w->cfg.log_file[0] != '\0') {
        int e = wardd_log_open(w->cfg.log_file);
        if (e != 0) {
            fprintf(stderr, "wardd: cannot open log %s: %s\n", w->cfg.log_file, strerror(e));
            return 1;
        }
    }

    w->cp = WARDD_CRYPTO();
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->changed, NULL);

    if (w->cfg.factory_pub[0] != '\0') {
        ward_err err = wardd_factory_pub_load(w->cp, w->cfg.factory_pub, w->factory_pub);
        if (err != WARD_OK) {
            wardd_log("error", "factory_pub_bad", "file=%s err=\"%s\"", w->cfg.factory_pub,
                      ward_strerror(err));
            return 1;
        }
        w->have_factory = true;
    } else {
        wardd_log("warn", "no_factory_pub", "msg=\"lock activation will be refused\"");
    }
    if (!wardd_identity_init(w)) {
        return 1;
    }

    char why[512];
    int db_lock = wardd_db_guard(w->cfg.db, why, sizeof why);
    if (db_lock < 0) {
        wardd_log("error", "db_open_failed", "db=%s err=%s", w->cfg.db, why);
        return 1;
    }
    ward_err err = wardd_store_sqlite_open(w->cfg.db, &w->store);
    if (err != WARD_OK) {
        /* SQLite's own words: "file is not a database", "database or
         * disk is full", "attempt to write a readonly database"... */
        wardd_log("error", "db_open_failed", "db=%s err=\"%s\" why=\"%s\"", w->cfg.db,
                  ward_strerror(err), err == WARD_ERR_IO ? wardd_store_why() : "");
        close(db_lock);
        return 1;
    }
    if (wardd_code_key_open(w->cfg.db, w->code_key) != WARD_OK) {
        w->store.close(w->store.h);
        close(db_lock);
        return 1;
    }
    /* wardd's private keys: files beside the database, or a PKCS#11 token
     * (--pkcs11-uri) that makes them on the first start of a database. */
    if (wardd_keys_open(w) != WARD_OK) {
        w->store.close(w->store.h);
        close(db_lock);
        return 1;
    }
    if (wardd_gw_open(w) != WARD_OK || wardd_time_open(w) != WARD_OK) {
        wardd_keys_close();
        w->store.close(w->store.h);
        close(db_lock);
        return 1;
    }
    if (wardd_fw_open(w) != WARD_OK) {
        w->store.close(w->store.h);
        close(db_lock);
        return 1;
    }
    if (open_sms(w) != 0) {
        wardd_keys_close();
        w->store.close(w->store.h);
        close(db_lock);
        return 1;
    }
    if (wardd_record_open() != 0) {
        wardd_keys_close();
        w->sms.close(w->sms.ctx);
        w->store.close(w->store.h);
        close(db_lock);
        return 1;
    }
    struct wardd_http *http = NULL;
    unsigned port = 0;
    err = wardd_http_start(w, &http, &port);
    if (err != WARD_OK) {
        wardd_record_close();
        wardd_keys_close();
        wardd_log("error", "listen_failed", "host=%s port=%u", w->cfg.listen_host,
                  w->cfg.listen_port);
        w->sms.close(w->sms.ctx);
        w->store.close(w->store.h);
        close(db_lock);
        return 1;
    }
    bool v6 = strchr(w->cfg.listen_host, ':') != NULL;
    wardd_log("info", "listening", "addr=%s%s%s:%u version=%s tls=%s db=%s crypto=\"%s\" "
              "trusted_proxies=%u",
              v6 ? "[" : "", w->cfg.listen_host, v6 ? "]" : "", port, WARDD_VERSION,
              w->cfg.tls_cert[0] ? "on" : "off", w->cfg.db, w->cp->name,
              w->cfg.trusted_proxy.n);

    int sig = 0;
    for (;;) {
        if (sigwait(&sigs, &sig) != 0) {
            continue;
        }
        if (sig != SIGHUP) {
            break;
        }
        reload(w, argc, argv);
    }
    wardd_log("info", "stopping", "signal=%d", sig);
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_mutex_unlock(&w->mu);
    wardd_notify(w);            /* long-polls answer now */
    wardd_http_stop(http);
    wardd_record_close();
    w->sms.close(w->sms.ctx);
    w->store.close(w->store.h);
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->mu);
    ward_wipe(w->code_key, sizeof w->code_key);
    wardd_gw_close();
    wardd_time_close();
    wardd_keys_close();
    wardd_log("info", "stopped", NULL);
    close(db_lock);             /* after the store: the next wardd may start */
    return 0;
}
