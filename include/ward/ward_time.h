/*
 * ward_time.h - secure time: a device learns "now" as a bounded interval
 * from k of n time servers it trusts, and never lets it go back.
 *
 * A device without a battery-backed clock does not know the date after a
 * power cut, yet expiries (tasks, credentials, certificates) need one. A
 * time server (wardd's GET /v1/time) signs {time, radius, the device's
 * nonce} with its time key; the device holds the public keys of n servers
 * and believes a time only when k of them agree. What it has believed is
 * kept as a floor in the power-safe store (ward_store.h): a later answer,
 * from a server replayed or lying, can never move the device's time back
 * below it. docs/protocol.md, "Secure time", gives the bytes.
 *
 * Times are milliseconds since the Unix epoch ("true" time). The caller
 * also passes its own monotonic count in ms ("local": a tick counter that
 * never goes back while powered, starting anywhere); after a sync the
 * module answers true time from it, widened by the drift bound.
 *
 * Call sequence (a device, k = 2 of n = 3):
 *     ward_time t;
 *     ward_time_init(&t, cp, &st, keys, 3, 2, BUILD_TIME_MS);
 *     ward_time_begin(&t, &rng, local_ms(), nonce);   // one nonce for all
 *     for each server: GET /v1/time?nonce=hex(nonce) ->
 *         ward_time_add(&t, answer, len, local_ms());  // each checked alone
 *     ward_time_finish(&t, &st, local_ms());  // k agree: floor raised
 *     ward_time_now(&t, local_ms(), &iv);      // [iv.lo, iv.hi]
 * A server: ward_time_answer_make() with its key in a keystore.
 *
 * The context is opaque, holds copies of the keys and no pointer into the
 * caller's memory (the crypto table is static), so it may be copied.
 * Until a sync succeeds after power-up, now() answers [floor, unknown].
 *
 * The flows take "now" from a ward_clock (ward_clock.h); ward_time_clock_init
 * makes one whose now is secure time, so every expiry check of a flow uses
 * it: the device opens its flows with that clock instead of a wall clock.
 */
#ifndef WARD_TIME_H
#define WARD_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_attr.h"
#include "ward_clock.h"
#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_keystore.h"
#include "ward_random.h"
#include "ward_store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_TIME_NONCE_LEN 32
#define WARD_TIME_KEY_ID_LEN 8
#define WARD_TIME_VERSION 0x01u
/* version, key id, time (8), radius (4), nonce, signature. */
#define WARD_TIME_BODY_LEN (1 + WARD_TIME_KEY_ID_LEN + 8 + 4 + WARD_TIME_NONCE_LEN)
#define WARD_TIME_ANSWER_LEN (WARD_TIME_BODY_LEN + WARD_P256_SIG_LEN)
/* Most time servers a device trusts. */
#define WARD_TIME_KEYS_MAX 8
/* Widest radius an answer may claim (a minute): a server that knows its
 * time no better is no use, and a bound keeps the sums in range. */
#define WARD_TIME_RADIUS_MAX_MS 60000u
/* Latest time an answer may carry (2^62 ms, in the year 146 million):
 * keeps every sum of times, radii and offsets inside int64_t. */
#define WARD_TIME_MS_MAX (UINT64_C(1) << 62)
/* Longest round trip an answer is taken after: the interval grows with
 * it, and a delayed answer is worth nothing. */
#define WARD_TIME_RTT_MAX_MS 30000u
/* Drift bound of the local count between syncs, in parts per million
 * (a crystal within 100 ppm): now() widens by it on each side. */
#define WARD_TIME_DRIFT_PPM 100u
/* The store record of the floor (ward_records.h: secure time's range). */
#define WARD_TIME_REC_FLOOR 0x0900u

/* One answer as sent (WARD_TIME_ANSWER_LEN bytes), read but not checked. */
typedef struct ward_time_answer {
    uint8_t key_id[WARD_TIME_KEY_ID_LEN];
    uint64_t time_ms;
    uint32_t radius_ms;
    uint8_t nonce[WARD_TIME_NONCE_LEN];
    uint8_t sig[WARD_P256_SIG_LEN];
} ward_time_answer;

/* The true time, somewhere in [lo, hi]; hi is UINT64_MAX when unknown
 * (not synced since power-up). */
typedef struct ward_time_interval {
    uint64_t lo;
    uint64_t hi;
    bool synced;
} ward_time_interval;

/* Opaque: keys, floor, the sync under way and its result
 * (core/proto/time_inner.h). */
#define WARD_TIME_CTX_SIZE                                                   \
    (WARD_TIME_KEYS_MAX * (WARD_P256_POINT_LEN + WARD_TIME_KEY_ID_LEN + 24) + 128 + \
     2 * sizeof(void *))
typedef struct ward_time {
    WARD_OPAQUE(WARD_TIME_CTX_SIZE);
} ward_time;

/* A key's id: the first WARD_TIME_KEY_ID_LEN bytes of SHA-256(pub). */
WARD_MUST_CHECK
ward_err ward_time_key_id(const ward_crypto *cp, const uint8_t pub[WARD_P256_POINT_LEN],
                          uint8_t id[WARD_TIME_KEY_ID_LEN]);

/* Server: signs an answer with key id of ks (label "time"). out gets
 * WARD_TIME_ANSWER_LEN bytes. WARD_ERR_PARAM for a time past
 * WARD_TIME_MS_MAX or a radius past WARD_TIME_RADIUS_MAX_MS. */
WARD_MUST_CHECK
ward_err ward_time_answer_make(const ward_crypto *cp, const ward_keystore *ks, ward_key_id id,
                               uint64_t time_ms, uint32_t radius_ms,
                               const uint8_t nonce[WARD_TIME_NONCE_LEN],
                               uint8_t *out, size_t cap, size_t *len);

/* Reads an answer's fields (no signature check): WARD_ERR_FORMAT for a
 * wrong length or version, a time or radius out of range. */
WARD_MUST_CHECK
ward_err ward_time_answer_parse(const uint8_t *in, size_t len, ward_time_answer *a);

/* Device: keys are the n trusted servers' public points (distinct, each
 * on the curve: else WARD_ERR_PARAM / WARD_ERR_FORMAT), k of them must
 * agree (1 <= k <= n <= WARD_TIME_KEYS_MAX). The floor is the larger of
 * the stored one and build_ms, the firmware's build time (a device
 * without a floor yet starts there). st is only read; NULL: no store. */
WARD_MUST_CHECK
ward_err ward_time_init(ward_time *t, const ward_crypto *cp, const ward_store *st,
                        const uint8_t (*keys)[WARD_P256_POINT_LEN], size_t n, unsigned k,
                        uint64_t build_ms);

/* Starts a sync: a fresh nonce (give it to every server) and the local
 * count it was made at. A sync under way is dropped. */
WARD_MUST_CHECK
ward_err ward_time_begin(ward_time *t, const ward_random *rng, uint64_t local_ms,
                         uint8_t nonce[WARD_TIME_NONCE_LEN]);

/* One server's answer, received at local_ms: WARD_ERR_STATE no sync under
 * way, WARD_ERR_FORMAT not an answer, WARD_ERR_NOTFOUND a key not
 * trusted, WARD_ERR_AUTH a wrong nonce (a replayed answer) or signature,
 * WARD_ERR_EXPIRED later than WARD_TIME_RTT_MAX_MS after begin,
 * WARD_ERR_CONFLICT this key answered already (counted once). */
WARD_MUST_CHECK
ward_err ward_time_add(ward_time *t, const uint8_t *answer, size_t len, uint64_t local_ms);

/* Ends the sync: the true time is believed where at least k answers'
 * intervals overlap (the hull of those points: with at most k - 1 liars
 * every such point lies inside an honest server's interval). Then the
 * floor is raised to the interval's low end and written to st in one
 * power-safe update. WARD_ERR_AUTH fewer than k answers agree,
 * WARD_ERR_STATE they agree on a time wholly below the floor (time
 * going back: refused, nothing changes), WARD_ERR_IO the store failed
 * (nothing adopted). The sync is over in every case. */
WARD_MUST_CHECK
ward_err ward_time_finish(ward_time *t, ward_store *st, uint64_t local_ms);

/* Now, as [lo, hi] (lo never below the floor). WARD_ERR_PARAM when
 * local_ms is before the last sync's (the count went back). */
WARD_MUST_CHECK
ward_err ward_time_now(const ward_time *t, uint64_t local_ms, ward_time_interval *out);

/* The floor: the latest true time known to have passed. */
uint64_t ward_time_floor(const ward_time *t);

/* Raises the stored floor to now()'s low end when that is later (call it
 * now and then, e.g. before a long sleep): WARD_ERR_IO as finish. */
WARD_MUST_CHECK
ward_err ward_time_save(ward_time *t, ward_store *st, uint64_t local_ms);

/* A sync's result, as a device keeps it in RAM: at local count local_ms
 * the true time minus the local count lay in [off_lo, off_hi]. For a host
 * that plays one device in several processes sharing one monotonic count
 * (the CLI: one boot of one machine): what one process learnt, the next
 * takes up. It is as trusted as the caller's RAM; now() still never
 * answers below the floor. */
typedef struct ward_time_sync {
    uint64_t local_ms;
    int64_t off_lo;
    int64_t off_hi;
} ward_time_sync;

/* The last sync's result: WARD_ERR_STATE when none since init. */
WARD_MUST_CHECK
ward_err ward_time_sync_get(const ward_time *t, ward_time_sync *s);

/* Takes up a sync made by another process of this device on the same
 * local count: WARD_ERR_PARAM when off_lo > off_hi, an offset beyond
 * +-WARD_TIME_MS_MAX or local_ms past it. */
WARD_MUST_CHECK
ward_err ward_time_sync_set(ward_time *t, const ward_time_sync *s);

/* The flows' clock on secure time. Its now_ms answers the low end of
 * now() (an expiry is passed once the low end is past it: a device may
 * act at most the interval's width, radius + round trip + drift, after
 * one, never before a start it stamped), never less than it answered
 * before (a new sync's interval may start lower than the last one's: the
 * answer stays a time known to have passed, and a stamp never looks
 * younger than it is). Before a sync since power-up it answers
 * WARD_ERR_STATE: the high end is unknown, the device cannot tell whether
 * a deadline has passed, and every check fails closed rather than accept
 * what a synced device would refuse. trusted is true (times of other
 * parties may be compared with it). local is the device's monotonic count
 * in ms (trusted false), copied; t must outlive the clock and may be
 * synced again meanwhile (the caller keeps the two from running at once). */
#define WARD_TIME_CLOCK_CTX_SIZE (4 * sizeof(void *) + 16)
typedef struct ward_time_clock {
    WARD_OPAQUE(WARD_TIME_CLOCK_CTX_SIZE);
} ward_time_clock;

ward_clock ward_time_clock_init(ward_time_clock *c, const ward_time *t, const ward_clock *local);

#ifdef __cplusplus
}
#endif

#endif /* WARD_TIME_H */
