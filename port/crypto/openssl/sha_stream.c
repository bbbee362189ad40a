/* Streaming SHA-256 on OpenSSL: its SHA256_CTX is a plain struct, kept in the caller's ward_sha256_ctx. */
/* EVP keeps its digest state on the heap behind a pointer, which a
 * context of the core may not hold (it is copied and dropped freely, e.g.
 * at a simulated power cut). SHA256_CTX is deprecated in OpenSSL 3 but
 * present in every 3.x; the one-shot entry keeps using EVP. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "openssl_inner.h"

typedef char ward_sha_ctx_fits[sizeof(SHA256_CTX) <= WARD_SHA256_CTX_SIZE ? 1 : -1];

static SHA256_CTX *state(ward_sha256_ctx *ctx)
{
    return (SHA256_CTX *)(void *)ctx->opaque.bytes;
}

ward_err ward_openssl_sha256_start(ward_sha256_ctx *ctx)
{
    WARD_ASSERT(ctx != NULL);
    memset(ctx, 0, sizeof *ctx);
    return SHA256_Init(state(ctx)) == 1 ? WARD_OK : WARD_ERR_CRYPTO;
}

ward_err ward_openssl_sha256_update(ward_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
    WARD_ASSERT(ctx != NULL && (data != NULL || len == 0));
    if (len == 0) {
        return WARD_OK;
    }
    return SHA256_Update(state(ctx), data, len) == 1 ? WARD_OK : WARD_ERR_CRYPTO;
}

ward_err ward_openssl_sha256_finish(ward_sha256_ctx *ctx, uint8_t out[WARD_SHA256_LEN])
{
    WARD_ASSERT(ctx != NULL && out != NULL);
    int ok = SHA256_Final(out, state(ctx));
    OPENSSL_cleanse(ctx, sizeof *ctx);
    return ok == 1 ? WARD_OK : WARD_ERR_CRYPTO;
}
