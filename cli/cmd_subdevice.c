/* `ward subdevice init|run`: a sub-device of flow C that joins a gateway
 * over TCP (frames: 2-byte big-endian length, then the message) and talks
 * to it over the sealed channel (ward_gw_sub.h). */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gw_net.h"
#include "keyfile.h"
#include "keystore.h"
#include "ward/ward_gw_sub.h"
#include "ward/ward_host.h"

/* Files of a sub-device's directory. */
#define F_KEY "identity.key"   /* 64 hex digits, 0600 */
#define F_ID "id"              /* 32 hex digits */
#define F_ACT "activation"     /* the factory's ACTIVATION, hex */
#define F_CRED "subkey"        /* sub_id || generation || key, hex, 0600 */
#define CRED_LEN (WARD_GW_SUB_ID_LEN + 4 + WARD_GW_SUB_KEY_LEN)

/* How long an answer may take before a frame is sent again, and the
 * bounds of the waits between JOINs while no window is open. */
#define ANSWER_MS 3000
#define RESENDS 5
#define JOIN_BACKOFF_MIN_MS 500u
#define JOIN_BACKOFF_MAX_MS 8000u

static void path_of(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void hex_of(const uint8_t *v, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[v[i] >> 4];
        out[2 * i + 1] = digits[v[i] & 15];
    }
    out[2 * len] = '\0';
}

static int parse_id(const char *text, uint8_t id[WARD_GW_SUB_ID_LEN])
{
    if (strlen(text) != 2 * WARD_GW_SUB_ID_LEN) {
        return -1;
    }
    for (size_t i = 0; i < WARD_GW_SUB_ID_LEN; i++) {
        unsigned v = 0;
        if (sscanf(text + 2 * i, "%2x", &v) != 1 || !isxdigit((unsigned char)text[2 * i]) ||
            !isxdigit((unsigned char)text[2 * i + 1])) {
            return -1;
        }
        id[i] = (uint8_t)v;
    }
    return 0;
}

int cmd_subdevice_init(int argc, char **argv)
{
    const char *dir = NULL, *factory = NULL, *idtext = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "factory-key", true, &factory }, { "id", true, &idtext },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, 3, NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || factory == NULL) {
        return cli_usage("usage: ward subdevice init --dir S --factory-key FILE [--id HEX32]");
    }
    uint8_t id[WARD_GW_SUB_ID_LEN];
    if (idtext != NULL && parse_id(idtext, id) != 0) {
        return cli_usage("--id: 32 hex digits expected, not '%s'", idtext);
    }
    char path[4096], hex[2 * WARD_GW_SUB_ID_LEN + 1];
    path_of(path, sizeof path, dir, F_KEY);
    if (access(path, F_OK) == 0) {
        return cli_fail("%s already holds a sub-device (%s)", dir, path);
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return cli_fail("cannot make %s: %s", dir, strerror(errno));
    }
    ward_host host;
    ward_host_init(&host);
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN], act[WARD_ACTIVATION_MAX];
    size_t act_len = 0;
    ward_err err = ward_p256_keygen(host.crypto, &host.rng, priv, pub);
    if (err == WARD_OK && idtext == NULL) {
        err = host.rng.fill(host.rng.ctx, id, sizeof id);
    }
    if (err != WARD_OK) {
        ward_wipe(priv, sizeof priv);
        return cli_fail("cannot make the identity: %s", ward_strerror(err));
    }
    hex_of(id, sizeof id, hex);
    /* The activation first: a refused factory key leaves nothing behind. */
    ward_activation a = { (const uint8_t *)hex, 2 * WARD_GW_SUB_ID_LEN, pub };
    rc = cli_factory_sign(factory, host.crypto, &a, act, sizeof act, &act_len);
    if (rc != 0) {
        ward_wipe(priv, sizeof priv);
        return rc;
    }
    path_of(path, sizeof path, dir, F_KEY);
    err = keyfile_write_hex(path, priv, sizeof priv, 0600);
    ward_wipe(priv, sizeof priv);
    if (err == WARD_OK) {
        path_of(path, sizeof path, dir, F_ID);
        err = keyfile_write_hex(path, id, sizeof id, 0644);
    }
    if (err == WARD_OK) {
        path_of(path, sizeof path, dir, F_ACT);
        err = keyfile_write_hex(path, act, act_len, 0644);
    }
    if (err != WARD_OK) {
        return cli_fail("cannot write %s: %s", path, ward_strerror(err));
    }
    printf("subdevice %s: identity key ready and activated in %s\n", hex, dir);
    return 0;
}

/* ---- ward subdevice run ---- */

typedef struct sub_run {
    ward_host host;
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t id[WARD_GW_SUB_ID_LEN];
    char idhex[2 * WARD_GW_SUB_ID_LEN + 1];
    uint8_t act[WARD_ACTIVATION_MAX];
    size_t act_len;
    ward_gw_sub_dev dev;
    ward_gw_sub_cred cred;
    bool have_cred;
    int fd;
    const char *dir;
} sub_run;

/* The activation file holds hex of unknown length: read it as text. */
static int read_activation(sub_run *r)
{
    char path[4096], text[2 * WARD_ACTIVATION_MAX + 4];
    path_of(path, sizeof path, r->dir, F_ACT);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return cli_fail("cannot read %s: %s (ward subdevice init)", path, strerror(errno));
    }
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) {
        n--;
    }
    text[n] = '\0';
    if (n == 0 || n % 2 != 0 || n / 2 > WARD_ACTIVATION_MAX) {
        return cli_fail("%s: not an activation", path);
    }
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v = 0;
        if (!isxdigit((unsigned char)text[2 * i]) || !isxdigit((unsigned char)text[2 * i + 1]) ||
            sscanf(text + 2 * i, "%2x", &v) != 1) {
            return cli_fail("%s: not an activation", path);
        }
        r->act[i] = (uint8_t)v;
    }
    r->act_len = n / 2;
    return 0;
}

static int load(sub_run *r)
{
    char path[4096];
    uint8_t priv[WARD_P256_SCALAR_LEN], rec[CRED_LEN];
    ward_host_init(&r->host);
    path_of(path, sizeof path, r->dir, F_KEY);
    ward_err err = keyfile_read_hex(path, priv, sizeof priv);
    if (err != WARD_OK) {
        return cli_fail("cannot read %s: %s (ward subdevice init)", path, ward_strerror(err));
    }
    ward_keystore_soft_init(&r->soft, r->host.crypto, &r->host.rng, &r->ks);
    err = ward_keystore_soft_load(&r->soft, WARD_KEY_DEVICE_IDENTITY, priv);
    ward_wipe(priv, sizeof priv);
    if (err != WARD_OK) {
        return cli_fail("%s: not a key: %s", path, ward_strerror(err));
    }
    path_of(path, sizeof path, r->dir, F_ID);
    if ((err = keyfile_read_hex(path, r->id, sizeof r->id)) != WARD_OK) {
        return cli_fail("cannot read %s: %s", path, ward_strerror(err));
    }
    hex_of(r->id, sizeof r->id, r->idhex);
    int rc = read_activation(r);
    if (rc != 0) {
        return rc;
    }
    path_of(path, sizeof path, r->dir, F_CRED);
    err = keyfile_read_hex(path, rec, sizeof rec);
    if (err == WARD_OK) {
        memcpy(r->cred.sub_id, rec, WARD_GW_SUB_ID_LEN);
        r->cred.generation = ((uint32_t)rec[16] << 24) | ((uint32_t)rec[17] << 16) |
                             ((uint32_t)rec[18] << 8) | rec[19];
        memcpy(r->cred.key, rec + 20, WARD_GW_SUB_KEY_LEN);
        r->have_cred = memcmp(r->cred.sub_id, r->id, WARD_GW_SUB_ID_LEN) == 0 &&
                       ward_gw_sub_dev_load(&r->dev, &r->cred) == WARD_OK;
        if (!r->have_cred) {
            ward_wipe(&r->cred, sizeof r->cred);
            fprintf(stderr, "ward: %s is not this sub-device's key: joining again\n", path);
        }
    }
    ward_wipe(rec, sizeof rec);
    return 0;
}

static int save_cred(sub_run *r)
{
    char path[4096];
    uint8_t rec[CRED_LEN];
    memcpy(rec, r->cred.sub_id, WARD_GW_SUB_ID_LEN);
    rec[16] = (uint8_t)(r->cred.generation >> 24);
    rec[17] = (uint8_t)(r->cred.generation >> 16);
    rec[18] = (uint8_t)(r->cred.generation >> 8);
    rec[19] = (uint8_t)r->cred.generation;
    memcpy(rec + 20, r->cred.key, WARD_GW_SUB_KEY_LEN);
    path_of(path, sizeof path, r->dir, F_CRED);
    ward_err err = keyfile_write_hex(path, rec, sizeof rec, 0600);
    ward_wipe(rec, sizeof rec);
    return err == WARD_OK ? 0 : cli_fail("cannot write %s: %s", path, ward_strerror(err));
}

static void forget_cred(sub_run *r)
{
    char path[4096];
    path_of(path, sizeof path, r->dir, F_CRED);
    if (unlink(path) != 0 && errno != ENOENT) {
        fprintf(stderr, "ward: cannot remove %s: %s\n", path, strerror(errno));
    }
    ward_wipe(&r->cred, sizeof r->cred);
    r->have_cred = false;
}

static int dial(const char *hostport)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (colon == NULL || colon == hostport || (size_t)(colon - hostport) >= sizeof host ||
        colon[1] == '\0') {
        return -2;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* Reads exactly len bytes within the deadline (monotonic ms): 1 read,
 * 0 timed out, -1 closed or failed. */
static int read_full(int fd, uint8_t *buf, size_t len, long long deadline)
{
    size_t done = 0;
    while (done < len) {
        long long left = deadline - cli_mono_ms();
        if (left <= 0 || cli_stopping) {
            return 0;
        }
        struct pollfd p = { fd, POLLIN, 0 };
        int pr = poll(&p, 1, left > 200 ? 200 : (int)left);
        if (pr < 0 && errno != EINTR) {
            return -1;
        }
        if (pr <= 0) {
            continue;
        }
        ssize_t n = recv(fd, buf + done, len - done, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        done += (size_t)n;
    }
    return 1;
}

/* One frame within ms: 1 and *len, 0 timed out, -1 closed or oversized. */
static int recv_frame(int fd, uint8_t *msg, size_t *len, int ms)
{
    uint8_t hdr[2];
    long long deadline = cli_mono_ms() + ms;
    int rc = read_full(fd, hdr, 2, deadline);
    if (rc <= 0) {
        return rc;
    }
    size_t n = ((size_t)hdr[0] << 8) | hdr[1];
    if (n > WARD_GW_SUB_FRAME_MAX) {
        return -1;
    }
    /* The length is in: the rest follows at once or the link is broken. */
    rc = read_full(fd, msg, n, cli_mono_ms() + ANSWER_MS);
    if (rc <= 0) {
        return -1;
    }
    *len = n;
    return 1;
}

static const char *refused_text(uint8_t code)
{
    switch (code) {
    case WARD_GW_SUB_NO_WINDOW: return "no join window open";
    case WARD_GW_SUB_UNKNOWN: return "unknown to the gateway (removed?)";
    case WARD_GW_SUB_FULL: return "the gateway's table is full";
    case WARD_GW_SUB_BAD_JOIN: return "the gateway refused the activation";
    case WARD_GW_SUB_NO_CHANNEL: return "no open channel";
    case WARD_GW_SUB_STALE: return "the JOIN's challenge is not the open window's";
    default: return "refused";
    }
}

/* Sends req and waits for an answer, resending the same bytes when none
 * comes (the gateway answers a retransmission identically). 1 and the
 * answer, 0 none after every resend, -1 link lost. */
static int exchange(sub_run *r, const uint8_t *req, size_t len, uint8_t *ans, size_t *ans_len)
{
    for (int i = 0; i <= RESENDS && !cli_stopping; i++) {
        if (gw_send_frame(r->fd, req, len) != 0) {
            return -1;
        }
        int rc = recv_frame(r->fd, ans, ans_len, ANSWER_MS);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* CHALLENGE, then JOIN with the window's challenge, until a window takes
 * it (back-off while none is open; a stale challenge is asked again), at
 * most wait_s seconds. */
static int join(sub_run *r, unsigned wait_s)
{
    uint8_t req[WARD_GW_SUB_FRAME_MAX], ans[WARD_GW_SUB_FRAME_MAX], who[WARD_GW_SUB_ID_LEN];
    size_t len = 0, alen = 0;
    uint8_t code = 0;
    unsigned backoff = JOIN_BACKOFF_MIN_MS;
    bool said = false;
    long long end = cli_mono_ms() + (long long)wait_s * 1000;
    while (!cli_stopping) {
        ward_err err = ward_gw_sub_challenge_ask(r->id, req, sizeof req, &len);
        if (err != WARD_OK) {
            return cli_fail("cannot make a CHALLENGE: %s", ward_strerror(err));
        }
        int rc = exchange(r, req, len, ans, &alen);
        if (rc > 0 && ward_gw_sub_refused_parse(ans, alen, who, &code) != WARD_OK) {
            err = ward_gw_sub_join_start(&r->dev, r->host.crypto, &r->host.rng, &r->ks,
                                         WARD_KEY_DEVICE_IDENTITY, r->id, r->act, r->act_len,
                                         ans, alen, req, sizeof req, &len);
            if (err != WARD_OK) {
                return cli_fail("cannot make a JOIN: %s", ward_strerror(err));
            }
            rc = exchange(r, req, len, ans, &alen);
        }
        if (rc < 0) {
            return cli_fail("the gateway closed the link");
        }
        if (rc == 0) {
            return cli_fail("the gateway does not answer");
        }
        if (ward_gw_sub_refused_parse(ans, alen, who, &code) == WARD_OK) {
            if (code == WARD_GW_SUB_STALE && cli_mono_ms() < end) {
                cli_nap(JOIN_BACKOFF_MIN_MS);   /* the window was opened again: ask again */
                continue;
            }
            if (code != WARD_GW_SUB_NO_WINDOW) {
                return cli_fail("join refused: %s", refused_text(code));
            }
            if (cli_mono_ms() >= end) {
                return cli_fail("no join window opened on the gateway in %u s", wait_s);
            }
            if (!said) {
                printf("subdevice %s: waiting for the gateway's join window\n", r->idhex);
                fflush(stdout);
                said = true;
            }
            cli_nap(backoff);
            backoff = backoff * 2 > JOIN_BACKOFF_MAX_MS ? JOIN_BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        err = ward_gw_sub_join_finish(&r->dev, r->host.crypto, &r->ks, WARD_KEY_DEVICE_IDENTITY,
                                      ans, alen, &r->cred);
        if (err != WARD_OK) {
            return cli_fail("the gateway's answer to the JOIN was refused: %s",
                            ward_strerror(err));
        }
        r->have_cred = true;
        if ((rc = save_cred(r)) != 0) {
            return rc;
        }
        printf("subdevice %s: joined the gateway (generation %u)\n", r->idhex,
               (unsigned)r->cred.generation);
        fflush(stdout);
        return 0;
    }
    return cli_fail("stopped");
}

static int send_data(sub_run *r, uint8_t type, const char *text, size_t tlen)
{
    uint8_t pkt[WARD_GW_SUB_FRAME_MAX];
    size_t len = 0;
    ward_err err = ward_gw_sub_dev_seal(&r->dev, r->host.crypto, type, (const uint8_t *)text,
                                        tlen, pkt, sizeof pkt, &len);
    if (err != WARD_OK) {
        return cli_fail("cannot seal: %s", ward_strerror(err));
    }
    return gw_send_frame(r->fd, pkt, len) == 0 ? 0 : cli_fail("the gateway closed the link");
}

/* 0 channel open, 3 unknown to the gateway (the key was dropped), else a failure. */
static int hello(sub_run *r)
{
    uint8_t req[WARD_GW_SUB_FRAME_MAX], ans[WARD_GW_SUB_FRAME_MAX], who[WARD_GW_SUB_ID_LEN];
    size_t len = 0, alen = 0;
    uint8_t code = 0;
    ward_err err = ward_gw_sub_hello(&r->dev, r->host.crypto, &r->host.rng, req, sizeof req,
                                     &len);
    if (err != WARD_OK) {
        return cli_fail("cannot make a HELLO: %s", ward_strerror(err));
    }
    int rc = exchange(r, req, len, ans, &alen);
    if (rc <= 0) {
        return cli_fail(rc < 0 ? "the gateway closed the link" : "the gateway does not answer");
    }
    if (ward_gw_sub_refused_parse(ans, alen, who, &code) == WARD_OK) {
        if (code == WARD_GW_SUB_UNKNOWN) {
            return 3;
        }
        return cli_fail("channel refused: %s", refused_text(code));
    }
    err = ward_gw_sub_hello_finish(&r->dev, r->host.crypto, ans, alen);
    if (err != WARD_OK) {
        return cli_fail("the gateway's HELLO reply was refused: %s", ward_strerror(err));
    }
    /* The gateway moves to this channel at its first packet: an empty DATA now. */
    if ((rc = send_data(r, WARD_MSG_GW_SUB_DATA, "", 0)) != 0) {
        return rc;
    }
    printf("subdevice %s: channel open (generation %u)\n", r->idhex,
           (unsigned)r->cred.generation);
    fflush(stdout);
    return 0;
}

/* What the gateway sends: DATA printed, LEAVE ends, REFUSED said. 0 go
 * on, 1 done (left), 3 removed, else a failure. */
static int on_frame(sub_run *r, const uint8_t *msg, size_t len)
{
    uint8_t pt[WARD_GW_SUB_PAYLOAD_MAX + 1], who[WARD_GW_SUB_ID_LEN], type = 0, code = 0;
    size_t n = 0;
    if (ward_gw_sub_refused_parse(msg, len, who, &code) == WARD_OK) {
        if (code == WARD_GW_SUB_UNKNOWN) {
            return 3;
        }
        fprintf(stderr, "ward: gateway: %s\n", refused_text(code));
        return 0;
    }
    ward_err err = ward_gw_sub_dev_open(&r->dev, r->host.crypto, msg, len, &type, pt,
                                        sizeof pt - 1, &n);
    if (err != WARD_OK) {
        /* Forged, replayed or another's: dropped, the channel goes on. */
        fprintf(stderr, "ward: dropped a packet: %s\n", ward_strerror(err));
        return 0;
    }
    if (type == WARD_MSG_GW_SUB_LEAVE) {
        printf("subdevice %s: the gateway closed the channel\n", r->idhex);
        return 1;
    }
    pt[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (pt[i] < 0x20 || pt[i] > 0x7E) {
            pt[i] = '.';
        }
    }
    printf("data: %s\n", (const char *)pt);
    fflush(stdout);
    return 0;
}

/* Each line of standard input goes up as DATA; DATA down is printed;
 * end of input sends a LEAVE. */
static int talk(sub_run *r)
{
    char line[WARD_GW_SUB_PAYLOAD_MAX + 2];
    size_t have = 0;
    bool in_open = true;
    uint8_t msg[WARD_GW_SUB_FRAME_MAX];
    while (!cli_stopping) {
        struct pollfd p[2] = { { r->fd, POLLIN, 0 }, { STDIN_FILENO, POLLIN, 0 } };
        int pr = poll(p, in_open ? 2 : 1, 200);
        if (pr < 0 && errno != EINTR) {
            return cli_fail("poll: %s", strerror(errno));
        }
        if (pr <= 0) {
            continue;
        }
        if (p[0].revents != 0) {
            size_t len = 0;
            int rc = recv_frame(r->fd, msg, &len, ANSWER_MS);
            if (rc < 0) {
                return cli_fail("the gateway closed the link");
            }
            if (rc > 0 && (rc = on_frame(r, msg, len)) != 0) {
                return rc == 1 ? 0 : rc;
            }
        }
        if (in_open && p[1].revents != 0) {
            ssize_t n = read(STDIN_FILENO, line + have, sizeof line - 1 - have);
            if (n <= 0) {
                in_open = false;
                if (have > 0 && send_data(r, WARD_MSG_GW_SUB_DATA, line, have) != 0) {
                    return CLI_EXIT_FAIL;
                }
                break;
            }
            have += (size_t)n;
            char *nl;
            while ((nl = memchr(line, '\n', have)) != NULL) {
                size_t l = (size_t)(nl - line);
                if (send_data(r, WARD_MSG_GW_SUB_DATA, line, l) != 0) {
                    return CLI_EXIT_FAIL;
                }
                memmove(line, nl + 1, have - l - 1);
                have -= l + 1;
            }
            if (have == WARD_GW_SUB_PAYLOAD_MAX) {   /* a line too long goes in pieces */
                if (send_data(r, WARD_MSG_GW_SUB_DATA, line, have) != 0) {
                    return CLI_EXIT_FAIL;
                }
                have = 0;
            }
        }
    }
    /* Let the gateway's answers to the last lines arrive, then leave. */
    long long until = cli_mono_ms() + 500;
    while (cli_mono_ms() < until) {
        size_t len = 0;
        int rc = recv_frame(r->fd, msg, &len, 100);
        if (rc < 0) {
            break;
        }
        if (rc > 0 && (rc = on_frame(r, msg, len)) != 0) {
            return rc == 1 ? 0 : rc;
        }
    }
    int rc = send_data(r, WARD_MSG_GW_SUB_LEAVE, NULL, 0);
    if (rc == 0) {
        printf("subdevice %s: left the channel\n", r->idhex);
    }
    return rc;
}

int cmd_subdevice_run(int argc, char **argv)
{
    const char *dir = NULL, *gateway = NULL, *wait = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "gateway", true, &gateway }, { "join-wait", true, &wait },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, 3, NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || gateway == NULL) {
        return cli_usage("usage: ward subdevice run --dir S --gateway HOST:PORT "
                         "[--join-wait SECONDS]");
    }
    unsigned wait_s = 0;
    if ((rc = cli_seconds_opt("join-wait", wait, 120, &wait_s)) != 0) {
        return rc;
    }
    static sub_run r;
    memset(&r, 0, sizeof r);
    r.dir = dir;
    r.fd = -1;
    if ((rc = load(&r)) != 0) {
        return rc;
    }
    cli_catch_stop();
    r.fd = dial(gateway);
    if (r.fd == -2) {
        rc = cli_usage("--gateway: HOST:PORT expected, not '%s'", gateway);
    } else if (r.fd < 0) {
        rc = cli_fail("cannot reach the gateway at %s: %s", gateway, strerror(errno));
    }
    /* A key the gateway no longer knows (removed, or it joined again
     * elsewhere) is dropped, and the sub-device joins again once. */
    for (int round = 0; rc == 0 && round < 2; round++) {
        if (!r.have_cred && (rc = join(&r, wait_s)) != 0) {
            break;
        }
        rc = hello(&r);
        if (rc == 3) {
            printf("subdevice %s: the gateway no longer knows this key: joining again\n",
                   r.idhex);
            forget_cred(&r);
            rc = 0;
            continue;
        }
        if (rc == 0) {
            rc = talk(&r);
        }
        if (rc == 3) {
            printf("subdevice %s: removed by the gateway\n", r.idhex);
            forget_cred(&r);
            rc = CLI_EXIT_FAIL;
        }
        break;
    }
    if (r.fd >= 0) {
        close(r.fd);
    }
    ward_gw_sub_dev_wipe(&r.dev);
    ward_wipe(&r.cred, sizeof r.cred);
    ward_keystore_soft_wipe(&r.soft);
    return rc;
}
