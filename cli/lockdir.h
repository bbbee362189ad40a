/*
 * lockdir.h - a lock's state directory, as the CLI keeps it:
 *
 *     D/lock.json   {"sn", "server"}: where this lock reports
 *     D/store.bin   the lock's power-safe record store (file port): its
 *                   identity key, bound clients, pending binding, lock-out
 *     D/.busy       flock(2) target: one ward process at a time works on
 *                   the lock's state; `ward lock request` and `ward lock
 *                   run` let go of it while they wait on the network
 *     D/near.sock   the near-field link while `ward lock run` is running
 *
 * Everything secret lives in store.bin, which only the device core reads.
 */
#ifndef WARD_CLI_LOCKDIR_H
#define WARD_CLI_LOCKDIR_H

#include <stdbool.h>

#include "ward/ward_bind.h"
#include "ward/ward_host.h"
#include "ward/ward_http.h"
#include "ward/ward_lock.h"
#include "ward/ward_port_posix.h"

typedef struct lockdir {
    char dir[512];
    char sn[WARD_SN_MAX + 1];
    char server[512];
    ward_host host;
    ward_file_port file;
    ward_lock lock;
    bool open;
    int busy_fd;          /* holds the flock while the state is open */
    char why[128];        /* lockdir_strerror()'s text */
    bool readonly;        /* lockdir_open_readonly(): nothing is written */
} lockdir;

/* Opens D (create: make it and its store, with sn and server). Returns 0
 * or a CLI exit code after printing the reason. */
int lockdir_open(lockdir *ld, const char *dir, bool create, const char *sn,
                 const char *server);
void lockdir_close(lockdir *ld);
/* Opens an existing D only to read the lock's state (lock clients, lock
 * audit): nothing is created or written, so a read-only directory will
 * do; the flock is shared with other readers. */
int lockdir_open_readonly(lockdir *ld, const char *dir);

/* ward_strerror(err), and for WARD_ERR_IO from the lock's store the OS's
 * reason beside it ("i/o error: No space left on device"): the core
 * returns only the class, the file port keeps the errno. Valid until the
 * next call. */
const char *lockdir_strerror(lockdir *ld, ward_err err);

/* Lets other ward processes at the lock's state while this one waits
 * (the store is closed and the flock dropped), and takes it back. The
 * lock context must not be used in between. Return 0 or an exit code. */
void lockdir_release(lockdir *ld);
int lockdir_reacquire(lockdir *ld);

/* A request signer (keyid lock:SN) that works whether or not the state is
 * held: when released, it takes the state just long enough to sign. */
void lockdir_signer(lockdir *ld, ward_http_signer *s);

#endif /* WARD_CLI_LOCKDIR_H */
