/* bench_approval_lock: wire bytes of flow B and the lock's CPU per approval, per crypto backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_lock.h"
#include "ward/ward_op.h"
#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_posix.h"

#if defined(WARD_HAVE_CALLGRIND)
#include <valgrind/callgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#define CALLGRIND_ZERO_STATS
#endif

#define APPROVAL_GOAL 120u

static int failed;

static void fail(const char *what, ward_err err)
{
    fprintf(stderr, "bench_approval_lock: %s: %s\n", what, ward_strerror(err));
    failed = 1;
}

/* Sizes of the three messages for a given SN and uid, sealed for real. */
static int sizes(const ward_crypto *cp, const char *sn, const char *uid, size_t *req_len,
                 size_t *appr_len)
{
    ward_random rng = ward_random_posix();
    uint8_t nonce[WARD_OP_NONCE_LEN], key[WARD_AUTH_KEY_LEN];
    uint8_t req[WARD_OP_REQUEST_MAX], appr[WARD_APPROVAL_MAX];
    uint8_t decision = WARD_DECISION_ALLOW;
    ward_op_request r = {
        .sn = (const uint8_t *)sn, .sn_len = strlen(sn), .nonce = nonce,
        .op = WARD_OP_UNLOCK, .target = (const uint8_t *)uid, .target_len = strlen(uid),
        .expires_ms = UINT64_MAX,
    };
    ward_err err = rng.fill(rng.ctx, nonce, sizeof nonce);
    if (err == WARD_OK) {
        err = rng.fill(rng.ctx, key, sizeof key);
    }
    if (err == WARD_OK) {
        err = ward_op_request_encode(&r, req, sizeof req, req_len);
    }
    if (err == WARD_OK) {
        err = ward_approval_seal(cp, key, &r, (const uint8_t *)uid, strlen(uid), decision,
                                 appr, sizeof appr, appr_len);
    }
    if (err != WARD_OK) {
        fail("sizes", err);
        return -1;
    }
    return 0;
}

/* OP_RESULT's size does not depend on the backend or the decision; the
 * real one comes from a lock in lock_cpu(). */
static void report_sizes(const ward_crypto *cp, size_t req_typical, size_t res_typical)
{
    char long_sn[WARD_SN_MAX + 1], long_uid[WARD_UID_MAX + 1];
    memset(long_sn, 'S', WARD_SN_MAX);
    long_sn[WARD_SN_MAX] = '\0';
    memset(long_uid, 'u', WARD_UID_MAX);
    long_uid[WARD_UID_MAX] = '\0';
    size_t rq = 0, ap = 0, rq_max = 0, ap_max = 0;
    if (sizes(cp, "LOCK-0001", "alice", &rq, &ap) != 0 ||
        sizes(cp, long_sn, long_uid, &rq_max, &ap_max) != 0) {
        return;
    }
    printf("  APPROVAL   (the bytes that reach the lock) SN LOCK-0001, uid alice: %zu bytes"
           " (goal <= %u: %s)\n", ap, APPROVAL_GOAL, ap <= APPROVAL_GOAL ? "met" : "NOT met");
    printf("  APPROVAL   worst case (SN %d, uid %d bytes): %zu bytes, WARD_APPROVAL_MAX %zu"
           " (goal <= %u: %s)\n", WARD_SN_MAX, WARD_UID_MAX, ap_max,
           (size_t)WARD_APPROVAL_MAX, APPROVAL_GOAL,
           WARD_APPROVAL_MAX <= APPROVAL_GOAL ? "met" : "NOT met");
    printf("  OP_REQUEST SN LOCK-0001: %zu bytes (any client), %zu (target alice),"
           " worst case %zu, WARD_OP_REQUEST_MAX %zu\n", req_typical, rq, rq_max,
           (size_t)WARD_OP_REQUEST_MAX);
    printf("  OP_RESULT  uid alice: %zu bytes, WARD_OP_RESULT_MAX %zu\n", res_typical,
           (size_t)WARD_OP_RESULT_MAX);
    if (ap_max != WARD_APPROVAL_MAX || rq_max != WARD_OP_REQUEST_MAX) {
        fprintf(stderr, "bench_approval_lock: worst-case size differs from its macro\n");
        failed = 1;
    }
}

typedef struct cpu_figures {
    uint64_t request_ns, accept_ns, check_ns, result_ns;
    uint64_t flash_bytes, flash_erases;
    size_t req_len, res_len;
    unsigned n;
} cpu_figures;

/* N approvals on one lock: only ward_op_lock_accept (and, apart, the
 * pieces that isolate the store update) is timed; the app's seal is not. */
static int lock_cpu(const ward_crypto *cp, unsigned n, cpu_figures *f)
{
    bench_lock bl;
    bench_app a;
    memset(f, 0, sizeof *f);
    f->n = n;
    ward_err err = bench_lock_init(&bl, cp, "LOCK-0001");
    if (err == WARD_OK) {
        err = bench_app_init(&a, cp, "alice", "+8613800000000");
    }
    if (err == WARD_OK) {
        err = bench_bind_local(&bl, &a);
    }
    if (err != WARD_OK) {
        fail("binding the bench lock", err);
        bench_lock_free(&bl);
        return -1;
    }
    uint64_t bytes0 = bl.sf.bytes_done, erases0 = bl.sf.erases;
    for (unsigned i = 0; i < n && err == WARD_OK; i++) {
        ward_op_lock op;
        ward_op_request r;
        ward_op_outcome out;
        uint8_t req[WARD_OP_REQUEST_MAX], appr[WARD_APPROVAL_MAX], bad[WARD_APPROVAL_MAX];
        uint8_t res[WARD_OP_RESULT_MAX], oc = 0xFF;
        size_t req_len = 0, appr_len = 0, res_len = 0;
        memset(&op, 0, sizeof op);

        uint64_t t0 = bench_now_ns();
        err = ward_op_lock_request(&bl.lock, &op, WARD_OP_UNLOCK, NULL, 0, req, sizeof req,
                                   &req_len);
        f->request_ns += bench_now_ns() - t0;
        if (err == WARD_OK) {
            err = ward_op_request_parse(req, req_len, &r);
        }
        if (err == WARD_OK) {
            err = ward_approval_seal(cp, a.auth, &r, (const uint8_t *)a.uid, strlen(a.uid),
                                     WARD_DECISION_ALLOW, appr, sizeof appr, &appr_len);
        }
        if (err != WARD_OK) {
            break;
        }
        /* The same answer with its tag altered: every check up to the tag
         * (split, client lookup in the store, key derivation, CCM), and
         * no store update, since the request stays outstanding. */
        memcpy(bad, appr, appr_len);
        bad[appr_len - 1] ^= 0x01;
        t0 = bench_now_ns();
        ward_err e2 = ward_op_lock_accept(&bl.lock, &op, bad, appr_len, &out, res,
                                          sizeof res, &res_len);
        f->check_ns += bench_now_ns() - t0;
        if (e2 != WARD_ERR_AUTH) {
            fail("a tampered approval was not refused", e2);
            err = WARD_ERR_STATE;
            break;
        }

        CALLGRIND_TOGGLE_COLLECT;
        t0 = bench_now_ns();
        err = ward_op_lock_accept(&bl.lock, &op, appr, appr_len, &out, res, sizeof res,
                                  &res_len);
        f->accept_ns += bench_now_ns() - t0;
        CALLGRIND_TOGGLE_COLLECT;
        if (err == WARD_OK && !out.execute) {
            err = WARD_ERR_STATE;
        }
        if (err != WARD_OK) {
            break;
        }
        /* Sealing OP_RESULT is one key derivation and one CCM pass over
         * the same bytes as opening it: time the app's open as its proxy. */
        t0 = bench_now_ns();
        err = ward_op_result_open(cp, a.auth, &r, (const uint8_t *)a.uid, strlen(a.uid),
                                  res, res_len, &oc);
        f->result_ns += bench_now_ns() - t0;
        if (err == WARD_OK && oc != WARD_OUTCOME_EXECUTED) {
            err = WARD_ERR_STATE;
        }
        f->req_len = req_len;
        f->res_len = res_len;
    }
    f->flash_bytes = bl.sf.bytes_done - bytes0;
    f->flash_erases = bl.sf.erases - erases0;
    bench_lock_free(&bl);
    if (err != WARD_OK) {
        fail("approval loop", err);
        return -1;
    }
    return 0;
}

static double us_per(uint64_t ns, unsigned n)
{
    return (double)ns / 1000.0 / (double)n;
}

int main(int argc, char **argv)
{
    unsigned n = RUNNING_ON_VALGRIND ? 100u : 2000u;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            n = 200;
        } else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            n = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: bench_approval_lock [--quick] [--iterations N]\n");
            return 2;
        }
    }
    if (n == 0) {
        n = 1;
    }
    const struct {
        const char *name;
        const ward_crypto *cp;
    } backends[] = {
        { "mbedtls", ward_crypto_mbedtls() },
        { "openssl", ward_crypto_openssl() },
    };
    printf("== flow B on the lock: bytes over the air and CPU per approval (%u approvals,"
           " RAM flash, %u-byte erase units)\n", n, BENCH_ERASE);
    for (size_t b = 0; b < sizeof backends / sizeof backends[0]; b++) {
        cpu_figures f;
        printf("backend %s\n", backends[b].name);
        CALLGRIND_ZERO_STATS;
        if (lock_cpu(backends[b].cp, n, &f) != 0) {
            continue;
        }
        CALLGRIND_DUMP_STATS_AT(backends[b].name);
        report_sizes(backends[b].cp, f.req_len, f.res_len);
        double acc = us_per(f.accept_ns, n), chk = us_per(f.check_ns, n);
        double res = us_per(f.result_ns, n);
        double store = acc - chk - res;
        printf("  lock CPU   ward_op_lock_request %.1f us (nonce from getrandom)\n",
               us_per(f.request_ns, n));
        printf("  lock CPU   ward_op_lock_accept %.1f us per approval%s\n", acc,
               RUNNING_ON_VALGRIND ? " (under valgrind: see the Ir count)" : "");
        printf("             of which answer check without store update %.1f us"
               " (tampered tag: lookup, KDF, CCM), OP_RESULT seal ~%.1f us,"
               " store update (audit ring, consume) ~%.1f us\n", chk, res,
               store > 0 ? store : 0.0);
        printf("  lock flash %.0f bytes written+erased per approval, %llu erases in %u"
               " approvals\n", (double)f.flash_bytes / n, (unsigned long long)f.flash_erases,
               n);
    }
    if (RUNNING_ON_VALGRIND) {
        printf("callgrind: one dump per backend; instructions of %u accepts each"
               " (bench/callgrind.sh divides)\n", n);
    }
    return failed;
}
