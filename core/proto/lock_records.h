/*
 * lock_records.h - the lock's records in the power-safe store, in one
 * place. Not installed. All integers big-endian.
 *
 * 0x0100 identity     priv (32) | pub (65) | sn_len (1) | sn (sn_len)
 * 0x0101 pending      state (1) | attempts (1) | tid (16) | K (32) |
 *                     code (6) | created_ms (8) | phone_len (1) | phone
 * 0x0102 lock-out     until_ms (8) | count (1): binding refused until
 *                     until_ms; count lock-outs since the last binding
 * 0x0103 unconfirmed  the signed BIND_CONFIRM message wardd has not
 *                     acknowledged yet
 * 0x0104 audit head   last_seq (4): the seq of the newest audit entry,
 *                     0 before the first; entries hold the last
 *                     min(last_seq, WARD_AUDIT_MAX) seqs
 * 0x0105 add grant    until_ms (8): an owner's or admin's approval of
 *                     WARD_OP_ADD_CLIENT, good for one binding started
 *                     before until_ms (ward_bind_start consumes it)
 * 0x0110 + slot       client: uid_len (1) | uid | client_pub (65) |
 *                     auth_key (32) | role (1) | bound_at_ms (8) |
 *                     tid (16), the task id of its binding (a REVOKE
 *                     names it); slot 0..WARD_MAX_CLIENTS-1
 * 0x0300 + seq % WARD_AUDIT_MAX
 *                     audit entry: seq (4) | time_ms (8) | event (1) |
 *                     op (1) | outcome (1) | uid_len (1) | uid (0..64).
 *                     Written with the head in one update, so the ring
 *                     and its head never disagree.
 *
 * Records holding secrets (identity, pending, clients) are read into
 * stack buffers that are wiped before every return.
 */
#ifndef WARD_LOCK_RECORDS_H
#define WARD_LOCK_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_lock.h"

#define LOCK_REC_IDENTITY 0x0100u
#define LOCK_REC_PENDING 0x0101u
#define LOCK_REC_LOCKOUT 0x0102u
#define LOCK_REC_UNCONFIRMED 0x0103u
#define LOCK_REC_AUDIT_HEAD 0x0104u
#define LOCK_REC_ADD_GRANT 0x0105u
#define LOCK_REC_CLIENT_FIRST 0x0110u
#define LOCK_REC_CLIENT_LAST (LOCK_REC_CLIENT_FIRST + WARD_MAX_CLIENTS - 1u)
/* Above every client slot whatever WARD_MAX_CLIENTS (at most 255). */
#define LOCK_REC_AUDIT_FIRST 0x0300u

/* identity */
#define ID_OFF_PRIV 0
#define ID_OFF_PUB (ID_OFF_PRIV + WARD_P256_SCALAR_LEN)
#define ID_OFF_SN_LEN (ID_OFF_PUB + WARD_P256_POINT_LEN)
#define ID_OFF_SN (ID_OFF_SN_LEN + 1)
#define ID_REC_MAX (ID_OFF_SN + WARD_SN_MAX)

/* pending */
#define PEND_OFF_STATE 0
#define PEND_OFF_ATTEMPTS 1
#define PEND_OFF_TID 2
#define PEND_OFF_K (PEND_OFF_TID + WARD_TASK_ID_LEN)
#define PEND_OFF_CODE (PEND_OFF_K + WARD_BIND_KEY_LEN)
#define PEND_OFF_CREATED (PEND_OFF_CODE + WARD_BIND_CODE_LEN)
#define PEND_OFF_PHONE_LEN (PEND_OFF_CREATED + 8)
#define PEND_OFF_PHONE (PEND_OFF_PHONE_LEN + 1)
#define PEND_REC_MAX (PEND_OFF_PHONE + WARD_PHONE_MAX)

#define LOCKOUT_REC_LEN 9
#define GRANT_REC_LEN 8
#define AUDIT_HEAD_LEN 4

/* audit entry */
#define AUDIT_OFF_SEQ 0
#define AUDIT_OFF_TIME 4
#define AUDIT_OFF_EVENT 12
#define AUDIT_OFF_OP 13
#define AUDIT_OFF_OUTCOME 14
#define AUDIT_OFF_UID_LEN 15
#define AUDIT_OFF_UID 16
#define AUDIT_REC_MAX (AUDIT_OFF_UID + WARD_UID_MAX)

/* client: offsets after the uid */
#define CLIENT_REC_MAX                                                       \
    (1 + WARD_UID_MAX + WARD_P256_POINT_LEN + WARD_AUTH_KEY_LEN + 1 + 8 +    \
     WARD_TASK_ID_LEN)

/* WARD_LOCK_STORE_BANK_MIN counts 196 bytes per client and 80 per audit
 * entry: fail the build if a record outgrows its share. */
typedef char lock_client_rec_fits[CLIENT_REC_MAX <= 196 ? 1 : -1];
typedef char lock_audit_rec_fits[AUDIT_REC_MAX <= 80 ? 1 : -1];

/* The lock's identity, read from the store. A priv of all zeros (never
 * a valid scalar) says the key is in the lock's keystore
 * (ward_lock_use_keystore()); external is then true. */
typedef struct lock_identity {
    uint8_t priv[WARD_P256_SCALAR_LEN];
    bool external;
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t sn[WARD_SN_MAX];
    size_t sn_len;
} lock_identity;

/* WARD_ERR_STATE if not provisioned; the caller wipes id. */
ward_err ward_lock_load_identity(const ward_lock *lock, lock_identity *id);

/* Signs a digest with the identity key, in the record or in the lock's
 * keystore. WARD_ERR_STATE for a key in a keystore the lock was not
 * given. */
ward_err ward_lock_id_sign(const ward_lock *lock, const lock_identity *id,
                           const uint8_t digest[WARD_SHA256_LEN],
                           uint8_t sig[WARD_P256_SIG_LEN]);
/* ward_bind_confirm_sign_by() with the identity key, wherever it is. */
ward_err ward_lock_id_confirm(const ward_lock *lock, const lock_identity *id,
                              const ward_bind_confirm *c, uint8_t *out, size_t cap,
                              size_t *len);

/* A client record decoded; auth_key is a secret the caller wipes. */
typedef struct lock_client_rec {
    uint8_t uid[WARD_UID_MAX];
    size_t uid_len;
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t auth_key[WARD_AUTH_KEY_LEN];
    uint8_t role;
    uint64_t bound_at_ms;
    uint8_t tid[WARD_TASK_ID_LEN];
} lock_client_rec;

ward_err ward_lock_client_read(const ward_lock *lock, uint16_t key,
                               lock_client_rec *c);
size_t ward_lock_client_encode(const lock_client_rec *c,
                               uint8_t out[CLIENT_REC_MAX]);

/* The bound app uid: its record key and record (the caller wipes c).
 * WARD_ERR_NOTFOUND if it is not bound. */
ward_err ward_lock_client_find(const ward_lock *lock, const uint8_t *uid,
                               size_t uid_len, uint16_t *key,
                               lock_client_rec *c);

/* Where a new binding of app uid goes: a free slot and the role a
 * newcomer gets (owner on an empty lock, else member).
 * WARD_ERR_CONFLICT if uid is bound already (whatever its key),
 * WARD_ERR_NOSPACE if the table is full. */
ward_err ward_lock_client_slot(const ward_lock *lock, const uint8_t *uid,
                               size_t uid_len, uint16_t *key, uint8_t *role);

/* One audit event as two record changes (entry and head), for the
 * caller to put in the same store update as what the event records. The
 * changes point into a, which must outlive the update. */
typedef struct lock_audit_add {
    uint8_t entry[AUDIT_REC_MAX];
    uint8_t head[AUDIT_HEAD_LEN];
    ward_record_change ch[2];
} lock_audit_add;

/* uid may be NULL when uid_len is 0 (a lock-out names nobody). */
ward_err ward_lock_audit_prepare(const ward_lock *lock, uint8_t event,
                                 uint8_t op, uint8_t outcome,
                                 const uint8_t *uid, size_t uid_len,
                                 uint64_t now_ms, lock_audit_add *a);

#endif /* WARD_LOCK_RECORDS_H */
