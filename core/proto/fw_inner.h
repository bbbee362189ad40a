/*
 * fw_inner.h - the firmware update engine's insides (ward_fw_update.h),
 * shared by core/proto/fw_update.c (downloads) and fw_boot.c (boot state,
 * boot and confirm), and for tests. Not installed.
 */
#ifndef WARD_FW_INNER_H
#define WARD_FW_INNER_H

#include <stdbool.h>
#include <stdint.h>

#include "ward/ward_fw_update.h"
#include "ward/ward_records.h"

typedef struct fw_ctx {
    const ward_crypto *cp;
    ward_fw_slots slots;
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t class_len;
    uint8_t dev_class[WARD_FW_CLASS_MAX];
    /* The download under way (false after any failure: resume then). */
    bool downloading;
    uint8_t target;
    ward_fw_info info;
    uint32_t offset;
    ward_sha256_ctx hash;
} fw_ctx;

typedef char fw_ctx_fits[sizeof(fw_ctx) <= WARD_FW_UPDATE_CTX_SIZE ? 1 : -1];
typedef char fw_recs_in_range[WARD_FW_REC_BOOT >= WARD_REC_FW_FIRST &&
                              WARD_FW_REC_CHECKPOINT <= WARD_REC_FW_LAST ? 1 : -1];

/* Record 0x0A00: format(1) = 1, running(1), trial(1), confirmed(4), then
 * per slot counter(4) size(4) digest(32) version_len(1) version(32,
 * zero-padded). */
#define FW_INFO_LEN (4 + 4 + WARD_SHA256_LEN + 1 + WARD_FW_VERSION_MAX)
#define FW_STATE_LEN (7 + 2 * FW_INFO_LEN)
#define FW_STATE_FORMAT 1u

static inline fw_ctx *fw_of(ward_fw_update *u)
{
    return (fw_ctx *)(void *)u->opaque.bytes;
}

void fw_state_encode(const ward_fw_state *s, uint8_t out[FW_STATE_LEN]);
/* WARD_ERR_NOTFOUND (no record), WARD_ERR_FORMAT, WARD_ERR_IO. */
ward_err fw_state_load(const ward_store *st, ward_fw_state *s);
/* SHA-256 of slot's first size bytes, read back from flash. */
ward_err fw_slot_digest(const fw_ctx *c, uint8_t slot, uint32_t size,
                        uint8_t out[WARD_SHA256_LEN]);
/* Continues h over the bytes [from, to) of the slot behind p. */
ward_err fw_slot_hash(const ward_crypto *cp, const ward_store_port *p, ward_sha256_ctx *h,
                      uint32_t from, uint32_t to);

#endif /* WARD_FW_INNER_H */
