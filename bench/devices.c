/* Flow D in numbers: the PAKE binding's round trips and bytes, a
 * channel's per-message overhead, the device's RAM per node, and CPU for
 * a binding and a command, on each crypto backend. Device and app run in
 * one process (the core and the client library, no transport). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ward/ward_device.h"
#include "ward/ward_pair.h"
#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_port_sim.h"

#define FLASH_ERASE 4096u
#define FLASH_SIZE (2u * ((WARD_DEV_STORE_BANK_MIN + FLASH_ERASE - 1) / FLASH_ERASE * FLASH_ERASE))

static uint8_t flash[FLASH_SIZE];

typedef struct totals {
    size_t to_dev, to_app;
    unsigned trips;
} totals;

/* The PAKE message by message: PAKE_INIT, its answer, PAKE_FINISH, and
 * the empty acknowledgement request-answer transports carry back. */
typedef struct pake_bytes {
    size_t init, answer, finish, ack;
} pake_bytes;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void check(ward_err err, const char *what)
{
    if (err != WARD_OK) {
        fprintf(stderr, "bench_devices: %s: %s\n", what, ward_strerror(err));
        exit(1);
    }
}

/* One message to the device and its answer. */
static void trip(ward_device *dev, const uint8_t *msg, size_t len, uint8_t *ans,
                 size_t *ans_len, ward_dev_event *ev, totals *t)
{
    static const uint8_t tid[6] = { 127, 0, 0, 1, 0x16, 0x33 };
    check(ward_dev_handle(dev, WARD_DEV_NEAR, tid, sizeof tid, msg, len, ans, WARD_DEV_MSG_MAX,
                          ans_len, ev), "device");
    if (t != NULL) {
        t->to_dev += len;
        t->to_app += *ans_len;
        t->trips++;
    }
}

/* Binds one app (client id cid_len bytes); fills *d. */
static void bind_app(ward_device *dev, const ward_crypto *cp, const ward_random *rng,
                     size_t cid_len, uint8_t app_no, ward_pair_device *d, totals *pin,
                     pake_bytes *pake)
{
    uint8_t out[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX];
    size_t n = 0, an = 0;
    uint8_t udidx[16], cid[WARD_CLIENT_ID_MAX];
    memset(udidx, 0x42, sizeof udidx);
    memset(cid, app_no, sizeof cid);
    ward_pair p;
    ward_dev_event ev;
    check(ward_pair_start(&p, cp, rng, udidx, sizeof udidx, cid, cid_len,
                          (const uint8_t *)"bench app", 9, out, sizeof out, &n), "start");
    trip(dev, out, n, ans, &an, &ev, pin);
    check(ward_pair_on_pin(&p, ans, an, NULL), "on_pin");
    char shown[WARD_DEV_PIN_LEN + 1];
    memcpy(shown, ev.pin, sizeof shown);
    check(ward_pair_pake_init(&p, (const uint8_t *)shown, WARD_DEV_PIN_LEN, out, sizeof out, &n),
          "pake_init");
    trip(dev, out, n, ans, &an, &ev, NULL);
    pake->init = n;
    pake->answer = an;
    check(ward_pair_on_pake_init(&p, ans, an, out, sizeof out, &n), "on_pake_init");
    /* PAKE_FINISH ends the exchange: the device is bound once confirmP
     * verifies, and what it sends back is only the transport's ack. */
    trip(dev, out, n, ans, &an, &ev, NULL);
    pake->finish = n;
    pake->ack = an;
    check(ward_pair_on_pake_finish(&p, ans, an, d), "on_pake_finish");
    ward_pair_wipe(&p);
}

static void run(const char *name, const ward_crypto *cp)
{
    ward_random rng = ward_random_posix();
    ward_clock clk = ward_clock_posix();
    ward_sim_flash sf;
    ward_store_port port;
    memset(flash, 0xFF, sizeof flash);
    ward_sim_flash_init(&sf, flash, sizeof flash, FLASH_ERASE, &port);
    ward_sim_flash_format(&sf);
    static ward_device dev;
    check(ward_dev_open(&dev, cp, &rng, &clk, &port), "open");
    check(ward_dev_provision(&dev, (const uint8_t *)"LAMP-1", 6, (const uint8_t *)"Hall lamp", 9,
                             (const uint8_t *)"lamp", 4), "provision");
    /* The local action that lets apps pair. */
    char window_pin[WARD_DEV_PIN_LEN + 1];
    check(ward_dev_open_window(&dev, window_pin), "open window");
    uint64_t writes0 = sf.writes, erases0 = sf.erases;

    totals pin = { 0 };
    pake_bytes pake = { 0, 0, 0, 0 };
    ward_pair_device d;
    double t0 = now_ms();
    bind_app(&dev, cp, &rng, 8, 1, &d, &pin, &pake);
    double bind_ms = now_ms() - t0;

    /* A channel and commands of 16 bytes. */
    uint8_t out[WARD_DEV_MSG_MAX], ans[WARD_DEV_MSG_MAX], data[WARD_DEV_DATA_MAX];
    size_t n = 0, an = 0, dl = 0;
    ward_dev_event ev;
    ward_pair_channel ch;
    totals open = { 0 };
    check(ward_pair_channel_open(&d, cp, &rng, 1, &ch, out, sizeof out, &n), "chan open");
    trip(&dev, out, n, ans, &an, &ev, &open);
    check(ward_pair_on_channel_open(&d, cp, &ch, ans, an), "on chan open");
    const uint8_t cmd[16] = "status 0123456.";
    size_t cmd_bytes = 0, reply_bytes = 0;
    const int rounds = 200;
    t0 = now_ms();
    for (int i = 0; i < rounds; i++) {
        check(ward_pair_command(&d, cp, &ch, cmd, sizeof cmd, out, sizeof out, &n), "command");
        trip(&dev, out, n, ans, &an, &ev, NULL);
        check(ward_dev_reply(&dev, ev.key_index, ev.channel_id, cmd, sizeof cmd, ans,
                             sizeof ans, &an), "reply");
        bool is_reply = false;
        check(ward_pair_on_reply(&d, cp, &ch, ans, an, data, sizeof data, &dl, &is_reply),
              "on reply");
        cmd_bytes = n;
        reply_bytes = an;
    }
    double cmd_ms = (now_ms() - t0) / rounds;

    printf("%s:\n", name);
    size_t pake_total = pake.init + pake.answer + pake.finish;
    printf("  binding: PIN request 1 round trip (%zu B up, %zu B down), %.2f ms CPU both "
           "ends\n", pin.to_dev, pin.to_app, bind_ms);
    printf("  PAKE: 1.5 round trips (3 messages): PAKE_INIT %zu B, answer %zu B, "
           "PAKE_FINISH %zu B = %zu B; with the transport's empty ack (%zu B) %zu B "
           "(goal <= 220)\n", pake.init, pake.answer, pake.finish, pake_total, pake.ack,
           pake_total + pake.ack);
    printf("  channel open: %zu B up, %zu B down\n", open.to_dev, open.to_app);
    printf("  command of 16 B: %zu B on the wire (overhead %zu B; macro says %u), reply "
           "%zu B; %.3f ms per command + reply, both ends\n",
           cmd_bytes, cmd_bytes - sizeof cmd, (unsigned)WARD_DEV_CHAN_OVERHEAD(16, 8),
           reply_bytes, cmd_ms);
    printf("  store writes for the binding (its PIN attempt counted, the node "
           "saved): %llu, erases %llu\n", (unsigned long long)(sf.writes - writes0),
           (unsigned long long)(sf.erases - erases0));
    ward_pair_device_wipe(&d);
}

int main(void)
{
    printf("device RAM: ward_device %zu B (WARD_MAX_NODES %d, WARD_DEV_MAX_BINDINGS %d, "
           "WARD_DEV_MAX_CHANNELS %d)\n", sizeof(ward_device), WARD_MAX_NODES,
           WARD_DEV_MAX_BINDINGS, WARD_DEV_MAX_CHANNELS);
    printf("  per node %zu B, per binding in progress %zu B, per channel %zu B; "
           "without bindings and channels %zu B per node\n",
           sizeof(ward_dev_node), (size_t)WARD_DEV_BINDING_CTX_SIZE,
           (size_t)WARD_DEV_CHANNEL_CTX_SIZE,
           (sizeof(ward_device) - WARD_DEV_MAX_BINDINGS * (size_t)WARD_DEV_BINDING_CTX_SIZE -
            WARD_DEV_MAX_CHANNELS * (size_t)WARD_DEV_CHANNEL_CTX_SIZE) / WARD_MAX_NODES);
    printf("  store: %u B per bank minimum, node record at most %u B\n",
           (unsigned)WARD_DEV_STORE_BANK_MIN, (unsigned)WARD_DEV_NODE_REC_MAX);
    run("openssl", ward_crypto_openssl());
    run("mbedtls", ward_crypto_mbedtls());
    return 0;
}
