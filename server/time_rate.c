/* GET /v1/time's rate limit: a token bucket per client address (IPv6: per /64), in
 * memory. The limit guards wardd's CPU (each answer is an ECDSA signature, maybe in an
 * HSM), not a secret: a restart handing out fresh buckets costs one allowance, and a
 * store transaction per request would cost more than the signature it guards. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ward/ward_port_posix.h"

#include "log.h"
#include "wardd.h"

/* 4096 buckets of 8 ways (about 400 KB): a bucket is forgotten only when its
 * set is full, and then the one with the most credit, whose address loses
 * least by starting afresh (a full one: nothing). */
#define SETS 512u
#define WAYS 8u
#define UNIT_MAX 72
#define MINUTE_MS 60000

typedef struct bucket {
    char unit[UNIT_MAX];        /* "" : free */
    int64_t credit;             /* ms x per_min: one answer costs MINUTE_MS */
    int64_t at_ms;              /* when credit was last brought up to date */
    bool logged;                /* its refusal was logged since its last answer */
} bucket;

static struct {
    pthread_mutex_t mu;
    uint64_t seed;              /* so which addresses share a set is not known */
    bool seeded;
    bucket b[SETS][WAYS];
} rl = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* FNV-1a from a secret start. */
static unsigned set_of(const char *unit)
{
    uint64_t h = 14695981039346656037ull ^ rl.seed;
    for (const unsigned char *p = (const unsigned char *)unit; *p != 0; p++) {
        h = (h ^ *p) * 1099511628211ull;
    }
    return (unsigned)((h ^ (h >> 32)) % SETS);
}

/* The bucket's credit at now: refilled at per_min answers a minute, at most
 * per_min (a burst of per_min). */
static int64_t credit_at(const bucket *k, unsigned per_min, int64_t now)
{
    int64_t full = (int64_t)per_min * MINUTE_MS;
    int64_t dt = now > k->at_ms ? now - k->at_ms : 0;
    if (dt >= MINUTE_MS) {
        return full;
    }
    int64_t c = k->credit + dt * (int64_t)per_min;
    return c < full ? c : full;
}

static bucket *find_or_take(const char *unit, unsigned per_min, int64_t now)
{
    bucket *set = rl.b[set_of(unit)], *victim = NULL;
    int64_t most = -1;
    for (unsigned i = 0; i < WAYS; i++) {
        if (strcmp(set[i].unit, unit) == 0) {
            return &set[i];
        }
        int64_t c = set[i].unit[0] == '\0' ? INT64_MAX : credit_at(&set[i], per_min, now);
        if (c > most) {
            most = c;
            victim = &set[i];
        }
    }
    snprintf(victim->unit, sizeof victim->unit, "%s", unit);
    victim->credit = (int64_t)per_min * MINUTE_MS;
    victim->at_ms = now;
    victim->logged = false;
    return victim;
}

bool wardd_time_rate_take(const char *addr, unsigned per_min, int64_t now_ms,
                          int64_t *retry_ms)
{
    char unit[UNIT_MAX];
    wardd_addr_unit(addr, unit, sizeof unit);
    pthread_mutex_lock(&rl.mu);
    if (!rl.seeded) {
        ward_random rng = ward_random_posix();
        if (rng.fill(rng.ctx, (uint8_t *)&rl.seed, sizeof rl.seed) != WARD_OK) {
            rl.seed = (uint64_t)now_ms;     /* only spreads the sets */
        }
        rl.seeded = true;
    }
    bucket *k = find_or_take(unit, per_min, now_ms);
    k->credit = credit_at(k, per_min, now_ms);
    k->at_ms = now_ms > k->at_ms ? now_ms : k->at_ms;
    bool ok = k->credit >= MINUTE_MS;
    bool log_it = false;
    if (ok) {
        k->credit -= MINUTE_MS;
        k->logged = false;
    } else {
        /* The time until one answer's credit is back. */
        *retry_ms = (MINUTE_MS - k->credit + per_min - 1) / per_min;
        log_it = !k->logged;
        k->logged = true;
    }
    pthread_mutex_unlock(&rl.mu);
    if (log_it) {
        /* Once per bucket emptied, not once per refused request of a flood. */
        wardd_log("warn", "rate_limited", "kind=time addr=%s per_min=%u", unit, per_min);
    }
    return ok;
}
