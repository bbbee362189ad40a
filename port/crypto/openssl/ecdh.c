/* ECDH on P-256 (SEC1 x-coordinate), on OpenSSL EVP_PKEY_derive. */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "openssl_inner.h"

ward_err ward_openssl_p256_ecdh(const uint8_t priv[WARD_P256_SCALAR_LEN],
                                const uint8_t peer[WARD_P256_POINT_LEN],
                                uint8_t shared[WARD_P256_SHARED_LEN])
{
    WARD_ASSERT(priv != NULL && peer != NULL && shared != NULL);

    /* The peer first: a bad point is WARD_ERR_FORMAT before any use of
     * the private key. */
    ward_err err = ward_openssl_p256_point_check(peer);
    if (err != WARD_OK) {
        return err;
    }
    EVP_PKEY *key = NULL;
    err = ward_openssl_priv_load(priv, &key);
    if (err != WARD_OK) {
        return err;
    }
    EVP_PKEY *peer_key = ward_openssl_pub_key(peer);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    size_t len = WARD_P256_SHARED_LEN;
    int ok = peer_key != NULL && ctx != NULL &&
             EVP_PKEY_derive_init(ctx) == 1 &&
             EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 0) == 1 &&
             EVP_PKEY_derive(ctx, shared, &len) == 1 &&
             len == WARD_P256_SHARED_LEN;
    /* EVP_PKEY_free() clears the private scalar. */
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer_key);
    EVP_PKEY_free(key);
    if (!ok) {
        OPENSSL_cleanse(shared, WARD_P256_SHARED_LEN);
        ERR_clear_error();
        return WARD_ERR_CRYPTO;
    }
    return WARD_OK;
}
