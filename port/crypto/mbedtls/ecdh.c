/* ECDH on P-256 (SEC1 x-coordinate), on mbedTLS. */
#include <mbedtls/ecdh.h>

#include "mbedtls_inner.h"

ward_err ward_mbedtls_p256_ecdh(const uint8_t priv[WARD_P256_SCALAR_LEN],
                                const uint8_t peer[WARD_P256_POINT_LEN],
                                uint8_t shared[WARD_P256_SHARED_LEN])
{
    WARD_ASSERT(priv != NULL && peer != NULL && shared != NULL);

    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi d, z;
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&z);

    ward_err err = ward_mbedtls_group(&grp);
    if (err == WARD_OK) {
        err = ward_mbedtls_point_read(&grp, &q, peer);
    }
    if (err == WARD_OK) {
        err = ward_mbedtls_scalar_read(&grp, &d, priv, 0);
    }
    if (err == WARD_OK &&
        mbedtls_ecdh_compute_shared(&grp, &z, &q, &d, ward_mbedtls_drbg,
                                    NULL) != 0) {
        err = WARD_ERR_CRYPTO;
    }
    if (err == WARD_OK) {
        err = ward_mbedtls_scalar_write(&z, shared);
    }
    /* The private key and the shared secret: freeing zeroises them. */
    mbedtls_mpi_free(&z);
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&q);
    return err;
}
