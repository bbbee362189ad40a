/*
 * lock_inner.h - the lock's state behind the opaque ward_lock.
 * Private to core/ (and to unit tests and fuzz harnesses that look at it).
 */
#ifndef WARD_LOCK_INNER_H
#define WARD_LOCK_INNER_H

#include "ward/ward_lock.h"

typedef struct ward_lock_state {
    const ward_crypto *cp;  /* a static const table */
    ward_random rng;        /* copies of the caller's ports */
    ward_clock clock;
    ward_store store;
    /* Where the identity key lives when its record holds none:
     * ward_lock_use_keystore(). NULL: in the identity record (software). */
    const ward_keystore *ks;
    ward_key_id ks_id;      /* the identity key's id in ks */
} ward_lock_state;

/* C99 has no _Static_assert: a negative array size fails the build if the
 * state outgrows WARD_LOCK_CTX_SIZE. */
typedef char ward_lock_state_fits[sizeof(ward_lock_state) <= WARD_LOCK_CTX_SIZE ? 1 : -1];

static inline ward_lock_state *lock_st(ward_lock *lock)
{
    return (ward_lock_state *)(void *)lock->opaque.bytes;
}

static inline const ward_lock_state *lock_cst(const ward_lock *lock)
{
    return (const ward_lock_state *)(const void *)lock->opaque.bytes;
}

#endif /* WARD_LOCK_INNER_H */
