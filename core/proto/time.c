/* Secure time, the device's end (ward_time.h): k-of-n agreement, the floor in the store, now as an interval. */
#include <string.h>

#include "ward/ward_suite.h"
#include "ward/ward_time.h"

#include "../ward_inner.h"
#include "time_inner.h"

#define T(t) ((time_ctx *)(void *)(t)->opaque.bytes)
#define CT(t) ((const time_ctx *)(const void *)(t)->opaque.bytes)

static ward_err floor_write(time_ctx *c, ward_store *st, uint64_t floor_ms)
{
    if (floor_ms <= c->floor_ms) {
        return WARD_OK;
    }
    if (st != NULL) {
        uint8_t v[8];
        ward_store64(v, floor_ms);
        ward_err err = ward_store_put(st, WARD_TIME_REC_FLOOR, v, sizeof v);
        if (err != WARD_OK) {
            return err;
        }
    }
    c->floor_ms = floor_ms;
    return WARD_OK;
}

ward_err ward_time_init(ward_time *t, const ward_crypto *cp, const ward_store *st,
                        const uint8_t (*keys)[WARD_P256_POINT_LEN], size_t n, unsigned k,
                        uint64_t build_ms)
{
    WARD_ASSERT(t != NULL && cp != NULL && (keys != NULL || n == 0));
    memset(t, 0, sizeof *t);
    time_ctx *c = T(t);
    if (n < 1 || n > WARD_TIME_KEYS_MAX || k < 1 || k > n || build_ms > WARD_TIME_MS_MAX) {
        return WARD_ERR_PARAM;
    }
    c->cp = cp;
    for (size_t i = 0; i < n; i++) {
        ward_err err = cp->p256_point_check(keys[i]);
        if (err == WARD_OK) {
            err = ward_time_key_id(cp, keys[i], c->ids[i]);
        }
        if (err != WARD_OK) {
            memset(t, 0, sizeof *t);
            return err;
        }
        /* One server named twice would count twice towards k. */
        for (size_t j = 0; j < i; j++) {
            if (memcmp(keys[j], keys[i], WARD_P256_POINT_LEN) == 0 ||
                memcmp(c->ids[j], c->ids[i], WARD_TIME_KEY_ID_LEN) == 0) {
                memset(t, 0, sizeof *t);
                return WARD_ERR_PARAM;
            }
        }
        memcpy(c->keys[i], keys[i], WARD_P256_POINT_LEN);
    }
    c->n = (uint8_t)n;
    c->k = (uint8_t)k;
    c->floor_ms = build_ms;
    if (st != NULL) {
        uint8_t v[8];
        size_t len = 0;
        ward_err err = ward_store_get(st, WARD_TIME_REC_FLOOR, v, sizeof v, &len);
        if (err == WARD_OK && len != sizeof v) {
            err = WARD_ERR_FORMAT;
        }
        if (err == WARD_OK) {
            uint64_t stored = ward_load64(v);
            if (stored > c->floor_ms) {
                c->floor_ms = stored;
            }
        } else if (err != WARD_ERR_NOTFOUND) {
            memset(t, 0, sizeof *t);
            return err == WARD_ERR_NOSPACE ? WARD_ERR_FORMAT : err;
        }
    }
    return WARD_OK;
}

ward_err ward_time_begin(ward_time *t, const ward_random *rng, uint64_t local_ms,
                         uint8_t nonce[WARD_TIME_NONCE_LEN])
{
    WARD_ASSERT(t != NULL && rng != NULL && nonce != NULL);
    time_ctx *c = T(t);
    WARD_ASSERT(c->cp != NULL);
    c->pending = false;
    memset(c->got, 0, sizeof c->got);
    if (local_ms > WARD_TIME_MS_MAX) {
        return WARD_ERR_PARAM;
    }
    ward_err err = rng->fill(rng->ctx, c->nonce, sizeof c->nonce);
    if (err != WARD_OK) {
        return err;
    }
    memcpy(nonce, c->nonce, WARD_TIME_NONCE_LEN);
    c->begun_local = local_ms;
    c->pending = true;
    return WARD_OK;
}

ward_err ward_time_add(ward_time *t, const uint8_t *answer, size_t len, uint64_t local_ms)
{
    WARD_ASSERT(t != NULL);
    time_ctx *c = T(t);
    if (!c->pending) {
        return WARD_ERR_STATE;
    }
    if (local_ms < c->begun_local || local_ms > WARD_TIME_MS_MAX) {
        return WARD_ERR_PARAM;
    }
    ward_time_answer a;
    ward_err err = ward_time_answer_parse(answer, len, &a);
    if (err != WARD_OK) {
        return err;
    }
    size_t i = 0;
    while (i < c->n && memcmp(c->ids[i], a.key_id, WARD_TIME_KEY_ID_LEN) != 0) {
        i++;
    }
    if (i == c->n) {
        return WARD_ERR_NOTFOUND;
    }
    /* Verify before anything else is said about it: the nonce ties the
     * answer to this sync (an old answer replayed fails here). */
    if (!ward_ct_equal(a.nonce, c->nonce, WARD_TIME_NONCE_LEN)) {
        return WARD_ERR_AUTH;
    }
    err = ward_verify(c->cp, TIME_LABEL, c->keys[i], answer, WARD_TIME_BODY_LEN, a.sig);
    if (err != WARD_OK) {
        return err == WARD_ERR_FORMAT ? WARD_ERR_AUTH : err;
    }
    if (local_ms - c->begun_local > WARD_TIME_RTT_MAX_MS) {
        return WARD_ERR_EXPIRED;
    }
    if (c->got[i]) {
        return WARD_ERR_CONFLICT;
    }
    /* The server read its clock between begin and now: true - local at
     * any later instant is in [T - R - now, T + R - begun]. */
    c->lo[i] = (int64_t)a.time_ms - (int64_t)a.radius_ms - (int64_t)local_ms;
    c->hi[i] = (int64_t)a.time_ms + (int64_t)a.radius_ms - (int64_t)c->begun_local;
    c->got[i] = true;
    return WARD_OK;
}

/* How many answers' intervals hold offset x. */
static unsigned cover(const time_ctx *c, int64_t x)
{
    unsigned m = 0;
    for (size_t j = 0; j < c->n; j++) {
        m += c->got[j] && c->lo[j] <= x && x <= c->hi[j];
    }
    return m;
}

ward_err ward_time_finish(ward_time *t, ward_store *st, uint64_t local_ms)
{
    WARD_ASSERT(t != NULL);
    time_ctx *c = T(t);
    if (!c->pending) {
        return WARD_ERR_STATE;
    }
    c->pending = false;
    if (local_ms < c->begun_local || local_ms > WARD_TIME_MS_MAX) {
        return WARD_ERR_PARAM;
    }
    /* The points held by k intervals start at some interval's low end
     * and stop at some interval's high end. */
    bool any = false;
    int64_t lo = 0, hi = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->got[i]) {
            continue;
        }
        if (cover(c, c->lo[i]) >= c->k && (!any || c->lo[i] < lo)) {
            lo = c->lo[i];
            any = true;
        }
    }
    /* Some high end is covered by k too: the least one of the k intervals
     * holding lo. Offsets may be negative (a count ahead of the epoch). */
    bool any_hi = false;
    for (size_t i = 0; any && i < c->n; i++) {
        if (c->got[i] && cover(c, c->hi[i]) >= c->k && (!any_hi || c->hi[i] > hi)) {
            hi = c->hi[i];
            any_hi = true;
        }
    }
    memset(c->got, 0, sizeof c->got);
    if (!any) {
        return WARD_ERR_AUTH;
    }
    int64_t now_lo = (int64_t)local_ms + lo, now_hi = (int64_t)local_ms + hi;
    if (now_hi < 0 || (uint64_t)now_hi < c->floor_ms) {
        return WARD_ERR_STATE;
    }
    if (now_lo < 0 || (uint64_t)now_lo < c->floor_ms) {
        now_lo = (int64_t)c->floor_ms;
    }
    ward_err err = floor_write(c, st, (uint64_t)now_lo);
    if (err != WARD_OK) {
        return err;
    }
    c->synced = true;
    c->synced_local = local_ms;
    c->off_lo = now_lo - (int64_t)local_ms;
    c->off_hi = hi;
    return WARD_OK;
}

ward_err ward_time_now(const ward_time *t, uint64_t local_ms, ward_time_interval *out)
{
    WARD_ASSERT(t != NULL && out != NULL);
    const time_ctx *c = CT(t);
    out->lo = c->floor_ms;
    out->hi = UINT64_MAX;
    out->synced = false;
    if (!c->synced) {
        return WARD_OK;
    }
    if (local_ms < c->synced_local || local_ms > WARD_TIME_MS_MAX) {
        return WARD_ERR_PARAM;
    }
    uint64_t el = local_ms - c->synced_local;
    int64_t w = (int64_t)(el / (1000000u / WARD_TIME_DRIFT_PPM)) + 1;
    int64_t lo = (int64_t)local_ms + c->off_lo - w;
    int64_t hi = (int64_t)local_ms + c->off_hi + w;
    out->lo = lo > 0 && (uint64_t)lo > c->floor_ms ? (uint64_t)lo : c->floor_ms;
    out->hi = hi > 0 && (uint64_t)hi > out->lo ? (uint64_t)hi : out->lo;
    out->synced = true;
    return WARD_OK;
}

uint64_t ward_time_floor(const ward_time *t)
{
    WARD_ASSERT(t != NULL);
    return CT(t)->floor_ms;
}

ward_err ward_time_save(ward_time *t, ward_store *st, uint64_t local_ms)
{
    WARD_ASSERT(t != NULL);
    ward_time_interval iv;
    ward_err err = ward_time_now(t, local_ms, &iv);
    if (err != WARD_OK || !iv.synced) {
        return err;
    }
    return floor_write(T(t), st, iv.lo);
}
