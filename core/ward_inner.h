/*
 * ward_inner.h - private helpers of the core: constant-time primitives,
 * wiping, and big-endian loads and stores. Not installed.
 *
 * Secrets are compared only with ward_ct_equal(), whose running time
 * depends on the length alone, and wiped with ward_wipe(), which the
 * compiler may not remove as a dead store.
 */
#ifndef WARD_INNER_H
#define WARD_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_config.h"
#include "ward/ward_keystore.h"
#include "ward/ward_suite.h"

/* ward_ct_equal() and ward_wipe() are public: ward/ward_suite.h. */

/* 1 iff the big-endian integers a < b (same length); constant time. */
uint32_t ward_ct_less(const uint8_t *a, const uint8_t *b, size_t len);

/* 1 iff all len bytes are zero; constant time. */
uint32_t ward_ct_is_zero(const uint8_t *a, size_t len);

/* ward_keystore_soft_load() for a key pair the core stored itself (the
 * lock's identity record, the SE host's credential): pub is taken as
 * stored, not derived again, which would double the cost of every
 * signature on a small device. WARD_ERR_FORMAT if priv is not a scalar. */
ward_err ward_keystore_soft_put(ward_keystore_soft *s, ward_key_id id,
                                const uint8_t priv[WARD_P256_SCALAR_LEN],
                                const uint8_t pub[WARD_P256_POINT_LEN]);


static inline uint16_t ward_load16(const uint8_t *p)
{
    return (uint16_t)(((unsigned)p[0] << 8) | p[1]);
}

static inline uint32_t ward_load32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t ward_load64(const uint8_t *p)
{
    return ((uint64_t)ward_load32(p) << 32) | ward_load32(p + 4);
}

static inline void ward_store16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void ward_store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void ward_store64(uint8_t *p, uint64_t v)
{
    ward_store32(p, (uint32_t)(v >> 32));
    ward_store32(p + 4, (uint32_t)v);
}

#define WARD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif /* WARD_INNER_H */
