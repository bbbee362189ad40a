/* AES-128-CCM seal and open (NIST SP 800-38C), on OpenSSL EVP_CIPHER. */
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "../ccm_check.h"
#include "openssl_inner.h"

/* The shared checks, and EVP's int lengths. */
static ward_err ccm_check(size_t nonce_len, size_t ad_len, size_t msg_len,
                          size_t tag_len)
{
    ward_err err = ward_port_ccm_check(nonce_len, ad_len, msg_len, tag_len);
    return err == WARD_OK && msg_len > (size_t)INT_MAX ? WARD_ERR_PARAM : err;
}

/* Sets cipher, nonce length, tag (given: to check; NULL: its length for
 * sealing), key and nonce, then the message length and the associated
 * data, which CCM needs before any message byte. */
static int ccm_start(EVP_CIPHER_CTX *ctx, int enc,
                     const uint8_t key[WARD_AES128_KEY_LEN],
                     const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *ad, size_t ad_len, size_t msg_len,
                     const uint8_t *tag, size_t tag_len)
{
    int outl = 0;
    if (EVP_CipherInit_ex(ctx, EVP_aes_128_ccm(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)nonce_len,
                            NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)tag_len,
                            (void *)tag) != 1 ||
        EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
        EVP_CipherUpdate(ctx, NULL, &outl, NULL, (int)msg_len) != 1) {
        return 0;
    }
    if (ad_len > 0 &&
        EVP_CipherUpdate(ctx, NULL, &outl, ad, (int)ad_len) != 1) {
        return 0;
    }
    return 1;
}

ward_err ward_openssl_ccm_seal(const uint8_t key[WARD_AES128_KEY_LEN],
                               const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *ad, size_t ad_len,
                               const uint8_t *pt, size_t pt_len,
                               uint8_t *ct, uint8_t *tag, size_t tag_len)
{
    WARD_ASSERT(key != NULL && nonce != NULL && tag != NULL);
    WARD_ASSERT(ad != NULL || ad_len == 0);
    WARD_ASSERT((pt != NULL && ct != NULL) || pt_len == 0);

    ward_err err = ccm_check(nonce_len, ad_len, pt_len, tag_len);
    if (err != WARD_OK) {
        return err;
    }
    /* An empty message still needs real pointers: EVP reads (NULL in,
     * non-NULL out) as "finish", which would skip computing the tag. */
    uint8_t dummy[1] = { 0 };
    const uint8_t *in = pt_len > 0 ? pt : dummy;
    uint8_t *out = pt_len > 0 ? ct : dummy;

    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0;
    /* In place is safe: EVP refuses only partial overlap. */
    int ok = ctx != NULL &&
             ccm_start(ctx, 1, key, nonce, nonce_len, ad, ad_len, pt_len,
                       NULL, tag_len) &&
             EVP_EncryptUpdate(ctx, out, &outl, in, (int)pt_len) == 1 &&
             EVP_EncryptFinal_ex(ctx, dummy, &outl) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)tag_len,
                                 tag) == 1;
    /* Frees the key schedule, cleared. */
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        if (pt_len > 0 && ct != pt) {
            OPENSSL_cleanse(ct, pt_len);
        }
        OPENSSL_cleanse(tag, tag_len);
        ERR_clear_error();
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}

ward_err ward_openssl_ccm_open(const uint8_t key[WARD_AES128_KEY_LEN],
                               const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *ad, size_t ad_len,
                               const uint8_t *ct, size_t ct_len,
                               const uint8_t *tag, size_t tag_len,
                               uint8_t *pt)
{
    WARD_ASSERT(key != NULL && nonce != NULL && tag != NULL);
    WARD_ASSERT(ad != NULL || ad_len == 0);
    WARD_ASSERT((ct != NULL && pt != NULL) || ct_len == 0);

    ward_err err = ccm_check(nonce_len, ad_len, ct_len, tag_len);
    if (err != WARD_OK) {
        if (ct_len > 0) {
            OPENSSL_cleanse(pt, ct_len);
        }
        return err;
    }
    uint8_t dummy[1] = { 0 };
    const uint8_t *in = ct_len > 0 ? ct : dummy;
    uint8_t *out = ct_len > 0 ? pt : dummy;

    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0;
    if (ctx == NULL ||
        !ccm_start(ctx, 0, key, nonce, nonce_len, ad, ad_len, ct_len, tag,
                   tag_len)) {
        err = WARD_ERR_CRYPTO;
    } else if (EVP_DecryptUpdate(ctx, out, &outl, in, (int)ct_len) != 1) {
        /* CCM decrypts and checks the tag in this one call; OpenSSL
         * compares in constant time and clears its output on a mismatch. */
        err = WARD_ERR_AUTH;
    }
    EVP_CIPHER_CTX_free(ctx);
    if (err != WARD_OK) {
        if (ct_len > 0) {
            OPENSSL_cleanse(pt, ct_len);
        }
        ERR_clear_error();
    }
    return err;
}
