/*
 * time_inner.h - the secure time context's insides (ward_time.h), for
 * the core's two files of it and for tests. Not installed.
 */
#ifndef WARD_TIME_INNER_H
#define WARD_TIME_INNER_H

#include <stdbool.h>
#include <stdint.h>

#include "ward/ward_records.h"
#include "ward/ward_time.h"

typedef struct time_ctx {
    const ward_crypto *cp;
    uint8_t n, k;
    uint8_t keys[WARD_TIME_KEYS_MAX][WARD_P256_POINT_LEN];
    uint8_t ids[WARD_TIME_KEYS_MAX][WARD_TIME_KEY_ID_LEN];
    uint64_t floor_ms;
    /* The sync under way: its nonce, the local count it began at, and per
     * key the offset interval (true - local) its answer allows. */
    bool pending;
    uint8_t nonce[WARD_TIME_NONCE_LEN];
    uint64_t begun_local;
    bool got[WARD_TIME_KEYS_MAX];
    int64_t lo[WARD_TIME_KEYS_MAX];
    int64_t hi[WARD_TIME_KEYS_MAX];
    /* The last sync's result: true - local lies in [off_lo, off_hi] at
     * local count synced_local, widened by the drift since. */
    bool synced;
    uint64_t synced_local;
    int64_t off_lo, off_hi;
} time_ctx;

/* C99 has no _Static_assert: a negative array size fails the build. */
typedef char time_ctx_fits[sizeof(time_ctx) <= WARD_TIME_CTX_SIZE ? 1 : -1];
typedef char time_rec_in_range[WARD_TIME_REC_FLOOR >= WARD_REC_TIME_FIRST &&
                               WARD_TIME_REC_FLOOR <= WARD_REC_TIME_LAST ? 1 : -1];

#define TIME_LABEL WARD_LABEL_TIME

#endif /* WARD_TIME_INNER_H */
