/*
 * dev_inner.h - the device's records in the power-safe store and the
 * helpers its flow files share (core/proto/dev_*.c). Not installed. All
 * integers big-endian.
 *
 * 0x0100 identity   the lock's identity record (lock_records.h): priv |
 *                   pub | id_len | id. The device is a ward_lock for its
 *                   identity, activation and request signing.
 * 0x0500 info       name_len (1) | name | type_len (1) | type
 * 0x0501 attempts   count (1) | until_ms (8) | lockouts (1): PIN attempts
 *                   since the last binding or lock-out; binding refused
 *                   until until_ms; lock-outs since the last binding.
 *                   Absent = all zero.
 * 0x0502 next key   the next key index to try (1), 1..255
 * 0x0510 + slot     node: key_index (1) | udidx_len (1) | udidx |
 *                   cid_len (1) | cid | cloud_len (1) | cloud id |
 *                   data_key (32) | bound_at_ms (8) | name_len (1) |
 *                   app name; slot 0..WARD_MAX_NODES-1, the same index as
 *                   the RAM table ward_device.nodes[]
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

#define DEV_REC_INFO 0x0500u
#define DEV_REC_ATTEMPTS 0x0501u
#define DEV_REC_NEXT_KEY 0x0502u
#define DEV_REC_NODE_FIRST 0x0510u
#define DEV_ATTEMPTS_LEN 10

/* Body tags of flow D (docs/protocol.md). */
#define DEV_TAG_NONCE 0x0Eu
#define DEV_TAG_CT 0x0Fu

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

/* The attempts record (absent: zeros). */
typedef struct dev_attempts {
    uint8_t count;
    uint64_t until_ms;
    uint8_t lockouts;
} dev_attempts;
ward_err ward_dev_attempts_read(const ward_device *dev, dev_attempts *a);
void ward_dev_attempts_encode(const dev_attempts *a,
                              uint8_t out[DEV_ATTEMPTS_LEN]);
ward_err ward_dev_now(const ward_device *dev, uint64_t *now);

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
                              const ward_hdr *h, uint8_t *out, size_t cap,
                              size_t *out_len);
ward_err ward_dev_on_channel_open(ward_device *dev, size_t slot,
                                  const ward_hdr *h, const uint8_t *msg,
                                  size_t msg_len, size_t body_off,
                                  uint8_t *out, size_t cap, size_t *out_len,
                                  ward_dev_event *ev);
ward_err ward_dev_on_command(ward_device *dev, size_t slot, const uint8_t *msg,
                             size_t msg_len, ward_dev_event *ev);
ward_err ward_dev_on_attach(ward_device *dev, size_t slot, const ward_hdr *h,
                            const uint8_t *msg, size_t msg_len,
                            size_t body_off, uint8_t *out, size_t cap,
                            size_t *out_len, ward_dev_event *ev);

#endif /* WARD_DEV_INNER_H */
