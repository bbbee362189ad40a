/*
 * ward_bind.h - the messages of lock–app binding (flow A), shared by the
 * three parties: the app seals the bind data, the lock opens it and signs
 * a confirmation, wardd verifies the confirmation and the lock's
 * activation. docs/protocol.md ("Lock–app binding") gives every field.
 *
 * The lock's own state machine (pending binding, code attempts, lock-out,
 * client table) is in ward_lock.h; this header is only the bytes on the
 * wire, so wardd can check them without a lock context.
 *
 * Parsed views (ward_bind_data, ward_bind_confirm, ward_activation) point
 * into the buffer they were parsed from; copy what must outlive it.
 */
#ifndef WARD_BIND_H
#define WARD_BIND_H

#include <stddef.h>
#include <stdint.h>

#include "ward_codec.h"
#include "ward_crypto.h"
#include "ward_keystore.h"
#include "ward_err.h"
#include "ward_random.h"
#include "ward_suite.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_MSG_BIND_DATA 0x10u
#define WARD_MSG_BIND_CONFIRM 0x11u
#define WARD_MSG_ACTIVATION 0x12u

#define WARD_SN_MAX 32
#define WARD_UID_MAX 64
#define WARD_PHONE_MIN 5
#define WARD_PHONE_MAX 20
#define WARD_BIND_KEY_LEN 32
#define WARD_TASK_ID_LEN 16
#define WARD_BIND_CODE_LEN 6
#define WARD_AUTH_KEY_LEN 32
/* An escrow: seal of A to the client key (113) || the client's signature
 * over it (64), see ward_escrow_make_by(). */
#define WARD_ESCROW_SEAL_LEN (WARD_AUTH_KEY_LEN + WARD_SEAL_OVERHEAD) /* 113 */
#define WARD_ESCROW_LEN (WARD_ESCROW_SEAL_LEN + WARD_P256_SIG_LEN)   /* 177 */
#define WARD_QR_PAYLOAD_MAX 256
/* "escrow" || sn || 0x00 || uid */
#define WARD_ESCROW_AD_MAX (6 + WARD_SN_MAX + 1 + WARD_UID_MAX)

#define WARD_ROLE_OWNER 0u
#define WARD_ROLE_ADMIN 1u
#define WARD_ROLE_MEMBER 2u

/* Worst-case encoded sizes. */
#define WARD_BIND_DATA_BODY_MAX                                              \
    (WARD_TLV_SIZE(WARD_SN_MAX) + WARD_TLV_SIZE(WARD_UID_MAX) +              \
     WARD_TLV_SIZE(WARD_P256_POINT_LEN) + WARD_TLV_SIZE(WARD_AUTH_KEY_LEN) + \
     WARD_TLV_SIZE(WARD_ESCROW_LEN) + WARD_TLV_SIZE(WARD_PHONE_MAX))
#define WARD_BIND_BLOB_MAX                                                   \
    (WARD_HDR_BASE_LEN + WARD_AEAD_NONCE_LEN + WARD_BIND_DATA_BODY_MAX +     \
     WARD_AEAD_TAG_LEN)
#define WARD_BIND_CONFIRM_MAX                                                \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_SN_MAX) +                        \
     WARD_TLV_SIZE(WARD_UID_MAX) + WARD_TLV_SIZE(WARD_P256_POINT_LEN) +      \
     WARD_TLV_SIZE(WARD_TASK_ID_LEN) + WARD_TLV_SIZE(WARD_ESCROW_LEN) +      \
     WARD_TLV_SIZE(1) + WARD_TLV_SIZE(8) + WARD_TLV_SIZE(WARD_P256_SIG_LEN))
#define WARD_ACTIVATION_MAX                                                  \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_SN_MAX) +                        \
     WARD_TLV_SIZE(WARD_P256_POINT_LEN) + WARD_TLV_SIZE(WARD_P256_SIG_LEN))

/* The bind data: every field a view into caller memory. */
typedef struct ward_bind_data {
    const uint8_t *sn;
    size_t sn_len;
    const uint8_t *uid;
    size_t uid_len;
    const uint8_t *client_pub;   /* WARD_P256_POINT_LEN */
    const uint8_t *auth_key;     /* WARD_AUTH_KEY_LEN */
    const uint8_t *escrow;       /* WARD_ESCROW_LEN */
    const uint8_t *phone;
    size_t phone_len;
} ward_bind_data;

typedef struct ward_bind_confirm {
    const uint8_t *sn;
    size_t sn_len;
    const uint8_t *uid;
    size_t uid_len;
    const uint8_t *client_pub;
    const uint8_t *tid;          /* WARD_TASK_ID_LEN */
    const uint8_t *escrow;
    uint8_t role;
    uint64_t time_ms;
} ward_bind_confirm;

typedef struct ward_activation {
    const uint8_t *sn;
    size_t sn_len;
    const uint8_t *lock_pub;
} ward_activation;

/* Character-set and length checks of the identifiers (WARD_ERR_FORMAT). */
WARD_MUST_CHECK
ward_err ward_check_sn(const uint8_t *sn, size_t len);
WARD_MUST_CHECK
ward_err ward_check_uid(const uint8_t *uid, size_t len);
WARD_MUST_CHECK
ward_err ward_check_phone(const uint8_t *phone, size_t len);

/* App: seals d under K for task tid (a fresh nonce from rng). */
WARD_MUST_CHECK
ward_err ward_bind_seal(const ward_crypto *cp, const ward_random *rng,
                        const uint8_t k[WARD_BIND_KEY_LEN],
                        const uint8_t tid[WARD_TASK_ID_LEN],
                        const ward_bind_data *d, uint8_t *blob, size_t cap,
                        size_t *blob_len);

/* Lock: verifies and opens a blob for task tid of lock sn. plain (at
 * least WARD_BIND_DATA_BODY_MAX bytes) receives the body that d points
 * into; the caller wipes it. WARD_ERR_AUTH for anything not sealed under
 * K for this task and SN; WARD_ERR_FORMAT for a body that opens but does
 * not parse. */
WARD_MUST_CHECK
ward_err ward_bind_open(const ward_crypto *cp,
                        const uint8_t k[WARD_BIND_KEY_LEN],
                        const uint8_t tid[WARD_TASK_ID_LEN],
                        const uint8_t *sn, size_t sn_len,
                        const uint8_t *blob, size_t blob_len,
                        uint8_t *plain, size_t plain_cap, ward_bind_data *d);

/* The escrow's associated data: "escrow" || sn || 0x00 || uid. */
WARD_MUST_CHECK
ward_err ward_escrow_ad(const uint8_t *sn, size_t sn_len, const uint8_t *uid,
                        size_t uid_len, uint8_t *out, size_t cap, size_t *len);

/* App: the escrow of auth key A for lock sn and account uid,
 *     seal   = ward_seal_to(client_pub, ward_escrow_ad(sn, uid), A)   113
 *     escrow = seal || ward_sign_by(client key, label "escrow",
 *                                   sn || 0x00 || uid || seal)         64
 * so that wardd, which keeps it, can neither open it nor make one: a
 * seal to the public key is anybody's to make, the signature only the
 * app's. The lock carries it as opaque bytes. The client key is key id
 * of keystore ks (ward_keystore.h; a key kept in a file goes through
 * ward_keystore_soft); client_pub is its public point. */
WARD_MUST_CHECK
ward_err ward_escrow_make_by(const ward_crypto *cp, const ward_random *rng,
                             const ward_keystore *ks, ward_key_id id,
                             const uint8_t client_pub[WARD_P256_POINT_LEN],
                             const uint8_t *sn, size_t sn_len,
                             const uint8_t *uid, size_t uid_len,
                             const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                             uint8_t escrow[WARD_ESCROW_LEN]);
/* App recovering: checks the signature with client_pub, then opens the
 * seal by ECDH with key id of ks. WARD_ERR_AUTH (auth_key zeroed) for an
 * escrow this key pair did not make for this sn and uid; WARD_ERR_FORMAT
 * for a bad sn or uid. */
WARD_MUST_CHECK
ward_err ward_escrow_open_by(const ward_crypto *cp, const ward_keystore *ks, ward_key_id id,
                             const uint8_t client_pub[WARD_P256_POINT_LEN],
                             const uint8_t *sn, size_t sn_len,
                             const uint8_t *uid, size_t uid_len,
                             const uint8_t escrow[WARD_ESCROW_LEN],
                             uint8_t auth_key[WARD_AUTH_KEY_LEN]);

/* Lock: a confirmation (c->sn etc. from the lock's own records) signed
 * by its identity key, key id of ks. */
WARD_MUST_CHECK
ward_err ward_bind_confirm_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                                   ward_key_id id, const ward_bind_confirm *c, uint8_t *out,
                                   size_t cap, size_t *len);

/* wardd: checks the signature with the lock's registered key, then parses.
 * WARD_ERR_AUTH for a bad signature, WARD_ERR_FORMAT for bad bytes. */
WARD_MUST_CHECK
ward_err ward_bind_confirm_verify(const ward_crypto *cp,
                                  const uint8_t lock_pub[WARD_P256_POINT_LEN],
                                  const uint8_t *msg, size_t len,
                                  ward_bind_confirm *c);

/* Factory: the activation {sn, lock_pub} signed with the manufacturer
 * key, key id (WARD_KEY_FACTORY) of ks. */
WARD_MUST_CHECK
ward_err ward_activation_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                                 ward_key_id id, const ward_activation *a, uint8_t *out,
                                 size_t cap, size_t *len);
/* wardd: checks the manufacturer's signature, then parses. */
WARD_MUST_CHECK
ward_err ward_activation_verify(const ward_crypto *cp,
                                const uint8_t factory_pub[WARD_P256_POINT_LEN],
                                const uint8_t *msg, size_t len,
                                ward_activation *a);

#ifdef __cplusplus
}
#endif

#endif /* WARD_BIND_H */
