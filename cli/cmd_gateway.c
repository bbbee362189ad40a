/* `ward gateway init|run`: the CLI playing a gateway (flow C): its identity and QR code, and the
 * LAN hand-over (SEARCH on UDP, the sealed TCP link) with the station join simulated. The core
 * (ward_gw_prov.h) decides everything; this file moves bytes and plays the radio. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "fw_device.h"
#include "gw_cloud.h"
#include "gw_net.h"
#include "gw_subs.h"
#include "keystore.h"
#include "qr.h"
#include "sectime.h"
#include "state.h"
#include "ward/ward.h"
#include "ward/ward_encode.h"
#include "ward/ward_files.h"
#include "ward/ward_host.h"

#define GW_CONF "gateway.json"
#define GW_STORE "provision.bin"
#define GW_STORE_SIZE 8192
#define GW_CONF_MAX 4096
#define GW_RUN_LOCK ".gateway.lock"   /* flock(2): one run or reset at a time */
#define JOIN_DELAY_MS 300      /* the simulated radio takes a moment */

typedef struct gw_conf {
    uint8_t mac[WARD_GW_MAC_LEN];
    uint8_t uuid[WARD_GW_UUID_LEN];
    uint8_t pop[WARD_GW_POP_LEN];
    char brand[WARD_GW_BRAND_MAX + 1];
    char category[WARD_GW_CATEGORY_MAX + 1];
    unsigned port;
    bool reset;        /* a user reset brought it back to provisioning mode */
} gw_conf;

static char *path_in(const char *dir, const char *name)
{
    char *p = ward_path_join(dir, name);
    if (p == NULL) {
        cli_fail("out of memory");
    }
    return p;
}

static int conf_write(const char *dir, const gw_conf *c)
{
    char mac[13], uuid[33], pop[33];
    if (ward_hex_encode(c->mac, sizeof c->mac, mac, sizeof mac) != WARD_OK ||
        ward_hex_encode(c->uuid, sizeof c->uuid, uuid, sizeof uuid) != WARD_OK ||
        ward_hex_encode(c->pop, sizeof c->pop, pop, sizeof pop) != WARD_OK) {
        return cli_fail("cannot encode the gateway's config");
    }
    char text[512];
    int n = snprintf(text, sizeof text,
                     "{\"mac\":\"%s\",\"uuid\":\"%s\",\"pop\":\"%s\",\"brand\":\"%s\","
                     "\"category\":\"%s\",\"port\":%u,\"reset\":%s}\n",
                     mac, uuid, pop, c->brand, c->category, c->port,
                     c->reset ? "true" : "false");
    explicit_bzero(pop, sizeof pop);
    char *path = path_in(dir, GW_CONF);
    if (path == NULL) {
        explicit_bzero(text, sizeof text);
        return CLI_EXIT_FAIL;
    }
    ward_err err = ward_file_write_atomic(path, text, (size_t)n, 0600);
    int e = errno;
    explicit_bzero(text, sizeof text);
    int rc = err == WARD_OK ? 0 : cli_fail("%s: %s", path, cli_file_why(err, e, "not written"));
    free(path);
    return rc;
}

static int hex_field(const cJSON *o, const char *key, uint8_t *out, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    size_t n = 0;
    if (!cJSON_IsString(v) || strlen(v->valuestring) != 2 * len ||
        ward_hex_decode(v->valuestring, 2 * len, out, len, &n) != WARD_OK || n != len) {
        return -1;
    }
    return 0;
}

static int str_field(const cJSON *o, const char *key, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || strlen(v->valuestring) == 0 || strlen(v->valuestring) >= cap) {
        return -1;
    }
    strcpy(out, v->valuestring);
    return 0;
}

static int conf_read(const char *dir, gw_conf *c)
{
    char *path = path_in(dir, GW_CONF), *text = NULL;
    size_t len = 0;
    memset(c, 0, sizeof *c);
    if (path == NULL) {
        return CLI_EXIT_FAIL;
    }
    ward_err err = ward_file_read(path, GW_CONF_MAX, &text, &len);
    if (err != WARD_OK) {
        int rc = cli_fail("%s: %s (made by ward gateway init)", path,
                          cli_file_why(err, errno, "too large"));
        free(path);
        return rc;
    }
    cJSON *o = cJSON_ParseWithLength(text, len);
    explicit_bzero(text, len);
    free(text);
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(o, "port");
    int bad = o == NULL || hex_field(o, "mac", c->mac, sizeof c->mac) != 0 ||
              hex_field(o, "uuid", c->uuid, sizeof c->uuid) != 0 ||
              hex_field(o, "pop", c->pop, sizeof c->pop) != 0 ||
              str_field(o, "brand", c->brand, sizeof c->brand) != 0 ||
              str_field(o, "category", c->category, sizeof c->category) != 0 ||
              !cJSON_IsNumber(port) || port->valuedouble < 1 || port->valuedouble > 65535;
    if (!bad) {
        c->port = (unsigned)port->valuedouble;
        c->reset = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "reset"));
    }
    cJSON_Delete(o);
    int rc = bad ? cli_fail("%s: not a gateway config", path) : 0;
    free(path);
    return rc;
}

int cmd_gateway_init(int argc, char **argv)
{
    const char *dir = NULL, *mac_s = NULL, *server = NULL, *factory = NULL, *no_act = NULL;
    const char *brand = NULL, *category = NULL, *port_s = NULL, *keystore = NULL;
    const char *fw_class = NULL, *release_pub = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "mac", true, &mac_s }, { "server", true, &server },
        { "factory-key", true, &factory }, { "no-activate", false, &no_act },
        { "brand", true, &brand }, { "category", true, &category }, { "port", true, &port_s },
        { "keystore", true, &keystore },
        { "fw-class", true, &fw_class }, { "release-pub", true, &release_pub },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || mac_s == NULL || server == NULL || (factory == NULL && no_act == NULL)) {
        return cli_usage("usage: ward gateway init --dir G --mac MAC --server URL "
                         "--factory-key FILE [--brand B] [--category C] [--port P] "
                         "[--no-activate] [--keystore URI]");
    }
    gw_conf c;
    memset(&c, 0, sizeof c);
    if (gw_parse_mac(mac_s, c.mac) != 0) {
        return cli_usage("--mac: 6 bytes in hex (02:11:22:a3:b4:c5), not '%s'", mac_s);
    }
    unsigned long port = 0;
    if ((rc = cli_number_opt("port", port_s, 10080, 1, 65535, &port)) != 0 ||
        (rc = cli_server_opt(&server)) != 0 ||
        (rc = fw_device_check_opts(fw_class, release_pub)) != 0) {
        return rc;
    }
    c.port = (unsigned)port;
    snprintf(c.brand, sizeof c.brand, "%s", brand != NULL ? brand : "ward");
    snprintf(c.category, sizeof c.category, "%s", category != NULL ? category : "hub");
    char ssid[WARD_GW_SOFTAP_SSID_MAX + 1];
    size_t n = 0;
    if ((brand != NULL && strlen(brand) > WARD_GW_BRAND_MAX) ||
        (category != NULL && strlen(category) > WARD_GW_CATEGORY_MAX) ||
        ward_gw_softap_ssid(c.brand, c.category, c.mac, ssid, sizeof ssid, &n) != WARD_OK) {
        return cli_usage("--brand and --category: 1-12 of A-Z a-z 0-9 -");
    }
    char id[WARD_SN_MAX + 1];
    snprintf(id, sizeof id, "GW-%02X%02X%02X%02X%02X%02X", c.mac[0], c.mac[1], c.mac[2],
             c.mac[3], c.mac[4], c.mac[5]);
    cli_keystore_option(keystore);
    ward_agent_state dd;
    if ((rc = cli_state_create(&dd, WARD_AGENT_DEVICE, dir, id, server, ssid, "gateway")) != 0) {
        return rc;
    }
    ward_random rng = ward_random_posix();
    if (rng.fill(rng.ctx, c.pop, sizeof c.pop) != WARD_OK ||
        rng.fill(rng.ctx, c.uuid, sizeof c.uuid) != WARD_OK) {
        ward_agent_state_close(&dd);
        return cli_fail("no random bytes for the gateway's secret");
    }
    rc = conf_write(dir, &c);
    if (rc == 0) {
        /* The cloud identity and the activation its REGISTER carries. */
        rc = gwc_init(dir, dd.host.crypto, dd.host.keystore, c.uuid, factory);
    }
    ward_gw_qr qr;
    memset(&qr, 0, sizeof qr);
    memcpy(qr.mac, c.mac, sizeof qr.mac);
    memcpy(qr.pop, c.pop, sizeof qr.pop);
    strcpy(qr.brand, c.brand);
    strcpy(qr.category, c.category);
    char text[WARD_GW_QR_MAX + 1];
    if (rc == 0 && ward_gw_qr_encode(&qr, text, sizeof text, &n) != WARD_OK) {
        rc = cli_fail("cannot encode the QR code");
    }
    char *png = rc == 0 ? path_in(dir, "qr.png") : NULL;
    if (rc == 0 && png == NULL) {
        rc = CLI_EXIT_FAIL;
    }
    if (rc == 0 && qr_write_png(png, text) != 0) {
        rc = cli_fail("%s: cannot write the QR code", png);
    }
    explicit_bzero(text, sizeof text);
    explicit_bzero(&qr, sizeof qr);
    explicit_bzero(&c, sizeof c);
    if (rc == 0) {
        printf("gateway %s: identity key ready in %s\n", dd.id, dir);
        printf("SoftAP SSID: %s\n", ssid);
        printf("QR code: %s\n", png);
    }
    free(png);
    if (rc == 0 && factory != NULL) {
        rc = cli_state_activate(&dd, factory);
    }
    if (rc == 0 && fw_class != NULL) {
        rc = fw_device_init(dir, fw_class, release_pub, dd.host.crypto);
    }
    ward_agent_state_close(&dd);
    return rc;
}

/* ---- ward gateway run ---- */

#define WIFI_MAX 32

typedef struct wifi_net {
    char ssid[WARD_GW_SSID_MAX + 1];
    char psk[WARD_GW_PSK_MAX + 1];
} wifi_net;

typedef struct gw_run {
    ward_gw_prov gw;
    const char *dir;
    gw_conf conf;
    ward_file_port fp;
    wifi_net nets[WIFI_MAX];
    size_t nnets;
    bool joining;
    long long join_at;
    uint8_t join_result;
    int udp, lsn, conn;
    gw_cloud cloud;
    gw_framer fr;
    bool subs_on;          /* --sub-port: sub-devices served */
    gw_subs subs;
    unsigned long long lk_seen;   /* the cloud epoch whose localkey subs has (gwc_localkey) */
    long long lk_retry_at;        /* a sub-device table that could not be read: next try */
    unsigned lk_backoff_ms;
} gw_run;

/* FILE: one "ssid psk" a line (psk may be missing: an open network). */
static int wifi_read(const char *path, gw_run *r)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return cli_fail("%s: %s", path, strerror(errno));
    }
    char line[256];
    while (fgets(line, sizeof line, f) != NULL && r->nnets < WIFI_MAX) {
        char *save = NULL, *ssid = strtok_r(line, " \t\r\n", &save);
        char *psk = strtok_r(NULL, " \t\r\n", &save);
        if (ssid == NULL || ssid[0] == '#') {
            continue;
        }
        if (strlen(ssid) > WARD_GW_SSID_MAX || (psk != NULL && strlen(psk) > WARD_GW_PSK_MAX)) {
            fclose(f);
            return cli_fail("%s: an SSID over 32 bytes or a password over 64", path);
        }
        wifi_net *w = &r->nets[r->nnets++];
        snprintf(w->ssid, sizeof w->ssid, "%s", ssid);
        snprintf(w->psk, sizeof w->psk, "%s", psk != NULL ? psk : "");
    }
    fclose(f);
    explicit_bzero(line, sizeof line);
    return 0;
}

/* The simulated station join: the network must be in the list, its
 * password must match. */
static uint8_t station_join(const gw_run *r, const ward_gw_event *ev)
{
    for (size_t i = 0; i < r->nnets; i++) {
        const wifi_net *w = &r->nets[i];
        if (strlen(w->ssid) == ev->ssid_len && memcmp(w->ssid, ev->ssid, ev->ssid_len) == 0) {
            bool ok = strlen(w->psk) == ev->psk_len &&
                      (ev->psk_len == 0 ||
                       ward_ct_equal((const uint8_t *)w->psk, ev->psk, ev->psk_len));
            return ok ? WARD_GW_FAIL_NONE : WARD_GW_FAIL_PSK;
        }
    }
    return WARD_GW_FAIL_NO_SSID;
}

static const char *failure_name(uint8_t f)
{
    static const char *const names[] = { "none", "no such network", "wrong password",
                                         "no answer from the access point",
                                         "not committed in time (rolled back)", "failed" };
    return f <= WARD_GW_FAIL_MAX ? names[f] : "failed";
}

static void on_event(gw_run *r, const ward_gw_event *ev)
{
    switch (ev->type) {
    case WARD_GW_EV_JOIN:
        printf("joining %.*s\n", (int)ev->ssid_len, (const char *)ev->ssid);
        r->join_result = station_join(r, ev);
        r->joining = true;
        r->join_at = cli_mono_ms() + JOIN_DELAY_MS;
        break;
    case WARD_GW_EV_COMMITTED:
        printf("wifi committed: %.*s\n", (int)ev->ssid_len, (const char *)ev->ssid);
        if (r->conf.reset) {
            /* Provisioned again: the reset flag has served. */
            r->conf.reset = false;
            if (conf_write(r->dir, &r->conf) != 0) {
                fprintf(stderr, "gateway: the reset flag stays set\n");
            }
        }
        break;
    case WARD_GW_EV_ROLLBACK:
        r->joining = false;
        printf("wifi rolled back: %.*s (no commit in time)\n", (int)ev->ssid_len,
               (const char *)ev->ssid);
        break;
    default:
        break;
    }
    fflush(stdout);
}

static void udp_round(gw_run *r)
{
    uint8_t in[WARD_GW_PROV_MSG_MAX + 1], out[WARD_GW_PROV_MSG_MAX];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(r->udp, in, sizeof in, 0, (struct sockaddr *)&from, &fl);
    if (n <= 0 || (size_t)n > WARD_GW_PROV_MSG_MAX) {
        return;
    }
    size_t out_len = 0;
    ward_err err = ward_gw_prov_udp(&r->gw, (uint64_t)cli_mono_ms(), in, (size_t)n, out,
                                    sizeof out, &out_len);
    if (err == WARD_ERR_AUTH || err == WARD_ERR_LOCKED) {
        fprintf(stderr, "gateway: SEARCH from %s refused: %s\n", inet_ntoa(from.sin_addr),
                ward_strerror(err));
    } else if (err == WARD_OK) {
        printf("answered SEARCH from %s\n", inet_ntoa(from.sin_addr));
        fflush(stdout);
    }
    if (out_len > 0 &&
        sendto(r->udp, out, out_len, 0, (struct sockaddr *)&from, fl) < 0) {
        fprintf(stderr, "gateway: cannot answer %s: %s\n", inet_ntoa(from.sin_addr),
                strerror(errno));
    }
}

static void conn_close(gw_run *r)
{
    if (r->conn >= 0) {
        close(r->conn);
    }
    r->conn = -1;
    r->fr.have = 0;
}

/* One whole frame from the app: the core's answer goes back. */
static void tcp_frame(gw_run *r, const uint8_t *msg, size_t len)
{
    uint8_t out[WARD_GW_PROV_MSG_MAX];
    size_t out_len = 0;
    ward_gw_event ev;
    ward_err err = ward_gw_prov_tcp(&r->gw, (uint64_t)cli_mono_ms(), msg, len, &ev, out,
                                    sizeof out, &out_len);
    if (ev.type == WARD_GW_EV_CLAIM || ev.type == WARD_GW_EV_CREDENTIALS) {
        /* The cloud stage: the core's answer, sealed back over the link;
         * a failure goes back as a sealed refusal. */
        uint8_t ans[WARD_GW_REGISTRATION_MAX];
        size_t alen = 0;
        bool claim = ev.type == WARD_GW_EV_CLAIM;
        ward_err cerr = claim ? gwc_claim(&r->cloud, ev.data, ev.len, ans, sizeof ans, &alen)
                              : gwc_credentials(&r->cloud, ev.data, ev.len, ans, sizeof ans,
                                                &alen);
        if (cerr == WARD_OK) {
            printf("%s answered\n", claim ? "claim" : "credentials");
            err = ward_gw_prov_answer(&r->gw, ans, alen, out, sizeof out, &out_len);
        } else {
            fprintf(stderr, "gateway: %s refused: %s\n", claim ? "claim" : "credentials",
                    ward_strerror(cerr));
            err = ward_gw_prov_refuse(&r->gw, cerr, out, sizeof out, &out_len);
        }
        fflush(stdout);
    } else {
        on_event(r, &ev);
    }
    if (err != WARD_OK && err != WARD_ERR_BUSY) {
        fprintf(stderr, "gateway: request refused: %s\n", ward_strerror(err));
    }
    if (out_len > 0 && gw_send_frame(r->conn, out, out_len) != 0) {
        conn_close(r);
    }
}

static void tcp_round(gw_run *r)
{
    int got = gw_framer_fill(&r->fr, r->conn);
    if (got <= 0) {
        conn_close(r);
        return;
    }
    uint8_t msg[WARD_GW_PROV_MSG_MAX];
    size_t len = 0;
    while (r->conn >= 0 && (got = gw_framer_next(&r->fr, msg, sizeof msg, &len)) == 1) {
        tcp_frame(r, msg, len);
    }
    if (got < 0) {
        conn_close(r);   /* not our framing: drop the connection */
    }
}

static int sockets(gw_run *r, unsigned udp_port, unsigned tcp_port)
{
    int one = 1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons((uint16_t)udp_port);
    r->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (r->udp < 0 || setsockopt(r->udp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(r->udp, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) != 0 ||
        bind(r->udp, (struct sockaddr *)&a, sizeof a) != 0) {
        return cli_fail("udp port %u: %s", udp_port, strerror(errno));
    }
    r->lsn = gw_listen_tcp(tcp_port, 4);
    if (r->lsn < 0) {
        return cli_fail("tcp port %u: %s", tcp_port, strerror(errno));
    }
    return 0;
}

/* Sub-device keys derive from the localkey of the credentials held now
 * (none before the first provisioning): handed to the sub-devices when
 * the credentials change, not on every pass. A table that could not be
 * read is tried again, 0.5 s doubling up to 30 s. */
#define SUBS_RETRY_FIRST_MS 500u
#define SUBS_RETRY_MAX_MS 30000u

static void subs_key(gw_run *r)
{
    if (cli_mono_ms() < r->lk_retry_at) {
        return;
    }
    uint8_t lk[WARD_GW_LOCALKEY_LEN];
    bool have = false;
    if (gwc_localkey(&r->cloud, &r->lk_seen, &have, lk)) {
        gw_subs_localkey(&r->subs, have ? lk : NULL);
        if (have && !r->subs.ready) {
            r->lk_seen = 0;   /* ask for the key again at the next try */
            r->lk_backoff_ms = r->lk_backoff_ms == 0 ? SUBS_RETRY_FIRST_MS
                               : r->lk_backoff_ms * 2u < SUBS_RETRY_MAX_MS
                                   ? r->lk_backoff_ms * 2u : SUBS_RETRY_MAX_MS;
            r->lk_retry_at = cli_mono_ms() + r->lk_backoff_ms;
        } else {
            r->lk_backoff_ms = 0;
        }
    }
    ward_wipe(lk, sizeof lk);
}

static void run_loop(gw_run *r)
{
    while (!cli_stopping) {
        struct pollfd p[3 + GWS_POLLFDS] = { { r->udp, POLLIN, 0 }, { r->lsn, POLLIN, 0 },
                                             { r->conn, POLLIN, 0 } };
        size_t nsub = r->subs_on ? gw_subs_pollfds(&r->subs, p + 3) : 0;
        int rc = poll(p, 3 + nsub, 100);
        if (rc < 0 && errno != EINTR) {
            fprintf(stderr, "gateway: poll: %s\n", strerror(errno));
            cli_nap(100);
        }
        if (rc > 0 && (p[0].revents & POLLIN) != 0) {
            udp_round(r);
        }
        if (rc > 0 && (p[1].revents & POLLIN) != 0) {
            int c = accept4(r->lsn, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0) {
                /* One app at a time: a reconnecting phone replaces its old link. */
                conn_close(r);
                r->conn = c;
            }
        }
        if (rc > 0 && r->conn >= 0 && p[2].fd == r->conn &&
            (p[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            tcp_round(r);
        }
        if (r->subs_on) {
            if (rc > 0) {
                gw_subs_round(&r->subs, p + 3, nsub);
            }
            subs_key(r);
        }
        if (r->joining && cli_mono_ms() >= r->join_at) {
            r->joining = false;
            if (ward_gw_prov_join_result(&r->gw, r->join_result) == WARD_OK) {
                if (r->join_result == WARD_GW_FAIL_NONE) {
                    printf("joined; waiting for the app's commit\n");
                } else {
                    printf("join failed: %s\n", failure_name(r->join_result));
                }
                fflush(stdout);
            }
        }
        ward_gw_event ev;
        if (ward_gw_prov_tick(&r->gw, (uint64_t)cli_mono_ms(), &ev) == WARD_OK) {
            on_event(r, &ev);
        } else {
            fprintf(stderr, "gateway: cannot store the rollback\n");
        }
        /* Online once its Wi-Fi is kept: the cloud thread logs in. */
        ward_gw_status st;
        ward_gw_prov_status(&r->gw, &st);
        gwc_wifi(&r->cloud, st.state == WARD_GW_WIFI_COMMITTED);
    }
}

/* The gateway's run lock: held by `run` for its life and by `reset`. */
static int run_lock(const char *dir)
{
    char *path = path_in(dir, GW_RUN_LOCK);
    if (path == NULL) {
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(path);
    if (fd < 0) {
        cli_fail("%s: %s", dir, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        cli_fail("%s: the gateway is running (ward gateway run): stop it first", dir);
        return -1;
    }
    return fd;
}

/* Where wardd is: the device config `gateway init` wrote. */
static int server_of(const char *dir, char *server, size_t cap)
{
    ward_agent_state dd;
    int rc = cli_state_open_readonly(&dd, WARD_AGENT_DEVICE, dir);
    if (rc == 0) {
        snprintf(server, cap, "%s", dd.server);
        ward_agent_state_close(&dd);
    }
    return rc;
}

int cmd_gateway_reset(int argc, char **argv)
{
    const char *dir = NULL, *tries_s = NULL;
    const cli_option opts[] = { { "dir", true, &dir }, { "tries", true, &tries_s } };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: ward gateway reset --dir G [--tries N]");
    }
    unsigned long tries = 0;
    if ((rc = cli_number_opt("tries", tries_s, 3, 1, 10, &tries)) != 0) {
        return rc;
    }
    char server[WARD_AGENT_URL_MAX + 1];
    gw_conf c;
    if ((rc = server_of(dir, server, sizeof server)) != 0 || (rc = conf_read(dir, &c)) != 0) {
        return rc;
    }
    int lock = run_lock(dir);
    if (lock < 0) {
        explicit_bzero(&c, sizeof c);
        return CLI_EXIT_FAIL;
    }
    static gw_cloud g;
    cli_catch_stop();
    rc = gwc_open(&g, dir, server, c.mac, c.uuid, 30);
    int told = rc == 0 ? gwc_reset(&g, (unsigned)tries) : rc;
    gwc_close(&g);
    if (told == 0 || told == 1) {
        /* Back to provisioning mode: the Wi-Fi forgotten, the reset flag
         * in the device info until the next provisioning. */
        char *prov = path_in(dir, GW_STORE), *subs = path_in(dir, GWS_STORE);
        c.reset = true;
        if (prov == NULL || (unlink(prov) != 0 && errno != ENOENT)) {
            rc = cli_fail("%s: the Wi-Fi not forgotten: %s", dir, strerror(errno));
        } else if (subs == NULL || (unlink(subs) != 0 && errno != ENOENT)) {
            /* Its sub-devices go with its owner: the next one opens its own windows. */
            rc = cli_fail("%s: the sub-devices not forgotten: %s", dir, strerror(errno));
        } else {
            rc = conf_write(dir, &c);
        }
        free(prov);
        free(subs);
        if (rc == 0) {
            printf("gateway reset: credentials and Wi-Fi wiped; %s\n",
                   told == 0 ? "wardd dropped its registration"
                             : "wardd not reached: the gateway tells it when it runs");
        }
    } else {
        rc = told;
    }
    explicit_bzero(&c, sizeof c);
    close(lock);
    return rc;
}

int cmd_gateway_run(int argc, char **argv)
{
    const char *dir = NULL, *netns = NULL, *wifi = NULL, *udp_s = NULL, *fs_s = NULL;
    const char *hb_s = NULL, *sub_s = NULL, *sub_fac = NULL, *sub_root = NULL;
    const char *sub_list = NULL, *every_s = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "netns", true, &netns }, { "wifi", true, &wifi },
        { "udp-port", true, &udp_s }, { "failsafe", true, &fs_s }, { "heartbeat", true, &hb_s },
        { "sub-port", true, &sub_s }, { "sub-factory", true, &sub_fac },
        { "sub-root", true, &sub_root }, { "sub-list", true, &sub_list },
        { "time-every", true, &every_s },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || (sub_s == NULL) != (sub_fac == NULL && sub_root == NULL) ||
        (sub_list != NULL && sub_root == NULL)) {
        return cli_usage("usage: ward gateway run --dir G [--netns NAME] [--wifi FILE] "
                         "[--udp-port P] [--failsafe S] [--heartbeat S] "
                         "[--sub-port P [--sub-factory FILE] [--sub-root FILE [--sub-list FILE]]] "
                         "[--time-every S]");
    }
    unsigned long sub_port = 0, every = 0;
    if ((rc = cli_number_opt("sub-port", sub_s, 0, 1, 65535, &sub_port)) != 0 ||
        (rc = cli_number_opt("time-every", every_s, SECTIME_EVERY_S, 1, 86400, &every)) != 0) {
        return rc;
    }
    unsigned long udp_port = 0;
    unsigned failsafe = 0, hb = 0;
    if ((rc = cli_number_opt("udp-port", udp_s, WARD_GW_UDP_PORT, 1, 65535, &udp_port)) != 0 ||
        (rc = cli_seconds_opt("failsafe", fs_s, 120, &failsafe)) != 0 ||
        (rc = cli_seconds_opt("heartbeat", hb_s, 30, &hb)) != 0) {
        return rc;
    }
    if (failsafe == 0 || hb == 0) {
        return cli_usage("--failsafe and --heartbeat: at least 1 second");
    }
    char server[WARD_AGENT_URL_MAX + 1];
    if ((rc = server_of(dir, server, sizeof server)) != 0) {
        return rc;
    }
    int lock = run_lock(dir);
    if (lock < 0) {
        return CLI_EXIT_FAIL;
    }
    static gw_run r;
    memset(&r, 0, sizeof r);
    r.udp = r.lsn = r.conn = -1;
    r.subs.lsn = r.subs.ctl = -1;
    gw_conf c;
    if ((rc = conf_read(dir, &c)) != 0 || (wifi != NULL && (rc = wifi_read(wifi, &r)) != 0) ||
        (rc = gwc_open(&r.cloud, dir, server, c.mac, c.uuid, hb)) != 0) {
        explicit_bzero(&c, sizeof c);
        gwc_close(&r.cloud);
        close(lock);
        return rc;
    }
    r.dir = dir;
    r.conf = c;
    if (netns != NULL && (rc = gw_enter_netns(netns)) != 0) {
        explicit_bzero(&c, sizeof c);
        gwc_close(&r.cloud);
        close(lock);
        return rc;
    }
    ward_host host;
    ward_host_init(&host);
    ward_store_port port;
    char *spath = path_in(dir, GW_STORE);
    if (spath == NULL) {
        explicit_bzero(&c, sizeof c);
        gwc_close(&r.cloud);
        close(lock);
        return CLI_EXIT_FAIL;
    }
    ward_err err = ward_file_port_open(&r.fp, spath, GW_STORE_SIZE, &port);
    ward_gw_prov_config cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.mac, c.mac, sizeof cfg.mac);
    memcpy(cfg.uuid, c.uuid, sizeof cfg.uuid);
    memcpy(cfg.pop, c.pop, sizeof cfg.pop);
    cfg.tcp_port = (uint16_t)c.port;
    cfg.failsafe_ms = failsafe * 1000u;
    cfg.reset_flag = c.reset;
    if (err == WARD_OK) {
        err = gwc_owner_hash(&r.cloud, cfg.hash);   /* the ownership check's, this epoch */
    }
    if (err == WARD_OK) {
        err = ward_gw_prov_open(&r.gw, host.crypto, &host.rng, &port, &cfg);
        if (err != WARD_OK) {
            rc = cli_fail("%s: %s", spath, cli_file_why(err, r.fp.os_errno, "not a store"));
        }
    } else {
        rc = cli_fail("%s: %s", spath, cli_file_why(err, r.fp.os_errno, "not a store"));
    }
    explicit_bzero(&cfg, sizeof cfg);
    free(spath);
    ward_gw_ssid scan[WARD_GW_SCAN_MAX];
    size_t nscan = 0;
    memset(scan, 0, sizeof scan);
    for (size_t i = 0; i < r.nnets && nscan < WARD_GW_SCAN_MAX; i++, nscan++) {
        scan[nscan].ssid_len = (uint8_t)strlen(r.nets[i].ssid);
        memcpy(scan[nscan].ssid, r.nets[i].ssid, scan[nscan].ssid_len);
        scan[nscan].rssi = (int8_t)(-40 - 5 * (int)i);
    }
    if (rc == 0 && ward_gw_prov_set_scan(&r.gw, scan, nscan) != WARD_OK) {
        rc = cli_fail("--wifi: an SSID the list cannot carry");
    }
    if (rc == 0) {
        rc = sockets(&r, (unsigned)udp_port, c.port);
    }
    if (rc == 0 && sub_port != 0) {
        r.subs_on = true;
        rc = gw_subs_open(&r.subs, dir, (unsigned)sub_port, sub_fac, sub_root, sub_list);
    }
    if (rc == 0) {
        char ssid[WARD_GW_SOFTAP_SSID_MAX + 1];
        size_t n = 0;
        ward_gw_status st;
        ward_gw_prov_status(&r.gw, &st);
        if (ward_gw_softap_ssid(c.brand, c.category, c.mac, ssid, sizeof ssid, &n) != WARD_OK) {
            strcpy(ssid, "?");
        }
        if (st.state == WARD_GW_WIFI_COMMITTED) {
            printf("wifi: %.*s (committed)\n", (int)st.ssid_len, (const char *)st.ssid);
        }
        printf("SoftAP SSID: %s\n", ssid);
        printf("listening: udp %lu, tcp %u\n", udp_port, c.port);
        if (r.subs_on) {
            printf("sub-devices: tcp %lu, control %s/%s\n", sub_port, dir, GWS_CTL);
        }
        fflush(stdout);
        cli_catch_stop();
        /* Secure time (sectime.h), when G has time keys: the credentials'
         * expiry is told on it; synced from a thread of its own, in the
         * namespace entered above. */
        bool timed = false;
        rc = sectime_open(dir, &timed);
        if (rc == 0) {
            rc = sectime_keep(server, (unsigned)every, "gateway");
        }
    }
    if (rc == 0) {
        /* wardd is talked to from a thread of its own (gw_cloud.h), in
         * the namespace entered above. */
        rc = gwc_start(&r.cloud);
    }
    if (rc == 0) {
        run_loop(&r);
    }
    explicit_bzero(&c, sizeof c);
    conn_close(&r);
    if (r.udp >= 0) {
        close(r.udp);
    }
    if (r.lsn >= 0) {
        close(r.lsn);
    }
    if (r.subs_on) {
        gw_subs_close(&r.subs);
    }
    gwc_close(&r.cloud);
    sectime_close();
    ward_gw_prov_close(&r.gw);
    ward_file_port_close(&r.fp);
    explicit_bzero(r.nets, sizeof r.nets);
    explicit_bzero(&r.conf, sizeof r.conf);
    close(lock);
    return rc;
}
