/*
 * api.h - talking to wardd from the CLI: one call that sends a signed
 * request and turns every failure into one line a person can act on.
 */
#ifndef WARD_CLI_API_H
#define WARD_CLI_API_H

#include <stddef.h>

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

#endif /* WARD_CLI_API_H */
