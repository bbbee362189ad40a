/* A device role's secure time in the CLI (sectime.h): its conf, floor and last sync, the clock its
 * flows take "now" from, one sync with k of n servers, and the thread that keeps it synced. */
#include "sectime.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ward/ward_encode.h"
#include "ward/ward_files.h"
#include "ward/ward_host.h"
#include "ward/ward_port_posix.h"

#include "cli.h"
#include "keyfile.h"

#define TIME_CONF "time.conf"
#define TIME_STORE "time.bin"
#define TIME_SYNC "time.sync"
#define TIME_STORE_SIZE 1024
#define TIME_CONF_MAX 4096
#define KEEP_RETRY_MS 5000u

/* The firmware's build time, the first floor (cli/CMakeLists.txt). */
#ifndef WARD_CLI_BUILD_MS
#define WARD_CLI_BUILD_MS 0
#endif

/* The process's device: one per process (sectime.h). */
static struct {
    pthread_mutex_t mu;
    bool on;
    char *dir;
    sectime_conf c;
    ward_host host;
    ward_time t;              /* under mu: the clock reads it */
    ward_time_clock tc;
    ward_clock secure;
    ward_file_port fp;
    ward_store_port port;
    bool store_open;
    pthread_t th;
    bool th_running;
    int stop;
    char server[WARD_CLI_URL_MAX + 1];
    char who[64];
    unsigned every_s;
} S;

/* Static, so the mutex is zero: taken only after sectime_open set it up. */

int sectime_conf_read(const char *dir, sectime_conf *c, bool *found)
{
    char *text = NULL;
    size_t len = 0;
    memset(c, 0, sizeof *c);
    c->k = 1;
    *found = false;
    char *path = ward_path_join(dir, TIME_CONF);
    if (path == NULL) {
        return cli_fail("out of memory");
    }
    ward_err err = ward_file_read(path, TIME_CONF_MAX, &text, &len);
    if (err == WARD_ERR_NOTFOUND) {
        free(path);
        return 0;
    }
    if (err != WARD_OK) {
        int rc = cli_fail("%s: %s", path, cli_file_why(err, errno, "longer than a time.conf"));
        free(path);
        return rc;
    }
    *found = true;
    int rc = 0;
    unsigned line = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL && rc == 0;
         l = strtok_r(NULL, "\n", &save)) {
        line++;
        size_t got = 0;
        if (l[0] == '#' || l[0] == '\0') {
            continue;
        }
        if (strncmp(l, "k ", 2) == 0) {
            char *end = NULL;
            unsigned long k = strtoul(l + 2, &end, 10);
            if (*end != '\0' || k < 1 || k > WARD_TIME_KEYS_MAX) {
                rc = cli_fail("%s:%u: k: a number 1..%d", path, line, WARD_TIME_KEYS_MAX);
            }
            c->k = (unsigned)k;
        } else if (strncmp(l, "key ", 4) == 0 && c->nkeys < WARD_TIME_KEYS_MAX &&
                   ward_hex_decode(l + 4, strlen(l + 4), c->keys[c->nkeys], WARD_P256_POINT_LEN,
                                   &got) == WARD_OK && got == WARD_P256_POINT_LEN) {
            c->nkeys++;
        } else if (strncmp(l, "url ", 4) == 0 && c->nurls < SECTIME_URLS_MAX &&
                   strlen(l + 4) <= WARD_CLI_URL_MAX && ward_http_url_ok(l + 4)) {
            snprintf(c->urls[c->nurls++], WARD_CLI_URL_MAX + 1, "%s", l + 4);
        } else {
            rc = cli_fail("%s:%u: not a line of time.conf (k K, key HEX, url URL; at most %d "
                          "keys and urls)", path, line, WARD_TIME_KEYS_MAX);
        }
    }
    free(text);
    free(path);
    return rc;
}

int sectime_conf_write(const char *dir, const sectime_conf *c)
{
    char text[TIME_CONF_MAX];
    size_t n = (size_t)snprintf(text, sizeof text,
                                "# ward secure time: trusted time keys, how many must agree, "
                                "where to ask\nk %u\n", c->k);
    for (size_t i = 0; i < c->nkeys; i++) {
        char hex[2 * WARD_P256_POINT_LEN + 1];
        WARD_ASSERT(ward_hex_encode(c->keys[i], WARD_P256_POINT_LEN, hex, sizeof hex) == WARD_OK);
        n += (size_t)snprintf(text + n, sizeof text - n, "key %s\n", hex);
    }
    for (size_t i = 0; i < c->nurls; i++) {
        n += (size_t)snprintf(text + n, sizeof text - n, "url %s\n", c->urls[i]);
    }
    WARD_ASSERT(n < sizeof text);
    char *path = ward_path_join(dir, TIME_CONF);
    ward_err err = path == NULL ? WARD_ERR_IO : ward_file_write_atomic(path, text, n, 0600);
    int rc = err == WARD_OK ? 0 : cli_fail("%s/%s: %s", dir, TIME_CONF,
                                           cli_file_why(err, errno, NULL));
    free(path);
    return rc;
}

/* WARD_TEST_CLOCK_SKEW_MS, read once: 0 when unset or not a number. */
static long long wall_skew(void)
{
    static int read_once;
    static long long skew;
    if (!read_once) {
        read_once = 1;
        const char *v = getenv("WARD_TEST_CLOCK_SKEW_MS");
        if (v != NULL && v[0] != '\0') {
            char *end = NULL;
            long long x = strtoll(v, &end, 10);
            if (*end == '\0' && x > -(1LL << 40) && x < (1LL << 40)) {
                skew = x;
                fprintf(stderr, "ward: test only: the wall clock is %lld ms off "
                        "(WARD_TEST_CLOCK_SKEW_MS)\n", x);
            }
        }
    }
    return skew;
}

static ward_err wall_now(void *ctx, uint64_t *ms)
{
    struct timespec ts;
    (void)ctx;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0) {
        return WARD_ERR_IO;
    }
    long long t = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + wall_skew();
    *ms = t > 0 ? (uint64_t)t : 0u;
    return WARD_OK;
}

ward_clock sectime_wall_clock(void)
{
    /* As ward_clock_posix(): a host keeps its wall clock in sync. */
    ward_clock c = { wall_now, NULL, true };
    return c;
}

/* The device's local count: CLOCK_MONOTONIC, one count for every process
 * of this boot (what lets one process take up another's sync). */
static ward_err mono_now(void *ctx, uint64_t *ms)
{
    (void)ctx;
    long long t = cli_mono_ms();
    *ms = t > 0 ? (uint64_t)t : 0u;
    return WARD_OK;
}

static ward_err locked_now(void *ctx, uint64_t *ms)
{
    (void)ctx;
    pthread_mutex_lock(&S.mu);
    ward_err err = S.secure.now_ms(S.secure.ctx, ms);
    pthread_mutex_unlock(&S.mu);
    return err;
}

/* This boot's id (the monotonic count starts again at each boot). */
static bool boot_id(char out[40])
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    bool ok = f != NULL && fgets(out, 40, f) != NULL;
    if (f != NULL) {
        fclose(f);
    }
    if (ok) {
        out[strcspn(out, "\n")] = '\0';
    }
    return ok && out[0] != '\0';
}

/* D/time.sync of this boot into t; nothing when absent, of another boot
 * or not one (a sync is only missed: the next process syncs again). */
static void sync_resume(ward_time *t)
{
    char boot[40], *text = NULL, *path = ward_path_join(S.dir, TIME_SYNC);
    size_t len = 0;
    if (path == NULL || !boot_id(boot) || ward_file_read(path, 512, &text, &len) != WARD_OK) {
        free(path);
        return;
    }
    char fboot[40];
    unsigned long long local = 0;
    long long lo = 0, hi = 0;
    ward_time_sync s;
    if (sscanf(text, "boot %39s\nlocal %llu\nlo %lld\nhi %lld", fboot, &local, &lo, &hi) == 4 &&
        strcmp(fboot, boot) == 0 && local <= (unsigned long long)cli_mono_ms()) {
        s.local_ms = local;
        s.off_lo = lo;
        s.off_hi = hi;
        if (ward_time_sync_set(t, &s) != WARD_OK) {
            fprintf(stderr, "ward: %s: not a sync, ignored\n", path);
        }
    }
    free(text);
    free(path);
}

static void sync_keep(const ward_time *t)
{
    char boot[40], text[256], *path = ward_path_join(S.dir, TIME_SYNC);
    ward_time_sync s;
    if (path != NULL && boot_id(boot) && ward_time_sync_get(t, &s) == WARD_OK) {
        int n = snprintf(text, sizeof text, "boot %s\nlocal %llu\nlo %lld\nhi %lld\n", boot,
                         (unsigned long long)s.local_ms, (long long)s.off_lo,
                         (long long)s.off_hi);
        if (ward_file_write_atomic(path, text, (size_t)n, 0600) != WARD_OK) {
            fprintf(stderr, "ward: %s: %s (the next process syncs again)\n", path,
                    strerror(errno));
        }
    }
    free(path);
}

/* A context from the store as it is now (another process may have raised
 * the floor), under the store's flock; *t keeps its sync. */
static ward_err fresh(ward_time *t)
{
    ward_store store;
    ward_time_sync s;
    bool had = ward_time_sync_get(t, &s) == WARD_OK;
    ward_err err = ward_store_open(&store, &S.port);
    if (err == WARD_OK) {
        err = ward_time_init(t, S.host.crypto, &store,
                             (const uint8_t(*)[WARD_P256_POINT_LEN])S.c.keys, S.c.nkeys, S.c.k,
                             (uint64_t)WARD_CLI_BUILD_MS);
    }
    if (err == WARD_OK && had) {
        err = ward_time_sync_set(t, &s);
    }
    return err;
}

int sectime_open(const char *dir, bool *on)
{
    *on = false;
    if (S.dir != NULL) {
        if (strcmp(S.dir, dir) != 0) {
            return cli_fail("secure time: one device per process");
        }
        *on = S.on;
        return 0;
    }
    bool found = false;
    int rc = sectime_conf_read(dir, &S.c, &found);
    if (rc != 0 || !found) {
        return rc;
    }
    if (S.c.nkeys == 0 || S.c.k > S.c.nkeys) {
        return cli_fail("%s/%s: %s", dir, TIME_CONF,
                        S.c.nkeys == 0 ? "no time key" : "k above the keys trusted");
    }
    pthread_mutex_init(&S.mu, NULL);
    S.dir = strdup(dir);
    char *path = ward_path_join(dir, TIME_STORE);
    if (S.dir == NULL || path == NULL) {
        free(path);
        return cli_fail("out of memory");
    }
    ward_host_init(&S.host);
    ward_err err = ward_file_port_open(&S.fp, path, TIME_STORE_SIZE, &S.port);
    S.store_open = err == WARD_OK;
    if (err == WARD_OK && flock(S.fp.fd, LOCK_SH) != 0) {
        err = WARD_ERR_IO;
    }
    if (err == WARD_OK) {
        err = fresh(&S.t);
        flock(S.fp.fd, LOCK_UN);
    }
    if (err != WARD_OK) {
        rc = cli_fail("%s: %s", path, cli_file_why(err, S.fp.os_errno, "not a store, or a "
                                                   "time key not a P-256 point"));
        free(path);
        return rc;
    }
    free(path);
    sync_resume(&S.t);
    const ward_clock local = { mono_now, NULL, false };
    S.secure = ward_time_clock_init(&S.tc, &S.t, &local);
    S.on = true;
    *on = true;
    return 0;
}

ward_clock sectime_clock(void)
{
    if (!S.on) {
        return sectime_wall_clock();
    }
    ward_clock c = { locked_now, NULL, true };
    return c;
}

static ward_err sign_now(void *ctx, uint64_t *ms)
{
    ward_err err = locked_now(ctx, ms);
    return err == WARD_ERR_STATE ? wall_now(NULL, ms) : err;
}

ward_clock sectime_sign_clock(void)
{
    if (!S.on) {
        return sectime_wall_clock();
    }
    ward_clock c = { sign_now, NULL, true };
    return c;
}

bool sectime_on(void)
{
    return S.on;
}

bool sectime_synced(void)
{
    ward_time_sync s;
    if (!S.on) {
        return false;
    }
    pthread_mutex_lock(&S.mu);
    bool synced = ward_time_sync_get(&S.t, &s) == WARD_OK;
    pthread_mutex_unlock(&S.mu);
    return synced;
}

/* One server's answer to nonce into ans, or a warning and false. */
static bool ask(const char *url, const uint8_t nonce[WARD_TIME_NONCE_LEN],
                uint8_t ans[WARD_TIME_ANSWER_LEN], size_t *len)
{
    char target[32 + 2 * WARD_TIME_NONCE_LEN];
    char hex[2 * WARD_TIME_NONCE_LEN + 1];
    WARD_ASSERT(ward_hex_encode(nonce, WARD_TIME_NONCE_LEN, hex, sizeof hex) == WARD_OK);
    snprintf(target, sizeof target, "/v1/time?nonce=%s", hex);
    ward_http_response resp;
    ward_err err = ward_http_request(&S.host, url, "GET", target, NULL, 0, NULL, &resp);
    char why[WARD_HTTP_ERROR_MAX + 256];
    long outcome = ward_http_outcome(err, &resp, url, why, sizeof why);
    if (outcome != 0 || resp.status != 200) {
        fprintf(stderr, "time: %s: %s\n", url, outcome != 0 ? why : "not a time answer");
        if (err == WARD_OK) {
            ward_http_response_free(&resp);
        }
        return false;
    }
    cJSON *j = cJSON_ParseWithLength(resp.body, resp.body_len);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "answer");
    bool ok = cJSON_IsString(a) &&
              ward_b64_decode(a->valuestring, strlen(a->valuestring), ans, WARD_TIME_ANSWER_LEN,
                              len) == WARD_OK;
    cJSON_Delete(j);
    ward_http_response_free(&resp);
    if (!ok) {
        fprintf(stderr, "time: %s: not a time answer\n", url);
    }
    return ok;
}

static const char *add_why(ward_err err)
{
    switch (err) {
    case WARD_ERR_NOTFOUND:
        return "signed by a key not trusted (--time-key)";
    case WARD_ERR_AUTH:
        return "refused: not an answer to this nonce (replayed?) or a bad signature";
    case WARD_ERR_EXPIRED:
        return "refused: came too late";
    case WARD_ERR_CONFLICT:
        return "a second answer of the same key, counted once";
    case WARD_ERR_FORMAT:
        return "not a time answer";
    default:
        return ward_strerror(err);
    }
}

static ward_err sync_locked(const char *const *urls, size_t n, unsigned *answers);

ward_err sectime_sync(const char *server, unsigned *answers)
{
    *answers = 0;
    if (!S.on) {
        return WARD_ERR_STATE;
    }
    const char *urls[SECTIME_URLS_MAX];
    size_t n = S.c.nurls;
    for (size_t i = 0; i < n; i++) {
        urls[i] = S.c.urls[i];
    }
    if (n == 0 && server != NULL && server[0] != '\0') {
        urls[n++] = server;         /* the role's own wardd */
    }
    /* A copy does the sync: the clock's readers are not held up by the
     * servers; one sync at a time in the process (syncing), one process
     * at a time writes the floor (the flock). */
    static pthread_mutex_t syncing = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&syncing);
    ward_err err = sync_locked(urls, n, answers);
    pthread_mutex_unlock(&syncing);
    return err;
}

static ward_err sync_locked(const char *const *urls, size_t n, unsigned *answers)
{
    static ward_time t;
    pthread_mutex_lock(&S.mu);
    t = S.t;
    pthread_mutex_unlock(&S.mu);
    if (flock(S.fp.fd, LOCK_EX) != 0) {
        return WARD_ERR_IO;
    }
    ward_err err = fresh(&t);
    static ward_time old;
    old = t;
    uint8_t nonce[WARD_TIME_NONCE_LEN];
    if (err == WARD_OK) {
        err = ward_time_begin(&t, &S.host.rng, (uint64_t)cli_mono_ms(), nonce);
    }
    for (size_t i = 0; err == WARD_OK && i < n; i++) {
        uint8_t ans[WARD_TIME_ANSWER_LEN];
        size_t len = 0;
        if (!ask(urls[i], nonce, ans, &len)) {
            continue;
        }
        ward_err e = ward_time_add(&t, ans, len, (uint64_t)cli_mono_ms());
        if (e == WARD_OK) {
            (*answers)++;
        } else {
            fprintf(stderr, "time: %s: %s\n", urls[i], add_why(e));
        }
    }
    /* Agreed first, the floor written after: a refused sync writes
     * nothing. */
    if (err == WARD_OK) {
        err = ward_time_finish(&t, NULL, (uint64_t)cli_mono_ms());
    }
    if (err == WARD_OK) {
        /* The floor raised to what the last sync says has passed, then to
         * the new low end: the new interval never starts below a time
         * this device (any of its processes) may have answered. */
        ward_store store;
        uint64_t local = (uint64_t)cli_mono_ms();
        err = ward_store_open(&store, &S.port);
        if (err == WARD_OK) {
            err = ward_time_save(&old, &store, local);
        }
        if (err == WARD_OK) {
            err = fresh(&t);
        }
        if (err == WARD_OK) {
            err = ward_store_open(&store, &S.port);
        }
        if (err == WARD_OK) {
            err = ward_time_save(&t, &store, local);
        }
    }
    if (err == WARD_OK) {
        sync_keep(&t);
    }
    flock(S.fp.fd, LOCK_UN);
    if (err == WARD_OK) {
        pthread_mutex_lock(&S.mu);
        S.t = t;
        pthread_mutex_unlock(&S.mu);
    }
    return err;
}

ward_err sectime_now(ward_time_interval *iv, uint64_t *floor)
{
    if (!S.on) {
        return WARD_ERR_STATE;
    }
    pthread_mutex_lock(&S.mu);
    ward_err err = ward_time_now(&S.t, (uint64_t)cli_mono_ms(), iv);
    *floor = ward_time_floor(&S.t);
    pthread_mutex_unlock(&S.mu);
    return err;
}

static bool stopping(void)
{
    return cli_stopping || __atomic_load_n(&S.stop, __ATOMIC_SEQ_CST) != 0;
}

static void *keep_thread(void *arg)
{
    (void)arg;
    unsigned retry = KEEP_RETRY_MS;
    unsigned long long every = (unsigned long long)S.every_s * 1000u;
    while (!stopping()) {
        unsigned answers = 0;
        ward_err err = sectime_sync(S.server, &answers);
        unsigned long long wait = every;
        if (err == WARD_OK) {
            printf("[%s] time synced (%u answer%s)\n", S.who, answers, answers == 1 ? "" : "s");
            fflush(stdout);
            retry = KEEP_RETRY_MS;
        } else {
            fprintf(stderr, "ward: [%s] time not synced: %s; again in %u s\n", S.who,
                    err == WARD_ERR_AUTH    ? "fewer answers agree than needed"
                    : err == WARD_ERR_STATE ? "the servers agree on a time before the floor"
                                            : ward_strerror(err),
                    (unsigned)((retry < every ? retry : every) / 1000u));
            wait = retry < every ? retry : every;
            retry = retry < 0x7FFFFFFFu / 2u ? retry * 2u : retry;
        }
        for (unsigned long long t = 0; t < wait && !stopping(); t += 100) {
            struct timespec ts = { 0, 100 * 1000000L };
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

int sectime_keep(const char *server, unsigned every_s, const char *who)
{
    if (!S.on || S.th_running) {
        return 0;
    }
    snprintf(S.server, sizeof S.server, "%s", server != NULL ? server : "");
    snprintf(S.who, sizeof S.who, "%s", who);
    S.every_s = every_s;
    __atomic_store_n(&S.stop, 0, __ATOMIC_SEQ_CST);
    int err = pthread_create(&S.th, NULL, keep_thread, NULL);
    if (err != 0) {
        return cli_fail("cannot start the time keeper: %s", strerror(err));
    }
    S.th_running = true;
    return 0;
}

void sectime_close(void)
{
    if (S.th_running) {
        __atomic_store_n(&S.stop, 1, __ATOMIC_SEQ_CST);
        pthread_join(S.th, NULL);
        S.th_running = false;
    }
    if (S.store_open) {
        ward_file_port_close(&S.fp);
        S.store_open = false;
    }
    if (S.dir != NULL) {
        pthread_mutex_destroy(&S.mu);
    }
    free(S.dir);
    S.dir = NULL;
    S.on = false;
}
