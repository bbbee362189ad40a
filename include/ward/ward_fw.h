/*
 * ward_fw.h - signed firmware update (issue 18, item 3; docs/protocol.md
 * "Signed firmware update"): the manifest a release key signs.
 *
 * A manifest says "the image of `size` bytes whose SHA-256 is `digest` is
 * release `version` of firmware for devices of `dev_class`, at security
 * counter `counter`", signed by the release key whose key id is `key_id`.
 * A device holds the release public key and its class; it refuses a
 * manifest signed by another key, for another class, whose counter is not
 * above the one it has confirmed, or that needs a newer running release
 * (`min_counter`). The version is a label printed to people, never
 * compared: the counter orders releases, and every release raises it.
 *
 * Encoding, fixed order, one encoding per value (big-endian integers):
 *     format(1) = 1, class_len(1), class(class_len), version_len(1),
 *     version(version_len), counter(4), min_counter(4), size(4),
 *     digest(32), key_id(8), sig(64)
 * class: 1..32 bytes of ward_check_sn()'s alphabet; version: 1..32 bytes
 * of [0-9A-Za-z.+_-]; min_counter <= counter; 1 <= size <= 2^31; key_id:
 * first 8 bytes of SHA-256 of the release key's compressed point (the key
 * id of ward_cert.h); sig: ward_sign(label "fw manifest") over every byte
 * before it. 121..183 bytes.
 *
 * No heap, no OS: every buffer is the caller's; crypto through the port.
 */
#ifndef WARD_FW_H
#define WARD_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_attr.h"
#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_keystore.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_FW_FORMAT 1u
#define WARD_FW_CLASS_MAX 32
#define WARD_FW_VERSION_MAX 32
#define WARD_FW_KEY_ID_LEN 8
#define WARD_FW_SIZE_MAX 0x80000000u
/* format, class_len, version_len, counter, min_counter, size, digest, key_id, sig */
#define WARD_FW_MANIFEST_FIXED_LEN                                           \
    (3 + 4 + 4 + 4 + WARD_SHA256_LEN + WARD_FW_KEY_ID_LEN + WARD_P256_SIG_LEN)
#define WARD_FW_MANIFEST_MIN (WARD_FW_MANIFEST_FIXED_LEN + 2)
#define WARD_FW_MANIFEST_MAX (WARD_FW_MANIFEST_FIXED_LEN + WARD_FW_CLASS_MAX + WARD_FW_VERSION_MAX)

typedef struct ward_fw_manifest {
    uint8_t class_len;
    uint8_t dev_class[WARD_FW_CLASS_MAX];
    uint8_t version_len;
    uint8_t version[WARD_FW_VERSION_MAX];
    uint32_t counter;
    uint32_t min_counter;           /* 0: any running release may install it */
    uint32_t size;
    uint8_t digest[WARD_SHA256_LEN];
    uint8_t key_id[WARD_FW_KEY_ID_LEN];
    uint8_t sig[WARD_P256_SIG_LEN];
} ward_fw_manifest;

/* Signs m's fields (key_id and sig are ignored: the key id is that of ks's
 * key `signer`) into out: WARD_FW_MANIFEST_MIN..MAX bytes. WARD_ERR_PARAM
 * for a field out of range. */
WARD_MUST_CHECK
ward_err ward_fw_manifest_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                                  ward_key_id signer, const ward_fw_manifest *m,
                                  uint8_t *out, size_t cap, size_t *len);

/* Reads a manifest that is exactly in[0..len), signature unchecked.
 * WARD_ERR_FORMAT for anything the encoder would not have written. */
WARD_MUST_CHECK
ward_err ward_fw_manifest_parse(const uint8_t *in, size_t len, ward_fw_manifest *m);

/* Parses and checks the signature under release_pub (uncompressed): its
 * key id must be the manifest's (WARD_ERR_NOTFOUND: signed by another
 * release key) and the signature must verify (WARD_ERR_AUTH). m is zeroed
 * on any failure. */
WARD_MUST_CHECK
ward_err ward_fw_manifest_verify(const ward_crypto *cp,
                                 const uint8_t release_pub[WARD_P256_POINT_LEN],
                                 const uint8_t *in, size_t len, ward_fw_manifest *m);

/* true iff the manifest is for dev_class[0..class_len). */
bool ward_fw_manifest_for_class(const ward_fw_manifest *m, const uint8_t *dev_class,
                                size_t class_len);

#ifdef __cplusplus
}
#endif

#endif /* WARD_FW_H */
