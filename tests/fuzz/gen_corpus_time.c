/* Writes the seed corpus of fuzz_time into tests/fuzz/corpus/time: real answers of
 * fuzz_time.h's two keys to the harness's nonce, one to another nonce, and broken ones. Built
 * with the fuzz targets (not instrumented); run after a change of the answer:
 *
 *     build-fuzz/tests/fuzz/gen_corpus_time tests/fuzz/corpus
 *
 * ECDSA signatures differ from run to run. */
#include <stdio.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "gen_corpus.h"
#include "fuzz_time.h"

static int put(const char *dir, const char *name, const uint8_t *data, size_t len)
{
    return gc_put("gen_corpus_time", dir, "time", name, data, len);
}

int main(int argc, char **argv)
{
    const char *dir = gc_corpus_dir(argc, argv, "gen_corpus_time");
    if (dir == NULL) {
        return 2;
    }
    const ward_crypto *cp = ward_crypto_openssl();
    static time_fix fx;
    time_fix_make(cp, &fx);
    uint8_t a[WARD_TIME_ANSWER_LEN], other[WARD_TIME_NONCE_LEN];
    size_t len = 0;
    int bad = 0;
    CHECK(ward_time_answer_make(cp, &fx.ks[0], WARD_KEY_TIME, TIME_FUZZ_BUILD_MS + 5000, 1000,
                                fx.nonce, a, sizeof a, &len) == WARD_OK);
    bad |= put(dir, "key0", a, len);
    bad |= put(dir, "short", a, len - 1);
    a[0] = 2;
    bad |= put(dir, "version", a, len);
    CHECK(ward_time_answer_make(cp, &fx.ks[1], WARD_KEY_TIME, TIME_FUZZ_BUILD_MS + 6000,
                                WARD_TIME_RADIUS_MAX_MS, fx.nonce, a, sizeof a, &len) == WARD_OK);
    bad |= put(dir, "key1", a, len);
    memcpy(other, fx.nonce, sizeof other);
    other[31] ^= 1;
    CHECK(ward_time_answer_make(cp, &fx.ks[0], WARD_KEY_TIME, TIME_FUZZ_BUILD_MS, 0, other, a,
                                sizeof a, &len) == WARD_OK);
    bad |= put(dir, "other_nonce", a, len);
    return bad;
}
