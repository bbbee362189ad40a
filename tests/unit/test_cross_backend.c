/* Cross-backend tests: mbedTLS and OpenSSL, given the same random inputs,
 * agree byte for byte on every deterministic output, accept each other's
 * signatures and ciphertexts, and reject the same bad inputs alike. */
#include "ward_test.h"

#include <string.h>

#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_openssl.h"

#define ROUNDS 64

static const ward_crypto *mb, *os;

static void rnd(uint8_t *out, size_t len)
{
    ward_random r = ward_random_openssl();
    assert_int_equal(r.fill(r.ctx, out, len), WARD_OK);
}

/* A random value in 0..max. */
static size_t rnd_upto(size_t max)
{
    uint8_t b[4];
    rnd(b, sizeof(b));
    uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                 (uint32_t)b[2] << 8 | b[3];
    return (size_t)(v % (uint32_t)(max + 1));
}

static int all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != 0) {
            return 0;
        }
    }
    return 1;
}

/* A random scalar in 1..n-1, reduced by one backend or the other. */
static void rand_scalar(uint8_t s[32])
{
    do {
        uint8_t wide[40], s2[32];
        rnd(wide, sizeof(wide));
        assert_int_equal(mb->p256_scalar_reduce(wide, sizeof(wide), s), WARD_OK);
        assert_int_equal(os->p256_scalar_reduce(wide, sizeof(wide), s2), WARD_OK);
        assert_memory_equal(s, s2, 32);
    } while (all_zero(s, 32));
}

/* Splits msg into up to 6 random parts, some of them empty. */
static size_t rand_split(const uint8_t *msg, size_t len, ward_iov parts[6])
{
    size_t n = rnd_upto(6), pos = 0;
    for (size_t i = 0; i < n; i++) {
        size_t take = i + 1 == n ? len - pos : rnd_upto(len - pos);
        parts[i].ptr = take > 0 ? msg + pos : NULL;
        parts[i].len = take;
        pos += take;
    }
    return pos == len ? n : 0; /* n = 0 only hashes the empty message */
}

static int setup(void **state)
{
    (void)state;
    mb = ward_crypto_mbedtls();
    os = ward_crypto_openssl();
    return 0;
}

static void test_hashes_agree(void **state)
{
    (void)state;
    uint8_t msg[300], key[100], a[32], b[32];
    for (int i = 0; i < ROUNDS; i++) {
        size_t len = rnd_upto(sizeof(msg)), key_len = rnd_upto(sizeof(key));
        rnd(msg, len);
        rnd(key, key_len);
        ward_iov pa[6], pb[6];
        size_t na = rand_split(msg, len, pa);
        size_t nb = rand_split(msg, len, pb);
        if (na == 0 || nb == 0) {
            len = 0; /* both lists then stand for the empty message */
            na = nb = 0;
        }
        assert_int_equal(mb->sha256(pa, na, a), WARD_OK);
        assert_int_equal(os->sha256(pb, nb, b), WARD_OK);
        assert_memory_equal(a, b, 32);

        assert_int_equal(mb->hmac_sha256(key_len ? key : NULL, key_len, pa, na, a),
                         WARD_OK);
        assert_int_equal(os->hmac_sha256(key_len ? key : NULL, key_len, pb, nb, b),
                         WARD_OK);
        assert_memory_equal(a, b, 32);

        assert_int_equal(mb->aes128_cmac(key, pa, na, a), WARD_OK);
        assert_int_equal(os->aes128_cmac(key, pb, nb, b), WARD_OK);
        assert_memory_equal(a, b, 16);
    }
}

static void test_hkdf_agrees(void **state)
{
    (void)state;
    uint8_t salt[80], ikm[80], info[200];
    static uint8_t a[WARD_HKDF_OUT_MAX], b[WARD_HKDF_OUT_MAX];
    for (int i = 0; i < ROUNDS; i++) {
        size_t sl = rnd_upto(sizeof(salt)), il = rnd_upto(sizeof(ikm));
        size_t fl = rnd_upto(sizeof(info));
        size_t ol = i == 0 ? WARD_HKDF_OUT_MAX : 1 + rnd_upto(300);
        rnd(salt, sl);
        rnd(ikm, il);
        rnd(info, fl);
        assert_int_equal(mb->hkdf_sha256(sl ? salt : NULL, sl, il ? ikm : NULL, il,
                                         fl ? info : NULL, fl, a, ol), WARD_OK);
        assert_int_equal(os->hkdf_sha256(sl ? salt : NULL, sl, il ? ikm : NULL, il,
                                         fl ? info : NULL, fl, b, ol), WARD_OK);
        assert_memory_equal(a, b, ol);
    }
    assert_int_equal(mb->hkdf_sha256(NULL, 0, ikm, 8, NULL, 0, a, 0), WARD_ERR_PARAM);
    assert_int_equal(os->hkdf_sha256(NULL, 0, ikm, 8, NULL, 0, a, 0), WARD_ERR_PARAM);
    assert_int_equal(mb->hkdf_sha256(NULL, 0, ikm, 8, NULL, 0, a,
                                     WARD_HKDF_OUT_MAX + 1), WARD_ERR_PARAM);
    assert_int_equal(os->hkdf_sha256(NULL, 0, ikm, 8, NULL, 0, a,
                                     WARD_HKDF_OUT_MAX + 1), WARD_ERR_PARAM);
}

static void test_ccm_agrees(void **state)
{
    (void)state;
    uint8_t key[16], nonce[13], ad[100], pt[200], ca[200], cb[200], back[200];
    uint8_t ta[16], tb[16];
    for (int i = 0; i < ROUNDS; i++) {
        size_t nl = WARD_CCM_NONCE_MIN + rnd_upto(WARD_CCM_NONCE_MAX - WARD_CCM_NONCE_MIN);
        size_t tl = WARD_CCM_TAG_MIN + 2 * rnd_upto(6);
        size_t al = rnd_upto(sizeof(ad)), pl = rnd_upto(sizeof(pt));
        rnd(key, sizeof(key));
        rnd(nonce, sizeof(nonce));
        rnd(ad, al);
        rnd(pt, pl);
        const uint8_t *adp = al ? ad : NULL;
        assert_int_equal(mb->ccm_seal(key, nonce, nl, adp, al, pl ? pt : NULL, pl,
                                      pl ? ca : NULL, ta, tl), WARD_OK);
        assert_int_equal(os->ccm_seal(key, nonce, nl, adp, al, pl ? pt : NULL, pl,
                                      pl ? cb : NULL, tb, tl), WARD_OK);
        assert_memory_equal(ca, cb, pl);
        assert_memory_equal(ta, tb, tl);

        /* Sealed by one, opened by the other, both ways. */
        memset(back, 0xAA, sizeof(back));
        assert_int_equal(os->ccm_open(key, nonce, nl, adp, al, pl ? ca : NULL, pl, ta,
                                      tl, pl ? back : NULL), WARD_OK);
        assert_memory_equal(back, pt, pl);
        memset(back, 0xAA, sizeof(back));
        assert_int_equal(mb->ccm_open(key, nonce, nl, adp, al, pl ? cb : NULL, pl, tb,
                                      tl, pl ? back : NULL), WARD_OK);
        assert_memory_equal(back, pt, pl);

        /* A tampered byte (of the tag, or of the ciphertext when there is
         * one) fails in both, with the output zeroed. */
        uint8_t *victim = pl > 0 && (i & 1) ? &ca[rnd_upto(pl - 1)]
                                            : &ta[rnd_upto(tl - 1)];
        *victim ^= (uint8_t)(1u << (i % 8));
        memcpy(cb, ca, pl);
        memcpy(tb, ta, tl);
        memset(back, 0xAA, sizeof(back));
        assert_int_equal(mb->ccm_open(key, nonce, nl, adp, al, pl ? ca : NULL, pl, ta,
                                      tl, pl ? back : NULL), WARD_ERR_AUTH);
        assert_true(all_zero(back, pl));
        memset(back, 0xAA, sizeof(back));
        assert_int_equal(os->ccm_open(key, nonce, nl, adp, al, pl ? cb : NULL, pl, tb,
                                      tl, pl ? back : NULL), WARD_ERR_AUTH);
        assert_true(all_zero(back, pl));
    }
}

static void test_scalars_agree(void **state)
{
    (void)state;
    uint8_t in[64], a[32], b[32];
    for (int i = 0; i < ROUNDS; i++) {
        size_t len = 1 + rnd_upto(63);
        rnd(in, len);
        if (i == 0) {
            memset(in, 0xff, 64);
            len = 64;
        }
        assert_int_equal(mb->p256_scalar_reduce(in, len, a), WARD_OK);
        assert_int_equal(os->p256_scalar_reduce(in, len, b), WARD_OK);
        assert_memory_equal(a, b, 32);
        assert_int_equal(mb->p256_scalar_neg(a, in), WARD_OK);
        assert_int_equal(os->p256_scalar_neg(b, in + 32), WARD_OK);
        assert_memory_equal(in, in + 32, 32);
    }
    /* Out-of-range inputs fail alike. */
    memset(in, 0xff, 32);
    assert_int_equal(mb->p256_scalar_neg(in, a), WARD_ERR_FORMAT);
    assert_int_equal(os->p256_scalar_neg(in, b), WARD_ERR_FORMAT);
    assert_int_equal(mb->p256_scalar_reduce(in, 0, a), WARD_ERR_PARAM);
    assert_int_equal(os->p256_scalar_reduce(in, 0, b), WARD_ERR_PARAM);
}

static void test_points_agree(void **state)
{
    (void)state;
    uint8_t a[32], b[32], c[32], p[65], q[65], ra[65], rb[65];
    for (int i = 0; i < ROUNDS; i++) {
        rand_scalar(a);
        rand_scalar(b);
        rand_scalar(c);
        assert_int_equal(mb->p256_muladd(c, NULL, NULL, NULL, p), WARD_OK);
        assert_int_equal(os->p256_muladd(c, NULL, NULL, NULL, ra), WARD_OK);
        assert_memory_equal(p, ra, 65);
        rand_scalar(c);
        assert_int_equal(os->p256_muladd(c, NULL, NULL, NULL, q), WARD_OK);

        assert_int_equal(mb->p256_muladd(a, p, NULL, NULL, ra), WARD_OK);
        assert_int_equal(os->p256_muladd(a, p, NULL, NULL, rb), WARD_OK);
        assert_memory_equal(ra, rb, 65);
        assert_int_equal(mb->p256_muladd(a, p, b, q, ra), WARD_OK);
        assert_int_equal(os->p256_muladd(a, p, b, q, rb), WARD_OK);
        assert_memory_equal(ra, rb, 65);
        assert_int_equal(mb->p256_muladd(a, NULL, b, q, ra), WARD_OK);
        assert_int_equal(os->p256_muladd(a, NULL, b, q, rb), WARD_OK);
        assert_memory_equal(ra, rb, 65);

        /* A mangled point: both backends judge it the same way. */
        memcpy(ra, p, 65);
        ra[1 + rnd_upto(63)] ^= (uint8_t)(1u << (i % 8));
        ward_err em = mb->p256_point_check(ra), eo = os->p256_point_check(ra);
        assert_int_equal(em, eo);
        assert_int_equal(em, WARD_ERR_FORMAT);
        assert_int_equal(mb->p256_muladd(a, ra, NULL, NULL, rb), WARD_ERR_FORMAT);
        assert_int_equal(os->p256_muladd(a, ra, NULL, NULL, rb), WARD_ERR_FORMAT);
        /* Random bytes after a 0x04 are almost never a point. */
        rnd(ra + 1, 64);
        ra[0] = 0x04;
        assert_int_equal(mb->p256_point_check(ra), os->p256_point_check(ra));
    }
    /* Infinity as a result fails alike. */
    assert_int_equal(mb->p256_scalar_neg(a, b), WARD_OK);
    assert_int_equal(mb->p256_muladd(a, p, b, p, ra), WARD_ERR_FORMAT);
    assert_int_equal(os->p256_muladd(a, p, b, p, rb), WARD_ERR_FORMAT);
}

static void test_ecdh_across(void **state)
{
    (void)state;
    uint8_t a[32], b[32], pa[65], pb[65], s1[32], s2[32], s3[32], s4[32];
    for (int i = 0; i < ROUNDS; i++) {
        rand_scalar(a);
        rand_scalar(b);
        assert_int_equal(mb->p256_muladd(a, NULL, NULL, NULL, pa), WARD_OK);
        assert_int_equal(os->p256_muladd(b, NULL, NULL, NULL, pb), WARD_OK);
        /* Each side on its own backend, and each on the other's. */
        assert_int_equal(mb->p256_ecdh(a, pb, s1), WARD_OK);
        assert_int_equal(os->p256_ecdh(b, pa, s2), WARD_OK);
        assert_int_equal(os->p256_ecdh(a, pb, s3), WARD_OK);
        assert_int_equal(mb->p256_ecdh(b, pa, s4), WARD_OK);
        assert_memory_equal(s1, s2, 32);
        assert_memory_equal(s1, s3, 32);
        assert_memory_equal(s1, s4, 32);
    }
    pb[64] ^= 1;
    assert_int_equal(mb->p256_ecdh(a, pb, s1), WARD_ERR_FORMAT);
    assert_int_equal(os->p256_ecdh(a, pb, s1), WARD_ERR_FORMAT);
}

static void test_ecdsa_across(void **state)
{
    (void)state;
    uint8_t d[32], pub[65], dig[32], sm[64], so[64], bad[64];
    for (int i = 0; i < ROUNDS; i++) {
        rand_scalar(d);
        rnd(dig, sizeof(dig));
        assert_int_equal(os->p256_muladd(d, NULL, NULL, NULL, pub), WARD_OK);
        assert_int_equal(mb->ecdsa_p256_sign(d, dig, sm), WARD_OK);
        assert_int_equal(os->ecdsa_p256_sign(d, dig, so), WARD_OK);
        /* Signed by one, verified by the other, both ways. */
        assert_int_equal(os->ecdsa_p256_verify(pub, dig, sm), WARD_OK);
        assert_int_equal(mb->ecdsa_p256_verify(pub, dig, so), WARD_OK);
        assert_int_equal(mb->ecdsa_p256_verify(pub, dig, sm), WARD_OK);
        assert_int_equal(os->ecdsa_p256_verify(pub, dig, so), WARD_OK);
        /* A flipped bit fails in both. */
        size_t bit = rnd_upto(511);
        memcpy(bad, (i & 1) ? sm : so, 64);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(mb->ecdsa_p256_verify(pub, dig, bad), WARD_ERR_AUTH);
        assert_int_equal(os->ecdsa_p256_verify(pub, dig, bad), WARD_ERR_AUTH);
        dig[0] ^= 0x80;
        assert_int_equal(mb->ecdsa_p256_verify(pub, dig, so), WARD_ERR_AUTH);
        assert_int_equal(os->ecdsa_p256_verify(pub, dig, sm), WARD_ERR_AUTH);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes_agree),
        cmocka_unit_test(test_hkdf_agrees),
        cmocka_unit_test(test_ccm_agrees),
        cmocka_unit_test(test_scalars_agree),
        cmocka_unit_test(test_points_agree),
        cmocka_unit_test(test_ecdh_across),
        cmocka_unit_test(test_ecdsa_across),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
