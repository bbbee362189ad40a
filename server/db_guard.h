/*
 * db_guard.h - what wardd checks of its database file before SQLite opens
 * it, so that a failure names its cause and two servers never share it.
 */
#ifndef WARDD_DB_GUARD_H
#define WARDD_DB_GUARD_H

#include <stddef.h>

/* Checks that db's directory exists and can be written (SQLite makes
 * DB-wal and DB-shm there), creates db mode 0600 if it is missing (SQLite
 * gives DB-wal and DB-shm the database's mode), and takes an exclusive
 * flock(2) on DB.lock beside it, held until the process exits: a second
 * wardd on the same database is refused at start. Answers the lock's
 * descriptor, or -1 with the cause in why (the OS's text and the path). */
int wardd_db_guard(const char *db, char *why, size_t cap);

#endif /* WARDD_DB_GUARD_H */
