/* Shared by fuzz_time.c and gen_corpus_time.c: two fixed time server keys and the device
 * context that trusts them, with the nonce its fixed random stream draws. */
#ifndef WARD_FUZZ_TIME_H
#define WARD_FUZZ_TIME_H

#include <string.h>

#include "ward/ward_keystore.h"
#include "ward/ward_time.h"
#include "fuzz_common.h"

/* Any scalar below the order will do; these are fixed so seeds verify. */
static const uint8_t TIME_PRIV[2][WARD_P256_SCALAR_LEN] = {
    { 0x1f, 0x5e, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10 },
    { 0x2a, 0x71, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8, 0x09,
      0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x01 },
};
#define TIME_FUZZ_SEED 7u
#define TIME_FUZZ_BUILD_MS 1700000000000ull

typedef struct time_fix {
    ward_keystore_soft soft[2];
    ward_keystore ks[2];
    uint8_t keys[2][WARD_P256_POINT_LEN];
    ward_time t;                             /* a sync begun, nothing added */
    uint8_t nonce[WARD_TIME_NONCE_LEN];
} time_fix;

static inline void time_fix_make(const ward_crypto *cp, time_fix *f)
{
    uint32_t seed = TIME_FUZZ_SEED;
    ward_random rng = fuzz_rng(&seed);
    for (int i = 0; i < 2; i++) {
        fuzz_soft_key(cp, NULL, &f->soft[i], &f->ks[i], WARD_KEY_TIME, TIME_PRIV[i], f->keys[i]);
    }
    CHECK(ward_time_init(&f->t, cp, NULL, (const uint8_t(*)[WARD_P256_POINT_LEN])f->keys, 2, 2,
                         TIME_FUZZ_BUILD_MS) == WARD_OK);
    CHECK(ward_time_begin(&f->t, &rng, 1000, f->nonce) == WARD_OK);
}

#endif /* WARD_FUZZ_TIME_H */
