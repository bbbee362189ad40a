/*
 * ward_peer.h - offline peer authentication: two devices holding
 * certificate chains from the same manufacturer root (ward_cert.h)
 * authenticate each other and agree a session key with no online party,
 * then talk over an AEAD channel with a replay window (issue 18, item 4;
 * docs/protocol.md "Offline peer authentication").
 *
 * The handshake is SIGMA-I in 1.5 round trips (three messages):
 *     M1  initiator -> responder   X (ephemeral key)
 *     M2  responder -> initiator   Y, {chain_R, sig_R(TH2 || chain_R)}K2
 *     M3  initiator -> responder   {chain_I, sig_I(TH3 || chain_I)}K3
 * K2 and K3 come from the ephemeral ECDH and the transcript so far; the
 * AEAD's tag is the MAC over each identity, the signatures cover the
 * transcript (both ephemeral keys), and the identities travel encrypted
 * (the initiator's only after it has authenticated the responder). Each
 * side checks the other's chain against the root, its role against the
 * roles it allows, its expiry against the caller's secure "now" and the
 * revocation list the caller holds.
 *
 * Transport agnostic: every call takes a message in and gives one out,
 * in the caller's buffers; no heap, no OS.
 *
 * Call sequence:
 *     ward_peer p;  ward_peer_init(&p, &cfg);         // both sides
 *     initiator: ward_peer_start(&p, m1, cap, &n)     -> send M1
 *     responder: ward_peer_respond(&p, m1, n, m2, ...) -> send M2
 *     initiator: ward_peer_finish(&p, m2, n, m3, ...)  -> send M3; established
 *     responder: ward_peer_accept(&p, m3, n)            -> established
 *     either:    ward_peer_seal() / ward_peer_open()   (records)
 *     ward_peer_wipe(&p);
 * Any failure ends the handshake (WARD_ERR_STATE after it): start again
 * with a fresh context. ward_peer_why_refused() says what was refused.
 */
#ifndef WARD_PEER_H
#define WARD_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_attr.h"
#include "ward_cert.h"
#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_keystore.h"
#include "ward_random.h"
#include "ward_suite.h"

#ifdef __cplusplus
extern "C" {
#endif

/* First byte of each message. */
#define WARD_PEER_M1 0x61u
#define WARD_PEER_M2 0x62u
#define WARD_PEER_M3 0x63u
#define WARD_PEER_RECORD 0x64u

#define WARD_PEER_M1_LEN (1 + WARD_P256_COMPRESSED_LEN)
/* kind, Y, then chain || signature || tag. */
#define WARD_PEER_M2_LEN(chain_len)                                          \
    (1 + WARD_P256_COMPRESSED_LEN + (chain_len) + WARD_P256_SIG_LEN + WARD_AEAD_TAG_LEN)
#define WARD_PEER_M3_LEN(chain_len)                                          \
    (1 + (chain_len) + WARD_P256_SIG_LEN + WARD_AEAD_TAG_LEN)
#define WARD_PEER_MSG_MAX WARD_PEER_M2_LEN(WARD_CERT_CHAIN_MAX_LEN)
/* kind, seq (4), ciphertext, tag. */
#define WARD_PEER_RECORD_OVERHEAD (1 + 4 + WARD_AEAD_TAG_LEN)
/* Records a receiver remembers behind the newest it took. */
#define WARD_PEER_WINDOW 64u

/* The roles a side accepts from its peer: bit r for certificate role r. */
#define WARD_PEER_ALLOW(role) (1u << (role))
#define WARD_PEER_ALLOW_DEVICES                                               \
    (WARD_PEER_ALLOW(WARD_CERT_ROLE_LOCK) | WARD_PEER_ALLOW(WARD_CERT_ROLE_DEVICE) |   \
     WARD_PEER_ALLOW(WARD_CERT_ROLE_GATEWAY) | WARD_PEER_ALLOW(WARD_CERT_ROLE_SUBDEVICE) | \
     WARD_PEER_ALLOW(WARD_CERT_ROLE_SE_HOST))

/* One side's configuration. Every pointer is the caller's and must
 * outlive the context (the context keeps a copy of this struct). */
typedef struct ward_peer_config {
    const ward_crypto *cp;
    const ward_random *rng;          /* the ephemeral key */
    const ward_keystore *ks;         /* holds this side's certified key */
    ward_key_id key;                 /* its handle in ks */
    const uint8_t *chain;            /* this side's chain, [factory ||] device */
    size_t chain_len;
    const uint8_t *root;             /* the root public key, 65 bytes */
    const ward_cert_list *list;      /* revocation list held (verified), or NULL */
    uint32_t allowed;                /* WARD_PEER_ALLOW() bits; 0: none */
    /* Secure now in seconds: the low end of ward_time_now()'s interval (an
     * expiry is passed only when the device knows it is). */
    uint32_t now_s;
} ward_peer_config;

/* What the last refusal was. */
typedef enum ward_peer_why {
    WARD_PEER_OK = 0,
    WARD_PEER_MALFORMED,   /* not a message of this kind, or the wrong length */
    WARD_PEER_DECRYPT,     /* the AEAD did not open: altered, or of another handshake */
    WARD_PEER_CHAIN,       /* the chain was refused: the cert why says which check */
    WARD_PEER_ROLE,        /* a role this side does not allow */
    WARD_PEER_SIGNATURE,   /* the transcript signature failed (a replayed message) */
    WARD_PEER_REPLAY,      /* a record already taken, or too old for the window */
    WARD_PEER_ORDER        /* a message out of turn, or after a failure */
} ward_peer_why;

#define WARD_PEER_CTX_SIZE (1024 + 8 * sizeof(void *))
typedef struct ward_peer {
    WARD_OPAQUE(WARD_PEER_CTX_SIZE);
} ward_peer;

/* WARD_ERR_PARAM for a config without crypto, rng, keystore, chain or
 * root, or a chain longer than WARD_CERT_CHAIN_MAX_LEN. */
WARD_MUST_CHECK
ward_err ward_peer_init(ward_peer *p, const ward_peer_config *cfg);

/* Initiator: M1 (WARD_PEER_M1_LEN bytes). */
WARD_MUST_CHECK
ward_err ward_peer_start(ward_peer *p, uint8_t *out, size_t cap, size_t *len);

/* Responder: takes M1, gives M2. */
WARD_MUST_CHECK
ward_err ward_peer_respond(ward_peer *p, const uint8_t *m1, size_t m1_len,
                           uint8_t *out, size_t cap, size_t *len);

/* Initiator: takes M2, checks the responder, gives M3; established.
 * WARD_ERR_FORMAT malformed, WARD_ERR_AUTH (altered, refused chain, role,
 * signature, revoked), WARD_ERR_EXPIRED a certificate past its expiry. */
WARD_MUST_CHECK
ward_err ward_peer_finish(ward_peer *p, const uint8_t *m2, size_t m2_len,
                          uint8_t *out, size_t cap, size_t *len);

/* Responder: takes M3, checks the initiator; established. Errors as
 * ward_peer_finish(). */
WARD_MUST_CHECK
ward_err ward_peer_accept(ward_peer *p, const uint8_t *m3, size_t m3_len);

WARD_MUST_CHECK
bool ward_peer_established(const ward_peer *p);

/* The peer's device certificate (its point set), once established. */
WARD_MUST_CHECK
ward_err ward_peer_peer_cert(const ward_peer *p, ward_cert *out);

/* What the last refusal was; *cert (if not NULL) the chain's reason. */
ward_peer_why ward_peer_why_refused(const ward_peer *p, ward_cert_why *cert);

/* A record of pt_len bytes: out gets pt_len + WARD_PEER_RECORD_OVERHEAD.
 * WARD_ERR_STATE before the handshake ends, WARD_ERR_EXPIRED once 2^32
 * records were sent (hand-shake again). */
WARD_MUST_CHECK
ward_err ward_peer_seal(ward_peer *p, const uint8_t *pt, size_t pt_len,
                        uint8_t *out, size_t cap, size_t *len);

/* Opens a record of the other side: WARD_ERR_FORMAT malformed,
 * WARD_ERR_AUTH altered, WARD_ERR_CONFLICT a record already taken or
 * older than the window (a replay; the channel stays up). */
WARD_MUST_CHECK
ward_err ward_peer_open(ward_peer *p, const uint8_t *rec, size_t rec_len,
                        uint8_t *out, size_t cap, size_t *len);

void ward_peer_wipe(ward_peer *p);

#ifdef __cplusplus
}
#endif

#endif /* WARD_PEER_H */
