/* Flow C's LAN hand-over: keys, sealing and the message bodies both sides share. */
#include <string.h>

#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "gw_prov_inner.h"

ward_err gw_pop_key(const ward_crypto *cp, const uint8_t pop[WARD_GW_POP_LEN],
                    const uint8_t mac[WARD_GW_MAC_LEN], uint8_t kp[32])
{
    return ward_kdf(cp, WARD_LABEL_GW_POP, pop, WARD_GW_POP_LEN, NULL, 0, mac,
                    WARD_GW_MAC_LEN, kp, 32);
}

ward_err gw_proof(const ward_crypto *cp, const uint8_t kp[32], const uint8_t *msg, size_t len,
                  uint8_t proof[WARD_GW_PROOF_LEN])
{
    uint8_t full[WARD_SHA256_LEN];
    ward_iov part = { msg, len };
    ward_err err = cp->hmac_sha256(kp, 32, &part, 1, full);
    memcpy(proof, full, WARD_GW_PROOF_LEN);
    ward_wipe(full, sizeof full);
    return err;
}

ward_err gw_lan_keys(const ward_crypto *cp, const uint8_t shared[WARD_P256_SHARED_LEN],
                     const uint8_t pop[WARD_GW_POP_LEN], const uint8_t mac[WARD_GW_MAC_LEN],
                     const uint8_t a_pub[WARD_P256_POINT_LEN],
                     const uint8_t na[WARD_GW_NONCE_LEN],
                     const uint8_t g_pub[WARD_P256_POINT_LEN],
                     const uint8_t ng[WARD_GW_NONCE_LEN], uint8_t k_ag[WARD_GW_KEY_LEN],
                     uint8_t k_ga[WARD_GW_KEY_LEN])
{
    /* The PoP goes into the ikm beside the ECDH secret: a relay that put
     * its own key in either place shares an ECDH secret with each side but
     * not the PoP, so its keys differ from both. */
    uint8_t ikm[WARD_P256_SHARED_LEN + WARD_GW_POP_LEN];
    uint8_t ctx[GW_LAN_CTX_LEN];
    uint8_t okm[2 * WARD_GW_KEY_LEN];
    size_t o = 0;
    memcpy(ikm, shared, WARD_P256_SHARED_LEN);
    memcpy(ikm + WARD_P256_SHARED_LEN, pop, WARD_GW_POP_LEN);
    memcpy(ctx + o, mac, WARD_GW_MAC_LEN);
    o += WARD_GW_MAC_LEN;
    memcpy(ctx + o, a_pub, WARD_P256_POINT_LEN);
    o += WARD_P256_POINT_LEN;
    memcpy(ctx + o, na, WARD_GW_NONCE_LEN);
    o += WARD_GW_NONCE_LEN;
    memcpy(ctx + o, g_pub, WARD_P256_POINT_LEN);
    o += WARD_P256_POINT_LEN;
    memcpy(ctx + o, ng, WARD_GW_NONCE_LEN);
    o += WARD_GW_NONCE_LEN;
    ward_err err = ward_kdf(cp, WARD_LABEL_GW_LAN, ikm, sizeof ikm, NULL, 0, ctx, o, okm,
                            sizeof okm);
    if (err == WARD_OK) {
        memcpy(k_ag, okm, WARD_GW_KEY_LEN);
        memcpy(k_ga, okm + WARD_GW_KEY_LEN, WARD_GW_KEY_LEN);
    }
    ward_wipe(ikm, sizeof ikm);
    ward_wipe(okm, sizeof okm);
    return err;
}

static ward_err put_hdr(uint8_t type, uint8_t flags, uint32_t seq, size_t body_len,
                        uint8_t *out, size_t cap)
{
    ward_hdr h;
    size_t n = 0;
    memset(&h, 0, sizeof h);
    h.version = WARD_PROTOCOL_VERSION;
    h.type = type;
    h.flags = flags;
    h.seq = seq;
    if (body_len > WARD_BODY_MAX) {
        return WARD_ERR_NOSPACE;
    }
    h.body_len = (uint16_t)body_len;
    return ward_hdr_encode(&h, out, cap, &n);
}

ward_err gw_seal_msg(const ward_crypto *cp, const uint8_t key[WARD_GW_KEY_LEN], uint8_t dir,
                     uint8_t type, uint8_t flags, uint32_t seq, const uint8_t *pt,
                     size_t pt_len, uint8_t *out, size_t cap, size_t *out_len)
{
    return gw_sealed_write(cp, key, dir, type, flags, seq, NULL, 0, pt, pt_len, out, cap,
                           out_len);
}

ward_err gw_parse_msg(const uint8_t *in, size_t len, ward_hdr *h, const uint8_t **sealed,
                      size_t *sealed_len)
{
    static const ward_tlv_spec spec[] = { { 0x01, true, WARD_AEAD_TAG_LEN, WARD_GW_PROV_MSG_MAX } };
    ward_tlv_field f[1];
    size_t hl = 0;
    ward_err err = ward_hdr_decode(in, len, h, &hl);
    if (err != WARD_OK) {
        return err;
    }
    /* One encoding: no client id, key index 0, the SEALED bit. */
    if (hl != WARD_HDR_BASE_LEN || h->key_index != 0 || (h->flags & WARD_FLAG_SEALED) == 0) {
        return WARD_ERR_FORMAT;
    }
    err = ward_tlv_parse(in + hl, h->body_len, spec, 1, f);
    if (err != WARD_OK) {
        return err;
    }
    if (WARD_TLV_SIZE(f[0].len) != h->body_len) {
        return WARD_ERR_FORMAT;
    }
    *sealed = f[0].ptr;
    *sealed_len = f[0].len;
    return WARD_OK;
}

ward_err gw_open_msg(const ward_crypto *cp, const uint8_t key[WARD_GW_KEY_LEN], uint8_t dir,
                     const uint8_t *in, const ward_hdr *h, const uint8_t *sealed,
                     size_t sealed_len, uint8_t *pt, size_t cap, size_t *pt_len)
{
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    gw_nonce(dir, h->seq, nonce);
    return ward_aead_open(cp, key, nonce, in, WARD_HDR_BASE_LEN, sealed, sealed_len, pt, cap,
                          pt_len);
}

ward_err gw_error_msg(uint8_t type, uint32_t seq, ward_err code, uint8_t *out, size_t cap,
                      size_t *out_len)
{
    *out_len = 0;
    if (cap < WARD_HDR_BASE_LEN + 3) {
        return WARD_ERR_NOSPACE;
    }
    ward_err err = put_hdr(type, WARD_FLAG_REPLY | WARD_FLAG_ERROR, seq, 3, out, cap);
    if (err != WARD_OK) {
        return err;
    }
    out[WARD_HDR_BASE_LEN] = 0x01;
    out[WARD_HDR_BASE_LEN + 1] = 1;
    out[WARD_HDR_BASE_LEN + 2] = (uint8_t)code;
    *out_len = WARD_HDR_BASE_LEN + 3;
    return WARD_OK;
}

ward_err gw_error_code(const uint8_t *body, size_t len, ward_err *code)
{
    static const ward_tlv_spec spec[] = { { 0x01, true, 1, 1 } };
    ward_tlv_field f[1];
    ward_err err = ward_tlv_parse(body, len, spec, 1, f);
    if (err != WARD_OK) {
        return err;
    }
    if (len != 3 || f[0].ptr[0] == 0 || f[0].ptr[0] >= WARD_ERR_COUNT) {
        return WARD_ERR_FORMAT;
    }
    *code = (ward_err)f[0].ptr[0];
    return WARD_OK;
}

ward_err gw_search_parse(const uint8_t *in, size_t len, gw_search *s)
{
    static const ward_tlv_spec spec[] = {
        { GW_T_MAC, true, WARD_GW_MAC_LEN, WARD_GW_MAC_LEN },
        { GW_T_PUB, true, WARD_P256_POINT_LEN, WARD_P256_POINT_LEN },
        { GW_T_NONCE, true, WARD_GW_NONCE_LEN, WARD_GW_NONCE_LEN },
        { GW_T_CMD, true, 1, 1 },
        { GW_T_PROOF, true, WARD_GW_PROOF_LEN, WARD_GW_PROOF_LEN },
    };
    ward_tlv_field f[5];
    ward_hdr h;
    size_t hl = 0;
    ward_err err = ward_hdr_decode(in, len, &h, &hl);
    if (err != WARD_OK) {
        return err;
    }
    if (h.type != WARD_MSG_GW_SEARCH || h.flags != 0 || h.key_index != 0 || h.seq != 0 ||
        hl != WARD_HDR_BASE_LEN) {
        return WARD_ERR_FORMAT;
    }
    err = ward_tlv_parse(in + hl, h.body_len, spec, 5, f);
    if (err != WARD_OK) {
        return err;
    }
    /* Exactly these fields: a skipped unknown field would be outside the
     * proof's reach only if it came after it, and canonical bytes keep
     * retransmissions recognisable. */
    size_t want = 0;
    for (size_t i = 0; i < 5; i++) {
        want += WARD_TLV_SIZE(f[i].len);
    }
    if (want != h.body_len || f[3].ptr[0] != GW_CMD_SEARCH_DEVICE) {
        return WARD_ERR_FORMAT;
    }
    s->mac = f[0].ptr;
    s->pub = f[1].ptr;
    s->nonce = f[2].ptr;
    s->proof = f[4].ptr;
    s->proof_off = (size_t)(f[4].ptr - in) - 2;
    return WARD_OK;
}

ward_err gw_search_ans_parse(const uint8_t *in, size_t len, gw_search_ans *a)
{
    static const ward_tlv_spec spec[] = {
        { 0x01, true, WARD_P256_POINT_LEN, WARD_P256_POINT_LEN },
        { 0x02, true, WARD_GW_NONCE_LEN, WARD_GW_NONCE_LEN },
        { GW_T_SEALED, true, WARD_AEAD_TAG_LEN + 1, GW_INFO_PT_MAX + WARD_AEAD_TAG_LEN },
    };
    ward_tlv_field f[3];
    size_t hl = 0;
    memset(a, 0, sizeof *a);
    ward_err err = ward_hdr_decode(in, len, &a->h, &hl);
    if (err != WARD_OK) {
        return err;
    }
    if (a->h.type != WARD_MSG_GW_SEARCH || a->h.key_index != 0 || a->h.seq != 0 ||
        hl != WARD_HDR_BASE_LEN) {
        return WARD_ERR_FORMAT;
    }
    if (a->h.flags == (WARD_FLAG_REPLY | WARD_FLAG_ERROR)) {
        a->err_body = in + hl;
        a->err_len = a->h.body_len;
        return WARD_OK;
    }
    if (a->h.flags != (WARD_FLAG_REPLY | WARD_FLAG_SEALED)) {
        return WARD_ERR_FORMAT;
    }
    err = ward_tlv_parse(in + hl, a->h.body_len, spec, 3, f);
    if (err != WARD_OK) {
        return err;
    }
    size_t want = 0;
    for (size_t i = 0; i < 3; i++) {
        want += WARD_TLV_SIZE(f[i].len);
    }
    if (want != a->h.body_len) {
        return WARD_ERR_FORMAT;
    }
    a->pub = f[0].ptr;
    a->nonce = f[1].ptr;
    a->sealed = f[2].ptr;
    a->sealed_len = f[2].len;
    a->ad_len = (size_t)(f[2].ptr - in) - (f[2].len >= 255 ? 4 : 2);
    return WARD_OK;
}

/* Device info: 0x01 mac, 0x02 uuid, 0x03 reset flag, 0x04 hash,
 * 0x05 last failure, 0x06 TCP port, 0x07 Wi-Fi state. */
ward_err gw_info_encode(const ward_gw_info *info, uint8_t *out, size_t cap, size_t *len)
{
    ward_tlv_writer w;
    ward_tlv_writer_init(&w, out, cap);
    ward_tlv_put(&w, 0x01, info->mac, WARD_GW_MAC_LEN);
    ward_tlv_put(&w, 0x02, info->uuid, WARD_GW_UUID_LEN);
    ward_tlv_put_u8(&w, 0x03, info->reset_flag ? 1 : 0);
    ward_tlv_put(&w, 0x04, info->hash, WARD_GW_HASH_LEN);
    ward_tlv_put_u8(&w, 0x05, info->last_failure);
    ward_tlv_put_u16(&w, 0x06, info->tcp_port);
    ward_tlv_put_u8(&w, 0x07, (uint8_t)info->state);
    return ward_tlv_writer_finish(&w, len);
}

ward_err gw_info_parse(const uint8_t *pt, size_t len, ward_gw_info *info)
{
    static const ward_tlv_spec spec[] = {
        { 0x01, true, WARD_GW_MAC_LEN, WARD_GW_MAC_LEN },
        { 0x02, true, WARD_GW_UUID_LEN, WARD_GW_UUID_LEN },
        { 0x03, true, 1, 1 },
        { 0x04, true, WARD_GW_HASH_LEN, WARD_GW_HASH_LEN },
        { 0x05, true, 1, 1 },
        { 0x06, true, 2, 2 },
        { 0x07, true, 1, 1 },
    };
    ward_tlv_field f[7];
    uint8_t flag = 0, state = 0;
    memset(info, 0, sizeof *info);
    ward_err err = ward_tlv_parse(pt, len, spec, 7, f);
    if (err == WARD_OK) {
        err = ward_tlv_get_u8(&f[2], &flag);
    }
    if (err == WARD_OK) {
        err = ward_tlv_get_u8(&f[4], &info->last_failure);
    }
    if (err == WARD_OK) {
        err = ward_tlv_get_u16(&f[5], &info->tcp_port);
    }
    if (err == WARD_OK) {
        err = ward_tlv_get_u8(&f[6], &state);
    }
    if (err == WARD_OK && (flag > 1 || info->last_failure > WARD_GW_FAIL_MAX ||
                           info->tcp_port == 0 || state > WARD_GW_WIFI_COMMITTED)) {
        err = WARD_ERR_FORMAT;
    }
    if (err != WARD_OK) {
        memset(info, 0, sizeof *info);
        return err;
    }
    memcpy(info->mac, f[0].ptr, WARD_GW_MAC_LEN);
    memcpy(info->uuid, f[1].ptr, WARD_GW_UUID_LEN);
    info->reset_flag = flag == 1;
    memcpy(info->hash, f[3].ptr, WARD_GW_HASH_LEN);
    info->state = (ward_gw_wifi_state)state;
    return WARD_OK;
}

/* SSID list: 0x01 entries, each ssid_len (1) || ssid || rssi (1, signed). */
ward_err gw_list_encode(const ward_gw_ssid *list, size_t n, uint8_t *out, size_t cap,
                        size_t *len)
{
    uint8_t buf[WARD_GW_SCAN_MAX * (WARD_GW_SSID_MAX + 2)];
    size_t o = 0;
    if (n > WARD_GW_SCAN_MAX) {
        return WARD_ERR_PARAM;
    }
    for (size_t i = 0; i < n; i++) {
        buf[o++] = list[i].ssid_len;
        memcpy(buf + o, list[i].ssid, list[i].ssid_len);
        o += list[i].ssid_len;
        buf[o++] = (uint8_t)list[i].rssi;
    }
    ward_tlv_writer w;
    ward_tlv_writer_init(&w, out, cap);
    ward_tlv_put(&w, 0x01, buf, o);
    return ward_tlv_writer_finish(&w, len);
}

ward_err gw_list_parse(const uint8_t *pt, size_t len, ward_gw_ssid *list, size_t *n)
{
    static const ward_tlv_spec spec[] = {
        { 0x01, true, 0, WARD_GW_SCAN_MAX * (WARD_GW_SSID_MAX + 2) },
    };
    ward_tlv_field f[1];
    *n = 0;
    ward_err err = ward_tlv_parse(pt, len, spec, 1, f);
    if (err != WARD_OK) {
        return err;
    }
    size_t o = 0;
    while (o < f[0].len) {
        size_t sl = f[0].ptr[o];
        if (*n == WARD_GW_SCAN_MAX || sl == 0 || sl > WARD_GW_SSID_MAX ||
            f[0].len - o < sl + 2) {
            *n = 0;
            return WARD_ERR_FORMAT;
        }
        memset(&list[*n], 0, sizeof list[*n]);
        list[*n].ssid_len = (uint8_t)sl;
        memcpy(list[*n].ssid, f[0].ptr + o + 1, sl);
        list[*n].rssi = (int8_t)f[0].ptr[o + 1 + sl];
        o += sl + 2;
        (*n)++;
    }
    return WARD_OK;
}

/* WIFI_SET: 0x01 ssid (1..32), 0x02 psk (0, or 8..64). */
ward_err gw_wifi_set_parse(const uint8_t *pt, size_t len, const uint8_t **ssid,
                           size_t *ssid_len, const uint8_t **psk, size_t *psk_len)
{
    static const ward_tlv_spec spec[] = {
        { 0x01, true, 1, WARD_GW_SSID_MAX },
        { 0x02, true, 0, WARD_GW_PSK_MAX },
    };
    ward_tlv_field f[2];
    ward_err err = ward_tlv_parse(pt, len, spec, 2, f);
    if (err != WARD_OK) {
        return err;
    }
    if (f[1].len != 0 && f[1].len < WARD_GW_PSK_MIN) {
        return WARD_ERR_FORMAT;
    }
    *ssid = f[0].ptr;
    *ssid_len = f[0].len;
    *psk = f[1].ptr;
    *psk_len = f[1].len;
    return WARD_OK;
}

/* WIFI_SET, _STATUS and _COMMIT answers: 0x01 state, 0x02 last failure. */
ward_err gw_state_encode(uint8_t state, uint8_t failure, uint8_t *out, size_t cap, size_t *len)
{
    ward_tlv_writer w;
    ward_tlv_writer_init(&w, out, cap);
    ward_tlv_put_u8(&w, 0x01, state);
    ward_tlv_put_u8(&w, 0x02, failure);
    return ward_tlv_writer_finish(&w, len);
}

ward_err gw_state_parse(const uint8_t *pt, size_t len, uint8_t *state, uint8_t *failure)
{
    static const ward_tlv_spec spec[] = { { 0x01, true, 1, 1 }, { 0x02, true, 1, 1 } };
    ward_tlv_field f[2];
    ward_err err = ward_tlv_parse(pt, len, spec, 2, f);
    if (err != WARD_OK) {
        return err;
    }
    *state = f[0].ptr[0];
    *failure = f[1].ptr[0];
    if (*state > WARD_GW_WIFI_COMMITTED || *failure > WARD_GW_FAIL_MAX) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err gw_payload_parse(const uint8_t *pt, size_t len, size_t max, const uint8_t **p,
                          size_t *n)
{
    ward_tlv_spec spec[1] = { { 0x01, true, 1, (uint16_t)max } };
    ward_tlv_field f[1];
    ward_err err = ward_tlv_parse(pt, len, spec, 1, f);
    if (err != WARD_OK) {
        return err;
    }
    *p = f[0].ptr;
    *n = f[0].len;
    return WARD_OK;
}

ward_err gw_payload_encode(const uint8_t *p, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    ward_tlv_writer w;
    ward_tlv_writer_init(&w, out, cap);
    ward_tlv_put(&w, 0x01, p, n);
    return ward_tlv_writer_finish(&w, len);
}
