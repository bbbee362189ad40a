/* Simulated NOR flash that loses power after a chosen byte; see ward_port_sim.h. */
#include "ward/ward_port_sim.h"

#include <string.h>

#include "ward/ward_config.h"

/* What lands of the byte being programmed or erased when power fails:
 * only the high nibble's change, so the byte is neither old nor new and a
 * store that trusts a torn byte is caught. */
#define TORN_KEEP 0x0Fu

static ward_err check_range(const ward_sim_flash *sf, size_t off, size_t len)
{
    if (off > sf->size || len > sf->size - off) {
        return WARD_ERR_PARAM;
    }
    return WARD_OK;
}

/* True when the next byte is the one the power fails on; marks the
 * flash dead. */
static bool cut_now(ward_sim_flash *sf)
{
    if (sf->armed && sf->bytes_done == sf->cut_at) {
        sf->dead = true;
        sf->armed = false;
        return true;
    }
    return false;
}

static ward_err sim_read(void *ctx, size_t off, uint8_t *buf, size_t len)
{
    ward_sim_flash *sf = ctx;
    if (sf->dead) {
        return WARD_ERR_IO;
    }
    ward_err err = check_range(sf, off, len);
    if (err != WARD_OK) {
        return err;
    }
    if (len > 0) {
        memcpy(buf, sf->mem + off, len);
    }
    return WARD_OK;
}

static ward_err sim_write(void *ctx, size_t off, const uint8_t *buf,
                          size_t len)
{
    ward_sim_flash *sf = ctx;
    if (sf->dead) {
        return WARD_ERR_IO;
    }
    ward_err err = check_range(sf, off, len);
    if (err != WARD_OK) {
        return err;
    }
    sf->writes++;
    for (size_t i = 0; i < len; i++) {
        if (cut_now(sf)) {
            /* Programming only clears bits; the torn byte clears those
             * of its high nibble. */
            sf->mem[off + i] &= (uint8_t)(buf[i] | TORN_KEEP);
            sf->bytes_done++;
            return WARD_ERR_IO;
        }
        /* AND, not copy: NOR cannot set a bit without an erase. */
        sf->mem[off + i] &= buf[i];
        sf->bytes_done++;
    }
    return WARD_OK;
}

static ward_err sim_erase(void *ctx, size_t off, size_t len)
{
    ward_sim_flash *sf = ctx;
    if (sf->dead) {
        return WARD_ERR_IO;
    }
    ward_err err = check_range(sf, off, len);
    if (err != WARD_OK) {
        return err;
    }
    if (off % sf->erase_size != 0 || len % sf->erase_size != 0) {
        return WARD_ERR_PARAM;
    }
    sf->erases++;
    for (size_t i = 0; i < len; i++) {
        if (cut_now(sf)) {
            /* Erasing sets bits; the torn byte gets its high nibble's. */
            sf->mem[off + i] |= (uint8_t)~TORN_KEEP;
            sf->bytes_done++;
            return WARD_ERR_IO;
        }
        sf->mem[off + i] = 0xFF;
        sf->bytes_done++;
    }
    return WARD_OK;
}

static ward_err sim_sync(void *ctx)
{
    ward_sim_flash *sf = ctx;
    if (sf->dead) {
        return WARD_ERR_IO;
    }
    sf->syncs++;
    return WARD_OK;
}

void ward_sim_flash_init(ward_sim_flash *sf, uint8_t *mem, size_t size,
                         size_t erase_size, ward_store_port *port)
{
    WARD_ASSERT(sf != NULL && mem != NULL && port != NULL);
    WARD_ASSERT(erase_size >= 1 && size % erase_size == 0);
    memset(sf, 0, sizeof *sf);
    sf->mem = mem;
    sf->size = size;
    sf->erase_size = erase_size;

    port->size = size;
    port->erase_size = erase_size;
    port->read = sim_read;
    port->write = sim_write;
    port->erase = sim_erase;
    port->sync = sim_sync;
    port->ctx = sf;
}

void ward_sim_flash_format(ward_sim_flash *sf)
{
    WARD_ASSERT(sf != NULL);
    /* Factory state; not counted as erase work. */
    memset(sf->mem, 0xFF, sf->size);
}

void ward_sim_flash_cut_after(ward_sim_flash *sf, uint64_t n)
{
    WARD_ASSERT(sf != NULL);
    sf->cut_at = sf->bytes_done + n;
    sf->armed = true;
}

void ward_sim_flash_power_on(ward_sim_flash *sf)
{
    WARD_ASSERT(sf != NULL);
    sf->dead = false;
    sf->armed = false;
}
