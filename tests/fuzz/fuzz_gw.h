/* Shared by the flow C LAN harnesses: a gateway and an app linked once, restored per input. */
#ifndef WARD_FUZZ_GW_H
#define WARD_FUZZ_GW_H

#include <stdint.h>
#include <string.h>

#include "ward/ward_gw_prov.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_sim.h"
#include "proto/gw_prov_inner.h"
#include "fuzz_common.h"

#define FG_BANK 1024

typedef struct fg {
    uint8_t mem[2 * FG_BANK];
    ward_sim_flash sf;
    ward_store_port port;
    uint32_t rng_state;
    ward_random rng;
    ward_gw_prov_config cfg;
    ward_gw_qr qr;
    ward_gw_prov gw;
    ward_gw_app app;
} fg;

static fg fg_base, fg_cur;
static int fg_ready;

/* Brings a gateway and an app through SEARCH once; every input starts
 * from a copy of that (the store's port points at fg_cur's flash). */
static inline fg *fg_get(void)
{
    const ward_crypto *cp = ward_crypto_openssl();
    if (!fg_ready) {
        fg *x = &fg_base;
        uint8_t q[WARD_GW_PROV_MSG_MAX], a[WARD_GW_PROV_MSG_MAX];
        size_t ql = 0, al = 0;
        ward_gw_info info;
        memset(x, 0, sizeof *x);
        memset(x->mem, 0xFF, sizeof x->mem);
        x->rng_state = 7;
        x->rng = fuzz_rng(&x->rng_state);
        static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0xa3, 0xb4, 0xc5 };
        memcpy(x->cfg.mac, mac, 6);
        memset(x->cfg.pop, 0x42, sizeof x->cfg.pop);
        x->cfg.tcp_port = 10080;
        memcpy(x->qr.mac, mac, 6);
        memcpy(x->qr.pop, x->cfg.pop, sizeof x->qr.pop);
        strcpy(x->qr.brand, "ward");
        strcpy(x->qr.category, "hub");
        ward_sim_flash_init(&x->sf, x->mem, sizeof x->mem, 64, &x->port);
        CHECK(ward_gw_prov_open(&x->gw, cp, &x->rng, &x->port, &x->cfg) == WARD_OK);
        CHECK(ward_gw_app_start(&x->app, cp, &x->rng, &x->qr, q, sizeof q, &ql) == WARD_OK);
        CHECK(ward_gw_prov_udp(&x->gw, 1000, q, ql, a, sizeof a, &al) == WARD_OK);
        CHECK(ward_gw_app_search_reply(&x->app, a, al, &info) == WARD_OK);
        fg_ready = 1;
    }
    fg_cur = fg_base;
    /* Pointers into the copy: the flash, the rng state, the store's port. */
    fg *x = &fg_cur;
    ward_sim_flash_init(&x->sf, x->mem, sizeof x->mem, 64, &x->port);
    x->rng = fuzz_rng(&x->rng_state);
    ward_gw_prov_state *s = (ward_gw_prov_state *)(void *)x->gw.opaque.bytes;
    s->rng = x->rng;
    CHECK(ward_store_open(&s->store, &x->port) == WARD_OK);
    return x;
}

static inline ward_gw_app_state *fg_app(fg *x)
{
    return (ward_gw_app_state *)(void *)x->app.opaque.bytes;
}

#endif /* WARD_FUZZ_GW_H */
