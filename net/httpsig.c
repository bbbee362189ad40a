/* The RFC 9421 profile of wardd's request signatures; see ward_httpsig.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_httpsig.h"

#define COMPONENTS "(\"@method\" \"@path\" \"@query\" \"content-digest\")"
#define ALG "ecdsa-p256-sha256"
#define LABEL "ward"

ward_err ward_httpsig_digest(const ward_crypto *cp, const uint8_t *body,
                             size_t body_len, char *out, size_t cap)
{
    uint8_t d[WARD_SHA256_LEN];
    ward_iov part = { body, body_len };
    ward_err err = cp->sha256(&part, body_len ? 1 : 0, d);
    if (err != WARD_OK) {
        return err;
    }
    char b64[48];
    err = ward_b64_encode(d, sizeof d, b64, sizeof b64);
    if (err != WARD_OK) {
        return err;
    }
    int n = snprintf(out, cap, "sha-256=:%s:", b64);
    return n < 0 || (size_t)n >= cap ? WARD_ERR_NOSPACE : WARD_OK;
}

/* A keyid is a quoted sf-string: printable ASCII without '"' and '\'. */
static int keyid_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > WARD_HTTPSIG_KEYID_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (k[i] < 0x20 || k[i] > 0x7E || k[i] == '"' || k[i] == '\\') {
            return 0;
        }
    }
    return 1;
}

static int nonce_ok(const char *nonce)
{
    if (strlen(nonce) != WARD_HTTPSIG_NONCE_HEX) {
        return 0;
    }
    for (const char *c = nonce; *c; c++) {
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static ward_err params_value(const ward_httpsig_params *p, char *out, size_t cap)
{
    if (!keyid_ok(p->keyid) || !nonce_ok(p->nonce) || p->created < 0) {
        return WARD_ERR_PARAM;
    }
    int n = snprintf(out, cap, COMPONENTS ";created=%lld;nonce=\"%s\";keyid=\"%s\";alg=\"" ALG "\"",
                     (long long)p->created, p->nonce, p->keyid);
    return n < 0 || (size_t)n >= cap ? WARD_ERR_NOSPACE : WARD_OK;
}

ward_err ward_httpsig_base(const char *method, const char *path,
                           const char *query, const char *digest_hdr,
                           const ward_httpsig_params *p, char *out,
                           size_t cap, size_t *len)
{
    char params[WARD_HTTPSIG_INPUT_HDR_MAX];
    ward_err err = params_value(p, params, sizeof params);
    if (err != WARD_OK) {
        return err;
    }
    /* Component values may not contain newlines: they would forge lines. */
    if (strpbrk(method, "\r\n") || strpbrk(path, "\r\n") ||
        (query && strpbrk(query, "\r\n")) || strpbrk(digest_hdr, "\r\n")) {
        return WARD_ERR_FORMAT;
    }
    int n = snprintf(out, cap,
                     "\"@method\": %s\n\"@path\": %s\n\"@query\": ?%s\n"
                     "\"content-digest\": %s\n\"@signature-params\": %s",
                     method, path, query ? query : "", digest_hdr, params);
    if (n < 0 || (size_t)n >= cap) {
        return WARD_ERR_NOSPACE;
    }
    *len = (size_t)n;
    return WARD_OK;
}

ward_err ward_httpsig_headers(const ward_httpsig_params *p,
                              const uint8_t sig[WARD_P256_SIG_LEN],
                              char *input_hdr, size_t input_cap,
                              char *sig_hdr, size_t sig_cap)
{
    char params[WARD_HTTPSIG_INPUT_HDR_MAX];
    ward_err err = params_value(p, params, sizeof params);
    if (err != WARD_OK) {
        return err;
    }
    int n = snprintf(input_hdr, input_cap, LABEL "=%s", params);
    if (n < 0 || (size_t)n >= input_cap) {
        return WARD_ERR_NOSPACE;
    }
    char b64[96];
    err = ward_b64_encode(sig, WARD_P256_SIG_LEN, b64, sizeof b64);
    if (err != WARD_OK) {
        return err;
    }
    n = snprintf(sig_hdr, sig_cap, LABEL "=:%s:", b64);
    return n < 0 || (size_t)n >= sig_cap ? WARD_ERR_NOSPACE : WARD_OK;
}

ward_err ward_httpsig_request(const ward_crypto *cp, const ward_httpsig_params *p,
                              const char *method, const char *path,
                              const char *query, const uint8_t *body,
                              size_t body_len, ward_httpsig_sign_fn sign,
                              void *sign_ctx, ward_httpsig_hdrs *out)
{
    char base[1024];
    size_t base_len = 0;
    uint8_t sig[WARD_P256_SIG_LEN];
    ward_err err = ward_httpsig_digest(cp, body, body_len, out->digest,
                                       sizeof out->digest);
    if (err == WARD_OK) {
        err = ward_httpsig_base(method, path, query, out->digest, p, base,
                                sizeof base, &base_len);
    }
    if (err == WARD_OK) {
        err = sign(sign_ctx, base, base_len, sig);
    }
    if (err == WARD_OK) {
        err = ward_httpsig_headers(p, sig, out->input, sizeof out->input,
                                   out->sig, sizeof out->sig);
    }
    return err;
}

/* Copies the quoted string at *s (after the opening quote) up to the
 * closing quote into out; advances *s past the quote. */
static ward_err take_quoted(const char **s, char *out, size_t cap)
{
    const char *end = strchr(*s, '"');
    if (end == NULL || (size_t)(end - *s) >= cap) {
        return WARD_ERR_FORMAT;
    }
    memcpy(out, *s, (size_t)(end - *s));
    out[end - *s] = '\0';
    *s = end + 1;
    return WARD_OK;
}

static ward_err expect(const char **s, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*s, lit, n) != 0) {
        return WARD_ERR_FORMAT;
    }
    *s += n;
    return WARD_OK;
}

ward_err ward_httpsig_parse(const char *input_hdr, const char *sig_hdr,
                            ward_httpsig_params *p,
                            uint8_t sig[WARD_P256_SIG_LEN])
{
    memset(p, 0, sizeof *p);
    const char *s = input_hdr;
    if (expect(&s, LABEL "=" COMPONENTS ";created=") != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    long long created = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 12) {
        created = created * 10 + (*s++ - '0');
        digits++;
    }
    if (digits == 0 || (digits > 1 && input_hdr[strlen(LABEL "=" COMPONENTS ";created=")] == '0')) {
        return WARD_ERR_FORMAT;
    }
    p->created = created;
    if (expect(&s, ";nonce=\"") || take_quoted(&s, p->nonce, sizeof p->nonce) ||
        expect(&s, ";keyid=\"") || take_quoted(&s, p->keyid, sizeof p->keyid) ||
        expect(&s, ";alg=\"" ALG "\"") || *s != '\0') {
        return WARD_ERR_FORMAT;
    }
    if (!nonce_ok(p->nonce) || !keyid_ok(p->keyid)) {
        return WARD_ERR_FORMAT;
    }
    const char *t = sig_hdr;
    if (expect(&t, LABEL "=:") != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    const char *end = strchr(t, ':');
    if (end == NULL || end[1] != '\0') {
        return WARD_ERR_FORMAT;
    }
    size_t n = 0;
    if (ward_b64_decode(t, (size_t)(end - t), sig, WARD_P256_SIG_LEN, &n) != WARD_OK ||
        n != WARD_P256_SIG_LEN) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err ward_httpsig_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                              ward_key_id id, const char *base, size_t base_len,
                              uint8_t sig[WARD_P256_SIG_LEN])
{
    uint8_t d[WARD_SHA256_LEN];
    ward_iov part = { (const uint8_t *)base, base_len };
    ward_err err = cp->sha256(&part, 1, d);
    if (err != WARD_OK) {
        return err;
    }
    return ks->sign(ks->ctx, id, d, sig);
}

ward_err ward_httpsig_verify(const ward_crypto *cp,
                             const uint8_t pub[WARD_P256_POINT_LEN],
                             const char *base, size_t base_len,
                             const uint8_t sig[WARD_P256_SIG_LEN])
{
    uint8_t d[WARD_SHA256_LEN];
    ward_iov part = { (const uint8_t *)base, base_len };
    ward_err err = cp->sha256(&part, 1, d);
    if (err != WARD_OK) {
        return err;
    }
    return cp->ecdsa_p256_verify(pub, d, sig);
}
