/*
 * gw_sub_inner.h - what the sub-device and gateway halves of flow C's
 * sub-device link share: field tags, key derivations, the sealed channel
 * with its replay window. Not installed; the fuzz harnesses include it.
 */
#ifndef WARD_GW_SUB_INNER_H
#define WARD_GW_SUB_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_gw_sub.h"
#include "gw_msg.h"

/* JOIN */
#define GWS_J_ID 0x01u
#define GWS_J_PUB 0x02u
#define GWS_J_NONCE 0x03u
#define GWS_J_ACT 0x04u
#define GWS_J_CHAL 0x05u
/* JOIN reply */
#define GWS_JR_ID 0x01u
#define GWS_JR_NONCE 0x02u
#define GWS_JR_GEN 0x03u
#define GWS_JR_SEALED 0x04u
#define GWS_JR_SEALED_LEN (WARD_GW_SUB_KEY_LEN + WARD_SEAL_OVERHEAD)
#define GWS_JR_AD_LEN (WARD_GW_SUB_JOIN_REPLY_LEN - WARD_TLV_SIZE(GWS_JR_SEALED_LEN))
/* HELLO and its reply */
#define GWS_H_ID 0x01u
#define GWS_H_GEN 0x02u
#define GWS_H_NONCE 0x03u
#define GWS_HR_ID 0x01u
#define GWS_HR_NONCE 0x02u
#define GWS_HR_CONFIRM 0x03u
#define GWS_HR_AD_LEN (WARD_GW_SUB_HELLO_REPLY_LEN - WARD_TLV_SIZE(WARD_AEAD_TAG_LEN))
/* DATA, LEAVE */
#define GWS_P_ID 0x01u
#define GWS_P_SEALED 0x02u
#define GWS_P_AD_LEN (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SUB_ID_LEN))
/* CHALLENGE and its reply */
#define GWS_C_ID 0x01u
#define GWS_C_CHAL 0x02u
/* REFUSED */
#define GWS_R_ID 0x01u
#define GWS_R_CODE 0x02u

/* Nonce direction bytes. */
#define GWS_DIR_UP 0x01u     /* sub-device -> gateway */
#define GWS_DIR_DOWN 0x02u   /* gateway -> sub-device */

/* One sealed channel, as either end holds it. */
typedef struct gws_chan {
    bool open;
    uint8_t tx_dir;
    uint32_t tx_seq;        /* last sent */
    uint32_t rx_top;        /* highest accepted */
    uint64_t rx_seen;       /* bit i: rx_top - i accepted */
    uint8_t k_tx[WARD_AEAD_KEY_LEN];
    uint8_t k_rx[WARD_AEAD_KEY_LEN];
} gws_chan;

/* JOIN's structure (signature not checked): f[0..6). */
#define GWS_JOIN_NFIELDS 6
ward_err gws_join_parse(const uint8_t *msg, size_t len, ward_tlv_field f[GWS_JOIN_NFIELDS]);
/* A CHALLENGE (flags 0: the ask, f[0] sub_id) or its reply (flags REPLY:
 * f[0] sub_id, f[1] challenge). */
ward_err gws_challenge_parse(const uint8_t *msg, size_t len, uint8_t flags, ward_tlv_field f[2]);
ward_err gws_challenge_encode(const uint8_t sub_id[WARD_GW_SUB_ID_LEN], const uint8_t *chal,
                              uint8_t *out, size_t cap, size_t *len);
/* key = kdf("gw sub key", ikm = localkey, context = sub_id || sub_pub || gen). */
ward_err gws_subkey(const ward_crypto *cp, const uint8_t localkey[WARD_GW_SUB_LOCALKEY_LEN],
                    const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                    const uint8_t sub_pub[WARD_P256_POINT_LEN], uint32_t gen,
                    uint8_t key[WARD_GW_SUB_KEY_LEN]);
/* The channel's keys from the sub-device key and both nonces; tx_dir is
 * the caller's direction. Counters start at 0. */
ward_err gws_chan_keys(gws_chan *c, const ward_crypto *cp, const uint8_t key[WARD_GW_SUB_KEY_LEN],
                       const uint8_t sub_id[WARD_GW_SUB_ID_LEN], uint32_t gen,
                       const uint8_t nonce_s[WARD_GW_SUB_NONCE_LEN],
                       const uint8_t nonce_g[WARD_GW_SUB_NONCE_LEN], uint8_t tx_dir);
/* The HELLO reply, confirm included (deterministic: a retransmission
 * gets the same bytes). */
ward_err gws_hello_reply(const gws_chan *c, const ward_crypto *cp,
                         const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                         const uint8_t nonce_g[WARD_GW_SUB_NONCE_LEN], uint8_t *out, size_t cap,
                         size_t *len);
/* DATA/LEAVE: header and sub_id field; f[0] sub_id, f[1] sealed. */
ward_err gws_packet_parse(const uint8_t *msg, size_t len, ward_hdr *h, ward_tlv_field f[2]);
ward_err gws_seal(gws_chan *c, const ward_crypto *cp, const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                  uint8_t type, const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                  size_t *len);
/* Opens a parsed packet of the peer's direction: WARD_ERR_AUTH forged or
 * replayed (seq at or below the window, or seen). */
ward_err gws_open(gws_chan *c, const ward_crypto *cp, const uint8_t *msg, const ward_hdr *h,
                  const ward_tlv_field f[2], uint8_t *out, size_t cap, size_t *out_len);
ward_err gws_refused_encode(const uint8_t sub_id[WARD_GW_SUB_ID_LEN], uint8_t code,
                            uint8_t *out, size_t cap, size_t *len);
void gws_chan_wipe(gws_chan *c);

#endif /* WARD_GW_SUB_INNER_H */
