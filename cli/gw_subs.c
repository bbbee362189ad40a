/* `ward gateway run`'s sub-devices: their TCP port through ward_gw_sub_handle, their table in
 * G/subdevices.bin, and the owner's control socket G/gateway.sock (gw_subs.h). */
#include "gw_subs.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gw_net.h"
#include "identity.h"
#include "keyfile.h"
#include "ward/ward_files.h"
#include "ward/ward_encode.h"
#include "ward/ward_gw_cloud.h"

typedef char gws_localkey_fits[WARD_GW_SUB_LOCALKEY_LEN == WARD_GW_LOCALKEY_LEN ? 1 : -1];

#define CTL_LINE_MAX 128
#define CTL_WAIT_MS 1000   /* a local client writes its line at once */

static void conn_drop(gws_conn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static void conns_drop(gw_subs *s)
{
    for (size_t i = 0; i < GWS_CONNS; i++) {
        conn_drop(&s->c[i]);
    }
}

static int listen_tcp(gw_subs *s, unsigned port)
{
    s->lsn = gw_listen_tcp(port, 8);
    if (s->lsn < 0) {
        return cli_fail("sub-device port %u: %s", port, strerror(errno));
    }
    return 0;
}

/* G/gateway.sock, owner only. The run lock makes this the only gateway
 * of G, so a file left by a crash is ours to replace. */
static int listen_ctl(gw_subs *s, const char *dir)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    s->ctl_path = ward_path_join(dir, GWS_CTL);
    if (s->ctl_path == NULL) {
        return cli_fail("out of memory");
    }
    if (strlen(s->ctl_path) >= sizeof a.sun_path) {
        return cli_fail("%s: a path too long for a socket (at most %zu bytes)", s->ctl_path,
                        sizeof a.sun_path - 1);
    }
    strcpy(a.sun_path, s->ctl_path);
    (void)unlink(s->ctl_path);
    s->ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    mode_t old = umask(0177);
    int rc = s->ctl < 0 ? -1 : bind(s->ctl, (struct sockaddr *)&a, sizeof a);
    umask(old);
    if (rc != 0 || listen(s->ctl, 4) != 0) {
        return cli_fail("%s: %s", s->ctl_path, strerror(errno));
    }
    return 0;
}

/* A public key file (130 hex digits) of option opt. */
static int pub_of(const ward_crypto *cp, const char *opt, const char *path,
                  uint8_t pub[WARD_P256_POINT_LEN])
{
    ward_err err = keyfile_read_hex(path, pub, WARD_P256_POINT_LEN);
    if (err == WARD_OK && cp->p256_point_check(pub) != WARD_OK) {
        err = WARD_ERR_FORMAT;
    }
    if (err != WARD_OK) {
        return cli_fail("--%s %s: %s", opt, path,
                        cli_file_why(err, errno, "not a public key file (130 hex digits)"));
    }
    return 0;
}

int gw_subs_open(gw_subs *s, const char *dir, unsigned port, const char *factory_pub,
                 const char *root, const char *list)
{
    memset(s, 0, sizeof *s);
    s->lsn = s->ctl = -1;
    for (size_t i = 0; i < GWS_CONNS; i++) {
        s->c[i].fd = -1;
    }
    ward_host_init(&s->host);
    int rc0 = 0;
    s->have_factory = factory_pub != NULL;
    s->have_root = root != NULL;
    if ((factory_pub != NULL &&
         (rc0 = pub_of(s->host.crypto, "sub-factory", factory_pub, s->factory_pub)) != 0) ||
        (root != NULL && (rc0 = pub_of(s->host.crypto, "sub-root", root, s->root)) != 0) ||
        (root != NULL && (rc0 = cli_identity_list(dir, s->host.crypto, s->root, list,
                                                  &s->list_bytes, &s->list)) != 0)) {
        return rc0;
    }
    ward_err err;
    char *path = ward_path_join(dir, GWS_STORE);
    if (path == NULL) {
        return cli_fail("out of memory");
    }
    ward_store_port sp;
    err = ward_file_port_open(&s->fp, path, GWS_STORE_SIZE, &sp);
    if (err == WARD_OK) {
        err = ward_store_open(&s->st, &sp);
        if (err != WARD_OK) {
            ward_file_port_close(&s->fp);
        }
    }
    int rc = 0;
    if (err != WARD_OK) {
        rc = cli_fail("%s: %s", path, cli_file_why(err, s->fp.os_errno, "not a store"));
    }
    free(path);
    s->store_open = rc == 0;
    if (rc == 0) {
        rc = listen_tcp(s, port);
    }
    if (rc == 0) {
        rc = listen_ctl(s, dir);
    }
    return rc;
}

void gw_subs_localkey(gw_subs *s, const uint8_t *localkey)
{
    if (localkey == NULL) {
        if (s->ready) {
            conns_drop(s);
            ward_gw_sub_gw_wipe(&s->gw);
            ward_wipe(s->localkey, sizeof s->localkey);
            s->ready = false;
        }
        return;
    }
    if (s->ready && ward_ct_equal(localkey, s->localkey, sizeof s->localkey)) {
        return;
    }
    /* New credentials: every sub key changes, the channels with them. */
    conns_drop(s);
    memcpy(s->localkey, localkey, sizeof s->localkey);
    ward_err err = ward_gw_sub_gw_init(&s->gw, &s->st, s->have_factory ? s->factory_pub : NULL,
                                       s->localkey);
    s->ready = err == WARD_OK;
    if (!s->ready) {
        fprintf(stderr, "gateway: the sub-device table in %s cannot be read: %s\n", GWS_STORE,
                ward_strerror(err));
        ward_wipe(s->localkey, sizeof s->localkey);
        return;
    }
    printf("sub-devices: %zu known, serving\n", ward_gw_sub_count(&s->gw));
    fflush(stdout);
}

size_t gw_subs_pollfds(const gw_subs *s, struct pollfd *p)
{
    p[0] = (struct pollfd){ s->lsn, POLLIN, 0 };
    p[1] = (struct pollfd){ s->ctl, POLLIN, 0 };
    for (size_t i = 0; i < GWS_CONNS; i++) {
        p[2 + i] = (struct pollfd){ s->c[i].fd, POLLIN, 0 };
    }
    return GWS_POLLFDS;
}

static void accept_sub(gw_subs *s)
{
    int fd = accept4(s->lsn, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    if (!s->ready) {
        close(fd);   /* no localkey yet: the sub-device tries again later */
        return;
    }
    /* A free place, else the longest idle connection's that carries no
     * channel, else the longest idle one's: strangers holding connections
     * open cannot lock a sub-device out, nor push out one whose channel
     * is open (they cannot open one). */
    gws_conn *c = NULL;
    for (size_t i = 0; i < GWS_CONNS && (c == NULL || c->fd >= 0); i++) {
        gws_conn *k = &s->c[i];
        if (c == NULL || k->fd < 0 || (!k->named && c->named) ||
            (k->named == c->named && k->last_ms < c->last_ms)) {
            c = k;
        }
    }
    conn_drop(c);
    c->fd = fd;
    c->last_ms = cli_mono_ms();
}

static void send_or_drop(gws_conn *c, const uint8_t *msg, size_t len)
{
    if (len > 0 && gw_send_frame(c->fd, msg, len) != 0) {
        conn_drop(c);
    }
}

static void on_event(gw_subs *s, gws_conn *c, const ward_gw_sub_event *ev)
{
    char id[2 * WARD_GW_SUB_ID_LEN + 1];
    cli_hex(ev->sub_id, sizeof ev->sub_id, id);
    switch (ev->kind) {
    case WARD_GW_SUB_EV_JOINED:
        printf("subdevice %s joined\n", id);
        break;
    case WARD_GW_SUB_EV_CHANNEL:
        /* Its new channel proved itself: an older connection of it is stale. */
        for (size_t i = 0; i < GWS_CONNS; i++) {
            if (&s->c[i] != c && s->c[i].named &&
                memcmp(s->c[i].id, ev->sub_id, WARD_GW_SUB_ID_LEN) == 0) {
                conn_drop(&s->c[i]);
            }
        }
        c->named = true;
        memcpy(c->id, ev->sub_id, sizeof c->id);
        printf("subdevice %s channel open\n", id);
        break;
    case WARD_GW_SUB_EV_LEFT:
        printf("subdevice %s left\n", id);
        c->named = false;
        break;
    case WARD_GW_SUB_EV_REFUSED:
        fprintf(stderr, "gateway: sub-device %s refused (code %u)\n", id, (unsigned)ev->code);
        break;
    default:
        break;
    }
    if ((ev->kind != WARD_GW_SUB_EV_DATA && ev->kind != WARD_GW_SUB_EV_CHANNEL) ||
        ev->payload_len == 0) {
        fflush(stdout);
        return;
    }
    /* A message from the sub-device: shown, and acknowledged down its
     * channel with its text (what a real gateway would relay to the cloud). */
    char text[WARD_GW_SUB_PAYLOAD_MAX + 1];
    for (size_t i = 0; i < ev->payload_len; i++) {
        uint8_t b = ev->payload[i];
        text[i] = b >= 0x20 && b <= 0x7E ? (char)b : '.';
    }
    text[ev->payload_len] = '\0';
    printf("subdevice %s data: %s\n", id, text);
    fflush(stdout);
    uint8_t echo[WARD_GW_SUB_PAYLOAD_MAX], out[WARD_GW_SUB_FRAME_MAX];
    size_t el = ev->payload_len > sizeof echo - 6 ? sizeof echo - 6 : ev->payload_len, n = 0;
    memcpy(echo, "echo: ", 6);
    memcpy(echo + 6, ev->payload, el);
    if (ward_gw_sub_seal(&s->gw, s->host.crypto, ev->sub_id, WARD_MSG_GW_SUB_DATA, echo, el + 6,
                         out, sizeof out, &n) == WARD_OK) {
        send_or_drop(c, out, n);
    }
    ward_wipe(echo, sizeof echo);
    ward_wipe(text, sizeof text);
}

static void conn_round(gw_subs *s, gws_conn *c)
{
    int r = gw_framer_fill(&c->fr, c->fd);
    if (r <= 0) {
        conn_drop(c);
        return;
    }
    c->last_ms = cli_mono_ms();
    uint8_t msg[WARD_GW_SUB_FRAME_MAX], out[WARD_GW_SUB_FRAME_MAX];
    size_t len = 0;
    while (c->fd >= 0 && (r = gw_framer_next(&c->fr, msg, sizeof msg, &len)) == 1) {
        size_t n = 0;
        ward_gw_sub_event ev;
        /* Certificates' expiry against the gateway's clock of now. */
        time_t now = time(NULL);
        ward_gw_sub_gw_trust(&s->gw, s->have_root ? s->root : NULL,
                             s->list_bytes != NULL ? &s->list : NULL,
                             now < 0 ? 0u : (uint32_t)now);
        ward_err err = ward_gw_sub_handle(&s->gw, s->host.crypto, &s->host.rng,
                                          (uint64_t)cli_mono_ms(), msg, len, out, sizeof out,
                                          &n, &ev);
        if (err != WARD_OK) {
            /* Forged, replayed, another's key, or not ours: no answer. */
            fprintf(stderr, "gateway: a sub-device frame dropped: %s\n", ward_strerror(err));
            continue;
        }
        send_or_drop(c, out, n);
        if (c->fd >= 0) {
            on_event(s, c, &ev);
        }
        ward_wipe(ev.payload, sizeof ev.payload);
    }
    if (r < 0) {
        conn_drop(c);   /* not our framing */
    }
}

/* ---- the control socket ---- */

static void ctl_say(int fd, const char *text)
{
    size_t off = 0, n = strlen(text);
    while (off < n) {
        ssize_t k = send(fd, text + off, n - off, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            return;
        }
        off += (size_t)k;
    }
}

static int parse_id(const char *text, uint8_t id[WARD_GW_SUB_ID_LEN])
{
    size_t n = 0;
    if (strlen(text) != 2 * WARD_GW_SUB_ID_LEN ||
        ward_hex_decode(text, 2 * WARD_GW_SUB_ID_LEN, id, WARD_GW_SUB_ID_LEN, &n) != WARD_OK ||
        n != WARD_GW_SUB_ID_LEN) {
        return -1;
    }
    return 0;
}

static bool connected(const gw_subs *s, const uint8_t *id)
{
    for (size_t i = 0; i < GWS_CONNS; i++) {
        if (s->c[i].fd >= 0 && s->c[i].named &&
            memcmp(s->c[i].id, id, WARD_GW_SUB_ID_LEN) == 0) {
            return true;
        }
    }
    return false;
}

static void ctl_list(gw_subs *s, int fd)
{
    char line[128], hex[2 * WARD_GW_SUB_ID_LEN + 1];
    size_t n = ward_gw_sub_count(&s->gw);
    for (size_t i = 0; i < n; i++) {
        uint8_t id[WARD_GW_SUB_ID_LEN];
        if (ward_gw_sub_at(&s->gw, i, id) != WARD_OK) {
            break;
        }
        cli_hex(id, sizeof id, hex);
        snprintf(line, sizeof line, "subdevice %s %s\n", hex,
                 connected(s, id) ? "connected" : "not connected");
        ctl_say(fd, line);
    }
    bool open = ward_gw_sub_window_is_open(&s->gw, (uint64_t)cli_mono_ms());
    snprintf(line, sizeof line, "ok %zu sub-devices; join window %s\n", n,
             open ? "open" : "closed");
    ctl_say(fd, line);
}

static void ctl_command(gw_subs *s, int fd, char *line)
{
    char word[16] = "", arg[40] = "";
    unsigned secs = 0, tries = 0;
    uint8_t id[WARD_GW_SUB_ID_LEN];
    char reply[160];
    if (!s->ready) {
        ctl_say(fd, "error the gateway holds no credentials yet: provision it first "
                    "(ward app provision)\n");
        return;
    }
    if (strcmp(line, "list") == 0) {
        ctl_list(s, fd);
    } else if (sscanf(line, "open %u %u", &secs, &tries) == 2) {
        ward_err err = ward_gw_sub_window_open(&s->gw, (uint64_t)cli_mono_ms(), secs * 1000u,
                                               tries);
        if (err == WARD_OK) {
            printf("sub-device join window open for %u s, %u tries\n", secs, tries);
            fflush(stdout);
            snprintf(reply, sizeof reply, "ok join window open for %u s (%u tries)\n", secs,
                     tries);
        } else {
            snprintf(reply, sizeof reply, "error a window of 1-%u s and 1-%u tries\n",
                     WARD_GW_SUB_WINDOW_MAX_MS / 1000u, WARD_GW_SUB_TRIES_MAX);
        }
        ctl_say(fd, reply);
    } else if (strcmp(line, "close") == 0) {
        ward_gw_sub_window_close(&s->gw);
        ctl_say(fd, "ok join window closed\n");
    } else if (sscanf(line, "%15s %39s", word, arg) == 2 && strcmp(word, "remove") == 0 &&
               parse_id(arg, id) == 0) {
        ward_err err = ward_gw_sub_remove(&s->gw, id);
        if (err == WARD_OK) {
            printf("subdevice %s removed\n", arg);
            fflush(stdout);
            snprintf(reply, sizeof reply, "ok subdevice %s removed\n", arg);
        } else {
            snprintf(reply, sizeof reply, "error subdevice %s: %s\n", arg,
                     err == WARD_ERR_NOTFOUND ? "no such sub-device" : ward_strerror(err));
        }
        ctl_say(fd, reply);
    } else {
        ctl_say(fd, "error unknown request\n");
    }
}

/* One request: a line within CTL_WAIT_MS, its answer, closed. */
static void ctl_round(gw_subs *s)
{
    int fd = accept4(s->ctl, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    char line[CTL_LINE_MAX + 1];
    size_t have = 0;
    long long end = cli_mono_ms() + CTL_WAIT_MS;
    while (have < CTL_LINE_MAX && memchr(line, '\n', have) == NULL) {
        long long left = end - cli_mono_ms();
        struct pollfd p = { fd, POLLIN, 0 };
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            break;
        }
        ssize_t k = recv(fd, line + have, CTL_LINE_MAX - have, 0);
        if (k <= 0) {
            break;
        }
        have += (size_t)k;
    }
    char *nl = memchr(line, '\n', have);
    if (nl == NULL) {
        ctl_say(fd, "error one request line expected\n");
    } else {
        *nl = '\0';
        ctl_command(s, fd, line);
    }
    close(fd);
}

void gw_subs_round(gw_subs *s, const struct pollfd *p, size_t n)
{
    if (n < GWS_POLLFDS) {
        return;
    }
    if ((p[0].revents & POLLIN) != 0) {
        accept_sub(s);
    }
    if ((p[1].revents & POLLIN) != 0) {
        ctl_round(s);
    }
    for (size_t i = 0; i < GWS_CONNS; i++) {
        /* The fd is checked too: accept_sub may have given the place anew. */
        if (s->c[i].fd >= 0 && s->c[i].fd == p[2 + i].fd &&
            (p[2 + i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            conn_round(s, &s->c[i]);
        }
    }
}

void gw_subs_close(gw_subs *s)
{
    conns_drop(s);
    if (s->lsn >= 0) {
        close(s->lsn);
    }
    if (s->ctl >= 0) {
        close(s->ctl);
    }
    if (s->ctl_path != NULL) {
        (void)unlink(s->ctl_path);
        free(s->ctl_path);
    }
    if (s->ready) {
        ward_gw_sub_gw_wipe(&s->gw);
    }
    if (s->store_open) {
        ward_file_port_close(&s->fp);
    }
    ward_wipe(s->localkey, sizeof s->localkey);
    free(s->list_bytes);
    s->list_bytes = NULL;
    s->lsn = s->ctl = -1;
    s->ctl_path = NULL;
    s->ready = s->store_open = false;
}
