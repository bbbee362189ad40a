/* out = a*P + b*Q on P-256, on mbedTLS. */
#include <mbedtls/ecp.h>

#include "mbedtls_inner.h"

/* mbedtls_ecp_muladd() is documented as not constant-time, and the scalars
 * here are often secret (SPAKE2+ masks, private keys). So each product is
 * a blinded, constant-flow mbedtls_ecp_mul(); muladd() then only adds the
 * two products, with unit scalars. */
static ward_err muladd(mbedtls_ecp_group *grp, mbedtls_ecp_point *r,
                       const uint8_t a[WARD_P256_SCALAR_LEN],
                       const uint8_t *p, const uint8_t *b, const uint8_t *q)
{
    mbedtls_mpi ma, mb, one;
    mbedtls_ecp_point pp, qq, ap, bq;
    mbedtls_mpi_init(&ma);
    mbedtls_mpi_init(&mb);
    mbedtls_mpi_init(&one);
    mbedtls_ecp_point_init(&pp);
    mbedtls_ecp_point_init(&qq);
    mbedtls_ecp_point_init(&ap);
    mbedtls_ecp_point_init(&bq);

    ward_err err = ward_mbedtls_scalar_read(grp, &ma, a, 0);
    if (err == WARD_OK && p != NULL) {
        err = ward_mbedtls_point_read(grp, &pp, p);
    }
    if (err == WARD_OK && q != NULL) {
        err = ward_mbedtls_point_read(grp, &qq, q);
    }
    if (err == WARD_OK && b != NULL) {
        err = ward_mbedtls_scalar_read(grp, &mb, b, 1);
    }
    if (err == WARD_OK &&
        mbedtls_ecp_mul(grp, &ap, &ma, p != NULL ? &pp : &grp->G,
                        ward_mbedtls_drbg, NULL) != 0) {
        err = WARD_ERR_CRYPTO;
    }
    if (err == WARD_OK) {
        /* b == 0 adds infinity; mbedtls_ecp_mul() refuses a zero scalar. */
        if (b == NULL || mbedtls_mpi_cmp_int(&mb, 0) == 0) {
            if (mbedtls_ecp_copy(r, &ap) != 0) {
                err = WARD_ERR_CRYPTO;
            }
        } else if (mbedtls_ecp_mul(grp, &bq, &mb, &qq, ward_mbedtls_drbg,
                                   NULL) != 0 ||
                   mbedtls_mpi_lset(&one, 1) != 0 ||
                   mbedtls_ecp_muladd(grp, r, &one, &ap, &one, &bq) != 0) {
            err = WARD_ERR_CRYPTO;
        }
    }
    if (err == WARD_OK && mbedtls_ecp_is_zero(r)) {
        err = WARD_ERR_FORMAT;
    }

    /* mbedtls_mpi_free() zeroises the limbs; the products are as secret as
     * the scalars. */
    mbedtls_ecp_point_free(&bq);
    mbedtls_ecp_point_free(&ap);
    mbedtls_ecp_point_free(&qq);
    mbedtls_ecp_point_free(&pp);
    mbedtls_mpi_free(&one);
    mbedtls_mpi_free(&mb);
    mbedtls_mpi_free(&ma);
    return err;
}

ward_err ward_mbedtls_p256_muladd(const uint8_t a[WARD_P256_SCALAR_LEN],
                                  const uint8_t *p, const uint8_t *b,
                                  const uint8_t *q,
                                  uint8_t out[WARD_P256_POINT_LEN])
{
    WARD_ASSERT(a != NULL && out != NULL);
    WARD_ASSERT((b == NULL) == (q == NULL));

    mbedtls_ecp_group grp;
    mbedtls_ecp_point r;
    mbedtls_ecp_point_init(&r);
    ward_err err = ward_mbedtls_group(&grp);
    if (err == WARD_OK) {
        err = muladd(&grp, &r, a, p, b, q);
    }
    size_t olen = 0;
    if (err == WARD_OK &&
        (mbedtls_ecp_point_write_binary(&grp, &r, MBEDTLS_ECP_PF_UNCOMPRESSED,
                                        &olen, out, WARD_P256_POINT_LEN) != 0 ||
         olen != WARD_P256_POINT_LEN)) {
        err = WARD_ERR_CRYPTO;
    }
    mbedtls_ecp_point_free(&r);
    return err;
}
