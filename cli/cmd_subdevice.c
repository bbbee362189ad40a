/* `ward subdevice init|run`: a sub-device of flow C that joins a gateway
 * over TCP (frames: 2-byte big-endian length, then the message) and talks
 * to it over the sealed channel (ward_gw_sub.h). */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gw_net.h"
#include "identity.h"
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
 * bounds of the waits between JOINs while no window is open and between
 * connection attempts while the gateway is away. */
#define ANSWER_MS 3000
#define RESENDS 5
#define JOIN_BACKOFF_MIN_MS 500u
#define JOIN_BACKOFF_MAX_MS 8000u
#define LINK_BACKOFF_MIN_MS 250u
#define LINK_BACKOFF_MAX_MS 8000u
/* What the steps of a connection return besides 0 and an exit code. */
#define SUB_UNKNOWN 3   /* the gateway does not know this key (removed, or re-joined) */
#define SUB_LINK 4      /* the link dropped or the gateway stopped answering: reconnect */

static void path_of(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
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

/* `--cert` on a directory that already holds a sub-device (made with
 * --no-activate): its chain, checked to name its key and id, is kept. */
static int cert_later(const char *dir, const cli_id_opts *o)
{
    char path[4096], hex[2 * WARD_GW_SUB_ID_LEN + 1];
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN], id[WARD_GW_SUB_ID_LEN];
    uint8_t chain[WARD_IDENTITY_MAX];
    size_t len = 0;
    ward_host host;
    ward_host_init(&host);
    path_of(path, sizeof path, dir, F_KEY);
    ward_err err = keyfile_read_hex(path, priv, sizeof priv);
    if (err == WARD_OK) {
        err = ward_p256_public(host.crypto, priv, pub);
    }
    ward_wipe(priv, sizeof priv);
    if (err == WARD_OK) {
        path_of(path, sizeof path, dir, F_ID);
        err = keyfile_read_hex(path, id, sizeof id);
    }
    if (err != WARD_OK) {
        return cli_fail("cannot read %s: %s", path, ward_strerror(err));
    }
    cli_hex(id, sizeof id, hex);
    int rc = cli_identity_obtain(dir, host.crypto, o, WARD_CERT_ROLE_SUBDEVICE, hex,
                                 2 * WARD_GW_SUB_ID_LEN, pub, chain, sizeof chain, &len);
    if (rc == 0) {
        printf("subdevice %s: certificate chain kept in %s\n", hex, dir);
    }
    return rc;
}

int cmd_subdevice_init(int argc, char **argv)
{
    const char *dir = NULL, *factory = NULL, *idtext = NULL, *no_act = NULL;
    cli_id_opts ido = { NULL, NULL, NULL };
    const cli_option opts[] = {
        { "dir", true, &dir }, { "factory-key", true, &factory }, { "id", true, &idtext },
        { "cert", true, &ido.cert }, { "factory-cert", true, &ido.factory_cert },
        { "no-activate", false, &no_act },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    ido.factory_key = factory;
    if (dir == NULL || (factory == NULL && ido.cert == NULL && no_act == NULL)) {
        return cli_usage("usage: ward subdevice init --dir S (--factory-key FILE "
                         "[--factory-cert FILE] | --cert FILE | --no-activate) [--id HEX32]");
    }
    if ((rc = cli_identity_usage(&ido)) != 0) {
        return rc;
    }
    uint8_t id[WARD_GW_SUB_ID_LEN];
    if (idtext != NULL && parse_id(idtext, id) != 0) {
        return cli_usage("--id: 32 hex digits expected, not '%s'", idtext);
    }
    char path[4096], hex[2 * WARD_GW_SUB_ID_LEN + 1];
    path_of(path, sizeof path, dir, F_KEY);
    if (access(path, F_OK) == 0) {
        if (ido.cert != NULL && idtext == NULL) {
            return cert_later(dir, &ido);
        }
        return cli_fail("%s already holds a sub-device (%s)", dir, path);
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return cli_fail("cannot make %s: %s", dir, strerror(errno));
    }
    ward_host host;
    ward_host_init(&host);
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN], act[WARD_IDENTITY_MAX];
    size_t act_len = 0;
    ward_err err = ward_p256_keygen(host.crypto, &host.rng, priv, pub);
    if (err == WARD_OK && idtext == NULL) {
        err = host.rng.fill(host.rng.ctx, id, sizeof id);
    }
    if (err != WARD_OK) {
        ward_wipe(priv, sizeof priv);
        return cli_fail("cannot make the identity: %s", ward_strerror(err));
    }
    cli_hex(id, sizeof id, hex);
    /* The identity first: a refused factory key leaves nothing behind. */
    if (cli_identity_wanted(&ido)) {
        /* A chain made on the spot (a fresh key has no chain to give). */
        rc = cli_identity_obtain(dir, host.crypto, &ido, WARD_CERT_ROLE_SUBDEVICE, hex,
                                 2 * WARD_GW_SUB_ID_LEN, pub, act, sizeof act, &act_len);
        act_len = 0;
    } else if (factory != NULL) {
        ward_activation a = { (const uint8_t *)hex, 2 * WARD_GW_SUB_ID_LEN, pub };
        rc = cli_factory_sign(factory, host.crypto, &a, act, sizeof act, &act_len);
    }
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
        path_of(path, sizeof path, dir, CLI_IDENTITY_PUB);
        err = keyfile_write_hex(path, pub, sizeof pub, 0644);
    }
    if (err == WARD_OK && act_len > 0) {
        path_of(path, sizeof path, dir, F_ACT);
        err = keyfile_write_hex(path, act, act_len, 0644);
    }
    if (err != WARD_OK) {
        return cli_fail("cannot write %s: %s", path, ward_strerror(err));
    }
    printf("subdevice %s: identity key ready%s in %s\n", hex,
           no_act != NULL && factory == NULL ? "" : " and activated", dir);
    return 0;
}

/* ---- ward subdevice run ---- */

typedef struct sub_run {
    ward_host host;
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t id[WARD_GW_SUB_ID_LEN];
    char idhex[2 * WARD_GW_SUB_ID_LEN + 1];
    uint8_t act[WARD_IDENTITY_MAX];     /* identity.chain, else the activation */
    size_t act_len;
    ward_gw_sub_dev dev;
    ward_gw_sub_cred cred;
    bool have_cred;
    int fd;
    const char *dir;
    /* Standard input survives reconnections: a line read while the link
     * was down goes up on the next channel. */
    char line[WARD_GW_SUB_PAYLOAD_MAX + 2];
    size_t have;
    bool in_open;
} sub_run;

/* The activation file holds hex of unknown length: read it as text. */
static int read_activation(sub_run *r)
{
    char path[4096], text[2 * WARD_IDENTITY_MAX + 4];
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
    if (n == 0 || n % 2 != 0 || n / 2 > sizeof r->act) {
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
    cli_hex(r->id, sizeof r->id, r->idhex);
    /* Its certificate chain if it has one, else its activation. */
    int rc = cli_identity_load(r->dir, r->act, sizeof r->act, &r->act_len);
    if (rc == 0 && r->act_len == 0) {
        rc = read_activation(r);
    }
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
 * answer, 0 none after every resend, -1 link lost (or stopping). */
static int exchange(sub_run *r, const uint8_t *req, size_t len, uint8_t *ans, size_t *ans_len)
{
    for (int i = 0; i <= RESENDS && !cli_stopping; i++) {
        if (gw_send_frame(r->fd, req, len) != 0) {
            return -1;
        }
        gw_frame_rc rc = gw_read_frame(r->fd, ans, WARD_GW_SUB_FRAME_MAX, ans_len, ANSWER_MS,
                                       ANSWER_MS);
        if (rc == GW_FRAME_OK) {
            return 1;
        }
        if (rc != GW_FRAME_TIMEOUT) {
            return -1;
        }
    }
    return cli_stopping ? -1 : 0;
}

/* The link is gone: say so once, the caller reconnects. */
static int link_lost(sub_run *r, const char *why)
{
    if (cli_stopping) {
        return cli_fail("stopped");
    }
    printf("subdevice %s: %s: reconnecting\n", r->idhex, why);
    fflush(stdout);
    return SUB_LINK;
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
        if (rc <= 0) {
            return link_lost(r, rc < 0 ? "the gateway closed the link"
                                       : "the gateway does not answer");
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
    return gw_send_frame(r->fd, pkt, len) == 0 ? 0 : link_lost(r, "the gateway closed the link");
}

/* 0 channel open, SUB_UNKNOWN, SUB_LINK, else a failure. */
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
        return link_lost(r, rc < 0 ? "the gateway closed the link"
                                   : "the gateway does not answer");
    }
    if (ward_gw_sub_refused_parse(ans, alen, who, &code) == WARD_OK) {
        if (code == WARD_GW_SUB_UNKNOWN) {
            return SUB_UNKNOWN;
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
 * on, 1 done (left), SUB_UNKNOWN removed, SUB_LINK no channel any more. */
static int on_frame(sub_run *r, const uint8_t *msg, size_t len)
{
    uint8_t pt[WARD_GW_SUB_PAYLOAD_MAX + 1], who[WARD_GW_SUB_ID_LEN], type = 0, code = 0;
    size_t n = 0;
    if (ward_gw_sub_refused_parse(msg, len, who, &code) == WARD_OK) {
        if (code == WARD_GW_SUB_UNKNOWN) {
            return SUB_UNKNOWN;
        }
        if (code == WARD_GW_SUB_NO_CHANNEL) {
            /* The gateway lost our channel (it restarted): a new HELLO. */
            return link_lost(r, "the gateway has no channel of ours");
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
 * end of input sends a LEAVE. 0 left, SUB_UNKNOWN, SUB_LINK, else a failure. */
static int talk(sub_run *r)
{
    uint8_t msg[WARD_GW_SUB_FRAME_MAX];
    /* Lines read while the link was down go up first. */
    char *nl;
    while ((nl = memchr(r->line, '\n', r->have)) != NULL) {
        size_t l = (size_t)(nl - r->line);
        int rc = send_data(r, WARD_MSG_GW_SUB_DATA, r->line, l);
        if (rc != 0) {
            return rc;
        }
        memmove(r->line, nl + 1, r->have - l - 1);
        r->have -= l + 1;
    }
    while (!cli_stopping && r->in_open) {
        struct pollfd p[2] = { { r->fd, POLLIN, 0 }, { STDIN_FILENO, POLLIN, 0 } };
        int pr = poll(p, 2, 200);
        if (pr < 0 && errno != EINTR) {
            return cli_fail("poll: %s", strerror(errno));
        }
        if (pr <= 0) {
            continue;
        }
        if (p[0].revents != 0) {
            size_t len = 0;
            gw_frame_rc fr = gw_read_frame(r->fd, msg, sizeof msg, &len, ANSWER_MS, ANSWER_MS);
            if (fr == GW_FRAME_OK) {
                int rc = on_frame(r, msg, len);
                if (rc != 0) {
                    return rc == 1 ? 0 : rc;
                }
            } else if (fr != GW_FRAME_TIMEOUT) {
                return link_lost(r, "the gateway closed the link");
            }
        }
        if (p[1].revents != 0) {
            ssize_t n = read(STDIN_FILENO, r->line + r->have, sizeof r->line - 1 - r->have);
            if (n <= 0) {
                r->in_open = false;
                break;
            }
            r->have += (size_t)n;
            while ((nl = memchr(r->line, '\n', r->have)) != NULL) {
                size_t l = (size_t)(nl - r->line);
                int rc = send_data(r, WARD_MSG_GW_SUB_DATA, r->line, l);
                if (rc != 0) {
                    return rc;   /* the line stays: it goes up after the reconnect */
                }
                memmove(r->line, nl + 1, r->have - l - 1);
                r->have -= l + 1;
            }
            if (r->have == WARD_GW_SUB_PAYLOAD_MAX) {   /* a line too long goes in pieces */
                int rc = send_data(r, WARD_MSG_GW_SUB_DATA, r->line, r->have);
                if (rc != 0) {
                    return rc;
                }
                r->have = 0;
            }
        }
    }
    if (cli_stopping) {
        return cli_fail("stopped");
    }
    if (r->have > 0) {
        int rc = send_data(r, WARD_MSG_GW_SUB_DATA, r->line, r->have);
        if (rc != 0) {
            return rc;
        }
        r->have = 0;
    }
    /* Let the gateway's answers to the last lines arrive, then leave. */
    long long until = cli_mono_ms() + 500;
    while (cli_mono_ms() < until && !cli_stopping) {
        size_t len = 0;
        gw_frame_rc fr = gw_read_frame(r->fd, msg, sizeof msg, &len, 100, ANSWER_MS);
        if (fr != GW_FRAME_OK && fr != GW_FRAME_TIMEOUT) {
            break;
        }
        int rc = fr == GW_FRAME_OK ? on_frame(r, msg, len) : 0;
        if (rc != 0) {
            return rc == 1 ? 0 : rc;
        }
    }
    int rc = send_data(r, WARD_MSG_GW_SUB_LEAVE, NULL, 0);
    if (rc == 0) {
        printf("subdevice %s: left the channel\n", r->idhex);
    }
    return rc == SUB_LINK ? 0 : rc;   /* a link gone at the LEAVE has left too */
}

/* The wait before the next connection, reading standard input meanwhile
 * (a line read now goes up on the next channel). false: the input ended
 * with nothing left to send, so there is nothing to reconnect for. */
static bool nap_reading(sub_run *r, unsigned ms)
{
    long long end = cli_mono_ms() + ms;
    for (;;) {
        long long left = end - cli_mono_ms();
        if (left <= 0 || cli_stopping) {
            return true;
        }
        bool room = r->in_open && r->have < sizeof r->line - 1;
        struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
        int pr = poll(&p, room ? 1 : 0, left > 200 ? 200 : (int)left);
        if (pr > 0 && room) {
            ssize_t n = read(STDIN_FILENO, r->line + r->have, sizeof r->line - 1 - r->have);
            if (n <= 0) {
                r->in_open = false;
            } else {
                r->have += (size_t)n;
            }
        }
        if (!r->in_open && r->have == 0) {
            return false;
        }
    }
}

/* One connection: join if need be, open the channel, talk. 0 done,
 * SUB_UNKNOWN removed, SUB_LINK reconnect, else an exit code. */
static int session(sub_run *r, unsigned wait_s, bool *opened)
{
    /* A key the gateway no longer knows at HELLO (removed, or it joined
     * again elsewhere) is dropped, and the sub-device joins again once. */
    for (int round = 0; round < 2; round++) {
        int rc = r->have_cred ? 0 : join(r, wait_s);
        if (rc != 0) {
            return rc;
        }
        rc = hello(r);
        if (rc == SUB_UNKNOWN && round == 0) {
            printf("subdevice %s: the gateway no longer knows this key: joining again\n",
                   r->idhex);
            forget_cred(r);
            continue;
        }
        if (rc != 0) {
            return rc == SUB_UNKNOWN ? cli_fail("the gateway refused the new key") : rc;
        }
        *opened = true;
        return talk(r);
    }
    return cli_fail("the gateway refused the new key");
}

int cmd_subdevice_run(int argc, char **argv)
{
    const char *dir = NULL, *gateway = NULL, *wait = NULL, *rwait = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "gateway", true, &gateway }, { "join-wait", true, &wait },
        { "reconnect-wait", true, &rwait },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || gateway == NULL) {
        return cli_usage("usage: ward subdevice run --dir S --gateway HOST:PORT "
                         "[--join-wait SECONDS] [--reconnect-wait SECONDS]");
    }
    unsigned wait_s = 0, rwait_s = 0;
    if ((rc = cli_seconds_opt("join-wait", wait, 120, &wait_s)) != 0 ||
        (rc = cli_seconds_opt("reconnect-wait", rwait, 300, &rwait_s)) != 0) {
        return rc;
    }
    static sub_run r;
    memset(&r, 0, sizeof r);
    r.dir = dir;
    r.fd = -1;
    r.in_open = true;
    if ((rc = load(&r)) != 0) {
        return rc;
    }
    cli_catch_stop();
    /* Connect, and again after the link drops or the gateway restarts:
     * back-off from 0.25 s doubling to 8 s, for at most --reconnect-wait
     * seconds without a channel. */
    unsigned backoff = LINK_BACKOFF_MIN_MS;
    long long give_up = cli_mono_ms() + (long long)rwait_s * 1000;
    bool said = false;
    for (;;) {
        r.fd = gw_dial(gateway);
        if (r.fd == -2) {
            rc = cli_usage("--gateway: HOST:PORT expected, not '%s'", gateway);
            break;
        }
        if (r.fd >= 0) {
            bool opened = false;
            rc = session(&r, wait_s, &opened);
            close(r.fd);
            r.fd = -1;
            if (opened) {
                said = false;
                backoff = LINK_BACKOFF_MIN_MS;
                give_up = cli_mono_ms() + (long long)rwait_s * 1000;
            }
            if (rc != SUB_LINK) {
                break;
            }
        } else if (!said) {
            printf("subdevice %s: cannot reach the gateway at %s (%s): retrying\n", r.idhex,
                   gateway, strerror(errno));
            fflush(stdout);
            said = true;
        }
        if (cli_stopping) {
            rc = CLI_EXIT_FAIL;
            break;
        }
        if (cli_mono_ms() + backoff > give_up) {
            rc = cli_fail("no channel with the gateway at %s for %u s", gateway, rwait_s);
            break;
        }
        if (!nap_reading(&r, backoff)) {
            printf("subdevice %s: input ended while the gateway was away\n", r.idhex);
            rc = 0;
            break;
        }
        backoff = backoff * 2 > LINK_BACKOFF_MAX_MS ? LINK_BACKOFF_MAX_MS : backoff * 2;
    }
    if (rc == SUB_UNKNOWN) {
        printf("subdevice %s: removed by the gateway\n", r.idhex);
        forget_cred(&r);
        rc = CLI_EXIT_FAIL;
    }
    ward_gw_sub_dev_wipe(&r.dev);
    ward_wipe(&r.cred, sizeof r.cred);
    ward_wipe(r.line, sizeof r.line);
    ward_keystore_soft_wipe(&r.soft);
    return rc;
}
