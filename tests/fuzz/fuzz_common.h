/* Shared by the flow A harnesses: a deterministic random port and the oracle. */
#ifndef WARD_FUZZ_COMMON_H
#define WARD_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

#endif /* WARD_FUZZ_COMMON_H */
