/* Structured log lines on stderr, written whole so threads never interleave. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* A request's lines, held so that they and its access line leave in one
 * write(2): wardd runs a thread per connection, so one per thread. */
#define HELD_MAX 4096

static __thread struct {
    bool on;
    size_t len;
    char buf[HELD_MAX];
} held;

/* One write(2) per call: atomic for lines this short, even on a pipe. */
static void put(const char *text, size_t len)
{
    ssize_t w = write(STDERR_FILENO, text, len);
    (void)w;
}

void wardd_log_hold(void)
{
    held.on = true;
    held.len = 0;
}

void wardd_log_release(void)
{
    if (held.len > 0) {
        put(held.buf, held.len);
    }
    held.on = false;
    held.len = 0;
}

void wardd_log(const char *level, const char *event, const char *fmt, ...)
{
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L, level, event);
    if (n < 0) {
        return;
    }
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (fmt != NULL && len + 2 < sizeof line) {
        line[len++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + len, sizeof line - len, fmt, ap);
        va_end(ap);
        if (m > 0) {
            len += (size_t)m < sizeof line - len ? (size_t)m : sizeof line - len - 1;
        }
    }
    if (len + 1 >= sizeof line) {
        len = sizeof line - 2;
    }
    line[len++] = '\n';
    if (!held.on) {
        put(line, len);
        return;
    }
    if (held.len + len > sizeof held.buf) {
        put(held.buf, held.len);
        held.len = 0;
    }
    memcpy(held.buf + held.len, line, len);
    held.len += len;
}
