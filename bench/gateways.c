/* bench_gateways: flow C in numbers, from the real messages of the core and the real wardd. */
/*
 *   bench_gateways prov
 *       the whole provisioning in one process, message by message (the
 *       core's gateway and app halves of the LAN hand-over, and the core
 *       calls wardd makes): round trips and bytes of each leg, beside the
 *       anchors issue 17 gives (ESP-IDF about 9 round trips, SmartThings
 *       about 7), and the CPU it took.
 *   bench_gateways run --url URL --factory DIR [--gateways G] [--workers W]
 *                      [--seconds S] [--mqtt-port P] [--wardd-pid PID]
 *                      [--mqtt-pid PID] [--outbox DIR]
 *       G gateways registered at a real wardd (claim, REGISTER, sealed
 *       CREDENTIALS, as `ward app provision` does), then, each phase
 *       bounded by S seconds and W threads with one keep-alive connection:
 *         logins    LOGIN + reply through wardd (each gateway at most
 *                   LOGIN_BUDGET times: wardd allows 60 a minute per tid);
 *         packets   a sealed DATA up and wardd's sealed DATA back;
 *       then, with --mqtt-port, the same bytes through mosquitto: the
 *       gateway publishes the very LOGIN (or DATA) bytes, a responder
 *       subscribed to them publishes the reply wardd gave back, and the
 *       gateway waits for it. mosquitto only relays (no check, no store,
 *       no crypto): its rate is the floor a broker-based cloud starts from.
 * Rates are printed, never asserted; a refused or wrong answer exits 1. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_backend.h"
#include "bench_http.h"
#include "bench_lock.h"
#include "bench_mqtt.h"
#include "ward/ward_bind.h"
#include "ward/ward_encode.h"
#include "ward/ward_gw_cloud.h"
#include "ward/ward_gw_prov.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_keystore.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_port_sim.h"
#include "ward/ward_suite.h"

#define GW_KEY WARD_KEY_DEVICE_IDENTITY
#define LOGIN_BUDGET 50u        /* per gateway and phase, under wardd's 60 a minute */
#define GATEWAYS_PER_USER 25u   /* wardd makes 30 claims a minute per user */
#define B64_MAX(n) (((n) + 2) / 3 * 4 + 1)
#define HEARTBEAT "heartbeat: 3 sub-devices, all well"

static const ward_crypto *cp;
static ward_random rng;

static void die(const char *what, ward_err err)
{
    fprintf(stderr, "bench_gateways: %s: %s\n", what, ward_strerror(err));
    exit(1);
}

static void check(ward_err err, const char *what)
{
    if (err != WARD_OK) {
        die(what, err);
    }
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime + stime of a process, in seconds; -1 if it cannot be read. */
static double proc_cpu_s(long pid)
{
    char path[64], buf[1024];
    if (pid <= 0) {
        return -1;
    }
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) {
        fclose(f);
    }
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    /* after "pid (comm)": state and 10 more fields, then utime, stime */
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
                            &st) != 2) {
        return -1;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A gateway's identity (soft keystore, in place: ks points into soft),
 * uuid and factory activation. */
typedef struct gw_id {
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t uuid[WARD_GW_UUID_LEN];
    uint8_t act[WARD_ACTIVATION_MAX];
    size_t act_len;
} gw_id;

static void gw_id_init(gw_id *g, const ward_keystore *factory)
{
    char sn[2 * WARD_GW_UUID_LEN + 1];
    ward_keystore_soft_init(&g->soft, cp, &rng, &g->ks);
    check(g->ks.generate(g->ks.ctx, GW_KEY, g->pub), "gateway key");
    check(rng.fill(rng.ctx, g->uuid, sizeof g->uuid), "uuid");
    check(ward_hex_encode(g->uuid, sizeof g->uuid, sn, sizeof sn), "uuid hex");
    /* Flow A's activation with sn = the uuid in hex, as wardd checks it. */
    ward_activation a = { (const uint8_t *)sn, 2 * WARD_GW_UUID_LEN, g->pub };
    check(ward_activation_sign_by(cp, factory, WARD_KEY_FACTORY, &a, g->act, sizeof g->act,
                                  &g->act_len), "activation");
}

/* ==== 1. the whole provisioning, message by message ==== */

typedef enum leg_path { LEG_UDP, LEG_TCP, LEG_APP_WARDD, LEG_GW_WARDD } leg_path;

static const char *const path_name[] = { "app <-> gateway, UDP broadcast",
                                          "app <-> gateway, TCP (sealed)",
                                          "app <-> wardd, HTTPS",
                                          "gateway <-> wardd, HTTPS" };

typedef struct tally {
    unsigned trips[4];
    size_t bytes[4];
    unsigned n;
} tally;

static void leg(tally *t, leg_path p, const char *step, size_t req, size_t ans)
{
    t->n++;
    t->trips[p]++;
    t->bytes[p] += req + ans;
    printf("  %2u  %-46s %-31s %4zu + %4zu\n", t->n, step, path_name[p], req, ans);
}

/* One sealed request of the TCP link and its answer (an event, if any,
 * into ev); the answer is read by the app into ans. */
static size_t tcp_trip(ward_gw_prov *gw, ward_gw_app *app, uint64_t now, const uint8_t *q,
                       size_t ql, ward_gw_event *ev, ward_gw_answer *ans, uint8_t *a)
{
    size_t al = 0;
    check(ward_gw_prov_tcp(gw, now, q, ql, ev, a, WARD_GW_PROV_MSG_MAX, &al), "gateway, TCP");
    if (al > 0) {
        check(ward_gw_app_reply(app, a, al, ans), "app, answer");
    }
    return al;
}

static int cmd_prov(void)
{
    static uint8_t mem[2048];
    uint8_t q[WARD_GW_PROV_MSG_MAX], a[WARD_GW_PROV_MSG_MAX];
    size_t ql = 0, al = 0;
    uint64_t now = (uint64_t)time(NULL) * 1000u;
    double c0 = cpu_s();

    /* The factory, the gateway's identity, and its LAN state on flash. */
    ward_keystore_soft fsoft;
    ward_keystore fks;
    uint8_t factory_pub[WARD_P256_POINT_LEN];
    ward_keystore_soft_init(&fsoft, cp, &rng, &fks);
    check(fks.generate(fks.ctx, WARD_KEY_FACTORY, factory_pub), "factory key");
    gw_id *id = calloc(1, sizeof *id);
    if (id == NULL) {
        return 1;
    }
    gw_id_init(id, &fks);
    ward_sim_flash sf;
    ward_store_port port;
    memset(mem, 0xFF, sizeof mem);
    ward_sim_flash_init(&sf, mem, sizeof mem, 64, &port);
    ward_sim_flash_format(&sf);
    ward_gw_prov_config cfg;
    memset(&cfg, 0, sizeof cfg);
    static const uint8_t mac[WARD_GW_MAC_LEN] = { 0x24, 0x0a, 0xc4, 0x12, 0x34, 0x56 };
    memcpy(cfg.mac, mac, sizeof mac);
    memcpy(cfg.uuid, id->uuid, sizeof cfg.uuid);
    check(rng.fill(rng.ctx, cfg.pop, sizeof cfg.pop), "pop");
    uint8_t code[WARD_GW_OWNER_CODE_LEN], epoch[WARD_GW_OWNER_RANDOM_LEN];
    check(rng.fill(rng.ctx, code, sizeof code), "code");
    check(rng.fill(rng.ctx, epoch, sizeof epoch), "epoch");
    check(ward_gw_owner_hash(cp, code, epoch, cfg.uuid, cfg.hash), "owner hash");
    cfg.tcp_port = 10080;
    ward_gw_prov gw;
    check(ward_gw_prov_open(&gw, cp, &rng, &port, &cfg), "gateway open");
    ward_gw_ssid scan[3];
    memset(scan, 0, sizeof scan);
    const char *names[3] = { "home", "neighbour", "cafe-guest" };
    for (size_t i = 0; i < 3; i++) {
        scan[i].ssid_len = (uint8_t)strlen(names[i]);
        memcpy(scan[i].ssid, names[i], scan[i].ssid_len);
        scan[i].rssi = (int8_t)(-40 - 15 * (int)i);
    }
    check(ward_gw_prov_set_scan(&gw, scan, 3), "scan");
    ward_gw_qr qr;
    memset(&qr, 0, sizeof qr);
    memcpy(qr.mac, cfg.mac, sizeof qr.mac);
    memcpy(qr.pop, cfg.pop, sizeof qr.pop);
    strcpy(qr.brand, "ward");
    strcpy(qr.category, "hub");
    char qr_text[WARD_GW_QR_MAX + 1];
    check(ward_gw_qr_encode(&qr, qr_text, sizeof qr_text, &ql), "QR");

    printf("== flow C: the whole provisioning, %s backend (core messages only; HTTP, JSON and"
           " base64 framing not counted)\n", BENCH_BACKEND);
    printf("  QR code read by the camera: %zu bytes of text, no round trip\n", ql);
    printf("   #  %-46s %-31s %s\n", "step", "path", "request + answer bytes");
    tally t;
    memset(&t, 0, sizeof t);
    ward_gw_app app;
    ward_gw_info info;
    ward_gw_event ev;
    ward_gw_answer ans;

    check(ward_gw_app_start(&app, cp, &rng, &qr, q, sizeof q, &ql), "SEARCH");
    check(ward_gw_prov_udp(&gw, now, q, ql, a, sizeof a, &al), "gateway, SEARCH");
    check(ward_gw_app_search_reply(&app, a, al, &info), "app, SEARCH reply");
    leg(&t, LEG_UDP, "SEARCH -> ephemeral key + sealed device info", ql, al);

    check(ward_gw_app_list(&app, q, sizeof q, &ql), "SSID_LIST");
    al = tcp_trip(&gw, &app, now, q, ql, &ev, &ans, a);
    leg(&t, LEG_TCP, "SSID_LIST -> 3 networks", ql, al);

    static const char psk[] = "correct horse battery";
    check(ward_gw_app_wifi_set(&app, (const uint8_t *)"home", 4, (const uint8_t *)psk,
                               sizeof psk - 1, q, sizeof q, &ql), "WIFI_SET");
    al = tcp_trip(&gw, &app, now, q, ql, &ev, &ans, a);
    if (ev.type != WARD_GW_EV_JOIN) {
        die("WIFI_SET gave no JOIN", WARD_ERR_STATE);
    }
    leg(&t, LEG_TCP, "WIFI_SET {ssid, psk} -> joining", ql, al);
    check(ward_gw_prov_join_result(&gw, WARD_GW_FAIL_NONE), "join");

    check(ward_gw_app_status(&app, q, sizeof q, &ql), "WIFI_STATUS");
    al = tcp_trip(&gw, &app, now, q, ql, &ev, &ans, a);
    if (ans.state != WARD_GW_WIFI_JOINED) {
        die("not joined", WARD_ERR_STATE);
    }
    leg(&t, LEG_TCP, "WIFI_STATUS -> joined (one poll)", ql, al);

    /* wardd: POST /v1/gateways/claims, a request without a core message. */
    uint8_t claim[WARD_GW_CLAIM_LEN], claim_msg[WARD_GW_CLAIM_MSG_LEN];
    size_t claim_len = 0;
    check(rng.fill(rng.ctx, claim, sizeof claim), "claim");
    check(ward_gw_claim_encode(claim, claim_msg, sizeof claim_msg, &claim_len), "CLAIM");
    leg(&t, LEG_APP_WARDD, "claim request -> CLAIM", 0, claim_len);

    check(ward_gw_app_claim(&app, claim_msg, claim_len, q, sizeof q, &ql), "LAN CLAIM");
    al = tcp_trip(&gw, &app, now, q, ql, &ev, &ans, a);
    if (ev.type != WARD_GW_EV_CLAIM || al != 0) {
        die("LAN CLAIM gave no CLAIM event", WARD_ERR_STATE);
    }
    uint8_t got_claim[WARD_GW_CLAIM_LEN], reg[WARD_GW_REGISTER_MAX];
    size_t reg_len = 0;
    check(ward_gw_claim_parse(ev.data, ev.len, got_claim), "gateway, CLAIM");
    check(ward_gw_register_sign_by(cp, &id->ks, GW_KEY, got_claim, cfg.mac, cfg.uuid, id->act,
                                   id->act_len, cfg.hash, reg, sizeof reg, &reg_len), "REGISTER");
    check(ward_gw_prov_answer(&gw, reg, reg_len, a, sizeof a, &al), "gateway, REGISTER");
    check(ward_gw_app_reply(&app, a, al, &ans), "app, REGISTER");
    leg(&t, LEG_TCP, "LAN_CLAIM (CLAIM) -> REGISTER", ql, al);

    /* wardd: POST /v1/gateways: verify, issue, seal to the gateway's key. */
    ward_gw_register r;
    ward_gw_creds issued, peek, opened;
    uint8_t creds_msg[WARD_GW_CREDS_MSG_LEN], verifier[WARD_GW_VERIFIER_LEN];
    size_t creds_len = 0;
    check(ward_gw_register_verify(cp, factory_pub, ans.data, ans.data_len, &r), "wardd, verify");
    check(ward_gw_owner_check(cp, &r, info.hash), "wardd, owner hash");
    memset(&issued, 0, sizeof issued);
    check(rng.fill(rng.ctx, issued.tid, sizeof issued.tid), "tid");
    check(rng.fill(rng.ctx, issued.password, sizeof issued.password), "password");
    check(rng.fill(rng.ctx, issued.accesskey, sizeof issued.accesskey), "accesskey");
    check(rng.fill(rng.ctx, issued.localkey, sizeof issued.localkey), "localkey");
    issued.generation = 1;
    issued.expiry_ms = now + 365ull * 86400000ull;
    check(ward_gw_password_verifier(cp, issued.tid, issued.password, verifier), "verifier");
    check(ward_gw_creds_seal(cp, &rng, r.gw_pub, &issued, creds_msg, sizeof creds_msg,
                             &creds_len), "wardd, CREDENTIALS");
    check(ward_gw_creds_peek(creds_msg, creds_len, &peek), "app, peek");
    leg(&t, LEG_APP_WARDD, "REGISTER -> CREDENTIALS (sealed to gw)", ans.data_len, creds_len);

    check(ward_gw_app_credentials(&app, creds_msg, creds_len, q, sizeof q, &ql), "LAN CREDS");
    al = tcp_trip(&gw, &app, now, q, ql, &ev, &ans, a);
    if (ev.type != WARD_GW_EV_CREDENTIALS || al != 0) {
        die("LAN CREDENTIALS gave no event", WARD_ERR_STATE);
    }
    uint8_t ack[WARD_GW_CREDS_ACK_LEN];
    size_t ack_len = 0;
    check(ward_gw_creds_open_by(cp, &id->ks, GW_KEY, ev.data, ev.len, &opened), "gw, open");
    check(ward_gw_creds_ack_encode(opened.tid, opened.generation, ack, sizeof ack, &ack_len),
          "ack");
    check(ward_gw_prov_answer(&gw, ack, ack_len, a, sizeof a, &al), "gateway, ack");
    check(ward_gw_app_reply(&app, a, al, &ans), "app, ack");
    leg(&t, LEG_TCP, "LAN_CREDENTIALS (CREDENTIALS) -> ack", ql, al);

    check(ward_gw_app_commit(&app, q, sizeof q, &ql), "WIFI_COMMIT");
    al = tcp_trip(&gw, &app, now, q, ql, &ev, &ans, a);
    if (ev.type != WARD_GW_EV_COMMITTED) {
        die("WIFI_COMMIT not committed", WARD_ERR_STATE);
    }
    leg(&t, LEG_TCP, "WIFI_COMMIT -> committed", ql, al);

    /* The gateway on the home network: its first login. */
    ward_gw_session gs, ws;
    uint8_t login[WARD_GW_LOGIN_LEN], reply[WARD_GW_LOGIN_REPLY_LEN], tid[WARD_GW_TID_LEN];
    uint8_t sid[WARD_GW_SID_LEN];
    size_t login_len = 0, reply_len = 0;
    uint64_t counter = 0;
    check(ward_gw_login_start(&gs, cp, &rng, &opened, 1, login, sizeof login, &login_len),
          "LOGIN");
    check(ward_gw_login_peek(login, login_len, tid, &counter), "wardd, peek");
    check(rng.fill(rng.ctx, sid, sizeof sid), "sid");
    check(ward_gw_login_accept(&ws, cp, &rng, tid, issued.accesskey, verifier, 0, sid, 3600,
                               login, login_len, reply, sizeof reply, &reply_len),
          "wardd, accept");
    check(ward_gw_login_finish(&gs, cp, reply, reply_len), "gateway, login reply");
    leg(&t, LEG_GW_WARDD, "LOGIN (ECDH share) -> reply: session", login_len, reply_len);
    double cpu_ms = (cpu_s() - c0) * 1e3;

    unsigned lan = t.trips[LEG_UDP] + t.trips[LEG_TCP];
    unsigned all = lan + t.trips[LEG_APP_WARDD] + t.trips[LEG_GW_WARDD];
    size_t bytes = 0;
    for (size_t i = 0; i < 4; i++) {
        bytes += t.bytes[i];
    }
    printf("round trips: %u in all = %u on the LAN (%u UDP + %u TCP) + %u app <-> wardd"
           " + %u gateway <-> wardd\n", all, lan, t.trips[LEG_UDP], t.trips[LEG_TCP],
           t.trips[LEG_APP_WARDD], t.trips[LEG_GW_WARDD]);
    printf("bytes: %zu in all = %zu on the LAN + %zu app <-> wardd + %zu gateway <-> wardd\n",
           bytes, t.bytes[LEG_UDP] + t.bytes[LEG_TCP], t.bytes[LEG_APP_WARDD],
           t.bytes[LEG_GW_WARDD]);
    printf("anchors (issue 17): ESP-IDF provisioning about 9 round trips, SmartThings SoftAP"
           " onboarding about 7;\n  ours: %u on the LAN (key agreement, Wi-Fi hand-over and"
           " the cloud payloads carried), %u with the cloud\n", lan, all);
    printf("CPU for all of it, both ends and wardd's core calls in one process: %.1f ms\n",
           cpu_ms);

    ward_gw_session_wipe(&gs);
    ward_gw_session_wipe(&ws);
    ward_wipe(&issued, sizeof issued);
    ward_wipe(&opened, sizeof opened);
    ward_gw_app_wipe(&app);
    ward_gw_prov_close(&gw);
    ward_keystore_soft_wipe(&id->soft);
    ward_keystore_soft_wipe(&fsoft);
    free(id);
    return 0;
}

/* ==== 2. logins and session packets through wardd, and mosquitto ==== */

typedef struct gw {
    gw_id id;
    ward_gw_creds creds;
    uint64_t counter;
    ward_gw_session s;
    unsigned logins;    /* in the login phase */
} gw;

typedef struct user {
    bench_app app;
    char keyid[WARD_HTTPSIG_KEYID_MAX];
} user;

typedef struct worker {
    pthread_t th, resp_th;
    unsigned idx;
    bench_http h;
    gw **gws;
    size_t ngws, next;
    uint64_t done;
    int failed;
    /* What the gateway sent and wardd answered, for the broker phases. */
    uint8_t login[WARD_GW_LOGIN_LEN], reply[WARD_GW_LOGIN_REPLY_LEN];
    size_t login_len, reply_len;
    uint8_t data[WARD_GW_DATA_MAX], answer[WARD_GW_DATA_MAX];
    size_t data_len, answer_len;
    bench_mqtt gw_conn, resp_conn;
    char up[32], down[32];
} worker;

typedef struct run_opts {
    const char *url, *factory, *outbox;
    unsigned gateways, workers, mqtt_port;
    double seconds;
    long wardd_pid, mqtt_pid;
} run_opts;

static uint64_t deadline_ns;

static void note(worker *w, const char *what, long status)
{
    if (!w->failed) {
        fprintf(stderr, "bench_gateways: worker %u: %s: status %ld: %.300s\n", w->idx, what,
                status, w->h.resp ? w->h.resp : "");
    }
    w->failed = 1;
}

static ward_err sign_user(void *ctx, const char *base, size_t len, uint8_t sig[WARD_P256_SIG_LEN])
{
    const user *u = ctx;
    return ward_httpsig_sign_by(cp, &u->app.keys, WARD_KEY_APP_CLIENT, base, len, sig);
}

/* A signed-in owner: account, phone verified by the code wardd sent. */
static int user_setup(bench_http *h, user *u, unsigned n, const char *outbox)
{
    char uid[WARD_UID_MAX + 1], phone[WARD_PHONE_MAX + 1], body[512], enc[128], code[8];
    snprintf(uid, sizeof uid, "gwbench%05u", n);
    snprintf(phone, sizeof phone, "+86137%08u", n);
    snprintf(u->keyid, sizeof u->keyid, "user:%s", uid);
    if (bench_app_init(&u->app, cp, uid, phone) != WARD_OK ||
        ward_b64_encode(u->app.pub, sizeof u->app.pub, enc, sizeof enc) != WARD_OK) {
        return -1;
    }
    bench_signer s = { u->keyid, sign_user, u };
    snprintf(body, sizeof body, "{\"user\":\"%s\",\"phone\":\"%s\",\"pub\":\"%s\"}", uid, phone,
             enc);
    long st = bench_http_call(h, "POST", "/v1/users", NULL, body, &s);
    if ((st != 201 && st != 200) || bench_outbox_code(outbox, uid, code) != 0) {
        fprintf(stderr, "bench_gateways: POST /v1/users %ld: %.200s\n", st, h->resp);
        return -1;
    }
    snprintf(body, sizeof body, "{\"code\":\"%s\"}", code);
    st = bench_http_call(h, "POST", "/v1/users/verify", NULL, body, &s);
    if (st != 200) {
        fprintf(stderr, "bench_gateways: POST /v1/users/verify %ld: %.200s\n", st, h->resp);
        return -1;
    }
    return 0;
}

/* Claim, REGISTER, CREDENTIALS through wardd, as `ward app provision` relays them. */
static int gw_register(bench_http *h, user *u, gw *g)
{
    static const uint8_t mac[WARD_GW_MAC_LEN] = { 0x24, 0x0a, 0xc4, 0x00, 0x00, 0x01 };
    char enc[B64_MAX(WARD_GW_REGISTER_MAX)], body[B64_MAX(WARD_GW_REGISTER_MAX) + 112];
    uint8_t msg[WARD_GW_REGISTER_MAX], claim[WARD_GW_CLAIM_LEN];
    size_t len = 0;
    bench_signer s = { u->keyid, sign_user, u };
    long st = bench_http_call(h, "POST", "/v1/gateways/claims", NULL, "{\"ttl_min\":10}", &s);
    if (st != 201 || bench_json_str(h->resp, "claim", enc, sizeof enc) != 0 ||
        ward_b64_decode(enc, strlen(enc), msg, sizeof msg, &len) != WARD_OK ||
        ward_gw_claim_parse(msg, len, claim) != WARD_OK) {
        fprintf(stderr, "bench_gateways: POST /v1/gateways/claims %ld: %.200s\n", st, h->resp);
        return -1;
    }
    /* The gateway's owner hash, as its device info would carry it. */
    uint8_t code[WARD_GW_OWNER_CODE_LEN] = { 0 }, epoch[WARD_GW_OWNER_RANDOM_LEN] = { 0 };
    uint8_t owner[WARD_GW_OWNER_HASH_LEN];
    char oh[2 * WARD_GW_OWNER_HASH_LEN + 1];
    if (ward_gw_owner_hash(cp, code, epoch, g->id.uuid, owner) != WARD_OK ||
        ward_hex_encode(owner, sizeof owner, oh, sizeof oh) != WARD_OK ||
        ward_gw_register_sign_by(cp, &g->id.ks, GW_KEY, claim, mac, g->id.uuid, g->id.act,
                                 g->id.act_len, owner, msg, sizeof msg, &len) != WARD_OK ||
        ward_b64_encode(msg, len, enc, sizeof enc) != WARD_OK) {
        return -1;
    }
    snprintf(body, sizeof body, "{\"register\":\"%s\",\"owner\":\"%s\"}", enc, oh);
    st = bench_http_call(h, "POST", "/v1/gateways", NULL, body, &s);
    if (st != 201 || bench_json_str(h->resp, "credentials", enc, sizeof enc) != 0 ||
        ward_b64_decode(enc, strlen(enc), msg, sizeof msg, &len) != WARD_OK ||
        ward_gw_creds_open_by(cp, &g->id.ks, GW_KEY, msg, len, &g->creds) != WARD_OK) {
        fprintf(stderr, "bench_gateways: POST /v1/gateways %ld: %.200s\n", st, h->resp);
        return -1;
    }
    return 0;
}

/* A login through wardd: LOGIN posted, its reply opens the session. */
static int login(worker *w, gw *g, bool keep)
{
    uint8_t msg[WARD_GW_LOGIN_LEN], reply[WARD_GW_LOGIN_REPLY_LEN + 1];
    char enc[B64_MAX(WARD_GW_LOGIN_LEN) + 8], body[B64_MAX(WARD_GW_LOGIN_LEN) + 32];
    size_t len = 0, rlen = 0;
    g->counter++;
    if (ward_gw_login_start(&g->s, cp, &rng, &g->creds, g->counter, msg, sizeof msg, &len) !=
            WARD_OK ||
        ward_b64_encode(msg, len, enc, sizeof enc) != WARD_OK) {
        note(w, "LOGIN", 0);
        return -1;
    }
    snprintf(body, sizeof body, "{\"login\":\"%s\"}", enc);
    long st = bench_http_call(&w->h, "POST", "/v1/gateways/login", NULL, body, NULL);
    if (st != 200 || bench_json_str(w->h.resp, "reply", enc, sizeof enc) != 0 ||
        ward_b64_decode(enc, strlen(enc), reply, sizeof reply, &rlen) != WARD_OK ||
        ward_gw_login_finish(&g->s, cp, reply, rlen) != WARD_OK) {
        note(w, "POST /v1/gateways/login", st);
        return -1;
    }
    if (keep) {
        memcpy(w->login, msg, len);
        w->login_len = len;
        memcpy(w->reply, reply, rlen);
        w->reply_len = rlen;
    }
    return 0;
}

/* One sealed DATA up, wardd's sealed DATA back, opened. */
static int packet(worker *w, gw *g, bool keep)
{
    uint8_t msg[WARD_GW_DATA_MAX], ans[WARD_GW_DATA_MAX], pt[WARD_GW_SESSION_PAYLOAD_MAX];
    char enc[B64_MAX(WARD_GW_DATA_MAX)], body[B64_MAX(WARD_GW_DATA_MAX) + 32];
    size_t len = 0, alen = 0, n = 0;
    uint8_t type = 0;
    if (ward_gw_session_seal(&g->s, cp, WARD_MSG_GW_DATA, (const uint8_t *)HEARTBEAT,
                             sizeof HEARTBEAT - 1, msg, sizeof msg, &len) != WARD_OK ||
        ward_b64_encode(msg, len, enc, sizeof enc) != WARD_OK) {
        note(w, "seal", 0);
        return -1;
    }
    snprintf(body, sizeof body, "{\"packet\":\"%s\"}", enc);
    long st = bench_http_call(&w->h, "POST", "/v1/gateways/session", NULL, body, NULL);
    if (st != 200 || bench_json_str(w->h.resp, "packet", enc, sizeof enc) != 0 ||
        ward_b64_decode(enc, strlen(enc), ans, sizeof ans, &alen) != WARD_OK ||
        ward_gw_session_open(&g->s, cp, ans, alen, &type, pt, sizeof pt, &n) != WARD_OK ||
        type != WARD_MSG_GW_DATA) {
        note(w, "POST /v1/gateways/session", st);
        return -1;
    }
    if (keep) {
        memcpy(w->data, msg, len);
        w->data_len = len;
        memcpy(w->answer, ans, alen);
        w->answer_len = alen;
    }
    return 0;
}

/* The next gateway of w with logins left, or NULL. */
static gw *next_gw(worker *w)
{
    for (size_t tries = 0; tries < w->ngws; tries++) {
        gw *g = w->gws[w->next++ % w->ngws];
        if (g->logins < LOGIN_BUDGET) {
            return g;
        }
    }
    return NULL;
}

static void *logins_main(void *arg)
{
    worker *w = arg;
    for (gw *g; !w->failed && bench_now_ns() < deadline_ns && (g = next_gw(w)) != NULL;) {
        g->logins++;
        if (login(w, g, w->done == 0) == 0) {
            w->done++;
        }
    }
    return NULL;
}

static void *packets_main(void *arg)
{
    worker *w = arg;
    while (!w->failed && bench_now_ns() < deadline_ns) {
        gw *g = w->gws[w->next++ % w->ngws];
        /* A gateway the login phase never reached logs in first (not timed apart). */
        if (g->logins == 0) {
            g->logins++;
            if (login(w, g, false) != 0) {
                break;
            }
        }
        if (packet(w, g, w->done == 0) == 0) {
            w->done++;
        }
    }
    return NULL;
}

/* The broker's far end: answers each request of its worker's gateway
 * with what wardd answered to the same bytes. An empty message ends it. */
static void *responder_main(void *arg)
{
    worker *w = arg;
    uint8_t in[BENCH_MQTT_BUF];
    size_t n = 0;
    while (bench_mqtt_recv(&w->resp_conn, in, sizeof in, &n) == 0 && n > 0) {
        const uint8_t *ans = n == w->login_len ? w->reply : w->answer;
        size_t alen = n == w->login_len ? w->reply_len : w->answer_len;
        if (bench_mqtt_publish(&w->resp_conn, w->down, ans, alen) != 0) {
            break;
        }
    }
    return NULL;
}

/* The gateway's end through the broker: the login bytes (arg's worker
 * login_len) or the DATA bytes, and the same answer back each time. */
static bool mqtt_logins;

static void *mqtt_main(void *arg)
{
    worker *w = arg;
    uint8_t in[BENCH_MQTT_BUF];
    size_t n = 0;
    const uint8_t *req = mqtt_logins ? w->login : w->data;
    size_t rlen = mqtt_logins ? w->login_len : w->data_len;
    size_t want = mqtt_logins ? w->reply_len : w->answer_len;
    while (!w->failed && bench_now_ns() < deadline_ns) {
        if (bench_mqtt_publish(&w->gw_conn, w->up, req, rlen) != 0 ||
            bench_mqtt_recv(&w->gw_conn, in, sizeof in, &n) != 0 || n != want) {
            note(w, "mosquitto round trip", 0);
            break;
        }
        w->done++;
    }
    return NULL;
}

/* Runs fn on every worker for at most o->seconds: rate, and the CPU share
 * of the server process pid (-1 unknown). */
static double gen_util;   /* this process's CPU share in the last phase */

static int timed(worker *ws, const run_opts *o, void *(*fn)(void *), long pid, double *rate,
                 double *util)
{
    uint64_t t0 = bench_now_ns();
    double c0 = proc_cpu_s(pid), g0 = cpu_s();
    deadline_ns = t0 + (uint64_t)(o->seconds * 1e9);
    for (unsigned i = 0; i < o->workers; i++) {
        ws[i].done = 0;
        if (pthread_create(&ws[i].th, NULL, fn, &ws[i]) != 0) {
            return -1;
        }
    }
    uint64_t done = 0;
    int failed = 0;
    for (unsigned i = 0; i < o->workers; i++) {
        pthread_join(ws[i].th, NULL);
        done += ws[i].done;
        failed |= ws[i].failed;
    }
    double el = (double)(bench_now_ns() - t0) / 1e9, c1 = proc_cpu_s(pid);
    *rate = (double)done / el;
    *util = c0 >= 0 && c1 >= 0 ? (c1 - c0) / el : -1;
    gen_util = (cpu_s() - g0) / el;
    return failed ? -1 : 0;
}

static void print_rate(const char *what, double rate, double util, const char *server)
{
    printf("  %-46s %8.0f /s", what, rate);
    if (util >= 0) {
        printf("   (%s CPU %.0f %% of one core, %.0f us each = %.0f /s per core;"
               " generator %.0f %%)\n", server, util * 100, rate > 0 ? util / rate * 1e6 : 0,
               util > 0 ? rate / util : 0, gen_util * 100);
    } else {
        printf("   (generator %.0f %%)\n", gen_util * 100);
    }
}

/* The factory's key (bench_relay factory wrote it) in a soft keystore. */
static int load_factory(const char *dir, ward_keystore_soft *soft, ward_keystore *ks)
{
    uint8_t priv[WARD_P256_SCALAR_LEN];
    ward_keystore_soft_init(soft, cp, &rng, ks);
    int rc = bench_factory_load(dir, priv) == 0 &&
                     ward_keystore_soft_load(soft, WARD_KEY_FACTORY, priv) == WARD_OK
                 ? 0
                 : -1;
    ward_wipe(priv, sizeof priv);
    return rc;
}

static int mqtt_setup(worker *w, unsigned port)
{
    char id[32];
    snprintf(w->up, sizeof w->up, "gwb/%u/up", w->idx);
    snprintf(w->down, sizeof w->down, "gwb/%u/down", w->idx);
    /* The broker was just started: give it up to 2 s to listen. */
    snprintf(id, sizeof id, "gwb-gw-%u", w->idx);
    int rc = -1;
    for (int i = 0; i < 100 && (rc = bench_mqtt_connect(&w->gw_conn, port, id)) != 0; i++) {
        usleep(20000);
    }
    snprintf(id, sizeof id, "gwb-cloud-%u", w->idx);
    if (rc != 0 || bench_mqtt_subscribe(&w->gw_conn, w->down) != 0 ||
        bench_mqtt_connect(&w->resp_conn, port, id) != 0 ||
        bench_mqtt_subscribe(&w->resp_conn, w->up) != 0 ||
        pthread_create(&w->resp_th, NULL, responder_main, w) != 0) {
        fprintf(stderr, "bench_gateways: cannot reach mosquitto on 127.0.0.1:%u\n", port);
        return -1;
    }
    return 0;
}

static int cmd_run(const run_opts *o)
{
    unsigned nusers = (o->gateways + GATEWAYS_PER_USER - 1) / GATEWAYS_PER_USER;
    user *users = calloc(nusers, sizeof *users);
    gw *gws = calloc(o->gateways, sizeof *gws);
    worker *ws = calloc(o->workers, sizeof *ws);
    ward_keystore_soft fsoft;
    ward_keystore fks;
    bench_http h;
    if (users == NULL || gws == NULL || ws == NULL || load_factory(o->factory, &fsoft, &fks) != 0 ||
        bench_http_init(&h, cp, o->url) != 0) {
        return 1;
    }
    printf("== flow C through wardd (%s backend, %u gateways of %u owners, %u workers with one"
           " keep-alive connection each, %.0f s per phase)\n", BENCH_BACKEND, o->gateways,
           nusers, o->workers, o->seconds);
    uint64_t t0 = bench_now_ns();
    for (unsigned i = 0; i < nusers; i++) {
        if (user_setup(&h, &users[i], i, o->outbox) != 0) {
            return 1;
        }
    }
    for (unsigned i = 0; i < o->gateways; i++) {
        gw_id_init(&gws[i].id, &fks);
        if (gw_register(&h, &users[i / GATEWAYS_PER_USER], &gws[i]) != 0) {
            return 1;
        }
    }
    printf("setup: %u owners signed up, %u gateways claimed, registered and given their"
           " credentials in %.1f s\n", nusers, o->gateways, (double)(bench_now_ns() - t0) / 1e9);
    for (unsigned i = 0; i < o->workers; i++) {
        ws[i].idx = i;
        ws[i].gws = calloc(o->gateways / o->workers + 1, sizeof *ws[i].gws);
        if (ws[i].gws == NULL || bench_http_init(&ws[i].h, cp, o->url) != 0) {
            return 1;
        }
    }
    for (unsigned i = 0; i < o->gateways; i++) {
        worker *w = &ws[i % o->workers];
        w->gws[w->ngws++] = &gws[i];
    }

    double rate = 0, util = 0, wardd_logins = 0, wardd_packets = 0;
    if (timed(ws, o, logins_main, o->wardd_pid, &rate, &util) != 0) {
        return 1;
    }
    wardd_logins = rate;
    print_rate("wardd: logins (LOGIN + reply, fresh session)", rate, util, "wardd");
    unsigned spent = 0;
    for (unsigned i = 0; i < o->gateways; i++) {
        spent += gws[i].logins >= LOGIN_BUDGET;
    }
    if (spent == o->gateways) {
        printf("    (every gateway used its %u logins before the deadline: add --gateways)\n",
               LOGIN_BUDGET);
    }
    /* The last login of each gateway left its session open: packets go in it. */
    if (timed(ws, o, packets_main, o->wardd_pid, &rate, &util) != 0) {
        return 1;
    }
    wardd_packets = rate;
    print_rate("wardd: session packets (DATA up + DATA back)", rate, util, "wardd");

    if (o->mqtt_port != 0) {
        for (unsigned i = 0; i < o->workers; i++) {
            if (mqtt_setup(&ws[i], o->mqtt_port) != 0) {
                return 1;
            }
        }
        printf("mosquitto relaying the same bytes (each round trip: gateway -> broker ->"
               " responder -> broker -> gateway;\n  both ends are this process's threads, so"
               " when the generator nears its cores' limit, the broker is not the bound):\n");
        mqtt_logins = true;
        if (timed(ws, o, mqtt_main, o->mqtt_pid, &rate, &util) != 0) {
            return 1;
        }
        print_rate("mosquitto: the LOGIN and reply bytes", rate, util, "mosquitto");
        printf("    wardd's logins = %.0f %% of that relay rate\n",
               rate > 0 ? wardd_logins / rate * 100 : 0);
        mqtt_logins = false;
        if (timed(ws, o, mqtt_main, o->mqtt_pid, &rate, &util) != 0) {
            return 1;
        }
        print_rate("mosquitto: the DATA bytes both ways", rate, util, "mosquitto");
        printf("    wardd's packets = %.0f %% of that relay rate\n",
               rate > 0 ? wardd_packets / rate * 100 : 0);
        for (unsigned i = 0; i < o->workers; i++) {
            /* An empty message ends the responder. */
            static const uint8_t none[1] = { 0 };
            if (bench_mqtt_publish(&ws[i].gw_conn, ws[i].up, none, 0) == 0) {
                pthread_join(ws[i].resp_th, NULL);
            }
            bench_mqtt_close(&ws[i].gw_conn);
            bench_mqtt_close(&ws[i].resp_conn);
        }
    } else {
        printf("mosquitto: not run (no --mqtt-port)\n");
    }
    printf("  bytes per login %zu + %zu, per packet %zu + %zu (core messages; wardd's are"
           " base64 in JSON over HTTP)\n", ws[0].login_len, ws[0].reply_len, ws[0].data_len,
           ws[0].answer_len);

    for (unsigned i = 0; i < o->workers; i++) {
        bench_http_free(&ws[i].h);
        free(ws[i].gws);
    }
    for (unsigned i = 0; i < o->gateways; i++) {
        ward_keystore_soft_wipe(&gws[i].id.soft);
        ward_gw_session_wipe(&gws[i].s);
        ward_wipe(&gws[i].creds, sizeof gws[i].creds);
    }
    for (unsigned i = 0; i < nusers; i++) {
        ward_keystore_soft_wipe(&users[i].app.soft);
    }
    ward_keystore_soft_wipe(&fsoft);
    bench_http_free(&h);
    free(ws);
    free(gws);
    free(users);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_gateways prov\n"
                    "       bench_gateways run --url URL --factory DIR [--gateways G]"
                    " [--workers W]\n"
                    "                          [--seconds S] [--mqtt-port P] [--wardd-pid PID]"
                    " [--mqtt-pid PID]\n"
                    "                          [--outbox DIR]  (default: DIR/outbox of"
                    " --factory)\n");
    return 2;
}

int main(int argc, char **argv)
{
    cp = BENCH_CRYPTO();
    rng = ward_random_posix();
    if (argc == 2 && strcmp(argv[1], "prov") == 0) {
        return cmd_prov();
    }
    if (argc < 2 || strcmp(argv[1], "run") != 0) {
        return usage();
    }
    run_opts o = { NULL, NULL, NULL, 96, 4, 0, 2.0, 0, 0 };
    char outbox[1024] = "";
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--url") == 0) {
            o.url = v;
        } else if (strcmp(k, "--factory") == 0) {
            o.factory = v;
        } else if (strcmp(k, "--outbox") == 0) {
            o.outbox = v;
        } else if (strcmp(k, "--gateways") == 0) {
            o.gateways = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--workers") == 0) {
            o.workers = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--seconds") == 0) {
            o.seconds = strtod(v, NULL);
        } else if (strcmp(k, "--mqtt-port") == 0) {
            o.mqtt_port = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--wardd-pid") == 0) {
            o.wardd_pid = atol(v);
        } else if (strcmp(k, "--mqtt-pid") == 0) {
            o.mqtt_pid = atol(v);
        } else {
            return usage();
        }
    }
    if (o.factory != NULL && o.outbox == NULL) {
        snprintf(outbox, sizeof outbox, "%s/outbox", o.factory);
        o.outbox = outbox;
    }
    if (o.url == NULL || o.factory == NULL || o.workers == 0 || o.gateways < o.workers ||
        o.seconds <= 0 || o.mqtt_port > 65535) {
        return usage();
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmd_run(&o);
    curl_global_cleanup();
    return rc;
}
