/* The device's one entry point: parse the header, find the binding or node, dispatch, answer. */
#include <string.h>

#include "ward/ward_device.h"
#include "ward_inner.h"
#include "dev_inner.h"

/* A bound node's message: found by key index and CliID; far-field also
 * by the cloud id the app attached, so wardd cannot steer one app's
 * traffic into another's node. Before the first attach, far-field takes
 * only what the first attach needs (CHANNEL_OPEN, ATTACH): the data key
 * authenticates both. */
static ward_err locate(const ward_device *dev, uint8_t kind,
                       const uint8_t *tid, size_t tid_len, const ward_hdr *h,
                       bool attach, size_t *slot)
{
    ward_err err = ward_dev_node_find(dev, h->key_index, h->client_id,
                                      h->client_id_len, slot);
    if (err != WARD_OK || kind != WARD_DEV_FAR) {
        return err;
    }
    const ward_dev_node *n = &dev_cst(dev)->nodes[*slot];
    if (attach && n->cloud_id_len == 0) {
        return WARD_OK;   /* the data key authenticates the first attach */
    }
    if (n->cloud_id_len != tid_len ||
        memcmp(n->cloud_id, tid, tid_len) != 0) {
        return WARD_ERR_NOTFOUND;
    }
    return WARD_OK;
}

ward_err ward_dev_handle(ward_device *dev, uint8_t kind, const uint8_t *tid,
                         size_t tid_len, const uint8_t *in, size_t in_len,
                         uint8_t *out, size_t cap, size_t *out_len,
                         ward_dev_event *ev)
{
    ward_hdr h;
    size_t hlen = 0, slot = 0;
    bool answer_errors = true;
    WARD_ASSERT(dev != NULL && tid != NULL && in != NULL && out != NULL);
    WARD_ASSERT(out_len != NULL && ev != NULL);
    WARD_ASSERT(kind == WARD_DEV_NEAR || kind == WARD_DEV_FAR);
    memset(ev, 0, sizeof *ev);
    *out_len = 0;
    if (tid_len == 0 || tid_len > WARD_DEV_TID_MAX) {
        return WARD_ERR_PARAM;
    }
    ward_err err = ward_hdr_decode(in, in_len, &h, &hlen);
    if (err != WARD_OK) {
        return err;   /* not ours: no answer */
    }
    if ((h.flags & (WARD_FLAG_REPLY | WARD_FLAG_ERROR)) != 0) {
        return WARD_ERR_FORMAT;   /* answers are never requests */
    }
    const uint8_t *body = in + hlen;
    switch (h.type) {
    case WARD_MSG_DEV_PIN_REQUEST:
        err = ward_dev_on_pin_request(dev, kind, tid, tid_len, &h, body, out,
                                      cap, out_len, ev);
        break;
    case WARD_MSG_DEV_PAKE_INIT:
        err = ward_dev_on_pake_init(dev, kind, tid, tid_len, &h, body, out,
                                    cap, out_len, ev);
        break;
    case WARD_MSG_DEV_PAKE_FINISH:
        err = ward_dev_on_pake_finish(dev, kind, tid, tid_len, &h, in, in_len,
                                      hlen, out, cap, out_len, ev);
        break;
    case WARD_MSG_DEV_PAKE_END:
        err = ward_dev_on_pake_end(dev, kind, tid, tid_len, &h,
                                   body, out, cap, out_len);
        break;
    case WARD_MSG_DEV_CHANNEL_OPEN:
    case WARD_MSG_DEV_ATTACH:
    case WARD_MSG_DEV_COMMAND: {
        /* Addressed to a bound node: the sender has shown nothing until
         * the message verifies under the node's key. Until then every
         * failure (no such key index, CliID, cloud id or channel, bad
         * bytes, a tag that does not verify, a replay) gets the same
         * answer, none, so a stranger cannot learn which exist. */
        bool authentic = false;
        err = locate(dev, kind, tid, tid_len, &h,
                     h.type != WARD_MSG_DEV_COMMAND, &slot);
        if (err == WARD_OK && h.type == WARD_MSG_DEV_CHANNEL_OPEN) {
            err = ward_dev_on_channel_open(dev, slot, &h, in, in_len, hlen,
                                           out, cap, out_len, ev, &authentic);
        } else if (err == WARD_OK && h.type == WARD_MSG_DEV_ATTACH) {
            err = ward_dev_on_attach(dev, slot, in, in_len, out, cap, out_len,
                                     ev, &authentic);
        } else if (err == WARD_OK) {
            err = ward_dev_on_command(dev, slot, in, in_len, ev, &authentic);
        }
        answer_errors = authentic;
        if (err == WARD_OK) {
            if (kind == WARD_DEV_NEAR) {
                dev_st(dev)->nodes[slot].near_len = (uint8_t)tid_len;
                memcpy(dev_st(dev)->nodes[slot].near_tid, tid, tid_len);
            }
        }
        break;
    }
    default:
        err = WARD_ERR_UNSUPPORTED;
        break;
    }
    if (err != WARD_OK) {
        ward_wipe(ev, sizeof *ev);
        *out_len = 0;
        if (answer_errors) {
            (void)ward_dev_error_answer(&h, err, out, cap, out_len);
        }
    }
    return err;
}
