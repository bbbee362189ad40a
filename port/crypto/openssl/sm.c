/* HMAC-SM3 and SM4-CMAC over iov lists, on OpenSSL EVP_MAC, when the library has them. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "openssl_inner.h"

/*
 * One keyed MAC over parts. `param` names the digest or the cipher; the
 * build may lack SM3 or SM4 (OPENSSL_NO_SM3, a FIPS-only provider set),
 * so a failure to fetch or to key the MAC with that algorithm is
 * WARD_ERR_UNSUPPORTED, not a crypto fault: the caller can say "not on
 * this backend" instead of "broken".
 */
static ward_err sm_mac(const char *mac_name, const char *param_name,
                       const char *alg, const uint8_t *key, size_t key_len,
                       const ward_iov *parts, size_t nparts, uint8_t *out,
                       size_t out_len)
{
    static const uint8_t empty[1] = { 0 };
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(param_name, (char *)alg, 0);
    params[1] = OSSL_PARAM_construct_end();

    EVP_MAC *mac = EVP_MAC_fetch(NULL, mac_name, NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    /* EVP_MAC_CTX_free() clears the keyed state. A NULL key would mean
     * "keep the previous key", so the empty key gets a real pointer. */
    int keyed = ctx != NULL &&
                EVP_MAC_init(ctx, key_len > 0 ? key : empty, key_len,
                             params) == 1;
    int ok = keyed;
    for (size_t i = 0; ok && i < nparts; i++) {
        WARD_ASSERT(parts[i].ptr != NULL || parts[i].len == 0);
        if (parts[i].len > 0) {
            ok = EVP_MAC_update(ctx, parts[i].ptr, parts[i].len) == 1;
        }
    }
    size_t len = 0;
    ok = ok && EVP_MAC_final(ctx, out, &len, out_len) == 1 && len == out_len;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok) {
        OPENSSL_cleanse(out, out_len);
        ERR_clear_error();
        return keyed ? WARD_ERR_CRYPTO : WARD_ERR_UNSUPPORTED;
    }
    return WARD_OK;
}

ward_err ward_openssl_hmac_sm3(const uint8_t *key, size_t key_len,
                               const ward_iov *parts, size_t nparts,
                               uint8_t out[WARD_SM3_LEN])
{
    WARD_ASSERT(key != NULL || key_len == 0);
    WARD_ASSERT(parts != NULL || nparts == 0);
    WARD_ASSERT(out != NULL);
    return sm_mac("HMAC", OSSL_MAC_PARAM_DIGEST, "SM3", key, key_len, parts,
                  nparts, out, WARD_SM3_LEN);
}

ward_err ward_openssl_sm4_cmac(const uint8_t key[WARD_SM4_KEY_LEN],
                               const ward_iov *parts, size_t nparts,
                               uint8_t out[WARD_CMAC_LEN])
{
    WARD_ASSERT(key != NULL && out != NULL);
    WARD_ASSERT(parts != NULL || nparts == 0);
    return sm_mac("CMAC", OSSL_MAC_PARAM_CIPHER, "SM4-CBC", key,
                  WARD_SM4_KEY_LEN, parts, nparts, out, WARD_CMAC_LEN);
}
