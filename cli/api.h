/*
 * api.h - talking to wardd from the CLI's app side: one call that sends a
 * signed request and turns every failure into one line a person can act
 * on. Thin names over the agent's generic calls (ward_agent.h), which the
 * device roles use through their routes; they go once the app's calls
 * live in the client library.
 */
#ifndef WARD_CLI_API_H
#define WARD_CLI_API_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_http.h"

/* Sends the request. Returns 0 with *resp filled for a 2xx answer. For
 * anything else returns the HTTP status (or -1 when wardd could not be
 * reached) with a one-line explanation in msg; *resp is still filled
 * (and must be freed) whenever an answer came. */
long api_call(const ward_host *host, const char *server, const char *method,
              const char *target, const char *body,
              const ward_http_signer *signer, ward_http_response *resp,
              char *msg, size_t msg_cap);

/* POSTs {"<field>": base64(bytes)} (plus extra_field: extra_value when
 * extra_field is not NULL); returns as api_call(). */
long api_post_blob(const ward_host *host, const char *server, const char *target,
                   const char *field, const uint8_t *bytes, size_t len,
                   const char *extra_field, const char *extra_value,
                   const ward_http_signer *signer, ward_http_response *resp,
                   char *msg, size_t msg_cap);

/* The string member of a JSON answer's body, copied into out ("" if
 * absent). Returns 0 when present. */
int api_json_str(const ward_http_response *resp, const char *name, char *out,
                 size_t cap);

/* One entry of a list wardd hands on: its id, the string it names (who
 * answered, or the cloud id a message is for; NULL when it names none)
 * and the message decoded (msg NULL when it is not base64 of at most
 * WARD_MSG_MAX bytes). Non-zero stops the walk. */
typedef int (*api_entry_fn)(void *ctx, long long id, const char *from, const uint8_t *msg,
                            size_t len);

/* Walks the array `list` of a wardd answer, each entry {id_key: number,
 * msg_key: base64, from_key: string} (from_key NULL: none): the lock's
 * inbox ("revokes", "id", "revoke"), an op's answers ("answers", "n",
 * "approval", "uid"), a device's inbox or an app's replies (api_each_msg).
 * wardd is not trusted: only entries whose id is a whole number above
 * *after and below 2^53 are handed on, in order, and *after moves past
 * each one whose each() returned 0, so none is handled twice (one that
 * stopped the walk is handed on again next time). Returns the number of
 * entries skipped for their id, or -1 when the answer has no such list
 * at all (malformed). */
int api_each_entry(const ward_http_response *resp, const char *list, const char *id_key,
                   const char *msg_key, const char *from_key, long long *after,
                   api_entry_fn each, void *ctx);

/* One message of a wardd "msgs" list, decoded; cloud_id is NULL when
 * the entry names none. */
typedef void (*api_msg_fn)(void *ctx, const char *cloud_id, const uint8_t *msg,
                           size_t len);

/* api_each_entry() over {"msgs": [{"id", "msg", "cloud_id"?}...]} (a
 * device's inbox, an app's replies), handing each() only the entries
 * whose msg decodes (the cursor moves past the others all the same). */
int api_each_msg(const ward_http_response *resp, long long *after, api_msg_fn each,
                 void *ctx);

#endif /* WARD_CLI_API_H */
