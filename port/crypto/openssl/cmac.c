/* AES-128-CMAC (RFC 4493) over iov lists, on OpenSSL EVP_MAC. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "openssl_inner.h"

ward_err ward_openssl_aes128_cmac(const uint8_t key[WARD_AES128_KEY_LEN],
                                  const ward_iov *parts, size_t nparts,
                                  uint8_t out[WARD_CMAC_LEN])
{
    WARD_ASSERT(key != NULL && out != NULL);
    WARD_ASSERT(parts != NULL || nparts == 0);

    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
                                                 (char *)"AES-128-CBC", 0);
    params[1] = OSSL_PARAM_construct_end();

    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    /* EVP_MAC_CTX_free() clears the key schedule and the subkeys. */
    int ok = ctx != NULL &&
             EVP_MAC_init(ctx, key, WARD_AES128_KEY_LEN, params) == 1;
    for (size_t i = 0; ok && i < nparts; i++) {
        WARD_ASSERT(parts[i].ptr != NULL || parts[i].len == 0);
        if (parts[i].len > 0) {
            ok = EVP_MAC_update(ctx, parts[i].ptr, parts[i].len) == 1;
        }
    }
    size_t len = 0;
    ok = ok && EVP_MAC_final(ctx, out, &len, WARD_CMAC_LEN) == 1 &&
         len == WARD_CMAC_LEN;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok) {
        OPENSSL_cleanse(out, WARD_CMAC_LEN);
        ERR_clear_error();
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}
