/* Structured log lines on stderr or a --log file: every value escaped by
 * one formatter, each line written whole so threads never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* A request's lines, held so that they and its access line leave in one
 * write(2): wardd runs a thread per connection, so one per thread. */
#define HELD_MAX 8192

static __thread struct {
    bool on;
    size_t len;
    char buf[HELD_MAX];
} held;

/* The line being built. Past `cap` it is `over`, and the line is cut back
 * to `field_end`, the end of its last whole field. */
typedef struct line_buf {
    char *p;
    size_t len;
    size_t cap;
    size_t field_end;
    bool over;
    bool in_quotes;     /* inside a "..." of the format's own text */
} line_buf;

static const char truncated_tail[] = " truncated=1\n";

/* Where lines go: stderr, or the --log file. A reopen swaps the file
 * behind this descriptor with dup2(2), atomically, so a writer never
 * sees it closed and no lock is taken per line. */
static int log_fd = STDERR_FILENO;

/* One write(2) per call: atomic for lines this short, even on a pipe. */
static void put(const char *text, size_t len)
{
    ssize_t w = write(__atomic_load_n(&log_fd, __ATOMIC_RELAXED), text, len);
    (void)w;
}

int wardd_log_open(const char *path)
{
    /* 0640: the log names addresses and accounts, not for every user. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0) {
        return errno;
    }
    int cur = __atomic_load_n(&log_fd, __ATOMIC_RELAXED);
    if (cur == STDERR_FILENO) {
        __atomic_store_n(&log_fd, fd, __ATOMIC_RELAXED);
        return 0;
    }
    int rc = dup2(fd, cur) < 0 ? errno : 0;
    close(fd);
    return rc;
}

static void add(line_buf *b, const char *s, size_t n)
{
    if (b->over) {
        return;
    }
    if (n > b->cap - b->len) {
        b->over = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* A byte that may stand in a bare value: printable ASCII but space,
 * '"', '\\' and '=' (which could start a field or a quoted string). */
static bool bare_byte(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

/* A byte written as itself inside quotes. */
static bool quoted_byte(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Writes n bytes of v as one value: bare when every byte is bare_byte (an
 * empty value is bare too and writes nothing, so a value may be built of
 * several conversions, as in addr=%s:%u); else quoted, with \" \\ and
 * \xNN for control bytes and bytes >= 0x7f; without quotes of its own when
 * the format already opened them. At most WARDD_LOG_VALUE_MAX characters;
 * a longer value ends in "...". */
static void add_value(line_buf *b, const char *v, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char out[WARDD_LOG_VALUE_MAX + 8];
    size_t o = 0;
    bool bare = !b->in_quotes;
    for (size_t i = 0; bare && i < n; i++) {
        bare = bare_byte((unsigned char)v[i]);
    }
    bool own_quotes = !bare && !b->in_quotes;
    if (own_quotes) {
        out[o++] = '"';
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        char e[4];
        size_t k;
        if (quoted_byte(c)) {
            e[0] = (char)c;
            k = 1;
        } else if (c == '"' || c == '\\') {
            e[0] = '\\';
            e[1] = (char)c;
            k = 2;
        } else {
            e[0] = '\\';
            e[1] = 'x';
            e[2] = hex[c >> 4];
            e[3] = hex[c & 15];
            k = 4;
        }
        /* Room is kept for "..." and the closing quote. */
        if (o + k > WARDD_LOG_VALUE_MAX - 4) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(out + o, e, k);
        o += k;
    }
    if (own_quotes) {
        out[o++] = '"';
    }
    add(b, out, o);
}

/* The format's own text: keys, '=', spaces and quotes pass; any other
 * byte a value could not carry bare is escaped, in case a format is ever
 * built from data. A space outside quotes ends a field. */
static void add_literal(line_buf *b, unsigned char c)
{
    if (c == ' ' && !b->in_quotes && !b->over) {
        b->field_end = b->len;
    }
    if (c == '"') {
        b->in_quotes = !b->in_quotes;
    }
    if (c == '"' || c == ' ' || c == '=' || quoted_byte(c)) {
        char ch = (char)c;
        add(b, &ch, 1);
        return;
    }
    char one = (char)c;
    bool was = b->in_quotes;
    b->in_quotes = true;            /* escaped, never quoted */
    add_value(b, &one, 1);
    b->in_quotes = was;
}

enum len_mod { LM_NONE, LM_HH, LM_H, LM_L, LM_LL, LM_Z, LM_J, LM_T, LM_BIG_L };

/* One conversion of a number through snprintf with its own spec (flags,
 * width and precision kept): digits, signs, '.', 'x' and padding, never
 * anything to escape. */
static bool add_number(line_buf *b, const char *spec, char conv, enum len_mod lm, va_list *ap)
{
    char num[128];
    int n = -1;
    switch (conv) {
    case 'd':
    case 'i':
        switch (lm) {
        case LM_L: n = snprintf(num, sizeof num, spec, va_arg(*ap, long)); break;
        case LM_LL: n = snprintf(num, sizeof num, spec, va_arg(*ap, long long)); break;
        case LM_Z: n = snprintf(num, sizeof num, spec, va_arg(*ap, ssize_t)); break;
        case LM_J: n = snprintf(num, sizeof num, spec, va_arg(*ap, intmax_t)); break;
        case LM_T: n = snprintf(num, sizeof num, spec, va_arg(*ap, ptrdiff_t)); break;
        case LM_BIG_L: return false;
        default: n = snprintf(num, sizeof num, spec, va_arg(*ap, int)); break;
        }
        break;
    case 'u':
    case 'x':
    case 'X':
    case 'o':
        switch (lm) {
        case LM_L: n = snprintf(num, sizeof num, spec, va_arg(*ap, unsigned long)); break;
        case LM_LL:
            n = snprintf(num, sizeof num, spec, va_arg(*ap, unsigned long long));
            break;
        case LM_Z: n = snprintf(num, sizeof num, spec, va_arg(*ap, size_t)); break;
        case LM_J: n = snprintf(num, sizeof num, spec, va_arg(*ap, uintmax_t)); break;
        case LM_T: n = snprintf(num, sizeof num, spec, va_arg(*ap, size_t)); break;
        case LM_BIG_L: return false;
        default: n = snprintf(num, sizeof num, spec, va_arg(*ap, unsigned)); break;
        }
        break;
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
    case 'a':
    case 'A':
        if (lm == LM_BIG_L) {
            n = snprintf(num, sizeof num, spec, va_arg(*ap, long double));
        } else {
            n = snprintf(num, sizeof num, spec, va_arg(*ap, double));
        }
        break;
    case 'p':
        n = snprintf(num, sizeof num, spec, va_arg(*ap, void *));
        break;
    default:
        return false;
    }
    if (n < 0) {
        return false;
    }
    /* Through the escaper all the same: a flag such as ' ' could pad. */
    add_value(b, num, (size_t)n < sizeof num ? (size_t)n : sizeof num - 1);
    return true;
}

/* Reads a length modifier (hh h l ll z j t L) at *f and moves past it. */
static enum len_mod length_modifier(const char **f)
{
    static const struct {
        const char *text;
        enum len_mod lm;
    } mods[] = {
        { "hh", LM_HH }, { "ll", LM_LL }, { "h", LM_H }, { "l", LM_L },
        { "z", LM_Z }, { "j", LM_J }, { "t", LM_T }, { "L", LM_BIG_L },
    };
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        size_t n = strlen(mods[i].text);
        if (strncmp(*f, mods[i].text, n) == 0) {
            *f += n;
            return mods[i].lm;
        }
    }
    return LM_NONE;
}

/* printf's conversions, with every %s and %c written by add_value. An
 * unknown conversion ends the line with badfmt=1 (its argument's type is
 * unknown, so nothing after it can be read). */
static void format(line_buf *b, const char *fmt, va_list *ap)
{
    const char *f = fmt;
    while (*f != '\0') {
        if (*f != '%') {
            add_literal(b, (unsigned char)*f++);
            continue;
        }
        const char *start = f++;
        if (*f == '%') {
            add_literal(b, '%');
            f++;
            continue;
        }
        while (*f != '\0' && strchr("-+ #0", *f) != NULL) {
            f++;
        }
        while (*f >= '0' && *f <= '9') {
            f++;
        }
        bool has_prec = false, star_prec = false;
        int prec = 0;
        if (*f == '.') {
            has_prec = true;
            f++;
            if (*f == '*') {
                star_prec = true;
                prec = va_arg(*ap, int);
                f++;
            } else {
                while (*f >= '0' && *f <= '9') {
                    prec = prec * 10 + (*f++ - '0');
                    if (prec > 100000) {
                        prec = 100000;
                    }
                }
            }
        }
        enum len_mod lm = length_modifier(&f);
        char conv = *f;
        if (conv == '\0') {
            break;
        }
        f++;
        if ((conv == 's' || conv == 'c') && lm != LM_NONE) {
            add(b, " badfmt=1", 9);             /* wide characters: not ours */
            break;
        }
        if (conv == 's') {
            const char *s = va_arg(*ap, const char *);
            if (s == NULL) {
                s = "(null)";
            }
            size_t n = has_prec && prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
            add_value(b, s, n);
            continue;
        }
        if (conv == 'c') {
            char c = (char)va_arg(*ap, int);
            add_value(b, &c, 1);
            continue;
        }
        char spec[32];
        size_t sl = (size_t)(f - start);
        if (!star_prec && sl < sizeof spec && strchr("diuxXofFeEgGaAp", conv) != NULL) {
            memcpy(spec, start, sl);
            spec[sl] = '\0';
            if (add_number(b, spec, conv, lm, ap)) {
                continue;
            }
        }
        add(b, " badfmt=1", 9);
        break;
    }
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

static void log_va(const char *level, const char *event, const char *fmt, va_list ap)
{
    char line[WARDD_LOG_LINE_MAX];
    line_buf b = { line, 0, sizeof line - (sizeof truncated_tail - 1), 0, false, false };
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[64];
    int n = snprintf(stamp, sizeof stamp, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
    if (n < 0 || (size_t)n >= sizeof stamp) {
        return;
    }
    add(&b, stamp, (size_t)n);
    b.field_end = b.len;
    add(&b, " level=", 7);
    add_value(&b, level, strlen(level));
    b.field_end = b.len;
    add(&b, " event=", 7);
    add_value(&b, event, strlen(event));
    b.field_end = b.len;
    if (fmt != NULL) {
        add_literal(&b, ' ');
        va_list copy;
        va_copy(copy, ap);
        format(&b, fmt, &copy);
        va_end(copy);
        if (!b.over && !b.in_quotes) {
            b.field_end = b.len;
        }
    }
    size_t len;
    if (b.over || b.in_quotes) {
        /* Cut back to the last whole field, then say so. */
        len = b.field_end;
        memcpy(line + len, truncated_tail, sizeof truncated_tail - 1);
        len += sizeof truncated_tail - 1;
    } else {
        len = b.len;
        line[len++] = '\n';
    }
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

void wardd_log(const char *level, const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_va(level, event, fmt, ap);
    va_end(ap);
}
