/* A minimal app on ward's client library: flow A's app half (account, QR, upload, binding). */
/*
 * The app's state is a directory (ward_app.h says what it holds); every
 * call to wardd is ward_app_cloud.h's.
 *
 *     new DIR USER PHONE SERVER   make the account and its client key and
 *                                 register it at wardd (which texts a code)
 *     verify DIR CODE             the code from that SMS: the phone is verified
 *     bind DIR QR_JSON            the lock's scanned QR: seals the bind data
 *                                 for the lock, uploads it to wardd (which
 *                                 texts the bind code to the phone): prints
 *                                 "uploaded SN TASK_ID"
 *     wait DIR SN TASK_ID         waits (up to 60 s) until the lock has
 *                                 confirmed the binding, and records it
 *
 * Build: cc app.c $(pkg-config --cflags --libs ward)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/ward.h>
#include <ward/ward_app.h>
#include <ward/ward_app_cloud.h>
#include <ward/ward_encode.h>

static int fail(ward_app *app, const char *what, ward_err err)
{
    printf("error %s: %s (%s)\n", what, ward_strerror(err), app ? ward_app_error(app) : "");
    if (app != NULL) ward_app_close(app);
    return 1;
}

static int done(ward_app *app)
{
    ward_app_close(app);
    return 0;
}

static int do_new(ward_app *app, const ward_host *host, char **argv)
{
    bool verified = false;
    ward_app_reply rep;
    ward_err err = ward_app_create(app, host, argv[2], argv[3], argv[4], argv[5]);
    if (err != WARD_OK) return fail(NULL, "new", err);
    if ((err = ward_app_register(app, &verified, &rep)) != WARD_OK) return fail(app, "new", err);
    if (verified && (err = ward_app_mark_verified(app)) != WARD_OK) return fail(app, "new", err);
    printf("account %s in %s: %s\n", app->user, argv[2],
           verified ? "verified" : "code sent to the phone");
    return done(app);
}

static int verify(ward_app *app, const char *code)
{
    ward_app_reply rep;
    ward_err err = ward_app_verify(app, code, &rep);
    if (err == WARD_OK) err = ward_app_mark_verified(app);
    if (err != WARD_OK) return fail(app, "verify", err);
    printf("verified %s\n", app->phone);
    return done(app);
}

static int do_bind(ward_app *app, const char *qr)
{
    char *upload = NULL, tid[33], sn[WARD_SN_MAX + 1];
    ward_app_upload up;
    ward_err err = ward_app_bind_prepare(app, qr, strlen(qr), false, &upload, tid, sn);
    if (err != WARD_OK) return fail(app, "bind", err);
    err = ward_app_bind_upload(app, upload, sn, tid, &up);
    /* It holds the bind code too. */
    ward_wipe(upload, strlen(upload));
    free(upload);
    if (err != WARD_OK) return fail(app, "upload", err);
    printf("uploaded %s %s\n", sn, tid);
    return done(app);
}

static int wait_bound(ward_app *app, const char *sn, const char *tid_hex)
{
    uint8_t tid[WARD_TASK_ID_LEN];
    size_t len = 0;
    ward_app_task t;
    ward_err err = ward_hex_decode(tid_hex, strlen(tid_hex), tid, sizeof tid, &len);
    if (err == WARD_OK && len != sizeof tid) err = WARD_ERR_FORMAT;
    if (err != WARD_OK) return fail(app, "task id", err);
    if ((err = ward_app_bind_wait(app, sn, tid, 60, &t)) != WARD_OK) return fail(app, "wait", err);
    if (t.state != WARD_APP_TASK_BOUND) {
        printf("not bound: %s\n", t.state == WARD_APP_TASK_WAITING ? "no answer yet" : "expired");
        ward_app_close(app);
        return 1;
    }
    printf("bound %s as %s\n", sn, t.role >= 0 ? ward_role_name(t.role) : "member");
    return done(app);
}

int main(int argc, char **argv)
{
    ward_host host;
    ward_app app;
    ward_host_init(&host);
    if (argc == 6 && strcmp(argv[1], "new") == 0) return do_new(&app, &host, argv);
    if (argc >= 4) {
        ward_err err = ward_app_open(&app, &host, argv[2]);
        if (err != WARD_OK) return fail(NULL, "open", err);
        if (argc == 4 && strcmp(argv[1], "verify") == 0) return verify(&app, argv[3]);
        if (argc == 4 && strcmp(argv[1], "bind") == 0) return do_bind(&app, argv[3]);
        if (argc == 5 && strcmp(argv[1], "wait") == 0) return wait_bound(&app, argv[3], argv[4]);
        ward_app_close(&app);
    }
    fprintf(stderr, "usage: %s new DIR USER PHONE SERVER | verify DIR CODE | bind DIR QR_JSON"
            " | wait DIR SN TASK_ID\n", argv[0]);
    return 2;
}
