/* Prometheus counters of wardd: fixed slots, relaxed atomic adds, and the
 * text exposition of GET /metrics (who may read it: wardd_h_metrics). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "proxy.h"
#include "wardd.h"

/* The statuses wardd answers; any other is counted as "other". */
static const unsigned statuses[] = { 200, 201, 202, 204, 400, 401, 403, 404, 405,
                                     409, 410, 413, 414, 429, 500, 503 };
#define NSTATUS (sizeof statuses / sizeof statuses[0])

/* Latency bucket bounds in microseconds, and as Prometheus writes them. */
static const uint64_t bounds_us[] = { 1000, 2500, 5000, 10000, 25000, 50000, 100000,
                                      250000, 500000, 1000000, 2500000, 5000000,
                                      10000000, 30000000 };
static const char *const bounds_text[] = { "0.001", "0.0025", "0.005", "0.01", "0.025",
                                           "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
                                           "10", "30" };
#define NBOUNDS (sizeof bounds_us / sizeof bounds_us[0])

/* Slot WARDD_M_ROUTES_MAX: requests no route matched (404, 405, 413...). */
#define NROUTES (WARDD_M_ROUTES_MAX + 1)

static struct {
    const char *method[WARDD_M_ROUTES_MAX];
    const char *pattern[WARDD_M_ROUTES_MAX];
    const char *relay[WARDD_M_ROUTES_MAX];
    size_t nroutes;
    uint64_t requests[NROUTES][NSTATUS + 1];
    uint64_t buckets[NROUTES][NBOUNDS + 1];     /* not cumulative; last: +Inf */
    uint64_t sum_us[NROUTES];
    uint64_t relayed[NROUTES];
    uint64_t counters[WARDD_C_COUNT];
    int64_t waiting;
} m;

static const struct {
    const char *name;
    const char *labels;
    const char *help;
} counter_info[WARDD_C_COUNT] = {
    [WARDD_C_RATE_SMS] = { "wardd_rate_limited_total", "kind=\"sms\"",
                           "Requests refused (429) by a rate limit, by limit." },
    [WARDD_C_RATE_CODE] = { "wardd_rate_limited_total", "kind=\"code\"", NULL },
    [WARDD_C_RATE_CODE_CHECK] = { "wardd_rate_limited_total", "kind=\"code_check\"", NULL },
    [WARDD_C_CONN_REFUSED] = { "wardd_connections_refused_total", "reason=\"per_addr_cap\"",
                               "Connections closed at accept." },
    [WARDD_C_STORE_ERRORS] = { "wardd_store_errors_total", "",
                               "Store operations that failed." },
    [WARDD_C_SMS_BIND_SENT] = { "wardd_sms_total", "purpose=\"bind\",result=\"sent\"",
                                "SMS handed to the provider, by purpose and result." },
    [WARDD_C_SMS_BIND_FAILED] = { "wardd_sms_total", "purpose=\"bind\",result=\"failed\"",
                                  NULL },
    [WARDD_C_SMS_CODE_SENT] = { "wardd_sms_total", "purpose=\"phone_code\",result=\"sent\"",
                                NULL },
    [WARDD_C_SMS_CODE_FAILED] = { "wardd_sms_total",
                                  "purpose=\"phone_code\",result=\"failed\"", NULL },
};

static uint64_t get(const uint64_t *slot)
{
    return __atomic_load_n(slot, __ATOMIC_RELAXED);
}

static void add(uint64_t *slot, uint64_t n)
{
    __atomic_fetch_add(slot, n, __ATOMIC_RELAXED);
}

void wardd_metrics_routes(const char *const *methods, const char *const *patterns,
                          const char *const *relays, size_t n)
{
    if (n > WARDD_M_ROUTES_MAX) {
        n = WARDD_M_ROUTES_MAX;         /* the rest count as unmatched */
    }
    for (size_t i = 0; i < n; i++) {
        m.method[i] = methods[i];
        m.pattern[i] = patterns[i];
        m.relay[i] = relays[i];
    }
    m.nroutes = n;
}

void wardd_metrics_request(int route, unsigned status, uint64_t us)
{
    size_t r = route >= 0 && (size_t)route < m.nroutes ? (size_t)route : WARDD_M_ROUTES_MAX;
    size_t s = 0;
    while (s < NSTATUS && statuses[s] != status) {
        s++;
    }
    size_t b = 0;
    while (b < NBOUNDS && us > bounds_us[b]) {
        b++;
    }
    add(&m.requests[r][s], 1);
    add(&m.buckets[r][b], 1);
    add(&m.sum_us[r], us);
    if (r < m.nroutes && m.relay[r] != NULL && status >= 200 && status < 300) {
        add(&m.relayed[r], 1);
    }
}

void wardd_metric_inc(wardd_counter c)
{
    if (c < WARDD_C_COUNT) {
        add(&m.counters[c], 1);
    }
}

void wardd_metric_waiting(int delta)
{
    __atomic_fetch_add(&m.waiting, (int64_t)delta, __ATOMIC_RELAXED);
}

/* ---- the text ---- */

typedef struct text {
    char *p;
    size_t len;
    size_t cap;
    bool failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...)
{
    if (t->failed) {
        return;
    }
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n;
        char *p = realloc(t->p, cap);
        if (p == NULL) {
            t->failed = true;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
}

static void route_labels(size_t r, char *out, size_t cap)
{
    /* The patterns are wardd's own literals: nothing to escape. */
    if (r < m.nroutes) {
        snprintf(out, cap, "method=\"%s\",route=\"%s\"", m.method[r], m.pattern[r]);
    } else {
        snprintf(out, cap, "method=\"other\",route=\"unmatched\"");
    }
}

static void put_requests(text *t)
{
    put(t, "# HELP wardd_http_requests_total HTTP requests answered, by route pattern and "
           "status.\n# TYPE wardd_http_requests_total counter\n");
    char labels[160];
    for (size_t r = 0; r < NROUTES; r++) {
        if (r >= m.nroutes && r != WARDD_M_ROUTES_MAX) {
            continue;
        }
        route_labels(r, labels, sizeof labels);
        for (size_t s = 0; s <= NSTATUS; s++) {
            uint64_t n = get(&m.requests[r][s]);
            if (n == 0) {
                continue;
            }
            if (s < NSTATUS) {
                put(t, "wardd_http_requests_total{%s,status=\"%u\"} %llu\n", labels,
                    statuses[s], (unsigned long long)n);
            } else {
                put(t, "wardd_http_requests_total{%s,status=\"other\"} %llu\n", labels,
                    (unsigned long long)n);
            }
        }
    }
    put(t, "# HELP wardd_http_request_duration_seconds Time from a request's first byte to "
           "its answer, long-polls' waits included.\n"
           "# TYPE wardd_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r < NROUTES; r++) {
        if (r >= m.nroutes && r != WARDD_M_ROUTES_MAX) {
            continue;
        }
        uint64_t counts[NBOUNDS + 1], total = 0;
        for (size_t b = 0; b <= NBOUNDS; b++) {
            counts[b] = get(&m.buckets[r][b]);
            total += counts[b];
        }
        if (total == 0) {
            continue;
        }
        route_labels(r, labels, sizeof labels);
        uint64_t cum = 0;
        for (size_t b = 0; b < NBOUNDS; b++) {
            cum += counts[b];
            put(t, "wardd_http_request_duration_seconds_bucket{%s,le=\"%s\"} %llu\n", labels,
                bounds_text[b], (unsigned long long)cum);
        }
        put(t, "wardd_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
            (unsigned long long)total);
        uint64_t sum = get(&m.sum_us[r]);
        put(t, "wardd_http_request_duration_seconds_sum{%s} %llu.%06llu\n", labels,
            (unsigned long long)(sum / 1000000), (unsigned long long)(sum % 1000000));
        put(t, "wardd_http_request_duration_seconds_count{%s} %llu\n", labels,
            (unsigned long long)total);
    }
}

static void put_relays(text *t)
{
    put(t, "# HELP wardd_relayed_total Messages accepted to be handed on to another party "
           "(2xx), by kind.\n# TYPE wardd_relayed_total counter\n");
    for (size_t r = 0; r < m.nroutes; r++) {
        if (m.relay[r] != NULL) {
            put(t, "wardd_relayed_total{kind=\"%s\"} %llu\n", m.relay[r],
                (unsigned long long)get(&m.relayed[r]));
        }
    }
}

static void put_counters(text *t)
{
    const char *last = NULL;
    for (size_t c = 0; c < WARDD_C_COUNT; c++) {
        const char *name = counter_info[c].name;
        if (last == NULL || strcmp(last, name) != 0) {
            put(t, "# HELP %s %s\n# TYPE %s counter\n", name, counter_info[c].help, name);
            last = name;
        }
        const char *labels = counter_info[c].labels;
        put(t, "%s%s%s%s %llu\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
            (unsigned long long)get(&m.counters[c]));
    }
}

char *wardd_metrics_text(void)
{
    text t = { malloc(16384), 0, 16384, false };
    if (t.p == NULL) {
        return NULL;
    }
    put(&t, "# HELP wardd_build_info The running wardd's version.\n"
            "# TYPE wardd_build_info gauge\nwardd_build_info{version=\"%s\"} 1\n",
        WARDD_VERSION);
    put_requests(&t);
    put_relays(&t);
    put(&t, "# HELP wardd_long_polls_waiting Long-polls waiting for an event now.\n"
            "# TYPE wardd_long_polls_waiting gauge\nwardd_long_polls_waiting %lld\n",
        (long long)__atomic_load_n(&m.waiting, __ATOMIC_RELAXED));
    put_counters(&t);
    if (t.failed) {
        free(t.p);
        return NULL;
    }
    return t.p;
}

/* GET /metrics: to loopback and the --metrics-allow blocks only, judged
 * on the real client (behind a trusted proxy, the one it names), so a
 * proxy on the same host does not open it to the internet. */
void wardd_h_metrics(wardd *w, const wardd_req *r, wardd_resp *out)
{
    uint8_t a[16];
    if (!wardd_addr_parse(r->addr, strlen(r->addr), a) ||
        !(wardd_addr_loopback(a) || wardd_cidrs_match(&w->cfg.metrics_allow, a))) {
        wardd_fail(out, 403, "forbidden", "metrics are served to loopback and --metrics-allow");
        return;
    }
    char *body = wardd_metrics_text();
    if (body == NULL) {
        wardd_fail(out, 500, "internal", "no memory");
        return;
    }
    wardd_reply_body(out, "text/plain; version=0.0.4; charset=utf-8", body, strlen(body), true);
}
