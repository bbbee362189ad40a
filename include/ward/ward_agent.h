/*
 * ward_agent.h - (agent library) a device's link to wardd: every call a
 * lock or an IoT device makes to the relay, over a transport it is given.
 *
 * The device core (ward_lock.h, ward_device.h) makes and checks every
 * message; the agent only carries them: activation, the bind task's fetch
 * and confirmation (flow A), op requests, answers, results and withdrawals
 * (flow B), the lock's inbox with its acknowledgements (revocations), a
 * device's far-field inbox and replies (flow D). wardd is not trusted:
 * lists it hands on are walked with a cursor, ids checked (whole numbers
 * above the cursor, below 2^53), messages decoded and bounded.
 *
 *     ward_agent ag;
 *     ward_agent_init(&ag, &ward_agent_http, &host, "https://wardd.example", &signer);
 *     long st = ward_agent_activate(&ag, act, act_len, why, sizeof why);
 *
 * Every call returns as a wardd request does: 0 for a 2xx answer, the
 * HTTP status for any other answer, WARD_AGENT_UNREACHABLE when none came
 * (or the wait was cancelled), WARD_AGENT_BAD_ANSWER for a 2xx answer the
 * device cannot use; why then holds one line a person can act on.
 * Where the routes and bodies are: docs/protocol.md.
 */
#ifndef WARD_AGENT_H
#define WARD_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_err.h"
#include "ward/ward_host.h"
#include "ward/ward_http.h"
#include "ward/ward_op.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_AGENT_UNREACHABLE WARD_HTTP_NO_ANSWER
#define WARD_AGENT_BAD_ANSWER (-2L)
/* The longest server URL an agent keeps. */
#define WARD_AGENT_URL_MAX 511
/* A wardd op id: lower-case hex. */
#define WARD_AGENT_OP_ID_MAX 64
/* The capability token a lock fetches its answers with, and its hex. */
#define WARD_AGENT_TOKEN_LEN 16
/* Text wardd sent back about a binding (escaped: ward_http_text). */
#define WARD_AGENT_TEXT_MAX 80

/* How bytes reach wardd: one request, one answer (resp filled as
 * ward_http_request() fills it, freed by the caller with
 * ward_http_response_free()). HTTP over libcurl now; MQTT or a gateway's
 * own link later, each a request() of this form. The host's cancelled
 * hook, when set, must end a wait early with WARD_ERR_IO. */
typedef struct ward_agent_transport {
    ward_err (*request)(void *ctx, const ward_host *host, const char *server,
                        const char *method, const char *target, const uint8_t *body,
                        size_t body_len, const ward_http_signer *signer,
                        ward_http_response *resp);
    void *ctx;
} ward_agent_transport;

/* HTTP(S) through the client library's libcurl code (ward_http.h). */
extern const ward_agent_transport ward_agent_http;

/* One device's link: where, how, and who signs. */
typedef struct ward_agent {
    const ward_agent_transport *transport;
    ward_host host;
    char server[WARD_AGENT_URL_MAX + 1];
    const ward_http_signer *signer;   /* keyid "lock:ID", the identity key */
    /* Asked during the long waits only (op answers, the lock's inbox): a
     * device told to stop does not wait out a 30 s poll, yet still
     * delivers results and acknowledgements. NULL: never. */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
} ward_agent;

/* Fills ag; WARD_ERR_PARAM when the URL is longer than
 * WARD_AGENT_URL_MAX. signer may be NULL (then only unsigned calls). */
WARD_MUST_CHECK
ward_err ward_agent_init(ward_agent *ag, const ward_agent_transport *transport,
                         const ward_host *host, const char *server,
                         const ward_http_signer *signer);
WARD_MUST_CHECK
ward_err ward_agent_set_server(ward_agent *ag, const char *server);

/* Any request (the routes below are made of it): signed with signer when
 * not NULL, the host's own hook only. For tools that need one more route
 * than the agent knows. */
WARD_MUST_CHECK
long ward_agent_call(const ward_agent_transport *t, const ward_host *host, const char *server,
                     const char *method, const char *target, const char *body,
                     const ward_http_signer *signer, ward_http_response *resp, char *why,
                     size_t why_cap);

/* POSTs {"<field>": base64(bytes)} (and "<extra_field>": extra_value when
 * extra_field is not NULL); returns as ward_agent_call(). */
WARD_MUST_CHECK
long ward_agent_post_blob(const ward_agent_transport *t, const ward_host *host,
                          const char *server, const char *target, const char *field,
                          const uint8_t *bytes, size_t len, const char *extra_field,
                          const char *extra_value, const ward_http_signer *signer,
                          ward_http_response *resp, char *why, size_t why_cap);

/* One entry of a list wardd hands on: its id, the string it names (who
 * answered, the cloud id a message is for; NULL when none) and the
 * message decoded (msg NULL when it is not base64 of at most WARD_MSG_MAX
 * bytes). Non-zero stops the walk; that entry is handed on again. */
typedef int (*ward_agent_entry_fn)(void *ctx, long long id, const char *from,
                                   const uint8_t *msg, size_t len);

/* ward_http_each_entry() over resp's body: each() returning 0 is TAKEN
 * (*after moves past the entry), non-zero STOP. Returns the number skipped
 * for their id, or -1 when the answer has no such list. */
WARD_MUST_CHECK
int ward_agent_each_entry(const ward_http_response *resp, const char *list,
                          const char *id_key, const char *msg_key, const char *from_key,
                          long long *after, ward_agent_entry_fn each, void *ctx);

/* The string member `name` of a JSON answer, copied ("" if absent or too
 * long). Returns 0 when present. */
WARD_MUST_CHECK
int ward_agent_json_str(const ward_http_response *resp, const char *name, char *out,
                        size_t cap);

/* ---- Activation (both roles) ---- */

/* POSTs the activation the manufacturer signed (ward_activation_sign_by). */
WARD_MUST_CHECK
long ward_agent_activate(ward_agent *ag, const uint8_t *activation, size_t len, char *why,
                         size_t why_cap);

/* ---- Flow A: binding, lock side ---- */

/* How long wardd keeps a bind task (its health answer's task_ttl), in
 * seconds: 0 with *ttl_s set, or non-zero when wardd did not say. */
WARD_MUST_CHECK
int ward_agent_task_ttl(ward_agent *ag, unsigned *ttl_s);

/* GETs the sealed bind data of the accepted task (ward_bind_task_id), once:
 * 404 while the app has not uploaded it. */
WARD_MUST_CHECK
long ward_agent_bind_fetch(ward_agent *ag, const uint8_t task_id[16], uint8_t *blob,
                           size_t cap, size_t *blob_len, char *why, size_t why_cap);

/* What wardd recorded for a confirmed binding, as it says (escaped). */
typedef struct ward_agent_bound {
    char uid[WARD_AGENT_TEXT_MAX];
    char role[WARD_AGENT_TEXT_MAX];
} ward_agent_bound;

/* POSTs the binding's confirmation (ward_bind_finish / _unconfirmed). 0:
 * recorded (ward_bind_confirmed); 4xx: refused for good
 * (ward_bind_refused); unreachable or 5xx: keep it, send it again. */
WARD_MUST_CHECK
long ward_agent_bind_confirm(ward_agent *ag, const uint8_t *confirm, size_t len,
                             ward_agent_bound *bound, char *why, size_t why_cap);

/* ---- Flow B: operations, lock side ---- */

/* POSTs an OP_REQUEST (ward_op_lock_request*) with the hash of a fresh
 * capability token (from the host's random source) that alone fetches its
 * answers: token_hex gets the token, op_id wardd's id for the request
 * (lower-case hex, else WARD_AGENT_BAD_ANSWER). */
WARD_MUST_CHECK
long ward_agent_op_post(ward_agent *ag, const uint8_t *req, size_t len,
                        char op_id[WARD_AGENT_OP_ID_MAX + 1],
                        char token_hex[2 * WARD_AGENT_TOKEN_LEN + 1], char *why,
                        size_t why_cap);

/* One page of answers to op_id after *after, waiting up to wait_s for one
 * (cancellable); each answer (msg: the APPROVAL, from: who) goes to each().
 * *skipped: entries with no usable id, -1 for a malformed list. 410: the
 * request expired or was withdrawn. */
WARD_MUST_CHECK
long ward_agent_op_answers(ward_agent *ag, const char *op_id, const char *token_hex,
                           unsigned wait_s, long long *after, ward_agent_entry_fn each,
                           void *ctx, int *skipped, char *why, size_t why_cap);

/* POSTs the OP_RESULT with the capability token (not signed, not
 * cancellable: the door has acted). */
WARD_MUST_CHECK
long ward_agent_op_result(ward_agent *ag, const char *op_id, const char *token_hex,
                          const uint8_t *res, size_t len, char *why, size_t why_cap);

/* Gives the request up at wardd (signed), so no app is offered it. */
WARD_MUST_CHECK
long ward_agent_op_withdraw(ward_agent *ag, const char *op_id, char *why, size_t why_cap);

/* What the lock made of one answer (ward_op_lock_accept). */
typedef enum ward_agent_answer {
    WARD_AGENT_ANSWER_DECIDED = 0,   /* verified: the lock acted (or refused) */
    WARD_AGENT_ANSWER_LATE = 1,      /* verified, but after the request expired */
    WARD_AGENT_ANSWER_IGNORED = 2,   /* does not verify (forged, replayed): keep waiting */
    WARD_AGENT_ANSWER_FAILED = 3     /* the lock itself failed: give the request up */
} ward_agent_answer;

/* The lock's side of waiting for an answer. accept() gets each answer (who:
 * escaped text of who wardd says answered) and, when it decides, leaves
 * the OP_RESULT in res; page_done() follows each page (the lock's state may
 * be let go until the next); note() gets each line a person should see.
 * page_done and note may be NULL. */
typedef struct ward_agent_op_wait_ops {
    ward_agent_answer (*accept)(void *ctx, long long n, const char *who,
                                const uint8_t *approval, size_t len, uint8_t *res,
                                size_t cap, size_t *res_len);
    void (*page_done)(void *ctx);
    void (*note)(void *ctx, const char *line);
    void *ctx;
} ward_agent_op_wait_ops;

/* How a wait ended. Every end but DECIDED and LATE withdraws the request
 * at wardd, so no app is offered it any more. */
typedef enum ward_agent_op_end {
    WARD_AGENT_OP_DECIDED = 0,   /* accept() decided; the result was posted */
    WARD_AGENT_OP_LATE = 1,      /* decided too late; the result was posted */
    WARD_AGENT_OP_FAILED = 2,    /* accept() failed */
    WARD_AGENT_OP_STOPPED = 3,   /* ag->cancelled() said stop */
    WARD_AGENT_OP_TIMEOUT = 4,   /* no answer that verifies in time, or too many refused */
    WARD_AGENT_OP_GONE = 5       /* wardd says the request expired or was withdrawn */
} ward_agent_op_end;

/* The long-poll of one wait, at most. */
#define WARD_AGENT_OP_POLL_S 25u
/* While wardd is unreachable or failing, fetches back off from 1 s,
 * doubling, to at most this; the deadline bounds them all. */
#define WARD_AGENT_OP_BACKOFF_MAX_S 8u

/* Waits up to timeout_s for the answer to op_id that accept() decides on:
 * never faster than one fetch a second when wardd answers at once with
 * nothing usable, backing off while it cannot be reached or fails (a
 * restarted wardd keeps the request), said once per outage. More than
 * 2 * WARD_MAX_CLIENTS refused answers (an honest wardd hands on one per
 * member) ends the wait. *refused: answers ignored. */
ward_agent_op_end ward_agent_op_await(ward_agent *ag, const char *op_id, const char *token_hex,
                                      unsigned timeout_s, const ward_agent_op_wait_ops *ops,
                                      unsigned *refused);

/* ---- The lock's inbox (revocations) ---- */

/* One page of the inbox after *after, waiting up to wait_s (cancellable);
 * each entry (msg: the REVOKE) goes to each(); *skipped as above. */
WARD_MUST_CHECK
long ward_agent_inbox(ward_agent *ag, unsigned wait_s, long long *after,
                      ward_agent_entry_fn each, void *ctx, int *skipped, char *why,
                      size_t why_cap);

/* A handled inbox entry, with the REVOKE_RESULT for its revoker (len 0:
 * none, the entry was not a message). */
typedef struct ward_agent_ack {
    long long id;
    const uint8_t *result;
    size_t result_len;
} ward_agent_ack;

/* Acknowledges n handled entries, so wardd forgets them and hands the
 * results on. Keep n at most WARD_AGENT_ACK_CHUNK (wardd's body limit). */
#define WARD_AGENT_ACK_CHUNK 32
WARD_MUST_CHECK
long ward_agent_inbox_ack(ward_agent *ag, const ward_agent_ack *acks, size_t n, char *why,
                          size_t why_cap);

/* ---- The lock's inbox, run: cursor, acknowledgements, pacing ---- */

/* What the device made of one inbox message. */
typedef enum ward_agent_verdict {
    WARD_AGENT_APPLIED = 0,  /* answered (a result for its sender): progress */
    WARD_AGENT_PASSED = 1,   /* handled for good, nothing done (refused, stale) */
    WARD_AGENT_NOT_YET = 2   /* the device itself failed (its store, its clock): keep it,
                                the cursor stays before it, tried again next period */
} ward_agent_verdict;

/* The device's side of the inbox. apply() gets each new message (a
 * REVOKE for ward_op_lock_revoke) and may leave up to cap bytes of result;
 * page_done() follows each page (the state may be let go until the next);
 * note() gets each line a person should see (no prefix, no newline).
 * page_done and note may be NULL. */
typedef struct ward_agent_inbox_ops {
    ward_agent_verdict (*apply)(void *ctx, long long id, const uint8_t *msg, size_t len,
                                uint8_t *res, size_t cap, size_t *res_len);
    void (*page_done)(void *ctx);
    void (*note)(void *ctx, const char *line);
    void *ctx;
} ward_agent_inbox_ops;

/* The long-poll period: an idle device sends one inbox request per period. */
#define WARD_AGENT_INBOX_WAIT_S 30u
/* Rounds of progress that may follow each other at once; then the rest of
 * the period is waited out all the same, so a wardd that replays one
 * genuine message under ever new ids cannot keep the device polling back
 * to back. */
#define WARD_AGENT_PROGRESS_ROUNDS_MAX 8u
/* No answer at all (wardd down): the next try after 1, 2, 4 ... 30 s. */
#define WARD_AGENT_BACKOFF_MAX_S 30u
/* Handled messages whose acknowledgement did not reach wardd yet; past
 * this the oldest result is dropped (its sender may ask again). */
#define WARD_AGENT_UNACKED_MAX 64u

/* Where the device stands with its inbox: every id up to `after` is
 * handled; those not yet acknowledged wait with their results. Zero it to
 * start (a new process starts from 0: wardd hands on what is unacked). */
typedef struct ward_agent_inbox_run {
    long long after;
    struct {
        long long id;
        uint8_t res[WARD_REVOKE_RESULT_MAX];
        size_t res_len;
    } unacked[WARD_AGENT_UNACKED_MAX];
    size_t nunacked;
    unsigned backoff_s;
    long long retry_at_ms;   /* ward_agent_inbox_tick(): no try before (ward_agent_mono_ms) */
} ward_agent_inbox_run;

/* What one round came to. */
typedef enum ward_agent_round {
    WARD_AGENT_ROUND_PROGRESS,   /* something was applied: more may wait */
    WARD_AGENT_ROUND_IDLE,       /* an answer, nothing new (or a refusal) */
    WARD_AGENT_ROUND_NO_ANSWER,  /* wardd could not be reached */
    WARD_AGENT_ROUND_BACKING_OFF /* ward_agent_inbox_tick(): not tried, wardd was away */
} ward_agent_round;

/* One round: acknowledges what waits, GETs a page after the cursor (a
 * long-poll of WARD_AGENT_INBOX_WAIT_S), applies what is new, acknowledges
 * it. */
ward_agent_round ward_agent_inbox_round(ward_agent *ag, ward_agent_inbox_run *run,
                                        const ward_agent_inbox_ops *ops);

/* The longest wait of one tick. */
#define WARD_AGENT_TICK_WAIT_MAX_S 5u

/* One round for a main loop that must stay free between events (a
 * firmware's timer tick) rather than the loop below: its GET waits at most
 * wait_s (at most WARD_AGENT_TICK_WAIT_MAX_S; 0: not at all) for news.
 * When no answer came, the ticks that follow within the back-off (1, 2, 4
 * ... WARD_AGENT_BACKOFF_MAX_S s after that try) send nothing and return
 * WARD_AGENT_ROUND_BACKING_OFF at once; an answer ends the back-off. */
ward_agent_round ward_agent_inbox_tick(ward_agent *ag, ward_agent_inbox_run *run,
                                       const ward_agent_inbox_ops *ops, unsigned wait_s);

/* Rounds until ag->cancelled() says stop (it must be set): at once again
 * after progress, up to WARD_AGENT_PROGRESS_ROUNDS_MAX in a row; after the
 * rest of the period when a round brought nothing new (whatever wardd
 * answers: at once, garbage, errors); after a growing back-off when no
 * answer came. Stopping, the acknowledgements still waiting are sent once.
 * Returns how many were left unacknowledged (wardd hands those messages on
 * again to the next run, which answers them again). */
size_t ward_agent_inbox_loop(ward_agent *ag, ward_agent_inbox_run *run,
                             const ward_agent_inbox_ops *ops);

/* ---- Flow D: a device's far field ---- */

/* One message for the device: the cloud id of the app's attachment it
 * came through (the transport id of ward_dev_handle) and the message. */
typedef void (*ward_agent_msg_fn)(void *ctx, const char *cloud_id, const uint8_t *msg,
                                  size_t len);

/* ward_agent_each_entry() over {"msgs": [{"id", "msg", "cloud_id"}...]}
 * (a device's inbox, an app's replies), handing each() only the entries
 * whose msg decodes (the cursor moves past the others all the same). */
WARD_MUST_CHECK
int ward_agent_each_msg(const ward_http_response *resp, long long *after, ward_agent_msg_fn each,
                        void *ctx);

/* One page of the device's inbox after *after, waiting up to wait_s (not
 * cancellable: keep it short). Entries whose message does not decode are
 * passed over, the cursor past them. */
WARD_MUST_CHECK
long ward_agent_dev_inbox(ward_agent *ag, unsigned wait_s, long long *after,
                          ward_agent_msg_fn each, void *ctx, char *why, size_t why_cap);

/* Long-polls the device's inbox (waits of wait_s) until ag->cancelled()
 * says stop (it must be set), each message to each(); while wardd cannot
 * be reached or refuses, tries again every second, said once per outage
 * through note() (may be NULL). */
void ward_agent_dev_loop(ward_agent *ag, unsigned wait_s, ward_agent_msg_fn each, void *ctx,
                         void (*note)(void *ctx, const char *line));

/* POSTs the device's reply for the app behind cloud_id. */
WARD_MUST_CHECK
long ward_agent_dev_reply(ward_agent *ag, const char *cloud_id, const uint8_t *msg,
                          size_t len, char *why, size_t why_cap);

#ifdef __cplusplus
}
#endif

#endif /* WARD_AGENT_H */
