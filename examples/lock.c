/* A minimal lock firmware main loop on ward's core (POSIX ports): flow A's lock half. */
/*
 * The store is a file standing in for flash: every state change is
 * power-safe, so the loop may be killed and started again at any moment.
 * Events come one per line on stdin, as a real lock's would come from its
 * keypad, its radio and wardd (the agent library moves the bytes there):
 *
 *     bind PHONE      start a binding: prints "qr JSON" (show it as a QR code)
 *     code DIGITS     the SMS code typed on the keypad
 *     blob BASE64     the app's sealed bind data, fetched from wardd:
 *                     prints "confirm BASE64" (to POST to wardd)
 *     clients         prints "client UID ROLE" for each bound app
 *
 * Usage: ward-example-lock STORE_FILE SN
 * Build: cc lock.c $(pkg-config --cflags --libs ward)
 */
#include <stdio.h>
#include <string.h>

#include <ward/ward.h>
#include <ward/ward_encode.h>
#include <ward/ward_port_openssl.h>
#include <ward/ward_port_posix.h>

#define ERASE 4096u
#define BANK ((WARD_LOCK_STORE_BANK_MIN + ERASE - 1) / ERASE * ERASE)

static int fail(const char *what, ward_err err)
{
    printf("error %s: %s\n", what, ward_strerror(err));
    return 1;
}

/* One event; the reply goes to stdout. */
static int handle(ward_lock *lock, char *cmd, char *arg)
{
    ward_err err;
    if (strcmp(cmd, "bind") == 0) {
        char qr[WARD_QR_JSON_MAX];
        size_t len = 0;
        err = ward_bind_start(lock, (const uint8_t *)arg, strlen(arg), qr, sizeof qr, &len);
        if (err != WARD_OK) return fail("bind", err);
        printf("qr %s\n", qr);
    } else if (strcmp(cmd, "code") == 0) {
        unsigned left = 0;
        err = ward_bind_enter_code(lock, (const uint8_t *)arg, strlen(arg), &left);
        if (err == WARD_ERR_AUTH) printf("code wrong, %u tries left\n", left);
        else if (err != WARD_OK) return fail("code", err);
        else printf("code ok\n");
    } else if (strcmp(cmd, "blob") == 0) {
        uint8_t blob[WARD_BIND_BLOB_MAX], confirm[WARD_BIND_CONFIRM_MAX];
        char b64[WARD_B64_LEN(WARD_BIND_CONFIRM_MAX) + 1];
        size_t blob_len = 0, len = 0;
        err = ward_b64_decode(arg, strlen(arg), blob, sizeof blob, &blob_len);
        if (err != WARD_OK) return fail("blob", err);
        err = ward_bind_finish(lock, blob, blob_len, confirm, sizeof confirm, &len);
        if (err != WARD_OK) return fail("blob", err);
        err = ward_b64_encode(confirm, len, b64, sizeof b64);
        if (err != WARD_OK) return fail("confirm", err);
        printf("confirm %s\n", b64);
        /* A real lock POSTs it and calls this on wardd's answer; until then
         * ward_bind_unconfirmed() gives it back after a power cut. */
        err = ward_bind_confirmed(lock);
        if (err != WARD_OK) return fail("confirmed", err);
    } else if (strcmp(cmd, "clients") == 0) {
        size_t n = 0;
        err = ward_lock_client_count(lock, &n);
        if (err != WARD_OK) return fail("clients", err);
        for (size_t i = 0; i < n; i++) {
            ward_lock_client c;
            err = ward_lock_client_get(lock, i, &c);
            if (err != WARD_OK) return fail("clients", err);
            printf("client %.*s %u\n", (int)c.uid_len, (const char *)c.uid, (unsigned)c.role);
        }
    } else {
        printf("error unknown event %s\n", cmd);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s STORE_FILE SN\n", argv[0]);
        return 2;
    }
    ward_random rng = ward_random_posix();
    ward_clock clock = ward_clock_posix();
    ward_file_port file;
    ward_store_port flash;
    ward_lock lock;
    ward_err err = ward_file_port_open(&file, argv[1], 2 * BANK, &flash);
    if (err != WARD_OK) return fail("store", err);
    /* Each power-up: open the store; the first one also makes the identity. */
    err = ward_lock_open(&lock, ward_crypto_openssl(), &rng, &clock, &flash);
    if (err == WARD_OK) {
        err = ward_lock_provision(&lock, (const uint8_t *)argv[2], strlen(argv[2]));
    }
    uint8_t pub[WARD_P256_POINT_LEN];
    char hex[2 * WARD_P256_POINT_LEN + 1];
    if (err == WARD_OK) err = ward_lock_identity(&lock, NULL, NULL, pub);
    if (err == WARD_OK) err = ward_hex_encode(pub, sizeof pub, hex, sizeof hex);
    if (err != WARD_OK) {
        ward_file_port_close(&file);
        return fail("provision", err);
    }
    printf("lock %s pub %s\n", argv[2], hex);
    fflush(stdout);

    int status = 0;
    char line[4096];
    while (fgets(line, sizeof line, stdin) != NULL) {  /* the main loop */
        line[strcspn(line, "\r\n")] = '\0';
        char *arg = strchr(line, ' ');
        if (arg != NULL) *arg++ = '\0';
        if (line[0] != '\0' && handle(&lock, line, arg != NULL ? arg : "") != 0) status = 1;
        fflush(stdout);
    }
    ward_file_port_close(&file);
    return status;
}
