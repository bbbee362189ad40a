/*
 * gw_cloud.h - the gateway role's cloud stage in `ward gateway run`: its
 * cloud identity (G/gateway.key, G/activation.bin), the credentials and
 * ownership secrets it keeps power-safe in G/cloud.bin (records
 * 0x0480-0x0483, docs/protocol.md "The joined provisioning"), the
 * answers to the LAN link's CLAIM and CREDENTIALS, and its login and
 * heartbeat with wardd. The core (ward_gw_cloud.h) makes and checks
 * every message; the agent (ward_agent_gw.h) carries them.
 *
 * The cloud identity signs through the gateway's keystore: the token
 * G/keystore names (`gateway init --keystore URI`), where it is the
 * device identity itself (WARD_KEY_DEVICE_IDENTITY), or, for a software
 * gateway and for state directories made before, the key in G/gateway.key.
 *
 * Threads: `gateway run` talks to wardd from a thread of its own
 * (gwc_start/gwc_stop), so a slow or silent wardd never holds up the LAN
 * loop. mu guards what both threads touch: the store, the credentials,
 * the counter, epoch, wifi_up and reset_pending. The session, the agent
 * and the back-off belong to the cloud thread alone; the keystore is used
 * by the LAN thread alone (CLAIM, CREDENTIALS). No HTTP call is made with
 * mu held.
 */
#ifndef WARD_CLI_GW_CLOUD_H
#define WARD_CLI_GW_CLOUD_H

#include <pthread.h>
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
#define GWC_REC_COUNTER 0x0481u   /* the last login counter sent, 8 bytes big-endian */
#define GWC_REC_RESET 0x0482u     /* a reset wardd was not told of: credentials, counter */
#define GWC_REC_OWNER 0x0483u     /* the verification code, then this epoch's random */
#define GWC_OWNER_REC_LEN (WARD_GW_OWNER_CODE_LEN + WARD_GW_OWNER_RANDOM_LEN)   /* 32 */
#define GWC_CREDS_REC_LEN WARD_GW_CREDS_REC_LEN   /* 92: ward_gw_creds_rec_encode */

typedef struct gw_cloud {
    ward_host host;
    ward_file_port fp;
    ward_store st;
    bool store_open;
    ward_keystore_soft soft;
    ward_keystore ks;             /* the soft one or a copy of the token's */
    bool have_key;
    uint8_t act[WARD_GW_ACTIVATION_MAX];
    size_t act_len;
    uint8_t mac[WARD_GW_MAC_LEN];
    uint8_t uuid[WARD_GW_UUID_LEN];
    /* Under mu. */
    pthread_mutex_t mu;
    bool mu_ready;
    uint8_t owner[GWC_OWNER_REC_LEN];   /* GWC_REC_OWNER: secret */
    ward_gw_creds creds;
    bool have_creds;
    uint64_t counter;             /* the last login counter stored (used or about to be) */
    unsigned epoch;               /* + 1 at each change of credentials; written under
                                     mu with __atomic, so gwc_localkey reads it without */
    bool wifi_up;                 /* the LAN loop's Wi-Fi is committed */
    bool reset_pending;           /* GWC_REC_RESET holds credentials to tell wardd with */
    /* The cloud thread's alone. */
    ward_agent ag;
    ward_gw_session sess;
    bool online;
    bool expired_said;
    unsigned seen_epoch;
    long long next_at;            /* monotonic ms of the next login or heartbeat */
    unsigned backoff_ms;
    unsigned heartbeat_ms;
    long long reset_at;
    unsigned reset_backoff_ms;
    /* The thread: stop ends its loop, abort cuts its HTTP call short. */
    pthread_t th;
    bool running;
    int stop, abort_http, done;   /* read and written with __atomic */
} gw_cloud;

/* Makes the cloud identity and, with a factory key, its activation
 * {sn = uuid in hex, pub} (G/activation.bin). ks: the gateway's token,
 * whose device identity (made by then) is the cloud identity too; NULL:
 * a software key, made in G/gateway.key. 0 or an exit code after printing
 * why. */
int gwc_init(const char *dir, const ward_crypto *cp, const ward_keystore *ks,
             const uint8_t uuid[WARD_GW_UUID_LEN], const char *factory);
/* Opens G/cloud.bin, the key (G/gateway.key, else the token G/keystore
 * names) and the activation (missing: the gateway answers no CLAIM). 0 or
 * an exit code. */
int gwc_open(gw_cloud *g, const char *dir, const char *server,
             const uint8_t mac[WARD_GW_MAC_LEN], const uint8_t uuid[WARD_GW_UUID_LEN],
             unsigned heartbeat_s);
/* This epoch's owner hash, for the device info (and committed to in
 * every REGISTER until the next reset). */
ward_err gwc_owner_hash(const gw_cloud *g, uint8_t hash[WARD_GW_OWNER_HASH_LEN]);
/* CLAIM in, REGISTER out (into out). */
ward_err gwc_claim(gw_cloud *g, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                   size_t *out_len);
/* CREDENTIALS in, kept, ack out. */
ward_err gwc_credentials(gw_cloud *g, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len);
/* Starts the cloud thread: it logs in once the Wi-Fi is committed, keeps
 * the session (heartbeats), logs in again with back-off, and tells wardd
 * of a pending reset. Call it in the network namespace wardd is reached
 * from (the thread inherits it). 0 or an exit code. */
int gwc_start(gw_cloud *g);
/* The LAN loop's Wi-Fi stage, for the cloud thread: online only once up. */
void gwc_wifi(gw_cloud *g, bool up);
/* Stops the cloud thread (logging out first if wardd answers within a few
 * seconds); gwc_close calls it. */
void gwc_stop(gw_cloud *g);
/* The user's reset: the credentials leave service at once (moved to
 * GWC_REC_RESET in one store update), then wardd is told in a session of
 * their own, up to `tries` times with back-off. 0 wardd told (or nothing
 * to tell); 1 wiped but wardd not told (the cloud thread tells it later); an exit
 * code when not even wiped. */
int gwc_reset(gw_cloud *g, unsigned tries);
/* The localkey of the credentials held now, for the sub-devices' keys,
 * only when they changed since the caller last took it: *seen is the
 * caller's (0 at first: never taken). True when they changed: *seen
 * moves, *have says whether there are credentials (false: none yet, or
 * wiped by a reset) and out holds their localkey if so. False when
 * nothing changed, at the cost of one atomic read: no mutex, no copy of
 * the key (the LAN loop asks on every pass). */
bool gwc_localkey(gw_cloud *g, unsigned long long *seen, bool *have,
                  uint8_t out[WARD_GW_LOCALKEY_LEN]);
void gwc_close(gw_cloud *g);

#endif /* WARD_CLI_GW_CLOUD_H */
