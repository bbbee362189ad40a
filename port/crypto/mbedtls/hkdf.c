/* HKDF-SHA256 (RFC 5869), extract then expand, on mbedTLS. */
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include "mbedtls_inner.h"

ward_err ward_mbedtls_hkdf_sha256(const uint8_t *salt, size_t salt_len,
                                  const uint8_t *ikm, size_t ikm_len,
                                  const uint8_t *info, size_t info_len,
                                  uint8_t *out, size_t out_len)
{
    static const uint8_t empty[1] = { 0 };
    WARD_ASSERT(salt != NULL || salt_len == 0);
    WARD_ASSERT(ikm != NULL || ikm_len == 0);
    WARD_ASSERT(info != NULL || info_len == 0);
    WARD_ASSERT(out != NULL || out_len == 0);

    if (out_len < 1 || out_len > WARD_HKDF_OUT_MAX) {
        return WARD_ERR_PARAM;
    }
    /* A NULL salt makes mbedTLS use HashLen zero bytes, which HMAC pads to
     * the same key as an empty salt; both follow RFC 5869. */
    int rc = mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                          salt_len > 0 ? salt : NULL, salt_len,
                          ikm_len > 0 ? ikm : empty, ikm_len,
                          info_len > 0 ? info : empty, info_len,
                          out, out_len);
    if (rc != 0) {
        mbedtls_platform_zeroize(out, out_len);
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}
