/* Secure time in the core: k of n servers, replays, a lying server, the
 * floor that never goes back, and a power cut while it is written.
 * WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward/ward_port_sim.h"
#include "ward/ward_time.h"

#define BANK 1024
#define ERASE 64
#define HOUR 3600000ull
/* A time of late 2026, the servers' "now" in these tests. */
#define NOW 1796000000000ull
#define BUILD (NOW - 30 * 24 * HOUR)

typedef struct server {
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN];
} server;

typedef struct fx {
    ward_random rng;
    server s[4];                /* s[3] is trusted by nobody */
    uint8_t keys[3][WARD_P256_POINT_LEN];
    uint8_t mem[2 * BANK];
    ward_sim_flash sf;
    ward_store_port port;
    ward_store st;
} fx;

static fx f;

static void fx_init(void)
{
    memset(&f, 0, sizeof f);
    f.rng = ward_test_rng();
    for (int i = 0; i < 4; i++) {
        ward_keystore_soft_init(&f.s[i].soft, ward_test_cp, &f.rng, &f.s[i].ks);
        assert_int_equal(f.s[i].ks.generate(f.s[i].ks.ctx, WARD_KEY_TIME, f.s[i].pub), WARD_OK);
        if (i < 3) {
            memcpy(f.keys[i], f.s[i].pub, WARD_P256_POINT_LEN);
        }
    }
    ward_sim_flash_init(&f.sf, f.mem, sizeof f.mem, ERASE, &f.port);
    ward_sim_flash_format(&f.sf);
    assert_int_equal(ward_store_open(&f.st, &f.port), WARD_OK);
}

static void answer(int i, uint64_t t, uint32_t r, const uint8_t nonce[WARD_TIME_NONCE_LEN],
                   uint8_t out[WARD_TIME_ANSWER_LEN])
{
    size_t len = 0;
    assert_int_equal(ward_time_answer_make(ward_test_cp, &f.s[i].ks, WARD_KEY_TIME, t, r, nonce,
                                           out, WARD_TIME_ANSWER_LEN, &len),
                     WARD_OK);
    assert_int_equal(len, WARD_TIME_ANSWER_LEN);
}

static void init(ward_time *t, unsigned k)
{
    assert_int_equal(ward_time_init(t, ward_test_cp, &f.st, (const uint8_t(*)[65])f.keys, 3, k,
                                    BUILD),
                     WARD_OK);
}

/* A sync at local count 1000..1050 where server i answers times[i]
 * (0: no answer); the result of finish. */
static ward_err sync3(ward_time *t, const uint64_t times[3])
{
    uint8_t nonce[WARD_TIME_NONCE_LEN], a[WARD_TIME_ANSWER_LEN];
    assert_int_equal(ward_time_begin(t, &f.rng, 1000, nonce), WARD_OK);
    for (int i = 0; i < 3; i++) {
        if (times[i] != 0) {
            answer(i, times[i], 500, nonce, a);
            assert_int_equal(ward_time_add(t, a, sizeof a, 1050), WARD_OK);
        }
    }
    return ward_time_finish(t, &f.st, 1050);
}

static uint64_t stored_floor(void)
{
    ward_store st;
    uint8_t v[8];
    size_t len = 0;
    assert_int_equal(ward_store_open(&st, &f.port), WARD_OK);
    if (ward_store_get(&st, WARD_TIME_REC_FLOOR, v, sizeof v, &len) != WARD_OK) {
        return 0;
    }
    assert_int_equal(len, 8);
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) {
        x = x << 8 | v[i];
    }
    return x;
}

static void test_agree(void **state)
{
    (void)state;
    fx_init();
    ward_time t;
    init(&t, 2);
    ward_time_interval iv;
    assert_int_equal(ward_time_now(&t, 5, &iv), WARD_OK);
    assert_false(iv.synced);
    assert_true(iv.lo == BUILD && iv.hi == UINT64_MAX);

    const uint64_t times[3] = { NOW, NOW + 100, NOW - 100 };
    assert_int_equal(sync3(&t, times), WARD_OK);
    assert_int_equal(ward_time_now(&t, 1050, &iv), WARD_OK);
    assert_true(iv.synced);
    /* Inside every honest answer's interval, and no wider than them. */
    assert_true(iv.lo <= NOW && iv.hi >= NOW);
    assert_true(iv.hi - iv.lo <= 2 * 500 + 200 + 50 + 2);
    assert_true(ward_time_floor(&t) == iv.lo);
    assert_true(stored_floor() == iv.lo);
    /* An hour of the local count later: the interval moved with it and
     * widened by the drift bound (100 ppm: 360 ms each side). */
    ward_time_interval later;
    assert_int_equal(ward_time_now(&t, 1050 + HOUR, &later), WARD_OK);
    assert_true(later.lo >= iv.lo + HOUR - 361 && later.lo <= iv.lo + HOUR - 359);
    assert_true(later.hi >= iv.hi + HOUR + 359 && later.hi <= iv.hi + HOUR + 361);
    ward_time_interval back;
    assert_int_equal(ward_time_now(&t, 1000, &back), WARD_ERR_PARAM);
    /* save() raises the stored floor to the interval's low end. */
    assert_int_equal(ward_time_save(&t, &f.st, 1050 + HOUR), WARD_OK);
    assert_true(stored_floor() == later.lo);

    /* A fresh context (a reboot) starts from the stored floor. */
    ward_time t2;
    init(&t2, 2);
    assert_true(ward_time_floor(&t2) == later.lo);
}

static void test_replay_and_nonce(void **state)
{
    (void)state;
    fx_init();
    ward_time t;
    init(&t, 1);
    uint8_t n1[WARD_TIME_NONCE_LEN], n2[WARD_TIME_NONCE_LEN], old[WARD_TIME_ANSWER_LEN],
        a[WARD_TIME_ANSWER_LEN];
    assert_int_equal(ward_time_add(&t, old, sizeof old, 0), WARD_ERR_STATE);
    assert_int_equal(ward_time_begin(&t, &f.rng, 10, n1), WARD_OK);
    answer(0, NOW, 500, n1, old);
    assert_int_equal(ward_time_add(&t, old, sizeof old, 20), WARD_OK);
    /* The same answer again counts once. */
    assert_int_equal(ward_time_add(&t, old, sizeof old, 20), WARD_ERR_CONFLICT);
    assert_int_equal(ward_time_finish(&t, &f.st, 20), WARD_OK);
    uint64_t floor = ward_time_floor(&t);

    /* The next sync: yesterday's answer, replayed, is refused. */
    assert_int_equal(ward_time_begin(&t, &f.rng, 100, n2), WARD_OK);
    assert_memory_not_equal(n1, n2, sizeof n1);
    assert_int_equal(ward_time_add(&t, old, sizeof old, 110), WARD_ERR_AUTH);
    /* An answer to another nonce, an altered one, an untrusted key. */
    uint8_t other[WARD_TIME_NONCE_LEN];
    memcpy(other, n2, sizeof other);
    other[0] ^= 1;
    answer(1, NOW, 500, other, a);
    assert_int_equal(ward_time_add(&t, a, sizeof a, 110), WARD_ERR_AUTH);
    answer(1, NOW, 500, n2, a);
    a[12] ^= 0x40;          /* a bit of the time */
    assert_int_equal(ward_time_add(&t, a, sizeof a, 110), WARD_ERR_AUTH);
    answer(3, NOW, 500, n2, a);
    assert_int_equal(ward_time_add(&t, a, sizeof a, 110), WARD_ERR_NOTFOUND);
    answer(1, NOW, 500, n2, a);
    assert_int_equal(ward_time_add(&t, a, sizeof a - 1, 110), WARD_ERR_FORMAT);
    a[0] = 2;
    assert_int_equal(ward_time_add(&t, a, sizeof a, 110), WARD_ERR_FORMAT);
    /* An answer too late after the nonce. */
    answer(1, NOW, 500, n2, a);
    assert_int_equal(ward_time_add(&t, a, sizeof a, 100 + WARD_TIME_RTT_MAX_MS + 1),
                     WARD_ERR_EXPIRED);
    /* Nothing counted: no agreement, nothing changed. */
    assert_int_equal(ward_time_finish(&t, &f.st, 120), WARD_ERR_AUTH);
    assert_true(ward_time_floor(&t) == floor);
    assert_int_equal(ward_time_finish(&t, &f.st, 120), WARD_ERR_STATE);

    /* A radius past the bound is not an answer. */
    size_t len = 0;
    assert_int_equal(ward_time_answer_make(ward_test_cp, &f.s[0].ks, WARD_KEY_TIME, NOW,
                                           WARD_TIME_RADIUS_MAX_MS + 1, n2, a, sizeof a, &len),
                     WARD_ERR_PARAM);
}

static void test_one_liar_of_three(void **state)
{
    (void)state;
    fx_init();
    ward_time t;
    init(&t, 2);
    /* Server 2 lies by an hour forward: the two honest ones win. */
    const uint64_t fwd[3] = { NOW, NOW + 200, NOW + HOUR };
    assert_int_equal(sync3(&t, fwd), WARD_OK);
    ward_time_interval iv;
    assert_int_equal(ward_time_now(&t, 1050, &iv), WARD_OK);
    assert_true(iv.lo >= NOW - 600 && iv.hi <= NOW + 200 + 600);
    /* Then it lies by a year backwards: still the honest time. */
    const uint64_t back[3] = { NOW + 1000, NOW - 365 * 24 * HOUR, NOW + 1100 };
    assert_int_equal(sync3(&t, back), WARD_OK);
    assert_int_equal(ward_time_now(&t, 1050, &iv), WARD_OK);
    assert_true(iv.lo >= NOW + 1000 - 600 && iv.hi <= NOW + 1100 + 600);
    /* The liar with one honest server: no two agree, nothing believed. */
    uint64_t floor = ward_time_floor(&t);
    const uint64_t split[3] = { NOW + 2000, 0, NOW + 5 * HOUR };
    assert_int_equal(sync3(&t, split), WARD_ERR_AUTH);
    assert_true(ward_time_floor(&t) == floor);
    /* A liar that overlaps an honest answer only moves the result inside
     * that honest answer's interval. */
    const uint64_t near[3] = { NOW + 3000, NOW + 3100, NOW + 3000 + 900 };
    assert_int_equal(sync3(&t, near), WARD_OK);
    assert_int_equal(ward_time_now(&t, 1050, &iv), WARD_OK);
    assert_true(iv.lo >= NOW + 3000 - 600 && iv.hi <= NOW + 3100 + 600);
}

static void test_floor_never_back(void **state)
{
    (void)state;
    fx_init();
    ward_time t;
    init(&t, 2);
    const uint64_t now[3] = { NOW, NOW, NOW };
    assert_int_equal(sync3(&t, now), WARD_OK);
    uint64_t floor = ward_time_floor(&t);
    assert_true(floor >= NOW - 600);
    /* All three agree on an hour ago (a replay of old servers, or keys
     * stolen): refused, the floor and the stored floor stay. */
    const uint64_t ago[3] = { NOW - HOUR, NOW - HOUR, NOW - HOUR };
    assert_int_equal(sync3(&t, ago), WARD_ERR_STATE);
    assert_true(ward_time_floor(&t) == floor);
    assert_true(stored_floor() == floor);
    /* Slightly behind the floor but overlapping it: believed, and the
     * low end is the floor, never below. */
    const uint64_t behind[3] = { NOW - 300, NOW - 300, NOW - 300 };
    assert_int_equal(sync3(&t, behind), WARD_OK);
    ward_time_interval iv;
    assert_int_equal(ward_time_now(&t, 1050, &iv), WARD_OK);
    assert_true(iv.lo >= floor);
    assert_true(ward_time_floor(&t) == floor);
    /* After a reboot with an older firmware build time, the stored floor
     * holds; a newer build time raises it. */
    ward_time t2;
    init(&t2, 2);
    assert_true(ward_time_floor(&t2) == floor);
    assert_int_equal(ward_time_init(&t2, ward_test_cp, &f.st, (const uint8_t(*)[65])f.keys, 3, 2,
                                    NOW + HOUR),
                     WARD_OK);
    assert_true(ward_time_floor(&t2) == NOW + HOUR);
    /* And without a store, the build time is the floor. */
    assert_int_equal(ward_time_init(&t2, ward_test_cp, NULL, (const uint8_t(*)[65])f.keys, 3, 2,
                                    BUILD),
                     WARD_OK);
    assert_true(ward_time_floor(&t2) == BUILD);
}

static void test_power_cut(void **state)
{
    (void)state;
    fx_init();
    ward_time t;
    init(&t, 2);
    const uint64_t first[3] = { NOW, NOW, NOW };
    assert_int_equal(sync3(&t, first), WARD_OK);
    uint64_t old = ward_time_floor(&t);
    /* The next sync, up to its end: the context is copied for each try. */
    uint8_t nonce[WARD_TIME_NONCE_LEN], a[WARD_TIME_ANSWER_LEN];
    assert_int_equal(ward_time_begin(&t, &f.rng, 1000, nonce), WARD_OK);
    for (int i = 0; i < 3; i++) {
        answer(i, NOW + HOUR, 500, nonce, a);
        assert_int_equal(ward_time_add(&t, a, sizeof a, 1050), WARD_OK);
    }
    /* Cut the power at every byte of the floor's update: on power-up the
     * floor is the old one or the new one, never another value. */
    bool saw_new = false;
    for (uint64_t cut = 0; cut < 4 * BANK && !saw_new; cut++) {
        assert_int_equal(ward_store_open(&f.st, &f.port), WARD_OK);
        ward_time try = t;
        ward_sim_flash_cut_after(&f.sf, cut);
        ward_err err = ward_time_finish(&try, &f.st, 1050);
        ward_sim_flash_power_on(&f.sf);
        ward_time t2;
        assert_int_equal(ward_store_open(&f.st, &f.port), WARD_OK);
        init(&t2, 2);
        uint64_t got = ward_time_floor(&t2);
        if (err == WARD_OK) {
            assert_true(got == ward_time_floor(&try) && got > old + HOUR - 1000);
            saw_new = true;
        } else {
            assert_int_equal(err, WARD_ERR_IO);
            /* Nothing adopted; only a failed final sync may leave the new
             * image whole on the flash. */
            assert_true(ward_time_floor(&try) == old);
            assert_true(got == old || got > old + HOUR - 1000);
        }
    }
    assert_true(saw_new);
}

static void test_init_refusals(void **state)
{
    (void)state;
    fx_init();
    ward_time t;
    uint8_t keys[3][WARD_P256_POINT_LEN];
    memcpy(keys, f.keys, sizeof keys);
    assert_int_equal(ward_time_init(&t, ward_test_cp, NULL, (const uint8_t(*)[65])keys, 3, 4,
                                    BUILD),
                     WARD_ERR_PARAM);
    assert_int_equal(ward_time_init(&t, ward_test_cp, NULL, (const uint8_t(*)[65])keys, 3, 0,
                                    BUILD),
                     WARD_ERR_PARAM);
    /* One server named twice would count twice. */
    memcpy(keys[2], keys[0], WARD_P256_POINT_LEN);
    assert_int_equal(ward_time_init(&t, ward_test_cp, NULL, (const uint8_t(*)[65])keys, 3, 2,
                                    BUILD),
                     WARD_ERR_PARAM);
    keys[2][10] ^= 1;       /* no longer on the curve */
    assert_int_equal(ward_time_init(&t, ward_test_cp, NULL, (const uint8_t(*)[65])keys, 3, 2,
                                    BUILD),
                     WARD_ERR_FORMAT);
}

/* The local count the clock tests read: set by the test. */
static uint64_t local_now;

static ward_err local_clock(void *ctx, uint64_t *ms)
{
    (void)ctx;
    *ms = local_now;
    return WARD_OK;
}

/* The flows' clock: "cannot tell" before a sync, the low end after, never
 * less than it answered, and a sync carried to another context. */
static void test_clock(void **state)
{
    (void)state;
    fx_init();
    ward_time t;
    init(&t, 2);
    const ward_clock local = { local_clock, NULL, false };
    ward_time_clock tc;
    ward_clock clk = ward_time_clock_init(&tc, &t, &local);
    assert_true(clk.trusted);
    uint64_t ms = 7;
    local_now = 1000;
    /* Before a sync the floor is all it knows: no answer, so an expiry
     * check fails closed rather than take the floor for now. */
    assert_int_equal(clk.now_ms(clk.ctx, &ms), WARD_ERR_STATE);
    ward_time_sync sy;
    assert_int_equal(ward_time_sync_get(&t, &sy), WARD_ERR_STATE);

    const uint64_t times[3] = { NOW, NOW + 100, NOW - 100 };
    assert_int_equal(sync3(&t, times), WARD_OK);
    local_now = 1050 + HOUR;
    ward_time_interval iv;
    assert_int_equal(ward_time_now(&t, local_now, &iv), WARD_OK);
    assert_int_equal(clk.now_ms(clk.ctx, &ms), WARD_OK);
    assert_true(ms == iv.lo);
    assert_true(ms <= NOW + HOUR && ms + 2000 + 400 > NOW + HOUR);
    uint64_t first = ms;

    /* The sync carried to a fresh context (another process of the same
     * device, on the same count) answers the same. */
    assert_int_equal(ward_time_sync_get(&t, &sy), WARD_OK);
    ward_time t2;
    init(&t2, 2);
    assert_int_equal(ward_time_sync_set(&t2, &sy), WARD_OK);
    ward_time_clock tc2;
    ward_clock clk2 = ward_time_clock_init(&tc2, &t2, &local);
    assert_int_equal(clk2.now_ms(clk2.ctx, &ms), WARD_OK);
    assert_true(ms == first);
    ward_time_sync bad = sy;
    bad.off_lo = bad.off_hi + 1;
    assert_int_equal(ward_time_sync_set(&t2, &bad), WARD_ERR_PARAM);
    bad = sy;
    bad.off_hi = (int64_t)WARD_TIME_MS_MAX + 1;
    assert_int_equal(ward_time_sync_set(&t2, &bad), WARD_ERR_PARAM);

    /* A new sync whose interval starts lower: the clock does not step back. */
    uint8_t nonce[WARD_TIME_NONCE_LEN], a[WARD_TIME_ANSWER_LEN];
    assert_int_equal(ward_time_begin(&t, &f.rng, local_now, nonce), WARD_OK);
    for (int i = 0; i < 2; i++) {
        answer(i, NOW + HOUR - 50, 30000, nonce, a);
        assert_int_equal(ward_time_add(&t, a, sizeof a, local_now), WARD_OK);
    }
    assert_int_equal(ward_time_finish(&t, &f.st, local_now), WARD_OK);
    assert_int_equal(ward_time_now(&t, local_now, &iv), WARD_OK);
    assert_true(iv.lo < first);
    assert_int_equal(clk.now_ms(clk.ctx, &ms), WARD_OK);
    assert_true(ms == first);
    /* Later it moves on with the count. */
    local_now += 60000;
    assert_int_equal(clk.now_ms(clk.ctx, &ms), WARD_OK);
    assert_true(ms > first);
    /* A count gone back is an error of the clock, not a time. */
    local_now = 5;
    assert_int_equal(clk.now_ms(clk.ctx, &ms), WARD_ERR_PARAM);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agree),
        cmocka_unit_test(test_replay_and_nonce),
        cmocka_unit_test(test_one_liar_of_three),
        cmocka_unit_test(test_floor_never_back),
        cmocka_unit_test(test_power_cut),
        cmocka_unit_test(test_init_refusals),
        cmocka_unit_test(test_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
