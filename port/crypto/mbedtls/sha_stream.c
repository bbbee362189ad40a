/* Streaming SHA-256 on mbedTLS: its context is a plain struct, kept in the caller's ward_sha256_ctx. */
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "mbedtls_inner.h"

/* The caller's opaque bytes must hold mbedTLS's context. */
typedef char ward_sha_ctx_fits[sizeof(mbedtls_sha256_context) <= WARD_SHA256_CTX_SIZE ? 1 : -1];

static mbedtls_sha256_context *state(ward_sha256_ctx *ctx)
{
    return (mbedtls_sha256_context *)(void *)ctx->opaque.bytes;
}

ward_err ward_mbedtls_sha256_start(ward_sha256_ctx *ctx)
{
    WARD_ASSERT(ctx != NULL);
    memset(ctx, 0, sizeof *ctx);
    mbedtls_sha256_init(state(ctx));
    return mbedtls_sha256_starts_ret(state(ctx), 0) == 0 ? WARD_OK : WARD_ERR_CRYPTO;
}

ward_err ward_mbedtls_sha256_update(ward_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
    WARD_ASSERT(ctx != NULL && (data != NULL || len == 0));
    if (len == 0) {
        return WARD_OK;
    }
    return mbedtls_sha256_update_ret(state(ctx), data, len) == 0 ? WARD_OK : WARD_ERR_CRYPTO;
}

ward_err ward_mbedtls_sha256_finish(ward_sha256_ctx *ctx, uint8_t out[WARD_SHA256_LEN])
{
    WARD_ASSERT(ctx != NULL && out != NULL);
    int rc = mbedtls_sha256_finish_ret(state(ctx), out);
    mbedtls_sha256_free(state(ctx));
    mbedtls_platform_zeroize(ctx, sizeof *ctx);
    return rc == 0 ? WARD_OK : WARD_ERR_CRYPTO;
}
