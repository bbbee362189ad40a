/*
 * ward_gw_cloud.h - flow C's cloud stage: a gateway's registration with
 * wardd, its logins and its sealed session (docs/protocol.md, "Cloud
 * registration" and "Login and sessions").
 *
 * Registration (three parties, wardd never trusts the app's word):
 *  1. the signed-in app gets a one-use claim from wardd and hands it to
 *     the gateway over the LAN link as a CLAIM (ward_gw_claim_encode);
 *  2. the gateway answers with a REGISTER signed by its identity key
 *     through the keystore, carrying the claim, its MAC, uuid, public key,
 *     factory activation and the commitment to this epoch's owner hash
 *     (ward_gw_register_sign_by); the app posts it with the owner hash it
 *     read from the sealed device info (ward_gw_prov.h) after the PoP;
 *  3. wardd checks it (ward_gw_register_verify, then ward_gw_owner_check:
 *     only the app of this provisioning epoch knows the hash, docs/protocol.md
 *     "Ownership"), issues the credentials
 *     and seals them to the gateway's key (ward_gw_creds_seal); the app
 *     reads tid, generation and expiry in clear (ward_gw_creds_peek) and
 *     relays the CREDENTIALS; the gateway opens them with its key
 *     (ward_gw_creds_open_by).
 *
 * Login and session (gateway <-> wardd):
 *  gateway: ward_gw_login_start -> LOGIN; LOGIN reply -> ward_gw_login_finish;
 *  wardd:   LOGIN -> ward_gw_login_peek (which gateway), ward_gw_login_accept
 *           (checks the password's verifier and the login counter, answers);
 *  both:    ward_gw_session_seal / ward_gw_session_open for every packet,
 *           each direction with its own key and counter; a packet whose
 *           counter is not above the last accepted one is refused.
 *
 * A ward_gw_session holds no pointer: a server may keep its bytes between
 * requests. Wipe it (ward_gw_session_wipe) when the session ends.
 */
#ifndef WARD_GW_CLOUD_H
#define WARD_GW_CLOUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_attr.h"
#include "ward_codec.h"
#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_identity.h"
#include "ward_keystore.h"
#include "ward_random.h"
#include "ward_suite.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_MSG_GW_CLAIM 0x48u
#define WARD_MSG_GW_REGISTER 0x49u
#define WARD_MSG_GW_CREDENTIALS 0x4Au
#define WARD_MSG_GW_LOGIN 0x4Bu
#define WARD_MSG_GW_DATA 0x4Cu
#define WARD_MSG_GW_LOGOUT 0x4Du
/* Gateway -> wardd in its session, empty: a user reset, drop every
 * binding (docs/protocol.md "Reset-unbind"); wardd answers a DATA. */
#define WARD_MSG_GW_RESET 0x56u

#define WARD_GW_CLAIM_LEN 16
#define WARD_GW_MAC_LEN 6
#define WARD_GW_UUID_LEN 16
#define WARD_GW_TID_LEN 16
#define WARD_GW_PASSWORD_LEN 16
#define WARD_GW_ACCESSKEY_LEN 16
#define WARD_GW_LOCALKEY_LEN 32
#define WARD_GW_VERIFIER_LEN 32
#define WARD_GW_SID_LEN 16
#define WARD_GW_LOGIN_NONCE_LEN WARD_AEAD_NONCE_LEN
/* Ownership: the gateway's verification code (a per-gateway secret that
 * never leaves the gateway and its LAN link), the random of the current
 * provisioning epoch (drawn again at every reset), the owner hash made of
 * both (sent to the app in the sealed device info, WARD_GW_HASH_LEN of
 * ward_gw_prov.h) and its commitment in the signed REGISTER. */
#define WARD_GW_OWNER_CODE_LEN 16
#define WARD_GW_OWNER_RANDOM_LEN 16
#define WARD_GW_OWNER_HASH_LEN 32
#define WARD_GW_OWNER_COMMIT_LEN 16
/* The identity a REGISTER carries (ward_identity.h): flow A's ACTIVATION
 * message, or a certificate chain that fits (one certificate: issued by the
 * root directly; a chain of two does not fit the LAN hand-over's 400 bytes). */
#define WARD_GW_ACTIVATION_MAX 178
/* Longest payload one session packet carries. */
#define WARD_GW_SESSION_PAYLOAD_MAX 512

/* Encoded sizes (exact, or worst case for _MAX). */
#define WARD_GW_CLAIM_MSG_LEN (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_CLAIM_LEN)) /* 29 */
#define WARD_GW_REGISTER_MAX                                                   \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_CLAIM_LEN) +                    \
     WARD_TLV_SIZE(WARD_GW_MAC_LEN) + WARD_TLV_SIZE(WARD_GW_UUID_LEN) +        \
     WARD_TLV_SIZE(WARD_P256_POINT_LEN) + WARD_TLV_SIZE(WARD_GW_ACTIVATION_MAX) + \
     WARD_TLV_SIZE(WARD_GW_OWNER_COMMIT_LEN) + WARD_TLV_SIZE(WARD_P256_SIG_LEN)) /* 386 */
#define WARD_GW_CREDS_PLAIN_LEN                                                \
    (WARD_GW_PASSWORD_LEN + WARD_GW_ACCESSKEY_LEN + WARD_GW_LOCALKEY_LEN) /* 64 */
#define WARD_GW_CREDS_MSG_LEN                                                  \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_TID_LEN) + WARD_TLV_SIZE(4) +   \
     WARD_TLV_SIZE(8) + WARD_TLV_SIZE(WARD_GW_CREDS_PLAIN_LEN + WARD_SEAL_OVERHEAD)) /* 192 */
#define WARD_GW_CREDS_ACK_LEN                                                  \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_TID_LEN) + WARD_TLV_SIZE(4)) /* 35 */
#define WARD_GW_LOGIN_LEN                                                      \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_TID_LEN) + WARD_TLV_SIZE(8) +   \
     WARD_TLV_SIZE(WARD_GW_LOGIN_NONCE_LEN) +                                  \
     WARD_TLV_SIZE(WARD_GW_PASSWORD_LEN + WARD_P256_POINT_LEN + WARD_AEAD_TAG_LEN)) /* 153 */
#define WARD_GW_LOGIN_REPLY_LEN                                                \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SID_LEN) +                      \
     WARD_TLV_SIZE(WARD_P256_POINT_LEN) + WARD_TLV_SIZE(4) +                   \
     WARD_TLV_SIZE(WARD_AEAD_TAG_LEN)) /* 120 */
#define WARD_GW_DATA_MAX                                                       \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SID_LEN) +                      \
     WARD_TLV_SIZE(WARD_GW_SESSION_PAYLOAD_MAX + WARD_AEAD_TAG_LEN))

/* What a gateway keeps after registration, and what wardd issues. */
typedef struct ward_gw_creds {
    uint8_t tid[WARD_GW_TID_LEN];
    uint32_t generation;   /* 1 at the first registration, +1 at each rotation */
    uint64_t expiry_ms;    /* Unix ms after which wardd refuses a login */
    uint8_t password[WARD_GW_PASSWORD_LEN];
    uint8_t accesskey[WARD_GW_ACCESSKEY_LEN];
    uint8_t localkey[WARD_GW_LOCALKEY_LEN];
} ward_gw_creds;

/* A verified REGISTER: views into the message. */
typedef struct ward_gw_register {
    const uint8_t *claim;        /* WARD_GW_CLAIM_LEN */
    const uint8_t *mac;          /* WARD_GW_MAC_LEN */
    const uint8_t *uuid;         /* WARD_GW_UUID_LEN */
    const uint8_t *gw_pub;       /* WARD_P256_POINT_LEN */
    const uint8_t *activation;   /* flow A ACTIVATION, sn = uuid in hex */
    size_t activation_len;
    const uint8_t *owner_commit; /* WARD_GW_OWNER_COMMIT_LEN: of this epoch's owner hash */
} ward_gw_register;

#define WARD_GW_SESSION_CTX_SIZE 256
typedef struct ward_gw_session {
    WARD_OPAQUE(WARD_GW_SESSION_CTX_SIZE);
} ward_gw_session;

/* ---- registration ---- */

/* App: the CLAIM the gateway receives over the LAN link. */
WARD_MUST_CHECK
ward_err ward_gw_claim_encode(const uint8_t claim[WARD_GW_CLAIM_LEN], uint8_t *out,
                              size_t cap, size_t *len);
/* Gateway: WARD_ERR_FORMAT for anything but a canonical CLAIM. */
WARD_MUST_CHECK
ward_err ward_gw_claim_parse(const uint8_t *msg, size_t len, uint8_t claim[WARD_GW_CLAIM_LEN]);

/* Gateway: the owner hash of an epoch, KDF(code, random, uuid). */
WARD_MUST_CHECK
ward_err ward_gw_owner_hash(const ward_crypto *cp, const uint8_t code[WARD_GW_OWNER_CODE_LEN],
                            const uint8_t random[WARD_GW_OWNER_RANDOM_LEN],
                            const uint8_t uuid[WARD_GW_UUID_LEN],
                            uint8_t hash[WARD_GW_OWNER_HASH_LEN]);
/* The commitment a REGISTER carries: KDF(hash, uuid), one-way. */
WARD_MUST_CHECK
ward_err ward_gw_owner_commit(const ward_crypto *cp, const uint8_t hash[WARD_GW_OWNER_HASH_LEN],
                              const uint8_t uuid[WARD_GW_UUID_LEN],
                              uint8_t commit[WARD_GW_OWNER_COMMIT_LEN]);
/* wardd: WARD_OK when hash is the one r commits to (compared in constant
 * time), WARD_ERR_AUTH otherwise (another epoch's, or a guess). */
WARD_MUST_CHECK
ward_err ward_gw_owner_check(const ward_crypto *cp, const ward_gw_register *r,
                             const uint8_t hash[WARD_GW_OWNER_HASH_LEN]);

/* Gateway: the REGISTER, signed by key `id` of ks (its identity), whose
 * public key must be the one the activation names; it commits to `owner`,
 * the owner hash of the current epoch. */
WARD_MUST_CHECK
ward_err ward_gw_register_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                                  ward_key_id id, const uint8_t claim[WARD_GW_CLAIM_LEN],
                                  const uint8_t mac[WARD_GW_MAC_LEN],
                                  const uint8_t uuid[WARD_GW_UUID_LEN],
                                  const uint8_t *activation, size_t activation_len,
                                  const uint8_t owner[WARD_GW_OWNER_HASH_LEN], uint8_t *out,
                                  size_t cap, size_t *len);
/* wardd: the gateway's signature (by the key it carries), the factory's
 * signature of the activation, that the activation names that key and
 * the uuid. WARD_ERR_FORMAT malformed, WARD_ERR_AUTH any check failed. */
WARD_MUST_CHECK
ward_err ward_gw_register_verify(const ward_crypto *cp,
                                 const uint8_t factory_pub[WARD_P256_POINT_LEN],
                                 const uint8_t *msg, size_t len, ward_gw_register *r);
/* The same with the identity it carries checked against t
 * (ward_identity.h): a chain of role gateway under t->root (expiry against
 * t->now_s, t->list), or an ACTIVATION by t->factory. The function above
 * is this one with factory_pub as both. */
WARD_MUST_CHECK
ward_err ward_gw_register_verify_id(const ward_crypto *cp, const ward_identity_trust *t,
                                    const uint8_t *msg, size_t len, ward_gw_register *r);

/* The verifier wardd keeps instead of the password. */
WARD_MUST_CHECK
ward_err ward_gw_password_verifier(const ward_crypto *cp, const uint8_t tid[WARD_GW_TID_LEN],
                                   const uint8_t password[WARD_GW_PASSWORD_LEN],
                                   uint8_t out[WARD_GW_VERIFIER_LEN]);

/* The credentials as the gateway keeps them in its store (record 0x0480
 * of G/cloud.bin, docs/protocol.md "State files (flow C)"): tid (16) ||
 * generation (4) || expiry ms (8), both big-endian || password (16) ||
 * accesskey (16) || localkey (32). A fixed layout: any 92 bytes decode.
 * The record holds secrets: the caller wipes it. */
#define WARD_GW_CREDS_REC_LEN (WARD_GW_TID_LEN + 4 + 8 + WARD_GW_CREDS_PLAIN_LEN) /* 92 */
void ward_gw_creds_rec_encode(const ward_gw_creds *c, uint8_t rec[WARD_GW_CREDS_REC_LEN]);
void ward_gw_creds_rec_decode(const uint8_t rec[WARD_GW_CREDS_REC_LEN], ward_gw_creds *c);

/* wardd: the CREDENTIALS, secret part sealed to gw_pub. */
WARD_MUST_CHECK
ward_err ward_gw_creds_seal(const ward_crypto *cp, const ward_random *rng,
                            const uint8_t gw_pub[WARD_P256_POINT_LEN], const ward_gw_creds *c,
                            uint8_t *out, size_t cap, size_t *len);
/* App: the clear part (tid, generation, expiry); the secrets stay zero. */
WARD_MUST_CHECK
ward_err ward_gw_creds_peek(const uint8_t *msg, size_t len, ward_gw_creds *c);
/* Gateway: opens with key `id` of ks. WARD_ERR_AUTH if not sealed to it
 * or tampered with; *c is zeroed on failure. */
WARD_MUST_CHECK
ward_err ward_gw_creds_open_by(const ward_crypto *cp, const ward_keystore *ks, ward_key_id id,
                               const uint8_t *msg, size_t len, ward_gw_creds *c);
/* Gateway -> app: it took generation `gen` of tid (not authenticated:
 * the proof is the login that follows). */
WARD_MUST_CHECK
ward_err ward_gw_creds_ack_encode(const uint8_t tid[WARD_GW_TID_LEN], uint32_t gen,
                                  uint8_t *out, size_t cap, size_t *len);
WARD_MUST_CHECK
ward_err ward_gw_creds_ack_parse(const uint8_t *msg, size_t len, uint8_t tid[WARD_GW_TID_LEN],
                                 uint32_t *gen);

/* ---- login ---- */

/* Gateway: a LOGIN with login counter `counter` (the caller stores a
 * counter above it before sending, so no value is ever sent twice). */
WARD_MUST_CHECK
ward_err ward_gw_login_start(ward_gw_session *s, const ward_crypto *cp, const ward_random *rng,
                             const ward_gw_creds *c, uint64_t counter, uint8_t *out, size_t cap,
                             size_t *len);
/* Gateway: the LOGIN reply; on success the session is open. */
WARD_MUST_CHECK
ward_err ward_gw_login_finish(ward_gw_session *s, const ward_crypto *cp, const uint8_t *msg,
                              size_t len);
/* wardd: which gateway logs in and with which counter (clear fields,
 * not yet authenticated: only for finding the record). */
WARD_MUST_CHECK
ward_err ward_gw_login_peek(const uint8_t *msg, size_t len, uint8_t tid[WARD_GW_TID_LEN],
                            uint64_t *counter);
/* wardd: opens the LOGIN under accesskey, checks the password against
 * verifier and that the counter is above last_counter, then opens the
 * session sid and writes the reply. WARD_ERR_FORMAT malformed,
 * WARD_ERR_AUTH anything else refused (a replayed login among them). */
WARD_MUST_CHECK
ward_err ward_gw_login_accept(ward_gw_session *s, const ward_crypto *cp, const ward_random *rng,
                              const uint8_t tid[WARD_GW_TID_LEN],
                              const uint8_t accesskey[WARD_GW_ACCESSKEY_LEN],
                              const uint8_t verifier[WARD_GW_VERIFIER_LEN],
                              uint64_t last_counter, const uint8_t sid[WARD_GW_SID_LEN],
                              uint32_t ttl_s, const uint8_t *msg, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len);

/* ---- session packets ---- */

/* Seals a DATA (or a LOGOUT or RESET, empty) packet in the caller's direction.
 * WARD_ERR_STATE when the session is not open or its counter is spent. */
WARD_MUST_CHECK
ward_err ward_gw_session_seal(ward_gw_session *s, const ward_crypto *cp, uint8_t type,
                              const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                              size_t *len);
/* Opens a packet of the peer's direction; *type is WARD_MSG_GW_DATA,
 * WARD_MSG_GW_LOGOUT or WARD_MSG_GW_RESET (the session stays open for the
 * answer). WARD_ERR_AUTH: forged, for another session, or a
 * counter not above the last accepted (replayed or reordered). */
WARD_MUST_CHECK
ward_err ward_gw_session_open(ward_gw_session *s, const ward_crypto *cp, const uint8_t *msg,
                              size_t len, uint8_t *type, uint8_t *out, size_t cap,
                              size_t *out_len);
/* The session id a packet names (clear; for finding the session). */
WARD_MUST_CHECK
ward_err ward_gw_packet_sid(const uint8_t *msg, size_t len, uint8_t sid[WARD_GW_SID_LEN]);
/* The open session's id; WARD_ERR_STATE if none. */
WARD_MUST_CHECK
ward_err ward_gw_session_id(const ward_gw_session *s, uint8_t sid[WARD_GW_SID_LEN]);
/* The session lifetime wardd granted, in seconds (0 before login). */
uint32_t ward_gw_session_ttl(const ward_gw_session *s);
void ward_gw_session_wipe(ward_gw_session *s);

#ifdef __cplusplus
}
#endif

#endif /* WARD_GW_CLOUD_H */
