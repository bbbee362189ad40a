/*
 * lock_fixture.h - a provisioned lock on simulated flash, and apps that
 * bind to it, for the tests of the lock's flows (test_bind_lock.c,
 * test_op.c).
 *
 *     lf_env *e = lf_env_new();        // lock "LOCK-0001", clock at LF_T0
 *     lf_app a;
 *     lf_app_init(&a, "alice");
 *     lf_bind(e, &a);                  // the whole of flow A; a.auth, a.tid
 *     lf_restart(e);                   // a power-up from the same flash
 *     lf_env_free(e);
 *
 * Once a client is bound a binding needs an add-client grant: lf_start()
 * and lf_bind() get one from e->owner (the first app bound) by flow B;
 * lf_try_start() does not, so tests can check the rule itself.
 */
#ifndef WARD_LOCK_FIXTURE_H
#define WARD_LOCK_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_lock.h"
#include "ward/ward_op.h"
#include "ward/ward_port_sim.h"

#define LF_ERASE 256
/* The bank a full lock needs, in whole erase units. */
#define LF_BANK                                                              \
    ((WARD_LOCK_STORE_BANK_MIN + LF_ERASE - 1) / LF_ERASE * LF_ERASE)
#define LF_FLASH (2 * LF_BANK)
#define LF_T0 1700000000000ull

extern const uint8_t LF_SN[];
extern const uint8_t LF_PHONE[];
#define LF_SN_LEN 9
#define LF_PHONE_LEN 14

/* One app: a client key, an account, and what binding gave it. */
typedef struct lf_app {
    char uid[WARD_UID_MAX + 1];
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN];
    uint8_t auth[WARD_AUTH_KEY_LEN];
    uint8_t tid[WARD_TASK_ID_LEN];  /* of its last binding */
    uint8_t role;
} lf_app;

typedef struct lf_env {
    uint8_t mem[LF_FLASH];
    ward_sim_flash sf;
    ward_store_port port;
    uint64_t now;
    ward_clock clock;
    ward_random rng;
    ward_lock lock;
    uint8_t lock_pub[WARD_P256_POINT_LEN];
    lf_app *owner;                  /* set by lf_bind(); grants bindings */
} lf_env;

/* What the app knows after scanning the QR code. */
typedef struct lf_qr {
    char code[WARD_BIND_CODE_LEN + 1];
    uint8_t k[WARD_BIND_KEY_LEN];
    uint8_t tid[WARD_TASK_ID_LEN];
} lf_qr;

lf_env *lf_env_new(void);
void lf_env_free(lf_env *e);
void lf_restart(lf_env *e);

void lf_app_init(lf_app *a, const char *uid);
size_t lf_uid_len(const lf_app *a);

/* ward_bind_start and, on WARD_OK, the QR checked and read into s. */
ward_err lf_try_start(lf_env *e, lf_qr *s);
/* The same, with a grant from e->owner first when one is needed. */
void lf_start(lf_env *e, lf_qr *s);
/* The app's sealed bind data (a fresh auth key into a->auth). */
size_t lf_app_blob(lf_app *a, const lf_qr *s, const uint8_t *phone,
                   size_t phone_len, uint8_t *blob);
void lf_enter_ok(lf_env *e, const lf_qr *s);
/* Checks a confirmation as wardd would, and the lock's table after it. */
void lf_check_bound(lf_env *e, const lf_app *a, const lf_qr *s,
                    const uint8_t *m, size_t len, uint8_t role);
/* A whole binding (granted by e->owner if needed); returns the role. */
uint8_t lf_bind(lf_env *e, lf_app *a);

/* Flow B from the app's side: a request parsed into req (views into
 * msg), and approver's answer to it. */
void lf_request(lf_env *e, ward_op_lock *op, uint8_t code,
                const lf_app *target, uint8_t *msg, size_t cap,
                ward_op_request *req);
size_t lf_answer(const lf_app *a, const ward_op_request *req,
                 uint8_t decision, uint8_t *out, size_t cap);
/* approver allows WARD_OP_ADD_CLIENT: the lock's answer to that. */
ward_err lf_try_grant(lf_env *e, const lf_app *approver);
void lf_grant(lf_env *e, const lf_app *approver);

#endif /* WARD_LOCK_FIXTURE_H */
