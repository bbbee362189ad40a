/*
 * mbedtls_inner.h - private to the mbedTLS backend: the entries that
 * table.c gathers into ward_crypto_mbedtls(), and the shared helpers.
 *
 * Each entry keeps its mbedTLS objects on the stack and frees them (which
 * also zeroises them) before it returns, on every path. Two objects are
 * shared by every thread: the DRBG that blinds the multiplications, behind
 * a mutex (random.c), and the P-256 group with its table of multiples of
 * G, built once and then only read (p256.c): a group loaded per call
 * rebuilt that table in every entry that multiplies G.
 */
#ifndef WARD_MBEDTLS_INNER_H
#define WARD_MBEDTLS_INNER_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>

#include "ward/ward_config.h"
#include "ward/ward_crypto.h"

ward_err ward_mbedtls_sha256(const ward_iov *parts, size_t nparts,
                             uint8_t out[WARD_SHA256_LEN]);
/* Streaming SHA-256 (sha_stream.c). */
ward_err ward_mbedtls_sha256_start(ward_sha256_ctx *ctx);
ward_err ward_mbedtls_sha256_update(ward_sha256_ctx *ctx, const uint8_t *data, size_t len);
ward_err ward_mbedtls_sha256_finish(ward_sha256_ctx *ctx, uint8_t out[WARD_SHA256_LEN]);
ward_err ward_mbedtls_hmac_sha256(const uint8_t *key, size_t key_len,
                                  const ward_iov *parts, size_t nparts,
                                  uint8_t out[WARD_SHA256_LEN]);
ward_err ward_mbedtls_hkdf_sha256(const uint8_t *salt, size_t salt_len,
                                  const uint8_t *ikm, size_t ikm_len,
                                  const uint8_t *info, size_t info_len,
                                  uint8_t *out, size_t out_len);
ward_err ward_mbedtls_ccm_seal(const uint8_t key[WARD_AES128_KEY_LEN],
                               const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *ad, size_t ad_len,
                               const uint8_t *pt, size_t pt_len,
                               uint8_t *ct, uint8_t *tag, size_t tag_len);
ward_err ward_mbedtls_ccm_open(const uint8_t key[WARD_AES128_KEY_LEN],
                               const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *ad, size_t ad_len,
                               const uint8_t *ct, size_t ct_len,
                               const uint8_t *tag, size_t tag_len,
                               uint8_t *pt);
ward_err ward_mbedtls_aes128_cmac(const uint8_t key[WARD_AES128_KEY_LEN],
                                  const ward_iov *parts, size_t nparts,
                                  uint8_t out[WARD_CMAC_LEN]);
ward_err ward_mbedtls_p256_muladd(const uint8_t a[WARD_P256_SCALAR_LEN],
                                  const uint8_t *p, const uint8_t *b,
                                  const uint8_t *q,
                                  uint8_t out[WARD_P256_POINT_LEN]);
ward_err ward_mbedtls_p256_point_check(const uint8_t p[WARD_P256_POINT_LEN]);
ward_err ward_mbedtls_p256_decompress(const uint8_t in[WARD_P256_COMPRESSED_LEN],
                                      uint8_t out[WARD_P256_POINT_LEN]);
ward_err ward_mbedtls_p256_scalar_reduce(const uint8_t *in, size_t in_len,
                                         uint8_t out[WARD_P256_SCALAR_LEN]);
ward_err ward_mbedtls_p256_scalar_neg(const uint8_t in[WARD_P256_SCALAR_LEN],
                                      uint8_t out[WARD_P256_SCALAR_LEN]);
ward_err ward_mbedtls_p256_ecdh(const uint8_t priv[WARD_P256_SCALAR_LEN],
                                const uint8_t peer[WARD_P256_POINT_LEN],
                                uint8_t shared[WARD_P256_SHARED_LEN]);
ward_err ward_mbedtls_ecdsa_sign(const uint8_t priv[WARD_P256_SCALAR_LEN],
                                 const uint8_t digest[WARD_SHA256_LEN],
                                 uint8_t sig[WARD_P256_SIG_LEN]);
ward_err ward_mbedtls_ecdsa_verify(const uint8_t pub[WARD_P256_POINT_LEN],
                                   const uint8_t digest[WARD_SHA256_LEN],
                                   const uint8_t sig[WARD_P256_SIG_LEN]);

/* The backend's CTR-DRBG as an mbedTLS f_rng (ctx unused); seeds itself
 * on first use. Blinds every scalar multiplication. */
int ward_mbedtls_drbg(void *ctx, unsigned char *out, size_t len);

/* Fills grp with a view of the process-wide P-256 group: it points to
 * data every thread shares, so the caller neither initialises nor frees
 * it (mbedtls_ecp_group_free() would free the shared table), and passes
 * it to mbedTLS only as the group of an operation. */
ward_err ward_mbedtls_group(mbedtls_ecp_group *grp);

/* Reads a 65-byte SEC1 uncompressed point and checks it is on the curve
 * and not infinity; WARD_ERR_FORMAT otherwise. */
ward_err ward_mbedtls_point_read(const mbedtls_ecp_group *grp,
                                 mbedtls_ecp_point *pt,
                                 const uint8_t in[WARD_P256_POINT_LEN]);

/* Reads a 32-byte big-endian scalar and checks 1 <= x < n (or 0 <= x < n
 * when zero_ok); WARD_ERR_FORMAT otherwise. */
ward_err ward_mbedtls_scalar_read(const mbedtls_ecp_group *grp,
                                  mbedtls_mpi *x,
                                  const uint8_t in[WARD_P256_SCALAR_LEN],
                                  int zero_ok);

/* Writes x as 32 big-endian bytes. */
ward_err ward_mbedtls_scalar_write(const mbedtls_mpi *x,
                                   uint8_t out[WARD_P256_SCALAR_LEN]);

#endif /* WARD_MBEDTLS_INNER_H */
