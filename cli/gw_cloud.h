/*
 * gw_cloud.h - the gateway role's cloud stage in `ward gateway run`: its
 * cloud identity (G/gateway.key, G/activation.bin), the credentials it
 * keeps power-safe in G/cloud.bin (records 0x0480-0x0481, docs/protocol.md
 * "The joined provisioning"), the answers to the LAN link's CLAIM and
 * CREDENTIALS, and its login and heartbeat with wardd. The core
 * (ward_gw_cloud.h) makes and checks every message; the agent
 * (ward_agent_gw.h) carries them.
 */
#ifndef WARD_CLI_GW_CLOUD_H
#define WARD_CLI_GW_CLOUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward.h"
#include "ward/ward_agent_gw.h"
#include "ward/ward_gw_cloud.h"
#include "ward/ward_host.h"
#include "ward/ward_port_posix.h"

#define GWC_KEY_FILE "gateway.key"
#define GWC_ACT_FILE "activation.bin"
#define GWC_STORE "cloud.bin"
#define GWC_STORE_SIZE 4096
#define GWC_REC_CREDS 0x0480u     /* tid, generation, expiry, password, accesskey, localkey */
#define GWC_REC_COUNTER 0x0481u   /* the next login counter, 8 bytes big-endian */
#define GWC_REC_RESET 0x0482u     /* a reset wardd was not told of: credentials, counter */
#define GWC_CREDS_REC_LEN (WARD_GW_TID_LEN + 4 + 8 + WARD_GW_CREDS_PLAIN_LEN)   /* 92 */

typedef struct gw_cloud {
    ward_host host;
    ward_file_port fp;
    ward_store st;
    bool store_open;
    ward_keystore_soft soft;
    ward_keystore ks;
    bool have_key;
    uint8_t act[WARD_GW_ACTIVATION_MAX];
    size_t act_len;
    uint8_t mac[WARD_GW_MAC_LEN];
    uint8_t uuid[WARD_GW_UUID_LEN];
    ward_gw_creds creds;
    bool have_creds;
    uint64_t counter;             /* the last login counter stored (used or about to be) */
    ward_agent ag;
    ward_gw_session sess;
    bool online;
    bool expired_said;
    long long next_at;            /* monotonic ms of the next login or heartbeat */
    unsigned backoff_ms;
    unsigned heartbeat_ms;
    bool reset_pending;           /* GWC_REC_RESET holds credentials to tell wardd with */
    long long reset_at;
    unsigned reset_backoff_ms;
} gw_cloud;

/* Makes the cloud identity in dir (G/gateway.key) and, with a factory key,
 * its activation {sn = uuid in hex, pub} (G/activation.bin). 0 or an exit
 * code after printing why. */
int gwc_init(const char *dir, const ward_crypto *cp, const uint8_t uuid[WARD_GW_UUID_LEN],
             const char *factory);
/* Opens G/cloud.bin, the key and the activation (missing: the gateway
 * answers no CLAIM). 0 or an exit code. */
int gwc_open(gw_cloud *g, const char *dir, const char *server,
             const uint8_t mac[WARD_GW_MAC_LEN], const uint8_t uuid[WARD_GW_UUID_LEN],
             unsigned heartbeat_s);
/* CLAIM in, REGISTER out (into out). */
ward_err gwc_claim(gw_cloud *g, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                   size_t *out_len);
/* CREDENTIALS in, kept, ack out. */
ward_err gwc_credentials(gw_cloud *g, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len);
/* Logs in, keeps the session (heartbeats), logs in again with back-off.
 * Call often; it does nothing until it is time. */
void gwc_tick(gw_cloud *g, bool wifi_up);
/* The user's reset: the credentials leave service at once (moved to
 * GWC_REC_RESET in one store update), then wardd is told in a session of
 * their own, up to `tries` times with back-off. 0 wardd told (or nothing
 * to tell); 1 wiped but wardd not told (gwc_tick tells it later); an exit
 * code when not even wiped. */
int gwc_reset(gw_cloud *g, unsigned tries);
/* The localkey of the credentials held now, for the sub-devices' keys:
 * true and out, or false (none yet, or wiped by a reset). */
bool gwc_localkey(const gw_cloud *g, uint8_t out[WARD_GW_LOCALKEY_LEN]);
void gwc_close(gw_cloud *g);

#endif /* WARD_CLI_GW_CLOUD_H */
