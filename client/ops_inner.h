/*
 * ops_inner.h - helpers shared by the client library's flow-B files
 * (ops.c, near.c, revoke.c, revocation.c, keys.c, call.c) and by bind.c.
 * Not installed.
 */
#ifndef WARD_OPS_INNER_H
#define WARD_OPS_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_app_ops.h"
#include "ward/ward_http.h"
#include "app_inner.h"

/* Room for the base64 of n bytes and its NUL. */
#define B64_LEN(n) (4 * (((n) + 2) / 3) + 1)

/* Longest wait wardd honours on a long-poll, seconds. */
#define WARD_APP_WAIT_MAX 30u

/* A request to the app's server signed with its client key. WARD_ERR_IO
 * (message set) when no HTTP answer came; any answer is WARD_OK. body may
 * be NULL. */
ward_err ward_app_call(ward_app *app, const char *method, const char *target,
                       const char *body, ward_http_response *resp);

/* One long-poll of a wait: asks wardd, waiting at most wait_s; *done
 * once the wait is over (an answer came, or it failed for good). */
typedef ward_err (*ward_app_poll_fn)(ward_app *app, unsigned wait_s, void *ctx, bool *done);

/* Calls step until *done, an error, or wait_s seconds: each call waits
 * at most WARD_APP_WAIT_MAX, and never more than one a second when wardd
 * answers at once. WARD_OK with *done false: the time ran out (or the
 * clock stood still for wait_s + 1 rounds). A clock that fails ends the
 * wait with its error before step is called again. */
ward_err ward_app_long_poll(ward_app *app, unsigned wait_s, ward_app_poll_fn step, void *ctx,
                            bool *done);

/* For an answer that is not 2xx: the class of its status and a message
 * "what: <wardd's message>" (401 auth, 404 notfound, 429 busy, 5xx io,
 * others format). */
ward_err ward_app_status_fail(ward_app *app, const ward_http_response *resp,
                              const char *what);

/* One GET of a follow-up that ends in the lock's sealed answer (an op's
 * OP_RESULT, a revocation's REVOKE_RESULT): *status is wardd's status (0
 * when no answer came); a 200 names its state (copied, at most 15
 * characters, else WARD_ERR_FORMAT with the message malformed) and, once
 * the lock answered, a result:
 * *has_result when it is there and not empty, decoded into res
 * (WARD_ERR_AUTH with the message forged when it is not base64 of at
 * most cap bytes). Any other status is ward_app_status_fail(what). Only
 * the result's seal says anything of the lock: the caller opens it. */
ward_err ward_app_get_sealed(ward_app *app, const char *target, const char *what,
                             const char *malformed, const char *forged, long *status,
                             char state[16],
                             uint8_t *res, size_t cap, size_t *res_len, bool *has_result);

/* wardd's "message" of an error answer, escaped (ward_http_text()), or
 * "". */
void ward_app_server_message(const ward_http_response *resp, char *out,
                             size_t cap);

/* true if this app has a bound record of lock sn; *role its role. */
bool ward_app_bound(ward_app *app, const char *sn, int *role);

/* locks/<SN>.json, malloc'd (sn must have passed ward_check_sn()). */
char *ward_app_lock_file(const ward_app *app, const char *sn);

/* WARD_ROLE_* from a number or "owner"/"admin"/"member"; -1 otherwise. */
int ward_app_role_json(const cJSON *r);

void ward_app_wipe(void *p, size_t n);

#endif /* WARD_OPS_INNER_H */
