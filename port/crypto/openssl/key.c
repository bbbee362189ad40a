/* EVP_PKEY objects on P-256 for ECDH and ECDSA, built from raw bytes with
 * OSSL_PARAM (EC_KEY is deprecated in OpenSSL 3). */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "openssl_inner.h"

static EVP_PKEY *key_from_params(OSSL_PARAM *params, int selection)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
        EVP_PKEY_fromdata(pctx, &key, selection, params) != 1) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    EVP_PKEY_CTX_free(pctx);
    return key;
}

EVP_PKEY *ward_openssl_pub_key(const uint8_t pub[WARD_P256_POINT_LEN])
{
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *)"prime256v1", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  (void *)pub,
                                                  WARD_P256_POINT_LEN);
    params[2] = OSSL_PARAM_construct_end();
    return key_from_params(params, EVP_PKEY_PUBLIC_KEY);
}

EVP_PKEY *ward_openssl_priv_key(const BIGNUM *d,
                                const uint8_t pub[WARD_P256_POINT_LEN])
{
    EVP_PKEY *key = NULL;
    OSSL_PARAM *params = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    /* d is a secure bignum, so the builder copies it into the secure
     * block that OSSL_PARAM_free() clears. */
    if (bld != NULL &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                        "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                         WARD_P256_POINT_LEN) == 1) {
        params = OSSL_PARAM_BLD_to_param(bld);
    }
    if (params != NULL) {
        key = key_from_params(params, EVP_PKEY_KEYPAIR);
    }
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return key;
}

ward_err ward_openssl_priv_load(const uint8_t priv[WARD_P256_SCALAR_LEN],
                                EVP_PKEY **key)
{
    uint8_t pub[WARD_P256_POINT_LEN];
    const EC_GROUP *grp = ward_openssl_group();
    EC_POINT *pt = grp != NULL ? EC_POINT_new(grp) : NULL;
    BN_CTX *bnctx = BN_CTX_secure_new();
    BIGNUM *d = BN_secure_new();
    ward_err err = WARD_ERR_CRYPTO;
    *key = NULL;
    if (pt != NULL && bnctx != NULL && d != NULL) {
        err = ward_openssl_scalar_read(grp, d, priv, 0);
    }
    /* The public half makes a complete key pair for the provider. */
    if (err == WARD_OK &&
        EC_POINT_mul(grp, pt, d, NULL, NULL, bnctx) != 1) {
        err = WARD_ERR_CRYPTO;
    }
    if (err == WARD_OK) {
        err = ward_openssl_point_write(grp, pt, pub, bnctx);
    }
    if (err == WARD_OK) {
        *key = ward_openssl_priv_key(d, pub);
        if (*key == NULL) {
            err = WARD_ERR_CRYPTO;
        }
    }
    BN_clear_free(d);
    BN_CTX_free(bnctx);
    EC_POINT_free(pt);
    if (err != WARD_OK) {
        ERR_clear_error();
    }
    return err;
}
