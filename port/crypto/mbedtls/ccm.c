/* AES-128-CCM seal and open (NIST SP 800-38C), on mbedTLS. */
#include <mbedtls/ccm.h>
#include <mbedtls/platform_util.h>

#include "../ccm_check.h"
#include "mbedtls_inner.h"

ward_err ward_mbedtls_ccm_seal(const uint8_t key[WARD_AES128_KEY_LEN],
                               const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *ad, size_t ad_len,
                               const uint8_t *pt, size_t pt_len,
                               uint8_t *ct, uint8_t *tag, size_t tag_len)
{
    WARD_ASSERT(key != NULL && nonce != NULL && tag != NULL);
    WARD_ASSERT(ad != NULL || ad_len == 0);
    WARD_ASSERT((pt != NULL && ct != NULL) || pt_len == 0);

    ward_err err = ward_port_ccm_check(nonce_len, ad_len, pt_len, tag_len);
    if (err != WARD_OK) {
        return err;
    }
    mbedtls_ccm_context ctx;
    mbedtls_ccm_init(&ctx);
    int rc = mbedtls_ccm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, key, 128);
    if (rc == 0) {
        /* In place is safe: each block is read before it is written. */
        rc = mbedtls_ccm_encrypt_and_tag(&ctx, pt_len, nonce, nonce_len,
                                         ad, ad_len, pt, ct, tag, tag_len);
    }
    mbedtls_ccm_free(&ctx);
    if (rc != 0) {
        if (pt_len > 0 && ct != pt) {
            mbedtls_platform_zeroize(ct, pt_len);
        }
        mbedtls_platform_zeroize(tag, tag_len);
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}

ward_err ward_mbedtls_ccm_open(const uint8_t key[WARD_AES128_KEY_LEN],
                               const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *ad, size_t ad_len,
                               const uint8_t *ct, size_t ct_len,
                               const uint8_t *tag, size_t tag_len,
                               uint8_t *pt)
{
    WARD_ASSERT(key != NULL && nonce != NULL && tag != NULL);
    WARD_ASSERT(ad != NULL || ad_len == 0);
    WARD_ASSERT((ct != NULL && pt != NULL) || ct_len == 0);

    ward_err err = ward_port_ccm_check(nonce_len, ad_len, ct_len, tag_len);
    if (err != WARD_OK) {
        if (ct_len > 0) {
            mbedtls_platform_zeroize(pt, ct_len);
        }
        return err;
    }
    mbedtls_ccm_context ctx;
    mbedtls_ccm_init(&ctx);
    int rc = mbedtls_ccm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, key, 128);
    if (rc == 0) {
        /* mbedTLS compares the tag in constant time and zeroises its output
         * on a mismatch; we zeroise again below so every failure path
         * leaves pt zeroed whatever the library version does. */
        rc = mbedtls_ccm_auth_decrypt(&ctx, ct_len, nonce, nonce_len, ad,
                                      ad_len, ct, pt, tag, tag_len);
    }
    mbedtls_ccm_free(&ctx);
    if (rc != 0) {
        if (ct_len > 0) {
            mbedtls_platform_zeroize(pt, ct_len);
        }
        return rc == MBEDTLS_ERR_CCM_AUTH_FAILED ? WARD_ERR_AUTH
                                                 : WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}
