/* The record store loses power at every byte of an update and recovers. */
#include "ward_test.h"

#include <stdio.h>
#include <string.h>

#include "ward/ward_port_sim.h"
#include "ward_inner.h"

#define BANK 512
#define FLASH (2 * BANK)
#define ERASE 64
#define MAX_RECS 16
#define MAX_UPDATES 3

/* A whole store state, as a list of records in stored order. */
typedef struct rec {
    uint16_t key;
    size_t len;
    uint8_t val[WARD_RECORD_MAX];
} rec;

typedef struct set {
    size_t n;
    rec r[MAX_RECS];
} set;

typedef struct update {
    const ward_record_change *ch;
    size_t n;
} update;

static size_t cut_points;

static void read_set(const ward_store *st, set *s)
{
    size_t pos = 0, len;
    uint16_t key;
    s->n = 0;
    ward_err err;
    while ((err = ward_store_next(st, &pos, 0, 0xFFFF, &key, &len)) ==
           WARD_OK) {
        assert_true(s->n < MAX_RECS);
        rec *r = &s->r[s->n++];
        r->key = key;
        size_t got = 0;
        assert_int_equal(ward_store_get(st, key, r->val, sizeof r->val, &got),
                         WARD_OK);
        assert_int_equal(got, len);
        r->len = len;
    }
    assert_int_equal(err, WARD_ERR_NOTFOUND);
}

/* Order matters too: the store keeps unchanged records in place and
 * appends changed ones, and the model below does the same. */
static bool set_equal(const set *a, const set *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (a->r[i].key != b->r[i].key || a->r[i].len != b->r[i].len ||
            memcmp(a->r[i].val, b->r[i].val, a->r[i].len) != 0) {
            return false;
        }
    }
    return true;
}

static bool touched(const ward_record_change *ch, size_t n, uint16_t key)
{
    for (size_t i = 0; i < n; i++) {
        if (ch[i].key == key) {
            return true;
        }
    }
    return false;
}

/* The expected result of an update, computed independently of store.c
 * from the header's contract. */
static void model_apply(const set *old, const ward_record_change *ch,
                        size_t n, set *out)
{
    out->n = 0;
    for (size_t i = 0; i < old->n; i++) {
        if (!touched(ch, n, old->r[i].key)) {
            out->r[out->n++] = old->r[i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (ch[i].remove || touched(ch + i + 1, n - i - 1, ch[i].key)) {
            continue;
        }
        assert_true(out->n < MAX_RECS);
        rec *r = &out->r[out->n++];
        r->key = ch[i].key;
        r->len = ch[i].len;
        memcpy(r->val, ch[i].value, ch[i].len);
    }
}

typedef struct sim {
    uint8_t mem[FLASH];
    ward_sim_flash sf;
    ward_store_port port;
} sim;

static void sim_load(sim *s, const uint8_t *image)
{
    memcpy(s->mem, image, FLASH);
    ward_sim_flash_init(&s->sf, s->mem, FLASH, ERASE, &s->port);
}

/*
 * Runs `ups` in sequence on `image` with power failing after every byte
 * count from 0 up to the whole sequence's. After each cut: power on,
 * reopen, and the state must be exactly the one before the interrupted
 * update or the one after it; then a further update must work.
 */
static void enumerate_cuts(const uint8_t *image, const update *ups,
                           size_t n_ups)
{
    static sim s;
    static set states[MAX_UPDATES + 1];
    static set got, after;
    ward_store st;
    uint64_t total;

    assert_true(n_ups <= MAX_UPDATES);
    sim_load(&s, image);
    assert_int_equal(ward_store_open(&st, &s.port), WARD_OK);
    read_set(&st, &states[0]);
    for (size_t u = 0; u < n_ups; u++) {
        model_apply(&states[u], ups[u].ch, ups[u].n, &states[u + 1]);
        assert_int_equal(ward_store_update(&st, ups[u].ch, ups[u].n), WARD_OK);
        read_set(&st, &got);
        assert_true(set_equal(&got, &states[u + 1]));
    }
    total = s.sf.bytes_done;
    assert_true(total > 0);

    size_t saw_before = 0, saw_after = 0;
    size_t cut_in[MAX_UPDATES] = { 0 };
    for (uint64_t cut = 0; cut <= total; cut++) {
        sim_load(&s, image);
        assert_int_equal(ward_store_open(&st, &s.port), WARD_OK);
        ward_sim_flash_cut_after(&s.sf, cut);
        size_t done = 0;
        ward_err err = WARD_OK;
        while (done < n_ups) {
            err = ward_store_update(&st, ups[done].ch, ups[done].n);
            if (err != WARD_OK) {
                break;
            }
            done++;
        }
        /* A cut in the erase that follows a removal's commit (the old
         * bank's copy of what was removed) is after the update: it
         * answers WARD_OK and its state stands. */
        bool after_last = err == WARD_OK;
        if (!after_last) {
            assert_int_equal(err, WARD_ERR_IO);
            cut_in[done]++;
            /* Until reopened, the store answers the last good state. */
            ward_sim_flash_power_on(&s.sf);
            read_set(&st, &got);
            assert_true(set_equal(&got, &states[done]));
        } else {
            assert_int_equal(done, n_ups);
            ward_sim_flash_power_on(&s.sf);
        }
        assert_true(after_last || cut < total);

        assert_int_equal(ward_store_open(&st, &s.port), WARD_OK);
        read_set(&st, &got);
        if (after_last) {
            assert_true(set_equal(&got, &states[n_ups]));
        } else if (set_equal(&got, &states[done])) {
            saw_before++;
        } else if (set_equal(&got, &states[done + 1])) {
            /* Only when the torn byte was the header's last and its
             * missing half happened to be erased already. */
            saw_after++;
        } else {
            fail_msg("cut after %llu of %llu bytes (update %zu): state is "
                     "neither the old nor the new one",
                     (unsigned long long)cut, (unsigned long long)total, done);
        }

        /* Life goes on after recovery. */
        static const uint8_t more[] = "after the cut";
        ward_record_change next = { 0x4242, more, sizeof more, false };
        assert_int_equal(ward_store_update(&st, &next, 1), WARD_OK);
        model_apply(&got, &next, 1, &after);
        assert_int_equal(ward_store_open(&st, &s.port), WARD_OK);
        read_set(&st, &got);
        assert_true(set_equal(&got, &after));
        cut_points++;
    }
    /* Every update of the sequence was interrupted somewhere. */
    for (size_t u = 0; u < n_ups; u++) {
        assert_true(cut_in[u] > 0);
    }
    assert_true(saw_before > 0);
    print_message("  %llu bytes of writes and erases: %llu cut points, "
                  "%zu recovered the state before the cut update, %zu the "
                  "state after it, 1 uncut\n",
                  (unsigned long long)total, (unsigned long long)(total + 1),
                  saw_before, saw_after);
}

static uint8_t v_long[200], v_long2[150], v_mid[70];

static void fill_values(void)
{
    for (size_t i = 0; i < sizeof v_long; i++) {
        v_long[i] = (uint8_t)(i * 13 + 5);
    }
    for (size_t i = 0; i < sizeof v_long2; i++) {
        v_long2[i] = (uint8_t)(0xFF - i);
    }
    for (size_t i = 0; i < sizeof v_mid; i++) {
        v_mid[i] = (uint8_t)(i ^ 0x5A);
    }
}

/* Modify one, add two, remove one: the update of the task statement.
 * The values cross the store's 64-byte copy buffer. */
static const ward_record_change multi[] = {
    { 2, v_long2, sizeof v_long2, false },    /* modify */
    { 5, (const uint8_t *)"five", 4, false }, /* add */
    { 6, v_mid, sizeof v_mid, false },        /* add */
    { 3, NULL, 0, true },                     /* remove */
};

/* Initial state, in two updates so both banks hold an image and the
 * erase destroys a real (older) one. */
static const ward_record_change init_a[] = {
    { 1, (const uint8_t *)"alpha", 5, false },
    { 2, v_long, sizeof v_long, false },
};
static const ward_record_change init_b[] = {
    { 3, (const uint8_t *)"gamma gamma", 11, false },
    { 4, (const uint8_t *)"\x00\x01\x02\x03", 4, false },
    { 1, (const uint8_t *)"ALPHA", 5, false },
};

static void initial_image(uint8_t *image)
{
    static sim s;
    ward_store st;
    memset(s.mem, 0xFF, FLASH);
    ward_sim_flash_init(&s.sf, s.mem, FLASH, ERASE, &s.port);
    assert_int_equal(ward_store_open(&st, &s.port), WARD_OK);
    assert_int_equal(ward_store_update(&st, init_a, 2), WARD_OK);
    assert_int_equal(ward_store_update(&st, init_b, 3), WARD_OK);
    memcpy(image, s.mem, FLASH);
}

static void test_cut_multi_update(void **state)
{
    (void)state;
    uint8_t image[FLASH];
    initial_image(image);
    update u = { multi, WARD_ARRAY_LEN(multi) };
    enumerate_cuts(image, &u, 1);
}

static void test_cut_first_update_on_blank(void **state)
{
    (void)state;
    uint8_t image[FLASH];
    memset(image, 0xFF, sizeof image);
    update u = { multi, WARD_ARRAY_LEN(multi) };
    enumerate_cuts(image, &u, 1);
}

static void test_cut_two_consecutive_updates(void **state)
{
    (void)state;
    uint8_t image[FLASH];
    initial_image(image);
    static const ward_record_change second[] = {
        { 1, NULL, 0, true },
        { 7, (const uint8_t *)"seven", 5, false },
        { 5, (const uint8_t *)"FIVE!", 5, false },
    };
    update u[2] = { { multi, WARD_ARRAY_LEN(multi) },
                    { second, WARD_ARRAY_LEN(second) } };
    enumerate_cuts(image, u, 2);
}

static void test_cut_update_that_empties(void **state)
{
    (void)state;
    uint8_t image[FLASH];
    initial_image(image);
    static const ward_record_change all[] = {
        { 1, NULL, 0, true }, { 2, NULL, 0, true },
        { 3, NULL, 0, true }, { 4, NULL, 0, true },
    };
    update u = { all, WARD_ARRAY_LEN(all) };
    enumerate_cuts(image, &u, 1);
}

static void test_cut_points_total(void **state)
{
    (void)state;
    print_message("power-cut: %zu cut points checked\n", cut_points);
    assert_true(cut_points > 0);
}

int main(void)
{
    fill_values();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_multi_update),
        cmocka_unit_test(test_cut_first_update_on_blank),
        cmocka_unit_test(test_cut_two_consecutive_updates),
        cmocka_unit_test(test_cut_update_that_empties),
        cmocka_unit_test(test_cut_points_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
