/*
 * ward_cert.h - compact device certificates, their chain to the
 * manufacturer's root, and the root's signed revocation list (issue 18,
 * item 1; docs/protocol.md "Device certificates").
 *
 * A certificate says "the device `id`, of `role`, holds the private key of
 * `pub`", from `issued` until `expires`, signed by the key whose key id is
 * `issuer`. 117..148 bytes, fixed layout, one encoding per value. The
 * manufacturer's root is a bare P-256 public key the verifier is built
 * with (the trust anchor, never a certificate); it signs certificates of
 * role WARD_CERT_ROLE_FACTORY (a factory's intermediate key), which sign
 * device certificates. A chain is the certificates concatenated, the
 * device's last: [factory ||] device; at most 2.
 *
 * The revocation list names revoked public keys by key id (sorted, each
 * once), carries a sequence number, and is signed by the root. A device
 * keeps the newest list it has accepted; ward_cert_list_verify() refuses a
 * list whose sequence is not above the kept one, so an old list cannot be
 * replayed to un-revoke a key.
 *
 * Times are seconds since the Unix epoch (32 bits, unsigned); the caller
 * passes "now" (its secure clock, ward_time.h once it exists). No heap, no
 * OS: every buffer is the caller's; crypto goes through the port.
 */
#ifndef WARD_CERT_H
#define WARD_CERT_H

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

#define WARD_CERT_FORMAT 1u          /* first byte of a certificate and of a list */
#define WARD_CERT_ID_MAX 32          /* the id: ward_check_sn()'s alphabet, 1..32 */
#define WARD_CERT_KEY_ID_LEN 8       /* SHA-256(compressed point), first 8 bytes */
/* format, role, id length, id, pub (compressed), issued, expires, issuer, sig */
#define WARD_CERT_FIXED_LEN                                                   \
    (3 + WARD_P256_COMPRESSED_LEN + 4 + 4 + WARD_CERT_KEY_ID_LEN + WARD_P256_SIG_LEN)
#define WARD_CERT_MIN (WARD_CERT_FIXED_LEN + 1)
#define WARD_CERT_MAX (WARD_CERT_FIXED_LEN + WARD_CERT_ID_MAX)
#define WARD_CERT_CHAIN_MAX 2        /* certificates in a chain */
#define WARD_CERT_CHAIN_MAX_LEN (WARD_CERT_CHAIN_MAX * WARD_CERT_MAX)
#define WARD_CERT_NO_EXPIRY 0u       /* expires = 0: the certificate never expires */

/* Roles. A device role names the flow that will use the certificate. */
#define WARD_CERT_ROLE_LOCK 0x01u
#define WARD_CERT_ROLE_DEVICE 0x02u     /* flow D's IoT device */
#define WARD_CERT_ROLE_GATEWAY 0x03u
#define WARD_CERT_ROLE_SUBDEVICE 0x04u
#define WARD_CERT_ROLE_SE_HOST 0x05u
#define WARD_CERT_ROLE_FACTORY 0x80u    /* an intermediate: signs device certificates */

/* Revocation list: format, issuer, sequence, issued, count, entries, sig. */
#define WARD_CERT_LIST_FIXED_LEN                                              \
    (1 + WARD_CERT_KEY_ID_LEN + 4 + 4 + 2 + WARD_P256_SIG_LEN)
#define WARD_CERT_LIST_ENTRIES_MAX 0xFFFFu
#define WARD_CERT_LIST_LEN(count) (WARD_CERT_LIST_FIXED_LEN + (size_t)(count) * WARD_CERT_KEY_ID_LEN)

/* A certificate's fields. pub is as encoded (SEC1 compressed); point is
 * its uncompressed form, set by ward_cert_chain_verify() for the device's
 * certificate (zero after ward_cert_parse()). */
typedef struct ward_cert {
    uint8_t role;
    uint8_t id_len;
    uint8_t id[WARD_CERT_ID_MAX];
    uint8_t pub[WARD_P256_COMPRESSED_LEN];
    uint32_t issued;
    uint32_t expires;               /* WARD_CERT_NO_EXPIRY or > issued */
    uint8_t issuer[WARD_CERT_KEY_ID_LEN];
    uint8_t sig[WARD_P256_SIG_LEN];
    uint8_t point[WARD_P256_POINT_LEN];
} ward_cert;

/* A parsed revocation list; entries points into the caller's bytes,
 * which must outlive it. */
typedef struct ward_cert_list {
    uint8_t issuer[WARD_CERT_KEY_ID_LEN];
    uint32_t seq;
    uint32_t issued;
    uint16_t count;
    const uint8_t *entries;         /* count * WARD_CERT_KEY_ID_LEN, ascending */
} ward_cert_list;

/* Why a chain was refused (the error says only AUTH, EXPIRED or FORMAT). */
typedef enum ward_cert_why {
    WARD_CERT_OK = 0,
    WARD_CERT_MALFORMED,     /* a certificate is not a valid encoding, or is cut */
    WARD_CERT_TOO_LONG,      /* more than WARD_CERT_CHAIN_MAX certificates */
    WARD_CERT_UNKNOWN_ISSUER,/* the issuer is not the root (nor the chain's factory) */
    WARD_CERT_BAD_SIGNATURE, /* a signature does not verify */
    WARD_CERT_ROLE,          /* not the role asked for, or a factory that is not one */
    WARD_CERT_EXPIRED,       /* now is at or past a certificate's expiry */
    WARD_CERT_REVOKED,       /* a key of the chain is on the revocation list */
    WARD_CERT_WRONG_LIST     /* the list given is not the root's */
} ward_cert_why;

/* The key id of a public key (uncompressed): the first 8 bytes of
 * SHA-256 of its compressed form. */
WARD_MUST_CHECK
ward_err ward_cert_key_id(const ward_crypto *cp, const uint8_t pub[WARD_P256_POINT_LEN],
                          uint8_t kid[WARD_CERT_KEY_ID_LEN]);

/* Issues a certificate: c's role, id, pub, issued and expires (pub and
 * issuer are ignored: the subject is subject_pub, uncompressed, checked
 * on the curve, and the issuer is the key id of ks's key `signer`),
 * signed by that key. WARD_ERR_PARAM for a field out of range. */
WARD_MUST_CHECK
ward_err ward_cert_issue_by(const ward_crypto *cp, const ward_keystore *ks,
                            ward_key_id signer, const ward_cert *c,
                            const uint8_t subject_pub[WARD_P256_POINT_LEN],
                            uint8_t *out, size_t cap, size_t *len);

/* Reads one certificate that is exactly in[0..len), signature unchecked.
 * WARD_ERR_FORMAT for anything the encoder would not have written. */
WARD_MUST_CHECK
ward_err ward_cert_parse(const uint8_t *in, size_t len, ward_cert *c);

/* The length of the certificate that starts at in (from its id length),
 * or 0 if fewer than 3 bytes or the id length is out of range. */
size_t ward_cert_len(const uint8_t *in, size_t avail);

/* Checks chain[0..len) = [factory ||] device against the root public key:
 * every signature, that each issuer is the key above it, that the first of
 * two is a factory, that the device's role is `role`, that now_s is before
 * every expiry, and, if list is not NULL (a list ward_cert_list_verify()
 * accepted for this root), that no key of the chain is on it. The device's
 * certificate goes to leaf (point set) when not NULL. Errors: WARD_ERR_FORMAT
 * (MALFORMED, TOO_LONG), WARD_ERR_EXPIRED, WARD_ERR_PARAM (WRONG_LIST),
 * WARD_ERR_AUTH (the rest); why, if not NULL, says which. */
WARD_MUST_CHECK
ward_err ward_cert_chain_verify(const ward_crypto *cp, const uint8_t root[WARD_P256_POINT_LEN],
                                const uint8_t *chain, size_t len, uint8_t role,
                                uint32_t now_s, const ward_cert_list *list,
                                ward_cert *leaf, ward_cert_why *why);

/* Signs a revocation list of count key ids (entries, strictly ascending)
 * with ks's key `signer` (the root): out receives
 * WARD_CERT_LIST_LEN(count) bytes. WARD_ERR_PARAM if not sorted. */
WARD_MUST_CHECK
ward_err ward_cert_list_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                                ward_key_id signer, uint32_t seq, uint32_t issued,
                                const uint8_t *entries, size_t count,
                                uint8_t *out, size_t cap, size_t *len);

/* Reads a list that is exactly in[0..len), signature unchecked. */
WARD_MUST_CHECK
ward_err ward_cert_list_parse(const uint8_t *in, size_t len, ward_cert_list *l);

/* Checks a list signed by root and newer than current (NULL: the device
 * holds none yet). WARD_ERR_FORMAT, WARD_ERR_AUTH (another signer or a bad
 * signature), WARD_ERR_EXPIRED (seq not above current->seq: an old list
 * or the same one again). */
WARD_MUST_CHECK
ward_err ward_cert_list_verify(const ward_crypto *cp, const uint8_t root[WARD_P256_POINT_LEN],
                               const uint8_t *in, size_t len, const ward_cert_list *current,
                               ward_cert_list *l);

/* true iff kid is on the list (binary search). */
WARD_MUST_CHECK
bool ward_cert_list_has(const ward_cert_list *l, const uint8_t kid[WARD_CERT_KEY_ID_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* WARD_CERT_H */
