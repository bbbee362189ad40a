/* The mbedTLS backend's table of entries. */
#include <mbedtls/version.h>

#include "ward/ward_port_mbedtls.h"

#include "mbedtls_inner.h"

static const ward_crypto ward_mbedtls_table = {
    "mbedtls " MBEDTLS_VERSION_STRING,
    ward_mbedtls_sha256,
    ward_mbedtls_hmac_sha256,
    ward_mbedtls_hkdf_sha256,
    ward_mbedtls_ccm_seal,
    ward_mbedtls_ccm_open,
    ward_mbedtls_aes128_cmac,
    ward_mbedtls_p256_muladd,
    ward_mbedtls_p256_point_check,
    ward_mbedtls_p256_scalar_reduce,
    ward_mbedtls_p256_scalar_neg,
    ward_mbedtls_p256_ecdh,
    ward_mbedtls_ecdsa_sign,
    ward_mbedtls_ecdsa_verify,
    NULL, /* hmac_sm3: mbedTLS 2.28 has no SM3 */
    NULL, /* sm4_cmac: nor SM4 */
    ward_mbedtls_p256_decompress,
    ward_mbedtls_sha256_start,
    ward_mbedtls_sha256_update,
    ward_mbedtls_sha256_finish,
};

const ward_crypto *ward_crypto_mbedtls(void)
{
    return &ward_mbedtls_table;
}
