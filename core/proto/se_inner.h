/*
 * se_inner.h - what the two roles of the secure element binding (flow E)
 * share: their records in the power-safe store and the protocol's crypto.
 * Not installed. All integers big-endian.
 *
 * The secure element's store:
 * 0x0600 id        se_id (16), made at the first power-up
 * 0x0601 binding   state (1) | variant (1) | f (1) | cred_len (1) | cred:
 *                  R1 (32) in the symmetric variant, the host's public
 *                  key (65) in the asymmetric one. The lock bit is the
 *                  state byte, so R1 and the lock change in one update.
 * 0x0602 failures  fails (4) | last_fail_ms (8): raised before every
 *                  comparison, removed by a passed check
 *
 * The host's store:
 * 0x0700 binding   se_id (16) | variant (1) | f (1) | locked (1) |
 *                  cred_len (1) | cred: R1 (32), or the host's private
 *                  key (32) | its public key (65)
 *
 * Records holding secrets (both bindings) are read into stack buffers
 * that are wiped before every return.
 */
#ifndef WARD_SE_INNER_H
#define WARD_SE_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_se.h"

#define SE_REC_ID 0x0600u
#define SE_REC_BINDING 0x0601u
#define SE_REC_FAILS 0x0602u
#define HOST_REC_BINDING 0x0700u

#define SE_BIND_HDR_LEN 4
#define SE_BIND_REC_MAX (SE_BIND_HDR_LEN + WARD_P256_POINT_LEN)
#define SE_FAILS_REC_LEN 12
#define HOST_BIND_HDR_LEN (WARD_SE_ID_LEN + 4)
#define HOST_CRED_MAX (WARD_P256_SCALAR_LEN + WARD_P256_POINT_LEN)
#define HOST_BIND_REC_MAX (HOST_BIND_HDR_LEN + HOST_CRED_MAX)

/* The store's bank must hold every record of either role. */
typedef char se_records_fit[WARD_SE_STORE_BANK_MIN >=
                                    WARD_STORE_BANK_HDR_LEN +
                                        3 * WARD_STORE_RECORD_HDR_LEN +
                                        WARD_SE_ID_LEN + SE_BIND_REC_MAX +
                                        SE_FAILS_REC_LEN &&
                                WARD_SE_STORE_BANK_MIN >=
                                    WARD_STORE_BANK_HDR_LEN +
                                        WARD_STORE_RECORD_HDR_LEN +
                                        HOST_BIND_REC_MAX
                            ? 1
                            : -1];

/* The secure element's context (ward_se_elem). */
typedef struct ward_se_elem_state {
    /* id, state, variant and f as stored, fails as stored, verified:
     * the session after a passed check. Kept as what
     * ward_se_elem_get_info() hands out, so it is a plain copy. */
    ward_se_elem_info info;
    const ward_crypto *cp;   /* a static const table */
    ward_random rng;         /* copies of the caller's ports */
    ward_clock clock;
    ward_store store;
    uint64_t last_fail_ms;   /* as stored */
    uint64_t boot_ms;        /* this power-up's start, on its clock */
    uint64_t ram_fail_ms;    /* the last failure of this power-up */
    bool failed_here;
    /* The outstanding challenge: one answer each. */
    bool challenged;
    uint8_t r2[WARD_SE_R2_LEN];
    uint8_t eph_priv[WARD_P256_SCALAR_LEN];
    uint8_t eph_pub[WARD_P256_POINT_LEN];
    /* The session after a passed check (info.verified). */
    uint8_t ks[32];
    uint32_t ctr_in;         /* the last command counter accepted */
    bool cmd_pending;        /* a command awaits ward_se_elem_reply() */
} ward_se_elem_state;

/* The host's context (ward_se_host). */
typedef struct ward_se_host_state {
    /* The stored binding without its secret, and whether a session is
     * open: what ward_se_host_get_info() hands out. */
    ward_se_host_info info;
    uint8_t expect;          /* the reply type awaited; 0 none */
    /* A binding under way, until BOUND arrives. */
    uint8_t pend_by, pend_variant, pend_f;
    const ward_crypto *cp;
    ward_random rng;
    ward_store store;
    uint8_t pend_cred[WARD_P256_SCALAR_LEN + WARD_P256_POINT_LEN];
    /* The power-up's check and session (info.verified). */
    uint8_t ks[32];
    uint32_t ctr_out;        /* the last command counter sent */
    /* The keystore of the asymmetric variant's key (WARD_KEY_SE):
     * ward_se_host_use_keystore(). NULL: the key is in the binding record. */
    const ward_keystore *keys;
} ward_se_host_state;

/* C99 has no _Static_assert: a negative array size fails the build if
 * WARD_SE_ELEM_CTX_SIZE or WARD_SE_HOST_CTX_SIZE is too small. */
typedef char ward_se_elem_state_fits[sizeof(ward_se_elem_state) <= WARD_SE_ELEM_CTX_SIZE ? 1 : -1];
typedef char ward_se_host_state_fits[sizeof(ward_se_host_state) <= WARD_SE_HOST_CTX_SIZE ? 1 : -1];

static inline ward_se_elem_state *se_est(ward_se_elem *se)
{
    return (ward_se_elem_state *)(void *)se->opaque.bytes;
}

static inline const ward_se_elem_state *se_cest(const ward_se_elem *se)
{
    return (const ward_se_elem_state *)(const void *)se->opaque.bytes;
}

static inline ward_se_host_state *se_hst(ward_se_host *h)
{
    return (ward_se_host_state *)(void *)h->opaque.bytes;
}

static inline const ward_se_host_state *se_chst(const ward_se_host *h)
{
    return (const ward_se_host_state *)(const void *)h->opaque.bytes;
}

/* Direction bytes of the command tags: one key, two directions. */
#define SE_DIR_HOST 0x48u /* 'H' */
#define SE_DIR_SE 0x53u   /* 'S' */

/* The length of f's output (32 or 16); 0 for an unknown f. */
size_t ward_se_f_len(uint8_t f);

/* WARD_OK if the backend has f; WARD_ERR_UNSUPPORTED or WARD_ERR_PARAM. */
ward_err ward_se_f_check(const ward_crypto *cp, uint8_t f);

/* f keyed by R1 over label || 0x00 || parts (at most 4): HMAC-SHA256 and
 * HMAC-SM3 take R1 as the key; the CMACs take the two halves of R1
 * XORed (16 bytes). out receives ward_se_f_len(f) bytes. */
ward_err ward_se_f(const ward_crypto *cp, uint8_t f,
                   const uint8_t r1[WARD_SE_R1_LEN], const char *label,
                   const ward_iov *parts, size_t nparts, uint8_t out[32]);

/* The session key: HKDF-SHA256 with WARD_LABEL_SE_SESSION over ikm (R1,
 * or the ECDH secret of the asymmetric variant), context se_id || R2 ||
 * nonce || eph_pub (eph_pub NULL in the symmetric variant). */
ward_err ward_se_session_key(const ward_crypto *cp, const uint8_t *ikm,
                             size_t ikm_len,
                             const uint8_t se_id[WARD_SE_ID_LEN],
                             const uint8_t r2[WARD_SE_R2_LEN],
                             const uint8_t nonce[WARD_SE_NONCE_LEN],
                             const uint8_t *eph_pub, uint8_t ks[32]);

/* HMAC-SHA256(ks, dir || type || ctr || data), first 16 bytes. */
ward_err ward_se_tag(const ward_crypto *cp, const uint8_t ks[32], uint8_t dir,
                     uint8_t type, uint32_t ctr, const uint8_t *data,
                     size_t len, uint8_t tag[WARD_SE_TAG_LEN]);

/* A CMD or RESP frame: ctr (4) | data | tag over them, encoded into out. */
ward_err ward_se_tagged_frame(const ward_crypto *cp, const uint8_t ks[32],
                              uint8_t dir, uint8_t type, uint32_t ctr,
                              const uint8_t *data, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len);

/* Checks a CMD or RESP payload p: WARD_ERR_FORMAT for a bad length,
 * WARD_ERR_AUTH for a wrong tag; else its counter and where its data is
 * (inside p, *dlen bytes). The counter's freshness is the caller's. */
ward_err ward_se_tagged_check(const ward_crypto *cp, const uint8_t ks[32],
                              uint8_t dir, uint8_t type, const uint8_t *p,
                              size_t len, uint32_t *ctr, size_t *dlen);

/* The message a host signs in the asymmetric variant's answer:
 * se_id || R2 || eph_pub || nonce. */
#define SE_ASYM_SIGNED_LEN                                                   \
    (WARD_SE_ID_LEN + WARD_SE_R2_LEN + WARD_P256_POINT_LEN + WARD_SE_NONCE_LEN)
void ward_se_asym_signed(const uint8_t se_id[WARD_SE_ID_LEN],
                         const uint8_t r2[WARD_SE_R2_LEN],
                         const uint8_t eph_pub[WARD_P256_POINT_LEN],
                         const uint8_t nonce[WARD_SE_NONCE_LEN],
                         uint8_t out[SE_ASYM_SIGNED_LEN]);

/* An ERROR frame: err (1) | wait_ms (4). */
ward_err ward_se_error_frame(ward_err err, uint32_t wait_ms, uint8_t *out,
                             size_t cap, size_t *out_len);

#endif /* WARD_SE_INNER_H */
