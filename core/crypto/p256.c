/* P-256 scalars and keys: random scalars, key pairs, public points. */
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "suite_inner.h"

/* Rejection sampling fails with probability about 2^-32 per draw, so
 * running out of attempts means the random port is broken, not unlucky. */
#define SCALAR_ATTEMPTS 64

/* The order n of the P-256 group (FIPS 186-4, D.1.2.3), big-endian. */
static const uint8_t p256_n[WARD_P256_SCALAR_LEN] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
    0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};

uint32_t ward_p256_scalar_ok(const uint8_t s[WARD_P256_SCALAR_LEN])
{
    return ward_ct_less(s, p256_n, WARD_P256_SCALAR_LEN) &
           (ward_ct_is_zero(s, WARD_P256_SCALAR_LEN) ^ 1u);
}

ward_err ward_p256_scalar_random(const ward_crypto *cp, const ward_random *rng,
                                 uint8_t out[WARD_P256_SCALAR_LEN])
{
    WARD_ASSERT(cp != NULL && rng != NULL && rng->fill != NULL && out != NULL);

    /* Exactly 32 bytes per attempt, candidates taken whole (no reduction,
     * which would bias the result): a replayed source reproduces the
     * published vectors' x and y. Branching on the verdict leaks only
     * that a candidate was thrown away, and it is wiped. */
    for (unsigned attempt = 0; attempt < SCALAR_ATTEMPTS; attempt++) {
        ward_err err = rng->fill(rng->ctx, out, WARD_P256_SCALAR_LEN);
        if (err != WARD_OK) {
            ward_wipe(out, WARD_P256_SCALAR_LEN);
            return err;
        }
        if (ward_p256_scalar_ok(out) == 1u) {
            return WARD_OK;
        }
        ward_wipe(out, WARD_P256_SCALAR_LEN);
    }
    return WARD_ERR_CRYPTO;
}

ward_err ward_p256_public(const ward_crypto *cp,
                          const uint8_t priv[WARD_P256_SCALAR_LEN],
                          uint8_t pub[WARD_P256_POINT_LEN])
{
    WARD_ASSERT(cp != NULL && priv != NULL && pub != NULL);

    if (ward_p256_scalar_ok(priv) != 1u) {
        return WARD_ERR_FORMAT;
    }
    return cp->p256_muladd(priv, NULL, NULL, NULL, pub);
}

ward_err ward_p256_keygen(const ward_crypto *cp, const ward_random *rng,
                          uint8_t priv[WARD_P256_SCALAR_LEN],
                          uint8_t pub[WARD_P256_POINT_LEN])
{
    ward_err err;

    WARD_ASSERT(cp != NULL && rng != NULL && priv != NULL && pub != NULL);

    err = ward_p256_scalar_random(cp, rng, priv);
    if (err == WARD_OK) {
        err = ward_p256_public(cp, priv, pub);
    }
    if (err != WARD_OK) {
        ward_wipe(priv, WARD_P256_SCALAR_LEN);
    }
    return err;
}
