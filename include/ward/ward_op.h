/*
 * ward_op.h - remote operation approval (flow B): the lock asks, a bound
 * app allows or denies, the lock acts only on an answer it verifies with
 * the authorization key it shares with that app. docs/protocol.md
 * ("Remote operation approval") gives every byte.
 *
 * Three parties use this header:
 *  - the lock (ward_op_lock_*): one outstanding request at a time, held in
 *    a ward_op_lock context the caller keeps in RAM only, never in the
 *    store: a lock that restarts forgets its request, so an answer to it
 *    can never be acted on later;
 *  - the app (ward_approval_seal, ward_op_result_open, ward_revoke_seal):
 *    it needs the lock's OP_REQUEST, its user id and its authorization key;
 *  - wardd (ward_op_request_parse, ward_approval_uid): it routes by the
 *    request's fields and checks who answered, but cannot open anything.
 *
 * Lock, remotely:
 *     ward_op_lock op;                              // RAM only
 *     ward_op_lock_request(&lock, &op, WARD_OP_UNLOCK, NULL, 0, req, cap, &n);
 *         POST req to wardd; fetch the answer
 *     ward_op_lock_accept(&lock, &op, approval, len, &outcome, res, cap, &m);
 *         outcome.execute says whether to act; POST res to wardd
 * Near field: the same, with ward_op_near_hello_parse() first.
 *
 * Revocation (owner or admin, or oneself): the app seals REVOKE; the lock
 * applies it with ward_op_lock_revoke() and answers with a REVOKE_RESULT
 * sealed for the revoker, who opens it with ward_revoke_result_open():
 * "revoked" is the lock's word, never wardd's. The audit ring:
 * ward_audit_*().
 */
#ifndef WARD_OP_H
#define WARD_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_bind.h"
#include "ward_config.h"
#include "ward_err.h"
#include "ward_lock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_MSG_OP_REQUEST 0x20u
#define WARD_MSG_APPROVAL 0x21u
#define WARD_MSG_OP_RESULT 0x22u
#define WARD_MSG_REVOKE 0x23u
#define WARD_MSG_NEAR_HELLO 0x24u
#define WARD_MSG_REVOKE_RESULT 0x25u

#define WARD_OP_UNLOCK 1u
#define WARD_OP_INTERCOM 2u
#define WARD_OP_VIDEO 3u
#define WARD_OP_ADD_CLIENT 4u
#define WARD_OP_MAX 4u

#define WARD_DECISION_DENY 0u
#define WARD_DECISION_ALLOW 1u

#define WARD_OUTCOME_EXECUTED 0u
#define WARD_OUTCOME_DENIED 1u
#define WARD_OUTCOME_EXPIRED 2u

/* What the lock did with a REVOKE (its REVOKE_RESULT says so). */
#define WARD_REVOKE_DONE 0u       /* the target's binding is gone */
#define WARD_REVOKE_NOT_BOUND 1u  /* the target is not bound: nothing to do */
#define WARD_REVOKE_STALE 2u      /* the target is bound under another binding (tid) */
#define WARD_REVOKE_REFUSED 3u    /* the revoker's role does not allow it */
#define WARD_REVOKE_OUTCOME_MAX 3u

#define WARD_OP_NONCE_LEN 16

/* Worst-case message sizes. */
#define WARD_OP_REQUEST_MAX                                                  \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_SN_MAX) +                        \
     WARD_TLV_SIZE(WARD_OP_NONCE_LEN) + WARD_TLV_SIZE(1) +                   \
     WARD_TLV_SIZE(WARD_UID_MAX) + WARD_TLV_SIZE(8))
#define WARD_APPROVAL_PLAIN_MAX (WARD_TLV_SIZE(1) + WARD_TLV_SIZE(1))
#define WARD_APPROVAL_MAX                                                    \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_UID_MAX) +                       \
     WARD_TLV_SIZE(WARD_APPROVAL_PLAIN_MAX + WARD_AEAD_TAG_LEN))
#define WARD_OP_RESULT_MAX                                                   \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_UID_MAX) +                       \
     WARD_TLV_SIZE(WARD_TLV_SIZE(WARD_OP_NONCE_LEN) + 2 * WARD_TLV_SIZE(1) + \
                   WARD_AEAD_TAG_LEN))
#define WARD_REVOKE_PLAIN_MAX                                                \
    (WARD_TLV_SIZE(WARD_SN_MAX) + WARD_TLV_SIZE(WARD_UID_MAX) +              \
     WARD_TLV_SIZE(WARD_TASK_ID_LEN))
#define WARD_REVOKE_MAX                                                      \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_UID_MAX) +                       \
     WARD_TLV_SIZE(WARD_AEAD_NONCE_LEN) +                                    \
     WARD_TLV_SIZE(WARD_REVOKE_PLAIN_MAX + WARD_AEAD_TAG_LEN))
#define WARD_REVOKE_RESULT_PLAIN_MAX                                         \
    (WARD_TLV_SIZE(1) + WARD_TLV_SIZE(WARD_UID_MAX) +                        \
     WARD_TLV_SIZE(WARD_TASK_ID_LEN))
#define WARD_REVOKE_RESULT_MAX                                               \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_UID_MAX) +                       \
     WARD_TLV_SIZE(WARD_AEAD_NONCE_LEN) +                                    \
     WARD_TLV_SIZE(WARD_REVOKE_RESULT_PLAIN_MAX + WARD_AEAD_TAG_LEN))
#define WARD_NEAR_HELLO_MAX                                                  \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_UID_MAX) + WARD_TLV_SIZE(1))

/* A parsed OP_REQUEST: views into the message. */
typedef struct ward_op_request {
    const uint8_t *sn;
    size_t sn_len;
    const uint8_t *nonce;        /* WARD_OP_NONCE_LEN */
    uint8_t op;
    const uint8_t *target;       /* NULL: any bound client */
    size_t target_len;
    uint64_t expires_ms;         /* lock clock */
} ward_op_request;

/* The lock's one outstanding request. RAM only; copyable. Opaque: its
 * code, nonce, target and expiry are the core's (core/proto/op_inner.h);
 * ward_op_lock_code() tells what it asks. Nothing in it depends on
 * ward_config.h. */
#define WARD_OP_LOCK_CTX_SIZE (WARD_OP_NONCE_LEN + WARD_UID_MAX + 2 * sizeof(size_t) + 16)
typedef struct ward_op_lock {
    WARD_OPAQUE(WARD_OP_LOCK_CTX_SIZE);
} ward_op_lock;

/* What the lock did with a REVOKE, as its REVOKE_RESULT tells the revoker. */
typedef struct ward_revoke_outcome {
    uint8_t outcome;             /* WARD_REVOKE_* */
    uint8_t revoker[WARD_UID_MAX];
    size_t revoker_len;
    uint8_t target[WARD_UID_MAX];
    size_t target_len;
    bool has_tid;                /* the target is (was) bound under tid */
    uint8_t tid[WARD_TASK_ID_LEN];
} ward_revoke_outcome;

/* What the lock decided about a valid answer. */
typedef struct ward_op_outcome {
    bool execute;                /* act now */
    uint8_t op;
    uint8_t outcome;             /* WARD_OUTCOME_* */
    uint8_t uid[WARD_UID_MAX];   /* who answered */
    size_t uid_len;
} ward_op_outcome;

/* ---- lock ---- */

/* Starts a request (replacing any outstanding one) and writes OP_REQUEST.
 * target NULL asks every bound client; otherwise it must be bound
 * (WARD_ERR_NOTFOUND). WARD_ERR_PARAM for an unknown op. */
WARD_MUST_CHECK
ward_err ward_op_lock_request(ward_lock *lock, ward_op_lock *op, uint8_t code,
                              const uint8_t *target, size_t target_len,
                              uint8_t *out, size_t cap, size_t *len);
/* The same with a shorter life than WARD_OP_TTL_MS (ttl_ms 0: the
 * default; longer values are cut to it): a door that must open now. */
WARD_MUST_CHECK
ward_err ward_op_lock_request_within(ward_lock *lock, ward_op_lock *op, uint8_t code,
                                     const uint8_t *target, size_t target_len,
                                     uint32_t ttl_ms, uint8_t *out, size_t cap,
                                     size_t *len);

/* The op the outstanding request asks (WARD_OP_*), 0 when none is
 * outstanding (never asked, answered, expired or failed to start). */
uint8_t ward_op_lock_code(const ward_op_lock *op);

/* Checks an APPROVAL against the outstanding request (order and rules in
 * docs/protocol.md). On WARD_OK the request is consumed, the decision is
 * in the audit ring, *outcome says whether to act, and res receives the
 * OP_RESULT for the app. WARD_ERR_AUTH / WARD_ERR_FORMAT: not a valid
 * answer, the request stays outstanding. WARD_ERR_EXPIRED: the request
 * has expired and is dropped (res then holds an EXPIRED result if the
 * answer itself verified, else *res_len is 0). WARD_ERR_STATE: no request
 * is outstanding. */
WARD_MUST_CHECK
ward_err ward_op_lock_accept(ward_lock *lock, ward_op_lock *op,
                             const uint8_t *approval, size_t len,
                             ward_op_outcome *outcome, uint8_t *res,
                             size_t res_cap, size_t *res_len);

/* Applies a REVOKE and answers it. The revoker must be bound with the
 * right role and the target bound under the named tid. Whenever the
 * REVOKE is a valid one from a bound client of this lock, the result is
 * WARD_OK, *out says what was done (WARD_REVOKE_*: removed now, not
 * bound, bound under another binding, role refused) and res receives the
 * REVOKE_RESULT (at most WARD_REVOKE_RESULT_MAX bytes) sealed for the
 * revoker, who trusts that and not wardd. A replayed or repeated REVOKE
 * changes nothing and says so (NOT_BOUND or STALE); every result carries
 * a nonce the lock draws from its random port, so answering one REVOKE
 * twice never reuses a (key, nonce) pair. WARD_ERR_AUTH /
 * WARD_ERR_FORMAT: not a valid REVOKE from a bound client (a bad tag, an
 * unknown revoker): nothing done, no result (*res_len 0). */
WARD_MUST_CHECK
ward_err ward_op_lock_revoke(ward_lock *lock, const uint8_t *msg, size_t len,
                             ward_revoke_outcome *out, uint8_t *res,
                             size_t res_cap, size_t *res_len);

/* Near field: the app's NEAR_HELLO {uid, op}. */
WARD_MUST_CHECK
ward_err ward_op_near_hello_parse(const uint8_t *msg, size_t len,
                                  const uint8_t **uid, size_t *uid_len,
                                  uint8_t *op);
WARD_MUST_CHECK
ward_err ward_op_near_hello(const uint8_t *uid, size_t uid_len, uint8_t op,
                            uint8_t *out, size_t cap, size_t *len);

/* ---- app ---- */

WARD_MUST_CHECK
ward_err ward_op_request_parse(const uint8_t *msg, size_t len,
                               ward_op_request *req);
/* The one encoding of req (what the lock sends; tools and tests build
 * requests with it). WARD_ERR_PARAM for fields the parser would refuse. */
WARD_MUST_CHECK
ward_err ward_op_request_encode(const ward_op_request *req, uint8_t *out,
                                size_t cap, size_t *len);

/* Seals the answer to req for user uid under its authorization key. */
WARD_MUST_CHECK
ward_err ward_approval_seal(const ward_crypto *cp,
                            const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                            const ward_op_request *req, const uint8_t *uid,
                            size_t uid_len, uint8_t decision, uint8_t *out,
                            size_t cap, size_t *len);

/* Opens the lock's OP_RESULT for a request this app answered.
 * WARD_ERR_AUTH unless the lock sealed it for this request and user. */
WARD_MUST_CHECK
ward_err ward_op_result_open(const ward_crypto *cp,
                             const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                             const ward_op_request *req, const uint8_t *uid,
                             size_t uid_len, const uint8_t *msg, size_t len,
                             uint8_t *outcome);

/* A REVOKE of target (bound under target_tid), sealed by the revoker. */
WARD_MUST_CHECK
ward_err ward_revoke_seal(const ward_crypto *cp, const ward_random *rng,
                          const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                          const uint8_t *sn, size_t sn_len,
                          const uint8_t *revoker, size_t revoker_len,
                          const uint8_t *target, size_t target_len,
                          const uint8_t target_tid[WARD_TASK_ID_LEN],
                          uint8_t *out, size_t cap, size_t *len);

/* Opens the lock's REVOKE_RESULT for the REVOKE this app sent (revoke,
 * as sealed by ward_revoke_seal): *out says what the lock did. Only the
 * lock holding this app's authorization key can have sealed it, for
 * this very REVOKE and target, with a tid exactly when the outcome is
 * not WARD_REVOKE_NOT_BOUND. WARD_ERR_AUTH for anything else. */
WARD_MUST_CHECK
ward_err ward_revoke_result_open(const ward_crypto *cp,
                                 const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                                 const uint8_t *sn, size_t sn_len,
                                 const uint8_t *revoke, size_t revoke_len,
                                 const uint8_t *target, size_t target_len,
                                 const uint8_t *msg, size_t len,
                                 ward_revoke_outcome *out);

/* ---- wardd ---- */

/* The user id an APPROVAL (or OP_RESULT, or REVOKE) claims to be from,
 * without opening it. */
WARD_MUST_CHECK
ward_err ward_approval_uid(const uint8_t *msg, size_t len,
                           const uint8_t **uid, size_t *uid_len);
/* The same for a message that must be of one type (WARD_MSG_APPROVAL,
 * WARD_MSG_OP_RESULT, WARD_MSG_REVOKE, WARD_MSG_REVOKE_RESULT): any other
 * is WARD_ERR_FORMAT, so a relay does not take a REVOKE or an OP_RESULT
 * for the answer it waits for. */
WARD_MUST_CHECK
ward_err ward_sealed_uid(const uint8_t *msg, size_t len, uint8_t type,
                         const uint8_t **uid, size_t *uid_len);

/* ---- audit ring (lock) ---- */

#define WARD_AUDIT_BIND 1u
#define WARD_AUDIT_REVOKE 2u
#define WARD_AUDIT_OP_EXECUTED 3u
#define WARD_AUDIT_OP_REFUSED 4u
#define WARD_AUDIT_LOCKOUT 5u
#define WARD_AUDIT_BIND_UNDONE 6u  /* wardd refused the binding's confirmation */

typedef struct ward_audit_event {
    uint32_t seq;                /* grows by one per event, never reused */
    uint64_t time_ms;            /* lock clock */
    uint8_t event;               /* WARD_AUDIT_* */
    uint8_t op;                  /* for op events */
    uint8_t outcome;             /* for op events */
    uint8_t uid[WARD_UID_MAX];
    size_t uid_len;
} ward_audit_event;

/* Oldest first: *pos = 0 to start; WARD_ERR_NOTFOUND when done. */
WARD_MUST_CHECK
ward_err ward_audit_next(const ward_lock *lock, size_t *pos,
                         ward_audit_event *ev);

#ifdef __cplusplus
}
#endif

#endif /* WARD_OP_H */
