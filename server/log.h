/*
 * log.h - wardd's structured log: one line per event on stderr (or the
 * file of --log),
 *     ts=2026-01-02T03:04:05.678Z level=info event=listening addr=...
 *
 * Callers pass the rest as printf-style "key=%s key=%u" pairs; the
 * format's own text is trusted, every argument is not. wardd_log formats
 * them itself so that no caller can forget to escape: a %s (or %c) value
 * is written bare when it is all printable ASCII other than space, '"',
 * '\' and '=' (an empty value writes nothing), and otherwise in double quotes with '"' as \",
 * '\' as \\ and every control byte and byte >= 0x7f as \xNN. A %s inside
 * quotes of the format itself (msg="...%s...") is escaped the same way
 * without quotes of its own. So a line is always one line of printable
 * ASCII, and no value can end its field or forge another. A value is cut
 * at WARDD_LOG_VALUE_MAX characters (ending in "..."), a line at
 * WARDD_LOG_LINE_MAX after its last whole field (ending in truncated=1).
 * Numbers (%d %u %x %ld %zu %lld ...) are printed as printf would; a
 * conversion it does not know (or '*' precision on a number) ends the
 * line with badfmt=1.
 *
 * Never log a code, a blob, a key or a signature: logs leave the trust
 * boundary.
 */
#ifndef WARDD_LOG_H
#define WARDD_LOG_H

#if defined(__GNUC__)
#define WARDD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define WARDD_PRINTF(a, b)
#endif

#define WARDD_LOG_LINE_MAX 2048
#define WARDD_LOG_VALUE_MAX 256

/* level: "debug", "info", "warn", "error". fmt may be NULL. */
void wardd_log(const char *level, const char *event, const char *fmt, ...)
    WARDD_PRINTF(3, 4);

/* Sends the lines to path (appended, created 0640) from now on; called
 * again (SIGHUP), opens path anew, so a log renamed away by a rotation
 * stops growing and the next line starts the new file. 0, or the errno
 * (the lines keep going where they went). */
int wardd_log_open(const char *path);

/* Between hold and release the calling thread's lines wait in memory and
 * leave together (wardd holds them for the length of one request, whose
 * access line release follows: one write per request, not one per line). */
void wardd_log_hold(void);
void wardd_log_release(void);

#endif /* WARDD_LOG_H */
