/* A lock waiting for the answer to its OP_REQUEST (flow B): the fetches,
 * their pacing and back-off, the result or the withdrawal at the end
 * (ward_agent.h). wardd is not trusted to answer slowly, honestly or at
 * all: the deadline and the count of refused answers bound the wait. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent_inner.h"
#include "ward/ward.h"
#include "ward/ward_agent.h"

typedef struct waiting {
    const ward_agent_op_wait_ops *ops;
    unsigned refused;
    bool decided;
    ward_agent_answer last;
    uint8_t res[WARD_OP_RESULT_MAX];
    size_t res_len;
} waiting;

#define note(ops, ...) ward_agent_say((ops)->note, (ops)->ctx, __VA_ARGS__)

static int on_answer(void *ctx, long long n, const char *from, const uint8_t *approval,
                     size_t len)
{
    waiting *w = ctx;
    /* Who answered, as wardd says: any bytes it likes, kept escaped. */
    char who[WARD_AGENT_TEXT_MAX];
    ward_http_text(who, sizeof who, from);
    if (approval == NULL) {
        w->refused++;
        note(w->ops, "answer %lld (from %s) is not a ward message: ignored", n, who);
        return 0;
    }
    w->res_len = 0;
    w->last = w->ops->accept(w->ops->ctx, n, who, approval, len, w->res, sizeof w->res,
                             &w->res_len);
    if (w->last == WARD_AGENT_ANSWER_IGNORED) {
        w->refused++;
        return 0;
    }
    w->decided = w->last == WARD_AGENT_ANSWER_DECIDED || w->last == WARD_AGENT_ANSWER_LATE;
    return 1;
}

/* Gives the request up at wardd. Signed; sent even after a stop (only the
 * waits are cancellable). */
static void withdraw(ward_agent *ag, const char *op_id, const ward_agent_op_wait_ops *ops)
{
    char why[256];
    if (ward_agent_op_withdraw(ag, op_id, why, sizeof why) != 0) {
        note(ops, "could not withdraw the request at wardd (%s): apps may still see it until "
             "it expires, and the lock refuses any answer to it", why);
    } else {
        note(ops, "request withdrawn: no app is offered it any more");
    }
}

ward_agent_op_end ward_agent_op_await(ward_agent *ag, const char *op_id, const char *token_hex,
                                      unsigned timeout_s, const ward_agent_op_wait_ops *ops,
                                      unsigned *refused)
{
    char why[256];
    time_t deadline = time(NULL) + (time_t)timeout_s;
    long long after = 0;
    waiting w;
    memset(&w, 0, sizeof w);
    w.ops = ops;
    unsigned backoff_s = 1;
    bool down = false;
    ward_agent_op_end end;
    for (;;) {
        time_t left = deadline - time(NULL);
        if (ward_agent_stopping(ag)) {
            end = WARD_AGENT_OP_STOPPED;
            break;
        }
        if (left <= 0 || w.refused > 2u * WARD_MAX_CLIENTS) {
            end = WARD_AGENT_OP_TIMEOUT;
            break;
        }
        time_t t0 = time(NULL);
        int skipped = 0;
        long status = ward_agent_op_answers(ag, op_id, token_hex,
                                            left < (time_t)WARD_AGENT_OP_POLL_S
                                                ? (unsigned)left : WARD_AGENT_OP_POLL_S,
                                            &after, on_answer, &w, &skipped, why, sizeof why);
        if (status == 410) {
            *refused = w.refused;
            return WARD_AGENT_OP_GONE;
        }
        if (status == 0 && skipped < 0) {
            note(ops, "wardd sent a malformed answer list: ignored");
        } else if (status != 0 && status != 404 && status >= 0 && status < 500 &&
                   !ward_agent_stopping(ag)) {
            note(ops, "waiting for the answer: %s", why);
        }
        bool failing = (status < 0 || status >= 500) && !ward_agent_stopping(ag);
        if (failing && !down) {
            note(ops, "waiting for the answer: %s; trying again, at most every %u s, until "
                 "the request's time is up", why, WARD_AGENT_OP_BACKOFF_MAX_S);
        } else if (!failing && down) {
            note(ops, "wardd answers again: still waiting for the answer");
            backoff_s = 1;
        }
        down = failing;
        /* The page is walked: the lock's state may go to others until the
         * next one. */
        if (ops->page_done != NULL) {
            ops->page_done(ops->ctx);
        }
        if (w.decided) {
            /* The door has acted (or refused): the app hears so, whatever
             * a stop says now. */
            if (w.res_len > 0 &&
                ward_agent_op_result(ag, op_id, token_hex, w.res, w.res_len, why,
                                     sizeof why) != 0) {
                note(ops, "the result did not reach wardd: %s", why);
            }
            *refused = w.refused;
            return w.last == WARD_AGENT_ANSWER_LATE ? WARD_AGENT_OP_LATE
                                                    : WARD_AGENT_OP_DECIDED;
        }
        if (w.last == WARD_AGENT_ANSWER_FAILED) {
            end = WARD_AGENT_OP_FAILED;
            break;
        }
        /* Never faster than a fetch a second, whatever wardd answers;
         * slower and slower while it fails. */
        if (down) {
            time_t rest = deadline - time(NULL);
            ward_agent_nap(ag, 1000u * (rest < (time_t)backoff_s ? (rest > 0 ? (unsigned)rest : 0u)
                                                      : backoff_s));
            backoff_s = backoff_s * 2 > WARD_AGENT_OP_BACKOFF_MAX_S ? WARD_AGENT_OP_BACKOFF_MAX_S
                                                                    : backoff_s * 2;
        } else if (time(NULL) - t0 < 1) {
            ward_agent_nap(ag, 1000);
        }
    }
    withdraw(ag, op_id, ops);
    *refused = w.refused;
    return end;
}
