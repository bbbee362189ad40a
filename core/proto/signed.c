/* The fixed header and trailing signature shared by flow A's signed messages. */
#include <string.h>

#include "ward/ward_codec.h"
#include "ward/ward_keystore.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "proto_inner.h"

ward_err ward_proto_hdr(uint8_t type, uint8_t flags, size_t body_len,
                        uint8_t *out, size_t cap)
{
    ward_hdr h;
    size_t len = 0;
    memset(&h, 0, sizeof h);
    if (body_len > 0xFFFFu) {
        return WARD_ERR_NOSPACE;
    }
    h.version = WARD_PROTOCOL_VERSION;
    h.type = type;
    h.flags = flags;
    h.body_len = (uint16_t)body_len;
    ward_err err = ward_hdr_encode(&h, out, cap, &len);
    if (err == WARD_ERR_PARAM) {
        /* Only a body too large for WARD_MSG_MAX gets here. */
        return WARD_ERR_NOSPACE;
    }
    return err;
}

ward_err ward_proto_hdr_check(const uint8_t *msg, size_t len, uint8_t type,
                              uint8_t flags, const uint8_t **body,
                              size_t *body_len)
{
    ward_hdr h;
    size_t hdr_len = 0;
    ward_err err = ward_hdr_decode(msg, len, &h, &hdr_len);
    if (err != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    /* Anything the encoder would not have written is refused, so a
     * signed or sealed message has one encoding only. */
    if (h.type != type || h.flags != flags || h.key_index != 0 ||
        h.seq != 0 || hdr_len != WARD_HDR_BASE_LEN) {
        return WARD_ERR_FORMAT;
    }
    *body = msg + hdr_len;
    *body_len = h.body_len;
    return WARD_OK;
}

bool ward_proto_canonical(const ward_tlv_field *f, size_t n, size_t body_len)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i].present) {
            total += WARD_TLV_SIZE((size_t)f[i].len);
        }
    }
    return total == body_len;
}

ward_err ward_proto_sign_by(const ward_crypto *cp, const char *label,
                            const ward_keystore *ks, ward_key_id id,
                            uint8_t *msg, size_t signed_len, size_t cap, size_t *len)
{
    uint8_t sig[WARD_P256_SIG_LEN];
    WARD_ASSERT(ks != NULL);
    *len = 0;
    if (cap < signed_len || cap - signed_len < WARD_SIG_FIELD_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_err err = ward_sign_by(cp, ks, id, label, msg, signed_len, sig);
    if (err != WARD_OK) {
        return err;
    }
    msg[signed_len] = WARD_TAG_SIG;
    msg[signed_len + 1] = WARD_P256_SIG_LEN;
    memcpy(msg + signed_len + 2, sig, sizeof sig);
    *len = signed_len + WARD_SIG_FIELD_LEN;
    return WARD_OK;
}

ward_err ward_proto_verify(const ward_crypto *cp, const char *label,
                           const uint8_t pub[WARD_P256_POINT_LEN],
                           const uint8_t *msg, size_t len)
{
    if (len < WARD_HDR_BASE_LEN + WARD_SIG_FIELD_LEN || len > WARD_MSG_MAX) {
        return WARD_ERR_AUTH;
    }
    size_t signed_len = len - WARD_SIG_FIELD_LEN;
    if (msg[signed_len] != WARD_TAG_SIG ||
        msg[signed_len + 1] != WARD_P256_SIG_LEN) {
        return WARD_ERR_AUTH;
    }
    ward_err err = ward_verify(cp, label, pub, msg, signed_len,
                               msg + signed_len + 2);
    /* A registered key that is not a point is the verifier's problem, not
     * the sender's; either way nothing was verified. */
    return err == WARD_OK ? WARD_OK : WARD_ERR_AUTH;
}
