/* The simulated SE link: frames of ward_se.h over a Unix stream socket. */
#include "se_link.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

static int fill_addr(struct sockaddr_un *addr, const char *path)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr->sun_path) {
        return -1;
    }
    memcpy(addr->sun_path, path, strlen(path) + 1);
    return 0;
}

int se_link_listen(const char *path)
{
    struct sockaddr_un addr;
    if (fill_addr(&addr, path) != 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    unlink(path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 4) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int se_link_connect(const char *path)
{
    struct sockaddr_un addr;
    if (fill_addr(&addr, path) != 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static ward_err read_exact(int fd, uint8_t *buf, size_t len, long long deadline)
{
    size_t got = 0;
    while (got < len) {
        long long left = deadline - cli_mono_ms();
        if (left <= 0) {
            return WARD_ERR_EXPIRED;
        }
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return r == 0 ? WARD_ERR_EXPIRED : WARD_ERR_IO;
        }
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return WARD_ERR_IO;
        }
        got += (size_t)n;
    }
    return WARD_OK;
}

ward_err se_link_read(int fd, uint8_t buf[WARD_SE_FRAME_MAX], size_t *len,
                      unsigned timeout_ms)
{
    long long deadline = cli_mono_ms() + (long long)timeout_ms;
    *len = 0;
    ward_err err = read_exact(fd, buf, WARD_SE_FRAME_HDR_LEN, deadline);
    if (err != WARD_OK) {
        return err;
    }
    size_t total = ward_se_frame_total(buf);
    if (total == 0) {
        return WARD_ERR_FORMAT;
    }
    err = read_exact(fd, buf + WARD_SE_FRAME_HDR_LEN, total - WARD_SE_FRAME_HDR_LEN,
                     deadline);
    if (err == WARD_OK) {
        *len = total;
    }
    return err;
}

ward_err se_link_write(int fd, const uint8_t *frame, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = send(fd, frame + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return WARD_ERR_IO;
        }
        done += (size_t)n;
    }
    return WARD_OK;
}
