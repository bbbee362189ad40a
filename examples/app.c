/* A minimal app on ward's client library: flow A's app half (account, QR, confirmation). */
/*
 * The app's state is a directory (ward_app.h says what it holds). wardd's
 * part is left to the caller, so the example runs without a server: what
 * would be POSTed is printed, what wardd would hand back is an argument.
 *
 *     new DIR USER PHONE SERVER     make the account and its client key
 *     bind DIR QR_JSON              the scanned QR: prints the upload
 *                                   (the body of POST /v1/bind/tasks)
 *     bound DIR LOCK_PUB_HEX CONFIRM_BASE64
 *                                   the lock's confirmation, relayed by
 *                                   wardd: checked against the lock's key,
 *                                   then the binding is recorded
 *
 * Build: cc app.c $(pkg-config --cflags --libs ward)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward/ward.h>
#include <ward/ward_app.h>
#include <ward/ward_encode.h>

static int fail(ward_app *app, const char *what, ward_err err)
{
    printf("error %s: %s (%s)\n", what, ward_strerror(err), app ? ward_app_error(app) : "");
    if (app != NULL) ward_app_close(app);
    return 1;
}

static int do_bind(ward_app *app, const char *qr)
{
    char *upload = NULL, tid[33], sn[WARD_SN_MAX + 1];
    ward_err err = ward_app_bind_prepare(app, qr, strlen(qr), false, &upload, tid, sn);
    if (err != WARD_OK) return fail(app, "bind", err);
    printf("upload %s\n", upload);
    printf("pending %s task %s\n", sn, tid);
    free(upload);
    ward_app_close(app);
    return 0;
}

static int bound(ward_app *app, const char *pub_hex, const char *confirm_b64)
{
    uint8_t pub[WARD_P256_POINT_LEN], msg[WARD_BIND_CONFIRM_MAX];
    size_t pub_len = 0, len = 0;
    ward_bind_confirm c;
    ward_err err = ward_hex_decode(pub_hex, strlen(pub_hex), pub, sizeof pub, &pub_len);
    if (err == WARD_OK && pub_len != sizeof pub) err = WARD_ERR_FORMAT;
    if (err != WARD_OK) return fail(app, "lock key", err);
    err = ward_b64_decode(confirm_b64, strlen(confirm_b64), msg, sizeof msg, &len);
    if (err != WARD_OK) return fail(app, "confirmation", err);
    /* Signed by the lock: wardd relays it but cannot make one. */
    err = ward_bind_confirm_verify(app->host.crypto, pub, msg, len, &c);
    if (err != WARD_OK) return fail(app, "confirmation", err);
    if (c.uid_len != strlen(app->user) || memcmp(c.uid, app->user, c.uid_len) != 0 ||
        memcmp(c.client_pub, app->pub, sizeof app->pub) != 0) {
        return fail(app, "confirmation is for another client", WARD_ERR_AUTH);
    }
    char sn[WARD_SN_MAX + 1];
    if (c.sn_len >= sizeof sn) return fail(app, "confirmation", WARD_ERR_FORMAT);
    memcpy(sn, c.sn, c.sn_len);
    sn[c.sn_len] = '\0';
    err = ward_app_lock_bound(app, sn, c.tid, c.role);
    if (err != WARD_OK) return fail(app, "bound", err);
    printf("bound %s as %s\n", sn, ward_role_name(c.role));
    ward_app_close(app);
    return 0;
}

int main(int argc, char **argv)
{
    ward_host host;
    ward_app app;
    ward_err err;
    ward_host_init(&host);
    if (argc == 6 && strcmp(argv[1], "new") == 0) {
        err = ward_app_create(&app, &host, argv[2], argv[3], argv[4], argv[5]);
        if (err != WARD_OK) return fail(NULL, "new", err);
        printf("account %s in %s\n", app.user, argv[2]);
        ward_app_close(&app);
        return 0;
    }
    if (argc >= 4 && (strcmp(argv[1], "bind") == 0 || strcmp(argv[1], "bound") == 0)) {
        err = ward_app_open(&app, &host, argv[2]);
        if (err != WARD_OK) return fail(NULL, "open", err);
        if (argc == 4 && strcmp(argv[1], "bind") == 0) return do_bind(&app, argv[3]);
        if (argc == 5 && strcmp(argv[1], "bound") == 0) return bound(&app, argv[3], argv[4]);
        ward_app_close(&app);
    }
    fprintf(stderr, "usage: %s new DIR USER PHONE SERVER | bind DIR QR_JSON | "
            "bound DIR LOCK_PUB_HEX CONFIRM_BASE64\n", argv[0]);
    return 2;
}
