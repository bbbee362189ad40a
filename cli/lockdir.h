/*
 * lockdir.h - a lock's state directory, as the CLI keeps it:
 *
 *     D/lock.json   {"sn", "server"}: where this lock reports
 *     D/store.bin   the lock's power-safe record store (file port): its
 *                   identity key, bound clients, pending binding, lock-out
 *
 * Everything secret lives in store.bin, which only the device core reads.
 */
#ifndef WARD_CLI_LOCKDIR_H
#define WARD_CLI_LOCKDIR_H

#include <stdbool.h>

#include "ward/ward_bind.h"
#include "ward/ward_host.h"
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
} lockdir;

/* Opens D (create: make it and its store, with sn and server). Returns 0
 * or a CLI exit code after printing the reason. */
int lockdir_open(lockdir *ld, const char *dir, bool create, const char *sn,
                 const char *server);
void lockdir_close(lockdir *ld);

#endif /* WARD_CLI_LOCKDIR_H */
