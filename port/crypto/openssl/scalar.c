/* Scalar arithmetic modulo the P-256 group order n, on OpenSSL BN. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "openssl_inner.h"

ward_err ward_openssl_p256_scalar_reduce(const uint8_t *in, size_t in_len,
                                         uint8_t out[WARD_P256_SCALAR_LEN])
{
    WARD_ASSERT(in != NULL && out != NULL);
    if (in_len < 1 || in_len > 2 * WARD_P256_SCALAR_LEN) {
        return WARD_ERR_PARAM;
    }

    const EC_GROUP *grp = ward_openssl_group();
    BN_CTX *bnctx = BN_CTX_secure_new();
    /* The input is often key material: secure, cleared bignums. */
    BIGNUM *x = BN_secure_new();
    BIGNUM *r = BN_secure_new();
    int ok = grp != NULL && bnctx != NULL && x != NULL && r != NULL &&
             BN_bin2bn(in, (int)in_len, x) != NULL;
    if (ok) {
        BN_set_flags(x, BN_FLG_CONSTTIME);
        ok = BN_nnmod(r, x, EC_GROUP_get0_order(grp), bnctx) == 1 &&
             BN_bn2binpad(r, out, WARD_P256_SCALAR_LEN) == WARD_P256_SCALAR_LEN;
    }
    BN_clear_free(r);
    BN_clear_free(x);
    BN_CTX_free(bnctx);
    if (!ok) {
        ERR_clear_error();
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}

ward_err ward_openssl_p256_scalar_neg(const uint8_t in[WARD_P256_SCALAR_LEN],
                                      uint8_t out[WARD_P256_SCALAR_LEN])
{
    WARD_ASSERT(in != NULL && out != NULL);

    const EC_GROUP *grp = ward_openssl_group();
    BN_CTX *bnctx = BN_CTX_secure_new();
    BIGNUM *x = BN_secure_new();
    BIGNUM *r = BN_secure_new();
    ward_err err = WARD_ERR_CRYPTO;
    if (grp != NULL && bnctx != NULL && x != NULL && r != NULL) {
        err = ward_openssl_scalar_read(grp, x, in, 1);
    }
    /* (n - x) mod n: the reduction maps n - 0 back to 0. */
    if (err == WARD_OK) {
        const BIGNUM *n = EC_GROUP_get0_order(grp);
        if (BN_sub(r, n, x) != 1 || BN_nnmod(r, r, n, bnctx) != 1 ||
            BN_bn2binpad(r, out, WARD_P256_SCALAR_LEN) != WARD_P256_SCALAR_LEN) {
            err = WARD_ERR_CRYPTO;
        }
    }
    BN_clear_free(r);
    BN_clear_free(x);
    BN_CTX_free(bnctx);
    if (err != WARD_OK) {
        ERR_clear_error();
    }
    return err;
}
