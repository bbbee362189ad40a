/* SPAKE2+ (RFC 9383), P256-SHA256-HKDF-HMAC: both roles' state machines. */
#include <string.h>

#include "ward/ward_spake2p.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "spake2p_inner.h"
#include "suite_inner.h"

#if WARD_SPAKE2P_CONTEXT_MAX > 255 || WARD_SPAKE2P_ID_MAX > 255
#error "SPAKE2+ context and identity lengths are kept in one byte"
#endif

/* Not 1, 2, 3: a context that was never zeroed is unlikely to hold one of
 * these by accident, and zero (wiped) is the only state that may start. */
enum {
    ST_IDLE = 0x00,
    ST_PROVER_SENT = 0x5a,     /* shareP out, waiting for shareV, confirmV */
    ST_VERIFIER_SENT = 0xa5,   /* shareV, confirmV out, waiting for confirmP */
    ST_DONE = 0xc3             /* key delivered; secrets gone */
};

enum { ROLE_PROVER = 1, ROLE_VERIFIER = 2 };

#define CONFIRM_KEYS_LEN (2 * WARD_SPAKE2P_CONFIRM_LEN)

/* RFC 9383 section 4 gives M and N for P-256 compressed (02886e2f...,
 * 03d8bbd6...); the port takes uncompressed points, so here they are with
 * their y recomputed from the curve equation (even y for M, odd for N).
 * tests/unit/test_spake2p.c checks both are on the curve. */
static const uint8_t spake_m[WARD_P256_POINT_LEN] = {
    0x04,
    0x88, 0x6e, 0x2f, 0x97, 0xac, 0xe4, 0x6e, 0x55, 0xba, 0x9d, 0xd7, 0x24,
    0x25, 0x79, 0xf2, 0x99, 0x3b, 0x64, 0xe1, 0x6e, 0xf3, 0xdc, 0xab, 0x95,
    0xaf, 0xd4, 0x97, 0x33, 0x3d, 0x8f, 0xa1, 0x2f,
    0x5f, 0xf3, 0x55, 0x16, 0x3e, 0x43, 0xce, 0x22, 0x4e, 0x0b, 0x0e, 0x65,
    0xff, 0x02, 0xac, 0x8e, 0x5c, 0x7b, 0xe0, 0x94, 0x19, 0xc7, 0x85, 0xe0,
    0xca, 0x54, 0x7d, 0x55, 0xa1, 0x2e, 0x2d, 0x20
};

static const uint8_t spake_n[WARD_P256_POINT_LEN] = {
    0x04,
    0xd8, 0xbb, 0xd6, 0xc6, 0x39, 0xc6, 0x29, 0x37, 0xb0, 0x4d, 0x99, 0x7f,
    0x38, 0xc3, 0x77, 0x07, 0x19, 0xc6, 0x29, 0xd7, 0x01, 0x4d, 0x49, 0xa2,
    0x4b, 0x4f, 0x98, 0xba, 0xa1, 0x29, 0x2b, 0x49,
    0x07, 0xd6, 0x0a, 0xa6, 0xbf, 0xad, 0xe4, 0x50, 0x08, 0xa6, 0x36, 0x33,
    0x7f, 0x51, 0x68, 0xc6, 0x4d, 0x9b, 0xd3, 0x60, 0x34, 0x80, 0x8c, 0xd5,
    0x64, 0x49, 0x0b, 0x1e, 0x65, 0x6e, 0xdb, 0xe7
};

static const uint8_t scalar_one[WARD_P256_SCALAR_LEN] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
};

static const uint8_t info_confirm[] = "ConfirmationKeys";
static const uint8_t info_shared[] = "SharedKey";

const uint8_t *ward_spake2p_m(void)
{
    return spake_m;
}

const uint8_t *ward_spake2p_n(void)
{
    return spake_n;
}

void ward_spake2p_wipe(ward_spake2p *s)
{
    WARD_ASSERT(s != NULL);
    ward_wipe(s, sizeof(*s));
}

ward_err ward_spake2p_w(const ward_crypto *cp,
                        const uint8_t w0s[WARD_SPAKE2P_WS_LEN],
                        const uint8_t w1s[WARD_SPAKE2P_WS_LEN],
                        uint8_t w0[WARD_P256_SCALAR_LEN],
                        uint8_t w1[WARD_P256_SCALAR_LEN])
{
    ward_err err;

    WARD_ASSERT(cp != NULL && w0s != NULL && w1s != NULL);
    WARD_ASSERT(w0 != NULL && w1 != NULL);

    /* 40 bytes, 64 more bits than n: the reduction's bias is < 2^-64. */
    err = cp->p256_scalar_reduce(w0s, WARD_SPAKE2P_WS_LEN, w0);
    if (err == WARD_OK) {
        err = cp->p256_scalar_reduce(w1s, WARD_SPAKE2P_WS_LEN, w1);
    }
    if (err != WARD_OK) {
        ward_wipe(w0, WARD_P256_SCALAR_LEN);
        ward_wipe(w1, WARD_P256_SCALAR_LEN);
    }
    return err;
}

ward_err ward_spake2p_register(const ward_crypto *cp,
                               const uint8_t w1[WARD_P256_SCALAR_LEN],
                               uint8_t l[WARD_P256_POINT_LEN])
{
    WARD_ASSERT(cp != NULL && w1 != NULL && l != NULL);
    return ward_p256_public(cp, w1, l);
}

static void store_le64(uint8_t out[8], size_t v)
{
    uint64_t x = (uint64_t)v;
    for (unsigned i = 0; i < 8; i++) {
        out[i] = (uint8_t)(x >> (8 * i));
    }
}

/*
 * TT = len(x) || x for Context, idProver, idVerifier, M, N, shareP,
 * shareV, Z, V, w0 (lengths 8 bytes little-endian), hashed in place
 * from the pieces; then the key schedule of RFC 9383 section 3.4.
 */
static ward_err key_schedule(const ward_spake2p *s, const ward_crypto *cp,
                             const uint8_t z[WARD_P256_POINT_LEN],
                             const uint8_t v[WARD_P256_POINT_LEN],
                             uint8_t confirm_keys[CONFIRM_KEYS_LEN],
                             uint8_t shared[WARD_SPAKE2P_KEY_LEN])
{
    const ward_spake2p_state *S = ward_spake2p_cstate_of(s);
    uint8_t lens[10][8];
    ward_iov parts[20];
    uint8_t k_main[WARD_SHA256_LEN];
    const ward_iov items[10] = {
        { S->context, S->context_len },
        { S->id_prover, S->id_prover_len },
        { S->id_verifier, S->id_verifier_len },
        { spake_m, WARD_P256_POINT_LEN },
        { spake_n, WARD_P256_POINT_LEN },
        { S->share_p, WARD_SPAKE2P_SHARE_LEN },
        { S->share_v, WARD_SPAKE2P_SHARE_LEN },
        { z, WARD_P256_POINT_LEN },
        { v, WARD_P256_POINT_LEN },
        { S->w0, WARD_P256_SCALAR_LEN }
    };
    ward_err err;

    for (size_t i = 0; i < WARD_ARRAY_LEN(items); i++) {
        store_le64(lens[i], items[i].len);
        parts[2 * i].ptr = lens[i];
        parts[2 * i].len = sizeof(lens[i]);
        parts[2 * i + 1] = items[i];
    }
    err = cp->sha256(parts, WARD_ARRAY_LEN(parts), k_main);
    if (err == WARD_OK) {
        err = cp->hkdf_sha256(NULL, 0, k_main, sizeof(k_main),
                              info_confirm, sizeof(info_confirm) - 1,
                              confirm_keys, CONFIRM_KEYS_LEN);
    }
    if (err == WARD_OK) {
        err = cp->hkdf_sha256(NULL, 0, k_main, sizeof(k_main),
                              info_shared, sizeof(info_shared) - 1,
                              shared, WARD_SPAKE2P_KEY_LEN);
    }
    ward_wipe(k_main, sizeof(k_main));
    if (err != WARD_OK) {
        ward_wipe(confirm_keys, CONFIRM_KEYS_LEN);
        ward_wipe(shared, WARD_SPAKE2P_KEY_LEN);
    }
    return err;
}

static ward_err mac(const ward_crypto *cp, const uint8_t key[WARD_SPAKE2P_CONFIRM_LEN],
                    const uint8_t share[WARD_SPAKE2P_SHARE_LEN],
                    uint8_t out[WARD_SPAKE2P_CONFIRM_LEN])
{
    ward_iov part = { share, WARD_SPAKE2P_SHARE_LEN };
    return cp->hmac_sha256(key, WARD_SPAKE2P_CONFIRM_LEN, &part, 1, out);
}

/* t = share - w0*mask, the peer's ephemeral public point once the
 * password's mask is taken off. A share that cancels the mask exactly
 * gives infinity, which the port refuses (WARD_ERR_FORMAT). */
static ward_err unmask(const ward_crypto *cp, const uint8_t w0[WARD_P256_SCALAR_LEN],
                       const uint8_t share[WARD_P256_POINT_LEN],
                       const uint8_t mask[WARD_P256_POINT_LEN],
                       uint8_t t[WARD_P256_POINT_LEN])
{
    uint8_t neg_w0[WARD_P256_SCALAR_LEN];
    ward_err err = cp->p256_scalar_neg(w0, neg_w0);
    if (err == WARD_OK) {
        err = cp->p256_muladd(scalar_one, share, neg_w0, mask, t);
    }
    ward_wipe(neg_w0, sizeof(neg_w0));
    return err;
}

/* Shared checks and copies of both starts. */
static ward_err setup(ward_spake2p *s, uint8_t role,
                      const uint8_t *context, size_t context_len,
                      const uint8_t *id_prover, size_t id_prover_len,
                      const uint8_t *id_verifier, size_t id_verifier_len,
                      const uint8_t w0[WARD_P256_SCALAR_LEN])
{
    ward_spake2p_state *S = ward_spake2p_state_of(s);
    if (S->state != ST_IDLE) {
        return WARD_ERR_STATE;
    }
    if (context_len > WARD_SPAKE2P_CONTEXT_MAX || id_prover_len > WARD_SPAKE2P_ID_MAX ||
        id_verifier_len > WARD_SPAKE2P_ID_MAX) {
        return WARD_ERR_PARAM;
    }
    /* A zero w0 would leave the share unmasked. */
    if (ward_p256_scalar_ok(w0) != 1u) {
        return WARD_ERR_FORMAT;
    }
    ward_wipe(s, sizeof(*s));
    S->role = role;
    if (context_len > 0) {
        memcpy(S->context, context, context_len);
    }
    S->context_len = (uint8_t)context_len;
    if (id_prover_len > 0) {
        memcpy(S->id_prover, id_prover, id_prover_len);
    }
    S->id_prover_len = (uint8_t)id_prover_len;
    if (id_verifier_len > 0) {
        memcpy(S->id_verifier, id_verifier, id_verifier_len);
    }
    S->id_verifier_len = (uint8_t)id_verifier_len;
    memcpy(S->w0, w0, WARD_P256_SCALAR_LEN);
    return WARD_OK;
}

/* Everything secret goes; only the state stays, so a late call is
 * refused with WARD_ERR_STATE rather than starting over. */
static void finish(ward_spake2p *s)
{
    ward_spake2p_state *S = ward_spake2p_state_of(s);
    ward_wipe(s, sizeof(*s));
    S->state = ST_DONE;
}

ward_err ward_spake2p_prover_start(ward_spake2p *s, const ward_crypto *cp,
                                   const ward_random *rng,
                                   const uint8_t *context, size_t context_len,
                                   const uint8_t *id_prover, size_t id_prover_len,
                                   const uint8_t *id_verifier, size_t id_verifier_len,
                                   const uint8_t w0[WARD_P256_SCALAR_LEN],
                                   const uint8_t w1[WARD_P256_SCALAR_LEN],
                                   uint8_t share_p[WARD_SPAKE2P_SHARE_LEN])
{
    ward_spake2p_state *S = ward_spake2p_state_of(s);
    ward_err err;

    WARD_ASSERT(s != NULL && cp != NULL && rng != NULL);
    WARD_ASSERT(context != NULL || context_len == 0);
    WARD_ASSERT(id_prover != NULL || id_prover_len == 0);
    WARD_ASSERT(id_verifier != NULL || id_verifier_len == 0);
    WARD_ASSERT(w0 != NULL && w1 != NULL && share_p != NULL);

    err = setup(s, ROLE_PROVER, context, context_len, id_prover, id_prover_len,
                id_verifier, id_verifier_len, w0);
    if (err == WARD_OK && ward_p256_scalar_ok(w1) != 1u) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        memcpy(S->w1_or_l, w1, WARD_P256_SCALAR_LEN);
        err = ward_p256_scalar_random(cp, rng, S->eph);
    }
    if (err == WARD_OK) {
        /* X = x*G + w0*M */
        err = cp->p256_muladd(S->eph, NULL, S->w0, spake_m, S->share_p);
    }
    if (err != WARD_OK) {
        ward_spake2p_wipe(s);
        ward_wipe(share_p, WARD_SPAKE2P_SHARE_LEN);
        return err;
    }
    memcpy(share_p, S->share_p, WARD_SPAKE2P_SHARE_LEN);
    S->state = ST_PROVER_SENT;
    return WARD_OK;
}

ward_err ward_spake2p_verifier_respond(ward_spake2p *s, const ward_crypto *cp,
                                       const ward_random *rng,
                                       const uint8_t *context, size_t context_len,
                                       const uint8_t *id_prover, size_t id_prover_len,
                                       const uint8_t *id_verifier, size_t id_verifier_len,
                                       const uint8_t w0[WARD_P256_SCALAR_LEN],
                                       const uint8_t l[WARD_P256_POINT_LEN],
                                       const uint8_t share_p[WARD_SPAKE2P_SHARE_LEN],
                                       uint8_t share_v[WARD_SPAKE2P_SHARE_LEN],
                                       uint8_t confirm_v[WARD_SPAKE2P_CONFIRM_LEN])
{
    ward_spake2p_state *S = ward_spake2p_state_of(s);
    uint8_t t[WARD_P256_POINT_LEN];
    uint8_t z[WARD_P256_POINT_LEN];
    uint8_t v[WARD_P256_POINT_LEN];
    uint8_t confirm_keys[CONFIRM_KEYS_LEN];
    ward_err err;

    WARD_ASSERT(s != NULL && cp != NULL && rng != NULL);
    WARD_ASSERT(context != NULL || context_len == 0);
    WARD_ASSERT(id_prover != NULL || id_prover_len == 0);
    WARD_ASSERT(id_verifier != NULL || id_verifier_len == 0);
    WARD_ASSERT(w0 != NULL && l != NULL && share_p != NULL);
    WARD_ASSERT(share_v != NULL && confirm_v != NULL);

    memset(t, 0, sizeof(t));
    memset(z, 0, sizeof(z));
    memset(v, 0, sizeof(v));
    memset(confirm_keys, 0, sizeof(confirm_keys));

    err = setup(s, ROLE_VERIFIER, context, context_len, id_prover, id_prover_len,
                id_verifier, id_verifier_len, w0);
    /* With h = 1, on the curve and not infinity is all a share needs;
     * the uncompressed encoding cannot even express infinity. */
    if (err == WARD_OK) {
        err = cp->p256_point_check(l);
    }
    if (err == WARD_OK) {
        err = cp->p256_point_check(share_p);
    }
    if (err == WARD_OK) {
        memcpy(S->w1_or_l, l, WARD_P256_POINT_LEN);
        memcpy(S->share_p, share_p, WARD_SPAKE2P_SHARE_LEN);
        err = ward_p256_scalar_random(cp, rng, S->eph);
    }
    if (err == WARD_OK) {
        /* Y = y*G + w0*N */
        err = cp->p256_muladd(S->eph, NULL, S->w0, spake_n, S->share_v);
    }
    if (err == WARD_OK) {
        err = unmask(cp, S->w0, S->share_p, spake_m, t);
    }
    if (err == WARD_OK) {
        /* Z = y*(X - w0*M), V = y*L */
        err = cp->p256_muladd(S->eph, t, NULL, NULL, z);
    }
    if (err == WARD_OK) {
        err = cp->p256_muladd(S->eph, S->w1_or_l, NULL, NULL, v);
    }
    if (err == WARD_OK) {
        err = key_schedule(s, cp, z, v, confirm_keys, S->shared_key);
    }
    if (err == WARD_OK) {
        /* confirmV = MAC(K_confirmV, shareP) */
        err = mac(cp, confirm_keys + WARD_SPAKE2P_CONFIRM_LEN, S->share_p, confirm_v);
    }
    ward_wipe(t, sizeof(t));
    ward_wipe(z, sizeof(z));
    ward_wipe(v, sizeof(v));
    if (err != WARD_OK) {
        ward_wipe(confirm_keys, sizeof(confirm_keys));
        ward_spake2p_wipe(s);
        ward_wipe(share_v, WARD_SPAKE2P_SHARE_LEN);
        ward_wipe(confirm_v, WARD_SPAKE2P_CONFIRM_LEN);
        return err;
    }
    /* Keep only what verifier_finish() needs: K_confirmP, the key and
     * shareV; y, w0 and L have done their work. */
    memcpy(S->confirm_key, confirm_keys, WARD_SPAKE2P_CONFIRM_LEN);
    ward_wipe(confirm_keys, sizeof(confirm_keys));
    ward_wipe(S->eph, sizeof(S->eph));
    ward_wipe(S->w0, sizeof(S->w0));
    ward_wipe(S->w1_or_l, sizeof(S->w1_or_l));
    memcpy(share_v, S->share_v, WARD_SPAKE2P_SHARE_LEN);
    S->state = ST_VERIFIER_SENT;
    return WARD_OK;
}

ward_err ward_spake2p_prover_finish(ward_spake2p *s, const ward_crypto *cp,
                                    const uint8_t share_v[WARD_SPAKE2P_SHARE_LEN],
                                    const uint8_t confirm_v[WARD_SPAKE2P_CONFIRM_LEN],
                                    uint8_t confirm_p[WARD_SPAKE2P_CONFIRM_LEN],
                                    uint8_t key[WARD_SPAKE2P_KEY_LEN])
{
    ward_spake2p_state *S = ward_spake2p_state_of(s);
    uint8_t t[WARD_P256_POINT_LEN];
    uint8_t z[WARD_P256_POINT_LEN];
    uint8_t v[WARD_P256_POINT_LEN];
    uint8_t confirm_keys[CONFIRM_KEYS_LEN];
    uint8_t expect[WARD_SPAKE2P_CONFIRM_LEN];
    ward_err err = WARD_OK;

    WARD_ASSERT(s != NULL && cp != NULL && share_v != NULL && confirm_v != NULL);
    WARD_ASSERT(confirm_p != NULL && key != NULL);

    memset(t, 0, sizeof(t));
    memset(z, 0, sizeof(z));
    memset(v, 0, sizeof(v));
    memset(confirm_keys, 0, sizeof(confirm_keys));
    memset(expect, 0, sizeof(expect));

    if (S->state != ST_PROVER_SENT || S->role != ROLE_PROVER) {
        err = WARD_ERR_STATE;
    }
    if (err == WARD_OK) {
        err = cp->p256_point_check(share_v);
    }
    if (err == WARD_OK) {
        memcpy(S->share_v, share_v, WARD_SPAKE2P_SHARE_LEN);
        err = unmask(cp, S->w0, S->share_v, spake_n, t);
    }
    if (err == WARD_OK) {
        /* Z = x*(Y - w0*N), V = w1*(Y - w0*N) */
        err = cp->p256_muladd(S->eph, t, NULL, NULL, z);
    }
    if (err == WARD_OK) {
        err = cp->p256_muladd(S->w1_or_l, t, NULL, NULL, v);
    }
    if (err == WARD_OK) {
        err = key_schedule(s, cp, z, v, confirm_keys, S->shared_key);
    }
    if (err == WARD_OK) {
        /* confirmV = MAC(K_confirmV, shareP): the verifier knew w0 and L. */
        err = mac(cp, confirm_keys + WARD_SPAKE2P_CONFIRM_LEN, S->share_p, expect);
    }
    if (err == WARD_OK && !ward_ct_equal(expect, confirm_v, sizeof(expect))) {
        err = WARD_ERR_AUTH;
    }
    if (err == WARD_OK) {
        /* confirmP = MAC(K_confirmP, shareV), sent only once we know the
         * verifier is genuine. */
        err = mac(cp, confirm_keys, S->share_v, confirm_p);
    }
    ward_wipe(t, sizeof(t));
    ward_wipe(z, sizeof(z));
    ward_wipe(v, sizeof(v));
    ward_wipe(confirm_keys, sizeof(confirm_keys));
    ward_wipe(expect, sizeof(expect));
    if (err != WARD_OK) {
        ward_spake2p_wipe(s);
        ward_wipe(confirm_p, WARD_SPAKE2P_CONFIRM_LEN);
        ward_wipe(key, WARD_SPAKE2P_KEY_LEN);
        return err;
    }
    memcpy(key, S->shared_key, WARD_SPAKE2P_KEY_LEN);
    finish(s);
    return WARD_OK;
}

ward_err ward_spake2p_verifier_finish(ward_spake2p *s, const ward_crypto *cp,
                                      const uint8_t confirm_p[WARD_SPAKE2P_CONFIRM_LEN],
                                      uint8_t key[WARD_SPAKE2P_KEY_LEN])
{
    ward_spake2p_state *S = ward_spake2p_state_of(s);
    uint8_t expect[WARD_SPAKE2P_CONFIRM_LEN];
    ward_err err = WARD_OK;

    WARD_ASSERT(s != NULL && cp != NULL && confirm_p != NULL && key != NULL);

    memset(expect, 0, sizeof(expect));
    if (S->state != ST_VERIFIER_SENT || S->role != ROLE_VERIFIER) {
        err = WARD_ERR_STATE;
    }
    if (err == WARD_OK) {
        /* confirmP = MAC(K_confirmP, shareV): the prover knew w0 and w1. */
        err = mac(cp, S->confirm_key, S->share_v, expect);
    }
    if (err == WARD_OK && !ward_ct_equal(expect, confirm_p, sizeof(expect))) {
        err = WARD_ERR_AUTH;
    }
    ward_wipe(expect, sizeof(expect));
    if (err != WARD_OK) {
        ward_spake2p_wipe(s);
        ward_wipe(key, WARD_SPAKE2P_KEY_LEN);
        return err;
    }
    memcpy(key, S->shared_key, WARD_SPAKE2P_KEY_LEN);
    finish(s);
    return WARD_OK;
}

ward_err ward_spake2p_verifier_early_key(const ward_spake2p *s,
                                         uint8_t key[WARD_SPAKE2P_KEY_LEN])
{
    WARD_ASSERT(s != NULL && key != NULL);
    const ward_spake2p_state *S = ward_spake2p_cstate_of(s);
    if (S->state != ST_VERIFIER_SENT || S->role != ROLE_VERIFIER) {
        ward_wipe(key, WARD_SPAKE2P_KEY_LEN);
        return WARD_ERR_STATE;
    }
    memcpy(key, S->shared_key, WARD_SPAKE2P_KEY_LEN);
    return WARD_OK;
}
