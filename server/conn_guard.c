/* Per-address connection caps and per-request deadlines for wardd's
 * thread-per-connection HTTP server (see conn_guard.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "conn_guard.h"
#include "log.h"

#define TICK_MS 200                 /* how often deadlines are checked */
#define CUTS_PER_TICK 64            /* logged after the lock is let go */
#define REFUSAL_LOG_MS 1000         /* at most one conn_refused line per second */
#define NEVER INT64_MAX

struct wardd_guard_conn {
    wardd_guard *g;
    wardd_guard_conn *next;         /* in its bucket */
    wardd_guard_conn **pprev;
    uint8_t key[16];
    char addr[INET6_ADDRSTRLEN];
    int fd;
    wardd_phase phase;
    int64_t deadline_ms;            /* NEVER in HANDLER, and once cut */
    bool cut;                       /* shut down: no phase revives it */
    int64_t phase_start_ms;
    unsigned long requests;         /* done on this connection */
};

struct wardd_guard {
    wardd_guard_cfg cfg;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t reaper;
    bool stopping;
    wardd_guard_conn **buckets;
    size_t nbuckets;                /* a power of two */
    int64_t refusal_logged_ms;
    unsigned long refusals_unlogged;
    char last_refused[INET6_ADDRSTRLEN];
};

typedef struct cut {
    char addr[INET6_ADDRSTRLEN];
    wardd_phase phase;
    long after_ms;
    unsigned long requests;
} cut;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* IPv4 as ::ffff:a.b.c.d; IPv6 by its /64; anything else shares one key. */
static void addr_key(const struct sockaddr *sa, uint8_t key[16])
{
    memset(key, 0, 16);
    if (sa == NULL) {
        return;
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        key[10] = 0xff;
        key[11] = 0xff;
        memcpy(key + 12, &in->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            memcpy(key, &in6->sin6_addr, 16);
        } else {
            memcpy(key, &in6->sin6_addr, 8);
        }
    }
}

static void addr_text(const struct sockaddr *sa, char out[INET6_ADDRSTRLEN])
{
    strcpy(out, "unknown");
    if (sa == NULL) {
        return;
    }
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  INET6_ADDRSTRLEN);
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  INET6_ADDRSTRLEN);
    }
}

static size_t bucket_of(const wardd_guard *g, const uint8_t key[16])
{
    uint32_t h = 2166136261u;               /* FNV-1a */
    for (int i = 0; i < 16; i++) {
        h = (h ^ key[i]) * 16777619u;
    }
    return (size_t)h & (g->nbuckets - 1);
}

static unsigned count_locked(const wardd_guard *g, const uint8_t key[16])
{
    unsigned n = 0;
    for (const wardd_guard_conn *c = g->buckets[bucket_of(g, key)]; c != NULL; c = c->next) {
        if (memcmp(c->key, key, 16) == 0) {
            n++;
        }
    }
    return n;
}

static const char *phase_name(wardd_phase p)
{
    switch (p) {
    case WARDD_PHASE_HEADERS: return "headers";
    case WARDD_PHASE_IDLE: return "idle";
    case WARDD_PHASE_BODY: return "body";
    case WARDD_PHASE_HANDLER: return "handler";
    case WARDD_PHASE_REPLY: return "reply";
    }
    return "?";
}

/* Shuts down every connection past its deadline; says which in *cuts. */
static size_t reap_locked(wardd_guard *g, int64_t now, cut *cuts)
{
    size_t n = 0;
    for (size_t b = 0; b < g->nbuckets && n < CUTS_PER_TICK; b++) {
        for (wardd_guard_conn *c = g->buckets[b]; c != NULL && n < CUTS_PER_TICK;
             c = c->next) {
            if (now < c->deadline_ms) {
                continue;
            }
            /* The socket is still open: libmicrohttpd closes it only
             * after the close notice, which waits for this lock. */
            shutdown(c->fd, SHUT_RDWR);
            c->cut = true;
            c->deadline_ms = NEVER;
            memcpy(cuts[n].addr, c->addr, sizeof cuts[n].addr);
            cuts[n].phase = c->phase;
            cuts[n].after_ms = (long)(now - c->phase_start_ms);
            cuts[n].requests = c->requests;
            n++;
        }
    }
    return n;
}

/* The refusals not yet logged, if a line is due: their number, and the
 * address of the last one in addr. */
static unsigned long refusals_due_locked(wardd_guard *g, int64_t now,
                                         char addr[INET6_ADDRSTRLEN])
{
    if (g->refusals_unlogged == 0 || now - g->refusal_logged_ms < REFUSAL_LOG_MS) {
        return 0;
    }
    unsigned long n = g->refusals_unlogged;
    g->refusals_unlogged = 0;
    g->refusal_logged_ms = now;
    memcpy(addr, g->last_refused, INET6_ADDRSTRLEN);
    return n;
}

static void log_refusals(const wardd_guard *g, unsigned long n, const char *addr)
{
    if (n > 0) {
        /* refused: how many refusals this line stands for (the last from addr). */
        wardd_log("warn", "conn_refused", "reason=per_addr_cap addr=%s cap=%u refused=%lu",
                  addr, g->cfg.per_addr, n);
    }
}

static void *reaper(void *arg)
{
    wardd_guard *g = arg;
    cut cuts[CUTS_PER_TICK];
    char refused_addr[INET6_ADDRSTRLEN];
    pthread_mutex_lock(&g->mu);
    while (!g->stopping) {
        int64_t now = mono_ms();
        size_t n = reap_locked(g, now, cuts);
        /* Refusals the accept path left unlogged (one line a second). */
        unsigned long refused = refusals_due_locked(g, now, refused_addr);
        pthread_mutex_unlock(&g->mu);
        log_refusals(g, refused, refused_addr);
        for (size_t i = 0; i < n; i++) {
            /* An idle kept-alive connection ending is ordinary; a request
             * that did not arrive in time is what a slow attack looks like. */
            bool idle = cuts[i].phase == WARDD_PHASE_IDLE;
            wardd_log(idle ? "info" : "warn", "conn_deadline",
                      "phase=%s addr=%s after_ms=%ld requests=%lu",
                      phase_name(cuts[i].phase), cuts[i].addr, cuts[i].after_ms,
                      cuts[i].requests);
        }
        pthread_mutex_lock(&g->mu);
        if (n == CUTS_PER_TICK || g->stopping) {
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->mu, &until);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

ward_err wardd_guard_start(const wardd_guard_cfg *cfg, wardd_guard **out)
{
    *out = NULL;
    wardd_guard *g = calloc(1, sizeof *g);
    if (g == NULL) {
        return WARD_ERR_NOSPACE;
    }
    g->cfg = *cfg;
    /* About one bucket per connection, within reason. */
    g->nbuckets = 64;
    while (g->nbuckets < cfg->max_connections && g->nbuckets < 65536) {
        g->nbuckets *= 2;
    }
    g->buckets = calloc(g->nbuckets, sizeof *g->buckets);
    pthread_condattr_t ca;
    bool ok = g->buckets != NULL && pthread_condattr_init(&ca) == 0;
    if (ok) {
        ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
             pthread_cond_init(&g->wake, &ca) == 0;
        pthread_condattr_destroy(&ca);
    }
    if (!ok) {
        free(g->buckets);
        free(g);
        return WARD_ERR_NOSPACE;
    }
    pthread_mutex_init(&g->mu, NULL);
    g->refusal_logged_ms = mono_ms() - REFUSAL_LOG_MS;
    if (pthread_create(&g->reaper, NULL, reaper, g) != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->mu);
        free(g->buckets);
        free(g);
        return WARD_ERR_IO;
    }
    *out = g;
    return WARD_OK;
}

void wardd_guard_free(wardd_guard *g)
{
    if (g == NULL) {
        return;
    }
    pthread_mutex_lock(&g->mu);
    g->stopping = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->reaper, NULL);
    for (size_t b = 0; b < g->nbuckets; b++) {
        while (g->buckets[b] != NULL) {
            wardd_guard_conn *c = g->buckets[b];
            g->buckets[b] = c->next;
            free(c);
        }
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->mu);
    free(g->buckets);
    free(g);
}

bool wardd_guard_admit(wardd_guard *g, const struct sockaddr *addr, socklen_t len)
{
    if (g->cfg.per_addr == 0) {
        return true;
    }
    if (addr == NULL || (addr->sa_family == AF_INET && len < sizeof(struct sockaddr_in)) ||
        (addr->sa_family == AF_INET6 && len < sizeof(struct sockaddr_in6))) {
        addr = NULL;                /* counted under the shared key */
    }
    uint8_t key[16];
    addr_key(addr, key);
    /* Connections are counted when the server takes them (wardd_guard_open),
     * which libmicrohttpd does on this same thread right after this check,
     * before it accepts the next: so the count cannot be overtaken. */
    char text[INET6_ADDRSTRLEN];
    unsigned long refused = 0;
    pthread_mutex_lock(&g->mu);
    bool admit = count_locked(g, key) < g->cfg.per_addr;
    if (!admit) {
        g->refusals_unlogged++;
        addr_text(addr, g->last_refused);
        refused = refusals_due_locked(g, mono_ms(), text);
    }
    pthread_mutex_unlock(&g->mu);
    log_refusals(g, refused, text);
    return admit;
}

wardd_guard_conn *wardd_guard_open(wardd_guard *g, int fd, const struct sockaddr *addr)
{
    wardd_guard_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        if (fd >= 0) {
            shutdown(fd, SHUT_RDWR);
        }
        wardd_log("error", "conn_untracked", "msg=\"no memory: connection shut\"");
        return NULL;
    }
    c->g = g;
    c->fd = fd;
    addr_key(addr, c->key);
    addr_text(addr, c->addr);
    c->phase = WARDD_PHASE_HEADERS;
    c->phase_start_ms = mono_ms();
    c->deadline_ms = c->phase_start_ms + g->cfg.header_ms;
    pthread_mutex_lock(&g->mu);
    size_t b = bucket_of(g, c->key);
    c->next = g->buckets[b];
    if (c->next != NULL) {
        c->next->pprev = &c->next;
    }
    c->pprev = &g->buckets[b];
    g->buckets[b] = c;
    pthread_mutex_unlock(&g->mu);
    return c;
}

void wardd_guard_close(wardd_guard_conn *c)
{
    if (c == NULL) {
        return;
    }
    wardd_guard *g = c->g;
    pthread_mutex_lock(&g->mu);
    *c->pprev = c->next;
    if (c->next != NULL) {
        c->next->pprev = c->pprev;
    }
    pthread_mutex_unlock(&g->mu);
    free(c);
}

void wardd_guard_phase(wardd_guard_conn *c, wardd_phase phase)
{
    if (c == NULL) {
        return;
    }
    wardd_guard *g = c->g;
    int64_t now = mono_ms();
    pthread_mutex_lock(&g->mu);
    if (c->cut) {
        pthread_mutex_unlock(&g->mu);
        return;
    }
    switch (phase) {
    case WARDD_PHASE_HEADERS:
        if (c->phase == WARDD_PHASE_IDLE) {
            c->phase = WARDD_PHASE_HEADERS;     /* IDLE's deadline still runs */
        }
        break;
    case WARDD_PHASE_IDLE:
        c->requests++;
        c->phase = WARDD_PHASE_IDLE;
        c->phase_start_ms = now;
        c->deadline_ms = now + g->cfg.header_ms;
        break;
    case WARDD_PHASE_BODY:
    case WARDD_PHASE_REPLY:
        c->phase = phase;
        c->phase_start_ms = now;
        c->deadline_ms = now + g->cfg.body_ms;
        break;
    case WARDD_PHASE_HANDLER:
        c->phase = phase;
        c->phase_start_ms = now;
        c->deadline_ms = NEVER;
        break;
    }
    pthread_mutex_unlock(&g->mu);
}
