/* The database file's guards before SQLite opens it: its directory, its
 * mode, and one wardd per database (an exclusive lock beside it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_guard.h"
#include "log.h"

/* The directory part of path ("." when it has none). */
static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(out, cap, ".");
    } else if (slash == path) {
        snprintf(out, cap, "/");
    } else {
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
    }
}

int wardd_db_guard(const char *db, char *why, size_t cap)
{
    char dir[1100], lock[1100];
    dir_of(db, dir, sizeof dir);
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(why, cap, "directory %s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, cap, "%s is not a directory", dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(why, cap, "directory %s: %s (the database's -wal, -shm and .lock files go there)",
                 dir, strerror(errno));
        return -1;
    }
    int n = snprintf(lock, sizeof lock, "%s.lock", db);
    if (n < 0 || (size_t)n >= sizeof lock) {
        snprintf(why, cap, "database path too long");
        return -1;
    }
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        snprintf(why, cap, "%s: %s", lock, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) {
            snprintf(why, cap, "another wardd is serving %s (it holds %s): stop it first, "
                     "or give this one another --db", db, lock);
        } else {
            snprintf(why, cap, "%s: %s", lock, strerror(e));
        }
        return -1;
    }
    /* Created here, before SQLite does: 0600 whatever the umask, and the
     * WAL and shared-memory files SQLite makes beside it take its mode. */
    int dbfd = open(db, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (dbfd < 0) {
        snprintf(why, cap, "%s: %s", db, strerror(errno));
        close(fd);
        return -1;
    }
    if (fstat(dbfd, &st) == 0 && (st.st_mode & 077) != 0) {
        wardd_log("warn", "db_mode", "db=%s mode=%04o msg=\"readable by others: chmod 600\"",
                  db, (unsigned)(st.st_mode & 07777));
    }
    close(dbfd);
    return fd;
}
