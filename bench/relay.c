/* bench_relay: a load generator for flow B against a real wardd on loopback. */
/*
 *   bench_relay factory DIR
 *       writes DIR/factory.key and DIR/factory.pub (wardd --factory-pub)
 *   bench_relay run --url URL --factory DIR [--pairs P] [--workers W]
 *                   [--seconds S] [--verify-cpu C] [--wardd-pid PID]
 *                   [--outbox DIR]  (wardd's SMS outbox, default DIR/outbox
 *                   of --factory: the phone codes of the accounts)
 *
 * Setup: P locks (on RAM flash, the real core) and P users, each lock
 * activated, each user registered and bound to its lock through wardd's
 * HTTP API, as the real roles do it. Then, each phase bounded by S
 * seconds, W threads with one keep-alive connection each:
 *   verify  cp->ecdsa_p256_verify in a loop on CPU C (wardd's core, idle);
 *   floor   two unsigned GET /v1/health per iteration: the HTTP round
 *           trips a relay cannot avoid, hence the ceiling a relay has on
 *           this machine (two round trips plus one verify);
 *   cycle   closed loop: POST /v1/ops (lock), POST answer (app, a sealed
 *           APPROVAL), GET answer with the token and ward_op_lock_accept
 *           (lock), POST result (lock): full unlock cycles per second;
 *   relay   ops made beforehand (not timed), then answer POST + fetch as
 *           fast as possible: relays per second, against the verify rate;
 *   paced   open loop at half of each maximum: p50/p99 latency of the
 *           full cycle and of the relay (from the scheduled start, so a
 *           backlog counts).
 * Every answer is checked (status, the approval fetched is the one sent,
 * the lock's verdict); any failure ends the run with exit 1. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_backend.h"
#include "bench_http.h"
#include "bench_lock.h"
#include "ward/ward_bind.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_op.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_suite.h"

#define TOKEN_LEN 16
#define B64_MAX(n) (((n) + 2) / 3 * 4 + 1)

typedef struct pair {
    bench_lock bl;
    bench_app app;
    char lock_keyid[WARD_HTTPSIG_KEYID_MAX];
    char user_keyid[WARD_HTTPSIG_KEYID_MAX];
} pair;

/* An op made ahead of a relay phase. */
typedef struct pool_op {
    pair *p;
    char op_id[40];
    char token[2 * TOKEN_LEN + 1];
    uint8_t req[WARD_OP_REQUEST_MAX];
    size_t req_len;
} pool_op;

typedef struct lat_buf {
    uint64_t *v;
    size_t n, cap;
} lat_buf;

typedef struct worker {
    pthread_t th;
    unsigned idx;
    bench_http h;
    pair **pairs;          /* the pairs this worker owns */
    size_t npairs, next;
    uint64_t done;
    int failed;
    lat_buf cycle_lat, relay_lat;
} worker;

static const ward_crypto *cp;
static const char *base_url;
static char outbox_dir[1024];
static uint8_t factory_priv[WARD_P256_SCALAR_LEN];

/* Phase control, set by main before the threads start. */
static uint64_t phase_deadline_ns;
static uint64_t pace_start_ns, pace_interval_ns;   /* interval 0: closed loop */
static atomic_ulong pace_slot;
static pool_op *pool;
static size_t pool_size;
static atomic_ulong pool_next;
static size_t pool_per_worker;
static unsigned nworkers;

static void note(worker *w, const char *what, long status)
{
    if (!w->failed) {
        fprintf(stderr, "bench_relay: worker %u: %s: status %ld: %.300s\n", w->idx, what,
                status, w->h.resp ? w->h.resp : "");
    }
    w->failed = 1;
}

static void lat_add(lat_buf *b, uint64_t ns)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        uint64_t *v = realloc(b->v, cap * sizeof *v);
        if (v == NULL) {
            return;
        }
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = ns;
}

static ward_err sign_lock(void *ctx, const char *base, size_t len, uint8_t sig[WARD_P256_SIG_LEN])
{
    return ward_lock_sign_request(&((pair *)ctx)->bl.lock, base, len, sig);
}

static ward_err sign_user(void *ctx, const char *base, size_t len, uint8_t sig[WARD_P256_SIG_LEN])
{
    const bench_app *app = &((pair *)ctx)->app;
    return ward_httpsig_sign_by(cp, &app->keys, WARD_KEY_APP_CLIENT, base, len, sig);
}

/* The factory's key is kept in factory.key; it signs through a software
 * keystore, as every long-term key does. */
static ward_err factory_sign(const ward_activation *a, uint8_t *msg, size_t cap, size_t *len)
{
    ward_keystore_soft soft;
    ward_keystore ks;
    ward_keystore_soft_init(&soft, cp, NULL, &ks);
    ward_err err = ward_keystore_soft_load(&soft, WARD_KEY_FACTORY, factory_priv);
    if (err == WARD_OK) {
        err = ward_activation_sign_by(cp, &ks, WARD_KEY_FACTORY, a, msg, cap, len);
    }
    ward_keystore_soft_wipe(&soft);
    return err;
}

static bench_signer lock_signer(pair *p)
{
    bench_signer s = { p->lock_keyid, sign_lock, p };
    return s;
}

static bench_signer user_signer(pair *p)
{
    bench_signer s = { p->user_keyid, sign_user, p };
    return s;
}

static int b64(const uint8_t *in, size_t len, char *out, size_t cap)
{
    return ward_b64_encode(in, len, out, cap) == WARD_OK ? 0 : -1;
}

/* ---- setup: flow A through wardd ---- */

static int setup_pair(worker *w, pair *p, unsigned n)
{
    char sn[WARD_SN_MAX + 1], uid[WARD_UID_MAX + 1], phone[WARD_PHONE_MAX + 1];
    char body[2048], enc[1024], hex[80], path[128];
    uint8_t snb[WARD_SN_MAX], pub[WARD_P256_POINT_LEN], msg[WARD_BIND_BLOB_MAX];
    size_t len = 0;
    long st;
    snprintf(sn, sizeof sn, "BENCH-%05u", n);
    snprintf(uid, sizeof uid, "bench%05u", n);
    snprintf(phone, sizeof phone, "+86139%08u", n);
    snprintf(p->lock_keyid, sizeof p->lock_keyid, "lock:%s", sn);
    snprintf(p->user_keyid, sizeof p->user_keyid, "user:%s", uid);
    if (bench_lock_init(&p->bl, cp, sn) != WARD_OK ||
        bench_app_init(&p->app, cp, uid, phone) != WARD_OK) {
        note(w, "lock or app init", 0);
        return -1;
    }
    bench_signer ls = lock_signer(p), us = user_signer(p);

    /* The factory's activation of the lock. */
    ward_activation a;
    if (ward_lock_activation(&p->bl.lock, snb, pub, &a) != WARD_OK ||
        factory_sign(&a, msg, sizeof msg, &len) != WARD_OK ||
        b64(msg, len, enc, sizeof enc) != 0) {
        note(w, "activation", 0);
        return -1;
    }
    snprintf(body, sizeof body, "{\"activation\":\"%s\"}", enc);
    st = bench_http_call(&w->h, "POST", "/v1/locks", NULL, body, &ls);
    if (st != 201 && st != 200) {
        note(w, "POST /v1/locks", st);
        return -1;
    }
    /* The user's account. */
    b64(p->app.pub, sizeof p->app.pub, enc, sizeof enc);
    snprintf(body, sizeof body, "{\"user\":\"%s\",\"phone\":\"%s\",\"pub\":\"%s\"}", uid,
             phone, enc);
    st = bench_http_call(&w->h, "POST", "/v1/users", NULL, body, &us);
    if (st != 201 && st != 200) {
        note(w, "POST /v1/users", st);
        return -1;
    }
    /* Its phone, verified by the code wardd sent to it. */
    char code[WARD_BIND_CODE_LEN + 1];
    if (bench_outbox_code(outbox_dir, uid, code) != 0) {
        note(w, "no phone code in the outbox", 0);
        return -1;
    }
    snprintf(body, sizeof body, "{\"code\":\"%s\"}", code);
    st = bench_http_call(&w->h, "POST", "/v1/users/verify", NULL, body, &us);
    if (st != 200) {
        note(w, "POST /v1/users/verify", st);
        return -1;
    }
    /* The binding: QR, the app's upload, the code, the lock's fetch and
     * confirmation. */
    char qr[WARD_QR_JSON_MAX];
    bench_qr q;
    if (ward_bind_start(&p->bl.lock, (const uint8_t *)phone, strlen(phone), qr, sizeof qr,
                        &len) != WARD_OK ||
        bench_qr_parse(qr, &q) != WARD_OK ||
        bench_app_blob(&p->app, cp, sn, &q, msg, sizeof msg, &len) != WARD_OK ||
        b64(msg, len, enc, sizeof enc) != 0 ||
        ward_hex_encode(q.tid, sizeof q.tid, hex, sizeof hex) != WARD_OK) {
        note(w, "bind start", 0);
        return -1;
    }
    snprintf(body, sizeof body,
             "{\"tid\":\"%s\",\"sn\":\"%s\",\"phone\":\"%s\",\"code\":\"%s\",\"blob\":\"%s\"}",
             hex, sn, phone, q.code, enc);
    st = bench_http_call(&w->h, "POST", "/v1/bind/tasks", NULL, body, &us);
    if (st != 201) {
        note(w, "POST /v1/bind/tasks", st);
        return -1;
    }
    if (ward_bind_enter_code(&p->bl.lock, (const uint8_t *)q.code, WARD_BIND_CODE_LEN, NULL) !=
        WARD_OK) {
        note(w, "bind code", 0);
        return -1;
    }
    snprintf(path, sizeof path, "/v1/bind/tasks/%s", hex);
    st = bench_http_call(&w->h, "GET", path, NULL, NULL, &ls);
    uint8_t confirm[WARD_BIND_CONFIRM_MAX];
    size_t clen = 0;
    if (st != 200 || bench_json_str(w->h.resp, "blob", enc, sizeof enc) != 0 ||
        ward_b64_decode(enc, strlen(enc), msg, sizeof msg, &len) != WARD_OK ||
        ward_bind_finish(&p->bl.lock, msg, len, confirm, sizeof confirm, &clen) != WARD_OK ||
        b64(confirm, clen, enc, sizeof enc) != 0) {
        note(w, "GET bind task and finish", st);
        return -1;
    }
    snprintf(body, sizeof body, "{\"confirm\":\"%s\"}", enc);
    st = bench_http_call(&w->h, "POST", "/v1/bind/confirm", NULL, body, &ls);
    if (st != 200 || ward_bind_confirmed(&p->bl.lock) != WARD_OK) {
        note(w, "POST /v1/bind/confirm", st);
        return -1;
    }
    return 0;
}

static void *setup_main(void *arg)
{
    worker *w = arg;
    for (size_t i = 0; i < w->npairs && !w->failed; i++) {
        setup_pair(w, w->pairs[i], (unsigned)(w->idx + i * nworkers));
    }
    return NULL;
}

/* ---- the four steps ---- */

/* The lock's POST /v1/ops: op id and token out. */
static int op_create(worker *w, pair *p, ward_op_lock *op, uint8_t *req, size_t *req_len,
                     char op_id[40], char token_hex[2 * TOKEN_LEN + 1])
{
    uint8_t token[TOKEN_LEN], hash[WARD_SHA256_LEN];
    char enc[B64_MAX(WARD_OP_REQUEST_MAX)], hash_hex[2 * WARD_SHA256_LEN + 1], body[512];
    ward_iov iov = { token, sizeof token };
    if (ward_op_lock_request(&p->bl.lock, op, WARD_OP_UNLOCK, NULL, 0, req,
                             WARD_OP_REQUEST_MAX, req_len) != WARD_OK ||
        p->bl.rng.fill(p->bl.rng.ctx, token, sizeof token) != WARD_OK ||
        cp->sha256(&iov, 1, hash) != WARD_OK ||
        ward_hex_encode(token, sizeof token, token_hex, 2 * TOKEN_LEN + 1) != WARD_OK ||
        ward_hex_encode(hash, sizeof hash, hash_hex, sizeof hash_hex) != WARD_OK ||
        b64(req, *req_len, enc, sizeof enc) != 0) {
        note(w, "op request", 0);
        return -1;
    }
    snprintf(body, sizeof body, "{\"request\":\"%s\",\"token_hash\":\"%s\"}", enc, hash_hex);
    bench_signer ls = lock_signer(p);
    long st = bench_http_call(&w->h, "POST", "/v1/ops", NULL, body, &ls);
    if (st != 201 || bench_json_str(w->h.resp, "op_id", op_id, 40) != 0) {
        note(w, "POST /v1/ops", st);
        return -1;
    }
    return 0;
}

/* The relay: the app's signed answer with a real APPROVAL, then the
 * lock's fetch with its token. The approval fetched is written to appr. */
static int relay(worker *w, pair *p, const uint8_t *req, size_t req_len, const char *op_id,
                 const char *token_hex, uint8_t *appr, size_t *appr_len)
{
    ward_op_request r;
    char sent[B64_MAX(WARD_APPROVAL_MAX)], got[B64_MAX(WARD_APPROVAL_MAX)];
    char body[512], path[128], query[96];
    size_t len = 0;
    if (ward_op_request_parse(req, req_len, &r) != WARD_OK ||
        ward_approval_seal(cp, p->app.auth, &r, (const uint8_t *)p->app.uid,
                           strlen(p->app.uid), WARD_DECISION_ALLOW, appr, WARD_APPROVAL_MAX,
                           &len) != WARD_OK ||
        b64(appr, len, sent, sizeof sent) != 0) {
        note(w, "approval seal", 0);
        return -1;
    }
    snprintf(body, sizeof body, "{\"approval\":\"%s\"}", sent);
    snprintf(path, sizeof path, "/v1/ops/%s/answer", op_id);
    bench_signer us = user_signer(p);
    long st = bench_http_call(&w->h, "POST", path, NULL, body, &us);
    if (st != 200) {
        note(w, "POST answer", st);
        return -1;
    }
    snprintf(query, sizeof query, "token=%s&wait=0", token_hex);
    st = bench_http_call(&w->h, "GET", path, query, NULL, NULL);
    if (st != 200 || bench_json_str(w->h.resp, "approval", got, sizeof got) != 0 ||
        strcmp(got, sent) != 0) {
        note(w, "GET answer (or not the approval sent)", st);
        return -1;
    }
    *appr_len = len;
    return 0;
}

/* A full unlock: create, relay, accept on the lock, post the result. */
static int cycle(worker *w, pair *p, uint64_t *relay_ns)
{
    ward_op_lock op;
    ward_op_outcome out;
    uint8_t req[WARD_OP_REQUEST_MAX], appr[WARD_APPROVAL_MAX], res[WARD_OP_RESULT_MAX];
    char op_id[40], token[2 * TOKEN_LEN + 1], enc[B64_MAX(WARD_OP_RESULT_MAX)];
    char body[256], path[128], query[64];
    size_t req_len = 0, appr_len = 0, res_len = 0;
    memset(&op, 0, sizeof op);
    if (op_create(w, p, &op, req, &req_len, op_id, token) != 0) {
        return -1;
    }
    uint64_t t0 = bench_now_ns();
    if (relay(w, p, req, req_len, op_id, token, appr, &appr_len) != 0) {
        return -1;
    }
    *relay_ns = bench_now_ns() - t0;
    if (ward_op_lock_accept(&p->bl.lock, &op, appr, appr_len, &out, res, sizeof res,
                            &res_len) != WARD_OK ||
        !out.execute || b64(res, res_len, enc, sizeof enc) != 0) {
        note(w, "the lock refused the approval", 0);
        return -1;
    }
    snprintf(body, sizeof body, "{\"result\":\"%s\"}", enc);
    snprintf(path, sizeof path, "/v1/ops/%s/result", op_id);
    snprintf(query, sizeof query, "token=%s", token);
    long st = bench_http_call(&w->h, "POST", path, query, body, NULL);
    if (st != 200) {
        note(w, "POST result", st);
        return -1;
    }
    return 0;
}

/* ---- phases ---- */

static void sleep_until(uint64_t t_ns)
{
    for (;;) {
        uint64_t now = bench_now_ns();
        if (now >= t_ns) {
            return;
        }
        uint64_t d = t_ns - now;
        struct timespec ts = { (time_t)(d / 1000000000u), (long)(d % 1000000000u) };
        nanosleep(&ts, NULL);
    }
}

/* Closed loop, or open loop when pace_interval_ns is set: slot k starts
 * at pace_start_ns + k * interval, whichever worker is free takes it. */
static int next_start(uint64_t *sched)
{
    if (pace_interval_ns == 0) {
        *sched = bench_now_ns();
        return *sched < phase_deadline_ns;
    }
    unsigned long k = atomic_fetch_add(&pace_slot, 1);
    *sched = pace_start_ns + (uint64_t)k * pace_interval_ns;
    if (*sched >= phase_deadline_ns) {
        return 0;
    }
    sleep_until(*sched);
    return 1;
}

static void *cycle_main(void *arg)
{
    worker *w = arg;
    uint64_t sched, relay_ns = 0;
    while (!w->failed && next_start(&sched)) {
        pair *p = w->pairs[w->next++ % w->npairs];
        if (cycle(w, p, &relay_ns) != 0) {
            break;
        }
        w->done++;
        lat_add(&w->cycle_lat, bench_now_ns() - sched);
        lat_add(&w->relay_lat, relay_ns);
    }
    return NULL;
}

/* Fills this worker's share of the pool from its own locks. */
static void *pool_main(void *arg)
{
    worker *w = arg;
    for (size_t i = 0; i < pool_per_worker && !w->failed; i++) {
        size_t k = atomic_fetch_add(&pool_next, 1);
        if (k >= pool_size) {
            break;
        }
        pool_op *o = &pool[k];
        ward_op_lock op;
        memset(&op, 0, sizeof op);
        o->p = w->pairs[w->next++ % w->npairs];
        if (op_create(w, o->p, &op, o->req, &o->req_len, o->op_id, o->token) != 0) {
            break;
        }
    }
    return NULL;
}

static void *relay_main(void *arg)
{
    worker *w = arg;
    uint64_t sched;
    uint8_t appr[WARD_APPROVAL_MAX];
    size_t len = 0;
    while (!w->failed && next_start(&sched)) {
        size_t k = atomic_fetch_add(&pool_next, 1);
        if (k >= pool_size) {
            break;
        }
        pool_op *o = &pool[k];
        if (relay(w, o->p, o->req, o->req_len, o->op_id, o->token, appr, &len) != 0) {
            break;
        }
        w->done++;
        lat_add(&w->relay_lat, bench_now_ns() - sched);
    }
    return NULL;
}

/* Two unsigned GET /v1/health round trips: what a relay's two requests
 * cost wardd's HTTP stack with no signature, no store and no JSON body. */
static void *floor_main(void *arg)
{
    worker *w = arg;
    uint64_t sched;
    while (!w->failed && next_start(&sched)) {
        for (int i = 0; i < 2; i++) {
            if (bench_http_call(&w->h, "GET", "/v1/health", NULL, NULL, NULL) != 200) {
                fprintf(stderr, "bench_relay: GET /v1/health failed\n");
                w->failed = 1;
                return NULL;
            }
        }
        w->done++;
    }
    return NULL;
}

/* Runs fn on every worker and waits; answers 0 unless one failed. */
static int run_workers(worker *ws, unsigned n, void *(*fn)(void *))
{
    int failed = 0;
    for (unsigned i = 0; i < n; i++) {
        ws[i].done = 0;
        ws[i].cycle_lat.n = 0;
        ws[i].relay_lat.n = 0;
        if (pthread_create(&ws[i].th, NULL, fn, &ws[i]) != 0) {
            fprintf(stderr, "bench_relay: cannot start a thread\n");
            exit(1);
        }
    }
    for (unsigned i = 0; i < n; i++) {
        pthread_join(ws[i].th, NULL);
        failed |= ws[i].failed;
    }
    return failed;
}

static uint64_t total_done(const worker *ws, unsigned n)
{
    uint64_t t = 0;
    for (unsigned i = 0; i < n; i++) {
        t += ws[i].done;
    }
    return t;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* p50 and p99 in ms of one latency kind over all workers. */
static void percentiles(const worker *ws, unsigned n, size_t off, double *p50, double *p99,
                        size_t *count)
{
    size_t total = 0, k = 0;
    for (unsigned i = 0; i < n; i++) {
        total += ((const lat_buf *)((const char *)&ws[i] + off))->n;
    }
    *p50 = *p99 = 0;
    *count = total;
    if (total == 0) {
        return;
    }
    uint64_t *all = malloc(total * sizeof *all);
    if (all == NULL) {
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        const lat_buf *b = (const lat_buf *)((const char *)&ws[i] + off);
        memcpy(all + k, b->v, b->n * sizeof *all);
        k += b->n;
    }
    qsort(all, total, sizeof *all, cmp_u64);
    *p50 = (double)all[(total - 1) * 50 / 100] / 1e6;
    *p99 = (double)all[(total - 1) * 99 / 100] / 1e6;
    free(all);
}

/* CPU seconds wardd has used so far (utime + stime), -1 if unknown. */
static double wardd_cpu_s(long pid)
{
    char path[64], line[1024];
    if (pid <= 0) {
        return -1;
    }
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    const char *p = strrchr(line, ')');
    unsigned long ut = 0, st = 0;
    /* After the comm: state and 11 fields, then utime and stime. */
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                            &ut, &st) != 2) {
        return -1;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- the ECDSA verify rate on wardd's core ---- */

typedef struct verify_job {
    int cpu;
    double seconds;
    double rate;
    int failed;
} verify_job;

static void *verify_main(void *arg)
{
    verify_job *j = arg;
    ward_random rng = ward_random_posix();
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN];
    uint8_t digest[WARD_SHA256_LEN], sig[WARD_P256_SIG_LEN];
    if (j->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((size_t)j->cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            fprintf(stderr, "bench_relay: cannot pin the verify loop to CPU %d: %s\n", j->cpu,
                    strerror(errno));
        }
    }
    if (ward_p256_keygen(cp, &rng, priv, pub) != WARD_OK ||
        rng.fill(rng.ctx, digest, sizeof digest) != WARD_OK ||
        cp->ecdsa_p256_sign(priv, digest, sig) != WARD_OK) {
        j->failed = 1;
        return NULL;
    }
    uint64_t n = 0, t0 = bench_now_ns(), end = t0 + (uint64_t)(j->seconds * 1e9), now;
    do {
        for (int i = 0; i < 16; i++) {
            if (cp->ecdsa_p256_verify(pub, digest, sig) != WARD_OK) {
                j->failed = 1;
                return NULL;
            }
        }
        n += 16;
        now = bench_now_ns();
    } while (now < end);
    j->rate = (double)n / ((double)(now - t0) / 1e9);
    return NULL;
}

/* ---- commands ---- */

static int cmd_factory(const char *dir)
{
    ward_random rng = ward_random_posix();
    uint8_t pub[WARD_P256_POINT_LEN];
    char hex[2 * WARD_P256_POINT_LEN + 2], path[1024];
    if (ward_p256_keygen(cp, &rng, factory_priv, pub) != WARD_OK) {
        return 1;
    }
    const struct {
        const char *name;
        const uint8_t *v;
        size_t n;
    } files[] = { { "factory.key", factory_priv, sizeof factory_priv },
                  { "factory.pub", pub, sizeof pub } };
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
        FILE *f = fopen(path, "w");
        if (f == NULL || ward_hex_encode(files[i].v, files[i].n, hex, sizeof hex) != WARD_OK ||
            fprintf(f, "%s\n", hex) < 0 || fclose(f) != 0) {
            fprintf(stderr, "bench_relay: cannot write %s\n", path);
            return 1;
        }
    }
    return 0;
}

static int load_factory(const char *dir)
{
    return bench_factory_load(dir, factory_priv);
}

typedef struct run_opts {
    unsigned pairs, workers;
    double seconds;
    int verify_cpu;
    long wardd_pid;
    bool relays_only;       /* for profilers: setup, the pool, one relay phase */
} run_opts;

/* One timed phase: runs fn on the workers until the deadline, prints
 * nothing, answers the rate and the CPU wardd and the generator used. */
static int timed(worker *ws, const run_opts *o, void *(*fn)(void *), uint64_t interval_ns,
                 double *rate, double *wardd_util, double *gen_util)
{
    double w0 = wardd_cpu_s(o->wardd_pid), g0 = self_cpu_s();
    uint64_t t0 = bench_now_ns();
    pace_start_ns = t0 + 1000000u;
    pace_interval_ns = interval_ns;
    atomic_store(&pace_slot, 0);
    phase_deadline_ns = t0 + (uint64_t)(o->seconds * 1e9);
    if (run_workers(ws, o->workers, fn) != 0) {
        return -1;
    }
    double el = (double)(bench_now_ns() - t0) / 1e9;
    double w1 = wardd_cpu_s(o->wardd_pid), g1 = self_cpu_s();
    *rate = (double)total_done(ws, o->workers) / el;
    *wardd_util = w0 >= 0 && w1 >= 0 ? (w1 - w0) / el : -1;
    *gen_util = (g1 - g0) / el;
    return 0;
}

/* Makes n ops ahead of a relay phase (not timed). */
static int fill_pool(worker *ws, const run_opts *o, size_t n)
{
    free(pool);
    pool = calloc(n ? n : 1, sizeof *pool);
    if (pool == NULL) {
        return -1;
    }
    pool_size = n;
    pool_per_worker = (n + o->workers - 1) / o->workers;
    atomic_store(&pool_next, 0);
    if (run_workers(ws, o->workers, pool_main) != 0) {
        return -1;
    }
    pool_size = atomic_load(&pool_next) < n ? atomic_load(&pool_next) : n;
    atomic_store(&pool_next, 0);
    return 0;
}

static void print_util(double wardd_util, double gen_util)
{
    if (wardd_util >= 0) {
        printf("  (wardd CPU %.0f %% of one core, generator %.0f %%)\n", wardd_util * 100,
               gen_util * 100);
    } else {
        printf("  (generator CPU %.0f %%)\n", gen_util * 100);
    }
}

/* The verify rate on wardd's core while wardd is idle, into j. */
static int verify_rate(const run_opts *o, verify_job *j)
{
    memset(j, 0, sizeof *j);
    j->cpu = o->verify_cpu;
    j->seconds = o->seconds < 2 ? o->seconds : 2.0;
    pthread_t vt;
    if (pthread_create(&vt, NULL, verify_main, j) != 0) {
        return -1;
    }
    pthread_join(vt, NULL);
    if (j->failed) {
        fprintf(stderr, "bench_relay: the verify loop failed\n");
        return -1;
    }
    return 0;
}

static int cmd_run(const run_opts *o)
{
    nworkers = o->workers;
    pair *pairs = calloc(o->pairs, sizeof *pairs);
    worker *ws = calloc(o->workers, sizeof *ws);
    if (pairs == NULL || ws == NULL) {
        return 1;
    }
    for (unsigned i = 0; i < o->workers; i++) {
        ws[i].idx = i;
        ws[i].pairs = calloc(o->pairs / o->workers + 1, sizeof *ws[i].pairs);
        if (ws[i].pairs == NULL || bench_http_init(&ws[i].h, cp, base_url) != 0) {
            return 1;
        }
    }
    for (unsigned i = 0; i < o->pairs; i++) {
        worker *w = &ws[i % o->workers];
        w->pairs[w->npairs++] = &pairs[i];
    }
    printf("== wardd relay (%s backend, %u locks bound to %u users, %u workers with one"
           " keep-alive connection each, %.0f s per phase)\n", BENCH_BACKEND, o->pairs, o->pairs,
           o->workers, o->seconds);
    uint64_t t0 = bench_now_ns();
    if (run_workers(ws, o->workers, setup_main) != 0) {
        return 1;
    }
    printf("setup: %u activations, registrations and bindings through wardd in %.1f s\n",
           o->pairs, (double)(bench_now_ns() - t0) / 1e9);

    if (o->relays_only) {
        double relays = 0, wu = 0, gu = 0;
        if (fill_pool(ws, o, (size_t)(4000 * o->seconds)) != 0) {
            return 1;
        }
        printf("pool: %zu ops made; relays start now\n", pool_size);
        fflush(stdout);
        if (timed(ws, o, relay_main, 0, &relays, &wu, &gu) != 0) {
            return 1;
        }
        printf("relays (answer POST + token fetch): %.0f /s\n", relays);
        print_util(wu, gu);
        if (wu > 0 && relays > 0) {
            printf("  wardd CPU per relay %.1f us\n", wu / relays * 1e6);
        }
        return 0;
    }
    verify_job vj;
    if (verify_rate(o, &vj) != 0) {
        return 1;
    }
    printf("ECDSA P-256 verify (%s, cp->ecdsa_p256_verify) on CPU %d: %.0f /s\n",
           BENCH_BACKEND, o->verify_cpu, vj.rate);

    double cycles = 0, relays = 0, floor_rate = 0, wu = 0, gu = 0, p50, p99;
    size_t cnt = 0;
    if (timed(ws, o, floor_main, 0, &floor_rate, &wu, &gu) != 0) {
        return 1;
    }
    /* The generator may saturate first, so the floor is wardd's CPU per
     * pair of round trips; a relay adds one verify to it at the least. */
    double floor_us = floor_rate > 0 && wu > 0 ? wu / floor_rate * 1e6 : 0;
    double ceiling = floor_us > 0 && vj.rate > 0 ? 1e6 / (floor_us + 1e6 / vj.rate) : 0;
    printf("HTTP floor (two unsigned GET /v1/health round trips): %.0f pairs/s,"
           " %.1f us of wardd CPU each\n", floor_rate, floor_us);
    print_util(wu, gu);
    if (ceiling > 0) {
        printf("  so a relay (two round trips + one verify) tops out near %.0f /s = %.0f %%"
               " of verify on this machine\n", ceiling, ceiling / vj.rate * 100);
    }
    if (timed(ws, o, cycle_main, 0, &cycles, &wu, &gu) != 0) {
        return 1;
    }
    printf("full unlock cycles (create, answer, fetch, accept, result): %.0f /s\n", cycles);
    print_util(wu, gu);

    size_t want = (size_t)(cycles * 6 * o->seconds) + 100;
    if (fill_pool(ws, o, want > 400000 ? 400000 : want) != 0) {
        return 1;
    }
    if (timed(ws, o, relay_main, 0, &relays, &wu, &gu) != 0) {
        return 1;
    }
    printf("relays (answer POST + token fetch, %zu ops made beforehand): %.0f /s\n",
           pool_size, relays);
    print_util(wu, gu);
    /* A shared VM's speed drifts by tens of percent between minutes: the
     * ratio takes the mean of the verify rates just before the floor and
     * just after the relays (a second later: wardd's checkpointer may
     * still be copying the relays' pages and would slow the loop). */
    verify_job vj2;
    sleep(1);
    if (verify_rate(o, &vj2) != 0) {
        return 1;
    }
    double verify = (vj.rate + vj2.rate) / 2;
    printf("ECDSA P-256 verify again, after the relays: %.0f /s (the ratio uses the mean,"
           " %.0f /s)\n", vj2.rate, verify);
    double ratio = verify > 0 ? relays / verify : 0;
    if (wu > 0 && relays > 0) {
        printf("  wardd CPU per relay %.1f us, of which one verify %.1f us and the HTTP"
               " floor %.1f us\n", wu / relays * 1e6, verify > 0 ? 1e6 / verify : 0, floor_us);
    }
    printf("relay / verify = %.0f %% (goal >= 50 %%: %s)\n", ratio * 100,
           ratio >= 0.5 ? "met" : "NOT met");
    /* Per core of wardd's CPU: the same rate when the generator, not
     * wardd, is what holds the relays back (it signs and sends each). */
    if (wu > 0 && verify > 0) {
        printf("  per core of wardd CPU: %.0f relays/s = %.0f %% of verify%s\n", relays / wu,
               relays / wu / verify * 100,
               gu >= 0.9 ? " (the generator was near its core's limit: this is the fairer figure)"
                         : "");
    }
    if (total_done(ws, o->workers) >= pool_size) {
        printf("  (note: the pool ran out before the deadline; the rate is still"
               " relays over the time they took)\n");
    }

    double half = cycles / 2;
    if (half > 0) {
        if (timed(ws, o, cycle_main, (uint64_t)(1e9 / half), &cycles, &wu, &gu) != 0) {
            return 1;
        }
        percentiles(ws, o->workers, offsetof(worker, cycle_lat), &p50, &p99, &cnt);
        printf("paced full cycles at %.0f /s (half the maximum), %zu cycles: achieved %.0f /s\n",
               half, cnt, cycles);
        printf("  full cycle latency p50 %.2f ms, p99 %.2f ms\n", p50, p99);
        percentiles(ws, o->workers, offsetof(worker, relay_lat), &p50, &p99, &cnt);
        printf("  its relay (answer POST + fetch) p50 %.2f ms, p99 %.2f ms\n", p50, p99);
    }
    half = relays / 2;
    if (half > 0) {
        if (fill_pool(ws, o, (size_t)(half * o->seconds) + 10) != 0) {
            return 1;
        }
        if (timed(ws, o, relay_main, (uint64_t)(1e9 / half), &relays, &wu, &gu) != 0) {
            return 1;
        }
        percentiles(ws, o->workers, offsetof(worker, relay_lat), &p50, &p99, &cnt);
        printf("paced relays at %.0f /s (half the maximum), %zu relays: achieved %.0f /s\n",
               half, cnt, relays);
        printf("  relay latency p50 %.2f ms, p99 %.2f ms\n", p50, p99);
    }
    for (unsigned i = 0; i < o->workers; i++) {
        bench_http_free(&ws[i].h);
        free(ws[i].pairs);
        free(ws[i].cycle_lat.v);
        free(ws[i].relay_lat.v);
    }
    for (unsigned i = 0; i < o->pairs; i++) {
        bench_lock_free(&pairs[i].bl);
    }
    free(pool);
    free(pairs);
    free(ws);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_relay factory DIR\n"
                    "       bench_relay run --url URL --factory DIR [--pairs P] [--workers W]\n"
                    "                       [--seconds S] [--verify-cpu C] [--wardd-pid PID]\n"
                    "                       [--relays-only 1]  (one relay phase, for profilers)\n"
                    "                       [--outbox DIR]  (default: the factory DIR/outbox)\n");
    return 2;
}

int main(int argc, char **argv)
{
    cp = BENCH_CRYPTO();
    if (argc == 3 && strcmp(argv[1], "factory") == 0) {
        return cmd_factory(argv[2]);
    }
    if (argc < 2 || strcmp(argv[1], "run") != 0) {
        return usage();
    }
    run_opts o = { 32, 8, 10.0, 0, 0, false };
    const char *factory = NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--url") == 0) {
            base_url = v;
        } else if (strcmp(k, "--factory") == 0) {
            factory = v;
        } else if (strcmp(k, "--pairs") == 0) {
            o.pairs = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--workers") == 0) {
            o.workers = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--seconds") == 0) {
            o.seconds = strtod(v, NULL);
        } else if (strcmp(k, "--verify-cpu") == 0) {
            o.verify_cpu = atoi(v);
        } else if (strcmp(k, "--wardd-pid") == 0) {
            o.wardd_pid = atol(v);
        } else if (strcmp(k, "--relays-only") == 0) {
            o.relays_only = strcmp(v, "1") == 0;
        } else if (strcmp(k, "--outbox") == 0) {
            snprintf(outbox_dir, sizeof outbox_dir, "%s", v);
        } else {
            return usage();
        }
    }
    if (factory != NULL && outbox_dir[0] == '\0') {
        snprintf(outbox_dir, sizeof outbox_dir, "%s/outbox", factory);
    }
    if (base_url == NULL || factory == NULL || o.workers == 0 || o.pairs < o.workers ||
        o.seconds <= 0 || load_factory(factory) != 0) {
        return usage();
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmd_run(&o);
    curl_global_cleanup();
    return rc;
}
