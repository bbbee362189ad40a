/* The device's pairing window: opened by a local action, its PIN, its
 * attempt count in the store, its end. */
#include <string.h>

#include "ward/ward_device.h"
#include "ward_inner.h"
#include "lock_inner.h"
#include "dev_inner.h"

/* Rejection sampling keeps a byte with probability 250/256, so a working
 * source fills the 6 digits from these 128 bytes but for a chance far
 * below 2^-400: running out means the random port is broken (stuck at
 * 0xFF, say), and a bounded loop says so rather than hang the device. */
#define PIN_DRAWS 8

static ward_err random_pin(const ward_random *rng, uint8_t pin[WARD_DEV_PIN_LEN])
{
    uint8_t r[16];
    size_t n = 0;
    ward_err err = WARD_ERR_CRYPTO;
    /* Rejection sampling: bytes below 250 are uniform mod 10. */
    for (unsigned draw = 0; draw < PIN_DRAWS && n < WARD_DEV_PIN_LEN; draw++) {
        err = rng->fill(rng->ctx, r, sizeof r);
        if (err != WARD_OK) {
            break;
        }
        for (size_t i = 0; i < sizeof r && n < WARD_DEV_PIN_LEN; i++) {
            if (r[i] < 250u) {
                pin[n++] = (uint8_t)('0' + r[i] % 10u);
            }
        }
    }
    if (err == WARD_OK && n < WARD_DEV_PIN_LEN) {
        err = WARD_ERR_CRYPTO;
    }
    if (err != WARD_OK) {
        ward_wipe(pin, WARD_DEV_PIN_LEN);
    }
    ward_wipe(r, sizeof r);
    return err;
}

void ward_dev_bind_free(ward_dev_binding *b)
{
    ward_spake2p_wipe(&b->pake);
    ward_wipe(b, sizeof *b);
}

/* A clock that went back counts as time run out: fail closed. */
static bool timed_out(const ward_dev_win *w, uint64_t now)
{
    return now < w->opened_ms || now - w->opened_ms >= WARD_DEV_WINDOW_MS;
}

bool ward_dev_bind_live(const ward_device *dev, const ward_dev_binding *b,
                        uint64_t now)
{
    const ward_dev_win *w = &dev_cst(dev)->win;
    if (!w->open || w->closing || timed_out(w, now)) {
        return false;
    }
    if (b->stage == DEV_STAGE_PIN) {
        return true;
    }
    return b->stage == DEV_STAGE_PAKE && now >= b->since_ms &&
           now - b->since_ms <= WARD_DEV_PAKE_TTL_MS;
}

void ward_dev_window_encode(const ward_dev_win *w, uint8_t fails,
                            uint8_t out[DEV_WINDOW_LEN])
{
    ward_store64(out, w->opened_ms);
    out[8] = fails;
    memcpy(out + 9, w->pin, WARD_DEV_PIN_LEN);
}

void ward_dev_window_load(ward_device *dev)
{
    uint8_t rec[DEV_WINDOW_LEN + 1];
    size_t len = 0;
    bool ok = ward_store_get(&dev_lk(dev)->store, DEV_REC_WINDOW, rec,
                             sizeof rec, &len) == WARD_OK &&
              len == DEV_WINDOW_LEN;
    for (size_t i = 0; ok && i < WARD_DEV_PIN_LEN; i++) {
        ok = rec[9 + i] >= '0' && rec[9 + i] <= '9';
    }
    ward_wipe(&dev_st(dev)->win, sizeof dev_st(dev)->win);
    if (ok) {
        dev_st(dev)->win.open = 1;
        dev_st(dev)->win.opened_ms = ward_load64(rec);
        /* A build with a smaller cap finds the window spent. */
        dev_st(dev)->win.fails = rec[8] < WARD_DEV_PIN_MAX_ATTEMPTS
                             ? rec[8] : (uint8_t)WARD_DEV_PIN_MAX_ATTEMPTS;
        memcpy(dev_st(dev)->win.pin, rec + 9, WARD_DEV_PIN_LEN);
    }
    ward_wipe(rec, sizeof rec);
}

/* Forgets the window in RAM: every binding in progress, the PIN. Only
 * once the store no longer holds the window (or holds the next one), so
 * RAM never calls a window over that a restart would open again. */
static void window_teardown(ward_device *dev)
{
    for (size_t i = 0; i < WARD_DEV_MAX_BINDINGS; i++) {
        ward_dev_bind_free(&dev_st(dev)->bind[i]);
    }
    ward_wipe(&dev_st(dev)->win, sizeof dev_st(dev)->win);
}

/* Ends the window: its record first (the store erases the bank that held
 * it once the removal is durable), then RAM. A removal the store refuses
 * leaves the window closing: it takes no binding, and every look at it
 * (ward_dev_window_sync) tries the removal again. */
static ward_err window_close(ward_device *dev)
{
    ward_err err = WARD_OK;
    if (dev_st(dev)->win.open) {
        err = ward_store_remove(&dev_lk(dev)->store, DEV_REC_WINDOW);
    }
    if (err == WARD_OK) {
        window_teardown(dev);
    } else {
        dev_st(dev)->win.closing = 1;
    }
    return err;
}

/* A binding that has spent an attempt and may still succeed (and so be
 * refunded). */
static bool pake_in_flight(const ward_device *dev, uint64_t now)
{
    for (size_t i = 0; i < WARD_DEV_MAX_BINDINGS; i++) {
        if (dev_cst(dev)->bind[i].stage == DEV_STAGE_PAKE &&
            ward_dev_bind_live(dev, &dev_cst(dev)->bind[i], now)) {
            return true;
        }
    }
    return false;
}

bool ward_dev_window_sync(ward_device *dev, uint64_t now, ward_err *err)
{
    *err = WARD_OK;
    if (!dev_st(dev)->win.open) {
        return false;
    }
    if (dev_st(dev)->win.closing || timed_out(&dev_st(dev)->win, now) ||
        (dev_st(dev)->win.fails >= WARD_DEV_PIN_MAX_ATTEMPTS &&
         !pake_in_flight(dev, now))) {
        *err = window_close(dev);
        return false;
    }
    return true;
}

bool ward_dev_window_has_attempts(const ward_device *dev)
{
    return dev_cst(dev)->win.open && !dev_cst(dev)->win.closing &&
           dev_cst(dev)->win.fails < WARD_DEV_PIN_MAX_ATTEMPTS;
}

ward_err ward_dev_window_count(ward_device *dev)
{
    uint8_t rec[DEV_WINDOW_LEN];
    WARD_ASSERT(ward_dev_window_has_attempts(dev));
    ward_dev_window_encode(&dev_st(dev)->win, (uint8_t)(dev_st(dev)->win.fails + 1u), rec);
    ward_err err = ward_store_put(&dev_lk(dev)->store, DEV_REC_WINDOW, rec,
                                  sizeof rec);
    ward_wipe(rec, sizeof rec);
    if (err == WARD_OK) {
        dev_st(dev)->win.fails++;
    }
    return err;
}

ward_err ward_dev_open_window(ward_device *dev, char pin[WARD_DEV_PIN_LEN + 1])
{
    ward_dev_info info;
    ward_dev_win w;
    uint8_t rec[DEV_WINDOW_LEN];
    WARD_ASSERT(dev != NULL && pin != NULL);
    memset(pin, 0, WARD_DEV_PIN_LEN + 1);
    memset(&w, 0, sizeof w);
    ward_err err = ward_dev_get_info(dev, &info);
    if (err == WARD_OK) {
        err = ward_dev_now(dev, &w.opened_ms);
    }
    if (err == WARD_OK) {
        err = random_pin(&dev_lk(dev)->rng, w.pin);
    }
    if (err != WARD_OK) {
        ward_wipe(&w, sizeof w);
        return err;
    }
    /* The new window and the removal of the lock-out record of earlier
     * versions land in one update; a removal also has the store erase
     * the other bank, where the previous window's PIN was. The old window
     * ends, its bindings with it, once the store holds the new one: a
     * failed update leaves it as the store still has it. */
    ward_dev_window_encode(&w, 0, rec);
    ward_record_change ch[2] = {
        { DEV_REC_WINDOW, rec, sizeof rec, false },
        { DEV_REC_OLD_LOCKOUT, NULL, 0, true },
    };
    err = ward_store_update(&dev_lk(dev)->store, ch, 2);
    if (err == WARD_OK) {
        window_teardown(dev);
        w.open = 1;
        dev_st(dev)->win = w;
        memcpy(pin, w.pin, WARD_DEV_PIN_LEN);
    }
    ward_wipe(rec, sizeof rec);
    ward_wipe(&w, sizeof w);
    return err;
}

ward_err ward_dev_close_window(ward_device *dev)
{
    WARD_ASSERT(dev != NULL);
    return window_close(dev);
}

ward_err ward_dev_window_state(ward_device *dev, ward_dev_window *w)
{
    uint64_t now = 0;
    WARD_ASSERT(dev != NULL && w != NULL);
    memset(w, 0, sizeof *w);
    ward_err err = ward_dev_now(dev, &now);
    if (err != WARD_OK) {
        return err;
    }
    bool open = ward_dev_window_sync(dev, now, &err);
    w->closing = dev_st(dev)->win.open && dev_st(dev)->win.closing;
    if (open) {
        w->open = true;
        w->remaining_ms = dev_st(dev)->win.opened_ms + WARD_DEV_WINDOW_MS - now;
        w->attempts_left = (unsigned)(WARD_DEV_PIN_MAX_ATTEMPTS - dev_st(dev)->win.fails);
        memcpy(w->pin, dev_st(dev)->win.pin, WARD_DEV_PIN_LEN);
    }
    return err;
}
