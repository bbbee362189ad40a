/* SHA-256 and HMAC-SHA256 over iov lists, on OpenSSL EVP. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "openssl_inner.h"

ward_err ward_openssl_sha256(const ward_iov *parts, size_t nparts,
                             uint8_t out[WARD_SHA256_LEN])
{
    WARD_ASSERT(parts != NULL || nparts == 0);
    WARD_ASSERT(out != NULL);

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    for (size_t i = 0; ok && i < nparts; i++) {
        WARD_ASSERT(parts[i].ptr != NULL || parts[i].len == 0);
        if (parts[i].len > 0) {
            ok = EVP_DigestUpdate(ctx, parts[i].ptr, parts[i].len) == 1;
        }
    }
    unsigned int len = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1 &&
         len == WARD_SHA256_LEN;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        ERR_clear_error();
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}

ward_err ward_openssl_hmac_sha256(const uint8_t *key, size_t key_len,
                                  const ward_iov *parts, size_t nparts,
                                  uint8_t out[WARD_SHA256_LEN])
{
    static const uint8_t empty[1] = { 0 };
    WARD_ASSERT(key != NULL || key_len == 0);
    WARD_ASSERT(parts != NULL || nparts == 0);
    WARD_ASSERT(out != NULL);

    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    /* A NULL key would mean "keep the previous key": pass a real pointer
     * for the empty key. EVP_MAC_CTX_free() clears the keyed state. */
    int ok = ctx != NULL &&
             EVP_MAC_init(ctx, key_len > 0 ? key : empty, key_len,
                          params) == 1;
    for (size_t i = 0; ok && i < nparts; i++) {
        WARD_ASSERT(parts[i].ptr != NULL || parts[i].len == 0);
        if (parts[i].len > 0) {
            ok = EVP_MAC_update(ctx, parts[i].ptr, parts[i].len) == 1;
        }
    }
    size_t len = 0;
    ok = ok && EVP_MAC_final(ctx, out, &len, WARD_SHA256_LEN) == 1 &&
         len == WARD_SHA256_LEN;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok) {
        OPENSSL_cleanse(out, WARD_SHA256_LEN);
        ERR_clear_error();
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}
