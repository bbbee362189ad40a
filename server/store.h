/*
 * store.h - everything wardd keeps, behind one vtable.
 *
 * The relay logic (locks.c, users.c, bind.c, escrow.c, auth.c,
 * ratelimit.c, ops.c, revoke.c, inbox.c, clients.c, audit.c) calls only these entries and never sees SQL, so a second
 * implementation (PostgreSQL, for more than one machine) slots in beside
 * store_sqlite.c without touching it. Rules every implementation keeps:
 *
 *  - each entry is atomic (op_answer's winning answer and op_deliver may
 *    be written later, see there):
 *    it commits completely or not at all, and
 *    entries that change several rows (confirm, rate_take, op_create,
 *    op_answer, revoke) run in one transaction, and the audit row of an
 *    event is written in the same transaction as the event;
 *  - entries may be called from many threads at once;
 *  - times are unix milliseconds given by the caller (the store reads no
 *    clock, so tests can move time);
 *  - blobs (bind data, escrow, requests, approvals, results, revokes) are
 *    opaque bytes: the store never looks in;
 *  - answers: WARD_OK, WARD_ERR_NOTFOUND (no such row), WARD_ERR_STATE
 *    (conflict with what is stored), WARD_ERR_AUTH (nonce seen),
 *    WARD_ERR_EXPIRED (op past its expiry),
 *    WARD_ERR_BUSY (rate limit), WARD_ERR_IO (the database failed).
 *
 * Open one with wardd_store_sqlite_open(); close with st->close(st->h).
 */
#ifndef WARDD_STORE_H
#define WARDD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_bind.h"
#include "ward/ward_config.h"
#include "ward/ward_crypto.h"
#include "ward/ward_err.h"
#include "ward/ward_fw.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_gw_cloud.h"
#include "ward/ward_op.h"

#define WARDD_TASK_SEALED 0
#define WARDD_TASK_BOUND 1

/* The schema version store_sqlite.c migrates to (PRAGMA user_version). */
#define WARDD_SCHEMA_VERSION 8

/* A registered gateway (flow C): what wardd keeps of it. */
#define WARDD_GW_WRAPPED_LEN (WARD_GW_ACCESSKEY_LEN + WARD_SEAL_OVERHEAD)
typedef struct wardd_gw {
    uint8_t tid[WARD_GW_TID_LEN];
    uint8_t uuid[WARD_GW_UUID_LEN];
    uint8_t mac[WARD_GW_MAC_LEN];
    uint8_t pub[WARD_P256_POINT_LEN];
    char uid[WARD_UID_MAX + 1];         /* its owner */
    uint32_t generation;
    int64_t expires_ms;                 /* of its credentials */
    uint8_t verifier[WARD_GW_VERIFIER_LEN];
    uint8_t wrapped[WARDD_GW_WRAPPED_LEN]; /* accesskey sealed to wardd's wrap key */
    uint64_t last_counter;              /* the last login's */
    int64_t created_ms;
} wardd_gw;
typedef int (*wardd_gw_fn)(void *ctx, const wardd_gw *g);

/* A published firmware release (fw.c): its manifest as signed, the
 * fields wardd reads from it, and the file beside the database that holds
 * its image (a name under DB.fw/, unique to this release). */
#define WARDD_FW_FILE_MAX 112
typedef struct wardd_fw_rel {
    char dev_class[WARD_FW_CLASS_MAX + 1];
    uint32_t counter;
    char version[WARD_FW_VERSION_MAX + 1];
    uint32_t size;
    uint8_t digest[WARD_SHA256_LEN];
    uint8_t manifest[WARD_FW_MANIFEST_MAX];
    size_t manifest_len;
    char file[WARDD_FW_FILE_MAX];
    int64_t created_ms;
} wardd_fw_rel;

/* A bind task as stored: the uploader, the lock it is for, and the sealed
 * blob the lock fetches. The code is not stored (it only goes by SMS). */
typedef struct wardd_task {
    uint8_t tid[WARD_TASK_ID_LEN];
    char sn[WARD_SN_MAX + 1];
    char uid[WARD_UID_MAX + 1];
    char phone[WARD_PHONE_MAX + 1];
    uint8_t blob[WARD_BIND_BLOB_MAX];
    size_t blob_len;
    int64_t created_ms;
    int64_t expires_ms;
    int state;                 /* WARDD_TASK_* */
    uint8_t role;              /* when bound: the role the lock gave */
} wardd_task;

/* What a confirmation records: binding {sn, uid, role}, escrow {uid, sn,
 * blob}, and the task's new state, all at once. */
typedef struct wardd_confirm_rec {
    uint8_t tid[WARD_TASK_ID_LEN];
    const char *sn;
    const char *uid;
    uint8_t role;
    const uint8_t *escrow;
    size_t escrow_len;
    int64_t now_ms;
} wardd_confirm_rec;

typedef struct wardd_escrow_rec {
    char sn[WARD_SN_MAX + 1];
    uint8_t role;
    uint8_t blob[WARD_ESCROW_LEN];
    size_t blob_len;
} wardd_escrow_rec;

/* One rate-limit counter to check and charge: at most `limit` events per
 * window under `key`. */
typedef struct wardd_rate_key {
    const char *key;
    unsigned limit;
} wardd_rate_key;

typedef int (*wardd_escrow_fn)(void *ctx, const wardd_escrow_rec *rec);

/* Phone verification (users.c): wrong codes allowed before a lock-out,
 * the first lock-out, doubling with each further one up to the last. */
#define WARDD_CODE_TRIES 5
#define WARDD_CODE_LOCK_MS (5 * 60 * 1000LL)
#define WARDD_CODE_LOCK_MAX_MS (24 * 3600 * 1000LL)
/* A user's code row this long past both its code's expiry and its last
 * lock-out's end is forgotten: attempts and lock-outs start over. */
#define WARDD_CODE_FORGET_MS (24 * 3600 * 1000LL)

/* What code_check tells its caller besides its answer. */
typedef struct wardd_code_res {
    unsigned tries_left;        /* WARD_ERR_AUTH: wrong codes still allowed */
    int64_t retry_ms;           /* WARD_ERR_BUSY, WARD_ERR_LOCKED: until the lock-out
                                   ends (or the budget has room) */
    bool budget_spent;          /* WARD_ERR_BUSY: the budget's refusal, not a lock-out */
    unsigned took_over;         /* WARD_OK: accounts that lost the phone to this one */
} wardd_code_res;

/* ---- flow B: operations, revocations, audit ---- */

#define WARDD_OP_ID_LEN 16
#define WARDD_OP_PENDING 0
#define WARDD_OP_ANSWERED 1
#define WARDD_OP_DONE 2
#define WARDD_OP_WITHDRAWN 3
#define WARDD_OPS_PENDING_MAX 64    /* ops one pending answer lists */
#define WARDD_OP_ANSWERS_TAKE 16    /* answers one fetch of the lock lists */
#define WARDD_INBOX_PAGE 64         /* revocations one inbox poll lists */
#define WARDD_INBOX_MAX 1024        /* unacknowledged messages one lock may have */
#define WARDD_AUDIT_READ_MAX 200    /* events one audit answer lists */

/* An operation task: the lock's OP_REQUEST as sent, who may answer, the
 * lock's capability (only its hash), and what came back. */
typedef struct wardd_op {
    uint8_t op_id[WARDD_OP_ID_LEN];
    char sn[WARD_SN_MAX + 1];
    char target[WARD_UID_MAX + 1];          /* "": every bound client */
    uint8_t op;                             /* WARD_OP_* */
    uint8_t token_hash[WARD_SHA256_LEN];
    uint8_t request[WARD_OP_REQUEST_MAX];
    size_t request_len;
    int64_t created_ms;
    int64_t expires_ms;
    int state;                              /* WARDD_OP_* */
    int answers;                            /* answers stored so far */
    char answered_by[WARD_UID_MAX + 1];     /* done: whose answer the lock took */
    bool delivered;                         /* the lock fetched answers */
    uint8_t result[WARD_OP_RESULT_MAX];
    size_t result_len;
} wardd_op;

/* One audience member's answer to an op, with its request signature as
 * evidence. */
typedef struct wardd_answer_rec {
    uint8_t op_id[WARDD_OP_ID_LEN];
    const char *uid;
    const uint8_t *approval;
    size_t approval_len;
    const char *sig_input;                  /* Signature-Input, as sent */
    const char *sig;                        /* Signature, as sent */
    int64_t now_ms;
    /* The request's nonce, checked in the same transaction (NULL: none). */
    const char *keyid;
    const char *nonce;
    int64_t nonce_expires_ms;
} wardd_answer_rec;

/* An answer as the lock's fetch lists it: n counts an op's answers from
 * 1 in the order they came. */
typedef struct wardd_op_answer {
    int n;
    char uid[WARD_UID_MAX + 1];
    uint8_t approval[WARD_APPROVAL_MAX];
    size_t approval_len;
} wardd_op_answer;

/* What op_answers tells its caller besides the answers it lists. */
typedef struct wardd_answers_res {
    int state;                      /* the op's, read with its answers */
    bool delivery;                  /* this fetch marked the op delivered */
} wardd_answers_res;

/* What op_answer tells its caller besides its answer. */
typedef struct wardd_answer_res {
    char sn[WARD_SN_MAX + 1];       /* the op's lock, once the op is found */
    char first[WARD_UID_MAX + 1];   /* WARD_ERR_STATE: whose answer the lock took */
    bool not_target;                /* WARD_ERR_PARAM: the op names another user */
    bool withdrawn;                 /* WARD_ERR_EXPIRED: the lock withdrew it */
    int n;                          /* WARD_OK: this answer's number */
} wardd_answer_res;

/* A revocation: drop target's binding and escrow on sn, queue the REVOKE
 * for the lock, audit it. */
typedef struct wardd_revoke_rec {
    const char *sn;
    const char *revoker;
    const char *target;
    const uint8_t *msg;
    size_t msg_len;
    int64_t now_ms;
    /* The roles the caller judged the revocation by: checked again in its
     * transaction (WARD_ERR_STATE when either changed or the revoker is
     * gone), so a revocation racing another cannot act on stale roles. */
    uint8_t revoker_role;
    uint8_t target_role;
    /* wardd has no binding of the target (it dropped it with an earlier
     * revocation the lock answered "bound under another binding"): only
     * queue the REVOKE; the lock judges it. */
    bool unbound;
} wardd_revoke_rec;

typedef struct wardd_inbox_rec {
    int64_t id;
    uint8_t msg[WARD_REVOKE_MAX];
    size_t msg_len;
} wardd_inbox_rec;

/* The lock's acknowledgement of one inbox message, with its sealed
 * REVOKE_RESULT when it answered one (result NULL otherwise). */
typedef struct wardd_inbox_ack_rec {
    int64_t id;
    const uint8_t *result;
    size_t result_len;
    const char *result_uid;         /* who the result is sealed for */
} wardd_inbox_ack_rec;

/* A revocation as its revoker follows it. */
typedef struct wardd_revocation {
    int64_t id;
    char sn[WARD_SN_MAX + 1];
    char revoker[WARD_UID_MAX + 1];
    char target[WARD_UID_MAX + 1];
    int64_t created_ms;
    bool acked;                     /* the lock has taken it */
    uint8_t result[WARD_REVOKE_RESULT_MAX];
    size_t result_len;              /* 0: the lock answered nothing */
} wardd_revocation;

typedef struct wardd_client_rec {
    char uid[WARD_UID_MAX + 1];
    uint8_t role;
    uint8_t tid[WARD_TASK_ID_LEN];
    int64_t bound_ms;
} wardd_client_rec;

typedef struct wardd_audit_rec {
    int64_t id;
    int64_t ts_ms;
    char event[24];         /* bind, op_created, op_answered, op_late,
                               op_delivered, op_result, op_withdrawn,
                               revoke */
    char uid[WARD_UID_MAX + 1];
    int op;                 /* 0 when not about an operation */
    char detail[64];        /* op id hex, a role, a revoked uid */
} wardd_audit_rec;

typedef int (*wardd_op_fn)(void *ctx, const wardd_op *op);
typedef int (*wardd_op_answer_fn)(void *ctx, const wardd_op_answer *a);
typedef int (*wardd_inbox_fn)(void *ctx, const wardd_inbox_rec *rec);
typedef int (*wardd_client_fn)(void *ctx, const wardd_client_rec *rec);
typedef int (*wardd_audit_fn)(void *ctx, const wardd_audit_rec *rec);

/* ---- flow D: devices relayed far-field (devices.c) ----
 * A device is activated like a lock (its row is in the locks table, its
 * keyid is "lock:ID"). An app attaches to it once and gets a cloud id for
 * the pair (device, app); messages are queued per cloud id and direction,
 * opaque, bounded and with an expiry. */

#define WARDD_CLOUD_ID_LEN 16
#define WARDD_APP_TAG_MAX 64        /* the app instance's tag (its CliID hex) */
#define WARDD_DEV_ATTACH_MAX 32     /* cloud ids one device may have */
#define WARDD_DEV_QUEUE_MAX 32      /* messages waiting per cloud id and way */
#define WARDD_DEV_TAKE_MAX 16       /* messages one poll answers with */
#define WARDD_DEV_TO_DEVICE 0
#define WARDD_DEV_TO_APP 1

typedef struct wardd_attach {
    uint8_t cloud_id[WARDD_CLOUD_ID_LEN];
    char device[WARD_SN_MAX + 1];
    char uid[WARD_UID_MAX + 1];
    char app[WARDD_APP_TAG_MAX + 1];
    int64_t attached_ms;
} wardd_attach;

typedef struct wardd_dev_msg {
    int64_t id;
    uint8_t cloud_id[WARDD_CLOUD_ID_LEN];
    uint8_t msg[WARD_MSG_MAX];
    size_t msg_len;
    int64_t created_ms;
} wardd_dev_msg;

typedef int (*wardd_attach_fn)(void *ctx, const wardd_attach *a);
typedef int (*wardd_dev_msg_fn)(void *ctx, const wardd_dev_msg *m);

typedef struct wardd_store {
    void *h;
    void (*close)(void *h);

    /* Locks: put answers *created = 1 for a new SN, 0 for the same key
     * again, WARD_ERR_STATE for the SN with another key. */
    ward_err (*lock_put)(void *h, const char *sn,
                         const uint8_t pub[WARD_P256_POINT_LEN], int *created);
    ward_err (*lock_get)(void *h, const char *sn,
                         uint8_t pub[WARD_P256_POINT_LEN]);

    /* Users: the same for {uid, phone, pub}: an existing uid with another
     * key or another phone is WARD_ERR_STATE. */
    ward_err (*user_put)(void *h, const char *uid, const char *phone,
                         const uint8_t pub[WARD_P256_POINT_LEN], int *created);
    ward_err (*user_get)(void *h, const char *uid,
                         char phone[WARD_PHONE_MAX + 1],
                         uint8_t pub[WARD_P256_POINT_LEN]);

    /* Tasks: put is WARD_ERR_STATE when the tid was ever used. */
    ward_err (*task_put)(void *h, const wardd_task *t);
    ward_err (*task_get)(void *h, const uint8_t tid[WARD_TASK_ID_LEN],
                         wardd_task *t);
    ward_err (*task_delete)(void *h, const uint8_t tid[WARD_TASK_ID_LEN]);

    /* Records binding + escrow and marks the task bound, in one
     * transaction. WARD_ERR_NOTFOUND without the task, WARD_ERR_STATE if
     * it is already bound (the caller answers as the first time). */
    ward_err (*confirm)(void *h, const wardd_confirm_rec *c);

    /* Calls fn for each escrow of uid (fn returns non-zero to stop). */
    ward_err (*escrow_list)(void *h, const char *uid, wardd_escrow_fn fn,
                            void *ctx);
    /* The role of uid on sn: WARD_ERR_NOTFOUND if not bound. */
    ward_err (*binding_get)(void *h, const char *sn, const char *uid,
                            uint8_t *role);

    /* Records (keyid, nonce) until expires_ms; WARD_ERR_AUTH if it is
     * already recorded (a replay). */
    ward_err (*nonce_use)(void *h, const char *keyid, const char *nonce,
                          int64_t expires_ms);

    /* Checks every key's count of events in (now - window, now]; if all
     * are under their limit, charges one event to each and answers
     * WARD_OK; otherwise charges none and answers WARD_ERR_BUSY with
     * *retry_ms = how long until the fullest key has room. */
    ward_err (*rate_take)(void *h, const wardd_rate_key *keys, size_t n,
                          int64_t now_ms, int64_t window_ms,
                          int64_t *retry_ms);

    /* Charges key with events at now_ms until its count in the window
     * reaches its limit (nothing when it has): the next rate_take on it
     * answers WARD_ERR_BUSY as for a sender who used its allowance.
     * *retry_ms: what that rate_take would answer, computed the same way,
     * in the same transaction. */
    ward_err (*rate_fill)(void *h, const wardd_rate_key *key, int64_t now_ms,
                          int64_t window_ms, int64_t *retry_ms);

    /* ---- flow A: phone verification ----
     * A user's phone is verified once the user typed back a code sent to
     * it. At most one account holds a verified phone number: verifying it
     * for one account unverifies it for any other. Codes are stored only
     * as a MAC under a key the database does not hold. */

    /* *verified: uid's phone is verified. WARD_ERR_NOTFOUND without uid. */
    ward_err (*user_verified)(void *h, const char *uid, bool *verified);
    /* Stores a new code (its MAC) for uid's phone until expires_ms, in
     * place of any earlier one (mac NULL: drops it, leaving no live
     * code); wrong attempts already made still count.
     * WARD_ERR_BUSY with *retry_ms while uid is locked out,
     * WARD_ERR_NOTFOUND without uid. */
    ward_err (*code_put)(void *h, const char *uid, const uint8_t mac[WARD_SHA256_LEN],
                         int64_t now_ms, int64_t expires_ms, int64_t *retry_ms);
    /* Counts one attempt and compares mac with the live code in constant
     * time, in one transaction: WARD_OK, and uid's phone is verified (and
     * unverified for every other account: res->took_over), the code and
     * the attempts cleared; WARD_ERR_AUTH for a wrong code
     * (res->tries_left); WARD_ERR_LOCKED for the WARDD_CODE_TRIES-th wrong
     * code in a row: the code is dropped and uid locked out
     * (res->retry_ms); WARD_ERR_BUSY while locked out (nothing counted);
     * WARD_ERR_EXPIRED without a live code; WARD_ERR_NOTFOUND without
     * uid. A check that gets as far as a live code is also charged to
     * budget (NULL: none) as rate_take charges it, in the same
     * transaction; when it is spent: WARD_ERR_BUSY, res->budget_spent,
     * res->retry_ms, and nothing counted or compared. */
    ward_err (*code_check)(void *h, const char *uid, const uint8_t mac[WARD_SHA256_LEN],
                           int64_t now_ms, const wardd_rate_key *budget, int64_t window_ms,
                           wardd_code_res *res);

    /* ---- flow B ---- */

    /* Creates op (state pending) with its audience in one transaction:
     * the target if op->target is set (WARD_ERR_NOTFOUND unless bound to
     * op->sn), else every client bound to op->sn (WARD_ERR_STATE if none);
     * audits op_created. *audience: how many may answer. WARD_ERR_STATE
     * also for an op_id already used. */
    ward_err (*op_create)(void *h, const wardd_op *op, size_t *audience);
    /* The op as stored (all fields). */
    ward_err (*op_get)(void *h, const uint8_t op_id[WARDD_OP_ID_LEN],
                       wardd_op *op);
    /* Records one audience member's answer, in one transaction that also
     * checks everything: WARD_OK, with res->n its number; WARD_ERR_STATE
     * when the lock has already taken an answer (a late one: audited as
     * op_late, res->first names whose the lock took); WARD_ERR_CONFLICT
     * when a->uid answered this op before (each member answers once);
     * WARD_ERR_EXPIRED past the op's expiry or once the lock withdrew it
     * (res->withdrawn); WARD_ERR_NOTFOUND without the op; WARD_ERR_PARAM,
     * and nothing done, when the op names another user as its target
     * (res->not_target) or a->uid is not in the op's audience and still
     * bound to its lock; WARD_ERR_AUTH, and nothing done, when a->nonce
     * was spent before or the request is a->uid's stored answer again (a
     * replay). A stored answer's nonce is not written (its stored
     * Signature-Input refuses its replays); a late answer's is, with its
     * op_late row; that of any other refusal is left to the caller.
     * res->sn: the op's lock, once found. */
    ward_err (*op_answer)(void *h, const wardd_answer_rec *a, wardd_answer_res *res);
    /* The lock's fetch: calls fn for each answer numbered above `after`,
     * oldest first, at most WARDD_OP_ANSWERS_TAKE, and marks the op
     * delivered (audited once, the first time: res->delivery), unless the
     * caller says it is delivered already (op_get's delivered). A
     * withdrawn op lists none. res->state: the op's state, read with the
     * answers, so a long-poll needs no op_get to see a withdrawal;
     * WARD_ERR_NOTFOUND without the op. The mark need not commit before
     * it returns (op_get shows it at once; it is written within about a
     * second, before audit_list reads and at close); the answers
     * themselves were committed when they came, before they could be
     * listed. */
    ward_err (*op_answers)(void *h, const uint8_t op_id[WARDD_OP_ID_LEN], int64_t after,
                           int64_t now_ms, bool delivered, wardd_op_answer_fn fn, void *ctx,
                           wardd_answers_res *res);
    /* Stores the lock's OP_RESULT, sealed for uid, and marks the op done,
     * answered by uid: WARD_ERR_STATE unless the op is answered and has
     * no result yet; WARD_ERR_PARAM when uid did not answer it. */
    ward_err (*op_result)(void *h, const uint8_t op_id[WARDD_OP_ID_LEN],
                          const char *uid, const uint8_t *msg, size_t len,
                          int64_t now_ms);
    /* The lock gives the op up: no one is offered it any more, answers
     * are refused. WARD_OK (again too, once withdrawn); WARD_ERR_STATE
     * when it is done; WARD_ERR_PARAM when it is not sn's op;
     * WARD_ERR_NOTFOUND without it. Audited as op_withdrawn. */
    ward_err (*op_withdraw)(void *h, const uint8_t op_id[WARDD_OP_ID_LEN],
                            const char *sn, int64_t now_ms);
    /* Ops uid may answer now: neither done nor withdrawn, unexpired at
     * now_ms, uid in the audience, still bound and not yet answered by
     * uid; oldest first, at most WARDD_OPS_PENDING_MAX. */
    ward_err (*ops_pending)(void *h, const char *uid, int64_t now_ms,
                            wardd_op_fn fn, void *ctx);

    /* Drops the target's binding and escrow, queues the REVOKE for the
     * lock and audits it, in one transaction. WARD_ERR_NOTFOUND if the
     * target is not bound to sn; WARD_ERR_STATE when the revoker does not
     * hold r->revoker_role on sn (or the target not r->target_role);
     * WARD_ERR_BUSY when WARDD_INBOX_MAX messages wait for the lock.
     * r->unbound: the target is not bound here, and the REVOKE is only
     * queued, when the lock acknowledged an earlier REVOKE of r->target by
     * r->revoker with a result (WARD_ERR_NOTFOUND without one,
     * WARD_ERR_STATE if the target is bound meanwhile); a revoker revoking
     * itself needs no binding then (wardd dropped it with the first).
     * *inbox_id: the queued message's id. */
    ward_err (*revoke)(void *h, const wardd_revoke_rec *r, int64_t *inbox_id);
    /* The lock's unacknowledged messages with ids above `after`, oldest
     * first, at most WARDD_INBOX_PAGE. */
    ward_err (*inbox_list)(void *h, const char *sn, int64_t after,
                           wardd_inbox_fn fn, void *ctx);
    /* Marks the lock's messages acknowledged, each with the result the
     * lock sealed for its revoker (a result for anyone else is not
     * stored). Another lock's ids change nothing. *acked: how many. */
    ward_err (*inbox_ack)(void *h, const char *sn, const wardd_inbox_ack_rec *acks,
                          size_t n, int64_t now_ms, size_t *acked);
    /* One revocation and what the lock answered; WARD_ERR_NOTFOUND if
     * there is none (or it was purged). */
    ward_err (*revocation_get)(void *h, int64_t id, wardd_revocation *out);
    /* The clients bound to sn, by bind time. */
    ward_err (*clients_list)(void *h, const char *sn, wardd_client_fn fn,
                             void *ctx);
    /* sn's audit events, newest first, at most `limit`. */
    ward_err (*audit_list)(void *h, const char *sn, size_t limit,
                           wardd_audit_fn fn, void *ctx);

    /* Drops nonces past their expiry, rate events older than keep_ms,
     * sealed tasks and ops expired more than keep_ms ago, inbox messages
     * the lock acknowledged more than keep_ms ago (a revoker reads its
     * result within that), and users' code rows whose code expired and
     * whose lock-out ended more than keep_ms ago (their attempts and
     * lock-outs forgotten, as WARDD_CODE_FORGET_MS forgets them). */
    ward_err (*purge)(void *h, int64_t now_ms, int64_t keep_ms);

    /* ---- flow D ---- */

    /* Attaches (a->uid, a->app) to a->device. A pair attached before keeps
     * its cloud id (*out is the stored row, *created = 0); a new pair takes
     * a->cloud_id (*created = 1). WARD_ERR_NOTFOUND without the device or
     * the user, WARD_ERR_BUSY when the device has WARDD_DEV_ATTACH_MAX,
     * WARD_ERR_STATE when a->cloud_id is taken (draw another). */
    ward_err (*dev_attach)(void *h, const wardd_attach *a, wardd_attach *out,
                           int *created);
    ward_err (*dev_attach_get)(void *h,
                               const uint8_t cloud_id[WARDD_CLOUD_ID_LEN],
                               wardd_attach *out);
    /* uid's attachments, oldest first. */
    ward_err (*dev_attach_list)(void *h, const char *uid, wardd_attach_fn fn,
                                void *ctx);
    /* Queues msg on cloud_id one way (WARDD_DEV_TO_*) until expires_ms.
     * WARD_ERR_BUSY when WARDD_DEV_QUEUE_MAX unexpired messages wait
     * there, WARD_ERR_NOTFOUND without the cloud id. *id: its id. */
    ward_err (*dev_msg_put)(void *h, const uint8_t cloud_id[WARDD_CLOUD_ID_LEN],
                            int way, const uint8_t *msg, size_t len,
                            int64_t now_ms, int64_t expires_ms, int64_t *id);
    /* One way's queue of a device (device set, cloud_id NULL: every cloud
     * id of the device) or of one cloud id (device NULL): first drops the
     * messages with id <= after (the poller has them), then lists the
     * unexpired rest, oldest first, at most WARDD_DEV_TAKE_MAX. One
     * transaction. */
    ward_err (*dev_msg_take)(void *h, const char *device,
                             const uint8_t *cloud_id, int way, int64_t after,
                             int64_t now_ms, wardd_dev_msg_fn fn, void *ctx);

    /* ---- flow C (gateways.c) ---- */

    /* Keeps a claim (its hash only) of uid until expires_ms. */
    ward_err (*gw_claim_put)(void *h, const uint8_t hash[WARD_SHA256_LEN], const char *uid,
                             int64_t expires_ms);
    /* Marks the claim used: WARD_OK when it was uid's, unused and live at
     * now_ms; WARD_ERR_AUTH otherwise (nothing changes then). */
    ward_err (*gw_claim_take)(void *h, const uint8_t hash[WARD_SHA256_LEN], const char *uid,
                              int64_t now_ms);
    /* The gateway of that uuid or that tid; WARD_ERR_NOTFOUND without. */
    ward_err (*gw_by_uuid)(void *h, const uint8_t uuid[WARD_GW_UUID_LEN], wardd_gw *out);
    ward_err (*gw_get)(void *h, const uint8_t tid[WARD_GW_TID_LEN], wardd_gw *out);
    /* Writes g: a new row when prev_generation is 0 (WARD_ERR_STATE if
     * its tid or uuid exists), else the row of g's tid when it is still
     * at prev_generation and g->uid's (WARD_ERR_STATE otherwise: a
     * rotation raced another). */
    ward_err (*gw_put)(void *h, const wardd_gw *g, uint32_t prev_generation);
    /* Records a login's counter: WARD_OK when tid is at generation and
     * its last counter is below counter, WARD_ERR_AUTH otherwise. */
    ward_err (*gw_login)(void *h, const uint8_t tid[WARD_GW_TID_LEN], uint32_t generation,
                         uint64_t counter);
    /* uid's gateways, oldest first. */
    ward_err (*gw_list)(void *h, const char *uid, wardd_gw_fn fn, void *ctx);
    /* Forgets the gateway of tid (a reset: its registration and owner);
     * WARD_ERR_NOTFOUND when there is none. */
    ward_err (*gw_drop)(void *h, const uint8_t tid[WARD_GW_TID_LEN]);

    /* ---- firmware releases (fw.c) ---- */

    /* Keeps rel: WARD_ERR_STATE when its class has a release whose
     * counter is not below rel->counter (checked in the insert's own
     * transaction, so two publishers cannot both win). */
    ward_err (*fw_put)(void *h, const wardd_fw_rel *rel);
    /* The release of dev_class with the highest counter, or the one at
     * counter; WARD_ERR_NOTFOUND without. */
    ward_err (*fw_newest)(void *h, const char *dev_class, wardd_fw_rel *out);
    ward_err (*fw_get)(void *h, const char *dev_class, uint32_t counter, wardd_fw_rel *out);

    /* ---- readiness ---- */

    /* A real read and write: the write lock taken, a row read, one
     * written and removed, committed. WARD_OK when the store works. */
    ward_err (*ready)(void *h);
} wardd_store;

/* Opens (creating and migrating) the SQLite database at path. */
ward_err wardd_store_sqlite_open(const char *path, wardd_store *st);

/* Why the calling thread's last store entry (or open) failed, as SQLite
 * said it ("database or disk is full", "file is not a database"...): for
 * logs and messages. Never holds data from the database. */
const char *wardd_store_why(void);

#endif /* WARDD_STORE_H */
