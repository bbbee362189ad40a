/* Flow C's LAN hand-over, the app's side: SEARCH with the PoP's proof, then sealed requests. */
#include <string.h>

#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "gw_prov_inner.h"

static ward_gw_app_state *st_of(ward_gw_app *app)
{
    return (ward_gw_app_state *)(void *)app->opaque.bytes;
}

void ward_gw_app_wipe(ward_gw_app *app)
{
    if (app != NULL) {
        ward_wipe(app, sizeof *app);
    }
}

ward_err ward_gw_app_start(ward_gw_app *app, const ward_crypto *cp, const ward_random *rng,
                           const ward_gw_qr *qr, uint8_t *out, size_t cap, size_t *out_len)
{
    WARD_ASSERT(app != NULL && cp != NULL && rng != NULL && qr != NULL && out != NULL &&
                out_len != NULL);
    ward_gw_app_state *s = st_of(app);
    uint8_t kp[32], proof[WARD_GW_PROOF_LEN];
    ward_wipe(app, sizeof *app);
    *out_len = 0;
    s->cp = cp;
    memcpy(s->mac, qr->mac, WARD_GW_MAC_LEN);
    memcpy(s->pop, qr->pop, WARD_GW_POP_LEN);
    ward_err err = ward_p256_keygen(cp, rng, s->priv, s->pub);
    if (err == WARD_OK) {
        err = rng->fill(rng->ctx, s->nonce, sizeof s->nonce);
    }
    if (err == WARD_OK) {
        err = gw_pop_key(cp, s->pop, s->mac, kp);
    }
    size_t body = WARD_TLV_SIZE(WARD_GW_MAC_LEN) + WARD_TLV_SIZE(WARD_P256_POINT_LEN) +
                  WARD_TLV_SIZE(WARD_GW_NONCE_LEN) + WARD_TLV_SIZE(1) +
                  WARD_TLV_SIZE(WARD_GW_PROOF_LEN);
    if (err == WARD_OK && cap < WARD_HDR_BASE_LEN + body) {
        err = WARD_ERR_NOSPACE;
    }
    if (err == WARD_OK) {
        ward_hdr h;
        size_t hl = 0;
        memset(&h, 0, sizeof h);
        h.version = WARD_PROTOCOL_VERSION;
        h.type = WARD_MSG_GW_SEARCH;
        h.body_len = (uint16_t)body;
        err = ward_hdr_encode(&h, out, cap, &hl);
    }
    if (err == WARD_OK) {
        ward_tlv_writer w;
        size_t bl = 0;
        ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN);
        ward_tlv_put(&w, GW_T_MAC, s->mac, WARD_GW_MAC_LEN);
        ward_tlv_put(&w, GW_T_PUB, s->pub, WARD_P256_POINT_LEN);
        ward_tlv_put(&w, GW_T_NONCE, s->nonce, WARD_GW_NONCE_LEN);
        ward_tlv_put_u8(&w, GW_T_CMD, GW_CMD_SEARCH_DEVICE);
        err = ward_tlv_writer_finish(&w, &bl);
        size_t off = WARD_HDR_BASE_LEN + bl;
        if (err == WARD_OK) {
            err = gw_proof(cp, kp, out, off, proof);
        }
        if (err == WARD_OK) {
            out[off] = GW_T_PROOF;
            out[off + 1] = WARD_GW_PROOF_LEN;
            memcpy(out + off + 2, proof, WARD_GW_PROOF_LEN);
            *out_len = off + 2 + WARD_GW_PROOF_LEN;
        }
    }
    ward_wipe(kp, sizeof kp);
    ward_wipe(proof, sizeof proof);
    if (err != WARD_OK) {
        ward_wipe(app, sizeof *app);
        *out_len = 0;
        return err;
    }
    s->stage = 1;
    return WARD_OK;
}

ward_err ward_gw_app_search_reply(ward_gw_app *app, const uint8_t *in, size_t len,
                                  ward_gw_info *info)
{
    WARD_ASSERT(app != NULL && (in != NULL || len == 0) && info != NULL);
    ward_gw_app_state *s = st_of(app);
    gw_search_ans a;
    uint8_t shared[WARD_P256_SHARED_LEN], k_ag[WARD_GW_KEY_LEN], k_ga[WARD_GW_KEY_LEN];
    uint8_t pt[GW_INFO_PT_MAX], nonce[WARD_AEAD_NONCE_LEN];
    size_t n = 0;
    memset(info, 0, sizeof *info);
    if (s->stage != 1) {
        return WARD_ERR_STATE;
    }
    ward_err err = gw_search_ans_parse(in, len, &a);
    if (err != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    if (a.err_body != NULL) {
        /* Unsealed: a hint only (anyone may send it); the search goes on. */
        ward_err code = WARD_ERR_FORMAT;
        err = gw_error_code(a.err_body, a.err_len, &code);
        return err != WARD_OK ? WARD_ERR_FORMAT : code;
    }
    err = s->cp->p256_ecdh(s->priv, a.pub, shared);
    if (err == WARD_OK) {
        err = gw_lan_keys(s->cp, shared, s->pop, s->mac, s->pub, s->nonce, a.pub, a.nonce, k_ag,
                          k_ga);
    }
    if (err == WARD_OK) {
        gw_nonce(GW_DIR_GW, 0, nonce);
        err = ward_aead_open(s->cp, k_ga, nonce, in, a.ad_len, a.sealed, a.sealed_len, pt,
                             sizeof pt, &n);
        if (err != WARD_OK) {
            err = WARD_ERR_AUTH;   /* a wrong PoP, or a relay's key */
        }
    }
    if (err == WARD_OK) {
        err = gw_info_parse(pt, n, info);
    }
    if (err == WARD_OK && memcmp(info->mac, s->mac, WARD_GW_MAC_LEN) != 0) {
        err = WARD_ERR_AUTH;       /* sealed by a gateway that holds our PoP, yet not this MAC */
    }
    if (err == WARD_OK) {
        memcpy(s->k_ag, k_ag, sizeof k_ag);
        memcpy(s->k_ga, k_ga, sizeof k_ga);
        ward_wipe(s->priv, sizeof s->priv);
        ward_wipe(s->pop, sizeof s->pop);
        s->stage = 2;
        s->seq = 0;
    } else {
        memset(info, 0, sizeof *info);
    }
    ward_wipe(shared, sizeof shared);
    ward_wipe(k_ag, sizeof k_ag);
    ward_wipe(k_ga, sizeof k_ga);
    ward_wipe(pt, sizeof pt);
    return err;
}

static ward_err request(ward_gw_app_state *s, uint8_t type, const uint8_t *pt, size_t pt_len,
                        uint8_t *out, size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (s->stage != 2) {
        return WARD_ERR_STATE;
    }
    if (s->seq == 0xFFFFFFFFu) {
        return WARD_ERR_STATE;   /* counters never wrap: search again */
    }
    ward_err err = gw_seal_msg(s->cp, s->k_ag, GW_DIR_APP, type, 0, s->seq + 1, pt, pt_len, out,
                               cap, out_len);
    if (err == WARD_OK) {
        s->seq++;
        s->type = type;
    }
    return err;
}

ward_err ward_gw_app_list(ward_gw_app *app, uint8_t *out, size_t cap, size_t *out_len)
{
    WARD_ASSERT(app != NULL && out != NULL && out_len != NULL);
    return request(st_of(app), WARD_MSG_GW_SSID_LIST, NULL, 0, out, cap, out_len);
}

ward_err ward_gw_app_wifi_set(ward_gw_app *app, const uint8_t *ssid, size_t ssid_len,
                              const uint8_t *psk, size_t psk_len, uint8_t *out, size_t cap,
                              size_t *out_len)
{
    WARD_ASSERT(app != NULL && ssid != NULL && (psk != NULL || psk_len == 0) && out != NULL &&
                out_len != NULL);
    uint8_t pt[2 * WARD_TLV_HDR_MAX + WARD_GW_SSID_MAX + WARD_GW_PSK_MAX];
    size_t n = 0;
    *out_len = 0;
    if (ssid_len < 1 || ssid_len > WARD_GW_SSID_MAX || psk_len > WARD_GW_PSK_MAX ||
        (psk_len != 0 && psk_len < WARD_GW_PSK_MIN)) {
        return WARD_ERR_PARAM;
    }
    ward_tlv_writer w;
    ward_tlv_writer_init(&w, pt, sizeof pt);
    ward_tlv_put(&w, 0x01, ssid, ssid_len);
    ward_tlv_put(&w, 0x02, psk, psk_len);
    ward_err err = ward_tlv_writer_finish(&w, &n);
    if (err == WARD_OK) {
        err = request(st_of(app), WARD_MSG_GW_WIFI_SET, pt, n, out, cap, out_len);
    }
    ward_wipe(pt, sizeof pt);
    return err;
}

ward_err ward_gw_app_status(ward_gw_app *app, uint8_t *out, size_t cap, size_t *out_len)
{
    WARD_ASSERT(app != NULL && out != NULL && out_len != NULL);
    return request(st_of(app), WARD_MSG_GW_WIFI_STATUS, NULL, 0, out, cap, out_len);
}

ward_err ward_gw_app_commit(ward_gw_app *app, uint8_t *out, size_t cap, size_t *out_len)
{
    WARD_ASSERT(app != NULL && out != NULL && out_len != NULL);
    return request(st_of(app), WARD_MSG_GW_WIFI_COMMIT, NULL, 0, out, cap, out_len);
}

static ward_err payload_request(ward_gw_app *app, uint8_t type, const uint8_t *p, size_t n,
                                size_t max, uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t pt[WARD_GW_CREDENTIALS_MAX + WARD_TLV_HDR_MAX];
    size_t pl = 0;
    *out_len = 0;
    if (n < 1 || n > max) {
        return WARD_ERR_PARAM;
    }
    ward_err err = gw_payload_encode(p, n, pt, sizeof pt, &pl);
    if (err == WARD_OK) {
        err = request(st_of(app), type, pt, pl, out, cap, out_len);
    }
    ward_wipe(pt, sizeof pt);
    return err;
}

ward_err ward_gw_app_claim(ward_gw_app *app, const uint8_t *claim, size_t len, uint8_t *out,
                           size_t cap, size_t *out_len)
{
    WARD_ASSERT(app != NULL && claim != NULL && out != NULL && out_len != NULL);
    return payload_request(app, WARD_MSG_GW_LAN_CLAIM, claim, len, WARD_GW_CLAIM_MAX, out, cap,
                           out_len);
}

ward_err ward_gw_app_credentials(ward_gw_app *app, const uint8_t *cred, size_t len,
                                 uint8_t *out, size_t cap, size_t *out_len)
{
    WARD_ASSERT(app != NULL && cred != NULL && out != NULL && out_len != NULL);
    return payload_request(app, WARD_MSG_GW_LAN_CREDENTIALS, cred, len, WARD_GW_CREDENTIALS_MAX,
                           out, cap, out_len);
}

ward_err ward_gw_app_reply(ward_gw_app *app, const uint8_t *in, size_t len,
                           ward_gw_answer *ans)
{
    WARD_ASSERT(app != NULL && (in != NULL || len == 0) && ans != NULL);
    ward_gw_app_state *s = st_of(app);
    ward_hdr h;
    const uint8_t *sealed = NULL, *p = NULL;
    size_t sealed_len = 0, n = 0, pl = 0;
    uint8_t pt[WARD_GW_PROV_MSG_MAX];   /* any plaintext a message can hold: AUTH means AUTH */
    memset(ans, 0, sizeof *ans);
    if (s->stage != 2 || s->seq == 0) {
        return WARD_ERR_STATE;
    }
    size_t hl = 0;
    ward_err err = ward_hdr_decode(in, len, &h, &hl);
    if (err != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    if (h.flags == (WARD_FLAG_REPLY | WARD_FLAG_ERROR)) {
        /* Unsealed: the gateway could not open our request (or someone
         * else speaks for it). Nothing is believed from it. */
        return WARD_ERR_AUTH;
    }
    if (gw_parse_msg(in, len, &h, &sealed, &sealed_len) != WARD_OK ||
        (h.flags & (uint8_t)~WARD_FLAG_ERROR) != (WARD_FLAG_REPLY | WARD_FLAG_SEALED)) {
        return WARD_ERR_FORMAT;
    }
    if (h.type != s->type || h.seq != s->seq) {
        return WARD_ERR_STATE;       /* an answer to an earlier request */
    }
    err = gw_open_msg(s->cp, s->k_ga, GW_DIR_GW, in, &h, sealed, sealed_len, pt, sizeof pt, &n);
    if (err != WARD_OK) {
        return WARD_ERR_AUTH;
    }
    ans->type = h.type;
    if ((h.flags & WARD_FLAG_ERROR) != 0) {
        err = gw_error_code(pt, n, &ans->refused);
    } else {
        uint8_t st = 0;
        switch (h.type) {
        case WARD_MSG_GW_SSID_LIST:
            err = gw_list_parse(pt, n, ans->list, &ans->n);
            break;
        case WARD_MSG_GW_WIFI_SET:
        case WARD_MSG_GW_WIFI_STATUS:
        case WARD_MSG_GW_WIFI_COMMIT:
            err = gw_state_parse(pt, n, &st, &ans->last_failure);
            ans->state = (ward_gw_wifi_state)st;
            break;
        default:
            err = gw_payload_parse(pt, n,
                                   h.type == WARD_MSG_GW_LAN_CLAIM ? WARD_GW_REGISTRATION_MAX
                                                               : WARD_GW_ACK_MAX,
                                   &p, &pl);
            if (err == WARD_OK) {
                memcpy(ans->data, p, pl);
                ans->data_len = pl;
            }
            break;
        }
    }
    ward_wipe(pt, sizeof pt);
    if (err != WARD_OK) {
        memset(ans, 0, sizeof *ans);
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}
