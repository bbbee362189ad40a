/* ECDSA P-256 over a SHA-256 digest, on OpenSSL EVP_PKEY_sign/verify,
 * converting between OpenSSL's DER and our raw r || s. */
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

/* r || s to DER; WARD_ERR_AUTH when r or s is outside 1..n-1, which no
 * valid signature has. */
static ward_err raw_to_der(const uint8_t sig[WARD_P256_SIG_LEN],
                           uint8_t der[WARD_OPENSSL_DER_MAX], size_t *der_len)
{
    EC_GROUP *grp = ward_openssl_group();
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_new();
    BIGNUM *s = BN_new();
    ward_err err = WARD_ERR_CRYPTO;
    if (grp != NULL && es != NULL && r != NULL && s != NULL) {
        err = ward_openssl_scalar_read(grp, r, sig, 0);
        if (err == WARD_OK) {
            err = ward_openssl_scalar_read(grp, s, sig + WARD_P256_SCALAR_LEN, 0);
        }
        if (err == WARD_ERR_FORMAT) {
            err = WARD_ERR_AUTH;
        }
    }
    if (err == WARD_OK) {
        if (ECDSA_SIG_set0(es, r, s) != 1) {
            err = WARD_ERR_CRYPTO;
        } else {
            r = NULL; /* owned by es now */
            s = NULL;
            int n = i2d_ECDSA_SIG(es, NULL);
            unsigned char *p = der;
            if (n <= 0 || n > WARD_OPENSSL_DER_MAX || i2d_ECDSA_SIG(es, &p) != n) {
                err = WARD_ERR_CRYPTO;
            } else {
                *der_len = (size_t)n;
            }
        }
    }
    BN_free(s);
    BN_free(r);
    ECDSA_SIG_free(es);
    EC_GROUP_free(grp);
    return err;
}

ward_err ward_openssl_ecdsa_verify(const uint8_t pub[WARD_P256_POINT_LEN],
                                   const uint8_t digest[WARD_SHA256_LEN],
                                   const uint8_t sig[WARD_P256_SIG_LEN])
{
    WARD_ASSERT(pub != NULL && digest != NULL && sig != NULL);

    ward_err err = ward_openssl_p256_point_check(pub);
    if (err != WARD_OK) {
        return err;
    }
    uint8_t der[WARD_OPENSSL_DER_MAX];
    size_t der_len = 0;
    err = raw_to_der(sig, der, &der_len);
    if (err != WARD_OK) {
        ERR_clear_error();
        return err;
    }
    EVP_PKEY *key = ward_openssl_pub_key(pub);
    EVP_PKEY_CTX *ctx = key != NULL ? EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)
                                    : NULL;
    int rc = -1;
    if (ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
        EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1) {
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
