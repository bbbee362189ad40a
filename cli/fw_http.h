/* One HTTP exchange with wardd's firmware routes (ward fw publish, fw_source_http.c): the
 * routes ward_http_request() cannot carry - a header of their own (Ward-Manifest, Range) and
 * bodies of megabytes. */
#ifndef WARD_CLI_FW_HTTP_H
#define WARD_CLI_FW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The CA bundle of HTTPS requests (--cacert or $SSL_CERT_FILE; main.c
 * sets it), NULL: libcurl's default. */
extern const char *cli_ca_file;

#define FW_HTTP_JSON_MAX (64u * 1024u)

typedef struct fw_http_ans {
    long status;                /* 0: no answer came (error says why); kept when
                                 * the answer broke off in its body */
    /* The body: into the caller's buffer when one was given (at most its
     * cap; more is an error), else malloc'd up to FW_HTTP_JSON_MAX and
     * NUL-terminated (fw_http_free). */
    uint8_t *body;
    size_t len;
    bool overflow;
    bool owned;                 /* body is fw_http_do's (fw_http_free frees it) */
    long retry_after_s;         /* -1: none */
    char content_range[96];
    char etag[80];
    char error[320];
} fw_http_ans;

/* method to base_url + target, with up to 4 extra header lines ("Name:
 * value"), body (body_len bytes, NULL: none). into/into_cap: where a
 * body goes (NULL: a malloc'd buffer). timeout_s: the whole exchange. 0
 * when a whole answer came (any status), 1 when none did or it broke off
 * (error says why). Call fw_http_free after either. */
int fw_http_do(const char *method, const char *base_url, const char *target,
               const char *const *headers, size_t nheaders, const uint8_t *body,
               size_t body_len, uint8_t *into, size_t into_cap, long timeout_s,
               fw_http_ans *ans);
void fw_http_free(fw_http_ans *ans);

/* wardd's {"error", "message"} of a refusal, escaped for a terminal, into
 * out ("" when the body is not one). */
void fw_http_refusal(const fw_http_ans *ans, char *out, size_t cap);

#endif /* WARD_CLI_FW_HTTP_H */
