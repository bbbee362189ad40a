/*
 * spake2p_inner.h - the SPAKE2+ exchange's state behind the opaque
 * ward_spake2p. Private to core/ (and to the unit tests, which check it
 * is wiped).
 */
#ifndef WARD_SPAKE2P_INNER_H
#define WARD_SPAKE2P_INNER_H

#include <stdint.h>

#include "ward/ward_spake2p.h"

typedef struct ward_spake2p_state {
    uint8_t state;   /* where in the flow this context is */
    uint8_t role;
    uint8_t context[WARD_SPAKE2P_CONTEXT_MAX];
    uint8_t context_len;
    uint8_t id_prover[WARD_SPAKE2P_ID_MAX];
    uint8_t id_prover_len;
    uint8_t id_verifier[WARD_SPAKE2P_ID_MAX];
    uint8_t id_verifier_len;
    uint8_t w0[WARD_P256_SCALAR_LEN];
    uint8_t w1_or_l[WARD_P256_POINT_LEN]; /* prover: w1; verifier: L */
    uint8_t eph[WARD_P256_SCALAR_LEN];    /* x or y */
    uint8_t share_p[WARD_SPAKE2P_SHARE_LEN];
    uint8_t share_v[WARD_SPAKE2P_SHARE_LEN];
    uint8_t confirm_key[WARD_SPAKE2P_CONFIRM_LEN]; /* the peer's, to check */
    uint8_t shared_key[WARD_SPAKE2P_KEY_LEN];
} ward_spake2p_state;

/* C99 has no _Static_assert: a negative array size fails the build if the
 * state outgrows WARD_SPAKE2P_CTX_SIZE. */
typedef char ward_spake2p_state_fits[sizeof(ward_spake2p_state) <= WARD_SPAKE2P_CTX_SIZE ? 1 : -1];

static inline ward_spake2p_state *ward_spake2p_state_of(ward_spake2p *s)
{
    return (ward_spake2p_state *)(void *)s->opaque.bytes;
}

static inline const ward_spake2p_state *ward_spake2p_cstate_of(const ward_spake2p *s)
{
    return (const ward_spake2p_state *)(const void *)s->opaque.bytes;
}

#endif /* WARD_SPAKE2P_INNER_H */
