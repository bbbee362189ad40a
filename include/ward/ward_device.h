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
 * then for every message a transport receives:
 *
 *     ward_dev_event ev;
 *     ward_dev_handle(&dev, WARD_DEV_NEAR, tid, tid_len, in, in_len,
 *                     out, sizeof out, &out_len, &ev);
 *     if (ev.type == WARD_DEV_EV_SHOW_PIN)  display ev.pin
 *     if (ev.type == WARD_DEV_EV_COMMAND)   run ev.data, then
 *         ward_dev_reply(&dev, ev.key_index, ev.channel_id, res, res_len,
 *                        out, sizeof out, &out_len);
 *     send out[0..out_len) back on the same transport (nothing if 0)
 *
 * ward_dev_handle() answers every message it can attribute: with the next
 * message of the flow, or with an error answer (WARD_FLAG_ERROR, the
 * ward_err code in the body) for binding failures. A channel message that
 * does not verify, or is a replay, gets no answer at all (*out_len 0 and
 * WARD_ERR_AUTH): an unauthenticated sender learns nothing, not even that
 * the device is there.
 *
 * What is kept where: the identity key (the same record a lock keeps,
 * ward_lock.h, so activation and request signing are the lock's), the
 * device's name and type, the nodes (identifiers and data key), the next
 * key index and the PIN attempt counter with its lock-out live in the
 * power-safe store; a binding in progress and the channels live in this
 * context only, so a restart aborts bindings and closes channels (the app
 * opens its channel again and gets fresh keys). The context holds copies
 * of the ports and no pointer into itself.
 *
 * PIN guessing: each PIN_REQUEST gets a fresh random PIN, good for one
 * PAKE attempt. The attempt is counted in the store before the device
 * answers PAKE_INIT (the answer is what lets a guesser test one PIN), and
 * after WARD_DEV_PIN_MAX_ATTEMPTS attempts without a successful binding the
 * device refuses to bind (WARD_ERR_LOCKED) for WARD_DEV_LOCKOUT_MS,
 * doubling with each further lock-out; this survives restarts.
 *
 * The channel primitives (ward_dev_chan_*) are shared with the app side
 * (ward_pair.h), so both ends seal, count and check replays one way.
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
#include "ward_lock.h"
#include "ward_random.h"
#include "ward_spake2p.h"
#include "ward_store.h"

/* Message types of flow D. An answer has the request's type and
 * WARD_FLAG_REPLY, except that COMMAND is answered by REPLY. */
#define WARD_MSG_DEV_PIN_REQUEST 0x30u  /* app -> dev: UDIDx, app name */
#define WARD_MSG_DEV_PAKE_INIT 0x31u    /* app -> dev: shareP (compressed) */
#define WARD_MSG_DEV_PAKE_FINISH 0x32u  /* app -> dev: confirmP */
#define WARD_MSG_DEV_PAKE_END 0x33u     /* app -> dev: abandon a binding */
#define WARD_MSG_DEV_CHANNEL_OPEN 0x34u /* app -> dev: sealed channel open */
#define WARD_MSG_DEV_COMMAND 0x35u      /* app -> dev, in a channel */
#define WARD_MSG_DEV_REPLY 0x36u        /* dev -> app, in a channel */
#define WARD_MSG_DEV_ATTACH 0x37u       /* app -> dev: sealed cloud device id */

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
/* Largest command or reply a channel carries. */
#define WARD_DEV_DATA_MAX 256

/* First lock-out after too many PIN attempts; doubles, at most a day. */
#define WARD_DEV_LOCKOUT_MS (60u * 1000u)
#define WARD_DEV_LOCKOUT_MAX_MS (24u * 60u * 60u * 1000u)

/* Bytes a channel adds to a command or reply of n bytes: header, CliID
 * extension, channel id field, ciphertext field header and tag. */
#define WARD_DEV_CHAN_OVERHEAD(n, cid_len)                                   \
    (WARD_HDR_BASE_LEN + ((cid_len) ? 2u + (cid_len) : 0u) +                 \
     WARD_TLV_SIZE(4) + WARD_TLV_SIZE((n) + WARD_AEAD_TAG_LEN) - (n))
/* Any message of flow D fits this buffer. */
#define WARD_DEV_MSG_MAX                                                     \
    (WARD_HDR_BASE_LEN + 2 + WARD_CLIENT_ID_MAX + WARD_TLV_SIZE(4) +         \
     WARD_TLV_SIZE(WARD_DEV_DATA_MAX + WARD_AEAD_TAG_LEN) + 64)

/* Store bytes one bank needs: identity, info, attempts, next key index
 * and WARD_MAX_NODES node records (189 bytes each at most). */
#define WARD_DEV_NODE_REC_MAX                                                \
    (1 + 1 + WARD_DEV_UDIDX_MAX + 1 + WARD_CLIENT_ID_MAX + 1 +               \
     WARD_DEV_CLOUD_ID_MAX + WARD_DEV_DATA_KEY_LEN + 8 + 1 +                 \
     WARD_DEV_APP_NAME_MAX)
#define WARD_DEV_STORE_BANK_MIN                                              \
    (WARD_STORE_BANK_HDR_LEN +                                               \
     WARD_MAX_NODES * (WARD_STORE_RECORD_HDR_LEN + WARD_DEV_NODE_REC_MAX) +  \
     4 * WARD_STORE_RECORD_HDR_LEN + 140 + 2 + WARD_DEV_NAME_MAX +           \
     WARD_DEV_TYPE_MAX + 10 + 1)

/* One direction pair of a channel, the same shape on both ends. seq 0 is
 * never sent; the receive window remembers the highest seq accepted and
 * which of the 64 below it were seen. */
typedef struct ward_dev_chan {
    uint8_t tx_key[WARD_AEAD_KEY_LEN];
    uint8_t rx_key[WARD_AEAD_KEY_LEN];
    uint32_t tx_seq;      /* the last seq sent */
    uint32_t rx_high;     /* the highest seq accepted, 0 before any */
    uint64_t rx_seen;     /* bit i: rx_high - i was accepted */
} ward_dev_chan;

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

/* A binding in progress (private). */
typedef struct ward_dev_binding {
    uint8_t stage;                          /* 0 free, 1 PIN shown, 2 PAKE */
    uint8_t kind;
    uint8_t tid_len;
    uint8_t client_id_len;
    uint8_t udidx_len;
    uint8_t app_name_len;
    uint8_t key_index;                      /* reserved at PAKE_INIT */
    uint8_t tid[WARD_DEV_TID_MAX];
    uint8_t client_id[WARD_CLIENT_ID_MAX];
    uint8_t udidx[WARD_DEV_UDIDX_MAX];
    uint8_t app_name[WARD_DEV_APP_NAME_MAX];
    uint8_t salt[WARD_DEV_SALT_LEN];
    uint8_t pin[WARD_DEV_PIN_LEN];
    uint64_t created_ms;
    ward_spake2p pake;
} ward_dev_binding;

/* An open channel (private). */
typedef struct ward_dev_channel {
    uint8_t used;
    uint8_t node;                           /* index into nodes[] */
    uint32_t channel_id;
    uint32_t last_use;                      /* for eviction, oldest first */
    uint8_t na[WARD_DEV_OPEN_NONCE_LEN];
    uint8_t nd[WARD_DEV_OPEN_NONCE_LEN];
    ward_dev_chan chan;
} ward_dev_channel;

typedef struct ward_device {
    ward_lock base;   /* the ports, the store and the identity record */
    ward_dev_node nodes[WARD_MAX_NODES];
    ward_dev_binding bind[WARD_DEV_MAX_BINDINGS];
    ward_dev_channel chans[WARD_DEV_MAX_CHANNELS];
    uint32_t use_clock;
} ward_device;

/* What ward_dev_handle() asks of its caller. */
typedef enum ward_dev_event_type {
    WARD_DEV_EV_NONE = 0,
    WARD_DEV_EV_SHOW_PIN,        /* show pin: a binding window opened */
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

/* What /ward/info and the PIN_REQUEST answer tell: NUL-terminated. */
typedef struct ward_dev_info {
    char id[WARD_DEV_ID_MAX + 1];
    char name[WARD_DEV_NAME_MAX + 1];
    char type[WARD_DEV_TYPE_MAX + 1];
} ward_dev_info;

/* ---- the device ---- */

/* Opens the store and loads the node table. WARD_ERR_IO if the port
 * fails, WARD_ERR_FORMAT if a node record is corrupt. The store needs a
 * bank of at least WARD_DEV_STORE_BANK_MIN bytes. */
ward_err ward_dev_open(ward_device *dev, const ward_crypto *cp,
                       const ward_random *rng, const ward_clock *clock,
                       const ward_store_port *port);

/* Makes the identity key once (as ward_lock_provision(): another id is
 * WARD_ERR_STATE) and stores name and type (these may change). The id
 * obeys ward_check_sn(); name 1..32, type 1..16 printable ASCII without
 * '"' or '\\' (WARD_ERR_FORMAT). */
ward_err ward_dev_provision(ward_device *dev, const uint8_t *id, size_t id_len,
                            const uint8_t *name, size_t name_len,
                            const uint8_t *type, size_t type_len);

/* Id, name and type; WARD_ERR_STATE before ward_dev_provision(). */
ward_err ward_dev_get_info(const ward_device *dev, ward_dev_info *info);

/* The identity public key (pub may be NULL). */
ward_err ward_dev_identity(const ward_device *dev,
                           uint8_t pub[WARD_P256_POINT_LEN]);

/* The activation {id, identity key} for the factory to sign
 * (ward_activation_sign(), WARD_MSG_ACTIVATION): views into id and pub. */
ward_err ward_dev_activation(const ward_device *dev, uint8_t id[WARD_SN_MAX],
                             uint8_t pub[WARD_P256_POINT_LEN],
                             ward_activation *a);

/* RFC 9421 request signature with the identity key, for wardd. A device
 * is activated and known to wardd exactly as a lock is, so its keyid is
 * "lock:ID"; see ward_lock_sign_request(). */
ward_err ward_dev_sign_request(const ward_device *dev, const char *base,
                               size_t base_len,
                               uint8_t sig[WARD_P256_SIG_LEN]);

/* Handles one received message from transport kind (WARD_DEV_NEAR or
 * WARD_DEV_FAR) and peer tid (1..WARD_DEV_TID_MAX bytes). Writes the
 * answer (at most WARD_DEV_MSG_MAX bytes) into out, or nothing (*out_len
 * 0); fills *ev (type NONE when there is nothing to do). Returns what
 * happened: WARD_OK, or the error the answer carries (WARD_ERR_AUTH wrong
 * PIN or a message that does not verify, WARD_ERR_LOCKED, WARD_ERR_BUSY no
 * free binding slot, WARD_ERR_NOTFOUND no such node or channel,
 * WARD_ERR_STATE out of order, WARD_ERR_EXPIRED binding too old,
 * WARD_ERR_FORMAT bad bytes, WARD_ERR_NOSPACE node table full). Bytes that
 * are not a ward header get no answer. */
ward_err ward_dev_handle(ward_device *dev, uint8_t kind, const uint8_t *tid,
                         size_t tid_len, const uint8_t *in, size_t in_len,
                         uint8_t *out, size_t cap, size_t *out_len,
                         ward_dev_event *ev);

/* A REPLY (WARD_FLAG_REPLY) in channel_id of node key_index, after a
 * WARD_DEV_EV_COMMAND. WARD_ERR_NOTFOUND if the channel is gone,
 * WARD_ERR_PARAM if len > WARD_DEV_DATA_MAX, WARD_ERR_STATE when the
 * channel's counter is exhausted (the app must open a new channel). */
ward_err ward_dev_reply(ward_device *dev, uint8_t key_index,
                        uint32_t channel_id, const uint8_t *data, size_t len,
                        uint8_t *out, size_t cap, size_t *out_len);

/* The same without WARD_FLAG_REPLY: a message the device starts (a state
 * change the app did not ask for), sent where the node was last seen. */
ward_err ward_dev_notify(ward_device *dev, uint8_t key_index,
                         uint32_t channel_id, const uint8_t *data, size_t len,
                         uint8_t *out, size_t cap, size_t *out_len);

/* WARD_OK and 0 when binding is allowed; WARD_ERR_LOCKED and the time
 * left otherwise. remaining_ms may be NULL. */
ward_err ward_dev_lockout(const ward_device *dev, uint64_t *remaining_ms);

/* PIN attempts counted since the last successful binding or lock-out. */
ward_err ward_dev_attempts(const ward_device *dev, unsigned *count);

/* The node table: count of bound apps, and the i-th (in slot order;
 * WARD_ERR_NOTFOUND past the end). */
size_t ward_dev_node_count(const ward_device *dev);
ward_err ward_dev_node_get(const ward_device *dev, size_t i,
                           ward_dev_node *node);
/* Forgets the app bound under key_index (its channels close).
 * WARD_ERR_NOTFOUND if none. */
ward_err ward_dev_node_remove(ward_device *dev, uint8_t key_index);

/* ---- channel primitives, shared with the app side ---- */

/* Channel keys from the data key (ward_kdf, label "dev channel", context
 * key_index || channel_id || na || nd): one key per direction; the
 * device's tx is the app's rx. Counters and window start at 0. */
ward_err ward_dev_chan_init(const ward_crypto *cp,
                            const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                            uint8_t key_index, uint32_t channel_id,
                            const uint8_t na[WARD_DEV_OPEN_NONCE_LEN],
                            const uint8_t nd[WARD_DEV_OPEN_NONCE_LEN],
                            bool device_side, ward_dev_chan *c);

/* Seals data into a COMMAND or REPLY: header (type, flags, key_index,
 * seq = ++tx_seq, the CliID) || channel id || ciphertext; AD is every
 * byte before the ciphertext. WARD_ERR_STATE once tx_seq is exhausted. */
ward_err ward_dev_chan_seal(const ward_crypto *cp, ward_dev_chan *c,
                            uint8_t type, uint8_t flags, uint8_t key_index,
                            const uint8_t *client_id, size_t client_id_len,
                            uint32_t channel_id, const uint8_t *data,
                            size_t len, uint8_t *out, size_t cap,
                            size_t *out_len);

/* Parses a COMMAND or REPLY without opening it: its header and channel
 * id (for finding the channel). WARD_ERR_FORMAT for bad bytes. */
ward_err ward_dev_chan_peek(const uint8_t *msg, size_t len, ward_hdr *h,
                            uint32_t *channel_id);

/* Checks the replay window, opens, then marks seq as seen: nothing
 * changes unless all succeeds. WARD_ERR_AUTH for a replay, a seq below
 * the window, or anything that does not verify; data is zeroed then. */
ward_err ward_dev_chan_open(const ward_crypto *cp, ward_dev_chan *c,
                            const uint8_t *msg, size_t len, uint8_t *data,
                            size_t cap, size_t *data_len);

/* The replay window alone: WARD_OK if seq is fresh (check), and
 * recording it (accept). */
ward_err ward_dev_window_check(const ward_dev_chan *c, uint32_t seq);
void ward_dev_window_accept(ward_dev_chan *c, uint32_t seq);

/* ---- bytes shared by both ends ---- */

/* w0 and w1 from a PIN: ward_kdf(label "dev pin", ikm = pin, context =
 * len-prefixed device id, UDIDx, CliID, salt), 80 bytes reduced by
 * ward_spake2p_w(). */
ward_err ward_dev_pin_w(const ward_crypto *cp, const uint8_t *pin,
                        size_t pin_len, const uint8_t *dev_id,
                        size_t dev_id_len, const uint8_t *udidx,
                        size_t udidx_len, const uint8_t *client_id,
                        size_t client_id_len,
                        const uint8_t salt[WARD_DEV_SALT_LEN],
                        uint8_t w0[WARD_P256_SCALAR_LEN],
                        uint8_t w1[WARD_P256_SCALAR_LEN]);

/* The data key: ward_kdf(label "dev data", ikm = SPAKE2+ shared key,
 * context = the same ids as ward_dev_pin_w()). */
ward_err ward_dev_data_key(const ward_crypto *cp,
                           const uint8_t shared[WARD_SPAKE2P_KEY_LEN],
                           const uint8_t *dev_id, size_t dev_id_len,
                           const uint8_t *udidx, size_t udidx_len,
                           const uint8_t *client_id, size_t client_id_len,
                           const uint8_t salt[WARD_DEV_SALT_LEN],
                           uint8_t key[WARD_DEV_DATA_KEY_LEN]);

/* The PAKE_INIT answer's sealed part: the device's name and type (TLV
 * 0x01, 0x02) under ward_kdf(label "dev open", ikm = data key, context
 * "pake answer"), a key that seals this one message only (the data key
 * is fresh per binding), so the nonce is all zeros and not sent. The AD
 * is ad[0..ad_len) (every byte of the answer before the ciphertext: its
 * header with the key index, shareV and confirmV) then the app name as
 * the device heard it in PIN_REQUEST (one length byte, the name), so the
 * app sees a name changed on the way before it confirms. out receives
 * pt_len + WARD_AEAD_TAG_LEN bytes; open gives WARD_ERR_AUTH (pt zeroed)
 * on any mismatch. */
ward_err ward_dev_pake_seal(const ward_crypto *cp,
                            const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                            const uint8_t *ad, size_t ad_len,
                            const uint8_t *app_name, size_t app_name_len,
                            const uint8_t *pt, size_t pt_len, uint8_t *out,
                            size_t cap, size_t *out_len);
ward_err ward_dev_pake_open(const ward_crypto *cp,
                            const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                            const uint8_t *ad, size_t ad_len,
                            const uint8_t *app_name, size_t app_name_len,
                            const uint8_t *ct, size_t ct_len, uint8_t *pt,
                            size_t cap, size_t *pt_len);

/* Messages sealed under the data key (CHANNEL_OPEN, ATTACH and their
 * answers) carry a random nonce field
 * (tag 0x0E, 13 bytes) and a ciphertext field (tag 0x0F) last; the key is
 * ward_kdf(label "dev open", ikm = data key), the AD every byte before
 * the ciphertext. seal writes header h (body_len set here) and
 * clear[0..clear_len) (TLV fields with tags below 0x0E) before them. */
ward_err ward_dev_seal_msg(const ward_crypto *cp, const ward_random *rng,
                           const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                           ward_hdr *h, const uint8_t *clear, size_t clear_len,
                           const uint8_t *pt, size_t pt_len, uint8_t *out,
                           size_t cap, size_t *out_len);
/* Opens msg, whose body starts at body_off (from ward_hdr_decode): the
 * ciphertext field must be last and the nonce field just before it.
 * *clear_len: bytes of TLV fields before the nonce (they start at
 * body_off). pt receives the plaintext (zeroed on WARD_ERR_AUTH). */
ward_err ward_dev_open_msg(const ward_crypto *cp,
                           const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                           const uint8_t *msg, size_t msg_len,
                           size_t body_off, size_t *clear_len, uint8_t *pt,
                           size_t cap, size_t *pt_len);

#endif /* WARD_DEVICE_H */
