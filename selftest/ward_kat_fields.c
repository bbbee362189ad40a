/* Field look-up for the known-answer runner: values as bytes or iov lists. */
#include <string.h>

#include "ward_kat_inner.h"

/* Where an empty value points, so no port sees NULL with length 0 unless
 * its contract says NULL is allowed. */
static const uint8_t kat_empty[1] = { 0 };

const ward_kat_field *ward_kat_find(const ward_kat_case *c, const char *key)
{
    for (size_t i = 0; i < c->nfields; i++) {
        if (strcmp(c->fields[i].key, key) == 0) {
            return &c->fields[i];
        }
    }
    return NULL;
}

ward_err ward_kat_bytes(const ward_kat_case *c, const char *key,
                        uint8_t *scratch, size_t cap,
                        const uint8_t **out, size_t *len)
{
    const ward_kat_field *f = ward_kat_find(c, key);
    if (f == NULL) {
        return WARD_ERR_FORMAT;
    }
    if (f->len == 0) {
        *out = kat_empty;
        *len = 0;
        return WARD_OK;
    }
    if (f->repeat == 1) {
        *out = f->data;
        *len = f->len;
        return WARD_OK;
    }
    if (scratch == NULL || f->repeat > cap / f->len) {
        return WARD_ERR_NOSPACE;
    }
    for (size_t i = 0; i < f->repeat; i++) {
        memcpy(scratch + i * f->len, f->data, f->len);
    }
    *out = scratch;
    *len = f->len * f->repeat;
    return WARD_OK;
}

ward_err ward_kat_fixed(const ward_kat_case *c, const char *key,
                        const uint8_t **out, size_t len)
{
    size_t got;
    ward_err err = ward_kat_bytes(c, key, NULL, 0, out, &got);
    if (err == WARD_OK && got != len) {
        err = WARD_ERR_FORMAT;
    }
    return err;
}

ward_err ward_kat_iov(const ward_kat_case *c, const char *key, bool split,
                      uint8_t chunk[WARD_KAT_CHUNK],
                      ward_iov iov[WARD_KAT_IOV_MAX], size_t *n)
{
    const ward_kat_field *f = ward_kat_find(c, key);
    if (f == NULL) {
        return WARD_ERR_FORMAT;
    }
    *n = 0;
    if (f->len == 0) {
        iov[(*n)++] = (ward_iov){ kat_empty, 0 };
        return WARD_OK;
    }
    if (f->repeat == 1) {
        if (!split) {
            iov[(*n)++] = (ward_iov){ f->data, f->len };
        } else {
            iov[(*n)++] = (ward_iov){ f->data, 1 };
            iov[(*n)++] = (ward_iov){ kat_empty, 0 };
            iov[(*n)++] = (ward_iov){ f->data + 1, f->len - 1 };
        }
        return WARD_OK;
    }
    /* A repeated pattern: whole copies fill the chunk once, and every
     * part but the last is that chunk. */
    size_t per_chunk = WARD_KAT_CHUNK / f->len;
    if (per_chunk == 0) {
        return WARD_ERR_NOSPACE;
    }
    for (size_t i = 0; i < per_chunk; i++) {
        memcpy(chunk + i * f->len, f->data, f->len);
    }
    size_t left = f->repeat;
    while (left > 0) {
        size_t copies = left < per_chunk ? left : per_chunk;
        if (*n == WARD_KAT_IOV_MAX) {
            return WARD_ERR_NOSPACE;
        }
        iov[(*n)++] = (ward_iov){ chunk, copies * f->len };
        left -= copies;
    }
    return WARD_OK;
}

ward_err ward_kat_expect(const uint8_t *got, const uint8_t *want, size_t len)
{
    return memcmp(got, want, len) == 0 ? WARD_OK : WARD_ERR_AUTH;
}
