/* Shared by the harnesses and the corpus generators: a deterministic random port, the oracle,
 * a fixed key in a software keystore. */
#ifndef WARD_FUZZ_COMMON_H
#define WARD_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_keystore.h"
#include "ward/ward_random.h"

/* An oracle failure is a finding: crash so libFuzzer keeps the input. */
#define CHECK(c) do { if (!(c)) { abort(); } } while (0)

/* A counter, not a secret: harnesses need runs to repeat exactly. */
static ward_err fuzz_fill(void *ctx, uint8_t *out, size_t len)
{
    uint32_t *s = ctx;
    for (size_t i = 0; i < len; i++) {
        *s = *s * 1103515245u + 12345u;
        out[i] = (uint8_t)(*s >> 16);
    }
    return WARD_OK;
}

static inline ward_random fuzz_rng(uint32_t *state)
{
    ward_random r = { fuzz_fill, state };
    return r;
}

/* A fixture's fixed key: a software keystore (rng NULL where it makes no
 * key) holding priv under id, its public point into pub (NULL: not
 * wanted). */
static inline void fuzz_soft_key(const ward_crypto *cp, const ward_random *rng,
                                 ward_keystore_soft *soft, ward_keystore *ks, ward_key_id id,
                                 const uint8_t priv[WARD_P256_SCALAR_LEN],
                                 uint8_t pub[WARD_P256_POINT_LEN])
{
    ward_keystore_soft_init(soft, cp, rng, ks);
    CHECK(ward_keystore_soft_load(soft, id, priv) == WARD_OK);
    if (pub != NULL) {
        CHECK(ks->public_key(ks->ctx, id, pub) == WARD_OK);
    }
}

#endif /* WARD_FUZZ_COMMON_H */
