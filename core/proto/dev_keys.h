/*
 * dev_keys.h - flow D's key schedule and channel primitives, shared by the
 * device's half (dev_*.c) and the app's half (dev_app*.c) of the core, so
 * both ends derive, seal, count and check replays one way. Not installed:
 * neither a device maker nor an app calls these (ward_device.h and
 * ward_dev_app.h are their interfaces); the unit tests and fuzz harnesses
 * include it to build messages a peer would send. The formats are in
 * docs/protocol.md, "Flow D".
 */
#ifndef WARD_DEV_KEYS_H
#define WARD_DEV_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_device.h"

/* ---- channel primitives ---- */

/* One direction pair of a channel, the same shape on both ends (the
 * device's ward_dev_channel, the app's ward_pair_channel). seq 0 is
 * never sent; the receive window remembers the highest seq accepted and
 * which of the 64 below it were seen. */
typedef struct ward_dev_chan {
    uint8_t tx_key[WARD_AEAD_KEY_LEN];
    uint8_t rx_key[WARD_AEAD_KEY_LEN];
    uint32_t tx_seq;      /* the last seq sent */
    uint32_t rx_high;     /* the highest seq accepted, 0 before any */
    uint64_t rx_seen;     /* bit i: rx_high - i was accepted */
} ward_dev_chan;

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

/* ---- the key schedule ---- */

/* The commitment to a PAKE_END token (PIN_REQUEST field 0x03):
 * ward_kdf(label "dev end", ikm = token, no salt, no context), 16 bytes.
 * Only the app that drew the token can end its binding. */
ward_err ward_dev_end_commit(const ward_crypto *cp,
                             const uint8_t token[WARD_DEV_END_TOKEN_LEN],
                             uint8_t commit[WARD_DEV_END_TOKEN_LEN]);

/* The SPAKE2+ context both ends bind into the transcript, without its
 * NUL: it names the protocol, so a transcript of ours is never one of
 * another protocol's. */
#define WARD_DEV_PAKE_CONTEXT "ward/1 flow D pair"
#define WARD_DEV_PAKE_CONTEXT_LEN (sizeof WARD_DEV_PAKE_CONTEXT - 1)


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

#endif /* WARD_DEV_KEYS_H */
