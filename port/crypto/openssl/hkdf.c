/* HKDF-SHA256 (RFC 5869), extract then expand, on OpenSSL EVP_KDF. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>

#include "openssl_inner.h"

ward_err ward_openssl_hkdf_sha256(const uint8_t *salt, size_t salt_len,
                                  const uint8_t *ikm, size_t ikm_len,
                                  const uint8_t *info, size_t info_len,
                                  uint8_t *out, size_t out_len)
{
    static uint8_t empty[1] = { 0 };
    WARD_ASSERT(salt != NULL || salt_len == 0);
    WARD_ASSERT(ikm != NULL || ikm_len == 0);
    WARD_ASSERT(info != NULL || info_len == 0);
    WARD_ASSERT(out != NULL || out_len == 0);

    if (out_len < 1 || out_len > WARD_HKDF_OUT_MAX) {
        return WARD_ERR_PARAM;
    }
    OSSL_PARAM params[5];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                   (char *)"SHA256", 0);
    /* The provider requires a key even when it is empty. */
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_KEY, ikm_len > 0 ? (void *)ikm : empty, ikm_len);
    /* No salt means HashLen zero bytes (RFC 5869 2.2), the same HMAC key
     * as an empty salt. */
    if (salt_len > 0) {
        params[n++] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    }
    if (info_len > 0) {
        params[n++] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    }
    params[n] = OSSL_PARAM_construct_end();

    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    /* EVP_KDF_CTX_free() clears the copies of the key it holds. */
    int ok = ctx != NULL && EVP_KDF_derive(ctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    if (!ok) {
        OPENSSL_cleanse(out, out_len);
        ERR_clear_error();
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}
