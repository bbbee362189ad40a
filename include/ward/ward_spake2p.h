/*
 * ward_spake2p.h - SPAKE2+ (RFC 9383), P256-SHA256-HKDF-HMAC.
 *
 * A balanced-looking, augmented PAKE: the prover (the app, who knows the
 * PIN-derived w0 and w1) and the verifier (the device, who keeps w0 and
 * the registration record L = w1*G) agree on a shared key, and each proves
 * it to the other. A guess of the PIN costs one online attempt; the
 * messages reveal nothing an offline attacker can test guesses against.
 *
 * Message flow (1.5 round trips):
 *     prover                                     verifier
 *     prover_start()          -- shareP -->
 *                             <-- shareV, confirmV -- verifier_respond()
 *     prover_finish()         -- confirmP -->        verifier_finish()
 *     (shared key)                                   (shared key)
 *
 * w0 and w1 are reduced scalars (< n). Deriving them from a PIN (a
 * password hash with a salt) is the caller's business; ward_spake2p_w()
 * reduces the 40-byte halves of such a hash as the RFC prescribes.
 *
 * The context holds copies of everything the transcript needs and no
 * pointers, so it may be stored between messages. It starts zeroed
 * (ward_spake2p_wipe() or `= {0}`); a context that is not fresh refuses
 * to start (WARD_ERR_STATE), and so does any call out of order. Wipe it
 * with ward_spake2p_wipe() when done or abandoned; every failure wipes it
 * too, so a failed exchange cannot be continued, only started afresh.
 */
#ifndef WARD_SPAKE2P_H
#define WARD_SPAKE2P_H

#include <stddef.h>
#include <stdint.h>

#include "ward_config.h"
#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_random.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_SPAKE2P_SHARE_LEN WARD_P256_POINT_LEN
#define WARD_SPAKE2P_CONFIRM_LEN 32
#define WARD_SPAKE2P_KEY_LEN 32
#define WARD_SPAKE2P_WS_LEN 40 /* each half of the password hash */

/* Opaque: the exchange's state (role, transcript strings, w0, w1 or L,
 * the ephemeral scalar, both shares, the keys) is the core's
 * (core/crypto/spake2p_inner.h); every byte of it is wiped by
 * ward_spake2p_wipe() and at the end of the exchange. Exactly its size:
 * all of it is bytes, so no padding on any target. */
#define WARD_SPAKE2P_CTX_SIZE                                                \
    (2 + WARD_SPAKE2P_CONTEXT_MAX + 1 + 2 * (WARD_SPAKE2P_ID_MAX + 1) +      \
     WARD_P256_SCALAR_LEN + WARD_P256_POINT_LEN + WARD_P256_SCALAR_LEN +     \
     2 * WARD_SPAKE2P_SHARE_LEN + WARD_SPAKE2P_CONFIRM_LEN + WARD_SPAKE2P_KEY_LEN)
typedef struct ward_spake2p {
    WARD_OPAQUE(WARD_SPAKE2P_CTX_SIZE);
} ward_spake2p;

/* Reduces w0s and w1s (40 bytes each, RFC 9383 section 3.2) mod n. */
WARD_MUST_CHECK
ward_err ward_spake2p_w(const ward_crypto *cp,
                        const uint8_t w0s[WARD_SPAKE2P_WS_LEN],
                        const uint8_t w1s[WARD_SPAKE2P_WS_LEN],
                        uint8_t w0[WARD_P256_SCALAR_LEN],
                        uint8_t w1[WARD_P256_SCALAR_LEN]);

/* The verifier's registration record L = w1*G. */
WARD_MUST_CHECK
ward_err ward_spake2p_register(const ward_crypto *cp,
                               const uint8_t w1[WARD_P256_SCALAR_LEN],
                               uint8_t l[WARD_P256_POINT_LEN]);

WARD_MUST_CHECK
ward_err ward_spake2p_prover_start(ward_spake2p *s, const ward_crypto *cp,
                                   const ward_random *rng,
                                   const uint8_t *context, size_t context_len,
                                   const uint8_t *id_prover, size_t id_prover_len,
                                   const uint8_t *id_verifier, size_t id_verifier_len,
                                   const uint8_t w0[WARD_P256_SCALAR_LEN],
                                   const uint8_t w1[WARD_P256_SCALAR_LEN],
                                   uint8_t share_p[WARD_SPAKE2P_SHARE_LEN]);

WARD_MUST_CHECK
ward_err ward_spake2p_verifier_respond(ward_spake2p *s, const ward_crypto *cp,
                                       const ward_random *rng,
                                       const uint8_t *context, size_t context_len,
                                       const uint8_t *id_prover, size_t id_prover_len,
                                       const uint8_t *id_verifier, size_t id_verifier_len,
                                       const uint8_t w0[WARD_P256_SCALAR_LEN],
                                       const uint8_t l[WARD_P256_POINT_LEN],
                                       const uint8_t share_p[WARD_SPAKE2P_SHARE_LEN],
                                       uint8_t share_v[WARD_SPAKE2P_SHARE_LEN],
                                       uint8_t confirm_v[WARD_SPAKE2P_CONFIRM_LEN]);

/* Checks confirm_v; on success writes confirm_p and the shared key. */
WARD_MUST_CHECK
ward_err ward_spake2p_prover_finish(ward_spake2p *s, const ward_crypto *cp,
                                    const uint8_t share_v[WARD_SPAKE2P_SHARE_LEN],
                                    const uint8_t confirm_v[WARD_SPAKE2P_CONFIRM_LEN],
                                    uint8_t confirm_p[WARD_SPAKE2P_CONFIRM_LEN],
                                    uint8_t key[WARD_SPAKE2P_KEY_LEN]);

/* Checks confirm_p; on success writes the shared key. */
WARD_MUST_CHECK
ward_err ward_spake2p_verifier_finish(ward_spake2p *s, const ward_crypto *cp,
                                      const uint8_t confirm_p[WARD_SPAKE2P_CONFIRM_LEN],
                                      uint8_t key[WARD_SPAKE2P_KEY_LEN]);

/* The verifier's shared key after verifier_respond() and before the
 * prover's confirmation: only a prover who knew the password derives it
 * too, so data sealed under it reaches nobody else, but nothing may be
 * trusted or stored on it until verifier_finish() succeeds. Lets the
 * verifier's first answer carry sealed data (flow D saves a round trip).
 * WARD_ERR_STATE in any other state. */
WARD_MUST_CHECK
ward_err ward_spake2p_verifier_early_key(const ward_spake2p *s,
                                         uint8_t key[WARD_SPAKE2P_KEY_LEN]);

void ward_spake2p_wipe(ward_spake2p *s);

/* The suite's constants M and N (RFC 9383 section 4), uncompressed
 * (WARD_P256_POINT_LEN bytes each), for self-checks and tests. */
const uint8_t *ward_spake2p_m(void);
const uint8_t *ward_spake2p_n(void);

#ifdef __cplusplus
}
#endif

#endif /* WARD_SPAKE2P_H */
