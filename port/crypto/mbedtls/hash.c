/* SHA-256 and HMAC-SHA256 over iov lists, on mbedTLS. */
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "mbedtls_inner.h"

ward_err ward_mbedtls_sha256(const ward_iov *parts, size_t nparts,
                             uint8_t out[WARD_SHA256_LEN])
{
    WARD_ASSERT(parts != NULL || nparts == 0);
    WARD_ASSERT(out != NULL);

    mbedtls_sha256_context ctx;
    mbedtls_sha256_init(&ctx);
    int rc = mbedtls_sha256_starts_ret(&ctx, 0);
    for (size_t i = 0; rc == 0 && i < nparts; i++) {
        WARD_ASSERT(parts[i].ptr != NULL || parts[i].len == 0);
        /* Empty parts are skipped: mbedTLS may reject a NULL pointer even
         * with a zero length. */
        if (parts[i].len > 0) {
            rc = mbedtls_sha256_update_ret(&ctx, parts[i].ptr, parts[i].len);
        }
    }
    if (rc == 0) {
        rc = mbedtls_sha256_finish_ret(&ctx, out);
    }
    mbedtls_sha256_free(&ctx);
    return rc == 0 ? WARD_OK : WARD_ERR_CRYPTO;
}

ward_err ward_mbedtls_hmac_sha256(const uint8_t *key, size_t key_len,
                                  const ward_iov *parts, size_t nparts,
                                  uint8_t out[WARD_SHA256_LEN])
{
    static const uint8_t empty[1] = { 0 };
    WARD_ASSERT(key != NULL || key_len == 0);
    WARD_ASSERT(parts != NULL || nparts == 0);
    WARD_ASSERT(out != NULL);

    mbedtls_md_context_t ctx;
    mbedtls_md_init(&ctx);
    /* mbedtls_md_free() zeroises the padded key blocks it allocated. */
    int rc = mbedtls_md_setup(&ctx, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                              1);
    if (rc == 0) {
        rc = mbedtls_md_hmac_starts(&ctx, key_len > 0 ? key : empty, key_len);
    }
    for (size_t i = 0; rc == 0 && i < nparts; i++) {
        WARD_ASSERT(parts[i].ptr != NULL || parts[i].len == 0);
        if (parts[i].len > 0) {
            rc = mbedtls_md_hmac_update(&ctx, parts[i].ptr, parts[i].len);
        }
    }
    if (rc == 0) {
        rc = mbedtls_md_hmac_finish(&ctx, out);
    }
    mbedtls_md_free(&ctx);
    return rc == 0 ? WARD_OK : WARD_ERR_CRYPTO;
}
