/* Flow C's sub-device link, both ends: key derivations, the HELLO reply, sealed packets. */
#include <string.h>

#include "ward/ward_gw_sub.h"
#include "ward_inner.h"
#include "proto_inner.h"
#include "gw_sub_inner.h"

/* C99 has no _Static_assert: a negative array size fails the build. */
typedef char gws_join_fits[WARD_GW_SUB_JOIN_MAX <= WARD_MSG_MAX ? 1 : -1];
typedef char gws_frame_max[WARD_GW_SUB_FRAME_MAX >= WARD_GW_SUB_DATA_MAX ? 1 : -1];

static const ward_tlv_spec join_spec[GWS_JOIN_NFIELDS + 1] = {
    { GWS_J_ID, true, WARD_GW_SUB_ID_LEN, WARD_GW_SUB_ID_LEN },
    { GWS_J_PUB, true, WARD_P256_POINT_LEN, WARD_P256_POINT_LEN },
    { GWS_J_NONCE, true, WARD_GW_SUB_NONCE_LEN, WARD_GW_SUB_NONCE_LEN },
    { GWS_J_ACT, true, 1, WARD_ACTIVATION_MAX },
    { WARD_TAG_SIG, true, WARD_P256_SIG_LEN, WARD_P256_SIG_LEN },
};

static const ward_tlv_spec packet_spec[] = {
    { GWS_P_ID, true, WARD_GW_SUB_ID_LEN, WARD_GW_SUB_ID_LEN },
    { GWS_P_SEALED, true, WARD_AEAD_TAG_LEN, WARD_GW_SUB_PAYLOAD_MAX + WARD_AEAD_TAG_LEN },
};

ward_err gws_parse(const uint8_t *msg, size_t len, uint8_t type, uint8_t flags,
                   const ward_tlv_spec *spec, size_t n, ward_tlv_field *f)
{
    const uint8_t *body = NULL;
    size_t body_len = 0;
    if (ward_proto_hdr_check(msg, len, type, flags, &body, &body_len) != WARD_OK ||
        ward_tlv_parse(body, body_len, spec, n, f) != WARD_OK ||
        !ward_proto_canonical(f, n, body_len)) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err gws_finish(uint8_t type, uint8_t flags, const ward_tlv_writer *w, uint8_t *out,
                    size_t cap, size_t *len)
{
    size_t body_len = 0;
    ward_err err = ward_tlv_writer_finish(w, &body_len);
    if (err == WARD_OK) {
        err = ward_proto_hdr(type, flags, body_len, out, cap);
    }
    if (err == WARD_OK) {
        *len = WARD_HDR_BASE_LEN + body_len;
    }
    return err;
}

void gws_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t gws_get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

ward_err gws_join_parse(const uint8_t *msg, size_t len, ward_tlv_field f[GWS_JOIN_NFIELDS])
{
    return gws_parse(msg, len, WARD_MSG_GW_SUB_JOIN, 0, join_spec, GWS_JOIN_NFIELDS, f);
}

ward_err gws_activation_matches(const ward_crypto *cp, const uint8_t *act, size_t act_len,
                                const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                                const uint8_t pub[WARD_P256_POINT_LEN],
                                const uint8_t *factory_pub)
{
    static const char digits[] = "0123456789abcdef";
    ward_activation a;
    uint8_t hex[2 * WARD_GW_SUB_ID_LEN];
    ward_err err = factory_pub != NULL ? ward_activation_verify(cp, factory_pub, act, act_len, &a)
                                       : ward_activation_parse(cp, act, act_len, &a);
    if (err != WARD_OK) {
        return err;
    }
    for (size_t i = 0; i < WARD_GW_SUB_ID_LEN; i++) {
        hex[2 * i] = (uint8_t)digits[sub_id[i] >> 4];
        hex[2 * i + 1] = (uint8_t)digits[sub_id[i] & 0x0Fu];
    }
    if (a.sn_len != sizeof hex || memcmp(a.sn, hex, sizeof hex) != 0 ||
        memcmp(a.lock_pub, pub, WARD_P256_POINT_LEN) != 0) {
        return WARD_ERR_AUTH;
    }
    return WARD_OK;
}

ward_err gws_subkey(const ward_crypto *cp, const uint8_t localkey[WARD_GW_SUB_LOCALKEY_LEN],
                    const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                    const uint8_t sub_pub[WARD_P256_POINT_LEN], uint32_t gen,
                    uint8_t key[WARD_GW_SUB_KEY_LEN])
{
    uint8_t ctx[WARD_GW_SUB_ID_LEN + WARD_P256_POINT_LEN + 4];
    memcpy(ctx, sub_id, WARD_GW_SUB_ID_LEN);
    memcpy(ctx + WARD_GW_SUB_ID_LEN, sub_pub, WARD_P256_POINT_LEN);
    gws_put_be32(ctx + WARD_GW_SUB_ID_LEN + WARD_P256_POINT_LEN, gen);
    return ward_kdf(cp, WARD_LABEL_GW_SUB_KEY, localkey, WARD_GW_SUB_LOCALKEY_LEN, NULL, 0, ctx,
                    sizeof ctx, key, WARD_GW_SUB_KEY_LEN);
}

ward_err gws_chan_keys(gws_chan *c, const ward_crypto *cp, const uint8_t key[WARD_GW_SUB_KEY_LEN],
                       const uint8_t sub_id[WARD_GW_SUB_ID_LEN], uint32_t gen,
                       const uint8_t nonce_s[WARD_GW_SUB_NONCE_LEN],
                       const uint8_t nonce_g[WARD_GW_SUB_NONCE_LEN], uint8_t tx_dir)
{
    uint8_t ctx[WARD_GW_SUB_ID_LEN + 4 + 2 * WARD_GW_SUB_NONCE_LEN];
    uint8_t keys[2 * WARD_AEAD_KEY_LEN];
    gws_chan_wipe(c);
    memcpy(ctx, sub_id, WARD_GW_SUB_ID_LEN);
    gws_put_be32(ctx + WARD_GW_SUB_ID_LEN, gen);
    memcpy(ctx + WARD_GW_SUB_ID_LEN + 4, nonce_s, WARD_GW_SUB_NONCE_LEN);
    memcpy(ctx + WARD_GW_SUB_ID_LEN + 4 + WARD_GW_SUB_NONCE_LEN, nonce_g, WARD_GW_SUB_NONCE_LEN);
    ward_err err = ward_kdf(cp, WARD_LABEL_GW_SUB_CHANNEL, key, WARD_GW_SUB_KEY_LEN, NULL, 0, ctx,
                            sizeof ctx, keys, sizeof keys);
    if (err == WARD_OK) {
        const uint8_t *up = keys, *down = keys + WARD_AEAD_KEY_LEN;
        memcpy(c->k_tx, tx_dir == GWS_DIR_UP ? up : down, WARD_AEAD_KEY_LEN);
        memcpy(c->k_rx, tx_dir == GWS_DIR_UP ? down : up, WARD_AEAD_KEY_LEN);
        c->tx_dir = tx_dir;
        c->open = true;
    }
    ward_wipe(keys, sizeof keys);
    return err;
}

/* dir || 8 zero bytes || seq (4, big-endian) */
static void packet_nonce(uint8_t dir, uint32_t seq, uint8_t nonce[WARD_AEAD_NONCE_LEN])
{
    memset(nonce, 0, WARD_AEAD_NONCE_LEN);
    nonce[0] = dir;
    gws_put_be32(nonce + 9, seq);
}

ward_err gws_hello_reply(const gws_chan *c, const ward_crypto *cp,
                         const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                         const uint8_t nonce_g[WARD_GW_SUB_NONCE_LEN], uint8_t *out, size_t cap,
                         size_t *len)
{
    ward_tlv_writer w;
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    size_t n = 0;
    *len = 0;
    if (cap < WARD_GW_SUB_HELLO_REPLY_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, GWS_HR_AD_LEN - WARD_HDR_BASE_LEN);
    ward_tlv_put(&w, GWS_HR_ID, sub_id, WARD_GW_SUB_ID_LEN);
    ward_tlv_put(&w, GWS_HR_NONCE, nonce_g, WARD_GW_SUB_NONCE_LEN);
    WARD_ASSERT(ward_tlv_writer_finish(&w, &n) == WARD_OK);
    WARD_ASSERT(ward_proto_hdr(WARD_MSG_GW_SUB_HELLO, WARD_FLAG_REPLY,
                               WARD_GW_SUB_HELLO_REPLY_LEN - WARD_HDR_BASE_LEN, out,
                               cap) == WARD_OK);
    out[GWS_HR_AD_LEN] = GWS_HR_CONFIRM;
    out[GWS_HR_AD_LEN + 1] = WARD_AEAD_TAG_LEN;
    /* An empty packet at seq 0 of the downward direction: proof that the
     * gateway derived the same keys (it holds the localkey). */
    packet_nonce(GWS_DIR_DOWN, 0, nonce);
    ward_err err = ward_aead_seal(cp, c->tx_dir == GWS_DIR_DOWN ? c->k_tx : c->k_rx, nonce, out,
                                  GWS_HR_AD_LEN, NULL, 0, out + GWS_HR_AD_LEN + 2,
                                  WARD_AEAD_TAG_LEN, &n);
    if (err != WARD_OK) {
        ward_wipe(out, WARD_GW_SUB_HELLO_REPLY_LEN);
        return err;
    }
    *len = WARD_GW_SUB_HELLO_REPLY_LEN;
    return WARD_OK;
}

ward_err gws_packet_parse(const uint8_t *msg, size_t len, ward_hdr *h, ward_tlv_field f[2])
{
    size_t hl = 0;
    if (msg == NULL || ward_hdr_decode(msg, len, h, &hl) != WARD_OK ||
        hl != WARD_HDR_BASE_LEN ||
        (h->type != WARD_MSG_GW_SUB_DATA && h->type != WARD_MSG_GW_SUB_LEAVE) ||
        h->flags != WARD_FLAG_SEALED || h->key_index != 0 || h->seq == 0 ||
        ward_tlv_parse(msg + hl, h->body_len, packet_spec, 2, f) != WARD_OK ||
        !ward_proto_canonical(f, 2, h->body_len) ||
        (h->type == WARD_MSG_GW_SUB_LEAVE && f[1].len != WARD_AEAD_TAG_LEN)) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err gws_seal(gws_chan *c, const ward_crypto *cp, const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                  uint8_t type, const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                  size_t *len)
{
    ward_hdr h;
    ward_tlv_writer w;
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    size_t hl = 0, n = 0, sealed = pt_len + WARD_AEAD_TAG_LEN;
    *len = 0;
    if ((type != WARD_MSG_GW_SUB_DATA && type != WARD_MSG_GW_SUB_LEAVE) ||
        pt_len > WARD_GW_SUB_PAYLOAD_MAX || (type == WARD_MSG_GW_SUB_LEAVE && pt_len != 0)) {
        return WARD_ERR_PARAM;
    }
    if (!c->open || c->tx_seq == UINT32_MAX) {
        return WARD_ERR_STATE;
    }
    if (cap < GWS_P_AD_LEN + WARD_TLV_SIZE(sealed)) {
        return WARD_ERR_NOSPACE;
    }
    memset(&h, 0, sizeof h);
    h.version = WARD_PROTOCOL_VERSION;
    h.type = type;
    h.flags = WARD_FLAG_SEALED;
    h.seq = c->tx_seq + 1;
    h.body_len = (uint16_t)(WARD_TLV_SIZE(WARD_GW_SUB_ID_LEN) + WARD_TLV_SIZE(sealed));
    WARD_ASSERT(ward_hdr_encode(&h, out, cap, &hl) == WARD_OK && hl == WARD_HDR_BASE_LEN);
    ward_tlv_writer_init(&w, out + hl, cap - hl);
    ward_tlv_put(&w, GWS_P_ID, sub_id, WARD_GW_SUB_ID_LEN);
    WARD_ASSERT(ward_tlv_writer_finish(&w, &n) == WARD_OK);
    size_t at = GWS_P_AD_LEN;
    out[at++] = GWS_P_SEALED;
    if (sealed < 255) {
        out[at++] = (uint8_t)sealed;
    } else {
        out[at++] = 0xFFu;
        out[at++] = (uint8_t)(sealed >> 8);
        out[at++] = (uint8_t)sealed;
    }
    packet_nonce(c->tx_dir, h.seq, nonce);
    ward_err err = ward_aead_seal(cp, c->k_tx, nonce, out, GWS_P_AD_LEN, pt, pt_len, out + at,
                                  cap - at, &n);
    if (err != WARD_OK) {
        ward_wipe(out, at);
        return err;
    }
    c->tx_seq = h.seq;
    *len = at + n;
    return WARD_OK;
}

/* true iff seq is new: above the highest, or inside the window and unseen. */
static bool fresh(const gws_chan *c, uint32_t seq)
{
    if (seq > c->rx_top) {
        return true;
    }
    uint32_t back = c->rx_top - seq;
    return back < WARD_GW_SUB_REPLAY_WINDOW && (c->rx_seen & ((uint64_t)1 << back)) == 0;
}

static void mark(gws_chan *c, uint32_t seq)
{
    if (seq > c->rx_top) {
        uint32_t shift = seq - c->rx_top;
        c->rx_seen = shift >= WARD_GW_SUB_REPLAY_WINDOW ? 0 : c->rx_seen << shift;
        c->rx_seen |= 1u;
        c->rx_top = seq;
    } else {
        c->rx_seen |= (uint64_t)1 << (c->rx_top - seq);
    }
}

ward_err gws_open(gws_chan *c, const ward_crypto *cp, const uint8_t *msg, const ward_hdr *h,
                  const ward_tlv_field f[2], uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    uint8_t none[1];
    *out_len = 0;
    if (!c->open) {
        return WARD_ERR_STATE;
    }
    if (!fresh(c, h->seq)) {
        return WARD_ERR_AUTH;   /* replayed */
    }
    if (cap < (size_t)f[1].len - WARD_AEAD_TAG_LEN) {
        return WARD_ERR_NOSPACE;
    }
    packet_nonce(c->tx_dir == GWS_DIR_UP ? GWS_DIR_DOWN : GWS_DIR_UP, h->seq, nonce);
    ward_err err = ward_aead_open(cp, c->k_rx, nonce, msg, GWS_P_AD_LEN, f[1].ptr, f[1].len,
                                  out != NULL ? out : none, out != NULL ? cap : 0, out_len);
    if (err != WARD_OK) {
        *out_len = 0;
        return err == WARD_ERR_CRYPTO ? err : WARD_ERR_AUTH;
    }
    mark(c, h->seq);
    return WARD_OK;
}

ward_err gws_refused_encode(const uint8_t sub_id[WARD_GW_SUB_ID_LEN], uint8_t code,
                            uint8_t *out, size_t cap, size_t *len)
{
    ward_tlv_writer w;
    *len = 0;
    if (cap < WARD_GW_SUB_REFUSED_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN);
    ward_tlv_put(&w, GWS_R_ID, sub_id, WARD_GW_SUB_ID_LEN);
    ward_tlv_put_u8(&w, GWS_R_CODE, code);
    return gws_finish(WARD_MSG_GW_SUB_REFUSED, 0, &w, out, cap, len);
}

void gws_chan_wipe(gws_chan *c)
{
    ward_wipe(c, sizeof *c);
}
