/*
 * record.h - a test-only record of every answer wardd sends, for the
 * end-to-end tests' check of the answers against docs/openapi.json.
 *
 * Off unless the environment names a file in WARDD_TEST_RECORD when wardd
 * starts; then each answer appends one JSON line to it:
 *   {"method","path","status","content_type","retry_after","body"}
 * (retry_after 0 when the answer has no Retry-After; body as sent). Off,
 * wardd_record costs one test of a pointer. Never set it in production:
 * the file holds every answer's body.
 */
#ifndef WARDD_RECORD_H
#define WARDD_RECORD_H

#include <stddef.h>

/* Opens the file WARDD_TEST_RECORD names, if any: 0, or -1 (logged) when
 * it cannot be opened. */
int wardd_record_open(void);
void wardd_record_close(void);
/* path NULL: the request's target was not read (414). */
void wardd_record(const char *method, const char *path, unsigned status,
                  const char *content_type, long retry_after, const char *body, size_t len);

#endif /* WARDD_RECORD_H */
