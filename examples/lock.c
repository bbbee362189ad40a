/* A minimal lock firmware main loop on ward's agent library (POSIX): flows A and B, lock half.
 * Its state (made by `ward lock init`) opened once, every change power-safe; events on stdin:
 *     bind PHONE    a new app (once there is an owner, an app's yes first): prints "qr JSON"
 *     code DIGITS   the SMS code from the keypad: fetch the app's data, bind, confirm to wardd
 *     button        asks the bound apps to unlock, acts on the one answer
 *     sync          a timer tick: an inbox round (revocations) of 1 s at most, none while wardd
 *                   is away (back-off), then the confirmation wardd missed, if any, sent again
 * Usage: lock STATE_DIR   (build: cc lock.c $(pkg-config --cflags --libs ward)) */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <ward/ward.h>
#include <ward/ward_agent_state.h>

static ward_agent_state st;   /* the lock: its store, its identity, its link to wardd */
static ward_op_lock op;       /* the request waiting for an answer */
static bool yes;              /* what the answer to it said */
static char why[256];
static int fail(const char *what, ward_err err)
{
    return printf("error %s: %s\n", what, ward_agent_state_strerror(&st, err)), 1;
}
/* Sends the confirmation wardd has not acknowledged, if any: kept until wardd decides on it. */
static int confirm(void)
{
    uint8_t c[WARD_BIND_CONFIRM_MAX];
    size_t len = 0;
    ward_agent_bound b;
    ward_err err = ward_bind_unconfirmed(&st.lock, c, sizeof c, &len);
    if (err != WARD_OK) return err == WARD_ERR_NOTFOUND ? 0 : fail("confirm", err);
    long s = ward_agent_bind_confirm(&st.link, c, len, &b, why, sizeof why);
    if (s > 0 && s < 500) {   /* refused for good: the binding is undone */
        if (ward_bind_refused(&st.lock) != WARD_OK) printf("error store\n");
        return printf("error wardd refused the binding: %s\n", why), 1;
    }
    if (s != 0) return printf("error confirm: %s (sent again at the next sync)\n", why), 1;
    if (ward_bind_confirmed(&st.lock) != WARD_OK) printf("error store\n");
    return printf("bound %s as %s\n", b.uid, b.role), 0;
}

/* Fetches the app's sealed data (it may still be on its way), binds, has wardd record it. */
static int bind_complete(void)
{
    uint8_t tid[WARD_TASK_ID_LEN], blob[WARD_BIND_BLOB_MAX], c[WARD_BIND_CONFIRM_MAX];
    size_t blob_len = 0, len = 0;
    ward_err err = ward_bind_task_id(&st.lock, tid);
    if (err != WARD_OK) return fail("bind", err);
    long s = 404;
    for (int tries = 0; s == 404 && tries < 20; tries++) {   /* 404: not uploaded yet */
        if (tries > 0) sleep(1);
        s = ward_agent_bind_fetch(&st.link, tid, blob, sizeof blob, &blob_len, why, sizeof why);
    }
    if (s != 0) return printf("error fetch: %s\n", why), 1;
    err = ward_bind_finish(&st.lock, blob, blob_len, c, sizeof c, &len);
    return err != WARD_OK ? fail("bind", err) : confirm();
}

/* One answer from an app: the core checks it; act only when it says so. */
static ward_agent_answer on_answer(void *ctx, long long n, const char *who, const uint8_t *msg,
                                   size_t len, uint8_t *res, size_t cap, size_t *res_len)
{
    ward_op_outcome out;
    (void)ctx, (void)n, (void)who;
    ward_err err = ward_op_lock_accept(&st.lock, &op, msg, len, &out, res, cap, res_len);
    if (err == WARD_ERR_EXPIRED) return WARD_AGENT_ANSWER_LATE;
    if (err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT) return WARD_AGENT_ANSWER_IGNORED;
    if (err != WARD_OK) return WARD_AGENT_ANSWER_FAILED;
    /* The door acts here, once: the core refuses any other answer. */
    yes = out.execute;
    printf("%s by %.*s\n", !yes ? "denied" : out.op == WARD_OP_UNLOCK ? "unlocked" : "allowed",
           (int)out.uid_len, (const char *)out.uid);
    return WARD_AGENT_ANSWER_DECIDED;
}

/* Asks the bound apps (flow B): 0 once one answered. */
static int ask(uint8_t code)
{
    uint8_t req[WARD_OP_REQUEST_MAX];
    char op_id[WARD_AGENT_OP_ID_MAX + 1], token[2 * WARD_AGENT_TOKEN_LEN + 1];
    size_t len = 0;
    unsigned refused = 0;
    ward_err err = ward_op_lock_request(&st.lock, &op, code, NULL, 0, req, sizeof req, &len);
    if (err != WARD_OK) return fail("request", err);
    long s = ward_agent_op_post(&st.link, req, len, op_id, token, why, sizeof why);
    if (s != 0) return printf("error request: %s\n", why), 1;
    const ward_agent_op_wait_ops ops = { on_answer, NULL, NULL, NULL };
    ward_agent_op_end end = ward_agent_op_await(&st.link, op_id, token, 30, &ops, &refused);
    return end != WARD_AGENT_OP_DECIDED ? (printf("error no answer (%d)\n", (int)end), 1) : 0;
}

/* A REVOKE from an owner or admin (or the user itself), via wardd. */
static ward_agent_verdict on_revoke(void *ctx, long long id, const uint8_t *msg, size_t len,
                                    uint8_t *res, size_t cap, size_t *res_len)
{
    ward_revoke_outcome out;
    (void)ctx, (void)id;
    ward_err err = ward_op_lock_revoke(&st.lock, msg, len, &out, res, cap, res_len);
    bool ours = err == WARD_ERR_IO || err == WARD_ERR_BUSY || err == WARD_ERR_NOSPACE;
    if (ours) return WARD_AGENT_NOT_YET;   /* our own failure: try again next round */
    if (err != WARD_OK) return *res_len = 0, WARD_AGENT_PASSED;
    printf("revoke %.*s: %s\n", (int)out.target_len, (const char *)out.target,
           out.outcome == WARD_REVOKE_DONE ? "done" : "nothing to do");
    return WARD_AGENT_APPLIED;
}

static int handle(char *cmd, char *arg)
{
    ward_err err;
    if (strcmp(cmd, "button") == 0) return ask(WARD_OP_UNLOCK);
    if (strcmp(cmd, "bind") == 0) {
        char qr[WARD_QR_JSON_MAX];
        size_t len = 0;
        err = ward_bind_start(&st.lock, (const uint8_t *)arg, strlen(arg), qr, sizeof qr, &len);
        if (err == WARD_ERR_AUTH && ask(WARD_OP_ADD_CLIENT) == 0 && yes) {   /* allowed */
            err = ward_bind_start(&st.lock, (const uint8_t *)arg, strlen(arg), qr, sizeof qr, &len);
        }
        return err != WARD_OK ? fail("bind", err) : (printf("qr %s\n", qr), 0);
    } else if (strcmp(cmd, "code") == 0) {
        unsigned left = 0;
        err = ward_bind_enter_code(&st.lock, (const uint8_t *)arg, strlen(arg), &left);
        if (err == WARD_ERR_AUTH) return printf("code wrong, %u tries left\n", left), 1;
        return err != WARD_OK ? fail("code", err) : bind_complete();
    } else if (strcmp(cmd, "sync") == 0) {   /* wardd answered: a missed confirmation again */
        static ward_agent_inbox_run run;   /* the cursor, the unsent acks, the back-off */
        const ward_agent_inbox_ops ops = { on_revoke, NULL, NULL, NULL };
        ward_agent_round r = ward_agent_inbox_tick(&st.link, &run, &ops, 1);
        return r == WARD_AGENT_ROUND_PROGRESS || r == WARD_AGENT_ROUND_IDLE ? confirm() : 1;
    }
    return printf("error unknown event %s\n", cmd), 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) return fprintf(stderr, "usage: %s STATE_DIR\n", argv[0]), 2;
    ward_err err = ward_agent_state_open(&st, WARD_AGENT_LOCK, argv[1], NULL);
    if (err != WARD_OK) return printf("error open: %s\n", st.why), 1;
    setvbuf(stdout, NULL, _IOLBF, 0);   /* each reply is seen at once */
    printf("lock %s at %s\n", st.id, st.server);
    int status = 0;
    char line[256];
    while (fgets(line, sizeof line, stdin) != NULL) {   /* the main loop */
        line[strcspn(line, "\r\n")] = '\0';
        char *arg = strchr(line, ' ');
        if (arg != NULL) *arg++ = '\0';
        if (line[0] != '\0' && handle(line, arg != NULL ? arg : "") != 0) status = 1;
    }
    ward_agent_state_close(&st);
    return status;
}
