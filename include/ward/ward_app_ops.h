/*
 * ward_app_ops.h - (client library) the app's half of remote operation
 * approval (flow B), client management and the audit log.
 *
 * A lock that wants to act (open, intercom, video, let a new app bind)
 * asks its bound apps through wardd. The app lists what is pending, and a
 * person allows or denies; the answer is an APPROVAL sealed under the
 * authorization key A this app shares with the lock, so wardd can neither
 * forge nor alter it. The lock reports the outcome in an OP_RESULT sealed
 * under the same A, so the app knows the lock itself said "executed".
 * docs/protocol.md ("Remote operation approval") gives every byte.
 *
 * Each call below that talks to wardd does its own signed HTTP requests
 * (ward_http_request() with the app's client key); the CLI only prints:
 *
 *     ward_app_ops ops;
 *     ward_app_ops_pending(&app, 30, &ops);       // GET /v1/ops/pending
 *     for (i < ops.count) show ward_app_op_name(ops.ops[i].op), .sn, ...
 *     ward_app_ops_free(&ops);
 *
 *     int outcome;
 *     ward_app_op_answer(&app, op_id, WARD_DECISION_ALLOW, false, 30,
 *                        &outcome);
 *         WARD_OK: wardd took the answer; outcome is WARD_OUTCOME_* as
 *         the lock reported it, or WARD_APP_NO_OUTCOME if no result came
 *         within the wait. Otherwise ward_app_error() says why in one line.
 *
 * Where A comes from. By default the lock record (locks/<SN>.json) keeps
 * it. The seed's other option keeps A nowhere: with from_escrow set, or
 * when the record has no key (ward_app_forget_key() drops it), each call
 * fetches GET /v1/escrow, checks that the client key signed this lock's
 * escrow (ward_escrow_open_by(): one wardd planted is refused), opens it,
 * uses A for this one exchange and wipes it. wardd holds the escrow but
 * not the client key, so it still cannot approve anything.
 *
 * Near field (the phone at the lock, no wardd): ward_app_near() runs the
 * app's side over a connected stream socket (ward_frame.h): NEAR_HELLO,
 * OP_REQUEST (checked: this lock, this user, this operation), APPROVAL,
 * OP_RESULT.
 *
 * Client management: ward_app_clients() lists a lock's clients as wardd
 * knows them; ward_app_revoke() seals a REVOKE with this app's A (the lock
 * checks it, wardd only forwards it), posts it and waits for the lock's
 * REVOKE_RESULT, sealed under the same A: "revoked" is the lock's word,
 * never wardd's. ward_app_audit() reads wardd's audit.
 *
 * The *_parse() and seal/open functions do no I/O: they are the pieces
 * the HTTP calls are made of, and what the unit tests drive directly.
 *
 * Every auth key this module touches is wiped before it returns, on every
 * path. Arrays it returns are malloc'd: free them with free() (or
 * ward_app_ops_free()).
 */
#ifndef WARD_APP_OPS_H
#define WARD_APP_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_app.h"
#include "ward/ward_op.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest op id wardd may use (lower-case hex). */
#define WARD_APP_OP_ID_MAX 64
/* No OP_RESULT (yet): the outcome is unknown. */
#define WARD_APP_NO_OUTCOME (-1)

/* The one-line messages of ward_app_error() that callers may test for. */
#define WARD_APP_MSG_LATE "another client answered first"
#define WARD_APP_MSG_LATE_WARDD                                              \
    "wardd says the lock took another client's answer (the result it shows " \
    "is sealed for another user)"
#define WARD_APP_MSG_ANSWERED "this app has answered this request already"
#define WARD_APP_MSG_WITHDRAWN "the lock withdrew the request"
#define WARD_APP_MSG_EXPIRED "the request expired"
#define WARD_APP_MSG_FORBIDDEN "not allowed to answer this request"
#define WARD_APP_MSG_FORGED "the result did not come from the lock"
#define WARD_APP_MSG_NOT_ADMIN "only the owner or an admin may revoke"
#define WARD_APP_MSG_UNCONFIRMED "the lock has not confirmed the revocation"
#define WARD_APP_MSG_REVOKE_FORGED "the revocation's answer did not come from the lock"

/* One pending operation, checked: its request parsed, its lock bound to
 * this app, its target this user or nobody. */
typedef struct ward_app_op {
    char op_id[WARD_APP_OP_ID_MAX + 1];
    char sn[WARD_SN_MAX + 1];
    uint8_t op;                       /* WARD_OP_* */
    char target[WARD_UID_MAX + 1];    /* "": any bound client */
    uint64_t expires_ms;              /* the lock's clock */
    uint8_t request[WARD_OP_REQUEST_MAX];  /* the OP_REQUEST itself */
    size_t request_len;
} ward_app_op;

typedef struct ward_app_ops {
    ward_app_op *ops;                 /* malloc'd; ward_app_ops_free() */
    size_t count;
    size_t skipped;                   /* malformed, or not for this app */
} ward_app_ops;

/* One client of a lock, as wardd lists it. */
typedef struct ward_app_client {
    char uid[WARD_UID_MAX + 1];
    int role;                         /* WARD_ROLE_* */
    uint8_t tid[WARD_TASK_ID_LEN];    /* the binding's task id */
    int64_t bound;                    /* unix s, 0 if wardd gave none */
} ward_app_client;

/* One event of wardd's audit table. */
typedef struct ward_app_audit_event {
    int64_t ts;                       /* as wardd gave it (unix ms) */
    char event[32];
    char uid[WARD_UID_MAX + 1];       /* "" if none */
    char op[16];                      /* op name or number, "" if none */
    char detail[128];                 /* truncated if longer */
} ward_app_audit_event;

/* "unlock", "intercom", "video", "add client"; NULL for other codes. */
const char *ward_app_op_name(uint8_t op);
/* WARD_OP_* for a name above; 0 if none. */
WARD_MUST_CHECK
uint8_t ward_app_op_code(const char *name);

/* ---- pending operations ---- */

/* Parses a GET /v1/ops/pending answer {"ops": [{"op_id","sn","request"}]}.
 * Entries that are malformed, or for a lock this app is not bound to, or
 * for another user, are skipped and counted. WARD_ERR_FORMAT if the
 * answer itself is not such a list. */
WARD_MUST_CHECK
ward_err ward_app_ops_parse(ward_app *app, const char *json, size_t len,
                            ward_app_ops *ops);
/* GET /v1/ops/pending?wait=wait_s (at most 30; 0 answers at once). */
WARD_MUST_CHECK
ward_err ward_app_ops_pending(ward_app *app, unsigned wait_s,
                              ward_app_ops *ops);
void ward_app_ops_free(ward_app_ops *ops);

/* ---- the authorization key ---- */

/* A of lock sn: the stored one, or (from_escrow, or none stored) opened
 * from GET /v1/escrow. The caller wipes key. WARD_ERR_NOTFOUND "lock SN
 * is not bound to this app"; WARD_ERR_AUTH the escrow is not signed by
 * this client key or did not open. */
WARD_MUST_CHECK
ward_err ward_app_auth_key(ward_app *app, const char *sn, bool from_escrow,
                           uint8_t key[WARD_AUTH_KEY_LEN]);
/* The same from a GET /v1/escrow answer in hand (no I/O). */
WARD_MUST_CHECK
ward_err ward_app_escrow_key(ward_app *app, const char *sn, const char *json,
                             size_t len, uint8_t key[WARD_AUTH_KEY_LEN]);
/* Drops A from locks/<SN>.json; the lock stays bound, and approvals
 * from then on open the escrow each time. */
WARD_MUST_CHECK
ward_err ward_app_forget_key(ward_app *app, const char *sn);

/* ---- answering ---- */

/* The APPROVAL (at most WARD_APPROVAL_MAX bytes) for op under key.
 * WARD_ERR_PARAM for a request for another user. */
WARD_MUST_CHECK
ward_err ward_app_approval(ward_app *app, const ward_app_op *op,
                           uint8_t decision,
                           const uint8_t key[WARD_AUTH_KEY_LEN], uint8_t *out,
                           size_t cap, size_t *len);
/* Opens the lock's OP_RESULT for op: *outcome WARD_OUTCOME_*.
 * WARD_ERR_AUTH and WARD_APP_MSG_FORGED unless the lock sealed it. */
WARD_MUST_CHECK
ward_err ward_app_result_open(ward_app *app, const ward_app_op *op,
                              const uint8_t key[WARD_AUTH_KEY_LEN],
                              const uint8_t *res, size_t len,
                              uint8_t *outcome);

/* Finds op_id among the pending operations, seals the answer (A as for
 * ward_app_auth_key()), POSTs it and, if wait_s > 0, waits that long for
 * the lock's result (GET /v1/ops/{id}?wait=) and opens it. Errors:
 *   WARD_ERR_NOTFOUND  no pending operation op_id for this app
 *   WARD_ERR_STATE     WARD_APP_MSG_LATE (409 late: the lock took another
 *                      client's answer); WARD_APP_MSG_LATE_WARDD (the
 *                      result wardd shows is sealed for another, as its
 *                      unauthenticated header says); WARD_APP_MSG_ANSWERED
 *                      (409 conflict)
 *   WARD_ERR_EXPIRED   WARD_APP_MSG_EXPIRED (410, or expired with no result);
 *                      WARD_APP_MSG_WITHDRAWN (the lock gave it up)
 *   WARD_ERR_PARAM     WARD_APP_MSG_FORBIDDEN (403)
 *   WARD_ERR_AUTH      WARD_APP_MSG_FORGED; or the escrow did not open;
 *                      or wardd refused the request signature (401)
 *   WARD_ERR_IO        wardd could not be reached or failed (5xx)
 * *outcome is WARD_APP_NO_OUTCOME unless a result opened. */
WARD_MUST_CHECK
ward_err ward_app_op_answer(ward_app *app, const char *op_id,
                            uint8_t decision, bool from_escrow,
                            unsigned wait_s, int *outcome);

/* ---- near field ---- */

/* The app's side over fd (connected, blocking or not): asks lock sn for
 * op, checks the OP_REQUEST names that lock, this user and that op, sends
 * the APPROVAL with decision, opens the OP_RESULT. timeout_ms covers each
 * frame. WARD_ERR_AUTH: the request was for another lock or user, or the
 * result did not open; WARD_ERR_IO: the link failed or the lock closed it
 * (as it does when it refuses the approval). */
WARD_MUST_CHECK
ward_err ward_app_near(ward_app *app, int fd, const char *sn, uint8_t op,
                       uint8_t decision, bool from_escrow,
                       unsigned timeout_ms, uint8_t *outcome);

/* ---- client management and audit ---- */

/* Parses {"clients": [{"uid","role","tid","bound"}]}; *list malloc'd. */
WARD_MUST_CHECK
ward_err ward_app_clients_parse(ward_app *app, const char *json, size_t len,
                                ward_app_client **list, size_t *count);
/* GET /v1/locks/{sn}/clients. */
WARD_MUST_CHECK
ward_err ward_app_clients(ward_app *app, const char *sn,
                          ward_app_client **list, size_t *count);

/* The REVOKE of target (bound under tid) on lock sn, sealed under key
 * (at most WARD_REVOKE_MAX bytes). */
WARD_MUST_CHECK
ward_err ward_app_revoke_seal(ward_app *app, const char *sn,
                              const char *target,
                              const uint8_t tid[WARD_TASK_ID_LEN],
                              const uint8_t key[WARD_AUTH_KEY_LEN],
                              uint8_t *out, size_t cap, size_t *len);
/* Opens the lock's REVOKE_RESULT (res) for the REVOKE this app sealed
 * (revoke) of target on lock sn under key: *out says what the lock did.
 * WARD_ERR_AUTH and WARD_APP_MSG_REVOKE_FORGED unless the lock sealed it
 * for this REVOKE. No I/O. */
WARD_MUST_CHECK
ward_err ward_app_revoke_result(ward_app *app, const char *sn, const char *target,
                                const uint8_t *revoke, size_t revoke_len,
                                const uint8_t key[WARD_AUTH_KEY_LEN], const uint8_t *res,
                                size_t res_len, ward_revoke_outcome *out);
/* Revokes target (this user too) on lock sn and waits up to wait_s for
 * the lock's answer: finds target's tid in the client list, seals, POST
 * /v1/revocations, remembers the revocation in the app's directory
 * (revocations/), then follows GET /v1/revocations/{id} until the lock's
 * REVOKE_RESULT comes and opens. A later call for the same target follows
 * the remembered one instead of sending another; it is forgotten only
 * once the lock's answer came (or wardd no longer knows the revocation),
 * whatever else fails on the way. When the lock answers
 * that target is bound under another binding than wardd named, it sends
 * once more under the binding the lock named. WARD_OK only when the
 * lock's own answer opened: out->outcome is WARD_REVOKE_DONE (revoked
 * now), _NOT_BOUND (nothing was left to revoke), _STALE or _REFUSED (the
 * lock did not revoke). Revoking oneself, once the lock confirms, removes
 * the local lock record. Errors:
 *   WARD_ERR_EXPIRED   WARD_APP_MSG_UNCONFIRMED: no answer within wait_s
 *                      (the revocation stays remembered)
 *   WARD_ERR_NOTFOUND  "USER is not a client of lock SN" (or no such lock)
 *   WARD_ERR_PARAM     WARD_APP_MSG_NOT_ADMIN (403, or a member revoking
 *                      another); "the owner cannot revoke itself"
 *   WARD_ERR_AUTH      WARD_APP_MSG_REVOKE_FORGED; the lock could not
 *                      verify the revocation; or as for ward_app_op_answer()
 *   WARD_ERR_IO        as for ward_app_op_answer() */
WARD_MUST_CHECK
ward_err ward_app_revoke(ward_app *app, const char *sn, const char *target,
                         bool from_escrow, unsigned wait_s, ward_revoke_outcome *out);

/* Parses {"events": [{"ts","event","uid","op","detail"}]}. */
WARD_MUST_CHECK
ward_err ward_app_audit_parse(ward_app *app, const char *json, size_t len,
                              ward_app_audit_event **list, size_t *count);
/* GET /v1/audit?sn=SN (owner or admin). */
WARD_MUST_CHECK
ward_err ward_app_audit(ward_app *app, const char *sn,
                        ward_app_audit_event **list, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* WARD_APP_OPS_H */
