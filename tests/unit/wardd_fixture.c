/* Stand-ins for wardd in the unit tests of the agent and the app (wardd_fixture.h). */
#include "ward_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wardd_fixture.h"

/* ---- the agent over a scripted transport ---- */

static ward_err fake_request(void *ctx, const ward_host *host, const char *server,
                             const char *method, const char *target, const uint8_t *body,
                             size_t body_len, const ward_http_signer *signer,
                             ward_http_response *resp)
{
    wf_transport *f = ctx;
    (void)server;
    f->calls++;
    snprintf(f->method, sizeof f->method, "%s", method);
    snprintf(f->target, sizeof f->target, "%s", target);
    snprintf(f->body, sizeof f->body, "%.*s", (int)body_len, body ? (const char *)body : "");
    snprintf(f->keyid, sizeof f->keyid, "%s", signer ? signer->keyid : "");
    f->cancellable = host->cancelled != NULL;
    if (f->calls <= 16) {
        snprintf(f->log[f->calls - 1], sizeof f->log[0], "%s %s", method, target);
    }
    if (f->nscript > 0) {
        int i = f->calls - 1 < f->nscript ? f->calls - 1 : f->nscript - 1;
        f->answer = f->script[i];
        f->status = f->script_status[i];
    }
    memset(resp, 0, sizeof *resp);
    if (f->err != WARD_OK) {
        snprintf(resp->error, sizeof resp->error, "Connection refused");
        return f->err;
    }
    resp->status = f->status;
    resp->body = strdup(f->answer ? f->answer : "{}");
    resp->body_len = strlen(resp->body);
    return WARD_OK;
}

static bool never(void *ctx)
{
    (void)ctx;
    return false;
}

static const ward_http_signer test_signer = { "lock:SN1", NULL, NULL };

void wf_agent_setup(wf_agent *x)
{
    memset(x, 0, sizeof *x);
    x->f.status = 200;
    x->t.request = fake_request;
    x->t.ctx = &x->f;
    ward_host h;
    ward_host_init(&h);
    assert_int_equal(ward_agent_init(&x->ag, &x->t, &h, "http://127.0.0.1:1", &test_signer),
                     WARD_OK);
    x->ag.cancelled = never;
}

/* ---- a scripted wardd on loopback ---- */

/* Reads one request (headers and the body Content-Length names). */
static void read_request(int c, wf_wardd *w)
{
    char buf[16384];
    size_t got = 0;
    char *end = NULL;
    while (got < sizeof buf - 1 && end == NULL) {
        ssize_t k = read(c, buf + got, sizeof buf - 1 - got);
        if (k <= 0) {
            return;
        }
        got += (size_t)k;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (end == NULL) {
        return;
    }
    char *sp = strchr(buf, ' ');
    char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
    if (sp && sp2) {
        snprintf(w->last_target, sizeof w->last_target, "%.*s", (int)(sp2 - sp - 1), sp + 1);
    }
    const char *cl = strcasestr(buf, "content-length:");
    size_t want = cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
    size_t have = got - (size_t)(end + 4 - buf);
    while (have < want) {
        ssize_t k = read(c, buf, sizeof buf);
        if (k <= 0) {
            return;
        }
        have += (size_t)k;
    }
}

static void *serve(void *arg)
{
    wf_wardd *w = arg;
    for (size_t i = 0; i < w->n; i++) {
        int c = accept(w->fd, NULL, NULL);
        if (c < 0) {
            return NULL;
        }
        read_request(c, w);
        char head[256];
        const char *body = w->answers[i].body;
        int hl = snprintf(head, sizeof head,
                          "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
                          w->answers[i].status, strlen(body),
                          w->answers[i].status == 429 ? "Retry-After: 7\r\n" : "");
        (void)!write(c, head, (size_t)hl);
        (void)!write(c, body, strlen(body));
        close(c);
    }
    return NULL;
}

void wf_wardd_start(wf_wardd *w, const wf_canned *answers, size_t n)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    memset(w, 0, sizeof *w);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    w->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(w->fd >= 0);
    assert_int_equal(bind(w->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(w->fd, 8), 0);
    assert_int_equal(getsockname(w->fd, (struct sockaddr *)&a, &al), 0);
    w->port = ntohs(a.sin_port);
    w->answers = answers;
    w->n = n;
    assert_int_equal(pthread_create(&w->th, NULL, serve, w), 0);
}

void wf_wardd_stop(wf_wardd *w)
{
    pthread_join(w->th, NULL);
    close(w->fd);
}

void wf_app_start(wf_app *x, const char *root, const char *name, const wf_canned *answers,
                  size_t n)
{
    char dir[512], url[64];
    memset(x, 0, sizeof *x);
    if (n > 0) {
        wf_wardd_start(&x->w, answers, n);
    }
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", n > 0 ? x->w.port : 1);
    ward_host_init(&x->host);
    assert_int_equal(ward_app_create(&x->app, &x->host, dir, "alice", "+8613800000000", url),
                     WARD_OK);
}

/* ---- the temporary directory ---- */

int wf_root_make(char *root, size_t cap, const char *name)
{
    int n = snprintf(root, cap, "/tmp/ward_test_%s.XXXXXX", name);
    return n > 0 && (size_t)n < cap && mkdtemp(root) != NULL ? 0 : -1;
}

int wf_root_remove(const char *root)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}
