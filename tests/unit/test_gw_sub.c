/* Flow C's sub-devices in the core: the join window, keys per sub-device,
 * isolation, removal, replay, and the table kept in records. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_gw_sub.h"
#include "ward/ward_keystore.h"
#include "ward/ward_port_sim.h"

#define SUB_KEY WARD_KEY_DEVICE_IDENTITY
#define T0 1000000u

typedef struct sub {
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t id[WARD_GW_SUB_ID_LEN];
    uint8_t act[WARD_ACTIVATION_MAX];
    size_t act_len;
    ward_gw_sub_dev dev;
    ward_gw_sub_cred cred;
} sub;

typedef struct fx {
    ward_random rng;
    ward_keystore_soft fsoft;
    ward_keystore factory;
    uint8_t factory_pub[WARD_P256_POINT_LEN];
    uint8_t localkey[WARD_GW_SUB_LOCALKEY_LEN];
    uint8_t mem[8192];
    ward_sim_flash sf;
    ward_store_port port;
    ward_store st;
    ward_gw_sub_gw gw;
    sub a, b;
} fx;

static void make_sub(fx *f, sub *s, uint8_t tag)
{
    static const char digits[] = "0123456789abcdef";
    uint8_t hex[2 * WARD_GW_SUB_ID_LEN];
    memset(s, 0, sizeof *s);
    ward_keystore_soft_init(&s->soft, ward_test_cp, &f->rng, &s->ks);
    assert_int_equal(s->ks.generate(s->ks.ctx, SUB_KEY, s->pub), WARD_OK);
    memset(s->id, tag, sizeof s->id);
    for (size_t i = 0; i < WARD_GW_SUB_ID_LEN; i++) {
        hex[2 * i] = (uint8_t)digits[s->id[i] >> 4];
        hex[2 * i + 1] = (uint8_t)digits[s->id[i] & 15];
    }
    ward_activation a = { hex, sizeof hex, s->pub };
    assert_int_equal(ward_activation_sign_by(ward_test_cp, &f->factory, WARD_KEY_FACTORY, &a,
                                             s->act, sizeof s->act, &s->act_len),
                     WARD_OK);
}

static fx *fx_new(void)
{
    fx *f = test_calloc(1, sizeof *f);
    f->rng = ward_test_rng();
    ward_keystore_soft_init(&f->fsoft, ward_test_cp, &f->rng, &f->factory);
    assert_int_equal(f->factory.generate(f->factory.ctx, WARD_KEY_FACTORY, f->factory_pub),
                     WARD_OK);
    memset(f->localkey, 0x4C, sizeof f->localkey);
    ward_sim_flash_init(&f->sf, f->mem, sizeof f->mem, 256, &f->port);
    ward_sim_flash_format(&f->sf);
    assert_int_equal(ward_store_open(&f->st, &f->port), WARD_OK);
    assert_int_equal(ward_gw_sub_gw_init(&f->gw, &f->st, f->factory_pub, f->localkey), WARD_OK);
    make_sub(f, &f->a, 0xA1);
    make_sub(f, &f->b, 0xB2);
    return f;
}

static void fx_free(fx *f)
{
    ward_keystore_soft_wipe(&f->fsoft);
    ward_keystore_soft_wipe(&f->a.soft);
    ward_keystore_soft_wipe(&f->b.soft);
    ward_gw_sub_gw_wipe(&f->gw);
    test_free(f);
}

/* One frame through the gateway; returns its answer's length. */
static size_t gw_step(fx *f, uint64_t now, const uint8_t *in, size_t len, uint8_t *out,
                      ward_gw_sub_event *ev, ward_err want)
{
    size_t n = 0;
    assert_int_equal(ward_gw_sub_handle(&f->gw, ward_test_cp, &f->rng, now, in, len, out,
                                        WARD_GW_SUB_FRAME_MAX, &n, ev),
                     want);
    return n;
}

/* The window's challenge for s (CHALLENGE and its answer): the answer's length. */
static size_t challenge(fx *f, sub *s, uint64_t now, uint8_t *ans, ward_gw_sub_event *ev)
{
    uint8_t msg[WARD_GW_SUB_FRAME_MAX];
    size_t len = 0;
    assert_int_equal(ward_gw_sub_challenge_ask(s->id, msg, sizeof msg, &len), WARD_OK);
    assert_int_equal(len, WARD_GW_SUB_CHALLENGE_ASK_LEN);
    return gw_step(f, now, msg, len, ans, ev, WARD_OK);
}

/* A JOIN from s for the open window (its challenge asked first). */
static size_t join_msg(fx *f, sub *s, uint64_t now, uint8_t *msg)
{
    uint8_t chal[WARD_GW_SUB_FRAME_MAX];
    size_t len = 0;
    ward_gw_sub_event ev;
    size_t n = challenge(f, s, now, chal, &ev);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_NONE);
    assert_int_equal(n, WARD_GW_SUB_CHALLENGE_REPLY_LEN);
    assert_int_equal(ward_gw_sub_join_start(&s->dev, ward_test_cp, &f->rng, &s->ks, SUB_KEY,
                                            s->id, s->act, s->act_len, chal, n, msg,
                                            WARD_GW_SUB_FRAME_MAX, &len),
                     WARD_OK);
    return len;
}

/* s joins in a window the owner opens; the JOIN's bytes go to msg. */
static size_t join_keep(fx *f, sub *s, uint8_t msg[WARD_GW_SUB_FRAME_MAX])
{
    uint8_t ans[WARD_GW_SUB_FRAME_MAX];
    ward_gw_sub_event ev;
    assert_int_equal(ward_gw_sub_window_open(&f->gw, T0, 60000, 3), WARD_OK);
    size_t len = join_msg(f, s, T0, msg);
    assert_true(len <= WARD_GW_SUB_JOIN_MAX);
    size_t n = gw_step(f, T0 + 1, msg, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_JOINED);
    assert_memory_equal(ev.sub_id, s->id, WARD_GW_SUB_ID_LEN);
    assert_int_equal(n, WARD_GW_SUB_JOIN_REPLY_LEN);
    assert_int_equal(ward_gw_sub_join_finish(&s->dev, ward_test_cp, &s->ks, SUB_KEY, ans, n,
                                             &s->cred),
                     WARD_OK);
    assert_false(ward_gw_sub_window_is_open(&f->gw, T0 + 2));
    return len;
}

static void join(fx *f, sub *s)
{
    uint8_t msg[WARD_GW_SUB_FRAME_MAX];
    join_keep(f, s, msg);
}

static void hello(fx *f, sub *s)
{
    uint8_t msg[WARD_GW_SUB_FRAME_MAX], ans[WARD_GW_SUB_FRAME_MAX];
    size_t len = 0;
    ward_gw_sub_event ev;
    assert_int_equal(ward_gw_sub_hello(&s->dev, ward_test_cp, &f->rng, msg, sizeof msg, &len),
                     WARD_OK);
    assert_int_equal(len, WARD_GW_SUB_HELLO_LEN);
    size_t n = gw_step(f, T0, msg, len, ans, &ev, WARD_OK);
    assert_int_equal(n, WARD_GW_SUB_HELLO_REPLY_LEN);
    assert_int_equal(ward_gw_sub_hello_finish(&s->dev, ward_test_cp, ans, n), WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_NONE);   /* nothing changes at a HELLO */
    /* Its first packet moves the gateway to the new channel. */
    assert_int_equal(ward_gw_sub_dev_seal(&s->dev, ward_test_cp, WARD_MSG_GW_SUB_DATA, NULL, 0,
                                          msg, sizeof msg, &len),
                     WARD_OK);
    assert_int_equal(gw_step(f, T0, msg, len, ans, &ev, WARD_OK), 0);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_CHANNEL);
    assert_int_equal(ev.payload_len, 0);
}

static size_t up(fx *f, sub *s, const char *text, uint8_t *pkt)
{
    size_t len = 0;
    (void)f;   /* every helper takes the fixture first */
    assert_int_equal(ward_gw_sub_dev_seal(&s->dev, ward_test_cp, WARD_MSG_GW_SUB_DATA,
                                          (const uint8_t *)text, strlen(text), pkt,
                                          WARD_GW_SUB_FRAME_MAX, &len),
                     WARD_OK);
    return len;
}

static void test_join_and_channel(void **state)
{
    (void)state;
    fx *f = fx_new();
    uint8_t pkt[WARD_GW_SUB_FRAME_MAX], ans[WARD_GW_SUB_FRAME_MAX], pt[WARD_GW_SUB_PAYLOAD_MAX];
    ward_gw_sub_event ev;
    join(f, &f->a);
    assert_int_equal(f->a.cred.generation, 1);
    hello(f, &f->a);
    size_t len = up(f, &f->a, "temp 21.5", pkt);
    assert_int_equal(gw_step(f, T0, pkt, len, ans, &ev, WARD_OK), 0);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_DATA);
    assert_int_equal(ev.payload_len, 9);
    assert_memory_equal(ev.payload, "temp 21.5", 9);
    /* and down */
    assert_int_equal(ward_gw_sub_seal(&f->gw, ward_test_cp, f->a.id, WARD_MSG_GW_SUB_DATA,
                                      (const uint8_t *)"on", 2, pkt, sizeof pkt, &len),
                     WARD_OK);
    uint8_t type = 0;
    size_t n = 0;
    assert_int_equal(ward_gw_sub_dev_open(&f->a.dev, ward_test_cp, pkt, len, &type, pt,
                                          sizeof pt, &n),
                     WARD_OK);
    assert_int_equal(type, WARD_MSG_GW_SUB_DATA);
    assert_int_equal(n, 2);
    assert_memory_equal(pt, "on", 2);
    /* a full payload */
    uint8_t big[WARD_GW_SUB_PAYLOAD_MAX];
    memset(big, 0x5A, sizeof big);
    assert_int_equal(ward_gw_sub_dev_seal(&f->a.dev, ward_test_cp, WARD_MSG_GW_SUB_DATA, big,
                                          sizeof big, pkt, sizeof pkt, &len),
                     WARD_OK);
    assert_int_equal(len, WARD_GW_SUB_DATA_MAX);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.payload_len, sizeof big);
    /* LEAVE closes the channel at both ends */
    assert_int_equal(ward_gw_sub_dev_seal(&f->a.dev, ward_test_cp, WARD_MSG_GW_SUB_LEAVE, NULL,
                                          0, pkt, sizeof pkt, &len),
                     WARD_OK);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_LEFT);
    assert_int_equal(ward_gw_sub_seal(&f->gw, ward_test_cp, f->a.id, WARD_MSG_GW_SUB_DATA,
                                      (const uint8_t *)"x", 1, pkt, sizeof pkt, &len),
                     WARD_ERR_STATE);
    fx_free(f);
}

static void test_window(void **state)
{
    (void)state;
    fx *f = fx_new();
    uint8_t msg[WARD_GW_SUB_FRAME_MAX], ans[WARD_GW_SUB_FRAME_MAX];
    size_t len = 0;
    ward_gw_sub_event ev;
    uint8_t id[WARD_GW_SUB_ID_LEN], code = 0;

    /* No window open: no challenge, refused, nothing filed. */
    size_t n = challenge(f, &f->a, T0, ans, &ev);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_REFUSED);
    assert_int_equal(ward_gw_sub_refused_parse(ans, n, id, &code), WARD_OK);
    assert_int_equal(code, WARD_GW_SUB_NO_WINDOW);
    assert_int_equal(ward_gw_sub_window_open(&f->gw, T0, 1000, 3), WARD_OK);
    len = join_msg(f, &f->a, T0, msg);
    ward_gw_sub_window_close(&f->gw);
    n = gw_step(f, T0, msg, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_REFUSED);
    assert_int_equal(ward_gw_sub_refused_parse(ans, n, id, &code), WARD_OK);
    assert_int_equal(code, WARD_GW_SUB_NO_WINDOW);
    assert_memory_equal(id, f->a.id, sizeof id);
    assert_int_equal(ward_gw_sub_count(&f->gw), 0);

    /* Bounds of a window. */
    assert_int_equal(ward_gw_sub_window_open(&f->gw, T0, 0, 3), WARD_ERR_PARAM);
    assert_int_equal(ward_gw_sub_window_open(&f->gw, T0, WARD_GW_SUB_WINDOW_MAX_MS + 1, 3),
                     WARD_ERR_PARAM);
    assert_int_equal(ward_gw_sub_window_open(&f->gw, T0, 1000, 0), WARD_ERR_PARAM);
    assert_int_equal(ward_gw_sub_window_open(&f->gw, T0, 1000, WARD_GW_SUB_TRIES_MAX + 1),
                     WARD_ERR_PARAM);

    /* Expired. */
    assert_int_equal(ward_gw_sub_window_open(&f->gw, T0, 1000, 3), WARD_OK);
    len = join_msg(f, &f->a, T0, msg);
    gw_step(f, T0 + 1000, msg, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.code, WARD_GW_SUB_NO_WINDOW);
    challenge(f, &f->a, T0 + 1000, ans, &ev);
    assert_int_equal(ev.code, WARD_GW_SUB_NO_WINDOW);

    /* A JOIN the factory never activated (another factory's activation,
     * or a key not the activation's) spends a try; three close the window. */
    sub stranger;
    ward_keystore_soft ofsoft;
    ward_keystore ofac;
    uint8_t ofpub[WARD_P256_POINT_LEN];
    ward_keystore_soft_init(&ofsoft, ward_test_cp, &f->rng, &ofac);
    assert_int_equal(ofac.generate(ofac.ctx, WARD_KEY_FACTORY, ofpub), WARD_OK);
    ward_keystore real = f->factory;
    f->factory = ofac;
    make_sub(f, &stranger, 0xC3);
    f->factory = real;
    assert_int_equal(ward_gw_sub_window_open(&f->gw, T0, 60000, 3), WARD_OK);
    uint8_t bad[WARD_GW_SUB_FRAME_MAX];
    size_t bad_len = 0;
    for (int i = 0; i < 3; i++) {
        bad_len = join_msg(f, &stranger, T0 + 1, bad);
        gw_step(f, T0 + 1, bad, bad_len, ans, &ev, WARD_OK);
        assert_int_equal(ev.code, WARD_GW_SUB_BAD_JOIN);
    }
    assert_false(ward_gw_sub_window_is_open(&f->gw, T0 + 2));
    gw_step(f, T0 + 2, msg, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.code, WARD_GW_SUB_NO_WINDOW);
    /* A flipped byte of a genuine JOIN: its signature fails. */
    assert_int_equal(ward_gw_sub_window_open(&f->gw, T0, 60000, 3), WARD_OK);
    len = join_msg(f, &f->a, T0, msg);
    msg[WARD_HDR_BASE_LEN + 3] ^= 1;
    gw_step(f, T0 + 1, msg, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.code, WARD_GW_SUB_BAD_JOIN);
    msg[WARD_HDR_BASE_LEN + 3] ^= 1;
    /* The genuine one joins and closes the window: the next is refused. */
    gw_step(f, T0 + 1, msg, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_JOINED);
    challenge(f, &f->b, T0 + 2, ans, &ev);
    assert_int_equal(ev.code, WARD_GW_SUB_NO_WINDOW);
    assert_int_equal(ward_gw_sub_count(&f->gw), 1);
    ward_keystore_soft_wipe(&ofsoft);
    ward_keystore_soft_wipe(&stranger.soft);
    fx_free(f);
}

static void test_retransmission(void **state)
{
    (void)state;
    fx *f = fx_new();
    uint8_t msg[WARD_GW_SUB_FRAME_MAX], a1[WARD_GW_SUB_FRAME_MAX], a2[WARD_GW_SUB_FRAME_MAX];
    size_t len = 0;
    ward_gw_sub_event ev;
    assert_int_equal(ward_gw_sub_window_open(&f->gw, T0, 60000, 3), WARD_OK);
    /* The CHALLENGE twice: the same challenge. */
    size_t n1 = challenge(f, &f->a, T0, a1, &ev);
    size_t n2 = challenge(f, &f->a, T0, a2, &ev);
    assert_int_equal(n1, n2);
    assert_memory_equal(a1, a2, n1);
    len = join_msg(f, &f->a, T0, msg);
    n1 = gw_step(f, T0 + 1, msg, len, a1, &ev, WARD_OK);
    /* The answer was lost; the window has closed; the same JOIN gets the same bytes. */
    n2 = gw_step(f, T0 + 2, msg, len, a2, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_NONE);
    assert_int_equal(n1, n2);
    assert_memory_equal(a1, a2, n1);
    assert_int_equal(ward_gw_sub_join_finish(&f->a.dev, ward_test_cp, &f->a.ks, SUB_KEY, a2, n2,
                                             &f->a.cred),
                     WARD_OK);
    /* HELLO twice: the same reply, and the channel works. */
    assert_int_equal(ward_gw_sub_hello(&f->a.dev, ward_test_cp, &f->rng, msg, sizeof msg, &len),
                     WARD_OK);
    n1 = gw_step(f, T0, msg, len, a1, &ev, WARD_OK);
    n2 = gw_step(f, T0, msg, len, a2, &ev, WARD_OK);
    assert_int_equal(n1, n2);
    assert_memory_equal(a1, a2, n1);
    assert_int_equal(ward_gw_sub_hello_finish(&f->a.dev, ward_test_cp, a2, n2), WARD_OK);
    len = up(f, &f->a, "ping", msg);
    gw_step(f, T0, msg, len, a1, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_CHANNEL);   /* the first packet, with its payload */
    assert_memory_equal(ev.payload, "ping", 4);
    len = up(f, &f->a, "pong", msg);
    gw_step(f, T0, msg, len, a1, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_DATA);
    fx_free(f);
}

static void test_isolation(void **state)
{
    (void)state;
    fx *f = fx_new();
    uint8_t pkt[WARD_GW_SUB_FRAME_MAX], ans[WARD_GW_SUB_FRAME_MAX], pt[WARD_GW_SUB_PAYLOAD_MAX];
    size_t len = 0, n = 0;
    uint8_t type = 0;
    ward_gw_sub_event ev;
    join(f, &f->a);
    join(f, &f->b);
    assert_int_equal(f->b.cred.generation, 2);
    assert_memory_not_equal(f->a.cred.key, f->b.cred.key, WARD_GW_SUB_KEY_LEN);
    hello(f, &f->a);
    hello(f, &f->b);
    /* B cannot read what the gateway sends A, even with A's id put on it. */
    assert_int_equal(ward_gw_sub_seal(&f->gw, ward_test_cp, f->a.id, WARD_MSG_GW_SUB_DATA,
                                      (const uint8_t *)"secret", 6, pkt, sizeof pkt, &len),
                     WARD_OK);
    assert_int_equal(ward_gw_sub_dev_open(&f->b.dev, ward_test_cp, pkt, len, &type, pt, sizeof pt,
                                          &n),
                     WARD_ERR_AUTH);
    memcpy(pkt + WARD_HDR_BASE_LEN + 2, f->b.id, WARD_GW_SUB_ID_LEN);
    assert_int_equal(ward_gw_sub_dev_open(&f->b.dev, ward_test_cp, pkt, len, &type, pt, sizeof pt,
                                          &n),
                     WARD_ERR_AUTH);
    /* B cannot forge a packet from A: sealed under B's keys, named A. */
    len = up(f, &f->b, "open", pkt);
    memcpy(pkt + WARD_HDR_BASE_LEN + 2, f->a.id, WARD_GW_SUB_ID_LEN);
    assert_int_equal(gw_step(f, T0, pkt, len, ans, &ev, WARD_ERR_AUTH), 0);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_NONE);
    /* A's own packet still passes. */
    len = up(f, &f->a, "mine", pkt);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_DATA);
    assert_memory_equal(ev.sub_id, f->a.id, WARD_GW_SUB_ID_LEN);
    /* A HELLO naming A with B's generation is refused. */
    ward_gw_sub_cred forged = f->b.cred;
    memcpy(forged.sub_id, f->a.id, WARD_GW_SUB_ID_LEN);
    ward_gw_sub_dev fake;
    assert_int_equal(ward_gw_sub_dev_load(&fake, &forged), WARD_OK);
    assert_int_equal(ward_gw_sub_hello(&fake, ward_test_cp, &f->rng, pkt, sizeof pkt, &len),
                     WARD_OK);
    n = gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.code, WARD_GW_SUB_UNKNOWN);
    /* With A's generation the gateway answers, but B's key cannot take it. */
    forged.generation = f->a.cred.generation;
    assert_int_equal(ward_gw_sub_dev_load(&fake, &forged), WARD_OK);
    assert_int_equal(ward_gw_sub_hello(&fake, ward_test_cp, &f->rng, pkt, sizeof pkt, &len),
                     WARD_OK);
    n = gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ward_gw_sub_hello_finish(&fake, ward_test_cp, ans, n), WARD_ERR_AUTH);
    ward_gw_sub_dev_wipe(&fake);
    fx_free(f);
}

static void test_replay(void **state)
{
    (void)state;
    fx *f = fx_new();
    uint8_t p1[WARD_GW_SUB_FRAME_MAX], p2[WARD_GW_SUB_FRAME_MAX], ans[WARD_GW_SUB_FRAME_MAX];
    ward_gw_sub_event ev;
    join(f, &f->a);
    hello(f, &f->a);
    size_t l1 = up(f, &f->a, "one", p1);
    size_t l2 = up(f, &f->a, "two", p2);
    /* Reordered inside the window: each accepted once. */
    gw_step(f, T0, p2, l2, ans, &ev, WARD_OK);
    gw_step(f, T0, p1, l1, ans, &ev, WARD_OK);
    assert_memory_equal(ev.payload, "one", 3);
    gw_step(f, T0, p1, l1, ans, &ev, WARD_ERR_AUTH);
    gw_step(f, T0, p2, l2, ans, &ev, WARD_ERR_AUTH);
    /* Older than the window: refused though never seen. */
    size_t l3 = up(f, &f->a, "three", p1);
    for (unsigned i = 0; i < WARD_GW_SUB_REPLAY_WINDOW; i++) {
        l2 = up(f, &f->a, "x", p2);
        gw_step(f, T0, p2, l2, ans, &ev, WARD_OK);
    }
    gw_step(f, T0, p1, l3, ans, &ev, WARD_ERR_AUTH);
    /* A new channel: the old channel's packets do not open in it. */
    hello(f, &f->a);
    gw_step(f, T0, p2, l2, ans, &ev, WARD_ERR_AUTH);
    size_t l = up(f, &f->a, "fresh", p1);
    gw_step(f, T0, p1, l, ans, &ev, WARD_OK);
    assert_memory_equal(ev.payload, "fresh", 5);
    fx_free(f);
}

static void test_remove_and_restart(void **state)
{
    (void)state;
    fx *f = fx_new();
    uint8_t pkt[WARD_GW_SUB_FRAME_MAX], ans[WARD_GW_SUB_FRAME_MAX];
    uint8_t id[WARD_GW_SUB_ID_LEN], code = 0;
    size_t len = 0;
    ward_gw_sub_event ev;
    join(f, &f->a);
    join(f, &f->b);
    hello(f, &f->a);
    hello(f, &f->b);
    /* The table survives a restart of the gateway. */
    assert_int_equal(ward_gw_sub_gw_init(&f->gw, &f->st, f->factory_pub, f->localkey), WARD_OK);
    assert_int_equal(ward_gw_sub_count(&f->gw), 2);
    hello(f, &f->a);
    hello(f, &f->b);
    /* Removed: A's channel and key stop at once; B goes on. */
    assert_int_equal(ward_gw_sub_remove(&f->gw, f->a.id), WARD_OK);
    assert_int_equal(ward_gw_sub_remove(&f->gw, f->a.id), WARD_ERR_NOTFOUND);
    len = up(f, &f->a, "still here", pkt);
    size_t n = gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_REFUSED);
    assert_int_equal(ward_gw_sub_refused_parse(ans, n, id, &code), WARD_OK);
    assert_int_equal(code, WARD_GW_SUB_UNKNOWN);
    assert_int_equal(ward_gw_sub_hello(&f->a.dev, ward_test_cp, &f->rng, pkt, sizeof pkt, &len),
                     WARD_OK);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.code, WARD_GW_SUB_UNKNOWN);
    len = up(f, &f->b, "b", pkt);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_DATA);
    /* After a restart A is still gone. */
    assert_int_equal(ward_gw_sub_gw_init(&f->gw, &f->st, f->factory_pub, f->localkey), WARD_OK);
    assert_int_equal(ward_gw_sub_count(&f->gw), 1);
    assert_int_equal(ward_gw_sub_at(&f->gw, 0, id), WARD_OK);
    assert_memory_equal(id, f->b.id, sizeof id);
    /* A joins again: a new generation, a new key; the old credential is refused. */
    ward_gw_sub_cred old = f->a.cred;
    join(f, &f->a);
    assert_int_equal(f->a.cred.generation, 3);
    assert_memory_not_equal(old.key, f->a.cred.key, WARD_GW_SUB_KEY_LEN);
    ward_gw_sub_dev stale;
    assert_int_equal(ward_gw_sub_dev_load(&stale, &old), WARD_OK);
    assert_int_equal(ward_gw_sub_hello(&stale, ward_test_cp, &f->rng, pkt, sizeof pkt, &len),
                     WARD_OK);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.code, WARD_GW_SUB_UNKNOWN);
    hello(f, &f->a);
    ward_gw_sub_dev_wipe(&stale);
    fx_free(f);
}

/* Attack: a stranger on the LAN sends a HELLO naming A (A's id and
 * generation are in clear on the wire). A's open channel must go on both
 * ways; the stranger's channel never takes over (it cannot seal a packet). */
static void test_hello_takeover_refused(void **state)
{
    (void)state;
    fx *f = fx_new();
    uint8_t pkt[WARD_GW_SUB_FRAME_MAX], ans[WARD_GW_SUB_FRAME_MAX], pt[WARD_GW_SUB_PAYLOAD_MAX];
    size_t len = 0, n = 0;
    uint8_t type = 0;
    ward_gw_sub_event ev;
    join(f, &f->a);
    hello(f, &f->a);
    ward_gw_sub_cred guess = f->a.cred;
    memset(guess.key, 0x77, sizeof guess.key);
    ward_gw_sub_dev x;
    assert_int_equal(ward_gw_sub_dev_load(&x, &guess), WARD_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ward_gw_sub_hello(&x, ward_test_cp, &f->rng, pkt, sizeof pkt, &len),
                         WARD_OK);
        n = gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
        assert_int_equal(n, WARD_GW_SUB_HELLO_REPLY_LEN);
        assert_int_equal(ward_gw_sub_hello_finish(&x, ward_test_cp, ans, n), WARD_ERR_AUTH);
    }
    /* A's packets still open at the gateway, and the gateway's at A. */
    len = up(f, &f->a, "still mine", pkt);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_DATA);
    assert_memory_equal(ev.payload, "still mine", 10);
    assert_int_equal(ward_gw_sub_seal(&f->gw, ward_test_cp, f->a.id, WARD_MSG_GW_SUB_DATA,
                                      (const uint8_t *)"ok", 2, pkt, sizeof pkt, &len),
                     WARD_OK);
    assert_int_equal(ward_gw_sub_dev_open(&f->a.dev, ward_test_cp, pkt, len, &type, pt,
                                          sizeof pt, &n),
                     WARD_OK);
    assert_int_equal(n, 2);
    /* A genuine new HELLO (A reconnecting) still takes over at its first packet. */
    hello(f, &f->a);
    len = up(f, &f->a, "again", pkt);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_DATA);
    ward_gw_sub_dev_wipe(&x);
    fx_free(f);
}

/* Attack: a stranger floods HELLOs naming A while A reconnects (between
 * A's HELLO reply and its first packet). A's pending channel must survive
 * fewer than WARD_GW_SUB_PENDING_PER_SUB of them, and any number naming A
 * must not push out B's pending channel. */
static void test_hello_race_bounded(void **state)
{
    (void)state;
    fx *f = fx_new();
    uint8_t pkt[WARD_GW_SUB_FRAME_MAX], ans[WARD_GW_SUB_FRAME_MAX];
    size_t len = 0, n = 0;
    ward_gw_sub_event ev;
    join(f, &f->a);
    hello(f, &f->a);
    join(f, &f->b);
    hello(f, &f->b);
    ward_gw_sub_cred guess = f->a.cred;
    memset(guess.key, 0x77, sizeof guess.key);
    ward_gw_sub_dev x;
    assert_int_equal(ward_gw_sub_dev_load(&x, &guess), WARD_OK);
    /* A and B reconnect: HELLO answered, first packet not yet sent. */
    sub *both[2] = { &f->a, &f->b };
    for (int k = 0; k < 2; k++) {
        assert_int_equal(ward_gw_sub_hello(&both[k]->dev, ward_test_cp, &f->rng, pkt,
                                           sizeof pkt, &len),
                         WARD_OK);
        n = gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
        assert_int_equal(ward_gw_sub_hello_finish(&both[k]->dev, ward_test_cp, ans, n),
                         WARD_OK);
    }
    /* The stranger's HELLOs for A: one less than A's share, then many
     * more for B's sake after A has taken over. */
    for (int i = 0; i < WARD_GW_SUB_PENDING_PER_SUB - 1; i++) {
        assert_int_equal(ward_gw_sub_hello(&x, ward_test_cp, &f->rng, pkt, sizeof pkt, &len),
                         WARD_OK);
        assert_int_equal(gw_step(f, T0, pkt, len, ans, &ev, WARD_OK),
                         WARD_GW_SUB_HELLO_REPLY_LEN);
    }
    len = up(f, &f->a, "a back", pkt);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_CHANNEL);
    assert_memory_equal(ev.payload, "a back", 6);
    for (int i = 0; i < 3 * WARD_GW_SUB_PENDING_MAX; i++) {
        assert_int_equal(ward_gw_sub_hello(&x, ward_test_cp, &f->rng, pkt, sizeof pkt, &len),
                         WARD_OK);
        assert_int_equal(gw_step(f, T0, pkt, len, ans, &ev, WARD_OK),
                         WARD_GW_SUB_HELLO_REPLY_LEN);
    }
    len = up(f, &f->b, "b back", pkt);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_CHANNEL);
    assert_memory_equal(ev.payload, "b back", 6);
    /* A's channel goes on through all of it. */
    len = up(f, &f->a, "a still", pkt);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_DATA);
    ward_gw_sub_dev_wipe(&x);
    fx_free(f);
}

/* Attack: A's JOIN recorded on the LAN is sent again in a later window the
 * owner opened (for B). It must not re-file A: A's key goes on working,
 * and B still joins in that window. */
static void test_join_replay_refused(void **state)
{
    (void)state;
    fx *f = fx_new();
    uint8_t rec[WARD_GW_SUB_FRAME_MAX], ans[WARD_GW_SUB_FRAME_MAX], id[WARD_GW_SUB_ID_LEN];
    uint8_t code = 0;
    ward_gw_sub_event ev;
    size_t rec_len = join_keep(f, &f->a, rec);
    hello(f, &f->a);
    /* Another join in between, so the gateway no longer holds A's reply. */
    join(f, &f->b);
    /* The owner opens a window; the recorded JOIN comes first. */
    assert_int_equal(ward_gw_sub_window_open(&f->gw, T0 + 10, 60000, 3), WARD_OK);
    size_t n = gw_step(f, T0 + 11, rec, rec_len, ans, &ev, WARD_OK);
    assert_int_not_equal(ev.kind, WARD_GW_SUB_EV_JOINED);
    assert_int_equal(ward_gw_sub_refused_parse(ans, n, id, &code), WARD_OK);
    assert_int_equal(code, WARD_GW_SUB_STALE);
    assert_int_equal(ward_gw_sub_count(&f->gw), 2);
    /* A's key and channel go on. */
    uint8_t pkt[WARD_GW_SUB_FRAME_MAX];
    size_t len = up(f, &f->a, "after", pkt);
    gw_step(f, T0, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_DATA);
    hello(f, &f->a);
    /* The window is still open for a genuine JOIN with its challenge. */
    sub c;
    make_sub(f, &c, 0xC4);
    len = join_msg(f, &c, T0 + 12, pkt);
    gw_step(f, T0 + 12, pkt, len, ans, &ev, WARD_OK);
    assert_int_equal(ev.kind, WARD_GW_SUB_EV_JOINED);
    ward_keystore_soft_wipe(&c.soft);
    fx_free(f);
}

static void test_malformed(void **state)
{
    (void)state;
    fx *f = fx_new();
    uint8_t ans[WARD_GW_SUB_FRAME_MAX], junk[64];
    ward_gw_sub_event ev;
    memset(junk, 0, sizeof junk);
    gw_step(f, T0, junk, 0, ans, &ev, WARD_ERR_FORMAT);
    gw_step(f, T0, junk, sizeof junk, ans, &ev, WARD_ERR_FORMAT);
    junk[0] = 1;
    junk[1] = WARD_MSG_GW_SUB_HELLO;
    gw_step(f, T0, junk, sizeof junk, ans, &ev, WARD_ERR_FORMAT);
    uint8_t id[WARD_GW_SUB_ID_LEN], code = 0;
    assert_int_equal(ward_gw_sub_refused_parse(junk, sizeof junk, id, &code), WARD_ERR_FORMAT);
    /* Out of order on the sub-device's side. */
    uint8_t out[WARD_GW_SUB_FRAME_MAX];
    size_t len = 0;
    assert_int_equal(ward_gw_sub_hello(&f->a.dev, ward_test_cp, &f->rng, out, sizeof out, &len),
                     WARD_ERR_STATE);
    assert_int_equal(ward_gw_sub_hello_finish(&f->a.dev, ward_test_cp, out, 0), WARD_ERR_STATE);
    fx_free(f);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_and_channel),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_retransmission),
        cmocka_unit_test(test_isolation),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_remove_and_restart),
        cmocka_unit_test(test_hello_takeover_refused),
        cmocka_unit_test(test_hello_race_bounded),
        cmocka_unit_test(test_join_replay_refused),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
