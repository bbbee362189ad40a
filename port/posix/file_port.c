/* ward_file_port: the storage port on one fixed-size file; see ward_port_posix.h. */
#include "ward/ward_port_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ward/ward_config.h"

/* A file rewrites in place, so any erase size would do. We report one
 * erase unit per bank (size / 2): the store erases whole banks anyway,
 * banks then align by construction, and any even size is a valid store
 * file. One process owns a store file at a time; nothing locks it. */

#define FILL_CHUNK 4096

/* Whether an offset survives the trip into off_t, whose width differs
 * between hosts. */
static bool fits_off_t(size_t v)
{
    off_t o = (off_t)v;
    return o >= 0 && (size_t)o == v;
}

static ward_err file_read(void *ctx, size_t off, uint8_t *buf, size_t len)
{
    ward_file_port *fp = ctx;
    if (off > SIZE_MAX - len || !fits_off_t(off + len)) {
        return WARD_ERR_PARAM;
    }
    while (len > 0) {
        ssize_t n = pread(fp->fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        /* 0 is the end of the file: the region is shorter than the store
         * believes, which only a file changed under us can cause. */
        if (n <= 0) {
            fp->os_errno = n < 0 ? errno : EIO;
            return WARD_ERR_IO;
        }
        buf += n;
        off += (size_t)n;
        len -= (size_t)n;
    }
    return WARD_OK;
}

/* Writes must stay inside the file: a stray offset would grow it and
 * make the next open() fail with WARD_ERR_FORMAT. */
static ward_err check_range(ward_file_port *fp, size_t off, size_t len)
{
    struct stat sb;
    if (fstat(fp->fd, &sb) != 0 || sb.st_size < 0) {
        fp->os_errno = errno;
        return WARD_ERR_IO;
    }
    size_t size = (size_t)sb.st_size;
    if (off > size || len > size - off) {
        return WARD_ERR_PARAM;
    }
    return WARD_OK;
}

static ward_err write_all(int fd, size_t off, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        /* A write of nothing: no room (errno is not set then). */
        if (n <= 0) {
            if (n == 0) {
                errno = ENOSPC;
            }
            return WARD_ERR_IO;
        }
        buf += n;
        off += (size_t)n;
        len -= (size_t)n;
    }
    return WARD_OK;
}

static ward_err fill_ff(int fd, size_t off, size_t len)
{
    uint8_t ff[FILL_CHUNK];
    memset(ff, 0xFF, sizeof ff);
    while (len > 0) {
        size_t n = len < sizeof ff ? len : sizeof ff;
        ward_err err = write_all(fd, off, ff, n);
        if (err != WARD_OK) {
            return err;
        }
        off += n;
        len -= n;
    }
    return WARD_OK;
}

static ward_err file_write(void *ctx, size_t off, const uint8_t *buf,
                           size_t len)
{
    ward_file_port *fp = ctx;
    ward_err err = check_range(fp, off, len);
    if (err == WARD_OK && (err = write_all(fp->fd, off, buf, len)) == WARD_ERR_IO) {
        fp->os_errno = errno;
    }
    return err;
}

static ward_err file_erase(void *ctx, size_t off, size_t len)
{
    ward_file_port *fp = ctx;
    ward_err err = check_range(fp, off, len);
    if (err == WARD_OK && (err = fill_ff(fp->fd, off, len)) == WARD_ERR_IO) {
        fp->os_errno = errno;
    }
    return err;
}

static ward_err file_sync(void *ctx)
{
    ward_file_port *fp = ctx;
    if (fsync(fp->fd) != 0) {
        fp->os_errno = errno;
        return WARD_ERR_IO;
    }
    return WARD_OK;
}

static ward_err sync_dir_of(const char *path)
{
    char copy[PATH_MAX];
    if (strlen(path) >= sizeof copy) {
        return WARD_ERR_PARAM;
    }
    strcpy(copy, path);
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        return WARD_ERR_IO;
    }
    ward_err err = fsync(dfd) == 0 ? WARD_OK : WARD_ERR_IO;
    int saved = errno;
    close(dfd);
    errno = saved;
    return err;
}

/* Makes the file under a temporary name and renames it into place, so a
 * crash while filling leaves no short file that would then open as
 * WARD_ERR_FORMAT forever. Returns the open descriptor in *fd. */
static ward_err create_file(const char *path, size_t size, int *fd)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s.new", path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        return WARD_ERR_PARAM;
    }
    int f = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (f < 0) {
        return WARD_ERR_IO;
    }
    ward_err err = fill_ff(f, 0, size);
    if (err == WARD_OK && fsync(f) != 0) {
        err = WARD_ERR_IO;
    }
    if (err == WARD_OK && rename(tmp, path) != 0) {
        err = WARD_ERR_IO;
    }
    /* The rename is durable only once the directory is. */
    if (err == WARD_OK) {
        err = sync_dir_of(path);
    }
    if (err != WARD_OK) {
        /* The cleanup must not hide why it failed. */
        int saved = errno;
        close(f);
        unlink(tmp);
        errno = saved;
        return err;
    }
    *fd = f;
    return WARD_OK;
}

static ward_err refuse_write(void *ctx, size_t off, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)off;
    (void)buf;
    (void)len;
    return WARD_ERR_IO;
}

static ward_err refuse_erase(void *ctx, size_t off, size_t len)
{
    (void)ctx;
    (void)off;
    (void)len;
    return WARD_ERR_IO;
}

static ward_err refuse_sync(void *ctx)
{
    (void)ctx;
    return WARD_ERR_IO;
}

static ward_err open_port(ward_file_port *fp, const char *path, size_t size,
                          ward_store_port *port, bool readonly)
{
    WARD_ASSERT(fp != NULL && path != NULL && port != NULL);
    fp->fd = -1;
    fp->os_errno = 0;
    if (size == 0 || size % 2 != 0 || !fits_off_t(size)) {
        return WARD_ERR_PARAM;
    }

    int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && readonly) {
        return WARD_ERR_NOTFOUND;
    }
    if (fd < 0 && errno == ENOENT) {
        ward_err err = create_file(path, size, &fd);
        if (err != WARD_OK) {
            fp->os_errno = err == WARD_ERR_IO ? errno : 0;
            return err;
        }
    } else if (fd < 0) {
        fp->os_errno = errno;
        return WARD_ERR_IO;
    }

    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        fp->os_errno = errno;
        close(fd);
        return WARD_ERR_IO;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size < 0 ||
        (uint64_t)sb.st_size != (uint64_t)size) {
        close(fd);
        return WARD_ERR_FORMAT;
    }

    fp->fd = fd;
    port->size = size;
    port->erase_size = size / 2;
    port->read = file_read;
    port->write = readonly ? refuse_write : file_write;
    port->erase = readonly ? refuse_erase : file_erase;
    port->sync = readonly ? refuse_sync : file_sync;
    port->ctx = fp;
    return WARD_OK;
}

ward_err ward_file_port_open(ward_file_port *fp, const char *path,
                             size_t size, ward_store_port *port)
{
    return open_port(fp, path, size, port, false);
}

ward_err ward_file_port_open_readonly(ward_file_port *fp, const char *path,
                                      size_t size, ward_store_port *port)
{
    return open_port(fp, path, size, port, true);
}

void ward_file_port_close(ward_file_port *fp)
{
    WARD_ASSERT(fp != NULL);
    if (fp->fd >= 0) {
        close(fp->fd);
        fp->fd = -1;
    }
}
