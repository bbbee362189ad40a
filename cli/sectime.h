/*
 * sectime.h - a device role's secure time in the CLI (ward_time.h): the
 * trusted keys in D/time.conf, the floor in D/time.bin, the last sync in
 * D/time.sync, and the clock the role's flows take "now" from.
 *
 * One device per process: the module keeps it in static memory, behind a
 * mutex (a running lock has two threads on the clock and one syncing).
 * A role with no D/time.conf keeps the host's wall clock, as before.
 *
 *     D/time.conf   "k K", "key HEX", "url URL" lines (ward ROLE time)
 *     D/time.bin    the floor's store (file port, 1024 bytes)
 *     D/time.sync   the last sync on this boot of this host: "boot ID",
 *                   "local MS" (CLOCK_MONOTONIC), "lo MS", "hi MS"; what
 *                   the device's RAM would hold, taken up by the next
 *                   process of the same role on the same boot
 */
#ifndef WARD_CLI_SECTIME_H
#define WARD_CLI_SECTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_clock.h"
#include "ward/ward_http.h"
#include "ward/ward_time.h"

#include "cli.h"

#define SECTIME_URLS_MAX WARD_TIME_KEYS_MAX
/* A running role syncs this often by default (--time-every). */
#define SECTIME_EVERY_S 3600

typedef struct sectime_conf {
    unsigned k;
    size_t nkeys, nurls;
    uint8_t keys[WARD_TIME_KEYS_MAX][WARD_P256_POINT_LEN];
    char urls[SECTIME_URLS_MAX][WARD_CLI_URL_MAX + 1];
} sectime_conf;

/* D/time.conf read into c (k 1, nothing else, when there is none: *found
 * false). 0 or the exit code after a message. */
int sectime_conf_read(const char *dir, sectime_conf *c, bool *found);
int sectime_conf_write(const char *dir, const sectime_conf *c);

/* The host's wall clock (CLOCK_REALTIME), moved by WARD_TEST_CLOCK_SKEW_MS
 * ms when that is set: tests set a role's wall clock wrong with it. */
ward_clock sectime_wall_clock(void);

/* Sets the process's device up from D (its time.conf, its floor, the
 * last sync of this boot): *on false when D has no time.conf (the role
 * keeps the wall clock). The clock is valid from here to sectime_close. */
int sectime_open(const char *dir, bool *on);
/* The clock of the flows: secure time (ward_time_clock_init) when on,
 * else sectime_wall_clock(). */
ward_clock sectime_clock(void);
/* The clock of the role's request signatures: secure time once synced,
 * the wall clock before (wardd judges a signature's age on its own clock;
 * a device that cannot tell the time still signs with its best guess). */
ward_clock sectime_sign_clock(void);
bool sectime_on(void);
bool sectime_synced(void);

/* One sync with k of n: the conf's URLs, or server when it names none.
 * *answers: how many verified. WARD_OK, or WARD_ERR_AUTH (fewer than k
 * agree), WARD_ERR_STATE (a time before the floor), WARD_ERR_IO (the
 * floor's store). Warnings for each server that failed on stderr. */
ward_err sectime_sync(const char *server, unsigned *answers);
/* now() of the device and its floor. */
ward_err sectime_now(ward_time_interval *iv, uint64_t *floor);

/* A thread that syncs now and every every_s seconds (after a failure
 * again in 5 s, doubling up to every_s) until sectime_close; it raises
 * the stored floor at each pass. Nothing when not on. */
int sectime_keep(const char *server, unsigned every_s, const char *who);
void sectime_close(void);

#endif /* WARD_CLI_SECTIME_H */
