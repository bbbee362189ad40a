/* libFuzzer harness for the wire codec: header, TLV parser and writer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle failure is a finding: crash so libFuzzer keeps the input. */
#define CHECK(c) do { if (!(c)) { abort(); } } while (0)

#define BUF_MAX (1u << 17)

static uint8_t out_buf[BUF_MAX];
static uint8_t pattern[65536 + 1];

/* Every tag known, any length: accepts exactly the well-formed bodies,
 * whatever their tags, so it is the reference the other schemas are
 * checked against. */
static ward_tlv_spec wide[256];
static ward_tlv_field wide_f[256];

static const ward_tlv_spec schema_a[] = {
    { 0x01, true, 1, 1 },
    { 0x02, false, 0, 32 },
    { 0x10, false, 0, 300 },
    { 0x81, true, 16, 16 },
    { 0x90, false, 0, 65535 },
};

static const ward_tlv_spec schema_b[] = {
    { 0x00, false, 0, 0 },
    { 0x7F, false, 255, 255 },
    { 0x80, false, 1, 254 },
    { 0xFF, false, 256, 65535 },
};

static void init_once(void)
{
    static int done;
    if (done) {
        return;
    }
    for (size_t i = 0; i < 256; i++) {
        wide[i].tag = (uint8_t)i;
        wide[i].required = false;
        wide[i].min_len = 0;
        wide[i].max_len = 0xFFFF;
    }
    for (size_t i = 0; i < sizeof pattern; i++) {
        pattern[i] = (uint8_t)(i * 131u + 17u);
    }
    done = 1;
}

/* Header: an accepted header re-encodes to the input's header bytes with
 * the unknown extension entries (the only thing decode skips) removed. */
static void fuzz_header(const uint8_t *data, size_t size)
{
    ward_hdr h;
    size_t off = 0;
    if (ward_hdr_decode(data, size, &h, &off) != WARD_OK) {
        CHECK(off == 0);
        return;
    }
    CHECK(size <= WARD_MSG_MAX && off >= WARD_HDR_BASE_LEN && off <= size);
    CHECK(size - off == h.body_len && h.body_len <= WARD_BODY_MAX);
    CHECK(h.client_id_len <= WARD_CLIENT_ID_MAX);
    size_t ext_len = data[10];
    CHECK(ext_len <= WARD_HDR_EXT_MAX && off == WARD_HDR_BASE_LEN + ext_len);

    uint8_t want[WARD_HDR_MAX];
    size_t wn = WARD_HDR_BASE_LEN;
    memcpy(want, data, WARD_HDR_BASE_LEN);
    const uint8_t *e = data + WARD_HDR_BASE_LEN;
    int last = -1;
    for (size_t p = 0; p < ext_len;) {
        CHECK(ext_len - p >= 2 && e[p + 1] <= ext_len - p - 2);
        CHECK((int)e[p] > last);
        last = e[p];
        size_t n = 2u + e[p + 1];
        if (e[p] == WARD_EXT_CLIENT_ID) {
            CHECK(e[p + 1] == h.client_id_len);
            CHECK(memcmp(e + p + 2, h.client_id, h.client_id_len) == 0);
            memcpy(want + wn, e + p, n);
            wn += n;
        }
        p += n;
    }
    want[10] = (uint8_t)(wn - WARD_HDR_BASE_LEN);

    uint8_t enc[WARD_HDR_MAX];
    size_t n = 0;
    CHECK(ward_hdr_encode(&h, enc, sizeof enc, &n) == WARD_OK);
    CHECK(n == wn && memcmp(enc, want, n) == 0);
    /* One byte short of room is refused, not overrun. */
    CHECK(ward_hdr_encode(&h, enc, n - 1, &n) == WARD_ERR_NOSPACE);
}

/* What parsing against spec must give, worked out from the wide parse. */
static ward_err tlv_expected(ward_err wide_err, const ward_tlv_spec *spec,
                             size_t nspec)
{
    if (wide_err != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    for (size_t t = 0; t < 256; t++) {
        if (!wide_f[t].present) {
            continue;
        }
        size_t k = 0;
        while (k < nspec && spec[k].tag != t) {
            k++;
        }
        if (k == nspec) {
            if ((t & WARD_TLV_CRITICAL) != 0) {
                return WARD_ERR_FORMAT;
            }
        } else if (wide_f[t].len < spec[k].min_len ||
                   wide_f[t].len > spec[k].max_len) {
            return WARD_ERR_FORMAT;
        }
    }
    for (size_t k = 0; k < nspec; k++) {
        if (spec[k].required && !wide_f[spec[k].tag].present) {
            return WARD_ERR_FORMAT;
        }
    }
    return WARD_OK;
}

static void fuzz_tlv_schema(const uint8_t *body, size_t len, ward_err wide_err,
                            const ward_tlv_spec *spec, size_t nspec)
{
    ward_tlv_field f[8];
    CHECK(nspec <= 8);
    ward_err err = ward_tlv_parse(body, len, nspec ? spec : NULL, nspec,
                                  nspec ? f : NULL);
    CHECK(err == tlv_expected(wide_err, spec, nspec));
    for (size_t k = 0; k < nspec; k++) {
        const ward_tlv_field *w = &wide_f[spec[k].tag];
        if (err != WARD_OK) {
            CHECK(!f[k].present && f[k].ptr == NULL && f[k].len == 0);
        } else {
            CHECK(f[k].present == w->present && f[k].ptr == w->ptr &&
                  f[k].len == w->len);
        }
    }
}

/* TLV: an accepted body re-encodes to identical bytes; the schemas agree
 * with the reference parse. */
static void fuzz_tlv(const uint8_t *body, size_t len)
{
    ward_err wide_err = ward_tlv_parse(body, len, wide, 256, wide_f);
    if (wide_err == WARD_OK) {
        ward_tlv_writer w;
        ward_tlv_writer_init(&w, out_buf, len);
        for (size_t t = 0; t < 256; t++) {
            if (wide_f[t].present) {
                CHECK(wide_f[t].ptr >= body &&
                      wide_f[t].ptr + wide_f[t].len <= body + len);
                ward_tlv_put(&w, (uint8_t)t, wide_f[t].ptr, wide_f[t].len);
            }
        }
        size_t n = 0;
        CHECK(ward_tlv_writer_finish(&w, &n) == WARD_OK);
        CHECK(n == len && (len == 0 || memcmp(out_buf, body, len) == 0));
    }
    fuzz_tlv_schema(body, len, wide_err, NULL, 0);
    fuzz_tlv_schema(body, len, wide_err, schema_a,
                    sizeof schema_a / sizeof schema_a[0]);
    fuzz_tlv_schema(body, len, wide_err, schema_b,
                    sizeof schema_b / sizeof schema_b[0]);
}

/* Writer: the input is a capacity and a list of (tag, length) puts; the
 * result must match a model of the rules, and what it wrote must parse
 * back to what was put. */
static void fuzz_writer(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return;
    }
    size_t cap = (((size_t)data[0] << 8) | data[1]) * 2u;
    ward_tlv_writer w;
    ward_tlv_writer_init(&w, out_buf, cap);
    ward_err want = WARD_OK;
    size_t want_len = 0;
    int last = -1;
    for (size_t p = 2; p + 3 <= size; p += 3) {
        uint8_t tag = data[p];
        size_t len = ((size_t)data[p + 1] << 8) | data[p + 2];
        if (data[p + 1] == 0xFF && data[p + 2] == 0xFF) {
            len = 65536;   /* one past what a length can say */
        }
        ward_tlv_put(&w, tag, pattern, len);
        if (want != WARD_OK) {
            continue;
        }
        if ((int)tag <= last || len > 65535) {
            want = WARD_ERR_PARAM;
        } else if (WARD_TLV_SIZE(len) > cap - want_len) {
            want = WARD_ERR_NOSPACE;
        } else {
            want_len += WARD_TLV_SIZE(len);
            last = tag;
        }
    }
    size_t n = 0;
    ward_err err = ward_tlv_writer_finish(&w, &n);
    CHECK(err == want);
    if (err != WARD_OK) {
        CHECK(n == 0);
        return;
    }
    CHECK(n == want_len);
    CHECK(ward_tlv_parse(out_buf, n, wide, 256, wide_f) == WARD_OK);
    for (size_t t = 0; t < 256; t++) {
        if (wide_f[t].present) {
            CHECK(memcmp(wide_f[t].ptr, pattern, wide_f[t].len) == 0);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > BUF_MAX) {
        return 0;
    }
    init_once();
    fuzz_header(data, size);
    ward_hdr h;
    size_t off = 0;
    if (ward_hdr_decode(data, size, &h, &off) == WARD_OK) {
        fuzz_tlv(data + off, size - off);
    }
    fuzz_tlv(data, size);
    fuzz_writer(data, size);
    return 0;
}
