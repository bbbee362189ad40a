/* The OpenSSL backend's table of entries. */
#include <openssl/opensslv.h>

#include "ward/ward_port_openssl.h"

#include "openssl_inner.h"

static const ward_crypto ward_openssl_table = {
    "openssl " OPENSSL_VERSION_STR,
    ward_openssl_sha256,
    ward_openssl_hmac_sha256,
    ward_openssl_hkdf_sha256,
    ward_openssl_ccm_seal,
    ward_openssl_ccm_open,
    ward_openssl_aes128_cmac,
    ward_openssl_p256_muladd,
    ward_openssl_p256_point_check,
    ward_openssl_p256_scalar_reduce,
    ward_openssl_p256_scalar_neg,
    ward_openssl_p256_ecdh,
    ward_openssl_ecdsa_sign,
    ward_openssl_ecdsa_verify,
    ward_openssl_hmac_sm3,
    ward_openssl_sm4_cmac,
    ward_openssl_p256_decompress,
    ward_openssl_sha256_start,
    ward_openssl_sha256_update,
    ward_openssl_sha256_finish,
};

const ward_crypto *ward_crypto_openssl(void)
{
    return &ward_openssl_table;
}
