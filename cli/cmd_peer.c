/* `ward peer init|listen|connect`: offline peer authentication (ward_peer.h) over CoAP/UDP
 * or a Unix stream. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward/ward_files.h"
#include "ward/ward_host.h"
#include "ward/ward_peer.h"

#include "cli.h"
#include "coap_ward.h"
#include "keyfile.h"
#include "peer_dir.h"
#include "peer_net.h"

#define CMD_MAX 256                 /* a --then command, and an answer */
#define SESSIONS 8                  /* CoAP peers handshaking at once */
#define FRAME_WAIT_MS 10000         /* a stream peer's next frame */
#define EXCHANGE_MS 5000            /* a CoAP request's answer */
/* Handshakes answered per second, all peers together: each M1 costs the
 * listener a key generation, an ECDH and a signature, so a flood of M1s
 * (which need no key) is answered at this rate and the rest dropped. */
#define HANDSHAKES_PER_S 20
/* M1s one stream connection may send (a refusal closes it anyway). */
#define HANDSHAKES_PER_CONN 3

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static const char *why_text(const ward_peer *p)
{
    ward_cert_why cw = WARD_CERT_OK;
    switch (ward_peer_why_refused(p, &cw)) {
    case WARD_PEER_MALFORMED: return "not a peer handshake message";
    case WARD_PEER_DECRYPT: return "altered, or not of this handshake";
    case WARD_PEER_CHAIN: return peer_cert_why_text(cw);
    case WARD_PEER_ROLE: return "a role this side does not allow (--allow)";
    case WARD_PEER_SIGNATURE: return "the transcript signature does not verify (replayed?)";
    case WARD_PEER_REPLAY: return "a replayed record";
    case WARD_PEER_ORDER: return "a message out of turn";
    default: return "internal error";
    }
}

static void config_of(const peer_dir *d, const ward_host *host, uint32_t allowed,
                      ward_peer_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->cp = d->cp;
    cfg->rng = &host->rng;
    cfg->ks = &d->ks;
    cfg->key = PEER_KEY;
    cfg->chain = d->chain;
    cfg->chain_len = d->chain_len;
    cfg->root = d->root;
    cfg->list = d->list_bytes != NULL ? &d->list : NULL;
    cfg->allowed = allowed;
    /* The floor, the low end of secure time: an expiry counts as passed
     * only once the device knows it has. */
    cfg->now_s = (uint32_t)(d->floor_ms / 1000 > UINT32_MAX ? UINT32_MAX : d->floor_ms / 1000);
}

/* ---- ward peer init ---- */

static int init_key(const char *dir, const ward_crypto *cp, const ward_random *rng)
{
    char *kpath = ward_path_join(dir, PEER_KEY_FILE), *ppath = ward_path_join(dir, PEER_PUB_FILE);
    int rc = 0;
    if (kpath == NULL || ppath == NULL) {
        rc = cli_fail("out of memory");
    } else if (access(kpath, F_OK) == 0) {
        say("key: %s (kept)", ppath);
    } else {
        ward_keystore_soft soft;
        ward_keystore ks;
        uint8_t pub[WARD_P256_POINT_LEN];
        ward_keystore_soft_init(&soft, cp, rng, &ks);
        ward_err err = ks.generate(ks.ctx, PEER_KEY, pub);
        if (err == WARD_OK) {
            err = keyfile_save_key(kpath, &soft, PEER_KEY, 0600);
        }
        if (err == WARD_OK) {
            err = keyfile_write_hex(ppath, pub, sizeof pub, 0644);
        }
        ward_keystore_soft_wipe(&soft);
        if (err != WARD_OK) {
            rc = cli_fail("%s: %s", kpath, cli_file_why(err, errno, NULL));
        } else {
            say("key: made %s (certify it: ward factory cert --pub %s ...)", ppath, ppath);
        }
    }
    free(kpath);
    free(ppath);
    return rc;
}

static int write_bin(const char *dir, const char *name, const void *buf, size_t len)
{
    char *path = ward_path_join(dir, name);
    if (path == NULL) {
        return cli_fail("out of memory");
    }
    ward_err err = ward_file_write_atomic(path, buf, len, 0644);
    int rc = err == WARD_OK ? 0 : cli_fail("%s: %s", path, cli_file_why(err, errno, NULL));
    free(path);
    return rc;
}

static int read_bin(const char *path, size_t max, char **data, size_t *len, const char *what)
{
    ward_err err = ward_file_read(path, max, data, len);
    return err == WARD_OK ? 0 : cli_fail("%s %s: %s", what, path,
                                         cli_file_why(err, errno, "too large to be one"));
}

/* --root FILE into D/root.pub, after checking it is a point. */
static int init_root(const char *dir, const char *file, const ward_crypto *cp)
{
    uint8_t root[WARD_P256_POINT_LEN];
    ward_err err = keyfile_read_hex(file, root, sizeof root);
    if (err == WARD_OK && cp->p256_point_check(root) != WARD_OK) {
        err = WARD_ERR_FORMAT;
    }
    if (err != WARD_OK) {
        return cli_fail("--root %s: %s", file,
                        cli_file_why(err, errno, "not a public key file (130 hex digits)"));
    }
    char *path = ward_path_join(dir, PEER_ROOT_FILE);
    err = path == NULL ? WARD_ERR_NOSPACE : keyfile_write_hex(path, root, sizeof root, 0644);
    int rc = err == WARD_OK ? 0 : cli_fail("%s: %s", dir, cli_file_why(err, errno, NULL));
    if (rc == 0) {
        say("root: %s", path);
    }
    free(path);
    return rc;
}

/* --cert FILE: a chain for this key under the root, into D/peer.chain. */
static int init_cert(const char *dir, const char *file, const peer_dir *d, const uint8_t *pub)
{
    char *chain = NULL;
    size_t len = 0;
    int rc = read_bin(file, WARD_CERT_CHAIN_MAX_LEN, &chain, &len, "--cert");
    if (rc != 0) {
        return rc;
    }
    const uint8_t *c = (const uint8_t *)chain;
    size_t first = ward_cert_len(c, len);
    uint8_t role = first == 0 || first > len ? 0 : first == len ? c[1] : c[first + 1];
    ward_cert leaf;
    ward_cert_why why = WARD_CERT_OK;
    ward_err err = ward_cert_chain_verify(d->cp, d->root, c, len, role,
                                          (uint32_t)(d->floor_ms / 1000),
                                          d->list_bytes != NULL ? &d->list : NULL, &leaf, &why);
    if (err != WARD_OK) {
        rc = cli_fail("--cert %s: refused: %s", file, peer_cert_why_text(why));
    } else if (memcmp(leaf.point, pub, WARD_P256_POINT_LEN) != 0) {
        rc = cli_fail("--cert %s: certifies another key than %s/%s", file, dir, PEER_PUB_FILE);
    } else if (role == WARD_CERT_ROLE_FACTORY) {
        rc = cli_fail("--cert %s: a factory certificate, not a device's", file);
    } else if ((rc = write_bin(dir, PEER_CHAIN_FILE, chain, len)) == 0) {
        say("chain: %.*s (%s), %zu bytes", (int)leaf.id_len, (const char *)leaf.id,
            peer_role_name(leaf.role), len);
    }
    free(chain);
    return rc;
}

/* --list FILE: newer than the one kept, signed by the root; then d holds it. */
static int init_list(const char *dir, const char *file, peer_dir *d)
{
    char *bytes = NULL;
    size_t len = 0;
    int rc = read_bin(file, PEER_LIST_MAX, &bytes, &len, "--list");
    if (rc != 0) {
        return rc;
    }
    ward_cert_list l;
    ward_err err = ward_cert_list_verify(d->cp, d->root, (const uint8_t *)bytes, len,
                                         d->list_bytes != NULL ? &d->list : NULL, &l);
    if (err == WARD_ERR_EXPIRED) {
        rc = cli_fail("--list %s: seq %" PRIu32 " is not newer than the list kept (seq %" PRIu32
                      "): refused", file, l.seq, d->list.seq);
    } else if (err != WARD_OK) {
        rc = cli_fail("--list %s: not a revocation list signed by the root", file);
    } else if ((rc = write_bin(dir, PEER_LIST_FILE, bytes, len)) == 0) {
        say("revocation list: seq %" PRIu32 ", %u keys revoked", l.seq, (unsigned)l.count);
        /* the chain given with it is checked against this list */
        free(d->list_bytes);
        d->list_bytes = bytes;
        d->list_len = len;
        d->list = l;
        return 0;
    }
    free(bytes);
    return rc;
}

int cmd_peer_init(int argc, char **argv)
{
    const char *dir = NULL, *cert = NULL, *root = NULL, *list = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "cert", true, &cert }, { "root", true, &root },
        { "list", true, &list },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: ward peer init --dir D [--root FILE] [--cert FILE] "
                         "[--list FILE]");
    }
    ward_err err = ward_mkdir(dir, 0700);
    if (err != WARD_OK) {
        return cli_fail("%s: %s", dir, cli_file_why(err, errno, NULL));
    }
    ward_host host;
    ward_host_init(&host);
    if ((rc = init_key(dir, host.crypto, &host.rng)) != 0) {
        return rc;
    }
    if (root != NULL && (rc = init_root(dir, root, host.crypto)) != 0) {
        return rc;
    }
    if (cert == NULL && list == NULL) {
        return 0;
    }
    /* What is kept (key, root, list, floor); the chain may not be there yet. */
    static peer_dir d;
    memset(&d, 0, sizeof d);
    d.cp = host.crypto;
    ward_keystore_soft_init(&d.soft, host.crypto, &host.rng, &d.ks);
    char *kpath = ward_path_join(dir, PEER_KEY_FILE), *rpath = ward_path_join(dir, PEER_ROOT_FILE);
    char *lpath = ward_path_join(dir, PEER_LIST_FILE);
    uint8_t pub[WARD_P256_POINT_LEN];
    if (kpath == NULL || rpath == NULL || lpath == NULL) {
        rc = cli_fail("out of memory");
    } else if ((err = keyfile_load_key(kpath, &d.soft, PEER_KEY)) != WARD_OK ||
               (err = d.ks.public_key(d.ks.ctx, PEER_KEY, pub)) != WARD_OK) {
        rc = cli_fail("%s: %s", kpath, cli_file_why(err, errno, "not a key file"));
    } else if ((err = keyfile_read_hex(rpath, d.root, sizeof d.root)) != WARD_OK) {
        rc = cli_fail("%s: %s (give --root FILE, the manufacturer's root public key)", rpath,
                      cli_file_why(err, errno, "not a public key file"));
    } else if ((err = ward_file_read(lpath, PEER_LIST_MAX, &d.list_bytes, &d.list_len)) ==
               WARD_OK) {
        if (ward_cert_list_verify(d.cp, d.root, (const uint8_t *)d.list_bytes, d.list_len, NULL,
                                  &d.list) != WARD_OK) {
            free(d.list_bytes);
            d.list_bytes = NULL;   /* a kept list the root did not sign: replaced */
        }
    } else {
        d.list_bytes = NULL;
    }
    free(kpath);
    free(rpath);
    free(lpath);
    if (rc == 0) {
        rc = peer_dir_floor(&d, dir);
    }
    if (rc == 0 && list != NULL) {
        rc = init_list(dir, list, &d);
    }
    if (rc == 0 && cert != NULL) {
        rc = init_cert(dir, cert, &d, pub);
    }
    peer_dir_free(&d);
    return rc;
}

/* ---- ward peer listen ---- */

typedef struct lsess {
    bool used;
    ward_peer p;
    uint8_t tid[WCOAP_TID_MAX];
    size_t tid_len;
    long long last;
    unsigned m1s;               /* M1s on this stream connection */
} lsess;

typedef struct listener {
    peer_dir d;
    ward_host host;
    ward_peer_config cfg;
    lsess s[SESSIONS];
    unsigned long count;        /* commands run: what `count` answers */
    long long second;           /* the rate window's start (cli_mono_ms) */
    unsigned answered;          /* handshakes answered in it */
    bool once, done;
} listener;

/* Runs a command of an authenticated peer into ans. */
static void run_cmd(listener *L, const ward_cert *peer, const char *cmd, char *ans, size_t cap)
{
    if (strcmp(cmd, "ping") == 0) {
        snprintf(ans, cap, "pong");
    } else if (strcmp(cmd, "whoami") == 0) {
        snprintf(ans, cap, "%.*s (%s)", (int)peer->id_len, (const char *)peer->id,
                 peer_role_name(peer->role));
    } else if (strcmp(cmd, "count") == 0) {
        snprintf(ans, cap, "%lu", L->count + 1);
    } else if (strncmp(cmd, "echo ", 5) == 0) {
        snprintf(ans, cap, "%s", cmd + 5);
    } else {
        snprintf(ans, cap, "unknown command (ping, whoami, count, echo TEXT)");
        return;
    }
    L->count++;
}

static void peer_line(const ward_peer *p, char *out, size_t cap)
{
    ward_cert c;
    if (ward_peer_peer_cert(p, &c) == WARD_OK) {
        snprintf(out, cap, "%.*s (%s)", (int)c.id_len, (const char *)c.id,
                 peer_role_name(c.role));
    } else {
        snprintf(out, cap, "?");
    }
}

/* One message of session s; answers appended as frames to out. false: end
 * the session (a refusal). */
static bool serve(listener *L, lsess *s, const uint8_t *m, size_t n, uint8_t *out, size_t cap,
                  size_t *off)
{
    uint8_t buf[WARD_PEER_MSG_MAX];
    size_t len = 0;
    ward_err err;
    char who[WARD_CERT_ID_MAX + 32];
    switch (m[0]) {
    case WARD_PEER_M1: {
        long long now = cli_mono_ms();
        if (now - L->second >= 1000) {
            L->second = now;
            L->answered = 0;
        }
        if (L->answered >= HANDSHAKES_PER_S || ++s->m1s > HANDSHAKES_PER_CONN) {
            say("peer: refused: too many handshakes (at most %d a second, %d a connection)",
                HANDSHAKES_PER_S, HANDSHAKES_PER_CONN);
            return false;
        }
        L->answered++;
        ward_peer_wipe(&s->p);
        err = ward_peer_init(&s->p, &L->cfg);
        if (err == WARD_OK) {
            err = ward_peer_respond(&s->p, m, n, buf, sizeof buf, &len);
        }
        if (err != WARD_OK) {
            say("peer: refused: %s", why_text(&s->p));
            return false;
        }
        return pnet_frame_put(out, cap, off, buf, len) == WARD_OK;
    }
    case WARD_PEER_M3:
        if (ward_peer_accept(&s->p, m, n) != WARD_OK) {
            say("peer: refused: %s", why_text(&s->p));
            return false;
        }
        peer_line(&s->p, who, sizeof who);
        say("peer: %s authenticated", who);
        return true;
    case WARD_PEER_RECORD: {
        uint8_t pt[CMD_MAX];
        err = ward_peer_open(&s->p, m, n, pt, sizeof pt - 1, &len);
        if (err == WARD_ERR_CONFLICT) {
            say("peer: refused: %s", why_text(&s->p));
            return true;        /* the channel stays up; the copy is dropped */
        }
        if (err != WARD_OK) {
            say("peer: refused a record: %s", err == WARD_ERR_STATE ? "no channel"
                                                                   : why_text(&s->p));
            return false;
        }
        pt[len] = '\0';
        char ans[CMD_MAX];
        ward_cert peer;
        if (memchr(pt, '\0', len) != NULL || ward_peer_peer_cert(&s->p, &peer) != WARD_OK) {
            return false;
        }
        run_cmd(L, &peer, (const char *)pt, ans, sizeof ans);
        peer_line(&s->p, who, sizeof who);
        say("peer: %s: %s -> %s", who, (const char *)pt, ans);
        err = ward_peer_seal(&s->p, (const uint8_t *)ans, strlen(ans), buf, sizeof buf, &len);
        if (L->once) {
            L->done = true;
        }
        return err == WARD_OK && pnet_frame_put(out, cap, off, buf, len) == WARD_OK;
    }
    default:
        say("peer: refused: not a peer message");
        return false;
    }
}

/* Every frame of in, for session s: answers into out. */
static void serve_frames(listener *L, lsess *s, const uint8_t *in, size_t in_len, uint8_t *out,
                         size_t cap, size_t *out_len)
{
    size_t off = 0, o = 0, n = 0;
    const uint8_t *m = NULL;
    ward_err err;
    *out_len = 0;
    while ((err = pnet_frame_next(in, in_len, &off, &m, &n)) == WARD_OK) {
        if (!serve(L, s, m, n, out, cap, &o)) {
            ward_peer_wipe(&s->p);
            s->used = false;
            return;     /* a refusal answers nothing */
        }
    }
    if (err == WARD_ERR_FORMAT) {
        say("peer: refused: a frame cut short");
        return;
    }
    *out_len = o;
}

/* CoAP: the session of the sender's address (a new M1 takes the oldest slot). */
static void on_coap(void *ctx, const uint8_t *tid, size_t tid_len, const uint8_t *in,
                    size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    listener *L = ctx;
    lsess *s = NULL, *oldest = &L->s[0];
    for (size_t i = 0; i < SESSIONS; i++) {
        lsess *c = &L->s[i];
        if (c->used && c->tid_len == tid_len && memcmp(c->tid, tid, tid_len) == 0) {
            s = c;
        }
        if (!c->used || (oldest->used && c->last < oldest->last)) {
            oldest = c;
        }
    }
    if (s == NULL) {
        s = oldest;
        ward_peer_wipe(&s->p);
        s->used = true;
        s->m1s = 0;
        memcpy(s->tid, tid, tid_len);
        s->tid_len = tid_len;
    }
    s->last = cli_mono_ms();
    serve_frames(L, s, in, in_len, out, cap, out_len);
}

static int listen_coap(listener *L, const char *addr)
{
    char host[256];
    unsigned port = 0, bound = 0;
    if (wcoap_split(addr, host, sizeof host, &port) != WARD_OK) {
        return cli_usage("--listen: HOST:PORT or unix:PATH, not '%s'", addr);
    }
    wcoap_dev *coap = NULL;
    ward_err err = wcoap_dev_start(&coap, host, port, "{\"type\":\"peer\"}", on_coap, L, &bound);
    if (err != WARD_OK) {
        return cli_fail("cannot listen on udp %s: %s", addr,
                        err == WARD_ERR_IO && errno != 0 ? strerror(errno) : ward_strerror(err));
    }
    say("peer: listening on coap://%s:%u", host, bound);
    while (!cli_stopping && !L->done) {
        wcoap_dev_step(coap, 100);
    }
    wcoap_dev_stop(coap);
    return 0;
}

/* The stream: one peer at a time, frame by frame, until it hangs up. */
static int listen_stream(listener *L, const char *path)
{
    int lfd = pnet_unix_listen(path);
    if (lfd < 0) {
        return cli_fail("cannot listen on unix:%s: %s", path, strerror(errno));
    }
    say("peer: listening on unix:%s", path);
    while (!cli_stopping && !L->done) {
        int fd = pnet_unix_accept(lfd, 200);
        if (fd < 0) {
            continue;
        }
        lsess *s = &L->s[0];
        ward_peer_wipe(&s->p);
        s->used = true;
        s->m1s = 0;
        for (;;) {
            uint8_t in[PNET_FRAME_MAX], out[PNET_PAYLOAD_MAX];
            size_t len = 0, out_len = 0;
            if (pnet_read_frame(fd, in, sizeof in, &len, FRAME_WAIT_MS) != WARD_OK) {
                break;
            }
            uint8_t framed[PNET_PAYLOAD_MAX];
            size_t flen = 0;
            if (pnet_frame_put(framed, sizeof framed, &flen, in, len) != WARD_OK) {
                break;
            }
            serve_frames(L, s, framed, flen, out, sizeof out, &out_len);
            if (!s->used || (out_len > 0 && pnet_write_all(fd, out, out_len) != WARD_OK)) {
                break;
            }
        }
        ward_peer_wipe(&s->p);
        s->used = false;
        close(fd);
    }
    close(lfd);
    unlink(path);
    return 0;
}

int cmd_peer_listen(int argc, char **argv)
{
    const char *dir = NULL, *addr = NULL, *allow = NULL, *once = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "listen", true, &addr }, { "allow", true, &allow },
        { "once", false, &once },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || addr == NULL) {
        return cli_usage("usage: ward peer listen --dir D --listen HOST:PORT|unix:PATH "
                         "[--allow ROLES] [--once]");
    }
    static listener L;
    memset(&L, 0, sizeof L);
    uint32_t allowed = WARD_PEER_ALLOW_DEVICES;
    if (allow != NULL && (rc = peer_roles_parse(allow, &allowed)) != 0) {
        return rc;
    }
    ward_host_init(&L.host);
    if ((rc = peer_dir_load(&L.d, dir, L.host.crypto, &L.host.rng)) != 0) {
        return rc;
    }
    config_of(&L.d, &L.host, allowed, &L.cfg);
    L.once = once != NULL;
    cli_catch_stop();
    say("peer: %.*s (%s)", (int)L.d.self.id_len, (const char *)L.d.self.id,
        peer_role_name(L.d.self.role));
    const char *path = pnet_unix_path(addr);
    rc = path != NULL ? listen_stream(&L, path) : listen_coap(&L, addr);
    for (size_t i = 0; i < SESSIONS; i++) {
        ward_peer_wipe(&L.s[i].p);
    }
    peer_dir_free(&L.d);
    return rc;
}

/* ---- ward peer connect ---- */

/* Sends the frames of payload and gives the first frame answered. */
typedef struct plink {
    const char *coap;       /* HOST:PORT, or NULL */
    int fd;                 /* the stream */
    unsigned timeout_ms;
} plink;

static ward_err exchange(plink *k, const uint8_t *payload, size_t len, uint8_t *ans, size_t cap,
                         size_t *ans_len)
{
    if (k->coap != NULL) {
        uint8_t in[PNET_PAYLOAD_MAX];
        size_t in_len = 0, off = 0;
        const uint8_t *m = NULL;
        ward_err err = wcoap_exchange(k->coap, payload, len, in, sizeof in, &in_len,
                                      k->timeout_ms);
        if (err == WARD_OK) {
            err = pnet_frame_next(in, in_len, &off, &m, ans_len);
        }
        if (err == WARD_OK && *ans_len > cap) {
            err = WARD_ERR_NOSPACE;
        }
        if (err == WARD_OK) {
            memcpy(ans, m, *ans_len);
        }
        return err == WARD_ERR_NOTFOUND ? WARD_ERR_AUTH : err;
    }
    ward_err err = pnet_write_all(k->fd, payload, len);
    if (err == WARD_OK) {
        err = pnet_read_frame(k->fd, ans, cap, ans_len, k->timeout_ms);
    }
    /* the listener hung up instead of answering: it refused */
    return err == WARD_ERR_NOTFOUND ? WARD_ERR_AUTH : err;
}

static int exchange_fail(const char *what, ward_err err, const plink *k)
{
    if (err == WARD_ERR_AUTH) {
        return cli_fail("the listener refused %s (no answer)", what);
    }
    return cli_fail("%s: %s", what, k->coap != NULL && err == WARD_ERR_IO ? wcoap_why()
                                                                          : ward_strerror(err));
}

static int connect_run(const peer_dir *d, const ward_host *host, uint32_t allowed, plink *k,
                       const char *then)
{
    ward_peer_config cfg;
    config_of(d, host, allowed, &cfg);
    static ward_peer p;
    uint8_t m1[WARD_PEER_M1_LEN], m2[WARD_PEER_MSG_MAX], m3[WARD_PEER_MSG_MAX];
    uint8_t payload[PNET_PAYLOAD_MAX], rec[PNET_FRAME_MAX];
    size_t m1_len = 0, m2_len = 0, m3_len = 0, plen = 0, rec_len = 0;
    ward_err err = ward_peer_init(&p, &cfg);
    if (err == WARD_OK) {
        err = ward_peer_start(&p, m1, sizeof m1, &m1_len);
    }
    if (err == WARD_OK) {
        err = pnet_frame_put(payload, sizeof payload, &plen, m1, m1_len);
    }
    if (err != WARD_OK) {
        return cli_fail("M1: %s", ward_strerror(err));
    }
    err = exchange(k, payload, plen, m2, sizeof m2, &m2_len);
    if (err != WARD_OK) {
        return exchange_fail("M1", err, k);
    }
    err = ward_peer_finish(&p, m2, m2_len, m3, sizeof m3, &m3_len);
    if (err != WARD_OK) {
        int rc = cli_fail("refused the listener: %s", why_text(&p));
        ward_peer_wipe(&p);
        return rc;
    }
    char who[WARD_CERT_ID_MAX + 32];
    peer_line(&p, who, sizeof who);
    say("peer: %s authenticated", who);
    say("handshake: 3 messages, M1 %zu, M2 %zu, M3 %zu bytes", m1_len, m2_len, m3_len);
    plen = 0;
    err = ward_peer_seal(&p, (const uint8_t *)then, strlen(then), rec, sizeof rec, &rec_len);
    if (err == WARD_OK) {
        err = pnet_frame_put(payload, sizeof payload, &plen, m3, m3_len);
    }
    if (err == WARD_OK) {
        err = pnet_frame_put(payload, sizeof payload, &plen, rec, rec_len);
    }
    if (err == WARD_OK) {
        err = exchange(k, payload, plen, rec, sizeof rec, &rec_len);
        if (err != WARD_OK) {
            ward_peer_wipe(&p);
            return exchange_fail("M3 and the command", err, k);
        }
    }
    char ans[CMD_MAX];
    size_t ans_len = 0;
    if (err == WARD_OK) {
        err = ward_peer_open(&p, rec, rec_len, (uint8_t *)ans, sizeof ans - 1, &ans_len);
    }
    ward_peer_wipe(&p);
    if (err != WARD_OK) {
        return cli_fail("the answer: %s", ward_strerror(err));
    }
    ans[ans_len] = '\0';
    say("answer: %s", ans);
    return 0;
}

int cmd_peer_connect(int argc, char **argv)
{
    const char *dir = NULL, *to = NULL, *then = NULL, *allow = NULL, *timeout = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir },     { "to", true, &to },           { "then", true, &then },
        { "allow", true, &allow }, { "timeout", true, &timeout },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || to == NULL) {
        return cli_usage("usage: ward peer connect --dir D --to HOST:PORT|unix:PATH "
                         "[--then CMD] [--allow ROLES] [--timeout MS]");
    }
    if (then == NULL) {
        then = "ping";
    }
    if (then[0] == '\0' || strlen(then) >= CMD_MAX) {
        return cli_usage("--then: a command of 1 to %d characters", CMD_MAX - 1);
    }
    uint32_t allowed = WARD_PEER_ALLOW_DEVICES;
    unsigned long ms = 0;
    if ((allow != NULL && (rc = peer_roles_parse(allow, &allowed)) != 0) ||
        (rc = cli_number_opt("timeout", timeout, EXCHANGE_MS, 100, 600000, &ms)) != 0) {
        return rc;
    }
    plink k = { .coap = NULL, .fd = -1, .timeout_ms = (unsigned)ms };
    const char *path = pnet_unix_path(to);
    char host[256];
    unsigned port = 0;
    if (path == NULL && wcoap_split(to, host, sizeof host, &port) != WARD_OK) {
        return cli_usage("--to: HOST:PORT or unix:PATH, not '%s'", to);
    }
    ward_host h;
    ward_host_init(&h);
    static peer_dir d;
    if ((rc = peer_dir_load(&d, dir, h.crypto, &h.rng)) != 0) {
        return rc;
    }
    if (path != NULL) {
        k.fd = pnet_unix_connect(path);
        if (k.fd < 0) {
            peer_dir_free(&d);
            return cli_fail("cannot connect to unix:%s: %s", path, strerror(errno));
        }
    } else {
        k.coap = to;
    }
    rc = connect_run(&d, &h, allowed, &k, then);
    if (k.fd >= 0) {
        close(k.fd);
    }
    if (k.coap != NULL) {
        wcoap_app_close();
    }
    peer_dir_free(&d);
    return rc;
}
