/* out = a*P + b*Q on P-256, on OpenSSL EC_POINT. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "openssl_inner.h"

/* One scalar per EC_POINT_mul(): with a single scalar OpenSSL takes its
 * constant-time path, with two it switches to variable-time wNAF, and
 * the scalars here are often secret. The products are then added. */
static ward_err muladd(const EC_GROUP *grp, EC_POINT *r,
                       const uint8_t a[WARD_P256_SCALAR_LEN],
                       const uint8_t *p, const uint8_t *b, const uint8_t *q,
                       BN_CTX *bnctx)
{
    BIGNUM *ma = BN_secure_new();
    BIGNUM *mb = BN_secure_new();
    EC_POINT *pp = EC_POINT_new(grp);
    EC_POINT *qq = EC_POINT_new(grp);
    EC_POINT *bq = EC_POINT_new(grp);
    ward_err err = WARD_ERR_CRYPTO;
    if (ma == NULL || mb == NULL || pp == NULL || qq == NULL || bq == NULL) {
        goto done;
    }
    err = ward_openssl_scalar_read(grp, ma, a, 0);
    if (err == WARD_OK && p != NULL) {
        err = ward_openssl_point_read(grp, pp, p, bnctx);
    }
    if (err == WARD_OK && q != NULL) {
        err = ward_openssl_point_read(grp, qq, q, bnctx);
    }
    if (err == WARD_OK && b != NULL) {
        err = ward_openssl_scalar_read(grp, mb, b, 1);
    }
    if (err != WARD_OK) {
        goto done;
    }
    int ok = p == NULL ? EC_POINT_mul(grp, r, ma, NULL, NULL, bnctx)
                       : EC_POINT_mul(grp, r, NULL, pp, ma, bnctx);
    /* b == 0 adds infinity: skip it, as the mbedTLS backend must. */
    if (ok == 1 && b != NULL && !BN_is_zero(mb)) {
        ok = EC_POINT_mul(grp, bq, NULL, qq, mb, bnctx) == 1 &&
             EC_POINT_add(grp, r, r, bq, bnctx) == 1;
    }
    if (ok != 1) {
        err = WARD_ERR_CRYPTO;
    } else if (EC_POINT_is_at_infinity(grp, r)) {
        err = WARD_ERR_FORMAT;
    }
done:
    /* The products are as secret as the scalars. */
    EC_POINT_clear_free(bq);
    EC_POINT_clear_free(qq);
    EC_POINT_clear_free(pp);
    BN_clear_free(mb);
    BN_clear_free(ma);
    return err;
}

ward_err ward_openssl_p256_muladd(const uint8_t a[WARD_P256_SCALAR_LEN],
                                  const uint8_t *p, const uint8_t *b,
                                  const uint8_t *q,
                                  uint8_t out[WARD_P256_POINT_LEN])
{
    WARD_ASSERT(a != NULL && out != NULL);
    WARD_ASSERT((b == NULL) == (q == NULL));

    const EC_GROUP *grp = ward_openssl_group();
    EC_POINT *r = grp != NULL ? EC_POINT_new(grp) : NULL;
    BN_CTX *bnctx = BN_CTX_secure_new();
    ward_err err = WARD_ERR_CRYPTO;
    if (r != NULL && bnctx != NULL) {
        err = muladd(grp, r, a, p, b, q, bnctx);
    }
    if (err == WARD_OK) {
        err = ward_openssl_point_write(grp, r, out, bnctx);
    }
    BN_CTX_free(bnctx);
    EC_POINT_clear_free(r);
    if (err != WARD_OK) {
        ERR_clear_error();
    }
    return err;
}
