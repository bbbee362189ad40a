/* The file storage port under the record store, including killed writers. */
/* fork, kill, mkdtemp, nanosleep: the tests build as plain C99. */
#define _GNU_SOURCE
#include "ward_test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ward/ward_port_posix.h"
#include "ward_inner.h"
#include "store/store_inner.h"

/* The opaque store's state, to check what the store decided. */
#define STATE(st) ward_store_cstate_of(&(st))

#define SIZE 4096

static char dir[64];
static char path[128];
static char kill_path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ward_fp_XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/store.bin", dir);
    snprintf(kill_path, sizeof kill_path, "%s/kill.bin", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[160];
    unlink(path);
    unlink(kill_path);
    snprintf(p, sizeof p, "%s.new", kill_path);
    unlink(p);
    snprintf(p, sizeof p, "%s.new", path);
    unlink(p);
    snprintf(p, sizeof p, "%s/short.bin", dir);
    unlink(p);
    rmdir(dir);
    return 0;
}

static void expect(const ward_store *st, uint16_t key, const char *s)
{
    uint8_t buf[64];
    size_t len = 0;
    assert_int_equal(ward_store_get(st, key, buf, sizeof buf, &len), WARD_OK);
    assert_int_equal(len, strlen(s));
    assert_memory_equal(buf, s, len);
}

static void test_round_trip_and_reopen(void **state)
{
    (void)state;
    ward_file_port fp;
    ward_store_port port;
    ward_store st;
    assert_int_equal(ward_file_port_open(&fp, path, SIZE, &port), WARD_OK);
    assert_int_equal(port.size, SIZE);
    assert_int_equal(port.size % (2 * port.erase_size), 0);

    /* A new file is the right size and blank. */
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, SIZE);
    uint8_t raw[SIZE];
    assert_int_equal(port.read(port.ctx, 0, raw, sizeof raw), WARD_OK);
    for (size_t i = 0; i < sizeof raw; i++) {
        assert_int_equal(raw[i], 0xFF);
    }
    /* Out of range is refused and does not grow the file. */
    assert_int_not_equal(port.read(port.ctx, SIZE - 1, raw, 2), WARD_OK);
    assert_int_equal(port.write(port.ctx, SIZE - 1, raw, 2), WARD_ERR_PARAM);
    assert_int_equal(port.erase(port.ctx, SIZE, 1), WARD_ERR_PARAM);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, SIZE);

    assert_int_equal(ward_store_open(&st, &port), WARD_OK);
    assert_false(STATE(st)->valid);
    ward_record_change ch[2] = {
        { 1, (const uint8_t *)"one", 3, false },
        { 2, (const uint8_t *)"two", 3, false },
    };
    assert_int_equal(ward_store_update(&st, ch, 2), WARD_OK);
    assert_int_equal(ward_store_put(&st, 2, (const uint8_t *)"TWO", 3),
                     WARD_OK);
    ward_file_port_close(&fp);
    assert_int_equal(fp.fd, -1);

    assert_int_equal(ward_file_port_open(&fp, path, SIZE, &port), WARD_OK);
    assert_int_equal(ward_store_open(&st, &port), WARD_OK);
    assert_int_equal(STATE(st)->seq, 2);
    expect(&st, 1, "one");
    expect(&st, 2, "TWO");
    ward_file_port_close(&fp);

    /* Read-only: the same records, and nothing can be written, erased or
     * synced; a missing file is not created. */
    uint8_t before[SIZE], after[SIZE];
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, before, SIZE), SIZE);
    close(fd);
    assert_int_equal(ward_file_port_open_readonly(&fp, path, SIZE, &port), WARD_OK);
    assert_int_equal(ward_store_open(&st, &port), WARD_OK);
    expect(&st, 1, "one");
    expect(&st, 2, "TWO");
    assert_int_equal(port.write(port.ctx, 0, raw, 1), WARD_ERR_IO);
    assert_int_equal(port.erase(port.ctx, 0, SIZE / 2), WARD_ERR_IO);
    assert_int_equal(port.sync(port.ctx), WARD_ERR_IO);
    assert_int_not_equal(ward_store_put(&st, 1, (const uint8_t *)"ONE", 3), WARD_OK);
    ward_file_port_close(&fp);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, after, SIZE), SIZE);
    close(fd);
    assert_memory_equal(before, after, SIZE);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/missing.bin", dir);
    assert_int_equal(ward_file_port_open_readonly(&fp, missing, SIZE, &port),
                     WARD_ERR_NOTFOUND);
    assert_int_not_equal(access(missing, F_OK), 0);
}

static void test_wrong_size_and_bad_args(void **state)
{
    (void)state;
    ward_file_port fp;
    ward_store_port port;
    char p[160];
    snprintf(p, sizeof p, "%s/short.bin", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789", 10), 10);
    close(fd);
    assert_int_equal(ward_file_port_open(&fp, p, SIZE, &port),
                     WARD_ERR_FORMAT);
    assert_int_equal(fp.fd, -1);
    assert_int_equal(fp.os_errno, 0);
    /* The existing file was not touched. */
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_size, 10);

    /* A directory cannot be opened for writing. */
    assert_int_equal(ward_file_port_open(&fp, dir, SIZE, &port),
                     WARD_ERR_IO);
    /* The port keeps why, for the host to say. */
    assert_int_equal(fp.os_errno, EISDIR);
    assert_int_equal(ward_file_port_open(&fp, path, 0, &port),
                     WARD_ERR_PARAM);
    assert_int_equal(ward_file_port_open(&fp, path, 4095, &port),
                     WARD_ERR_PARAM);
    /* No such directory. */
    assert_int_equal(ward_file_port_open(&fp, "/nonexistent-ward-dir/x", SIZE,
                                         &port), WARD_ERR_IO);
    assert_int_equal(fp.os_errno, ENOENT);
}

/* State i: key 1 holds i, key 2 a 300-byte value derived from i, key 3
 * exists only for odd i. A mix of two updates shows as a mismatch. */
static void make_value(uint32_t i, uint8_t *v, size_t len)
{
    for (size_t k = 0; k < len; k++) {
        v[k] = (uint8_t)(i * 31u + k);
    }
}

static uint32_t check_state(const ward_store *st)
{
    uint8_t buf[300], want[300];
    size_t len;
    if (!ward_store_cstate_of(st)->valid) {
        return 0;
    }
    assert_int_equal(ward_store_get(st, 1, buf, sizeof buf, &len), WARD_OK);
    assert_int_equal(len, 4);
    uint32_t i = ward_load32(buf);
    assert_int_equal(ward_store_get(st, 2, buf, sizeof buf, &len), WARD_OK);
    assert_int_equal(len, sizeof want);
    make_value(i, want, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    ward_err err = ward_store_get(st, 3, buf, sizeof buf, &len);
    assert_int_equal(err, (i & 1u) ? WARD_OK : WARD_ERR_NOTFOUND);
    return i;
}

/* The child: updates forever from the stored state, reporting each
 * committed number on the pipe. */
static void writer(int out)
{
    ward_file_port fp;
    ward_store_port port;
    ward_store st;
    if (ward_file_port_open(&fp, kill_path, SIZE, &port) != WARD_OK ||
        ward_store_open(&st, &port) != WARD_OK) {
        _exit(3);
    }
    uint32_t i = 0;
    if (STATE(st)->valid) {
        uint8_t buf[4];
        size_t len;
        if (ward_store_get(&st, 1, buf, sizeof buf, &len) != WARD_OK) {
            _exit(4);
        }
        i = ward_load32(buf);
    }
    for (;;) {
        i++;
        uint8_t n[4], v[300];
        ward_store32(n, i);
        make_value(i, v, sizeof v);
        ward_record_change ch[3] = {
            { 1, n, sizeof n, false },
            { 2, v, sizeof v, false },
            { 3, (const uint8_t *)"odd", 3, (i & 1u) == 0 },
        };
        if (ward_store_update(&st, ch, 3) != WARD_OK) {
            _exit(5);
        }
        if (write(out, n, sizeof n) != (ssize_t)sizeof n) {
            _exit(6);
        }
    }
}

static void test_killed_writer(void **state)
{
    (void)state;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    print_message("kill test seed %u\n", seed);
    uint32_t last = 0;
    for (int iter = 0; iter < 20; iter++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            writer(fds[1]);
        }
        close(fds[1]);
        /* Let it run a few updates, sometimes none at all. */
        struct timespec ts = { 0, (long)(rand() % 20000) * 1000L };
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        /* The last number the child confirmed. */
        uint8_t buf[256];
        ssize_t n;
        size_t have = 0;
        uint8_t tail[4];
        while ((n = read(fds[0], buf, sizeof buf)) > 0) {
            for (ssize_t k = 0; k < n; k++) {
                tail[have % 4] = buf[k];
                have++;
                if (have % 4 == 0) {
                    last = ward_load32(tail);
                }
            }
        }
        close(fds[0]);

        ward_file_port fp;
        ward_store_port port;
        ward_store st;
        assert_int_equal(ward_file_port_open(&fp, kill_path, SIZE, &port),
                         WARD_OK);
        assert_int_equal(ward_store_open(&st, &port), WARD_OK);
        uint32_t now = check_state(&st);
        ward_file_port_close(&fp);
        /* The process died, not the kernel: what was confirmed is there,
         * and at most the one update it was killed after committing. */
        assert_true(now == last || now == last + 1);
        last = now;
    }
    print_message("killed writer 20 times, last committed state %u\n",
                  (unsigned)last);
}

/* The other two posix ports, which live beside the file port. */
static void test_posix_random_and_clock(void **state)
{
    (void)state;
    static uint8_t a[100000], b[32];
    ward_random r = ward_random_posix();
    /* Bigger than one getrandom() call promises to fill. */
    memset(a, 0, sizeof a);
    assert_int_equal(r.fill(r.ctx, a, sizeof a), WARD_OK);
    size_t zeros = 0;
    for (size_t i = 0; i < sizeof a; i++) {
        zeros += a[i] == 0;
    }
    assert_true(zeros < 1000);  /* about 390 expected */
    assert_int_equal(r.fill(r.ctx, b, sizeof b), WARD_OK);
    assert_memory_not_equal(a, b, sizeof b);
    assert_int_equal(r.fill(r.ctx, b, 0), WARD_OK);

    ward_clock c = ward_clock_posix();
    assert_true(c.trusted);
    uint64_t ms = 0, ms2 = 0;
    assert_int_equal(c.now_ms(c.ctx, &ms), WARD_OK);
    uint64_t t = (uint64_t)time(NULL) * 1000u;
    assert_true(ms + 2000 > t && ms < t + 2000);
    assert_int_equal(c.now_ms(c.ctx, &ms2), WARD_OK);
    assert_true(ms2 >= ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_posix_random_and_clock),
        cmocka_unit_test(test_round_trip_and_reopen),
        cmocka_unit_test(test_wrong_size_and_bad_args),
        cmocka_unit_test(test_killed_writer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
