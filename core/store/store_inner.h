/*
 * store_inner.h - the record store's state behind the opaque ward_store.
 * Private to core/ (and to the store's unit tests, which look at it).
 */
#ifndef WARD_STORE_INNER_H
#define WARD_STORE_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_store.h"

typedef struct ward_store_state {
    ward_store_port port;   /* a copy of the caller's */
    size_t bank_size;
    uint32_t seq;           /* of the active bank; 0 = never written */
    uint8_t active;         /* 0 or 1 */
    bool valid;             /* the active bank holds an image */
    uint32_t used;          /* bytes of records in the active bank */
} ward_store_state;

/* C99 has no _Static_assert: a negative array size fails the build if the
 * state outgrows WARD_STORE_CTX_SIZE. The union's members align it for
 * every field here (pointers, size_t, uint32_t). */
typedef char ward_store_state_fits[sizeof(ward_store_state) <= WARD_STORE_CTX_SIZE ? 1 : -1];

static inline ward_store_state *ward_store_state_of(ward_store *st)
{
    return (ward_store_state *)(void *)st->opaque.bytes;
}

static inline const ward_store_state *ward_store_cstate_of(const ward_store *st)
{
    return (const ward_store_state *)(const void *)st->opaque.bytes;
}

#endif /* WARD_STORE_INNER_H */
