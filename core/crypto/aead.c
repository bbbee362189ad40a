/* ward_aead_seal() / ward_aead_open(): AES-128-CCM, 13-byte nonce, 16-byte tag. */
#include <stdint.h>

#include "ward/ward_suite.h"
#include "ward_inner.h"

ward_err ward_aead_seal(const ward_crypto *cp,
                        const uint8_t key[WARD_AEAD_KEY_LEN],
                        const uint8_t nonce[WARD_AEAD_NONCE_LEN],
                        const uint8_t *ad, size_t ad_len,
                        const uint8_t *pt, size_t pt_len,
                        uint8_t *out, size_t cap, size_t *out_len)
{
    ward_err err;

    WARD_ASSERT(cp != NULL && key != NULL && nonce != NULL);
    WARD_ASSERT(out != NULL && out_len != NULL);
    WARD_ASSERT(ad != NULL || ad_len == 0);
    WARD_ASSERT(pt != NULL || pt_len == 0);

    *out_len = 0;
    if (pt_len > SIZE_MAX - WARD_AEAD_TAG_LEN ||
        cap < pt_len + WARD_AEAD_TAG_LEN) {
        return WARD_ERR_NOSPACE;
    }
    /* The tag goes after the ciphertext, so out == pt (in place) works:
     * the port encrypts over pt and the tag lands past its end. */
    err = cp->ccm_seal(key, nonce, WARD_AEAD_NONCE_LEN, ad, ad_len, pt, pt_len,
                       out, out + pt_len, WARD_AEAD_TAG_LEN);
    if (err != WARD_OK) {
        return err;
    }
    *out_len = pt_len + WARD_AEAD_TAG_LEN;
    return WARD_OK;
}

ward_err ward_aead_open(const ward_crypto *cp,
                        const uint8_t key[WARD_AEAD_KEY_LEN],
                        const uint8_t nonce[WARD_AEAD_NONCE_LEN],
                        const uint8_t *ad, size_t ad_len,
                        const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t cap, size_t *out_len)
{
    size_t ct_len;
    ward_err err;

    WARD_ASSERT(cp != NULL && key != NULL && nonce != NULL);
    WARD_ASSERT(in != NULL && out != NULL && out_len != NULL);
    WARD_ASSERT(ad != NULL || ad_len == 0);

    *out_len = 0;
    /* Too short to hold a tag is a malformed message, not a forgery. */
    if (in_len < WARD_AEAD_TAG_LEN) {
        return WARD_ERR_FORMAT;
    }
    ct_len = in_len - WARD_AEAD_TAG_LEN;
    if (cap < ct_len) {
        return WARD_ERR_NOSPACE;
    }
    err = cp->ccm_open(key, nonce, WARD_AEAD_NONCE_LEN, ad, ad_len, in, ct_len,
                       in + ct_len, WARD_AEAD_TAG_LEN, out);
    if (err != WARD_OK) {
        /* The port zeroes on WARD_ERR_AUTH; a backend fault halfway may
         * not have, and no byte of an unverified message may leave. */
        ward_wipe(out, ct_len);
        return err;
    }
    *out_len = ct_len;
    return WARD_OK;
}
