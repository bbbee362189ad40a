/*
 * ward_http.h - (client library) signed HTTP requests to wardd, on libcurl.
 *
 * Every request but GET /v1/health is signed (ward_httpsig.h): this module
 * computes the Content-Digest, builds the RFC 9421 signature base with a
 * fresh nonce from the host's random port and created = now, has the
 * signer sign it, and sends the three headers. The signer is a callback so
 * the same helper serves the app (its file key, ward_app_http_signer()) and
 * the lock (its identity key in the store, ward_http_lock_signer()).
 *
 *     ward_http_signer s;
 *     ward_app_http_signer(&app, &s);
 *     ward_http_response r;
 *     ward_http_request(&host, "http://127.0.0.1:8080", "POST",
 *                       "/v1/bind/tasks", body, body_len, &s, &r);
 *     ... r.status, r.body (NUL-terminated) ...
 *     ward_http_response_free(&r);
 *
 * WARD_ERR_IO when no HTTP answer came (connection refused, timeout); any
 * answer, whatever its status, is WARD_OK with the status in r.status.
 * On WARD_ERR_IO r.error says why, for a person: libcurl's error buffer
 * and the OS's error text ("Failed to connect to 127.0.0.1 port 9 after
 * 0 ms: Couldn't connect to server (Connection refused)", "SSL certificate
 * problem: self-signed certificate", "Could not resolve host: ..."). The
 * ward_err stays the class; the text travels beside it and holds no
 * secret (no header, no body).
 */
#ifndef WARD_HTTP_H
#define WARD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_crypto.h"
#include "ward/ward_err.h"
#include "ward/ward_host.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_lock.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Signs SHA-256(base) (ECDSA P-256, r || s) with the signer's key. */
typedef ward_httpsig_sign_fn ward_http_sign_fn;

typedef struct ward_http_signer {
    char keyid[WARD_HTTPSIG_KEYID_MAX + 1];  /* "user:UID" or "lock:SN" */
    ward_http_sign_fn sign;
    void *ctx;
} ward_http_signer;

/* Room for the reason a request failed: libcurl's CURL_ERROR_SIZE plus
 * the OS's error text. */
#define WARD_HTTP_ERROR_MAX 320

typedef struct ward_http_response {
    long status;
    char *body;          /* malloc'd, NUL-terminated; never NULL on WARD_OK */
    size_t body_len;
    long retry_after_s;  /* from Retry-After, or -1 */
    char error[WARD_HTTP_ERROR_MAX];  /* why no answer came ("" on WARD_OK) */
    /* Whether it was the server's certificate that could not be verified
     * against the trusted CAs (ward_http_set_ca_file()). */
    bool cert_untrusted;
} ward_http_response;

/* seconds: whole-request timeout (0: 60 s, enough for a 30 s long-poll). */
#define WARD_HTTP_TIMEOUT_S 60
/* seconds to set up the connection (TCP and TLS): a wardd that does not
 * take the connection is given up on this soon, with "Timeout was
 * reached" in the error, rather than after the whole request's time. */
#define WARD_HTTP_CONNECT_TIMEOUT_S 10

/* base_url "http[s]://host:port" (a trailing '/' is ignored; any scheme
 * but http and https is refused: WARD_ERR_PARAM); target is the path with
 * an optional "?query". signer NULL sends no signature. */
WARD_MUST_CHECK
ward_err ward_http_request(const ward_host *host, const char *base_url,
                           const char *method, const char *target,
                           const uint8_t *body, size_t body_len,
                           const ward_http_signer *signer,
                           ward_http_response *resp);
void ward_http_response_free(ward_http_response *resp);

/* The PEM file of the CAs that HTTPS servers' certificates are checked
 * against, for every later request of this process (libcurl's
 * CURLOPT_CAINFO); NULL: libcurl's default bundle. The path is kept, not
 * copied: it must outlive the requests (an argv string does). */
void ward_http_set_ca_file(const char *path);

/* true when url is "http://" or "https://" (any case) followed by a
 * host: the only servers ward_http_request() talks to. */
WARD_MUST_CHECK
bool ward_http_url_ok(const char *url);

/* Copies text a server sent (an error message, a user id, an audit
 * detail: anything wardd could fill with terminal escapes or fake lines)
 * into out, fit to print: printable ASCII as itself, '\' as "\\", and
 * every other byte (control bytes, ESC, DEL, non-ASCII) as \xNN, the rules
 * of wardd's log. Always NUL-terminated (cap > 0); a text that does not
 * fit ends in "...", never in half an escape. in NULL copies "". */
void ward_http_text(char *out, size_t cap, const char *in);

/* ---- wardd's answers, read once for the app (client/) and the device (agent/) ---- */

/* What came of a request when no answer came. */
#define WARD_HTTP_NO_ANSWER (-1L)

/* The outcome of a request to wardd (err and resp as ward_http_request()
 * left them, server the base URL asked), with one line a person can act
 * on in why: 0 for a 2xx answer; for any other answer its status (1..999;
 * another reads as 999), why "wardd refused (STATUS CLASS): MESSAGE" from
 * wardd's {"error": class, "message": text}, escaped (ward_http_text);
 * WARD_HTTP_NO_ANSWER when none came, why "cannot reach wardd at SERVER:
 * REASON" (resp->error; an untrusted certificate names --cacert and
 * SSL_CERT_FILE). */
WARD_MUST_CHECK
long ward_http_outcome(ward_err err, const ward_http_response *resp, const char *server,
                       char *why, size_t why_cap);

/* What the walker's caller made of one entry of a list. */
typedef enum ward_http_entry_end {
    WARD_HTTP_ENTRY_TAKEN = 0,   /* handled: the cursor moves past it */
    WARD_HTTP_ENTRY_PASSED = 1,  /* never of use: counted as skipped, the cursor moves past it */
    WARD_HTTP_ENTRY_STOP = 2     /* stop here: the cursor stays before it, handed on again */
} ward_http_entry_end;

/* One entry: its id, the string it names (who answered, the cloud id a
 * message is for; NULL when none) and its message decoded (msg NULL when
 * it is not base64 of at most WARD_MSG_MAX bytes, or when the entry names
 * from_key with something other than a string). */
typedef ward_http_entry_end (*ward_http_entry_fn)(void *ctx, int64_t id, const char *from,
                                                  const uint8_t *msg, size_t len);

/* Walks the array `list` of a JSON answer from wardd, each entry
 * {id_key: number, msg_key: base64, from_key: string} (from_key NULL:
 * none). Only entries whose id is a whole number above *after and below
 * 2^53 go to each(), in order; *after moves past each one each() TAKEN or
 * PASSED, so none is seen twice. Returns the number skipped (for their id,
 * or PASSED), or -1 when the answer has no such list. */
WARD_MUST_CHECK
int ward_http_each_entry(const char *json, size_t len, const char *list, const char *id_key,
                         const char *msg_key, const char *from_key, int64_t *after,
                         ward_http_entry_fn each, void *ctx);

/* A signer for the lock: keyid "lock:SN", ward_lock_sign_request(). The
 * lock must outlive the signer. */
WARD_MUST_CHECK
ward_err ward_http_lock_signer(ward_http_signer *s, const ward_lock *lock);

#ifdef __cplusplus
}
#endif

#endif /* WARD_HTTP_H */
