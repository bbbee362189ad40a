/*
 * bench_http.h - RFC 9421-signed requests to wardd over one persistent
 * libcurl handle (keep-alive), for the load generator. One bench_http per
 * thread; nothing is shared between them.
 *
 *     bench_http h;
 *     bench_http_init(&h, cp, "http://127.0.0.1:8440");
 *     bench_signer s = { "user:alice", sign_fn, ctx };
 *     long st = bench_http_call(&h, "POST", "/v1/ops/ID/answer", NULL, body, &s);
 *     ... h.resp holds the answer's body (NUL-terminated) ...
 *     bench_http_free(&h);
 */
#ifndef WARD_BENCH_HTTP_H
#define WARD_BENCH_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "ward/ward_crypto.h"
#include "ward/ward_random.h"

/* Who signs: the lock (ward_lock_sign_request) or an app's key. */
typedef struct bench_signer {
    const char *keyid;    /* "lock:SN" or "user:UID" */
    ward_err (*sign)(void *ctx, const char *base, size_t len,
                     uint8_t sig[WARD_P256_SIG_LEN]);
    void *ctx;
} bench_signer;

typedef struct bench_http {
    CURL *curl;
    const ward_crypto *cp;
    ward_random rng;
    const char *base_url;
    char *resp;           /* the last answer's body, NUL-terminated */
    size_t resp_len, resp_cap;
} bench_http;

int bench_http_init(bench_http *h, const ward_crypto *cp, const char *base_url);
void bench_http_free(bench_http *h);

/* One request (signed unless s is NULL; query without '?', may be NULL).
 * Answers the HTTP status, or -1 when the transport failed. */
long bench_http_call(bench_http *h, const char *method, const char *path,
                     const char *query, const char *body, const bench_signer *s);

/* "name":"value" of a flat JSON answer into out; 0 when found. */
int bench_json_str(const char *json, const char *name, char *out, size_t cap);

/* The code wardd texted to verify uid's phone, from the files of its SMS
 * outbox (written before wardd answers the registration), into code
 * (WARD_BIND_CODE_LEN digits and a NUL); 0 when found. */
int bench_outbox_code(const char *outbox, const char *uid, char *code);

#endif /* WARD_BENCH_HTTP_H */
