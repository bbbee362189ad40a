/*
 * ward_suite.h - the crypto suite every flow is built from.
 *
 * The crypto port (ward_crypto.h) gives bare primitives; this module turns
 * them into the few constructions the protocol uses, each with its
 * domain separation built in, so flows cannot misuse a primitive:
 *
 *  - ward_kdf(): HKDF-SHA256 with a label per flow and purpose. Labels are
 *    the WARD_LABEL_* strings below; one label is never used for two
 *    purposes. info = "ward/1 " || label || 0x00 || context.
 *  - ward_aead_seal() / ward_aead_open(): AES-128-CCM, 13-byte nonce,
 *    16-byte tag, with associated data. Output is ct || tag. open()
 *    verifies before it releases a byte and zeroes its output on failure.
 *  - ward_p256_keygen(), ward_sign(), ward_verify(): identity keys and
 *    signatures over a labelled message (SHA-256 of label || 0x00 || msg).
 *  - ward_seal_to() / ward_seal_open(): sealing to a P-256 public key
 *    (ephemeral ECDH + HKDF + AEAD), used for key escrow. Only the holder
 *    of the private key opens it; the associated data is bound in.
 *
 * Call sequence (escrow): ward_p256_keygen(cp, rng, priv, pub) once;
 * ward_seal_to(cp, rng, pub, ad, ad_len, key, 32, out, cap, &len) to
 * escrow; ward_seal_open(cp, priv, pub, ad, ad_len, out, len, key, 32,
 * &klen) to recover. The caller owns every buffer and wipes secrets.
 */
#ifndef WARD_SUITE_H
#define WARD_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_random.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_AEAD_KEY_LEN 16
#define WARD_AEAD_NONCE_LEN 13
#define WARD_AEAD_TAG_LEN 16
#define WARD_KDF_CONTEXT_MAX 256
/* Longest label ward_kdf() and ward_sign() accept (without its NUL). */
#define WARD_LABEL_MAX 32

/* Overhead of ward_seal_to(): ephemeral point + tag. */
#define WARD_SEAL_OVERHEAD (WARD_P256_POINT_LEN + WARD_AEAD_TAG_LEN)

/* KDF labels: one per flow and purpose. Flows add theirs here so every
 * label can be checked for uniqueness in one place. */
#define WARD_LABEL_SEAL "seal"               /* ward_seal_to key+nonce */
#define WARD_LABEL_SIGN "sign"               /* reserved prefix, see ward_sign */
#define WARD_LABEL_TEST "test"               /* unit tests only */
#define WARD_LABEL_BIND_DATA "bind data"     /* flow A: key sealing the bind data */
#define WARD_LABEL_BIND_CONFIRM "bind confirm" /* flow A: lock signs the confirmation */
#define WARD_LABEL_ACTIVATE "activate"       /* factory signs a lock activation */
#define WARD_LABEL_ESCROW "escrow"           /* flow A: the app signs its escrow */
#define WARD_LABEL_PHONE_CODE "phone code"   /* flow A: wardd's MAC of a phone code */
#define WARD_LABEL_APPROVAL "approval"       /* flow B: key+nonce of an APPROVAL */
#define WARD_LABEL_OP_RESULT "op result"     /* flow B: key+nonce of an OP_RESULT */
#define WARD_LABEL_REVOKE "revoke"           /* flow B: key of a REVOKE */
#define WARD_LABEL_REVOKE_RESULT "revoke result" /* flow B: key+nonce of a REVOKE_RESULT */
#define WARD_LABEL_SE_ANSWER "se answer"     /* flow E: f() over a challenge; host signs it */
#define WARD_LABEL_SE_LOCK "se lock"         /* flow E: proof of R1 in BIND_LOCK */
#define WARD_LABEL_SE_SESSION "se session"   /* flow E: session key after the check */
#define WARD_LABEL_DEV_PIN "dev pin"         /* flow D: w0, w1 from a PIN */
#define WARD_LABEL_DEV_DATA "dev data"       /* flow D: data key from SPAKE2+ */
#define WARD_LABEL_DEV_OPEN "dev open"       /* flow D: key of data-key-sealed messages */
#define WARD_LABEL_DEV_CHANNEL "dev channel" /* flow D: a channel's two keys */
#define WARD_LABEL_DEV_END "dev end"         /* flow D: commitment to a PAKE_END token */
#define WARD_LABEL_GW_POP "gw pop"           /* flow C: the SEARCH proof key, from the PoP */
#define WARD_LABEL_GW_LAN "gw lan"           /* flow C: the LAN link's two keys */
#define WARD_LABEL_GW_REGISTER "gw register" /* flow C: the gateway signs its REGISTER */
#define WARD_LABEL_GW_OWNER "gw owner"       /* flow C: an epoch's owner hash */
#define WARD_LABEL_GW_OWNER_COMMIT "gw owner commit" /* flow C: its commitment in REGISTER */
#define WARD_LABEL_GW_PASSWORD "gw password" /* flow C: wardd's verifier of a password */
#define WARD_LABEL_GW_LOGIN "gw login"       /* flow C: key of a LOGIN, from accesskey */
#define WARD_LABEL_GW_SESSION "gw session"   /* flow C: a session's two keys */
#define WARD_LABEL_GW_SUB_JOIN "gw sub join" /* flow C: a sub-device signs its JOIN */
#define WARD_LABEL_GW_SUB_KEY "gw sub key"   /* flow C: a sub-device's key, from localkey */
#define WARD_LABEL_GW_SUB_CHANNEL "gw sub channel" /* flow C: a sub-device channel's keys */
#define WARD_LABEL_CERT "cert"               /* a root or factory key signs a certificate */
#define WARD_LABEL_CERT_LIST "cert list"     /* the root signs its revocation list */
#define WARD_LABEL_TIME "time"               /* secure time: a server signs an answer */
#define WARD_LABEL_FW_MANIFEST "fw manifest" /* a release key signs a firmware manifest */
#define WARD_LABEL_PEER_M2 "peer m2"         /* peer auth: key+nonce sealing M2 */
#define WARD_LABEL_PEER_M3 "peer m3"         /* peer auth: key+nonce sealing M3 */
#define WARD_LABEL_PEER_RESP "peer resp"     /* peer auth: the responder signs TH2 */
#define WARD_LABEL_PEER_INIT "peer init"     /* peer auth: the initiator signs TH3 */
#define WARD_LABEL_PEER_SESSION "peer session" /* peer auth: the channel's keys+nonces */

/* true iff a[0..len) == b[0..len), in time that depends on len alone:
 * the only way ward compares secrets, tags and codes, on every side. */
WARD_MUST_CHECK
bool ward_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);

/* Zeroes len bytes in a way the compiler may not drop as a dead store. */
void ward_wipe(void *p, size_t len);

WARD_MUST_CHECK
ward_err ward_kdf(const ward_crypto *cp, const char *label,
                  const uint8_t *ikm, size_t ikm_len,
                  const uint8_t *salt, size_t salt_len,
                  const uint8_t *context, size_t context_len,
                  uint8_t *out, size_t out_len);

/* out receives pt_len + WARD_AEAD_TAG_LEN bytes; out may equal pt. */
WARD_MUST_CHECK
ward_err ward_aead_seal(const ward_crypto *cp,
                        const uint8_t key[WARD_AEAD_KEY_LEN],
                        const uint8_t nonce[WARD_AEAD_NONCE_LEN],
                        const uint8_t *ad, size_t ad_len,
                        const uint8_t *pt, size_t pt_len,
                        uint8_t *out, size_t cap, size_t *out_len);

/* in is ct || tag; out receives in_len - WARD_AEAD_TAG_LEN bytes and may
 * equal in. WARD_ERR_AUTH on any mismatch; out is zeroed then. */
WARD_MUST_CHECK
ward_err ward_aead_open(const ward_crypto *cp,
                        const uint8_t key[WARD_AEAD_KEY_LEN],
                        const uint8_t nonce[WARD_AEAD_NONCE_LEN],
                        const uint8_t *ad, size_t ad_len,
                        const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t cap, size_t *out_len);

/* A uniformly random scalar in [1, n) by rejection sampling, and its
 * public point. */
WARD_MUST_CHECK
ward_err ward_p256_scalar_random(const ward_crypto *cp, const ward_random *rng,
                                 uint8_t out[WARD_P256_SCALAR_LEN]);
WARD_MUST_CHECK
ward_err ward_p256_keygen(const ward_crypto *cp, const ward_random *rng,
                          uint8_t priv[WARD_P256_SCALAR_LEN],
                          uint8_t pub[WARD_P256_POINT_LEN]);
/* pub = priv * G; WARD_ERR_FORMAT if priv is 0 or >= n. */
WARD_MUST_CHECK
ward_err ward_p256_public(const ward_crypto *cp,
                          const uint8_t priv[WARD_P256_SCALAR_LEN],
                          uint8_t pub[WARD_P256_POINT_LEN]);

/* ECDSA P-256 over SHA-256("ward/1 sign " || label || 0x00 || msg): a
 * signature made for one purpose never verifies for another, and never
 * for anything hashed outside ward_sign(). */
WARD_MUST_CHECK
ward_err ward_sign(const ward_crypto *cp, const char *label,
                   const uint8_t priv[WARD_P256_SCALAR_LEN],
                   const uint8_t *msg, size_t msg_len,
                   uint8_t sig[WARD_P256_SIG_LEN]);
WARD_MUST_CHECK
ward_err ward_verify(const ward_crypto *cp, const char *label,
                     const uint8_t pub[WARD_P256_POINT_LEN],
                     const uint8_t *msg, size_t msg_len,
                     const uint8_t sig[WARD_P256_SIG_LEN]);

/* Seal pt to recipient_pub. out receives pt_len + WARD_SEAL_OVERHEAD
 * bytes: ephemeral point || ct || tag; out may not overlap pt. Open
 * returns WARD_ERR_FORMAT for input too short or an ephemeral point off
 * the curve, WARD_ERR_AUTH for anything else that does not verify. */
WARD_MUST_CHECK
ward_err ward_seal_to(const ward_crypto *cp, const ward_random *rng,
                      const uint8_t recipient_pub[WARD_P256_POINT_LEN],
                      const uint8_t *ad, size_t ad_len,
                      const uint8_t *pt, size_t pt_len,
                      uint8_t *out, size_t cap, size_t *out_len);
WARD_MUST_CHECK
ward_err ward_seal_open(const ward_crypto *cp,
                        const uint8_t recipient_priv[WARD_P256_SCALAR_LEN],
                        const uint8_t recipient_pub[WARD_P256_POINT_LEN],
                        const uint8_t *ad, size_t ad_len,
                        const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* WARD_SUITE_H */
