/* SMS rate limits per phone and per client address, kept in the store.
 * Persisted (not in memory) so a restart, or a second wardd on the same
 * database, does not hand out a fresh allowance. */
#include <stdio.h>

#include "log.h"
#include "wardd.h"

#define BUSY_MESSAGE "too many codes sent; try later"

/* The rate limiter's 429: Retry-After from retry_ms (whole seconds, at
 * least 1), logged. */
static void busy(wardd_resp *out, const char *kind, const char *addr, int64_t retry_ms)
{
    long s = (long)((retry_ms + 999) / 1000);
    wardd_fail(out, 429, "busy", BUSY_MESSAGE);
    out->retry_after_s = s > 0 ? s : 1;
    wardd_log("warn", "rate_limited", "kind=%s addr=%s retry_after=%ld", kind, addr,
              out->retry_after_s);
}

static bool rate_take(wardd *w, const char *kind, const char *phone, const char *addr,
                      wardd_resp *out)
{
    char kphone[64], kaddr[96];
    snprintf(kphone, sizeof kphone, "%s-phone:%s", kind, phone);
    snprintf(kaddr, sizeof kaddr, "%s-addr:%s", kind, addr);
    wardd_rate_key keys[2] = {
        { kphone, w->cfg.sms_per_phone },
        { kaddr, w->cfg.sms_per_addr },
    };
    int64_t retry_ms = 0;
    ward_err err = w->store.rate_take(w->store.h, keys, 2, wardd_now_ms(),
                                      WARDD_RATE_WINDOW_MS, &retry_ms);
    if (err == WARD_ERR_BUSY) {
        busy(out, kind, addr, retry_ms);
        return false;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return false;
    }
    return true;
}

bool wardd_rate_sms(wardd *w, const char *phone, const char *addr,
                    wardd_resp *out)
{
    return rate_take(w, "sms", phone, addr, out);
}

bool wardd_rate_code(wardd *w, const char *phone, const char *addr,
                     wardd_resp *out)
{
    return rate_take(w, "code", phone, addr, out);
}

void wardd_rate_unknown_lock(wardd *w, const char *phone, const char *addr,
                             wardd_resp *out)
{
    char kphone[64];
    snprintf(kphone, sizeof kphone, "sms-phone:%s", phone);
    wardd_rate_key key = { kphone, w->cfg.sms_per_phone };
    int64_t retry_ms = 0;
    ward_err err = w->store.rate_fill(w->store.h, &key, wardd_now_ms(), WARDD_RATE_WINDOW_MS,
                                      &retry_ms);
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    /* The allowance is used up: this is the answer of a sender who used
     * it, computed by the same code, in the fill's own transaction. */
    busy(out, "sms", addr, retry_ms);
}
