/* The LAN links' host side for `ward gateway`, `ward subdevice` and `ward app provision`: netns,
 * framing, dialling, MACs. */
#include "gw_net.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"

int gw_enter_netns(const char *name)
{
    char path[256];
    if (name[0] == '\0' || strchr(name, '/') != NULL || strlen(name) > 64) {
        return cli_usage("--netns: a name as `ip netns add` takes it, not '%s'", name);
    }
    snprintf(path, sizeof path, "/run/netns/%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return cli_fail("network namespace %s: %s", name, strerror(errno));
    }
    if (setns(fd, CLONE_NEWNET) != 0) {
        int e = errno;
        close(fd);
        return cli_fail("network namespace %s: cannot enter: %s", name, strerror(e));
    }
    close(fd);
    return 0;
}

int gw_send_frame(int fd, const uint8_t *msg, size_t len)
{
    uint8_t buf[2 + GW_FRAME_MAX];
    if (len == 0 || len > GW_FRAME_MAX) {
        return -1;
    }
    buf[0] = (uint8_t)(len >> 8);
    buf[1] = (uint8_t)len;
    memcpy(buf + 2, msg, len);
    size_t off = 0;
    while (off < len + 2) {
        ssize_t n = send(fd, buf + off, len + 2 - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        off += (size_t)n;
    }
    return 0;
}

/* Reads exactly n bytes before deadline (cli_mono_ms). */
static gw_frame_rc read_exact(int fd, uint8_t *out, size_t n, long long deadline)
{
    size_t got = 0;
    while (got < n) {
        if (cli_stopping) {
            return GW_FRAME_STOP;
        }
        long long left = deadline - cli_mono_ms();
        if (left <= 0) {
            return GW_FRAME_TIMEOUT;
        }
        struct pollfd p = { fd, POLLIN, 0 };
        /* Short naps: a stop signal is seen within 100 ms. */
        int r = poll(&p, 1, (int)(left > 100 ? 100 : left));
        if (r < 0 && errno != EINTR) {
            return GW_FRAME_BAD;
        }
        if (r <= 0) {
            continue;
        }
        ssize_t k = recv(fd, out + got, n - got, 0);
        if (k == 0) {
            return GW_FRAME_CLOSED;
        }
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return errno == ECONNRESET || errno == EPIPE ? GW_FRAME_CLOSED : GW_FRAME_BAD;
        }
        got += (size_t)k;
    }
    return GW_FRAME_OK;
}

gw_frame_rc gw_read_frame(int fd, uint8_t *out, size_t cap, size_t *len, int first_ms,
                          int rest_ms)
{
    uint8_t hdr[2];
    *len = 0;
    gw_frame_rc r = read_exact(fd, hdr, 1, cli_mono_ms() + first_ms);
    if (r != GW_FRAME_OK) {
        return r;
    }
    /* The frame has started: the rest follows at once or the link is broken. */
    long long deadline = cli_mono_ms() + rest_ms;
    r = read_exact(fd, hdr + 1, 1, deadline);
    size_t n = ((size_t)hdr[0] << 8) | hdr[1];
    if (r == GW_FRAME_OK && (n == 0 || n > cap)) {
        return GW_FRAME_BAD;
    }
    if (r == GW_FRAME_OK) {
        r = read_exact(fd, out, n, deadline);
    }
    if (r == GW_FRAME_TIMEOUT) {
        return GW_FRAME_BAD;   /* cut short: nothing after it can be framed */
    }
    if (r == GW_FRAME_OK) {
        *len = n;
    }
    return r;
}

long gw_recv_frame(int fd, uint8_t *out, size_t cap, int timeout_ms)
{
    size_t n = 0;
    gw_frame_rc r = gw_read_frame(fd, out, cap, &n, timeout_ms, timeout_ms);
    return r == GW_FRAME_OK ? (long)n : r == GW_FRAME_CLOSED ? 0 : -1;
}

int gw_framer_fill(gw_framer *f, int fd)
{
    if (f->have == sizeof f->buf) {
        return 1;   /* a whole frame is waiting: gw_framer_next first */
    }
    ssize_t n = recv(fd, f->buf + f->have, sizeof f->buf - f->have, 0);
    if (n < 0) {
        return errno == EINTR || errno == EAGAIN ? 1 : -1;
    }
    if (n == 0) {
        return 0;
    }
    f->have += (size_t)n;
    return 1;
}

int gw_framer_next(gw_framer *f, uint8_t *out, size_t cap, size_t *len)
{
    *len = 0;
    if (f->have < 2) {
        return 0;
    }
    size_t n = ((size_t)f->buf[0] << 8) | f->buf[1];
    if (n == 0 || n > cap || n > GW_FRAME_MAX) {
        return -1;
    }
    if (f->have < n + 2) {
        return 0;
    }
    memcpy(out, f->buf + 2, n);
    memmove(f->buf, f->buf + 2 + n, f->have - 2 - n);
    f->have -= 2 + n;
    *len = n;
    return 1;
}

int gw_dial(const char *hostport)
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
    int gai = getaddrinfo(host, colon + 1, &hints, &res);
    if (gai != 0) {
        errno = gai == EAI_SYSTEM ? errno : EHOSTUNREACH;
        return -1;
    }
    int fd = -1, e = 0;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0 && e != 0) {
        errno = e;
    }
    return fd;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int gw_parse_mac(const char *text, uint8_t mac[6])
{
    size_t n = strlen(text), step;
    if (n == 12) {
        step = 2;
    } else if (n == 17) {
        step = 3;
    } else {
        return -1;
    }
    for (size_t i = 0; i < 6; i++) {
        int hi = hexval(text[i * step]), lo = hexval(text[i * step + 1]);
        if (hi < 0 || lo < 0 || (step == 3 && i < 5 && text[i * step + 2] != ':')) {
            return -1;
        }
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int gw_listen_tcp(unsigned port, int backlog)
{
    int one = 1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons((uint16_t)port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, backlog) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}
