/*
 * ward_port_posix.h - the host's ports: random, clock and a file store.
 *
 * ward_random_posix(): getrandom(2). ward_clock_posix(): CLOCK_REALTIME,
 * trusted. ward_file_port: the storage port on one file of fixed size,
 * made with ward_file_port_open(); every sync() is an fsync() of the file
 * (and of its directory when the file was created), so the store's
 * ordering holds across a crash of the machine, not only of the process.
 */
#ifndef WARD_PORT_POSIX_H
#define WARD_PORT_POSIX_H

#include <stddef.h>

#include "ward_clock.h"
#include "ward_random.h"
#include "ward_store_port.h"

#ifdef __cplusplus
extern "C" {
#endif

ward_random ward_random_posix(void);
ward_clock ward_clock_posix(void);

typedef struct ward_file_port {
    int fd;
    /* The errno of the last system call of this port that failed (0:
     * none yet), so the host can say why a WARD_ERR_IO came back up
     * through the core (strerror(): "No space left on device",
     * "Read-only file system"). The core never sees it. */
    int os_errno;
} ward_file_port;

/* Opens (creating, filled with 0xFF) a store file of `size` bytes and
 * fills *port to use it. An existing file of another size, or something
 * else than a regular file, is WARD_ERR_FORMAT (os_errno 0); WARD_ERR_IO
 * leaves the cause in fp->os_errno. */
WARD_MUST_CHECK
ward_err ward_file_port_open(ward_file_port *fp, const char *path,
                             size_t size, ward_store_port *port);
/* The same on an existing store file opened read-only (never created):
 * for commands that only read the store, on a read-only directory too.
 * Every write, erase or sync through it is WARD_ERR_IO. */
WARD_MUST_CHECK
ward_err ward_file_port_open_readonly(ward_file_port *fp, const char *path,
                                      size_t size, ward_store_port *port);
void ward_file_port_close(ward_file_port *fp);

#ifdef __cplusplus
}
#endif

#endif /* WARD_PORT_POSIX_H */
