/* Scalar arithmetic modulo the P-256 group order n, on mbedTLS. */
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>

#include "mbedtls_inner.h"

ward_err ward_mbedtls_p256_scalar_reduce(const uint8_t *in, size_t in_len,
                                         uint8_t out[WARD_P256_SCALAR_LEN])
{
    WARD_ASSERT(in != NULL && out != NULL);
    if (in_len < 1 || in_len > 2 * WARD_P256_SCALAR_LEN) {
        return WARD_ERR_PARAM;
    }

    mbedtls_ecp_group grp;
    mbedtls_mpi x, r;
    mbedtls_mpi_init(&x);
    mbedtls_mpi_init(&r);
    ward_err err = ward_mbedtls_group(&grp);
    if (err == WARD_OK &&
        (mbedtls_mpi_read_binary(&x, in, in_len) != 0 ||
         mbedtls_mpi_mod_mpi(&r, &x, &grp.N) != 0)) {
        err = WARD_ERR_CRYPTO;
    }
    if (err == WARD_OK) {
        err = ward_mbedtls_scalar_write(&r, out);
    }
    /* The input is often key material: mbedtls_mpi_free() zeroises. */
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&x);
    return err;
}

ward_err ward_mbedtls_p256_scalar_neg(const uint8_t in[WARD_P256_SCALAR_LEN],
                                      uint8_t out[WARD_P256_SCALAR_LEN])
{
    WARD_ASSERT(in != NULL && out != NULL);

    mbedtls_ecp_group grp;
    mbedtls_mpi x, r;
    mbedtls_mpi_init(&x);
    mbedtls_mpi_init(&r);
    ward_err err = ward_mbedtls_group(&grp);
    if (err == WARD_OK) {
        err = ward_mbedtls_scalar_read(&grp, &x, in, 1);
    }
    /* (n - x) mod n: the reduction maps n - 0 back to 0. */
    if (err == WARD_OK &&
        (mbedtls_mpi_sub_mpi(&r, &grp.N, &x) != 0 ||
         mbedtls_mpi_mod_mpi(&r, &r, &grp.N) != 0)) {
        err = WARD_ERR_CRYPTO;
    }
    if (err == WARD_OK) {
        err = ward_mbedtls_scalar_write(&r, out);
    }
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&x);
    return err;
}
