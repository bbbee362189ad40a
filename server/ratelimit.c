/* SMS rate limits per phone and per client address, kept in the store.
 * Persisted (not in memory) so a restart, or a second wardd on the same
 * database, does not hand out a fresh allowance. */
#include <stdio.h>

#include "log.h"
#include "wardd.h"

bool wardd_rate_sms(wardd *w, const char *phone, const char *addr,
                    wardd_resp *out)
{
    char kphone[64], kaddr[96];
    snprintf(kphone, sizeof kphone, "sms-phone:%s", phone);
    snprintf(kaddr, sizeof kaddr, "sms-addr:%s", addr);
    wardd_rate_key keys[2] = {
        { kphone, w->cfg.sms_per_phone },
        { kaddr, w->cfg.sms_per_addr },
    };
    int64_t retry_ms = 0;
    ward_err err = w->store.rate_take(w->store.h, keys, 2, wardd_now_ms(),
                                      WARDD_RATE_WINDOW_MS, &retry_ms);
    if (err == WARD_ERR_BUSY) {
        long s = (long)((retry_ms + 999) / 1000);
        wardd_fail(out, 429, "busy", "too many codes sent; try later");
        out->retry_after_s = s > 0 ? s : 1;
        wardd_log("warn", "rate_limited", "addr=%s retry_after=%ld", addr,
                  out->retry_after_s);
        return false;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return false;
    }
    return true;
}
