/*
 * ward_crypto.h - the crypto port: the primitives ward needs, and no more.
 *
 * The core never implements a primitive. It calls a backend through this
 * table of functions, chosen by the integrator: port/crypto/mbedtls
 * (ward_crypto_mbedtls()), port/crypto/openssl (ward_crypto_openssl()), or
 * a hardware accelerator on a device. The table is const and static, so a
 * context may keep a pointer to it and still be copied freely.
 *
 * Call sequence: get the table once (`const ward_crypto *cp =
 * ward_crypto_openssl();`) and pass it to the core's suite functions
 * (ward_suite.h). Code outside the core rarely calls these entries
 * directly; the suite adds the labels, nonces and checks.
 *
 * Conventions of every entry:
 *  - fixed sizes are the WARD_* macros below; points are SEC1 uncompressed
 *    (0x04 || X || Y, 65 bytes), scalars and signature halves are
 *    big-endian 32 bytes, signatures are r || s (64 bytes);
 *  - inputs given as ward_iov lists are hashed as their concatenation, so
 *    callers hash a transcript without copying it together;
 *  - a failed verification returns WARD_ERR_AUTH, a malformed point or
 *    scalar WARD_ERR_FORMAT, a backend fault WARD_ERR_CRYPTO;
 *  - output buffers may not overlap inputs unless an entry says so;
 *  - the backend wipes its own temporaries; the caller wipes what it gets.
 * No entry needs randomness from the caller: ECDSA signing uses the
 * backend's own generator (mbedTLS signs deterministically, RFC 6979).
 * Random bytes come from the random port (ward_random.h).
 */
#ifndef WARD_CRYPTO_H
#define WARD_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "ward_attr.h"
#include "ward_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_SHA256_LEN 32
#define WARD_AES128_KEY_LEN 16
#define WARD_CCM_NONCE_MIN 7
#define WARD_CCM_NONCE_MAX 13
#define WARD_CCM_TAG_MIN 4
#define WARD_CCM_TAG_MAX 16
#define WARD_CMAC_LEN 16
/* Longest CCM associated data both backends accept (mbedTLS 2.28 refuses
 * 0xFF00 and more); longer is WARD_ERR_PARAM. */
#define WARD_CCM_AD_MAX 0xFEFFu
#define WARD_P256_SCALAR_LEN 32
#define WARD_P256_POINT_LEN 65
#define WARD_P256_COMPRESSED_LEN 33
#define WARD_P256_SIG_LEN 64
#define WARD_P256_SHARED_LEN 32
#define WARD_HKDF_OUT_MAX (255 * WARD_SHA256_LEN)
#define WARD_SM3_LEN 32
#define WARD_SM4_KEY_LEN 16

/* The state of a streaming SHA-256 (the entries sha256_start, _update,
 * _finish): the backend's own plain struct (mbedTLS's 108 bytes,
 * OpenSSL's 112), kept by the caller. It holds no pointer, so it may be
 * copied; finish wipes it. */
#define WARD_SHA256_CTX_SIZE 128
typedef struct ward_sha256_ctx {
    WARD_OPAQUE(WARD_SHA256_CTX_SIZE);
} ward_sha256_ctx;

/* One piece of a scattered input. */
typedef struct ward_iov {
    const uint8_t *ptr;
    size_t len;
} ward_iov;

typedef struct ward_crypto {
    /* "mbedtls 2.28.3", "openssl 3.0.x": for reports, never parsed. */
    const char *name;

    /* SHA-256 of the concatenation of parts[0..nparts). */
    ward_err (*sha256)(const ward_iov *parts, size_t nparts,
                       uint8_t out[WARD_SHA256_LEN]);

    /* HMAC-SHA256 (RFC 2104) of the concatenation of parts. */
    ward_err (*hmac_sha256)(const uint8_t *key, size_t key_len,
                            const ward_iov *parts, size_t nparts,
                            uint8_t out[WARD_SHA256_LEN]);

    /* HKDF-SHA256 (RFC 5869), extract then expand. salt may be NULL with
     * salt_len 0; out_len is 1..WARD_HKDF_OUT_MAX. */
    ward_err (*hkdf_sha256)(const uint8_t *salt, size_t salt_len,
                            const uint8_t *ikm, size_t ikm_len,
                            const uint8_t *info, size_t info_len,
                            uint8_t *out, size_t out_len);

    /* AES-128-CCM (NIST SP 800-38C). nonce_len is 7..13, tag_len one of
     * 4, 6, 8, 10, 12, 14, 16. ct may equal pt (in place). */
    ward_err (*ccm_seal)(const uint8_t key[WARD_AES128_KEY_LEN],
                         const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *ad, size_t ad_len,
                         const uint8_t *pt, size_t pt_len,
                         uint8_t *ct, uint8_t *tag, size_t tag_len);

    /* Checks the tag before releasing plaintext: on WARD_ERR_AUTH, pt is
     * zeroed over pt_len bytes. pt may equal ct (in place). */
    ward_err (*ccm_open)(const uint8_t key[WARD_AES128_KEY_LEN],
                         const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *ad, size_t ad_len,
                         const uint8_t *ct, size_t ct_len,
                         const uint8_t *tag, size_t tag_len, uint8_t *pt);

    /* AES-128-CMAC (RFC 4493) of the concatenation of parts. */
    ward_err (*aes128_cmac)(const uint8_t key[WARD_AES128_KEY_LEN],
                            const ward_iov *parts, size_t nparts,
                            uint8_t out[WARD_CMAC_LEN]);

    /* out = a*P + b*Q on P-256. P NULL means the generator. b and Q are
     * both NULL (out = a*P) or both set. Every point given is checked to be
     * on the curve (WARD_ERR_FORMAT). A result at infinity is
     * WARD_ERR_FORMAT: no protocol of ours can use it. Scalars must be
     * reduced (< n); a is never zero. */
    ward_err (*p256_muladd)(const uint8_t a[WARD_P256_SCALAR_LEN],
                            const uint8_t *p,
                            const uint8_t *b, const uint8_t *q,
                            uint8_t out[WARD_P256_POINT_LEN]);

    /* WARD_OK if p is an uncompressed point on P-256 (not infinity). */
    ward_err (*p256_point_check)(const uint8_t p[WARD_P256_POINT_LEN]);

    /* out = (big-endian integer in[0..in_len)) mod n; in_len 1..64. */
    ward_err (*p256_scalar_reduce)(const uint8_t *in, size_t in_len,
                                   uint8_t out[WARD_P256_SCALAR_LEN]);

    /* out = (n - in) mod n, for a reduced scalar. */
    ward_err (*p256_scalar_neg)(const uint8_t in[WARD_P256_SCALAR_LEN],
                                uint8_t out[WARD_P256_SCALAR_LEN]);

    /* ECDH on P-256: the x-coordinate of priv * peer (SEC1). The peer
     * point is validated first (WARD_ERR_FORMAT). */
    ward_err (*p256_ecdh)(const uint8_t priv[WARD_P256_SCALAR_LEN],
                          const uint8_t peer[WARD_P256_POINT_LEN],
                          uint8_t shared[WARD_P256_SHARED_LEN]);

    /* ECDSA P-256 over a 32-byte digest; sig is r || s. */
    ward_err (*ecdsa_p256_sign)(const uint8_t priv[WARD_P256_SCALAR_LEN],
                                const uint8_t digest[WARD_SHA256_LEN],
                                uint8_t sig[WARD_P256_SIG_LEN]);

    /* WARD_OK or WARD_ERR_AUTH (also for r or s out of range);
     * WARD_ERR_FORMAT for a public key that is not a point on the curve. */
    ward_err (*ecdsa_p256_verify)(const uint8_t pub[WARD_P256_POINT_LEN],
                                  const uint8_t digest[WARD_SHA256_LEN],
                                  const uint8_t sig[WARD_P256_SIG_LEN]);

    /* Optional: the Chinese national algorithms, for the secure element
     * binding's f() (ward_se.h). NULL when the backend lacks them
     * (mbedTLS 2.28); an entry that is set may still answer
     * WARD_ERR_UNSUPPORTED when the library at run time lacks them.
     * HMAC-SM3 (RFC 2104 over SM3, GB/T 32905), same shape as hmac_sha256. */
    ward_err (*hmac_sm3)(const uint8_t *key, size_t key_len,
                         const ward_iov *parts, size_t nparts,
                         uint8_t out[WARD_SM3_LEN]);

    /* SM4-CMAC (the RFC 4493 construction over SM4, GB/T 32907). */
    ward_err (*sm4_cmac)(const uint8_t key[WARD_SM4_KEY_LEN],
                         const ward_iov *parts, size_t nparts,
                         uint8_t out[WARD_CMAC_LEN]);

    /* Reads a SEC1 compressed P-256 point (0x02 or 0x03, then x) into
     * its 65-byte uncompressed form. WARD_ERR_FORMAT for another prefix,
     * x >= p, an x with no point (x^3 - 3x + b not a square), or a
     * result off the curve. (Last, so older tables keep their layout.) */
    ward_err (*p256_decompress)(const uint8_t in[WARD_P256_COMPRESSED_LEN],
                                uint8_t out[WARD_P256_POINT_LEN]);

    /* Streaming SHA-256, for what is never in memory at once: a firmware
     * image hashed as its chunks arrive, a flash slot read back in pieces
     * (ward_fw_update.h). start, then update any number of times (len 0
     * is fine), then finish, which gives the digest of every byte given
     * and wipes ctx. The same digest as sha256 over the concatenation. */
    ward_err (*sha256_start)(ward_sha256_ctx *ctx);
    ward_err (*sha256_update)(ward_sha256_ctx *ctx, const uint8_t *data, size_t len);
    ward_err (*sha256_finish)(ward_sha256_ctx *ctx, uint8_t out[WARD_SHA256_LEN]);
} ward_crypto;

/* SEC1 compression of an uncompressed point (in[0] == 0x04, not
 * checked to be on the curve): 0x02 | (y odd), then x. The core's, not a
 * backend's: it needs no arithmetic. */
void ward_p256_compress(const uint8_t in[WARD_P256_POINT_LEN],
                        uint8_t out[WARD_P256_COMPRESSED_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* WARD_CRYPTO_H */
