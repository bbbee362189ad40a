/*
 * ward_gw_sub.h - flow C's sub-devices: joining a gateway through its join
 * window, a key per sub-device derived from the gateway's localkey, and
 * the sealed packets between them (docs/protocol.md, "Sub-devices").
 *
 * Join (the owner opens the gateway's window, bounded in time and tries):
 *  sub-device: ward_gw_sub_challenge_ask -> CHALLENGE; the gateway answers
 *              with the window's challenge (fresh at each opening);
 *  sub-device: ward_gw_sub_join_start(that answer) -> JOIN (signed by its
 *              identity key through the keystore, with its factory
 *              activation and the challenge: a recorded JOIN is refused in
 *              any later window);
 *  gateway:    ward_gw_sub_handle checks signature and activation while
 *              the window is open, files the sub-device in its store and
 *              answers with the sub-device's key sealed to its public key;
 *  sub-device: ward_gw_sub_join_finish opens it -> ward_gw_sub_cred, which
 *              the caller stores and gives back to ward_gw_sub_dev_load.
 *
 * Channel (one per connection, fresh keys each time):
 *  sub-device: ward_gw_sub_hello -> HELLO; the reply -> ward_gw_sub_hello_finish,
 *              then its first packet at once (an empty DATA will do): the
 *              gateway keeps the open channel until a pending one's first
 *              authenticated packet, so a stranger's HELLO closes nothing
 *              (pending channels: a bounded pool, the oldest evicted);
 *  both:       ward_gw_sub_dev_seal / ward_gw_sub_dev_open (sub-device),
 *              ward_gw_sub_seal / ward_gw_sub_handle (gateway).
 *
 * The gateway's table lives in its store, records 0x04C0-0x04FF; a
 * removed sub-device (ward_gw_sub_remove) is refused at once.
 */
#ifndef WARD_GW_SUB_H
#define WARD_GW_SUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_attr.h"
#include "ward_bind.h"
#include "ward_codec.h"
#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_identity.h"
#include "ward_keystore.h"
#include "ward_random.h"
#include "ward_store.h"
#include "ward_suite.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_MSG_GW_SUB_JOIN 0x50u    /* and its reply, flag REPLY */
#define WARD_MSG_GW_SUB_HELLO 0x51u   /* and its reply, flag REPLY */
#define WARD_MSG_GW_SUB_DATA 0x52u
#define WARD_MSG_GW_SUB_LEAVE 0x53u
#define WARD_MSG_GW_SUB_REFUSED 0x54u
#define WARD_MSG_GW_SUB_CHALLENGE 0x55u /* and its reply, flag REPLY */

#define WARD_GW_SUB_ID_LEN 16
#define WARD_GW_SUB_NONCE_LEN 16
#define WARD_GW_SUB_CHALLENGE_LEN 16
#define WARD_GW_SUB_KEY_LEN 16
#define WARD_GW_SUB_LOCALKEY_LEN 32
/* Sub-devices one gateway holds (records 0x04C1 ... 0x04C0 + this). */
#define WARD_GW_SUB_MAX 16
#define WARD_GW_SUB_PAYLOAD_MAX 256
/* A join window: at most this long, at most this many refused JOINs. */
#define WARD_GW_SUB_WINDOW_MAX_MS 600000u
#define WARD_GW_SUB_TRIES_MAX 16u
/* Pending channels (HELLOs answered, no packet yet) the gateway holds for
 * the whole table, and at most this many for one sub-device: more HELLOs
 * evict the oldest, so a stranger's HELLOs never lock a sub-device out. */
#define WARD_GW_SUB_PENDING_MAX 8
#define WARD_GW_SUB_PENDING_PER_SUB 4
/* Packets a receiver still accepts below the highest it has seen. */
#define WARD_GW_SUB_REPLAY_WINDOW 64u

/* REFUSED codes (clear, unauthenticated: a hint, never acted on as proof). */
#define WARD_GW_SUB_NO_WINDOW 1u    /* JOIN while no window is open */
#define WARD_GW_SUB_UNKNOWN 2u      /* no such sub-device (never joined, removed, re-keyed) */
#define WARD_GW_SUB_FULL 3u         /* the table is full */
#define WARD_GW_SUB_BAD_JOIN 4u     /* signature or activation refused (a try spent) */
#define WARD_GW_SUB_NO_CHANNEL 5u   /* DATA without an open channel, or forged/replayed */
#define WARD_GW_SUB_STALE 6u        /* JOIN without this window's challenge (a try spent) */

/* Encoded sizes (exact, or worst case for _MAX). */
#define WARD_GW_SUB_JOIN_MAX                                                   \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SUB_ID_LEN) +                   \
     WARD_TLV_SIZE(WARD_P256_POINT_LEN) + WARD_TLV_SIZE(WARD_GW_SUB_NONCE_LEN) + \
     WARD_TLV_SIZE(WARD_IDENTITY_MAX) + WARD_TLV_SIZE(WARD_GW_SUB_CHALLENGE_LEN) + \
     WARD_TLV_SIZE(WARD_P256_SIG_LEN)) /* 498 */
#define WARD_GW_SUB_JOIN_REPLY_LEN                                             \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SUB_ID_LEN) +                   \
     WARD_TLV_SIZE(WARD_GW_SUB_NONCE_LEN) + WARD_TLV_SIZE(4) +                 \
     WARD_TLV_SIZE(WARD_GW_SUB_KEY_LEN + WARD_SEAL_OVERHEAD)) /* 152 */
#define WARD_GW_SUB_HELLO_LEN                                                  \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SUB_ID_LEN) + WARD_TLV_SIZE(4) + \
     WARD_TLV_SIZE(WARD_GW_SUB_NONCE_LEN)) /* 53 */
#define WARD_GW_SUB_HELLO_REPLY_LEN                                            \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SUB_ID_LEN) +                   \
     WARD_TLV_SIZE(WARD_GW_SUB_NONCE_LEN) + WARD_TLV_SIZE(WARD_AEAD_TAG_LEN)) /* 65 */
#define WARD_GW_SUB_DATA_MAX                                                   \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SUB_ID_LEN) +                   \
     WARD_TLV_SIZE(WARD_GW_SUB_PAYLOAD_MAX + WARD_AEAD_TAG_LEN)) /* 304 */
#define WARD_GW_SUB_CHALLENGE_ASK_LEN                                          \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SUB_ID_LEN)) /* 23 */
#define WARD_GW_SUB_CHALLENGE_REPLY_LEN                                        \
    (WARD_GW_SUB_CHALLENGE_ASK_LEN + WARD_TLV_SIZE(WARD_GW_SUB_CHALLENGE_LEN)) /* 41 */
#define WARD_GW_SUB_REFUSED_LEN                                                \
    (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SUB_ID_LEN) + WARD_TLV_SIZE(1)) /* 32 */
/* The longest frame either side reads or writes. */
#define WARD_GW_SUB_FRAME_MAX WARD_GW_SUB_JOIN_MAX

/* What a sub-device keeps after joining (a secret: store it as one). */
typedef struct ward_gw_sub_cred {
    uint8_t sub_id[WARD_GW_SUB_ID_LEN];
    uint32_t generation;                 /* the gateway's join number */
    uint8_t key[WARD_GW_SUB_KEY_LEN];
} ward_gw_sub_cred;

#define WARD_GW_SUB_DEV_CTX_SIZE 192
typedef struct ward_gw_sub_dev {
    WARD_OPAQUE(WARD_GW_SUB_DEV_CTX_SIZE);
} ward_gw_sub_dev;

#define WARD_GW_SUB_GW_CTX_SIZE (640 + WARD_GW_SUB_MAX * 272)
typedef struct ward_gw_sub_gw {
    WARD_OPAQUE(WARD_GW_SUB_GW_CTX_SIZE);
} ward_gw_sub_gw;

/* What ward_gw_sub_handle did, for the gateway's caller. */
typedef enum ward_gw_sub_event_kind {
    WARD_GW_SUB_EV_NONE = 0,   /* nothing new (a retransmission answered, or refused) */
    WARD_GW_SUB_EV_JOINED,     /* a sub-device joined; the window closed */
    WARD_GW_SUB_EV_CHANNEL,    /* a sub-device's new channel took over: its first packet
                                * came (payload: that packet's, if a DATA) */
    WARD_GW_SUB_EV_DATA,       /* payload from a sub-device */
    WARD_GW_SUB_EV_LEFT,       /* a sub-device closed its channel */
    WARD_GW_SUB_EV_REFUSED     /* the answer is a REFUSED with `code` */
} ward_gw_sub_event_kind;

typedef struct ward_gw_sub_event {
    ward_gw_sub_event_kind kind;
    uint8_t sub_id[WARD_GW_SUB_ID_LEN];
    uint8_t code;                               /* for _REFUSED */
    size_t payload_len;                         /* for _DATA */
    uint8_t payload[WARD_GW_SUB_PAYLOAD_MAX];
} ward_gw_sub_event;

/* ---- sub-device ---- */

/* The CHALLENGE that asks the gateway for its open window's challenge
 * (answered with a REFUSED 1 when no window is open). */
WARD_MUST_CHECK
ward_err ward_gw_sub_challenge_ask(const uint8_t sub_id[WARD_GW_SUB_ID_LEN], uint8_t *out,
                                   size_t cap, size_t *len);
/* A JOIN signed by key `id` of ks, whose public key the identity names
 * (ward_identity.h: its certificate chain of role sub-device, or flow A's
 * ACTIVATION; id = sub_id as 32 lowercase hex digits), carrying
 * the challenge of the gateway's CHALLENGE reply `chal` (WARD_ERR_FORMAT
 * if it is not one for sub_id). The caller resends the same bytes until
 * it has an answer; told REFUSED 6, it asks for the challenge again. */
WARD_MUST_CHECK
ward_err ward_gw_sub_join_start(ward_gw_sub_dev *d, const ward_crypto *cp,
                                const ward_random *rng, const ward_keystore *ks,
                                ward_key_id id, const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                                const uint8_t *activation, size_t activation_len,
                                const uint8_t *chal, size_t chal_len, uint8_t *out, size_t cap,
                                size_t *len);
/* The JOIN reply: opens the key with key `id` of ks. WARD_ERR_AUTH if not
 * sealed to it or not the answer to this JOIN; the join stays pending. */
WARD_MUST_CHECK
ward_err ward_gw_sub_join_finish(ward_gw_sub_dev *d, const ward_crypto *cp,
                                 const ward_keystore *ks, ward_key_id id, const uint8_t *msg,
                                 size_t len, ward_gw_sub_cred *cred);
/* Takes a stored credential (after a restart). */
WARD_MUST_CHECK
ward_err ward_gw_sub_dev_load(ward_gw_sub_dev *d, const ward_gw_sub_cred *cred);
/* A HELLO with a fresh nonce; any open channel is closed. */
WARD_MUST_CHECK
ward_err ward_gw_sub_hello(ward_gw_sub_dev *d, const ward_crypto *cp, const ward_random *rng,
                           uint8_t *out, size_t cap, size_t *len);
/* The HELLO reply; on success the channel is open here. Send its first
 * packet at once (an empty DATA will do): the gateway moves to the new
 * channel only when that packet arrives. */
WARD_MUST_CHECK
ward_err ward_gw_sub_hello_finish(ward_gw_sub_dev *d, const ward_crypto *cp,
                                  const uint8_t *msg, size_t len);
/* DATA (pt_len <= WARD_GW_SUB_PAYLOAD_MAX) or LEAVE (empty) to the gateway. */
WARD_MUST_CHECK
ward_err ward_gw_sub_dev_seal(ward_gw_sub_dev *d, const ward_crypto *cp, uint8_t type,
                              const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                              size_t *len);
/* A packet from the gateway; *type DATA or LEAVE (a LEAVE closes the
 * channel). WARD_ERR_AUTH forged, another sub-device's, or replayed. */
WARD_MUST_CHECK
ward_err ward_gw_sub_dev_open(ward_gw_sub_dev *d, const ward_crypto *cp, const uint8_t *msg,
                              size_t len, uint8_t *type, uint8_t *out, size_t cap,
                              size_t *out_len);
/* A REFUSED: which sub-device and why (unauthenticated). */
WARD_MUST_CHECK
ward_err ward_gw_sub_refused_parse(const uint8_t *msg, size_t len,
                                   uint8_t sub_id[WARD_GW_SUB_ID_LEN], uint8_t *code);
void ward_gw_sub_dev_wipe(ward_gw_sub_dev *d);

/* ---- gateway ---- */

/* Loads the table from st (records 0x04C0-0x04FF); st must outlive g.
 * localkey: the gateway's LAN key from its credentials (flow C). */
WARD_MUST_CHECK
ward_err ward_gw_sub_gw_init(ward_gw_sub_gw *g, ward_store *st,
                             const uint8_t factory_pub[WARD_P256_POINT_LEN],
                             const uint8_t localkey[WARD_GW_SUB_LOCALKEY_LEN]);
/* What a JOIN's identity is checked against: chains of role sub-device
 * under root (NULL: none accepted), the revocation list (NULL: none; it
 * must outlive g or be set again), expiry against now_s (the gateway's
 * secure time, seconds); factory_pub of ward_gw_sub_gw_init() (NULL
 * there: none) keeps checking ACTIVATIONs. Call again when any changes. */
void ward_gw_sub_gw_trust(ward_gw_sub_gw *g, const uint8_t *root, const ward_cert_list *list,
                          uint32_t now_s);
/* The owner opens the join window: until now_ms + duration_ms (1 ms ..
 * WARD_GW_SUB_WINDOW_MAX_MS), for at most `tries` refused JOINs (1 ..
 * WARD_GW_SUB_TRIES_MAX), with a new challenge. It closes at the first
 * join that succeeds. */
WARD_MUST_CHECK
ward_err ward_gw_sub_window_open(ward_gw_sub_gw *g, uint64_t now_ms, uint32_t duration_ms,
                                 uint32_t tries);
void ward_gw_sub_window_close(ward_gw_sub_gw *g);
bool ward_gw_sub_window_is_open(const ward_gw_sub_gw *g, uint64_t now_ms);
/* One frame from a sub-device: writes the answer (possibly none:
 * *out_len 0) and says what happened. WARD_ERR_FORMAT for bytes that are
 * none of ours (no answer); refusals are answered with a REFUSED and
 * return WARD_OK with ev->kind _REFUSED. */
WARD_MUST_CHECK
ward_err ward_gw_sub_handle(ward_gw_sub_gw *g, const ward_crypto *cp, const ward_random *rng,
                            uint64_t now_ms, const uint8_t *in, size_t in_len, uint8_t *out,
                            size_t cap, size_t *out_len, ward_gw_sub_event *ev);
/* DATA or LEAVE to sub-device sub_id over its open channel.
 * WARD_ERR_NOTFOUND no such sub-device, WARD_ERR_STATE no open channel. */
WARD_MUST_CHECK
ward_err ward_gw_sub_seal(ward_gw_sub_gw *g, const ward_crypto *cp,
                          const uint8_t sub_id[WARD_GW_SUB_ID_LEN], uint8_t type,
                          const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                          size_t *len);
/* Forgets sub_id (its record and its channel): its key stops at once. */
WARD_MUST_CHECK
ward_err ward_gw_sub_remove(ward_gw_sub_gw *g, const uint8_t sub_id[WARD_GW_SUB_ID_LEN]);
/* Sub-devices in the table, and the i-th one's id (i < count). */
size_t ward_gw_sub_count(const ward_gw_sub_gw *g);
WARD_MUST_CHECK
ward_err ward_gw_sub_at(const ward_gw_sub_gw *g, size_t i, uint8_t sub_id[WARD_GW_SUB_ID_LEN]);
void ward_gw_sub_gw_wipe(ward_gw_sub_gw *g);

#ifdef __cplusplus
}
#endif

#endif /* WARD_GW_SUB_H */
