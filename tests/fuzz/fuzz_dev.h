/* Shared by the flow D harnesses: a device with a bound node, an open channel and bindings in progress. */
#ifndef WARD_FUZZ_DEV_H
#define WARD_FUZZ_DEV_H

#include <stdint.h>
#include <string.h>

#include "ward/ward_device.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_sim.h"
#include "proto/lock_inner.h"
#include "proto/dev_inner.h"
#include "fuzz_common.h"

#define FD_ERASE 256
#define FD_BANK ((WARD_DEV_STORE_BANK_MIN + FD_ERASE - 1) / FD_ERASE * FD_ERASE)
#define FD_TID "10.0.0.2:5000"
#define FD_CID "CLI"
#define FD_KEY_INDEX 1u

static uint8_t fd_mem[2 * FD_BANK], fd_mem0[2 * FD_BANK];
static ward_sim_flash fd_sf, fd_sf0;
static ward_store_port fd_port;
static ward_device fd_dev, fd_dev0;
static uint32_t fd_seed;
static ward_random fd_rng;

static ward_err fd_now(void *ctx, uint64_t *ms)
{
    (void)ctx;
    *ms = 1700000000000ull;
    return WARD_OK;
}

static void fd_send(const uint8_t *m, size_t n)
{
    uint8_t out[WARD_DEV_MSG_MAX];
    size_t len = 0;
    ward_dev_event ev;
    (void)ward_dev_handle(&fd_dev, WARD_DEV_NEAR, (const uint8_t *)FD_TID,
                          sizeof FD_TID - 1, m, n, out, sizeof out, &len, &ev);
}

/* The state every input starts from: a pairing window open, bound node
 * FD_KEY_INDEX (CliID FD_CID, data key all 0x11) with channel 1 open, a
 * binding waiting for PAKE_INIT from FD_TID/"CLI2" and one waiting for
 * PAKE_FINISH from FD_TID/FD_CID. */
static void fd_setup(void)
{
    static int done;
    static const ward_clock clock = { fd_now, NULL, true };
    const ward_crypto *cp = ward_crypto_openssl();
    if (done) {
        memcpy(fd_mem, fd_mem0, sizeof fd_mem);
        fd_sf = fd_sf0;
        fd_dev = fd_dev0;
        return;
    }
    done = 1;
    fd_rng = fuzz_rng(&fd_seed);
    memset(fd_mem, 0xFF, sizeof fd_mem);
    ward_sim_flash_init(&fd_sf, fd_mem, sizeof fd_mem, FD_ERASE, &fd_port);
    CHECK(ward_dev_open(&fd_dev, cp, &fd_rng, &clock, &fd_port) == WARD_OK);
    CHECK(ward_dev_provision(&fd_dev, (const uint8_t *)"DEV-1", 5,
                             (const uint8_t *)"lamp", 4,
                             (const uint8_t *)"lamp", 4) == WARD_OK);
    char pin[WARD_DEV_PIN_LEN + 1];
    CHECK(ward_dev_open_window(&fd_dev, pin) == WARD_OK);
    dev_node_rec r;
    uint8_t rec[WARD_DEV_NODE_REC_MAX];
    memset(&r, 0, sizeof r);
    r.node.key_index = FD_KEY_INDEX;
    r.node.udidx_len = 1;
    r.node.udidx[0] = 'U';
    r.node.client_id_len = 3;
    memcpy(r.node.client_id, FD_CID, 3);
    memset(r.data_key, 0x11, sizeof r.data_key);
    r.name_len = 1;
    r.name[0] = 'a';
    CHECK(ward_store_put(&dev_lk(&fd_dev)->store, DEV_REC_NODE_FIRST,
                         rec, ward_dev_node_encode(&r, rec)) == WARD_OK);
    CHECK(ward_dev_open(&fd_dev, cp, &fd_rng, &clock, &fd_port) == WARD_OK);

    /* Channel 1. */
    uint8_t m[WARD_DEV_MSG_MAX];
    size_t n = 0;
    uint8_t pt[] = { 0x01, 4, 0, 0, 0, 1, 0x02, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                     10, 11, 12, 13, 14, 15, 16 };
    ward_hdr h;
    memset(&h, 0, sizeof h);
    h.version = 1;
    h.type = WARD_MSG_DEV_CHANNEL_OPEN;
    h.flags = WARD_FLAG_SEALED;
    h.key_index = FD_KEY_INDEX;
    h.client_id_len = 3;
    memcpy(h.client_id, FD_CID, 3);
    CHECK(ward_dev_seal_msg(cp, &fd_rng, r.data_key, &h, NULL, 0, pt,
                            sizeof pt, m, sizeof m, &n) == WARD_OK);
    fd_send(m, n);
    CHECK(dev_st(&fd_dev)->chans[0].used);

    /* Bindings: PIN_REQUEST from CLI and CLI2, PAKE_INIT from CLI. */
    static const uint8_t body[] = { 0x01, 1, 'U', 0x02, 1, 'a' };
    static const char *cids[2] = { FD_CID, "CLI2" };
    for (int i = 0; i < 2; i++) {
        memset(&h, 0, sizeof h);
        h.version = 1;
        h.type = WARD_MSG_DEV_PIN_REQUEST;
        h.client_id_len = (uint8_t)strlen(cids[i]);
        memcpy(h.client_id, cids[i], h.client_id_len);
        h.body_len = sizeof body;
        CHECK(ward_hdr_encode(&h, m, sizeof m, &n) == WARD_OK);
        memcpy(m + n, body, sizeof body);
        fd_send(m, n + sizeof body);
    }
    uint8_t w0[32], w1[32], share[65];
    uint8_t ws[80];
    ward_spake2p s;
    memset(&s, 0, sizeof s);
    memset(ws, 0x22, sizeof ws);
    CHECK(ward_spake2p_w(cp, ws, ws + 40, w0, w1) == WARD_OK);
    CHECK(ward_spake2p_prover_start(&s, cp, &fd_rng, (const uint8_t *)"x", 1,
                                    NULL, 0, NULL, 0, w0, w1, share) == WARD_OK);
    memset(&h, 0, sizeof h);
    h.version = 1;
    h.type = WARD_MSG_DEV_PAKE_INIT;
    h.client_id_len = 3;
    memcpy(h.client_id, FD_CID, 3);
    h.body_len = WARD_P256_COMPRESSED_LEN;
    CHECK(ward_hdr_encode(&h, m, sizeof m, &n) == WARD_OK);
    ward_p256_compress(share, m + n);
    fd_send(m, n + WARD_P256_COMPRESSED_LEN);
    CHECK(dev_st(&fd_dev)->bind[0].stage == 2 || dev_st(&fd_dev)->bind[1].stage == 2);
    memcpy(fd_mem0, fd_mem, sizeof fd_mem);
    fd_sf0 = fd_sf;
    fd_dev0 = fd_dev;
}

/* One input, steered to message type `type`: the device must answer with
 * a well-formed message or nothing, and never crash. */
static int fd_run(uint8_t type, const uint8_t *data, size_t size)
{
    uint8_t in[WARD_MSG_MAX];
    uint8_t out[WARD_DEV_MSG_MAX];
    size_t len = 0, hlen = 0;
    ward_dev_event ev;
    ward_hdr h;
    if (size < 2 || size > sizeof in) {
        return 0;
    }
    fd_setup();
    memcpy(in, data, size);
    in[1] = type;
    ward_err err = ward_dev_handle(&fd_dev, WARD_DEV_NEAR,
                                   (const uint8_t *)FD_TID, sizeof FD_TID - 1,
                                   in, size, out, sizeof out, &len, &ev);
    CHECK((unsigned)err < WARD_ERR_COUNT);
    if (len > 0) {
        CHECK(ward_hdr_decode(out, len, &h, &hlen) == WARD_OK);
        CHECK((h.flags & WARD_FLAG_REPLY) != 0);
        CHECK(((h.flags & WARD_FLAG_ERROR) != 0) == (err != WARD_OK));
    }
    CHECK(err == WARD_OK || ev.type == WARD_DEV_EV_NONE);
    if (ev.type == WARD_DEV_EV_COMMAND) {
        CHECK(ev.data_len <= WARD_DEV_DATA_MAX);
    }
    return 0;
}

#endif /* WARD_FUZZ_DEV_H */
