/* Flow C's shared message helpers: parse/finish, the packet nonce, sealed packets, activations. */
#include <string.h>

#include "ward/ward_bind.h"
#include "ward_inner.h"
#include "proto_inner.h"
#include "gw_msg.h"

ward_err gw_msg_parse(const uint8_t *msg, size_t len, uint8_t type, uint8_t flags,
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

ward_err gw_msg_finish(uint8_t type, uint8_t flags, const ward_tlv_writer *w, uint8_t *out,
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

void gw_nonce(uint8_t dir, uint32_t seq, uint8_t nonce[WARD_AEAD_NONCE_LEN])
{
    memset(nonce, 0, WARD_AEAD_NONCE_LEN);
    nonce[0] = dir;
    ward_store32(nonce + WARD_AEAD_NONCE_LEN - 4, seq);
}

ward_err gw_sealed_write(const ward_crypto *cp, const uint8_t key[WARD_AEAD_KEY_LEN],
                         uint8_t dir, uint8_t type, uint8_t flags, uint32_t seq,
                         const uint8_t *id, size_t id_len, const uint8_t *pt, size_t pt_len,
                         uint8_t *out, size_t cap, size_t *len)
{
    ward_hdr h;
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    size_t hl = 0, n = 0, sealed = pt_len + WARD_AEAD_TAG_LEN;
    size_t id_field = id_len > 0 ? WARD_TLV_SIZE(id_len) : 0;
    *len = 0;
    if (id_len >= 255 || cap < WARD_HDR_BASE_LEN + id_field + WARD_TLV_SIZE(sealed) ||
        id_field + WARD_TLV_SIZE(sealed) > WARD_BODY_MAX) {
        return WARD_ERR_NOSPACE;
    }
    memset(&h, 0, sizeof h);
    h.version = WARD_PROTOCOL_VERSION;
    h.type = type;
    h.flags = (uint8_t)(flags | WARD_FLAG_SEALED);
    h.seq = seq;
    h.body_len = (uint16_t)(id_field + WARD_TLV_SIZE(sealed));
    ward_err err = ward_hdr_encode(&h, out, cap, &hl);
    if (err != WARD_OK) {
        return err;
    }
    size_t at = hl;
    if (id_len > 0) {
        out[at++] = 0x01u;
        out[at++] = (uint8_t)id_len;
        memcpy(out + at, id, id_len);
        at += id_len;
    }
    size_t ad_len = at;
    /* The sealed field's own header, then the AEAD output in place. */
    out[at++] = id_len > 0 ? 0x02u : 0x01u;
    if (sealed < WARD_TLV_LEN_LONG) {
        out[at++] = (uint8_t)sealed;
    } else {
        out[at++] = WARD_TLV_LEN_LONG;
        ward_store16(out + at, (uint16_t)sealed);
        at += 2;
    }
    gw_nonce(dir, seq, nonce);
    err = ward_aead_seal(cp, key, nonce, out, ad_len, pt, pt_len, out + at, cap - at, &n);
    if (err != WARD_OK) {
        ward_wipe(out, cap);
        return err;
    }
    *len = at + n;
    return WARD_OK;
}

/* Whether the header's type is one the caller accepts: one parse for
 * every type of a link instead of one per type. */
static int type_accepted(uint8_t type, const uint8_t *types, size_t n_types)
{
    for (size_t i = 0; i < n_types; i++) {
        if (types[i] == type) {
            return 1;
        }
    }
    return 0;
}

ward_err gw_sealed_parse(const uint8_t *msg, size_t len, const uint8_t *types, size_t n_types,
                         const ward_tlv_spec spec[2], ward_hdr *h, ward_tlv_field f[2])
{
    size_t hl = 0;
    if (msg == NULL || ward_hdr_decode(msg, len, h, &hl) != WARD_OK ||
        hl != WARD_HDR_BASE_LEN || !type_accepted(h->type, types, n_types) ||
        h->flags != WARD_FLAG_SEALED || h->key_index != 0 || h->seq == 0 ||
        ward_tlv_parse(msg + hl, h->body_len, spec, 2, f) != WARD_OK ||
        !ward_proto_canonical(f, 2, h->body_len)) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err gw_activation_matches(const ward_crypto *cp, const uint8_t *act, size_t act_len,
                               const uint8_t id[GW_MSG_ID_LEN],
                               const uint8_t pub[WARD_P256_POINT_LEN],
                               const ward_identity_trust *t, uint32_t roles)
{
    static const char digits[] = "0123456789abcdef";
    ward_identity who;
    uint8_t hex[2 * GW_MSG_ID_LEN];
    ward_err err = t != NULL ? ward_identity_verify(cp, t, roles, act, act_len, &who, NULL)
                             : ward_identity_read(cp, act, act_len, &who);
    if (err != WARD_OK) {
        return err;
    }
    for (size_t i = 0; i < GW_MSG_ID_LEN; i++) {
        hex[2 * i] = (uint8_t)digits[id[i] >> 4];
        hex[2 * i + 1] = (uint8_t)digits[id[i] & 0x0Fu];
    }
    if (who.id_len != sizeof hex || memcmp(who.id, hex, sizeof hex) != 0 ||
        memcmp(who.pub, pub, WARD_P256_POINT_LEN) != 0) {
        return WARD_ERR_AUTH;
    }
    return WARD_OK;
}
