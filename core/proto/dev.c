/* The device's context: open, identity and info, node table, answer helpers. */
#include <string.h>

#include "ward/ward_device.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "lock_inner.h"
#include "dev_inner.h"

ward_err ward_dev_now(const ward_device *dev, uint64_t *now)
{
    return dev_clk(dev)->clock.now_ms(dev_clk(dev)->clock.ctx, now);
}

size_t ward_dev_node_encode(const dev_node_rec *r,
                            uint8_t out[WARD_DEV_NODE_REC_MAX])
{
    const ward_dev_node *n = &r->node;
    size_t o = 0;
    out[o++] = n->key_index;
    out[o++] = n->udidx_len;
    memcpy(out + o, n->udidx, n->udidx_len);
    o += n->udidx_len;
    out[o++] = n->client_id_len;
    memcpy(out + o, n->client_id, n->client_id_len);
    o += n->client_id_len;
    out[o++] = n->cloud_id_len;
    memcpy(out + o, n->cloud_id, n->cloud_id_len);
    o += n->cloud_id_len;
    memcpy(out + o, r->data_key, WARD_DEV_DATA_KEY_LEN);
    o += WARD_DEV_DATA_KEY_LEN;
    ward_store64(out + o, r->bound_at_ms);
    o += 8;
    out[o++] = (uint8_t)r->name_len;
    memcpy(out + o, r->name, r->name_len);
    return o + r->name_len;
}

/* One length-prefixed field of a record: in bounds or WARD_ERR_FORMAT. */
static ward_err take(const uint8_t *rec, size_t len, size_t *o, size_t min,
                     size_t max, uint8_t *dst, uint8_t *dst_len)
{
    if (*o >= len) {
        return WARD_ERR_FORMAT;
    }
    size_t n = rec[(*o)++];
    if (n < min || n > max || len - *o < n) {
        return WARD_ERR_FORMAT;
    }
    memcpy(dst, rec + *o, n);
    *dst_len = (uint8_t)n;
    *o += n;
    return WARD_OK;
}

static ward_err node_decode(const uint8_t *rec, size_t len, dev_node_rec *r)
{
    ward_dev_node *n = &r->node;
    size_t o = 1;
    uint8_t name_len = 0;
    memset(r, 0, sizeof *r);
    if (len < 1 || rec[0] == 0) {
        return WARD_ERR_FORMAT;
    }
    n->key_index = rec[0];
    ward_err err = take(rec, len, &o, 1, WARD_DEV_UDIDX_MAX, n->udidx,
                        &n->udidx_len);
    if (err == WARD_OK) {
        err = take(rec, len, &o, 0, WARD_CLIENT_ID_MAX, n->client_id,
                   &n->client_id_len);
    }
    if (err == WARD_OK) {
        err = take(rec, len, &o, 0, WARD_DEV_CLOUD_ID_MAX, n->cloud_id,
                   &n->cloud_id_len);
    }
    if (err == WARD_OK && len - o < WARD_DEV_DATA_KEY_LEN + 8) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        memcpy(r->data_key, rec + o, WARD_DEV_DATA_KEY_LEN);
        o += WARD_DEV_DATA_KEY_LEN;
        r->bound_at_ms = ward_load64(rec + o);
        o += 8;
        err = take(rec, len, &o, 1, WARD_DEV_APP_NAME_MAX, r->name,
                   &name_len);
        r->name_len = name_len;
    }
    if (err == WARD_OK && o != len) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        n->used = 1;
    } else {
        ward_wipe(r, sizeof *r);
    }
    return err;
}

ward_err ward_dev_node_read(const ward_device *dev, size_t slot,
                            dev_node_rec *r)
{
    uint8_t rec[WARD_DEV_NODE_REC_MAX];
    size_t len = 0;
    ward_err err = ward_store_get(&dev_clk(dev)->store,
                                  (uint16_t)(DEV_REC_NODE_FIRST + slot), rec,
                                  sizeof rec, &len);
    if (err == WARD_ERR_NOSPACE) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = node_decode(rec, len, r);
    } else {
        memset(r, 0, sizeof *r);
    }
    ward_wipe(rec, sizeof rec);
    return err;
}

ward_err ward_dev_open(ward_device *dev, const ward_crypto *cp,
                       const ward_random *rng, const ward_clock *clock,
                       const ward_store_port *port)
{
    dev_node_rec r;
    WARD_ASSERT(dev != NULL);
    memset(dev, 0, sizeof *dev);
    ward_err err = ward_lock_open(&dev_st(dev)->base, cp, rng, clock, port);
    for (size_t i = 0; err == WARD_OK && i < WARD_MAX_NODES; i++) {
        err = ward_dev_node_read(dev, i, &r);
        if (err == WARD_OK) {
            dev_st(dev)->nodes[i] = r.node;
        } else if (err == WARD_ERR_NOTFOUND) {
            err = WARD_OK;
        }
    }
    ward_wipe(&r, sizeof r);
    if (err == WARD_OK) {
        ward_dev_window_load(dev);
    }
    return err;
}

void ward_dev_use_keystore(ward_device *dev, const ward_keystore *ks)
{
    WARD_ASSERT(dev != NULL);
    ward_lock_use_keystore_as(&dev_st(dev)->base, ks, WARD_KEY_DEVICE_IDENTITY);
}

/* Name and type end up in JSON and on screens: printable ASCII that
 * never needs escaping. */
static bool printable(const uint8_t *s, size_t len, size_t max)
{
    if (s == NULL || len == 0 || len > max) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] > 0x7E || s[i] == '"' || s[i] == '\\') {
            return false;
        }
    }
    return true;
}

ward_err ward_dev_provision(ward_device *dev, const uint8_t *id, size_t id_len,
                            const uint8_t *name, size_t name_len,
                            const uint8_t *type, size_t type_len)
{
    uint8_t rec[2 + WARD_DEV_NAME_MAX + WARD_DEV_TYPE_MAX];
    uint8_t old[sizeof rec];
    size_t old_len = 0;
    WARD_ASSERT(dev != NULL);
    if (ward_check_sn(id, id_len) != WARD_OK ||
        !printable(name, name_len, WARD_DEV_NAME_MAX) ||
        !printable(type, type_len, WARD_DEV_TYPE_MAX)) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = ward_lock_provision(&dev_st(dev)->base, id, id_len);
    if (err != WARD_OK) {
        return err;
    }
    rec[0] = (uint8_t)name_len;
    memcpy(rec + 1, name, name_len);
    rec[1 + name_len] = (uint8_t)type_len;
    memcpy(rec + 2 + name_len, type, type_len);
    size_t len = 2 + name_len + type_len;
    err = ward_store_get(&dev_lk(dev)->store, DEV_REC_INFO, old, sizeof old,
                         &old_len);
    if (err == WARD_OK && old_len == len && memcmp(old, rec, len) == 0) {
        return WARD_OK;   /* every power-up provisions: spare the flash */
    }
    return ward_store_put(&dev_lk(dev)->store, DEV_REC_INFO, rec, len);
}

ward_err ward_dev_get_info(const ward_device *dev, ward_dev_info *info)
{
    uint8_t rec[2 + WARD_DEV_NAME_MAX + WARD_DEV_TYPE_MAX];
    uint8_t id[WARD_SN_MAX];
    size_t id_len = 0, len = 0;
    WARD_ASSERT(dev != NULL && info != NULL);
    memset(info, 0, sizeof *info);
    ward_err err = ward_lock_identity(&dev_cst(dev)->base, id, &id_len, NULL);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_store_get(&dev_clk(dev)->store, DEV_REC_INFO, rec, sizeof rec,
                         &len);
    if (err == WARD_ERR_NOTFOUND) {
        return WARD_ERR_STATE;
    }
    if (err != WARD_OK) {
        return err;
    }
    size_t nl = rec[0];
    if (len < 2 || nl > WARD_DEV_NAME_MAX || nl + 2 > len ||
        rec[1 + nl] > WARD_DEV_TYPE_MAX || (size_t)rec[1 + nl] + nl + 2 != len) {
        return WARD_ERR_FORMAT;
    }
    memcpy(info->id, id, id_len);
    memcpy(info->name, rec + 1, nl);
    memcpy(info->type, rec + 2 + nl, rec[1 + nl]);
    return WARD_OK;
}

ward_err ward_dev_identity(const ward_device *dev,
                           uint8_t pub[WARD_P256_POINT_LEN])
{
    WARD_ASSERT(dev != NULL);
    return ward_lock_identity(&dev_cst(dev)->base, NULL, NULL, pub);
}

ward_err ward_dev_activation(const ward_device *dev, uint8_t id[WARD_SN_MAX],
                             uint8_t pub[WARD_P256_POINT_LEN],
                             ward_activation *a)
{
    WARD_ASSERT(dev != NULL);
    return ward_lock_activation(&dev_cst(dev)->base, id, pub, a);
}

ward_err ward_dev_sign_request(const ward_device *dev, const char *base,
                               size_t base_len,
                               uint8_t sig[WARD_P256_SIG_LEN])
{
    WARD_ASSERT(dev != NULL);
    return ward_lock_sign_request(&dev_cst(dev)->base, base, base_len, sig);
}

size_t ward_dev_node_count(const ward_device *dev)
{
    size_t n = 0;
    WARD_ASSERT(dev != NULL);
    for (size_t i = 0; i < WARD_MAX_NODES; i++) {
        n += dev_cst(dev)->nodes[i].used ? 1u : 0u;
    }
    return n;
}

ward_err ward_dev_node_get(const ward_device *dev, size_t i,
                           ward_dev_node *node)
{
    WARD_ASSERT(dev != NULL && node != NULL);
    for (size_t s = 0; s < WARD_MAX_NODES; s++) {
        if (!dev_cst(dev)->nodes[s].used) {
            continue;
        }
        if (i == 0) {
            *node = dev_cst(dev)->nodes[s];
            return WARD_OK;
        }
        i--;
    }
    return WARD_ERR_NOTFOUND;
}

ward_err ward_dev_node_find(const ward_device *dev, uint8_t key_index,
                            const uint8_t *cid, size_t cid_len, size_t *slot)
{
    for (size_t s = 0; s < WARD_MAX_NODES; s++) {
        const ward_dev_node *n = &dev_cst(dev)->nodes[s];
        if (n->used && key_index != 0 && n->key_index == key_index &&
            n->client_id_len == cid_len &&
            (cid_len == 0 || memcmp(n->client_id, cid, cid_len) == 0)) {
            *slot = s;
            return WARD_OK;
        }
    }
    return WARD_ERR_NOTFOUND;
}

void ward_dev_channels_close(ward_device *dev, size_t slot)
{
    for (size_t i = 0; i < WARD_DEV_MAX_CHANNELS; i++) {
        if (dev_st(dev)->chans[i].used && dev_st(dev)->chans[i].node == slot) {
            ward_wipe(&dev_st(dev)->chans[i], sizeof dev_st(dev)->chans[i]);
        }
    }
}

ward_err ward_dev_node_remove(ward_device *dev, uint8_t key_index)
{
    WARD_ASSERT(dev != NULL);
    for (size_t s = 0; s < WARD_MAX_NODES; s++) {
        if (dev_st(dev)->nodes[s].used && key_index != 0 &&
            dev_st(dev)->nodes[s].key_index == key_index) {
            ward_err err = ward_store_remove(&dev_lk(dev)->store,
                                             (uint16_t)(DEV_REC_NODE_FIRST + s));
            if (err == WARD_OK) {
                ward_dev_channels_close(dev, s);
                memset(&dev_st(dev)->nodes[s], 0, sizeof dev_st(dev)->nodes[s]);
            }
            return err;
        }
    }
    return WARD_ERR_NOTFOUND;
}

void ward_dev_answer_hdr(const ward_hdr *in, uint8_t type, uint8_t flags,
                         ward_hdr *out)
{
    memset(out, 0, sizeof *out);
    out->version = WARD_PROTOCOL_VERSION;
    out->type = type;
    out->flags = flags;
    out->key_index = in->key_index;
    out->client_id_len = in->client_id_len;
    memcpy(out->client_id, in->client_id, in->client_id_len);
}

ward_err ward_dev_plain_answer(const ward_hdr *h, const uint8_t *body,
                               size_t body_len, uint8_t *out, size_t cap,
                               size_t *out_len)
{
    ward_hdr hh = *h;
    size_t hlen = 0;
    *out_len = 0;
    if (body_len > WARD_BODY_MAX) {
        return WARD_ERR_NOSPACE;
    }
    hh.body_len = (uint16_t)body_len;
    ward_err err = ward_hdr_encode(&hh, out, cap, &hlen);
    if (err != WARD_OK) {
        return err;
    }
    if (cap - hlen < body_len) {
        return WARD_ERR_NOSPACE;
    }
    if (body_len > 0) {
        memcpy(out + hlen, body, body_len);
    }
    *out_len = hlen + body_len;
    return WARD_OK;
}

ward_err ward_dev_error_answer(const ward_hdr *in, ward_err code, uint8_t *out,
                               size_t cap, size_t *out_len)
{
    ward_hdr h;
    uint8_t body[3];
    ward_dev_answer_hdr(in, in->type, WARD_FLAG_REPLY | WARD_FLAG_ERROR, &h);
    h.seq = in->seq;
    body[0] = 0x01;
    body[1] = 1;
    body[2] = (uint8_t)code;
    return ward_dev_plain_answer(&h, body, sizeof body, out, cap, out_len);
}
