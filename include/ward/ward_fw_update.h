/*
 * ward_fw_update.h - the device side of signed firmware update (issue 18,
 * item 3; docs/protocol.md "Signed firmware update"): an A/B slot engine
 * with anti-rollback, power-safe at every byte.
 *
 * The device has two image slots, each a flash region behind the storage
 * port (ward_store_port.h: read, write, erase in units, sync), and keeps
 * its boot state in the power-safe record store (ward_store.h, record
 * 0x0A00 of range 0x0A00-0x0AFF "firmware update"): which slot runs, what
 * each slot holds (counter, size, SHA-256, version), whether the other
 * slot waits to be tried (pending) or is being tried (trying), and the
 * confirmed security counter. Every change of state is one store update,
 * so a power cut leaves the state before or after it.
 *
 * Call sequence (the source of the bytes - HTTP, a UART - is the host's):
 *     ward_fw_init(&u, cp, &slots, release_pub, "lock-a1", 7);
 *     ward_fw_provision(&u, &st, &factory_info);     // once, at the factory
 *     ward_fw_begin(&u, &st, manifest, len);          // refusals: nothing written
 *     ward_fw_write(&u, &st, chunk, n); ...            // in order, hashing
 *     ward_fw_finish(&u, &st);                         // size + SHA-256: pending
 *   at every power-up:
 *     ward_fw_boot(&u, &st, &b);                       // run slot b.slot
 *     ward_fw_confirm(&u, &st);                        // the new image, once it works
 *   after a power cut during a download:
 *     ward_fw_resume(&u, &st, manifest, len, &off);    // continue from off
 *
 * Anti-rollback: begin() refuses a manifest not signed by the release key,
 * for another class, whose counter is not above the confirmed one, or
 * whose minimum counter is above it. The confirmed counter moves up only
 * in confirm(), in the same store update that makes the new slot the one
 * to fall back to: it never moves while a revert to the old image is
 * still possible (MCUboot raised it on trial, before that).
 *
 * The context holds a copy of the slot ports and of the release key, no
 * pointer into the caller's memory; the store is passed to each call. No
 * heap, no OS: crypto through the port (streaming SHA-256).
 */
#ifndef WARD_FW_UPDATE_H
#define WARD_FW_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_attr.h"
#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_fw.h"
#include "ward_store.h"
#include "ward_store_port.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The store records (range 0x0A00-0x0AFF of ward_records.h). */
#define WARD_FW_REC_BOOT 0x0A00u      /* boot state: docs/protocol.md */
#define WARD_FW_REC_DOWNLOAD 0x0A01u  /* the manifest of the download in progress */
#define WARD_FW_REC_CHECKPOINT 0x0A02u /* how far that download is durable */
/* A download records its progress at most every this many bytes (rounded
 * up to whole erase units): a power cut costs at most that much again. */
#define WARD_FW_CHECKPOINT_MIN 1024u

/* What a slot holds, as the boot state keeps it. The factory image has
 * counter 0 and no manifest. */
typedef struct ward_fw_info {
    uint32_t counter;
    uint32_t size;
    uint8_t digest[WARD_SHA256_LEN];
    uint8_t version_len;
    uint8_t version[WARD_FW_VERSION_MAX];
} ward_fw_info;

/* The trial state of the slot that does not run. */
typedef enum ward_fw_trial {
    WARD_FW_IDLE = 0,     /* nothing to try: the other slot is free */
    WARD_FW_PENDING = 1,  /* the other slot holds a verified image to try at the next boot */
    WARD_FW_TRYING = 2    /* that image was started on trial and has not confirmed */
} ward_fw_trial;

typedef struct ward_fw_state {
    uint8_t running;         /* the confirmed slot, 0 or 1 */
    uint8_t trial;           /* ward_fw_trial */
    uint32_t confirmed;      /* the security counter: never goes down */
    ward_fw_info slot[2];
} ward_fw_state;

/* What boot() decided. */
typedef struct ward_fw_boot_result {
    uint8_t slot;            /* the slot to run */
    bool on_trial;           /* it must confirm() itself, else it reverts */
    bool reverted;           /* an unconfirmed or unverifiable trial was dropped */
    ward_fw_info info;       /* what runs */
} ward_fw_boot_result;

#define WARD_FW_UPDATE_CTX_SIZE (3 * sizeof(ward_store_port) + 512)
typedef struct ward_fw_update {
    WARD_OPAQUE(WARD_FW_UPDATE_CTX_SIZE);
} ward_fw_update;

/* The two slots: flash regions of the same size (at least the largest
 * image, a multiple of erase_size). */
typedef struct ward_fw_slots {
    ward_store_port slot[2];
} ward_fw_slots;

/* Fills u: crypto port, slots (copied), the release public key and this
 * device's class (1..WARD_FW_CLASS_MAX bytes). WARD_ERR_PARAM for a class
 * out of range or slots of different or zero sizes. */
WARD_MUST_CHECK
ward_err ward_fw_init(ward_fw_update *u, const ward_crypto *cp, const ward_fw_slots *slots,
                      const uint8_t release_pub[WARD_P256_POINT_LEN],
                      const uint8_t *dev_class, size_t class_len);

/* The factory's first boot state: slot 0 holds `factory` (checked against
 * the slot: WARD_ERR_AUTH if its bytes do not hash to it), runs,
 * confirmed at factory->counter. WARD_ERR_STATE if a boot state exists. */
WARD_MUST_CHECK
ward_err ward_fw_provision(ward_fw_update *u, ward_store *st, const ward_fw_info *factory);

/* The boot state (WARD_ERR_NOTFOUND before provision). */
WARD_MUST_CHECK
ward_err ward_fw_get_state(const ward_store *st, ward_fw_state *out);

/* Checks a manifest and starts its download into the slot that does not
 * run. Refusals, before anything is written: WARD_ERR_NOTFOUND signed by
 * another key, WARD_ERR_AUTH a bad signature, WARD_ERR_FORMAT not a
 * manifest, WARD_ERR_PARAM another class, WARD_ERR_EXPIRED a counter not
 * above the confirmed one (downgrade or replay), WARD_ERR_CONFLICT a
 * minimum counter above it, WARD_ERR_NOSPACE larger than a slot,
 * WARD_ERR_STATE a trial not yet confirmed (or no boot state). On success
 * a pending image not yet tried is dropped and the download recorded
 * (record 0x0A01) in one store update. */
WARD_MUST_CHECK
ward_err ward_fw_begin(ward_fw_update *u, ward_store *st, const uint8_t *manifest,
                       size_t len);

/* After a power cut: if the store records a download of exactly this
 * manifest, re-reads the slot up to the last checkpoint (hashing it) and
 * gives the offset to continue from; WARD_ERR_NOTFOUND when it does not
 * (then begin()). The manifest's signature was checked by begin() before
 * the store kept it; its counters and class are checked again. */
WARD_MUST_CHECK
ward_err ward_fw_resume(ward_fw_update *u, ward_store *st, const uint8_t *manifest,
                        size_t len, uint32_t *offset);

/* The next len bytes of the image, in order: erased and written into the
 * slot, hashed. Each completed erase unit is synced and its end recorded
 * as the checkpoint (one store update). WARD_ERR_NOSPACE past the
 * manifest's size, WARD_ERR_STATE with no download begun. */
WARD_MUST_CHECK
ward_err ward_fw_write(ward_fw_update *u, ward_store *st, const uint8_t *data, size_t len);

/* All size bytes written: the SHA-256 must be the manifest's. Then, in one
 * store update, the slot is recorded pending and the download record
 * dropped. WARD_ERR_STATE for a short image (not all bytes), WARD_ERR_AUTH
 * for another digest: the download is dropped, the running image is
 * untouched either way. */
WARD_MUST_CHECK
ward_err ward_fw_finish(ward_fw_update *u, ward_store *st);

/* The boot decision, at each power-up, verifying what it boots (SHA-256
 * of the slot against its recorded digest):
 *  - pending: the state becomes trying (stored BEFORE the image runs),
 *    then the other slot runs on trial (if it verifies; else reverted);
 *  - trying: the trial never confirmed: reverted (state idle), the
 *    confirmed slot runs;
 *  - idle: the confirmed slot runs.
 * WARD_ERR_AUTH when the confirmed slot does not verify either. */
WARD_MUST_CHECK
ward_err ward_fw_boot(ward_fw_update *u, ward_store *st, ward_fw_boot_result *out);

/* The image on trial says it works: in one store update it becomes the
 * confirmed slot and the confirmed counter rises to its counter.
 * WARD_ERR_STATE when no image is on trial. */
WARD_MUST_CHECK
ward_err ward_fw_confirm(ward_fw_update *u, ward_store *st);

#ifdef __cplusplus
}
#endif

#endif /* WARD_FW_UPDATE_H */
