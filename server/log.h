/*
 * log.h - wardd's structured log: one line per event on stderr,
 *     ts=2026-01-02T03:04:05.678Z level=info event=listening addr=...
 * Callers pass the rest as printf-style "key=value" pairs. Never log a
 * code, a blob, a key or a signature: logs leave the trust boundary.
 */
#ifndef WARDD_LOG_H
#define WARDD_LOG_H

#if defined(__GNUC__)
#define WARDD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define WARDD_PRINTF(a, b)
#endif

/* level: "debug", "info", "warn", "error". fmt may be NULL. */
void wardd_log(const char *level, const char *event, const char *fmt, ...)
    WARDD_PRINTF(3, 4);

/* Between hold and release the calling thread's lines wait in memory and
 * leave together (wardd holds them for the length of one request, whose
 * access line release follows: one write per request, not one per line). */
void wardd_log_hold(void);
void wardd_log_release(void);

#endif /* WARDD_LOG_H */
