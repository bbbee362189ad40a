/*
 * ward_files.h - (client library) the few file operations host-side state
 * needs: an app's directory, a lock's directory in the CLI.
 *
 * Every write is atomic (temporary file in the same directory, fsync,
 * rename, fsync of the directory), so a crash leaves the old file or the
 * new one, never a torn one. Secrets go into files of mode 0600.
 *
 * On WARD_ERR_IO (and WARD_ERR_NOTFOUND) errno is left as the failed
 * system call set it (EACCES, EROFS, ENOSPC, ENOENT, ENOTDIR, ...), so
 * the caller can say why with strerror(errno) beside the path: the
 * ward_err says the class, errno the cause. Out of memory is ENOMEM.
 */
#ifndef WARD_FILES_H
#define WARD_FILES_H

#include <stddef.h>

#include "ward/ward_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes path atomically with the given mode. */
WARD_MUST_CHECK
ward_err ward_file_write_atomic(const char *path, const char *data,
                                size_t len, unsigned mode);
/* Reads a whole file (at most max bytes) into a malloc'd NUL-terminated
 * buffer. WARD_ERR_NOTFOUND if it does not exist, WARD_ERR_FORMAT if it
 * is larger than max. */
WARD_MUST_CHECK
ward_err ward_file_read(const char *path, size_t max, char **data,
                        size_t *len);
/* dir + "/" + name, malloc'd (NULL when out of memory). */
WARD_MUST_CHECK
char *ward_path_join(const char *dir, const char *name);
/* mkdir with mode; an existing directory is fine. */
WARD_MUST_CHECK
ward_err ward_mkdir(const char *path, unsigned mode);

#ifdef __cplusplus
}
#endif

#endif /* WARD_FILES_H */
