/*
 * op_inner.h - the halves of flow B's sealed messages that the lock uses
 * (op_lock.c) and the fuzz harnesses reach. Not installed.
 *
 * APPROVAL, OP_RESULT, REVOKE and REVOKE_RESULT share one shape: a fixed
 * header (flags WARD_FLAG_SEALED) and a body of the sender's uid in clear,
 * the random nonce of a REVOKE or REVOKE_RESULT, and AES-128-CCM
 * ciphertext whose associated data is header || uid. Splitting checks
 * only the shape (WARD_ERR_FORMAT); opening checks the tag and parses the
 * plaintext, and says WARD_ERR_AUTH for anything that fails, since past
 * the tag check nothing should.
 */
#ifndef WARD_OP_INNER_H
#define WARD_OP_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_op.h"

/* The lock's one outstanding request, behind the opaque ward_op_lock. */
typedef struct ward_op_state {
    bool active;
    uint8_t op;
    uint8_t nonce[WARD_OP_NONCE_LEN];
    uint8_t target[WARD_UID_MAX];
    size_t target_len;
    uint64_t expires_ms;
    uint32_t ttl_ms;             /* the life it was given (0: WARD_OP_TTL_MS) */
} ward_op_state;

/* C99 has no _Static_assert: a negative array size fails the build if the
 * state outgrows WARD_OP_LOCK_CTX_SIZE. */
typedef char ward_op_state_fits[sizeof(ward_op_state) <= WARD_OP_LOCK_CTX_SIZE ? 1 : -1];

static inline ward_op_state *op_st(ward_op_lock *op)
{
    return (ward_op_state *)(void *)op->opaque.bytes;
}

static inline const ward_op_state *op_cst(const ward_op_lock *op)
{
    return (const ward_op_state *)(const void *)op->opaque.bytes;
}

#define WARD_OP_RESULT_PLAIN_MAX                                             \
    (WARD_TLV_SIZE(WARD_OP_NONCE_LEN) + 2 * WARD_TLV_SIZE(1))

/* A sealed flow B message, split: views into it. */
typedef struct ward_op_sealed {
    const uint8_t *uid;          /* the sender (approver, lock's reader, revoker) */
    size_t uid_len;
    const uint8_t *nonce;        /* REVOKE, REVOKE_RESULT: WARD_AEAD_NONCE_LEN */
    const uint8_t *ct;           /* ciphertext || tag */
    size_t ct_len;
} ward_op_sealed;

/* An APPROVAL's plaintext: views into the caller's plain buffer. */
typedef struct ward_approval_plain {
    const uint8_t *sn;
    size_t sn_len;
    const uint8_t *uid;
    size_t uid_len;
    const uint8_t *nonce;        /* WARD_OP_NONCE_LEN */
    uint8_t op;
    uint8_t decision;
} ward_approval_plain;

/* A REVOKE's plaintext: views into the caller's plain buffer. */
typedef struct ward_revoke_plain {
    const uint8_t *sn;
    size_t sn_len;
    const uint8_t *target;
    size_t target_len;
    const uint8_t *tid;          /* WARD_TASK_ID_LEN */
} ward_revoke_plain;

/* msg must be a well-formed message of `type` (APPROVAL, OP_RESULT,
 * REVOKE or REVOKE_RESULT) with a valid uid; WARD_ERR_FORMAT otherwise. */
ward_err ward_op_sealed_split(const uint8_t *msg, size_t len, uint8_t type,
                              ward_op_sealed *s);

/* Opens the APPROVAL msg (split into s) to the request {sn, nonce} with
 * the sender's auth key. The fields inside are parsed, not compared.
 * plain holds what ap points into; the caller wipes it. */
ward_err ward_approval_open(const ward_crypto *cp,
                            const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                            const uint8_t *sn, size_t sn_len,
                            const uint8_t nonce[WARD_OP_NONCE_LEN],
                            const uint8_t *msg, const ward_op_sealed *s,
                            uint8_t plain[WARD_APPROVAL_PLAIN_MAX],
                            ward_approval_plain *ap);

/* The lock's OP_RESULT for the answer of uid to request {sn, nonce, op}. */
ward_err ward_op_result_seal(const ward_crypto *cp,
                             const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                             const uint8_t *sn, size_t sn_len,
                             const uint8_t nonce[WARD_OP_NONCE_LEN],
                             uint8_t op, const uint8_t *uid, size_t uid_len,
                             uint8_t outcome, uint8_t *out, size_t cap,
                             size_t *len);

/* Opens the REVOKE msg (split into s) for lock sn with the revoker's
 * auth key. plain holds what rp points into; the caller wipes it. */
ward_err ward_revoke_open(const ward_crypto *cp,
                          const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                          const uint8_t *sn, size_t sn_len,
                          const uint8_t *msg, const ward_op_sealed *s,
                          uint8_t plain[WARD_REVOKE_PLAIN_MAX],
                          ward_revoke_plain *rp);

/* The lock's REVOKE_RESULT rr for the REVOKE split into revoke, sealed
 * under the revoker's auth key with a nonce drawn from rng (it travels:
 * a REVOKE answered twice must not reuse one). */
ward_err ward_revoke_result_seal(const ward_crypto *cp, const ward_random *rng,
                                 const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                                 const uint8_t *sn, size_t sn_len,
                                 const ward_op_sealed *revoke,
                                 const ward_revoke_outcome *rr, uint8_t *out,
                                 size_t cap, size_t *len);

#endif /* WARD_OP_INNER_H */
