/*
 * ward_keystore.h - the keystore port: long-term private keys used by
 * handle, so a key may live in a secure element, a TEE or an HSM.
 *
 * A keystore holds P-256 key pairs, each named by a ward_key_id (what the
 * key is for: the lock's identity, the app's client key, ...). It makes a
 * key, exports its public point, signs a SHA-256 digest with it and does
 * ECDH with it. No entry takes or returns a private key: a PKCS#11 token
 * (port/pkcs11, ward_port_pkcs11.h) keeps its keys non-extractable.
 * Session keys, ephemeral keys and derived keys stay in the crypto port
 * (ward_crypto.h): only long-term keys come here.
 *
 * Implementations:
 *  - ward_keystore_soft (below, in the core, no heap): keys in RAM,
 *    loaded from where they are kept today (the lock's identity record,
 *    the app's key file); the host writes them back itself;
 *  - ward_pkcs11_keystore (ward_port_pkcs11.h): a PKCS#11 token through
 *    p11-kit, tested against SoftHSM2.
 *
 * Conventions (those of ward_crypto.h): points are SEC1 uncompressed (65
 * bytes), signatures r || s (64 bytes) over a 32-byte digest, the shared
 * secret is the x-coordinate (32 bytes). Errors: WARD_ERR_NOTFOUND no key
 * with that id, WARD_ERR_STATE generate() on an id that already has one,
 * WARD_ERR_FORMAT a peer point off the curve, WARD_ERR_CRYPTO or
 * WARD_ERR_IO a fault in the keystore (token gone, PIN refused). The
 * table and its ctx belong to the caller and outlive every user.
 */
#ifndef WARD_KEYSTORE_H
#define WARD_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_random.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a key is for: the handle by which every entry names it. */
typedef uint32_t ward_key_id;
#define WARD_KEY_LOCK_IDENTITY 1u    /* lock: activation, bind confirm, requests */
#define WARD_KEY_DEVICE_IDENTITY 2u  /* IoT device (flow D) */
#define WARD_KEY_APP_CLIENT 3u       /* app: requests, escrow */
#define WARD_KEY_FACTORY 4u          /* manufacturer: activation records */
#define WARD_KEY_SE 5u               /* secure element binding (flow C) */
#define WARD_KEY_TIME 7u             /* time server: signs time answers */
#define WARD_KEY_RELEASE 8u          /* firmware vendor: signs release manifests */
#define WARD_KEY_GW_WRAP 9u          /* wardd: wraps gateways' accesskeys (flow C) */

typedef struct ward_keystore {
    /* "software", "pkcs11 SoftHSM": for reports, never parsed. */
    const char *name;
    /* Makes a new key pair for id inside the keystore and gives its
     * public point. WARD_ERR_STATE if id has a key already. */
    ward_err (*generate)(void *ctx, ward_key_id id, uint8_t pub[WARD_P256_POINT_LEN]);
    /* The public point of id's key. */
    ward_err (*public_key)(void *ctx, ward_key_id id, uint8_t pub[WARD_P256_POINT_LEN]);
    /* ECDSA P-256 over a 32-byte digest with id's key; sig is r || s. */
    ward_err (*sign)(void *ctx, ward_key_id id, const uint8_t digest[WARD_SHA256_LEN],
                     uint8_t sig[WARD_P256_SIG_LEN]);
    /* x-coordinate of (id's private key) * peer; peer is checked first. */
    ward_err (*ecdh)(void *ctx, ward_key_id id, const uint8_t peer[WARD_P256_POINT_LEN],
                     uint8_t shared[WARD_P256_SHARED_LEN]);
    void *ctx;
} ward_keystore;

/* ---- the software keystore: keys in RAM, for keys kept in a file or a
 * store record. Caller-allocated, no heap; wipe it when done. */
#define WARD_KEYSTORE_SOFT_KEYS 2

typedef struct ward_keystore_soft {
    const ward_crypto *cp;
    ward_random rng;
    struct {
        ward_key_id id;   /* 0: empty */
        uint8_t priv[WARD_P256_SCALAR_LEN];
        uint8_t pub[WARD_P256_POINT_LEN];
    } keys[WARD_KEYSTORE_SOFT_KEYS];
} ward_keystore_soft;

/* Empties s and fills ks with its table (ks->ctx = s). rng is copied;
 * it may be NULL when generate() is never called (it then fails). */
void ward_keystore_soft_init(ward_keystore_soft *s, const ward_crypto *cp,
                             const ward_random *rng, ward_keystore *ks);
/* Puts a key read from its file or record into s under id (pub derived).
 * WARD_ERR_FORMAT if priv is not a valid scalar, WARD_ERR_NOSPACE when
 * every slot holds another id; a key already under id is replaced. */
WARD_MUST_CHECK
ward_err ward_keystore_soft_load(ward_keystore_soft *s, ward_key_id id,
                                 const uint8_t priv[WARD_P256_SCALAR_LEN]);
/* Copies id's private key out, so the host can keep it where software
 * keys are kept (the file, the record). The only way a private key leaves
 * a keystore, and only this one. WARD_ERR_NOTFOUND if none. */
WARD_MUST_CHECK
ward_err ward_keystore_soft_export(const ward_keystore_soft *s, ward_key_id id,
                                   uint8_t priv[WARD_P256_SCALAR_LEN]);
void ward_keystore_soft_wipe(ward_keystore_soft *s);

/* ---- the suite's signing and opening by handle (ward_suite.h's
 * ward_sign() and ward_seal_open() with the key in a keystore). Same
 * digests and derivations: the signatures and plaintexts are those the
 * raw-key functions give. */
WARD_MUST_CHECK
ward_err ward_sign_by(const ward_crypto *cp, const ward_keystore *ks, ward_key_id id,
                      const char *label, const uint8_t *msg, size_t msg_len,
                      uint8_t sig[WARD_P256_SIG_LEN]);
WARD_MUST_CHECK
ward_err ward_seal_open_by(const ward_crypto *cp, const ward_keystore *ks, ward_key_id id,
                           const uint8_t recipient_pub[WARD_P256_POINT_LEN],
                           const uint8_t *ad, size_t ad_len,
                           const uint8_t *in, size_t in_len,
                           uint8_t *out, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* WARD_KEYSTORE_H */
