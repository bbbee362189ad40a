/* `ward peer`'s transports: message framing, and the Unix stream socket that stands in
 * for a UART. */
#include "peer_net.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

ward_err pnet_frame_put(uint8_t *buf, size_t cap, size_t *off, const uint8_t *msg, size_t len)
{
    if (len == 0 || len > 0xFFFFu || *off > cap || cap - *off < 2 + len) {
        return WARD_ERR_NOSPACE;
    }
    buf[*off] = (uint8_t)(len >> 8);
    buf[*off + 1] = (uint8_t)len;
    memcpy(buf + *off + 2, msg, len);
    *off += 2 + len;
    return WARD_OK;
}

ward_err pnet_frame_next(const uint8_t *buf, size_t len, size_t *off, const uint8_t **msg,
                         size_t *mlen)
{
    if (*off >= len) {
        return WARD_ERR_NOTFOUND;
    }
    if (len - *off < 2) {
        return WARD_ERR_FORMAT;
    }
    size_t n = ((size_t)buf[*off] << 8) | buf[*off + 1];
    if (n == 0 || len - *off - 2 < n) {
        return WARD_ERR_FORMAT;
    }
    *msg = buf + *off + 2;
    *mlen = n;
    *off += 2 + n;
    return WARD_OK;
}

const char *pnet_unix_path(const char *addr)
{
    return strncmp(addr, "unix:", 5) == 0 && addr[5] != '\0' ? addr + 5 : NULL;
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa->sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sa->sun_path, path, strlen(path) + 1);
    return 0;
}

/* A stream socket on path: bound and listening (an old socket file there
 * replaced), or connected. The fd, or -1 with errno set. */
static int unix_socket(const char *path, bool listening)
{
    struct sockaddr_un sa;
    if (unix_addr(path, &sa) != 0) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (listening) {
        unlink(path);
    }
    int r = listening ? bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? listen(fd, 4) : -1
                      : connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (r != 0) {
        int os = errno;
        close(fd);
        errno = os;
        return -1;
    }
    return fd;
}

int pnet_unix_listen(const char *path)
{
    return unix_socket(path, true);
}

int pnet_unix_accept(int lfd, unsigned timeout_ms)
{
    struct pollfd pfd = { .fd = lfd, .events = POLLIN };
    errno = 0;
    if (poll(&pfd, 1, (int)timeout_ms) <= 0) {
        if (errno == EINTR) {
            errno = 0;
        }
        return -1;
    }
    return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

int pnet_unix_connect(const char *path)
{
    return unix_socket(path, false);
}

ward_err pnet_write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return WARD_ERR_IO;
        }
        buf += n;
        len -= (size_t)n;
    }
    return WARD_OK;
}

/* Exactly len bytes before the deadline (cli_mono_ms): 0, 1 closed at the
 * first byte, -1 a timeout or an error. */
static int read_exact(int fd, uint8_t *buf, size_t len, long long deadline)
{
    size_t got = 0;
    while (got < len) {
        long long left = deadline - cli_mono_ms();
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (left <= 0 || cli_stopping) {
            return -1;
        }
        int r = poll(&pfd, 1, left > 200 ? 200 : (int)left);
        if (r < 0 && errno != EINTR) {
            return -1;
        }
        if (r <= 0) {
            continue;
        }
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return got == 0 ? 1 : -1;
        }
        got += (size_t)n;
    }
    return 0;
}

ward_err pnet_read_frame(int fd, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
    long long deadline = cli_mono_ms() + timeout_ms;
    uint8_t head[2];
    *len = 0;
    int r = read_exact(fd, head, 2, deadline);
    if (r != 0) {
        return r == 1 ? WARD_ERR_NOTFOUND : WARD_ERR_IO;
    }
    size_t n = ((size_t)head[0] << 8) | head[1];
    if (n > cap) {
        return WARD_ERR_NOSPACE;
    }
    if (n == 0 || read_exact(fd, buf, n, deadline) != 0) {
        return WARD_ERR_IO;
    }
    *len = n;
    return WARD_OK;
}
