/* Flow D, the app's exchanges on the core alone: which refusals end them, PAKE_END after a failed PAKE (WARD_TEST_PER_BACKEND). */
#include "ward_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_device.h"
#include "ward/ward_dev_app.h"
#include "ward/ward_port_sim.h"
#include "proto/dev_app_inner.h"
#include "proto/dev_inner.h"

#include "device_fixture.h"

#define CID "CLI-EDU"
#define TID "10.0.0.2:5000"

typedef df_env env;


/* The device handles m from tid (near-field). */
static ward_err dev_in(env *e, const char *tid, const uint8_t *m, size_t n,
                       uint8_t *out, size_t *out_len, ward_dev_event *ev)
{
    return ward_dev_handle(&e->dev, WARD_DEV_NEAR, (const uint8_t *)tid,
                           strlen(tid), m, n, out, WARD_DEV_MSG_MAX, out_len,
                           ev);
}

static size_t bindings_in_progress(const env *e)
{
    size_t n = 0;
    for (size_t i = 0; i < WARD_DEV_MAX_BINDINGS; i++) {
        n += dev_cst(&e->dev)->bind[i].stage != 0;
    }
    return n;
}

/* PIN_REQUEST from tid as app cid (NULL: an older app); the PIN shown. */
static void pin_step(env *e, ward_pair *p, const char *tid, const char *cid,
                     char pin[WARD_DEV_PIN_LEN + 1])
{
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_pair_start(p, ward_test_cp, &rng,
                                     (const uint8_t *)"PHONE-1", 7,
                                     (const uint8_t *)cid,
                                     cid ? strlen(cid) : 0,
                                     (const uint8_t *)"app", 3, m, sizeof m,
                                     &n), WARD_OK);
    assert_true(ward_pair_waiting(p));
    assert_int_equal(dev_in(e, tid, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ev.type, WARD_DEV_EV_SHOW_PIN);
    memcpy(pin, ev.pin, WARD_DEV_PIN_LEN + 1);
    assert_int_equal(ward_pair_on_pin(p, ans, an, NULL), WARD_OK);
    assert_false(ward_pair_waiting(p));
}

/* PAKE_INIT with pin; the device's answer into ans. */
static ward_err init_step(env *e, ward_pair *p, const char *tid,
                          const char *pin, uint8_t *ans, size_t *an)
{
    uint8_t m[WARD_DEV_MSG_MAX];
    size_t n = 0;
    ward_dev_event ev;
    assert_int_equal(ward_pair_pake_init(p, (const uint8_t *)pin, strlen(pin),
                                         m, sizeof m, &n), WARD_OK);
    assert_true(ward_pair_waiting(p));
    return dev_in(e, tid, m, n, ans, an, &ev);
}

static void bind(env *e, ward_pair_device *d)
{
    ward_pair p;
    char pin[WARD_DEV_PIN_LEN + 1];
    uint8_t ans[WARD_DEV_MSG_MAX], m[WARD_DEV_MSG_MAX];
    size_t an = 0, n = 0;
    ward_dev_event ev;
    pin_step(e, &p, TID, CID, pin);
    assert_int_equal(init_step(e, &p, TID, pin, ans, &an), WARD_OK);
    assert_int_equal(ward_pair_on_pake_init(&p, ans, an, m, sizeof m, &n),
                     WARD_OK);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_pair_on_pake_finish(&p, ans, an, d), WARD_OK);
    ward_pair_wipe(&p);
}

/* An error answer as anyone on the path could write it. */
static size_t refusal(uint8_t type, uint8_t flags, uint8_t ki, uint32_t seq,
                      const char *cid, ward_err code, uint8_t *out)
{
    ward_hdr h;
    size_t hlen = 0;
    memset(&h, 0, sizeof h);
    h.version = WARD_PROTOCOL_VERSION;
    h.type = type;
    h.flags = flags;
    h.key_index = ki;
    h.seq = seq;
    h.body_len = 3;
    if (cid != NULL) {
        h.client_id_len = (uint8_t)strlen(cid);
        memcpy(h.client_id, cid, h.client_id_len);
    }
    assert_int_equal(ward_hdr_encode(&h, out, WARD_DEV_MSG_MAX, &hlen),
                     WARD_OK);
    out[hlen] = 0x01;
    out[hlen + 1] = 1;
    out[hlen + 2] = (uint8_t)code;
    return hlen + 3;
}

#define REFUSED (WARD_FLAG_REPLY | WARD_FLAG_ERROR)

/* Refusals that do not refuse the COMMAND (ki, seq) of CID in flight on
 * c: each leaves c as it was, and waiting. */
static void ignored_by_reply(const ward_pair_device *d, ward_pair_channel *c,
                             uint8_t ki, uint32_t seq)
{
    static const struct {
        uint8_t type, flags;
        int ki_delta;
        int64_t seq_delta;
        const char *cid;
    } cases[] = {
        { WARD_MSG_DEV_COMMAND, REFUSED, 0, -1, CID },          /* older */
        { WARD_MSG_DEV_COMMAND, REFUSED, 0, 1, CID },           /* newer */
        { WARD_MSG_DEV_REPLY, REFUSED, 0, 0, CID },             /* type */
        { WARD_MSG_DEV_CHANNEL_OPEN, REFUSED, 0, 0, CID },
        { WARD_MSG_DEV_COMMAND, REFUSED, 1, 0, CID },           /* key index */
        { WARD_MSG_DEV_COMMAND, REFUSED, 0, 0, "CLI-LAMP" },    /* CliID */
        { WARD_MSG_DEV_COMMAND, REFUSED, 0, 0, NULL },
        { WARD_MSG_DEV_COMMAND, WARD_FLAG_ERROR, 0, 0, CID },   /* no REPLY */
    };
    uint8_t r[WARD_DEV_MSG_MAX], data[64];
    size_t dn = 0;
    const ward_pair_channel before = *c;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = refusal(cases[i].type, cases[i].flags,
                           (uint8_t)(ki + cases[i].ki_delta),
                           (uint32_t)((int64_t)seq + cases[i].seq_delta),
                           cases[i].cid, WARD_ERR_NOTFOUND, r);
        assert_int_equal(ward_pair_on_reply(d, ward_test_cp, c, r, n, data,
                                            sizeof data, &dn, NULL),
                         WARD_ERR_NOTFOUND);
        assert_true(ward_pair_channel_waiting(c));
        assert_memory_equal(c, &before, sizeof before);
    }
}

/* A genuine refusal of the command in flight ends the exchange; the same
 * refusal queued again by a relay does not end the next one, nor do
 * refusals of another type, seq, key index or CliID. A matching one
 * does, whoever wrote it. */
static void test_command_refusals(void **state)
{
    (void)state;
    env *e = df_env_new();
    ward_pair_device d;
    ward_pair_channel a, b;
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX], data[64];
    size_t n = 0, an = 0, dn = 0;
    bool is_reply = false;
    ward_dev_event ev;
    ward_random rng = ward_test_rng();
    bind(e, &d);
    assert_int_equal(ward_pair_channel_open(&d, ward_test_cp, &rng, 1, &a, m,
                                            sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_pair_on_channel_open(&d, ward_test_cp, &a, ans, an),
                     WARD_OK);
    assert_false(ward_pair_channel_waiting(&a));
    /* Three commands on channel 1 (seq 1..3), answered. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ward_pair_command(&d, ward_test_cp, &a,
                                           (const uint8_t *)"on", 2, m,
                                           sizeof m, &n), WARD_OK);
        assert_true(ward_pair_channel_waiting(&a));
        assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
        assert_int_equal(ward_dev_reply(&e->dev, ev.key_index, ev.channel_id,
                                        (const uint8_t *)"ok", 2, ans,
                                        sizeof ans, &an), WARD_OK);
        assert_int_equal(ward_pair_on_reply(&d, ward_test_cp, &a, ans, an,
                                            data, sizeof data, &dn, &is_reply),
                         WARD_OK);
        assert_true(is_reply);
        assert_false(ward_pair_channel_waiting(&a));
    }
    /* The device restarts (its channels close): the fourth command gets
     * no answer, as a forgery would. The app opens the channel again: a
     * new one, so the command never ran; it sends it again. */
    df_reboot(e);
    assert_int_equal(ward_pair_command(&d, ward_test_cp, &a,
                                       (const uint8_t *)"on", 2, m, sizeof m,
                                       &n), WARD_OK);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_ERR_NOTFOUND);
    assert_int_equal(an, 0);
    assert_true(ward_pair_channel_waiting(&a));
    assert_int_equal(ward_pair_channel_reopen(&d, ward_test_cp, &rng, &a, m,
                                              sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_pair_on_channel_open(&d, ward_test_cp, &a, ans, an),
                     WARD_OK);
    assert_int_equal(ward_pair_channel_fate(&a), WARD_PAIR_FATE_LOST);
    assert_int_equal(ward_pair_command(&d, ward_test_cp, &a,
                                       (const uint8_t *)"on", 2, m, sizeof m,
                                       &n), WARD_OK);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_dev_reply(&e->dev, ev.key_index, ev.channel_id,
                                    (const uint8_t *)"ok", 2, ans, sizeof ans,
                                    &an), WARD_OK);
    assert_int_equal(ward_pair_on_reply(&d, ward_test_cp, &a, ans, an, data,
                                        sizeof data, &dn, &is_reply), WARD_OK);
    assert_false(ward_pair_channel_waiting(&a));
    /* A refusal of the next command (made up by a relay: refusals are
     * not authenticated) ends that exchange. */
    assert_int_equal(ward_pair_command(&d, ward_test_cp, &a,
                                       (const uint8_t *)"on", 2, m, sizeof m,
                                       &n), WARD_OK);
    uint8_t old[WARD_DEV_MSG_MAX];
    size_t old_n = refusal(WARD_MSG_DEV_COMMAND, REFUSED, d.key_index,
                           pchan_st(&a)->chan.tx_seq, CID, WARD_ERR_NOTFOUND, old);
    const ward_pair_channel before_a = a;
    assert_int_equal(ward_pair_on_reply(&d, ward_test_cp, &a, old, old_n, data,
                                        sizeof data, &dn, NULL),
                     WARD_ERR_NOTFOUND);
    assert_false(ward_pair_channel_waiting(&a));
    /* Ending the exchange is all a refusal does: keys and counters stay. */
    assert_int_equal(pchan_st(&a)->chan.tx_seq, pchan_cst(&before_a)->chan.tx_seq);
    assert_memory_equal(&pchan_st(&a)->chan, &pchan_cst(&before_a)->chan,
                        sizeof pchan_st(&a)->chan);

    /* The app opens channel 2 and sends its first command (seq 1). */
    assert_int_equal(ward_pair_channel_open(&d, ward_test_cp, &rng, 2, &b, m,
                                            sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_pair_on_channel_open(&d, ward_test_cp, &b, ans, an),
                     WARD_OK);
    assert_int_equal(ward_pair_command(&d, ward_test_cp, &b,
                                       (const uint8_t *)"dim 3", 5, m,
                                       sizeof m, &n), WARD_OK);
    assert_int_equal(pchan_st(&b)->chan.tx_seq, 1);
    /* The relay queues channel 1's refusal again: skipped. */
    const ward_pair_channel before_b = b;
    assert_int_equal(ward_pair_on_reply(&d, ward_test_cp, &b, old, old_n, data,
                                        sizeof data, &dn, NULL),
                     WARD_ERR_NOTFOUND);
    assert_true(ward_pair_channel_waiting(&b));
    assert_memory_equal(&b, &before_b, sizeof b);
    ignored_by_reply(&d, &b, d.key_index, 1);
    /* The genuine reply still ends the exchange. */
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_dev_reply(&e->dev, ev.key_index, ev.channel_id,
                                    (const uint8_t *)"ok", 2, ans, sizeof ans,
                                    &an), WARD_OK);
    assert_int_equal(ward_pair_on_reply(&d, ward_test_cp, &b, ans, an, data,
                                        sizeof data, &dn, &is_reply), WARD_OK);
    assert_true(is_reply);
    assert_false(ward_pair_channel_waiting(&b));
    /* A notification answers no command: the next one stays in flight. */
    assert_int_equal(ward_pair_command(&d, ward_test_cp, &b,
                                       (const uint8_t *)"on", 2, m, sizeof m,
                                       &n), WARD_OK);
    assert_int_equal(ward_dev_notify(&e->dev, d.key_index, 2,
                                     (const uint8_t *)"hot", 3, ans,
                                     sizeof ans, &an), WARD_OK);
    assert_int_equal(ward_pair_on_reply(&d, ward_test_cp, &b, ans, an, data,
                                        sizeof data, &dn, &is_reply), WARD_OK);
    assert_false(is_reply);
    assert_true(ward_pair_channel_waiting(&b));
    /* A refusal that echoes this command (seq 2) ends it, even one a
     * relay made up: refusals are not authenticated. */
    n = refusal(WARD_MSG_DEV_COMMAND, REFUSED, d.key_index, 2, CID,
                WARD_ERR_BUSY, ans);
    assert_int_equal(ward_pair_on_reply(&d, ward_test_cp, &b, ans, n, data,
                                        sizeof data, &dn, NULL),
                     WARD_ERR_BUSY);
    assert_false(ward_pair_channel_waiting(&b));
    ward_pair_device_wipe(&d);
    test_free(e);
}

static void test_open_refusals(void **state)
{
    (void)state;
    env *e = df_env_new();
    ward_pair_device d;
    ward_pair_channel c;
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX], r[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0, rn = 0;
    ward_dev_event ev;
    ward_random rng = ward_test_rng();
    bind(e, &d);
    assert_int_equal(ward_pair_channel_open(&d, ward_test_cp, &rng, 1, &c, m,
                                            sizeof m, &n), WARD_OK);
    assert_true(ward_pair_channel_waiting(&c));
    const ward_pair_channel before = c;
    /* A command's refusal, another app's, another key index's: skipped. */
    rn = refusal(WARD_MSG_DEV_COMMAND, REFUSED, d.key_index, 0, CID,
                 WARD_ERR_NOTFOUND, r);
    assert_int_equal(ward_pair_on_channel_open(&d, ward_test_cp, &c, r, rn),
                     WARD_ERR_NOTFOUND);
    assert_true(ward_pair_channel_waiting(&c));
    rn = refusal(WARD_MSG_DEV_CHANNEL_OPEN, REFUSED, d.key_index, 0,
                 "CLI-LAMP", WARD_ERR_NOTFOUND, r);
    assert_int_equal(ward_pair_on_channel_open(&d, ward_test_cp, &c, r, rn),
                     WARD_ERR_NOTFOUND);
    assert_true(ward_pair_channel_waiting(&c));
    rn = refusal(WARD_MSG_DEV_CHANNEL_OPEN, REFUSED,
                 (uint8_t)(d.key_index + 1), 0, CID, WARD_ERR_NOTFOUND, r);
    assert_int_equal(ward_pair_on_channel_open(&d, ward_test_cp, &c, r, rn),
                     WARD_ERR_NOTFOUND);
    assert_true(ward_pair_channel_waiting(&c));
    assert_memory_equal(&c, &before, sizeof c);
    /* So is bad bytes, and an answer that is not this one. */
    assert_int_equal(ward_pair_on_channel_open(&d, ward_test_cp, &c, r, 3),
                     WARD_ERR_FORMAT);
    assert_true(ward_pair_channel_waiting(&c));
    assert_memory_equal(&c, &before, sizeof c);
    /* The genuine answer opens it. */
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_pair_on_channel_open(&d, ward_test_cp, &c, ans, an),
                     WARD_OK);
    assert_false(ward_pair_channel_waiting(&c));

    /* A record naming a key index the device does not know: no answer,
     * as for a forgery (the app waits, then gives up). */
    ward_pair_device x = d;
    x.key_index = (uint8_t)(d.key_index + 50);
    assert_int_equal(ward_pair_channel_open(&x, ward_test_cp, &rng, 1, &c, m,
                                            sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_ERR_NOTFOUND);
    assert_int_equal(an, 0);
    assert_true(ward_pair_channel_waiting(&c));
    ward_pair_device_wipe(&x);
    ward_pair_device_wipe(&d);
    test_free(e);
}

/* A command that got no answer: the re-open tells whether the device took
 * it (its reply was lost: not to be sent again) or not (it did not
 * verify), and the app never seals under a seq it used. */
static void test_reopen_after_no_answer(void **state)
{
    (void)state;
    env *e = df_env_new();
    ward_pair_device d;
    ward_pair_channel c;
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX], data[64];
    size_t n = 0, an = 0, dn = 0;
    bool is_reply = false;
    ward_dev_event ev;
    ward_random rng = ward_test_rng();
    bind(e, &d);
    /* Nothing to re-open for before a command. */
    assert_int_equal(ward_pair_channel_reopen(&d, ward_test_cp, &rng, &c, m,
                                              sizeof m, &n), WARD_ERR_STATE);
    assert_int_equal(ward_pair_channel_open(&d, ward_test_cp, &rng, 3, &c, m,
                                            sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_pair_on_channel_open(&d, ward_test_cp, &c, ans, an),
                     WARD_OK);
    assert_int_equal(ward_pair_channel_fate(&c), WARD_PAIR_FATE_NONE);
    /* Taken, its reply lost. */
    assert_int_equal(ward_pair_command(&d, ward_test_cp, &c,
                                       (const uint8_t *)"toggle", 6, m,
                                       sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ev.type, WARD_DEV_EV_COMMAND);
    assert_int_equal(ward_pair_channel_reopen(&d, ward_test_cp, &rng, &c, m,
                                              sizeof m, &n), WARD_OK);
    /* The re-open goes unanswered too: again. */
    assert_int_equal(ward_pair_channel_reopen(&d, ward_test_cp, &rng, &c, m,
                                              sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_pair_on_channel_open(&d, ward_test_cp, &c, ans, an),
                     WARD_OK);
    assert_int_equal(ward_pair_channel_fate(&c), WARD_PAIR_FATE_TAKEN);
    /* Not taken: altered on the way. */
    assert_int_equal(ward_pair_command(&d, ward_test_cp, &c,
                                       (const uint8_t *)"off", 3, m, sizeof m,
                                       &n), WARD_OK);
    uint32_t used = pchan_st(&c)->chan.tx_seq;
    m[n - 1] ^= 1;
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_ERR_AUTH);
    assert_int_equal(an, 0);
    assert_int_equal(ward_pair_channel_reopen(&d, ward_test_cp, &rng, &c, m,
                                              sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_pair_on_channel_open(&d, ward_test_cp, &c, ans, an),
                     WARD_OK);
    assert_int_equal(ward_pair_channel_fate(&c), WARD_PAIR_FATE_NOT_TAKEN);
    /* The device saw seq used - 1 at most, but used was sealed once:
     * the next command goes above it. */
    assert_int_equal(pchan_st(&c)->chan.tx_seq, used);
    assert_int_equal(ward_pair_command(&d, ward_test_cp, &c,
                                       (const uint8_t *)"status", 6, m,
                                       sizeof m, &n), WARD_OK);
    assert_int_equal(pchan_st(&c)->chan.tx_seq, used + 1);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_dev_reply(&e->dev, ev.key_index, ev.channel_id,
                                    (const uint8_t *)"ok", 2, ans, sizeof ans,
                                    &an), WARD_OK);
    assert_int_equal(ward_pair_on_reply(&d, ward_test_cp, &c, ans, an, data,
                                        sizeof data, &dn, &is_reply), WARD_OK);
    assert_true(is_reply);
    ward_pair_device_wipe(&d);
    test_free(e);
}

/* The binding's requests: another request's refusal is skipped, the
 * refusal of the one in flight ends the binding. */
static void test_binding_refusals(void **state)
{
    (void)state;
    env *e = df_env_new();
    ward_pair p;
    ward_pair_device d;
    char pin[WARD_DEV_PIN_LEN + 1];
    uint8_t ans[WARD_DEV_MSG_MAX], m[WARD_DEV_MSG_MAX], r[WARD_DEV_MSG_MAX];
    size_t an = 0, n = 0, rn = 0;
    ward_dev_event ev;
    pin_step(e, &p, TID, CID, pin);
    assert_int_equal(init_step(e, &p, TID, pin, ans, &an), WARD_OK);
    /* PAKE_INIT in flight: an old PIN_REQUEST refusal (a lock-out), and a
     * PAKE_INIT refusal of another app, do not end it. */
    rn = refusal(WARD_MSG_DEV_PIN_REQUEST, REFUSED, 0, 0, CID,
                 WARD_ERR_LOCKED, r);
    assert_int_equal(ward_pair_on_pake_init(&p, r, rn, m, sizeof m, &n),
                     WARD_ERR_LOCKED);
    assert_int_equal(n, 0);
    assert_true(ward_pair_waiting(&p));
    rn = refusal(WARD_MSG_DEV_PAKE_INIT, REFUSED, 0, 0, "CLI-LAMP",
                 WARD_ERR_LOCKED, r);
    assert_int_equal(ward_pair_on_pake_init(&p, r, rn, m, sizeof m, &n),
                     WARD_ERR_LOCKED);
    assert_true(ward_pair_waiting(&p));
    assert_int_equal(ward_pair_on_pake_init(&p, ans, an, m, sizeof m, &n),
                     WARD_OK);
    /* PAKE_FINISH in flight: PAKE_INIT's refusal, or one under another key
     * index, is skipped; the acknowledgement binds. */
    uint8_t ki = m[3];
    rn = refusal(WARD_MSG_DEV_PAKE_INIT, REFUSED, 0, 0, CID, WARD_ERR_AUTH, r);
    assert_int_equal(ward_pair_on_pake_finish(&p, r, rn, &d), WARD_ERR_AUTH);
    assert_true(ward_pair_waiting(&p));
    rn = refusal(WARD_MSG_DEV_PAKE_FINISH, REFUSED, (uint8_t)(ki + 1), 0, NULL,
                 WARD_ERR_AUTH, r);
    assert_int_equal(ward_pair_on_pake_finish(&p, r, rn, &d), WARD_ERR_AUTH);
    assert_true(ward_pair_waiting(&p));
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_pair_on_pake_finish(&p, ans, an, &d), WARD_OK);
    assert_false(ward_pair_waiting(&p));
    assert_int_equal(d.key_index, ki);

    /* The device's own refusal of PAKE_INIT (sent from another address,
     * where it has no binding) ends it. */
    pin_step(e, &p, TID, CID, pin);
    assert_int_equal(init_step(e, &p, "10.0.0.2:5999", pin, ans, &an),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(ward_pair_on_pake_init(&p, ans, an, m, sizeof m, &n),
                     WARD_ERR_NOTFOUND);
    assert_false(ward_pair_waiting(&p));
    assert_int_equal(ward_pair_on_pake_init(&p, ans, an, m, sizeof m, &n),
                     WARD_ERR_STATE);
    ward_pair_wipe(&p);
    ward_pair_device_wipe(&d);
    test_free(e);
}

/* After a wrong PIN the app's state holds no secret, only the CliID; the
 * PAKE_END it writes is a bare header with that CliID, and the device
 * frees the binding slot on it. */
static void pake_end_after_wrong_pin(const char *cid)
{
    env *e = df_env_new();
    ward_pair p;
    char pin[WARD_DEV_PIN_LEN + 1], wrong[16];
    uint8_t ans[WARD_DEV_MSG_MAX], m[WARD_DEV_MSG_MAX];
    size_t an = 0, n = 0;
    ward_dev_event ev;
    const size_t cid_len = cid ? strlen(cid) : 0;
    pin_step(e, &p, TID, cid, pin);
    snprintf(wrong, sizeof wrong, "%06d", (atoi(pin) + 1) % 1000000);
    assert_int_equal(init_step(e, &p, TID, wrong, ans, &an), WARD_OK);
    assert_int_equal(ward_pair_on_pake_init(&p, ans, an, m, sizeof m, &n),
                     WARD_ERR_AUTH);
    assert_int_equal(n, 0);
    assert_false(ward_pair_waiting(&p));
    /* Every byte is zero but the state, the CliID and the PAKE_END token. */
    ward_pair want;
    memset(&want, 0, sizeof want);
    if (cid_len > 0) {
        memcpy(pair_st(&want)->client_id, cid, cid_len);
    }
    pair_st(&want)->client_id_len = cid_len;
    pair_st(&want)->state = pair_st(&p)->state;
    memcpy(pair_st(&want)->end_token, pair_st(&p)->end_token, WARD_DEV_END_TOKEN_LEN);
    assert_int_not_equal(pair_st(&p)->state, 0);
    assert_memory_equal(&p, &want, sizeof p);
    /* The device still holds the slot, waiting for PAKE_FINISH. */
    assert_int_equal(bindings_in_progress(e), 1);

    uint8_t token[WARD_DEV_END_TOKEN_LEN];
    memcpy(token, pair_st(&p)->end_token, sizeof token);
    assert_int_equal(ward_pair_end(&p, m, sizeof m, &n), WARD_OK);
    ward_hdr h;
    uint8_t expect[WARD_DEV_MSG_MAX];
    size_t en = 0;
    memset(&h, 0, sizeof h);
    h.version = WARD_PROTOCOL_VERSION;
    h.type = WARD_MSG_DEV_PAKE_END;
    h.client_id_len = (uint8_t)cid_len;
    if (cid_len > 0) {
        memcpy(h.client_id, cid, cid_len);
    }
    /* The bare header and the token's field: 0x01, 16 bytes. */
    h.body_len = WARD_TLV_SIZE(WARD_DEV_END_TOKEN_LEN);
    assert_int_equal(ward_hdr_encode(&h, expect, sizeof expect, &en), WARD_OK);
    expect[en++] = 0x01;
    expect[en++] = WARD_DEV_END_TOKEN_LEN;
    memcpy(expect + en, token, sizeof token);
    en += sizeof token;
    assert_int_equal(n, WARD_HDR_BASE_LEN + (cid_len > 0 ? 2 + cid_len : 0) +
                            WARD_TLV_SIZE(WARD_DEV_END_TOKEN_LEN));
    assert_int_equal(n, en);
    assert_memory_equal(m, expect, n);
    /* ward_pair_end wiped the rest. */
    memset(&want, 0, sizeof want);
    assert_memory_equal(&p, &want, sizeof p);

    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_pair_error_of(ans, an), WARD_OK);
    assert_int_equal(bindings_in_progress(e), 0);
    /* Both slots are free for others at once. */
    ward_pair q[WARD_DEV_MAX_BINDINGS];
    char tid[24], qcid[8];
    for (size_t i = 0; i < WARD_DEV_MAX_BINDINGS; i++) {
        snprintf(tid, sizeof tid, "10.0.0.3:%zu", 6000 + i);
        snprintf(qcid, sizeof qcid, "Q%zu", i);
        pin_step(e, &q[i], tid, qcid, pin);
        ward_pair_wipe(&q[i]);
    }
    /* Nothing left to end once p is wiped. */
    assert_int_equal(ward_pair_end(&p, m, sizeof m, &n), WARD_ERR_STATE);
    assert_int_equal(n, 0);
    assert_int_equal(ward_pair_end(&p, NULL, 0, NULL), WARD_OK);
    test_free(e);
}

static void test_pake_end_after_wrong_pin(void **state)
{
    (void)state;
    pake_end_after_wrong_pin(CID);
}

static void test_pake_end_after_wrong_pin_older_app(void **state)
{
    (void)state;
    pake_end_after_wrong_pin(NULL);
}

/* A refused PAKE_FINISH (confirmP altered on the way) ends the binding:
 * the data key is wiped, and PAKE_END can still be written. */
static void test_pake_end_after_refused_finish(void **state)
{
    (void)state;
    env *e = df_env_new();
    ward_pair p;
    ward_pair_device d;
    char pin[WARD_DEV_PIN_LEN + 1];
    uint8_t ans[WARD_DEV_MSG_MAX], m[WARD_DEV_MSG_MAX];
    size_t an = 0, n = 0;
    ward_dev_event ev;
    pin_step(e, &p, TID, CID, pin);
    assert_int_equal(init_step(e, &p, TID, pin, ans, &an), WARD_OK);
    assert_int_equal(ward_pair_on_pake_init(&p, ans, an, m, sizeof m, &n),
                     WARD_OK);
    m[n - 1] ^= 1;
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_ERR_AUTH);
    assert_int_equal(ward_pair_on_pake_finish(&p, ans, an, &d), WARD_ERR_AUTH);
    assert_false(ward_pair_waiting(&p));
    ward_pair want;
    memset(&want, 0, sizeof want);
    memcpy(pair_st(&want)->client_id, CID, strlen(CID));
    pair_st(&want)->client_id_len = strlen(CID);
    pair_st(&want)->state = pair_st(&p)->state;
    memcpy(pair_st(&want)->end_token, pair_st(&p)->end_token, WARD_DEV_END_TOKEN_LEN);
    assert_memory_equal(&p, &want, sizeof p);
    assert_int_equal(ward_pair_end(&p, m, sizeof m, &n), WARD_OK);
    assert_int_equal(n, WARD_HDR_BASE_LEN + 2 + strlen(CID) +
                            WARD_TLV_SIZE(WARD_DEV_END_TOKEN_LEN));
    assert_int_equal(m[1], WARD_MSG_DEV_PAKE_END);
    assert_int_equal(dev_in(e, TID, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(ward_dev_node_count(&e->dev), 0);
    test_free(e);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_refusals),
        cmocka_unit_test(test_open_refusals),
        cmocka_unit_test(test_reopen_after_no_answer),
        cmocka_unit_test(test_binding_refusals),
        cmocka_unit_test(test_pake_end_after_wrong_pin),
        cmocka_unit_test(test_pake_end_after_wrong_pin_older_app),
        cmocka_unit_test(test_pake_end_after_refused_finish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
