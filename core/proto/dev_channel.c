/* The device's channels: CHANNEL_OPEN, COMMAND in, REPLY out, and ATTACH of a cloud device id
 * (in a channel, so its replay window refuses a replayed ATTACH). */
#include <string.h>

#include "ward/ward_device.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "lock_inner.h"
#include "dev_inner.h"
#include "proto_inner.h"

static const ward_tlv_spec open_spec[] = {
    { 0x01, true, 4, 4 },
    { 0x02, true, WARD_DEV_OPEN_NONCE_LEN, WARD_DEV_OPEN_NONCE_LEN },
};

static ward_dev_channel *chan_find(ward_device *dev, size_t slot,
                                   uint32_t channel_id)
{
    for (size_t i = 0; i < WARD_DEV_MAX_CHANNELS; i++) {
        ward_dev_channel *c = &dev_st(dev)->chans[i];
        if (c->used && c->node == slot && c->channel_id == channel_id) {
            return c;
        }
    }
    return NULL;
}

/* A free entry, or the one used longest ago: an app whose channel was
 * evicted opens it again and gets fresh keys. */
static ward_dev_channel *chan_alloc(ward_device *dev)
{
    ward_dev_channel *old = &dev_st(dev)->chans[0];
    for (size_t i = 0; i < WARD_DEV_MAX_CHANNELS; i++) {
        ward_dev_channel *c = &dev_st(dev)->chans[i];
        if (!c->used) {
            return c;
        }
        if (c->last_use < old->last_use) {
            old = c;
        }
    }
    ward_wipe(old, sizeof *old);
    return old;
}

/* The node's data key, from its record; the caller wipes key. */
static ward_err node_key(const ward_device *dev, size_t slot,
                         uint8_t key[WARD_DEV_DATA_KEY_LEN])
{
    dev_node_rec r;
    ward_err err = ward_dev_node_read(dev, slot, &r);
    if (err == WARD_OK) {
        memcpy(key, r.data_key, WARD_DEV_DATA_KEY_LEN);
    }
    ward_wipe(&r, sizeof r);
    return err;
}

ward_err ward_dev_on_channel_open(ward_device *dev, size_t slot,
                                  const ward_hdr *h, const uint8_t *msg,
                                  size_t msg_len, size_t body_off,
                                  uint8_t *out, size_t cap, size_t *out_len,
                                  ward_dev_event *ev, bool *authentic)
{
    uint8_t key[WARD_DEV_DATA_KEY_LEN];
    uint8_t pt[WARD_TLV_SIZE(4) + WARD_TLV_SIZE(WARD_DEV_OPEN_NONCE_LEN) + 8];
    uint8_t ans[WARD_TLV_SIZE(4) + 3 * WARD_TLV_SIZE(WARD_DEV_OPEN_NONCE_LEN) +
                2 * WARD_TLV_SIZE(4)];
    size_t clear_len = 0, pt_len = 0, ans_len = 0;
    ward_tlv_field f[2];
    ward_tlv_writer w;
    ward_hdr ah;
    uint32_t channel_id = 0;

    if (h->flags != WARD_FLAG_SEALED || h->seq != 0) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = node_key(dev, slot, key);
    if (err == WARD_OK) {
        err = ward_dev_open_msg(dev_lk(dev)->cp, key, msg, msg_len, body_off,
                                &clear_len, pt, sizeof pt, &pt_len);
        err = err == WARD_ERR_NOSPACE ? WARD_ERR_FORMAT : err;
        *authentic = err == WARD_OK;
    }
    if (err == WARD_OK && clear_len != 0) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = ward_tlv_parse(pt, pt_len, open_spec, 2, f);
    }
    if (err == WARD_OK && !ward_proto_canonical(f, 2, pt_len)) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = ward_tlv_get_u32(&f[0], &channel_id);
    }
    ward_dev_channel *c = NULL;
    bool fresh = false;
    if (err == WARD_OK) {
        /* An open channel is not reset: a replayed or repeated open
         * cannot roll its counters back. */
        c = chan_find(dev, slot, channel_id);
        if (c == NULL) {
            fresh = true;
            c = chan_alloc(dev);
            memcpy(c->na, f[1].ptr, WARD_DEV_OPEN_NONCE_LEN);
            err = dev_lk(dev)->rng.fill(dev_lk(dev)->rng.ctx, c->nd, sizeof c->nd);
            if (err == WARD_OK) {
                err = ward_dev_chan_init(dev_lk(dev)->cp, key,
                                         dev_st(dev)->nodes[slot].key_index,
                                         channel_id, c->na, c->nd, true,
                                         &c->chan);
            }
            if (err == WARD_OK) {
                c->used = 1;
                c->node = (uint8_t)slot;
                c->channel_id = channel_id;
            } else {
                ward_wipe(c, sizeof *c);
                c = NULL;
            }
        }
    }
    if (err == WARD_OK) {
        c->last_use = ++dev_st(dev)->use_clock;
        ward_tlv_writer_init(&w, ans, sizeof ans);
        ward_tlv_put_u32(&w, 0x01, channel_id);
        ward_tlv_put(&w, 0x02, c->na, sizeof c->na);
        ward_tlv_put(&w, 0x03, c->nd, sizeof c->nd);
        ward_tlv_put_u32(&w, 0x04, c->chan.tx_seq);
        ward_tlv_put_u32(&w, 0x05, c->chan.rx_high);
        ward_tlv_put(&w, 0x06, f[1].ptr, WARD_DEV_OPEN_NONCE_LEN);
        err = ward_tlv_writer_finish(&w, &ans_len);
    }
    if (err == WARD_OK) {
        ward_dev_answer_hdr(h, h->type, WARD_FLAG_REPLY | WARD_FLAG_SEALED,
                            &ah);
        err = ward_dev_seal_msg(dev_lk(dev)->cp, &dev_lk(dev)->rng, key, &ah, NULL,
                                0, ans, ans_len, out, cap, out_len);
    }
    if (err == WARD_OK) {
        ev->type = WARD_DEV_EV_CHANNEL_OPENED;
        ev->key_index = dev_st(dev)->nodes[slot].key_index;
        ev->channel_id = channel_id;
    } else if (fresh && c != NULL) {
        ward_wipe(c, sizeof *c);
    }
    ward_wipe(key, sizeof key);
    ward_wipe(pt, sizeof pt);
    ward_wipe(ans, sizeof ans);
    return err;
}

/* A message in one of node slot's channels (COMMAND, ATTACH): its channel
 * and plaintext once it verified and is new to the channel's replay
 * window (*authentic then). */
static ward_err chan_msg_open(ward_device *dev, size_t slot, const uint8_t *msg,
                              size_t msg_len, uint8_t *pt, size_t cap,
                              size_t *pt_len, ward_dev_channel **chan,
                              bool *authentic)
{
    ward_hdr h;
    uint32_t channel_id = 0;
    ward_err err = ward_dev_chan_peek(msg, msg_len, &h, &channel_id);
    if (err == WARD_OK && h.flags != WARD_FLAG_SEALED) {
        err = WARD_ERR_FORMAT;
    }
    if (err != WARD_OK) {
        return err;
    }
    /* An unknown channel (never opened, evicted, or gone with a restart)
     * cannot be told from a forgery: no answer either way, and the app
     * that hears nothing opens its channel again (ward_pair.h). */
    ward_dev_channel *c = chan_find(dev, slot, channel_id);
    if (c == NULL) {
        return WARD_ERR_NOTFOUND;
    }
    err = ward_dev_chan_open(dev_lk(dev)->cp, &c->chan, msg, msg_len, pt, cap,
                             pt_len);
    *authentic = err == WARD_OK;
    if (err == WARD_OK) {
        c->last_use = ++dev_st(dev)->use_clock;
        *chan = c;
    }
    return err;
}

ward_err ward_dev_on_command(ward_device *dev, size_t slot, const uint8_t *msg,
                             size_t msg_len, ward_dev_event *ev,
                             bool *authentic)
{
    ward_dev_channel *c = NULL;
    ward_err err = chan_msg_open(dev, slot, msg, msg_len, ev->data,
                                 sizeof ev->data, &ev->data_len, &c, authentic);
    if (err == WARD_OK) {
        ev->type = WARD_DEV_EV_COMMAND;
        ev->key_index = dev_st(dev)->nodes[slot].key_index;
        ev->channel_id = c->channel_id;
    }
    return err;
}

static ward_err send_in(ward_device *dev, uint8_t key_index,
                        uint32_t channel_id, uint8_t flags,
                        const uint8_t *data, size_t len, uint8_t *out,
                        size_t cap, size_t *out_len)
{
    WARD_ASSERT(dev != NULL && out != NULL && out_len != NULL);
    WARD_ASSERT(data != NULL || len == 0);
    *out_len = 0;
    for (size_t s = 0; s < WARD_MAX_NODES; s++) {
        ward_dev_node *n = &dev_st(dev)->nodes[s];
        if (!n->used || key_index == 0 || n->key_index != key_index) {
            continue;
        }
        ward_dev_channel *c = chan_find(dev, s, channel_id);
        if (c == NULL) {
            return WARD_ERR_NOTFOUND;
        }
        c->last_use = ++dev_st(dev)->use_clock;
        return ward_dev_chan_seal(dev_lk(dev)->cp, &c->chan, WARD_MSG_DEV_REPLY,
                                  flags, key_index, n->client_id,
                                  n->client_id_len, channel_id, data, len,
                                  out, cap, out_len);
    }
    return WARD_ERR_NOTFOUND;
}

ward_err ward_dev_reply(ward_device *dev, uint8_t key_index,
                        uint32_t channel_id, const uint8_t *data, size_t len,
                        uint8_t *out, size_t cap, size_t *out_len)
{
    return send_in(dev, key_index, channel_id, WARD_FLAG_REPLY, data, len,
                   out, cap, out_len);
}

ward_err ward_dev_notify(ward_device *dev, uint8_t key_index,
                         uint32_t channel_id, const uint8_t *data, size_t len,
                         uint8_t *out, size_t cap, size_t *out_len)
{
    return send_in(dev, key_index, channel_id, 0, data, len, out, cap,
                   out_len);
}

static const ward_tlv_spec attach_spec[] = {
    { 0x01, true, 1, WARD_DEV_CLOUD_ID_MAX },
};

ward_err ward_dev_on_attach(ward_device *dev, size_t slot, const uint8_t *msg,
                            size_t msg_len, uint8_t *out, size_t cap,
                            size_t *out_len, ward_dev_event *ev,
                            bool *authentic)
{
    dev_node_rec r;
    uint8_t pt[WARD_TLV_SIZE(WARD_DEV_CLOUD_ID_MAX)];
    uint8_t rec[WARD_DEV_NODE_REC_MAX];
    size_t pt_len = 0;
    ward_tlv_field f[1];
    ward_dev_channel *c = NULL;

    /* ATTACH rides in a channel: its counter and replay window refuse
     * the same ATTACH again (and a restart, which closes the channels,
     * leaves an old one nothing to verify under), so a captured ATTACH
     * cannot move the node back to a cloud id it has left. */
    ward_err err = chan_msg_open(dev, slot, msg, msg_len, pt, sizeof pt,
                                 &pt_len, &c, authentic);
    err = err == WARD_ERR_NOSPACE ? WARD_ERR_FORMAT : err;
    if (err == WARD_OK) {
        err = ward_tlv_parse(pt, pt_len, attach_spec, 1, f);
    }
    if (err == WARD_OK && !ward_proto_canonical(f, 1, pt_len)) {
        err = WARD_ERR_FORMAT;
    }
    /* wardd routes far-field messages by cloud id: two nodes with one
     * id would make the route ambiguous. */
    for (size_t s = 0; err == WARD_OK && s < WARD_MAX_NODES; s++) {
        const ward_dev_node *n = &dev_st(dev)->nodes[s];
        if (s != slot && n->used && n->cloud_id_len == f[0].len &&
            memcmp(n->cloud_id, f[0].ptr, f[0].len) == 0) {
            err = WARD_ERR_PARAM;
        }
    }
    if (err == WARD_OK) {
        err = ward_dev_node_read(dev, slot, &r);
    }
    if (err == WARD_OK) {
        r.node.cloud_id_len = (uint8_t)f[0].len;
        memcpy(r.node.cloud_id, f[0].ptr, f[0].len);
        size_t len = ward_dev_node_encode(&r, rec);
        err = ward_store_put(&dev_lk(dev)->store,
                             (uint16_t)(DEV_REC_NODE_FIRST + slot), rec, len);
    }
    if (err == WARD_OK) {
        ward_dev_node *n = &dev_st(dev)->nodes[slot];
        n->cloud_id_len = r.node.cloud_id_len;
        memcpy(n->cloud_id, r.node.cloud_id, r.node.cloud_id_len);
        /* The answer, in the same channel, seals the plaintext back. */
        err = ward_dev_chan_seal(dev_lk(dev)->cp, &c->chan, WARD_MSG_DEV_ATTACH,
                                 WARD_FLAG_REPLY, n->key_index, n->client_id,
                                 n->client_id_len, c->channel_id, pt, pt_len,
                                 out, cap, out_len);
    }
    if (err == WARD_OK) {
        ev->type = WARD_DEV_EV_ATTACHED;
        ev->key_index = dev_st(dev)->nodes[slot].key_index;
        ev->channel_id = c->channel_id;
    }
    ward_wipe(&r, sizeof r);
    ward_wipe(rec, sizeof rec);
    ward_wipe(pt, sizeof pt);
    return err;
}
