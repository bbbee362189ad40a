/* The OpenSSL backend's P-256 point decompression (SEC1 compressed form to uncompressed). */
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>

#include "openssl_inner.h"

ward_err ward_openssl_p256_decompress(const uint8_t in[WARD_P256_COMPRESSED_LEN],
                                      uint8_t out[WARD_P256_POINT_LEN])
{
    WARD_ASSERT(in != NULL && out != NULL);
    /* Only 0x02/0x03: at 33 bytes oct2point would take nothing else, but
     * say so here rather than rely on it. */
    if (in[0] != 0x02 && in[0] != 0x03) {
        return WARD_ERR_FORMAT;
    }
    const EC_GROUP *grp = ward_openssl_group();
    EC_POINT *pt = grp != NULL ? EC_POINT_new(grp) : NULL;
    BN_CTX *bnctx = BN_CTX_new();
    ward_err err = WARD_ERR_CRYPTO;
    if (pt != NULL && bnctx != NULL) {
        /* oct2point rejects x >= p and an x with no square root. */
        err = EC_POINT_oct2point(grp, pt, in, WARD_P256_COMPRESSED_LEN,
                                 bnctx) == 1
                  ? WARD_OK
                  : WARD_ERR_FORMAT;
    }
    if (err == WARD_OK && (EC_POINT_is_on_curve(grp, pt, bnctx) != 1 ||
                           EC_POINT_is_at_infinity(grp, pt))) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = ward_openssl_point_write(grp, pt, out, bnctx);
    }
    if (err != WARD_OK) {
        memset(out, 0, WARD_P256_POINT_LEN);
    }
    BN_CTX_free(bnctx);
    EC_POINT_free(pt);
    ERR_clear_error();
    return err;
}
