/*
 * ward_store_port.h - the storage port: a small region of non-volatile
 * memory that the record store (ward_store.h) lays its records on.
 *
 * It models NOR flash, the hardest common case: erase() sets bytes to
 * 0xFF in units of erase_size, and write() may only be issued on erased
 * bytes. Media that rewrite in place (a file, FRAM, EEPROM) set
 * erase_size to 1 and may implement erase as a write of 0xFF. sync()
 * returns only when every earlier write is durable; the store orders its
 * writes around it, so a port must not reorder across it.
 *
 * Power may fail at any byte of any write or erase. The port need not be
 * atomic at any granularity: the store is built for that.
 *
 * Implementations: ward_file_port (ward_port_posix.h) for hosts,
 * ward_sim_flash (ward_port_sim.h) that can cut power after byte N.
 */
#ifndef WARD_STORE_PORT_H
#define WARD_STORE_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "ward_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ward_store_port {
    size_t size;        /* bytes of the region; a multiple of 2*erase_size */
    size_t erase_size;  /* erase granularity in bytes; >= 1 */
    ward_err (*read)(void *ctx, size_t off, uint8_t *buf, size_t len);
    ward_err (*write)(void *ctx, size_t off, const uint8_t *buf, size_t len);
    ward_err (*erase)(void *ctx, size_t off, size_t len);
    ward_err (*sync)(void *ctx);
    void *ctx;
} ward_store_port;

#ifdef __cplusplus
}
#endif

#endif /* WARD_STORE_PORT_H */
