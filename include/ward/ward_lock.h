/*
 * ward_lock.h - the lock: its identity, its half of lock-app binding
 * (flow A), and its table of bound apps.
 *
 * Everything the lock must remember lives in the power-safe record store
 * (ward_store.h), so the lock may lose power at any moment and carry on:
 * its identity key, the pending binding (K, code, task id, phone, expiry,
 * attempts), the lock-out after too many wrong codes, the bound clients
 * and the last confirmation until wardd has acknowledged it. The context
 * holds copies of the ports and no pointer into itself, so it may be
 * copied; nothing secret stays in it between calls.
 *
 * The module is sans-I/O: the caller moves the bytes. A binding:
 *
 *     ward_lock lock;
 *     ward_lock_open(&lock, cp, &rng, &clock, &store_port);  // each power-up
 *     ward_lock_provision(&lock, sn, sn_len);                // first start
 *     ward_lock_activation(&lock, sn_buf, pub_buf, &act);    // for the factory
 *
 *     ward_bind_start(&lock, phone, phone_len, qr, sizeof qr, &qr_len);
 *         show qr (JSON) as a QR code; the app uploads its sealed blob
 *     ward_bind_enter_code(&lock, code, 6, &tries_left);     // the SMS code
 *         WARD_ERR_AUTH: wrong, tries_left more; WARD_ERR_LOCKED: the
 *         5th wrong code, binding refused for ward_bind_lockout() ms
 *     ward_bind_task_id(&lock, tid);   // GET /v1/bind/tasks/{tid} -> blob
 *     ward_bind_finish(&lock, blob, blob_len, confirm, sizeof confirm, &n);
 *         POST confirm to wardd; on any answer from wardd:
 *     ward_bind_confirmed(&lock);
 *
 * After a restart, ward_bind_status() says where a binding stands and
 * ward_bind_unconfirmed() gives back a confirmation wardd has not yet
 * acknowledged. A new binding cannot start while one is unacknowledged
 * (WARD_ERR_BUSY): the server must learn of every binding the lock made.
 *
 * Requests to wardd are signed with the identity key through
 * ward_lock_sign_request(), which signs only RFC 9421 signature bases.
 *
 * The store must hold WARD_MAX_CLIENTS clients: give it a region of at
 * least 2 * WARD_LOCK_STORE_BANK_MIN bytes.
 */
#ifndef WARD_LOCK_H
#define WARD_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_bind.h"
#include "ward_clock.h"
#include "ward_config.h"
#include "ward_crypto.h"
#include "ward_keystore.h"
#include "ward_err.h"
#include "ward_random.h"
#include "ward_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The QR payload ward_bind_start() writes, with its NUL. */
#define WARD_QR_JSON_MAX WARD_QR_PAYLOAD_MAX

/* First lock-out 5 minutes, doubling with each further one, at most a day. */
#define WARD_BIND_LOCKOUT_MS (5u * 60u * 1000u)
#define WARD_BIND_LOCKOUT_MAX_MS (24u * 60u * 60u * 1000u)

/* Bytes of one store bank that a full lock needs: every client (with
 * its binding's task id), a full audit ring and its head, the identity,
 * a pending binding, the lock-out, an add-client grant and an
 * unacknowledged confirmation. */
#define WARD_LOCK_STORE_BANK_MIN                                             \
    (WARD_STORE_BANK_HDR_LEN +                                               \
     WARD_MAX_CLIENTS * (WARD_STORE_RECORD_HDR_LEN + 196) +                  \
     WARD_AUDIT_MAX * (WARD_STORE_RECORD_HDR_LEN + 80) +                     \
     7 * WARD_STORE_RECORD_HDR_LEN + 140 + 100 + 16 + 8 + 8 +                \
     WARD_BIND_CONFIRM_MAX)

/* Opaque: the ports, the store and where the identity key lives are the
 * core's (core/proto/lock_inner.h). Nothing in it depends on
 * ward_config.h; room for pointers on any target. */
#define WARD_LOCK_CTX_SIZE (WARD_STORE_CTX_SIZE + 8 * sizeof(void *))
typedef struct ward_lock {
    WARD_OPAQUE(WARD_LOCK_CTX_SIZE);
} ward_lock;

/* Where a binding stands. */
typedef enum ward_bind_state {
    WARD_BIND_NONE = 0,     /* no binding in progress */
    WARD_BIND_WAIT_CODE,    /* QR shown, waiting for the SMS code */
    WARD_BIND_CODE_OK       /* code accepted, waiting for the blob */
} ward_bind_state;

/* One bound app, as the lock shows it (never its auth key). */
typedef struct ward_lock_client {
    uint8_t uid[WARD_UID_MAX];
    size_t uid_len;
    uint8_t client_pub[WARD_P256_POINT_LEN];
    uint8_t role;           /* WARD_ROLE_* */
    uint64_t bound_at_ms;   /* the lock's clock */
} ward_lock_client;

/* Opens the lock's store. WARD_ERR_IO if the port fails. */
WARD_MUST_CHECK
ward_err ward_lock_open(ward_lock *lock, const ward_crypto *cp,
                        const ward_random *rng, const ward_clock *clock,
                        const ward_store_port *port);

/* Keeps the identity key in ks (ward_keystore.h, id
 * WARD_KEY_LOCK_IDENTITY) from now on: ward_lock_provision() generates it
 * there and the identity record keeps only the public key and SN, so the
 * private key never reaches the core. Call after every ward_lock_open()
 * (it clears the context); ks must outlive the lock. NULL (the default):
 * the key is made by the crypto port and kept in the identity record. A
 * lock provisioned one way refuses to sign the other way (WARD_ERR_STATE):
 * a record with a private key ignores ks, a record without needs it. */
void ward_lock_use_keystore(ward_lock *lock, const ward_keystore *ks);
/* The same with the key under another id: an IoT device's
 * (ward_dev_use_keystore()) is WARD_KEY_DEVICE_IDENTITY. */
void ward_lock_use_keystore_as(ward_lock *lock, const ward_keystore *ks, ward_key_id id);

/* Makes and stores the identity key pair once. Again with the same SN:
 * WARD_OK, nothing changes; with another SN: WARD_ERR_STATE. */
WARD_MUST_CHECK
ward_err ward_lock_provision(ward_lock *lock, const uint8_t *sn,
                             size_t sn_len);

/* The lock's SN and identity public key; WARD_ERR_STATE before
 * ward_lock_provision(). */
WARD_MUST_CHECK
ward_err ward_lock_identity(const ward_lock *lock, uint8_t sn[WARD_SN_MAX],
                            size_t *sn_len,
                            uint8_t pub[WARD_P256_POINT_LEN]);

/* The activation for the factory to sign (ward_activation_sign_by()): a
 * view into sn and pub, which this fills. */
WARD_MUST_CHECK
ward_err ward_lock_activation(const ward_lock *lock, uint8_t sn[WARD_SN_MAX],
                              uint8_t pub[WARD_P256_POINT_LEN],
                              ward_activation *a);

/* ECDSA over SHA-256(base) with the identity key, for RFC 9421 request
 * signatures (ward_httpsig.h). Only a base starting with "\"@method\": "
 * is signed (WARD_ERR_PARAM otherwise), so this cannot be used to sign
 * anything a flow signs with ward_sign(). */
WARD_MUST_CHECK
ward_err ward_lock_sign_request(const ward_lock *lock, const char *base,
                                size_t base_len,
                                uint8_t sig[WARD_P256_SIG_LEN]);

/* Starts a binding for phone: fresh K, code and task id, stored as the
 * pending binding (replacing and wiping any earlier one), and writes the
 * QR payload JSON with its NUL (*len excludes it). WARD_ERR_LOCKED while
 * locked out, WARD_ERR_BUSY while a confirmation is unacknowledged,
 * WARD_ERR_FORMAT for a malformed phone number.
 * Once any app is bound, a binding needs an owner's or admin's approval
 * of WARD_OP_ADD_CLIENT (ward_op.h) given within the last
 * WARD_BIND_TTL_MS: this call consumes that grant in the same store
 * update that saves the pending binding, and is WARD_ERR_AUTH without
 * one. The first binding of an empty lock needs none (it becomes the
 * owner). */
WARD_MUST_CHECK
ward_err ward_bind_start(ward_lock *lock, const uint8_t *phone,
                         size_t phone_len, char *qr, size_t cap, size_t *len);

/* Checks the code the owner typed. The attempt is counted in the store
 * before the comparison. WARD_OK (also if already accepted);
 * WARD_ERR_AUTH wrong, *tries_left more; WARD_ERR_LOCKED the last try
 * failed, pending binding destroyed; WARD_ERR_EXPIRED task too old,
 * destroyed; WARD_ERR_STATE no binding in progress. tries_left may be NULL. */
WARD_MUST_CHECK
ward_err ward_bind_enter_code(ward_lock *lock, const uint8_t *code,
                              size_t code_len, unsigned *tries_left);

/* The pending binding's state, and its task id (tid may be NULL). */
WARD_MUST_CHECK
ward_err ward_bind_status(const ward_lock *lock, ward_bind_state *state,
                          uint8_t tid[WARD_TASK_ID_LEN]);

/* The pending task id; WARD_ERR_STATE if none. */
WARD_MUST_CHECK
ward_err ward_bind_task_id(const ward_lock *lock,
                           uint8_t tid[WARD_TASK_ID_LEN]);

/* Opens the blob wardd handed over and, if it is the app's bind data for
 * this task, this lock and the phone typed in, stores the client and
 * writes the signed confirmation (at most WARD_BIND_CONFIRM_MAX bytes),
 * all in one store update. WARD_ERR_STATE unless the code was accepted;
 * WARD_ERR_AUTH for a blob not sealed for this task or not matching;
 * WARD_ERR_FORMAT for sealed bytes that do not parse; WARD_ERR_CONFLICT
 * when the bind data names a user id already bound (whatever its key: a
 * binding never replaces a client nor inherits its role); WARD_ERR_NOSPACE
 * when WARD_MAX_CLIENTS are bound; WARD_ERR_EXPIRED past the task's life.
 * On any failure but EXPIRED the pending binding stays, so a correct
 * blob can still follow. */
WARD_MUST_CHECK
ward_err ward_bind_finish(ward_lock *lock, const uint8_t *blob,
                          size_t blob_len, uint8_t *confirm, size_t cap,
                          size_t *len);

/* Forgets the pending binding, if any. */
WARD_MUST_CHECK
ward_err ward_bind_cancel(ward_lock *lock);

/* The confirmation not yet acknowledged by wardd; WARD_ERR_NOTFOUND if none. */
WARD_MUST_CHECK
ward_err ward_bind_unconfirmed(const ward_lock *lock, uint8_t *out,
                               size_t cap, size_t *len);
/* wardd has answered the confirmation: forget it. */
WARD_MUST_CHECK
ward_err ward_bind_confirmed(ward_lock *lock);
/* wardd refused the unacknowledged confirmation for good (a 4xx answer):
 * the binding it announced is undone (client removed, audit entry
 * WARD_AUDIT_BIND_UNDONE, in one store update), so the lock never keeps a
 * client the server does not know. Since a binding only ever fills a free
 * slot, this leaves the client table exactly as it was before it. WARD_ERR_NOTFOUND if there is no
 * unacknowledged confirmation. */
WARD_MUST_CHECK
ward_err ward_bind_refused(ward_lock *lock);

/* WARD_OK and 0 when binding is allowed; WARD_ERR_LOCKED and the time
 * left otherwise. remaining_ms may be NULL. */
WARD_MUST_CHECK
ward_err ward_bind_lockout(const ward_lock *lock, uint64_t *remaining_ms);

/* The client table, in slot order. */
WARD_MUST_CHECK
ward_err ward_lock_client_count(const ward_lock *lock, size_t *count);
/* WARD_ERR_NOTFOUND past the end. */
WARD_MUST_CHECK
ward_err ward_lock_client_get(const ward_lock *lock, size_t index,
                              ward_lock_client *client);
/* The auth key shared with app uid (for its channel); the caller wipes it.
 * WARD_ERR_NOTFOUND for an unknown uid. */
WARD_MUST_CHECK
ward_err ward_lock_client_auth_key(const ward_lock *lock, const uint8_t *uid,
                                   size_t uid_len,
                                   uint8_t key[WARD_AUTH_KEY_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* WARD_LOCK_H */
