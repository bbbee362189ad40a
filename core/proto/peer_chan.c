/* Offline peer authentication's channel (ward_peer.h): AEAD records with a sequence
 * number and a replay window. */
#include <string.h>

#include "ward/ward_peer.h"
#include "ward/ward_suite.h"

#include "../ward_inner.h"
#include "peer_inner.h"

#define REC_HEAD 5   /* kind, seq */

ward_err peer_chan_keys(peer_ctx *c)
{
    /* initiator -> responder first, then responder -> initiator */
    uint8_t k[2 * (WARD_AEAD_KEY_LEN + WARD_AEAD_NONCE_LEN)];
    ward_err err = ward_kdf(c->cfg.cp, WARD_LABEL_PEER_SESSION, c->z, sizeof c->z, NULL, 0,
                            c->th, sizeof c->th, k, sizeof k);
    ward_wipe(c->z, sizeof c->z);
    if (err != WARD_OK) {
        ward_wipe(k, sizeof k);
        return err;
    }
    peer_dir i2r, r2i;
    memcpy(i2r.key, k, WARD_AEAD_KEY_LEN);
    memcpy(i2r.iv, k + WARD_AEAD_KEY_LEN, WARD_AEAD_NONCE_LEN);
    memcpy(r2i.key, k + WARD_AEAD_KEY_LEN + WARD_AEAD_NONCE_LEN, WARD_AEAD_KEY_LEN);
    memcpy(r2i.iv, k + 2 * WARD_AEAD_KEY_LEN + WARD_AEAD_NONCE_LEN, WARD_AEAD_NONCE_LEN);
    c->send = c->initiator ? i2r : r2i;
    c->recv = c->initiator ? r2i : i2r;
    ward_wipe(&i2r, sizeof i2r);
    ward_wipe(&r2i, sizeof r2i);
    ward_wipe(k, sizeof k);
    c->send_seq = 0;
    c->sent_all = false;
    c->got_any = false;
    c->recv_top = 0;
    c->recv_window = 0;
    return WARD_OK;
}

/* The nonce of record seq: the direction's base nonce, its last 4 bytes
 * XORed with seq (big-endian), so no two records of a key share one. */
static void nonce_of(const peer_dir *d, uint32_t seq, uint8_t nonce[WARD_AEAD_NONCE_LEN])
{
    memcpy(nonce, d->iv, WARD_AEAD_NONCE_LEN);
    for (unsigned i = 0; i < 4; i++) {
        nonce[WARD_AEAD_NONCE_LEN - 1 - i] ^= (uint8_t)(seq >> (8 * i));
    }
}

ward_err ward_peer_seal(ward_peer *p, const uint8_t *pt, size_t pt_len, uint8_t *out,
                        size_t cap, size_t *len)
{
    WARD_ASSERT(p != NULL && out != NULL && len != NULL && (pt != NULL || pt_len == 0));
    peer_ctx *c = PEER(p);
    *len = 0;
    if (c->state != PEER_UP) {
        return WARD_ERR_STATE;
    }
    if (c->sent_all) {
        return WARD_ERR_EXPIRED;
    }
    if (cap < REC_HEAD || cap - REC_HEAD < pt_len + WARD_AEAD_TAG_LEN) {
        return WARD_ERR_NOSPACE;
    }
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    size_t n = 0;
    out[0] = WARD_PEER_RECORD;
    ward_store32(out + 1, c->send_seq);
    nonce_of(&c->send, c->send_seq, nonce);
    ward_err err = ward_aead_seal(c->cfg.cp, c->send.key, nonce, out, REC_HEAD, pt, pt_len,
                                  out + REC_HEAD, cap - REC_HEAD, &n);
    if (err != WARD_OK) {
        return err;
    }
    if (c->send_seq == UINT32_MAX) {
        c->sent_all = true;
    } else {
        c->send_seq++;
    }
    *len = REC_HEAD + n;
    return WARD_OK;
}

/* Whether seq is new to the window (not yet taken, not too old). */
static bool fresh(const peer_ctx *c, uint32_t seq)
{
    if (!c->got_any || seq > c->recv_top) {
        return true;
    }
    uint32_t behind = c->recv_top - seq;
    return behind < WARD_PEER_WINDOW && (c->recv_window & ((uint64_t)1 << behind)) == 0;
}

static void take(peer_ctx *c, uint32_t seq)
{
    if (!c->got_any) {
        c->got_any = true;
        c->recv_top = seq;
        c->recv_window = 1;
    } else if (seq > c->recv_top) {
        uint32_t ahead = seq - c->recv_top;
        c->recv_window = ahead >= WARD_PEER_WINDOW ? 0 : c->recv_window << ahead;
        c->recv_window |= 1;
        c->recv_top = seq;
    } else {
        c->recv_window |= (uint64_t)1 << (c->recv_top - seq);
    }
}

ward_err ward_peer_open(ward_peer *p, const uint8_t *rec, size_t rec_len, uint8_t *out,
                        size_t cap, size_t *len)
{
    WARD_ASSERT(p != NULL && out != NULL && len != NULL);
    peer_ctx *c = PEER(p);
    *len = 0;
    if (c->state != PEER_UP) {
        return WARD_ERR_STATE;
    }
    if (rec == NULL || rec_len < REC_HEAD + WARD_AEAD_TAG_LEN || rec[0] != WARD_PEER_RECORD) {
        c->why = WARD_PEER_MALFORMED;
        return WARD_ERR_FORMAT;
    }
    if (cap < rec_len - REC_HEAD - WARD_AEAD_TAG_LEN) {
        return WARD_ERR_NOSPACE;
    }
    uint32_t seq = ward_load32(rec + 1);
    if (!fresh(c, seq)) {
        c->why = WARD_PEER_REPLAY;
        return WARD_ERR_CONFLICT;
    }
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    nonce_of(&c->recv, seq, nonce);
    ward_err err = ward_aead_open(c->cfg.cp, c->recv.key, nonce, rec, REC_HEAD, rec + REC_HEAD,
                                  rec_len - REC_HEAD, out, cap, len);
    if (err != WARD_OK) {
        c->why = WARD_PEER_DECRYPT;
        return err;
    }
    /* Only a record that opened moves the window: a forged seq cannot. */
    take(c, seq);
    return WARD_OK;
}
