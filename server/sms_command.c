/* The command SMS provider: CMD PHONE, text on stdin, no shell. What the
 * command prints is read and dropped, counted in wardd's log: it may echo
 * the text, whose code must never reach a log, and raw it could forge log
 * lines. A command still running at its deadline (its output closed or
 * not) is killed and reaped. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sms.h"

#define MAX_ARGS 16

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads (and drops) the command's output until it closes it; false when
 * it does not by the deadline. A failing poll() ends the reading too (the
 * wait for the command's exit still has the deadline). */
static bool drain_output(int fd, int64_t deadline, size_t *total)
{
    *total = 0;
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            return false;
        }
        struct pollfd p = { fd, POLLIN, 0 };
        int rc = poll(&p, 1, (int)left);
        if (rc < 0 && errno != EINTR) {
            return true;
        }
        if (rc <= 0) {
            continue;   /* EINTR or time: the deadline check ends it */
        }
        char buf[512];
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return true;
        }
        *total += (size_t)r;
    }
}

/* Waits for pid's exit until the deadline, polling (from 1 ms, doubling
 * to 50 ms): a command may close its output and go on running. 1 when it
 * exited (*status), 0 at the deadline, -1 when pid is not a child to wait
 * for (then it must not be killed: the number may be another process's). */
static int wait_until(pid_t pid, int64_t deadline, int *status)
{
    long pause_ms = 1;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) {
            return 1;
        }
        if (r < 0 && errno != EINTR) {
            return -1;
        }
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            return 0;
        }
        long ms = pause_ms < left ? pause_ms : (long)left;
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        pause_ms = pause_ms < 25 ? pause_ms * 2 : 50;
    }
}

/* Puts fd on target in a child about to exec, without close-on-exec
 * (dup2 onto itself would keep the flag: it is lifted instead). The
 * first pipe is made first, so its read end is 0 only when 0 was free,
 * and the output's write end is never 0. */
static void onto(int fd, int target)
{
    if (fd == target) {
        fcntl(fd, F_SETFD, 0);
    } else {
        dup2(fd, target);
    }
}

typedef struct command {
    char *buf;                  /* CMD, split in place on spaces */
    char *argv[MAX_ARGS + 2];   /* its words, the phone, NULL */
    int argc;
    long timeout_ms;
} command;

static ward_err command_send(void *ctx, const char *phone, const char *text)
{
    command *c = ctx;
    char *argv[MAX_ARGS + 2];
    memcpy(argv, c->argv, sizeof argv);
    argv[c->argc] = (char *)phone;
    argv[c->argc + 1] = NULL;

    /* Close-on-exec: wardd serves requests on many threads, and a command
     * another one starts meanwhile must not inherit these ends (holding a
     * write end, it would keep this command's output from ending). */
    int fds[2], outs[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        return WARD_ERR_IO;
    }
    if (pipe2(outs, O_CLOEXEC) != 0) {
        close(fds[0]);
        close(fds[1]);
        return WARD_ERR_IO;
    }
    int64_t deadline = mono_ms() + c->timeout_ms;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        close(outs[0]);
        close(outs[1]);
        return WARD_ERR_IO;
    }
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec; every pipe
         * end closes at the exec but for the copies on 0, 1 and 2. */
        onto(fds[0], STDIN_FILENO);
        onto(outs[1], STDOUT_FILENO);
        onto(outs[1], STDERR_FILENO);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[0]);
    close(outs[1]);
    ward_err err = WARD_OK;
    size_t n = strlen(text);
    const char *p = text;
    while (n > 0) {
        ssize_t w = write(fds[1], p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            err = WARD_ERR_IO;   /* the command did not read: SIGPIPE is ignored */
            break;
        }
        p += w;
        n -= (size_t)w;
    }
    if (err == WARD_OK && write(fds[1], "\n", 1) != 1) {
        err = WARD_ERR_IO;
    }
    close(fds[1]);
    /* The text is short: written before the output is read, it never
     * waits on a full pipe. */
    size_t total = 0;
    bool ended = drain_output(outs[0], deadline, &total);
    close(outs[0]);
    int status = 0;
    int waited = ended ? wait_until(pid, deadline, &status) : 0;
    if (waited == 0) {
        kill(pid, SIGKILL);
        wardd_log("warn", "sms_command_killed", "after_ms=%ld", c->timeout_ms);
        err = WARD_ERR_IO;
        /* Killed: it ends at once, and is reaped so it leaves no zombie. */
        do {
            waited = waitpid(pid, &status, 0) == pid ? 1 : -1;
        } while (waited < 0 && errno == EINTR);
    }
    if (total > 0) {
        wardd_log("info", "sms_command_output", "bytes=%zu dropped=1", total);
    }
    if (waited < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return WARD_ERR_IO;
    }
    return err;
}

static void command_close(void *ctx)
{
    command *c = ctx;
    if (c != NULL) {
        free(c->buf);
        free(c);
    }
}

ward_err wardd_sms_command_open(const char *cmd, long timeout_ms, wardd_sms *sms)
{
    command *c = calloc(1, sizeof *c);
    if (c == NULL || (c->buf = strdup(cmd)) == NULL) {
        free(c);
        return WARD_ERR_NOSPACE;
    }
    char *save = NULL;
    for (char *w = strtok_r(c->buf, " \t", &save); w != NULL;
         w = strtok_r(NULL, " \t", &save)) {
        if (c->argc == MAX_ARGS) {
            command_close(c);
            return WARD_ERR_PARAM;
        }
        c->argv[c->argc++] = w;
    }
    if (c->argc == 0 || timeout_ms <= 0) {
        command_close(c);
        return WARD_ERR_PARAM;
    }
    c->timeout_ms = timeout_ms;
    sms->send = command_send;
    sms->close = command_close;
    sms->ctx = c;
    sms->name = "command";
    return WARD_OK;
}
