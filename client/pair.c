/* The app's half of flow D: PIN request, SPAKE2+ prover, channels, attach (sans-I/O). */
#include <string.h>

#include "ward/ward_pair.h"
#include "ward/ward_suite.h"

/* P_OVER: a step failed; only the CliID is left, for PAKE_END. */
enum { P_NONE = 0, P_PIN_SENT, P_PIN_OK, P_PAKE_SENT, P_FINISH_SENT, P_OVER };
enum { C_CLOSED = 0, C_OPEN_SENT, C_OPEN };

static const uint8_t pake_context[] = "ward/1 flow D pair";

static void hdr_init(ward_hdr *h, uint8_t type, uint8_t flags, uint8_t ki,
                     const uint8_t *cid, size_t cid_len)
{
    memset(h, 0, sizeof *h);
    h->version = WARD_PROTOCOL_VERSION;
    h->type = type;
    h->flags = flags;
    h->key_index = ki;
    h->client_id_len = (uint8_t)cid_len;
    if (cid_len > 0) {
        memcpy(h->client_id, cid, cid_len);
    }
}

static ward_err plain_msg(ward_hdr *h, const uint8_t *body, size_t body_len,
                          uint8_t *out, size_t cap, size_t *out_len)
{
    size_t hlen = 0;
    *out_len = 0;
    h->body_len = (uint16_t)body_len;
    ward_err err = ward_hdr_encode(h, out, cap, &hlen);
    if (err != WARD_OK) {
        return err;
    }
    if (cap - hlen < body_len) {
        return WARD_ERR_NOSPACE;
    }
    if (body_len > 0) {
        memcpy(out + hlen, body, body_len);
    }
    *out_len = hlen + body_len;
    return WARD_OK;
}

/* Nothing unknown was skipped: the parsed fields are the whole body. */
static bool canonical(const ward_tlv_field *f, size_t n, size_t body_len)
{
    size_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += f[i].present ? WARD_TLV_SIZE((size_t)f[i].len) : 0u;
    }
    return sum == body_len;
}

ward_err ward_pair_error_of(const uint8_t *msg, size_t len)
{
    static const ward_tlv_spec spec[] = { { 0x01, true, 1, 1 } };
    ward_tlv_field f[1];
    ward_hdr h;
    size_t hlen = 0;
    uint8_t code = 0;
    if (ward_hdr_decode(msg, len, &h, &hlen) != WARD_OK ||
        (h.flags & WARD_FLAG_ERROR) == 0) {
        return WARD_OK;
    }
    if (ward_tlv_parse(msg + hlen, h.body_len, spec, 1, f) != WARD_OK ||
        ward_tlv_get_u8(&f[0], &code) != WARD_OK || code == 0 ||
        code >= WARD_ERR_COUNT) {
        return WARD_ERR_FORMAT;
    }
    return (ward_err)code;
}

/* A request as its header went out: what the device's refusal of it
 * echoes (ward_dev_error_answer: type, key index, seq, CliID). */
typedef struct request {
    uint8_t type;
    uint8_t key_index;
    uint32_t seq;
    const uint8_t *cid;
    size_t cid_len;
} request;

/* Whether the error answer h refuses rq. Refusals are not authenticated:
 * this tells an old one (re-queued by a relay, or of an earlier request)
 * from one of the request in flight, not the device's from a forgery. */
static bool refuses(const ward_hdr *h, const request *rq)
{
    const uint8_t both = WARD_FLAG_REPLY | WARD_FLAG_ERROR;
    return rq->type != 0 && (h->flags & both) == both &&
           h->type == rq->type && h->key_index == rq->key_index &&
           h->seq == rq->seq && h->client_id_len == rq->cid_len &&
           (rq->cid_len == 0 ||
            memcmp(h->client_id, rq->cid, rq->cid_len) == 0);
}

/* What an error answer is to the request in flight. */
enum { NO_REFUSAL = 0, REFUSES_RQ, REFUSES_OTHER };

/* An answer of `type` with exactly `flags`, to this app (its CliID). An
 * error answer returns its code, and *refusal says whether it refuses rq
 * (rq NULL: whatever it refuses). */
static ward_err answer_hdr(const uint8_t *in, size_t in_len, uint8_t type,
                           uint8_t flags, const uint8_t *cid, size_t cid_len,
                           const request *rq, ward_hdr *h, size_t *hlen,
                           int *refusal)
{
    *refusal = NO_REFUSAL;
    ward_err err = ward_hdr_decode(in, in_len, h, hlen);
    if (err != WARD_OK) {
        return err;
    }
    if ((h->flags & WARD_FLAG_ERROR) != 0) {
        *refusal = rq == NULL || refuses(h, rq) ? REFUSES_RQ : REFUSES_OTHER;
        err = ward_pair_error_of(in, in_len);
        return err == WARD_OK ? WARD_ERR_FORMAT : err;
    }
    if (h->type != type || h->flags != flags ||
        h->client_id_len != cid_len ||
        (cid_len > 0 && memcmp(h->client_id, cid, cid_len) != 0)) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

/* A step failed, or the device refused one: the binding is over on the
 * app's side. Every secret goes (PIN-derived state, data key, salt); the
 * CliID stays, because the device finds the binding slot by (transport
 * address, CliID) and ward_pair_end() must still be able to free it. */
static void pair_over(ward_pair *p)
{
    uint8_t cid[WARD_CLIENT_ID_MAX];
    size_t cid_len = p->client_id_len;
    memcpy(cid, p->client_id, sizeof cid);
    ward_pair_wipe(p);
    memcpy(p->client_id, cid, sizeof cid);
    p->client_id_len = cid_len;
    p->state = P_OVER;
}

/* The request p has in flight (type 0: none). PAKE_FINISH names the
 * binding by the key index the device reserved, without a CliID. */
static request pair_request(const ward_pair *p)
{
    request rq = { 0, 0, 0, p->client_id, p->client_id_len };
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

bool ward_pair_waiting(const ward_pair *p)
{
    WARD_ASSERT(p != NULL);
    return p->state == P_PIN_SENT || p->state == P_PAKE_SENT ||
           p->state == P_FINISH_SENT;
}

ward_err ward_pair_start(ward_pair *p, const ward_crypto *cp,
                         const ward_random *rng, const uint8_t *udidx,
                         size_t udidx_len, const uint8_t *client_id,
                         size_t client_id_len, const uint8_t *app_name,
                         size_t app_name_len, uint8_t *out, size_t cap,
                         size_t *out_len)
{
    uint8_t body[WARD_TLV_SIZE(WARD_DEV_UDIDX_MAX) +
                 WARD_TLV_SIZE(WARD_DEV_APP_NAME_MAX)];
    size_t body_len = 0;
    ward_tlv_writer w;
    ward_hdr h;
    WARD_ASSERT(p != NULL && cp != NULL && rng != NULL && out != NULL &&
                out_len != NULL);
    memset(p, 0, sizeof *p);
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
    ward_tlv_writer_init(&w, body, sizeof body);
    ward_tlv_put(&w, 0x01, udidx, udidx_len);
    ward_tlv_put(&w, 0x02, app_name, app_name_len);
    ward_err err = ward_tlv_writer_finish(&w, &body_len);
    if (err == WARD_OK) {
        hdr_init(&h, WARD_MSG_DEV_PIN_REQUEST, 0, 0, client_id, client_id_len);
        err = plain_msg(&h, body, body_len, out, cap, out_len);
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

ward_err ward_pair_on_pin(ward_pair *p, const uint8_t *in, size_t in_len,
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
    int refusal = NO_REFUSAL;
    WARD_ASSERT(p != NULL && in != NULL);
    if (p->state != P_PIN_SENT) {
        return WARD_ERR_STATE;
    }
    const request rq = pair_request(p);
    ward_err err = answer_hdr(in, in_len, WARD_MSG_DEV_PIN_REQUEST,
                              WARD_FLAG_REPLY, p->client_id, p->client_id_len,
                              &rq, &h, &hlen, &refusal);
    if (refusal == REFUSES_RQ) {
        pair_over(p);
        return err;
    }
    if (err == WARD_OK) {
        err = ward_tlv_parse(in + hlen, h.body_len, spec, 4, f);
    }
    if (err == WARD_OK && !canonical(f, 4, h.body_len)) {
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

ward_err ward_pair_pake_init(ward_pair *p, const uint8_t *pin, size_t pin_len,
                             uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t w0[WARD_P256_SCALAR_LEN], w1[WARD_P256_SCALAR_LEN];
    uint8_t share[WARD_SPAKE2P_SHARE_LEN];
    uint8_t body[WARD_P256_COMPRESSED_LEN];
    ward_hdr h;
    WARD_ASSERT(p != NULL && pin != NULL && out != NULL && out_len != NULL);
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
            &p->pake, p->cp, &p->rng, pake_context, sizeof pake_context - 1,
            p->client_id, p->client_id_len, (const uint8_t *)p->info.id,
            strlen(p->info.id), w0, w1, share);
    }
    if (err == WARD_OK) {
        /* Compressed on the wire only; the transcript keeps 65 bytes. */
        ward_p256_compress(share, body);
        hdr_init(&h, WARD_MSG_DEV_PAKE_INIT, 0, 0, p->client_id,
                 p->client_id_len);
        err = plain_msg(&h, body, sizeof body, out, cap, out_len);
    }
    if (err == WARD_OK) {
        p->state = P_PAKE_SENT;
    }
    ward_wipe(w0, sizeof w0);
    ward_wipe(w1, sizeof w1);
    return err;
}

ward_err ward_pair_on_pake_init(ward_pair *p, const uint8_t *in,
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
    int refusal = NO_REFUSAL;
    WARD_ASSERT(p != NULL && in != NULL && out != NULL && out_len != NULL);
    *out_len = 0;
    if (p->state != P_PAKE_SENT) {
        return WARD_ERR_STATE;
    }
    /* The device does not repeat our CliID: this answer is the one to the
     * PAKE_INIT we have in flight, and the tag below says whether it is.
     * Its refusal does repeat it, as every refusal does. */
    const request rq = pair_request(p);
    ward_err err = answer_hdr(in, in_len, WARD_MSG_DEV_PAKE_INIT,
                              WARD_FLAG_REPLY | WARD_FLAG_SEALED, NULL, 0,
                              &rq, &h, &hlen, &refusal);
    if (refusal == REFUSES_OTHER) {
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
    if (err == WARD_OK && !canonical(f, 2, pt_len)) {
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
        hdr_init(&fh, WARD_MSG_DEV_PAKE_FINISH, 0, h.key_index, NULL, 0);
        err = plain_msg(&fh, confirm_p, sizeof confirm_p, out, cap, out_len);
    }
    if (err == WARD_OK) {
        p->info = info;   /* the authenticated name and type */
        p->key_index = h.key_index;
        p->state = P_FINISH_SENT;
    } else {
        /* The binding is over: a wrong PIN cannot be retried on it. */
        pair_over(p);
    }
    ward_wipe(confirm_p, sizeof confirm_p);
    ward_wipe(shared, sizeof shared);
    ward_wipe(pt, sizeof pt);
    return err;
}

ward_err ward_pair_on_pake_finish(ward_pair *p, const uint8_t *in,
                                  size_t in_len, ward_pair_device *d)
{
    ward_hdr h;
    size_t hlen = 0;
    int refusal = NO_REFUSAL;
    WARD_ASSERT(p != NULL && d != NULL && (in != NULL || in_len == 0));
    memset(d, 0, sizeof *d);
    if (p->state != P_FINISH_SENT) {
        return WARD_ERR_STATE;
    }
    ward_err err = WARD_OK;
    if (in_len > 0) {
        /* The device's empty acknowledgement, or its refusal. */
        const request rq = pair_request(p);
        err = answer_hdr(in, in_len, WARD_MSG_DEV_PAKE_FINISH,
                         WARD_FLAG_REPLY, NULL, 0, &rq, &h, &hlen, &refusal);
        if (err == WARD_OK &&
            (h.key_index != p->key_index || h.body_len != 0)) {
            err = WARD_ERR_FORMAT;
        }
    }
    if (refusal == REFUSES_RQ) {
        /* Refused (confirmP did not verify, the binding expired): the
         * device stored nothing, and the data key is worth nothing. */
        pair_over(p);
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
        ward_pair_wipe(p);
    }
    return err;
}

ward_err ward_pair_end(ward_pair *p, uint8_t *out, size_t cap,
                       size_t *out_len)
{
    ward_hdr h;
    ward_err err = WARD_OK;
    WARD_ASSERT(p != NULL);
    if (out != NULL) {
        WARD_ASSERT(out_len != NULL);
        *out_len = 0;
        /* Without a binding the CliID is gone (or was never set): a
         * PAKE_END then would name an older app's slot at our address. */
        if (p->state == P_NONE) {
            err = WARD_ERR_STATE;
        } else {
            /* The device finds the slot by (transport address, CliID); a
             * failed step kept the CliID for this (pair_over). */
            hdr_init(&h, WARD_MSG_DEV_PAKE_END, 0, 0, p->client_id,
                     p->client_id_len);
            err = plain_msg(&h, NULL, 0, out, cap, out_len);
        }
    }
    ward_pair_wipe(p);
    return err;
}

void ward_pair_wipe(ward_pair *p)
{
    WARD_ASSERT(p != NULL);
    ward_spake2p_wipe(&p->pake);
    ward_wipe(p, sizeof *p);
}

void ward_pair_device_wipe(ward_pair_device *d)
{
    WARD_ASSERT(d != NULL);
    ward_wipe(d, sizeof *d);
}

/* ---- channels ---- */

/* c's request in flight, as it went out under d. */
static request chan_request(const ward_pair_device *d,
                            const ward_pair_channel *c)
{
    request rq = { c->req_type, d->key_index, c->req_seq, d->client_id,
                   d->client_id_len };
    return rq;
}

bool ward_pair_channel_waiting(const ward_pair_channel *c)
{
    WARD_ASSERT(c != NULL);
    return c->req_type != 0;
}

ward_err ward_pair_channel_reopen(const ward_pair_device *d,
                                  const ward_crypto *cp,
                                  const ward_random *rng,
                                  ward_pair_channel *c, uint8_t *out,
                                  size_t cap, size_t *out_len)
{
    uint8_t lost_na[WARD_DEV_OPEN_NONCE_LEN];
    uint32_t lost_seq = 0;
    WARD_ASSERT(c != NULL && out_len != NULL);
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
    ward_err err = ward_pair_channel_open(d, cp, rng, c->channel_id, c, out,
                                          cap, out_len);
    if (err == WARD_OK) {
        c->reopen = 1;
        memcpy(c->lost_na, lost_na, sizeof lost_na);
        c->lost_seq = lost_seq;
    }
    ward_wipe(lost_na, sizeof lost_na);
    return err;
}

ward_pair_fate ward_pair_channel_fate(const ward_pair_channel *c)
{
    WARD_ASSERT(c != NULL);
    return (ward_pair_fate)c->fate;
}

ward_err ward_pair_channel_open(const ward_pair_device *d,
                                const ward_crypto *cp, const ward_random *rng,
                                uint32_t channel_id, ward_pair_channel *c,
                                uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t pt[WARD_TLV_SIZE(4) + WARD_TLV_SIZE(WARD_DEV_OPEN_NONCE_LEN)];
    size_t pt_len = 0;
    ward_tlv_writer w;
    ward_hdr h;
    WARD_ASSERT(d != NULL && cp != NULL && rng != NULL && c != NULL);
    WARD_ASSERT(out != NULL && out_len != NULL);
    memset(c, 0, sizeof *c);
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
        hdr_init(&h, WARD_MSG_DEV_CHANNEL_OPEN, WARD_FLAG_SEALED,
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
                                   ward_pair_channel *c, const uint8_t *in,
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
    int refusal = NO_REFUSAL;
    ward_dev_chan chan;
    WARD_ASSERT(d != NULL && cp != NULL && c != NULL && in != NULL);
    memset(&chan, 0, sizeof chan);
    if (c->state != C_OPEN_SENT) {
        return WARD_ERR_STATE;
    }
    const request rq = chan_request(d, c);
    ward_err err = answer_hdr(in, in_len, WARD_MSG_DEV_CHANNEL_OPEN,
                              WARD_FLAG_REPLY | WARD_FLAG_SEALED,
                              d->client_id, d->client_id_len, &rq, &h, &hlen,
                              &refusal);
    if (refusal == REFUSES_RQ) {
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
    if (err == WARD_OK && !canonical(f, 6, pt_len)) {
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
                           ward_pair_channel *c, const uint8_t *data,
                           size_t len, uint8_t *out, size_t cap,
                           size_t *out_len)
{
    WARD_ASSERT(d != NULL && c != NULL && out_len != NULL);
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

ward_err ward_pair_on_reply(const ward_pair_device *d, const ward_crypto *cp,
                            ward_pair_channel *c, const uint8_t *in,
                            size_t in_len, uint8_t *data, size_t cap,
                            size_t *data_len, bool *is_reply)
{
    ward_hdr h;
    size_t hlen = 0;
    uint32_t id = 0;
    WARD_ASSERT(d != NULL && c != NULL && in != NULL && data_len != NULL);
    *data_len = 0;
    if (c->state != C_OPEN) {
        return WARD_ERR_STATE;
    }
    ward_err err = ward_pair_error_of(in, in_len);
    if (err != WARD_OK) {
        const request rq = chan_request(d, c);
        if (ward_hdr_decode(in, in_len, &h, &hlen) == WARD_OK &&
            refuses(&h, &rq)) {
            c->req_type = 0;   /* the exchange is over; nothing else moves */
        }
        return err;
    }
    err = ward_dev_chan_peek(in, in_len, &h, &id);
    if (err == WARD_OK &&
        (h.type != WARD_MSG_DEV_REPLY || id != c->channel_id ||
         h.key_index != d->key_index ||
         (h.flags & ~(uint8_t)WARD_FLAG_REPLY) != WARD_FLAG_SEALED ||
         h.client_id_len != d->client_id_len ||
         memcmp(h.client_id, d->client_id, d->client_id_len) != 0)) {
        err = WARD_ERR_FORMAT;
    }
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

ward_err ward_pair_attach(const ward_pair_device *d, const ward_crypto *cp,
                          const ward_random *rng, const uint8_t *cloud_id,
                          size_t cloud_id_len, uint8_t *out, size_t cap,
                          size_t *out_len)
{
    uint8_t pt[WARD_TLV_SIZE(WARD_DEV_CLOUD_ID_MAX)];
    size_t pt_len = 0;
    ward_tlv_writer w;
    ward_hdr h;
    WARD_ASSERT(d != NULL && cp != NULL && rng != NULL && out_len != NULL);
    *out_len = 0;
    if (cloud_id == NULL || cloud_id_len == 0 ||
        cloud_id_len > WARD_DEV_CLOUD_ID_MAX) {
        return WARD_ERR_PARAM;
    }
    ward_tlv_writer_init(&w, pt, sizeof pt);
    ward_tlv_put(&w, 0x01, cloud_id, cloud_id_len);
    ward_err err = ward_tlv_writer_finish(&w, &pt_len);
    if (err == WARD_OK) {
        hdr_init(&h, WARD_MSG_DEV_ATTACH, WARD_FLAG_SEALED, d->key_index,
                 d->client_id, d->client_id_len);
        err = ward_dev_seal_msg(cp, rng, d->data_key, &h, NULL, 0, pt, pt_len,
                                out, cap, out_len);
    }
    return err;
}

ward_err ward_pair_on_attach(const ward_pair_device *d, const ward_crypto *cp,
                             const uint8_t *in, size_t in_len)
{
    uint8_t pt[WARD_TLV_SIZE(WARD_DEV_CLOUD_ID_MAX)];
    size_t hlen = 0, clear_len = 0, pt_len = 0;
    ward_hdr h;
    int refusal = NO_REFUSAL;
    WARD_ASSERT(d != NULL && cp != NULL && in != NULL);
    /* No state to keep waiting in: any refusal is the answer. */
    ward_err err = answer_hdr(in, in_len, WARD_MSG_DEV_ATTACH,
                              WARD_FLAG_REPLY | WARD_FLAG_SEALED,
                              d->client_id, d->client_id_len, NULL, &h, &hlen,
                              &refusal);
    if (err == WARD_OK && h.key_index != d->key_index) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = ward_dev_open_msg(cp, d->data_key, in, in_len, hlen, &clear_len,
                                pt, sizeof pt, &pt_len);
        err = err == WARD_ERR_NOSPACE ? WARD_ERR_FORMAT : err;
    }
    ward_wipe(pt, sizeof pt);
    return err;
}
