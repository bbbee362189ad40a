/* `ward lock run`: the lock as a running device. It serves the near-field
 * link (a phone at the door, D/near.sock) and keeps in touch with wardd:
 * it applies the revocations wardd queues for it, answering each with a
 * REVOKE_RESULT sealed for its revoker, paging through the inbox with a
 * cursor and never polling faster than one request per long-poll period
 * when nothing new comes, whatever wardd answers. Stops cleanly on
 * SIGTERM or SIGINT. */
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

#include "cli.h"
#include "sectime.h"
#include "state.h"
#include "lockops.h"
#include "ward/ward.h"
#include "ward/ward_frame.h"
#include "ward/ward_op.h"

#define MSG_MAX 256
#define NEAR_TIMEOUT_MS 30000u

/* One phone at the door: NEAR_HELLO -> OP_REQUEST -> APPROVAL -> OP_RESULT.
 * The request lives in this function's memory only. */
static void serve_near(ward_agent_state *ld, int fd)
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
    if (cli_state_reacquire(ld) != 0) {
        return;
    }
    ward_err err = ward_op_lock_request(&ld->lock, &op, code, uid, uid_len, out, sizeof out,
                                        &out_len);
    ward_agent_state_release(ld);
    if (err != WARD_OK) {
        fprintf(stderr, "ward: near field: %.*s may not ask for %s: %s\n", (int)uid_len,
                (const char *)uid, lockops_op_name(code), ward_agent_state_strerror(ld, err));
        return;
    }
    if (ward_frame_write(fd, out, out_len, NEAR_TIMEOUT_MS) != WARD_OK ||
        ward_frame_read(fd, msg, sizeof msg, &len, NEAR_TIMEOUT_MS) != WARD_OK) {
        fprintf(stderr, "ward: near field: the phone went away\n");
        return;
    }
    if (cli_state_reacquire(ld) != 0) {
        return;
    }
    out_len = 0;
    err = ward_op_lock_accept(&ld->lock, &op, msg, len, &outcome, out, sizeof out, &out_len);
    ward_agent_state_release(ld);
    if (err != WARD_OK && err != WARD_ERR_EXPIRED) {
        fprintf(stderr, "ward: near field: answer refused: %s\n", ward_agent_state_strerror(ld, err));
        return;
    }
    lockops_act(ld, &outcome);
    if (!outcome.execute) {
        printf("[%s] near field: %s refused\n", ld->id, lockops_op_name(code));
        fflush(stdout);
    }
    if (out_len > 0 && ward_frame_write(fd, out, out_len, NEAR_TIMEOUT_MS) != WARD_OK) {
        fprintf(stderr, "ward: near field: the phone went away before the answer\n");
    }
}

static void *near_thread(void *arg)
{
    ward_agent_state *ld = arg;
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
    printf("[%s] near field listening on %s\n", ld->id, path);
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

/* The lock's side of its inbox, run by the agent (ward_agent_inbox_loop):
 * the lock's state is taken at the first message to apply and kept until
 * the page is done (cli_hold), so the near-field door gets in between. */
/* True for a failure of the lock itself (its store, its clock, its crypto
 * backend), which says nothing of the REVOKE; false for a verdict on the
 * message (malformed, not from a bound client, not opening). */
static bool revoke_failure_is_ours(ward_err err)
{
    return err == WARD_ERR_IO || err == WARD_ERR_BUSY || err == WARD_ERR_CRYPTO ||
           err == WARD_ERR_NOSPACE;
}

/* Applies one REVOKE: the lock answers it (sealed for its revoker) if it
 * is a valid one, and prints what it did. Not yet when the lock's state
 * could not be taken or the lock itself failed. */
static ward_agent_verdict apply_revoke(void *ctx, long long id, const uint8_t *msg, size_t len,
                                       uint8_t *res, size_t cap, size_t *res_len)
{
    cli_hold *h = ctx;
    ward_agent_state *ld = h->st;
    ward_revoke_outcome out;
    if (cli_hold_take(h) != 0) {
        return WARD_AGENT_NOT_YET;
    }
    ward_err err = ward_op_lock_revoke(&ld->lock, msg, len, &out, res, cap, res_len);
    if (revoke_failure_is_ours(err)) {
        fprintf(stderr, "ward: revocation %lld from wardd not applied yet: %s (kept, tried "
                "again later)\n", id, ward_agent_state_strerror(ld, err));
        return WARD_AGENT_NOT_YET;
    }
    if (err != WARD_OK) {
        *res_len = 0;
        fprintf(stderr, "ward: revocation %lld from wardd refused unanswered: %s\n", id,
                ward_agent_state_strerror(ld, err));
    } else if (out.outcome == WARD_REVOKE_DONE) {
        printf("[%s] revoked: %.*s (by %.*s)\n", ld->id, (int)out.target_len,
               (const char *)out.target, (int)out.revoker_len, (const char *)out.revoker);
    } else {
        printf("[%s] revocation %lld of %.*s by %.*s: %s\n", ld->id, id,
               (int)out.target_len, (const char *)out.target, (int)out.revoker_len,
               (const char *)out.revoker,
               out.outcome == WARD_REVOKE_NOT_BOUND ? "not bound, nothing to do"
               : out.outcome == WARD_REVOKE_STALE   ? "names another binding, nothing done"
                                                    : "refused: role");
    }
    fflush(stdout);
    /* Handled for good either way: wardd may forget it. */
    return err == WARD_OK ? WARD_AGENT_APPLIED : WARD_AGENT_PASSED;
}

/* Talks to wardd until stopped (ward_agent_inbox_loop paces it). */
static void inbox_loop(ward_agent_state *ld)
{
    ward_agent_inbox_run *run = calloc(1, sizeof *run);
    if (run == NULL) {
        fprintf(stderr, "ward: out of memory: revocations from wardd are off\n");
        return;
    }
    cli_hold hold = { ld, false };
    const ward_agent_inbox_ops ops = { apply_revoke, cli_hold_drop, cli_note, &hold };
    /* A stop signal ends the long-poll and the naps at once: the agent
     * asks the hook during its waits only, never while it carries
     * acknowledgements. */
    ld->link.cancelled = cli_cancelled;
    ld->link.cancel_ctx = NULL;
    size_t left = ward_agent_inbox_loop(&ld->link, run, &ops);
    if (left > 0) {
        fprintf(stderr, "ward: %zu handled inbox message%s not acknowledged at wardd: "
                "it hands %s again to the next lock run, which answers again\n",
                left, left == 1 ? "" : "s", left == 1 ? "it" : "them");
    }
    free(run);
}

int cmd_lock_run(int argc, char **argv)
{
    const char *dir = NULL, *every_s = NULL;
    const cli_option opts[] = { { "dir", true, &dir }, { "time-every", true, &every_s } };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    unsigned long every = 0;
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: ward lock run --dir D [--time-every S]");
    }
    if ((rc = cli_number_opt("time-every", every_s, SECTIME_EVERY_S, 1, 86400, &every)) != 0) {
        return rc;
    }
    /* Two views of the same lock, one per thread: each takes the state's
     * flock when it needs it, so they never write at once. Each keeps its
     * store file open from here to the end and reads it again only after
     * another process (or the other view) wrote (ward_agent_state.h). */
    ward_agent_state remote, near;
    if ((rc = cli_state_open(&remote, WARD_AGENT_LOCK, dir)) != 0) {
        return rc;
    }
    ward_agent_state_release(&remote);
    if ((rc = cli_state_open(&near, WARD_AGENT_LOCK, dir)) != 0) {
        ward_agent_state_close(&remote);
        return rc;
    }
    ward_agent_state_release(&near);

    cli_catch_stop();
    /* Secure time kept for both views (sectime.h): a sync now, then now and then. */
    if ((rc = sectime_keep(remote.server, (unsigned)every, remote.id)) != 0) {
        ward_agent_state_close(&near);
        ward_agent_state_close(&remote);
        return rc;
    }

    pthread_t tid;
    if (pthread_create(&tid, NULL, near_thread, &near) != 0) {
        sectime_close();
        ward_agent_state_close(&near);
        ward_agent_state_close(&remote);
        return cli_fail("cannot start the near-field server");
    }
    printf("[%s] running; wardd at %s\n", remote.id, remote.server);
    fflush(stdout);
    inbox_loop(&remote);
    pthread_join(tid, NULL);
    ward_agent_state_close(&near);
    ward_agent_state_close(&remote);
    sectime_close();
    printf("[%s] stopped\n", remote.id);
    return 0;
}
