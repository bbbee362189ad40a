/* Firmware update: checking a manifest and downloading its image into the other slot, resumably. */
#include <string.h>

#include "fw_inner.h"
#include "ward_inner.h"

/* Bytes between checkpoints: whole erase units, at least
 * WARD_FW_CHECKPOINT_MIN. */
static uint32_t checkpoint_unit(const fw_ctx *c)
{
    uint32_t e = (uint32_t)c->slots.slot[0].erase_size;
    uint32_t units = (WARD_FW_CHECKPOINT_MIN + e - 1) / e;
    return units * e;
}

/* The checks of begin() and resume(): the manifest m, if it may be
 * installed on top of state s. resume() takes a manifest that begin()
 * verified and the store kept, so it skips the signature (verified):
 * every other check is made again against the state now. */
static ward_err manifest_check(const fw_ctx *c, const ward_fw_state *s, const uint8_t *in,
                               size_t len, bool verified, ward_fw_manifest *m)
{
    if (s->trial == WARD_FW_TRYING) {
        return WARD_ERR_STATE;
    }
    ward_err err = verified ? ward_fw_manifest_parse(in, len, m)
                            : ward_fw_manifest_verify(c->cp, c->pub, in, len, m);
    if (err != WARD_OK) {
        return err;
    }
    if (!ward_fw_manifest_for_class(m, c->dev_class, c->class_len)) {
        return WARD_ERR_PARAM;
    }
    if (m->counter <= s->confirmed) {
        return WARD_ERR_EXPIRED;
    }
    if (m->min_counter > s->confirmed) {
        return WARD_ERR_CONFLICT;
    }
    if (m->size > c->slots.slot[0].size) {
        return WARD_ERR_NOSPACE;
    }
    return WARD_OK;
}

static void start_download(fw_ctx *c, const ward_fw_state *s, const ward_fw_manifest *m)
{
    c->target = (uint8_t)(1u - s->running);
    memset(&c->info, 0, sizeof c->info);
    c->info.counter = m->counter;
    c->info.size = m->size;
    memcpy(c->info.digest, m->digest, WARD_SHA256_LEN);
    c->info.version_len = m->version_len;
    memcpy(c->info.version, m->version, m->version_len);
}

ward_err ward_fw_begin(ward_fw_update *u, ward_store *st, const uint8_t *manifest, size_t len)
{
    WARD_ASSERT(u != NULL && st != NULL);
    fw_ctx *c = fw_of(u);
    ward_fw_state s;
    ward_fw_manifest m;
    c->downloading = false;
    ward_err err = fw_state_load(st, &s);
    if (err == WARD_ERR_NOTFOUND) {
        return WARD_ERR_STATE;
    }
    if (err == WARD_OK) {
        err = manifest_check(c, &s, manifest, len, false, &m);
    }
    if (err != WARD_OK) {
        return err;
    }
    /* The other slot is about to be overwritten: a pending image there is
     * no longer to be tried, in the same update that records the
     * download. */
    uint8_t boot[FW_STATE_LEN], zero[4] = { 0, 0, 0, 0 };
    s.trial = WARD_FW_IDLE;
    fw_state_encode(&s, boot);
    const ward_record_change ch[3] = {
        { WARD_FW_REC_BOOT, boot, sizeof boot, false },
        { WARD_FW_REC_DOWNLOAD, manifest, len, false },
        { WARD_FW_REC_CHECKPOINT, zero, sizeof zero, false },
    };
    if ((err = ward_store_update(st, ch, 3)) != WARD_OK ||
        (err = c->cp->sha256_start(&c->hash)) != WARD_OK) {
        return err;
    }
    start_download(c, &s, &m);
    c->offset = 0;
    c->downloading = true;
    return WARD_OK;
}

ward_err ward_fw_resume(ward_fw_update *u, ward_store *st, const uint8_t *manifest,
                        size_t len, uint32_t *offset)
{
    WARD_ASSERT(u != NULL && st != NULL && offset != NULL);
    fw_ctx *c = fw_of(u);
    ward_fw_state s;
    ward_fw_manifest m;
    uint8_t kept[WARD_FW_MANIFEST_MAX], ck[4];
    size_t kept_len = 0, ck_len = 0;
    *offset = 0;
    c->downloading = false;
    ward_err err = ward_store_get(st, WARD_FW_REC_DOWNLOAD, kept, sizeof kept, &kept_len);
    if (err == WARD_ERR_NOSPACE) {
        return WARD_ERR_NOTFOUND;
    }
    if (err != WARD_OK) {
        return err;
    }
    if (manifest == NULL || kept_len != len || memcmp(kept, manifest, len) != 0) {
        return WARD_ERR_NOTFOUND;
    }
    err = ward_store_get(st, WARD_FW_REC_CHECKPOINT, ck, sizeof ck, &ck_len);
    if (err == WARD_OK && ck_len != sizeof ck) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = fw_state_load(st, &s);
    }
    if (err == WARD_OK) {
        err = manifest_check(c, &s, manifest, len, true, &m);
    }
    uint32_t at = err == WARD_OK ? ward_load32(ck) : 0;
    if (err == WARD_OK && (at > m.size || at % checkpoint_unit(c) != 0)) {
        err = WARD_ERR_FORMAT;
    }
    if (err != WARD_OK) {
        return err;
    }
    start_download(c, &s, &m);
    /* The hash is not kept across the cut: the bytes up to the checkpoint
     * are durable in the slot, so they are hashed again from there. */
    err = c->cp->sha256_start(&c->hash);
    if (err == WARD_OK) {
        err = fw_slot_hash(c->cp, &c->slots.slot[c->target], &c->hash, 0, at);
    }
    if (err != WARD_OK) {
        return err;
    }
    c->offset = at;
    c->downloading = true;
    *offset = at;
    return WARD_OK;
}

/* The slot bytes up to c->offset are durable: synced, then recorded. */
static ward_err checkpoint(fw_ctx *c, ward_store *st)
{
    const ward_store_port *p = &c->slots.slot[c->target];
    uint8_t v[4];
    ward_err err = p->sync(p->ctx);
    if (err == WARD_OK) {
        ward_store32(v, c->offset);
        err = ward_store_put(st, WARD_FW_REC_CHECKPOINT, v, sizeof v);
    }
    return err;
}

ward_err ward_fw_write(ward_fw_update *u, ward_store *st, const uint8_t *data, size_t len)
{
    WARD_ASSERT(u != NULL && st != NULL && (data != NULL || len == 0));
    fw_ctx *c = fw_of(u);
    if (!c->downloading) {
        return WARD_ERR_STATE;
    }
    if (len > c->info.size - c->offset) {
        return WARD_ERR_NOSPACE;
    }
    const ward_store_port *p = &c->slots.slot[c->target];
    uint32_t erase = (uint32_t)p->erase_size, unit = checkpoint_unit(c);
    ward_err err = WARD_OK;
    while (err == WARD_OK && len > 0) {
        /* Up to the end of this erase unit; a unit is erased when the
         * first byte lands in it (after a resume too: the checkpoint is
         * at a unit's start, and the bytes after it may be half-written). */
        uint32_t room = erase - c->offset % erase;
        size_t n = len < room ? len : room;
        if (c->offset % erase == 0) {
            err = p->erase(p->ctx, c->offset, erase);
        }
        if (err == WARD_OK) {
            err = p->write(p->ctx, c->offset, data, n);
        }
        if (err == WARD_OK) {
            err = c->cp->sha256_update(&c->hash, data, n);
        }
        if (err == WARD_OK) {
            c->offset += (uint32_t)n;
            data += n;
            len -= n;
            if (c->offset % unit == 0 && c->offset < c->info.size) {
                err = checkpoint(c, st);
            }
        }
    }
    if (err != WARD_OK) {
        c->downloading = false;
    }
    return err;
}

ward_err ward_fw_finish(ward_fw_update *u, ward_store *st)
{
    WARD_ASSERT(u != NULL && st != NULL);
    fw_ctx *c = fw_of(u);
    if (!c->downloading || c->offset != c->info.size) {
        return WARD_ERR_STATE;
    }
    c->downloading = false;
    const ward_store_port *p = &c->slots.slot[c->target];
    uint8_t d[WARD_SHA256_LEN];
    ward_err err = p->sync(p->ctx);
    ward_err fin = c->cp->sha256_finish(&c->hash, d);
    if (err == WARD_OK) {
        err = fin;
    }
    ward_fw_state s;
    if (err == WARD_OK) {
        err = fw_state_load(st, &s);
    }
    if (err != WARD_OK) {
        return err;
    }
    const ward_record_change drop[2] = {
        { WARD_FW_REC_DOWNLOAD, NULL, 0, true },
        { WARD_FW_REC_CHECKPOINT, NULL, 0, true },
    };
    if (memcmp(d, c->info.digest, sizeof d) != 0) {
        /* Altered on the way: never tried, and not resumable. */
        err = ward_store_update(st, drop, 2);
        return err == WARD_OK ? WARD_ERR_AUTH : err;
    }
    uint8_t boot[FW_STATE_LEN];
    s.slot[c->target] = c->info;
    s.trial = WARD_FW_PENDING;
    fw_state_encode(&s, boot);
    const ward_record_change ch[3] = {
        { WARD_FW_REC_BOOT, boot, sizeof boot, false }, drop[0], drop[1],
    };
    return ward_store_update(st, ch, 3);
}
