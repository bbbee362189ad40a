/*
 * ccm_check.h - the AES-CCM argument checks both crypto backends make, so
 * that they refuse exactly the same calls. Included by crypto/mbedtls/ccm.c
 * and crypto/openssl/ccm.c.
 */
#ifndef WARD_PORT_CCM_CHECK_H
#define WARD_PORT_CCM_CHECK_H

#include <stddef.h>

#include "ward/ward_crypto.h"

/* mbedTLS 2.x encodes CCM associated data only in its short form (under
 * 0xFF00 bytes); the OpenSSL backend keeps the same bound. */
#define WARD_PORT_CCM_AD_MAX 0xFEFFu

/* Nonce and tag lengths ward_crypto.h allows, associated data under the
 * bound above, and a message short enough for the length field a nonce
 * of this size leaves (15 - nonce_len bytes). WARD_ERR_PARAM otherwise. */
static inline ward_err ward_port_ccm_check(size_t nonce_len, size_t ad_len,
                                           size_t msg_len, size_t tag_len)
{
    if (nonce_len < WARD_CCM_NONCE_MIN || nonce_len > WARD_CCM_NONCE_MAX) {
        return WARD_ERR_PARAM;
    }
    if (tag_len < WARD_CCM_TAG_MIN || tag_len > WARD_CCM_TAG_MAX ||
        tag_len % 2 != 0) {
        return WARD_ERR_PARAM;
    }
    if (ad_len > WARD_PORT_CCM_AD_MAX) {
        return WARD_ERR_PARAM;
    }
    size_t q = 15 - nonce_len;
    if (q < sizeof(size_t) && (msg_len >> (8 * q)) != 0) {
        return WARD_ERR_PARAM;
    }
    return WARD_OK;
}

#endif /* WARD_PORT_CCM_CHECK_H */
