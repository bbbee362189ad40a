/*
 * ward_device.h - an IoT device that several apps bind to and drive
 * (flow D, seed 003): its identity, its table of bound apps ("nodes"),
 * the PIN-and-PAKE binding, and the encrypted channels.
 *
 * The problem it solves: two apps on one phone share the phone's address
 * and often its device id, so a device that keys its state by address (or
 * by the phone's UDID) lets the second app's binding overwrite the
 * first's, and decrypts one app's traffic with the other's key. Here every
 * message names its app by the CliID in the header's extension area
 * (ward_codec.h; absent for an older app), and the device keeps one node
 * per app, so bindings and channels never share state.
 *
 * Where a message's state is found (docs/protocol.md, "Several apps, one
 * device"):
 *  - a binding in progress (no key yet) by (transport kind, transport id,
 *    CliID): the transport id is opaque bytes from the caller, IP address
 *    and port near-field, the cloud device id far-field; PAKE_FINISH,
 *    which carries no CliID, by (transport kind, transport id, the key
 *    index the PAKE_INIT answer reserved for it);
 *  - a bound node by (key index, CliID): the device hands out key indexes
 *    unique among its nodes, so the index names the node and the key, and
 *    an app whose UDP port changed (a restart) still finds its node.
 *    Far-field the transport id must also equal the cloud device id the
 *    app recorded with ATTACH, so wardd cannot route one app's messages
 *    into another app's node;
 *  - a channel by (node, channel id), chosen by the app.
 * So a switch from near to far (or back) in the middle of a session keeps
 * the node, the channel, its counters and its replay windows.
 *
 * The module is sans-I/O. Each power-up:
 *
 *     ward_device dev;
 *     ward_dev_open(&dev, cp, &rng, &clock, &store_port);
 *     ward_dev_provision(&dev, id, id_len, name, name_len, type, type_len);
 *                                                   // first start; again is fine
 *
 * on the local action that lets apps pair (a button on the device, the
 * seed's "adaptation module"):
 *
 *     char pin[WARD_DEV_PIN_LEN + 1];
 *     ward_dev_open_window(&dev, pin);              display pin
 *
 * from the main loop, now and then (it closes a window that is over):
 *
 *     ward_dev_window w;
 *     ward_dev_window_state(&dev, &w);              w.open false: hide the PIN
 *
 * then for every message a transport receives:
 *
 *     ward_dev_event ev;
 *     ward_dev_handle(&dev, WARD_DEV_NEAR, tid, tid_len, in, in_len,
 *                     out, sizeof out, &out_len, &ev);
 *     if (ev.type == WARD_DEV_EV_SHOW_PIN)  display ev.pin (the window's)
 *     if (ev.type == WARD_DEV_EV_COMMAND)   run ev.data, then
 *         ward_dev_reply(&dev, ev.key_index, ev.channel_id, res, res_len,
 *                        out, sizeof out, &out_len);
 *     send out[0..out_len) back on the same transport (nothing if 0)
 *
 * ward_dev_handle() answers every binding message: with the next message
 * of the flow, or with an error answer (WARD_FLAG_ERROR, the ward_err code
 * in the body). A message addressed to a bound node (CHANNEL_OPEN, ATTACH,
 * COMMAND) is answered only once it verified under the node's key: an
 * unknown key index, CliID, far-field cloud id or channel, a tag that does
 * not verify, a replayed or too old COMMAND, all get no answer (*out_len
 * 0; the return value still says which, for the device's own log). A
 * CHANNEL_OPEN sent again, a replay included, verifies and so is
 * answered (it does not reset its channel); an ATTACH rides in a channel
 * as a COMMAND does, so one sent again is a replay and gets no answer
 * (the cloud id stays). So a stranger learns nothing from
 * the answer, not even which key indexes, CliIDs or channels exist; an
 * app that hears nothing opens its channel again (ward_dev_app.h).
 *
 * What is kept where: the identity key (the same record a lock keeps,
 * ward_lock.h, so activation and request signing are the lock's), the
 * device's name and type, the nodes (identifiers and data key), the next
 * key index and the open pairing window (its PIN, when it opened, its
 * failed attempts) live in the power-safe store; a binding in progress
 * and the channels live in this context only, so a restart aborts
 * bindings and closes channels (the app opens its channel again and gets
 * fresh keys). The context holds copies of the ports and no pointer into
 * itself.
 *
 * Pairing windows (docs/protocol.md, "Pairing windows"). Binding is
 * possible only inside a window that a local action opened: it draws a
 * fresh 6-digit PIN for the device to show, lasts WARD_DEV_WINDOW_MS, and
 * allows WARD_DEV_PIN_MAX_ATTEMPTS failed PIN attempts. Every binding of
 * the window uses its PIN (each with its own salt, so keys differ). An
 * attempt is counted in the store before the device answers PAKE_INIT
 * (the answer is what lets a guesser test one PIN) and refunded, in the
 * same store update as the node, when the binding succeeds: so an online
 * guesser tests at most WARD_DEV_PIN_MAX_ATTEMPTS of the 10^6 PINs per
 * window, and a power cut buys nothing (the window, its PIN and its count
 * survive it). A window closes when its time runs out, when its attempts
 * are spent (and no binding is still in its PAKE), on
 * ward_dev_close_window(), or when a new one opens; closing removes the
 * window's record, then wipes the PIN and frees every binding in progress
 * (a removal the store refuses leaves the window closing: no binding, and
 * each look at it tries again). Outside a window PIN_REQUEST,
 * PAKE_INIT and PAKE_FINISH get WARD_ERR_LOCKED. There is no lock-out
 * beyond the window: the next local action opens a fresh one at once.
 *
 * Binding slots (WARD_DEV_MAX_BINDINGS): a failed binding frees its slot
 * at once. A binding waiting for PAKE_INIT costs no attempt, so it holds
 * its slot only until a PIN_REQUEST finds no free slot: then the oldest
 * such binding is taken over (its app, which knows the PIN, asks again),
 * and the takeover costs the window one attempt, so strangers knock apps
 * out at most WARD_DEV_PIN_MAX_ATTEMPTS times per window. A binding is
 * never replaced by a PIN_REQUEST from its own transport id and CliID
 * (anyone on the path can forge one): waiting for PAKE_INIT, the same
 * PIN_REQUEST again is answered as before (same salt), one with another
 * UDIDx or app name is WARD_ERR_STATE; in its PAKE (it has cost an
 * attempt) every such PIN_REQUEST is WARD_ERR_STATE, and the binding
 * lives only WARD_DEV_PAKE_TTL_MS.
 *
 * The app's end of the flow is in the core too (ward_dev_app.h): both
 * ends share one key schedule and one channel layer, private to the
 * core (docs/protocol.md, "Flow D", says what a peer must compute).
 */
#ifndef WARD_DEVICE_H
#define WARD_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_bind.h"
#include "ward_clock.h"
#include "ward_codec.h"
#include "ward_config.h"
#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_keystore.h"
#include "ward_lock.h"
#include "ward_random.h"
#include "ward_spake2p.h"
#include "ward_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Message types of flow D. An answer has the request's type and
 * WARD_FLAG_REPLY, except that COMMAND is answered by REPLY. */
#define WARD_MSG_DEV_PIN_REQUEST 0x30u  /* app -> dev: UDIDx, app name */
#define WARD_MSG_DEV_PAKE_INIT 0x31u    /* app -> dev: shareP (compressed) */
#define WARD_MSG_DEV_PAKE_FINISH 0x32u  /* app -> dev: confirmP */
#define WARD_MSG_DEV_PAKE_END 0x33u     /* app -> dev: abandon a binding (its token) */
#define WARD_MSG_DEV_CHANNEL_OPEN 0x34u /* app -> dev: sealed channel open */
#define WARD_MSG_DEV_COMMAND 0x35u      /* app -> dev, in a channel */
#define WARD_MSG_DEV_REPLY 0x36u        /* dev -> app, in a channel */
#define WARD_MSG_DEV_ATTACH 0x37u       /* app -> dev: cloud device id, in a channel */

/* Transport kinds a message arrives on. */
#define WARD_DEV_NEAR 1u   /* tid = the peer's address and port */
#define WARD_DEV_FAR 2u    /* tid = the cloud device id wardd routes by */

/* Field sizes (bytes). The device id obeys ward_check_sn(). */
#define WARD_DEV_ID_MAX WARD_SN_MAX
#define WARD_DEV_NAME_MAX 32
#define WARD_DEV_TYPE_MAX 16
#define WARD_DEV_APP_NAME_MAX 32
#define WARD_DEV_UDIDX_MAX 64
#define WARD_DEV_TID_MAX 32
#define WARD_DEV_CLOUD_ID_MAX 32
#define WARD_DEV_PIN_LEN 6
#define WARD_DEV_SALT_LEN 16
#define WARD_DEV_DATA_KEY_LEN 32
#define WARD_DEV_OPEN_NONCE_LEN 16
/* The app's PAKE_END token, and its commitment sent in PIN_REQUEST. */
#define WARD_DEV_END_TOKEN_LEN 16
/* Largest command or reply a channel carries. */
#define WARD_DEV_DATA_MAX 256

/* Bytes a channel adds to a command or reply of n bytes: header, CliID
 * extension, channel id field, ciphertext field header and tag. */
#define WARD_DEV_CHAN_OVERHEAD(n, cid_len)                                   \
    (WARD_HDR_BASE_LEN + ((cid_len) ? 2u + (cid_len) : 0u) +                 \
     WARD_TLV_SIZE(4) + WARD_TLV_SIZE((n) + WARD_AEAD_TAG_LEN) - (n))
/* Any message of flow D fits this buffer. */
#define WARD_DEV_MSG_MAX                                                     \
    (WARD_HDR_BASE_LEN + 2 + WARD_CLIENT_ID_MAX + WARD_TLV_SIZE(4) +         \
     WARD_TLV_SIZE(WARD_DEV_DATA_MAX + WARD_AEAD_TAG_LEN) + 64)

/* Store bytes one bank needs: identity, info, the pairing window (15),
 * next key index and WARD_MAX_NODES node records (189 bytes each at
 * most). */
#define WARD_DEV_NODE_REC_MAX                                                \
    (1 + 1 + WARD_DEV_UDIDX_MAX + 1 + WARD_CLIENT_ID_MAX + 1 +               \
     WARD_DEV_CLOUD_ID_MAX + WARD_DEV_DATA_KEY_LEN + 8 + 1 +                 \
     WARD_DEV_APP_NAME_MAX)
#define WARD_DEV_STORE_BANK_MIN                                              \
    (WARD_STORE_BANK_HDR_LEN +                                               \
     WARD_MAX_NODES * (WARD_STORE_RECORD_HDR_LEN + WARD_DEV_NODE_REC_MAX) +  \
     4 * WARD_STORE_RECORD_HDR_LEN + 140 + 2 + WARD_DEV_NAME_MAX +           \
     WARD_DEV_TYPE_MAX + 15 + 1)

/* A bound app as the device keeps it in RAM (its data key stays in the
 * store). Read with ward_dev_node_get(). */
typedef struct ward_dev_node {
    uint8_t used;
    uint8_t key_index;                      /* 1..255, unique per device */
    uint8_t udidx_len;
    uint8_t client_id_len;                  /* 0: an older app */
    uint8_t cloud_id_len;                   /* 0: not attached */
    uint8_t near_len;                       /* 0: not seen near-field */
    uint8_t udidx[WARD_DEV_UDIDX_MAX];
    uint8_t client_id[WARD_CLIENT_ID_MAX];
    uint8_t cloud_id[WARD_DEV_CLOUD_ID_MAX];
    uint8_t near_tid[WARD_DEV_TID_MAX];     /* last near address (RAM only) */
} ward_dev_node;

/* Opaque: the lock it is for its identity, the nodes, the bindings in
 * progress, the channels and the pairing window are the core's
 * (core/proto/dev_inner.h). Its size follows WARD_MAX_NODES,
 * WARD_DEV_MAX_BINDINGS, WARD_DEV_MAX_CHANNELS and WARD_CLIENT_ID_MAX, so
 * a maker's ward_config.h gets the right one; each term bounds one
 * private struct with room for its padding, and a build-time check in
 * the core proves the sum. */
#define WARD_DEV_BINDING_CTX_SIZE                                            \
    (sizeof(ward_spake2p) + WARD_DEV_TID_MAX + WARD_CLIENT_ID_MAX +          \
     WARD_DEV_UDIDX_MAX + WARD_DEV_APP_NAME_MAX + WARD_DEV_SALT_LEN +           \
     WARD_DEV_END_TOKEN_LEN + 24)
#define WARD_DEV_CHANNEL_CTX_SIZE                                            \
    (2 * WARD_DEV_OPEN_NONCE_LEN + 2 * WARD_AEAD_KEY_LEN + 40)
#define WARD_DEVICE_CTX_SIZE                                                 \
    (WARD_LOCK_CTX_SIZE + WARD_MAX_NODES * sizeof(ward_dev_node) +           \
     WARD_DEV_MAX_BINDINGS * WARD_DEV_BINDING_CTX_SIZE +                     \
     WARD_DEV_MAX_CHANNELS * WARD_DEV_CHANNEL_CTX_SIZE + WARD_DEV_PIN_LEN + 32)
typedef struct ward_device {
    WARD_OPAQUE(WARD_DEVICE_CTX_SIZE);
} ward_device;

/* What ward_dev_handle() asks of its caller. */
typedef enum ward_dev_event_type {
    WARD_DEV_EV_NONE = 0,
    WARD_DEV_EV_SHOW_PIN,        /* show pin (the window's): an app asks */
    WARD_DEV_EV_BOUND,           /* app key_index is bound (new or again) */
    WARD_DEV_EV_CHANNEL_OPENED,  /* key_index opened channel_id */
    WARD_DEV_EV_COMMAND,         /* run data; answer with ward_dev_reply() */
    WARD_DEV_EV_ATTACHED         /* key_index recorded its cloud device id */
} ward_dev_event_type;

typedef struct ward_dev_event {
    ward_dev_event_type type;
    uint8_t key_index;
    uint32_t channel_id;
    char pin[WARD_DEV_PIN_LEN + 1];         /* SHOW_PIN, NUL-terminated */
    uint8_t data[WARD_DEV_DATA_MAX];        /* COMMAND; the caller wipes */
    size_t data_len;
} ward_dev_event;

/* The pairing window as ward_dev_window_state() reports it. */
typedef struct ward_dev_window {
    bool open;
    bool closing;                           /* not open, but the store still holds
                                               it: a restart would open it again
                                               (its removal is retried) */
    uint64_t remaining_ms;                  /* 0 when closed */
    unsigned attempts_left;                 /* failed attempts it allows */
    char pin[WARD_DEV_PIN_LEN + 1];         /* "" when closed */
} ward_dev_window;

/* What /ward/info and the PIN_REQUEST answer tell: NUL-terminated. */
typedef struct ward_dev_info {
    char id[WARD_DEV_ID_MAX + 1];
    char name[WARD_DEV_NAME_MAX + 1];
    char type[WARD_DEV_TYPE_MAX + 1];
} ward_dev_info;

/* ---- the device ---- */

/* Opens the store and loads the node table and the pairing window (a
 * window open at the power cut is open again, with its PIN and count,
 * until its time runs out). WARD_ERR_IO if the port fails,
 * WARD_ERR_FORMAT if a node record is corrupt. The store needs a bank of
 * at least WARD_DEV_STORE_BANK_MIN bytes. */
WARD_MUST_CHECK
ward_err ward_dev_open(ward_device *dev, const ward_crypto *cp,
                       const ward_random *rng, const ward_clock *clock,
                       const ward_store_port *port);

/* Keeps the identity key in ks under WARD_KEY_DEVICE_IDENTITY, as
 * ward_lock_use_keystore() does for a lock: call after every
 * ward_dev_open(), before anything signs or ward_dev_provision() makes
 * the key; ks must outlive the device. */
void ward_dev_use_keystore(ward_device *dev, const ward_keystore *ks);

/* Makes the identity key once (as ward_lock_provision(): another id is
 * WARD_ERR_STATE) and stores name and type (these may change). The id
 * obeys ward_check_sn(); name 1..32, type 1..16 printable ASCII without
 * '"' or '\\' (WARD_ERR_FORMAT). */
WARD_MUST_CHECK
ward_err ward_dev_provision(ward_device *dev, const uint8_t *id, size_t id_len,
                            const uint8_t *name, size_t name_len,
                            const uint8_t *type, size_t type_len);

/* Id, name and type; WARD_ERR_STATE before ward_dev_provision(). */
WARD_MUST_CHECK
ward_err ward_dev_get_info(const ward_device *dev, ward_dev_info *info);

/* The identity public key (pub may be NULL). */
WARD_MUST_CHECK
ward_err ward_dev_identity(const ward_device *dev,
                           uint8_t pub[WARD_P256_POINT_LEN]);

/* The activation {id, identity key} for the factory to sign
 * (ward_activation_sign_by(), WARD_MSG_ACTIVATION): views into id and pub. */
WARD_MUST_CHECK
ward_err ward_dev_activation(const ward_device *dev, uint8_t id[WARD_SN_MAX],
                             uint8_t pub[WARD_P256_POINT_LEN],
                             ward_activation *a);

/* RFC 9421 request signature with the identity key, for wardd. A device
 * is activated and known to wardd exactly as a lock is, so its keyid is
 * "lock:ID"; see ward_lock_sign_request(). */
WARD_MUST_CHECK
ward_err ward_dev_sign_request(const ward_device *dev, const char *base,
                               size_t base_len,
                               uint8_t sig[WARD_P256_SIG_LEN]);

/* Handles one received message from transport kind (WARD_DEV_NEAR or
 * WARD_DEV_FAR) and peer tid (1..WARD_DEV_TID_MAX bytes). Writes the
 * answer (at most WARD_DEV_MSG_MAX bytes) into out, or nothing (*out_len
 * 0); fills *ev (type NONE when there is nothing to do). Returns what
 * happened: WARD_OK, or the error (WARD_ERR_AUTH wrong PIN or a message
 * that does not verify, WARD_ERR_LOCKED no pairing window open or its
 * attempts spent, WARD_ERR_BUSY no free binding slot, WARD_ERR_NOTFOUND
 * no such binding, node or channel, WARD_ERR_STATE out of order,
 * WARD_ERR_EXPIRED PAKE_FINISH too late, WARD_ERR_FORMAT bad bytes,
 * WARD_ERR_NOSPACE node table full). A binding message's error is
 * answered; a node's message's error only once it verified (see above).
 * Bytes that are not a ward header get no answer. */
WARD_MUST_CHECK
ward_err ward_dev_handle(ward_device *dev, uint8_t kind, const uint8_t *tid,
                         size_t tid_len, const uint8_t *in, size_t in_len,
                         uint8_t *out, size_t cap, size_t *out_len,
                         ward_dev_event *ev);

/* A REPLY (WARD_FLAG_REPLY) in channel_id of node key_index, after a
 * WARD_DEV_EV_COMMAND. WARD_ERR_NOTFOUND if the channel is gone,
 * WARD_ERR_PARAM if len > WARD_DEV_DATA_MAX, WARD_ERR_STATE when the
 * channel's counter is exhausted (the app must open a new channel). */
WARD_MUST_CHECK
ward_err ward_dev_reply(ward_device *dev, uint8_t key_index,
                        uint32_t channel_id, const uint8_t *data, size_t len,
                        uint8_t *out, size_t cap, size_t *out_len);

/* The same without WARD_FLAG_REPLY: a message the device starts (a state
 * change the app did not ask for), sent where the node was last seen. */
WARD_MUST_CHECK
ward_err ward_dev_notify(ward_device *dev, uint8_t key_index,
                         uint32_t channel_id, const uint8_t *data, size_t len,
                         uint8_t *out, size_t cap, size_t *out_len);

/* Opens a pairing window on a local action (a button): closes the one
 * open (its bindings in progress end), draws a fresh PIN, and stores the
 * window with no attempt spent. pin receives the PIN to show
 * (NUL-terminated). WARD_ERR_STATE before ward_dev_provision(),
 * WARD_ERR_IO if the store fails (no new window then: the one open, if
 * any, stays as the store still holds it), WARD_ERR_CRYPTO if
 * the random port keeps giving bytes the PIN's rejection sampling
 * throws away (a broken source: the draws are bounded, no hang). Only a
 * local action may call it: each window gives a guesser
 * WARD_DEV_PIN_MAX_ATTEMPTS more tries. */
WARD_MUST_CHECK
ward_err ward_dev_open_window(ward_device *dev,
                              char pin[WARD_DEV_PIN_LEN + 1]);

/* Closes the pairing window now (nothing if none is open): removes its
 * record from the store, then wipes its PIN from RAM and ends every
 * binding in progress. WARD_OK only once the removal is durable, so a
 * caller that tells the owner "closed" on WARD_OK (and only then) never
 * tells of a close a restart would undo. If the store fails (its error
 * is returned), the window is closing: it takes no binding,
 * ward_dev_window_state() reports it not open and closing, and every look
 * at it tries the removal again; RAM keeps the PIN until the store lets
 * go of it. */
WARD_MUST_CHECK
ward_err ward_dev_close_window(ward_device *dev);

/* The pairing window: closes it first if it is over (time run out, or
 * attempts spent with no binding left in its PAKE), so a main loop that
 * calls this now and then wipes a stale PIN promptly, and retries a
 * removal the store refused before. WARD_OK, or the store's error from
 * closing (the window is then reported not open, takes no binding, and
 * w->closing says the store still holds it: not closed for good until a
 * later look reports it neither open nor closing). */
WARD_MUST_CHECK
ward_err ward_dev_window_state(ward_device *dev, ward_dev_window *w);

/* The node table: count of bound apps, and the i-th (in slot order;
 * WARD_ERR_NOTFOUND past the end). */
size_t ward_dev_node_count(const ward_device *dev);
WARD_MUST_CHECK
ward_err ward_dev_node_get(const ward_device *dev, size_t i,
                           ward_dev_node *node);
/* Forgets the app bound under key_index (its channels close).
 * WARD_ERR_NOTFOUND if none. */
WARD_MUST_CHECK
ward_err ward_dev_node_remove(ward_device *dev, uint8_t key_index);

#ifdef __cplusplus
}
#endif

#endif /* WARD_DEVICE_H */
