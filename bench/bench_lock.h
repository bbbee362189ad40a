/*
 * bench_lock.h - what the benchmarks share: a provisioned lock on
 * simulated flash (RAM), an app with its keys, and flow A done in-process
 * (no wardd) for benches that only need a bound client.
 *
 *     bench_lock bl;
 *     bench_lock_init(&bl, cp, "LOCK-0001");        // provisioned
 *     bench_app a;
 *     bench_app_init(&a, cp, "alice", "+8613800000000");
 *     bench_bind_local(&bl, &a);                    // a.auth now shared
 *     ... ward_op_lock_request(&bl.lock, ...) ...
 *     bench_lock_free(&bl);
 *
 * relay.c runs the same binding over wardd's HTTP API with the pieces
 * (bench_qr_parse, bench_app_blob) in between the requests.
 */
#ifndef WARD_BENCH_LOCK_H
#define WARD_BENCH_LOCK_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_lock.h"
#include "ward/ward_port_sim.h"

/* A 4 KiB erase unit, as common NOR parts have. */
#define BENCH_ERASE 4096u
#define BENCH_BANK                                                           \
    ((WARD_LOCK_STORE_BANK_MIN + BENCH_ERASE - 1) / BENCH_ERASE * BENCH_ERASE)
#define BENCH_FLASH (2u * BENCH_BANK)

typedef struct bench_lock {
    uint8_t *mem;                 /* BENCH_FLASH bytes, heap */
    ward_sim_flash sf;
    ward_store_port port;
    ward_random rng;
    ward_clock clock;
    const ward_crypto *cp;        /* the lock's suite, for the app side */
    ward_lock lock;
    char sn[WARD_SN_MAX + 1];
} bench_lock;

typedef struct bench_app {
    char uid[WARD_UID_MAX + 1];
    char phone[WARD_PHONE_MAX + 1];
    /* The client key, WARD_KEY_APP_CLIENT of keys (soft, in RAM): as the
     * app's, used by handle only. Not copied after bench_app_init(). */
    ward_keystore_soft soft;
    ward_keystore keys;
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t auth[WARD_AUTH_KEY_LEN];  /* set by bench_app_blob() */
} bench_app;

/* What the app reads from the lock's QR code. */
typedef struct bench_qr {
    char code[WARD_BIND_CODE_LEN + 1];
    uint8_t k[WARD_BIND_KEY_LEN];
    uint8_t tid[WARD_TASK_ID_LEN];
} bench_qr;

/* A fresh flash, opened and provisioned as sn; posix clock and random. */
ward_err bench_lock_init(bench_lock *bl, const ward_crypto *cp, const char *sn);
void bench_lock_free(bench_lock *bl);

ward_err bench_app_init(bench_app *a, const ward_crypto *cp, const char *uid,
                        const char *phone);

/* The QR payload of ward_bind_start(): code, K and task id. */
ward_err bench_qr_parse(const char *qr, bench_qr *q);

/* The app's sealed bind data for lock sn (a fresh auth key in a->auth,
 * escrowed to the app's own key). */
ward_err bench_app_blob(bench_app *a, const ward_crypto *cp, const char *sn,
                        const bench_qr *q, uint8_t *blob, size_t cap,
                        size_t *len);

/* Flow A without wardd: start, code, blob, finish, confirmed. */
ward_err bench_bind_local(bench_lock *bl, bench_app *a);

/* The factory's private key from DIR/factory.key (hex, as bench_relay
 * factory writes it); 0, or -1 with a line on stderr. */
int bench_factory_load(const char *dir, uint8_t priv[WARD_P256_SCALAR_LEN]);

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

#endif /* WARD_BENCH_LOCK_H */
