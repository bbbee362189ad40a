/* ECDSA P-256 over a SHA-256 digest, on OpenSSL EVP_PKEY_sign/verify,
 * converting between OpenSSL's DER and our raw r || s. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "openssl_inner.h"

/* DER of an ECDSA-Sig-Value for P-256: a SEQUENCE of two INTEGERs of at
 * most 33 bytes each, well under this. */
#define WARD_OPENSSL_DER_MAX 80

static ward_err der_to_raw(const uint8_t *der, size_t der_len,
                           uint8_t sig[WARD_P256_SIG_LEN])
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    const BIGNUM *r = NULL, *s = NULL;
    int ok = es != NULL;
    if (ok) {
        ECDSA_SIG_get0(es, &r, &s);
        ok = BN_bn2binpad(r, sig, WARD_P256_SCALAR_LEN) == WARD_P256_SCALAR_LEN &&
             BN_bn2binpad(s, sig + WARD_P256_SCALAR_LEN,
                          WARD_P256_SCALAR_LEN) == WARD_P256_SCALAR_LEN;
    }
    ECDSA_SIG_free(es);
    return ok ? WARD_OK : WARD_ERR_CRYPTO;
}

ward_err ward_openssl_ecdsa_sign(const uint8_t priv[WARD_P256_SCALAR_LEN],
                                 const uint8_t digest[WARD_SHA256_LEN],
                                 uint8_t sig[WARD_P256_SIG_LEN])
{
    WARD_ASSERT(priv != NULL && digest != NULL && sig != NULL);

    EVP_PKEY *key = NULL;
    ward_err err = ward_openssl_priv_load(priv, &key);
    if (err != WARD_OK) {
        OPENSSL_cleanse(sig, WARD_P256_SIG_LEN);
        return err;
    }
    uint8_t der[WARD_OPENSSL_DER_MAX];
    size_t der_len = sizeof(der);
    /* OpenSSL 3.0 draws the nonce from its own DRBG (RFC 6979 arrived in
     * 3.2), so its signatures differ from mbedTLS's; both verify alike. */
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_sign(ctx, der, &der_len, digest, WARD_SHA256_LEN) == 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    err = ok ? der_to_raw(der, der_len, sig) : WARD_ERR_CRYPTO;
    if (err != WARD_OK) {
        OPENSSL_cleanse(sig, WARD_P256_SIG_LEN);
        ERR_clear_error();
    }
    return err;
}

/* The order n of P-256, big-endian. */
static const uint8_t ward_p256_order[WARD_P256_SCALAR_LEN] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
    0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* 1 <= x < n. A signature is public, so plain comparisons will do. */
static int half_in_range(const uint8_t x[WARD_P256_SCALAR_LEN])
{
    size_t i = 0;
    while (i < WARD_P256_SCALAR_LEN && x[i] == 0) {
        i++;
    }
    return i < WARD_P256_SCALAR_LEN &&
           memcmp(x, ward_p256_order, WARD_P256_SCALAR_LEN) < 0;
}

/* Writes x (not zero) as a DER INTEGER: no leading zero bytes, but a
 * 0x00 in front when the top bit is set so it stays positive. Returns
 * the bytes written, at most 2 + 33. */
static size_t der_integer(const uint8_t x[WARD_P256_SCALAR_LEN], uint8_t *out)
{
    size_t skip = 0;
    while (x[skip] == 0) {
        skip++;
    }
    size_t len = WARD_P256_SCALAR_LEN - skip;
    size_t pad = (x[skip] & 0x80u) != 0 ? 1 : 0;
    out[0] = 0x02;
    out[1] = (uint8_t)(pad + len);
    out[2] = 0x00;
    memcpy(out + 2 + pad, x + skip, len);
    return 2 + pad + len;
}

/* r || s to DER, written directly rather than through BIGNUMs and an
 * ECDSA_SIG; WARD_ERR_AUTH when r or s is outside 1..n-1, which no valid
 * signature has. */
static ward_err raw_to_der(const uint8_t sig[WARD_P256_SIG_LEN],
                           uint8_t der[WARD_OPENSSL_DER_MAX], size_t *der_len)
{
    const uint8_t *r = sig;
    const uint8_t *s = sig + WARD_P256_SCALAR_LEN;
    if (!half_in_range(r) || !half_in_range(s)) {
        return WARD_ERR_AUTH;
    }
    size_t n = der_integer(r, der + 2);
    n += der_integer(s, der + 2 + n);
    /* At most 70 content bytes: the short form of the length. */
    der[0] = 0x30;
    der[1] = (uint8_t)n;
    *der_len = 2 + n;
    return WARD_OK;
}

ward_err ward_openssl_ecdsa_verify(const uint8_t pub[WARD_P256_POINT_LEN],
                                   const uint8_t digest[WARD_SHA256_LEN],
                                   const uint8_t sig[WARD_P256_SIG_LEN])
{
    WARD_ASSERT(pub != NULL && digest != NULL && sig != NULL);

    /* The key first: a bad point is WARD_ERR_FORMAT whatever the
     * signature. */
    EVP_PKEY *key = NULL;
    ward_err err = ward_openssl_pub_key_cached(pub, &key);
    if (err != WARD_OK) {
        return err;
    }
    uint8_t der[WARD_OPENSSL_DER_MAX];
    size_t der_len = 0;
    err = raw_to_der(sig, der, &der_len);
    if (err != WARD_OK) {
        EVP_PKEY_free(key);
        return err;
    }
    /* No signature digest is set: the provider would fetch SHA-256 on
     * every call only to check that the digest is 32 bytes, which it
     * always is here, and verifies the digest as given either way. */
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int rc = -1;
    if (ctx != NULL && EVP_PKEY_verify_init(ctx) == 1) {
        rc = EVP_PKEY_verify(ctx, der, der_len, digest, WARD_SHA256_LEN);
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (rc != 1) {
        ERR_clear_error();
        /* 0 is a signature that does not verify; below 0 a fault. */
        return rc == 0 ? WARD_ERR_AUTH : WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}
