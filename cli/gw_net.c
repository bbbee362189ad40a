/* The LAN link's host side for `ward gateway` and `ward app provision`: netns, framing, MACs. */
#include "gw_net.h"

#include <errno.h>
#include <fcntl.h>
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
    uint8_t buf[2 + 1024];
    if (len == 0 || len > sizeof buf - 2) {
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

/* Reads exactly n bytes before deadline (cli_mono_ms); 1, 0 on close, -1. */
static int read_exact(int fd, uint8_t *out, size_t n, long long deadline)
{
    size_t got = 0;
    while (got < n) {
        long long left = deadline - cli_mono_ms();
        if (left <= 0) {
            return -1;
        }
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, (int)(left > 100 ? 100 : left));
        if (r < 0 && errno != EINTR) {
            return -1;
        }
        if (cli_stopping) {
            return -1;
        }
        if (r <= 0) {
            continue;
        }
        ssize_t k = recv(fd, out + got, n - got, 0);
        if (k == 0) {
            return 0;
        }
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -1;
        }
        got += (size_t)k;
    }
    return 1;
}

long gw_recv_frame(int fd, uint8_t *out, size_t cap, int timeout_ms)
{
    uint8_t hdr[2];
    long long deadline = cli_mono_ms() + timeout_ms;
    int r = read_exact(fd, hdr, 2, deadline);
    if (r <= 0) {
        return r;
    }
    size_t len = ((size_t)hdr[0] << 8) | hdr[1];
    if (len == 0 || len > cap) {
        return -1;
    }
    r = read_exact(fd, out, len, deadline);
    return r <= 0 ? -1 : (long)len;
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
