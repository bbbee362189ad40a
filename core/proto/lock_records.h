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
 * 0x0110 + slot       client: uid_len (1) | uid | client_pub (65) |
 *                     auth_key (32) | role (1) | bound_at_ms (8);
 *                     slot 0..WARD_MAX_CLIENTS-1
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
#define LOCK_REC_CLIENT_FIRST 0x0110u
#define LOCK_REC_CLIENT_LAST (LOCK_REC_CLIENT_FIRST + WARD_MAX_CLIENTS - 1u)

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

/* client: offsets after the uid */
#define CLIENT_REC_MAX                                                       \
    (1 + WARD_UID_MAX + WARD_P256_POINT_LEN + WARD_AUTH_KEY_LEN + 1 + 8)

/* The lock's identity, read from the store. */
typedef struct lock_identity {
    uint8_t priv[WARD_P256_SCALAR_LEN];
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t sn[WARD_SN_MAX];
    size_t sn_len;
} lock_identity;

/* WARD_ERR_STATE if not provisioned; the caller wipes id. */
ward_err ward_lock_load_identity(const ward_lock *lock, lock_identity *id);

/* A client record decoded; auth_key is a secret the caller wipes. */
typedef struct lock_client_rec {
    uint8_t uid[WARD_UID_MAX];
    size_t uid_len;
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t auth_key[WARD_AUTH_KEY_LEN];
    uint8_t role;
    uint64_t bound_at_ms;
} lock_client_rec;

ward_err ward_lock_client_read(const ward_lock *lock, uint16_t key,
                               lock_client_rec *c);
size_t ward_lock_client_encode(const lock_client_rec *c,
                               uint8_t out[CLIENT_REC_MAX]);

/* Where app uid goes: its own slot if bound (*found true, *role its
 * role), else a free slot (*found false) and the role a newcomer gets.
 * WARD_ERR_NOSPACE if the table is full. */
ward_err ward_lock_client_slot(const ward_lock *lock, const uint8_t *uid,
                               size_t uid_len, uint16_t *key, bool *found,
                               uint8_t *role);

#endif /* WARD_LOCK_RECORDS_H */
