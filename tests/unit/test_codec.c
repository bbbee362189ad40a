/* Unit tests of the wire codec: header and TLV, accept and reject. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ward_test.h"
#include "ward_inner.h"

/* ---- helpers ---------------------------------------------------------- */

static ward_hdr hdr_make(uint8_t type, uint8_t flags, const char *client_id)
{
    ward_hdr h;
    memset(&h, 0, sizeof h);
    h.version = WARD_PROTOCOL_VERSION;
    h.type = type;
    h.flags = flags;
    h.key_index = 7;
    h.seq = 0xA1B2C3D4u;
    if (client_id != NULL) {
        h.client_id_len = (uint8_t)strlen(client_id);
        memcpy(h.client_id, client_id, h.client_id_len);
    }
    return h;
}

/* Decodes a message built from hex; returns the error. */
static ward_err hdr_decode_hex(const char *hex, ward_hdr *h, size_t *off)
{
    uint8_t buf[WARD_MSG_MAX];
    size_t n = ward_test_hex(hex, buf, sizeof buf);
    return ward_hdr_decode(buf, n, h, off);
}

static ward_err tlv_parse_hex(const char *hex, const ward_tlv_spec *spec,
                              size_t nspec, ward_tlv_field *out)
{
    static uint8_t buf[512];
    size_t n = ward_test_hex(hex, buf, sizeof buf);
    return ward_tlv_parse(buf, n, spec, nspec, out);
}

/* A deterministic generator, so a failing random case is reproducible. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t bound)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return bound == 0 ? 0u : (uint32_t)(rng_state % bound);
}

/* ---- header: accept --------------------------------------------------- */

static void test_hdr_layout(void **state)
{
    (void)state;
    ward_hdr h = hdr_make(0x10, WARD_FLAG_REPLY | WARD_FLAG_SEALED, "ab");
    h.key_index = 2;
    h.seq = 0x01020304u;
    h.body_len = 3;
    uint8_t out[WARD_HDR_MAX];
    size_t len = 0;
    assert_int_equal(ward_hdr_encode(&h, out, sizeof out, &len), WARD_OK);

    uint8_t want[32];
    size_t wn = ward_test_hex("0110050201020304000304" "01026162", want,
                              sizeof want);
    assert_int_equal(len, wn);
    assert_memory_equal(out, want, wn);

    /* The same header without a client id has an empty extension area. */
    h.client_id_len = 0;
    assert_int_equal(ward_hdr_encode(&h, out, sizeof out, &len), WARD_OK);
    assert_int_equal(len, WARD_HDR_BASE_LEN);
    assert_int_equal(out[10], 0);
}

static void test_hdr_roundtrip(void **state)
{
    (void)state;
    const char *ids[] = { NULL, "x", "0123456789abcdef" };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        ward_hdr h = hdr_make(0xFF, WARD_FLAGS_KNOWN, ids[i]);
        h.body_len = 5;
        uint8_t msg[WARD_HDR_MAX + 5];
        size_t hl = 0;
        assert_int_equal(ward_hdr_encode(&h, msg, sizeof msg, &hl), WARD_OK);
        memset(msg + hl, 0xEE, 5);

        ward_hdr d;
        size_t off = 0;
        assert_int_equal(ward_hdr_decode(msg, hl + 5, &d, &off), WARD_OK);
        assert_int_equal(off, hl);
        assert_int_equal(d.version, WARD_PROTOCOL_VERSION);
        assert_int_equal(d.type, 0xFF);
        assert_int_equal(d.flags, WARD_FLAGS_KNOWN);
        assert_int_equal(d.key_index, 7);
        assert_int_equal(d.seq, 0xA1B2C3D4u);
        assert_int_equal(d.body_len, 5);
        assert_int_equal(d.client_id_len, h.client_id_len);
        assert_memory_equal(d.client_id, h.client_id, h.client_id_len);
    }
}

static void test_hdr_body_len_bounds(void **state)
{
    (void)state;
    static uint8_t msg[WARD_MSG_MAX + 1];
    ward_hdr h = hdr_make(1, 0, "id");
    size_t hl = 0;
    ward_hdr d;
    size_t off;

    /* Empty body. */
    h.body_len = 0;
    assert_int_equal(ward_hdr_encode(&h, msg, sizeof msg, &hl), WARD_OK);
    assert_int_equal(ward_hdr_decode(msg, hl, &d, &off), WARD_OK);
    assert_int_equal(off, hl);

    /* The largest body, whatever the header's size... */
    h.body_len = WARD_BODY_MAX;
    assert_int_equal(ward_hdr_encode(&h, msg, sizeof msg, &hl), WARD_OK);
    assert_int_equal(ward_hdr_decode(msg, hl + WARD_BODY_MAX, &d, &off),
                     WARD_OK);
    assert_int_equal(d.body_len, WARD_BODY_MAX);

    /* ...one more byte is refused both ways, even though the message
     * would still fit WARD_MSG_MAX. */
    h.body_len = WARD_BODY_MAX + 1;
    assert_true(hl + h.body_len <= WARD_MSG_MAX);
    assert_int_equal(ward_hdr_encode(&h, msg, sizeof msg, &hl),
                     WARD_ERR_PARAM);
    ward_store16(msg + 8, WARD_BODY_MAX + 1);
    assert_int_equal(ward_hdr_decode(msg, hl + WARD_BODY_MAX + 1, &d, &off),
                     WARD_ERR_FORMAT);

    /* A full extension area plus the largest body is the largest message. */
    memset(msg, 0, sizeof msg);
    msg[0] = WARD_PROTOCOL_VERSION;
    msg[1] = 1;
    ward_store16(msg + 8, WARD_BODY_MAX);
    msg[10] = WARD_HDR_EXT_MAX;
    msg[11] = 0x40;
    msg[12] = WARD_HDR_EXT_MAX - 2;
    assert_int_equal(ward_hdr_decode(msg, WARD_MSG_MAX, &d, &off), WARD_OK);
    assert_int_equal(off, WARD_HDR_MAX);
    assert_int_equal(ward_hdr_decode(msg, WARD_MSG_MAX + 1, &d, &off),
                     WARD_ERR_FORMAT);

    /* A body length of 65535 is representable but never accepted here. */
    ward_store16(msg + 8, 0xFFFF);
    assert_int_equal(ward_hdr_decode(msg, WARD_MSG_MAX, &d, &off),
                     WARD_ERR_FORMAT);
}

static void test_hdr_unknown_ext_skipped(void **state)
{
    (void)state;
    ward_hdr h;
    size_t off = 0;

    /* Unknown tag 0x00 (empty) before the client id, 0x02 and 0x7F after. */
    assert_int_equal(hdr_decode_hex("01010000000000010001" "0d"
                                    "0000" "01026964" "0203aabbcc" "7f00"
                                    "99", &h, &off), WARD_OK);
    assert_int_equal(off, WARD_HDR_BASE_LEN + 13);
    assert_int_equal(h.client_id_len, 2);
    assert_memory_equal(h.client_id, "id", 2);
    assert_int_equal(h.body_len, 1);

    /* Only unknown entries: no client id. */
    assert_int_equal(hdr_decode_hex("0101000000000000000004" "05020102",
                                    &h, &off), WARD_OK);
    assert_int_equal(h.client_id_len, 0);
    assert_int_equal(off, 15);

    /* An unknown entry may fill the whole area (62-byte value). */
    char hex[2 * WARD_HDR_MAX + 1];
    strcpy(hex, "0101000000000000000040" "fe3e");
    for (int i = 0; i < 62; i++) {
        strcat(hex, "00");
    }
    assert_int_equal(hdr_decode_hex(hex, &h, &off), WARD_OK);
    assert_int_equal(off, WARD_HDR_MAX);
    assert_int_equal(h.client_id_len, 0);
}

/* ---- header: reject --------------------------------------------------- */

static void test_hdr_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                                     /* empty */
        "01010000000000000000",                 /* 10 bytes: short */
        "00010000000000000000" "00",            /* version 0 */
        "02010000000000000000" "00",            /* version 2 */
        "01000000000000000000" "00",            /* type 0 */
        "01010800000000000000" "00",            /* undefined flag 0x08 */
        "01018000000000000000" "00",            /* undefined flag 0x80 */
        "01010000000000000001" "00",            /* body_len 1, body missing */
        "01010000000000000000" "00" "00",       /* one trailing byte */
        "01010000000000000002" "00" "00",       /* body one short */
        "01010000000000000000" "01",            /* ext_len past the end */
        "01010000000000000000" "01" "01",       /* entry header truncated */
        "01010000000000000000" "03" "010261",   /* entry value past area */
        "01010000000000000000" "02" "0100",     /* client id of length 0 */
        "01010000000000000000" "04" "02000200", /* duplicate ext tag */
        "01010000000000000000" "05" "0200010161",/* descending ext tags */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ward_hdr h;
        size_t off = 99;
        ward_err err = hdr_decode_hex(bad[i], &h, &off);
        if (err != WARD_ERR_FORMAT) {
            fail_msg("case %zu (%s) gave %d", i, bad[i], (int)err);
        }
        /* Nothing of a rejected header is left for the caller. */
        assert_int_equal(off, 0);
        assert_int_equal(h.client_id_len, 0);
        assert_int_equal(h.type, 0);
    }
}

static void test_hdr_rejects_client_id_too_long(void **state)
{
    (void)state;
    uint8_t msg[WARD_HDR_MAX];
    size_t n = ward_test_hex("01010000000000000000", msg, sizeof msg);
    msg[n++] = 2 + WARD_CLIENT_ID_MAX + 1;
    msg[n++] = WARD_EXT_CLIENT_ID;
    msg[n++] = WARD_CLIENT_ID_MAX + 1;
    memset(msg + n, 'c', WARD_CLIENT_ID_MAX + 1);
    n += WARD_CLIENT_ID_MAX + 1;
    ward_hdr h;
    size_t off;
    assert_int_equal(ward_hdr_decode(msg, n, &h, &off), WARD_ERR_FORMAT);

    /* Exactly the maximum is fine. */
    msg[10] = 2 + WARD_CLIENT_ID_MAX;
    msg[12] = WARD_CLIENT_ID_MAX;
    assert_int_equal(ward_hdr_decode(msg, n - 1, &h, &off), WARD_OK);
    assert_int_equal(h.client_id_len, WARD_CLIENT_ID_MAX);

    /* An extension area of WARD_HDR_EXT_MAX + 1 bytes, well formed
     * otherwise (one unknown entry filling it). */
    uint8_t big[WARD_HDR_MAX + 1];
    n = ward_test_hex("01010000000000000000", big, sizeof big);
    big[n++] = WARD_HDR_EXT_MAX + 1;
    big[n++] = 0xFE;
    big[n++] = WARD_HDR_EXT_MAX - 1;
    memset(big + n, 0, WARD_HDR_EXT_MAX - 1);
    n += WARD_HDR_EXT_MAX - 1;
    assert_int_equal(n, sizeof big);
    assert_int_equal(ward_hdr_decode(big, n, &h, &off), WARD_ERR_FORMAT);
    /* The same with one byte less in the entry and area is accepted. */
    big[10] = WARD_HDR_EXT_MAX;
    big[12] = WARD_HDR_EXT_MAX - 2;
    assert_int_equal(ward_hdr_decode(big, n - 1, &h, &off), WARD_OK);
}

static void test_hdr_encode_rejects(void **state)
{
    (void)state;
    uint8_t out[WARD_HDR_MAX];
    size_t len = 123;
    ward_hdr h = hdr_make(1, 0, NULL);

    h.version = 2;
    assert_int_equal(ward_hdr_encode(&h, out, sizeof out, &len),
                     WARD_ERR_PARAM);
    assert_int_equal(len, 0);
    h = hdr_make(0, 0, NULL);
    assert_int_equal(ward_hdr_encode(&h, out, sizeof out, &len),
                     WARD_ERR_PARAM);
    h = hdr_make(1, 0x08, NULL);
    assert_int_equal(ward_hdr_encode(&h, out, sizeof out, &len),
                     WARD_ERR_PARAM);
    h = hdr_make(1, 0, NULL);
    h.client_id_len = WARD_CLIENT_ID_MAX + 1;
    assert_int_equal(ward_hdr_encode(&h, out, sizeof out, &len),
                     WARD_ERR_PARAM);

    /* Capacity: exactly enough, then one short, with and without id. */
    h = hdr_make(1, 0, NULL);
    assert_int_equal(ward_hdr_encode(&h, out, WARD_HDR_BASE_LEN, &len),
                     WARD_OK);
    assert_int_equal(ward_hdr_encode(&h, out, WARD_HDR_BASE_LEN - 1, &len),
                     WARD_ERR_NOSPACE);
    h = hdr_make(1, 0, "abc");
    assert_int_equal(ward_hdr_encode(&h, out, WARD_HDR_BASE_LEN + 5, &len),
                     WARD_OK);
    assert_int_equal(len, WARD_HDR_BASE_LEN + 5);
    assert_int_equal(ward_hdr_encode(&h, out, WARD_HDR_BASE_LEN + 4, &len),
                     WARD_ERR_NOSPACE);
    assert_int_equal(len, 0);
}

/* ---- TLV: parse ------------------------------------------------------- */

static const ward_tlv_spec spec3[] = {
    { 0x01, true, 1, 1 },
    { 0x05, false, 0, 300 },
    { 0x81, false, 2, 4 },
};

static void test_tlv_parse_basic(void **state)
{
    (void)state;
    ward_tlv_field f[3];
    assert_int_equal(tlv_parse_hex("01012a" "0503616263" "8103010203", spec3,
                                   3, f), WARD_OK);
    assert_true(f[0].present);
    uint8_t v8 = 0;
    assert_int_equal(ward_tlv_get_u8(&f[0], &v8), WARD_OK);
    assert_int_equal(v8, 0x2a);
    assert_int_equal(f[1].len, 3);
    assert_memory_equal(f[1].ptr, "abc", 3);
    assert_int_equal(f[2].len, 3);

    /* Optional fields may be absent. */
    assert_int_equal(tlv_parse_hex("0100", spec3, 3, f), WARD_ERR_FORMAT);
    assert_int_equal(tlv_parse_hex("0107", spec3, 3, f), WARD_ERR_FORMAT);
    assert_int_equal(tlv_parse_hex("0107" "00", spec3, 3, f),
                     WARD_ERR_FORMAT);
    assert_int_equal(tlv_parse_hex("0101ff", spec3, 3, f), WARD_OK);
    assert_false(f[1].present);
    assert_null(f[1].ptr);
    assert_false(f[2].present);

    /* Empty body, empty schema. */
    assert_int_equal(ward_tlv_parse(NULL, 0, NULL, 0, NULL), WARD_OK);
    assert_int_equal(tlv_parse_hex("", spec3 + 1, 2, f), WARD_OK);
}

static void test_tlv_parse_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                     /* required 0x01 missing */
        "0501aa",               /* required missing, optional present */
        "01",                   /* lone tag byte */
        "0101",                 /* value past the end */
        "010100" "05",          /* trailing single byte */
        "010100" "0500" "00",   /* trailing byte after a good field */
        "010100" "0502aa",      /* second value past the end */
        "010100" "010100",      /* duplicate tag */
        "0501aa" "010100",      /* descending tags */
        "010100" "05ff",        /* long form without its two bytes */
        "010100" "05ff00",      /* long form with one of them */
        "010100" "05ff0000",    /* long form for length 0 */
        "010100" "05ff0003616263", /* long form for length 3 */
        "010100" "05ff00fe",    /* long form for 254 (short would do) */
        "0102aabb",             /* 0x01 longer than max 1 */
        "010100" "8101aa",      /* 0x81 shorter than min 2 */
        "010100" "8105aabbccddee", /* 0x81 longer than max 4 */
        "010100" "9000",        /* unknown critical tag */
        "010100" "ff00",        /* unknown critical tag 0xff */
        "010100" "8000",        /* unknown critical tag beside 0x81 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ward_tlv_field f[3];
        ward_err err = tlv_parse_hex(bad[i], spec3, 3, f);
        if (err != WARD_ERR_FORMAT) {
            fail_msg("case %zu (%s) gave %d", i, bad[i], (int)err);
        }
        for (size_t k = 0; k < 3; k++) {
            assert_false(f[k].present);
            assert_null(f[k].ptr);
        }
    }
}

static void test_tlv_unknown_noncritical_skipped(void **state)
{
    (void)state;
    ward_tlv_field f[3];
    /* Skipping still checks the length: a 256-byte value that is not
     * there. */
    assert_int_equal(tlv_parse_hex("0000" "010109" "0201aa" "04ff0100",
                                   spec3, 3, f), WARD_ERR_FORMAT);
    assert_int_equal(tlv_parse_hex("0000" "010109" "0201aa" "7f03010203"
                                   "8102beef", spec3, 3, f), WARD_OK);
    assert_int_equal(f[0].ptr[0], 9);
    assert_false(f[1].present);
    assert_int_equal(f[2].len, 2);
    /* Known critical tags are fine; only unknown ones are fatal. */
    assert_int_equal(tlv_parse_hex("010109" "8102beef", spec3, 3, f),
                     WARD_OK);
}

/* Length forms at the boundaries, through the writer and back. */
static void test_tlv_length_forms(void **state)
{
    (void)state;
    static uint8_t val[65535];
    static uint8_t buf[65535 + 16];
    static const size_t sizes[] = { 0, 1, 254, 255, 256, 65534, 65535 };
    const ward_tlv_spec spec[] = { { 0x42, true, 0, 65535 } };
    for (size_t i = 0; i < sizeof val; i++) {
        val[i] = (uint8_t)(i * 31u + 7u);
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        ward_tlv_writer w;
        ward_tlv_writer_init(&w, buf, sizeof buf);
        ward_tlv_put(&w, 0x42, val, n);
        size_t len = 0;
        assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_OK);
        assert_int_equal(len, WARD_TLV_SIZE(n));
        assert_int_equal(buf[0], 0x42);
        if (n < 255) {
            assert_int_equal(buf[1], n);
        } else {
            assert_int_equal(buf[1], 0xFF);
            assert_int_equal(((size_t)buf[2] << 8) | buf[3], n);
        }
        ward_tlv_field f;
        assert_int_equal(ward_tlv_parse(buf, len, spec, 1, &f), WARD_OK);
        assert_int_equal(f.len, n);
        assert_memory_equal(f.ptr, val, n);
        /* One byte less is a value past the end. */
        if (len > 2) {
            assert_int_equal(ward_tlv_parse(buf, len - 1, spec, 1, &f),
                             WARD_ERR_FORMAT);
        }
    }
}

static void test_tlv_size_macro(void **state)
{
    (void)state;
    static uint8_t buf[70000];
    static const uint8_t zero[300];
    for (size_t n = 0; n < 300; n++) {
        ward_tlv_writer w;
        ward_tlv_writer_init(&w, buf, sizeof buf);
        ward_tlv_put(&w, 1, zero, n);
        size_t len;
        assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_OK);
        assert_int_equal(len, WARD_TLV_SIZE(n));
    }
    assert_int_equal(WARD_TLV_SIZE(254u), 256);
    assert_int_equal(WARD_TLV_SIZE(255u), 259);
    assert_true(WARD_TLV_SIZE(65535u) - 65535u <= WARD_TLV_HDR_MAX);
}

/* ---- TLV: writer ------------------------------------------------------ */

static void test_tlv_writer_order_and_sticky(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = 77;
    ward_tlv_writer w;

    ward_tlv_writer_init(&w, buf, sizeof buf);
    ward_tlv_put_u8(&w, 2, 1);
    ward_tlv_put_u8(&w, 2, 1);     /* equal: a duplicate */
    assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_ERR_PARAM);
    assert_int_equal(len, 0);

    ward_tlv_writer_init(&w, buf, sizeof buf);
    ward_tlv_put_u8(&w, 3, 1);
    ward_tlv_put_u8(&w, 1, 1);     /* descending */
    ward_tlv_put_u8(&w, 9, 1);     /* ignored: the first error sticks */
    assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_ERR_PARAM);
    assert_int_equal(w.len, 3);

    ward_tlv_writer_init(&w, buf, 4);
    ward_tlv_put_u32(&w, 1, 5);    /* needs 6 */
    ward_tlv_put_u8(&w, 2, 1);     /* would fit, but NOSPACE sticks */
    assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_ERR_NOSPACE);
    assert_int_equal(w.len, 0);

    /* A value longer than a length field can say. */
    static uint8_t big[65536 + 8];
    ward_tlv_writer_init(&w, big, sizeof big);
    ward_tlv_put(&w, 1, big, 65536);
    assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_ERR_PARAM);

    /* Zero capacity and a NULL buffer. */
    ward_tlv_writer_init(&w, NULL, 0);
    assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_OK);
    assert_int_equal(len, 0);
    ward_tlv_put(&w, 1, NULL, 0);
    assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_ERR_NOSPACE);
}

static void test_tlv_writer_capacity(void **state)
{
    (void)state;
    static uint8_t val[300];
    static const size_t sizes[] = { 0, 10, 254, 255, 256 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        size_t need = 3 + WARD_TLV_SIZE(n);   /* a u8 field first */
        uint8_t buf[3 + 4 + 300];
        ward_tlv_writer w;
        size_t len;

        ward_tlv_writer_init(&w, buf, need);
        ward_tlv_put_u8(&w, 1, 0xAA);
        ward_tlv_put(&w, 2, val, n);
        assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_OK);
        assert_int_equal(len, need);

        ward_tlv_writer_init(&w, buf, need - 1);
        ward_tlv_put_u8(&w, 1, 0xAA);
        ward_tlv_put(&w, 2, val, n);
        assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_ERR_NOSPACE);
        /* Nothing of the refused field was written. */
        assert_int_equal(w.len, 3);
    }
}

static void test_tlv_integers(void **state)
{
    (void)state;
    uint8_t buf[64];
    ward_tlv_writer w;
    size_t len;
    ward_tlv_writer_init(&w, buf, sizeof buf);
    ward_tlv_put_u8(&w, 1, 0xFE);
    ward_tlv_put_u16(&w, 2, 0xBEEF);
    ward_tlv_put_u32(&w, 3, 0xDEADBEEFu);
    ward_tlv_put_u64(&w, 4, 0x0102030405060708ull);
    assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_OK);

    uint8_t want[64];
    size_t wn = ward_test_hex("0101fe" "0202beef" "0304deadbeef"
                              "04080102030405060708", want, sizeof want);
    assert_int_equal(len, wn);
    assert_memory_equal(buf, want, wn);

    const ward_tlv_spec spec[] = {
        { 1, true, 0, 8 }, { 2, true, 0, 8 }, { 3, true, 0, 8 },
        { 4, true, 0, 8 }, { 5, false, 0, 8 },
    };
    ward_tlv_field f[5];
    assert_int_equal(ward_tlv_parse(buf, len, spec, 5, f), WARD_OK);
    uint8_t a;
    uint16_t b;
    uint32_t c;
    uint64_t d;
    assert_int_equal(ward_tlv_get_u8(&f[0], &a), WARD_OK);
    assert_int_equal(ward_tlv_get_u16(&f[1], &b), WARD_OK);
    assert_int_equal(ward_tlv_get_u32(&f[2], &c), WARD_OK);
    assert_int_equal(ward_tlv_get_u64(&f[3], &d), WARD_OK);
    assert_int_equal(a, 0xFE);
    assert_int_equal(b, 0xBEEF);
    assert_int_equal(c, 0xDEADBEEFu);
    assert_true(d == 0x0102030405060708ull);

    /* Wrong widths and absent fields are format errors. */
    assert_int_equal(ward_tlv_get_u8(&f[1], &a), WARD_ERR_FORMAT);
    assert_int_equal(ward_tlv_get_u16(&f[0], &b), WARD_ERR_FORMAT);
    assert_int_equal(ward_tlv_get_u32(&f[3], &c), WARD_ERR_FORMAT);
    assert_int_equal(ward_tlv_get_u64(&f[2], &d), WARD_ERR_FORMAT);
    assert_int_equal(ward_tlv_get_u8(&f[4], &a), WARD_ERR_FORMAT);
    assert_int_equal(ward_tlv_get_u64(&f[4], &d), WARD_ERR_FORMAT);
}

/* An unsorted schema is a program bug: the parser must trap, not guess. */
static void test_tlv_unsorted_spec_asserts(void **state)
{
    (void)state;
    static const ward_tlv_spec unsorted[] = {
        { 0x05, false, 0, 8 }, { 0x01, false, 0, 8 },
    };
    static const ward_tlv_spec dup[] = {
        { 0x01, false, 0, 8 }, { 0x01, false, 0, 8 },
    };
    static const ward_tlv_spec minmax[] = { { 0x01, false, 9, 8 } };
    const ward_tlv_spec *specs[] = { unsorted, dup, minmax };
    const size_t counts[] = { 2, 2, 1 };
    for (size_t i = 0; i < 3; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            /* cmocka catches the trap signals; the child must die of it. */
            signal(SIGILL, SIG_DFL);
#ifdef SIGTRAP
            signal(SIGTRAP, SIG_DFL);
#endif
            signal(SIGABRT, SIG_DFL);
            ward_tlv_field f[2];
            ward_err never = ward_tlv_parse(NULL, 0, specs[i], counts[i], f);
            (void)never; /* it traps before it returns */
            _exit(0);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
    }
}

/* ---- canonical form ------------------------------------------------- */

/* Random valid messages: decode, parse, then re-encode from what was
 * parsed; the bytes must come back identical. */
static void test_canonical_random(void **state)
{
    (void)state;
    static uint8_t msg[WARD_MSG_MAX];
    static uint8_t again[WARD_MSG_MAX];
    static const uint8_t pool[WARD_MSG_MAX] = { 0 };

    for (int iter = 0; iter < 3000; iter++) {
        ward_hdr h = hdr_make((uint8_t)(1 + rnd(255)),
                              (uint8_t)(rnd(256) & WARD_FLAGS_KNOWN), NULL);
        h.key_index = (uint8_t)rnd(256);
        h.seq = (uint32_t)rnd(0xFFFFFFFFu);
        h.client_id_len = (uint8_t)rnd(WARD_CLIENT_ID_MAX + 1);
        for (size_t i = 0; i < h.client_id_len; i++) {
            h.client_id[i] = (uint8_t)rnd(256);
        }
        size_t hl = WARD_HDR_BASE_LEN +
                    (h.client_id_len ? 2u + h.client_id_len : 0u);

        /* Body: ascending random tags with lengths near the boundaries. */
        ward_tlv_spec spec[16];
        size_t nspec = 0;
        ward_tlv_writer w;
        ward_tlv_writer_init(&w, msg + hl, WARD_BODY_MAX);
        int tag = (int)rnd(8) - 1;
        size_t nf = rnd(8);
        for (size_t k = 0; k < nf; k++) {
            tag += 1 + (int)rnd(40);
            if (tag > 255) {
                break;
            }
            static const uint32_t lens[] = { 0, 1, 4, 200, 254, 255, 256 };
            size_t n = rnd(3) == 0 ? lens[rnd(7)] : rnd(40);
            if (WARD_TLV_SIZE(n) > w.cap - w.len) {
                continue;
            }
            uint8_t val[300];
            for (size_t i = 0; i < n; i++) {
                val[i] = (uint8_t)rnd(256);
            }
            ward_tlv_put(&w, (uint8_t)tag, n ? val : pool, n);
            spec[nspec].tag = (uint8_t)tag;
            spec[nspec].required = rnd(2) == 0;
            spec[nspec].min_len = 0;
            spec[nspec].max_len = 0xFFFF;
            nspec++;
        }
        size_t bl = 0;
        assert_int_equal(ward_tlv_writer_finish(&w, &bl), WARD_OK);
        h.body_len = (uint16_t)bl;
        size_t hl2 = 0;
        assert_int_equal(ward_hdr_encode(&h, msg, hl, &hl2), WARD_OK);
        assert_int_equal(hl2, hl);

        ward_hdr d;
        size_t off;
        assert_int_equal(ward_hdr_decode(msg, hl + bl, &d, &off), WARD_OK);
        ward_tlv_field f[16];
        assert_int_equal(ward_tlv_parse(msg + off, d.body_len, spec, nspec,
                                        f), WARD_OK);

        size_t rl = 0;
        assert_int_equal(ward_hdr_encode(&d, again, sizeof again, &rl),
                         WARD_OK);
        ward_tlv_writer_init(&w, again + rl, sizeof again - rl);
        for (size_t k = 0; k < nspec; k++) {
            assert_true(f[k].present);
            ward_tlv_put(&w, spec[k].tag, f[k].ptr, f[k].len);
        }
        size_t bl2 = 0;
        assert_int_equal(ward_tlv_writer_finish(&w, &bl2), WARD_OK);
        assert_int_equal(rl + bl2, hl + bl);
        assert_memory_equal(again, msg, hl + bl);

        /* With no schema, the body stands iff it has no critical tag. */
        bool critical = false;
        for (size_t k = 0; k < nspec; k++) {
            critical = critical || (spec[k].tag & WARD_TLV_CRITICAL) != 0;
        }
        assert_int_equal(ward_tlv_parse(msg + off, bl, NULL, 0, NULL),
                         critical ? WARD_ERR_FORMAT : WARD_OK);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hdr_layout),
        cmocka_unit_test(test_hdr_roundtrip),
        cmocka_unit_test(test_hdr_body_len_bounds),
        cmocka_unit_test(test_hdr_unknown_ext_skipped),
        cmocka_unit_test(test_hdr_rejects),
        cmocka_unit_test(test_hdr_rejects_client_id_too_long),
        cmocka_unit_test(test_hdr_encode_rejects),
        cmocka_unit_test(test_tlv_parse_basic),
        cmocka_unit_test(test_tlv_parse_rejects),
        cmocka_unit_test(test_tlv_unknown_noncritical_skipped),
        cmocka_unit_test(test_tlv_length_forms),
        cmocka_unit_test(test_tlv_size_macro),
        cmocka_unit_test(test_tlv_writer_order_and_sticky),
        cmocka_unit_test(test_tlv_writer_capacity),
        cmocka_unit_test(test_tlv_integers),
        cmocka_unit_test(test_tlv_unsorted_spec_asserts),
        cmocka_unit_test(test_canonical_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
