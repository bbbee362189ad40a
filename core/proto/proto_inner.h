/*
 * proto_inner.h - helpers shared by the flows' message files (core/proto/).
 * Not installed. The fuzz harnesses include it to reach the unsigned
 * parsers and encoders, so a fuzzer can explore what lies behind a
 * signature it cannot forge.
 *
 * A signed message is header || body, and the body's last field is the
 * signature (tag 0xFE, 64 bytes) over every byte before that field. The
 * headers of these messages are fixed: version 1, no flags, key index 0,
 * sequence 0, no extension, so each message has exactly one encoding.
 */
#ifndef WARD_PROTO_INNER_H
#define WARD_PROTO_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_bind.h"
#include "ward/ward_keystore.h"

#define WARD_TAG_SIG 0xFEu
/* The signature field as it ends a signed body. */
#define WARD_SIG_FIELD_LEN WARD_TLV_SIZE(WARD_P256_SIG_LEN)

/* Writes the fixed header of a message of `type` whose body is body_len
 * bytes long; out receives WARD_HDR_BASE_LEN bytes. */
ward_err ward_proto_hdr(uint8_t type, uint8_t flags, size_t body_len,
                        uint8_t *out, size_t cap);

/* Checks that msg is one of ours of `type` and `flags` with the fixed
 * header, and gives its body. WARD_ERR_FORMAT otherwise. */
ward_err ward_proto_hdr_check(const uint8_t *msg, size_t len, uint8_t type,
                              uint8_t flags, const uint8_t **body,
                              size_t *body_len);

/* true iff the parsed fields are the whole body: nothing unknown was
 * skipped, so the body re-encodes to the same bytes. */
bool ward_proto_canonical(const ward_tlv_field *f, size_t n, size_t body_len);

/* msg[0..signed_len) is header || fields; the header already counts the
 * signature field. Appends it, made by key id of ks (ward_keystore.h):
 * *len = signed_len + WARD_SIG_FIELD_LEN. */
ward_err ward_proto_sign_by(const ward_crypto *cp, const char *label,
                            const ward_keystore *ks, ward_key_id id,
                            uint8_t *msg, size_t signed_len, size_t cap, size_t *len);

/* Checks the trailing signature field of msg with pub, before anything
 * else of msg is looked at. WARD_ERR_AUTH for anything that does not
 * verify (including a message too short to carry one). */
ward_err ward_proto_verify(const ward_crypto *cp, const char *label,
                           const uint8_t pub[WARD_P256_POINT_LEN],
                           const uint8_t *msg, size_t len);

/* Unsigned halves of the signed messages. encode writes the header and
 * every field but the signature (*signed_len bytes; cap must leave room
 * for the signature field too). parse reads a whole message, signature
 * field included, without checking the signature. */
ward_err ward_bind_confirm_encode(const ward_bind_confirm *c, uint8_t *out,
                                  size_t cap, size_t *signed_len);
ward_err ward_bind_confirm_parse(const ward_crypto *cp, const uint8_t *msg,
                                 size_t len, ward_bind_confirm *c);
ward_err ward_activation_encode(const ward_crypto *cp,
                                const ward_activation *a, uint8_t *out,
                                size_t cap, size_t *signed_len);
ward_err ward_activation_parse(const ward_crypto *cp, const uint8_t *msg,
                               size_t len, ward_activation *a);

#endif /* WARD_PROTO_INNER_H */
