/*
 * device_fixture.h - a provisioned flow D device ("LAMP-0001", "Desk
 * lamp", "lamp") on simulated flash with a clock the test moves, for the
 * device's and the app's tests (test_device.c, test_pair_exchange.c).
 *
 *     df_env *e = df_env_new();     // clock at DF_T0, a pairing window
 *                                   // open (its PIN in e->pin);
 *                                   // df_env_blank: unprovisioned, no
 *                                   // window, clock untrusted
 *     df_window(e);                 // a new window (the button again)
 *     e->now += 1000;
 *     df_reboot(e);                 // a power-up from the same flash
 *     test_free(e);
 */
#ifndef WARD_DEVICE_FIXTURE_H
#define WARD_DEVICE_FIXTURE_H

#include <stdint.h>

#include "ward/ward_device.h"
#include "ward/ward_port_sim.h"

#define DF_ERASE 256
#define DF_BANK ((WARD_DEV_STORE_BANK_MIN + DF_ERASE - 1) / DF_ERASE * DF_ERASE)
#define DF_T0 1700000000000ull

typedef struct df_env {
    uint8_t mem[2 * DF_BANK];
    ward_sim_flash sf;
    ward_store_port port;
    uint64_t now;
    ward_clock clock;
    ward_random rng;
    ward_device dev;
    char pin[WARD_DEV_PIN_LEN + 1];   /* the open window's */
} df_env;

df_env *df_env_new(void);
/* The same device before provisioning, its clock not trusted. */
df_env *df_env_blank(void);
void df_reboot(df_env *e);
void df_window(df_env *e);

#endif /* WARD_DEVICE_FIXTURE_H */
