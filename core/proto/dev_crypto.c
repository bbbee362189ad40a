/* Flow D's key schedule: PIN to SPAKE2+ w0/w1, the data key, the PAKE
 * answer's seal, and messages sealed under the data key. */
#include <string.h>

#include "ward/ward_device.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "dev_keys.h"
#include "dev_inner.h"

#define TAG_NONCE 0x0Eu
#define TAG_CT 0x0Fu

/* Length-prefixed ids: no two (id, UDIDx, CliID, salt) tuples share an
 * encoding, so a key made for one app is never a key for another. */
static ward_err ids_context(const uint8_t *dev_id, size_t dev_id_len,
                            const uint8_t *udidx, size_t udidx_len,
                            const uint8_t *client_id, size_t client_id_len,
                            const uint8_t salt[WARD_DEV_SALT_LEN],
                            uint8_t *ctx, size_t cap, size_t *len)
{
    size_t n = 0;
    if (dev_id_len == 0 || dev_id_len > WARD_DEV_ID_MAX || udidx_len == 0 ||
        udidx_len > WARD_DEV_UDIDX_MAX || client_id_len > WARD_CLIENT_ID_MAX) {
        return WARD_ERR_PARAM;
    }
    WARD_ASSERT(cap >= 3 + dev_id_len + udidx_len + client_id_len +
                           WARD_DEV_SALT_LEN);
    ctx[n++] = (uint8_t)dev_id_len;
    memcpy(ctx + n, dev_id, dev_id_len);
    n += dev_id_len;
    ctx[n++] = (uint8_t)udidx_len;
    memcpy(ctx + n, udidx, udidx_len);
    n += udidx_len;
    ctx[n++] = (uint8_t)client_id_len;
    if (client_id_len > 0) {
        memcpy(ctx + n, client_id, client_id_len);
        n += client_id_len;
    }
    memcpy(ctx + n, salt, WARD_DEV_SALT_LEN);
    *len = n + WARD_DEV_SALT_LEN;
    return WARD_OK;
}

#define IDS_CTX_MAX                                                          \
    (3 + WARD_DEV_ID_MAX + WARD_DEV_UDIDX_MAX + WARD_CLIENT_ID_MAX +         \
     WARD_DEV_SALT_LEN)

ward_err ward_dev_pin_w(const ward_crypto *cp, const uint8_t *pin,
                        size_t pin_len, const uint8_t *dev_id,
                        size_t dev_id_len, const uint8_t *udidx,
                        size_t udidx_len, const uint8_t *client_id,
                        size_t client_id_len,
                        const uint8_t salt[WARD_DEV_SALT_LEN],
                        uint8_t w0[WARD_P256_SCALAR_LEN],
                        uint8_t w1[WARD_P256_SCALAR_LEN])
{
    uint8_t ctx[IDS_CTX_MAX];
    uint8_t ws[2 * WARD_SPAKE2P_WS_LEN];
    size_t ctx_len = 0;
    WARD_ASSERT(cp != NULL && pin != NULL && salt != NULL && w0 != NULL &&
                w1 != NULL);
    /* A fresh random PIN per pairing window, good for at most
     * WARD_DEV_PIN_MAX_ATTEMPTS counted online attempts, and a fresh salt
     * per binding: each PAKE_INIT answer lets a guesser test one PIN,
     * and it is counted before it goes out. Nothing an offline guesser
     * could grind on leaves the device, so a slow password hash would
     * buy nothing here. */
    ward_err err = ids_context(dev_id, dev_id_len, udidx, udidx_len,
                               client_id, client_id_len, salt, ctx,
                               sizeof ctx, &ctx_len);
    if (err == WARD_OK) {
        err = ward_kdf(cp, WARD_LABEL_DEV_PIN, pin, pin_len, NULL, 0, ctx,
                       ctx_len, ws, sizeof ws);
    }
    if (err == WARD_OK) {
        err = ward_spake2p_w(cp, ws, ws + WARD_SPAKE2P_WS_LEN, w0, w1);
    }
    ward_wipe(ws, sizeof ws);
    return err;
}

ward_err ward_dev_data_key(const ward_crypto *cp,
                           const uint8_t shared[WARD_SPAKE2P_KEY_LEN],
                           const uint8_t *dev_id, size_t dev_id_len,
                           const uint8_t *udidx, size_t udidx_len,
                           const uint8_t *client_id, size_t client_id_len,
                           const uint8_t salt[WARD_DEV_SALT_LEN],
                           uint8_t key[WARD_DEV_DATA_KEY_LEN])
{
    uint8_t ctx[IDS_CTX_MAX];
    size_t ctx_len = 0;
    WARD_ASSERT(cp != NULL && shared != NULL && salt != NULL && key != NULL);
    ward_err err = ids_context(dev_id, dev_id_len, udidx, udidx_len,
                               client_id, client_id_len, salt, ctx,
                               sizeof ctx, &ctx_len);
    if (err == WARD_OK) {
        err = ward_kdf(cp, WARD_LABEL_DEV_DATA, shared, WARD_SPAKE2P_KEY_LEN,
                       NULL, 0, ctx, ctx_len, key, WARD_DEV_DATA_KEY_LEN);
    }
    return err;
}

static ward_err open_key(const ward_crypto *cp,
                         const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                         uint8_t key[WARD_AEAD_KEY_LEN])
{
    return ward_kdf(cp, WARD_LABEL_DEV_OPEN, data_key, WARD_DEV_DATA_KEY_LEN,
                    NULL, 0, NULL, 0, key, WARD_AEAD_KEY_LEN);
}

static const uint8_t pake_answer_ctx[] = "pake answer";

/* The PAKE answer's key and AD (see ward_device.h); ad_buf holds the AD. */
#define PAKE_AD_MAX                                                          \
    (WARD_HDR_MAX + WARD_P256_COMPRESSED_LEN + WARD_SPAKE2P_CONFIRM_LEN +    \
     1 + WARD_DEV_APP_NAME_MAX)

static ward_err pake_prep(const ward_crypto *cp,
                          const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                          const uint8_t *ad, size_t ad_len,
                          const uint8_t *app_name, size_t app_name_len,
                          uint8_t key[WARD_AEAD_KEY_LEN],
                          uint8_t ad_buf[PAKE_AD_MAX], size_t *ad_buf_len)
{
    WARD_ASSERT(cp != NULL && data_key != NULL && ad != NULL);
    WARD_ASSERT(app_name != NULL || app_name_len == 0);
    if (ad_len > PAKE_AD_MAX - 1 - WARD_DEV_APP_NAME_MAX ||
        app_name_len > WARD_DEV_APP_NAME_MAX) {
        return WARD_ERR_PARAM;
    }
    memcpy(ad_buf, ad, ad_len);
    ad_buf[ad_len] = (uint8_t)app_name_len;
    if (app_name_len > 0) {
        memcpy(ad_buf + ad_len + 1, app_name, app_name_len);
    }
    *ad_buf_len = ad_len + 1 + app_name_len;
    return ward_kdf(cp, WARD_LABEL_DEV_OPEN, data_key, WARD_DEV_DATA_KEY_LEN,
                    NULL, 0, pake_answer_ctx, sizeof pake_answer_ctx - 1, key,
                    WARD_AEAD_KEY_LEN);
}

ward_err ward_dev_pake_seal(const ward_crypto *cp,
                            const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                            const uint8_t *ad, size_t ad_len,
                            const uint8_t *app_name, size_t app_name_len,
                            const uint8_t *pt, size_t pt_len, uint8_t *out,
                            size_t cap, size_t *out_len)
{
    static const uint8_t nonce[WARD_AEAD_NONCE_LEN] = { 0 };
    uint8_t key[WARD_AEAD_KEY_LEN], ad_buf[PAKE_AD_MAX];
    size_t ad_buf_len = 0;
    WARD_ASSERT(out != NULL && out_len != NULL);
    *out_len = 0;
    ward_err err = pake_prep(cp, data_key, ad, ad_len, app_name, app_name_len,
                             key, ad_buf, &ad_buf_len);
    if (err == WARD_OK) {
        err = ward_aead_seal(cp, key, nonce, ad_buf, ad_buf_len, pt, pt_len,
                             out, cap, out_len);
    }
    ward_wipe(key, sizeof key);
    return err;
}

ward_err ward_dev_pake_open(const ward_crypto *cp,
                            const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                            const uint8_t *ad, size_t ad_len,
                            const uint8_t *app_name, size_t app_name_len,
                            const uint8_t *ct, size_t ct_len, uint8_t *pt,
                            size_t cap, size_t *pt_len)
{
    static const uint8_t nonce[WARD_AEAD_NONCE_LEN] = { 0 };
    uint8_t key[WARD_AEAD_KEY_LEN], ad_buf[PAKE_AD_MAX];
    size_t ad_buf_len = 0;
    WARD_ASSERT(ct != NULL && pt != NULL && pt_len != NULL);
    *pt_len = 0;
    if (ct_len < WARD_AEAD_TAG_LEN) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = pake_prep(cp, data_key, ad, ad_len, app_name, app_name_len,
                             key, ad_buf, &ad_buf_len);
    if (err == WARD_OK) {
        err = ward_aead_open(cp, key, nonce, ad_buf, ad_buf_len, ct, ct_len,
                             pt, cap, pt_len);
    }
    ward_wipe(key, sizeof key);
    return err;
}

static size_t tlv_head(uint8_t *p, uint8_t tag, size_t n)
{
    p[0] = tag;
    if (n < 255u) {
        p[1] = (uint8_t)n;
        return 2;
    }
    p[1] = WARD_TLV_LEN_LONG;
    ward_store16(p + 2, (uint16_t)n);
    return 4;
}

ward_err ward_dev_seal_msg(const ward_crypto *cp, const ward_random *rng,
                           const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                           ward_hdr *h, const uint8_t *clear, size_t clear_len,
                           const uint8_t *pt, size_t pt_len, uint8_t *out,
                           size_t cap, size_t *out_len)
{
    uint8_t key[WARD_AEAD_KEY_LEN];
    size_t hlen = 0, ct_len = pt_len + WARD_AEAD_TAG_LEN;
    WARD_ASSERT(cp != NULL && rng != NULL && data_key != NULL && h != NULL);
    WARD_ASSERT(out != NULL && out_len != NULL);
    WARD_ASSERT(clear != NULL || clear_len == 0);
    WARD_ASSERT(pt != NULL || pt_len == 0);
    *out_len = 0;
    size_t body = clear_len + WARD_TLV_SIZE(WARD_AEAD_NONCE_LEN) +
                  WARD_TLV_SIZE(ct_len);
    if (body > WARD_BODY_MAX) {
        return WARD_ERR_NOSPACE;
    }
    h->body_len = (uint16_t)body;
    ward_err err = ward_hdr_encode(h, out, cap, &hlen);
    if (err != WARD_OK) {
        return err;
    }
    if (cap - hlen < body) {
        return WARD_ERR_NOSPACE;
    }
    uint8_t *p = out + hlen;
    if (clear_len > 0) {
        memcpy(p, clear, clear_len);
    }
    p += clear_len;
    p += tlv_head(p, TAG_NONCE, WARD_AEAD_NONCE_LEN);
    uint8_t *nonce = p;
    err = rng->fill(rng->ctx, nonce, WARD_AEAD_NONCE_LEN);
    p += WARD_AEAD_NONCE_LEN;
    p += tlv_head(p, TAG_CT, ct_len);
    if (err == WARD_OK) {
        err = open_key(cp, data_key, key);
    }
    if (err == WARD_OK) {
        err = ward_aead_seal(cp, key, nonce, out, (size_t)(p - out), pt,
                             pt_len, p, ct_len, &ct_len);
    }
    if (err == WARD_OK) {
        *out_len = hlen + body;
    }
    ward_wipe(key, sizeof key);
    return err;
}

/* One TLV field at body[*off]: its tag and value span, canonical length
 * form only. */
static ward_err tlv_step(const uint8_t *body, size_t len, size_t *off,
                         uint8_t *tag, size_t *voff, size_t *vlen)
{
    size_t o = *off;
    if (len - o < 2) {
        return WARD_ERR_FORMAT;
    }
    *tag = body[o];
    size_t n = body[o + 1];
    o += 2;
    if (n == WARD_TLV_LEN_LONG) {
        if (len - o < 2) {
            return WARD_ERR_FORMAT;
        }
        n = ward_load16(body + o);
        o += 2;
        if (n < 255u) {
            return WARD_ERR_FORMAT;
        }
    }
    if (len - o < n) {
        return WARD_ERR_FORMAT;
    }
    *voff = o;
    *vlen = n;
    *off = o + n;
    return WARD_OK;
}

/* Where the nonce and ciphertext fields of a sealed body are: nonce_off
 * and ct_off/ct_len relative to the body. */
static ward_err sealed_fields(const uint8_t *body, size_t len,
                              size_t *clear_len, size_t *nonce_off,
                              size_t *ct_off, size_t *ct_len)
{
    size_t off = 0, voff = 0, vlen = 0, field_start = 0;
    uint8_t tag = 0;
    /* Step over the clear fields to the nonce; the fields themselves are
     * the caller's to parse (with ward_tlv_parse) on clear_len bytes. */
    for (;;) {
        field_start = off;
        ward_err err = tlv_step(body, len, &off, &tag, &voff, &vlen);
        if (err != WARD_OK) {
            return err;
        }
        if (tag >= TAG_NONCE) {
            break;
        }
    }
    if (tag != TAG_NONCE || vlen != WARD_AEAD_NONCE_LEN) {
        return WARD_ERR_FORMAT;
    }
    *clear_len = field_start;
    *nonce_off = voff;
    if (tlv_step(body, len, &off, &tag, &voff, &vlen) != WARD_OK ||
        tag != TAG_CT || off != len || vlen < WARD_AEAD_TAG_LEN) {
        return WARD_ERR_FORMAT;
    }
    *ct_off = voff;
    *ct_len = vlen;
    return WARD_OK;
}

ward_err ward_dev_sealed_layout(const uint8_t *msg, size_t msg_len,
                                size_t body_off, size_t *clear_len)
{
    size_t n = 0, c = 0, cl = 0;
    *clear_len = 0;
    if (body_off > msg_len) {
        return WARD_ERR_FORMAT;
    }
    return sealed_fields(msg + body_off, msg_len - body_off, clear_len, &n,
                         &c, &cl);
}

ward_err ward_dev_open_msg(const ward_crypto *cp,
                           const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                           const uint8_t *msg, size_t msg_len,
                           size_t body_off, size_t *clear_len, uint8_t *pt,
                           size_t cap, size_t *pt_len)
{
    uint8_t key[WARD_AEAD_KEY_LEN];
    size_t nonce_off = 0, voff = 0, vlen = 0;
    WARD_ASSERT(cp != NULL && data_key != NULL && msg != NULL);
    WARD_ASSERT(clear_len != NULL && pt_len != NULL && pt != NULL);
    *pt_len = 0;
    *clear_len = 0;
    if (body_off > msg_len) {
        return WARD_ERR_FORMAT;
    }
    const uint8_t *body = msg + body_off;
    ward_err e = sealed_fields(body, msg_len - body_off, clear_len,
                               &nonce_off, &voff, &vlen);
    if (e != WARD_OK) {
        return e;
    }
    if (cap < vlen - WARD_AEAD_TAG_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_err err = open_key(cp, data_key, key);
    if (err == WARD_OK) {
        err = ward_aead_open(cp, key, body + nonce_off, msg, body_off + voff,
                             body + voff, vlen, pt, cap, pt_len);
    }
    ward_wipe(key, sizeof key);
    return err;
}

ward_err ward_dev_end_commit(const ward_crypto *cp,
                             const uint8_t token[WARD_DEV_END_TOKEN_LEN],
                             uint8_t commit[WARD_DEV_END_TOKEN_LEN])
{
    return ward_kdf(cp, WARD_LABEL_DEV_END, token, WARD_DEV_END_TOKEN_LEN,
                    NULL, 0, NULL, 0, commit, WARD_DEV_END_TOKEN_LEN);
}
