/* Atomic file writes and small-file reads for the app's directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_inner.h"

char *ward_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *p = malloc(n);
    if (p != NULL) {
        snprintf(p, n, "%s/%s", dir, name);
    }
    return p;
}

ward_err ward_mkdir(const char *path, unsigned mode)
{
    if (mkdir(path, (mode_t)mode) == 0) {
        return WARD_OK;
    }
    /* An existing directory is fine; a file in its place is not. */
    struct stat sb;
    if (errno == EEXIST) {
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            return WARD_OK;
        }
        errno = ENOTDIR;
    }
    return WARD_ERR_IO;
}

static ward_err fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL) {
        errno = ENOMEM;
        return WARD_ERR_IO;
    }
    char *slash = strrchr(copy, '/');
    const char *dir = ".";
    if (slash == copy) {
        dir = "/";
    } else if (slash != NULL) {
        *slash = '\0';
        dir = copy;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ward_err err = WARD_ERR_IO;
    int saved = errno;
    if (fd >= 0) {
        err = fsync(fd) == 0 ? WARD_OK : WARD_ERR_IO;
        saved = errno;
        close(fd);
    }
    free(copy);
    errno = saved;
    return err;
}

ward_err ward_file_write_atomic(const char *path, const char *data,
                                size_t len, unsigned mode)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (tmp == NULL) {
        errno = ENOMEM;
        return WARD_ERR_IO;
    }
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    ward_err err = WARD_ERR_IO;
    if (fd < 0) {
        int saved = errno;
        free(tmp);
        errno = saved;
        return WARD_ERR_IO;
    }
    /* The mode is set before any byte is written: a key never sits in a
     * file others can read, not even for a moment. */
    if (fchmod(fd, (mode_t)mode) != 0) {
        goto fail;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w == 0) {
            errno = ENOSPC;
        }
        if (w <= 0) {
            goto fail;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        goto fail;
    }
    err = fsync_dir_of(path);
    free(tmp);
    return err;
fail:;
    /* The cleanup's own calls must not hide why it failed. */
    int saved = errno;
    if (fd >= 0) {
        close(fd);
    }
    unlink(tmp);
    free(tmp);
    errno = saved;
    return err;
}

ward_err ward_file_read(const char *path, size_t max, char **data,
                        size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return errno == ENOENT ? WARD_ERR_NOTFOUND : WARD_ERR_IO;
    }
    char *buf = malloc(max + 1);
    if (buf == NULL) {
        fclose(f);
        errno = ENOMEM;
        return WARD_ERR_IO;
    }
    errno = 0;
    size_t n = fread(buf, 1, max + 1, f);
    int bad = ferror(f);
    int saved = errno != 0 ? errno : EIO;
    fclose(f);
    if (bad || n > max) {
        free(buf);
        /* A directory in the file's place reads as EISDIR. */
        errno = bad ? saved : EFBIG;
        return bad ? WARD_ERR_IO : WARD_ERR_FORMAT;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return WARD_OK;
}

const char *ward_json_str(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

int64_t ward_json_int(const cJSON *obj, const char *name, int64_t dflt)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    /* 2^53: past it a double no longer holds every integer. The range
     * check comes first: converting an out-of-range double is undefined. */
    const double max = 9007199254740992.0;
    if (!cJSON_IsNumber(item) || !(item->valuedouble >= -max && item->valuedouble <= max)) {
        return dflt;
    }
    int64_t v = (int64_t)item->valuedouble;
    return (double)v == item->valuedouble ? v : dflt;
}
