/* gw_sub_probe: the gateway's end of flow C's sub-device link on the real
 * core (ward_gw_sub_handle), for the e2e tests until `ward gateway run`
 * carries it. TCP on 127.0.0.1:PORT (PORT 0: any; "listening PORT" is the
 * first line), frames of a 2-byte big-endian length. It answers each
 * frame, echoes each DATA as "echo: TEXT", and prints one line per event:
 *     joined ID GEN | hello ID | channel ID | data ID TEXT | left ID | refused ID CODE
 *     | dropped ERR
 * Commands on standard input, one a line: "open SECONDS TRIES",
 * "remove ID", "count". The table lives in memory (a simulated flash).
 *
 * Usage: gw_sub_probe PORT FACTORY_PUB_FILE LOCALKEY_HEX */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ward/ward_gw_sub.h"
#include "ward/ward_host.h"
#include "ward/ward_port_sim.h"

#define MAXC 8

typedef struct conn {
    int fd;
    uint8_t buf[2 + WARD_GW_SUB_FRAME_MAX];
    size_t have;
    uint8_t id[WARD_GW_SUB_ID_LEN];
    bool named;
} conn;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int unhex(const char *t, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        if (sscanf(t + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        out[i] = (uint8_t)v;
    }
    return t[2 * len] == '\0' || t[2 * len] == '\n' || t[2 * len] == ' ' ? 0 : -1;
}

static void hex(const uint8_t *v, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        sprintf(out + 2 * i, "%02x", v[i]);
    }
}

static int send_frame(int fd, const uint8_t *msg, size_t len)
{
    uint8_t b[2 + WARD_GW_SUB_FRAME_MAX];
    b[0] = (uint8_t)(len >> 8);
    b[1] = (uint8_t)len;
    memcpy(b + 2, msg, len);
    return send(fd, b, len + 2, MSG_NOSIGNAL) == (ssize_t)(len + 2) ? 0 : -1;
}

static ward_host host;
static ward_gw_sub_gw gw;
static conn cs[MAXC];

static void on_frame(conn *c, const uint8_t *msg, size_t len)
{
    uint8_t out[WARD_GW_SUB_FRAME_MAX];
    size_t n = 0;
    ward_gw_sub_event ev;
    char id[2 * WARD_GW_SUB_ID_LEN + 1];
    ward_err err = ward_gw_sub_handle(&gw, host.crypto, &host.rng, now_ms(), msg, len, out,
                                      sizeof out, &n, &ev);
    if (err != WARD_OK) {
        printf("dropped %s\n", ward_strerror(err));
        fflush(stdout);
        return;
    }
    if (n > 0 && send_frame(c->fd, out, n) != 0) {
        return;
    }
    hex(ev.sub_id, sizeof ev.sub_id, id);
    switch (ev.kind) {
    case WARD_GW_SUB_EV_JOINED:
        printf("joined %s\n", id);
        break;
    case WARD_GW_SUB_EV_NONE:
        if (len > 1 && msg[1] == WARD_MSG_GW_SUB_HELLO && n > 0) {
            printf("hello %s\n", id);   /* answered; no channel changes yet */
        }
        break;
    case WARD_GW_SUB_EV_CHANNEL:
    case WARD_GW_SUB_EV_DATA: {
        if (ev.kind == WARD_GW_SUB_EV_CHANNEL) {
            memcpy(c->id, ev.sub_id, sizeof c->id);
            c->named = true;
            printf("channel %s\n", id);
            if (ev.payload_len == 0) {
                break;   /* the new channel's empty first packet */
            }
        }
        char text[WARD_GW_SUB_PAYLOAD_MAX + 1];
        memcpy(text, ev.payload, ev.payload_len);
        text[ev.payload_len] = '\0';
        printf("data %s %s\n", id, text);
        uint8_t echo[WARD_GW_SUB_PAYLOAD_MAX];
        size_t el = ev.payload_len + 6 > sizeof echo ? sizeof echo - 6 : ev.payload_len;
        memcpy(echo, "echo: ", 6);
        memcpy(echo + 6, ev.payload, el);
        if (ward_gw_sub_seal(&gw, host.crypto, ev.sub_id, WARD_MSG_GW_SUB_DATA, echo, el + 6,
                             out, sizeof out, &n) == WARD_OK) {
            (void)send_frame(c->fd, out, n);
        }
        break;
    }
    case WARD_GW_SUB_EV_LEFT:
        printf("left %s\n", id);
        break;
    case WARD_GW_SUB_EV_REFUSED:
        printf("refused %s %u\n", id, (unsigned)ev.code);
        break;
    default:
        break;
    }
    fflush(stdout);
}

static void on_command(char *line)
{
    unsigned secs = 0, tries = 0;
    uint8_t id[WARD_GW_SUB_ID_LEN];
    if (sscanf(line, "open %u %u", &secs, &tries) == 2) {
        ward_err err = ward_gw_sub_window_open(&gw, now_ms(), secs * 1000u, tries);
        printf("window %s\n", err == WARD_OK ? "open" : ward_strerror(err));
    } else if (strncmp(line, "remove ", 7) == 0 && unhex(line + 7, id, sizeof id) == 0) {
        ward_err err = ward_gw_sub_remove(&gw, id);
        printf("removed %s\n", err == WARD_OK ? "ok" : ward_strerror(err));
    } else if (strncmp(line, "count", 5) == 0) {
        printf("count %zu\n", ward_gw_sub_count(&gw));
    } else {
        printf("unknown command\n");
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static uint8_t mem[16384];
    static ward_sim_flash sf;
    static ward_store_port port;
    static ward_store st;
    uint8_t fpub[WARD_P256_POINT_LEN], localkey[WARD_GW_SUB_LOCALKEY_LEN];
    char text[2 * WARD_P256_POINT_LEN + 2];
    if (argc != 4) {
        fprintf(stderr, "usage: gw_sub_probe PORT FACTORY_PUB_FILE LOCALKEY_HEX\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "r");
    if (f == NULL || fgets(text, sizeof text, f) == NULL || unhex(text, fpub, sizeof fpub) != 0 ||
        unhex(argv[3], localkey, sizeof localkey) != 0) {
        fprintf(stderr, "gw_sub_probe: bad factory key or localkey\n");
        return 2;
    }
    fclose(f);
    ward_host_init(&host);
    ward_sim_flash_init(&sf, mem, sizeof mem, 256, &port);
    ward_sim_flash_format(&sf);
    if (ward_store_open(&st, &port) != WARD_OK ||
        ward_gw_sub_gw_init(&gw, &st, fpub, localkey) != WARD_OK) {
        fprintf(stderr, "gw_sub_probe: cannot start\n");
        return 1;
    }
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)atoi(argv[1]));
    socklen_t al = sizeof a;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 8) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &al) != 0) {
        fprintf(stderr, "gw_sub_probe: cannot listen: %s\n", strerror(errno));
        return 1;
    }
    printf("listening %u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);
    for (int i = 0; i < MAXC; i++) {
        cs[i].fd = -1;
    }
    char line[256];
    size_t lh = 0;
    for (;;) {
        struct pollfd p[MAXC + 2];
        p[0] = (struct pollfd){ ls, POLLIN, 0 };
        p[1] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
        for (int i = 0; i < MAXC; i++) {
            p[i + 2] = (struct pollfd){ cs[i].fd, POLLIN, 0 };
        }
        if (poll(p, MAXC + 2, 1000) < 0 && errno != EINTR) {
            return 1;
        }
        if (p[0].revents & POLLIN) {
            int fd = accept(ls, NULL, NULL);
            int i = 0;
            while (i < MAXC && cs[i].fd >= 0) {
                i++;
            }
            if (i == MAXC) {
                close(fd);
            } else {
                memset(&cs[i], 0, sizeof cs[i]);
                cs[i].fd = fd;
            }
        }
        if (p[1].revents != 0) {
            ssize_t n = read(STDIN_FILENO, line + lh, sizeof line - 1 - lh);
            if (n <= 0) {
                return 0;   /* the test closed our input: done */
            }
            lh += (size_t)n;
            char *nl;
            while ((nl = memchr(line, '\n', lh)) != NULL) {
                *nl = '\0';
                on_command(line);
                size_t used = (size_t)(nl - line) + 1;
                memmove(line, nl + 1, lh - used);
                lh -= used;
            }
            if (lh == sizeof line - 1) {
                lh = 0;
            }
        }
        for (int i = 0; i < MAXC; i++) {
            conn *c = &cs[i];
            if (c->fd < 0 || p[i + 2].revents == 0) {
                continue;
            }
            ssize_t n = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, 0);
            if (n <= 0) {
                close(c->fd);
                c->fd = -1;
                continue;
            }
            c->have += (size_t)n;
            while (c->have >= 2) {
                size_t len = ((size_t)c->buf[0] << 8) | c->buf[1];
                if (len > WARD_GW_SUB_FRAME_MAX) {
                    close(c->fd);
                    c->fd = -1;
                    break;
                }
                if (c->have < len + 2) {
                    break;
                }
                on_frame(c, c->buf + 2, len);
                memmove(c->buf, c->buf + 2 + len, c->have - 2 - len);
                c->have -= 2 + len;
            }
        }
    }
}
