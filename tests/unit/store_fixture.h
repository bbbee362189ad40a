/*
 * store_fixture.h - a temporary directory for wardd's SQLite store, and
 * SQL run on its file behind the store's back (a second connection), for
 * the store's tests (test_server_store.c, test_server_devices.c).
 *
 *     sf_make_dir("store");          // /tmp/ward-store-XXXXXX
 *     wardd_store_sqlite_open(sf_path, &st);
 *     assert_int_equal(sf_int("SELECT count(*) FROM ops"), 1);
 *     sf_remove_dir();
 */
#ifndef WARD_STORE_FIXTURE_H
#define WARD_STORE_FIXTURE_H

/* The database file, inside the directory sf_make_dir() made. */
extern char sf_path[128];

void sf_make_dir(const char *name);
void sf_remove_dir(void);

/* Runs sql (fails the test on an error). */
void sf_exec(const char *sql);
/* The first column of the first row of sql. */
long long sf_int(const char *sql);

#endif /* WARD_STORE_FIXTURE_H */
