/* AES-128-CMAC (RFC 4493) over iov lists, on mbedTLS. */
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>

#include "mbedtls_inner.h"

ward_err ward_mbedtls_aes128_cmac(const uint8_t key[WARD_AES128_KEY_LEN],
                                  const ward_iov *parts, size_t nparts,
                                  uint8_t out[WARD_CMAC_LEN])
{
    WARD_ASSERT(key != NULL && out != NULL);
    WARD_ASSERT(parts != NULL || nparts == 0);

    mbedtls_cipher_context_t ctx;
    mbedtls_cipher_init(&ctx);
    /* mbedtls_cipher_free() zeroises the CMAC state and the key schedule. */
    int rc = mbedtls_cipher_setup(
        &ctx, mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB));
    if (rc == 0) {
        rc = mbedtls_cipher_cmac_starts(&ctx, key, 128);
    }
    for (size_t i = 0; rc == 0 && i < nparts; i++) {
        WARD_ASSERT(parts[i].ptr != NULL || parts[i].len == 0);
        /* mbedTLS rejects a NULL input even when empty: skip empty parts. */
        if (parts[i].len > 0) {
            rc = mbedtls_cipher_cmac_update(&ctx, parts[i].ptr, parts[i].len);
        }
    }
    if (rc == 0) {
        rc = mbedtls_cipher_cmac_finish(&ctx, out);
    }
    mbedtls_cipher_free(&ctx);
    return rc == 0 ? WARD_OK : WARD_ERR_CRYPTO;
}
