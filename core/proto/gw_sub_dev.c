/* Flow C's sub-device side: JOIN through the gateway's window, HELLO, sealed packets. */
#include <string.h>

#include "ward/ward_gw_sub.h"
#include "ward_inner.h"
#include "proto_inner.h"
#include "gw_sub_inner.h"

#define ST_NONE 0u
#define ST_JOIN_SENT 1u   /* a JOIN is out; no credential yet */
#define ST_READY 2u       /* a credential, no channel */
#define ST_HELLO_SENT 3u
#define ST_OPEN 4u

typedef struct sub_dev {
    uint8_t state;
    uint32_t gen;
    uint8_t sub_id[WARD_GW_SUB_ID_LEN];
    uint8_t nonce[WARD_GW_SUB_NONCE_LEN];   /* the JOIN's, then the HELLO's */
    uint8_t key[WARD_GW_SUB_KEY_LEN];
    gws_chan chan;
} sub_dev;

typedef char sub_dev_fits[sizeof(sub_dev) <= WARD_GW_SUB_DEV_CTX_SIZE ? 1 : -1];

static const ward_tlv_spec join_reply_spec[] = {
    { GWS_JR_ID, true, WARD_GW_SUB_ID_LEN, WARD_GW_SUB_ID_LEN },
    { GWS_JR_NONCE, true, WARD_GW_SUB_NONCE_LEN, WARD_GW_SUB_NONCE_LEN },
    { GWS_JR_GEN, true, 4, 4 },
    { GWS_JR_SEALED, true, GWS_JR_SEALED_LEN, GWS_JR_SEALED_LEN },
};

static const ward_tlv_spec hello_reply_spec[] = {
    { GWS_HR_ID, true, WARD_GW_SUB_ID_LEN, WARD_GW_SUB_ID_LEN },
    { GWS_HR_NONCE, true, WARD_GW_SUB_NONCE_LEN, WARD_GW_SUB_NONCE_LEN },
    { GWS_HR_CONFIRM, true, WARD_AEAD_TAG_LEN, WARD_AEAD_TAG_LEN },
};

static const ward_tlv_spec refused_spec[] = {
    { GWS_R_ID, true, WARD_GW_SUB_ID_LEN, WARD_GW_SUB_ID_LEN },
    { GWS_R_CODE, true, 1, 1 },
};

static sub_dev *sd(ward_gw_sub_dev *d)
{
    return (sub_dev *)(void *)d->opaque.bytes;
}

ward_err ward_gw_sub_challenge_ask(const uint8_t sub_id[WARD_GW_SUB_ID_LEN], uint8_t *out,
                                   size_t cap, size_t *len)
{
    WARD_ASSERT(sub_id != NULL && out != NULL && len != NULL);
    return gws_challenge_encode(sub_id, NULL, out, cap, len);
}

ward_err ward_gw_sub_join_start(ward_gw_sub_dev *d, const ward_crypto *cp,
                                const ward_random *rng, const ward_keystore *ks,
                                ward_key_id id, const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                                const uint8_t *activation, size_t activation_len,
                                const uint8_t *chal, size_t chal_len, uint8_t *out, size_t cap,
                                size_t *len)
{
    uint8_t pub[WARD_P256_POINT_LEN];
    ward_tlv_writer w;
    ward_tlv_field cf[2];
    size_t fields = 0;
    WARD_ASSERT(d != NULL && cp != NULL && rng != NULL && ks != NULL && sub_id != NULL);
    WARD_ASSERT(activation != NULL && out != NULL && len != NULL);
    WARD_ASSERT(chal != NULL || chal_len == 0);
    *len = 0;
    ward_gw_sub_dev_wipe(d);
    sub_dev *s = sd(d);
    if (activation_len == 0 || activation_len > WARD_IDENTITY_MAX) {
        return WARD_ERR_PARAM;
    }
    /* The gateway's answer to our CHALLENGE: its window's challenge. */
    if (gws_challenge_parse(chal, chal_len, WARD_FLAG_REPLY, cf) != WARD_OK ||
        memcmp(cf[0].ptr, sub_id, WARD_GW_SUB_ID_LEN) != 0) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = ks->public_key(ks->ctx, id, pub);
    if (err != WARD_OK) {
        return err;
    }
    /* Refuse to send what the gateway would refuse. */
    if (gw_activation_matches(cp, activation, activation_len, sub_id, pub, NULL, 0) != WARD_OK) {
        return WARD_ERR_PARAM;
    }
    if (cap < WARD_HDR_BASE_LEN + WARD_SIG_FIELD_LEN) {
        return WARD_ERR_NOSPACE;
    }
    err = rng->fill(rng->ctx, s->nonce, sizeof s->nonce);
    if (err != WARD_OK) {
        return err;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN - WARD_SIG_FIELD_LEN);
    ward_tlv_put(&w, GWS_J_ID, sub_id, WARD_GW_SUB_ID_LEN);
    ward_tlv_put(&w, GWS_J_PUB, pub, WARD_P256_POINT_LEN);
    ward_tlv_put(&w, GWS_J_NONCE, s->nonce, WARD_GW_SUB_NONCE_LEN);
    ward_tlv_put(&w, GWS_J_ACT, activation, activation_len);
    ward_tlv_put(&w, GWS_J_CHAL, cf[1].ptr, WARD_GW_SUB_CHALLENGE_LEN);
    err = ward_tlv_writer_finish(&w, &fields);
    if (err == WARD_OK) {
        err = ward_proto_hdr(WARD_MSG_GW_SUB_JOIN, 0, fields + WARD_SIG_FIELD_LEN, out, cap);
    }
    if (err == WARD_OK) {
        err = ward_proto_sign_by(cp, WARD_LABEL_GW_SUB_JOIN, ks, id, out,
                                 WARD_HDR_BASE_LEN + fields, cap, len);
    }
    if (err != WARD_OK) {
        ward_gw_sub_dev_wipe(d);
        *len = 0;
        return err;
    }
    memcpy(s->sub_id, sub_id, WARD_GW_SUB_ID_LEN);
    s->state = ST_JOIN_SENT;
    return WARD_OK;
}

ward_err ward_gw_sub_join_finish(ward_gw_sub_dev *d, const ward_crypto *cp,
                                 const ward_keystore *ks, ward_key_id id, const uint8_t *msg,
                                 size_t len, ward_gw_sub_cred *cred)
{
    ward_tlv_field f[4];
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t key[WARD_GW_SUB_KEY_LEN];
    size_t n = 0;
    uint32_t gen = 0;
    WARD_ASSERT(d != NULL && cp != NULL && ks != NULL && cred != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(cred, 0, sizeof *cred);
    sub_dev *s = sd(d);
    if (s->state != ST_JOIN_SENT) {
        return WARD_ERR_STATE;
    }
    if (len != WARD_GW_SUB_JOIN_REPLY_LEN ||
        gw_msg_parse(msg, len, WARD_MSG_GW_SUB_JOIN, WARD_FLAG_REPLY, join_reply_spec, 4, f) !=
            WARD_OK ||
        ward_tlv_get_u32(&f[2], &gen) != WARD_OK || gen == 0) {
        return WARD_ERR_FORMAT;
    }
    /* The answer to this JOIN, for this sub-device. */
    if (!ward_ct_equal(f[0].ptr, s->sub_id, WARD_GW_SUB_ID_LEN) ||
        !ward_ct_equal(f[1].ptr, s->nonce, WARD_GW_SUB_NONCE_LEN)) {
        return WARD_ERR_AUTH;
    }
    ward_err err = ks->public_key(ks->ctx, id, pub);
    if (err == WARD_OK) {
        err = ward_seal_open_by(cp, ks, id, pub, msg, GWS_JR_AD_LEN, f[3].ptr, f[3].len, key,
                                sizeof key, &n);
        if (err == WARD_ERR_FORMAT) {
            err = WARD_ERR_AUTH;   /* an ephemeral point off the curve: forged */
        }
    }
    if (err != WARD_OK || n != sizeof key) {
        ward_wipe(key, sizeof key);
        return err != WARD_OK ? err : WARD_ERR_AUTH;
    }
    memcpy(cred->sub_id, s->sub_id, WARD_GW_SUB_ID_LEN);
    cred->generation = gen;
    memcpy(cred->key, key, sizeof key);
    ward_wipe(key, sizeof key);
    return ward_gw_sub_dev_load(d, cred);
}

ward_err ward_gw_sub_dev_load(ward_gw_sub_dev *d, const ward_gw_sub_cred *cred)
{
    WARD_ASSERT(d != NULL && cred != NULL);
    if (cred->generation == 0) {
        return WARD_ERR_PARAM;
    }
    ward_gw_sub_dev_wipe(d);
    sub_dev *s = sd(d);
    memcpy(s->sub_id, cred->sub_id, WARD_GW_SUB_ID_LEN);
    s->gen = cred->generation;
    memcpy(s->key, cred->key, WARD_GW_SUB_KEY_LEN);
    s->state = ST_READY;
    return WARD_OK;
}

ward_err ward_gw_sub_hello(ward_gw_sub_dev *d, const ward_crypto *cp, const ward_random *rng,
                           uint8_t *out, size_t cap, size_t *len)
{
    ward_tlv_writer w;
    WARD_ASSERT(d != NULL && cp != NULL && rng != NULL && out != NULL && len != NULL);
    *len = 0;
    sub_dev *s = sd(d);
    if (s->state < ST_READY) {
        return WARD_ERR_STATE;
    }
    if (cap < WARD_GW_SUB_HELLO_LEN) {
        return WARD_ERR_NOSPACE;
    }
    gws_chan_wipe(&s->chan);
    s->state = ST_READY;
    ward_err err = rng->fill(rng->ctx, s->nonce, sizeof s->nonce);
    if (err != WARD_OK) {
        return err;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN);
    ward_tlv_put(&w, GWS_H_ID, s->sub_id, WARD_GW_SUB_ID_LEN);
    ward_tlv_put_u32(&w, GWS_H_GEN, s->gen);
    ward_tlv_put(&w, GWS_H_NONCE, s->nonce, WARD_GW_SUB_NONCE_LEN);
    err = gw_msg_finish(WARD_MSG_GW_SUB_HELLO, 0, &w, out, cap, len);
    if (err == WARD_OK) {
        s->state = ST_HELLO_SENT;
    }
    return err;
}

ward_err ward_gw_sub_hello_finish(ward_gw_sub_dev *d, const ward_crypto *cp,
                                  const uint8_t *msg, size_t len)
{
    ward_tlv_field f[3];
    uint8_t expect[WARD_GW_SUB_HELLO_REPLY_LEN];
    size_t n = 0;
    WARD_ASSERT(d != NULL && cp != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    sub_dev *s = sd(d);
    if (s->state != ST_HELLO_SENT) {
        return WARD_ERR_STATE;
    }
    if (len != WARD_GW_SUB_HELLO_REPLY_LEN ||
        gw_msg_parse(msg, len, WARD_MSG_GW_SUB_HELLO, WARD_FLAG_REPLY, hello_reply_spec, 3, f) !=
            WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    if (!ward_ct_equal(f[0].ptr, s->sub_id, WARD_GW_SUB_ID_LEN)) {
        return WARD_ERR_AUTH;
    }
    gws_chan c;
    ward_err err = gws_chan_keys(&c, cp, s->key, s->sub_id, s->gen, s->nonce, f[1].ptr,
                                 GWS_DIR_UP);
    /* The reply is deterministic: rebuild it and compare, confirm included. */
    if (err == WARD_OK) {
        err = gws_hello_reply(&c, cp, s->sub_id, f[1].ptr, expect, sizeof expect, &n);
    }
    if (err == WARD_OK && !ward_ct_equal(expect, msg, WARD_GW_SUB_HELLO_REPLY_LEN)) {
        err = WARD_ERR_AUTH;
    }
    if (err != WARD_OK) {
        gws_chan_wipe(&c);   /* a forged reply leaves the HELLO pending */
        return err == WARD_ERR_CRYPTO ? err : WARD_ERR_AUTH;
    }
    s->chan = c;
    gws_chan_wipe(&c);
    s->state = ST_OPEN;
    return WARD_OK;
}

ward_err ward_gw_sub_dev_seal(ward_gw_sub_dev *d, const ward_crypto *cp, uint8_t type,
                              const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                              size_t *len)
{
    WARD_ASSERT(d != NULL && cp != NULL && out != NULL && len != NULL);
    WARD_ASSERT(pt != NULL || pt_len == 0);
    *len = 0;
    sub_dev *s = sd(d);
    if (s->state != ST_OPEN) {
        return WARD_ERR_STATE;
    }
    ward_err err = gws_seal(&s->chan, cp, s->sub_id, type, pt, pt_len, out, cap, len);
    if (err == WARD_OK && type == WARD_MSG_GW_SUB_LEAVE) {
        gws_chan_wipe(&s->chan);
        s->state = ST_READY;
    }
    return err;
}

ward_err ward_gw_sub_dev_open(ward_gw_sub_dev *d, const ward_crypto *cp, const uint8_t *msg,
                              size_t len, uint8_t *type, uint8_t *out, size_t cap,
                              size_t *out_len)
{
    ward_hdr h;
    ward_tlv_field f[2];
    WARD_ASSERT(d != NULL && cp != NULL && type != NULL && out_len != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    WARD_ASSERT(out != NULL || cap == 0);
    *out_len = 0;
    *type = 0;
    sub_dev *s = sd(d);
    if (s->state != ST_OPEN) {
        return WARD_ERR_STATE;
    }
    if (gws_packet_parse(msg, len, &h, f) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    if (!ward_ct_equal(f[0].ptr, s->sub_id, WARD_GW_SUB_ID_LEN)) {
        return WARD_ERR_AUTH;
    }
    ward_err err = gws_open(&s->chan, cp, msg, &h, f, out, cap, out_len);
    if (err != WARD_OK) {
        return err;
    }
    *type = h.type;
    if (h.type == WARD_MSG_GW_SUB_LEAVE) {
        gws_chan_wipe(&s->chan);
        s->state = ST_READY;
    }
    return WARD_OK;
}

ward_err ward_gw_sub_refused_parse(const uint8_t *msg, size_t len,
                                   uint8_t sub_id[WARD_GW_SUB_ID_LEN], uint8_t *code)
{
    ward_tlv_field f[2];
    WARD_ASSERT(sub_id != NULL && code != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(sub_id, 0, WARD_GW_SUB_ID_LEN);
    *code = 0;
    if (gw_msg_parse(msg, len, WARD_MSG_GW_SUB_REFUSED, 0, refused_spec, 2, f) != WARD_OK ||
        f[1].ptr[0] == 0) {
        return WARD_ERR_FORMAT;
    }
    memcpy(sub_id, f[0].ptr, WARD_GW_SUB_ID_LEN);
    *code = f[1].ptr[0];
    return WARD_OK;
}

void ward_gw_sub_dev_wipe(ward_gw_sub_dev *d)
{
    WARD_ASSERT(d != NULL);
    ward_wipe(d->opaque.bytes, sizeof d->opaque.bytes);
}
