/*
 * ward_store.h - the power-safe record store.
 *
 * Bindings, keys, counters and lock-out state live here as records: a
 * 16-bit key and up to WARD_RECORD_MAX bytes of value. An update of any
 * number of records is atomic: after a power cut at any byte of any write,
 * ward_store_open() finds either the state before the update or the state
 * after it, never a mix and never nothing.
 *
 * How: the port's region is split into two banks. Each bank holds a
 * complete image (header with a sequence number and checksums, then the
 * records). An update writes the new image into the other bank and writes
 * that bank's header last, after a sync; open() takes the valid bank with
 * the higher sequence number. docs/protocol.md ("Record store layout")
 * gives the bytes.
 *
 * Call sequence:
 *     ward_store st;
 *     ward_store_open(&st, &port);              // once per power-up
 *     ward_store_get(&st, KEY, buf, sizeof buf, &len);
 *     ward_record_change ch[2] = { { KEY_A, a, a_len, false },
 *                                  { KEY_B, NULL, 0, true } };  // delete
 *     ward_store_update(&st, ch, 2);
 *
 * The store holds a copy of the port and no pointers into the caller's
 * memory, and needs no buffer from the caller: it streams records between
 * banks through a small stack buffer. Keys 0xFF00..0xFFFF are reserved.
 */
#ifndef WARD_STORE_H
#define WARD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_config.h"
#include "ward_err.h"
#include "ward_store_port.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_STORE_KEY_RESERVED 0xFF00u
/* Bank header bytes, and per-record overhead (key, length). */
#define WARD_STORE_BANK_HDR_LEN 20
#define WARD_STORE_RECORD_HDR_LEN 4

/* Opaque: the store's state (a copy of the port, which bank is active,
 * its sequence number and fill) is the core's (core/store/store_inner.h).
 * Room for pointers on any target, and some to spare. */
#define WARD_STORE_CTX_SIZE (8 * sizeof(void *) + 24)
typedef struct ward_store {
    WARD_OPAQUE(WARD_STORE_CTX_SIZE);
} ward_store;

typedef struct ward_record_change {
    uint16_t key;
    const uint8_t *value;   /* ignored when remove */
    size_t len;
    bool remove;
} ward_record_change;

/* Finds the newest valid image. A blank or never-completed region opens
 * as an empty store. WARD_ERR_IO if the port fails. */
WARD_MUST_CHECK
ward_err ward_store_open(ward_store *st, const ward_store_port *port);

/* WARD_ERR_NOTFOUND, or the value in out (WARD_ERR_NOSPACE if cap is too
 * small; *len then says how much is needed). */
WARD_MUST_CHECK
ward_err ward_store_get(const ward_store *st, uint16_t key, uint8_t *out,
                        size_t cap, size_t *len);

/* Applies all changes atomically. Later changes to the same key win.
 * WARD_ERR_NOSPACE if the new image does not fit a bank (nothing is
 * changed then); WARD_ERR_IO if the port fails: this context keeps the old
 * state, and a reopen finds the old state or, if only the final sync
 * failed, the new one, never a mix. WARD_ERR_STATE once the sequence
 * number is exhausted (2^32 - 1 updates). */
WARD_MUST_CHECK
ward_err ward_store_update(ward_store *st, const ward_record_change *changes,
                           size_t n);

/* One record: a convenience for ward_store_update(). */
WARD_MUST_CHECK
ward_err ward_store_put(ward_store *st, uint16_t key, const uint8_t *value,
                        size_t len);
WARD_MUST_CHECK
ward_err ward_store_remove(ward_store *st, uint16_t key);

/* Iterates keys in [first, last] in stored order: start with *pos = 0;
 * WARD_ERR_NOTFOUND when done. */
WARD_MUST_CHECK
ward_err ward_store_next(const ward_store *st, size_t *pos, uint16_t first,
                         uint16_t last, uint16_t *key, size_t *len);

/* Bytes still free in a bank for records (each costs
 * WARD_STORE_RECORD_HDR_LEN + its length). */
size_t ward_store_free(const ward_store *st);

#ifdef __cplusplus
}
#endif

#endif /* WARD_STORE_H */
