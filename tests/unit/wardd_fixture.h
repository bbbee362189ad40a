/* Stand-ins for wardd in the unit tests of its callers: a scripted transport for the agent,
 * a scripted server on loopback for the app, and the temporary directory their state is in. */
#ifndef WARDD_FIXTURE_H
#define WARDD_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "ward/ward_agent.h"
#include "ward/ward_app.h"
#include "ward/ward_host.h"
#include "ward/ward_httpsig.h"

/* ---- the agent over a scripted transport ---- */

/* What the transport saw, and what it answers. */
typedef struct wf_transport {
    int calls;
    char method[8];
    char target[512];
    char body[4096];
    char keyid[WARD_HTTPSIG_KEYID_MAX + 1];
    bool cancellable;         /* the host it got carried a stop hook */
    ward_err err;             /* to return (and "Connection refused" as the reason) */
    long status;
    const char *answer;
    /* A script of answers, one per call, when nscript > 0 (the last
     * repeats), and every target in order. */
    const char *script[8];
    long script_status[8];
    int nscript;
    char log[16][160];
} wf_transport;

/* One agent, its transport and a line for its errors. */
typedef struct wf_agent {
    ward_agent ag;
    ward_agent_transport t;
    wf_transport f;
    char why[256];
} wf_agent;

/* An agent at http://127.0.0.1:1 signing as "lock:SN1" (no key: the
 * transport never signs), never cancelled, over x->f answering 200 "{}". */
void wf_agent_setup(wf_agent *x);

/* ---- a scripted wardd on loopback: one canned answer per connection ---- */

typedef struct wf_canned {
    int status;               /* 429 also sends Retry-After: 7 */
    const char *body;
} wf_canned;

typedef struct wf_wardd {
    int fd;
    int port;
    const wf_canned *answers;
    size_t n;
    char last_target[256];    /* the request line's target of the last request */
    pthread_t th;
} wf_wardd;

/* Serves answers[0..n-1] to the next n connections, in a thread. */
void wf_wardd_start(wf_wardd *w, const wf_canned *answers, size_t n);
/* Waits until all n were served. */
void wf_wardd_stop(wf_wardd *w);

/* An app (alice, +8613800000000) in root/name, its server the scripted
 * wardd serving answers; n 0: no server, a port nobody listens on. */
typedef struct wf_app {
    wf_wardd w;
    ward_host host;
    ward_app app;
} wf_app;

void wf_app_start(wf_app *x, const char *root, const char *name, const wf_canned *answers,
                  size_t n);

/* ---- the temporary directory (cmocka group setup and teardown) ---- */

/* /tmp/ward_test_<name>.XXXXXX made into root; 0 on success. */
int wf_root_make(char *root, size_t cap, const char *name);
/* Removes it and all in it; 0 on success. */
int wf_root_remove(const char *root);

#endif /* WARDD_FIXTURE_H */
