/* The mbedTLS backend's P-256 point decompression (SEC1 compressed form to uncompressed). */
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>

#include "mbedtls_inner.h"

/* mbedTLS 2.28 reads compressed points only for Montgomery curves, so y
 * is computed here: y = rhs^((p+1)/4) mod p with rhs = x^3 - 3x + b,
 * which is a square root because P-256's p is 3 mod 4; squaring it back
 * tells whether rhs had a root at all. */
static int solve_y(const mbedtls_ecp_group *grp, const mbedtls_mpi *x,
                   mbedtls_mpi *y, int *square)
{
    mbedtls_mpi rhs, t, e;
    int rc = 0;
    mbedtls_mpi_init(&rhs);
    mbedtls_mpi_init(&t);
    mbedtls_mpi_init(&e);
#define RC(call)                                                             \
    do {                                                                     \
        if ((rc = (call)) != 0) {                                            \
            goto done;                                                       \
        }                                                                    \
    } while (0)
    RC(mbedtls_mpi_mul_mpi(&rhs, x, x));
    RC(mbedtls_mpi_mod_mpi(&rhs, &rhs, &grp->P));
    RC(mbedtls_mpi_sub_int(&rhs, &rhs, 3));          /* x^2 - 3 */
    RC(mbedtls_mpi_mul_mpi(&rhs, &rhs, x));          /* x^3 - 3x */
    RC(mbedtls_mpi_add_mpi(&rhs, &rhs, &grp->B));
    RC(mbedtls_mpi_mod_mpi(&rhs, &rhs, &grp->P));
    RC(mbedtls_mpi_add_int(&e, &grp->P, 1));
    RC(mbedtls_mpi_shift_r(&e, 2));                  /* (p + 1) / 4 */
    RC(mbedtls_mpi_exp_mod(y, &rhs, &e, &grp->P, NULL));
    RC(mbedtls_mpi_mul_mpi(&t, y, y));
    RC(mbedtls_mpi_mod_mpi(&t, &t, &grp->P));
    *square = mbedtls_mpi_cmp_mpi(&t, &rhs) == 0;
done:
#undef RC
    mbedtls_mpi_free(&rhs);
    mbedtls_mpi_free(&t);
    mbedtls_mpi_free(&e);
    return rc;
}

ward_err ward_mbedtls_p256_decompress(const uint8_t in[WARD_P256_COMPRESSED_LEN],
                                      uint8_t out[WARD_P256_POINT_LEN])
{
    WARD_ASSERT(in != NULL && out != NULL);
    if (in[0] != 0x02 && in[0] != 0x03) {
        return WARD_ERR_FORMAT;
    }
    mbedtls_ecp_group grp;
    mbedtls_ecp_point pt;
    mbedtls_mpi x, y;
    int square = 0;
    mbedtls_ecp_point_init(&pt);
    mbedtls_mpi_init(&x);
    mbedtls_mpi_init(&y);
    ward_err err = ward_mbedtls_group(&grp);
    if (err == WARD_OK &&
        mbedtls_mpi_read_binary(&x, in + 1, WARD_P256_SCALAR_LEN) != 0) {
        err = WARD_ERR_CRYPTO;
    }
    if (err == WARD_OK && mbedtls_mpi_cmp_mpi(&x, &grp.P) >= 0) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK && solve_y(&grp, &x, &y, &square) != 0) {
        err = WARD_ERR_CRYPTO;
    }
    if (err == WARD_OK && !square) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK &&
        (unsigned)mbedtls_mpi_get_bit(&y, 0) != (unsigned)(in[0] & 1u)) {
        /* The other root, p - y; y is never 0 on P-256 (prime order, so
         * no point of order 2), but a 0 would have no odd twin. */
        if (mbedtls_mpi_cmp_int(&y, 0) == 0) {
            err = WARD_ERR_FORMAT;
        } else if (mbedtls_mpi_sub_mpi(&y, &grp.P, &y) != 0) {
            err = WARD_ERR_CRYPTO;
        }
    }
    if (err == WARD_OK) {
        out[0] = 0x04;
        memcpy(out + 1, in + 1, WARD_P256_SCALAR_LEN);
        if (mbedtls_mpi_write_binary(&y, out + 1 + WARD_P256_SCALAR_LEN,
                                     WARD_P256_SCALAR_LEN) != 0) {
            err = WARD_ERR_CRYPTO;
        }
    }
    /* The library's own check has the last word: on the curve, not
     * infinity. */
    if (err == WARD_OK) {
        err = ward_mbedtls_point_read(&grp, &pt, out);
    }
    if (err != WARD_OK) {
        memset(out, 0, WARD_P256_POINT_LEN);
    }
    mbedtls_mpi_free(&x);
    mbedtls_mpi_free(&y);
    mbedtls_ecp_point_free(&pt);
    return err;
}
