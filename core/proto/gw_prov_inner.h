/*
 * gw_prov_inner.h - flow C's LAN hand-over: the two sides' private state
 * and the helpers they share (core/proto/gw_prov*.c). Not installed; the
 * unit tests and fuzz harnesses include it.
 *
 * Store records (all integers big-endian):
 * 0x0400 wifi      ssid_len (1) | ssid | psk_len (1) | psk: the committed
 *                  credentials. Absent: none (provisioning mode).
 * 0x0401 failure   the last join's WARD_GW_FAIL_* code (1).
 * Sessions, the pending join and the PoP back-off are RAM only.
 */
#ifndef WARD_GW_PROV_INNER_H
#define WARD_GW_PROV_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_codec.h"
#include "ward/ward_gw_prov.h"
#include "ward/ward_records.h"
#include "ward/ward_store.h"
#include "ward/ward_suite.h"
#include "gw_msg.h"

#define GW_REC_WIFI 0x0400u
#define GW_REC_FAILURE 0x0401u
typedef char gw_rec_in_range[GW_REC_FAILURE <= 0x047Fu && GW_REC_WIFI >= WARD_REC_GW_FIRST
                             ? 1 : -1];

#define GW_DIR_APP 0x01u            /* nonce byte: app -> gateway */
#define GW_DIR_GW 0x02u             /* nonce byte: gateway -> app */
#define GW_CMD_SEARCH_DEVICE 0x01u  /* SEARCH's command field */
#define GW_INFO_PT_MAX 96           /* device info plaintext */
#define GW_PT_MAX 448               /* any request or answer plaintext */
#define GW_SEARCH_MAX 192           /* SEARCH and its answer */
#define GW_LAN_CTX_LEN (WARD_GW_MAC_LEN + 2 * WARD_P256_POINT_LEN + 2 * WARD_GW_NONCE_LEN)

/* SEARCH body tags. */
#define GW_T_MAC 0x01u
#define GW_T_PUB 0x02u
#define GW_T_NONCE 0x03u
#define GW_T_CMD 0x04u
#define GW_T_PROOF 0x05u
/* Its answer: 0x01 pub, 0x02 nonce, 0x03 sealed info. TCP: 0x01 sealed. */
#define GW_T_SEALED 0x03u

/* One app's LAN keys, on the gateway. */
typedef struct gw_sess {
    bool used;
    uint8_t k_ag[WARD_GW_KEY_LEN];          /* app -> gateway */
    uint8_t k_ga[WARD_GW_KEY_LEN];          /* gateway -> app */
    uint32_t last_seq;                      /* highest request answered, 0: none */
    uint8_t last_digest[32];                /* SHA-256 of that request */
    bool owed;                              /* its answer waits for the caller */
    uint8_t owed_type;
    uint16_t reply_len;
    uint8_t reply[WARD_GW_PROV_MSG_MAX];    /* that request's answer */
} gw_sess;

typedef struct ward_gw_prov_state {
    const ward_crypto *cp;
    ward_random rng;
    ward_store store;
    ward_gw_prov_config cfg;
    uint8_t kp[32];                         /* the SEARCH proof key */
    /* the last SEARCH answered, for retransmissions */
    uint8_t search_digest[32];
    uint16_t search_reply_len;
    uint8_t search_reply[GW_SEARCH_MAX];
    gw_sess est;                            /* the app that holds the link */
    gw_sess pend;                           /* answered a SEARCH, not yet proven */
    /* Wi-Fi */
    uint8_t wifi_state;
    uint8_t last_failure;
    uint8_t ssid_len, psk_len;
    uint8_t ssid[WARD_GW_SSID_MAX];
    uint8_t psk[WARD_GW_PSK_MAX];
    uint64_t failsafe_at;
    /* PoP back-off */
    uint32_t pop_fails;
    uint64_t pop_until;
    uint8_t nscan;
    ward_gw_ssid scan[WARD_GW_SCAN_MAX];
    uint16_t pt_len;
    uint8_t pt[GW_PT_MAX];                  /* the opened request an event points into */
} ward_gw_prov_state;
typedef char ward_gw_prov_fits[sizeof(ward_gw_prov_state) <= WARD_GW_PROV_CTX_SIZE ? 1 : -1];

typedef struct ward_gw_app_state {
    const ward_crypto *cp;
    uint8_t stage;                          /* 0 none, 1 searching, 2 linked */
    uint8_t mac[WARD_GW_MAC_LEN];
    uint8_t pop[WARD_GW_POP_LEN];
    uint8_t priv[WARD_P256_SCALAR_LEN];     /* wiped once the keys are made */
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t nonce[WARD_GW_NONCE_LEN];
    uint8_t k_ag[WARD_GW_KEY_LEN];
    uint8_t k_ga[WARD_GW_KEY_LEN];
    uint32_t seq;                           /* the last request's */
    uint8_t type;                           /* the last request's */
} ward_gw_app_state;
typedef char ward_gw_app_fits[sizeof(ward_gw_app_state) <= WARD_GW_APP_CTX_SIZE ? 1 : -1];

/* The SEARCH proof key: ward_kdf("gw pop", PoP, context mac), 32 bytes. */
ward_err gw_pop_key(const ward_crypto *cp, const uint8_t pop[WARD_GW_POP_LEN],
                    const uint8_t mac[WARD_GW_MAC_LEN], uint8_t kp[32]);
/* The first 16 bytes of HMAC-SHA256(kp, msg[0..len)). */
ward_err gw_proof(const ward_crypto *cp, const uint8_t kp[32], const uint8_t *msg, size_t len,
                  uint8_t proof[WARD_GW_PROOF_LEN]);
/* k_ag || k_ga = ward_kdf("gw lan", ikm = ecdh_x || PoP,
 * context = mac || A || Na || G || Ng). */
ward_err gw_lan_keys(const ward_crypto *cp, const uint8_t shared[WARD_P256_SHARED_LEN],
                     const uint8_t pop[WARD_GW_POP_LEN], const uint8_t mac[WARD_GW_MAC_LEN],
                     const uint8_t a_pub[WARD_P256_POINT_LEN],
                     const uint8_t na[WARD_GW_NONCE_LEN],
                     const uint8_t g_pub[WARD_P256_POINT_LEN],
                     const uint8_t ng[WARD_GW_NONCE_LEN], uint8_t k_ag[WARD_GW_KEY_LEN],
                     uint8_t k_ga[WARD_GW_KEY_LEN]);
/* A TCP message: header (type, flags | SEALED, key index 0, seq, no
 * extension) || 0x01 AEAD(key, nonce(dir, seq), ad = header, pt). */
ward_err gw_seal_msg(const ward_crypto *cp, const uint8_t key[WARD_GW_KEY_LEN], uint8_t dir,
                     uint8_t type, uint8_t flags, uint32_t seq, const uint8_t *pt,
                     size_t pt_len, uint8_t *out, size_t cap, size_t *out_len);
/* Reads a TCP message's header and its one sealed field without opening
 * it: WARD_ERR_FORMAT for anything else. */
ward_err gw_parse_msg(const uint8_t *in, size_t len, ward_hdr *h, const uint8_t **sealed,
                      size_t *sealed_len);
/* Opens the sealed field of a message gw_parse_msg() read. */
ward_err gw_open_msg(const ward_crypto *cp, const uint8_t key[WARD_GW_KEY_LEN], uint8_t dir,
                     const uint8_t *in, const ward_hdr *h, const uint8_t *sealed,
                     size_t sealed_len, uint8_t *pt, size_t cap, size_t *pt_len);
/* An unsealed error answer: header (type, REPLY | ERROR, seq) || 0x01 code. */
ward_err gw_error_msg(uint8_t type, uint32_t seq, ward_err code, uint8_t *out, size_t cap,
                      size_t *out_len);
/* The error body's code, checked to be a known class. */
ward_err gw_error_code(const uint8_t *body, size_t len, ward_err *code);

/* SEARCH, parsed (pointers into the message). */
typedef struct gw_search {
    const uint8_t *mac, *pub, *nonce, *proof;
    size_t proof_off;                       /* where the proof field starts */
} gw_search;
ward_err gw_search_parse(const uint8_t *in, size_t len, gw_search *s);
/* SEARCH's answer, parsed. */
typedef struct gw_search_ans {
    ward_hdr h;
    const uint8_t *pub, *nonce, *sealed;
    size_t sealed_len, ad_len;
    const uint8_t *err_body;                /* an error answer: its body */
    size_t err_len;
} gw_search_ans;
ward_err gw_search_ans_parse(const uint8_t *in, size_t len, gw_search_ans *a);
/* Device info plaintext. */
ward_err gw_info_encode(const ward_gw_info *info, uint8_t *out, size_t cap, size_t *len);
ward_err gw_info_parse(const uint8_t *pt, size_t len, ward_gw_info *info);
/* Plaintext bodies of the TCP requests and answers (by type and flags). */
ward_err gw_list_encode(const ward_gw_ssid *list, size_t n, uint8_t *out, size_t cap,
                        size_t *len);
ward_err gw_list_parse(const uint8_t *pt, size_t len, ward_gw_ssid *list, size_t *n);
ward_err gw_wifi_set_parse(const uint8_t *pt, size_t len, const uint8_t **ssid,
                           size_t *ssid_len, const uint8_t **psk, size_t *psk_len);
ward_err gw_state_encode(uint8_t state, uint8_t failure, uint8_t *out, size_t cap, size_t *len);
ward_err gw_state_parse(const uint8_t *pt, size_t len, uint8_t *state, uint8_t *failure);
/* 0x01 payload (min..max bytes). */
ward_err gw_payload_parse(const uint8_t *pt, size_t len, size_t max, const uint8_t **p,
                          size_t *n);
ward_err gw_payload_encode(const uint8_t *p, size_t n, uint8_t *out, size_t cap, size_t *len);

#endif /* WARD_GW_PROV_INNER_H */
