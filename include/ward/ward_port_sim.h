/*
 * ward_port_sim.h - simulated NOR flash that can lose power at any byte.
 *
 * The storage port over the caller's RAM buffer, with NOR semantics: erase
 * sets 0xFF per erase unit, write can only clear bits (a write to
 * unerased memory ANDs, as real flash does, so a store that forgets to
 * erase corrupts itself visibly). Arm a cut with ward_sim_flash_cut_after(n):
 * the first n bytes of writes and erases from then on land, byte n lands
 * half-written (only some of its bits), and everything after fails with
 * WARD_ERR_IO until ward_sim_flash_power_on(). Counting bytes of every
 * write and erase lets a test enumerate every cut point of an update.
 */
#ifndef WARD_PORT_SIM_H
#define WARD_PORT_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_store_port.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ward_sim_flash {
    uint8_t *mem;          /* the caller's buffer */
    size_t size;
    size_t erase_size;
    uint64_t bytes_done;   /* bytes written or erased since creation */
    uint64_t cut_at;       /* absolute byte count where power fails */
    bool armed;
    bool dead;             /* power is off: every call fails */
    uint64_t writes, erases, syncs;
} ward_sim_flash;

/* Initialises the simulation over mem (not cleared: call with a buffer
 * you filled, or ward_sim_flash_format()) and fills *port. */
void ward_sim_flash_init(ward_sim_flash *sf, uint8_t *mem, size_t size,
                         size_t erase_size, ward_store_port *port);
void ward_sim_flash_format(ward_sim_flash *sf);
/* Power fails after n more bytes of writes or erases. */
void ward_sim_flash_cut_after(ward_sim_flash *sf, uint64_t n);
/* Power is back: calls work again and no cut is armed. */
void ward_sim_flash_power_on(ward_sim_flash *sf);

#ifdef __cplusplus
}
#endif

#endif /* WARD_PORT_SIM_H */
