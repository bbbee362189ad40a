/* A lock on simulated flash and an app bound to it, shared by the benches. */
#include "bench_lock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ward/ward_bind.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_suite.h"

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

ward_err bench_lock_init(bench_lock *bl, const ward_crypto *cp, const char *sn)
{
    memset(bl, 0, sizeof *bl);
    bl->mem = malloc(BENCH_FLASH);
    if (bl->mem == NULL) {
        return WARD_ERR_NOSPACE;
    }
    snprintf(bl->sn, sizeof bl->sn, "%s", sn);
    ward_sim_flash_init(&bl->sf, bl->mem, BENCH_FLASH, BENCH_ERASE, &bl->port);
    ward_sim_flash_format(&bl->sf);
    bl->rng = ward_random_posix();
    bl->clock = ward_clock_posix();
    bl->cp = cp;
    ward_err err = ward_lock_open(&bl->lock, cp, &bl->rng, &bl->clock, &bl->port);
    if (err == WARD_OK) {
        err = ward_lock_provision(&bl->lock, (const uint8_t *)sn, strlen(sn));
    }
    return err;
}

void bench_lock_free(bench_lock *bl)
{
    free(bl->mem);
    bl->mem = NULL;
}

ward_err bench_app_init(bench_app *a, const ward_crypto *cp, const char *uid,
                        const char *phone)
{
    ward_random rng = ward_random_posix();
    memset(a, 0, sizeof *a);
    snprintf(a->uid, sizeof a->uid, "%s", uid);
    snprintf(a->phone, sizeof a->phone, "%s", phone);
    ward_keystore_soft_init(&a->soft, cp, &rng, &a->keys);
    return a->keys.generate(a->keys.ctx, WARD_KEY_APP_CLIENT, a->pub);
}

/* "name":"value" from the QR JSON into out (NUL-terminated). */
static ward_err qr_field(const char *qr, const char *name, char *out, size_t cap)
{
    char key[32];
    snprintf(key, sizeof key, "\"%s\":\"", name);
    const char *p = strstr(qr, key);
    if (p == NULL) {
        return WARD_ERR_FORMAT;
    }
    p += strlen(key);
    const char *q = strchr(p, '"');
    if (q == NULL || (size_t)(q - p) >= cap) {
        return WARD_ERR_FORMAT;
    }
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return WARD_OK;
}

ward_err bench_qr_parse(const char *qr, bench_qr *q)
{
    char hex[80];
    size_t n = 0;
    ward_err err = qr_field(qr, "sms", q->code, sizeof q->code);
    if (err == WARD_OK) {
        err = qr_field(qr, "key", hex, sizeof hex);
    }
    if (err == WARD_OK) {
        err = ward_hex_decode(hex, strlen(hex), q->k, sizeof q->k, &n);
    }
    if (err == WARD_OK && n == sizeof q->k) {
        err = qr_field(qr, "tid", hex, sizeof hex);
    } else if (err == WARD_OK) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = ward_hex_decode(hex, strlen(hex), q->tid, sizeof q->tid, &n);
    }
    if (err == WARD_OK && n != sizeof q->tid) {
        err = WARD_ERR_FORMAT;
    }
    return err;
}

ward_err bench_app_blob(bench_app *a, const ward_crypto *cp, const char *sn,
                        const bench_qr *q, uint8_t *blob, size_t cap,
                        size_t *len)
{
    ward_random rng = ward_random_posix();
    uint8_t escrow[WARD_ESCROW_LEN];
    ward_err err = rng.fill(rng.ctx, a->auth, sizeof a->auth);
    if (err == WARD_OK) {
        err = ward_escrow_make_by(cp, &rng, &a->keys, WARD_KEY_APP_CLIENT, a->pub,
                                  (const uint8_t *)sn, strlen(sn), (const uint8_t *)a->uid,
                                  strlen(a->uid), a->auth, escrow);
    }
    if (err != WARD_OK) {
        return err;
    }
    ward_bind_data d = {
        .sn = (const uint8_t *)sn, .sn_len = strlen(sn),
        .uid = (const uint8_t *)a->uid, .uid_len = strlen(a->uid),
        .client_pub = a->pub, .auth_key = a->auth, .escrow = escrow,
        .phone = (const uint8_t *)a->phone, .phone_len = strlen(a->phone),
    };
    return ward_bind_seal(cp, &rng, q->k, q->tid, &d, blob, cap, len);
}

ward_err bench_bind_local(bench_lock *bl, bench_app *a)
{
    char qr[WARD_QR_JSON_MAX];
    uint8_t blob[WARD_BIND_BLOB_MAX], confirm[WARD_BIND_CONFIRM_MAX];
    size_t qr_len = 0, blob_len = 0, confirm_len = 0;
    bench_qr q;
    ward_err err = ward_bind_start(&bl->lock, (const uint8_t *)a->phone, strlen(a->phone),
                                   qr, sizeof qr, &qr_len);
    if (err == WARD_OK) {
        err = bench_qr_parse(qr, &q);
    }
    if (err == WARD_OK) {
        err = ward_bind_enter_code(&bl->lock, (const uint8_t *)q.code, WARD_BIND_CODE_LEN,
                                   NULL);
    }
    if (err == WARD_OK) {
        err = bench_app_blob(a, bl->cp, bl->sn, &q, blob, sizeof blob, &blob_len);
    }
    if (err == WARD_OK) {
        err = ward_bind_finish(&bl->lock, blob, blob_len, confirm, sizeof confirm,
                               &confirm_len);
    }
    if (err == WARD_OK) {
        err = ward_bind_confirmed(&bl->lock);
    }
    return err;
}

int bench_factory_load(const char *dir, uint8_t priv[WARD_P256_SCALAR_LEN])
{
    char path[1024], hex[2 * WARD_P256_SCALAR_LEN + 2];
    size_t n = 0;
    snprintf(path, sizeof path, "%s/factory.key", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL || fgets(hex, sizeof hex, f) == NULL) {
        fprintf(stderr, "bench: cannot read %s\n", path);
        if (f != NULL) {
            fclose(f);
        }
        return -1;
    }
    fclose(f);
    hex[strcspn(hex, "\r\n")] = '\0';
    int rc = ward_hex_decode(hex, strlen(hex), priv, WARD_P256_SCALAR_LEN, &n) == WARD_OK &&
                     n == WARD_P256_SCALAR_LEN
                 ? 0
                 : -1;
    ward_wipe(hex, sizeof hex);
    return rc;
}
