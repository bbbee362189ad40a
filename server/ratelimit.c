/* Rate limits kept in the store: SMS per phone and per client address,
 * and phone-code checks per number. Persisted (not in memory) so a
 * restart, or a second wardd on the same database, does not hand out a
 * fresh allowance. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "proxy.h"
#include "wardd.h"

#define BUSY_MESSAGE "too many codes sent; try later"

/* Retry-After from retry_ms: whole seconds, at least 1. */
static long retry_s(int64_t retry_ms)
{
    long s = (long)((retry_ms + 999) / 1000);
    return s > 0 ? s : 1;
}

/* The rate limiter's 429, logged. */
static void busy(wardd_resp *out, const char *kind, const char *addr, int64_t retry_ms)
{
    wardd_fail(out, 429, "busy", BUSY_MESSAGE);
    wardd_metric_inc(kind[0] == 's' ? WARDD_C_RATE_SMS : WARDD_C_RATE_CODE);
    out->retry_after_s = retry_s(retry_ms);
    wardd_log("warn", "rate_limited", "kind=%s addr=%s retry_after=%ld", kind, addr,
              out->retry_after_s);
}

void wardd_fail_retry(wardd_resp *out, int64_t retry_ms, const char *why)
{
    char msg[96];
    long s = retry_s(retry_ms);
    snprintf(msg, sizeof msg, "%s: try again in %ld s", why, s);
    wardd_fail(out, 429, "busy", msg);
    out->retry_after_s = s;
}

/* The address a limit counts (wardd.h). */
void wardd_addr_unit(const char *addr, char *out, size_t cap)
{
    uint8_t a[16];
    if (strchr(addr, ':') == NULL || !wardd_addr_parse(addr, strlen(addr), a)) {
        snprintf(out, cap, "%s", addr);
        return;
    }
    memset(a + 8, 0, 8);
    char text[64];
    wardd_addr_text(a, text, sizeof text);
    snprintf(out, cap, "%s/64", text);
}

static bool rate_take(wardd *w, const char *kind, const char *phone, const char *addr,
                      wardd_resp *out)
{
    char kphone[64], kaddr[96], unit[72];
    wardd_addr_unit(addr, unit, sizeof unit);
    snprintf(kphone, sizeof kphone, "%s-phone:%s", kind, phone);
    snprintf(kaddr, sizeof kaddr, "%s-addr:%s", kind, unit);
    wardd_rate_key keys[2] = {
        { kphone, WARDD_LIVE(w, sms_per_phone) },
        { kaddr, WARDD_LIVE(w, sms_per_addr) },
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

/* The number's budget is what keeps accounts opened for it from bringing
 * fresh guesses each. What it still allows: a stranger with throw-away
 * accounts naming the number (each registration texts the number a code,
 * rate-limited) can spend the day's checks with real guesses at those
 * codes, and so delay the owner's verification by up to a day; never take
 * the number over: 10 guesses a day at 10^6 codes. */
bool wardd_rate_code_check(wardd *w, const char *uid, const char *phone,
                           const uint8_t mac[WARD_SHA256_LEN], ward_err *err,
                           wardd_code_res *res, wardd_resp *out)
{
    char key[64];
    snprintf(key, sizeof key, "code-check-phone:%s", phone);
    wardd_rate_key budget = { key, WARDD_CODE_CHECKS_PER_PHONE };
    *err = w->store.code_check(w->store.h, uid, mac, wardd_now_ms(), &budget,
                               WARDD_CODE_CHECK_WINDOW_MS, res);
    if (*err == WARD_ERR_BUSY && res->budget_spent) {
        wardd_log("warn", "code_refused", "uid=%s reason=phone_budget", uid);
        wardd_metric_inc(WARDD_C_RATE_CODE_CHECK);
        wardd_fail_retry(out, res->retry_ms, "too many codes tried for this phone number");
        return false;
    }
    return true;
}

void wardd_rate_unknown_lock(wardd *w, const char *phone, const char *addr,
                             wardd_resp *out)
{
    char kphone[64];
    snprintf(kphone, sizeof kphone, "sms-phone:%s", phone);
    wardd_rate_key key = { kphone, WARDD_LIVE(w, sms_per_phone) };
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
