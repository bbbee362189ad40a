/* The HTTP side of wardd on libmicrohttpd: body cap, routing, JSON answers,
 * and the hooks of the per-address cap and request deadlines (conn_guard.c). */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ward/ward_suite.h"

#include "conn_guard.h"
#include "devices.h"
#include "fw.h"
#include "log.h"
#include "metrics.h"
#include "proxy.h"
#include "record.h"
#include "wardd.h"

struct wardd_http {
    struct MHD_Daemon *d;
    wardd_guard *guard;
    const wardd_cidrs *trusted;     /* the config's --trusted-proxy blocks */
    char *cert;
    char *key;
};

/* One per request: created by uri_log (which sees the raw URI, the form
 * the signature covers), freed by completed(). */
typedef struct conn_state {
    wardd_req req;
    wardd_guard_conn *guard;        /* the connection's, NULL if untracked */
    uint8_t *body;
    size_t len;
    bool started;
    bool too_big;
    bool bad_uri;
    bool forwarded;                 /* addr came from a trusted proxy's header */
    size_t body_max;                /* this request's cap: WARDD_BODY_MAX, or its early hook's */
    const struct early_hook *early; /* taken: its done() runs when the request ends */
    int route;                      /* index in routes, -1: none matched */
    char peer[64];                  /* the TCP peer, when not the client */
    struct timespec t0;
} conn_state;

typedef struct route {
    const char *method;
    const char *pattern;          /* '*' matches one segment of hex */
    wardd_handler fn;
    const char *relay;            /* what a 2xx hands on to another party (metrics) */
} route;

static const route routes[] = {
    { "GET", "/v1/health", wardd_h_health, NULL },
    { "GET", "/v1/ready", wardd_h_ready, NULL },
    { "GET", "/v1/time", wardd_h_time, NULL },
    { "GET", "/metrics", wardd_h_metrics, NULL },
    { "GET", "/v1/openapi.json", wardd_h_openapi, NULL },
    { "POST", "/v1/locks", wardd_h_locks_post, NULL },
    { "POST", "/v1/users", wardd_h_users_post, NULL },
    { "POST", "/v1/users/verify", wardd_h_users_verify, NULL },
    { "POST", "/v1/bind/tasks", wardd_h_tasks_post, "bind_data" },
    { "GET", "/v1/bind/tasks/*", wardd_h_task_get, NULL },
    { "GET", "/v1/bind/tasks/*/status", wardd_h_task_status, NULL },
    { "POST", "/v1/bind/confirm", wardd_h_confirm_post, "bind_confirm" },
    { "GET", "/v1/escrow", wardd_h_escrow_get, NULL },
    { "POST", "/v1/ops", wardd_h_ops_post, "op_request" },
    { "GET", "/v1/ops/pending", wardd_h_ops_pending, NULL },
    { "GET", "/v1/ops/*", wardd_h_op_get, NULL },
    { "POST", "/v1/ops/*/answer", wardd_h_op_answer_post, "approval" },
    { "GET", "/v1/ops/*/answer", wardd_h_op_answer_get, NULL },
    { "POST", "/v1/ops/*/result", wardd_h_op_result_post, "op_result" },
    { "POST", "/v1/ops/*/withdraw", wardd_h_op_withdraw, "withdrawal" },
    { "POST", "/v1/revocations", wardd_h_revocations_post, "revocation" },
    { "GET", "/v1/revocations/*", wardd_h_revocation_get, NULL },
    { "GET", "/v1/lock/inbox", wardd_h_inbox_get, NULL },
    { "POST", "/v1/lock/inbox/ack", wardd_h_inbox_ack, "inbox_ack" },
    { "GET", "/v1/locks/*/clients", wardd_h_clients_get, NULL },
    { "GET", "/v1/audit", wardd_h_audit_get, NULL },
    { "POST", "/v1/devices/attach", wardd_h_devices_attach, NULL },
    { "GET", "/v1/devices", wardd_h_devices_get, NULL },
    { "POST", "/v1/dev/*/msgs", wardd_h_dev_msgs_post, "device_msg" },
    { "GET", "/v1/dev/*/replies", wardd_h_dev_replies_get, NULL },
    { "GET", "/v1/device/inbox", wardd_h_device_inbox_get, NULL },
    { "POST", "/v1/device/replies", wardd_h_device_replies_post, "device_reply" },
    { "POST", "/v1/gateways/claims", wardd_h_gw_claims_post, NULL },
    { "POST", "/v1/gateways", wardd_h_gw_post, NULL },
    { "GET", "/v1/gateways", wardd_h_gw_get, NULL },
    { "POST", "/v1/gateways/login", wardd_h_gw_login, NULL },
    { "POST", "/v1/gateways/session", wardd_h_gw_session, NULL },
    { "POST", "/v1/fw", wardd_h_fw_post, NULL },
    { "GET", "/v1/fw/*", wardd_h_fw_get, NULL },
    { "GET", "/v1/fw/*/*/image", wardd_h_fw_image, NULL },
};
#define NROUTES (sizeof routes / sizeof routes[0])

/* Routes that look at a request once its headers are in, before its body
 * is read: they may refuse it then (nothing of a body that would be
 * refused is read) and set its body's cap, which may pass WARDD_BODY_MAX
 * (an image). done() runs when the request ends, whatever became of it. */
typedef struct early_hook {
    wardd_handler fn;
    bool (*check)(wardd *w, const wardd_req *r, size_t *body_max, wardd_resp *out);
    void (*done)(void);
} early_hook;

static const early_hook early_hooks[] = {
    { wardd_h_fw_post, wardd_fw_early, wardd_fw_done },
};

int64_t wardd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void wardd_reply(wardd_resp *out, unsigned status, cJSON *json)
{
    cJSON_Delete(out->json);
    if (out->has_fd) {
        close(out->fd);
        out->has_fd = false;
    }
    out->status = status;
    out->json = json;
    if (out->body_owned) {
        free((char *)out->body);
    }
    out->body = NULL;
    out->body_len = 0;
    out->body_owned = false;
    out->content_type = NULL;
}

void wardd_reply_body(wardd_resp *out, const char *content_type, const char *body,
                      size_t len, bool owned)
{
    wardd_reply(out, 200, NULL);
    out->body = body;
    out->body_len = len;
    out->body_owned = owned;
    out->content_type = content_type;
}

void wardd_reply_file(wardd_resp *out, unsigned status, const char *content_type, int fd,
                      uint64_t off, uint64_t len)
{
    wardd_reply(out, status, NULL);
    out->has_fd = true;
    out->fd = fd;
    out->fd_off = off;
    out->fd_len = len;
    out->content_type = content_type;
}

void wardd_resp_header(wardd_resp *out, const char *name, const char *value)
{
    if (out->nhdr < WARDD_RESP_HDRS) {
        out->hdr_name[out->nhdr] = name;
        snprintf(out->hdr_value[out->nhdr], sizeof out->hdr_value[0], "%s", value);
        out->nhdr++;
    }
}

void wardd_fail(wardd_resp *out, unsigned status, const char *cls,
                const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    if (j != NULL) {
        cJSON_AddStringToObject(j, "error", cls);
        cJSON_AddStringToObject(j, "message", msg);
    }
    wardd_reply(out, status, j);
}

void wardd_fail_store(wardd_resp *out, ward_err err)
{
    /* SQLite's words go to the log, not to the client. */
    wardd_metric_inc(WARDD_C_STORE_ERRORS);
    wardd_log("error", "store_failed", "err=\"%s\" why=\"%s\"", ward_strerror(err),
              err == WARD_ERR_IO ? wardd_store_why() : "");
    wardd_fail(out, 500, "internal", "storage failed");
}

/* Matches path against pattern; the '*' segment goes to param. */
static bool match(const char *pattern, const char *path, char *param, size_t cap)
{
    while (*pattern && *path) {
        if (*pattern == '*') {
            size_t n = strcspn(path, "/");
            if (n == 0 || n >= cap) {
                return false;
            }
            memcpy(param, path, n);
            param[n] = '\0';
            path += n;
            pattern++;
            continue;
        }
        if (*pattern++ != *path++) {
            return false;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

static const char *get_header(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static const char *get_arg(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* The connection's entry in the guard (its socket context). */
static wardd_guard_conn *guard_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    wardd_guard_conn *guard = guard_of(c);
    wardd_guard_phase(guard, WARDD_PHASE_HEADERS);
    conn_state *st = calloc(1, sizeof *st);
    if (st == NULL) {
        return NULL;
    }
    st->route = -1;
    st->guard = guard;
    clock_gettime(CLOCK_MONOTONIC, &st->t0);
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    if (plen >= sizeof st->req.path || (q && strlen(q + 1) >= sizeof st->req.query)) {
        st->bad_uri = true;
        return st;
    }
    memcpy(st->req.path, uri, plen);
    st->req.path[plen] = '\0';
    if (q != NULL) {
        snprintf(st->req.query, sizeof st->req.query, "%s", q + 1);
    }
    return st;
}

/* Every X-Forwarded-For header, joined with commas in the order sent
 * (as RFC 9110 joins repeated fields): a proxy that adds a header of its
 * own, rather than appending to the client's, is read right too. */
typedef struct xff_join {
    char buf[WARDD_XFF_MAX + 2];
    size_t len;
    bool over;
    bool any;
} xff_join;

static enum MHD_Result xff_add(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    xff_join *j = cls;
    if (key == NULL || value == NULL || strcasecmp(key, "X-Forwarded-For") != 0) {
        return MHD_YES;
    }
    size_t n = strlen(value);
    if (j->len + n + 1 > WARDD_XFF_MAX) {
        j->over = true;
        return MHD_NO;
    }
    if (j->any) {
        j->buf[j->len++] = ',';
    }
    memcpy(j->buf + j->len, value, n);
    j->len += n;
    j->buf[j->len] = '\0';
    j->any = true;
    return MHD_YES;
}

/* The request's client: the TCP peer, or behind a trusted proxy the
 * address its X-Forwarded-For names (proxy.h). */
static void client_addr(const wardd *w, struct MHD_Connection *c, conn_state *st)
{
    snprintf(st->req.addr, sizeof st->req.addr, "unknown");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    uint8_t peer[16], client[16];
    if (ci == NULL || !wardd_addr_of(ci->client_addr, peer)) {
        return;
    }
    memcpy(client, peer, 16);
    if (w->cfg.trusted_proxy.n > 0 && wardd_cidrs_match(&w->cfg.trusted_proxy, peer)) {
        xff_join j = { .len = 0 };
        j.buf[0] = '\0';
        MHD_get_connection_values(c, MHD_HEADER_KIND, xff_add, &j);
        /* Past the cap the list is not read: the proxy is the client. */
        st->forwarded = wardd_client_resolve(&w->cfg.trusted_proxy, peer,
                                             j.any && !j.over ? j.buf : NULL, client);
    }
    wardd_addr_text(client, st->req.addr, sizeof st->req.addr);
    if (st->forwarded) {
        wardd_addr_text(peer, st->peer, sizeof st->peer);
    }
}

static enum MHD_Result send_resp(struct MHD_Connection *c, conn_state *st,
                                 wardd_resp *resp)
{
    struct MHD_Response *r;
    const char *type = "application/json";
    const char *text;
    size_t n;
    if (resp->has_fd) {
        /* An image, read by libmicrohttpd from its file (which it closes). */
        text = "";
        n = 0;
        type = resp->content_type;
        r = MHD_create_response_from_fd_at_offset64(resp->fd_len, resp->fd, resp->fd_off);
        if (r != NULL) {
            resp->has_fd = false;
        }
    } else if (resp->body != NULL) {
        /* Bytes of their own type (the OpenAPI document, /metrics). */
        text = resp->body;
        n = resp->body_len;
        type = resp->content_type;
        r = MHD_create_response_from_buffer(n, (void *)resp->body,
                                            resp->body_owned ? MHD_RESPMEM_MUST_FREE
                                                             : MHD_RESPMEM_PERSISTENT);
        if (r != NULL || !resp->body_owned) {
            resp->body_owned = false;   /* r's now, or static */
        }
    } else {
        char *made = NULL;
        if (resp->json != NULL) {
            made = cJSON_PrintUnformatted(resp->json);
        }
        if (made == NULL) {
            made = strdup("{\"error\":\"internal\",\"message\":\"no answer\"}");
            resp->status = 500;
        }
        text = made;
        n = made ? strlen(made) : 0;
        r = MHD_create_response_from_buffer(n, made, MHD_RESPMEM_MUST_FREE);
        if (r == NULL) {
            free(made);
        }
    }
    if (r == NULL) {
        wardd_reply(resp, resp->status, NULL);  /* frees what is still ours */
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (resp->retry_after_s > 0) {
        char ra[32];
        snprintf(ra, sizeof ra, "%ld", resp->retry_after_s);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    for (unsigned i = 0; i < resp->nhdr; i++) {
        MHD_add_response_header(r, resp->hdr_name[i], resp->hdr_value[i]);
    }
    /* Test-only (record.h); off, a test of a pointer. text is r's now. */
    wardd_record(st->req.method, st->bad_uri ? NULL : st->req.path, resp->status,
                 type, resp->retry_after_s, text ? text : "", n);
    enum MHD_Result ret = MHD_queue_response(c, resp->status, r);
    MHD_destroy_response(r);

    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t us = (int64_t)(t1.tv_sec - st->t0.tv_sec) * 1000000 +
                 (t1.tv_nsec - st->t0.tv_nsec) / 1000;
    long ms = (long)(us / 1000);
    wardd_metrics_request(st->route, resp->status, us > 0 ? (uint64_t)us : 0);
    /* The path holds at most a task id, an op id or an SN, none secret;
     * the query (an op's capability token) is never logged. via: the
     * trusted proxy the request came through. */
    const char *method = st->req.method ? st->req.method : "-";
    const char *path = st->bad_uri ? "-" : st->req.path;
    const char *signer = resp->signer[0] ? resp->signer : "-";
    if (st->forwarded) {
        wardd_log("info", "request",
                  "method=%s path=%s status=%u addr=%s via=%s signer=%s ms=%ld", method, path,
                  resp->status, st->req.addr, st->peer, signer, ms);
    } else {
        wardd_log("info", "request", "method=%s path=%s status=%u addr=%s signer=%s ms=%ld",
                  method, path, resp->status, st->req.addr, signer, ms);
    }
    cJSON_Delete(resp->json);
    resp->json = NULL;
    return ret;
}

static void dispatch(wardd *w, conn_state *st, wardd_resp *resp)
{
    if (st->bad_uri) {
        wardd_fail(resp, 414, "format", "request target too long");
        return;
    }
    if (st->too_big) {
        wardd_fail(resp, 413, "format", "body too large");
        return;
    }
    bool path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!match(routes[i].pattern, st->req.path, st->req.param, sizeof st->req.param)) {
            continue;
        }
        path_known = true;
        if (strcmp(routes[i].method, st->req.method) == 0) {
            st->route = (int)i;
            routes[i].fn(w, &st->req, resp);
            return;
        }
    }
    if (path_known) {
        wardd_fail(resp, 405, "format", "method not allowed");
    } else {
        wardd_fail(resp, 404, "notfound", "no such resource");
    }
}

/* Frees the request's body, wiped first: it may hold a code (a phone
 * code, a bind code) that no handler's wiping of its own copies reaches. */
static void body_drop(conn_state *st)
{
    if (st->body != NULL) {
        ward_wipe(st->body, st->len);
        free(st->body);
        st->body = NULL;
    }
    st->len = 0;
}

/* Routes the request and queues its answer; the lines it logs leave with
 * its access line in one write. */
static enum MHD_Result answer(wardd *w, struct MHD_Connection *c, conn_state *st)
{
    wardd_resp resp = { 0 };
    /* No deadline while wardd works on it: a long-poll waits here. */
    wardd_guard_phase(st->guard, WARDD_PHASE_HANDLER);
    wardd_log_hold();
    dispatch(w, st, &resp);
    enum MHD_Result ret = send_resp(c, st, &resp);
    wardd_log_release();
    wardd_guard_phase(st->guard, WARDD_PHASE_REPLY);
    return ret;
}

/* Queues an answer made before routing (an early hook's refusal). */
static enum MHD_Result answer_with(struct MHD_Connection *c, conn_state *st, wardd_resp *resp)
{
    wardd_log_hold();
    enum MHD_Result ret = send_resp(c, st, resp);
    wardd_log_release();
    wardd_guard_phase(st->guard, WARDD_PHASE_REPLY);
    return ret;
}

/* The early hook of the request's route, if it has one (st->route set). */
static const early_hook *early_of(conn_state *st)
{
    if (st->bad_uri) {
        return NULL;
    }
    for (size_t i = 0; i < NROUTES; i++) {
        if (strcmp(routes[i].method, st->req.method) != 0 ||
            !match(routes[i].pattern, st->req.path, st->req.param, sizeof st->req.param)) {
            continue;
        }
        for (size_t k = 0; k < sizeof early_hooks / sizeof early_hooks[0]; k++) {
            if (early_hooks[k].fn == routes[i].fn) {
                st->route = (int)i;
                return &early_hooks[k];
            }
        }
        return NULL;
    }
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    wardd *w = cls;
    conn_state *st = *con_cls;
    if (st == NULL) {
        return MHD_NO;
    }
    if (!st->started) {
        st->started = true;
        st->req.method = method;
        st->req.header = get_header;
        st->req.arg = get_arg;
        st->req.ctx = c;
        client_addr(w, c, st);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        st->body_max = WARDD_BODY_MAX;
        const early_hook *hook = early_of(st);
        if (hook != NULL) {
            wardd_resp resp = { 0 };
            if (!hook->check(w, &st->req, &st->body_max, &resp)) {
                /* Refused on its headers: its body is never read. */
                return answer_with(c, st, &resp);
            }
            st->early = hook;
        }
        if (cl != NULL && strtoull(cl, NULL, 10) > st->body_max) {
            /* Answer before the body is read: nothing of it is needed. */
            st->too_big = true;
            return answer(w, c, st);
        }
        /* The headers are in; the body has its own deadline. */
        wardd_guard_phase(st->guard, WARDD_PHASE_BODY);
        return MHD_YES;
    }
    if (*upload_size != 0) {
        if (!st->too_big) {
            if (st->len + *upload_size > st->body_max) {
                st->too_big = true;
                body_drop(st);
            } else {
                if (st->body == NULL) {
                    st->body = malloc(st->body_max + 1);
                    if (st->body == NULL) {
                        return MHD_NO;
                    }
                }
                memcpy(st->body + st->len, upload, *upload_size);
                st->len += *upload_size;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    st->req.body = st->body ? st->body : (const uint8_t *)"";
    st->req.body_len = st->len;
    return answer(w, c, st);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    conn_state *st = *con_cls;
    /* A kept-alive connection's next request starts its deadline now. The
     * request's state holds the connection's entry; without one (no
     * memory for it) the entry is looked up. */
    wardd_guard_phase(st != NULL ? st->guard : guard_of(c), WARDD_PHASE_IDLE);
    if (st != NULL) {
        if (st->early != NULL) {
            st->early->done();
        }
        body_drop(st);
        free(st);
        *con_cls = NULL;
    }
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *buf = malloc(65536 + 1);
    size_t n = buf ? fread(buf, 1, 65536, f) : 0;
    fclose(f);
    if (buf == NULL || n == 0 || n == 65536) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* libmicrohttpd's own messages, which may quote what a client sent:
 * wardd_log escapes them like any value. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[256];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r')) {
        len--;
    }
    msg[len] = '\0';
    wardd_log("warn", "http", "msg=%s", msg);
}

/* The accept policy: the per-address cap, except for a trusted proxy,
 * which carries every client behind it (it limits them itself). */
static enum MHD_Result admit(void *cls, const struct sockaddr *addr, socklen_t len)
{
    struct wardd_http *h = cls;
    uint8_t a[16];
    bool whole = addr != NULL &&
                 ((addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) ||
                  (addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)));
    if (h->trusted->n > 0 && whole && wardd_addr_of(addr, a) &&
        wardd_cidrs_match(h->trusted, a)) {
        return MHD_YES;
    }
    if (wardd_guard_admit(h->guard, addr, len)) {
        return MHD_YES;
    }
    wardd_metric_inc(WARDD_C_CONN_REFUSED);
    return MHD_NO;
}

/* Every connection is tracked from its start to its close, for the cap
 * and the deadlines; libmicrohttpd closes the socket after CLOSED. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct wardd_http *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ad =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        *socket_context = wardd_guard_open(h->guard, fd != NULL ? fd->connect_fd : -1,
                                           ad != NULL ? ad->client_addr : NULL);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        wardd_guard_close(*socket_context);
        *socket_context = NULL;
    }
}

ward_err wardd_http_start(wardd *w, struct wardd_http **out, unsigned *port)
{
    struct wardd_http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        return WARD_ERR_NOSPACE;
    }
    h->trusted = &w->cfg.trusted_proxy;
    const char *methods[NROUTES], *patterns[NROUTES], *relays[NROUTES];
    for (size_t i = 0; i < NROUTES; i++) {
        methods[i] = routes[i].method;
        patterns[i] = routes[i].pattern;
        relays[i] = routes[i].relay;
    }
    wardd_metrics_routes(methods, patterns, relays, NROUTES);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%u", w->cfg.listen_port);
    struct addrinfo hints = { 0 }, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(w->cfg.listen_host, portstr, &hints, &ai) != 0 || ai == NULL) {
        wardd_log("error", "bad_listen", "host=%s", w->cfg.listen_host);
        free(h);
        return WARD_ERR_PARAM;
    }
    /* ITC: needed to quiesce the daemon at shutdown. POLL: each
     * connection's thread waits in poll(2), not select(2), which cost
     * in proportion to the highest descriptor and stops at FD_SETSIZE. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_USE_POLL;
    if (ai->ai_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    bool tls = w->cfg.tls_cert[0] != '\0' || w->cfg.tls_key[0] != '\0';
    if (tls) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            wardd_log("error", "tls_unsupported", NULL);
            freeaddrinfo(ai);
            free(h);
            return WARD_ERR_UNSUPPORTED;
        }
        h->cert = read_file(w->cfg.tls_cert);
        h->key = read_file(w->cfg.tls_key);
        if (h->cert == NULL || h->key == NULL) {
            wardd_log("error", "tls_files", "cert=%s key=%s", w->cfg.tls_cert, w->cfg.tls_key);
            freeaddrinfo(ai);
            wardd_http_stop(h);
            return WARD_ERR_IO;
        }
        flags |= MHD_USE_TLS;
    }
    /* An END entry first makes the TLS array empty when TLS is off. */
    struct MHD_OptionItem tls_opts[] = {
        { tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, h->cert },
        { MHD_OPTION_HTTPS_MEM_KEY, 0, h->key },
        { MHD_OPTION_END, 0, NULL },
    };
    wardd_guard_cfg gcfg = {
        .max_connections = w->cfg.max_connections,
        .per_addr = w->cfg.max_per_addr,
        .header_ms = w->cfg.header_deadline_s * 1000,
        .body_ms = w->cfg.body_deadline_s * 1000,
    };
    if (wardd_guard_start(&gcfg, &h->guard) != WARD_OK) {
        freeaddrinfo(ai);
        wardd_http_stop(h);
        return WARD_ERR_NOSPACE;
    }
    h->d = MHD_start_daemon(flags, 0, admit, h, on_request, w,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
                            MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_CONNECTION_LIMIT, w->cfg.max_connections,
                            /* Longer than the longest long-poll. */
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(WARDD_WAIT_MAX_S + 30),
                            MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                            MHD_OPTION_ARRAY, tls_opts,
                            MHD_OPTION_END);
    freeaddrinfo(ai);
    if (h->d == NULL) {
        wardd_http_stop(h);
        return WARD_ERR_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = di ? di->port : w->cfg.listen_port;
    *out = h;
    return WARD_OK;
}

void wardd_http_stop(struct wardd_http *h)
{
    if (h == NULL) {
        return;
    }
    if (h->d != NULL) {
        /* Stop accepting, then give requests in flight (long-polls woken
         * by the caller) a moment to send their answers: stopping the
         * daemon cuts every connection still open. */
        MHD_socket ls = MHD_quiesce_daemon(h->d);
        if (ls != MHD_INVALID_SOCKET) {
            close(ls);
        }
        for (int i = 0; i < 100; i++) {
            const union MHD_DaemonInfo *di =
                MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
            if (di == NULL || di->num_connections == 0) {
                break;
            }
            struct timespec ts = { 0, 20 * 1000000L };
            nanosleep(&ts, NULL);
        }
        MHD_stop_daemon(h->d);
    }
    /* After the daemon: closing connections still report to it. */
    wardd_guard_free(h->guard);
    free(h->cert);
    free(h->key);
    free(h);
}
