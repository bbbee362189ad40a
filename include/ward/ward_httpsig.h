/*
 * ward_httpsig.h - (host library) request signatures for wardd's HTTP API:
 * a fixed profile of RFC 9421 (HTTP Message Signatures) with RFC 9530
 * Content-Digest.
 *
 * Every request to wardd names its signer (keyid "lock:SN" or "user:UID"),
 * a creation time and a fresh nonce, and signs the method, path, query and
 * body digest with ECDSA P-256 (alg "ecdsa-p256-sha256"). docs/protocol.md
 * ("Request signatures") gives the exact bytes.
 *
 * Signing (app or lock):
 *     ward_httpsig_params p = { created, nonce_hex, keyid };
 *     ward_httpsig_digest(cp, body, body_len, digest_hdr, sizeof digest_hdr);
 *     ward_httpsig_base(method, path, query, digest_hdr, &p, base, cap, &len);
 *     sign SHA-256(base) -> sig (64 bytes r||s) with the signer's key
 *     ward_httpsig_headers(&p, sig, input_hdr, cap1, sig_hdr, cap2);
 * Verifying (wardd):
 *     ward_httpsig_parse(input_hdr, sig_hdr, &p, sig);  // strict profile
 *     check p.created, p.nonce, p.keyid; recompute the digest of the body
 *     ward_httpsig_base(...) then ward_httpsig_verify(cp, pub, base, len, sig).
 *
 * All strings are NUL-terminated; every output has an explicit capacity
 * and WARD_ERR_NOSPACE when it does not fit.
 */
#ifndef WARD_HTTPSIG_H
#define WARD_HTTPSIG_H

#include <stddef.h>
#include <stdint.h>

#include "ward_crypto.h"
#include "ward_encode.h" /* base64 and hex, declared here before */
#include "ward_keystore.h"
#include "ward_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_HTTPSIG_NONCE_HEX 32     /* 16 random bytes */
#define WARD_HTTPSIG_KEYID_MAX 80     /* "user:" + 64-byte UID, with room */
#define WARD_HTTPSIG_DIGEST_HDR_MAX 64
#define WARD_HTTPSIG_INPUT_HDR_MAX 320
#define WARD_HTTPSIG_SIG_HDR_MAX 128
#define WARD_HTTPSIG_MAX_SKEW_S 300   /* created must be this close to now */
#define WARD_HTTPSIG_NONCE_TTL_S 600  /* how long a verifier remembers nonces */

typedef struct ward_httpsig_params {
    int64_t created;                              /* unix seconds */
    char nonce[WARD_HTTPSIG_NONCE_HEX + 1];       /* lower-case hex */
    char keyid[WARD_HTTPSIG_KEYID_MAX + 1];
} ward_httpsig_params;

/* "sha-256=:<base64>:" for the body (which may be empty). */
WARD_MUST_CHECK
ward_err ward_httpsig_digest(const ward_crypto *cp, const uint8_t *body,
                             size_t body_len, char *out, size_t cap);

/* The signature base (RFC 9421 section 2.5) for our component list. query
 * is the raw query without '?' (NULL or "" when absent). */
WARD_MUST_CHECK
ward_err ward_httpsig_base(const char *method, const char *path,
                           const char *query, const char *digest_hdr,
                           const ward_httpsig_params *p, char *out,
                           size_t cap, size_t *len);

/* The Signature-Input and Signature header values. */
WARD_MUST_CHECK
ward_err ward_httpsig_headers(const ward_httpsig_params *p,
                              const uint8_t sig[WARD_P256_SIG_LEN],
                              char *input_hdr, size_t input_cap,
                              char *sig_hdr, size_t sig_cap);

/* Signs SHA-256(base) (ECDSA P-256, r || s) with the signer's key. */
typedef ward_err (*ward_httpsig_sign_fn)(void *ctx, const char *base,
                                         size_t base_len,
                                         uint8_t sig[WARD_P256_SIG_LEN]);

/* The three header values of a signed request. */
typedef struct ward_httpsig_hdrs {
    char digest[WARD_HTTPSIG_DIGEST_HDR_MAX];   /* Content-Digest */
    char input[WARD_HTTPSIG_INPUT_HDR_MAX];     /* Signature-Input */
    char sig[WARD_HTTPSIG_SIG_HDR_MAX];         /* Signature */
} ward_httpsig_hdrs;

/* Signs a request in one call: the body's digest, the base over method,
 * path, query (raw, without '?'; NULL when absent) and that digest with
 * p, signed by sign, and the headers that carry them. p holds the
 * caller's created time, fresh nonce and keyid. */
WARD_MUST_CHECK
ward_err ward_httpsig_request(const ward_crypto *cp, const ward_httpsig_params *p,
                              const char *method, const char *path,
                              const char *query, const uint8_t *body,
                              size_t body_len, ward_httpsig_sign_fn sign,
                              void *sign_ctx, ward_httpsig_hdrs *out);

/* Parses the two headers, accepting only what ward_httpsig_headers()
 * writes (label "ward", our components in our order, our parameters in
 * our order). WARD_ERR_FORMAT otherwise. */
WARD_MUST_CHECK
ward_err ward_httpsig_parse(const char *input_hdr, const char *sig_hdr,
                            ward_httpsig_params *p,
                            uint8_t sig[WARD_P256_SIG_LEN]);

/* Signs SHA-256(base) (r||s) with key id of ks (ward_keystore.h; a key
 * kept in a file goes through ward_keystore_soft); verifies it with the
 * public key. */
WARD_MUST_CHECK
ward_err ward_httpsig_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                              ward_key_id id, const char *base, size_t base_len,
                              uint8_t sig[WARD_P256_SIG_LEN]);
WARD_MUST_CHECK
ward_err ward_httpsig_verify(const ward_crypto *cp,
                             const uint8_t pub[WARD_P256_POINT_LEN],
                             const char *base, size_t base_len,
                             const uint8_t sig[WARD_P256_SIG_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* WARD_HTTPSIG_H */
