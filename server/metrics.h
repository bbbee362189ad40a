/*
 * metrics.h - wardd's counters for GET /metrics (Prometheus text format
 * 0.0.4). Every update is one relaxed atomic add on a fixed slot: no lock
 * on a request's path. /metrics reads the slots one by one, so a scrape
 * may see one request in one counter and not yet in another.
 *
 * Requests are counted by route pattern (http.c's table, never the raw
 * path: a path holds ids, and a stranger's paths would grow the series
 * without bound) and status, with a latency histogram per route.
 */
#ifndef WARDD_METRICS_H
#define WARDD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define WARDD_M_ROUTES_MAX 48

/* A counter without a route. The names and labels are in metrics.c. */
typedef enum wardd_counter {
    WARDD_C_RATE_SMS,           /* 429: bind codes per phone or address */
    WARDD_C_RATE_CODE,          /* 429: phone codes per phone or address */
    WARDD_C_RATE_CODE_CHECK,    /* 429: code checks per number per day */
    WARDD_C_CONN_REFUSED,       /* connections closed at accept: per-address cap */
    WARDD_C_STORE_ERRORS,       /* store entries that failed (a 500 or a 503) */
    WARDD_C_SMS_BIND_SENT,
    WARDD_C_SMS_BIND_FAILED,
    WARDD_C_SMS_CODE_SENT,
    WARDD_C_SMS_CODE_FAILED,
    WARDD_C_COUNT
} wardd_counter;

/* The routes, from http.c's table at start (before any request): their
 * method, pattern and, for a route that hands a message on to another
 * party, the kind of message relayed (NULL: none). */
void wardd_metrics_routes(const char *const *methods, const char *const *patterns,
                          const char *const *relays, size_t n);

/* One request answered: its route (-1 when no route matched), status and
 * time from its first byte to its answer queued, in microseconds. */
void wardd_metrics_request(int route, unsigned status, uint64_t us);

void wardd_metric_inc(wardd_counter c);
/* Long-polls waiting now: +1 when one starts waiting, -1 when it ends. */
void wardd_metric_waiting(int delta);

/* The exposition text (caller frees), or NULL without memory. */
char *wardd_metrics_text(void);

#endif /* WARDD_METRICS_H */
