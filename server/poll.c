/* Keyed long-poll wake-ups: a waiter sleeps on the bucket of its key (a
 * user, an op, a lock), so one event wakes only the few waiting on it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "wardd.h"

#define WAKE_BUCKETS 64
/* A waiter looks at w->stopping at least this often: shutdown wakes only
 * wardd's global condition, not the buckets. */
#define WAKE_SLICE_MS 250

static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cv[WAKE_BUCKETS];
static uint64_t wake_gen[WAKE_BUCKETS];
static pthread_once_t wake_once = PTHREAD_ONCE_INIT;

static void wake_init(void)
{
    for (size_t i = 0; i < WAKE_BUCKETS; i++) {
        pthread_cond_init(&wake_cv[i], NULL);
    }
}

/* FNV-1a of the key, folded to a bucket. */
static size_t bucket(const char *kind, const char *id)
{
    uint32_t h = 2166136261u;
    for (const char *p = kind; *p; p++) {
        h = (h ^ (uint8_t)*p) * 16777619u;
    }
    h = (h ^ ':') * 16777619u;
    for (const char *p = id; *p; p++) {
        h = (h ^ (uint8_t)*p) * 16777619u;
    }
    return h % WAKE_BUCKETS;
}

uint64_t wardd_wake_gen(const char *kind, const char *id)
{
    pthread_once(&wake_once, wake_init);
    size_t b = bucket(kind, id);
    pthread_mutex_lock(&wake_mu);
    uint64_t g = wake_gen[b];
    pthread_mutex_unlock(&wake_mu);
    return g;
}

void wardd_wake(const char *kind, const char *id)
{
    pthread_once(&wake_once, wake_init);
    size_t b = bucket(kind, id);
    pthread_mutex_lock(&wake_mu);
    wake_gen[b]++;
    pthread_cond_broadcast(&wake_cv[b]);
    pthread_mutex_unlock(&wake_mu);
}

static bool wake_wait(wardd *w, const char *kind, const char *id, uint64_t gen,
                      int64_t at_ms);

bool wardd_wake_wait(wardd *w, const char *kind, const char *id, uint64_t gen,
                     int64_t at_ms)
{
    wardd_metric_waiting(1);
    bool woken = wake_wait(w, kind, id, gen, at_ms);
    wardd_metric_waiting(-1);
    return woken;
}

static bool wake_wait(wardd *w, const char *kind, const char *id, uint64_t gen,
                      int64_t at_ms)
{
    pthread_once(&wake_once, wake_init);
    size_t b = bucket(kind, id);
    for (;;) {
        pthread_mutex_lock(&w->mu);
        bool stopping = w->stopping;
        pthread_mutex_unlock(&w->mu);
        int64_t now = wardd_now_ms();
        if (stopping || now >= at_ms) {
            return false;
        }
        int64_t until = now + WAKE_SLICE_MS < at_ms ? now + WAKE_SLICE_MS : at_ms;
        struct timespec ts;
        ts.tv_sec = (time_t)(until / 1000);
        ts.tv_nsec = (long)(until % 1000) * 1000000L;
        pthread_mutex_lock(&wake_mu);
        while (wake_gen[b] == gen) {
            if (pthread_cond_timedwait(&wake_cv[b], &wake_mu, &ts) == ETIMEDOUT) {
                break;
            }
        }
        bool moved = wake_gen[b] != gen;
        pthread_mutex_unlock(&wake_mu);
        if (moved) {
            return true;
        }
    }
}

bool wardd_wait_arg(const wardd_req *r, long *wait_s, wardd_resp *out)
{
    *wait_s = 0;
    const char *ws = r->arg(r->ctx, "wait");
    if (ws == NULL) {
        return true;
    }
    char *end = NULL;
    long v = strtol(ws, &end, 10);
    if (*ws == '\0' || *end != '\0' || v < 0) {
        wardd_fail(out, 400, "format", "wait: seconds expected");
        return false;
    }
    *wait_s = v > WARDD_WAIT_MAX_S ? WARDD_WAIT_MAX_S : v;
    return true;
}

bool wardd_after_arg(const wardd_req *r, int64_t *after, wardd_resp *out)
{
    *after = 0;
    const char *a = r->arg(r->ctx, "after");
    if (a == NULL) {
        return true;
    }
    char *end = NULL;
    long long v = strtoll(a, &end, 10);
    if (*a == '\0' || *end != '\0' || v < 0) {
        wardd_fail(out, 400, "format", "after: a message id expected");
        return false;
    }
    *after = v;
    return true;
}
