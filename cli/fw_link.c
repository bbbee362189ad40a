/* Frames of a firmware release over a byte stream; see fw_link.h. */
#include "fw_link.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Exactly len bytes, each wait bounded. */
static int read_all(int fd, uint8_t *p, size_t len, size_t *got)
{
    *got = 0;
    while (*got < len) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        int r = poll(&pfd, 1, FW_LINK_TIMEOUT_MS);
        if (r == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        ssize_t n = read(fd, p + *got, len - *got);
        if (n == 0) {
            errno = *got == 0 ? 0 : EPIPE;
            return -1;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        *got += (size_t)n;
    }
    return 0;
}

int fw_link_send(int fd, uint8_t type, const uint8_t *body, size_t len)
{
    uint8_t frame[FW_LINK_HDR_LEN + FW_LINK_BODY_MAX];
    if (len > FW_LINK_BODY_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    frame[0] = type;
    frame[1] = (uint8_t)(len >> 8);
    frame[2] = (uint8_t)len;
    if (len > 0) {
        memcpy(frame + FW_LINK_HDR_LEN, body, len);
    }
    size_t total = FW_LINK_HDR_LEN + len, off = 0;
    while (off < total) {
        ssize_t n = send(fd, frame + off, total - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        off += (size_t)n;
    }
    return 0;
}

int fw_link_recv(int fd, uint8_t *type, uint8_t *body, size_t cap, size_t *len)
{
    uint8_t hdr[FW_LINK_HDR_LEN];
    size_t got = 0;
    *len = 0;
    if (read_all(fd, hdr, sizeof hdr, &got) != 0) {
        return -1;
    }
    size_t n = ((size_t)hdr[1] << 8) | hdr[2];
    if (n > cap || n > FW_LINK_BODY_MAX) {
        return -2;
    }
    if (read_all(fd, body, n, &got) != 0) {
        if (errno == 0) {
            errno = EPIPE;
        }
        return -1;
    }
    *type = hdr[0];
    *len = n;
    return 0;
}
