/* TLV bodies: the schema-driven parser, the writer and integer getters. */
#include <string.h>

#include "ward/ward_codec.h"
#include "ward_inner.h"

#define TLV_SHORT_HDR 2u
#define TLV_LONG_EXTRA 2u
#define TLV_LEN_MAX 0xFFFFu

static void tlv_clear(ward_tlv_field *out, size_t nspec)
{
    for (size_t i = 0; i < nspec; i++) {
        out[i].ptr = NULL;
        out[i].len = 0;
        out[i].present = false;
    }
}

/* A schema is program text, so an unsorted one is a bug in the caller;
 * the parser's single merge pass depends on the order. */
static void tlv_assert_spec(const ward_tlv_spec *spec, size_t nspec)
{
    for (size_t i = 0; i < nspec; i++) {
        WARD_ASSERT(spec[i].min_len <= spec[i].max_len);
        WARD_ASSERT(i == 0 || spec[i - 1].tag < spec[i].tag);
    }
}

static ward_err tlv_parse_fields(const uint8_t *body, size_t body_len,
                                 const ward_tlv_spec *spec, size_t nspec,
                                 ward_tlv_field *out)
{
    size_t pos = 0;
    size_t si = 0;
    int last_tag = -1;

    while (pos < body_len) {
        if (body_len - pos < TLV_SHORT_HDR) {
            return WARD_ERR_FORMAT;
        }
        uint8_t tag = body[pos];
        size_t vlen = body[pos + 1];
        pos += TLV_SHORT_HDR;
        if (vlen == WARD_TLV_LEN_LONG) {
            if (body_len - pos < TLV_LONG_EXTRA) {
                return WARD_ERR_FORMAT;
            }
            vlen = ward_load16(body + pos);
            pos += TLV_LONG_EXTRA;
            /* Only the shortest form is canonical. */
            if (vlen < WARD_TLV_LEN_LONG) {
                return WARD_ERR_FORMAT;
            }
        }
        if (vlen > body_len - pos || (int)tag <= last_tag) {
            return WARD_ERR_FORMAT;
        }
        last_tag = tag;

        /* Tags ascend in both lists, so one forward scan of the schema
         * serves the whole body. */
        while (si < nspec && spec[si].tag < tag) {
            si++;
        }
        if (si < nspec && spec[si].tag == tag) {
            if (vlen < spec[si].min_len || vlen > spec[si].max_len) {
                return WARD_ERR_FORMAT;
            }
            out[si].ptr = body + pos;
            out[si].len = (uint16_t)vlen;
            out[si].present = true;
        } else if ((tag & WARD_TLV_CRITICAL) != 0) {
            return WARD_ERR_FORMAT;
        }
        pos += vlen;
    }

    for (size_t i = 0; i < nspec; i++) {
        if (spec[i].required && !out[i].present) {
            return WARD_ERR_FORMAT;
        }
    }
    return WARD_OK;
}

ward_err ward_tlv_parse(const uint8_t *body, size_t body_len,
                        const ward_tlv_spec *spec, size_t nspec,
                        ward_tlv_field *out)
{
    WARD_ASSERT(body != NULL || body_len == 0);
    WARD_ASSERT((spec != NULL && out != NULL) || nspec == 0);
    tlv_assert_spec(spec, nspec);
    tlv_clear(out, nspec);

    ward_err err = tlv_parse_fields(body, body_len, spec, nspec, out);
    if (err != WARD_OK) {
        /* Half a parse is no parse: leave nothing for the caller to use. */
        tlv_clear(out, nspec);
    }
    return err;
}

void ward_tlv_writer_init(ward_tlv_writer *w, uint8_t *buf, size_t cap)
{
    WARD_ASSERT(w != NULL);
    WARD_ASSERT(buf != NULL || cap == 0);
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->last_tag = -1;
    w->err = WARD_OK;
}

void ward_tlv_put(ward_tlv_writer *w, uint8_t tag, const uint8_t *val,
                  size_t len)
{
    WARD_ASSERT(w != NULL);
    WARD_ASSERT(val != NULL || len == 0);
    if (w->err != WARD_OK) {
        return;
    }
    if ((int)tag <= w->last_tag || len > TLV_LEN_MAX) {
        w->err = WARD_ERR_PARAM;
        return;
    }
    size_t hdr = len < WARD_TLV_LEN_LONG ? TLV_SHORT_HDR
                                         : TLV_SHORT_HDR + TLV_LONG_EXTRA;
    if (w->cap - w->len < hdr || w->cap - w->len - hdr < len) {
        w->err = WARD_ERR_NOSPACE;
        return;
    }
    uint8_t *p = w->buf + w->len;
    p[0] = tag;
    if (len < WARD_TLV_LEN_LONG) {
        p[1] = (uint8_t)len;
    } else {
        p[1] = WARD_TLV_LEN_LONG;
        ward_store16(p + 2, (uint16_t)len);
    }
    if (len > 0) {
        memcpy(p + hdr, val, len);
    }
    w->len += hdr + len;
    w->last_tag = tag;
}

void ward_tlv_put_u8(ward_tlv_writer *w, uint8_t tag, uint8_t v)
{
    ward_tlv_put(w, tag, &v, 1);
}

void ward_tlv_put_u16(ward_tlv_writer *w, uint8_t tag, uint16_t v)
{
    uint8_t b[2];
    ward_store16(b, v);
    ward_tlv_put(w, tag, b, sizeof b);
}

void ward_tlv_put_u32(ward_tlv_writer *w, uint8_t tag, uint32_t v)
{
    uint8_t b[4];
    ward_store32(b, v);
    ward_tlv_put(w, tag, b, sizeof b);
}

void ward_tlv_put_u64(ward_tlv_writer *w, uint8_t tag, uint64_t v)
{
    uint8_t b[8];
    ward_store64(b, v);
    ward_tlv_put(w, tag, b, sizeof b);
}

ward_err ward_tlv_writer_finish(const ward_tlv_writer *w, size_t *len)
{
    WARD_ASSERT(w != NULL && len != NULL);
    if (w->err != WARD_OK) {
        *len = 0;
        return w->err;
    }
    *len = w->len;
    return WARD_OK;
}

/* The field must be present with exactly n bytes. */
static ward_err tlv_get_exact(const ward_tlv_field *f, size_t n)
{
    WARD_ASSERT(f != NULL);
    if (!f->present || f->ptr == NULL || f->len != n) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err ward_tlv_get_u8(const ward_tlv_field *f, uint8_t *v)
{
    WARD_ASSERT(v != NULL);
    ward_err err = tlv_get_exact(f, 1);
    if (err == WARD_OK) {
        *v = f->ptr[0];
    }
    return err;
}

ward_err ward_tlv_get_u16(const ward_tlv_field *f, uint16_t *v)
{
    WARD_ASSERT(v != NULL);
    ward_err err = tlv_get_exact(f, 2);
    if (err == WARD_OK) {
        *v = ward_load16(f->ptr);
    }
    return err;
}

ward_err ward_tlv_get_u32(const ward_tlv_field *f, uint32_t *v)
{
    WARD_ASSERT(v != NULL);
    ward_err err = tlv_get_exact(f, 4);
    if (err == WARD_OK) {
        *v = ward_load32(f->ptr);
    }
    return err;
}

ward_err ward_tlv_get_u64(const ward_tlv_field *f, uint64_t *v)
{
    WARD_ASSERT(v != NULL);
    ward_err err = tlv_get_exact(f, 8);
    if (err == WARD_OK) {
        *v = ward_load64(f->ptr);
    }
    return err;
}
