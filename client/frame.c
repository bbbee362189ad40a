/* Length-prefixed frames (2-byte big-endian length, one ward message) over a stream, with a deadline. */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ward/ward_frame.h"

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Moves exactly n bytes before the deadline (0: none). */
static ward_err move_all(int fd, uint8_t *buf, size_t n, bool wr,
                         uint64_t deadline)
{
    size_t off = 0;
    while (off < n) {
        int wait = -1;
        if (deadline != 0) {
            uint64_t now = mono_ms();
            if (now >= deadline) {
                return WARD_ERR_EXPIRED;
            }
            wait = (int)(deadline - now);
        }
        struct pollfd p = { fd, (short)(wr ? POLLOUT : POLLIN), 0 };
        int r = poll(&p, 1, wait);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return WARD_ERR_IO;
        }
        if (r == 0) {
            return WARD_ERR_EXPIRED;
        }
        ssize_t k;
        if (wr) {
            /* send() so a closed peer is an error, not SIGPIPE; write()
             * for a pipe or other non-socket. */
            k = send(fd, buf + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (k < 0 && errno == ENOTSOCK) {
                k = write(fd, buf + off, n - off);
            }
        } else {
            k = recv(fd, buf + off, n - off, MSG_DONTWAIT);
            if (k < 0 && errno == ENOTSOCK) {
                k = read(fd, buf + off, n - off);
            }
        }
        if (k < 0 && (errno == EINTR || errno == EAGAIN ||
                      errno == EWOULDBLOCK)) {
            continue;
        }
        if (k == 0) {
            errno = 0;           /* the peer closed the link: no OS error */
            return WARD_ERR_IO;
        }
        if (k < 0) {
            return WARD_ERR_IO;
        }
        off += (size_t)k;
    }
    return WARD_OK;
}

static uint64_t deadline_of(unsigned timeout_ms)
{
    return timeout_ms != 0 ? mono_ms() + timeout_ms : 0;
}

ward_err ward_frame_write(int fd, const uint8_t *msg, size_t len,
                          unsigned timeout_ms)
{
    uint8_t frame[WARD_FRAME_HDR_LEN + WARD_MSG_MAX];
    WARD_ASSERT(msg != NULL || len == 0);
    if (len == 0 || len > WARD_MSG_MAX) {
        return WARD_ERR_PARAM;
    }
    /* One buffer, one write where the socket allows: no tiny header
     * segment on its own. */
    frame[0] = (uint8_t)(len >> 8);
    frame[1] = (uint8_t)len;
    memcpy(frame + WARD_FRAME_HDR_LEN, msg, len);
    return move_all(fd, frame, WARD_FRAME_HDR_LEN + len, true,
                    deadline_of(timeout_ms));
}

ward_err ward_frame_read(int fd, uint8_t *buf, size_t cap, size_t *len,
                         unsigned timeout_ms)
{
    uint8_t hdr[WARD_FRAME_HDR_LEN];
    WARD_ASSERT(buf != NULL && len != NULL);
    *len = 0;
    uint64_t deadline = deadline_of(timeout_ms);
    ward_err err = move_all(fd, hdr, sizeof hdr, false, deadline);
    if (err != WARD_OK) {
        return err;
    }
    size_t n = ((size_t)hdr[0] << 8) | hdr[1];
    /* Refused before reading the body: a peer cannot make us wait for,
     * or hold, more than one message. */
    if (n == 0 || n > WARD_MSG_MAX) {
        return WARD_ERR_FORMAT;
    }
    if (n > cap) {
        return WARD_ERR_NOSPACE;
    }
    err = move_all(fd, buf, n, false, deadline);
    if (err == WARD_OK) {
        *len = n;
    }
    return err;
}
