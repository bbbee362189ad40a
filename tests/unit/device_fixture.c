/* A provisioned flow D device on simulated flash (device_fixture.h). */
#include "ward_test.h"

#include <stdbool.h>
#include <string.h>

#include "device_fixture.h"

static ward_err fake_now(void *ctx, uint64_t *ms)
{
    *ms = ((df_env *)ctx)->now;
    return WARD_OK;
}

void df_reboot(df_env *e)
{
    ward_sim_flash_init(&e->sf, e->mem, sizeof e->mem, DF_ERASE, &e->port);
    assert_int_equal(ward_dev_open(&e->dev, ward_test_cp, &e->rng, &e->clock,
                                   &e->port), WARD_OK);
}

static df_env *env_alloc(bool trusted_clock)
{
    df_env *e = test_calloc(1, sizeof *e);
    memset(e->mem, 0xFF, sizeof e->mem);
    e->now = DF_T0;
    e->clock.now_ms = fake_now;
    e->clock.ctx = e;
    e->clock.trusted = trusted_clock;
    e->rng = ward_test_rng();
    df_reboot(e);
    return e;
}

df_env *df_env_blank(void)
{
    return env_alloc(false);
}

void df_window(df_env *e)
{
    assert_int_equal(ward_dev_open_window(&e->dev, e->pin), WARD_OK);
    assert_int_equal(strlen(e->pin), WARD_DEV_PIN_LEN);
}

df_env *df_env_new(void)
{
    df_env *e = env_alloc(true);
    assert_int_equal(ward_dev_provision(&e->dev, (const uint8_t *)"LAMP-0001",
                                        9, (const uint8_t *)"Desk lamp", 9,
                                        (const uint8_t *)"lamp", 4), WARD_OK);
    df_window(e);
    return e;
}
