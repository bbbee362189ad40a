/* Secure time as the flows' clock (ward_time_clock_init), and a sync carried between processes. */
#include <string.h>

#include "ward/ward_time.h"

#include "../ward_inner.h"
#include "time_inner.h"

typedef struct time_clock_ctx {
    const ward_time *t;
    ward_clock local;
    uint64_t last;              /* the most this clock answered */
} time_clock_ctx;

typedef char time_clock_fits[sizeof(time_clock_ctx) <= WARD_TIME_CLOCK_CTX_SIZE ? 1 : -1];

#define TC(c) ((time_clock_ctx *)(void *)(c)->opaque.bytes)

ward_err ward_time_sync_get(const ward_time *t, ward_time_sync *s)
{
    WARD_ASSERT(t != NULL && s != NULL);
    const time_ctx *c = (const time_ctx *)(const void *)t->opaque.bytes;
    memset(s, 0, sizeof *s);
    if (!c->synced) {
        return WARD_ERR_STATE;
    }
    s->local_ms = c->synced_local;
    s->off_lo = c->off_lo;
    s->off_hi = c->off_hi;
    return WARD_OK;
}

ward_err ward_time_sync_set(ward_time *t, const ward_time_sync *s)
{
    WARD_ASSERT(t != NULL && s != NULL);
    time_ctx *c = (time_ctx *)(void *)t->opaque.bytes;
    const int64_t max = (int64_t)WARD_TIME_MS_MAX;
    /* The bounds keep now()'s sums inside int64_t, as an answer's do. */
    if (s->off_lo > s->off_hi || s->off_lo < -max || s->off_hi > max ||
        s->local_ms > WARD_TIME_MS_MAX) {
        return WARD_ERR_PARAM;
    }
    c->synced = true;
    c->synced_local = s->local_ms;
    c->off_lo = s->off_lo;
    c->off_hi = s->off_hi;
    return WARD_OK;
}

static ward_err secure_now(void *ctx, uint64_t *ms)
{
    time_clock_ctx *c = ctx;
    uint64_t local = 0;
    ward_time_interval iv;
    ward_err err = c->local.now_ms(c->local.ctx, &local);
    if (err == WARD_OK) {
        err = ward_time_now(c->t, local, &iv);
    }
    if (err == WARD_OK && !iv.synced) {
        err = WARD_ERR_STATE;
    }
    if (err != WARD_OK) {
        return err;
    }
    if (iv.lo > c->last) {
        c->last = iv.lo;
    }
    *ms = c->last;
    return WARD_OK;
}

ward_clock ward_time_clock_init(ward_time_clock *c, const ward_time *t, const ward_clock *local)
{
    WARD_ASSERT(c != NULL && t != NULL && local != NULL && local->now_ms != NULL);
    memset(c, 0, sizeof *c);
    TC(c)->t = t;
    TC(c)->local = *local;
    ward_clock clk = { secure_now, TC(c), true };
    return clk;
}
