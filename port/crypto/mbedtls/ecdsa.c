/* ECDSA P-256 over a SHA-256 digest, on mbedTLS: deterministic signing
 * (RFC 6979) and verification; signatures are r || s. */
#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include "mbedtls_inner.h"

ward_err ward_mbedtls_ecdsa_sign(const uint8_t priv[WARD_P256_SCALAR_LEN],
                                 const uint8_t digest[WARD_SHA256_LEN],
                                 uint8_t sig[WARD_P256_SIG_LEN])
{
    WARD_ASSERT(priv != NULL && digest != NULL && sig != NULL);

    mbedtls_ecp_group grp;
    mbedtls_mpi d, r, s;
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);

    ward_err err = ward_mbedtls_group(&grp);
    if (err == WARD_OK) {
        err = ward_mbedtls_scalar_read(&grp, &d, priv, 0);
    }
    /* The nonce comes from RFC 6979; the DRBG only blinds the
     * multiplication and the inversion. */
    if (err == WARD_OK &&
        mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &d, digest, WARD_SHA256_LEN,
                                   MBEDTLS_MD_SHA256, ward_mbedtls_drbg,
                                   NULL) != 0) {
        err = WARD_ERR_CRYPTO;
    }
    if (err == WARD_OK) {
        err = ward_mbedtls_scalar_write(&r, sig);
    }
    if (err == WARD_OK) {
        err = ward_mbedtls_scalar_write(&s, sig + WARD_P256_SCALAR_LEN);
    }
    if (err != WARD_OK) {
        mbedtls_platform_zeroize(sig, WARD_P256_SIG_LEN);
    }
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&d);
    return err;
}

ward_err ward_mbedtls_ecdsa_verify(const uint8_t pub[WARD_P256_POINT_LEN],
                                   const uint8_t digest[WARD_SHA256_LEN],
                                   const uint8_t sig[WARD_P256_SIG_LEN])
{
    WARD_ASSERT(pub != NULL && digest != NULL && sig != NULL);

    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);

    ward_err err = ward_mbedtls_group(&grp);
    if (err == WARD_OK) {
        err = ward_mbedtls_point_read(&grp, &q, pub);
    }
    if (err == WARD_OK &&
        (mbedtls_mpi_read_binary(&r, sig, WARD_P256_SCALAR_LEN) != 0 ||
         mbedtls_mpi_read_binary(&s, sig + WARD_P256_SCALAR_LEN,
                                 WARD_P256_SCALAR_LEN) != 0)) {
        err = WARD_ERR_CRYPTO;
    }
    if (err == WARD_OK) {
        /* mbedTLS itself rejects r or s outside 1..n-1 as a failed
         * verification, which is what the header asks for. */
        int rc = mbedtls_ecdsa_verify(&grp, digest, WARD_SHA256_LEN, &q, &r,
                                      &s);
        if (rc == MBEDTLS_ERR_MPI_ALLOC_FAILED) {
            err = WARD_ERR_CRYPTO;
        } else if (rc != 0) {
            err = WARD_ERR_AUTH;
        }
    }
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ecp_point_free(&q);
    return err;
}
