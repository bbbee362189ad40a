/* Flow D on the device: several apps binding and driving one device (WARD_TEST_PER_BACKEND WARD_TEST_CLIENT). */
#include "ward_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_device.h"
#include "ward/ward_pair.h"
#include "ward/ward_port_sim.h"
#include "proto/dev_app_inner.h"
#include "proto/dev_inner.h"

#include "device_fixture.h"


typedef df_env env;

typedef struct app {
    const char *tid;
    const char *cid;        /* NULL: an older app */
    const char *udidx;
    ward_pair p;
    ward_pair_device d;
    ward_pair_channel ch;
    char pin[WARD_DEV_PIN_LEN + 1];
    uint8_t msg[WARD_DEV_MSG_MAX];
    size_t len;
} app;


static void app_init(app *a, const char *tid, const char *cid,
                     const char *udidx)
{
    memset(a, 0, sizeof *a);
    a->tid = tid;
    a->cid = cid;
    a->udidx = udidx;
}

/* The device handles a's current message from a's address. */
static ward_err dev_in(env *e, const app *a, uint8_t kind, const char *tid,
                       const uint8_t *m, size_t n, uint8_t *out,
                       size_t *out_len, ward_dev_event *ev)
{
    (void)a;
    return ward_dev_handle(&e->dev, kind, (const uint8_t *)tid, strlen(tid),
                           m, n, out, WARD_DEV_MSG_MAX, out_len, ev);
}

static void step_pin(env *e, app *a)
{
    uint8_t ans[WARD_DEV_MSG_MAX];
    size_t n = 0;
    ward_dev_event ev;
    ward_dev_info info;
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_pair_start(&a->p, ward_test_cp, &rng,
                                     (const uint8_t *)a->udidx,
                                     strlen(a->udidx), (const uint8_t *)a->cid,
                                     a->cid ? strlen(a->cid) : 0,
                                     (const uint8_t *)"app", 3, a->msg,
                                     sizeof a->msg, &a->len), WARD_OK);
    assert_int_equal(dev_in(e, a, WARD_DEV_NEAR, a->tid, a->msg, a->len, ans,
                            &n, &ev), WARD_OK);
    assert_int_equal(ev.type, WARD_DEV_EV_SHOW_PIN);
    assert_int_equal(strlen(ev.pin), WARD_DEV_PIN_LEN);
    memcpy(a->pin, ev.pin, sizeof a->pin);
    assert_int_equal(ward_pair_on_pin(&a->p, ans, n, &info), WARD_OK);
    assert_string_equal(info.id, "LAMP-0001");
    assert_string_equal(info.name, "Desk lamp");
}

/* PAKE_INIT out, the device's answer back into a->msg. */
static ward_err step_init(env *e, app *a, const char *pin)
{
    uint8_t m[WARD_DEV_MSG_MAX];
    size_t n = 0;
    ward_dev_event ev;
    assert_int_equal(ward_pair_pake_init(&a->p, (const uint8_t *)pin,
                                         strlen(pin), m, sizeof m, &n),
                     WARD_OK);
    return dev_in(e, a, WARD_DEV_NEAR, a->tid, m, n, a->msg, &a->len, &ev);
}

static ward_err step_finish(env *e, app *a)
{
    uint8_t m[WARD_DEV_MSG_MAX];
    size_t n = 0;
    ward_dev_event ev;
    ward_err err = ward_pair_on_pake_init(&a->p, a->msg, a->len, m, sizeof m,
                                          &n);
    if (err != WARD_OK) {
        return err;
    }
    err = dev_in(e, a, WARD_DEV_NEAR, a->tid, m, n, a->msg, &a->len, &ev);
    if (err != WARD_OK) {
        return err;
    }
    assert_int_equal(ev.type, WARD_DEV_EV_BOUND);
    err = ward_pair_on_pake_finish(&a->p, a->msg, a->len, &a->d);
    if (err == WARD_OK) {
        assert_int_equal(a->d.key_index, ev.key_index);
    }
    return err;
}

static void bind(env *e, app *a)
{
    step_pin(e, a);
    assert_int_equal(step_init(e, a, a->pin), WARD_OK);
    assert_int_equal(step_finish(e, a), WARD_OK);
}

static ward_err open_chan(env *e, app *a, uint8_t kind, const char *tid,
                          uint32_t id)
{
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_pair_channel_open(&a->d, ward_test_cp, &rng, id,
                                            &a->ch, m, sizeof m, &n), WARD_OK);
    ward_err err = dev_in(e, a, kind, tid, m, n, ans, &an, &ev);
    if (err != WARD_OK) {
        return err;
    }
    assert_int_equal(ev.type, WARD_DEV_EV_CHANNEL_OPENED);
    assert_int_equal(ev.channel_id, id);
    return ward_pair_on_channel_open(&a->d, ward_test_cp, &a->ch, ans, an);
}

/* A command over kind/tid, the device echoes it upper-cased back. */
static ward_err command(env *e, app *a, uint8_t kind, const char *tid,
                        const char *cmd)
{
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX], data[64];
    size_t n = 0, an = 0, dn = 0;
    bool is_reply = false;
    ward_dev_event ev;
    assert_int_equal(ward_pair_command(&a->d, ward_test_cp, &a->ch,
                                       (const uint8_t *)cmd, strlen(cmd), m,
                                       sizeof m, &n), WARD_OK);
    memcpy(a->msg, m, n);
    a->len = n;
    ward_err err = dev_in(e, a, kind, tid, m, n, ans, &an, &ev);
    if (err != WARD_OK) {
        return err;
    }
    assert_int_equal(an, 0);
    assert_int_equal(ev.type, WARD_DEV_EV_COMMAND);
    assert_memory_equal(ev.data, cmd, strlen(cmd));
    assert_int_equal(ev.data_len, strlen(cmd));
    for (size_t i = 0; i < ev.data_len; i++) {
        ev.data[i] = (uint8_t)(ev.data[i] >= 'a' && ev.data[i] <= 'z'
                                   ? ev.data[i] - 32 : ev.data[i]);
    }
    assert_int_equal(ward_dev_reply(&e->dev, ev.key_index, ev.channel_id,
                                    ev.data, ev.data_len, ans, sizeof ans,
                                    &an), WARD_OK);
    err = ward_pair_on_reply(&a->d, ward_test_cp, &a->ch, ans, an, data,
                             sizeof data, &dn, &is_reply);
    if (err == WARD_OK) {
        assert_true(is_reply);
        assert_int_equal(dn, strlen(cmd));
    }
    return err;
}

static ward_err error_code(const uint8_t *m, size_t n)
{
    return ward_pair_error_of(m, n);
}

/* Failed PIN attempts the open window still allows (0 when closed). */
static unsigned attempts_left(env *e)
{
    ward_dev_window w;
    assert_int_equal(ward_dev_window_state(&e->dev, &w), WARD_OK);
    return w.attempts_left;
}

static bool window_open(env *e)
{
    ward_dev_window w;
    assert_int_equal(ward_dev_window_state(&e->dev, &w), WARD_OK);
    return w.open;
}

/* Two apps, one phone (same IP, different ports and CliIDs), binding
 * interleaved message by message. */
static void interleaved(const char *ua, const char *ub)
{
    env *e = df_env_new();
    app a, b;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", ua);
    app_init(&b, "10.0.0.2:5001", "CLI-LAMP", ub);
    step_pin(e, &a);
    step_pin(e, &b);
    /* One window, one PIN for both; each binding has its own salt, so
     * their keys differ all the same (checked below). */
    assert_string_equal(a.pin, e->pin);
    assert_string_equal(b.pin, e->pin);
    assert_int_equal(step_init(e, &a, a.pin), WARD_OK);
    assert_int_equal(step_init(e, &b, b.pin), WARD_OK);
    assert_int_equal(step_finish(e, &b), WARD_OK);
    assert_int_equal(step_finish(e, &a), WARD_OK);
    assert_int_not_equal(a.d.key_index, b.d.key_index);
    assert_memory_not_equal(a.d.data_key, b.d.data_key, WARD_DEV_DATA_KEY_LEN);
    assert_int_equal(ward_dev_node_count(&e->dev), 2);

    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 7), WARD_OK);
    assert_int_equal(open_chan(e, &b, WARD_DEV_NEAR, b.tid, 7), WARD_OK);
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "on"), WARD_OK);
    assert_int_equal(command(e, &b, WARD_DEV_NEAR, b.tid, "dim 3"), WARD_OK);

    /* b drives a's channel: a's key index and CliID, b's keys. */
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX], data[64];
    size_t n = 0, an = 0, dn = 0;
    ward_dev_event ev;
    ward_pair_device forged = b.d;
    ward_pair_channel fch = b.ch;
    forged.key_index = a.d.key_index;
    memcpy(forged.client_id, a.d.client_id, a.d.client_id_len);
    forged.client_id_len = a.d.client_id_len;
    pchan_st(&fch)->chan.tx_seq = 100;
    assert_int_equal(ward_pair_command(&forged, ward_test_cp, &fch,
                                       (const uint8_t *)"off", 3, m, sizeof m,
                                       &n), WARD_OK);
    assert_int_equal(dev_in(e, &b, WARD_DEV_NEAR, b.tid, m, n, ans, &an, &ev),
                     WARD_ERR_AUTH);
    assert_int_equal(an, 0);
    assert_int_equal(ev.type, WARD_DEV_EV_NONE);
    /* b cannot read a's replies. */
    assert_int_equal(ward_dev_notify(&e->dev, a.d.key_index, 7,
                                     (const uint8_t *)"secret", 6, ans,
                                     sizeof ans, &an), WARD_OK);
    assert_int_equal(ward_pair_on_reply(&forged, ward_test_cp, &fch, ans, an,
                                        data, sizeof data, &dn, NULL),
                     WARD_ERR_AUTH);
    bool is_reply = true;
    assert_int_equal(ward_pair_on_reply(&a.d, ward_test_cp, &a.ch, ans, an,
                                        data, sizeof data, &dn, &is_reply),
                     WARD_OK);
    assert_false(is_reply);
    assert_memory_equal(data, "secret", 6);
    test_free(e);
}

static void test_two_apps_interleaved(void **state)
{
    (void)state;
    interleaved("PHONE-1.pid100", "PHONE-1.pid200");
}

static void test_same_udidx_split_by_cliid(void **state)
{
    (void)state;
    interleaved("PHONE-1", "PHONE-1");
}

static void test_older_app_without_cliid(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a, b;
    app_init(&a, "10.0.0.3:6000", NULL, "OLD-PHONE");
    app_init(&b, "10.0.0.3:6001", "CLI-NEW", "OLD-PHONE");
    step_pin(e, &a);
    step_pin(e, &b);
    assert_int_equal(step_init(e, &a, a.pin), WARD_OK);
    assert_int_equal(step_init(e, &b, b.pin), WARD_OK);
    assert_int_equal(step_finish(e, &a), WARD_OK);
    assert_int_equal(step_finish(e, &b), WARD_OK);
    assert_int_equal(a.d.client_id_len, 0);
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 1), WARD_OK);
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "on"), WARD_OK);
    /* The CliID is part of the node's name: a's index with b's CliID is
     * nobody. */
    ward_pair_device x = a.d;
    memcpy(x.client_id, "CLI-NEW", 7);
    x.client_id_len = 7;
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    ward_pair_channel c;
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_pair_channel_open(&x, ward_test_cp, &rng, 1, &c, m,
                                            sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, &b, WARD_DEV_NEAR, b.tid, m, n, ans, &an, &ev),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(an, 0);   /* nobody: no answer, as for a bad tag */
    test_free(e);
}

static ward_err stranger(env *e, const char *tid, const char *cid, bool end);

static void test_wrong_pin_counted(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    step_pin(e, &a);
    char wrong[16];
    snprintf(wrong, sizeof wrong, "%06d", (atoi(a.pin) + 1) % 1000000);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS);
    assert_int_equal(step_init(e, &a, wrong), WARD_OK);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 1);
    /* The app sees the wrong PIN in confirmV. */
    uint8_t m[WARD_DEV_MSG_MAX];
    size_t n = 0;
    assert_int_equal(ward_pair_on_pake_init(&a.p, a.msg, a.len, m, sizeof m,
                                            &n), WARD_ERR_AUTH);
    /* Its binding is in its PAKE: a PIN_REQUEST from it (anyone can
     * forge one) does not replace it. */
    assert_int_equal(stranger(e, a.tid, a.cid, false), WARD_ERR_STATE);
    /* After PAKE_END (ward_pair_end, which `ward app pair` sends on a
     * wrong PIN) the same app asking again starts afresh; the wrong PIN
     * stays counted. */
    uint8_t ans[WARD_DEV_MSG_MAX];
    size_t an = 0;
    ward_dev_event ev;
    assert_int_equal(ward_pair_end(&a.p, m, sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 1);
    app a2 = a;
    step_pin(e, &a2);
    assert_int_equal(step_init(e, &a2, a2.pin), WARD_OK);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 2);
    /* One PAKE per PIN: a second PAKE_INIT on it is refused. */
    ward_pair again = a2.p;
    pair_st(&again)->state = 2;
    assert_int_equal(ward_pair_pake_init(&again, (const uint8_t *)a2.pin, 6, m,
                                         sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, &a2, WARD_DEV_NEAR, a2.tid, m, n, ans, &an,
                            &ev), WARD_ERR_STATE);
    assert_int_equal(error_code(ans, an), WARD_ERR_STATE);
    ward_pair_wipe(&again);
    assert_int_equal(step_finish(e, &a2), WARD_OK);
    /* A success gives its own attempt back; the failure stays. */
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 1);
    test_free(e);
}

static void test_forged_finish_auth(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    step_pin(e, &a);
    assert_int_equal(step_init(e, &a, a.pin), WARD_OK);
    assert_int_equal(ward_pair_on_pake_init(&a.p, a.msg, a.len, m, sizeof m,
                                            &n), WARD_OK);
    /* Flip a bit of confirmP (the whole body, after a bare header). */
    assert_int_equal(n, WARD_HDR_BASE_LEN + WARD_SPAKE2P_CONFIRM_LEN);
    m[WARD_HDR_BASE_LEN + 11] ^= 1;
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_ERR_AUTH);
    assert_int_equal(error_code(ans, an), WARD_ERR_AUTH);
    assert_int_equal(ward_dev_node_count(&e->dev), 0);
    /* The binding is over: the genuine message finds nothing now. */
    m[WARD_HDR_BASE_LEN + 11] ^= 1;
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_ERR_NOTFOUND);
    /* The app hears the refusal in place of the acknowledgement. */
    ward_pair_device d;
    assert_int_equal(ward_pair_on_pake_finish(&a.p, ans, an, &d),
                     WARD_ERR_NOTFOUND);
    test_free(e);
}

/* The wire: compressed shares, no CliID from the device, PAKE_FINISH
 * named by its key index, nothing stored before confirmP verifies. */
static void test_pake_wire(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0, hlen = 0;
    ward_dev_event ev;
    ward_hdr h;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    step_pin(e, &a);
    assert_int_equal(ward_pair_pake_init(&a.p, (const uint8_t *)a.pin, 6, m,
                                         sizeof m, &n), WARD_OK);
    assert_int_equal(n, WARD_HDR_BASE_LEN + 2 + 7 + WARD_P256_COMPRESSED_LEN);
    assert_true(m[n - 33] == 0x02 || m[n - 33] == 0x03);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, a.msg, &a.len,
                            &ev), WARD_OK);
    assert_int_equal(ward_hdr_decode(a.msg, a.len, &h, &hlen), WARD_OK);
    assert_int_equal(h.client_id_len, 0);
    assert_int_equal(hlen, WARD_HDR_BASE_LEN);
    assert_int_equal(h.flags, WARD_FLAG_REPLY | WARD_FLAG_SEALED);
    assert_int_not_equal(h.key_index, 0);
    /* shareV, confirmV, then "Desk lamp" and "lamp" sealed. */
    assert_int_equal(h.body_len, 33 + 32 + (2 + 9 + 2 + 4) + 16);
    assert_true(a.msg[hlen] == 0x02 || a.msg[hlen] == 0x03);
    /* Nothing is stored at this point. */
    assert_int_equal(ward_dev_node_count(&e->dev), 0);
    assert_int_equal(ward_pair_on_pake_init(&a.p, a.msg, a.len, m, sizeof m,
                                            &n), WARD_OK);
    assert_int_equal(n, WARD_HDR_BASE_LEN + WARD_SPAKE2P_CONFIRM_LEN);
    assert_int_equal(ward_hdr_decode(m, n, &h, &hlen), WARD_OK);
    assert_int_equal(h.client_id_len, 0);
    /* Another key index names no binding. */
    uint8_t ki = m[3];
    assert_int_equal(h.key_index, ki);
    m[3] = (uint8_t)(ki + 1);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_ERR_NOTFOUND);
    m[3] = ki;
    /* Nor does the right index from another address. */
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, "10.0.0.2:5001", m, n, ans,
                            &an, &ev), WARD_ERR_NOTFOUND);
    assert_int_equal(ward_dev_node_count(&e->dev), 0);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_OK);
    assert_int_equal(ev.type, WARD_DEV_EV_BOUND);
    assert_int_equal(ev.key_index, ki);
    assert_int_equal(ward_dev_node_count(&e->dev), 1);
    /* The acknowledgement: a bare header. */
    assert_int_equal(an, WARD_HDR_BASE_LEN);
    assert_int_equal(ward_pair_on_pake_finish(&a.p, ans, an, &a.d), WARD_OK);
    assert_int_equal(a.d.key_index, ki);
    assert_string_equal(a.d.name, "Desk lamp");
    assert_string_equal(a.d.type, "lamp");
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 1), WARD_OK);

    /* A transport without answers: in_len 0 is enough. */
    app b;
    app_init(&b, "10.0.0.2:5002", "CLI-B", "PHONE-1");
    step_pin(e, &b);
    assert_int_equal(step_init(e, &b, b.pin), WARD_OK);
    assert_int_equal(ward_pair_on_pake_init(&b.p, b.msg, b.len, m, sizeof m,
                                            &n), WARD_OK);
    assert_int_equal(dev_in(e, &b, WARD_DEV_NEAR, b.tid, m, n, ans, &an, &ev),
                     WARD_OK);
    assert_int_equal(ward_pair_on_pake_finish(&b.p, NULL, 0, &b.d), WARD_OK);
    assert_int_not_equal(b.d.key_index, a.d.key_index);
    assert_int_equal(open_chan(e, &b, WARD_DEV_NEAR, b.tid, 1), WARD_OK);
    test_free(e);
}

/* Without confirmP nothing is stored; a shareP that is no point costs
 * no attempt. */
static void test_pake_no_confirm(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    step_pin(e, &a);
    assert_int_equal(ward_pair_pake_init(&a.p, (const uint8_t *)a.pin, 6, m,
                                         sizeof m, &n), WARD_OK);
    m[n - 33] = 0x04;
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_ERR_FORMAT);
    memset(m + n - 32, 0xFF, 32);   /* x >= p */
    m[n - 33] = 0x02;
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_ERR_FORMAT);
    assert_int_equal(error_code(ans, an), WARD_ERR_FORMAT);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS);
    /* The genuine one still works, the answer comes back, and the app
     * never confirms. */
    ward_pair_wipe(&a.p);
    step_pin(e, &a);
    assert_int_equal(step_init(e, &a, a.pin), WARD_OK);
    assert_int_equal(ward_dev_node_count(&e->dev), 0);
    e->now += WARD_DEV_PAKE_TTL_MS + 1;
    assert_int_equal(ward_pair_on_pake_init(&a.p, a.msg, a.len, m, sizeof m,
                                            &n), WARD_OK);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_ERR_EXPIRED);
    assert_int_equal(ward_dev_node_count(&e->dev), 0);
    df_reboot(e);
    assert_int_equal(ward_dev_node_count(&e->dev), 0);
    test_free(e);
}

/* The PAKE_INIT answer altered on the way, or an app name altered on the
 * way to the device: the app refuses and never sends confirmP. */
static void test_pake_answer_tampered(void **state)
{
    (void)state;
    env *e = df_env_new();
    uint8_t m[WARD_DEV_MSG_MAX];
    size_t n = 0;
    /* Each byte region: shareV, confirmV, key index, sealed part, tag. */
    const size_t at[] = { 3, WARD_HDR_BASE_LEN + 5, WARD_HDR_BASE_LEN + 40,
                          WARD_HDR_BASE_LEN + 70, 0 };
    char tid[24];
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        app a;
        df_window(e);   /* each round spends an attempt: a fresh window */
        snprintf(tid, sizeof tid, "10.0.0.2:%zu", 5000 + i);
        app_init(&a, tid, "CLI-EDU", "PHONE-1");
        step_pin(e, &a);
        assert_int_equal(step_init(e, &a, a.pin), WARD_OK);
        size_t off = at[i] != 0 ? at[i] : a.len - 1;
        a.msg[off] ^= 0x80;
        ward_err err = ward_pair_on_pake_init(&a.p, a.msg, a.len, m, sizeof m,
                                              &n);
        /* A flipped x may be on no point: FORMAT; else AUTH. */
        assert_true(err == WARD_ERR_AUTH ||
                    (off == WARD_HDR_BASE_LEN + 5 && err == WARD_ERR_FORMAT));
        assert_int_equal(n, 0);
        /* The binding on the app's side is over. */
        assert_int_equal(ward_pair_on_pake_init(&a.p, a.msg, a.len, m,
                                                sizeof m, &n), WARD_ERR_STATE);
    }
    assert_int_equal(ward_dev_node_count(&e->dev), 0);

    /* "app" became "apq" on the way to the device. */
    app b;
    ward_dev_event ev;
    uint8_t ans[WARD_DEV_MSG_MAX];
    size_t an = 0;
    app_init(&b, "10.0.0.3:5000", "CLI-B", "PHONE-2");
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_pair_start(&b.p, ward_test_cp, &rng,
                                     (const uint8_t *)"PHONE-2", 7,
                                     (const uint8_t *)"CLI-B", 5,
                                     (const uint8_t *)"app", 3, b.msg,
                                     sizeof b.msg, &b.len), WARD_OK);
    /* The name's field, then the PAKE_END commitment (0x03, 16 bytes). */
    const size_t commit_field = WARD_TLV_SIZE(WARD_DEV_END_TOKEN_LEN);
    assert_memory_equal(b.msg + b.len - commit_field - 3, "app", 3);
    b.msg[b.len - commit_field - 1] = 'q';
    df_window(e);   /* free the slots used above */
    assert_int_equal(dev_in(e, &b, WARD_DEV_NEAR, b.tid, b.msg, b.len, ans,
                            &an, &ev), WARD_OK);
    memcpy(b.pin, ev.pin, sizeof b.pin);
    assert_int_equal(ward_pair_on_pin(&b.p, ans, an, NULL), WARD_OK);
    assert_int_equal(step_init(e, &b, b.pin), WARD_OK);
    assert_int_equal(ward_pair_on_pake_init(&b.p, b.msg, b.len, m, sizeof m,
                                            &n), WARD_ERR_AUTH);
    assert_int_equal(ward_dev_node_count(&e->dev), 0);
    test_free(e);
}

/* A stranger who never saw the PIN: PIN_REQUEST, then PAKE_INIT with a
 * wrong PIN, from tid as cid; the device's code for the first refused
 * step (WARD_OK: it answered PAKE_INIT, one attempt spent). With end, it
 * also gives up (PAKE_END), as an app does after a wrong PIN. */
static ward_err stranger(env *e, const char *tid, const char *cid, bool end)
{
    app s;
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    ward_random rng = ward_test_rng();
    char wrong[16];
    app_init(&s, tid, cid, "EVIL");
    assert_int_equal(ward_pair_start(&s.p, ward_test_cp, &rng,
                                     (const uint8_t *)"EVIL", 4,
                                     (const uint8_t *)cid, strlen(cid),
                                     (const uint8_t *)"app", 3, m, sizeof m,
                                     &n), WARD_OK);
    ward_err err = dev_in(e, &s, WARD_DEV_NEAR, tid, m, n, ans, &an, &ev);
    if (err != WARD_OK) {
        assert_int_equal(error_code(ans, an), err);
        assert_int_equal(ev.type, WARD_DEV_EV_NONE);
        ward_pair_wipe(&s.p);
        return err;
    }
    assert_int_equal(ward_pair_on_pin(&s.p, ans, an, NULL), WARD_OK);
    snprintf(wrong, sizeof wrong, "%06d", (atoi(e->pin) + 1) % 1000000);
    err = step_init(e, &s, wrong);
    if (err == WARD_OK && end) {
        assert_int_equal(ward_pair_on_pake_init(&s.p, s.msg, s.len, m,
                                                sizeof m, &n), WARD_ERR_AUTH);
        assert_int_equal(ward_pair_end(&s.p, m, sizeof m, &n), WARD_OK);
        assert_int_equal(dev_in(e, &s, WARD_DEV_NEAR, tid, m, n, ans, &an,
                                &ev), WARD_OK);
    }
    ward_pair_wipe(&s.p);
    return err;
}

/* A binding in its PAKE is never replaced: a PIN_REQUEST forged with
 * the app's transport id and CliID (both travel in clear) is STATE, and
 * the app finishes. Before, it replaced the binding: the app's
 * PAKE_FINISH found none, its attempt stayed counted, and a stranger
 * repeating it could spend the window under the app. */
static void test_pake_not_evicted_by_pin_request(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    step_pin(e, &a);
    assert_int_equal(step_init(e, &a, a.pin), WARD_OK);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(stranger(e, a.tid, a.cid, false), WARD_ERR_STATE);
    }
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 1);
    assert_int_equal(step_finish(e, &a), WARD_OK);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS);
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 1), WARD_OK);
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "on"), WARD_OK);
    /* Once its PAKE is over (here: overdue), the same (transport id,
     * CliID) may ask again. */
    app b;
    app_init(&b, "10.0.0.2:5001", "CLI-LAMP", "PHONE-2");
    step_pin(e, &b);
    assert_int_equal(step_init(e, &b, b.pin), WARD_OK);
    assert_int_equal(stranger(e, b.tid, b.cid, false), WARD_ERR_STATE);
    e->now += WARD_DEV_PAKE_TTL_MS + 1;
    ward_pair_wipe(&b.p);
    bind(e, &b);
    test_free(e);
}

/* Finding 9: a stranger without the PIN spends a window's attempts; the
 * device then refuses to bind, but only until the next local action:
 * the new window lets the genuine app bind at once. */
static void test_window_stranger_cannot_lock_out(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    for (unsigned i = 0; i < WARD_DEV_PIN_MAX_ATTEMPTS; i++) {
        /* It waits for its last PAKE to expire: its own PIN_REQUEST
         * cannot replace a binding in its PAKE. */
        if (i > 0) {
            e->now += WARD_DEV_PAKE_TTL_MS + 1;
        }
        assert_int_equal(stranger(e, "10.6.6.6:1", "EVIL", false), WARD_OK);
    }
    /* Spent: the last binding may still finish (its PIN could be right),
     * so the window waits for it, but takes no new binding. */
    assert_true(window_open(e));
    assert_int_equal(attempts_left(e), 0);
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    assert_int_equal(stranger(e, a.tid, "CLI-EDU", false), WARD_ERR_LOCKED);
    /* It never finishes: the window closes when its PAKE is overdue. */
    e->now += WARD_DEV_PAKE_TTL_MS + 1;
    assert_false(window_open(e));
    assert_int_equal(stranger(e, a.tid, "CLI-EDU", false), WARD_ERR_LOCKED);
    /* No lock-out beyond the window: the button, and the genuine app
     * binds at once, with the new window's PIN. */
    df_window(e);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS);
    bind(e, &a);
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 1), WARD_OK);
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "on"), WARD_OK);
    /* A stranger who gives up after each try (PAKE_END) closes the window
     * at its last failure. */
    df_window(e);
    for (unsigned i = 0; i < WARD_DEV_PIN_MAX_ATTEMPTS; i++) {
        assert_true(window_open(e));
        assert_int_equal(stranger(e, "10.6.6.6:2", "EVIL", true), WARD_OK);
    }
    assert_false(window_open(e));
    df_window(e);
    app b;
    app_init(&b, "10.0.0.2:5001", "CLI-LAMP", "PHONE-1");
    bind(e, &b);
    test_free(e);
}

/* At most WARD_DEV_PIN_MAX_ATTEMPTS PAKE_INIT answers a window gives to
 * guessers, however many addresses they use; a genuine binding in
 * flight at the cap still finishes, and its success gives its attempt
 * back. */
static void test_window_attempts_per_window(void **state)
{
    (void)state;
    env *e = df_env_new();
    char tid[24];
    unsigned answered = 0, locked = 0;
    for (unsigned i = 0; i < WARD_DEV_PIN_MAX_ATTEMPTS + 5; i++) {
        snprintf(tid, sizeof tid, "10.6.6.%u:7", i);
        ward_err err = stranger(e, tid, "EVIL", true);
        answered += err == WARD_OK;
        locked += err == WARD_ERR_LOCKED;
    }
    assert_int_equal(answered, WARD_DEV_PIN_MAX_ATTEMPTS);
    assert_int_equal(locked, 5);

    df_window(e);
    for (unsigned i = 0; i + 1 < WARD_DEV_PIN_MAX_ATTEMPTS; i++) {
        snprintf(tid, sizeof tid, "10.6.6.%u:8", i);
        assert_int_equal(stranger(e, tid, "EVIL", true), WARD_OK);
    }
    app a;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    step_pin(e, &a);
    assert_int_equal(step_init(e, &a, a.pin), WARD_OK);   /* the last one */
    assert_int_equal(attempts_left(e), 0);
    assert_int_equal(stranger(e, "10.6.6.9:9", "EVIL", true), WARD_ERR_LOCKED);
    assert_int_equal(step_finish(e, &a), WARD_OK);
    assert_int_equal(attempts_left(e), 1);
    assert_int_equal(stranger(e, "10.6.6.9:9", "EVIL", true), WARD_OK);
    assert_false(window_open(e));
    test_free(e);
}

/* A failed binding frees its slot at once: a wrong confirmP, PAKE_END. */
static void test_window_failure_frees_slot(void **state)
{
    (void)state;
    env *e = df_env_new();
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    app s[2], a, b;
    char wrong[16];
    snprintf(wrong, sizeof wrong, "%06d", (atoi(e->pin) + 1) % 1000000);
    app_init(&s[0], "10.6.6.6:1", "EVIL-1", "EVIL");
    app_init(&s[1], "10.6.6.6:2", "EVIL-2", "EVIL");
    for (int i = 0; i < 2; i++) {
        step_pin(e, &s[i]);
        assert_int_equal(step_init(e, &s[i], wrong), WARD_OK);
    }
    /* Both slots in a PAKE. */
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    assert_int_equal(stranger(e, a.tid, "CLI-EDU", false), WARD_ERR_BUSY);
    /* A confirmP that does not verify: refused, and the slot is free. */
    uint8_t fin[WARD_HDR_BASE_LEN + WARD_SPAKE2P_CONFIRM_LEN];
    memset(fin, 0x5A, sizeof fin);
    fin[0] = 1;
    fin[1] = WARD_MSG_DEV_PAKE_FINISH;
    fin[2] = 0;
    fin[3] = s[0].msg[3];              /* the key index it was given */
    memset(fin + 4, 0, 4);
    fin[8] = 0;
    fin[9] = WARD_SPAKE2P_CONFIRM_LEN;
    fin[10] = 0;
    assert_int_equal(dev_in(e, &s[0], WARD_DEV_NEAR, s[0].tid, fin,
                            sizeof fin, ans, &an, &ev), WARD_ERR_AUTH);
    assert_int_equal(error_code(ans, an), WARD_ERR_AUTH);
    bind(e, &a);
    /* PAKE_END frees a slot too. */
    ward_pair_wipe(&s[0].p);
    step_pin(e, &s[0]);
    assert_int_equal(step_init(e, &s[0], wrong), WARD_OK);
    app_init(&b, "10.0.0.2:5001", "CLI-LAMP", "PHONE-1");
    assert_int_equal(stranger(e, b.tid, "CLI-LAMP", false), WARD_ERR_BUSY);
    assert_int_equal(ward_pair_end(&s[1].p, m, sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, &s[1], WARD_DEV_NEAR, s[1].tid, m, n, ans, &an,
                            &ev), WARD_OK);
    bind(e, &b);
    test_free(e);
}

/* Binding outside a window: refused (LOCKED) and answered, whatever the
 * step; the window ends with its time (or a clock that went back). */
static void test_window_outside_refused(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    char pin[WARD_DEV_PIN_LEN + 1];
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    step_pin(e, &a);
    assert_int_equal(ward_dev_close_window(&e->dev), WARD_OK);
    assert_false(window_open(e));
    assert_int_equal(step_init(e, &a, a.pin), WARD_ERR_LOCKED);
    assert_int_equal(error_code(a.msg, a.len), WARD_ERR_LOCKED);
    assert_int_equal(stranger(e, a.tid, "CLI-EDU", false), WARD_ERR_LOCKED);
    df_reboot(e);
    assert_false(window_open(e));
    assert_int_equal(stranger(e, a.tid, "CLI-EDU", false), WARD_ERR_LOCKED);
    /* Time: the PIN dies with its window, and so does the binding in
     * progress. */
    df_window(e);
    ward_pair_wipe(&a.p);
    step_pin(e, &a);
    e->now += WARD_DEV_WINDOW_MS - 1;
    assert_true(window_open(e));
    e->now += 1;
    assert_int_equal(step_init(e, &a, a.pin), WARD_ERR_LOCKED);
    ward_dev_window w;
    assert_int_equal(ward_dev_window_state(&e->dev, &w), WARD_OK);
    assert_false(w.open);
    assert_int_equal(w.pin[0], '\0');
    assert_int_equal(dev_st(&e->dev)->bind[0].stage, 0);
    /* A PAKE_FINISH in flight when the window ends is refused too. */
    df_window(e);
    ward_pair_wipe(&a.p);
    step_pin(e, &a);
    assert_int_equal(step_init(e, &a, a.pin), WARD_OK);
    assert_int_equal(ward_pair_on_pake_init(&a.p, a.msg, a.len, m, sizeof m,
                                            &n), WARD_OK);
    e->now += WARD_DEV_WINDOW_MS;
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_ERR_LOCKED);
    assert_int_equal(ward_dev_node_count(&e->dev), 0);
    /* A clock that went back closes it. */
    df_window(e);
    e->now -= 1;
    assert_false(window_open(e));
    e->now += 1;
    /* No window before the device has an identity. */
    env *f = df_env_blank();
    assert_int_equal(ward_dev_open_window(&f->dev, pin), WARD_ERR_STATE);
    assert_int_equal(pin[0], '\0');
    test_free(f);
    test_free(e);
}

/* The window and its count live in the store: a power cut buys no
 * attempt, not even one cut between the count and the answer. */
static void test_window_power_cut(void **state)
{
    (void)state;
    env *e = df_env_new();
    char pin[WARD_DEV_PIN_LEN + 1];
    memcpy(pin, e->pin, sizeof pin);
    assert_int_equal(stranger(e, "10.6.6.6:1", "EVIL", true), WARD_OK);
    assert_int_equal(stranger(e, "10.6.6.6:1", "EVIL", false), WARD_OK);
    /* Power fails with that binding in its PAKE: counted all the same. */
    df_reboot(e);
    ward_dev_window w;
    assert_int_equal(ward_dev_window_state(&e->dev, &w), WARD_OK);
    assert_true(w.open);
    assert_string_equal(w.pin, pin);
    assert_int_equal(w.attempts_left, WARD_DEV_PIN_MAX_ATTEMPTS - 2);
    /* Cut power at every point of the count's store write: an answer
     * never goes out without its attempt stored. */
    unsigned before = attempts_left(e);
    bool answered = false;
    for (uint64_t cut = 0; !answered && cut < 4 * DF_BANK;
         cut += cut < DF_BANK ? 64u : 1u) {
        app s;
        app_init(&s, "10.6.6.6:3", "EVIL", "EVIL");
        step_pin(e, &s);
        ward_sim_flash_cut_after(&e->sf, cut);
        ward_err err = step_init(e, &s, "000000");
        answered = err == WARD_OK;
        /* Refused steps are answered, with their code (here IO). */
        assert_true(s.len > 0);
        assert_true(answered == (error_code(s.msg, s.len) == WARD_OK));
        ward_sim_flash_power_on(&e->sf);
        df_reboot(e);
        unsigned after = attempts_left(e);
        assert_true(after == before || after + 1 == before);
        if (answered) {
            assert_int_equal(after + 1, before);
        }
        before = after;
        ward_pair_wipe(&s.p);
    }
    assert_true(answered);
    /* Every restart in between: still no more answers than the cap. */
    unsigned more = 0;
    while (stranger(e, "10.6.6.6:4", "EVIL", false) == WARD_OK) {
        more++;
        df_reboot(e);
    }
    assert_int_equal(more, before);
    test_free(e);
}

/* Issue 14's debt, item 2: PIN_REQUESTs of strangers against a genuine
 * app waiting for PAKE_INIT (its person types the PIN). One forged with
 * the app's transport id and CliID (both in clear) but other fields is
 * STATE and changes nothing; the app's own PIN_REQUEST sent again gets
 * the same answer (same salt). Before, either replaced the binding with
 * a fresh salt, and the app's PAKE failed as a wrong PIN. */
static void test_pin_request_forged_keeps_binding(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    uint8_t first[WARD_DEV_MSG_MAX], again[WARD_DEV_MSG_MAX];
    size_t n1 = 0, n2 = 0;
    ward_dev_event ev;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    step_pin(e, &a);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, a.msg, a.len, first,
                            &n1, &ev), WARD_OK);
    assert_int_equal(stranger(e, a.tid, a.cid, false), WARD_ERR_STATE);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, a.msg, a.len, again,
                            &n2, &ev), WARD_OK);
    assert_int_equal(ev.type, WARD_DEV_EV_SHOW_PIN);
    assert_int_equal(n1, n2);
    assert_memory_equal(first, again, n1);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS);
    assert_int_equal(step_init(e, &a, a.pin), WARD_OK);
    assert_int_equal(step_finish(e, &a), WARD_OK);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS);
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 1), WARD_OK);
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "on"), WARD_OK);
    test_free(e);
}

/* A PAKE_END from tid naming CliID cid, with body (TLV fields, may be
 * empty), as anyone on the path can write one: what the device says. */
static ward_err forged_end(env *e, const char *tid, const char *cid,
                           const uint8_t *body, size_t body_len)
{
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    ward_hdr h;
    app s;
    app_init(&s, tid, cid, "EVIL");
    memset(&h, 0, sizeof h);
    h.version = WARD_PROTOCOL_VERSION;
    h.type = WARD_MSG_DEV_PAKE_END;
    h.client_id_len = (uint8_t)strlen(cid);
    memcpy(h.client_id, cid, strlen(cid));
    h.body_len = (uint16_t)body_len;
    assert_int_equal(ward_hdr_encode(&h, m, sizeof m, &n), WARD_OK);
    if (body_len > 0) {
        memcpy(m + n, body, body_len);
    }
    ward_err err = dev_in(e, &s, WARD_DEV_NEAR, tid, m, n + body_len, ans, &an, &ev);
    assert_true(an > 0);
    assert_int_equal(error_code(ans, an), err);
    return err;
}

/* Issue 14's debt, item 1: PAKE_END names its binding by transport id
 * and CliID, both in clear. A stranger's PAKE_END (no token, or a wrong
 * one) is AUTH and the binding goes on, waiting for PAKE_INIT or in its
 * PAKE, so the app binds; only the app's own token ends it. Before, any
 * PAKE_END ended the binding: the app's PAKE_INIT or PAKE_FINISH found
 * nothing (NOTFOUND), its attempt spent. */
static void test_pake_end_needs_token(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a, b;
    uint8_t wrong[WARD_TLV_SIZE(WARD_DEV_END_TOKEN_LEN)];
    memset(wrong, 0x5A, sizeof wrong);
    wrong[0] = 0x01;
    wrong[1] = WARD_DEV_END_TOKEN_LEN;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    step_pin(e, &a);
    assert_int_equal(forged_end(e, a.tid, a.cid, NULL, 0), WARD_ERR_AUTH);
    assert_int_equal(forged_end(e, a.tid, a.cid, wrong, sizeof wrong), WARD_ERR_AUTH);
    assert_int_equal(step_init(e, &a, a.pin), WARD_OK);
    assert_int_equal(forged_end(e, a.tid, a.cid, NULL, 0), WARD_ERR_AUTH);
    assert_int_equal(forged_end(e, a.tid, a.cid, wrong, sizeof wrong), WARD_ERR_AUTH);
    assert_int_equal(step_finish(e, &a), WARD_OK);
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 1), WARD_OK);
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "on"), WARD_OK);
    /* The app's own PAKE_END (its token) frees the binding: the same
     * (transport id, CliID) may then ask anew, with other fields. */
    app_init(&b, "10.0.0.2:5001", "CLI-LAMP", "PHONE-2");
    step_pin(e, &b);
    assert_int_equal(stranger(e, b.tid, b.cid, false), WARD_ERR_STATE);
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    assert_int_equal(ward_pair_end(&b.p, m, sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, &b, WARD_DEV_NEAR, b.tid, m, n, ans, &an, &ev), WARD_OK);
    assert_int_equal(error_code(ans, an), WARD_OK);
    assert_int_equal(stranger(e, b.tid, b.cid, false), WARD_OK);
    /* With no binding there is nothing to end: acknowledged. */
    assert_int_equal(forged_end(e, "10.9.9.9:1", "NOBODY", NULL, 0), WARD_OK);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 1);
    test_free(e);
}

/* Bindings waiting for PAKE_INIT do not hold the slots: a newcomer takes
 * the oldest over, and that costs the window one attempt, so strangers'
 * PIN_REQUESTs knock a genuine app out at most WARD_DEV_PIN_MAX_ATTEMPTS
 * times per window (then it is LOCKED, as after as many wrong PINs).
 * Bindings in their PAKE are never taken over, and live
 * WARD_DEV_PAKE_TTL_MS. */
static void test_window_stalled_slots(void **state)
{
    (void)state;
    env *e = df_env_new();
    app s1, s2, a, b;
    app_init(&s1, "10.6.6.6:1", "EVIL-1", "EVIL");
    app_init(&s2, "10.6.6.6:2", "EVIL-2", "EVIL");
    step_pin(e, &s1);
    e->now += 1;
    step_pin(e, &s2);
    /* Both held for free: the genuine app still gets in, taking the
     * oldest over for one attempt (its own is given back). */
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    bind(e, &a);
    assert_int_equal(step_init(e, &s1, s1.pin), WARD_ERR_NOTFOUND);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 1);
    /* A genuine app taken over before its PAKE_INIT asks again with the
     * same PIN and binds; each takeover is counted. */
    app_init(&b, "10.0.0.2:5001", "CLI-LAMP", "PHONE-1");
    step_pin(e, &b);
    e->now += 1;
    step_pin(e, &s1);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 2);
    e->now += 1;
    app s3;
    app_init(&s3, "10.6.6.6:3", "EVIL-3", "EVIL");
    step_pin(e, &s3);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 3);
    assert_int_equal(step_init(e, &b, b.pin), WARD_ERR_NOTFOUND);
    ward_pair_wipe(&b.p);
    bind(e, &b);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 4);
    /* A flood of newcomers spends the window's last attempt, then is
     * LOCKED: no further takeover. */
    assert_int_equal(stranger(e, "10.6.6.6:4", "EVIL-4", false), WARD_OK);
    assert_int_equal(stranger(e, "10.6.6.6:5", "EVIL-5", false), WARD_ERR_LOCKED);
    assert_int_equal(stranger(e, "10.6.6.6:6", "EVIL-6", false), WARD_ERR_LOCKED);
    /* In their PAKE, the slots are not taken over (a new window)... */
    df_window(e);
    char wrong[16];
    snprintf(wrong, sizeof wrong, "%06d", (atoi(e->pin) + 1) % 1000000);
    step_pin(e, &s1);
    step_pin(e, &s3);
    assert_int_equal(step_init(e, &s1, wrong), WARD_OK);
    assert_int_equal(step_init(e, &s3, wrong), WARD_OK);
    app c;
    app_init(&c, "10.0.0.2:5002", "CLI-C", "PHONE-1");
    assert_int_equal(stranger(e, c.tid, "CLI-C", false), WARD_ERR_BUSY);
    /* ...but held WARD_DEV_PAKE_TTL_MS at most, each for one attempt. */
    e->now += WARD_DEV_PAKE_TTL_MS + 1;
    bind(e, &c);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS - 2);
    test_free(e);
}

static ward_err stuck_fill(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    memset(out, 0xFF, len);
    return WARD_OK;
}

/* A random port stuck at bytes the PIN's rejection sampling throws away
 * (>= 250) fails the new window (CRYPTO) instead of hanging the device;
 * the window that was open stays as it was. */
static void test_window_pin_source_stuck(void **state)
{
    (void)state;
    env *e = df_env_new();
    char pin[WARD_DEV_PIN_LEN + 1];
    ward_random stuck = { stuck_fill, NULL };
    ward_random good = dev_lk(&e->dev)->rng;
    dev_lk(&e->dev)->rng = stuck;
    memset(pin, 'x', sizeof pin);
    assert_int_equal(ward_dev_open_window(&e->dev, pin), WARD_ERR_CRYPTO);
    assert_int_equal(pin[0], '\0');
    dev_lk(&e->dev)->rng = good;
    ward_dev_window w;
    assert_int_equal(ward_dev_window_state(&e->dev, &w), WARD_OK);
    assert_true(w.open);
    assert_string_equal(w.pin, e->pin);
    df_window(e);
    test_free(e);
}

/* A window ends in RAM only once the store lets go of it. A new window
 * the store refuses leaves the old one open, its PIN and bindings as the
 * store (and so a restart) still has them; a closing the store refuses
 * takes no binding and is tried again at the next look, so a restart
 * does not bring back a window the owner closed. */
static void test_window_store_failure(void **state)
{
    (void)state;
    env *e = df_env_new();
    char pin[WARD_DEV_PIN_LEN + 1];
    ward_dev_window w;
    app a, b;

    /* A new window the store refuses: the old one goes on. */
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    step_pin(e, &a);
    ward_sim_flash_cut_after(&e->sf, 0);
    assert_int_equal(ward_dev_open_window(&e->dev, pin), WARD_ERR_IO);
    assert_int_equal(pin[0], '\0');
    ward_sim_flash_power_on(&e->sf);
    assert_int_equal(ward_dev_window_state(&e->dev, &w), WARD_OK);
    assert_true(w.open);
    assert_string_equal(w.pin, e->pin);
    assert_int_equal(step_init(e, &a, a.pin), WARD_OK);
    assert_int_equal(step_finish(e, &a), WARD_OK);
    df_reboot(e);
    assert_int_equal(ward_dev_window_state(&e->dev, &w), WARD_OK);
    assert_true(w.open);
    assert_string_equal(w.pin, e->pin);

    /* A closing the store refuses: no binding meanwhile... */
    app_init(&b, "10.0.0.2:5001", "CLI-LAMP", "PHONE-1");
    step_pin(e, &b);
    ward_sim_flash_cut_after(&e->sf, 0);
    assert_int_equal(ward_dev_close_window(&e->dev), WARD_ERR_IO);
    assert_int_equal(ward_dev_window_state(&e->dev, &w), WARD_ERR_IO);
    assert_false(w.open);
    /* ...reported closing, not closed: the store (and so a restart)
     * still has it, and the owner must not be told it is closed... */
    assert_true(w.closing);
    assert_int_equal(w.pin[0], '\0');
    assert_int_equal(step_init(e, &b, b.pin), WARD_ERR_LOCKED);
    /* ...and once the store works again, the next look removes it: a
     * restart finds no window. */
    ward_sim_flash_power_on(&e->sf);
    assert_int_equal(ward_dev_window_state(&e->dev, &w), WARD_OK);
    assert_false(w.open);
    assert_false(w.closing);
    assert_false(window_open(e));
    assert_int_equal(dev_st(&e->dev)->win.pin[0], 0);
    df_reboot(e);
    assert_false(window_open(e));
    test_free(e);
}

/* A device whose store holds the lock-out record of an earlier version
 * starts; the record is ignored and removed when a window opens. */
static void test_old_lockout_record(void **state)
{
    (void)state;
    env *e = df_env_new();
    uint8_t old[10] = { 4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 9 };
    uint8_t buf[16];
    size_t len = 0;
    assert_int_equal(ward_dev_close_window(&e->dev), WARD_OK);
    assert_int_equal(ward_store_put(&dev_lk(&e->dev)->store, 0x0501, old,
                                    sizeof old), WARD_OK);
    df_reboot(e);
    assert_false(window_open(e));
    df_window(e);
    assert_int_equal(ward_store_get(&dev_lk(&e->dev)->store, 0x0501, buf,
                                    sizeof buf, &len), WARD_ERR_NOTFOUND);
    app a;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    bind(e, &a);
    test_free(e);
}

static ward_err attach(env *e, app *a, uint8_t kind, const char *tid,
                       const char *cloud);

/* Finding 10: a message addressed to a bound node gets the same answer,
 * none, whether its key index, CliID, cloud id or channel is unknown or
 * its tag does not verify; once it verified, a refusal is answered. */
static void test_node_messages_no_oracle(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a, b;
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    ward_random rng = ward_test_rng();
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    app_init(&b, "10.0.0.2:5001", "CLI-LAMP", "PHONE-1");
    bind(e, &a);
    bind(e, &b);
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 1), WARD_OK);
    assert_int_equal(attach(e, &a, WARD_DEV_NEAR, a.tid, "cloud-a"), WARD_OK);
    ward_pair_device unknown_ki = a.d, unknown_cid = a.d;
    unknown_ki.key_index = (uint8_t)(a.d.key_index + 100);
    memcpy(unknown_cid.client_id, "CLI-XYZ", 7);
    ward_pair_device *who[] = { &unknown_ki, &unknown_cid, &a.d };
    for (size_t i = 0; i < 3; i++) {
        ward_pair_channel c = a.ch;
        /* CHANNEL_OPEN */
        assert_int_equal(ward_pair_channel_open(who[i], ward_test_cp, &rng, 1,
                                                &c, m, sizeof m, &n), WARD_OK);
        if (i == 2) {
            m[n - 1] ^= 1;
        }
        assert_int_not_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans,
                                    &an, &ev), WARD_OK);
        assert_int_equal(an, 0);
        /* COMMAND in an open channel */
        c = a.ch;
        assert_int_equal(ward_pair_command(who[i], ward_test_cp, &c,
                                           (const uint8_t *)"on", 2, m,
                                           sizeof m, &n), WARD_OK);
        if (i == 2) {
            m[n - 1] ^= 1;
        }
        assert_int_not_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans,
                                    &an, &ev), WARD_OK);
        assert_int_equal(an, 0);
        /* ATTACH (in the open channel, as COMMAND) */
        c = a.ch;
        assert_int_equal(ward_pair_attach(who[i], ward_test_cp, &c,
                                          (const uint8_t *)"cloud-x", 7, m,
                                          sizeof m, &n), WARD_OK);
        if (i == 2) {
            m[n - 1] ^= 1;
        }
        assert_int_not_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans,
                                    &an, &ev), WARD_OK);
        assert_int_equal(an, 0);
        /* Far-field, under a's cloud id and under one nobody holds. */
        c = a.ch;
        assert_int_equal(ward_pair_command(who[i], ward_test_cp, &c,
                                           (const uint8_t *)"on", 2, m,
                                           sizeof m, &n), WARD_OK);
        if (i == 2) {
            m[n - 1] ^= 1;
        }
        assert_int_not_equal(dev_in(e, &a, WARD_DEV_FAR, "cloud-a", m, n, ans,
                                    &an, &ev), WARD_OK);
        assert_int_equal(an, 0);
        assert_int_not_equal(dev_in(e, &a, WARD_DEV_FAR, "cloud-z", m, n, ans,
                                    &an, &ev), WARD_OK);
        assert_int_equal(an, 0);
    }
    /* A COMMAND on a channel the node does not have (never opened, or
     * gone with a restart): no answer either. */
    ward_pair_channel c9 = a.ch;
    pchan_st(&c9)->channel_id = 9;
    assert_int_equal(ward_pair_command(&a.d, ward_test_cp, &c9,
                                       (const uint8_t *)"on", 2, m, sizeof m,
                                       &n), WARD_OK);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(an, 0);
    assert_int_equal(ev.type, WARD_DEV_EV_NONE);
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "on"), WARD_OK);
    /* Verified, then refused: answered (b's attach of a's cloud id). */
    assert_int_equal(open_chan(e, &b, WARD_DEV_NEAR, b.tid, 1), WARD_OK);
    assert_int_equal(ward_pair_attach(&b.d, ward_test_cp, &b.ch,
                                      (const uint8_t *)"cloud-a", 7, m,
                                      sizeof m, &n), WARD_OK);
    assert_int_equal(dev_in(e, &b, WARD_DEV_NEAR, b.tid, m, n, ans, &an, &ev),
                     WARD_ERR_PARAM);
    assert_int_equal(error_code(ans, an), WARD_ERR_PARAM);
    test_free(e);
}

static void test_bind_again_new_key(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    bind(e, &a);
    ward_pair_device old = a.d;
    app_init(&a, "10.0.0.2:5002", "CLI-EDU", "PHONE-1");
    bind(e, &a);
    assert_int_not_equal(old.key_index, a.d.key_index);
    assert_memory_not_equal(old.data_key, a.d.data_key, WARD_DEV_DATA_KEY_LEN);
    assert_int_equal(ward_dev_node_count(&e->dev), 1);
    /* The old index is gone, and the old key under the new index fails
     * without an answer. */
    app o = a;
    o.d = old;
    assert_int_equal(open_chan(e, &o, WARD_DEV_NEAR, o.tid, 1),
                     WARD_ERR_NOTFOUND);
    o.d.key_index = a.d.key_index;
    assert_int_equal(open_chan(e, &o, WARD_DEV_NEAR, o.tid, 1), WARD_ERR_AUTH);
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 1), WARD_OK);
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "on"), WARD_OK);
    test_free(e);
}

static void test_channel_rules(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    uint8_t ans[WARD_DEV_MSG_MAX], m1[WARD_DEV_MSG_MAX];
    size_t an = 0, n1 = 0;
    ward_dev_event ev;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    bind(e, &a);
    /* No channel yet: no answer (as for a forgery); an app that hears
     * nothing opens its channel again. */
    pchan_st(&a.ch)->state = 2;
    pchan_st(&a.ch)->channel_id = 5;
    uint8_t m[WARD_DEV_MSG_MAX];
    size_t n = 0;
    assert_int_equal(ward_pair_command(&a.d, ward_test_cp, &a.ch,
                                       (const uint8_t *)"x", 1, m, sizeof m,
                                       &n), WARD_OK);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(an, 0);

    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 5), WARD_OK);
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "one"), WARD_OK);
    memcpy(m1, a.msg, a.len);
    n1 = a.len;
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "two"), WARD_OK);
    /* Replay: refused, silently. */
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m1, n1, ans, &an,
                            &ev), WARD_ERR_AUTH);
    assert_int_equal(an, 0);
    /* Tampered: refused. */
    assert_int_equal(ward_pair_command(&a.d, ward_test_cp, &a.ch,
                                       (const uint8_t *)"three", 5, m, sizeof m,
                                       &n), WARD_OK);
    m[n - 1] ^= 0x80;
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_ERR_AUTH);
    m[n - 1] ^= 0x80;
    /* ...and the genuine one still goes through: a forgery moves nothing. */
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_OK);
    assert_int_equal(ev.type, WARD_DEV_EV_COMMAND);
    /* Reordered inside the window: accepted once; below it: refused. */
    uint8_t late[WARD_DEV_MSG_MAX], old[WARD_DEV_MSG_MAX];
    size_t late_n = 0, old_n = 0;
    assert_int_equal(ward_pair_command(&a.d, ward_test_cp, &a.ch,
                                       (const uint8_t *)"late", 4, late,
                                       sizeof late, &late_n), WARD_OK);
    memcpy(old, late, late_n);
    old_n = late_n;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(ward_pair_command(&a.d, ward_test_cp, &a.ch,
                                           (const uint8_t *)"n", 1, m,
                                           sizeof m, &n), WARD_OK);
    }
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_OK);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, late, late_n, ans,
                            &an, &ev), WARD_OK);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, late, late_n, ans,
                            &an, &ev), WARD_ERR_AUTH);
    pchan_st(&a.ch)->chan.tx_seq += 64;
    assert_int_equal(ward_pair_command(&a.d, ward_test_cp, &a.ch,
                                       (const uint8_t *)"far", 3, m, sizeof m,
                                       &n), WARD_OK);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, n, ans, &an, &ev),
                     WARD_OK);
    (void)old;
    (void)old_n;
    /* Re-open of an open channel (an app that lost its state): resumes,
     * counters kept; the old messages stay refused. */
    ward_pair_channel before = a.ch;
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, "10.0.0.2:5999", 5),
                     WARD_OK);
    assert_int_equal(pchan_st(&a.ch)->chan.tx_seq, pchan_st(&before)->chan.tx_seq);
    assert_memory_equal(pchan_st(&a.ch)->chan.tx_key, pchan_st(&before)->chan.tx_key,
                        WARD_AEAD_KEY_LEN);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m1, n1, ans, &an,
                            &ev), WARD_ERR_AUTH);
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, "10.0.0.2:5999", "four"),
                     WARD_OK);
    /* A replayed device reply is refused by the app. */
    assert_int_equal(ward_dev_notify(&e->dev, a.d.key_index, 5,
                                     (const uint8_t *)"hi", 2, ans, sizeof ans,
                                     &an), WARD_OK);
    uint8_t data[16];
    size_t dn = 0;
    assert_int_equal(ward_pair_on_reply(&a.d, ward_test_cp, &a.ch, ans, an,
                                        data, sizeof data, &dn, NULL), WARD_OK);
    assert_int_equal(ward_pair_on_reply(&a.d, ward_test_cp, &a.ch, ans, an,
                                        data, sizeof data, &dn, NULL),
                     WARD_ERR_AUTH);
    test_free(e);
}

/* ATTACH of cloud in a's channel, opened (channel 1) if a has none;
 * the message stays in a->msg. */
static ward_err attach(env *e, app *a, uint8_t kind, const char *tid,
                       const char *cloud)
{
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    if (pchan_st(&a->ch)->state != 2) {
        ward_err err = open_chan(e, a, kind, tid, 1);
        if (err != WARD_OK) {
            return err;
        }
    }
    assert_int_equal(ward_pair_attach(&a->d, ward_test_cp, &a->ch,
                                      (const uint8_t *)cloud, strlen(cloud), m,
                                      sizeof m, &n), WARD_OK);
    memcpy(a->msg, m, n);
    a->len = n;
    ward_err err = dev_in(e, a, kind, tid, m, n, ans, &an, &ev);
    if (err != WARD_OK) {
        return err;
    }
    assert_int_equal(ev.type, WARD_DEV_EV_ATTACHED);
    err = ward_pair_on_attach(&a->d, ward_test_cp, &a->ch,
                              (const uint8_t *)cloud, strlen(cloud), ans, an);
    if (err == WARD_OK) {
        snprintf(a->d.cloud_id, sizeof a->d.cloud_id, "%s", cloud);
    }
    return err;
}

/* Issue 17's debt: a captured ATTACH sent again (by wardd, or anyone on
 * the near link) cannot move the node back to a cloud id it has left:
 * ATTACH rides in a channel, whose replay window refuses it, with no
 * answer; after a restart the channel is gone (or opened again under new
 * keys). A replayed answer does not fool the app either. */
static void test_attach_replay_refused(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    uint8_t old[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    uint8_t m[WARD_DEV_MSG_MAX], old_ans[WARD_DEV_MSG_MAX];
    size_t old_len = 0, an = 0, n = 0, old_an = 0;
    ward_dev_event ev;
    ward_dev_node node;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    bind(e, &a);
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 1), WARD_OK);
    /* The first ATTACH and its answer, captured. */
    assert_int_equal(ward_pair_attach(&a.d, ward_test_cp, &a.ch,
                                      (const uint8_t *)"cloud-old", 9, old,
                                      sizeof old, &old_len), WARD_OK);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, old, old_len, old_ans,
                            &old_an, &ev), WARD_OK);
    assert_int_equal(ward_pair_on_attach(&a.d, ward_test_cp, &a.ch,
                                         (const uint8_t *)"cloud-old", 9,
                                         old_ans, old_an), WARD_OK);
    /* The app moves to another cloud id. */
    assert_int_equal(attach(e, &a, WARD_DEV_NEAR, a.tid, "cloud-new"), WARD_OK);
    /* The old ATTACH again, near and through wardd: no answer, and the
     * node keeps its cloud id. */
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, old, old_len, ans,
                            &an, &ev), WARD_ERR_AUTH);
    assert_int_equal(an, 0);
    assert_int_equal(ev.type, WARD_DEV_EV_NONE);
    assert_int_not_equal(dev_in(e, &a, WARD_DEV_FAR, "cloud-new", old, old_len,
                                ans, &an, &ev), WARD_OK);
    assert_int_equal(an, 0);
    assert_int_equal(ward_dev_node_get(&e->dev, 0, &node), WARD_OK);
    assert_int_equal(node.cloud_id_len, 9);
    assert_memory_equal(node.cloud_id, "cloud-new", 9);
    /* The old answer replayed to the app's next ATTACH: not taken. */
    assert_int_equal(ward_pair_attach(&a.d, ward_test_cp, &a.ch,
                                      (const uint8_t *)"cloud-old", 9, m,
                                      sizeof m, &n), WARD_OK);
    assert_int_not_equal(ward_pair_on_attach(&a.d, ward_test_cp, &a.ch,
                                             (const uint8_t *)"cloud-old", 9,
                                             old_ans, old_an), WARD_OK);
    assert_true(ward_pair_channel_waiting(&a.ch));
    /* After a restart, with the channel opened again: still nothing. */
    df_reboot(e);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, old, old_len, ans,
                            &an, &ev), WARD_ERR_NOTFOUND);
    assert_int_equal(an, 0);
    memset(&a.ch, 0, sizeof a.ch);
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 1), WARD_OK);
    assert_int_not_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, old, old_len, ans,
                                &an, &ev), WARD_OK);
    assert_int_equal(an, 0);
    assert_int_equal(ward_dev_node_get(&e->dev, 0, &node), WARD_OK);
    assert_memory_equal(node.cloud_id, "cloud-new", 9);
    /* The genuine app still reaches it through wardd, and attaches anew. */
    assert_int_equal(command(e, &a, WARD_DEV_FAR, "cloud-new", "on"), WARD_OK);
    assert_int_equal(attach(e, &a, WARD_DEV_NEAR, a.tid, "cloud-3"), WARD_OK);
    test_free(e);
}

static void test_near_far_switch_and_reboot(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a, b;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    app_init(&b, "10.0.0.2:5001", "CLI-LAMP", "PHONE-1");
    bind(e, &a);
    bind(e, &b);
    assert_int_equal(open_chan(e, &a, WARD_DEV_NEAR, a.tid, 3), WARD_OK);
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "on"), WARD_OK);
    /* Far-field before attach: no node has that cloud id. */
    assert_int_equal(command(e, &a, WARD_DEV_FAR, "cloud-a", "x"),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(attach(e, &a, WARD_DEV_NEAR, a.tid, "cloud-a"), WARD_OK);
    assert_int_equal(attach(e, &b, WARD_DEV_NEAR, b.tid, "cloud-b"), WARD_OK);
    /* One cloud id names one node. */
    assert_int_equal(attach(e, &b, WARD_DEV_NEAR, b.tid, "cloud-a"),
                     WARD_ERR_PARAM);
    /* Same channel, same counters, now through wardd. */
    uint32_t seq = pchan_st(&a.ch)->chan.tx_seq;
    assert_int_equal(command(e, &a, WARD_DEV_FAR, "cloud-a", "dim"), WARD_OK);
    assert_int_equal(pchan_st(&a.ch)->chan.tx_seq, seq + 1);
    /* wardd delivering a's message under b's cloud id: refused. */
    assert_int_equal(command(e, &a, WARD_DEV_FAR, "cloud-b", "off"),
                     WARD_ERR_NOTFOUND);
    /* ...and back near-field, the window still holds. */
    uint8_t ans[WARD_DEV_MSG_MAX];
    size_t an = 0;
    ward_dev_event ev;
    assert_int_equal(command(e, &a, WARD_DEV_NEAR, a.tid, "off"), WARD_OK);
    assert_int_equal(dev_in(e, &a, WARD_DEV_FAR, "cloud-a", a.msg, a.len, ans,
                            &an, &ev), WARD_ERR_AUTH);

    /* A reboot keeps the nodes and cloud ids, closes the channels. */
    df_reboot(e);
    assert_int_equal(ward_dev_node_count(&e->dev), 2);
    ward_dev_node node;
    assert_int_equal(ward_dev_node_get(&e->dev, 0, &node), WARD_OK);
    assert_int_equal(node.cloud_id_len, 7);
    assert_int_equal(command(e, &a, WARD_DEV_FAR, "cloud-a", "x"),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(open_chan(e, &a, WARD_DEV_FAR, "cloud-a", 3), WARD_OK);
    assert_int_equal(pchan_st(&a.ch)->chan.tx_seq, 0);
    assert_int_equal(command(e, &a, WARD_DEV_FAR, "cloud-a", "on"), WARD_OK);
    assert_int_equal(open_chan(e, &b, WARD_DEV_NEAR, "10.0.0.2:6123", 3),
                     WARD_OK);
    assert_int_equal(command(e, &b, WARD_DEV_NEAR, "10.0.0.2:6123", "on"),
                     WARD_OK);
    /* Unbinding: gone for good. */
    assert_int_equal(ward_dev_node_remove(&e->dev, a.d.key_index), WARD_OK);
    df_reboot(e);
    assert_int_equal(ward_dev_node_count(&e->dev), 1);
    assert_int_equal(open_chan(e, &a, WARD_DEV_FAR, "cloud-a", 3),
                     WARD_ERR_NOTFOUND);
    test_free(e);
}

static void test_table_full_and_busy(void **state)
{
    (void)state;
    env *e = df_env_new();
    app apps[WARD_MAX_NODES + 1];
    char tids[WARD_MAX_NODES + 1][24], cids[WARD_MAX_NODES + 1][8];
    for (size_t i = 0; i <= WARD_MAX_NODES; i++) {
        snprintf(tids[i], sizeof tids[i], "10.0.0.2:%zu", 5000 + i);
        snprintf(cids[i], sizeof cids[i], "C%zu", i);
        app_init(&apps[i], tids[i], cids[i], "PHONE-1");
    }
    for (size_t i = 0; i < WARD_MAX_NODES; i++) {
        bind(e, &apps[i]);
    }
    app *x = &apps[WARD_MAX_NODES];
    step_pin(e, x);
    /* Full before the PIN's attempt is spent: the answer would name a
     * key index, and there is no node for it. */
    assert_int_equal(step_init(e, x, x->pin), WARD_ERR_NOSPACE);
    assert_int_equal(error_code(x->msg, x->len), WARD_ERR_NOSPACE);
    assert_int_equal(attempts_left(e), WARD_DEV_PIN_MAX_ATTEMPTS);
    uint8_t m[WARD_DEV_MSG_MAX];
    size_t n = 0;
    ward_dev_event ev;
    /* Room again (one app unbound). Every binding slot in its PAKE: BUSY,
     * until one's PAKE_FINISH is overdue. */
    assert_int_equal(ward_dev_node_remove(&e->dev, apps[0].d.key_index),
                     WARD_OK);
    assert_int_equal(ward_dev_node_remove(&e->dev, apps[1].d.key_index),
                     WARD_OK);
    app y[WARD_DEV_MAX_BINDINGS + 1];
    for (size_t i = 0; i < WARD_DEV_MAX_BINDINGS; i++) {
        app_init(&y[i], tids[i], cids[i], "PHONE-2");
        step_pin(e, &y[i]);
        assert_int_equal(step_init(e, &y[i], y[i].pin), WARD_OK);
    }
    app_init(&y[WARD_DEV_MAX_BINDINGS], "10.9.9.9:1", "Z", "PHONE-3");
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_pair_start(&y[WARD_DEV_MAX_BINDINGS].p, ward_test_cp,
                                     &rng, (const uint8_t *)"PHONE-3", 7,
                                     (const uint8_t *)"Z", 1,
                                     (const uint8_t *)"app", 3, m, sizeof m,
                                     &n), WARD_OK);
    uint8_t ans[WARD_DEV_MSG_MAX];
    size_t an = 0;
    assert_int_equal(dev_in(e, x, WARD_DEV_NEAR, "10.9.9.9:1", m, n, ans, &an,
                            &ev), WARD_ERR_BUSY);
    assert_int_equal(error_code(ans, an), WARD_ERR_BUSY);
    e->now += WARD_DEV_PAKE_TTL_MS;
    assert_int_equal(dev_in(e, x, WARD_DEV_NEAR, "10.9.9.9:1", m, n, ans, &an,
                            &ev), WARD_ERR_BUSY);
    e->now += 1;
    assert_int_equal(dev_in(e, x, WARD_DEV_NEAR, "10.9.9.9:1", m, n, ans, &an,
                            &ev), WARD_OK);
    /* An overdue PAKE_FINISH is refused (y[0]'s slot went to the
     * newcomer: its binding is gone). */
    uint8_t fin[WARD_DEV_MSG_MAX];
    size_t fn = 0;
    assert_int_equal(ward_pair_on_pake_init(&y[1].p, y[1].msg, y[1].len, fin,
                                            sizeof fin, &fn), WARD_OK);
    assert_int_equal(dev_in(e, &y[1], WARD_DEV_NEAR, y[1].tid, fin, fn, ans,
                            &an, &ev), WARD_ERR_EXPIRED);
    assert_int_equal(ward_pair_on_pake_init(&y[0].p, y[0].msg, y[0].len, fin,
                                            sizeof fin, &fn), WARD_OK);
    assert_int_equal(dev_in(e, &y[0], WARD_DEV_NEAR, y[0].tid, fin, fn, ans,
                            &an, &ev), WARD_ERR_NOTFOUND);
    test_free(e);
}

static void test_bad_input(void **state)
{
    (void)state;
    env *e = df_env_new();
    uint8_t ans[WARD_DEV_MSG_MAX];
    size_t an = 0;
    ward_dev_event ev;
    const uint8_t junk[] = { 1, 2, 3 };
    assert_int_equal(ward_dev_handle(&e->dev, WARD_DEV_NEAR,
                                     (const uint8_t *)"t", 1, junk,
                                     sizeof junk, ans, sizeof ans, &an, &ev),
                     WARD_ERR_FORMAT);
    assert_int_equal(an, 0);
    /* An unknown type of ours gets an error answer. */
    uint8_t m[] = { 1, 0x3E, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    assert_int_equal(ward_dev_handle(&e->dev, WARD_DEV_NEAR,
                                     (const uint8_t *)"t", 1, m, sizeof m, ans,
                                     sizeof ans, &an, &ev),
                     WARD_ERR_UNSUPPORTED);
    assert_int_equal(error_code(ans, an), WARD_ERR_UNSUPPORTED);
    /* An unprovisioned device cannot bind. */
    env *f = df_env_blank();
    app a;
    app_init(&a, "10.0.0.2:5000", "C", "P");
    ward_random rng = ward_test_rng();
    size_t n = 0;
    uint8_t req[WARD_DEV_MSG_MAX];
    assert_int_equal(ward_pair_start(&a.p, ward_test_cp, &rng,
                                     (const uint8_t *)"P", 1,
                                     (const uint8_t *)"C", 1,
                                     (const uint8_t *)"app", 3, req,
                                     sizeof req, &n), WARD_OK);
    assert_int_equal(dev_in(f, &a, WARD_DEV_NEAR, a.tid, req, n, ans, &an,
                            &ev), WARD_ERR_STATE);
    test_free(f);
    test_free(e);
}

/* Bytes and round trips of the PAKE, overhead of a channel, RAM per node
 * (printed for the report, and bounded so growth is noticed). */
static void test_measure(void **state)
{
    (void)state;
    env *e = df_env_new();
    app a;
    uint8_t m[WARD_DEV_MSG_MAX];
    size_t init_n = 0, init_ans = 0, fin_n = 0;
    ward_dev_event ev;
    app_init(&a, "10.0.0.2:5000", "CLI-EDU", "PHONE-1");
    step_pin(e, &a);
    assert_int_equal(ward_pair_pake_init(&a.p, (const uint8_t *)a.pin, 6, m,
                                         sizeof m, &init_n), WARD_OK);
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, init_n, a.msg,
                            &a.len, &ev), WARD_OK);
    init_ans = a.len;
    assert_int_equal(ward_pair_on_pake_init(&a.p, a.msg, a.len, m, sizeof m,
                                            &fin_n), WARD_OK);
    uint8_t ack[WARD_DEV_MSG_MAX];
    size_t ack_n = 0;
    assert_int_equal(dev_in(e, &a, WARD_DEV_NEAR, a.tid, m, fin_n, ack,
                            &ack_n, &ev), WARD_OK);
    size_t total = init_n + init_ans + fin_n + ack_n;
    printf("# PAKE: 1.5 round trips; PAKE_INIT %zu + answer %zu + "
           "PAKE_FINISH %zu = %zu bytes, + the transport's acknowledgement "
           "%zu = %zu (CliID of 7)\n",
           init_n, init_ans, fin_n, init_n + init_ans + fin_n, ack_n, total);
    assert_true(total <= 220);
    printf("# channel overhead: %u bytes per command (CliID of 7: %u)\n",
           (unsigned)WARD_DEV_CHAN_OVERHEAD(10u, 0u),
           (unsigned)WARD_DEV_CHAN_OVERHEAD(10u, 7u));
    printf("# RAM: node %zu, binding %zu, channel %zu, device %zu; node "
           "record <= %u bytes of store\n", sizeof(ward_dev_node),
           (size_t)WARD_DEV_BINDING_CTX_SIZE, (size_t)WARD_DEV_CHANNEL_CTX_SIZE,
           sizeof(ward_device), (unsigned)WARD_DEV_NODE_REC_MAX);
    test_free(e);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_apps_interleaved),
        cmocka_unit_test(test_same_udidx_split_by_cliid),
        cmocka_unit_test(test_older_app_without_cliid),
        cmocka_unit_test(test_wrong_pin_counted),
        cmocka_unit_test(test_forged_finish_auth),
        cmocka_unit_test(test_pake_wire),
        cmocka_unit_test(test_pake_no_confirm),
        cmocka_unit_test(test_pake_answer_tampered),
        cmocka_unit_test(test_pake_not_evicted_by_pin_request),
        cmocka_unit_test(test_window_stranger_cannot_lock_out),
        cmocka_unit_test(test_window_attempts_per_window),
        cmocka_unit_test(test_window_failure_frees_slot),
        cmocka_unit_test(test_window_outside_refused),
        cmocka_unit_test(test_window_power_cut),
        cmocka_unit_test(test_pin_request_forged_keeps_binding),
        cmocka_unit_test(test_pake_end_needs_token),
        cmocka_unit_test(test_window_stalled_slots),
        cmocka_unit_test(test_window_pin_source_stuck),
        cmocka_unit_test(test_window_store_failure),
        cmocka_unit_test(test_old_lockout_record),
        cmocka_unit_test(test_node_messages_no_oracle),
        cmocka_unit_test(test_bind_again_new_key),
        cmocka_unit_test(test_channel_rules),
        cmocka_unit_test(test_near_far_switch_and_reboot),
        cmocka_unit_test(test_attach_replay_refused),
        cmocka_unit_test(test_table_full_and_busy),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_measure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
