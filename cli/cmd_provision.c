/* `ward app provision`: the app's side of flow C's provisioning. It finds the gateway named by
 * its QR code (SEARCH by UDP broadcast), then over the sealed TCP link lists the networks, sets
 * the SSID and password, waits for the join, registers the gateway with wardd (a claim to it,
 * its REGISTER to wardd, wardd's sealed CREDENTIALS back) and commits. The core
 * (ward_gw_prov.h, ward_gw_cloud.h) checks everything; this file retransmits with back-off and
 * says what happened. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "gw_net.h"
#include "keystore.h"
#include "qr.h"
#include "ward/ward.h"
#include "ward/ward_app.h"
#include "ward/ward_app_cloud.h"
#include "ward/ward_files.h"
#include "ward/ward_host.h"

#define TCP_TRIES 5
#define TCP_WAIT_MS 1500
#define STATUS_PAUSE_MS 200

typedef struct prov {
    ward_gw_app app;
    ward_gw_qr qr;
    ward_gw_info info;
    struct sockaddr_in gw;       /* where SEARCH's answer came from */
    int tcp;
    long long deadline;
    char mac[18];
    ward_app *acct;              /* the signed-in account, or NULL: the LAN stage only */
    ward_app_gw_info reg;        /* what wardd issued (clear part) */
    bool registered;
} prov;

static int parse_hostport(const char *text, struct sockaddr_in *a)
{
    char host[64];
    const char *colon = strrchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) >= sizeof host) {
        return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    char *end = NULL;
    unsigned long port = strtoul(colon + 1, &end, 10);
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    if (*end != '\0' || port < 1 || port > 65535 || inet_pton(AF_INET, host, &a->sin_addr) != 1) {
        return -1;
    }
    a->sin_port = htons((uint16_t)port);
    return 0;
}

/* SEARCH, resent with back-off (250 ms doubling to 2 s) until an answer
 * opens or the time is up. A refusal or an answer that does not open is
 * remembered (anyone on the LAN can send one) and said only if nothing
 * better comes within 1.5 s. */
static int search(prov *p, const ward_host *host, const struct sockaddr_in *to)
{
    uint8_t q[WARD_GW_PROV_MSG_MAX], a[WARD_GW_PROV_MSG_MAX + 1];
    size_t ql = 0;
    if (ward_gw_app_start(&p->app, host->crypto, &host->rng, &p->qr, q, sizeof q, &ql) !=
        WARD_OK) {
        return cli_fail("cannot make SEARCH");
    }
    int one = 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) != 0) {
        return cli_fail("udp: %s", strerror(errno));
    }
    ward_err seen = WARD_OK;
    long long give_up = p->deadline, next = 0;
    unsigned pause = 250;
    int rc = -1;
    while (rc < 0 && !cli_stopping) {
        long long now = cli_mono_ms();
        if (now >= give_up) {
            break;
        }
        if (now >= next) {
            if (sendto(fd, q, ql, 0, (const struct sockaddr *)to, sizeof *to) < 0) {
                fprintf(stderr, "ward: SEARCH not sent: %s\n", strerror(errno));
            }
            next = now + pause;
            pause = pause < 2000 ? pause * 2 : 2000;
        }
        struct pollfd pf = { fd, POLLIN, 0 };
        long long wait = (next < give_up ? next : give_up) - now;
        if (poll(&pf, 1, (int)(wait > 0 ? wait : 0)) <= 0) {
            continue;
        }
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, a, sizeof a, 0, (struct sockaddr *)&from, &fl);
        if (n <= 0 || (size_t)n > WARD_GW_PROV_MSG_MAX) {
            continue;
        }
        ward_err err = ward_gw_app_search_reply(&p->app, a, (size_t)n, &p->info);
        if (err == WARD_OK) {
            p->gw = from;
            rc = 0;
        } else if (err == WARD_ERR_AUTH || err == WARD_ERR_LOCKED) {
            if (seen == WARD_OK && give_up > cli_mono_ms() + 1500) {
                give_up = cli_mono_ms() + 1500;
            }
            seen = err;
        }
    }
    close(fd);
    explicit_bzero(q, sizeof q);
    if (rc == 0) {
        return 0;
    }
    if (seen == WARD_ERR_AUTH) {
        return cli_fail("gateway %s: the answer does not check: this is not the gateway of "
                        "this QR code, or something between app and gateway changed the keys",
                        p->mac);
    }
    if (seen == WARD_ERR_LOCKED) {
        return cli_fail("gateway %s: refuses searches for now after wrong QR codes; "
                        "try again in a minute", p->mac);
    }
    return cli_fail("gateway %s: no answer to SEARCH", p->mac);
}

static int tcp_connect(prov *p)
{
    if (p->tcp >= 0) {
        close(p->tcp);
    }
    struct sockaddr_in a = p->gw;
    a.sin_port = htons(p->info.tcp_port);
    p->tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->tcp < 0 || connect(p->tcp, (struct sockaddr *)&a, sizeof a) != 0) {
        if (p->tcp >= 0) {
            close(p->tcp);
        }
        p->tcp = -1;
        return -1;
    }
    return 0;
}

/* Sends req and takes its answer, resending the same bytes (on a new
 * connection if the old one broke) up to TCP_TRIES times. */
static int exchange(prov *p, const uint8_t *req, size_t len, ward_gw_answer *ans,
                    const char *what)
{
    uint8_t a[WARD_GW_PROV_MSG_MAX];
    ward_err last = WARD_ERR_IO;
    for (int t = 0; t < TCP_TRIES && !cli_stopping && cli_mono_ms() < p->deadline; t++) {
        if (t > 0) {
            cli_nap(200u << (t - 1));
        }
        if (p->tcp < 0 && tcp_connect(p) != 0) {
            continue;
        }
        if (gw_send_frame(p->tcp, req, len) != 0) {
            close(p->tcp);
            p->tcp = -1;
            continue;
        }
        for (;;) {
            long n = gw_recv_frame(p->tcp, a, sizeof a, TCP_WAIT_MS);
            if (n <= 0) {
                close(p->tcp);
                p->tcp = -1;
                break;
            }
            last = ward_gw_app_reply(&p->app, a, (size_t)n, ans);
            if (last == WARD_ERR_STATE) {
                continue;   /* an answer to an earlier try: read on */
            }
            if (last == WARD_OK) {
                return 0;
            }
            break;          /* refused unsealed, or not ours: try again */
        }
    }
    if (last == WARD_ERR_AUTH) {
        return cli_fail("gateway %s: %s: the gateway could not check our request (another "
                        "app took over the link?)", p->mac, what);
    }
    return cli_fail("gateway %s: %s: no answer", p->mac, what);
}

static const char *failure_name(uint8_t f)
{
    static const char *const names[] = { "none", "no such network in range",
                                         "the network refused the password",
                                         "no answer from the access point",
                                         "not committed in time", "failed" };
    return f <= WARD_GW_FAIL_MAX ? names[f] : "failed";
}

static int record(const char *dir, const prov *p, const char *ssid)
{
    char *gdir = ward_path_join(dir, "gateways");
    if (gdir == NULL || ward_mkdir(dir, 0700) != WARD_OK || ward_mkdir(gdir, 0700) != WARD_OK) {
        int e = errno;
        free(gdir);
        return cli_fail("%s: %s", dir, strerror(e));
    }
    char name[32], uuid[33];
    snprintf(name, sizeof name, "%02x%02x%02x%02x%02x%02x.json", p->info.mac[0], p->info.mac[1],
             p->info.mac[2], p->info.mac[3], p->info.mac[4], p->info.mac[5]);
    for (size_t i = 0; i < 16; i++) {
        snprintf(uuid + 2 * i, 3, "%02x", p->info.uuid[i]);
    }
    /* Built by cJSON: an SSID may hold quotes, backslashes or control bytes. */
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL && cJSON_AddStringToObject(o, "mac", p->mac) != NULL &&
              cJSON_AddStringToObject(o, "uuid", uuid) != NULL &&
              cJSON_AddStringToObject(o, "ssid", ssid) != NULL &&
              cJSON_AddStringToObject(o, "wifi", "committed") != NULL;
    if (ok && p->registered) {
        ok = cJSON_AddStringToObject(o, "tid", p->reg.tid) != NULL &&
             cJSON_AddNumberToObject(o, "generation", p->reg.generation) != NULL;
    }
    char *json = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    size_t n = json != NULL ? strlen(json) : 0;
    char *text = json != NULL ? malloc(n + 2) : NULL;
    if (text != NULL) {
        memcpy(text, json, n);
        memcpy(text + n, "\n", 2);
    }
    cJSON_free(json);
    if (text == NULL) {
        free(gdir);
        return cli_fail("out of memory");
    }
    char *path = ward_path_join(gdir, name);
    free(gdir);
    if (path == NULL) {
        free(text);
        return cli_fail("out of memory");
    }
    ward_err err = ward_file_write_atomic(path, text, n + 1, 0600);
    int rc = err == WARD_OK ? 0 : cli_fail("%s: %s", path, cli_file_why(err, errno, ""));
    free(path);
    free(text);
    return rc;
}

/* The cloud stage over the link: a claim from wardd to the gateway, its
 * REGISTER to wardd, wardd's CREDENTIALS (sealed to the gateway) back, and
 * the gateway's ack naming what wardd issued. */
static int cloud_stage(prov *p)
{
    uint8_t claim[WARD_GW_CLAIM_MAX], q[WARD_GW_PROV_MSG_MAX], creds[WARD_GW_CREDENTIALS_MAX];
    uint8_t tid[WARD_GW_TID_LEN];
    size_t cl = 0, ql = 0, crl = 0;
    int64_t exp = 0;
    uint32_t gen = 0;
    ward_gw_answer ans;
    int rc;
    if (ward_app_gw_claim(p->acct, 0, claim, sizeof claim, &cl, &exp, NULL) != WARD_OK) {
        return cli_fail("wardd gave no claim: %s", ward_app_error(p->acct));
    }
    ward_err err = ward_gw_app_claim(&p->app, claim, cl, q, sizeof q, &ql);
    explicit_bzero(claim, sizeof claim);
    if (err != WARD_OK) {
        return cli_fail("cannot make CLAIM");
    }
    if ((rc = exchange(p, q, ql, &ans, "CLAIM")) != 0) {
        return rc;
    }
    if (ans.refused != WARD_OK) {
        return cli_fail("gateway %s: refused the claim: %s%s", p->mac, ward_strerror(ans.refused),
                        ans.refused == WARD_ERR_UNSUPPORTED
                            ? " (it was made without an activation: --no-activate)" : "");
    }
    /* The owner hash came sealed in the device info, after the PoP: wardd
     * binds only the app that holds this epoch's. */
    err = ward_app_gw_register(p->acct, ans.data, ans.data_len, p->info.hash, creds,
                               sizeof creds, &crl, &p->reg, NULL);
    if (err != WARD_OK) {
        return cli_fail("wardd did not register gateway %s: %s", p->mac,
                        ward_app_error(p->acct));
    }
    if (ward_gw_app_credentials(&p->app, creds, crl, q, sizeof q, &ql) != WARD_OK) {
        return cli_fail("cannot make CREDENTIALS");
    }
    if ((rc = exchange(p, q, ql, &ans, "CREDENTIALS")) != 0) {
        return rc;
    }
    char tid_hex[2 * WARD_GW_TID_LEN + 1] = "";
    if (ans.refused != WARD_OK) {
        return cli_fail("gateway %s: refused its credentials: %s", p->mac,
                        ward_strerror(ans.refused));
    }
    if (ward_gw_creds_ack_parse(ans.data, ans.data_len, tid, &gen) != WARD_OK ||
        ward_hex_encode(tid, sizeof tid, tid_hex, sizeof tid_hex) != WARD_OK ||
        strcmp(tid_hex, p->reg.tid) != 0 || gen != p->reg.generation) {
        return cli_fail("gateway %s: its acknowledgement names other credentials", p->mac);
    }
    p->registered = true;
    printf("gateway %s: registered with wardd: tid=%s generation=%u%s\n", p->mac, p->reg.tid,
           (unsigned)p->reg.generation, p->reg.rotated ? " (new keys; the old ones stopped)" : "");
    fflush(stdout);
    return 0;
}

/* Everything after SEARCH: list, set, wait, register, commit. */
static int handover(prov *p, const char *ssid, const char *psk)
{
    uint8_t q[WARD_GW_PROV_MSG_MAX];
    size_t ql = 0;
    ward_gw_answer ans;
    int rc;
    if (ward_gw_app_list(&p->app, q, sizeof q, &ql) != WARD_OK) {
        return cli_fail("cannot make SSID_LIST");
    }
    if ((rc = exchange(p, q, ql, &ans, "SSID list")) != 0) {
        return rc;
    }
    bool listed = false;
    for (size_t i = 0; i < ans.n; i++) {
        printf("network: %.*s (%d dBm)\n", (int)ans.list[i].ssid_len,
               (const char *)ans.list[i].ssid, ans.list[i].rssi);
        listed |= ans.list[i].ssid_len == strlen(ssid) &&
                  memcmp(ans.list[i].ssid, ssid, ans.list[i].ssid_len) == 0;
    }
    if (!listed) {
        fprintf(stderr, "ward: %s is not among the networks the gateway sees; trying anyway\n",
                ssid);
    }
    ward_err err = ward_gw_app_wifi_set(&p->app, (const uint8_t *)ssid, strlen(ssid),
                                        (const uint8_t *)psk, strlen(psk), q, sizeof q, &ql);
    if (err != WARD_OK) {
        return cli_fail("cannot make WIFI_SET");
    }
    rc = exchange(p, q, ql, &ans, "WIFI_SET");
    explicit_bzero(q, sizeof q);
    if (rc != 0) {
        return rc;
    }
    if (ans.refused != WARD_OK) {
        return cli_fail("gateway %s: refused WIFI_SET: %s%s", p->mac, ward_strerror(ans.refused),
                        ans.refused == WARD_ERR_STATE ? " (it is provisioned already)" : "");
    }
    while (ans.state == WARD_GW_WIFI_JOINING) {
        cli_nap(STATUS_PAUSE_MS);
        if (ward_gw_app_status(&p->app, q, sizeof q, &ql) != WARD_OK) {
            return cli_fail("cannot make WIFI_STATUS");
        }
        if ((rc = exchange(p, q, ql, &ans, "WIFI_STATUS")) != 0) {
            return rc;
        }
    }
    if (ans.state != WARD_GW_WIFI_JOINED) {
        return cli_fail("gateway %s: could not join %s: %s; it waits for another try "
                        "(run again with the right --psk)", p->mac, ssid,
                        failure_name(ans.last_failure));
    }
    /* Registered before the commit: a failure here leaves the join to
     * the fail-safe, and the gateway in provisioning mode. */
    if (p->acct != NULL && (rc = cloud_stage(p)) != 0) {
        return rc;
    }
    if (ward_gw_app_commit(&p->app, q, sizeof q, &ql) != WARD_OK) {
        return cli_fail("cannot make WIFI_COMMIT");
    }
    if ((rc = exchange(p, q, ql, &ans, "WIFI_COMMIT")) != 0) {
        return rc;
    }
    if (ans.refused != WARD_OK || ans.state != WARD_GW_WIFI_COMMITTED) {
        return cli_fail("gateway %s: did not keep %s: %s", p->mac, ssid,
                        ans.refused != WARD_OK ? ward_strerror(ans.refused)
                                               : failure_name(ans.last_failure));
    }
    return 0;
}

int cmd_app_provision(int argc, char **argv)
{
    const char *dir = NULL, *qr_file = NULL, *ssid = NULL, *psk = NULL, *netns = NULL;
    const char *to_s = NULL, *timeout_s = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "qr", true, &qr_file }, { "ssid", true, &ssid },
        { "psk", true, &psk }, { "netns", true, &netns }, { "gateway-udp", true, &to_s },
        { "timeout", true, &timeout_s },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || qr_file == NULL || ssid == NULL || psk == NULL) {
        return cli_usage("usage: ward app provision --dir A --qr FILE.png --ssid S --psk P "
                         "[--netns NAME] [--gateway-udp HOST:PORT] [--timeout S]");
    }
    size_t pl = strlen(psk);
    if (strlen(ssid) < 1 || strlen(ssid) > WARD_GW_SSID_MAX ||
        (pl != 0 && (pl < WARD_GW_PSK_MIN || pl > WARD_GW_PSK_MAX))) {
        return cli_usage("--ssid: 1-32 bytes; --psk: empty (an open network) or 8-64 bytes");
    }
    unsigned timeout = 0;
    if ((rc = cli_seconds_opt("timeout", timeout_s, 20, &timeout)) != 0) {
        return rc;
    }
    struct sockaddr_in to;
    if (parse_hostport(to_s != NULL ? to_s : "255.255.255.255:10071", &to) != 0) {
        return cli_usage("--gateway-udp: an IPv4 address and a port (10.0.0.1:10071)");
    }
    static prov p;
    memset(&p, 0, sizeof p);
    p.tcp = -1;
    char text[WARD_GW_QR_MAX + 1];
    int n = qr_read_png(qr_file, text, sizeof text);
    if (n < 0 || ward_gw_qr_parse(text, (size_t)n, &p.qr) != WARD_OK) {
        explicit_bzero(text, sizeof text);
        return cli_fail("%s: not a gateway's QR code", qr_file);
    }
    explicit_bzero(text, sizeof text);
    snprintf(p.mac, sizeof p.mac, "%02x:%02x:%02x:%02x:%02x:%02x", p.qr.mac[0], p.qr.mac[1],
             p.qr.mac[2], p.qr.mac[3], p.qr.mac[4], p.qr.mac[5]);
    if (netns != NULL && (rc = gw_enter_netns(netns)) != 0) {
        explicit_bzero(&p, sizeof p);
        return rc;
    }
    ward_host host;
    ward_host_init(&host);
    /* A signed-in account in A (account.json): the cloud stage too. */
    static ward_app acct;
    char *acct_file = ward_path_join(dir, "account.json");
    bool has_acct = acct_file != NULL && access(acct_file, F_OK) == 0;
    free(acct_file);
    if (has_acct) {
        if ((rc = cli_keystore_attach(&host, dir)) != 0) {
            explicit_bzero(&p, sizeof p);
            return rc;
        }
        if (ward_app_open(&acct, &host, dir) != WARD_OK) {
            rc = cli_fail("%s", ward_app_error(&acct));
            ward_app_close(&acct);
            explicit_bzero(&p, sizeof p);
            return rc;
        }
        p.acct = &acct;
    } else {
        printf("no account in %s: the Wi-Fi hand-over only, no registration\n", dir);
    }
    cli_catch_stop();
    p.deadline = cli_mono_ms() + (long long)timeout * 1000;
    rc = search(&p, &host, &to);
    explicit_bzero(&p.qr.pop, sizeof p.qr.pop);
    bool kept = false;
    if (rc == 0) {
        printf("gateway %s found at %s, tcp %u\n", p.mac, inet_ntoa(p.gw.sin_addr),
               (unsigned)p.info.tcp_port);
        fflush(stdout);
        if (p.info.state == WARD_GW_WIFI_COMMITTED && p.acct != NULL) {
            /* Provisioned already: its Wi-Fi stays; registering again
             * rotates its keys (the owner's, or 409 for another). */
            printf("gateway %s: provisioned already; its Wi-Fi is kept, its registration "
                   "renewed\n", p.mac);
            kept = true;
            rc = cloud_stage(&p);
        } else {
            rc = handover(&p, ssid, psk);
        }
    }
    if (rc == 0) {
        rc = record(dir, &p, ssid);
    }
    if (rc == 0 && !kept) {
        printf("gateway %s: joined %s and kept it\n", p.mac, ssid);
    }
    if (p.tcp >= 0) {
        close(p.tcp);
    }
    ward_gw_app_wipe(&p.app);
    if (p.acct != NULL) {
        ward_app_close(p.acct);
    }
    explicit_bzero(&p, sizeof p);
    return rc;
}
