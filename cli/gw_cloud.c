/* The gateway role's cloud stage: its identity, kept credentials, answers to CLAIM and
 * CREDENTIALS, and its login and heartbeat with wardd (flow C). See gw_cloud.h. */
#include "gw_cloud.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "keyfile.h"
#include "keystore.h"
#include "sectime.h"
#include "ward/ward_encode.h"
#include "ward/ward_files.h"

#define GW_KEY WARD_KEY_DEVICE_IDENTITY
#define BACKOFF_MIN_MS 1000u
#define BACKOFF_MAX_MS 60000u
#define HEARTBEAT_TEXT "heartbeat"
#define NAP_MS 100u
#define LOGOUT_GRACE_MS 3000

static void be_put(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
}

static uint64_t be_get(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static char *path_in(const char *dir, const char *name)
{
    char *p = ward_path_join(dir, name);
    if (p == NULL) {
        cli_fail("out of memory");
    }
    return p;
}

int gwc_init(const char *dir, const ward_crypto *cp, const ward_keystore *ks_token,
             const uint8_t uuid[WARD_GW_UUID_LEN], const char *factory)
{
    ward_random rng = ward_random_posix();
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN], msg[WARD_ACTIVATION_MAX];
    char sn[2 * WARD_GW_UUID_LEN + 1];
    size_t len = 0;
    int rc = 0;
    ward_keystore_soft_init(&soft, cp, &rng, &ks);
    char *kpath = path_in(dir, GWC_KEY_FILE), *apath = path_in(dir, GWC_ACT_FILE);
    if (kpath == NULL || apath == NULL) {
        rc = CLI_EXIT_FAIL;
    } else if (ks_token != NULL) {
        /* One identity: the token's device key, made with the state. */
        ward_err err = ks_token->public_key(ks_token->ctx, GW_KEY, pub);
        if (err != WARD_OK) {
            rc = cli_fail("the gateway's keystore has no device identity: %s",
                          ward_strerror(err));
        }
    } else if (ks.generate(ks.ctx, GW_KEY, pub) != WARD_OK ||
               keyfile_save_key(kpath, &soft, GW_KEY, 0600) != WARD_OK) {
        rc = cli_fail("%s: cannot make the gateway's cloud identity: %s", kpath,
                      strerror(errno));
    }
    if (rc == 0 && factory != NULL) {
        /* The activation the REGISTER carries names the uuid, not the id. */
        ward_activation a;
        memset(&a, 0, sizeof a);
        if (ward_hex_encode(uuid, WARD_GW_UUID_LEN, sn, sizeof sn) != WARD_OK) {
            rc = cli_fail("cannot encode the uuid");
        } else {
            a.sn = (const uint8_t *)sn;
            a.sn_len = 2 * WARD_GW_UUID_LEN;
            a.lock_pub = pub;
            rc = cli_factory_sign(factory, cp, &a, msg, sizeof msg, &len);
        }
        if (rc == 0 && ward_file_write_atomic(apath, (const char *)msg, len, 0644) != WARD_OK) {
            rc = cli_fail("%s: %s", apath, strerror(errno));
        }
    }
    ward_keystore_soft_wipe(&soft);
    free(kpath);
    free(apath);
    return rc;
}

/* The verification code and the epoch's random; both drawn on the first
 * open (a state dir of before them gets them then). */
static ward_err load_owner(gw_cloud *g)
{
    size_t n = 0;
    ward_err err = ward_store_get(&g->st, GWC_REC_OWNER, g->owner, sizeof g->owner, &n);
    if (err == WARD_OK && n == sizeof g->owner) {
        return WARD_OK;
    }
    if (err != WARD_ERR_NOTFOUND) {
        return err != WARD_OK ? err : WARD_ERR_FORMAT;
    }
    err = g->host.rng.fill(g->host.rng.ctx, g->owner, sizeof g->owner);
    if (err == WARD_OK) {
        err = ward_store_put(&g->st, GWC_REC_OWNER, g->owner, sizeof g->owner);
    }
    return err;
}

ward_err gwc_owner_hash(const gw_cloud *g, uint8_t hash[WARD_GW_OWNER_HASH_LEN])
{
    return ward_gw_owner_hash(g->host.crypto, g->owner, g->owner + WARD_GW_OWNER_CODE_LEN,
                              g->uuid, hash);
}

/* The kept credentials and counter, if any. */
static ward_err load(gw_cloud *g)
{
    uint8_t rec[GWC_CREDS_REC_LEN];
    size_t n = 0;
    ward_err err = ward_store_get(&g->st, GWC_REC_CREDS, rec, sizeof rec, &n);
    if (err == WARD_ERR_NOTFOUND) {
        return WARD_OK;
    }
    if (err != WARD_OK || n != sizeof rec) {
        ward_wipe(rec, sizeof rec);
        return err != WARD_OK ? err : WARD_ERR_FORMAT;
    }
    ward_gw_creds_rec_decode(rec, &g->creds);
    ward_wipe(rec, sizeof rec);
    uint8_t cb[8];
    err = ward_store_get(&g->st, GWC_REC_COUNTER, cb, sizeof cb, &n);
    if (err == WARD_OK && n == 8) {
        g->counter = be_get(cb, 8);
    } else if (err != WARD_ERR_NOTFOUND) {
        return err != WARD_OK ? err : WARD_ERR_FORMAT;
    }
    g->have_creds = true;
    return WARD_OK;
}

/* For the agent's HTTP calls: true once gwc_stop gave up waiting. */
static bool http_aborted(void *ctx)
{
    const gw_cloud *g = ctx;
    return __atomic_load_n(&g->abort_http, __ATOMIC_SEQ_CST) != 0;
}

/* The cloud identity: G/gateway.key (a software gateway, or one made
 * before its cloud stage used the keystore: its activation names that
 * key), else the device identity in the token G/keystore names. 0 (with
 * or without a key) or an exit code. */
static int open_key(gw_cloud *g, const char *dir, const char *kpath, bool *keyed)
{
    *keyed = keyfile_load_key(kpath, &g->soft, GW_KEY) == WARD_OK;
    if (*keyed) {
        return 0;
    }
    ward_host h;
    ward_host_init(&h);
    int rc = cli_keystore_attach(&h, dir);
    if (rc != 0) {
        return rc;
    }
    if (h.keystore != NULL) {
        g->ks = *h.keystore;    /* open until the process exits (keystore.h) */
        *keyed = true;
    }
    return 0;
}

int gwc_open(gw_cloud *g, const char *dir, const char *server,
             const uint8_t mac[WARD_GW_MAC_LEN], const uint8_t uuid[WARD_GW_UUID_LEN],
             unsigned heartbeat_s)
{
    memset(g, 0, sizeof *g);
    if (pthread_mutex_init(&g->mu, NULL) != 0) {
        return cli_fail("cannot make the cloud stage's lock");
    }
    g->mu_ready = true;
    ward_host_init(&g->host);
    g->host.cancelled = http_aborted;
    g->host.cancel_ctx = g;
    memcpy(g->mac, mac, WARD_GW_MAC_LEN);
    memcpy(g->uuid, uuid, WARD_GW_UUID_LEN);
    g->heartbeat_ms = heartbeat_s * 1000u;
    g->backoff_ms = BACKOFF_MIN_MS;
    ward_keystore_soft_init(&g->soft, g->host.crypto, &g->host.rng, &g->ks);
    if (ward_agent_init(&g->ag, &ward_agent_http, &g->host, server, NULL) != WARD_OK) {
        return cli_fail("%s: the server's URL is too long", server);
    }
    int rc = 0;
    char *kpath = path_in(dir, GWC_KEY_FILE), *apath = path_in(dir, GWC_ACT_FILE);
    char *spath = path_in(dir, GWC_STORE), *act = NULL;
    size_t alen = 0;
    ward_store_port port;
    if (kpath == NULL || apath == NULL || spath == NULL) {
        rc = CLI_EXIT_FAIL;
    }
    /* Without a key or an activation (`--no-activate`) the gateway does
     * the LAN hand-over only, and refuses a CLAIM. */
    bool keyed = false;
    if (rc == 0) {
        rc = open_key(g, dir, kpath, &keyed);
    }
    if (rc == 0 && keyed &&
        ward_file_read(apath, WARD_GW_ACTIVATION_MAX, &act, &alen) == WARD_OK && alen > 0) {
        memcpy(g->act, act, alen);
        g->act_len = alen;
        g->have_key = true;
    }
    free(act);
    ward_err err = WARD_OK;
    if (rc == 0) {
        err = ward_file_port_open(&g->fp, spath, GWC_STORE_SIZE, &port);
        g->store_open = err == WARD_OK;   /* the port, closed by gwc_close */
        if (err == WARD_OK) {
            err = ward_store_open(&g->st, &port);
        }
        if (err == WARD_OK) {
            err = load(g);
        }
        if (err == WARD_OK) {
            err = load_owner(g);
        }
        uint8_t probe[GWC_CREDS_REC_LEN + 8];
        size_t pn = 0;
        if (err == WARD_OK &&
            ward_store_get(&g->st, GWC_REC_RESET, probe, sizeof probe, &pn) == WARD_OK) {
            g->reset_pending = pn == sizeof probe;
            g->reset_backoff_ms = BACKOFF_MIN_MS;
        }
        ward_wipe(probe, sizeof probe);
        if (err != WARD_OK) {
            rc = cli_fail("%s: %s", spath, cli_file_why(err, g->fp.os_errno, "not a store"));
        }
    }
    free(kpath);
    free(apath);
    free(spath);
    return rc;
}

ward_err gwc_claim(gw_cloud *g, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                   size_t *out_len)
{
    uint8_t claim[WARD_GW_CLAIM_LEN], owner[WARD_GW_OWNER_HASH_LEN];
    *out_len = 0;
    if (!g->have_key) {
        return WARD_ERR_UNSUPPORTED;
    }
    ward_err err = ward_gw_claim_parse(in, len, claim);
    if (err == WARD_OK) {
        err = gwc_owner_hash(g, owner);
    }
    /* The REGISTER commits to the owner hash the device info of this
     * epoch carries: only the app that opened the LAN link can bind. */
    if (err == WARD_OK) {
        err = ward_gw_register_sign_by(g->host.crypto, &g->ks, GW_KEY, claim, g->mac, g->uuid,
                                       g->act, g->act_len, owner, out, cap, out_len);
    }
    ward_wipe(claim, sizeof claim);
    ward_wipe(owner, sizeof owner);
    return err;
}

/* The credentials and a fresh counter, in one power-safe update. */
static ward_err keep(gw_cloud *g, const ward_gw_creds *c)
{
    uint8_t rec[GWC_CREDS_REC_LEN], cb[8] = { 0 };
    ward_gw_creds_rec_encode(c, rec);
    ward_record_change ch[2] = { { GWC_REC_CREDS, rec, sizeof rec, false },
                                 { GWC_REC_COUNTER, cb, sizeof cb, false } };
    ward_err err = ward_store_update(&g->st, ch, 2);
    ward_wipe(rec, sizeof rec);
    return err;
}

static void lock(gw_cloud *g)
{
    pthread_mutex_lock(&g->mu);
}

static void unlock(gw_cloud *g)
{
    pthread_mutex_unlock(&g->mu);
}

ward_err gwc_credentials(gw_cloud *g, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len)
{
    ward_gw_creds c;
    *out_len = 0;
    if (!g->have_key) {
        return WARD_ERR_UNSUPPORTED;
    }
    ward_err err = ward_gw_creds_open_by(g->host.crypto, &g->ks, GW_KEY, in, len, &c);
    if (err != WARD_OK) {
        return err;
    }
    lock(g);
    bool same_tid = g->have_creds && ward_ct_equal(c.tid, g->creds.tid, WARD_GW_TID_LEN);
    if (same_tid && c.generation < g->creds.generation) {
        err = WARD_ERR_STATE;        /* an older generation: never back */
    } else if (!same_tid || c.generation > g->creds.generation) {
        /* A new registration or a rotation: wardd counts logins from 0
         * again, and the old keys have stopped. The cloud thread sees the
         * epoch move: it drops its session (a login with the old keys
         * still in flight counts for nothing) and logs in at once. */
        err = keep(g, &c);
        if (err == WARD_OK) {
            g->creds = c;
            g->have_creds = true;
            g->counter = 0;
            __atomic_add_fetch(&g->epoch, 1u, __ATOMIC_RELEASE);
            printf("credentials kept: generation %u\n", (unsigned)c.generation);
            fflush(stdout);
        }
    }
    unlock(g);
    /* The same generation again (a retransmission): the same ack. */
    if (err == WARD_OK) {
        err = ward_gw_creds_ack_encode(c.tid, c.generation, out, cap, out_len);
    }
    ward_wipe(&c, sizeof c);
    return err;
}

static void tid_hex(const ward_gw_creds *c, char out[2 * WARD_GW_TID_LEN + 1])
{
    if (ward_hex_encode(c->tid, WARD_GW_TID_LEN, out, 2 * WARD_GW_TID_LEN + 1) != WARD_OK) {
        strcpy(out, "?");
    }
}

/* Waits longer after each failure, up to a minute. */
static void back_off(gw_cloud *g, long long now)
{
    g->next_at = now + g->backoff_ms;
    g->backoff_ms = g->backoff_ms < BACKOFF_MAX_MS / 2 ? g->backoff_ms * 2 : BACKOFF_MAX_MS;
}

static void say_expired(gw_cloud *g, const char *tid)
{
    if (!g->expired_said) {
        printf("credentials expired: tid=%s; register again (ward app provision)\n", tid);
        fflush(stdout);
        g->expired_said = true;
    }
}

static void login(gw_cloud *g, long long now)
{
    char why[512], tid[2 * WARD_GW_TID_LEN + 1];
    uint8_t cb[8];
    /* Secure time's low end when G has time keys (sectime.h), else the
     * wall clock; unknown (no sync yet): nothing said, wardd decides. */
    uint64_t wall = 0;
    ward_clock clk = sectime_clock();
    bool told = clk.now_ms(clk.ctx, &wall) == WARD_OK;
    ward_gw_creds c;
    ward_gw_session s;
    memset(&s, 0, sizeof s);
    /* The credentials and their next counter, taken under the lock: the
     * counter is stored before it is sent, so none goes out twice. */
    lock(g);
    unsigned epoch = g->epoch;
    c = g->creds;
    be_put(cb, g->counter + 1, 8);
    ward_err err = ward_store_put(&g->st, GWC_REC_COUNTER, cb, sizeof cb);
    uint64_t counter = err == WARD_OK ? ++g->counter : 0;
    unlock(g);
    tid_hex(&c, tid);
    if (err != WARD_OK) {
        ward_wipe(&c, sizeof c);
        fprintf(stderr, "gateway: cannot store the login counter\n");
        back_off(g, now);
        return;
    }
    if (told && c.expiry_ms <= wall) {
        /* wardd may still think otherwise (clocks): ask now and then. */
        say_expired(g, tid);
    }
    long st = ward_agent_gw_login(&g->ag, &s, &c, counter, why, sizeof why);
    unsigned generation = (unsigned)c.generation;
    ward_wipe(&c, sizeof c);
    lock(g);
    bool stale = g->epoch != epoch;
    unlock(g);
    if (stale) {
        /* New credentials came while wardd answered: these are over. */
        ward_gw_session_wipe(&s);
        return;
    }
    if (st == 0) {
        g->sess = s;
        g->online = true;
        g->backoff_ms = BACKOFF_MIN_MS;
        g->next_at = now + g->heartbeat_ms;
        printf("online tid=%s generation=%u\n", tid, generation);
    } else {
        ward_gw_session_wipe(&s);
        fprintf(stderr, "gateway: login refused (%ld): %s\n", st, why);
        if (st == 410) {
            say_expired(g, tid);
        }
        back_off(g, now);
    }
    ward_wipe(&s, sizeof s);
    fflush(stdout);
}

static void heartbeat(gw_cloud *g, long long now)
{
    char why[512];
    uint8_t back[WARD_GW_SESSION_PAYLOAD_MAX];
    size_t n = 0;
    long st = ward_agent_gw_send(&g->ag, &g->sess, (const uint8_t *)HEARTBEAT_TEXT,
                                 strlen(HEARTBEAT_TEXT), back, sizeof back, &n, why, sizeof why);
    if (st == 0) {
        g->backoff_ms = BACKOFF_MIN_MS;
        g->next_at = now + g->heartbeat_ms;
        return;
    }
    fprintf(stderr, "gateway: heartbeat: %s\n", why);
    if (st == 401 || st == 410 || st == WARD_AGENT_GW_BAD_REPLY) {
        /* The session is gone at wardd (expired, rotated, restarted):
         * log in again, after a pause. */
        ward_gw_session_wipe(&g->sess);
        g->online = false;
        printf("offline: session ended (%ld); logging in again\n", st);
        fflush(stdout);
    }
    back_off(g, now);
}

/* One try to tell wardd of the pending reset: log in with the reset
 * credentials (their counter stored first), RESET. 0 told, or wardd will
 * never take them (refused or expired: forgotten too); -1 try again. */
static int tell_reset(gw_cloud *g)
{
    uint8_t rec[GWC_CREDS_REC_LEN + 8];
    size_t n = 0;
    char why[512];
    ward_gw_creds c;
    ward_gw_session s;
    memset(&s, 0, sizeof s);
    lock(g);
    ward_err err = ward_store_get(&g->st, GWC_REC_RESET, rec, sizeof rec, &n);
    if (err == WARD_OK && n != sizeof rec) {
        err = WARD_ERR_FORMAT;
    }
    uint64_t counter = 0;
    if (err == WARD_OK) {
        ward_gw_creds_rec_decode(rec, &c);
        counter = be_get(rec + GWC_CREDS_REC_LEN, 8) + 1;
        be_put(rec + GWC_CREDS_REC_LEN, counter, 8);
        err = ward_store_put(&g->st, GWC_REC_RESET, rec, sizeof rec);
        if (err != WARD_OK) {
            ward_wipe(&c, sizeof c);
            fprintf(stderr, "gateway: cannot store the login counter\n");
        }
    }
    unlock(g);
    ward_wipe(rec, sizeof rec);
    if (err != WARD_OK) {
        return -1;
    }
    long st = ward_agent_gw_login(&g->ag, &s, &c, counter, why, sizeof why);
    ward_wipe(&c, sizeof c);
    if (st == 0) {
        st = ward_agent_gw_reset(&g->ag, &s, why, sizeof why);
    }
    ward_gw_session_wipe(&s);
    if (st == 0 || st == 401 || st == 410) {
        lock(g);
        err = ward_store_remove(&g->st, GWC_REC_RESET);
        if (err == WARD_OK) {
            g->reset_pending = false;
        }
        unlock(g);
        if (err != WARD_OK) {
            return -1;
        }
        if (st == 0) {
            printf("reset: wardd dropped the gateway's registration\n");
        } else {
            printf("reset: wardd no longer takes these credentials (%ld); nothing to drop\n",
                   st);
        }
        fflush(stdout);
        return 0;
    }
    fprintf(stderr, "gateway: reset not told to wardd yet: %s\n", why);
    return -1;
}

static bool reset_pending(gw_cloud *g)
{
    lock(g);
    bool p = g->reset_pending;
    unlock(g);
    return p;
}

int gwc_reset(gw_cloud *g, unsigned tries)
{
    /* A new provisioning epoch: a fresh random, so the owner hash an app
     * learnt before the reset binds nothing after it. In the same update
     * as the credentials' move. */
    uint8_t owner[GWC_OWNER_REC_LEN], rec[GWC_CREDS_REC_LEN + 8];
    lock(g);
    memcpy(owner, g->owner, WARD_GW_OWNER_CODE_LEN);
    ward_err err = g->host.rng.fill(g->host.rng.ctx, owner + WARD_GW_OWNER_CODE_LEN,
                                    WARD_GW_OWNER_RANDOM_LEN);
    if (err != WARD_OK) {
        unlock(g);
        ward_wipe(owner, sizeof owner);
        return cli_fail("no randomness for the new epoch: %s", ward_strerror(err));
    }
    ward_record_change ch[4] = { { GWC_REC_OWNER, owner, sizeof owner, false },
                                 { GWC_REC_RESET, rec, sizeof rec, false },
                                 { GWC_REC_CREDS, NULL, 0, true },
                                 { GWC_REC_COUNTER, NULL, 0, true } };
    if (g->have_creds) {
        ward_gw_creds_rec_encode(&g->creds, rec);
        be_put(rec + GWC_CREDS_REC_LEN, g->counter, 8);
    }
    err = ward_store_update(&g->st, ch, g->have_creds ? 4 : 1);
    ward_wipe(rec, sizeof rec);
    if (err == WARD_OK) {
        memcpy(g->owner, owner, sizeof owner);
    }
    ward_wipe(owner, sizeof owner);
    if (err != WARD_OK) {
        unlock(g);
        return cli_fail("cannot wipe the credentials: %s", ward_strerror(err));
    }
    if (g->have_creds) {
        ward_wipe(&g->creds, sizeof g->creds);
        g->have_creds = false;
        __atomic_add_fetch(&g->epoch, 1u, __ATOMIC_RELEASE);
        g->reset_pending = true;
    }
    unlock(g);
    unsigned pause = BACKOFF_MIN_MS;
    for (unsigned t = 0; reset_pending(g) && t < tries && !cli_stopping; t++) {
        if (t > 0) {
            cli_nap(pause);
            pause *= 2;
        }
        if (tell_reset(g) == 0) {
            return 0;
        }
    }
    return reset_pending(g) ? 1 : 0;
}

/* One round of the cloud thread: it does nothing until it is time. */
static void tick(gw_cloud *g)
{
    lock(g);
    bool wifi_up = g->wifi_up, have = g->have_creds, pending = g->reset_pending;
    bool moved = g->epoch != g->seen_epoch;
    g->seen_epoch = g->epoch;
    unlock(g);
    long long now = cli_mono_ms();
    if (moved) {
        /* Credentials kept or wiped on the LAN side: the old session is
         * over (wardd stopped its keys), log in at once. */
        if (g->online) {
            ward_gw_session_wipe(&g->sess);
            g->online = false;
        }
        g->expired_said = false;
        g->next_at = 0;
        g->backoff_ms = BACKOFF_MIN_MS;
    }
    /* A reset wardd was not told of: told as soon as wardd answers,
     * whatever the Wi-Fi stage (the old network may still be there). */
    if (pending && now >= g->reset_at) {
        if (tell_reset(g) != 0) {
            g->reset_at = now + g->reset_backoff_ms;
            g->reset_backoff_ms = g->reset_backoff_ms < BACKOFF_MAX_MS / 2
                                      ? g->reset_backoff_ms * 2 : BACKOFF_MAX_MS;
        }
        now = cli_mono_ms();
    }
    if (!wifi_up || !have || now < g->next_at) {
        return;
    }
    if (g->online) {
        heartbeat(g, now);
    } else {
        login(g, now);
    }
}

static bool flag(int *f)
{
    return __atomic_load_n(f, __ATOMIC_SEQ_CST) != 0;
}

static void *cloud_thread(void *arg)
{
    gw_cloud *g = arg;
    while (!flag(&g->stop)) {
        tick(g);
        for (unsigned t = 0; t < NAP_MS && !flag(&g->stop); t += 10) {
            struct timespec ts = { 0, 10 * 1000000L };
            nanosleep(&ts, NULL);
        }
    }
    if (g->online) {
        char why[256];
        if (ward_agent_gw_logout(&g->ag, &g->sess, why, sizeof why) != 0) {
            fprintf(stderr, "gateway: logout: %s\n", why);
        }
        g->online = false;
    }
    __atomic_store_n(&g->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

int gwc_start(gw_cloud *g)
{
    /* Stop signals go to the LAN loop, which wakes from poll and stops
     * this thread: the thread starts with them blocked. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int err = pthread_create(&g->th, NULL, cloud_thread, g);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        return cli_fail("cannot start the cloud stage: %s", strerror(err));
    }
    g->running = true;
    return 0;
}

void gwc_wifi(gw_cloud *g, bool up)
{
    lock(g);
    g->wifi_up = up;
    unlock(g);
}

void gwc_stop(gw_cloud *g)
{
    if (!g->running) {
        return;
    }
    __atomic_store_n(&g->stop, 1, __ATOMIC_SEQ_CST);
    /* A few seconds for a call under way and the logout; then wardd's
     * silence no longer holds the gateway up: the call is cut short. */
    long long end = cli_mono_ms() + LOGOUT_GRACE_MS;
    while (!flag(&g->done) && cli_mono_ms() < end) {
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
    }
    __atomic_store_n(&g->abort_http, 1, __ATOMIC_SEQ_CST);
    pthread_join(g->th, NULL);
    g->running = false;
}

void gwc_close(gw_cloud *g)
{
    gwc_stop(g);
    if (g->online) {
        /* Only without a thread (gwc_reset's process never logs in). */
        char why[256];
        if (ward_agent_gw_logout(&g->ag, &g->sess, why, sizeof why) != 0) {
            fprintf(stderr, "gateway: logout: %s\n", why);
        }
    }
    ward_gw_session_wipe(&g->sess);
    if (g->store_open) {
        ward_file_port_close(&g->fp);
    }
    ward_keystore_soft_wipe(&g->soft);
    ward_wipe(&g->creds, sizeof g->creds);
    ward_wipe(g->owner, sizeof g->owner);
    g->store_open = false;
    if (g->mu_ready) {
        pthread_mutex_destroy(&g->mu);
        g->mu_ready = false;
    }
}

bool gwc_localkey(gw_cloud *g, unsigned long long *seen, bool *have,
                  uint8_t out[WARD_GW_LOCALKEY_LEN])
{
    /* The epoch moves with every change of the credentials: until it
     * does, the key the caller holds is still the one. *seen is the
     * epoch + 1, so 0 means never taken. */
    if (*seen == (unsigned long long)__atomic_load_n(&g->epoch, __ATOMIC_ACQUIRE) + 1u) {
        return false;
    }
    lock(g);
    *seen = (unsigned long long)g->epoch + 1u;
    *have = g->have_creds;
    if (*have) {
        memcpy(out, g->creds.localkey, WARD_GW_LOCALKEY_LEN);
    }
    unlock(g);
    return true;
}
