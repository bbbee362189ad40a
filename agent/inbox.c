/* The lock's inbox run by the agent: the cursor, the acknowledgements
 * that carry results back, and the pacing of the long-polls
 * (ward_agent.h). wardd is not trusted: whatever it answers, an idle
 * device sends at most a burst of rounds per period. */
#include <stdio.h>
#include <string.h>

#include "agent_inner.h"
#include "ward/ward_agent.h"

#define note(ops, ...) ward_agent_say((ops)->note, (ops)->ctx, __VA_ARGS__)

static void remember(ward_agent_inbox_run *run, long long id, const uint8_t *res,
                     size_t res_len)
{
    if (run->nunacked == WARD_AGENT_UNACKED_MAX) {
        /* The oldest answer is lost, not the device: its sender hears
         * nothing and may ask again (the lock then says NOT_BOUND). */
        memmove(&run->unacked[0], &run->unacked[1],
                (WARD_AGENT_UNACKED_MAX - 1) * sizeof run->unacked[0]);
        run->nunacked--;
    }
    run->unacked[run->nunacked].id = id;
    if (res_len > 0) {
        memcpy(run->unacked[run->nunacked].res, res, res_len);
    }
    run->unacked[run->nunacked].res_len = res_len;
    run->nunacked++;
}

/* Sends every waiting acknowledgement, WARD_AGENT_ACK_CHUNK at a time;
 * forgets each chunk once wardd took it, stops at the first refusal. */
static void send_acks(ward_agent *ag, ward_agent_inbox_run *run,
                      const ward_agent_inbox_ops *ops)
{
    while (run->nunacked > 0) {
        size_t n = run->nunacked < WARD_AGENT_ACK_CHUNK ? run->nunacked : WARD_AGENT_ACK_CHUNK;
        ward_agent_ack acks[WARD_AGENT_ACK_CHUNK];
        for (size_t i = 0; i < n; i++) {
            acks[i].id = run->unacked[i].id;
            acks[i].result = run->unacked[i].res;
            acks[i].result_len = run->unacked[i].res_len;
        }
        char why[256];
        if (ward_agent_inbox_ack(ag, acks, n, why, sizeof why) != 0) {
            if (!ward_agent_stopping(ag)) {
                note(ops, "acknowledging the inbox: %s (kept, sent again later)", why);
            }
            return;
        }
        memmove(&run->unacked[0], &run->unacked[n],
                (run->nunacked - n) * sizeof run->unacked[0]);
        run->nunacked -= n;
    }
}

typedef struct page {
    ward_agent_inbox_run *run;
    const ward_agent_inbox_ops *ops;
    size_t done;
} page;

static int on_entry(void *ctx, long long id, const char *from, const uint8_t *msg, size_t len)
{
    page *p = ctx;
    (void)from;
    if (msg == NULL) {
        /* Not a message at all: acknowledged, so it is gone. */
        note(p->ops, "inbox message %lld is not base64 of a ward message: dropped", id);
        remember(p->run, id, NULL, 0);
        return 0;
    }
    uint8_t res[WARD_REVOKE_RESULT_MAX];
    size_t res_len = 0;
    ward_agent_verdict v = p->ops->apply(p->ops->ctx, id, msg, len, res, sizeof res, &res_len);
    if (v == WARD_AGENT_NOT_YET) {
        /* Acknowledging would let wardd forget a message the device never
         * applied: it stays, the cursor before it. */
        return 1;
    }
    /* Only an applied message is progress: garbage and refusals are
     * wardd's to make up at will. */
    if (v == WARD_AGENT_APPLIED) {
        p->done++;
    }
    remember(p->run, id, res, res_len <= sizeof res ? res_len : 0);
    return 0;
}

/* One round whose GET waits up to wait_s. */
static ward_agent_round round_wait(ward_agent *ag, ward_agent_inbox_run *run,
                                   const ward_agent_inbox_ops *ops, unsigned wait_s)
{
    char why[256];
    send_acks(ag, run, ops);
    page p = { run, ops, 0 };
    int skipped = 0;
    long status = ward_agent_inbox(ag, wait_s, &run->after, on_entry, &p,
                                   &skipped, why, sizeof why);
    if (ops->page_done != NULL) {
        ops->page_done(ops->ctx);
    }
    if (status != 0) {
        if (!ward_agent_stopping(ag)) {
            note(ops, "wardd inbox: %s", why);
        }
        return status < 0 ? WARD_AGENT_ROUND_NO_ANSWER : WARD_AGENT_ROUND_IDLE;
    }
    if (skipped < 0) {
        note(ops, "wardd sent a malformed inbox answer (no revokes list)");
    } else if (skipped > 0) {
        note(ops, "wardd's inbox answer had %d entries with no usable id (not above %lld): "
             "skipped", skipped, run->after);
    }
    send_acks(ag, run, ops);
    return p.done > 0 ? WARD_AGENT_ROUND_PROGRESS : WARD_AGENT_ROUND_IDLE;
}

ward_agent_round ward_agent_inbox_round(ward_agent *ag, ward_agent_inbox_run *run,
                                        const ward_agent_inbox_ops *ops)
{
    return round_wait(ag, run, ops, WARD_AGENT_INBOX_WAIT_S);
}

/* The next back-off after no answer: 1 s, doubling, at most max_s. */
static unsigned backoff_next(unsigned backoff_s, unsigned max_s)
{
    return backoff_s == 0 ? 1u : backoff_s * 2u > max_s ? max_s : backoff_s * 2u;
}

ward_agent_round ward_agent_inbox_tick(ward_agent *ag, ward_agent_inbox_run *run,
                                       const ward_agent_inbox_ops *ops, unsigned wait_s)
{
    if (run->backoff_s > 0 && ward_agent_mono_ms() < run->retry_at_ms) {
        return WARD_AGENT_ROUND_BACKING_OFF;
    }
    ward_agent_round end = round_wait(ag, run, ops, wait_s < WARD_AGENT_TICK_WAIT_MAX_S
                                                        ? wait_s : WARD_AGENT_TICK_WAIT_MAX_S);
    if (end == WARD_AGENT_ROUND_NO_ANSWER) {
        run->backoff_s = backoff_next(run->backoff_s, WARD_AGENT_BACKOFF_MAX_S);
        run->retry_at_ms = ward_agent_mono_ms() + run->backoff_s * 1000LL;
    } else {
        run->backoff_s = 0;
    }
    return end;
}

size_t ward_agent_inbox_loop(ward_agent *ag, ward_agent_inbox_run *run,
                             const ward_agent_inbox_ops *ops)
{
    unsigned rounds = 0;          /* of progress, in a row */
    long long burst_t0 = 0;       /* when the first of them began */
    while (!ward_agent_stopping(ag)) {
        long long t0 = ward_agent_mono_ms();
        if (rounds == 0) {
            burst_t0 = t0;
        }
        ward_agent_round end = ward_agent_inbox_round(ag, run, ops);
        if (end == WARD_AGENT_ROUND_PROGRESS && ++rounds < WARD_AGENT_PROGRESS_ROUNDS_MAX) {
            run->backoff_s = 0;
            continue;
        }
        /* The period of a burst counts from its first round. */
        if (end == WARD_AGENT_ROUND_PROGRESS) {
            t0 = burst_t0;
        }
        rounds = 0;
        if (end == WARD_AGENT_ROUND_NO_ANSWER) {
            run->backoff_s = backoff_next(run->backoff_s, WARD_AGENT_BACKOFF_MAX_S);
            ward_agent_nap(ag, run->backoff_s * 1000u);
            continue;
        }
        run->backoff_s = 0;
        long long spent = ward_agent_mono_ms() - t0;
        if (spent < WARD_AGENT_INBOX_WAIT_S * 1000LL) {
            ward_agent_nap(ag, (unsigned)(WARD_AGENT_INBOX_WAIT_S * 1000LL - spent));
        }
    }
    /* Stopping: the results not acknowledged yet go now (their senders
     * wait for them), once; the acknowledgement is never cancellable. */
    if (run->nunacked > 0) {
        send_acks(ag, run, ops);
    }
    return run->nunacked;
}
