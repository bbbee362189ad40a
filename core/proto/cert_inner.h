/* Byte offsets of a certificate and of a revocation list (ward_cert.h), shared by
 * the encoders, the parsers and the fuzz harnesses. Not installed. */
#ifndef WARD_CERT_INNER_H
#define WARD_CERT_INNER_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_cert.h"

/* Certificate: format(1) role(1) id_len(1) id(n) pub(33) issued(4) expires(4)
 * issuer(8) sig(64); the signature covers every byte before it. */
#define WARD_CERT_OFF_ID 3
#define WARD_CERT_SIGNED_LEN(id_len) (WARD_CERT_FIXED_LEN + (size_t)(id_len) - WARD_P256_SIG_LEN)

/* List: format(1) issuer(8) seq(4) issued(4) count(2) entries(8 * count) sig(64). */
#define WARD_CERT_LIST_OFF_ENTRIES (1 + WARD_CERT_KEY_ID_LEN + 4 + 4 + 2)

/* The bytes a certificate's signature covers, from c's fields (the
 * encoding is canonical, so these are the bytes that were signed).
 * out holds WARD_CERT_SIGNED_LEN(c->id_len) bytes. */
ward_err ward_cert_encode_tbs(const ward_cert *c, uint8_t *out, size_t cap, size_t *len);

/* true iff role is one of WARD_CERT_ROLE_*. */
int ward_cert_role_known(uint8_t role);

#endif /* WARD_CERT_INNER_H */
