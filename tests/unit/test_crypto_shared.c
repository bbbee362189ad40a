/* The crypto ports' process-wide state (one P-256 group, the OpenSSL
 * backend's cache of public keys): results do not depend on what was
 * seen before, and threads may share it. Runs once per backend:
 * WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <pthread.h>
#include <string.h>

#include "ward/ward_suite.h"

/* More keys than the OpenSSL backend caches (64), so slots are replaced. */
#define NKEYS 80
#define NTHREADS 4
#define ROUNDS 40

typedef struct signer {
    uint8_t priv[WARD_P256_SCALAR_LEN];
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t dig[WARD_SHA256_LEN];
    uint8_t sig[WARD_P256_SIG_LEN];
} signer;

static signer signers[NKEYS];

static void make_signers(void)
{
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    for (size_t i = 0; i < NKEYS; i++) {
        signer *s = &signers[i];
        assert_int_equal(ward_p256_keygen(cp, &rng, s->priv, s->pub), WARD_OK);
        assert_int_equal(rng.fill(rng.ctx, s->dig, sizeof(s->dig)), WARD_OK);
        assert_int_equal(cp->ecdsa_p256_sign(s->priv, s->dig, s->sig), WARD_OK);
    }
}

static int setup(void **state)
{
    (void)state;
    make_signers();
    return 0;
}

/* 0 when every answer about signer i is the right one: its signature
 * verifies, under another key it does not, a changed one does not. */
static int check_signer(size_t i)
{
    const ward_crypto *cp = ward_test_cp;
    const signer *s = &signers[i];
    const signer *other = &signers[(i + 1) % NKEYS];
    uint8_t bad[WARD_P256_SIG_LEN];
    memcpy(bad, s->sig, sizeof(bad));
    bad[i % sizeof(bad)] ^= 0x01;
    int fails = 0;
    fails += cp->ecdsa_p256_verify(s->pub, s->dig, s->sig) != WARD_OK;
    fails += cp->ecdsa_p256_verify(other->pub, s->dig, s->sig) != WARD_ERR_AUTH;
    fails += cp->ecdsa_p256_verify(s->pub, s->dig, bad) != WARD_ERR_AUTH;
    return fails;
}

static void test_recurring_keys(void **state)
{
    (void)state;
    /* Three passes: the first fills the cache, later ones hit or replace. */
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < NKEYS; i++) {
            assert_int_equal(check_signer(i), 0);
        }
    }
}

static void test_seen_key_still_checked(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    const signer *s = &signers[0];
    assert_int_equal(cp->ecdsa_p256_verify(s->pub, s->dig, s->sig), WARD_OK);
    /* A point one bit away from a known key is off the curve. */
    uint8_t badpub[WARD_P256_POINT_LEN];
    memcpy(badpub, s->pub, sizeof(badpub));
    badpub[WARD_P256_POINT_LEN - 1] ^= 0x01;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(cp->ecdsa_p256_verify(badpub, s->dig, s->sig),
                         WARD_ERR_FORMAT);
    }
    badpub[WARD_P256_POINT_LEN - 1] ^= 0x01;
    badpub[0] = 0x05;
    assert_int_equal(cp->ecdsa_p256_verify(badpub, s->dig, s->sig), WARD_ERR_FORMAT);
    /* A known key with r or s out of range: still a failed signature. */
    uint8_t sig[WARD_P256_SIG_LEN];
    memcpy(sig, s->sig, sizeof(sig));
    memset(sig + WARD_P256_SCALAR_LEN, 0, WARD_P256_SCALAR_LEN);
    assert_int_equal(cp->ecdsa_p256_verify(s->pub, s->dig, sig), WARD_ERR_AUTH);
    memset(sig, 0xff, WARD_P256_SCALAR_LEN);
    assert_int_equal(cp->ecdsa_p256_verify(s->pub, s->dig, sig), WARD_ERR_AUTH);
    assert_int_equal(cp->ecdsa_p256_verify(s->pub, s->dig, s->sig), WARD_OK);
}

/* One thread: verifications over all the keys, from its own offset, and
 * the other entries that use the group. Counts wrong answers (cmocka's
 * assertions belong to the main thread). */
static void *worker(void *arg)
{
    const ward_crypto *cp = ward_test_cp;
    size_t t = *(const size_t *)arg;
    size_t fails = 0;
    for (size_t r = 0; r < ROUNDS; r++) {
        size_t i = (t * 17 + r * 7) % NKEYS;
        fails += (size_t)check_signer(i);
        const signer *s = &signers[i];
        const signer *peer = &signers[(i + 3) % NKEYS];
        uint8_t pt[WARD_P256_POINT_LEN], sh1[WARD_P256_SHARED_LEN],
            sh2[WARD_P256_SHARED_LEN], sig[WARD_P256_SIG_LEN];
        fails += cp->p256_muladd(s->priv, NULL, NULL, NULL, pt) != WARD_OK ||
                 memcmp(pt, s->pub, sizeof(pt)) != 0;
        fails += cp->p256_ecdh(s->priv, peer->pub, sh1) != WARD_OK ||
                 cp->p256_ecdh(peer->priv, s->pub, sh2) != WARD_OK ||
                 memcmp(sh1, sh2, sizeof(sh1)) != 0;
        fails += cp->ecdsa_p256_sign(s->priv, s->dig, sig) != WARD_OK ||
                 cp->ecdsa_p256_verify(s->pub, s->dig, sig) != WARD_OK;
    }
    *(size_t *)arg = fails;
    return NULL;
}

static void test_threads_share(void **state)
{
    (void)state;
    pthread_t th[NTHREADS];
    size_t arg[NTHREADS];
    for (size_t t = 0; t < NTHREADS; t++) {
        arg[t] = t;
        assert_int_equal(pthread_create(&th[t], NULL, worker, &arg[t]), 0);
    }
    size_t fails = 0;
    for (size_t t = 0; t < NTHREADS; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        fails += arg[t];
    }
    assert_int_equal(fails, 0);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recurring_keys),
        cmocka_unit_test(test_seen_key_still_checked),
        cmocka_unit_test(test_threads_share),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
