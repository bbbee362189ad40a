/* The bind data (flow A): the app seals it under K, the lock opens it. */
#include <string.h>

#include "ward/ward_bind.h"
#include "ward_inner.h"
#include "proto_inner.h"

#define BD_SN 0x01u
#define BD_UID 0x02u
#define BD_CLIENT_PUB 0x03u
#define BD_AUTH_KEY 0x04u
#define BD_ESCROW 0x05u
#define BD_PHONE 0x06u

static const ward_tlv_spec bind_data_spec[] = {
    { BD_SN, true, 1, WARD_SN_MAX },
    { BD_UID, true, 1, WARD_UID_MAX },
    { BD_CLIENT_PUB, true, WARD_P256_POINT_LEN, WARD_P256_POINT_LEN },
    { BD_AUTH_KEY, true, WARD_AUTH_KEY_LEN, WARD_AUTH_KEY_LEN },
    { BD_ESCROW, true, WARD_ESCROW_LEN, WARD_ESCROW_LEN },
    { BD_PHONE, true, WARD_PHONE_MIN, WARD_PHONE_MAX },
};
#define BD_NFIELDS (sizeof bind_data_spec / sizeof bind_data_spec[0])

#define BIND_AD_MAX (WARD_HDR_BASE_LEN + WARD_TASK_ID_LEN + WARD_SN_MAX)
#define BIND_CTX_MAX (WARD_TASK_ID_LEN + WARD_SN_MAX)

static const uint8_t escrow_prefix[] = "escrow";

ward_err ward_escrow_ad(const uint8_t *sn, size_t sn_len, const uint8_t *uid,
                        size_t uid_len, uint8_t *out, size_t cap, size_t *len)
{
    WARD_ASSERT(out != NULL && len != NULL);
    size_t plen = sizeof escrow_prefix - 1;
    *len = 0;
    if (ward_check_sn(sn, sn_len) != WARD_OK ||
        ward_check_uid(uid, uid_len) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    if (cap < plen + sn_len + 1 + uid_len) {
        return WARD_ERR_NOSPACE;
    }
    /* The NUL separates sn from uid: neither alphabet contains it. */
    memcpy(out, escrow_prefix, plen);
    memcpy(out + plen, sn, sn_len);
    out[plen + sn_len] = 0x00;
    memcpy(out + plen + sn_len + 1, uid, uid_len);
    *len = plen + sn_len + 1 + uid_len;
    return WARD_OK;
}

/* key = ward_kdf("bind data", K, tid || sn): one key per task and lock. */
static ward_err bind_key(const ward_crypto *cp,
                         const uint8_t k[WARD_BIND_KEY_LEN],
                         const uint8_t tid[WARD_TASK_ID_LEN],
                         const uint8_t *sn, size_t sn_len,
                         uint8_t key[WARD_AEAD_KEY_LEN])
{
    uint8_t ctx[BIND_CTX_MAX];
    memcpy(ctx, tid, WARD_TASK_ID_LEN);
    memcpy(ctx + WARD_TASK_ID_LEN, sn, sn_len);
    return ward_kdf(cp, WARD_LABEL_BIND_DATA, k, WARD_BIND_KEY_LEN, NULL, 0,
                    ctx, WARD_TASK_ID_LEN + sn_len, key, WARD_AEAD_KEY_LEN);
}

/* ad = header || tid || sn */
static size_t bind_ad(const uint8_t *hdr, const uint8_t tid[WARD_TASK_ID_LEN],
                      const uint8_t *sn, size_t sn_len,
                      uint8_t ad[BIND_AD_MAX])
{
    memcpy(ad, hdr, WARD_HDR_BASE_LEN);
    memcpy(ad + WARD_HDR_BASE_LEN, tid, WARD_TASK_ID_LEN);
    memcpy(ad + WARD_HDR_BASE_LEN + WARD_TASK_ID_LEN, sn, sn_len);
    return WARD_HDR_BASE_LEN + WARD_TASK_ID_LEN + sn_len;
}

static ward_err bind_data_encode(const ward_crypto *cp, const ward_bind_data *d,
                                 uint8_t *out, size_t cap, size_t *len)
{
    ward_tlv_writer w;
    if (ward_check_sn(d->sn, d->sn_len) != WARD_OK ||
        ward_check_uid(d->uid, d->uid_len) != WARD_OK ||
        ward_check_phone(d->phone, d->phone_len) != WARD_OK ||
        d->client_pub == NULL || d->auth_key == NULL || d->escrow == NULL ||
        cp->p256_point_check(d->client_pub) != WARD_OK) {
        return WARD_ERR_PARAM;
    }
    ward_tlv_writer_init(&w, out, cap);
    ward_tlv_put(&w, BD_SN, d->sn, d->sn_len);
    ward_tlv_put(&w, BD_UID, d->uid, d->uid_len);
    ward_tlv_put(&w, BD_CLIENT_PUB, d->client_pub, WARD_P256_POINT_LEN);
    ward_tlv_put(&w, BD_AUTH_KEY, d->auth_key, WARD_AUTH_KEY_LEN);
    ward_tlv_put(&w, BD_ESCROW, d->escrow, WARD_ESCROW_LEN);
    ward_tlv_put(&w, BD_PHONE, d->phone, d->phone_len);
    return ward_tlv_writer_finish(&w, len);
}

ward_err ward_bind_seal(const ward_crypto *cp, const ward_random *rng,
                        const uint8_t k[WARD_BIND_KEY_LEN],
                        const uint8_t tid[WARD_TASK_ID_LEN],
                        const ward_bind_data *d, uint8_t *blob, size_t cap,
                        size_t *blob_len)
{
    uint8_t body[WARD_BIND_DATA_BODY_MAX];
    uint8_t key[WARD_AEAD_KEY_LEN];
    uint8_t ad[BIND_AD_MAX];
    size_t body_len = 0, ct_len = 0, ad_len;
    ward_err err;

    WARD_ASSERT(cp != NULL && rng != NULL && k != NULL && tid != NULL);
    WARD_ASSERT(d != NULL && blob != NULL && blob_len != NULL);
    *blob_len = 0;

    err = bind_data_encode(cp, d, body, sizeof body, &body_len);
    if (err != WARD_OK) {
        goto out;
    }
    size_t sealed_len = WARD_AEAD_NONCE_LEN + body_len + WARD_AEAD_TAG_LEN;
    if (cap < WARD_HDR_BASE_LEN + sealed_len) {
        err = WARD_ERR_NOSPACE;
        goto out;
    }
    err = ward_proto_hdr(WARD_MSG_BIND_DATA, WARD_FLAG_SEALED, sealed_len,
                         blob, cap);
    if (err != WARD_OK) {
        goto out;
    }
    uint8_t *nonce = blob + WARD_HDR_BASE_LEN;
    /* A fresh nonce per seal: an app that seals again for the same task
     * (a retried upload) never reuses one under the same key. */
    err = rng->fill(rng->ctx, nonce, WARD_AEAD_NONCE_LEN);
    if (err != WARD_OK) {
        goto out;
    }
    err = bind_key(cp, k, tid, d->sn, d->sn_len, key);
    if (err != WARD_OK) {
        goto out;
    }
    ad_len = bind_ad(blob, tid, d->sn, d->sn_len, ad);
    err = ward_aead_seal(cp, key, nonce, ad, ad_len, body, body_len,
                         nonce + WARD_AEAD_NONCE_LEN,
                         cap - WARD_HDR_BASE_LEN - WARD_AEAD_NONCE_LEN,
                         &ct_len);
    if (err == WARD_OK) {
        *blob_len = WARD_HDR_BASE_LEN + WARD_AEAD_NONCE_LEN + ct_len;
    }
out:
    if (err != WARD_OK) {
        ward_wipe(blob, cap);
    }
    ward_wipe(body, sizeof body);
    ward_wipe(key, sizeof key);
    return err;
}

static ward_err bind_data_parse(const ward_crypto *cp, const uint8_t *body,
                                size_t body_len, ward_bind_data *d)
{
    ward_tlv_field f[BD_NFIELDS];
    ward_err err = ward_tlv_parse(body, body_len, bind_data_spec, BD_NFIELDS,
                                  f);
    if (err != WARD_OK || !ward_proto_canonical(f, BD_NFIELDS, body_len) ||
        ward_check_sn(f[0].ptr, f[0].len) != WARD_OK ||
        ward_check_uid(f[1].ptr, f[1].len) != WARD_OK ||
        ward_check_phone(f[5].ptr, f[5].len) != WARD_OK ||
        cp->p256_point_check(f[2].ptr) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    d->sn = f[0].ptr;
    d->sn_len = f[0].len;
    d->uid = f[1].ptr;
    d->uid_len = f[1].len;
    d->client_pub = f[2].ptr;
    d->auth_key = f[3].ptr;
    d->escrow = f[4].ptr;
    d->phone = f[5].ptr;
    d->phone_len = f[5].len;
    return WARD_OK;
}

ward_err ward_bind_open(const ward_crypto *cp,
                        const uint8_t k[WARD_BIND_KEY_LEN],
                        const uint8_t tid[WARD_TASK_ID_LEN],
                        const uint8_t *sn, size_t sn_len,
                        const uint8_t *blob, size_t blob_len,
                        uint8_t *plain, size_t plain_cap, ward_bind_data *d)
{
    uint8_t key[WARD_AEAD_KEY_LEN];
    uint8_t ad[BIND_AD_MAX];
    const uint8_t *body = NULL;
    size_t body_len = 0, pt_len = 0, ad_len;
    ward_err err;

    WARD_ASSERT(cp != NULL && k != NULL && tid != NULL && d != NULL);
    WARD_ASSERT(blob != NULL || blob_len == 0);
    WARD_ASSERT(plain != NULL && plain_cap >= WARD_BIND_DATA_BODY_MAX);
    memset(d, 0, sizeof *d);
    /* The caller's buffer says nothing of an earlier message either. */
    ward_wipe(plain, plain_cap);
    if (ward_check_sn(sn, sn_len) != WARD_OK) {
        return WARD_ERR_PARAM;
    }
    /* Everything before the tag check is the server's word and may be
     * altered at will: any failure here is simply "not sealed for us". */
    if (ward_proto_hdr_check(blob, blob_len, WARD_MSG_BIND_DATA,
                             WARD_FLAG_SEALED, &body, &body_len) != WARD_OK ||
        body_len < WARD_AEAD_NONCE_LEN + WARD_AEAD_TAG_LEN ||
        body_len - WARD_AEAD_NONCE_LEN - WARD_AEAD_TAG_LEN > plain_cap) {
        return WARD_ERR_AUTH;
    }
    err = bind_key(cp, k, tid, sn, sn_len, key);
    if (err != WARD_OK) {
        goto out;
    }
    ad_len = bind_ad(blob, tid, sn, sn_len, ad);
    err = ward_aead_open(cp, key, body, ad, ad_len, body + WARD_AEAD_NONCE_LEN,
                         body_len - WARD_AEAD_NONCE_LEN, plain, plain_cap,
                         &pt_len);
    if (err != WARD_OK) {
        err = err == WARD_ERR_CRYPTO ? err : WARD_ERR_AUTH;
        goto out;
    }
    err = bind_data_parse(cp, plain, pt_len, d);
out:
    if (err != WARD_OK) {
        ward_wipe(plain, plain_cap);
        memset(d, 0, sizeof *d);
    }
    ward_wipe(key, sizeof key);
    return err;
}
