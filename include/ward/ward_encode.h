/*
 * ward_encode.h - (host library, ward_net) the text encodings of wardd's
 * API and of the state files: base64 and hex.
 *
 * Both write a NUL-terminated string and need room for it: base64 of len
 * bytes takes WARD_B64_LEN(len) + 1 chars, hex 2 * len + 1; else
 * WARD_ERR_NOSPACE and nothing useful is written. Decoding is strict: a
 * length or a character the encoding does not allow is WARD_ERR_FORMAT,
 * more bytes than cap WARD_ERR_NOSPACE.
 */
#ifndef WARD_ENCODE_H
#define WARD_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "ward_attr.h"
#include "ward_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Chars of the padded base64 of n bytes, without the NUL. */
#define WARD_B64_LEN(n) (4 * (((n) + 2) / 3))

/* RFC 4648 base64 with padding. decode rejects anything non-canonical
 * (bits a padded group does not carry must be zero). */
WARD_MUST_CHECK
ward_err ward_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
WARD_MUST_CHECK
ward_err ward_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *len);
/* Lower-case hex; decode accepts either case, exact length. */
WARD_MUST_CHECK
ward_err ward_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);
WARD_MUST_CHECK
ward_err ward_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* WARD_ENCODE_H */
