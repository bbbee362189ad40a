/*
 * ward_codec.h - the wire format: one common header and a TLV body.
 *
 * Every ward message, on every transport, is
 *
 *     header (WARD_HDR_BASE_LEN + ext_len bytes) || body (body_len bytes)
 *
 * The header carries version, message type, flags, key index, sequence
 * number, the body length, and a reserved extension area that holds the
 * client id (seed 003's CliID). A peer skips extension entries it does not
 * know; a v1 peer that knows none still finds the body. docs/protocol.md
 * gives the byte layout.
 *
 * The body is a list of TLV fields in strictly ascending tag order (so a
 * duplicate cannot be encoded), each length in its shortest form, with
 * nothing after the last field: every message has exactly one encoding,
 * which is what signatures and MACs are computed over. A tag with bit 7
 * set is critical: a receiver that does not know it rejects the message;
 * an unknown tag without bit 7 is skipped.
 *
 * Parsing never copies: ward_tlv_parse() fills one ward_tlv_field per
 * entry of the caller's schema with a pointer into the input and a length
 * already checked against the schema's bounds.
 *
 * Building: ward_tlv_writer over the caller's buffer; put fields in
 * ascending tag order; the first error sticks, so check once at the end
 * with ward_tlv_writer_finish().
 */
#ifndef WARD_CODEC_H
#define WARD_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_config.h"
#include "ward_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_PROTOCOL_VERSION 1

/* version, type, flags, key index, seq (4), body length (2), ext length */
#define WARD_HDR_BASE_LEN 11
#define WARD_HDR_EXT_MAX 64
#define WARD_HDR_MAX (WARD_HDR_BASE_LEN + WARD_HDR_EXT_MAX)
#define WARD_BODY_MAX (WARD_MSG_MAX - WARD_HDR_MAX)

/* Header flags. Bits not defined here must be zero. */
#define WARD_FLAG_REPLY 0x01u   /* an answer to a request of the same type */
#define WARD_FLAG_ERROR 0x02u   /* the body carries an error answer */
#define WARD_FLAG_SEALED 0x04u  /* the body is AEAD-sealed under key_index */
#define WARD_FLAGS_KNOWN 0x07u

/* Extension entries: tag (1) || length (1) || value. */
#define WARD_EXT_CLIENT_ID 0x01u

/* TLV: tag (1) || length (1, or 0xFF then 2 bytes big-endian for values of
 * 255 bytes or more) || value. */
#define WARD_TLV_CRITICAL 0x80u
#define WARD_TLV_LEN_LONG 0xFFu
#define WARD_TLV_HDR_MAX 4
/* Bytes one field of value length n takes on the wire. */
#define WARD_TLV_SIZE(n) ((n) < 255u ? 2u + (n) : 4u + (n))

typedef struct ward_hdr {
    uint8_t version;
    uint8_t type;
    uint8_t flags;
    uint8_t key_index;
    uint32_t seq;
    uint16_t body_len;
    uint8_t client_id_len;    /* 0: the peer sent none (an older app) */
    uint8_t client_id[WARD_CLIENT_ID_MAX];
} ward_hdr;

/* Writes the header; *len is its encoded size. WARD_ERR_PARAM for what a
 * decoder would reject: version other than WARD_PROTOCOL_VERSION, type 0,
 * undefined flag bits, a client id over WARD_CLIENT_ID_MAX, or body_len
 * over WARD_BODY_MAX (every flow sizes its buffers by that). */
WARD_MUST_CHECK
ward_err ward_hdr_encode(const ward_hdr *h, uint8_t *out, size_t cap,
                         size_t *len);

/* Parses a header at the start of in[0..in_len). On success *hdr_len is
 * the offset of the body, and in_len - *hdr_len == h->body_len exactly
 * (trailing bytes are WARD_ERR_FORMAT). */
WARD_MUST_CHECK
ward_err ward_hdr_decode(const uint8_t *in, size_t in_len, ward_hdr *h,
                         size_t *hdr_len);

/* One field a message may carry. */
typedef struct ward_tlv_spec {
    uint8_t tag;
    bool required;
    uint16_t min_len;
    uint16_t max_len;
} ward_tlv_spec;

/* What the parser found for one spec entry (same index). */
typedef struct ward_tlv_field {
    const uint8_t *ptr;  /* into the input; NULL when absent */
    uint16_t len;
    bool present;
} ward_tlv_field;

/* Parses body against spec[0..nspec) (sorted by tag). Fills out[i] for
 * spec[i]. WARD_ERR_FORMAT on: a length past the end, tags not strictly
 * ascending, a long length form for a short value, a missing required
 * field, a length outside [min_len, max_len], an unknown critical tag. */
WARD_MUST_CHECK
ward_err ward_tlv_parse(const uint8_t *body, size_t body_len,
                        const ward_tlv_spec *spec, size_t nspec,
                        ward_tlv_field *out);

typedef struct ward_tlv_writer {
    uint8_t *buf;      /* the caller's; never owned */
    size_t cap;
    size_t len;
    int last_tag;      /* -1 before the first field */
    ward_err err;      /* the first error, sticky */
} ward_tlv_writer;

void ward_tlv_writer_init(ward_tlv_writer *w, uint8_t *buf, size_t cap);
void ward_tlv_put(ward_tlv_writer *w, uint8_t tag, const uint8_t *val,
                  size_t len);
void ward_tlv_put_u8(ward_tlv_writer *w, uint8_t tag, uint8_t v);
void ward_tlv_put_u16(ward_tlv_writer *w, uint8_t tag, uint16_t v);
void ward_tlv_put_u32(ward_tlv_writer *w, uint8_t tag, uint32_t v);
void ward_tlv_put_u64(ward_tlv_writer *w, uint8_t tag, uint64_t v);
/* WARD_OK and the body length, or the first error (WARD_ERR_NOSPACE,
 * WARD_ERR_PARAM for tags out of order). */
WARD_MUST_CHECK
ward_err ward_tlv_writer_finish(const ward_tlv_writer *w, size_t *len);

/* Big-endian integer fields: WARD_ERR_FORMAT unless the length is exact. */
WARD_MUST_CHECK
ward_err ward_tlv_get_u8(const ward_tlv_field *f, uint8_t *v);
WARD_MUST_CHECK
ward_err ward_tlv_get_u16(const ward_tlv_field *f, uint16_t *v);
WARD_MUST_CHECK
ward_err ward_tlv_get_u32(const ward_tlv_field *f, uint32_t *v);
WARD_MUST_CHECK
ward_err ward_tlv_get_u64(const ward_tlv_field *f, uint64_t *v);

#ifdef __cplusplus
}
#endif

#endif /* WARD_CODEC_H */
