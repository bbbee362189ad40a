/*
 * ward_random.h - the random port.
 *
 * Keys, nonces, codes and PAKE scalars all come from here. A device wires
 * it to its TRNG (or a DRBG seeded by it); the host uses
 * ward_random_posix() (getrandom) from ward_port_posix.h, and each crypto
 * backend offers its own DRBG behind the same shape. Tests plug in a
 * deterministic source to replay published vectors.
 *
 * fill() must return exactly len unpredictable bytes or fail with
 * WARD_ERR_IO; it never returns fewer.
 */
#ifndef WARD_RANDOM_H
#define WARD_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "ward_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ward_random {
    ward_err (*fill)(void *ctx, uint8_t *out, size_t len);
    void *ctx;
} ward_random;

#ifdef __cplusplus
}
#endif

#endif /* WARD_RANDOM_H */
