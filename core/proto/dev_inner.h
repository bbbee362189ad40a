/*
 * dev_inner.h - the device's records in the power-safe store and the
 * helpers its flow files share (core/proto/dev_*.c). Not installed. All
 * integers big-endian.
 *
 * 0x0100 identity   the lock's identity record (lock_records.h): priv |
 *                   pub | id_len | id. The device is a ward_lock for its
 *                   identity, activation and request signing.
 * 0x0500 info       name_len (1) | name | type_len (1) | type
 * 0x0501 (retired) count (1) | until_ms (8) | lockouts (1): the lock-out
 *                   of earlier versions. Ignored; removed when the first
 *                   pairing window opens.
 * 0x0502 next key   the next key index to try (1), 1..255
 * 0x0503 window     opened_ms (8) | fails (1) | pin (6 ASCII digits): the
 *                   open pairing window. Absent = none; one that does not
 *                   parse is a closed window.
 * 0x0510 + slot     node: key_index (1) | udidx_len (1) | udidx |
 *                   cid_len (1) | cid | cloud_len (1) | cloud id |
 *                   data_key (32) | bound_at_ms (8) | name_len (1) |
 *                   app name; slot 0..WARD_MAX_NODES-1, the same index as
 *                   the RAM table ward_device_state.nodes[]
 *
 * A binding in progress and the channels are RAM only. Records holding
 * the data key are read into stack buffers wiped before every return.
 */
#ifndef WARD_DEV_INNER_H
#define WARD_DEV_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_device.h"
#include "dev_keys.h"
#include "lock_inner.h"

/* A binding in progress. */
typedef struct ward_dev_binding {
    uint8_t stage;                          /* 0 free, 1 waits for PAKE_INIT,
                                               2 waits for PAKE_FINISH */
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
    uint8_t has_end;                        /* PIN_REQUEST carried 0x03 */
    uint8_t end_commit[WARD_DEV_END_TOKEN_LEN]; /* what PAKE_END must open */
    uint64_t since_ms;                      /* entered its stage */
    ward_spake2p pake;
} ward_dev_binding;

/* The pairing window: a RAM copy of its store record. */
typedef struct ward_dev_win {
    uint8_t open;
    uint8_t closing;                        /* over; its record's removal failed */
    uint8_t fails;                          /* attempts not refunded */
    uint8_t pin[WARD_DEV_PIN_LEN];          /* ASCII digits */
    uint64_t opened_ms;
} ward_dev_win;

/* An open channel. */
typedef struct ward_dev_channel {
    uint8_t used;
    uint8_t node;                           /* index into nodes[] */
    uint32_t channel_id;
    uint32_t last_use;                      /* for eviction, oldest first */
    uint8_t na[WARD_DEV_OPEN_NONCE_LEN];
    uint8_t nd[WARD_DEV_OPEN_NONCE_LEN];
    ward_dev_chan chan;
} ward_dev_channel;

typedef struct ward_device_state {
    ward_lock base;   /* the ports, the store and the identity record */
    ward_dev_node nodes[WARD_MAX_NODES];
    ward_dev_binding bind[WARD_DEV_MAX_BINDINGS];
    ward_dev_channel chans[WARD_DEV_MAX_CHANNELS];
    ward_dev_win win;
    uint32_t use_clock;
} ward_device_state;

/* C99 has no _Static_assert: a negative array size fails the build if a
 * term of WARD_DEVICE_CTX_SIZE is too small for its struct. */
typedef char ward_dev_binding_fits[sizeof(ward_dev_binding) <= WARD_DEV_BINDING_CTX_SIZE ? 1 : -1];
typedef char ward_dev_channel_fits[sizeof(ward_dev_channel) <= WARD_DEV_CHANNEL_CTX_SIZE ? 1 : -1];
typedef char ward_device_state_fits[sizeof(ward_device_state) <= WARD_DEVICE_CTX_SIZE ? 1 : -1];

static inline ward_device_state *dev_st(ward_device *dev)
{
    return (ward_device_state *)(void *)dev->opaque.bytes;
}

static inline const ward_device_state *dev_cst(const ward_device *dev)
{
    return (const ward_device_state *)(const void *)dev->opaque.bytes;
}

/* The state of the lock the device is for its identity and store. */
static inline ward_lock_state *dev_lk(ward_device *dev)
{
    return lock_st(&dev_st(dev)->base);
}

static inline const ward_lock_state *dev_clk(const ward_device *dev)
{
    return lock_cst(&dev_cst(dev)->base);
}

#define DEV_REC_INFO 0x0500u
#define DEV_REC_OLD_LOCKOUT 0x0501u
#define DEV_REC_NEXT_KEY 0x0502u
#define DEV_REC_WINDOW 0x0503u
#define DEV_REC_NODE_FIRST 0x0510u
#define DEV_WINDOW_LEN (8 + 1 + WARD_DEV_PIN_LEN)

/* Binding stages (ward_dev_binding.stage). */
enum { DEV_STAGE_FREE = 0, DEV_STAGE_PIN = 1, DEV_STAGE_PAKE = 2 };

/* Body tags of flow D (docs/protocol.md). */
#define DEV_TAG_NONCE 0x0Eu
#define DEV_TAG_CT 0x0Fu
/* PIN_REQUEST's commitment to the PAKE_END token; PAKE_END's token. */
#define DEV_TAG_END_COMMIT 0x03u
#define DEV_TAG_END_TOKEN 0x01u

/* The layout of a body sealed under the data key (ward_dev_seal_msg):
 * WARD_OK and the length of its clear fields, before any crypto. */
ward_err ward_dev_sealed_layout(const uint8_t *msg, size_t msg_len,
                                size_t body_off, size_t *clear_len);

/* A node record decoded; data_key is a secret the caller wipes. */
typedef struct dev_node_rec {
    ward_dev_node node;                     /* used, ids (no near address) */
    uint8_t data_key[WARD_DEV_DATA_KEY_LEN];
    uint64_t bound_at_ms;
    uint8_t name[WARD_DEV_APP_NAME_MAX];
    size_t name_len;
} dev_node_rec;

size_t ward_dev_node_encode(const dev_node_rec *r,
                            uint8_t out[WARD_DEV_NODE_REC_MAX]);
ward_err ward_dev_node_read(const ward_device *dev, size_t slot,
                            dev_node_rec *r);

ward_err ward_dev_now(const ward_device *dev, uint64_t *now);

/* ---- the pairing window (dev_window.c) ---- */

/* Loads the window record into dev->win (at open). */
void ward_dev_window_load(ward_device *dev);
/* The window record for w with fails attempts spent. */
void ward_dev_window_encode(const ward_dev_win *w, uint8_t fails,
                            uint8_t out[DEV_WINDOW_LEN]);
/* Closes the window if it is over at now (time run out, or its attempts
 * spent and no binding in its PAKE), or tries again a closing whose
 * store removal failed; true if it is open after. */
bool ward_dev_window_sync(ward_device *dev, uint64_t now, ward_err *err);
/* Whether a binding may still spend an attempt. */
bool ward_dev_window_has_attempts(const ward_device *dev);
/* Counts one attempt in the store (before the answer that lets a
 * guesser test a PIN); dev->win moves only once it is stored. */
ward_err ward_dev_window_count(ward_device *dev);
/* A binding that is over: wipes it (its slot is free). */
void ward_dev_bind_free(ward_dev_binding *b);
/* A binding still alive at now: waiting for PAKE_INIT while the window
 * is open, or for PAKE_FINISH for WARD_DEV_PAKE_TTL_MS. */
bool ward_dev_bind_live(const ward_device *dev, const ward_dev_binding *b,
                        uint64_t now);

/* The node bound under key_index whose CliID is cid: its slot.
 * WARD_ERR_NOTFOUND otherwise. */
ward_err ward_dev_node_find(const ward_device *dev, uint8_t key_index,
                            const uint8_t *cid, size_t cid_len, size_t *slot);

/* Closes every channel of node slot. */
void ward_dev_channels_close(ward_device *dev, size_t slot);

/* The answer header for h (type, CliID, key index echoed). */
void ward_dev_answer_hdr(const ward_hdr *in, uint8_t type, uint8_t flags,
                         ward_hdr *out);
/* An error answer to h carrying err. */
ward_err ward_dev_error_answer(const ward_hdr *in, ward_err err, uint8_t *out,
                               size_t cap, size_t *out_len);
/* Header and TLV body built by w: one message. */
ward_err ward_dev_plain_answer(const ward_hdr *h, const uint8_t *body,
                               size_t body_len, uint8_t *out, size_t cap,
                               size_t *out_len);

/* The flows, called by ward_dev_handle() after the header parsed. */
ward_err ward_dev_on_pin_request(ward_device *dev, uint8_t kind,
                                 const uint8_t *tid, size_t tid_len,
                                 const ward_hdr *h, const uint8_t *body,
                                 uint8_t *out, size_t cap, size_t *out_len,
                                 ward_dev_event *ev);
ward_err ward_dev_on_pake_init(ward_device *dev, uint8_t kind,
                               const uint8_t *tid, size_t tid_len,
                               const ward_hdr *h, const uint8_t *body,
                               uint8_t *out, size_t cap, size_t *out_len,
                               ward_dev_event *ev);
ward_err ward_dev_on_pake_finish(ward_device *dev, uint8_t kind,
                                 const uint8_t *tid, size_t tid_len,
                                 const ward_hdr *h, const uint8_t *msg,
                                 size_t msg_len, size_t body_off,
                                 uint8_t *out, size_t cap, size_t *out_len,
                                 ward_dev_event *ev);
ward_err ward_dev_on_pake_end(ward_device *dev, uint8_t kind,
                              const uint8_t *tid, size_t tid_len,
                              const ward_hdr *h, const uint8_t *body,
                              uint8_t *out, size_t cap, size_t *out_len);
/* A node's messages: *authentic turns true once the message verified
 * under the node's key; only then is an error answered. */
ward_err ward_dev_on_channel_open(ward_device *dev, size_t slot,
                                  const ward_hdr *h, const uint8_t *msg,
                                  size_t msg_len, size_t body_off,
                                  uint8_t *out, size_t cap, size_t *out_len,
                                  ward_dev_event *ev, bool *authentic);
ward_err ward_dev_on_command(ward_device *dev, size_t slot, const uint8_t *msg,
                             size_t msg_len, ward_dev_event *ev,
                             bool *authentic);
/* ATTACH, a channel message like COMMAND (its channel's replay window
 * refuses a replay): records the cloud id and answers in the channel. */
ward_err ward_dev_on_attach(ward_device *dev, size_t slot, const uint8_t *msg,
                            size_t msg_len, uint8_t *out, size_t cap,
                            size_t *out_len, ward_dev_event *ev,
                            bool *authentic);

#endif /* WARD_DEV_INNER_H */
