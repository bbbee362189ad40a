/* Flow D's channel primitives, the same on both ends: keys, sealing, the 64-entry replay window. */
#include <string.h>

#include "ward/ward_device.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "dev_keys.h"

#define TAG_CHANNEL 0x01u
#define TAG_CT 0x0Fu
#define WINDOW 64u

ward_err ward_dev_chan_init(const ward_crypto *cp,
                            const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                            uint8_t key_index, uint32_t channel_id,
                            const uint8_t na[WARD_DEV_OPEN_NONCE_LEN],
                            const uint8_t nd[WARD_DEV_OPEN_NONCE_LEN],
                            bool device_side, ward_dev_chan *c)
{
    uint8_t ctx[1 + 4 + 2 * WARD_DEV_OPEN_NONCE_LEN];
    uint8_t keys[2 * WARD_AEAD_KEY_LEN];
    WARD_ASSERT(cp != NULL && data_key != NULL && na != NULL && nd != NULL);
    WARD_ASSERT(c != NULL);
    memset(c, 0, sizeof *c);
    /* Both nonces in the context: a channel opened again after a restart
     * (counters back at 0) gets keys never used before, so no (key,
     * nonce) pair repeats even though the channel id does. */
    ctx[0] = key_index;
    ward_store32(ctx + 1, channel_id);
    memcpy(ctx + 5, na, WARD_DEV_OPEN_NONCE_LEN);
    memcpy(ctx + 5 + WARD_DEV_OPEN_NONCE_LEN, nd, WARD_DEV_OPEN_NONCE_LEN);
    ward_err err = ward_kdf(cp, WARD_LABEL_DEV_CHANNEL, data_key,
                            WARD_DEV_DATA_KEY_LEN, NULL, 0, ctx, sizeof ctx,
                            keys, sizeof keys);
    if (err == WARD_OK) {
        /* keys = app->device || device->app */
        memcpy(c->tx_key, keys + (device_side ? WARD_AEAD_KEY_LEN : 0),
               WARD_AEAD_KEY_LEN);
        memcpy(c->rx_key, keys + (device_side ? 0 : WARD_AEAD_KEY_LEN),
               WARD_AEAD_KEY_LEN);
    }
    ward_wipe(keys, sizeof keys);
    return err;
}

/* Each direction has its own key, so the nonce needs no direction byte. */
static void chan_nonce(uint32_t channel_id, uint32_t seq,
                       uint8_t nonce[WARD_AEAD_NONCE_LEN])
{
    memset(nonce, 0, WARD_AEAD_NONCE_LEN);
    ward_store32(nonce + 5, channel_id);
    ward_store32(nonce + 9, seq);
}

ward_err ward_dev_chan_seal(const ward_crypto *cp, ward_dev_chan *c,
                            uint8_t type, uint8_t flags, uint8_t key_index,
                            const uint8_t *client_id, size_t client_id_len,
                            uint32_t channel_id, const uint8_t *data,
                            size_t len, uint8_t *out, size_t cap,
                            size_t *out_len)
{
    ward_hdr h;
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    size_t hlen = 0, ct_len = len + WARD_AEAD_TAG_LEN;
    WARD_ASSERT(cp != NULL && c != NULL && out != NULL && out_len != NULL);
    WARD_ASSERT(data != NULL || len == 0);
    WARD_ASSERT(client_id != NULL || client_id_len == 0);
    *out_len = 0;
    if (len > WARD_DEV_DATA_MAX || client_id_len > WARD_CLIENT_ID_MAX) {
        return WARD_ERR_PARAM;
    }
    if (c->tx_seq == UINT32_MAX) {
        return WARD_ERR_STATE;
    }
    memset(&h, 0, sizeof h);
    h.version = WARD_PROTOCOL_VERSION;
    h.type = type;
    h.flags = (uint8_t)(flags | WARD_FLAG_SEALED);
    h.key_index = key_index;
    h.seq = c->tx_seq + 1u;
    h.body_len = (uint16_t)(WARD_TLV_SIZE(4) + WARD_TLV_SIZE(ct_len));
    h.client_id_len = (uint8_t)client_id_len;
    if (client_id_len > 0) {
        memcpy(h.client_id, client_id, client_id_len);
    }
    ward_err err = ward_hdr_encode(&h, out, cap, &hlen);
    if (err != WARD_OK) {
        return err;
    }
    if (cap - hlen < h.body_len) {
        return WARD_ERR_NOSPACE;
    }
    uint8_t *p = out + hlen;
    *p++ = TAG_CHANNEL;
    *p++ = 4;
    ward_store32(p, channel_id);
    p += 4;
    *p++ = TAG_CT;
    if (ct_len < 255u) {
        *p++ = (uint8_t)ct_len;
    } else {
        *p++ = WARD_TLV_LEN_LONG;
        ward_store16(p, (uint16_t)ct_len);
        p += 2;
    }
    chan_nonce(channel_id, h.seq, nonce);
    err = ward_aead_seal(cp, c->tx_key, nonce, out, (size_t)(p - out), data,
                         len, p, ct_len, &ct_len);
    if (err == WARD_OK) {
        /* The counter moves only for a message that exists. */
        c->tx_seq = h.seq;
        *out_len = hlen + h.body_len;
    }
    return err;
}

static const ward_tlv_spec chan_spec[] = {
    { TAG_CHANNEL, true, 4, 4 },
    { TAG_CT, true, WARD_AEAD_TAG_LEN, WARD_DEV_DATA_MAX + WARD_AEAD_TAG_LEN },
};

static ward_err chan_parse(const uint8_t *msg, size_t len, ward_hdr *h,
                           uint32_t *channel_id, ward_tlv_field f[2])
{
    size_t hlen = 0;
    ward_err err = ward_hdr_decode(msg, len, h, &hlen);
    if (err != WARD_OK) {
        return err;
    }
    if ((h->flags & WARD_FLAG_SEALED) == 0 ||
        (h->flags & WARD_FLAG_ERROR) != 0 || h->key_index == 0) {
        return WARD_ERR_FORMAT;
    }
    err = ward_tlv_parse(msg + hlen, h->body_len, chan_spec, 2, f);
    /* Nothing unknown may ride along: the ciphertext is the last byte. */
    if (err == WARD_OK && f[1].ptr + f[1].len != msg + len) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK &&
        (size_t)(WARD_TLV_SIZE(f[0].len) + WARD_TLV_SIZE(f[1].len)) !=
            h->body_len) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = ward_tlv_get_u32(&f[0], channel_id);
    }
    return err;
}

ward_err ward_dev_chan_peek(const uint8_t *msg, size_t len, ward_hdr *h,
                            uint32_t *channel_id)
{
    ward_tlv_field f[2];
    WARD_ASSERT(msg != NULL && h != NULL && channel_id != NULL);
    return chan_parse(msg, len, h, channel_id, f);
}

ward_err ward_dev_window_check(const ward_dev_chan *c, uint32_t seq)
{
    WARD_ASSERT(c != NULL);
    if (seq == 0) {
        return WARD_ERR_AUTH;
    }
    if (seq > c->rx_high) {
        return WARD_OK;
    }
    uint32_t back = c->rx_high - seq;
    if (back >= WINDOW || ((c->rx_seen >> back) & 1u) != 0) {
        return WARD_ERR_AUTH;
    }
    return WARD_OK;
}

void ward_dev_window_accept(ward_dev_chan *c, uint32_t seq)
{
    WARD_ASSERT(c != NULL && seq != 0);
    if (seq > c->rx_high) {
        uint32_t shift = seq - c->rx_high;
        c->rx_seen = shift >= WINDOW ? 0u : c->rx_seen << shift;
        c->rx_seen |= 1u;
        c->rx_high = seq;
    } else {
        c->rx_seen |= (uint64_t)1u << (c->rx_high - seq);
    }
}

ward_err ward_dev_chan_open(const ward_crypto *cp, ward_dev_chan *c,
                            const uint8_t *msg, size_t len, uint8_t *data,
                            size_t cap, size_t *data_len)
{
    ward_hdr h;
    ward_tlv_field f[2];
    uint32_t channel_id = 0;
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    WARD_ASSERT(cp != NULL && c != NULL && msg != NULL && data != NULL);
    WARD_ASSERT(data_len != NULL);
    *data_len = 0;
    ward_err err = chan_parse(msg, len, &h, &channel_id, f);
    if (err != WARD_OK) {
        return err;
    }
    if (cap < (size_t)f[1].len - WARD_AEAD_TAG_LEN) {
        return WARD_ERR_NOSPACE;
    }
    /* A replay is refused before any crypto; the window moves only
     * after the tag verified, so a forgery cannot push it. */
    err = ward_dev_window_check(c, h.seq);
    if (err != WARD_OK) {
        return err;
    }
    chan_nonce(channel_id, h.seq, nonce);
    err = ward_aead_open(cp, c->rx_key, nonce, msg, (size_t)(f[1].ptr - msg),
                         f[1].ptr, f[1].len, data, cap, data_len);
    if (err == WARD_OK) {
        ward_dev_window_accept(c, h.seq);
    }
    return err;
}
