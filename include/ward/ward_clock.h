/*
 * ward_clock.h - the clock port.
 *
 * Expiry of tasks, nonces and lock-outs is measured with it. now_ms()
 * answers milliseconds since the Unix epoch. A device without a trusted
 * wall clock may answer a monotonic count instead and say so with
 * trusted = false: flows then only compare times they measured themselves.
 */
#ifndef WARD_CLOCK_H
#define WARD_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "ward_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ward_clock {
    ward_err (*now_ms)(void *ctx, uint64_t *ms);
    void *ctx;
    bool trusted;
} ward_clock;

#ifdef __cplusplus
}
#endif

#endif /* WARD_CLOCK_H */
