/* The Range header of GET /v1/fw/{class}/{counter}/image: one byte range (RFC 9110 14.1.2). */
#include <string.h>
#include <strings.h>

#include "fw.h"

/* Decimal digits at *p into *v (at most 15: below 2^53, past any
 * image); false when there are none or too many. */
static bool digits(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t n = 0;
    size_t k = 0;
    while (*s >= '0' && *s <= '9') {
        if (++k > 15) {
            return false;
        }
        n = n * 10 + (uint64_t)(*s - '0');
        s++;
    }
    if (k == 0) {
        return false;
    }
    *p = s;
    *v = n;
    return true;
}

static void skip_ows(const char **p)
{
    while (**p == ' ' || **p == '\t') {
        (*p)++;
    }
}

wardd_range_res wardd_range_parse(const char *h, uint64_t size, uint64_t *first,
                                  uint64_t *last)
{
    if (h == NULL) {
        return WARDD_RANGE_ALL;
    }
    skip_ows(&h);
    /* Another unit is not ours to answer: the whole image (RFC 9110: a
     * server ignores a range unit it does not understand). */
    if (strncasecmp(h, "bytes", 5) != 0) {
        return WARDD_RANGE_ALL;
    }
    h += 5;
    skip_ows(&h);
    if (*h++ != '=') {
        return WARDD_RANGE_ALL;
    }
    skip_ows(&h);
    uint64_t f = 0, l = size - 1;
    if (*h == '-') {
        h++;
        uint64_t n;
        if (!digits(&h, &n) || n == 0) {
            return WARDD_RANGE_BAD;
        }
        f = n >= size ? 0 : size - n;
    } else {
        if (!digits(&h, &f) || *h++ != '-') {
            return WARDD_RANGE_BAD;
        }
        if (*h >= '0' && *h <= '9') {
            if (!digits(&h, &l)) {
                return WARDD_RANGE_BAD;
            }
            if (l < f) {
                return WARDD_RANGE_BAD;
            }
            if (l >= size) {
                l = size - 1;
            }
        }
        if (f >= size) {
            return WARDD_RANGE_BAD;
        }
    }
    skip_ows(&h);
    /* One range per request: a device reads its image in order. */
    if (*h != '\0') {
        return WARDD_RANGE_BAD;
    }
    *first = f;
    *last = l;
    return WARDD_RANGE_PART;
}
