/* The app's half of flow D, binding: PIN request, SPAKE2+ prover, sealed answer. */
#include <string.h>

#include "ward/ward_dev_app.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "dev_app_inner.h"
#include "dev_inner.h"
#include "proto_inner.h"

/* P_OVER: a step failed; only the CliID is left, for PAKE_END. */
enum { P_NONE = 0, P_PIN_SENT, P_PIN_OK, P_PAKE_SENT, P_FINISH_SENT, P_OVER };

/* A step failed, or the device refused one: the binding is over on the
 * app's side. Every PIN-derived secret goes (SPAKE2+ state, data key,
 * salt); the CliID and the PAKE_END token stay, because the device finds
 * the binding slot by (transport address, CliID), frees it only for the
 * token, and ward_pair_end() must still be able to free it. */
static void pair_over(ward_pair *ctx)
{
    ward_pair_state *p = pair_st(ctx);
    uint8_t cid[WARD_CLIENT_ID_MAX], token[WARD_DEV_END_TOKEN_LEN];
    size_t cid_len = p->client_id_len;
    memcpy(cid, p->client_id, sizeof cid);
    memcpy(token, p->end_token, sizeof token);
    ward_pair_wipe(ctx);
    memcpy(p->client_id, cid, sizeof cid);
    p->client_id_len = cid_len;
    memcpy(p->end_token, token, sizeof token);
    ward_wipe(token, sizeof token);
    p->state = P_OVER;
}

/* The request p has in flight (type 0: none). PAKE_FINISH names the
 * binding by the key index the device reserved, without a CliID. */
static ward_dev_app_request pair_request(const ward_pair_state *p)
{
    ward_dev_app_request rq = { 0, 0, 0, p->client_id, p->client_id_len };
    if (p->state == P_PIN_SENT) {
        rq.type = WARD_MSG_DEV_PIN_REQUEST;
    } else if (p->state == P_PAKE_SENT) {
        rq.type = WARD_MSG_DEV_PAKE_INIT;
    } else if (p->state == P_FINISH_SENT) {
        rq.type = WARD_MSG_DEV_PAKE_FINISH;
        rq.key_index = p->key_index;
        rq.cid = NULL;
        rq.cid_len = 0;
    }
    return rq;
}

bool ward_pair_waiting(const ward_pair *ctx)
{
    WARD_ASSERT(ctx != NULL);
    const ward_pair_state *p = pair_cst(ctx);
    return p->state == P_PIN_SENT || p->state == P_PAKE_SENT ||
           p->state == P_FINISH_SENT;
}

ward_err ward_pair_start(ward_pair *ctx, const ward_crypto *cp,
                         const ward_random *rng, const uint8_t *udidx,
                         size_t udidx_len, const uint8_t *client_id,
                         size_t client_id_len, const uint8_t *app_name,
                         size_t app_name_len, uint8_t *out, size_t cap,
                         size_t *out_len)
{
    uint8_t body[WARD_TLV_SIZE(WARD_DEV_UDIDX_MAX) +
                 WARD_TLV_SIZE(WARD_DEV_APP_NAME_MAX) +
                 WARD_TLV_SIZE(WARD_DEV_END_TOKEN_LEN)];
    uint8_t commit[WARD_DEV_END_TOKEN_LEN];
    size_t body_len = 0;
    ward_tlv_writer w;
    ward_hdr h;
    WARD_ASSERT(ctx != NULL && cp != NULL && rng != NULL && out != NULL &&
                out_len != NULL);
    ward_pair_state *p = pair_st(ctx);
    memset(ctx, 0, sizeof *ctx);
    *out_len = 0;
    if (udidx == NULL || udidx_len == 0 || udidx_len > WARD_DEV_UDIDX_MAX ||
        client_id_len > WARD_CLIENT_ID_MAX ||
        (client_id == NULL && client_id_len > 0) || app_name == NULL ||
        app_name_len == 0 || app_name_len > WARD_DEV_APP_NAME_MAX) {
        return WARD_ERR_PARAM;
    }
    p->cp = cp;
    p->rng = *rng;
    memcpy(p->udidx, udidx, udidx_len);
    p->udidx_len = udidx_len;
    if (client_id_len > 0) {
        memcpy(p->client_id, client_id, client_id_len);
    }
    p->client_id_len = client_id_len;
    memcpy(p->app_name, app_name, app_name_len);
    p->app_name_len = app_name_len;
    /* A fresh token per binding, committed to here and shown only in
     * PAKE_END: whoever else names this binding cannot end it. */
    ward_err err = rng->fill(rng->ctx, p->end_token, sizeof p->end_token);
    if (err == WARD_OK) {
        err = ward_dev_end_commit(cp, p->end_token, commit);
    }
    if (err == WARD_OK) {
        ward_tlv_writer_init(&w, body, sizeof body);
        ward_tlv_put(&w, 0x01, udidx, udidx_len);
        ward_tlv_put(&w, 0x02, app_name, app_name_len);
        ward_tlv_put(&w, DEV_TAG_END_COMMIT, commit, sizeof commit);
        err = ward_tlv_writer_finish(&w, &body_len);
    }
    if (err == WARD_OK) {
        ward_dev_app_hdr(&h, WARD_MSG_DEV_PIN_REQUEST, 0, 0, client_id, client_id_len);
        err = ward_dev_plain_answer(&h, body, body_len, out, cap, out_len);
    }
    if (err == WARD_OK) {
        p->state = P_PIN_SENT;
    }
    return err;
}

static ward_err copy_str(const ward_tlv_field *f, char *dst, size_t max)
{
    if (f->len == 0 || f->len > max) {
        return WARD_ERR_FORMAT;
    }
    for (size_t i = 0; i < f->len; i++) {
        if (f->ptr[i] < 0x20 || f->ptr[i] > 0x7E || f->ptr[i] == '"' ||
            f->ptr[i] == '\\') {
            return WARD_ERR_FORMAT;
        }
    }
    memcpy(dst, f->ptr, f->len);
    dst[f->len] = '\0';
    return WARD_OK;
}

ward_err ward_pair_on_pin(ward_pair *ctx, const uint8_t *in, size_t in_len,
                          ward_dev_info *info)
{
    static const ward_tlv_spec spec[] = {
        { 0x01, true, 1, WARD_DEV_ID_MAX },
        { 0x02, true, 1, WARD_DEV_NAME_MAX },
        { 0x03, true, 1, WARD_DEV_TYPE_MAX },
        { 0x04, true, WARD_DEV_SALT_LEN, WARD_DEV_SALT_LEN },
    };
    ward_tlv_field f[4];
    ward_hdr h;
    size_t hlen = 0;
    int refusal = WARD_DEV_APP_NO_REFUSAL;
    WARD_ASSERT(ctx != NULL && in != NULL);
    ward_pair_state *p = pair_st(ctx);
    if (p->state != P_PIN_SENT) {
        return WARD_ERR_STATE;
    }
    const ward_dev_app_request rq = pair_request(p);
    ward_err err = ward_dev_app_answer(in, in_len, WARD_MSG_DEV_PIN_REQUEST,
                                       WARD_FLAG_REPLY, p->client_id,
                                       p->client_id_len, &rq, &h, &hlen,
                                       &refusal);
    if (refusal == WARD_DEV_APP_REFUSES_RQ) {
        pair_over(ctx);
        return err;
    }
    if (err == WARD_OK) {
        err = ward_tlv_parse(in + hlen, h.body_len, spec, 4, f);
    }
    if (err == WARD_OK && !ward_proto_canonical(f, 4, h.body_len)) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK && ward_check_sn(f[0].ptr, f[0].len) != WARD_OK) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        memset(&p->info, 0, sizeof p->info);
        memcpy(p->info.id, f[0].ptr, f[0].len);
        err = copy_str(&f[1], p->info.name, WARD_DEV_NAME_MAX);
    }
    if (err == WARD_OK) {
        err = copy_str(&f[2], p->info.type, WARD_DEV_TYPE_MAX);
    }
    if (err == WARD_OK) {
        memcpy(p->salt, f[3].ptr, WARD_DEV_SALT_LEN);
        p->state = P_PIN_OK;
        if (info != NULL) {
            *info = p->info;
        }
    }
    return err;
}

ward_err ward_pair_pake_init(ward_pair *ctx, const uint8_t *pin, size_t pin_len,
                             uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t w0[WARD_P256_SCALAR_LEN], w1[WARD_P256_SCALAR_LEN];
    uint8_t share[WARD_SPAKE2P_SHARE_LEN];
    uint8_t body[WARD_P256_COMPRESSED_LEN];
    ward_hdr h;
    WARD_ASSERT(ctx != NULL && pin != NULL && out != NULL && out_len != NULL);
    ward_pair_state *p = pair_st(ctx);
    *out_len = 0;
    if (p->state != P_PIN_OK) {
        return WARD_ERR_STATE;
    }
    if (pin_len != WARD_DEV_PIN_LEN) {
        return WARD_ERR_PARAM;
    }
    ward_err err = ward_dev_pin_w(p->cp, pin, pin_len,
                                  (const uint8_t *)p->info.id,
                                  strlen(p->info.id), p->udidx, p->udidx_len,
                                  p->client_id, p->client_id_len, p->salt, w0,
                                  w1);
    if (err == WARD_OK) {
        ward_spake2p_wipe(&p->pake);
        err = ward_spake2p_prover_start(
            &p->pake, p->cp, &p->rng, (const uint8_t *)WARD_DEV_PAKE_CONTEXT,
            WARD_DEV_PAKE_CONTEXT_LEN, p->client_id, p->client_id_len,
            (const uint8_t *)p->info.id, strlen(p->info.id), w0, w1, share);
    }
    if (err == WARD_OK) {
        /* Compressed on the wire only; the transcript keeps 65 bytes. */
        ward_p256_compress(share, body);
        ward_dev_app_hdr(&h, WARD_MSG_DEV_PAKE_INIT, 0, 0, p->client_id,
                 p->client_id_len);
        err = ward_dev_plain_answer(&h, body, sizeof body, out, cap, out_len);
    }
    if (err == WARD_OK) {
        p->state = P_PAKE_SENT;
    }
    ward_wipe(w0, sizeof w0);
    ward_wipe(w1, sizeof w1);
    return err;
}

ward_err ward_pair_on_pake_init(ward_pair *ctx, const uint8_t *in,
                                size_t in_len, uint8_t *out, size_t cap,
                                size_t *out_len)
{
    static const ward_tlv_spec spec[] = {
        { 0x01, true, 1, WARD_DEV_NAME_MAX },
        { 0x02, true, 1, WARD_DEV_TYPE_MAX },
    };
    ward_tlv_field f[2];
    ward_hdr h;
    size_t hlen = 0, pt_len = 0;
    uint8_t share_v[WARD_SPAKE2P_SHARE_LEN];
    uint8_t confirm_p[WARD_SPAKE2P_CONFIRM_LEN];
    uint8_t shared[WARD_SPAKE2P_KEY_LEN];
    uint8_t pt[WARD_TLV_SIZE(WARD_DEV_NAME_MAX) +
               WARD_TLV_SIZE(WARD_DEV_TYPE_MAX)];
    ward_dev_info info;
    int refusal = WARD_DEV_APP_NO_REFUSAL;
    WARD_ASSERT(ctx != NULL && in != NULL && out != NULL && out_len != NULL);
    ward_pair_state *p = pair_st(ctx);
    *out_len = 0;
    if (p->state != P_PAKE_SENT) {
        return WARD_ERR_STATE;
    }
    /* The device does not repeat our CliID: this answer is the one to the
     * PAKE_INIT we have in flight, and the tag below says whether it is.
     * Its refusal does repeat it, as every refusal does. */
    const ward_dev_app_request rq = pair_request(p);
    ward_err err = ward_dev_app_answer(in, in_len, WARD_MSG_DEV_PAKE_INIT,
                                       WARD_FLAG_REPLY | WARD_FLAG_SEALED,
                                       NULL, 0, &rq, &h, &hlen, &refusal);
    if (refusal == WARD_DEV_APP_REFUSES_OTHER) {
        return err;   /* another request's refusal: still waiting */
    }
    const size_t fixed = WARD_P256_COMPRESSED_LEN + WARD_SPAKE2P_CONFIRM_LEN;
    if (err == WARD_OK &&
        (h.key_index == 0 || h.body_len < fixed + WARD_AEAD_TAG_LEN ||
         in_len - hlen != h.body_len)) {
        err = WARD_ERR_FORMAT;
    }
    const uint8_t *body = in + hlen;
    if (err == WARD_OK) {
        err = p->cp->p256_decompress(body, share_v);
    }
    if (err == WARD_OK) {
        /* A wrong PIN shows here: confirmV does not verify. */
        err = ward_spake2p_prover_finish(&p->pake, p->cp, share_v,
                                         body + WARD_P256_COMPRESSED_LEN,
                                         confirm_p, shared);
    }
    if (err == WARD_OK) {
        err = ward_dev_data_key(p->cp, shared, (const uint8_t *)p->info.id,
                                strlen(p->info.id), p->udidx, p->udidx_len,
                                p->client_id, p->client_id_len, p->salt,
                                p->data_key);
    }
    if (err == WARD_OK) {
        /* The AD holds the app name as the device heard it: one changed
         * on the way fails here, before we confirm anything. */
        err = ward_dev_pake_open(p->cp, p->data_key, in, hlen + fixed,
                                 p->app_name, p->app_name_len, body + fixed,
                                 h.body_len - fixed, pt, sizeof pt, &pt_len);
        err = err == WARD_ERR_NOSPACE ? WARD_ERR_FORMAT : err;
    }
    if (err == WARD_OK) {
        err = ward_tlv_parse(pt, pt_len, spec, 2, f);
    }
    if (err == WARD_OK && !ward_proto_canonical(f, 2, pt_len)) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        memset(&info, 0, sizeof info);
        memcpy(info.id, p->info.id, sizeof info.id);
        err = copy_str(&f[0], info.name, WARD_DEV_NAME_MAX);
    }
    if (err == WARD_OK) {
        err = copy_str(&f[1], info.type, WARD_DEV_TYPE_MAX);
    }
    if (err == WARD_OK) {
        /* PAKE_FINISH names the binding by the key index the device
         * reserved for it, so it needs no CliID either. */
        ward_hdr fh;
        ward_dev_app_hdr(&fh, WARD_MSG_DEV_PAKE_FINISH, 0, h.key_index, NULL, 0);
        err = ward_dev_plain_answer(&fh, confirm_p, sizeof confirm_p, out,
                                    cap, out_len);
    }
    if (err == WARD_OK) {
        p->info = info;   /* the authenticated name and type */
        p->key_index = h.key_index;
        p->state = P_FINISH_SENT;
    } else {
        /* The binding is over: a wrong PIN cannot be retried on it. */
        pair_over(ctx);
    }
    ward_wipe(confirm_p, sizeof confirm_p);
    ward_wipe(shared, sizeof shared);
    ward_wipe(pt, sizeof pt);
    return err;
}

ward_err ward_pair_on_pake_finish(ward_pair *ctx, const uint8_t *in,
                                  size_t in_len, ward_pair_device *d)
{
    ward_hdr h;
    size_t hlen = 0;
    int refusal = WARD_DEV_APP_NO_REFUSAL;
    WARD_ASSERT(ctx != NULL && d != NULL && (in != NULL || in_len == 0));
    ward_pair_state *p = pair_st(ctx);
    memset(d, 0, sizeof *d);
    if (p->state != P_FINISH_SENT) {
        return WARD_ERR_STATE;
    }
    ward_err err = WARD_OK;
    if (in_len > 0) {
        /* The device's empty acknowledgement, or its refusal. */
        const ward_dev_app_request rq = pair_request(p);
        err = ward_dev_app_answer(in, in_len, WARD_MSG_DEV_PAKE_FINISH,
                                  WARD_FLAG_REPLY, NULL, 0, &rq, &h, &hlen,
                                  &refusal);
        if (err == WARD_OK &&
            (h.key_index != p->key_index || h.body_len != 0)) {
            err = WARD_ERR_FORMAT;
        }
    }
    if (refusal == WARD_DEV_APP_REFUSES_RQ) {
        /* Refused (confirmP did not verify, the binding expired): the
         * device stored nothing, and the data key is worth nothing. */
        pair_over(ctx);
        return err;
    }
    if (err == WARD_OK) {
        memcpy(d->id, p->info.id, sizeof d->id);
        memcpy(d->name, p->info.name, sizeof d->name);
        memcpy(d->type, p->info.type, sizeof d->type);
        d->key_index = p->key_index;
        memcpy(d->data_key, p->data_key, WARD_DEV_DATA_KEY_LEN);
        memcpy(d->udidx, p->udidx, p->udidx_len);
        d->udidx_len = p->udidx_len;
        memcpy(d->client_id, p->client_id, p->client_id_len);
        d->client_id_len = p->client_id_len;
        ward_pair_wipe(ctx);
    }
    return err;
}

ward_err ward_pair_end(ward_pair *ctx, uint8_t *out, size_t cap,
                       size_t *out_len)
{
    ward_hdr h;
    ward_err err = WARD_OK;
    WARD_ASSERT(ctx != NULL);
    ward_pair_state *p = pair_st(ctx);
    if (out != NULL) {
        WARD_ASSERT(out_len != NULL);
        *out_len = 0;
        /* Without a binding the CliID is gone (or was never set): a
         * PAKE_END then would name an older app's slot at our address. */
        if (p->state == P_NONE) {
            err = WARD_ERR_STATE;
        } else {
            /* The device finds the slot by (transport address, CliID) and
             * frees it for the token; a failed step kept both for this
             * (pair_over). */
            uint8_t body[WARD_TLV_SIZE(WARD_DEV_END_TOKEN_LEN)];
            size_t body_len = 0;
            ward_tlv_writer w;
            ward_tlv_writer_init(&w, body, sizeof body);
            ward_tlv_put(&w, DEV_TAG_END_TOKEN, p->end_token, sizeof p->end_token);
            err = ward_tlv_writer_finish(&w, &body_len);
            if (err == WARD_OK) {
                ward_dev_app_hdr(&h, WARD_MSG_DEV_PAKE_END, 0, 0, p->client_id,
                                 p->client_id_len);
                err = ward_dev_plain_answer(&h, body, body_len, out, cap, out_len);
            }
            ward_wipe(body, sizeof body);
        }
    }
    ward_pair_wipe(ctx);
    return err;
}

void ward_pair_wipe(ward_pair *ctx)
{
    WARD_ASSERT(ctx != NULL);
    ward_spake2p_wipe(&pair_st(ctx)->pake);
    ward_wipe(ctx, sizeof *ctx);
}
