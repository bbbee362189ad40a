/* The published known-answer vectors (tests/vectors/) on each backend, and
 * proof that the runner notices a wrong answer. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward_kat.h"

/* How many cases each suite must run. A vector dropped from a file, a file
 * left out of the build or a suite the runner skips changes these counts
 * and fails the test, so "0 failed" can never mean "nothing ran". */
static const struct {
    const char *suite;
    unsigned cases;
} expected[] = {
    { "sha256", 3 },       /* FIPS 180-2 B.1-B.3 */
    { "hmac_sha256", 7 },  /* RFC 4231 test cases 1-7 */
    { "hkdf_sha256", 3 },  /* RFC 5869 A.1-A.3 */
    { "aes128_ccm", 30 },  /* RFC 3610 #1-#24, SP 800-38C C.1-C.4, CAVP x2 */
    { "aes128_cmac", 4 },  /* RFC 4493 examples 1-4 */
    { "ecdsa_p256", 2 },   /* RFC 6979 A.2.5 "sample", "test" */
    { "spake2p", 1 },      /* RFC 9383 Appendix C */
};
#define N_SUITES (sizeof(expected) / sizeof(expected[0]))
#define TOTAL_CASES 50u

/* The one case a backend may skip, and only by refusing its input: its
 * 64 KiB of associated data is past mbedTLS 2.28's CCM limit, which both
 * ports share (see ward_kat.h). Any other skip fails the test. */
#define MAY_SKIP_SUITE "aes128_ccm"
#define MAY_SKIP_NAME "sp800-38c-example-4"

typedef struct tally {
    unsigned passed[N_SUITES];
    unsigned failed[N_SUITES];
    unsigned skipped[N_SUITES];
    unsigned unknown; /* cases of a suite not in the table above */
    int quiet;
} tally;

static void count(void *ctx, const char *suite, const char *name, ward_err result)
{
    tally *t = ctx;
    for (size_t i = 0; i < N_SUITES; i++) {
        if (strcmp(expected[i].suite, suite) == 0) {
            if (result == WARD_OK) {
                t->passed[i]++;
            } else if (result == WARD_ERR_UNSUPPORTED &&
                       strcmp(suite, MAY_SKIP_SUITE) == 0 &&
                       strcmp(name, MAY_SKIP_NAME) == 0) {
                t->skipped[i]++;
                if (!t->quiet) {
                    print_message("skipped %s %s on %s: beyond the backend's "
                                  "CCM associated-data limit\n", suite, name,
                                  ward_test_cp->name);
                }
                return;
            } else {
                t->failed[i]++;
            }
            if (result != WARD_OK && !t->quiet) {
                print_message("FAIL %s %s on %s: %s\n", suite, name,
                              ward_test_cp->name, ward_strerror(result));
            }
            return;
        }
    }
    t->unknown++;
}

static void test_every_vector_passes(void **state)
{
    (void)state;
    tally t;
    memset(&t, 0, sizeof(t));

    ward_kat_result r = ward_kat_run(ward_test_cp, count, &t);

    assert_int_equal(t.unknown, 0);
    unsigned skipped = 0;
    for (size_t i = 0; i < N_SUITES; i++) {
        if (t.passed[i] + t.skipped[i] != expected[i].cases) {
            print_message("suite %s: %u passed, %u skipped, %u failed, %u "
                          "expected\n", expected[i].suite, t.passed[i],
                          t.skipped[i], t.failed[i], expected[i].cases);
        }
        assert_int_equal(t.failed[i], 0);
        assert_int_equal(t.passed[i] + t.skipped[i], expected[i].cases);
        skipped += t.skipped[i];
    }
    assert_int_equal(r.failed, 0);
    assert_int_equal(r.skipped, skipped);
    assert_true(r.skipped <= 1);
    assert_int_equal(r.passed + r.skipped, TOTAL_CASES);
}

static void test_runs_without_a_reporter(void **state)
{
    (void)state;
    ward_kat_result r = ward_kat_run(ward_test_cp, NULL, NULL);
    assert_int_equal(r.failed, 0);
    assert_true(r.skipped <= 1);
    assert_int_equal(r.passed + r.skipped, TOTAL_CASES);
}

/* ---- a backend that gives wrong answers must be caught ---- */

/* The real backend, for the wrappers below to call. */
static const ward_crypto *real;

static ward_err bad_sha256(const ward_iov *parts, size_t nparts,
                           uint8_t out[WARD_SHA256_LEN])
{
    ward_err err = real->sha256(parts, nparts, out);
    out[7] ^= 0x01;
    return err;
}

static ward_err bad_hmac(const uint8_t *key, size_t key_len,
                         const ward_iov *parts, size_t nparts,
                         uint8_t out[WARD_SHA256_LEN])
{
    /* A bit in the first half: RFC 4231 case 5 compares only 16 bytes. */
    ward_err err = real->hmac_sha256(key, key_len, parts, nparts, out);
    out[3] ^= 0x20;
    return err;
}

static ward_err bad_hkdf(const uint8_t *salt, size_t salt_len,
                         const uint8_t *ikm, size_t ikm_len,
                         const uint8_t *info, size_t info_len,
                         uint8_t *out, size_t out_len)
{
    /* Only the last byte: a runner comparing a prefix would miss it. */
    ward_err err = real->hkdf_sha256(salt, salt_len, ikm, ikm_len, info,
                                     info_len, out, out_len);
    out[out_len - 1] ^= 0x01;
    return err;
}

static ward_err bad_ccm_seal(const uint8_t key[WARD_AES128_KEY_LEN],
                             const uint8_t *nonce, size_t nonce_len,
                             const uint8_t *ad, size_t ad_len,
                             const uint8_t *pt, size_t pt_len,
                             uint8_t *ct, uint8_t *tag, size_t tag_len)
{
    ward_err err = real->ccm_seal(key, nonce, nonce_len, ad, ad_len, pt, pt_len,
                                  ct, tag, tag_len);
    tag[tag_len - 1] ^= 0x01;
    return err;
}

/* Decrypts but never refuses: what a port that skips the tag check does. */
static ward_err lax_ccm_open(const uint8_t key[WARD_AES128_KEY_LEN],
                             const uint8_t *nonce, size_t nonce_len,
                             const uint8_t *ad, size_t ad_len,
                             const uint8_t *ct, size_t ct_len,
                             const uint8_t *tag, size_t tag_len, uint8_t *pt)
{
    ward_err err = real->ccm_open(key, nonce, nonce_len, ad, ad_len, ct, ct_len,
                                  tag, tag_len, pt);
    return err == WARD_ERR_AUTH ? WARD_OK : err;
}

static ward_err bad_cmac(const uint8_t key[WARD_AES128_KEY_LEN],
                         const ward_iov *parts, size_t nparts,
                         uint8_t out[WARD_CMAC_LEN])
{
    ward_err err = real->aes128_cmac(key, parts, nparts, out);
    out[WARD_CMAC_LEN - 1] ^= 0x80;
    return err;
}

static ward_err lax_verify(const uint8_t pub[WARD_P256_POINT_LEN],
                           const uint8_t digest[WARD_SHA256_LEN],
                           const uint8_t sig[WARD_P256_SIG_LEN])
{
    (void)real->ecdsa_p256_verify(pub, digest, sig);
    return WARD_OK;
}

static ward_err bad_sign(const uint8_t priv[WARD_P256_SCALAR_LEN],
                         const uint8_t digest[WARD_SHA256_LEN],
                         uint8_t sig[WARD_P256_SIG_LEN])
{
    ward_err err = real->ecdsa_p256_sign(priv, digest, sig);
    sig[63] ^= 0x01;
    return err;
}

static ward_err bad_muladd(const uint8_t a[WARD_P256_SCALAR_LEN],
                           const uint8_t *p, const uint8_t *b, const uint8_t *q,
                           uint8_t out[WARD_P256_POINT_LEN])
{
    /* Off by one in the scalar: a valid point, just the wrong one. */
    uint8_t a1[WARD_P256_SCALAR_LEN];
    memcpy(a1, a, sizeof(a1));
    a1[WARD_P256_SCALAR_LEN - 1] ^= 0x01;
    return real->p256_muladd(a1, p, b, q, out);
}

typedef struct corruption {
    const char *what;
    void (*install)(ward_crypto *t);
    const char *suites[3]; /* every case of these must fail */
} corruption;

static void use_bad_sha256(ward_crypto *t) { t->sha256 = bad_sha256; }
static void use_bad_hmac(ward_crypto *t) { t->hmac_sha256 = bad_hmac; }
static void use_bad_hkdf(ward_crypto *t) { t->hkdf_sha256 = bad_hkdf; }
static void use_bad_seal(ward_crypto *t) { t->ccm_seal = bad_ccm_seal; }
static void use_lax_open(ward_crypto *t) { t->ccm_open = lax_ccm_open; }
static void use_bad_cmac(ward_crypto *t) { t->aes128_cmac = bad_cmac; }
static void use_lax_verify(ward_crypto *t) { t->ecdsa_p256_verify = lax_verify; }
static void use_bad_sign(ward_crypto *t) { t->ecdsa_p256_sign = bad_sign; }
static void use_bad_muladd(ward_crypto *t) { t->p256_muladd = bad_muladd; }

static const corruption corruptions[] = {
    { "sha256 flips a bit", use_bad_sha256, { "sha256", "ecdsa_p256", "spake2p" } },
    { "hmac flips a bit", use_bad_hmac, { "hmac_sha256", "spake2p", NULL } },
    { "hkdf flips its last bit", use_bad_hkdf, { "hkdf_sha256", "spake2p", NULL } },
    { "ccm seal flips a tag bit", use_bad_seal, { "aes128_ccm", NULL, NULL } },
    { "ccm open never refuses", use_lax_open, { "aes128_ccm", NULL, NULL } },
    { "cmac flips a bit", use_bad_cmac, { "aes128_cmac", NULL, NULL } },
    { "ecdsa verify accepts all", use_lax_verify, { "ecdsa_p256", NULL, NULL } },
    { "ecdsa sign flips a bit", use_bad_sign, { "ecdsa_p256", NULL, NULL } },
    { "muladd uses a wrong scalar", use_bad_muladd, { "ecdsa_p256", "spake2p", NULL } },
};

static void test_wrong_answers_are_caught(void **state)
{
    (void)state;
    real = ward_test_cp;

    for (size_t k = 0; k < sizeof(corruptions) / sizeof(corruptions[0]); k++) {
        const corruption *c = &corruptions[k];
        ward_crypto broken = *real; /* a copy of the table, one entry swapped */
        c->install(&broken);
        tally t;
        memset(&t, 0, sizeof(t));
        t.quiet = 1;

        ward_kat_result r = ward_kat_run(&broken, count, &t);

        unsigned must_fail = 0;
        for (size_t s = 0; s < 3 && c->suites[s] != NULL; s++) {
            size_t i = 0;
            while (i < N_SUITES && strcmp(expected[i].suite, c->suites[s]) != 0) {
                i++;
            }
            assert_true(i < N_SUITES);
            if (t.passed[i] != 0) {
                print_message("%s: %u case(s) of %s still passed\n", c->what,
                              t.passed[i], expected[i].suite);
            }
            assert_int_equal(t.passed[i], 0);
            assert_int_equal(t.failed[i] + t.skipped[i], expected[i].cases);
            assert_true(t.failed[i] > 0);
            must_fail += t.failed[i];
        }
        assert_true(r.failed >= must_fail);
        assert_int_equal(r.passed + r.failed + r.skipped, TOTAL_CASES);
    }
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_vector_passes),
        cmocka_unit_test(test_runs_without_a_reporter),
        cmocka_unit_test(test_wrong_answers_are_caught),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
