/*
 * gw_msg.h - what flow C's message files share (LAN hand-over, cloud
 * registration, sessions, sub-devices): the fixed-header parse and finish,
 * the packet nonce, the sealed-packet writer and reader, and the check of
 * a factory activation against a 16-byte id. Core-private, not installed.
 */
#ifndef WARD_GW_MSG_H
#define WARD_GW_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_codec.h"
#include "ward/ward_crypto.h"
#include "ward/ward_err.h"
#include "ward/ward_identity.h"
#include "ward/ward_suite.h"

/* The ids the activations of flow C name (gateway uuid, sub_id). */
#define GW_MSG_ID_LEN 16

/* Parses msg of type/flags with the fixed header against spec, whole and canonical:
 * WARD_ERR_FORMAT for anything else. */
ward_err gw_msg_parse(const uint8_t *msg, size_t len, uint8_t type, uint8_t flags,
                      const ward_tlv_spec *spec, size_t n, ward_tlv_field *f);
/* Header (type, flags) then the fields written by w after it: *len = the whole message. */
ward_err gw_msg_finish(uint8_t type, uint8_t flags, const ward_tlv_writer *w, uint8_t *out,
                       size_t cap, size_t *len);
/* dir || 8 zero bytes || seq (4, big-endian). */
void gw_nonce(uint8_t dir, uint32_t seq, uint8_t nonce[WARD_AEAD_NONCE_LEN]);
/* A sealed packet: header (type, flags | SEALED, key index 0, seq, no
 * extension) || [0x01 id (id_len), when id_len > 0] || sealed field (tag
 * 0x01 without an id, 0x02 after one) = AEAD(key, gw_nonce(dir, seq),
 * ad = every byte before the sealed field, pt). */
ward_err gw_sealed_write(const ward_crypto *cp, const uint8_t key[WARD_AEAD_KEY_LEN],
                         uint8_t dir, uint8_t type, uint8_t flags, uint32_t seq,
                         const uint8_t *id, size_t id_len, const uint8_t *pt, size_t pt_len,
                         uint8_t *out, size_t cap, size_t *len);
/* A packet of the shape above with an id, of one of the n_types accepted
 * types, flags SEALED only, seq >= 1: h, f[0] the id, f[1] the sealed
 * field (spec: those two). WARD_ERR_FORMAT otherwise. The AD is
 * msg[0 .. f[1] field's start). */
ward_err gw_sealed_parse(const uint8_t *msg, size_t len, const uint8_t *types, size_t n_types,
                         const ward_tlv_spec spec[2], ward_hdr *h, ward_tlv_field f[2]);
/* The identity (ward_identity.h: a certificate chain of one of `roles`,
 * or flow A's ACTIVATION) names pub and id (as 32 lowercase hex digits)
 * and verifies against t (NULL: structure only, no signature checked). */
ward_err gw_activation_matches(const ward_crypto *cp, const uint8_t *act, size_t act_len,
                               const uint8_t id[GW_MSG_ID_LEN],
                               const uint8_t pub[WARD_P256_POINT_LEN],
                               const ward_identity_trust *t, uint32_t roles);

#endif /* WARD_GW_MSG_H */
