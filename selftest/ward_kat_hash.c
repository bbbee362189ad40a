/* Known answers for the hash-based entries and CMAC: SHA-256 (FIPS 180-2),
 * HMAC-SHA256 (RFC 4231), HKDF-SHA256 (RFC 5869), AES-128-CMAC (RFC 4493). */
#include <string.h>

#include "ward_kat_inner.h"

/* Each message is fed twice, whole and cut into parts, so both the
 * primitive and the port's concatenation of an iov list are checked. */
static uint8_t kat_chunk[WARD_KAT_CHUNK];
static ward_iov kat_parts[WARD_KAT_IOV_MAX];

ward_err ward_kat_sha256(const ward_crypto *cp, const ward_kat_case *c)
{
    const uint8_t *want;
    uint8_t got[WARD_SHA256_LEN];
    size_t n;
    ward_err err = ward_kat_fixed(c, "digest", &want, WARD_SHA256_LEN);

    for (int split = 0; split < 2 && err == WARD_OK; split++) {
        err = ward_kat_iov(c, "msg", split != 0, kat_chunk, kat_parts, &n);
        if (err == WARD_OK) {
            memset(got, 0, sizeof(got));
            err = cp->sha256(kat_parts, n, got);
        }
        if (err == WARD_OK) {
            err = ward_kat_expect(got, want, WARD_SHA256_LEN);
        }
    }
    return err;
}

ward_err ward_kat_hmac_sha256(const ward_crypto *cp, const ward_kat_case *c)
{
    const uint8_t *key, *want;
    size_t key_len, want_len, n;
    uint8_t got[WARD_SHA256_LEN];
    ward_err err = ward_kat_bytes(c, "key", NULL, 0, &key, &key_len);

    if (err == WARD_OK) {
        err = ward_kat_bytes(c, "mac", NULL, 0, &want, &want_len);
    }
    if (err == WARD_OK && (want_len == 0 || want_len > WARD_SHA256_LEN)) {
        err = WARD_ERR_FORMAT;
    }
    for (int split = 0; split < 2 && err == WARD_OK; split++) {
        err = ward_kat_iov(c, "data", split != 0, kat_chunk, kat_parts, &n);
        if (err == WARD_OK) {
            memset(got, 0, sizeof(got));
            err = cp->hmac_sha256(key, key_len, kat_parts, n, got);
        }
        /* A vector shorter than 32 bytes is a truncated MAC (RFC 4231
         * test case 5): the published bytes are the output's prefix. */
        if (err == WARD_OK) {
            err = ward_kat_expect(got, want, want_len);
        }
    }
    return err;
}

ward_err ward_kat_hkdf_sha256(const ward_crypto *cp, const ward_kat_case *c)
{
    static uint8_t okm[WARD_HKDF_OUT_MAX];
    const uint8_t *ikm, *salt, *info, *want;
    size_t ikm_len, salt_len, info_len, want_len;
    ward_err err = ward_kat_bytes(c, "ikm", NULL, 0, &ikm, &ikm_len);

    if (err == WARD_OK) {
        err = ward_kat_bytes(c, "salt", NULL, 0, &salt, &salt_len);
    }
    if (err == WARD_OK) {
        err = ward_kat_bytes(c, "info", NULL, 0, &info, &info_len);
    }
    if (err == WARD_OK) {
        err = ward_kat_bytes(c, "okm", NULL, 0, &want, &want_len);
    }
    if (err == WARD_OK && (want_len == 0 || want_len > sizeof(okm))) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        /* The port documents NULL for "no salt" (RFC 5869 test case 3). */
        memset(okm, 0, want_len);
        err = cp->hkdf_sha256(salt_len == 0 ? NULL : salt, salt_len, ikm, ikm_len,
                              info, info_len, okm, want_len);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(okm, want, want_len);
    }
    /* The port has no extract-only entry; PRK = HMAC(salt, IKM) (RFC 5869
     * section 2.2), and an empty salt is the same HMAC key as HashLen
     * zeros, so the published PRK is checked through hmac_sha256. */
    const ward_kat_field *prk = ward_kat_find(c, "prk");
    if (err == WARD_OK && prk != NULL) {
        uint8_t got[WARD_SHA256_LEN];
        ward_iov part = { ikm, ikm_len };
        const uint8_t *want_prk;
        err = ward_kat_fixed(c, "prk", &want_prk, WARD_SHA256_LEN);
        if (err == WARD_OK) {
            err = cp->hmac_sha256(salt, salt_len, &part, 1, got);
        }
        if (err == WARD_OK) {
            err = ward_kat_expect(got, want_prk, WARD_SHA256_LEN);
        }
    }
    return err;
}

ward_err ward_kat_aes128_cmac(const ward_crypto *cp, const ward_kat_case *c)
{
    const uint8_t *key, *want;
    uint8_t got[WARD_CMAC_LEN];
    size_t n;
    ward_err err = ward_kat_fixed(c, "key", &key, WARD_AES128_KEY_LEN);

    if (err == WARD_OK) {
        err = ward_kat_fixed(c, "mac", &want, WARD_CMAC_LEN);
    }
    for (int split = 0; split < 2 && err == WARD_OK; split++) {
        err = ward_kat_iov(c, "msg", split != 0, kat_chunk, kat_parts, &n);
        if (err == WARD_OK) {
            memset(got, 0, sizeof(got));
            err = cp->aes128_cmac(key, kat_parts, n, got);
        }
        if (err == WARD_OK) {
            err = ward_kat_expect(got, want, WARD_CMAC_LEN);
        }
    }
    return err;
}
