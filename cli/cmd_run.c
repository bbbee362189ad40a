/* `ward lock run`: the lock as a running device. It serves the near-field
 * link (a phone at the door, D/near.sock) and keeps in touch with wardd:
 * it applies the revocations wardd queues for it, answering each with a
 * REVOKE_RESULT sealed for its revoker, paging through the inbox with a
 * cursor and never polling faster than one request per long-poll period
 * when nothing new comes, whatever wardd answers. Stops cleanly on
 * SIGTERM or SIGINT. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"
#include "lockdir.h"
#include "lockops.h"
#include "ward/ward.h"
#include "ward/ward_frame.h"
#include "ward/ward_op.h"

#define MSG_MAX 256
/* The long-poll period: an idle lock sends one inbox request per period. */
#define INBOX_WAIT_S 30
/* Rounds in a row that may follow each other at once (each answered a
 * REVOKE); then the rest of the period is waited out all the same, so a
 * wardd that replays one genuine REVOKE under ever new ids cannot keep
 * the lock polling, and holding its store, back to back. */
#define PROGRESS_ROUNDS_MAX 8
/* No answer at all (wardd down): retry after 1, 2, 4 ... 30 s. */
#define BACKOFF_MAX_S 30u
#define NEAR_TIMEOUT_MS 30000u
/* Handled messages whose acknowledgement did not reach wardd yet. */
#define UNACKED_MAX 64

/* One phone at the door: NEAR_HELLO -> OP_REQUEST -> APPROVAL -> OP_RESULT.
 * The request lives in this function's memory only. */
static void serve_near(lockdir *ld, int fd)
{
    uint8_t msg[WARD_MSG_MAX], out[WARD_MSG_MAX];
    size_t len = 0, out_len = 0;
    const uint8_t *uid = NULL;
    size_t uid_len = 0;
    uint8_t code = 0;
    ward_op_lock op;
    ward_op_outcome outcome;
    memset(&op, 0, sizeof op);
    memset(&outcome, 0, sizeof outcome);

    if (ward_frame_read(fd, msg, sizeof msg, &len, NEAR_TIMEOUT_MS) != WARD_OK ||
        ward_op_near_hello_parse(msg, len, &uid, &uid_len, &code) != WARD_OK) {
        fprintf(stderr, "ward: near field: not a ward hello, link closed\n");
        return;
    }
    if (lockdir_reacquire(ld) != 0) {
        return;
    }
    ward_err err = ward_op_lock_request(&ld->lock, &op, code, uid, uid_len, out, sizeof out,
                                        &out_len);
    lockdir_release(ld);
    if (err != WARD_OK) {
        fprintf(stderr, "ward: near field: %.*s may not ask for %s: %s\n", (int)uid_len,
                (const char *)uid, lockops_op_name(code), lockdir_strerror(ld, err));
        return;
    }
    if (ward_frame_write(fd, out, out_len, NEAR_TIMEOUT_MS) != WARD_OK ||
        ward_frame_read(fd, msg, sizeof msg, &len, NEAR_TIMEOUT_MS) != WARD_OK) {
        fprintf(stderr, "ward: near field: the phone went away\n");
        return;
    }
    if (lockdir_reacquire(ld) != 0) {
        return;
    }
    out_len = 0;
    err = ward_op_lock_accept(&ld->lock, &op, msg, len, &outcome, out, sizeof out, &out_len);
    lockdir_release(ld);
    if (err != WARD_OK && err != WARD_ERR_EXPIRED) {
        fprintf(stderr, "ward: near field: answer refused: %s\n", lockdir_strerror(ld, err));
        return;
    }
    lockops_act(ld, &outcome);
    if (!outcome.execute) {
        printf("[%s] near field: %s refused\n", ld->sn, lockops_op_name(code));
        fflush(stdout);
    }
    if (out_len > 0 && ward_frame_write(fd, out, out_len, NEAR_TIMEOUT_MS) != WARD_OK) {
        fprintf(stderr, "ward: near field: the phone went away before the answer\n");
    }
}

static void *near_thread(void *arg)
{
    lockdir *ld = arg;
    char path[600];
    snprintf(path, sizeof path, "%s/near.sock", ld->dir);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path) {
        fprintf(stderr, "ward: near field off: socket path too long\n");
        return NULL;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(path);
    if (srv < 0 || bind(srv, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(srv, 4) != 0) {
        fprintf(stderr, "ward: near field off: cannot listen on %s\n", path);
        if (srv >= 0) close(srv);
        return NULL;
    }
    printf("[%s] near field listening on %s\n", ld->sn, path);
    fflush(stdout);
    while (!cli_stopping) {
        struct pollfd p = { srv, POLLIN, 0 };
        if (poll(&p, 1, 200) <= 0) {
            continue;
        }
        int fd = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            serve_near(ld, fd);
            close(fd);
        }
    }
    close(srv);
    unlink(path);
    return NULL;
}

/* Where the lock stands with its inbox: every id up to `after` is
 * handled; those handled but not yet acknowledged wait in unacked (with
 * the result for their revoker) and go with the next acknowledgement. */
typedef struct inbox_state {
    long long after;
    struct {
        long long id;
        uint8_t res[WARD_REVOKE_RESULT_MAX];
        size_t res_len;
    } unacked[UNACKED_MAX];
    size_t nunacked;
    unsigned backoff_s;
} inbox_state;

/* What one round with wardd came to. */
typedef enum { ROUND_PROGRESS, ROUND_IDLE, ROUND_NO_ANSWER } round_end;

static void remember_ack(inbox_state *st, long long id, const uint8_t *res, size_t res_len)
{
    if (st->nunacked == UNACKED_MAX) {
        /* The oldest answer is lost, not the lock: its revoker hears
         * nothing and may revoke again (the lock then says NOT_BOUND). */
        memmove(&st->unacked[0], &st->unacked[1],
                (UNACKED_MAX - 1) * sizeof st->unacked[0]);
        st->nunacked--;
    }
    st->unacked[st->nunacked].id = id;
    /* No result (a message that was not one): res may be NULL. */
    if (res_len > 0) {
        memcpy(st->unacked[st->nunacked].res, res, res_len);
    }
    st->unacked[st->nunacked].res_len = res_len;
    st->nunacked++;
}

/* Acknowledgements per POST: 32 results of WARD_REVOKE_RESULT_MAX bytes
 * in base64 with their ids stay well under wardd's 16 KB body limit
 * (64, UNACKED_MAX, would not). */
#define ACK_CHUNK 32

/* POSTs the first n waiting acknowledgements with their results. */
static bool post_acks(lockdir *ld, const ward_http_signer *signer, const inbox_state *st,
                      size_t n)
{
    cJSON *body = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(body, "ids");
    cJSON *results = cJSON_AddArrayToObject(body, "results");
    for (size_t i = 0; i < n; i++) {
        if (st->unacked[i].res_len == 0) {
            cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)st->unacked[i].id));
            continue;
        }
        /* Room for any result: 2 * MAX was short for a result under 3 bytes. */
        char b64[WARD_B64_LEN(WARD_REVOKE_RESULT_MAX) + 1];
        cJSON *e = cJSON_CreateObject();
        WARD_ASSERT(ward_b64_encode(st->unacked[i].res, st->unacked[i].res_len, b64,
                                    sizeof b64) == WARD_OK);
        cJSON_AddNumberToObject(e, "id", (double)st->unacked[i].id);
        cJSON_AddStringToObject(e, "result", b64);
        cJSON_AddItemToArray(results, e);
    }
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (text == NULL) {
        if (!cli_stopping) {
            fprintf(stderr, "ward: acknowledging the inbox: out of memory (kept, sent again "
                    "later)\n");
        }
        return false;
    }
    ward_http_response resp;
    char why[MSG_MAX];
    long status = api_call(&ld->host, ld->server, "POST", "/v1/lock/inbox/ack", text, signer,
                           &resp, why, sizeof why);
    cJSON_free(text);
    ward_http_response_free(&resp);
    if (status != 0 && !cli_stopping) {
        fprintf(stderr, "ward: acknowledging the inbox: %s (kept, sent again later)\n", why);
    }
    return status == 0;
}

/* POSTs every waiting acknowledgement with its result, ACK_CHUNK at a
 * time; forgets each chunk once wardd took it, stops at the first refusal. */
static void send_acks(lockdir *ld, const ward_http_signer *signer, inbox_state *st)
{
    while (st->nunacked > 0) {
        size_t n = st->nunacked < ACK_CHUNK ? st->nunacked : ACK_CHUNK;
        if (!post_acks(ld, signer, st, n)) {
            return;
        }
        memmove(&st->unacked[0], &st->unacked[n], (st->nunacked - n) * sizeof st->unacked[0]);
        st->nunacked -= n;
    }
}

/* One page of the inbox being walked. The lock's state is taken at the
 * first message to apply and kept until the page is done (poll_inbox lets
 * it go before the next request, so the near-field door gets in between
 * pages). */
typedef struct page_ctx {
    lockdir *ld;
    inbox_state *st;
    bool held;
    size_t done;
} page_ctx;

/* True for a failure of the lock itself (its store, its clock, its crypto
 * backend), which says nothing of the REVOKE; false for a verdict on the
 * message (malformed, not from a bound client, not opening). */
static bool revoke_failure_is_ours(ward_err err)
{
    return err == WARD_ERR_IO || err == WARD_ERR_BUSY || err == WARD_ERR_CRYPTO ||
           err == WARD_ERR_NOSPACE;
}

/* Applies one REVOKE: the lock answers it (sealed for its revoker) if it
 * is a valid one, and prints what it did. False when the lock's state
 * could not be taken or the lock itself failed: not handled, the cursor
 * stays before it. */
static bool apply_revoke(page_ctx *p, long long id, const uint8_t *msg, size_t len)
{
    lockdir *ld = p->ld;
    ward_revoke_outcome out;
    uint8_t res[WARD_REVOKE_RESULT_MAX];
    size_t res_len = 0;
    if (!p->held) {
        if (lockdir_reacquire(ld) != 0) {
            return false;
        }
        p->held = true;
    }
    ward_err err = ward_op_lock_revoke(&ld->lock, msg, len, &out, res, sizeof res, &res_len);
    if (revoke_failure_is_ours(err)) {
        /* The lock failed, not the message: acknowledging would let wardd
         * forget a REVOKE the lock never applied. It stays in the inbox,
         * the cursor before it, and is tried again next period. */
        fprintf(stderr, "ward: revocation %lld from wardd not applied yet: %s (kept, tried "
                "again later)\n", id, lockdir_strerror(ld, err));
        return false;
    }
    /* Only a REVOKE the lock answered is progress: garbage and refusals
     * are wardd's to make up at will. */
    if (err == WARD_OK) {
        p->done++;
    }
    if (err != WARD_OK) {
        fprintf(stderr, "ward: revocation %lld from wardd refused unanswered: %s\n", id,
                lockdir_strerror(ld, err));
    } else if (out.outcome == WARD_REVOKE_DONE) {
        printf("[%s] revoked: %.*s (by %.*s)\n", ld->sn, (int)out.target_len,
               (const char *)out.target, (int)out.revoker_len, (const char *)out.revoker);
    } else {
        printf("[%s] revocation %lld of %.*s by %.*s: %s\n", ld->sn, id,
               (int)out.target_len, (const char *)out.target, (int)out.revoker_len,
               (const char *)out.revoker,
               out.outcome == WARD_REVOKE_NOT_BOUND ? "not bound, nothing to do"
               : out.outcome == WARD_REVOKE_STALE   ? "names another binding, nothing done"
                                                    : "refused: role");
    }
    fflush(stdout);
    /* Handled for good either way: wardd may forget it. */
    remember_ack(p->st, id, res, res_len);
    return true;
}

static int on_inbox_entry(void *ctx, long long id, const char *from, const uint8_t *msg,
                          size_t len)
{
    page_ctx *p = ctx;
    (void)from;
    if (msg == NULL) {
        /* Not a message at all: acknowledged, so it is gone. */
        fprintf(stderr, "ward: inbox message %lld is not base64 of a ward message: dropped\n",
                id);
        remember_ack(p->st, id, NULL, 0);
        return 0;
    }
    return apply_revoke(p, id, msg, len) ? 0 : 1;
}

/* One round: GET a page of the inbox after the cursor, apply what is new,
 * acknowledge it. wardd is not trusted (api_each_entry): ids must be
 * whole numbers above the cursor; anything else is reported and skipped. */
static round_end poll_inbox(lockdir *ld, inbox_state *st)
{
    char target[96], why[MSG_MAX];
    ward_http_signer signer;
    lockdir_signer(ld, &signer);
    send_acks(ld, &signer, st);
    snprintf(target, sizeof target, "/v1/lock/inbox?wait=%d&after=%lld", INBOX_WAIT_S,
             st->after);
    /* A stop signal ends the long-poll at once: the hook is on this copy
     * of the host only, never on what carries acknowledgements. */
    ward_host poll_host = ld->host;
    poll_host.cancelled = cli_cancelled;
    poll_host.cancel_ctx = NULL;
    ward_http_response resp;
    long status = api_call(&poll_host, ld->server, "GET", target, NULL, &signer, &resp, why,
                           sizeof why);
    if (status != 0) {
        ward_http_response_free(&resp);
        if (!cli_stopping) {
            fprintf(stderr, "ward: wardd inbox: %s\n", why);
        }
        return status < 0 ? ROUND_NO_ANSWER : ROUND_IDLE;
    }
    page_ctx p = { ld, st, false, 0 };
    int skipped = api_each_entry(&resp, "revokes", "id", "revoke", NULL, &st->after,
                                 on_inbox_entry, &p);
    ward_http_response_free(&resp);
    if (p.held) {
        lockdir_release(ld);
    }
    if (skipped < 0) {
        fprintf(stderr, "ward: wardd sent a malformed inbox answer (no revokes list)\n");
    } else if (skipped > 0) {
        fprintf(stderr, "ward: wardd's inbox answer had %d entries with no usable id "
                "(not above %lld): skipped\n", skipped, st->after);
    }
    send_acks(ld, &signer, st);
    return p.done > 0 ? ROUND_PROGRESS : ROUND_IDLE;
}

/* Talks to wardd until stopped: at once again after progress (more may
 * wait), up to PROGRESS_ROUNDS_MAX rounds in a row; after the rest of the
 * period when a round brought nothing new, or that many rounds did (so a
 * wardd that answers a long-poll at once, or garbage, or errors, or
 * replays, still gets at most one burst per period), after a growing
 * back-off when no answer came. */
static void inbox_loop(lockdir *ld)
{
    inbox_state *st = calloc(1, sizeof *st);
    if (st == NULL) {
        fprintf(stderr, "ward: out of memory: revocations from wardd are off\n");
        return;
    }
    unsigned rounds = 0;          /* of progress, in a row */
    long long burst_t0 = 0;       /* when the first of them began */
    while (!cli_stopping) {
        long long t0 = cli_mono_ms();
        if (rounds == 0) {
            burst_t0 = t0;
        }
        round_end end = poll_inbox(ld, st);
        if (end == ROUND_PROGRESS && ++rounds < PROGRESS_ROUNDS_MAX) {
            st->backoff_s = 0;
            continue;
        }
        /* The period of a burst counts from its first round. */
        if (end == ROUND_PROGRESS) {
            t0 = burst_t0;
        }
        rounds = 0;
        if (end == ROUND_NO_ANSWER) {
            st->backoff_s = st->backoff_s == 0 ? 1u
                            : st->backoff_s * 2u > BACKOFF_MAX_S ? BACKOFF_MAX_S
                                                                : st->backoff_s * 2u;
            cli_nap(st->backoff_s * 1000u);
            continue;
        }
        st->backoff_s = 0;
        long long spent = cli_mono_ms() - t0;
        if (spent < INBOX_WAIT_S * 1000LL) {
            cli_nap((unsigned)(INBOX_WAIT_S * 1000LL - spent));
        }
    }
    /* Stopping: the REVOKE_RESULTs not acknowledged yet go now (their
     * revokers wait for them), once, on the hook-free host. */
    if (st->nunacked > 0) {
        ward_http_signer signer;
        lockdir_signer(ld, &signer);
        send_acks(ld, &signer, st);
        if (st->nunacked > 0) {
            fprintf(stderr, "ward: %zu handled inbox message%s not acknowledged at wardd: "
                    "it hands %s again to the next lock run, which answers again\n",
                    st->nunacked, st->nunacked == 1 ? "" : "s",
                    st->nunacked == 1 ? "it" : "them");
        }
    }
    free(st);
}

int cmd_lock_run(int argc, char **argv)
{
    const char *dir = NULL;
    const cli_option opts[] = { { "dir", true, &dir } };
    int npos = 0, rc = cli_parse(argc, argv, opts, 1, NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: ward lock run --dir D");
    }
    /* Two views of the same lock, one per thread: each takes the state's
     * flock when it needs it, so they never write at once. */
    lockdir remote, near;
    if ((rc = lockdir_open(&remote, dir, false, NULL, NULL)) != 0) {
        return rc;
    }
    lockdir_release(&remote);
    if ((rc = lockdir_open(&near, dir, false, NULL, NULL)) != 0) {
        return rc;
    }
    lockdir_release(&near);

    cli_catch_stop();

    pthread_t tid;
    if (pthread_create(&tid, NULL, near_thread, &near) != 0) {
        return cli_fail("cannot start the near-field server");
    }
    printf("[%s] running; wardd at %s\n", remote.sn, remote.server);
    fflush(stdout);
    inbox_loop(&remote);
    pthread_join(tid, NULL);
    printf("[%s] stopped\n", remote.sn);
    return 0;
}
