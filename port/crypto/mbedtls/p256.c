/* P-256 helpers of the mbedTLS backend: the group, point and scalar
 * decoding with their checks, and the point-check entry. */
#include <mbedtls/ecp.h>

#include "mbedtls_inner.h"

ward_err ward_mbedtls_group(mbedtls_ecp_group *grp)
{
    if (mbedtls_ecp_group_load(grp, MBEDTLS_ECP_DP_SECP256R1) != 0) {
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}

ward_err ward_mbedtls_point_read(const mbedtls_ecp_group *grp,
                                 mbedtls_ecp_point *pt,
                                 const uint8_t in[WARD_P256_POINT_LEN])
{
    /* Only the uncompressed form: mbedTLS would also take a lone 0x00 as
     * infinity, and our wire format has one encoding per point. */
    if (in[0] != 0x04) {
        return WARD_ERR_FORMAT;
    }
    int rc = mbedtls_ecp_point_read_binary(grp, pt, in, WARD_P256_POINT_LEN);
    if (rc == MBEDTLS_ERR_MPI_ALLOC_FAILED) {
        return WARD_ERR_CRYPTO;
    }
    if (rc != 0) {
        return WARD_ERR_FORMAT;
    }
    /* Coordinates below p, on the curve, not infinity. */
    rc = mbedtls_ecp_check_pubkey(grp, pt);
    if (rc == MBEDTLS_ERR_MPI_ALLOC_FAILED) {
        return WARD_ERR_CRYPTO;
    }
    return rc == 0 ? WARD_OK : WARD_ERR_FORMAT;
}

ward_err ward_mbedtls_scalar_read(const mbedtls_ecp_group *grp,
                                  mbedtls_mpi *x,
                                  const uint8_t in[WARD_P256_SCALAR_LEN],
                                  int zero_ok)
{
    if (mbedtls_mpi_read_binary(x, in, WARD_P256_SCALAR_LEN) != 0) {
        return WARD_ERR_CRYPTO;
    }
    if (mbedtls_mpi_cmp_mpi(x, &grp->N) >= 0) {
        return WARD_ERR_FORMAT;
    }
    if (!zero_ok && mbedtls_mpi_cmp_int(x, 0) == 0) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err ward_mbedtls_scalar_write(const mbedtls_mpi *x,
                                   uint8_t out[WARD_P256_SCALAR_LEN])
{
    if (mbedtls_mpi_write_binary(x, out, WARD_P256_SCALAR_LEN) != 0) {
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}

ward_err ward_mbedtls_p256_point_check(const uint8_t p[WARD_P256_POINT_LEN])
{
    WARD_ASSERT(p != NULL);

    mbedtls_ecp_group grp;
    mbedtls_ecp_point pt;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&pt);
    ward_err err = ward_mbedtls_group(&grp);
    if (err == WARD_OK) {
        err = ward_mbedtls_point_read(&grp, &pt, p);
    }
    mbedtls_ecp_point_free(&pt);
    mbedtls_ecp_group_free(&grp);
    return err;
}
