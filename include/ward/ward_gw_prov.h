/*
 * ward_gw_prov.h - flow C, stage 1: a gateway's discovery and Wi-Fi
 * hand-over on the LAN (seed 002), both halves, sans-I/O and heap-free.
 *
 * The gateway prints a QR code (ward_gw_qr_encode) with its MAC and a
 * 16-byte proof-of-possession secret (PoP) and opens a SoftAP named
 * brand_category_XXYYZZ (ward_gw_softap_ssid). The app scans the QR code,
 * joins the SoftAP and broadcasts SEARCH (UDP): its ephemeral P-256 key,
 * a nonce and a proof made from the PoP. The gateway answers with its own
 * ephemeral key and its device info sealed under the LAN keys, which come
 * from ECDH *and* the PoP: a relay that swaps either public key knows no
 * PoP and is caught on both sides. Then, over TCP, every request is
 * sealed app -> gateway and every answer gateway -> app, each direction
 * with its own key and counter: the SSID list, WIFI_SET {ssid, psk},
 * WIFI_STATUS, WIFI_COMMIT, and two payloads the cloud stage defines and
 * this stage only carries (CLAIM, CREDENTIALS). docs/protocol.md, "Discovery
 * and Wi-Fi hand-over", gives the bytes.
 *
 * Gateway (ward_gw_prov):
 *     ward_gw_prov_open(&gw, cp, &rng, &store_port, &cfg);
 *     ward_gw_prov_set_scan(&gw, list, n);        // what the radio sees
 *     on a datagram:  ward_gw_prov_udp(&gw, now, in, n, out, cap, &len);
 *     on a TCP frame: ward_gw_prov_tcp(&gw, now, in, n, &ev, out, cap, &len);
 *         ev JOIN: try the station join, then ward_gw_prov_join_result();
 *         ev CLAIM / CREDENTIALS: ward_gw_prov_answer(&gw, bytes, ...);
 *     now and then:   ward_gw_prov_tick(&gw, now, &ev);  // the fail-safe
 * Send out whenever *len > 0, whatever the result: a refusal is an answer
 * too. Every step is idempotent: the same request bytes get the same
 * answer bytes (cached), never a second sealing under the same counter.
 * Wi-Fi credentials reach the store only at WIFI_COMMIT, after the join
 * was reported; a fail-safe forgets them otherwise, and a wrong password
 * leaves the gateway ready for the next WIFI_SET without a reset.
 *
 * App (ward_gw_app):
 *     ward_gw_qr_parse(text, n, &qr);
 *     ward_gw_app_start(&app, cp, &rng, &qr, search, cap, &len);  // broadcast
 *     ward_gw_app_search_reply(&app, in, n, &info);    // info.tcp_port
 *     ward_gw_app_list(&app, out, cap, &len);  ...  ward_gw_app_reply(&app, in, n, &ans);
 * A request is retransmitted as the same bytes (the caller keeps them).
 * Contexts are opaque, hold no pointer into the caller's memory but the
 * ports, and are wiped by ward_gw_prov_close() / ward_gw_app_wipe().
 */
#ifndef WARD_GW_PROV_H
#define WARD_GW_PROV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_attr.h"
#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_random.h"
#include "ward_store_port.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Message types (common header, docs/protocol.md). */
#define WARD_MSG_GW_SEARCH 0x40u       /* UDP: app -> gateway, and its answer */
#define WARD_MSG_GW_SSID_LIST 0x41u    /* TCP, sealed: the SSIDs the gateway sees */
#define WARD_MSG_GW_WIFI_SET 0x42u     /* TCP, sealed: ssid and psk to join */
#define WARD_MSG_GW_WIFI_STATUS 0x43u  /* TCP, sealed: how the join went */
#define WARD_MSG_GW_WIFI_COMMIT 0x44u  /* TCP, sealed: keep the credentials */
#define WARD_MSG_GW_LAN_CLAIM 0x45u    /* TCP, sealed: carries the cloud claim */
#define WARD_MSG_GW_LAN_CREDENTIALS 0x46u /* TCP, sealed: carries cloud credentials */

#define WARD_GW_UDP_PORT 10071u        /* the gateway listens for SEARCH here */
#define WARD_GW_MAC_LEN 6
#define WARD_GW_POP_LEN 16
#define WARD_GW_UUID_LEN 16
#define WARD_GW_HASH_LEN 32
#define WARD_GW_NONCE_LEN 16
#define WARD_GW_PROOF_LEN 16
#define WARD_GW_KEY_LEN 16
#define WARD_GW_BRAND_MAX 12           /* [A-Za-z0-9-], 1..12 */
#define WARD_GW_CATEGORY_MAX 12
#define WARD_GW_SOFTAP_SSID_MAX 32     /* brand _ category _ 6 hex digits */
#define WARD_GW_QR_MAX 96
#define WARD_GW_SSID_MAX 32            /* a Wi-Fi SSID, 1..32 bytes */
#define WARD_GW_PSK_MIN 8              /* WPA2 passphrase 8..63, or 64 hex */
#define WARD_GW_PSK_MAX 64             /* 0 = an open network */
#define WARD_GW_SCAN_MAX 12            /* SSIDs in one list */
#define WARD_GW_CLAIM_MAX 128          /* cloud payloads carried, not read */
#define WARD_GW_REGISTRATION_MAX 400
#define WARD_GW_CREDENTIALS_MAX 320
#define WARD_GW_ACK_MAX 64
#define WARD_GW_LAN_PAYLOAD_MAX 400    /* the largest of the four */
#define WARD_GW_PROV_MSG_MAX 512       /* any message of this stage */
#define WARD_GW_FAILSAFE_MS_DEFAULT 120000u
#define WARD_GW_POP_FREE_FAILS 5       /* then a back-off, see protocol.md */

/* Wi-Fi state (device info, WIFI_* answers). */
typedef enum ward_gw_wifi_state {
    WARD_GW_WIFI_IDLE = 0,       /* no credentials: provisioning mode */
    WARD_GW_WIFI_JOINING = 1,    /* WIFI_SET taken, the station join runs */
    WARD_GW_WIFI_JOINED = 2,     /* joined; kept only after WIFI_COMMIT */
    WARD_GW_WIFI_FAILED = 3,     /* the join failed: send WIFI_SET again */
    WARD_GW_WIFI_COMMITTED = 4   /* credentials stored */
} ward_gw_wifi_state;

/* Why the last join failed (device info, WIFI_STATUS). */
#define WARD_GW_FAIL_NONE 0u
#define WARD_GW_FAIL_NO_SSID 1u      /* no such network in range */
#define WARD_GW_FAIL_PSK 2u          /* the network refused the password */
#define WARD_GW_FAIL_TIMEOUT 3u      /* no answer from the access point */
#define WARD_GW_FAIL_ROLLBACK 4u     /* joined, but no WIFI_COMMIT in time */
#define WARD_GW_FAIL_OTHER 5u
#define WARD_GW_FAIL_MAX 5u

/* ---- QR code and SoftAP name ---- */

typedef struct ward_gw_qr {
    uint8_t mac[WARD_GW_MAC_LEN];
    uint8_t pop[WARD_GW_POP_LEN];          /* secret: wipe after use */
    char brand[WARD_GW_BRAND_MAX + 1];
    char category[WARD_GW_CATEGORY_MAX + 1];
} ward_gw_qr;

/* "WGW1:" mac (12 hex) ":" pop (32 hex) ":" brand ":" category, hex in
 * lower case; out gets a NUL after *len bytes. WARD_ERR_FORMAT for a brand
 * or category that is not 1..12 of [A-Za-z0-9-]. */
WARD_MUST_CHECK
ward_err ward_gw_qr_encode(const ward_gw_qr *qr, char *out, size_t cap, size_t *len);
/* The strict reverse (exactly that text, upper-case hex refused):
 * WARD_ERR_FORMAT otherwise, qr zeroed. */
WARD_MUST_CHECK
ward_err ward_gw_qr_parse(const char *in, size_t len, ward_gw_qr *qr);
/* brand "_" category "_" the last 3 MAC bytes in upper-case hex. */
WARD_MUST_CHECK
ward_err ward_gw_softap_ssid(const char *brand, const char *category,
                             const uint8_t mac[WARD_GW_MAC_LEN], char *out, size_t cap,
                             size_t *len);

/* ---- the gateway ---- */

typedef struct ward_gw_prov_config {
    uint8_t mac[WARD_GW_MAC_LEN];
    uint8_t uuid[WARD_GW_UUID_LEN];
    uint8_t pop[WARD_GW_POP_LEN];
    uint8_t hash[WARD_GW_HASH_LEN];        /* the ownership check's (flow C); zeros until then */
    uint16_t tcp_port;                     /* where the app connects, 1..65535 */
    bool reset_flag;                       /* a user reset brought it here */
    uint32_t failsafe_ms;                  /* 0: WARD_GW_FAILSAFE_MS_DEFAULT */
} ward_gw_prov_config;

/* One network of the scan. */
typedef struct ward_gw_ssid {
    uint8_t ssid[WARD_GW_SSID_MAX];
    uint8_t ssid_len;                      /* 1..32 */
    int8_t rssi;                           /* dBm */
} ward_gw_ssid;

typedef enum ward_gw_event_type {
    WARD_GW_EV_NONE = 0,
    WARD_GW_EV_JOIN = 1,         /* join ssid/psk now; report with join_result */
    WARD_GW_EV_CLAIM = 2,        /* data: the claim; answer the registration request */
    WARD_GW_EV_CREDENTIALS = 3,  /* data: the credentials; answer the ack */
    WARD_GW_EV_COMMITTED = 4,    /* the credentials are stored */
    WARD_GW_EV_ROLLBACK = 5      /* the fail-safe fired: leave the network joined */
} ward_gw_event_type;

/* Pointers into the context, valid until the next call on it. */
typedef struct ward_gw_event {
    ward_gw_event_type type;
    const uint8_t *data;
    size_t len;
    const uint8_t *ssid;
    size_t ssid_len;
    const uint8_t *psk;                    /* secret */
    size_t psk_len;
} ward_gw_event;

typedef struct ward_gw_status {
    ward_gw_wifi_state state;
    uint8_t last_failure;                  /* WARD_GW_FAIL_* */
    uint8_t ssid[WARD_GW_SSID_MAX];
    uint8_t ssid_len;
} ward_gw_status;

/* The state (nothing in it follows ward_config.h), its store and ports:
 * 11 pointers, and 8 bytes for a 32-bit target's padding. */
#define WARD_GW_PROV_CTX_SIZE (2536 + 11 * sizeof(void *))
typedef struct ward_gw_prov {
    WARD_OPAQUE(WARD_GW_PROV_CTX_SIZE);
} ward_gw_prov;

/* Opens the store (Wi-Fi credentials, last failure) and takes cfg.
 * WARD_ERR_PARAM for a zero tcp_port, WARD_ERR_IO if the port fails,
 * WARD_ERR_FORMAT for a record that does not parse. cp, rng and the port
 * must outlive the context. */
WARD_MUST_CHECK
ward_err ward_gw_prov_open(ward_gw_prov *gw, const ward_crypto *cp, const ward_random *rng,
                           const ward_store_port *port, const ward_gw_prov_config *cfg);
void ward_gw_prov_close(ward_gw_prov *gw);
/* The networks the SSID list answers with (at most WARD_GW_SCAN_MAX). */
WARD_MUST_CHECK
ward_err ward_gw_prov_set_scan(ward_gw_prov *gw, const ward_gw_ssid *list, size_t n);
/* A datagram to WARD_GW_UDP_PORT. WARD_OK with the answer; WARD_ERR_NOTFOUND
 * (no answer) for a SEARCH naming another MAC; WARD_ERR_FORMAT (no answer)
 * for what does not parse; WARD_ERR_AUTH for a wrong proof and
 * WARD_ERR_LOCKED during a back-off, each with an error answer. */
WARD_MUST_CHECK
ward_err ward_gw_prov_udp(ward_gw_prov *gw, uint64_t now_ms, const uint8_t *in, size_t len,
                          uint8_t *out, size_t cap, size_t *out_len);
/* One message of the TCP link (without its 2-byte length). WARD_OK with an
 * answer or an event; a refusal returns its class, with a sealed error
 * answer when the request was authentic, an unsealed AUTH answer when it
 * did not open, and none for a replay (WARD_ERR_AUTH) or a retransmission
 * whose answer the caller still owes (WARD_ERR_BUSY). */
WARD_MUST_CHECK
ward_err ward_gw_prov_tcp(ward_gw_prov *gw, uint64_t now_ms, const uint8_t *in, size_t len,
                          ward_gw_event *ev, uint8_t *out, size_t cap, size_t *out_len);
/* The caller's answer to a CLAIM (1..WARD_GW_REGISTRATION_MAX bytes) or
 * CREDENTIALS (1..WARD_GW_ACK_MAX) event, sealed into out. WARD_ERR_STATE
 * if none is owed. */
WARD_MUST_CHECK
ward_err ward_gw_prov_answer(ward_gw_prov *gw, const uint8_t *ans, size_t ans_len,
                             uint8_t *out, size_t cap, size_t *out_len);
/* The caller cannot answer (its code goes back, sealed). */
WARD_MUST_CHECK
ward_err ward_gw_prov_refuse(ward_gw_prov *gw, ward_err code, uint8_t *out, size_t cap,
                             size_t *out_len);
/* How the station join after a JOIN event ended: WARD_GW_FAIL_NONE for
 * joined, else a WARD_GW_FAIL_* code (the psk is forgotten at once).
 * WARD_ERR_STATE unless a join runs. */
WARD_MUST_CHECK
ward_err ward_gw_prov_join_result(ward_gw_prov *gw, uint8_t failure);
/* The fail-safe: a join not committed within failsafe_ms of its WIFI_SET
 * is rolled back (event ROLLBACK). */
WARD_MUST_CHECK
ward_err ward_gw_prov_tick(ward_gw_prov *gw, uint64_t now_ms, ward_gw_event *ev);
void ward_gw_prov_status(const ward_gw_prov *gw, ward_gw_status *st);
/* The committed credentials (to join at power-up); WARD_ERR_NOTFOUND if
 * none. psk is a secret. */
WARD_MUST_CHECK
ward_err ward_gw_prov_wifi(const ward_gw_prov *gw, uint8_t ssid[WARD_GW_SSID_MAX],
                           size_t *ssid_len, uint8_t psk[WARD_GW_PSK_MAX], size_t *psk_len);

/* ---- the app ---- */

typedef struct ward_gw_info {
    uint8_t mac[WARD_GW_MAC_LEN];
    uint8_t uuid[WARD_GW_UUID_LEN];
    bool reset_flag;
    uint8_t hash[WARD_GW_HASH_LEN];
    uint8_t last_failure;
    uint16_t tcp_port;
    ward_gw_wifi_state state;
} ward_gw_info;

typedef struct ward_gw_answer {
    uint8_t type;                          /* the request's WARD_MSG_GW_* */
    ward_err refused;                      /* the gateway's sealed refusal, or WARD_OK */
    ward_gw_wifi_state state;              /* WIFI_SET, _STATUS, _COMMIT */
    uint8_t last_failure;
    ward_gw_ssid list[WARD_GW_SCAN_MAX];   /* SSID_LIST */
    size_t n;
    uint8_t data[WARD_GW_LAN_PAYLOAD_MAX]; /* CLAIM, CREDENTIALS */
    size_t data_len;
} ward_gw_answer;

#define WARD_GW_APP_CTX_SIZE (184 + sizeof(void *))
typedef struct ward_gw_app {
    WARD_OPAQUE(WARD_GW_APP_CTX_SIZE);
} ward_gw_app;

/* Draws the ephemeral key and nonce and writes SEARCH. */
WARD_MUST_CHECK
ward_err ward_gw_app_start(ward_gw_app *app, const ward_crypto *cp, const ward_random *rng,
                           const ward_gw_qr *qr, uint8_t *out, size_t cap, size_t *out_len);
/* SEARCH's answer: WARD_OK and info; WARD_ERR_AUTH for one that does not
 * open (a wrong PoP or a relay's key), or the gateway's refusal class
 * (WARD_ERR_AUTH, WARD_ERR_LOCKED). Another MAC's answer: WARD_ERR_NOTFOUND. */
WARD_MUST_CHECK
ward_err ward_gw_app_search_reply(ward_gw_app *app, const uint8_t *in, size_t len,
                                  ward_gw_info *info);
/* The requests; each takes the next counter. */
WARD_MUST_CHECK
ward_err ward_gw_app_list(ward_gw_app *app, uint8_t *out, size_t cap, size_t *out_len);
WARD_MUST_CHECK
ward_err ward_gw_app_wifi_set(ward_gw_app *app, const uint8_t *ssid, size_t ssid_len,
                              const uint8_t *psk, size_t psk_len, uint8_t *out, size_t cap,
                              size_t *out_len);
WARD_MUST_CHECK
ward_err ward_gw_app_status(ward_gw_app *app, uint8_t *out, size_t cap, size_t *out_len);
WARD_MUST_CHECK
ward_err ward_gw_app_commit(ward_gw_app *app, uint8_t *out, size_t cap, size_t *out_len);
WARD_MUST_CHECK
ward_err ward_gw_app_claim(ward_gw_app *app, const uint8_t *claim, size_t len, uint8_t *out,
                           size_t cap, size_t *out_len);
WARD_MUST_CHECK
ward_err ward_gw_app_credentials(ward_gw_app *app, const uint8_t *cred, size_t len,
                                 uint8_t *out, size_t cap, size_t *out_len);
/* The answer to the last request: WARD_OK with ans (ans->refused holds a
 * sealed refusal); WARD_ERR_AUTH for what does not open or an unsealed
 * refusal; WARD_ERR_STATE for an answer to another request. */
WARD_MUST_CHECK
ward_err ward_gw_app_reply(ward_gw_app *app, const uint8_t *in, size_t len,
                           ward_gw_answer *ans);
void ward_gw_app_wipe(ward_gw_app *app);

#ifdef __cplusplus
}
#endif

#endif /* WARD_GW_PROV_H */
