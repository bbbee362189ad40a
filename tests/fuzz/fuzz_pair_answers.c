/* libFuzzer harness for the app's readers of a device's answers (flow D, core/proto/dev_app*.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_dev_app.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_sim.h"
#include "proto/dev_inner.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first input byte picks the reader, the rest is the message. */
enum { R_PIN = 0, R_PAKE_INIT, R_PAKE_FINISH, R_CHANNEL_OPEN, R_REPLY,
       R_ATTACH, R_ERROR_OF, R_COUNT };

#define FP_ERASE 256
#define FP_BANK ((WARD_DEV_STORE_BANK_MIN + FP_ERASE - 1) / FP_ERASE * FP_ERASE)
#define FP_TID "10.0.0.9:5683"
#define FP_CID "APP"

static uint8_t fp_mem[2 * FP_BANK];
static ward_sim_flash fp_sf;
static ward_store_port fp_port;
static ward_device fp_dev;
static uint32_t fp_dev_seed = 1, fp_app_seed = 2;
static ward_random fp_dev_rng, fp_app_rng;

/* The app's state just before each reader, from one real exchange with
 * the real device: each input starts from a copy. */
static ward_pair fp_pin_sent, fp_pake_sent, fp_finish_sent;
static ward_pair_device fp_d;
static ward_pair_channel fp_open_sent, fp_cmd_sent, fp_attach_sent;

static ward_err fp_now(void *ctx, uint64_t *ms)
{
    (void)ctx;
    *ms = 1700000000000ull;
    return WARD_OK;
}

/* The device's answer to m (it must give one). */
static size_t fp_ask(const uint8_t *m, size_t n, uint8_t *ans, size_t cap,
                     ward_dev_event *ev)
{
    size_t an = 0;
    CHECK(ward_dev_handle(&fp_dev, WARD_DEV_NEAR, (const uint8_t *)FP_TID,
                          sizeof FP_TID - 1, m, n, ans, cap, &an,
                          ev) == WARD_OK);
    CHECK(an > 0);
    return an;
}

/* With WARD_FUZZ_SEED_DIR set, the genuine answers (and a refusal of
 * each binding request) are written there as seeds, one per reader. */
static void fp_seed(uint8_t reader, const uint8_t *m, size_t n)
{
    static unsigned count;
    const char *dir = getenv("WARD_FUZZ_SEED_DIR");
    char path[512];
    if (dir == NULL) {
        return;
    }
    snprintf(path, sizeof path, "%s/seed%u", dir, count++);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(&reader, 1, 1, f) == 1 && fwrite(m, 1, n, f) == n);
    CHECK(fclose(f) == 0);
}

/* A refusal of request m with code err, as the device writes it. */
static void fp_seed_refusal(uint8_t reader, const uint8_t *m, size_t n)
{
    uint8_t out[WARD_HDR_MAX + 8];
    size_t hlen = 0, len = 0;
    ward_hdr h;
    CHECK(ward_hdr_decode(m, n, &h, &hlen) == WARD_OK);
    CHECK(ward_dev_error_answer(&h, WARD_ERR_LOCKED, out, sizeof out,
                                &len) == WARD_OK);
    fp_seed(reader, out, len);
}

static void fp_setup(void)
{
    static const ward_clock clock = { fp_now, NULL, true };
    const ward_crypto *cp = ward_crypto_openssl();
    uint8_t m[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    char pin[WARD_DEV_PIN_LEN + 1];
    ward_dev_event ev;
    ward_pair p;
    ward_pair_channel ch;

    memset(&ch, 0, sizeof ch);
    fp_dev_rng = fuzz_rng(&fp_dev_seed);
    fp_app_rng = fuzz_rng(&fp_app_seed);
    memset(fp_mem, 0xFF, sizeof fp_mem);
    ward_sim_flash_init(&fp_sf, fp_mem, sizeof fp_mem, FP_ERASE, &fp_port);
    CHECK(ward_dev_open(&fp_dev, cp, &fp_dev_rng, &clock, &fp_port) == WARD_OK);
    CHECK(ward_dev_provision(&fp_dev, (const uint8_t *)"DEV-1", 5,
                             (const uint8_t *)"lamp", 4,
                             (const uint8_t *)"lamp", 4) == WARD_OK);
    CHECK(ward_dev_open_window(&fp_dev, pin) == WARD_OK);

    CHECK(ward_pair_start(&p, cp, &fp_app_rng, (const uint8_t *)"U", 1,
                          (const uint8_t *)FP_CID, 3, (const uint8_t *)"app",
                          3, m, sizeof m, &n) == WARD_OK);
    fp_pin_sent = p;
    fp_seed_refusal(R_PIN, m, n);
    an = fp_ask(m, n, ans, sizeof ans, &ev);
    fp_seed(R_PIN, ans, an);
    CHECK(ward_pair_on_pin(&p, ans, an, NULL) == WARD_OK);

    CHECK(ward_pair_pake_init(&p, (const uint8_t *)pin, WARD_DEV_PIN_LEN, m,
                              sizeof m, &n) == WARD_OK);
    fp_pake_sent = p;
    fp_seed_refusal(R_PAKE_INIT, m, n);
    an = fp_ask(m, n, ans, sizeof ans, &ev);
    fp_seed(R_PAKE_INIT, ans, an);
    CHECK(ward_pair_on_pake_init(&p, ans, an, m, sizeof m, &n) == WARD_OK);

    fp_finish_sent = p;
    fp_seed_refusal(R_PAKE_FINISH, m, n);
    an = fp_ask(m, n, ans, sizeof ans, &ev);
    fp_seed(R_PAKE_FINISH, ans, an);
    CHECK(ward_pair_on_pake_finish(&p, ans, an, &fp_d) == WARD_OK);

    CHECK(ward_pair_channel_open(&fp_d, cp, &fp_app_rng, 7, &ch, m, sizeof m,
                                 &n) == WARD_OK);
    memcpy(&fp_open_sent, &ch, sizeof ch);
    an = fp_ask(m, n, ans, sizeof ans, &ev);
    fp_seed(R_CHANNEL_OPEN, ans, an);
    CHECK(ward_pair_on_channel_open(&fp_d, cp, &ch, ans, an) == WARD_OK);

    CHECK(ward_pair_command(&fp_d, cp, &ch, (const uint8_t *)"on", 2, m,
                            sizeof m, &n) == WARD_OK);
    memcpy(&fp_cmd_sent, &ch, sizeof ch);
    /* A command gets its answer from ward_dev_reply(), not the handler. */
    CHECK(ward_dev_handle(&fp_dev, WARD_DEV_NEAR, (const uint8_t *)FP_TID,
                          sizeof FP_TID - 1, m, n, ans, sizeof ans, &an,
                          &ev) == WARD_OK);
    CHECK(ev.type == WARD_DEV_EV_COMMAND);
    CHECK(ward_dev_reply(&fp_dev, ev.key_index, ev.channel_id,
                         (const uint8_t *)"ok", 2, ans, sizeof ans,
                         &an) == WARD_OK);
    fp_seed(R_REPLY, ans, an);
    fp_seed_refusal(R_REPLY, m, n);

    CHECK(ward_pair_on_reply(&fp_d, cp, &ch, ans, an, m, sizeof m, &n,
                             NULL) == WARD_OK);

    /* ATTACH rides in the channel, after the command. */
    CHECK(ward_pair_attach(&fp_d, cp, &ch, (const uint8_t *)"c-1", 3, m,
                           sizeof m, &n) == WARD_OK);
    memcpy(&fp_attach_sent, &ch, sizeof ch);
    fp_seed_refusal(R_ATTACH, m, n);
    an = fp_ask(m, n, ans, sizeof ans, &ev);
    fp_seed(R_ATTACH, ans, an);
}

/* Whether msg is an error answer: only those may end an exchange
 * without its answer (docs: "Refusals"). */
static int is_error_answer(const uint8_t *msg, size_t len)
{
    ward_hdr h;
    size_t hlen = 0;
    return ward_hdr_decode(msg, len, &h, &hlen) == WARD_OK &&
           (h.flags & WARD_FLAG_ERROR) != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int done;
    const ward_crypto *cp = ward_crypto_openssl();
    uint8_t out[WARD_DEV_MSG_MAX], buf[WARD_DEV_DATA_MAX];
    size_t n = 0;
    bool is_reply = false;
    ward_pair p;
    ward_pair_device d;
    ward_pair_channel c;
    ward_err err;
    if (!done) {
        done = 1;
        fp_setup();
    }
    if (size < 1) {
        return 0;
    }
    const uint8_t *msg = data + 1;
    const size_t len = size - 1;
    switch (data[0] % R_COUNT) {
    case R_PIN:
        p = fp_pin_sent;
        err = ward_pair_on_pin(&p, msg, len, NULL);
        /* Bad bytes leave the request in flight; only a refusal ends it. */
        CHECK(err == WARD_OK || ward_pair_waiting(&p) ||
              is_error_answer(msg, len));
        break;
    case R_PAKE_INIT:
        p = fp_pake_sent;
        err = ward_pair_on_pake_init(&p, msg, len, out, sizeof out, &n);
        CHECK(err == WARD_OK || n == 0);
        break;
    case R_PAKE_FINISH:
        p = fp_finish_sent;
        err = ward_pair_on_pake_finish(&p, msg, len, &d);
        if (err == WARD_OK) {
            CHECK(memcmp(d.data_key, fp_d.data_key, sizeof d.data_key) == 0);
        }
        break;
    case R_CHANNEL_OPEN:
        memcpy(&c, &fp_open_sent, sizeof c);
        err = ward_pair_on_channel_open(&fp_d, cp, &c, msg, len);
        /* Anything but the answer or a refusal leaves c as it was. */
        if (err != WARD_OK && !is_error_answer(msg, len)) {
            CHECK(memcmp(&c, &fp_open_sent, sizeof c) == 0);
        }
        break;
    case R_REPLY:
        memcpy(&c, &fp_cmd_sent, sizeof c);
        err = ward_pair_on_reply(&fp_d, cp, &c, msg, len, buf, sizeof buf, &n,
                                 &is_reply);
        if (err != WARD_OK && !is_error_answer(msg, len)) {
            CHECK(memcmp(&c, &fp_cmd_sent, sizeof c) == 0);
        }
        CHECK(err != WARD_OK || n <= sizeof buf);
        break;
    case R_ATTACH:
        memcpy(&c, &fp_attach_sent, sizeof c);
        err = ward_pair_on_attach(&fp_d, cp, &c, (const uint8_t *)"c-1", 3, msg,
                                  len);
        if (err != WARD_OK && !is_error_answer(msg, len)) {
            CHECK(memcmp(&c, &fp_attach_sent, sizeof c) == 0);
        }
        break;
    default:
        err = ward_pair_error_of(msg, len);
        CHECK(err == WARD_OK || is_error_answer(msg, len));
        break;
    }
    return 0;
}
