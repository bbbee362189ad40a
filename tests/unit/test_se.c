/* Flow E: a secure element bound to its host (both roles of the core),
 * over simulated flash that loses power. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <stdio.h>
#include <string.h>

#include "ward/ward_keystore.h"
#include "ward/ward_port_sim.h"
#include "ward/ward_se.h"
#include "ward_inner.h"

#define BANK 512
#define FLASH (2 * BANK)
#define ERASE 64
#define CYCLES 100

typedef struct sim {
    uint8_t mem[FLASH];
    ward_sim_flash sf;
    ward_store_port port;
} sim;

static void sim_blank(sim *s)
{
    ward_sim_flash_init(&s->sf, s->mem, FLASH, ERASE, &s->port);
    ward_sim_flash_format(&s->sf);
}

/* The same bytes, a fresh simulation (the counters start again). */
static void sim_replug(sim *s)
{
    ward_sim_flash_init(&s->sf, s->mem, FLASH, ERASE, &s->port);
}

/* A clock the tests move by hand. */
static uint64_t clock_now = 1700000000000ull;
static bool clock_trusted;

static ward_err fake_now(void *ctx, uint64_t *ms)
{
    (void)ctx;
    *ms = clock_now;
    return WARD_OK;
}

static ward_clock fake_clock(void)
{
    ward_clock c = { fake_now, NULL, clock_trusted };
    return c;
}

static size_t skipped;

/* ---- Moving frames between the roles ---- */

/* What the SE and the host tell of themselves, through their public calls. */
static ward_se_elem_info se_info(const ward_se_elem *se)
{
    ward_se_elem_info i;
    ward_se_elem_get_info(se, &i);
    return i;
}

static ward_se_host_info host_info(const ward_se_host *h)
{
    ward_se_host_info i;
    ward_se_host_get_info(h, &i);
    return i;
}

static void se_boot(ward_se_elem *se, sim *s)
{
    ward_random rng = ward_test_rng();
    ward_clock clk = fake_clock();
    assert_int_equal(ward_se_elem_open(se, ward_test_cp, &rng, &clk, &s->port),
                     WARD_OK);
}

static void host_boot(ward_se_host *h, sim *s)
{
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_se_host_open(h, ward_test_cp, &rng, &s->port),
                     WARD_OK);
}

/* Hands a host frame to the SE and its reply back to the host. Returns
 * the host's verdict; *sev is what the SE saw. */
static ward_err to_se_and_back(ward_se_elem *se, ward_se_host *h,
                               const uint8_t *frame, size_t len,
                               ward_se_event *sev, ward_se_event *hev,
                               uint8_t *out, size_t *out_len)
{
    uint8_t reply[WARD_SE_FRAME_MAX];
    size_t rlen = 0;
    assert_int_equal(ward_se_elem_input(se, frame, len, sev, reply,
                                        sizeof reply, &rlen), WARD_OK);
    assert_true(rlen > 0);
    return ward_se_host_input(h, reply, rlen, hev, out, WARD_SE_FRAME_MAX,
                              out_len);
}

static ward_err do_bind(ward_se_host *h, ward_se_elem *se, uint8_t by,
                        uint8_t variant, uint8_t f)
{
    uint8_t fr[WARD_SE_FRAME_MAX], out[WARD_SE_FRAME_MAX];
    size_t n = 0, m = 0;
    ward_se_event sev, hev;
    ward_err err = ward_se_host_bind(h, by, variant, f, fr, sizeof fr, &n);
    if (err != WARD_OK) {
        return err;
    }
    err = to_se_and_back(se, h, fr, n, &sev, &hev, out, &m);
    if (err == WARD_OK) {
        assert_int_equal(sev.kind, WARD_SE_EV_BOUND);
        assert_int_equal(hev.kind, WARD_SE_EV_BOUND);
    }
    return err;
}

static ward_err do_lock(ward_se_host *h, ward_se_elem *se)
{
    uint8_t fr[WARD_SE_FRAME_MAX], out[WARD_SE_FRAME_MAX];
    size_t n = 0, m = 0;
    ward_se_event sev, hev;
    ward_err err = ward_se_host_lock(h, fr, sizeof fr, &n);
    if (err != WARD_OK) {
        return err;
    }
    err = to_se_and_back(se, h, fr, n, &sev, &hev, out, &m);
    if (err == WARD_OK) {
        assert_int_equal(hev.kind, WARD_SE_EV_LOCKED);
    }
    return err;
}

/* HELLO, CHALLENGE, ANSWER, VERIFIED. The SE's refusal comes back as
 * the host's error; *wait_ms carries a back-off. */
static ward_err do_verify(ward_se_host *h, ward_se_elem *se, uint32_t *wait_ms)
{
    uint8_t fr[WARD_SE_FRAME_MAX], ans[WARD_SE_FRAME_MAX];
    size_t n = 0, m = 0;
    ward_se_event sev, hev;
    if (wait_ms != NULL) {
        *wait_ms = 0;
    }
    assert_int_equal(ward_se_host_hello(h, fr, sizeof fr, &n), WARD_OK);
    ward_err err = to_se_and_back(se, h, fr, n, &sev, &hev, ans, &m);
    if (err == WARD_OK) {
        assert_int_equal(hev.kind, WARD_SE_EV_CHALLENGE);
        assert_true(m > 0);
        err = to_se_and_back(se, h, ans, m, &sev, &hev, fr, &n);
    }
    if (err == WARD_OK) {
        assert_int_equal(sev.kind, WARD_SE_EV_VERIFIED);
        assert_int_equal(hev.kind, WARD_SE_EV_VERIFIED);
    } else if (wait_ms != NULL && hev.kind == WARD_SE_EV_REFUSED) {
        *wait_ms = hev.wait_ms;
    }
    return err;
}

/* One command through the session: the SE echoes it reversed. */
static ward_err do_cmd(ward_se_host *h, ward_se_elem *se, const char *text)
{
    uint8_t fr[WARD_SE_FRAME_MAX], reply[WARD_SE_FRAME_MAX];
    uint8_t out[WARD_SE_FRAME_MAX], rev[WARD_SE_CMD_MAX];
    size_t n = 0, rlen = 0, m = 0, len = strlen(text);
    ward_se_event sev, hev;
    ward_err err = ward_se_host_command(h, (const uint8_t *)text, len, fr,
                                        sizeof fr, &n);
    if (err != WARD_OK) {
        return err;
    }
    assert_int_equal(ward_se_elem_input(se, fr, n, &sev, reply, sizeof reply,
                                        &rlen), WARD_OK);
    if (sev.kind == WARD_SE_EV_COMMAND) {
        assert_int_equal(rlen, 0);
        assert_int_equal(sev.len, len);
        assert_memory_equal(sev.data, text, len);
        for (size_t i = 0; i < len; i++) {
            rev[i] = (uint8_t)text[len - 1 - i];
        }
        assert_int_equal(ward_se_elem_reply(se, rev, len, reply, sizeof reply,
                                            &rlen), WARD_OK);
    }
    err = ward_se_host_input(h, reply, rlen, &hev, out, sizeof out, &m);
    if (err == WARD_OK) {
        assert_int_equal(hev.kind, WARD_SE_EV_RESPONSE);
        assert_int_equal(hev.len, len);
        assert_memory_equal(hev.data, rev, len);
    }
    return err;
}

/* The SE's raw answer to a frame the test makes itself. */
static ward_se_event se_feed(ward_se_elem *se, const uint8_t *fr, size_t n)
{
    uint8_t reply[WARD_SE_FRAME_MAX];
    size_t rlen = 0;
    ward_se_event ev;
    assert_int_equal(ward_se_elem_input(se, fr, n, &ev, reply, sizeof reply,
                                        &rlen), WARD_OK);
    if (ev.kind == WARD_SE_EV_REFUSED) {
        uint8_t type = 0;
        const uint8_t *p = NULL;
        size_t len = 0;
        assert_int_equal(ward_se_frame_parse(reply, rlen, &type, &p, &len),
                         WARD_OK);
        assert_int_equal(type, WARD_SE_ERROR);
        assert_int_equal(p[0], ev.err);
    }
    return ev;
}

/* A configuration to bind with; false (and counted as skipped, loudly)
 * when this backend lacks its f. */
typedef struct config {
    uint8_t by, variant, f;
    const char *name;
} config;

static const config configs[] = {
    { WARD_SE_R1_BY_SE, WARD_SE_VARIANT_SYM, WARD_SE_F_HMAC_SHA256, "R1 by SE, HMAC-SHA256" },
    { WARD_SE_R1_BY_HOST, WARD_SE_VARIANT_SYM, WARD_SE_F_HMAC_SHA256, "R1 by host, HMAC-SHA256" },
    { WARD_SE_R1_BY_SE, WARD_SE_VARIANT_SYM, WARD_SE_F_AES_CMAC, "R1 by SE, AES-128-CMAC" },
    { WARD_SE_R1_BY_HOST, WARD_SE_VARIANT_SYM, WARD_SE_F_HMAC_SM3, "R1 by host, HMAC-SM3" },
    { WARD_SE_R1_BY_SE, WARD_SE_VARIANT_SYM, WARD_SE_F_SM4_CMAC, "R1 by SE, SM4-CMAC" },
    { 0, WARD_SE_VARIANT_ASYM, 0, "asymmetric, P-256" },
};

static bool config_available(const config *c)
{
    if (c->variant == WARD_SE_VARIANT_ASYM) {
        return true;
    }
    if (c->f == WARD_SE_F_HMAC_SM3) {
        return ward_test_cp->hmac_sm3 != NULL;
    }
    if (c->f == WARD_SE_F_SM4_CMAC) {
        return ward_test_cp->sm4_cmac != NULL;
    }
    return true;
}

/* A fresh SE and host, bound and bind-locked with c. */
static void bind_and_lock(sim *ss, sim *hs, const config *c)
{
    ward_se_elem se;
    ward_se_host h;
    sim_blank(ss);
    sim_blank(hs);
    se_boot(&se, ss);
    host_boot(&h, hs);
    assert_int_equal(do_bind(&h, &se, c->by, c->variant, c->f), WARD_OK);
    assert_int_equal(do_lock(&h, &se), WARD_OK);
    ward_se_elem_close(&se);
    ward_se_host_close(&h);
}

/* ---- Tests ---- */

static void test_frames(void **state)
{
    (void)state;
    uint8_t fr[WARD_SE_FRAME_MAX + 1], payload[WARD_SE_PAYLOAD_MAX + 1];
    const uint8_t *p = NULL;
    size_t n = 0, len = 0;
    uint8_t type = 0;
    /* CRC-16/CCITT-FALSE check value. */
    assert_int_equal(ward_se_crc16((const uint8_t *)"123456789", 9), 0x29B1);
    for (size_t i = 0; i < sizeof payload; i++) {
        payload[i] = (uint8_t)(i * 31u);
    }
    for (size_t l = 0; l <= WARD_SE_PAYLOAD_MAX; l += 7) {
        assert_int_equal(ward_se_frame_encode(0x42, payload, l, fr,
                                              WARD_SE_FRAME_MAX, &n), WARD_OK);
        assert_int_equal(n, l + WARD_SE_FRAME_OVERHEAD);
        assert_int_equal(ward_se_frame_total(fr), n);
        assert_int_equal(ward_se_frame_parse(fr, n, &type, &p, &len), WARD_OK);
        assert_int_equal(type, 0x42);
        assert_int_equal(len, l);
        assert_memory_equal(p, payload, l);
        /* Every single-bit error is caught. */
        for (size_t bit = 0; bit < 8 * n; bit += 5) {
            fr[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_int_equal(ward_se_frame_parse(fr, n, &type, &p, &len),
                             WARD_ERR_FORMAT);
            fr[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        assert_int_equal(ward_se_frame_parse(fr, n - 1, &type, &p, &len),
                         WARD_ERR_FORMAT);
        assert_int_equal(ward_se_frame_parse(fr, n + 1, &type, &p, &len),
                         WARD_ERR_FORMAT);
    }
    assert_int_equal(ward_se_frame_encode(1, payload, WARD_SE_PAYLOAD_MAX + 1,
                                          fr, sizeof fr, &n), WARD_ERR_PARAM);
    assert_int_equal(ward_se_frame_encode(1, payload, 10, fr, 13, &n),
                     WARD_ERR_NOSPACE);
    fr[0] = WARD_SE_PAYLOAD_MAX + 1;
    assert_int_equal(ward_se_frame_total(fr), 0);
    assert_int_equal(ward_se_frame_parse(fr, 3, &type, &p, &len),
                     WARD_ERR_FORMAT);
}

/* Bind, lock, then 100 power-ups of both, each checked and followed by
 * a command, for every variant and every f this backend has. */
static void test_hundred_power_cycles(void **state)
{
    (void)state;
    static sim ss, hs;
    for (size_t c = 0; c < WARD_ARRAY_LEN(configs); c++) {
        if (!config_available(&configs[c])) {
            ward_se_host h;
            sim_blank(&hs);
            host_boot(&h, &hs);
            uint8_t fr[WARD_SE_FRAME_MAX];
            size_t n = 0;
            assert_int_equal(ward_se_host_bind(&h, configs[c].by,
                                               configs[c].variant,
                                               configs[c].f, fr, sizeof fr, &n),
                             WARD_ERR_UNSUPPORTED);
            printf("skipped: %s (%s lacks it)\n", configs[c].name,
                   ward_test_cp->name);
            skipped++;
            continue;
        }
        bind_and_lock(&ss, &hs, &configs[c]);
        for (int i = 0; i < CYCLES; i++) {
            ward_se_elem se;
            ward_se_host h;
            sim_replug(&ss);
            sim_replug(&hs);
            se_boot(&se, &ss);
            host_boot(&h, &hs);
            assert_int_equal(se_info(&se).state, WARD_SE_STATE_LOCKED);
            assert_true(host_info(&h).locked);
            assert_int_equal(do_verify(&h, &se, NULL), WARD_OK);
            assert_int_equal(do_cmd(&h, &se, "read counter"), WARD_OK);
            assert_int_equal(do_cmd(&h, &se, ""), WARD_OK);
            ward_se_elem_close(&se);
            ward_se_host_close(&h);
        }
    }
}

/* The SE in a thief's device: another host, bound to another SE, with
 * its own R1 (or key). Refused every time, and the back-off grows. */
static void test_moved_to_other_host(void **state)
{
    (void)state;
    static sim ss, hs, other_se, other_host;
    for (size_t c = 0; c < WARD_ARRAY_LEN(configs); c++) {
        if (!config_available(&configs[c])) {
            continue;
        }
        clock_trusted = true;
        bind_and_lock(&ss, &hs, &configs[c]);
        bind_and_lock(&other_se, &other_host, &configs[c]);
        ward_se_elem se;
        ward_se_host thief, h;
        sim_replug(&ss);
        sim_replug(&other_host);
        se_boot(&se, &ss);
        host_boot(&thief, &other_host);
        uint32_t wait = 0, last = 0;
        for (int i = 0; i < 6; i++) {
            /* Asked at once: the SE is still waiting. */
            if (i > 0) {
                assert_int_equal(do_verify(&thief, &se, &wait), WARD_ERR_BUSY);
                assert_true(wait > 0 && wait <= last);
                clock_now += wait;
            }
            assert_int_equal(do_verify(&thief, &se, &wait), WARD_ERR_AUTH);
            assert_int_equal(wait, WARD_SE_BACKOFF_MS << i);
            last = wait;
            assert_false(se_info(&se).verified);
            assert_int_equal(do_cmd(&thief, &se, "x"), WARD_ERR_STATE);
        }
        /* Back home after the back-off, the right host gets in and the
         * counter is cleared. */
        ward_se_host_close(&thief);
        clock_now += last;
        sim_replug(&hs);
        host_boot(&h, &hs);
        assert_int_equal(do_verify(&h, &se, NULL), WARD_OK);
        assert_int_equal(se_info(&se).fails, 0);
        ward_se_elem_close(&se);
        sim_replug(&ss);
        se_boot(&se, &ss);
        assert_int_equal(do_verify(&h, &se, NULL), WARD_OK);
        ward_se_elem_close(&se);
        ward_se_host_close(&h);
        clock_trusted = false;
    }
}

/* Before the lock a new binding replaces R1; after it, nothing does. */
static void test_rewrite(void **state)
{
    (void)state;
    static sim ss, ha, hb, hc;
    ward_se_elem se;
    ward_se_host a, b, c;
    uint8_t fr[WARD_SE_FRAME_MAX];
    size_t n = 0;
    sim_blank(&ss);
    sim_blank(&ha);
    sim_blank(&hb);
    sim_blank(&hc);
    se_boot(&se, &ss);
    host_boot(&a, &ha);
    host_boot(&b, &hb);
    host_boot(&c, &hc);

    /* Nothing to lock, nothing to check yet. */
    assert_int_equal(ward_se_host_lock(&a, fr, sizeof fr, &n), WARD_ERR_STATE);
    assert_int_equal(do_verify(&a, &se, NULL), WARD_ERR_STATE);

    /* A binding that went wrong at the factory, then a second one. */
    assert_int_equal(do_bind(&a, &se, WARD_SE_R1_BY_SE, WARD_SE_VARIANT_SYM,
                             WARD_SE_F_HMAC_SHA256), WARD_OK);
    assert_int_equal(do_verify(&a, &se, NULL), WARD_ERR_STATE); /* not locked */
    assert_int_equal(do_bind(&b, &se, WARD_SE_R1_BY_HOST, WARD_SE_VARIANT_SYM,
                             WARD_SE_F_HMAC_SHA256), WARD_OK);
    /* A's R1 is gone: its lock proof no longer holds. */
    assert_int_equal(do_lock(&a, &se), WARD_ERR_AUTH);
    assert_int_equal(se_info(&se).state, WARD_SE_STATE_BOUND);
    assert_int_equal(do_lock(&b, &se), WARD_OK);
    /* Locking again is harmless. */
    assert_int_equal(do_lock(&b, &se), WARD_OK);

    /* After the lock: any rewrite is refused, by the SE itself. */
    assert_int_equal(do_bind(&c, &se, WARD_SE_R1_BY_SE, WARD_SE_VARIANT_SYM,
                             WARD_SE_F_HMAC_SHA256), WARD_ERR_LOCKED);
    assert_int_equal(do_bind(&c, &se, WARD_SE_R1_BY_HOST, WARD_SE_VARIANT_SYM,
                             WARD_SE_F_HMAC_SHA256), WARD_ERR_LOCKED);
    assert_int_equal(do_bind(&a, &se, 0, WARD_SE_VARIANT_ASYM, 0),
                     WARD_ERR_LOCKED);
    /* The locked host refuses to bind again on its own side. */
    assert_int_equal(ward_se_host_bind(&b, WARD_SE_R1_BY_SE,
                                       WARD_SE_VARIANT_SYM,
                                       WARD_SE_F_HMAC_SHA256, fr, sizeof fr,
                                       &n), WARD_ERR_LOCKED);
    /* ... and across a power cycle, B still gets in. */
    ward_se_elem_close(&se);
    sim_replug(&ss);
    se_boot(&se, &ss);
    assert_int_equal(do_bind(&c, &se, WARD_SE_R1_BY_SE, WARD_SE_VARIANT_SYM,
                             WARD_SE_F_HMAC_SHA256), WARD_ERR_LOCKED);
    assert_int_equal(do_verify(&b, &se, NULL), WARD_OK);
    assert_int_equal(do_cmd(&b, &se, "hello"), WARD_OK);
    ward_se_elem_close(&se);
    ward_se_host_close(&a);
    ward_se_host_close(&b);
    ward_se_host_close(&c);
}

/*
 * Power fails at every byte of the SE's store writes during BIND and
 * BIND_LOCK. After the cut and a power-up the SE is unbound, bound
 * (rewritable) or bind-locked to the R1 this host holds, never locked to
 * anything else; the host retries and the binding then works.
 */
static void test_powercut_binding(void **state)
{
    (void)state;
    static sim ss, hs;
    static uint8_t image[FLASH];
    static const config *cuts[] = { &configs[0], &configs[1], &configs[5] };
    for (size_t c = 0; c < WARD_ARRAY_LEN(cuts); c++) {
        const config *cf = cuts[c];
        ward_se_elem se;
        ward_se_host h;
        /* The first power-up's id is written before any binding. */
        sim_blank(&ss);
        se_boot(&se, &ss);
        ward_se_elem_close(&se);
        memcpy(image, ss.mem, FLASH);

        sim_replug(&ss);
        sim_blank(&hs);
        se_boot(&se, &ss);
        host_boot(&h, &hs);
        uint64_t before = ss.sf.bytes_done;
        assert_int_equal(do_bind(&h, &se, cf->by, cf->variant, cf->f), WARD_OK);
        assert_int_equal(do_lock(&h, &se), WARD_OK);
        uint64_t total = ss.sf.bytes_done - before;
        assert_true(total > 0);
        ward_se_elem_close(&se);
        ward_se_host_close(&h);

        size_t seen[3] = { 0, 0, 0 };
        for (uint64_t cut = 0; cut <= total; cut++) {
            memcpy(ss.mem, image, FLASH);
            sim_replug(&ss);
            sim_blank(&hs);
            se_boot(&se, &ss);
            host_boot(&h, &hs);
            ward_sim_flash_cut_after(&ss.sf, cut);
            ward_err err = do_bind(&h, &se, cf->by, cf->variant, cf->f);
            if (err == WARD_OK) {
                err = do_lock(&h, &se);
            }
            assert_true(err == WARD_OK || err == WARD_ERR_IO);
            assert_true(err != WARD_OK || cut == total);
            ward_se_elem_close(&se);

            /* Power back: a fresh SE on what the flash holds. */
            ward_sim_flash_power_on(&ss.sf);
            sim_replug(&ss);
            se_boot(&se, &ss);
            assert_true(se_info(&se).state <= WARD_SE_STATE_LOCKED);
            seen[se_info(&se).state]++;
            if (se_info(&se).state == WARD_SE_STATE_LOCKED) {
                /* Locked means this host proved it holds the binding:
                 * its lock again is answered, never refused. */
                assert_int_equal(do_lock(&h, &se), WARD_OK);
            } else {
                assert_int_equal(do_bind(&h, &se, cf->by, cf->variant, cf->f),
                                 WARD_OK);
                assert_int_equal(do_lock(&h, &se), WARD_OK);
            }
            ward_se_elem_close(&se);
            sim_replug(&ss);
            se_boot(&se, &ss);
            assert_int_equal(do_verify(&h, &se, NULL), WARD_OK);
            ward_se_elem_close(&se);
            ward_se_host_close(&h);
        }
        printf("%s: %llu cut points: %zu unbound, %zu bound, %zu locked\n",
               cf->name, (unsigned long long)total + 1, seen[0], seen[1],
               seen[2]);
        assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
    }
}

/* The failure counter: raised in the store before the comparison, kept
 * across power cycles, and the back-off without a trusted clock starts
 * again at every power-up. */
static void test_backoff(void **state)
{
    (void)state;
    static sim ss, hs, os, oh;
    ward_se_elem se;
    ward_se_host h, thief;
    uint32_t wait = 0;
    clock_trusted = false;
    bind_and_lock(&ss, &hs, &configs[0]);
    bind_and_lock(&os, &oh, &configs[0]);
    sim_replug(&ss);
    sim_replug(&hs);
    sim_replug(&oh);
    se_boot(&se, &ss);
    host_boot(&h, &hs);
    host_boot(&thief, &oh);

    /* Up to the cap, doubling. */
    uint32_t want = WARD_SE_BACKOFF_MS;
    for (int i = 0; i < 16; i++) {
        assert_int_equal(do_verify(&thief, &se, &wait), WARD_ERR_AUTH);
        assert_int_equal(wait, want);
        /* Even the right host waits now. */
        assert_int_equal(do_verify(&h, &se, &wait), WARD_ERR_BUSY);
        assert_int_equal(wait, want);
        clock_now += want - 1;
        assert_int_equal(do_verify(&h, &se, &wait), WARD_ERR_BUSY);
        assert_int_equal(wait, 1);
        clock_now += 1;
        want = want * 2 > WARD_SE_BACKOFF_MAX_MS ? WARD_SE_BACKOFF_MAX_MS
                                                 : want * 2;
    }
    assert_int_equal(se_info(&se).fails, 16);

    /* Pulling the power does not help: the count is in the store, and
     * with an untrusted clock the wait starts again at power-up. */
    ward_se_elem_close(&se);
    sim_replug(&ss);
    se_boot(&se, &ss);
    assert_int_equal(se_info(&se).fails, 16);
    assert_int_equal(do_verify(&h, &se, &wait), WARD_ERR_BUSY);
    assert_int_equal(wait, WARD_SE_BACKOFF_MAX_MS);
    clock_now += WARD_SE_BACKOFF_MAX_MS;

    /* A cut right as the answer arrives: the counter's write fails, so
     * nothing is compared, even for the right answer. */
    uint8_t fr[WARD_SE_FRAME_MAX], ans[WARD_SE_FRAME_MAX];
    size_t n = 0, m = 0;
    ward_se_event sev, hev;
    assert_int_equal(ward_se_host_hello(&h, fr, sizeof fr, &n), WARD_OK);
    assert_int_equal(to_se_and_back(&se, &h, fr, n, &sev, &hev, ans, &m),
                     WARD_OK);
    ward_sim_flash_cut_after(&ss.sf, 0);
    assert_int_equal(to_se_and_back(&se, &h, ans, m, &sev, &hev, fr, &n),
                     WARD_ERR_IO);
    assert_false(se_info(&se).verified);
    ward_se_elem_close(&se);
    ward_sim_flash_power_on(&ss.sf);

    /* A wrong answer's count survives a cut that comes right after it. */
    sim_replug(&ss);
    se_boot(&se, &ss);
    assert_int_equal(se_info(&se).fails, 16);
    clock_now += WARD_SE_BACKOFF_MAX_MS;
    assert_int_equal(do_verify(&thief, &se, &wait), WARD_ERR_AUTH);
    ward_se_elem_close(&se);
    sim_replug(&ss);
    se_boot(&se, &ss);
    assert_int_equal(se_info(&se).fails, 17);

    /* The right host, once the wait is over: in, and the count is gone. */
    clock_now += WARD_SE_BACKOFF_MAX_MS;
    assert_int_equal(do_verify(&h, &se, &wait), WARD_OK);
    ward_se_elem_close(&se);
    sim_replug(&ss);
    se_boot(&se, &ss);
    assert_int_equal(se_info(&se).fails, 0);
    assert_int_equal(do_verify(&h, &se, &wait), WARD_OK);
    ward_se_elem_close(&se);
    ward_se_host_close(&h);
    ward_se_host_close(&thief);
}

/* A device on the bus after the check: it replays, reorders, injects. */
static void test_bus_attacker(void **state)
{
    (void)state;
    static sim ss, hs;
    uint8_t c1[WARD_SE_FRAME_MAX], c2[WARD_SE_FRAME_MAX], c3[WARD_SE_FRAME_MAX];
    uint8_t reply[WARD_SE_FRAME_MAX], out[WARD_SE_FRAME_MAX];
    uint8_t old_ans[WARD_SE_FRAME_MAX], old_ver[WARD_SE_FRAME_MAX];
    size_t n1 = 0, n2 = 0, n3 = 0, rlen = 0, m = 0, na = 0, nv = 0;
    ward_se_event ev, hev;
    for (size_t c = 0; c < WARD_ARRAY_LEN(configs); c++) {
        if (!config_available(&configs[c])) {
            continue;
        }
        ward_se_elem se;
        ward_se_host h;
        bind_and_lock(&ss, &hs, &configs[c]);
        sim_replug(&ss);
        sim_replug(&hs);
        se_boot(&se, &ss);
        host_boot(&h, &hs);

        /* Before the check, commands go nowhere. */
        uint8_t zeros[WARD_SE_CTR_LEN + 1 + WARD_SE_TAG_LEN] = { 0 };
        zeros[3] = 1;
        assert_int_equal(ward_se_host_command(&h, zeros, 1, c1, sizeof c1, &n1),
                         WARD_ERR_STATE);
        assert_int_equal(ward_se_frame_encode(WARD_SE_CMD, zeros, sizeof zeros,
                                              c1, sizeof c1, &n1), WARD_OK);
        ev = se_feed(&se, c1, n1);
        assert_int_equal(ev.err, WARD_ERR_STATE);

        /* Record this power-up's answer and the SE's VERIFIED. */
        assert_int_equal(ward_se_host_hello(&h, c1, sizeof c1, &n1), WARD_OK);
        assert_int_equal(to_se_and_back(&se, &h, c1, n1, &ev, &hev, old_ans,
                                        &na), WARD_OK);
        assert_int_equal(ward_se_elem_input(&se, old_ans, na, &ev, old_ver,
                                            sizeof old_ver, &nv), WARD_OK);
        assert_int_equal(ev.kind, WARD_SE_EV_VERIFIED);
        assert_int_equal(ward_se_host_input(&h, old_ver, nv, &hev, out,
                                            sizeof out, &m), WARD_OK);

        /* Command 1 goes through; replayed, it is refused. */
        assert_int_equal(ward_se_host_command(&h, (const uint8_t *)"one", 3,
                                              c1, sizeof c1, &n1), WARD_OK);
        ev = se_feed(&se, c1, n1);
        assert_int_equal(ev.kind, WARD_SE_EV_COMMAND);
        assert_int_equal(ward_se_elem_reply(&se, (const uint8_t *)"1", 1,
                                            reply, sizeof reply, &rlen),
                         WARD_OK);
        assert_int_equal(ward_se_host_input(&h, reply, rlen, &hev, out,
                                            sizeof out, &m), WARD_OK);
        ev = se_feed(&se, c1, n1);
        assert_int_equal(ev.err, WARD_ERR_AUTH);
        /* The response replayed to the host is refused too. */
        uint8_t c0[WARD_SE_FRAME_MAX];
        size_t n0 = 0;
        assert_int_equal(ward_se_host_command(&h, (const uint8_t *)"two", 3,
                                              c2, sizeof c2, &n2), WARD_OK);
        assert_int_equal(ward_se_host_input(&h, reply, rlen, &hev, out,
                                            sizeof out, &m), WARD_ERR_AUTH);
        /* ... and does not stop the host from taking the genuine one. */

        /* Reordered: 3 before 2 is refused; then 2, then 3, in order. */
        ev = se_feed(&se, c2, n2);
        assert_int_equal(ev.kind, WARD_SE_EV_COMMAND);
        assert_int_equal(ward_se_elem_reply(&se, NULL, 0, reply, sizeof reply,
                                            &rlen), WARD_OK);
        assert_int_equal(ward_se_host_input(&h, reply, rlen, &hev, out,
                                            sizeof out, &m), WARD_OK);
        assert_int_equal(ward_se_host_command(&h, (const uint8_t *)"three", 5,
                                              c2, sizeof c2, &n2), WARD_OK);
        assert_int_equal(ward_se_host_command(&h, (const uint8_t *)"four", 4,
                                              c3, sizeof c3, &n3), WARD_OK);
        ev = se_feed(&se, c3, n3);
        assert_int_equal(ev.err, WARD_ERR_AUTH);
        ev = se_feed(&se, c2, n2);
        assert_int_equal(ev.kind, WARD_SE_EV_COMMAND);
        ev = se_feed(&se, c3, n3);
        assert_int_equal(ev.kind, WARD_SE_EV_COMMAND);
        assert_int_equal(ev.len, 4);

        /* Injected: a command with the data changed, CRC made good. */
        assert_int_equal(ward_se_host_command(&h, (const uint8_t *)"five", 4,
                                              c0, sizeof c0, &n0), WARD_OK);
        c0[2 + 4] ^= 0x20;
        ward_store16(c0 + n0 - 2, ward_se_crc16(c0, n0 - 2));
        ev = se_feed(&se, c0, n0);
        assert_int_equal(ev.err, WARD_ERR_AUTH);
        /* A forgery ends the session: even the genuine frame now waits
         * for a new check. */
        c0[2 + 4] ^= 0x20;
        ward_store16(c0 + n0 - 2, ward_se_crc16(c0, n0 - 2));
        ev = se_feed(&se, c0, n0);
        assert_int_equal(ev.err, WARD_ERR_STATE);

        /* Next power-up: last session's answer, VERIFIED and commands
         * are worthless. */
        ward_se_elem_close(&se);
        sim_replug(&ss);
        se_boot(&se, &ss);
        assert_int_equal(ward_se_host_hello(&h, c3, sizeof c3, &n3), WARD_OK);
        assert_int_equal(to_se_and_back(&se, &h, c3, n3, &ev, &hev, out, &m),
                         WARD_OK);
        ev = se_feed(&se, old_ans, na);
        assert_int_equal(ev.err, WARD_ERR_AUTH);
        assert_int_equal(se_info(&se).fails, 1);
        /* The host awaits a VERIFIED for its own fresh answer: the old
         * one does not pass for it. */
        assert_int_equal(ward_se_host_input(&h, old_ver, nv, &hev, out,
                                            sizeof out, &m), WARD_ERR_AUTH);
        assert_false(host_info(&h).verified);
        clock_now += WARD_SE_BACKOFF_MS;
        assert_int_equal(do_verify(&h, &se, NULL), WARD_OK);
        /* Last session's command is a forgery under this session's key. */
        ev = se_feed(&se, c1, n1);
        assert_int_equal(ev.err, WARD_ERR_AUTH);
        assert_int_equal(do_cmd(&h, &se, "x"), WARD_ERR_STATE);
        ward_se_elem_close(&se);
        ward_se_host_close(&h);
    }
}

/* Answers tampered bit by bit, and frames of every type in every state:
 * refused, never a crash, never a session. */
static void test_tampered_and_garbage(void **state)
{
    (void)state;
    static sim ss, hs;
    uint8_t fr[WARD_SE_FRAME_MAX], ans[WARD_SE_FRAME_MAX];
    size_t n = 0, m = 0;
    ward_se_event ev, hev;
    for (size_t c = 0; c < WARD_ARRAY_LEN(configs); c++) {
        if (!config_available(&configs[c])) {
            continue;
        }
        ward_se_elem se;
        ward_se_host h;
        clock_trusted = true;
        bind_and_lock(&ss, &hs, &configs[c]);
        sim_replug(&ss);
        sim_replug(&hs);
        se_boot(&se, &ss);
        host_boot(&h, &hs);
        for (size_t byte = 2; byte < 8; byte++) {
            assert_int_equal(ward_se_host_hello(&h, fr, sizeof fr, &n), WARD_OK);
            assert_int_equal(to_se_and_back(&se, &h, fr, n, &ev, &hev, ans, &m),
                             WARD_OK);
            /* Past the nonce: into f's output or the signature. */
            size_t at = byte + (byte >= 4 ? WARD_SE_NONCE_LEN : 0u);
            ans[at] ^= 0x01;
            ward_store16(ans + m - 2, ward_se_crc16(ans, m - 2));
            ev = se_feed(&se, ans, m);
            if (byte >= 4) {
                assert_int_equal(ev.err, WARD_ERR_AUTH);
            } else {
                assert_int_equal(ev.kind, WARD_SE_EV_REFUSED);
            }
            assert_false(se_info(&se).verified);
            clock_now += WARD_SE_BACKOFF_MAX_MS;
        }
        /* Every type, random payloads of every length. */
        ward_random rng = ward_test_rng();
        for (int i = 0; i < 300; i++) {
            uint8_t p[WARD_SE_PAYLOAD_MAX], t = 0, l = 0;
            assert_int_equal(rng.fill(rng.ctx, &t, 1), WARD_OK);
            assert_int_equal(rng.fill(rng.ctx, &l, 1), WARD_OK);
            assert_int_equal(rng.fill(rng.ctx, p, sizeof p), WARD_OK);
            t = (uint8_t)(2u + t % 4u); /* BIND..CMD, not HELLO */
            l = (uint8_t)(l % (WARD_SE_PAYLOAD_MAX + 1));
            assert_int_equal(ward_se_frame_encode(t, p, l, fr, sizeof fr, &n),
                             WARD_OK);
            ev = se_feed(&se, fr, n);
            assert_int_equal(ev.kind, WARD_SE_EV_REFUSED);
            assert_false(se_info(&se).verified);
            assert_int_equal(se_info(&se).state, WARD_SE_STATE_LOCKED);
        }
        clock_now += WARD_SE_BACKOFF_MAX_MS;
        assert_int_equal(do_verify(&h, &se, NULL), WARD_OK);
        ward_se_elem_close(&se);
        ward_se_host_close(&h);
        clock_trusted = false;
    }
}

/* The asymmetric variant with the host's key in a keystore (issue 16):
 * bound, bind-locked, verified and commanded by handle; without the
 * keystore the host cannot answer, with it again it can. */
static void test_asym_key_in_keystore(void **state)
{
    (void)state;
    static sim ss, hs;
    ward_se_elem se;
    ward_se_host h;
    ward_random rng = ward_test_rng();
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN];
    ward_keystore_soft_init(&soft, ward_test_cp, &rng, &ks);
    sim_blank(&ss);
    sim_blank(&hs);
    se_boot(&se, &ss);
    host_boot(&h, &hs);
    ward_se_host_use_keystore(&h, &ks);
    assert_int_equal(do_bind(&h, &se, 0, WARD_SE_VARIANT_ASYM, 0), WARD_OK);
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_SE, pub), WARD_OK);
    assert_int_equal(do_lock(&h, &se), WARD_OK);
    assert_int_equal(do_verify(&h, &se, NULL), WARD_OK);
    assert_int_equal(do_cmd(&h, &se, "open"), WARD_OK);
    ward_se_host_close(&h);
    ward_se_elem_close(&se);

    /* A power-up without the keystore: the record has no key to answer. */
    sim_replug(&ss);
    sim_replug(&hs);
    se_boot(&se, &ss);
    host_boot(&h, &hs);
    assert_int_not_equal(do_verify(&h, &se, NULL), WARD_OK);
    ward_se_host_close(&h);
    ward_se_elem_close(&se);

    sim_replug(&ss);
    sim_replug(&hs);
    se_boot(&se, &ss);
    host_boot(&h, &hs);
    ward_se_host_use_keystore(&h, &ks);
    uint32_t wait = 0;
    ward_err err = do_verify(&h, &se, &wait);
    /* The SE may ask for a pause after the failed try: honoured once. */
    if (err != WARD_OK && wait > 0) {
        clock_now += wait;
        err = do_verify(&h, &se, NULL);
    }
    assert_int_equal(err, WARD_OK);
    ward_se_host_close(&h);
    ward_se_elem_close(&se);
    ward_keystore_soft_wipe(&soft);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_hundred_power_cycles),
        cmocka_unit_test(test_moved_to_other_host),
        cmocka_unit_test(test_rewrite),
        cmocka_unit_test(test_powercut_binding),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_bus_attacker),
        cmocka_unit_test(test_tampered_and_garbage),
        cmocka_unit_test(test_asym_key_in_keystore),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    printf("%s: %zu configuration(s) skipped\n", ward_test_cp->name, skipped);
    return rc;
}
