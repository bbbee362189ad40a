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
    { GWS_J_ACT, true, 1, WARD_IDENTITY_MAX },
    { GWS_J_CHAL, true, WARD_GW_SUB_CHALLENGE_LEN, WARD_GW_SUB_CHALLENGE_LEN },
    { WARD_TAG_SIG, true, WARD_P256_SIG_LEN, WARD_P256_SIG_LEN },
};

static const ward_tlv_spec challenge_spec[] = {
    { GWS_C_ID, true, WARD_GW_SUB_ID_LEN, WARD_GW_SUB_ID_LEN },
    { GWS_C_CHAL, true, WARD_GW_SUB_CHALLENGE_LEN, WARD_GW_SUB_CHALLENGE_LEN },
};

static const ward_tlv_spec packet_spec[] = {
    { GWS_P_ID, true, WARD_GW_SUB_ID_LEN, WARD_GW_SUB_ID_LEN },
    { GWS_P_SEALED, true, WARD_AEAD_TAG_LEN, WARD_GW_SUB_PAYLOAD_MAX + WARD_AEAD_TAG_LEN },
};

ward_err gws_join_parse(const uint8_t *msg, size_t len, ward_tlv_field f[GWS_JOIN_NFIELDS])
{
    return gw_msg_parse(msg, len, WARD_MSG_GW_SUB_JOIN, 0, join_spec, GWS_JOIN_NFIELDS, f);
}

ward_err gws_challenge_parse(const uint8_t *msg, size_t len, uint8_t flags, ward_tlv_field f[2])
{
    return gw_msg_parse(msg, len, WARD_MSG_GW_SUB_CHALLENGE, flags, challenge_spec,
                        flags == WARD_FLAG_REPLY ? 2u : 1u, f);
}

ward_err gws_challenge_encode(const uint8_t sub_id[WARD_GW_SUB_ID_LEN], const uint8_t *chal,
                              uint8_t *out, size_t cap, size_t *len)
{
    ward_tlv_writer w;
    *len = 0;
    if (cap < (chal != NULL ? WARD_GW_SUB_CHALLENGE_REPLY_LEN : WARD_GW_SUB_CHALLENGE_ASK_LEN)) {
        return WARD_ERR_NOSPACE;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN);
    ward_tlv_put(&w, GWS_C_ID, sub_id, WARD_GW_SUB_ID_LEN);
    if (chal != NULL) {
        ward_tlv_put(&w, GWS_C_CHAL, chal, WARD_GW_SUB_CHALLENGE_LEN);
    }
    return gw_msg_finish(WARD_MSG_GW_SUB_CHALLENGE, chal != NULL ? WARD_FLAG_REPLY : 0, &w, out,
                         cap, len);
}

ward_err gws_subkey(const ward_crypto *cp, const uint8_t localkey[WARD_GW_SUB_LOCALKEY_LEN],
                    const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                    const uint8_t sub_pub[WARD_P256_POINT_LEN], uint32_t gen,
                    uint8_t key[WARD_GW_SUB_KEY_LEN])
{
    uint8_t ctx[WARD_GW_SUB_ID_LEN + WARD_P256_POINT_LEN + 4];
    memcpy(ctx, sub_id, WARD_GW_SUB_ID_LEN);
    memcpy(ctx + WARD_GW_SUB_ID_LEN, sub_pub, WARD_P256_POINT_LEN);
    ward_store32(ctx + WARD_GW_SUB_ID_LEN + WARD_P256_POINT_LEN, gen);
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
    ward_store32(ctx + WARD_GW_SUB_ID_LEN, gen);
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
    gw_nonce(GWS_DIR_DOWN, 0, nonce);
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
    static const uint8_t types[] = {WARD_MSG_GW_SUB_DATA, WARD_MSG_GW_SUB_LEAVE};
    if (gw_sealed_parse(msg, len, types, sizeof types, packet_spec, h, f) != WARD_OK ||
        (h->type == WARD_MSG_GW_SUB_LEAVE && f[1].len != WARD_AEAD_TAG_LEN)) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err gws_seal(gws_chan *c, const ward_crypto *cp, const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                  uint8_t type, const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                  size_t *len)
{
    *len = 0;
    if ((type != WARD_MSG_GW_SUB_DATA && type != WARD_MSG_GW_SUB_LEAVE) ||
        pt_len > WARD_GW_SUB_PAYLOAD_MAX || (type == WARD_MSG_GW_SUB_LEAVE && pt_len != 0)) {
        return WARD_ERR_PARAM;
    }
    if (!c->open || c->tx_seq == UINT32_MAX) {
        return WARD_ERR_STATE;
    }
    ward_err err = gw_sealed_write(cp, c->k_tx, c->tx_dir, type, 0, c->tx_seq + 1, sub_id,
                                   WARD_GW_SUB_ID_LEN, pt, pt_len, out, cap, len);
    if (err != WARD_OK) {
        return err;
    }
    c->tx_seq++;
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
    gw_nonce(c->tx_dir == GWS_DIR_UP ? GWS_DIR_DOWN : GWS_DIR_UP, h->seq, nonce);
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
    return gw_msg_finish(WARD_MSG_GW_SUB_REFUSED, 0, &w, out, cap, len);
}

void gws_chan_wipe(gws_chan *c)
{
    ward_wipe(c, sizeof *c);
}
