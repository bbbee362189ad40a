/* The app's half of flow D, channels: open and resume, commands and replies, attach. */
#include <string.h>

#include "ward/ward_dev_app.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "dev_app_inner.h"
#include "dev_inner.h"
#include "proto_inner.h"

enum { C_CLOSED = 0, C_OPEN_SENT, C_OPEN };

/* c's request in flight, as it went out under d. */
static ward_dev_app_request chan_request(const ward_pair_device *d,
                            const ward_pair_channel_state *c)
{
    ward_dev_app_request rq = { c->req_type, d->key_index, c->req_seq, d->client_id,
                   d->client_id_len };
    return rq;
}

bool ward_pair_channel_waiting(const ward_pair_channel *ctx)
{
    WARD_ASSERT(ctx != NULL);
    const ward_pair_channel_state *c = pchan_cst(ctx);
    return c->req_type != 0;
}

ward_err ward_pair_channel_reopen(const ward_pair_device *d,
                                  const ward_crypto *cp,
                                  const ward_random *rng,
                                  ward_pair_channel *ctx, uint8_t *out,
                                  size_t cap, size_t *out_len)
{
    uint8_t lost_na[WARD_DEV_OPEN_NONCE_LEN];
    uint32_t lost_seq = 0;
    WARD_ASSERT(ctx != NULL && out_len != NULL);
    ward_pair_channel_state *c = pchan_st(ctx);
    *out_len = 0;
    if (c->state == C_OPEN && c->req_type == WARD_MSG_DEV_COMMAND) {
        memcpy(lost_na, c->na, sizeof lost_na);   /* the channel's Na */
        lost_seq = c->req_seq;
    } else if (c->state == C_OPEN_SENT && c->reopen) {
        memcpy(lost_na, c->lost_na, sizeof lost_na);
        lost_seq = c->lost_seq;
    } else {
        return WARD_ERR_STATE;
    }
    ward_err err = ward_pair_channel_open(d, cp, rng, c->channel_id, ctx, out,
                                          cap, out_len);
    if (err == WARD_OK) {
        c->reopen = 1;
        memcpy(c->lost_na, lost_na, sizeof lost_na);
        c->lost_seq = lost_seq;
    }
    ward_wipe(lost_na, sizeof lost_na);
    return err;
}

ward_pair_fate ward_pair_channel_fate(const ward_pair_channel *ctx)
{
    WARD_ASSERT(ctx != NULL);
    const ward_pair_channel_state *c = pchan_cst(ctx);
    return (ward_pair_fate)c->fate;
}

ward_err ward_pair_channel_open(const ward_pair_device *d,
                                const ward_crypto *cp, const ward_random *rng,
                                uint32_t channel_id, ward_pair_channel *ctx,
                                uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t pt[WARD_TLV_SIZE(4) + WARD_TLV_SIZE(WARD_DEV_OPEN_NONCE_LEN)];
    size_t pt_len = 0;
    ward_tlv_writer w;
    ward_hdr h;
    WARD_ASSERT(d != NULL && cp != NULL && rng != NULL && ctx != NULL);
    ward_pair_channel_state *c = pchan_st(ctx);
    WARD_ASSERT(out != NULL && out_len != NULL);
    memset(ctx, 0, sizeof *ctx);
    *out_len = 0;
    c->channel_id = channel_id;
    ward_err err = rng->fill(rng->ctx, c->na, sizeof c->na);
    if (err == WARD_OK) {
        ward_tlv_writer_init(&w, pt, sizeof pt);
        ward_tlv_put_u32(&w, 0x01, channel_id);
        ward_tlv_put(&w, 0x02, c->na, sizeof c->na);
        err = ward_tlv_writer_finish(&w, &pt_len);
    }
    if (err == WARD_OK) {
        ward_dev_app_hdr(&h, WARD_MSG_DEV_CHANNEL_OPEN, WARD_FLAG_SEALED,
                 d->key_index, d->client_id, d->client_id_len);
        err = ward_dev_seal_msg(cp, rng, d->data_key, &h, NULL, 0, pt, pt_len,
                                out, cap, out_len);
    }
    if (err == WARD_OK) {
        c->state = C_OPEN_SENT;
        c->req_type = WARD_MSG_DEV_CHANNEL_OPEN;
        c->req_seq = 0;
    }
    return err;
}

ward_err ward_pair_on_channel_open(const ward_pair_device *d,
                                   const ward_crypto *cp,
                                   ward_pair_channel *ctx, const uint8_t *in,
                                   size_t in_len)
{
    static const ward_tlv_spec spec[] = {
        { 0x01, true, 4, 4 },
        { 0x02, true, WARD_DEV_OPEN_NONCE_LEN, WARD_DEV_OPEN_NONCE_LEN },
        { 0x03, true, WARD_DEV_OPEN_NONCE_LEN, WARD_DEV_OPEN_NONCE_LEN },
        { 0x04, true, 4, 4 },
        { 0x05, true, 4, 4 },
        { 0x06, true, WARD_DEV_OPEN_NONCE_LEN, WARD_DEV_OPEN_NONCE_LEN },
    };
    ward_tlv_field f[6];
    ward_hdr h;
    size_t hlen = 0, clear_len = 0, pt_len = 0;
    uint8_t pt[4 * WARD_TLV_SIZE(WARD_DEV_OPEN_NONCE_LEN) + 3 * WARD_TLV_SIZE(4)];
    uint32_t id = 0, dev_tx = 0, dev_rx = 0;
    int refusal = WARD_DEV_APP_NO_REFUSAL;
    ward_dev_chan chan;
    WARD_ASSERT(d != NULL && cp != NULL && ctx != NULL && in != NULL);
    ward_pair_channel_state *c = pchan_st(ctx);
    memset(&chan, 0, sizeof chan);
    if (c->state != C_OPEN_SENT) {
        return WARD_ERR_STATE;
    }
    const ward_dev_app_request rq = chan_request(d, c);
    ward_err err = ward_dev_app_answer(in, in_len, WARD_MSG_DEV_CHANNEL_OPEN,
                                       WARD_FLAG_REPLY | WARD_FLAG_SEALED,
                                       d->client_id, d->client_id_len, &rq,
                                       &h, &hlen, &refusal);
    if (refusal == WARD_DEV_APP_REFUSES_RQ) {
        c->req_type = 0;   /* the exchange is over; nothing else moves */
    }
    if (err == WARD_OK && h.key_index != d->key_index) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = ward_dev_open_msg(cp, d->data_key, in, in_len, hlen, &clear_len,
                                pt, sizeof pt, &pt_len);
        err = err == WARD_ERR_NOSPACE ? WARD_ERR_FORMAT : err;
    }
    if (err == WARD_OK && clear_len != 0) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = ward_tlv_parse(pt, pt_len, spec, 6, f);
    }
    if (err == WARD_OK && !ward_proto_canonical(f, 6, pt_len)) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = ward_tlv_get_u32(&f[0], &id);
    }
    if (err == WARD_OK) {
        err = ward_tlv_get_u32(&f[3], &dev_tx);
    }
    if (err == WARD_OK) {
        err = ward_tlv_get_u32(&f[4], &dev_rx);
    }
    if (err == WARD_OK) {
        /* The echo ties this answer to our request: an old answer
         * replayed to us does not fit. */
        if (id != c->channel_id ||
            !ward_ct_equal(f[5].ptr, c->na, WARD_DEV_OPEN_NONCE_LEN)) {
            err = WARD_ERR_AUTH;
        }
    }
    if (err == WARD_OK) {
        /* Into a local first: a failure must leave c as it was, so the
         * caller may keep waiting for the genuine answer. */
        uint8_t na[WARD_DEV_OPEN_NONCE_LEN];
        memcpy(na, f[1].ptr, sizeof na);
        err = ward_dev_chan_init(cp, d->data_key, d->key_index, id, na,
                                 f[2].ptr, false, &chan);
        if (err == WARD_OK) {
            /* A re-open after an unanswered command: the channel's Na
             * says whether the device kept the channel the command went
             * in (a new one has our new Na), and its highest seq
             * accepted whether it took the command. */
            uint32_t sent = 0;
            if (c->reopen) {
                bool kept = ward_ct_equal(na, c->lost_na, sizeof na);
                c->fate = (uint8_t)(!kept ? WARD_PAIR_FATE_LOST
                                    : dev_rx >= c->lost_seq
                                        ? WARD_PAIR_FATE_TAKEN
                                        : WARD_PAIR_FATE_NOT_TAKEN);
                /* In the same channel, never seal under a seq already
                 * used, even one the device did not take. */
                sent = kept ? c->lost_seq : 0u;
                c->reopen = 0;
            }
            /* Resume above everything the device has seen and sent. */
            memcpy(c->na, na, sizeof na);
            c->chan = chan;
            c->chan.tx_seq = dev_rx > sent ? dev_rx : sent;
            c->chan.rx_high = dev_tx;
            c->chan.rx_seen = dev_tx > 0 ? UINT64_MAX : 0u;
            c->state = C_OPEN;
            c->req_type = 0;
        }
    }
    ward_wipe(&chan, sizeof chan);
    ward_wipe(pt, sizeof pt);
    return err;
}

ward_err ward_pair_command(const ward_pair_device *d, const ward_crypto *cp,
                           ward_pair_channel *ctx, const uint8_t *data,
                           size_t len, uint8_t *out, size_t cap,
                           size_t *out_len)
{
    WARD_ASSERT(d != NULL && ctx != NULL && out_len != NULL);
    ward_pair_channel_state *c = pchan_st(ctx);
    *out_len = 0;
    if (c->state != C_OPEN) {
        return WARD_ERR_STATE;
    }
    ward_err err = ward_dev_chan_seal(cp, &c->chan, WARD_MSG_DEV_COMMAND, 0,
                                      d->key_index, d->client_id,
                                      d->client_id_len, c->channel_id, data,
                                      len, out, cap, out_len);
    if (err == WARD_OK) {
        /* The seal moved tx_seq to this command's seq, which the device's
         * refusal of it echoes. */
        c->req_type = WARD_MSG_DEV_COMMAND;
        c->req_seq = c->chan.tx_seq;
    }
    return err;
}

/* A message the device sent in c, before its tag is checked: an error
 * answer's code (the exchange ends only if it refuses c's request in
 * flight), or WARD_OK with h once it is of `type`, in c's channel, to
 * this app, sealed, with REPLY set (or, with notify_ok, also without). */
static ward_err chan_incoming(const ward_pair_device *d, ward_pair_channel_state *c,
                              const uint8_t *in, size_t in_len, uint8_t type,
                              bool notify_ok, ward_hdr *h)
{
    size_t hlen = 0;
    uint32_t id = 0;
    if (c->state != C_OPEN) {
        return WARD_ERR_STATE;
    }
    ward_err err = ward_pair_error_of(in, in_len);
    if (err != WARD_OK) {
        const ward_dev_app_request rq = chan_request(d, c);
        if (ward_hdr_decode(in, in_len, h, &hlen) == WARD_OK &&
            ward_dev_app_refuses(h, &rq)) {
            c->req_type = 0;   /* the exchange is over; nothing else moves */
        }
        return err;
    }
    err = ward_dev_chan_peek(in, in_len, h, &id);
    if (err == WARD_OK &&
        (h->type != type || id != c->channel_id || h->key_index != d->key_index ||
         (notify_ok ? (h->flags & ~(uint8_t)WARD_FLAG_REPLY) != WARD_FLAG_SEALED
                    : h->flags != (WARD_FLAG_REPLY | WARD_FLAG_SEALED)) ||
         h->client_id_len != d->client_id_len ||
         memcmp(h->client_id, d->client_id, d->client_id_len) != 0)) {
        err = WARD_ERR_FORMAT;
    }
    return err;
}

ward_err ward_pair_on_reply(const ward_pair_device *d, const ward_crypto *cp,
                            ward_pair_channel *ctx, const uint8_t *in,
                            size_t in_len, uint8_t *data, size_t cap,
                            size_t *data_len, bool *is_reply)
{
    ward_hdr h;
    WARD_ASSERT(d != NULL && ctx != NULL && in != NULL && data_len != NULL);
    ward_pair_channel_state *c = pchan_st(ctx);
    *data_len = 0;
    ward_err err = chan_incoming(d, c, in, in_len, WARD_MSG_DEV_REPLY, true, &h);
    if (err == WARD_OK) {
        err = ward_dev_chan_open(cp, &c->chan, in, in_len, data, cap,
                                 data_len);
    }
    if (err == WARD_OK && (h.flags & WARD_FLAG_REPLY) != 0) {
        c->req_type = 0;   /* answered (a notification answers nothing) */
    }
    if (err == WARD_OK && is_reply != NULL) {
        *is_reply = (h.flags & WARD_FLAG_REPLY) != 0;
    }
    return err;
}

static const ward_tlv_spec attach_spec[] = {
    { 0x01, true, 1, WARD_DEV_CLOUD_ID_MAX },
};

ward_err ward_pair_attach(const ward_pair_device *d, const ward_crypto *cp,
                          ward_pair_channel *ctx, const uint8_t *cloud_id,
                          size_t cloud_id_len, uint8_t *out, size_t cap,
                          size_t *out_len)
{
    uint8_t pt[WARD_TLV_SIZE(WARD_DEV_CLOUD_ID_MAX)];
    size_t pt_len = 0;
    ward_tlv_writer w;
    WARD_ASSERT(d != NULL && cp != NULL && ctx != NULL && out_len != NULL);
    ward_pair_channel_state *c = pchan_st(ctx);
    *out_len = 0;
    if (cloud_id == NULL || cloud_id_len == 0 ||
        cloud_id_len > WARD_DEV_CLOUD_ID_MAX) {
        return WARD_ERR_PARAM;
    }
    if (c->state != C_OPEN) {
        return WARD_ERR_STATE;
    }
    ward_tlv_writer_init(&w, pt, sizeof pt);
    ward_tlv_put(&w, 0x01, cloud_id, cloud_id_len);
    ward_err err = ward_tlv_writer_finish(&w, &pt_len);
    if (err == WARD_OK) {
        /* In the channel, under its counter: the device's replay window
         * refuses this ATTACH if anyone sends it again. */
        err = ward_dev_chan_seal(cp, &c->chan, WARD_MSG_DEV_ATTACH, 0,
                                 d->key_index, d->client_id, d->client_id_len,
                                 c->channel_id, pt, pt_len, out, cap, out_len);
    }
    if (err == WARD_OK) {
        c->req_type = WARD_MSG_DEV_ATTACH;
        c->req_seq = c->chan.tx_seq;
    }
    ward_wipe(pt, sizeof pt);
    return err;
}

ward_err ward_pair_on_attach(const ward_pair_device *d, const ward_crypto *cp,
                             ward_pair_channel *ctx, const uint8_t *cloud_id,
                             size_t cloud_id_len, const uint8_t *in,
                             size_t in_len)
{
    uint8_t pt[WARD_TLV_SIZE(WARD_DEV_CLOUD_ID_MAX)];
    size_t pt_len = 0;
    ward_tlv_field f[1];
    ward_hdr h;
    WARD_ASSERT(d != NULL && cp != NULL && ctx != NULL && in != NULL);
    WARD_ASSERT(cloud_id != NULL || cloud_id_len == 0);
    ward_pair_channel_state *c = pchan_st(ctx);
    if (c->req_type != WARD_MSG_DEV_ATTACH) {
        return WARD_ERR_STATE;
    }
    ward_err err = chan_incoming(d, c, in, in_len, WARD_MSG_DEV_ATTACH, false, &h);
    /* Into a copy first: an answer that verifies but does not echo this
     * cloud id leaves the channel as it was. */
    ward_dev_chan chan = c->chan;
    if (err == WARD_OK) {
        err = ward_dev_chan_open(cp, &chan, in, in_len, pt, sizeof pt, &pt_len);
        err = err == WARD_ERR_NOSPACE ? WARD_ERR_FORMAT : err;
    }
    if (err == WARD_OK) {
        err = ward_tlv_parse(pt, pt_len, attach_spec, 1, f);
    }
    if (err == WARD_OK && (!ward_proto_canonical(f, 1, pt_len) ||
                           f[0].len != cloud_id_len ||
                           memcmp(f[0].ptr, cloud_id, cloud_id_len) != 0)) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        c->chan = chan;
        c->req_type = 0;
    }
    ward_wipe(&chan, sizeof chan);
    ward_wipe(pt, sizeof pt);
    return err;
}
