/* wardd: the ward relay server. Start-up, signal wait, clean shutdown. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ward/ward_suite.h"

#include "config.h"
#include "log.h"
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
     * mask, so none of libmicrohttpd's threads is interrupted. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

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

    ward_err err = wardd_store_sqlite_open(w->cfg.db, &w->store);
    if (err != WARD_OK) {
        wardd_log("error", "db_open_failed", "db=%s err=\"%s\"", w->cfg.db, ward_strerror(err));
        return 1;
    }
    if (wardd_code_key_open(w->cfg.db, w->code_key) != WARD_OK) {
        w->store.close(w->store.h);
        return 1;
    }
    if (open_sms(w) != 0) {
        w->store.close(w->store.h);
        return 1;
    }
    if (wardd_record_open() != 0) {
        w->sms.close(w->sms.ctx);
        w->store.close(w->store.h);
        return 1;
    }
    struct wardd_http *http = NULL;
    unsigned port = 0;
    err = wardd_http_start(w, &http, &port);
    if (err != WARD_OK) {
        wardd_record_close();
        wardd_log("error", "listen_failed", "host=%s port=%u", w->cfg.listen_host,
                  w->cfg.listen_port);
        w->sms.close(w->sms.ctx);
        w->store.close(w->store.h);
        return 1;
    }
    bool v6 = strchr(w->cfg.listen_host, ':') != NULL;
    wardd_log("info", "listening", "addr=%s%s%s:%u tls=%s db=%s crypto=\"%s\"",
              v6 ? "[" : "", w->cfg.listen_host, v6 ? "]" : "", port,
              w->cfg.tls_cert[0] ? "on" : "off", w->cfg.db, w->cp->name);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0) {
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
    wardd_log("info", "stopped", NULL);
    return 0;
}
