/* Firmware update: the boot state record, provisioning, the boot decision and confirmation. */
#include <string.h>

#include "fw_inner.h"
#include "ward_inner.h"

static void info_encode(const ward_fw_info *i, uint8_t *p)
{
    ward_store32(p, i->counter);
    ward_store32(p + 4, i->size);
    memcpy(p + 8, i->digest, WARD_SHA256_LEN);
    p[8 + WARD_SHA256_LEN] = i->version_len;
    memset(p + 9 + WARD_SHA256_LEN, 0, WARD_FW_VERSION_MAX);
    memcpy(p + 9 + WARD_SHA256_LEN, i->version, i->version_len);
}

static bool info_decode(const uint8_t *p, ward_fw_info *i)
{
    memset(i, 0, sizeof *i);
    i->counter = ward_load32(p);
    i->size = ward_load32(p + 4);
    memcpy(i->digest, p + 8, WARD_SHA256_LEN);
    i->version_len = p[8 + WARD_SHA256_LEN];
    if (i->version_len > WARD_FW_VERSION_MAX) {
        return false;
    }
    memcpy(i->version, p + 9 + WARD_SHA256_LEN, i->version_len);
    return true;
}

void fw_state_encode(const ward_fw_state *s, uint8_t out[FW_STATE_LEN])
{
    out[0] = FW_STATE_FORMAT;
    out[1] = s->running;
    out[2] = s->trial;
    ward_store32(out + 3, s->confirmed);
    info_encode(&s->slot[0], out + 7);
    info_encode(&s->slot[1], out + 7 + FW_INFO_LEN);
}

ward_err fw_state_load(const ward_store *st, ward_fw_state *s)
{
    uint8_t v[FW_STATE_LEN];
    size_t len = 0;
    memset(s, 0, sizeof *s);
    ward_err err = ward_store_get(st, WARD_FW_REC_BOOT, v, sizeof v, &len);
    if (err == WARD_ERR_NOSPACE) {
        return WARD_ERR_FORMAT;
    }
    if (err != WARD_OK) {
        return err;
    }
    if (len != FW_STATE_LEN || v[0] != FW_STATE_FORMAT || v[1] > 1 || v[2] > WARD_FW_TRYING) {
        return WARD_ERR_FORMAT;
    }
    s->running = v[1];
    s->trial = v[2];
    s->confirmed = ward_load32(v + 3);
    if (!info_decode(v + 7, &s->slot[0]) || !info_decode(v + 7 + FW_INFO_LEN, &s->slot[1])) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

static ward_err state_store(ward_store *st, const ward_fw_state *s)
{
    uint8_t v[FW_STATE_LEN];
    fw_state_encode(s, v);
    return ward_store_put(st, WARD_FW_REC_BOOT, v, sizeof v);
}

ward_err fw_slot_hash(const ward_crypto *cp, const ward_store_port *p, ward_sha256_ctx *h,
                      uint32_t from, uint32_t to)
{
    uint8_t buf[128];
    ward_err err = WARD_OK;
    for (uint32_t off = from; err == WARD_OK && off < to;) {
        size_t n = to - off < sizeof buf ? to - off : sizeof buf;
        err = p->read(p->ctx, off, buf, n);
        if (err == WARD_OK) {
            err = cp->sha256_update(h, buf, n);
        }
        off += (uint32_t)n;
    }
    return err;
}

ward_err fw_slot_digest(const fw_ctx *c, uint8_t slot, uint32_t size,
                        uint8_t out[WARD_SHA256_LEN])
{
    ward_sha256_ctx h;
    if (size == 0 || size > c->slots.slot[slot].size) {
        return WARD_ERR_AUTH;
    }
    ward_err err = c->cp->sha256_start(&h);
    if (err == WARD_OK) {
        err = fw_slot_hash(c->cp, &c->slots.slot[slot], &h, 0, size);
    }
    uint8_t d[WARD_SHA256_LEN];
    ward_err fin = c->cp->sha256_finish(&h, d);
    if (err == WARD_OK) {
        err = fin;
    }
    if (err == WARD_OK) {
        memcpy(out, d, sizeof d);
    }
    return err;
}

/* WARD_OK iff the slot's bytes hash to what the state says it holds. */
static ward_err slot_verify(const fw_ctx *c, uint8_t slot, const ward_fw_info *i)
{
    uint8_t d[WARD_SHA256_LEN];
    ward_err err = fw_slot_digest(c, slot, i->size, d);
    if (err == WARD_OK && memcmp(d, i->digest, sizeof d) != 0) {
        err = WARD_ERR_AUTH;
    }
    return err;
}

ward_err ward_fw_init(ward_fw_update *u, const ward_crypto *cp, const ward_fw_slots *slots,
                      const uint8_t release_pub[WARD_P256_POINT_LEN],
                      const uint8_t *dev_class, size_t class_len)
{
    WARD_ASSERT(u != NULL && cp != NULL && slots != NULL && release_pub != NULL);
    fw_ctx *c = fw_of(u);
    memset(u, 0, sizeof *u);
    if (dev_class == NULL || class_len == 0 || class_len > WARD_FW_CLASS_MAX ||
        slots->slot[0].size == 0 || slots->slot[0].size != slots->slot[1].size ||
        slots->slot[0].erase_size == 0 ||
        slots->slot[0].erase_size != slots->slot[1].erase_size ||
        slots->slot[0].size % slots->slot[0].erase_size != 0) {
        return WARD_ERR_PARAM;
    }
    c->cp = cp;
    c->slots = *slots;
    memcpy(c->pub, release_pub, WARD_P256_POINT_LEN);
    c->class_len = (uint8_t)class_len;
    memcpy(c->dev_class, dev_class, class_len);
    return WARD_OK;
}

ward_err ward_fw_provision(ward_fw_update *u, ward_store *st, const ward_fw_info *factory)
{
    WARD_ASSERT(u != NULL && st != NULL && factory != NULL);
    fw_ctx *c = fw_of(u);
    ward_fw_state s;
    ward_err err = fw_state_load(st, &s);
    if (err != WARD_ERR_NOTFOUND) {
        return err == WARD_OK ? WARD_ERR_STATE : err;
    }
    if (factory->version_len == 0 || factory->version_len > WARD_FW_VERSION_MAX) {
        return WARD_ERR_PARAM;
    }
    if ((err = slot_verify(c, 0, factory)) != WARD_OK) {
        return err;
    }
    memset(&s, 0, sizeof s);
    s.running = 0;
    s.trial = WARD_FW_IDLE;
    s.confirmed = factory->counter;
    s.slot[0] = *factory;
    return state_store(st, &s);
}

ward_err ward_fw_get_state(const ward_store *st, ward_fw_state *out)
{
    WARD_ASSERT(st != NULL && out != NULL);
    return fw_state_load(st, out);
}

ward_err ward_fw_boot(ward_fw_update *u, ward_store *st, ward_fw_boot_result *out)
{
    WARD_ASSERT(u != NULL && st != NULL && out != NULL);
    fw_ctx *c = fw_of(u);
    ward_fw_state s;
    memset(out, 0, sizeof *out);
    c->downloading = false;
    ward_err err = fw_state_load(st, &s);
    if (err != WARD_OK) {
        return err;
    }
    uint8_t other = (uint8_t)(1u - s.running);
    if (s.trial == WARD_FW_PENDING) {
        if (slot_verify(c, other, &s.slot[other]) == WARD_OK) {
            /* Trying is durable before the image gets to run: if it dies
             * before confirming, the next boot knows it had its chance. */
            s.trial = WARD_FW_TRYING;
            if ((err = state_store(st, &s)) != WARD_OK) {
                return err;
            }
            out->slot = other;
            out->on_trial = true;
            out->info = s.slot[other];
            return WARD_OK;
        }
        s.trial = WARD_FW_TRYING; /* unverifiable: dropped below, as a failed trial */
    }
    if (s.trial == WARD_FW_TRYING) {
        s.trial = WARD_FW_IDLE;
        if ((err = state_store(st, &s)) != WARD_OK) {
            return err;
        }
        out->reverted = true;
    }
    if ((err = slot_verify(c, s.running, &s.slot[s.running])) != WARD_OK) {
        return err == WARD_ERR_IO ? err : WARD_ERR_AUTH;
    }
    out->slot = s.running;
    out->info = s.slot[s.running];
    return WARD_OK;
}

ward_err ward_fw_confirm(ward_fw_update *u, ward_store *st)
{
    WARD_ASSERT(u != NULL && st != NULL);
    ward_fw_state s;
    ward_err err = fw_state_load(st, &s);
    if (err != WARD_OK) {
        return err;
    }
    if (s.trial != WARD_FW_TRYING) {
        return WARD_ERR_STATE;
    }
    /* One update: the trial becomes the slot to fall back to AND the
     * counter rises. Before it, a revert is possible and the counter has
     * not moved; after it, no revert can happen. */
    uint8_t other = (uint8_t)(1u - s.running);
    s.running = other;
    s.trial = WARD_FW_IDLE;
    if (s.slot[other].counter > s.confirmed) {
        s.confirmed = s.slot[other].counter;
    }
    return state_store(st, &s);
}
