/*
 * openssl_inner.h - private to the OpenSSL backend: the entries that
 * table.c gathers into ward_crypto_openssl(), and the shared helpers.
 *
 * Only OpenSSL 3 APIs that are not deprecated: EVP for hashes, MACs, the
 * KDF, the cipher and the ECDH/ECDSA keys; EC_GROUP/EC_POINT/BN for the
 * raw point arithmetic that EVP does not offer. Every object is freed on
 * every path, secrets with the clearing variants, and the error queue is
 * emptied when an entry fails so a failure leaves nothing behind.
 *
 * Two objects outlive an entry, both public and shared by every thread:
 * the P-256 group, built once (p256.c), and a cache of checked public
 * keys for verification (keycache.c). Built per call, they cost a
 * verification as much as its arithmetic; they live until exit.
 */
#ifndef WARD_OPENSSL_INNER_H
#define WARD_OPENSSL_INNER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "ward/ward_config.h"
#include "ward/ward_crypto.h"

ward_err ward_openssl_sha256(const ward_iov *parts, size_t nparts,
                             uint8_t out[WARD_SHA256_LEN]);
/* Streaming SHA-256 (sha_stream.c). */
ward_err ward_openssl_sha256_start(ward_sha256_ctx *ctx);
ward_err ward_openssl_sha256_update(ward_sha256_ctx *ctx, const uint8_t *data, size_t len);
ward_err ward_openssl_sha256_finish(ward_sha256_ctx *ctx, uint8_t out[WARD_SHA256_LEN]);
ward_err ward_openssl_hmac_sha256(const uint8_t *key, size_t key_len,
                                  const ward_iov *parts, size_t nparts,
                                  uint8_t out[WARD_SHA256_LEN]);
ward_err ward_openssl_hkdf_sha256(const uint8_t *salt, size_t salt_len,
                                  const uint8_t *ikm, size_t ikm_len,
                                  const uint8_t *info, size_t info_len,
                                  uint8_t *out, size_t out_len);
ward_err ward_openssl_ccm_seal(const uint8_t key[WARD_AES128_KEY_LEN],
                               const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *ad, size_t ad_len,
                               const uint8_t *pt, size_t pt_len,
                               uint8_t *ct, uint8_t *tag, size_t tag_len);
ward_err ward_openssl_ccm_open(const uint8_t key[WARD_AES128_KEY_LEN],
                               const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *ad, size_t ad_len,
                               const uint8_t *ct, size_t ct_len,
                               const uint8_t *tag, size_t tag_len,
                               uint8_t *pt);
ward_err ward_openssl_aes128_cmac(const uint8_t key[WARD_AES128_KEY_LEN],
                                  const ward_iov *parts, size_t nparts,
                                  uint8_t out[WARD_CMAC_LEN]);
ward_err ward_openssl_p256_muladd(const uint8_t a[WARD_P256_SCALAR_LEN],
                                  const uint8_t *p, const uint8_t *b,
                                  const uint8_t *q,
                                  uint8_t out[WARD_P256_POINT_LEN]);
ward_err ward_openssl_p256_point_check(const uint8_t p[WARD_P256_POINT_LEN]);
ward_err ward_openssl_p256_decompress(const uint8_t in[WARD_P256_COMPRESSED_LEN],
                                      uint8_t out[WARD_P256_POINT_LEN]);
ward_err ward_openssl_p256_scalar_reduce(const uint8_t *in, size_t in_len,
                                         uint8_t out[WARD_P256_SCALAR_LEN]);
ward_err ward_openssl_p256_scalar_neg(const uint8_t in[WARD_P256_SCALAR_LEN],
                                      uint8_t out[WARD_P256_SCALAR_LEN]);
ward_err ward_openssl_p256_ecdh(const uint8_t priv[WARD_P256_SCALAR_LEN],
                                const uint8_t peer[WARD_P256_POINT_LEN],
                                uint8_t shared[WARD_P256_SHARED_LEN]);
ward_err ward_openssl_ecdsa_sign(const uint8_t priv[WARD_P256_SCALAR_LEN],
                                 const uint8_t digest[WARD_SHA256_LEN],
                                 uint8_t sig[WARD_P256_SIG_LEN]);
ward_err ward_openssl_ecdsa_verify(const uint8_t pub[WARD_P256_POINT_LEN],
                                   const uint8_t digest[WARD_SHA256_LEN],
                                   const uint8_t sig[WARD_P256_SIG_LEN]);
ward_err ward_openssl_hmac_sm3(const uint8_t *key, size_t key_len,
                               const ward_iov *parts, size_t nparts,
                               uint8_t out[WARD_SM3_LEN]);
ward_err ward_openssl_sm4_cmac(const uint8_t key[WARD_SM4_KEY_LEN],
                               const ward_iov *parts, size_t nparts,
                               uint8_t out[WARD_CMAC_LEN]);

/* The process-wide P-256 group, built on first use; NULL if it could not
 * be built. Shared read-only by every thread: never modify or free it. */
const EC_GROUP *ward_openssl_group(void);

/* Decodes a 65-byte SEC1 uncompressed point into pt and checks it is on
 * the curve and not infinity; WARD_ERR_FORMAT otherwise. */
ward_err ward_openssl_point_read(const EC_GROUP *grp, EC_POINT *pt,
                                 const uint8_t in[WARD_P256_POINT_LEN],
                                 BN_CTX *bnctx);

/* Encodes pt (not infinity) as 65 uncompressed bytes. */
ward_err ward_openssl_point_write(const EC_GROUP *grp, const EC_POINT *pt,
                                  uint8_t out[WARD_P256_POINT_LEN],
                                  BN_CTX *bnctx);

/* Reads a 32-byte big-endian scalar into x and checks 1 <= x < n (or
 * 0 <= x < n when zero_ok); WARD_ERR_FORMAT otherwise. */
ward_err ward_openssl_scalar_read(const EC_GROUP *grp, BIGNUM *x,
                                  const uint8_t in[WARD_P256_SCALAR_LEN],
                                  int zero_ok);

/* An EVP_PKEY on P-256 from a public point (65 bytes), and from a private
 * scalar (1..n-1) with its public point. NULL on failure; the caller has
 * validated the inputs. */
EVP_PKEY *ward_openssl_pub_key(const uint8_t pub[WARD_P256_POINT_LEN]);
EVP_PKEY *ward_openssl_priv_key(const BIGNUM *d,
                                const uint8_t pub[WARD_P256_POINT_LEN]);

/* An EVP_PKEY for a public point that is checked to be on the curve
 * (WARD_ERR_FORMAT otherwise), from a small process-wide cache when the
 * point recurs (a verifier sees the same few signers again and again).
 * The caller owns one reference and frees it with EVP_PKEY_free(). */
ward_err ward_openssl_pub_key_cached(const uint8_t pub[WARD_P256_POINT_LEN],
                                     EVP_PKEY **key);

/* Turns a private scalar into an EVP_PKEY: checks it is 1..n-1
 * (WARD_ERR_FORMAT), derives its public point, builds the key. */
ward_err ward_openssl_priv_load(const uint8_t priv[WARD_P256_SCALAR_LEN],
                                EVP_PKEY **key);

#endif /* WARD_OPENSSL_INNER_H */
