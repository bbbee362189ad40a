/* P-256 helpers of the OpenSSL backend: the group, point and scalar
 * decoding with their checks, and the point-check entry. */
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "openssl_inner.h"

/* Building the group (a Montgomery context, an inversion, the generator's
 * checks) took a third of a verification that built it three times, so it
 * is built once. EC_POINT and BN calls take it const and never write it,
 * so every thread may share it. Never freed: the static pointer keeps it
 * reachable until exit. */
static CRYPTO_ONCE ward_group_once = CRYPTO_ONCE_STATIC_INIT;
static EC_GROUP *ward_group;

static void group_init(void)
{
    ward_group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    /* A failure here is for the caller to report, not for the queue of
     * whichever entry happened to come first. */
    ERR_clear_error();
}

const EC_GROUP *ward_openssl_group(void)
{
    /* A group that failed to build (out of memory at start-up) stays NULL:
     * every entry then answers WARD_ERR_CRYPTO. */
    if (CRYPTO_THREAD_run_once(&ward_group_once, group_init) != 1) {
        return NULL;
    }
    return ward_group;
}

ward_err ward_openssl_point_read(const EC_GROUP *grp, EC_POINT *pt,
                                 const uint8_t in[WARD_P256_POINT_LEN],
                                 BN_CTX *bnctx)
{
    /* Only the uncompressed form: oct2point would also take the hybrid
     * forms (0x06, 0x07) at this length. */
    if (in[0] != 0x04) {
        return WARD_ERR_FORMAT;
    }
    /* oct2point checks the coordinates are below p and on the curve; the
     * explicit checks keep that true whatever the method. */
    if (EC_POINT_oct2point(grp, pt, in, WARD_P256_POINT_LEN, bnctx) != 1 ||
        EC_POINT_is_on_curve(grp, pt, bnctx) != 1 ||
        EC_POINT_is_at_infinity(grp, pt)) {
        ERR_clear_error();
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err ward_openssl_point_write(const EC_GROUP *grp, const EC_POINT *pt,
                                  uint8_t out[WARD_P256_POINT_LEN],
                                  BN_CTX *bnctx)
{
    if (EC_POINT_is_at_infinity(grp, pt)) {
        return WARD_ERR_FORMAT;
    }
    if (EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, out,
                           WARD_P256_POINT_LEN, bnctx) != WARD_P256_POINT_LEN) {
        ERR_clear_error();
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}

ward_err ward_openssl_scalar_read(const EC_GROUP *grp, BIGNUM *x,
                                  const uint8_t in[WARD_P256_SCALAR_LEN],
                                  int zero_ok)
{
    if (BN_bin2bn(in, WARD_P256_SCALAR_LEN, x) == NULL) {
        ERR_clear_error();
        return WARD_ERR_CRYPTO;
    }
    /* The scalar is often secret: keep later operations on it in
     * OpenSSL's constant-time paths. */
    BN_set_flags(x, BN_FLG_CONSTTIME);
    if (BN_cmp(x, EC_GROUP_get0_order(grp)) >= 0) {
        return WARD_ERR_FORMAT;
    }
    if (!zero_ok && BN_is_zero(x)) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err ward_openssl_p256_point_check(const uint8_t p[WARD_P256_POINT_LEN])
{
    WARD_ASSERT(p != NULL);

    const EC_GROUP *grp = ward_openssl_group();
    EC_POINT *pt = grp != NULL ? EC_POINT_new(grp) : NULL;
    BN_CTX *bnctx = BN_CTX_new();
    ward_err err = WARD_ERR_CRYPTO;
    if (pt != NULL && bnctx != NULL) {
        err = ward_openssl_point_read(grp, pt, p, bnctx);
    }
    BN_CTX_free(bnctx);
    EC_POINT_free(pt);
    if (err == WARD_ERR_CRYPTO) {
        ERR_clear_error();
    }
    return err;
}
