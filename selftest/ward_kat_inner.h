/*
 * ward_kat_inner.h - what the known-answer runner's files share: looking
 * up a case's fields, and one checker per suite. Private to selftest/.
 *
 * A checker returns WARD_OK when every check of the case passed,
 * WARD_ERR_AUTH when an output differs from the published one (or a
 * tampered input was accepted), WARD_ERR_FORMAT when the case lacks a field
 * it needs, or the error the port or the core returned.
 *
 * The checkers keep large buffers static: ward_kat_run() is not reentrant.
 */
#ifndef WARD_KAT_INNER_H
#define WARD_KAT_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_crypto.h"
#include "ward/ward_err.h"
#include "ward_kat_vectors.h"

/* Enough parts to feed a million repeated bytes through 4 KiB chunks. */
#define WARD_KAT_IOV_MAX 512
#define WARD_KAT_CHUNK 4096

/* The field named key, or NULL. */
const ward_kat_field *ward_kat_find(const ward_kat_case *c, const char *key);

/* The field's value as one run of bytes: points into the table when it is
 * written out, or into scratch[0..cap) when it is a repeated pattern.
 * An empty value gives a valid pointer and length 0. WARD_ERR_FORMAT if
 * the field is missing, WARD_ERR_NOSPACE if it does not fit scratch. */
ward_err ward_kat_bytes(const ward_kat_case *c, const char *key,
                        uint8_t *scratch, size_t cap,
                        const uint8_t **out, size_t *len);

/* Like ward_kat_bytes() for a field of exactly len bytes (a key, a point). */
ward_err ward_kat_fixed(const ward_kat_case *c, const char *key,
                        const uint8_t **out, size_t len);

/* The field's value as an iov list over chunk[0..WARD_KAT_CHUNK), so a
 * long repeated message is hashed without being expanded. With split set,
 * a written-out value is cut into its first byte, an empty part and the
 * rest, to prove the port hashes the concatenation of its parts. */
ward_err ward_kat_iov(const ward_kat_case *c, const char *key, bool split,
                      uint8_t chunk[WARD_KAT_CHUNK],
                      ward_iov iov[WARD_KAT_IOV_MAX], size_t *n);

/* WARD_OK if got[0..len) equals want[0..len), else WARD_ERR_AUTH. Known
 * answers are public, so memcmp is fine here. */
ward_err ward_kat_expect(const uint8_t *got, const uint8_t *want, size_t len);

/* The checkers, one per suite. */
ward_err ward_kat_sha256(const ward_crypto *cp, const ward_kat_case *c);
ward_err ward_kat_hmac_sha256(const ward_crypto *cp, const ward_kat_case *c);
ward_err ward_kat_hkdf_sha256(const ward_crypto *cp, const ward_kat_case *c);
ward_err ward_kat_aes128_cmac(const ward_crypto *cp, const ward_kat_case *c);
ward_err ward_kat_aes128_ccm(const ward_crypto *cp, const ward_kat_case *c);
ward_err ward_kat_ecdsa_p256(const ward_crypto *cp, const ward_kat_case *c);
ward_err ward_kat_spake2p(const ward_crypto *cp, const ward_kat_case *c);

#endif /* WARD_KAT_INNER_H */
