/* The record store on simulated flash: records, limits, corruption. */
#include "ward_test.h"

#include <stdio.h>
#include <string.h>

#include "store/store_crc.h"
#include "ward/ward_port_sim.h"
#include "ward_inner.h"
#include "store/store_inner.h"

/* The opaque store's state, to check what the store decided. */
#define STATE(st) ward_store_cstate_of(&(st))

#define BANK 512
#define FLASH (2 * BANK)
#define CAP (BANK - WARD_STORE_BANK_HDR_LEN)

typedef struct fixture {
    uint8_t mem[FLASH];
    ward_sim_flash sf;
    ward_store_port port;
    ward_store st;
} fixture;

static fixture fx;

static void blank(void)
{
    ward_sim_flash_init(&fx.sf, fx.mem, sizeof fx.mem, 64, &fx.port);
    ward_sim_flash_format(&fx.sf);
    assert_int_equal(ward_store_open(&fx.st, &fx.port), WARD_OK);
}

static void reopen(ward_store *st)
{
    assert_int_equal(ward_store_open(st, &fx.port), WARD_OK);
}

static void put(ward_store *st, uint16_t key, const char *s)
{
    assert_int_equal(ward_store_put(st, key, (const uint8_t *)s, strlen(s)),
                     WARD_OK);
}

static void expect(const ward_store *st, uint16_t key, const char *s)
{
    uint8_t buf[WARD_RECORD_MAX];
    size_t len = 0;
    assert_int_equal(ward_store_get(st, key, buf, sizeof buf, &len), WARD_OK);
    assert_int_equal(len, strlen(s));
    assert_memory_equal(buf, s, len);
}

static void expect_none(const ward_store *st, uint16_t key)
{
    uint8_t buf[8];
    size_t len = 0;
    assert_int_equal(ward_store_get(st, key, buf, sizeof buf, &len),
                     WARD_ERR_NOTFOUND);
}

/* Writes a bank image with correct checksums around whatever fields the
 * test wants, to reach the parse checks behind the CRCs. */
static void craft_crc(uint8_t bank, uint32_t magic, uint32_t seq,
                      uint32_t used, const uint8_t *recs, size_t recs_len,
                      size_t crc_len)
{
    uint8_t *b = fx.mem + (size_t)bank * BANK;
    memset(b, 0xFF, BANK);
    ward_store32(b, magic);
    ward_store32(b + 4, seq);
    ward_store32(b + 8, used);
    ward_store32(b + 12, ward_crc32(0, recs, crc_len));
    ward_store32(b + 16, ward_crc32(0, b, 16));
    memcpy(b + WARD_STORE_BANK_HDR_LEN, recs, recs_len);
}

static void craft(uint8_t bank, uint32_t magic, uint32_t seq, uint32_t used,
                  const uint8_t *recs, size_t recs_len)
{
    craft_crc(bank, magic, seq, used, recs, recs_len, recs_len);
}

static void test_crc32_check_value(void **state)
{
    (void)state;
    /* The catalogued check value of CRC-32/ISO-HDLC, fed in two pieces. */
    const uint8_t *m = (const uint8_t *)"123456789";
    assert_int_equal(ward_crc32(ward_crc32(0, m, 4), m + 4, 5), 0xCBF43926u);
    assert_int_equal(ward_crc32(0, m, 0), 0u);
}

static void test_empty_open(void **state)
{
    (void)state;
    blank();
    assert_false(STATE(fx.st)->valid);
    assert_int_equal(STATE(fx.st)->seq, 0);
    assert_int_equal(ward_store_free(&fx.st), CAP);
    expect_none(&fx.st, 1);
    size_t pos = 0, len;
    uint16_t key;
    assert_int_equal(ward_store_next(&fx.st, &pos, 0, 0xFFFF, &key, &len),
                     WARD_ERR_NOTFOUND);
    /* Opening wrote nothing. */
    assert_int_equal(fx.sf.bytes_done, 0);
}

static void test_put_get_remove_next_free(void **state)
{
    (void)state;
    blank();
    uint8_t big[300];
    for (size_t i = 0; i < sizeof big; i++) {
        big[i] = (uint8_t)(i * 7 + 1);
    }
    put(&fx.st, 1, "abc");
    assert_int_equal(ward_store_put(&fx.st, 2, NULL, 0), WARD_OK);
    assert_int_equal(ward_store_put(&fx.st, 0x0100, big, sizeof big), WARD_OK);
    assert_int_equal(ward_store_free(&fx.st),
                     CAP - (3 * WARD_STORE_RECORD_HDR_LEN + 3 + sizeof big));

    expect(&fx.st, 1, "abc");
    expect(&fx.st, 2, "");
    uint8_t out[300];
    size_t len = 0;
    assert_int_equal(ward_store_get(&fx.st, 0x0100, out, sizeof out, &len),
                     WARD_OK);
    assert_int_equal(len, sizeof big);
    assert_memory_equal(out, big, sizeof big);
    /* Too small a buffer says how much it takes. */
    len = 0;
    assert_int_equal(ward_store_get(&fx.st, 0x0100, out, 299, &len),
                     WARD_ERR_NOSPACE);
    assert_int_equal(len, 300);
    len = 0;
    assert_int_equal(ward_store_get(&fx.st, 1, NULL, 0, &len),
                     WARD_ERR_NOSPACE);
    assert_int_equal(len, 3);
    expect_none(&fx.st, 3);

    /* next() visits in stored order and honours the key range. */
    size_t pos = 0;
    uint16_t key;
    uint16_t seen[4];
    size_t n = 0;
    while (ward_store_next(&fx.st, &pos, 0, 0xFFFF, &key, &len) == WARD_OK) {
        assert_true(n < 4);
        seen[n++] = key;
    }
    assert_int_equal(n, 3);
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 2);
    assert_int_equal(seen[2], 0x0100);
    pos = 0;
    assert_int_equal(ward_store_next(&fx.st, &pos, 2, 0xFF, &key, &len),
                     WARD_OK);
    assert_int_equal(key, 2);
    assert_int_equal(len, 0);
    assert_int_equal(ward_store_next(&fx.st, &pos, 2, 0xFF, &key, &len),
                     WARD_ERR_NOTFOUND);

    assert_int_equal(ward_store_remove(&fx.st, 2), WARD_OK);
    expect_none(&fx.st, 2);
    /* Removing what is not there is not an error. */
    assert_int_equal(ward_store_remove(&fx.st, 77), WARD_OK);
    expect(&fx.st, 1, "abc");
    assert_int_equal(ward_store_free(&fx.st),
                     CAP - (2 * WARD_STORE_RECORD_HDR_LEN + 3 + sizeof big));
}

static void test_nospace_changes_nothing(void **state)
{
    (void)state;
    blank();
    uint8_t v[CAP];
    memset(v, 0x5A, sizeof v);
    assert_int_equal(ward_store_put(&fx.st, 1, v, 100), WARD_OK);
    ward_store before = fx.st;
    uint8_t image[FLASH];
    memcpy(image, fx.mem, sizeof image);
    uint64_t done = fx.sf.bytes_done;

    size_t room = ward_store_free(&fx.st) - WARD_STORE_RECORD_HDR_LEN;
    assert_int_equal(ward_store_put(&fx.st, 2, v, room + 1), WARD_ERR_NOSPACE);
    /* Two changes that each fit but not together. */
    ward_record_change ch[2] = { { 2, v, room / 2 + 4, false },
                                 { 3, v, room / 2 + 4, false } };
    assert_int_equal(ward_store_update(&fx.st, ch, 2), WARD_ERR_NOSPACE);
    assert_memory_equal(&fx.st, &before, sizeof before);
    assert_memory_equal(fx.mem, image, sizeof image);
    assert_int_equal(fx.sf.bytes_done, done);

    /* Replacing a record frees its old bytes first, so a value that
     * fills the bank exactly fits and leaves zero free. */
    assert_int_equal(ward_store_put(&fx.st, 1, v, CAP - WARD_STORE_RECORD_HDR_LEN),
                     WARD_OK);
    assert_int_equal(ward_store_free(&fx.st), 0);
    reopen(&fx.st);
    assert_int_equal(ward_store_free(&fx.st), 0);
}

static void test_reopen_sees_everything(void **state)
{
    (void)state;
    blank();
    ward_record_change ch[3] = {
        { 10, (const uint8_t *)"ten", 3, false },
        { 20, (const uint8_t *)"twenty", 6, false },
        { 30, (const uint8_t *)"thirty", 6, false },
    };
    assert_int_equal(ward_store_update(&fx.st, ch, 3), WARD_OK);
    assert_int_equal(ward_store_remove(&fx.st, 20), WARD_OK);
    ward_store st2;
    reopen(&st2);
    assert_true(STATE(st2)->valid);
    assert_int_equal(STATE(st2)->seq, STATE(fx.st)->seq);
    assert_int_equal(STATE(st2)->active, STATE(fx.st)->active);
    assert_int_equal(STATE(st2)->used, STATE(fx.st)->used);
    expect(&st2, 10, "ten");
    expect_none(&st2, 20);
    expect(&st2, 30, "thirty");
}

static void test_overwrite_and_later_change_wins(void **state)
{
    (void)state;
    blank();
    put(&fx.st, 5, "first");
    put(&fx.st, 5, "second, longer");
    expect(&fx.st, 5, "second, longer");
    put(&fx.st, 5, "3");
    expect(&fx.st, 5, "3");

    ward_record_change ch[5] = {
        { 6, (const uint8_t *)"a", 1, false },
        { 6, (const uint8_t *)"bb", 2, false },
        { 7, (const uint8_t *)"x", 1, false },
        { 7, NULL, 0, true },
        { 5, NULL, 0, true },
    };
    assert_int_equal(ward_store_update(&fx.st, ch, 5), WARD_OK);
    expect(&fx.st, 6, "bb");
    expect_none(&fx.st, 7);
    expect_none(&fx.st, 5);
    /* Remove then put in one update: the put wins. */
    ward_record_change ch2[2] = { { 6, NULL, 0, true },
                                  { 6, (const uint8_t *)"ccc", 3, false } };
    assert_int_equal(ward_store_update(&fx.st, ch2, 2), WARD_OK);
    ward_store st2;
    reopen(&st2);
    expect(&st2, 6, "ccc");
    /* Only one record for key 6 is stored. */
    size_t pos = 0, len, n = 0;
    uint16_t key;
    while (ward_store_next(&st2, &pos, 6, 6, &key, &len) == WARD_OK) {
        n++;
    }
    assert_int_equal(n, 1);
}

static void test_many_updates_alternate_banks(void **state)
{
    (void)state;
    blank();
    for (uint32_t i = 1; i <= 60; i++) {
        char v[16];
        snprintf(v, sizeof v, "value %u", (unsigned)i);
        uint8_t before = STATE(fx.st)->active;
        put(&fx.st, (uint16_t)(i % 7), v);
        assert_int_equal(STATE(fx.st)->seq, i);
        if (i > 1) {
            assert_int_not_equal(STATE(fx.st)->active, before);
        }
        expect(&fx.st, (uint16_t)(i % 7), v);
        if (i % 10 == 0) {
            ward_store st2;
            reopen(&st2);
            assert_int_equal(STATE(st2)->seq, i);
            for (uint32_t k = i - 6; k <= i; k++) {
                snprintf(v, sizeof v, "value %u", (unsigned)k);
                expect(&st2, (uint16_t)(k % 7), v);
            }
        }
    }
    /* Each update erased once and never wrote unerased bytes (the sim
     * ANDs, so the reads above would have caught that). */
    assert_int_equal(fx.sf.erases, 60);
}

static void test_key_and_len_validation(void **state)
{
    (void)state;
    static uint8_t mem[2 * 1024];
    ward_sim_flash sf;
    ward_store_port port;
    ward_store st;
    ward_sim_flash_init(&sf, mem, sizeof mem, 256, &port);
    ward_sim_flash_format(&sf);
    assert_int_equal(ward_store_open(&st, &port), WARD_OK);

    static uint8_t v[WARD_RECORD_MAX + 1];
    memset(v, 0xA5, sizeof v);
    assert_int_equal(ward_store_put(&st, WARD_STORE_KEY_RESERVED, v, 1),
                     WARD_ERR_PARAM);
    assert_int_equal(ward_store_put(&st, 0xFFFF, v, 1), WARD_ERR_PARAM);
    assert_int_equal(ward_store_remove(&st, 0xFFFF), WARD_ERR_PARAM);
    assert_int_equal(ward_store_put(&st, 1, v, WARD_RECORD_MAX + 1),
                     WARD_ERR_PARAM);
    /* One bad change spoils the whole update. */
    ward_record_change ch[2] = { { 1, v, 4, false },
                                 { 0xFF00, v, 4, false } };
    assert_int_equal(ward_store_update(&st, ch, 2), WARD_ERR_PARAM);
    assert_int_equal(sf.bytes_done, 0);
    expect_none(&st, 1);

    /* The limits themselves are fine. */
    assert_int_equal(ward_store_put(&st, 0xFEFF, v, WARD_RECORD_MAX), WARD_OK);
    assert_int_equal(ward_store_put(&st, 0, v, 0), WARD_OK);
    ward_store st2;
    assert_int_equal(ward_store_open(&st2, &port), WARD_OK);
    uint8_t out[WARD_RECORD_MAX];
    size_t len;
    assert_int_equal(ward_store_get(&st2, 0xFEFF, out, sizeof out, &len),
                     WARD_OK);
    assert_int_equal(len, WARD_RECORD_MAX);
    assert_memory_equal(out, v, WARD_RECORD_MAX);
}

/* Two committed states: A (seq 1, bank 1) and B (seq 2, bank 0). */
static void two_states(void)
{
    blank();
    put(&fx.st, 1, "state A");
    put(&fx.st, 2, "only in B, and long enough to matter");
    assert_int_equal(STATE(fx.st)->seq, 2);
    assert_int_equal(STATE(fx.st)->active, 0);
}

static void expect_state_a(const ward_store *st)
{
    assert_true(ward_store_cstate_of(st)->valid);
    assert_int_equal(ward_store_cstate_of(st)->seq, 1);
    expect(st, 1, "state A");
    expect_none(st, 2);
}

static void test_corrupt_active_bank_falls_back(void **state)
{
    (void)state;
    two_states();
    size_t end = WARD_STORE_BANK_HDR_LEN + STATE(fx.st)->used;
    uint8_t image[FLASH];
    memcpy(image, fx.mem, sizeof image);
    /* Every single-bit flip in bank 0's header or records, at two bit
     * positions per byte, must make open() fall back to state A. */
    for (size_t off = 0; off < end; off++) {
        for (unsigned bit = 0; bit < 8; bit += 7) {
            memcpy(fx.mem, image, sizeof image);
            fx.mem[off] ^= (uint8_t)(1u << bit);
            ward_store st;
            reopen(&st);
            expect_state_a(&st);
        }
    }
    /* A flip past `used` is in erased space nobody reads. */
    memcpy(fx.mem, image, sizeof image);
    fx.mem[end] ^= 1;
    ward_store st;
    reopen(&st);
    assert_int_equal(STATE(st)->seq, 2);
}

static void test_corrupt_old_bank_is_ignored(void **state)
{
    (void)state;
    two_states();
    fx.mem[BANK + 5] ^= 0x10;
    ward_store st;
    reopen(&st);
    assert_int_equal(STATE(st)->seq, 2);
    expect(&st, 2, "only in B, and long enough to matter");
    /* The next update overwrites the broken bank cleanly. */
    put(&st, 3, "c");
    reopen(&st);
    assert_int_equal(STATE(st)->seq, 3);
    assert_int_equal(STATE(st)->active, 1);
    expect(&st, 1, "state A");
    expect(&st, 3, "c");
}

static void test_both_banks_corrupt(void **state)
{
    (void)state;
    two_states();
    fx.mem[WARD_STORE_BANK_HDR_LEN + 1] ^= 0x01;
    fx.mem[BANK + 3] ^= 0x80;
    ward_store st;
    reopen(&st);
    assert_false(STATE(st)->valid);
    assert_int_equal(STATE(st)->seq, 0);
    expect_none(&st, 1);
    assert_int_equal(ward_store_free(&st), CAP);
    /* Garbage everywhere opens empty too. */
    for (size_t i = 0; i < FLASH; i++) {
        fx.mem[i] = (uint8_t)(i * 31 + 17);
    }
    reopen(&st);
    assert_false(STATE(st)->valid);
    /* And the store works again from there. */
    put(&st, 9, "fresh");
    reopen(&st);
    expect(&st, 9, "fresh");
    expect_none(&st, 1);
}

static void test_checksummed_but_malformed_images(void **state)
{
    (void)state;
    blank();
    uint8_t recs[16];
    /* One good record: key 1, len 2, "hi". */
    ward_store16(recs, 1);
    ward_store16(recs + 2, 2);
    recs[4] = 'h';
    recs[5] = 'i';
    ward_store st;

    craft(0, 0x57524431u, 4, 6, recs, 6);
    reopen(&st);
    assert_true(STATE(st)->valid);
    expect(&st, 1, "hi");

    craft(0, 0x57524432u, 4, 6, recs, 6);     /* wrong magic */
    reopen(&st);
    assert_false(STATE(st)->valid);
    craft(0, 0x57524431u, 0, 6, recs, 6);     /* seq 0 is never written */
    reopen(&st);
    assert_false(STATE(st)->valid);
    craft(0, 0x57524431u, 4, 5, recs, 5);     /* record cut short */
    reopen(&st);
    assert_false(STATE(st)->valid);
    craft(0, 0x57524431u, 4, 3, recs, 3);     /* partial record header */
    reopen(&st);
    assert_false(STATE(st)->valid);
    /* A good record then 3 stray bytes, with a records CRC that covers
     * only the good record: the parse rule alone must reject it. */
    recs[6] = 0;
    recs[7] = 2;
    recs[8] = 0;
    craft_crc(0, 0x57524431u, 4, 9, recs, 9, 6);
    reopen(&st);
    assert_false(STATE(st)->valid);
    craft(0, 0x57524431u, 4, CAP + 1, recs, 6); /* used beyond the bank */
    reopen(&st);
    assert_false(STATE(st)->valid);
    ward_store16(recs, WARD_STORE_KEY_RESERVED); /* reserved key */
    craft(0, 0x57524431u, 4, 6, recs, 6);
    reopen(&st);
    assert_false(STATE(st)->valid);
    ward_store16(recs, 1);
    ward_store16(recs + 2, WARD_RECORD_MAX + 1); /* over-long record */
    craft(0, 0x57524431u, 4, 6, recs, 6);
    reopen(&st);
    assert_false(STATE(st)->valid);
}

static void test_seq_compare_and_exhaustion(void **state)
{
    (void)state;
    blank();
    uint8_t rec[5] = { 0, 1, 0, 1, 'a' };
    uint8_t rec2[5] = { 0, 1, 0, 1, 'b' };
    /* The higher seq wins whichever bank it is in. */
    craft(0, 0x57524431u, 9, 5, rec, 5);
    craft(1, 0x57524431u, 8, 5, rec2, 5);
    ward_store st;
    reopen(&st);
    assert_int_equal(STATE(st)->active, 0);
    expect(&st, 1, "a");

    craft(1, 0x57524431u, 0xFFFFFFFEu, 5, rec2, 5);
    reopen(&st);
    assert_int_equal(STATE(st)->active, 1);
    put(&st, 2, "last");
    assert_int_equal(STATE(st)->seq, 0xFFFFFFFFu);
    uint64_t done = fx.sf.bytes_done;
    assert_int_equal(ward_store_put(&st, 2, (const uint8_t *)"x", 1),
                     WARD_ERR_STATE);
    assert_int_equal(fx.sf.bytes_done, done);
    reopen(&st);
    assert_int_equal(STATE(st)->seq, 0xFFFFFFFFu);
    expect(&st, 2, "last");
    expect(&st, 1, "b");
}

static void test_io_errors(void **state)
{
    (void)state;
    two_states();
    /* A failing update leaves the in-RAM state answering the old image. */
    ward_sim_flash_cut_after(&fx.sf, 10);
    assert_int_equal(ward_store_put(&fx.st, 3, (const uint8_t *)"x", 1),
                     WARD_ERR_IO);
    /* While the power is off, reads fail as I/O too. */
    size_t len;
    uint8_t buf[64];
    assert_int_equal(ward_store_get(&fx.st, 1, buf, sizeof buf, &len),
                     WARD_ERR_IO);
    ward_store st;
    assert_int_equal(ward_store_open(&st, &fx.port), WARD_ERR_IO);
    ward_sim_flash_power_on(&fx.sf);
    assert_int_equal(STATE(fx.st)->seq, 2);
    expect(&fx.st, 2, "only in B, and long enough to matter");
    expect_none(&fx.st, 3);
    /* With power back, updates work again. */
    put(&fx.st, 3, "y");
    expect(&fx.st, 3, "y");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_check_value),
        cmocka_unit_test(test_empty_open),
        cmocka_unit_test(test_put_get_remove_next_free),
        cmocka_unit_test(test_nospace_changes_nothing),
        cmocka_unit_test(test_reopen_sees_everything),
        cmocka_unit_test(test_overwrite_and_later_change_wins),
        cmocka_unit_test(test_many_updates_alternate_banks),
        cmocka_unit_test(test_key_and_len_validation),
        cmocka_unit_test(test_corrupt_active_bank_falls_back),
        cmocka_unit_test(test_corrupt_old_bank_is_ignored),
        cmocka_unit_test(test_both_banks_corrupt),
        cmocka_unit_test(test_checksummed_but_malformed_images),
        cmocka_unit_test(test_seq_compare_and_exhaustion),
        cmocka_unit_test(test_io_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
