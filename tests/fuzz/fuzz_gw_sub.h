/* Shared by fuzz_gw_sub.c and gen_corpus_gw_sub.c: fixed keys and the same
 * deterministic gateway and sub-devices (so the corpus's replies and
 * packets belong to the harness's state). */
#ifndef WARD_FUZZ_GW_SUB_H
#define WARD_FUZZ_GW_SUB_H

#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_gw_sub.h"
#include "ward/ward_port_sim.h"
#include "fuzz_common.h"

#define GWS_T0 1800000000000ull

static const uint8_t GWS_FACTORY_PRIV[WARD_P256_SCALAR_LEN] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t GWS_A_PRIV[WARD_P256_SCALAR_LEN] = {
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
static const uint8_t GWS_B_PRIV[WARD_P256_SCALAR_LEN] = {
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6 };

/* The gateway with sub-device A joined and its channel open and a window
 * open; A's ends (HELLO pending, channel open); B's pending JOIN. */
typedef struct gws_fix {
    uint32_t seed;
    ward_random rng;
    ward_keystore_soft fsoft, asoft, bsoft;
    ward_keystore fks, aks, bks;
    uint8_t factory_pub[WARD_P256_POINT_LEN];
    uint8_t a_id[WARD_GW_SUB_ID_LEN], b_id[WARD_GW_SUB_ID_LEN];
    uint8_t mem[4096];
    ward_sim_flash sf;
    ward_store_port port;
    ward_store st;
    ward_gw_sub_gw gw;
    ward_gw_sub_dev a_hello, a_open, b_join;
    uint8_t join_a[WARD_GW_SUB_FRAME_MAX], join_a_reply[WARD_GW_SUB_FRAME_MAX];
    uint8_t hello_a[WARD_GW_SUB_FRAME_MAX], hello_a_reply[WARD_GW_SUB_FRAME_MAX];
    uint8_t join_b[WARD_GW_SUB_FRAME_MAX];
    uint8_t chal_ask[WARD_GW_SUB_FRAME_MAX], chal_b[WARD_GW_SUB_FRAME_MAX];
    uint8_t b_act[WARD_ACTIVATION_MAX];
    size_t join_a_len, join_a_reply_len, hello_a_len, hello_a_reply_len, join_b_len;
    size_t chal_ask_len, chal_b_len, b_act_len;
} gws_fix;

static inline void gws_fix_act(const ward_crypto *cp, gws_fix *f, const ward_keystore *ks,
                               const uint8_t id[WARD_GW_SUB_ID_LEN], uint8_t *act, size_t *len)
{
    static const char digits[] = "0123456789abcdef";
    uint8_t hex[2 * WARD_GW_SUB_ID_LEN], pub[WARD_P256_POINT_LEN];
    for (size_t i = 0; i < WARD_GW_SUB_ID_LEN; i++) {
        hex[2 * i] = (uint8_t)digits[id[i] >> 4];
        hex[2 * i + 1] = (uint8_t)digits[id[i] & 15];
    }
    CHECK(ks->public_key(ks->ctx, WARD_KEY_DEVICE_IDENTITY, pub) == WARD_OK);
    ward_activation a = { hex, sizeof hex, pub };
    CHECK(ward_activation_sign_by(cp, &f->fks, WARD_KEY_FACTORY, &a, act, WARD_ACTIVATION_MAX,
                                  len) == WARD_OK);
}

/* f must stay where it is: the store and the gateway point into it. */
static inline void gws_fix_make(const ward_crypto *cp, gws_fix *f)
{
    uint8_t act[WARD_ACTIVATION_MAX], localkey[WARD_GW_SUB_LOCALKEY_LEN];
    size_t act_len = 0, n = 0;
    ward_gw_sub_event ev;
    ward_gw_sub_cred cred;
    memset(f, 0, sizeof *f);
    f->seed = 11;
    f->rng = fuzz_rng(&f->seed);
    fuzz_soft_key(cp, &f->rng, &f->fsoft, &f->fks, WARD_KEY_FACTORY, GWS_FACTORY_PRIV,
                  f->factory_pub);
    fuzz_soft_key(cp, &f->rng, &f->asoft, &f->aks, WARD_KEY_DEVICE_IDENTITY, GWS_A_PRIV, NULL);
    fuzz_soft_key(cp, &f->rng, &f->bsoft, &f->bks, WARD_KEY_DEVICE_IDENTITY, GWS_B_PRIV, NULL);
    memset(f->a_id, 0xA1, sizeof f->a_id);
    memset(f->b_id, 0xB2, sizeof f->b_id);
    memset(localkey, 0x74, sizeof localkey);
    ward_sim_flash_init(&f->sf, f->mem, sizeof f->mem, 256, &f->port);
    ward_sim_flash_format(&f->sf);
    CHECK(ward_store_open(&f->st, &f->port) == WARD_OK);
    CHECK(ward_gw_sub_gw_init(&f->gw, &f->st, f->factory_pub, localkey) == WARD_OK);

    CHECK(ward_gw_sub_window_open(&f->gw, GWS_T0, 600000, 16) == WARD_OK);
    gws_fix_act(cp, f, &f->aks, f->a_id, act, &act_len);
    uint8_t chal[WARD_GW_SUB_FRAME_MAX];
    size_t chal_len = 0;
    CHECK(ward_gw_sub_challenge_ask(f->a_id, f->chal_ask, sizeof f->chal_ask,
                                    &f->chal_ask_len) == WARD_OK);
    CHECK(ward_gw_sub_handle(&f->gw, cp, &f->rng, GWS_T0, f->chal_ask, f->chal_ask_len, chal,
                             sizeof chal, &chal_len, &ev) == WARD_OK);
    CHECK(ward_gw_sub_join_start(&f->a_open, cp, &f->rng, &f->aks, WARD_KEY_DEVICE_IDENTITY,
                                 f->a_id, act, act_len, chal, chal_len, f->join_a,
                                 sizeof f->join_a, &f->join_a_len) == WARD_OK);
    CHECK(ward_gw_sub_handle(&f->gw, cp, &f->rng, GWS_T0, f->join_a, f->join_a_len,
                             f->join_a_reply, sizeof f->join_a_reply, &f->join_a_reply_len,
                             &ev) == WARD_OK &&
          ev.kind == WARD_GW_SUB_EV_JOINED);
    CHECK(ward_gw_sub_join_finish(&f->a_open, cp, &f->aks, WARD_KEY_DEVICE_IDENTITY,
                                  f->join_a_reply, f->join_a_reply_len, &cred) == WARD_OK);
    CHECK(ward_gw_sub_hello(&f->a_open, cp, &f->rng, f->hello_a, sizeof f->hello_a,
                            &f->hello_a_len) == WARD_OK);
    f->a_hello = f->a_open;
    CHECK(ward_gw_sub_handle(&f->gw, cp, &f->rng, GWS_T0, f->hello_a, f->hello_a_len,
                             f->hello_a_reply, sizeof f->hello_a_reply, &f->hello_a_reply_len,
                             &ev) == WARD_OK);
    CHECK(ward_gw_sub_hello_finish(&f->a_open, cp, f->hello_a_reply, f->hello_a_reply_len) ==
          WARD_OK);
    /* A's first packet: the gateway moves to the channel. */
    CHECK(ward_gw_sub_dev_seal(&f->a_open, cp, WARD_MSG_GW_SUB_DATA, NULL, 0, chal, sizeof chal,
                               &chal_len) == WARD_OK);
    CHECK(ward_gw_sub_handle(&f->gw, cp, &f->rng, GWS_T0, chal, chal_len, f->join_b,
                             sizeof f->join_b, &n, &ev) == WARD_OK &&
          ev.kind == WARD_GW_SUB_EV_CHANNEL);

    CHECK(ward_gw_sub_window_open(&f->gw, GWS_T0, 600000, 16) == WARD_OK);
    gws_fix_act(cp, f, &f->bks, f->b_id, f->b_act, &f->b_act_len);
    uint8_t ask_b[WARD_GW_SUB_FRAME_MAX];
    size_t ask_b_len = 0;
    CHECK(ward_gw_sub_challenge_ask(f->b_id, ask_b, sizeof ask_b, &ask_b_len) == WARD_OK);
    CHECK(ward_gw_sub_handle(&f->gw, cp, &f->rng, GWS_T0, ask_b, ask_b_len, f->chal_b,
                             sizeof f->chal_b, &f->chal_b_len, &ev) == WARD_OK);
    CHECK(ward_gw_sub_join_start(&f->b_join, cp, &f->rng, &f->bks, WARD_KEY_DEVICE_IDENTITY,
                                 f->b_id, f->b_act, f->b_act_len, f->chal_b, f->chal_b_len,
                                 f->join_b, sizeof f->join_b, &f->join_b_len) == WARD_OK);
    (void)n;
}

#endif /* WARD_FUZZ_GW_SUB_H */
