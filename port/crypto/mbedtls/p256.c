/* P-256 helpers of the mbedTLS backend: the group, point and scalar
 * decoding with their checks, and the point-check entry. */
#include <pthread.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>

#include "mbedtls_inner.h"

/* One P-256 group per process. Loading one is cheap, but a fresh group
 * has no table of multiples of G: mbedTLS builds it on the first
 * multiplication of G and keeps it in the group, and building it was a
 * quarter of every verification. So the group is loaded and its table
 * built once, before any thread sees it. mbedTLS 2.28 writes a group only
 * to keep that table (ecp_mul_comb, and not at all without
 * MBEDTLS_ECP_FIXED_POINT_OPTIM), so from then on every thread only reads
 * it. Never freed: the static keeps the table reachable until exit. */
static mbedtls_ecp_group ward_group;
static int ward_group_ready;
static pthread_once_t ward_group_once = PTHREAD_ONCE_INIT;

static void group_setup(void)
{
    mbedtls_ecp_point r;
    mbedtls_mpi one;
    mbedtls_ecp_group_init(&ward_group);
    mbedtls_ecp_point_init(&r);
    mbedtls_mpi_init(&one);
    /* 1 * G: nothing secret to blind, so no DRBG (and no entropy needed
     * to verify). */
    ward_group_ready =
        mbedtls_ecp_group_load(&ward_group, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
        mbedtls_mpi_lset(&one, 1) == 0 &&
        mbedtls_ecp_mul(&ward_group, &r, &one, &ward_group.G, NULL, NULL) == 0;
    mbedtls_mpi_free(&one);
    mbedtls_ecp_point_free(&r);
}

ward_err ward_mbedtls_group(mbedtls_ecp_group *grp)
{
    /* A group that failed to load (out of memory at start-up) is never
     * shared, as a later first multiplication of G would write it: every
     * entry then answers WARD_ERR_CRYPTO. */
    if (pthread_once(&ward_group_once, group_setup) != 0 || !ward_group_ready) {
        mbedtls_ecp_group_init(grp);
        return WARD_ERR_CRYPTO;
    }
    /* A copy of the struct, not of what it points to: should mbedTLS ever
     * write a field of the group, it writes the caller's copy. */
    *grp = ward_group;
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
    mbedtls_ecp_point_init(&pt);
    ward_err err = ward_mbedtls_group(&grp);
    if (err == WARD_OK) {
        err = ward_mbedtls_point_read(&grp, &pt, p);
    }
    mbedtls_ecp_point_free(&pt);
    return err;
}
