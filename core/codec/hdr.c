/* The common message header: encode and strict decode (see ward_codec.h). */
#include <string.h>

#include "ward/ward_codec.h"
#include "ward_inner.h"

/* Offsets of the fixed part; docs/protocol.md "Common header". */
#define HDR_OFF_VERSION 0
#define HDR_OFF_TYPE 1
#define HDR_OFF_FLAGS 2
#define HDR_OFF_KEY_INDEX 3
#define HDR_OFF_SEQ 4
#define HDR_OFF_BODY_LEN 8
#define HDR_OFF_EXT_LEN 10

/* Extension entry: tag (1) || length (1) || value. */
#define EXT_ENTRY_HDR 2u

#if 2 + WARD_CLIENT_ID_MAX > WARD_HDR_EXT_MAX
#error "the client-id entry must fit the extension area"
#endif

/* The client-id entry is the only one this version writes, so its size is
 * the whole extension area. */
static size_t hdr_ext_len(const ward_hdr *h)
{
    return h->client_id_len > 0 ? EXT_ENTRY_HDR + h->client_id_len : 0u;
}

ward_err ward_hdr_encode(const ward_hdr *h, uint8_t *out, size_t cap,
                         size_t *len)
{
    WARD_ASSERT(h != NULL && out != NULL && len != NULL);
    *len = 0;

    /* Refuse what the decoder would refuse, so a header we send is always
     * one we would accept. */
    if (h->version != WARD_PROTOCOL_VERSION || h->type == 0 ||
        (h->flags & (uint8_t)~WARD_FLAGS_KNOWN) != 0 ||
        h->client_id_len > WARD_CLIENT_ID_MAX ||
        h->body_len > WARD_BODY_MAX) {
        return WARD_ERR_PARAM;
    }
    size_t ext_len = hdr_ext_len(h);
    size_t hdr_len = WARD_HDR_BASE_LEN + ext_len;
    if (cap < hdr_len) {
        return WARD_ERR_NOSPACE;
    }

    out[HDR_OFF_VERSION] = h->version;
    out[HDR_OFF_TYPE] = h->type;
    out[HDR_OFF_FLAGS] = h->flags;
    out[HDR_OFF_KEY_INDEX] = h->key_index;
    ward_store32(out + HDR_OFF_SEQ, h->seq);
    ward_store16(out + HDR_OFF_BODY_LEN, h->body_len);
    out[HDR_OFF_EXT_LEN] = (uint8_t)ext_len;
    if (ext_len > 0) {
        uint8_t *e = out + WARD_HDR_BASE_LEN;
        e[0] = WARD_EXT_CLIENT_ID;
        e[1] = h->client_id_len;
        memcpy(e + EXT_ENTRY_HDR, h->client_id, h->client_id_len);
    }
    *len = hdr_len;
    return WARD_OK;
}

/* Walks the extension area. Unknown entries are allowed and skipped: that
 * is what lets a later version add entries that this one ignores, at the
 * price that such a header does not re-encode to the same bytes (the
 * entries are dropped). Everything else is held to the canonical form:
 * tags strictly ascending, every entry inside the area, a client id of
 * 1..WARD_CLIENT_ID_MAX bytes. */
static ward_err hdr_decode_ext(const uint8_t *ext, size_t ext_len,
                               ward_hdr *h)
{
    size_t pos = 0;
    int last_tag = -1;

    while (pos < ext_len) {
        if (ext_len - pos < EXT_ENTRY_HDR) {
            return WARD_ERR_FORMAT;
        }
        uint8_t tag = ext[pos];
        uint8_t vlen = ext[pos + 1];
        pos += EXT_ENTRY_HDR;
        if (vlen > ext_len - pos || (int)tag <= last_tag) {
            return WARD_ERR_FORMAT;
        }
        last_tag = tag;
        if (tag == WARD_EXT_CLIENT_ID) {
            if (vlen == 0 || vlen > WARD_CLIENT_ID_MAX) {
                return WARD_ERR_FORMAT;
            }
            memcpy(h->client_id, ext + pos, vlen);
            h->client_id_len = vlen;
        }
        pos += vlen;
    }
    return WARD_OK;
}

ward_err ward_hdr_decode(const uint8_t *in, size_t in_len, ward_hdr *h,
                         size_t *hdr_len)
{
    WARD_ASSERT(in != NULL && h != NULL && hdr_len != NULL);
    ward_hdr tmp;
    memset(&tmp, 0, sizeof tmp);
    memset(h, 0, sizeof *h);
    *hdr_len = 0;

    /* A body larger than any this build sends is not one of ours, and
     * rejecting it here lets every flow size its buffers by WARD_BODY_MAX
     * and WARD_MSG_MAX, whatever the extension area holds. */
    if (in_len < WARD_HDR_BASE_LEN || in_len > WARD_MSG_MAX) {
        return WARD_ERR_FORMAT;
    }
    tmp.version = in[HDR_OFF_VERSION];
    tmp.type = in[HDR_OFF_TYPE];
    tmp.flags = in[HDR_OFF_FLAGS];
    tmp.key_index = in[HDR_OFF_KEY_INDEX];
    tmp.seq = ward_load32(in + HDR_OFF_SEQ);
    tmp.body_len = ward_load16(in + HDR_OFF_BODY_LEN);
    size_t ext_len = in[HDR_OFF_EXT_LEN];

    if (tmp.version != WARD_PROTOCOL_VERSION || tmp.type == 0 ||
        (tmp.flags & (uint8_t)~WARD_FLAGS_KNOWN) != 0 ||
        tmp.body_len > WARD_BODY_MAX || ext_len > WARD_HDR_EXT_MAX ||
        in_len - WARD_HDR_BASE_LEN < ext_len) {
        return WARD_ERR_FORMAT;
    }
    size_t off = WARD_HDR_BASE_LEN + ext_len;
    if (in_len - off != tmp.body_len) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = hdr_decode_ext(in + WARD_HDR_BASE_LEN, ext_len, &tmp);
    if (err != WARD_OK) {
        return err;
    }
    *h = tmp;
    *hdr_len = off;
    return WARD_OK;
}
