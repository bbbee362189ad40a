/* wardd's command SMS provider (server/sms_command.c) on real commands:
 * a command gets no descriptor of another command run at the same time,
 * and one that hangs, even after closing its output, is killed and
 * reaped at its deadline. Commands are
 * shell scripts written into a temporary directory. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ward_test.h"
#include "sms.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);   /* as wardd: a command that does not read */
    snprintf(dir, sizeof dir, "/tmp/ward-sms-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* Writes DIR/NAME, executable, with the body (%s in it: DIR). */
static void script(const char *name, const char *body, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n");
    fprintf(f, body, dir);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0755), 0);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The descriptor numbers above 2 a command listed (ls -l /proc/PID/fd),
 * as a string "3,10,..." in order. */
static void fds_above_2(const char *file, char *out, size_t cap)
{
    char path[128], line[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    out[0] = '\0';
    while (fgets(line, sizeof line, f) != NULL) {
        char *arrow = strstr(line, " -> ");
        if (line[0] != 'l' || arrow == NULL) {
            continue;
        }
        *arrow = '\0';
        const char *num = strrchr(line, ' ');
        assert_non_null(num);
        if (atoi(num + 1) > 2) {
            size_t n = strlen(out);
            snprintf(out + n, cap - n, "%s%s", n ? "," : "", num + 1);
        }
    }
    fclose(f);
}

typedef struct send_job {
    wardd_sms *sms;
    const char *phone;
    ward_err err;
} send_job;

static void *send_main(void *arg)
{
    send_job *j = arg;
    j->err = j->sms->send(j->sms->ctx, j->phone, "ward code 123456: test");
    return NULL;
}

/* A command started while another is running inherits none of that
 * one's pipe ends: a write end would keep the other from seeing its
 * command's end until this one exits. Each lists the descriptors it was
 * started with; the second must list no more than the first. */
static void test_pipes_not_inherited(void **state)
{
    (void)state;
    char path[128], slow[256], fast[256];
    script("sms.sh",
           "ls -l /proc/$$/fd > %s/fds-$1\n"
           "case \"$1\" in slow) sleep 2;; esac\n"
           "cat > /dev/null\n", path, sizeof path);
    wardd_sms sms;
    assert_int_equal(wardd_sms_command_open(path, 10000, &sms), WARD_OK);
    send_job j = { &sms, "slow", WARD_ERR_IO };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, send_main, &j), 0);
    struct timespec ts = { 0, 500 * 1000000L };
    nanosleep(&ts, NULL);
    assert_int_equal(sms.send(sms.ctx, "fast", "ward code 654321: test"), WARD_OK);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(j.err, WARD_OK);
    fds_above_2("fds-slow", slow, sizeof slow);
    fds_above_2("fds-fast", fast, sizeof fast);
    assert_string_equal(fast, slow);
    sms.close(sms.ctx);
}

/* A command that closes its output but never exits: it is killed at the
 * deadline and reaped, and the message counts as not sent. */
static void test_silent_hang_is_killed(void **state)
{
    (void)state;
    char path[128], pidfile[128], text[32];
    script("hang.sh",
           "echo $$ > %s/pid\n"
           "exec >&- 2>&-\n"
           "exec sleep 5\n", path, sizeof path);
    wardd_sms sms;
    assert_int_equal(wardd_sms_command_open(path, 300, &sms), WARD_OK);
    int64_t t0 = now_ms();
    assert_int_equal(sms.send(sms.ctx, "+8613800000000", "ward code 123456: test"),
                     WARD_ERR_IO);
    int64_t took = now_ms() - t0;
    assert_true(took >= 300);
    assert_true(took < 3000);
    snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
    FILE *f = fopen(pidfile, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    /* Killed and reaped: no such process, not even a zombie. */
    assert_int_equal(kill((pid_t)atol(text), 0), -1);
    assert_int_equal(errno, ESRCH);
    sms.close(sms.ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pipes_not_inherited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_hang_is_killed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
