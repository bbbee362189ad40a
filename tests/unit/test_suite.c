/* Unit tests of the crypto suite (core/crypto) on each backend. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward_inner.h"

static const uint8_t key16[WARD_AEAD_KEY_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
};
static const uint8_t nonce13[WARD_AEAD_NONCE_LEN] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c
};
static const uint8_t ad[] = "lock 42 / open";
static const uint8_t msg[] = "unlock the front door at 08:00";

#define N_HEX "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
#define G_HEX "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" \
              "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"

static int all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != 0) {
            return 0;
        }
    }
    return 1;
}

/* ---- ward_kdf ---- */

static void test_kdf_matches_info_format(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t ikm[32], salt[8], ctx[5] = { 'c', 't', 'x', 0, 1 };
    uint8_t a[42], b[42];
    memset(ikm, 0x42, sizeof(ikm));
    memset(salt, 0x17, sizeof(salt));

    assert_int_equal(ward_kdf(cp, "test", ikm, sizeof(ikm), salt, sizeof(salt),
                              ctx, sizeof(ctx), a, sizeof(a)), WARD_OK);
    /* The same HKDF with the info string built here, independently. */
    uint8_t info[] = { 'w', 'a', 'r', 'd', '/', '1', ' ', 't', 'e', 's', 't', 0x00,
                       'c', 't', 'x', 0, 1 };
    assert_int_equal(cp->hkdf_sha256(salt, sizeof(salt), ikm, sizeof(ikm), info,
                                     sizeof(info), b, sizeof(b)), WARD_OK);
    assert_memory_equal(a, b, sizeof(a));
}

static void test_kdf_separation(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t ikm[32];
    uint8_t base[32], other[32];
    memset(ikm, 7, sizeof(ikm));

    assert_int_equal(ward_kdf(cp, "ab", ikm, 32, NULL, 0, (const uint8_t *)"c", 1,
                              base, 32), WARD_OK);
    /* Moving a byte between label and context must change the key. */
    assert_int_equal(ward_kdf(cp, "a", ikm, 32, NULL, 0, (const uint8_t *)"bc", 2,
                              other, 32), WARD_OK);
    assert_memory_not_equal(base, other, 32);
    /* Another label, another context, another salt, another ikm. */
    assert_int_equal(ward_kdf(cp, "ac", ikm, 32, NULL, 0, (const uint8_t *)"c", 1,
                              other, 32), WARD_OK);
    assert_memory_not_equal(base, other, 32);
    assert_int_equal(ward_kdf(cp, "ab", ikm, 32, NULL, 0, (const uint8_t *)"d", 1,
                              other, 32), WARD_OK);
    assert_memory_not_equal(base, other, 32);
    assert_int_equal(ward_kdf(cp, "ab", ikm, 32, (const uint8_t *)"s", 1,
                              (const uint8_t *)"c", 1, other, 32), WARD_OK);
    assert_memory_not_equal(base, other, 32);
    ikm[31] ^= 1;
    assert_int_equal(ward_kdf(cp, "ab", ikm, 32, NULL, 0, (const uint8_t *)"c", 1,
                              other, 32), WARD_OK);
    assert_memory_not_equal(base, other, 32);
    /* Deterministic. */
    ikm[31] ^= 1;
    assert_int_equal(ward_kdf(cp, "ab", ikm, 32, NULL, 0, (const uint8_t *)"c", 1,
                              other, 32), WARD_OK);
    assert_memory_equal(base, other, 32);
}

static void test_kdf_bounds(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t ikm[32] = { 1 };
    static uint8_t ctx[WARD_KDF_CONTEXT_MAX + 1];
    uint8_t out[32];
    char label[WARD_LABEL_MAX + 2];

    assert_int_equal(ward_kdf(cp, "test", ikm, 32, NULL, 0, ctx,
                              WARD_KDF_CONTEXT_MAX, out, 32), WARD_OK);
    assert_int_equal(ward_kdf(cp, "test", ikm, 32, NULL, 0, ctx,
                              WARD_KDF_CONTEXT_MAX + 1, out, 32), WARD_ERR_PARAM);

    memset(label, 'x', sizeof(label));
    label[WARD_LABEL_MAX] = '\0';
    assert_int_equal(ward_kdf(cp, label, ikm, 32, NULL, 0, NULL, 0, out, 32), WARD_OK);
    label[WARD_LABEL_MAX] = 'x';
    label[WARD_LABEL_MAX + 1] = '\0';
    assert_int_equal(ward_kdf(cp, label, ikm, 32, NULL, 0, NULL, 0, out, 32),
                     WARD_ERR_PARAM);
    assert_int_equal(ward_kdf(cp, "", ikm, 32, NULL, 0, NULL, 0, out, 32), WARD_ERR_PARAM);

    assert_int_equal(ward_kdf(cp, "test", ikm, 32, NULL, 0, NULL, 0, out, 0), WARD_ERR_PARAM);
    assert_int_equal(ward_kdf(cp, "test", ikm, 32, NULL, 0, NULL, 0, out,
                              WARD_HKDF_OUT_MAX + 1), WARD_ERR_PARAM);
    assert_int_equal(ward_kdf(cp, "test", ikm, 32, NULL, 0, NULL, 0, out, 1), WARD_OK);
}

/* ---- ward_aead ---- */

static void test_aead_round_trip(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t ct[sizeof(msg) + WARD_AEAD_TAG_LEN];
    uint8_t pt[sizeof(msg)];
    size_t len = 0;

    assert_int_equal(ward_aead_seal(cp, key16, nonce13, ad, sizeof(ad), msg, sizeof(msg),
                                    ct, sizeof(ct), &len), WARD_OK);
    assert_int_equal(len, sizeof(msg) + WARD_AEAD_TAG_LEN);
    assert_memory_not_equal(ct, msg, sizeof(msg));
    assert_int_equal(ward_aead_open(cp, key16, nonce13, ad, sizeof(ad), ct, len,
                                    pt, sizeof(pt), &len), WARD_OK);
    assert_int_equal(len, sizeof(msg));
    assert_memory_equal(pt, msg, sizeof(msg));

    /* In place, both ways. */
    uint8_t buf[sizeof(msg) + WARD_AEAD_TAG_LEN];
    memcpy(buf, msg, sizeof(msg));
    assert_int_equal(ward_aead_seal(cp, key16, nonce13, ad, sizeof(ad), buf, sizeof(msg),
                                    buf, sizeof(buf), &len), WARD_OK);
    assert_memory_equal(buf, ct, sizeof(ct));
    assert_int_equal(ward_aead_open(cp, key16, nonce13, ad, sizeof(ad), buf, sizeof(buf),
                                    buf, sizeof(buf), &len), WARD_OK);
    assert_memory_equal(buf, msg, sizeof(msg));

    /* Empty plaintext, no associated data: the tag alone. */
    uint8_t tag[WARD_AEAD_TAG_LEN];
    assert_int_equal(ward_aead_seal(cp, key16, nonce13, NULL, 0, NULL, 0, tag, sizeof(tag),
                                    &len), WARD_OK);
    assert_int_equal(len, WARD_AEAD_TAG_LEN);
    assert_int_equal(ward_aead_open(cp, key16, nonce13, NULL, 0, tag, sizeof(tag), pt,
                                    sizeof(pt), &len), WARD_OK);
    assert_int_equal(len, 0);
    tag[0] ^= 1;
    assert_int_equal(ward_aead_open(cp, key16, nonce13, NULL, 0, tag, sizeof(tag), pt,
                                    sizeof(pt), &len), WARD_ERR_AUTH);
}

static void expect_open_auth(const uint8_t *k, const uint8_t *n, const uint8_t *a,
                             size_t a_len, const uint8_t *in, size_t in_len)
{
    uint8_t pt[128];
    size_t len = 99;
    memset(pt, 0xaa, sizeof(pt));
    assert_int_equal(ward_aead_open(ward_test_cp, k, n, a, a_len, in, in_len, pt,
                                    sizeof(pt), &len), WARD_ERR_AUTH);
    assert_int_equal(len, 0);
    assert_true(all_zero(pt, in_len - WARD_AEAD_TAG_LEN));
}

static void test_aead_tamper(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t ct[sizeof(msg) + WARD_AEAD_TAG_LEN];
    size_t len = 0;
    assert_int_equal(ward_aead_seal(cp, key16, nonce13, ad, sizeof(ad), msg, sizeof(msg),
                                    ct, sizeof(ct), &len), WARD_OK);

    for (size_t i = 0; i < len; i += 7) { /* ciphertext and tag bytes */
        ct[i] ^= 0x01;
        expect_open_auth(key16, nonce13, ad, sizeof(ad), ct, len);
        ct[i] ^= 0x01;
    }
    ct[len - 1] ^= 0x80; /* last tag byte */
    expect_open_auth(key16, nonce13, ad, sizeof(ad), ct, len);
    ct[len - 1] ^= 0x80;

    uint8_t ad2[sizeof(ad)];
    memcpy(ad2, ad, sizeof(ad));
    ad2[0] ^= 1;
    expect_open_auth(key16, nonce13, ad2, sizeof(ad2), ct, len);
    expect_open_auth(key16, nonce13, ad, sizeof(ad) - 1, ct, len);
    expect_open_auth(key16, nonce13, NULL, 0, ct, len);

    uint8_t n2[WARD_AEAD_NONCE_LEN];
    memcpy(n2, nonce13, sizeof(n2));
    n2[12] ^= 1;
    expect_open_auth(key16, n2, ad, sizeof(ad), ct, len);

    uint8_t k2[WARD_AEAD_KEY_LEN];
    memcpy(k2, key16, sizeof(k2));
    k2[5] ^= 0x20;
    expect_open_auth(k2, nonce13, ad, sizeof(ad), ct, len);

    /* Truncated by one byte: the tag is read from the wrong place. */
    expect_open_auth(key16, nonce13, ad, sizeof(ad), ct, len - 1);

    /* In place: the caller's buffer must not keep the plaintext. */
    uint8_t buf[sizeof(ct)];
    memcpy(buf, ct, sizeof(ct));
    buf[3] ^= 4;
    assert_int_equal(ward_aead_open(cp, key16, nonce13, ad, sizeof(ad), buf, len, buf,
                                    sizeof(buf), &len), WARD_ERR_AUTH);
    assert_true(all_zero(buf, sizeof(msg)));
    assert_int_equal(len, 0);
}

static void test_aead_bounds(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t ct[sizeof(msg) + WARD_AEAD_TAG_LEN];
    uint8_t pt[sizeof(msg)];
    size_t len = 5;

    assert_int_equal(ward_aead_seal(cp, key16, nonce13, ad, sizeof(ad), msg, sizeof(msg),
                                    ct, sizeof(ct) - 1, &len), WARD_ERR_NOSPACE);
    assert_int_equal(len, 0);
    assert_int_equal(ward_aead_seal(cp, key16, nonce13, ad, sizeof(ad), msg, sizeof(msg),
                                    ct, sizeof(ct), &len), WARD_OK);
    assert_int_equal(ward_aead_open(cp, key16, nonce13, ad, sizeof(ad), ct, len, pt,
                                    sizeof(pt) - 1, &len), WARD_ERR_NOSPACE);
    assert_int_equal(len, 0);
    assert_int_equal(ward_aead_open(cp, key16, nonce13, ad, sizeof(ad), ct,
                                    WARD_AEAD_TAG_LEN - 1, pt, sizeof(pt), &len),
                     WARD_ERR_FORMAT);
}

/* A backend that fails halfway, after writing some plaintext: the suite
 * still must not hand those bytes out. */
static ward_err leaky_ccm_open(const uint8_t key[WARD_AES128_KEY_LEN],
                               const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *a, size_t a_len,
                               const uint8_t *ct, size_t ct_len,
                               const uint8_t *tag, size_t tag_len, uint8_t *pt)
{
    (void)key; (void)nonce; (void)nonce_len; (void)a; (void)a_len;
    (void)ct; (void)tag; (void)tag_len;
    memset(pt, 0x5a, ct_len);
    return WARD_ERR_CRYPTO;
}

static void test_aead_backend_fault(void **state)
{
    (void)state;
    ward_crypto leaky = *ward_test_cp;
    leaky.ccm_open = leaky_ccm_open;
    uint8_t ct[sizeof(msg) + WARD_AEAD_TAG_LEN], pt[sizeof(msg)];
    size_t len = 0;
    assert_int_equal(ward_aead_seal(ward_test_cp, key16, nonce13, ad, sizeof(ad), msg,
                                    sizeof(msg), ct, sizeof(ct), &len), WARD_OK);
    assert_int_equal(ward_aead_open(&leaky, key16, nonce13, ad, sizeof(ad), ct, len, pt,
                                    sizeof(pt), &len), WARD_ERR_CRYPTO);
    assert_int_equal(len, 0);
    assert_true(all_zero(pt, sizeof(pt)));
}

/* ---- P-256 keys ---- */

static void test_scalar_random_rejection(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t src[4 * 32];
    uint8_t out[32];
    ward_test_fixed f;

    /* n, then 0, then n+1's neighbour above (all ff), then n - 1: only
     * the last is in [1, n). */
    ward_test_hex(N_HEX, src, 32);
    memset(src + 32, 0, 32);
    memset(src + 64, 0xff, 32);
    ward_test_hex(N_HEX, src + 96, 32);
    src[127] -= 1;
    ward_random rng = ward_test_rng_fixed(&f, src, sizeof(src));
    assert_int_equal(ward_p256_scalar_random(cp, &rng, out), WARD_OK);
    assert_memory_equal(out, src + 96, 32);
    assert_int_equal(f.pos, sizeof(src)); /* exactly 32 bytes per attempt */

    /* 1 is the smallest accepted scalar, taken on the first draw. */
    uint8_t one[32] = { 0 };
    one[31] = 1;
    rng = ward_test_rng_fixed(&f, one, sizeof(one));
    assert_int_equal(ward_p256_scalar_random(cp, &rng, out), WARD_OK);
    assert_memory_equal(out, one, 32);
    assert_int_equal(f.pos, 32);

    /* The source runs dry after a rejection: its error, nothing left. */
    rng = ward_test_rng_fixed(&f, src, 63);
    memset(out, 0x55, sizeof(out));
    assert_int_equal(ward_p256_scalar_random(cp, &rng, out), WARD_ERR_IO);
    assert_true(all_zero(out, sizeof(out)));

    /* A source stuck on an invalid value: bounded, then a crypto error. */
    static uint8_t stuck[64 * 32];
    memset(stuck, 0xff, sizeof(stuck));
    rng = ward_test_rng_fixed(&f, stuck, sizeof(stuck));
    assert_int_equal(ward_p256_scalar_random(cp, &rng, out), WARD_ERR_CRYPTO);
    assert_int_equal(f.pos, sizeof(stuck));
    assert_true(all_zero(out, sizeof(out)));
}

static void test_keygen_public(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    uint8_t priv[32], pub[65], pub2[65], priv2[32], pub3[65];

    assert_int_equal(ward_p256_keygen(cp, &rng, priv, pub), WARD_OK);
    assert_int_equal(pub[0], 0x04);
    assert_int_equal(cp->p256_point_check(pub), WARD_OK);
    assert_int_equal(ward_p256_public(cp, priv, pub2), WARD_OK);
    assert_memory_equal(pub, pub2, 65);
    assert_int_equal(ward_p256_keygen(cp, &rng, priv2, pub3), WARD_OK);
    assert_memory_not_equal(priv, priv2, 32);
    assert_memory_not_equal(pub, pub3, 65);

    uint8_t s[32], g[65];
    memset(s, 0, sizeof(s));
    s[31] = 1;
    ward_test_hex(G_HEX, g, sizeof(g));
    assert_int_equal(ward_p256_public(cp, s, pub), WARD_OK);
    assert_memory_equal(pub, g, 65);

    memset(s, 0, sizeof(s));
    assert_int_equal(ward_p256_public(cp, s, pub), WARD_ERR_FORMAT);
    ward_test_hex(N_HEX, s, 32);
    assert_int_equal(ward_p256_public(cp, s, pub), WARD_ERR_FORMAT);
    memset(s, 0xff, sizeof(s));
    assert_int_equal(ward_p256_public(cp, s, pub), WARD_ERR_FORMAT);
    ward_test_hex(N_HEX, s, 32);
    s[31] -= 1; /* n - 1: the public point is -G */
    assert_int_equal(ward_p256_public(cp, s, pub), WARD_OK);
    assert_memory_equal(pub, g, 33);
    assert_memory_not_equal(pub + 33, g + 33, 32);

    /* keygen with a failing source leaves no half key behind. */
    ward_test_fixed f;
    rng = ward_test_rng_fixed(&f, s, 16);
    memset(priv, 0x77, sizeof(priv));
    assert_int_equal(ward_p256_keygen(cp, &rng, priv, pub), WARD_ERR_IO);
    assert_true(all_zero(priv, sizeof(priv)));
}

/* ---- ward_sign / ward_verify ---- */

static void test_sign_verify(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    uint8_t priv[32], pub[65], priv2[32], pub2[65], sig[64];

    assert_int_equal(ward_p256_keygen(cp, &rng, priv, pub), WARD_OK);
    assert_int_equal(ward_p256_keygen(cp, &rng, priv2, pub2), WARD_OK);
    assert_int_equal(ward_sign(cp, "test", priv, msg, sizeof(msg), sig), WARD_OK);
    assert_int_equal(ward_verify(cp, "test", pub, msg, sizeof(msg), sig), WARD_OK);

    /* The digest is SHA-256("ward/1 sign " || label || 0x00 || msg). */
    uint8_t digest[32];
    ward_iov parts[2] = { { (const uint8_t *)"ward/1 sign test", 17 }, /* with NUL */
                          { msg, sizeof(msg) } };
    assert_int_equal(cp->sha256(parts, 2, digest), WARD_OK);
    assert_int_equal(cp->ecdsa_p256_verify(pub, digest, sig), WARD_OK);

    assert_int_equal(ward_verify(cp, "tesu", pub, msg, sizeof(msg), sig), WARD_ERR_AUTH);
    assert_int_equal(ward_verify(cp, "tes", pub, msg, sizeof(msg), sig), WARD_ERR_AUTH);
    assert_int_equal(ward_verify(cp, "test", pub, msg, sizeof(msg) - 1, sig), WARD_ERR_AUTH);
    assert_int_equal(ward_verify(cp, "test", pub2, msg, sizeof(msg), sig), WARD_ERR_AUTH);
    uint8_t m2[sizeof(msg)];
    memcpy(m2, msg, sizeof(msg));
    m2[3] ^= 1;
    assert_int_equal(ward_verify(cp, "test", pub, m2, sizeof(m2), sig), WARD_ERR_AUTH);
    sig[10] ^= 1;
    assert_int_equal(ward_verify(cp, "test", pub, msg, sizeof(msg), sig), WARD_ERR_AUTH);
    sig[10] ^= 1;
    sig[63] ^= 1;
    assert_int_equal(ward_verify(cp, "test", pub, msg, sizeof(msg), sig), WARD_ERR_AUTH);
    sig[63] ^= 1;
    uint8_t zero_sig[64] = { 0 };
    assert_int_equal(ward_verify(cp, "test", pub, msg, sizeof(msg), zero_sig), WARD_ERR_AUTH);

    /* Empty message; bad label; bad key. */
    assert_int_equal(ward_sign(cp, "test", priv, NULL, 0, sig), WARD_OK);
    assert_int_equal(ward_verify(cp, "test", pub, NULL, 0, sig), WARD_OK);
    assert_int_equal(ward_verify(cp, "test", pub, msg, 1, sig), WARD_ERR_AUTH);
    assert_int_equal(ward_sign(cp, "", priv, msg, sizeof(msg), sig), WARD_ERR_PARAM);
    uint8_t bad[32] = { 0 };
    assert_int_equal(ward_sign(cp, "test", bad, msg, sizeof(msg), sig), WARD_ERR_FORMAT);
}

/* ---- ward_seal_to / ward_seal_open ---- */

static void expect_seal_fail(const uint8_t *priv, const uint8_t *pub, const uint8_t *a,
                             size_t a_len, const uint8_t *in, size_t in_len, int format_ok)
{
    uint8_t out[128];
    size_t len = 99;
    memset(out, 0xaa, sizeof(out));
    ward_err err = ward_seal_open(ward_test_cp, priv, pub, a, a_len, in, in_len, out,
                                  sizeof(out), &len);
    if (format_ok && err == WARD_ERR_FORMAT) {
        assert_int_equal(out[0], 0xaa); /* refused before decrypting */
    } else {
        assert_int_equal(err, WARD_ERR_AUTH);
        assert_true(all_zero(out, in_len - WARD_SEAL_OVERHEAD));
    }
    assert_int_equal(len, 0);
}

static void test_seal_round_trip(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    uint8_t priv[32], pub[65];
    uint8_t sealed[sizeof(msg) + WARD_SEAL_OVERHEAD], sealed2[sizeof(sealed)];
    uint8_t out[sizeof(msg)];
    size_t len = 0, len2 = 0;

    assert_int_equal(ward_p256_keygen(cp, &rng, priv, pub), WARD_OK);
    assert_int_equal(ward_seal_to(cp, &rng, pub, ad, sizeof(ad), msg, sizeof(msg), sealed,
                                  sizeof(sealed), &len), WARD_OK);
    assert_int_equal(len, sizeof(sealed));
    assert_int_equal(cp->p256_point_check(sealed), WARD_OK);
    assert_int_equal(ward_seal_open(cp, priv, pub, ad, sizeof(ad), sealed, len, out,
                                    sizeof(out), &len2), WARD_OK);
    assert_int_equal(len2, sizeof(msg));
    assert_memory_equal(out, msg, sizeof(msg));

    /* A fresh ephemeral key every time. */
    assert_int_equal(ward_seal_to(cp, &rng, pub, ad, sizeof(ad), msg, sizeof(msg), sealed2,
                                  sizeof(sealed2), &len2), WARD_OK);
    assert_memory_not_equal(sealed, sealed2, WARD_P256_POINT_LEN);
    assert_memory_not_equal(sealed + WARD_P256_POINT_LEN, sealed2 + WARD_P256_POINT_LEN,
                            sizeof(msg));

    /* Empty plaintext and no associated data. */
    uint8_t small[WARD_SEAL_OVERHEAD];
    assert_int_equal(ward_seal_to(cp, &rng, pub, NULL, 0, NULL, 0, small, sizeof(small),
                                  &len2), WARD_OK);
    assert_int_equal(len2, WARD_SEAL_OVERHEAD);
    assert_int_equal(ward_seal_open(cp, priv, pub, NULL, 0, small, len2, out, sizeof(out),
                                    &len2), WARD_OK);
    assert_int_equal(len2, 0);
}

/* The construction, recomputed here from the port's primitives: ECDH,
 * HKDF with info "ward/1 seal" || 0x00 || E || R, CCM with the derived
 * nonce. A fixed source makes the ephemeral key known. */
static void test_seal_construction(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    uint8_t priv[32], pub[65], e[32], sealed[sizeof(msg) + WARD_SEAL_OVERHEAD];
    size_t len = 0;
    ward_test_fixed f;

    assert_int_equal(ward_p256_keygen(cp, &rng, priv, pub), WARD_OK);
    memset(e, 0x3c, sizeof(e));
    ward_random fixed = ward_test_rng_fixed(&f, e, sizeof(e));
    assert_int_equal(ward_seal_to(cp, &fixed, pub, ad, sizeof(ad), msg, sizeof(msg), sealed,
                                  sizeof(sealed), &len), WARD_OK);

    uint8_t epub[65], shared[32], info[12 + 130], km[29], want[sizeof(sealed)];
    assert_int_equal(cp->p256_muladd(e, NULL, NULL, NULL, epub), WARD_OK);
    assert_memory_equal(sealed, epub, 65);
    assert_int_equal(cp->p256_ecdh(e, pub, shared), WARD_OK);
    memcpy(info, "ward/1 seal", 12); /* with its NUL */
    memcpy(info + 12, epub, 65);
    memcpy(info + 77, pub, 65);
    assert_int_equal(cp->hkdf_sha256(NULL, 0, shared, 32, info, sizeof(info), km, sizeof(km)),
                     WARD_OK);
    memcpy(want, epub, 65);
    assert_int_equal(cp->ccm_seal(km, km + 16, 13, ad, sizeof(ad), msg, sizeof(msg), want + 65,
                                  want + 65 + sizeof(msg), 16), WARD_OK);
    assert_memory_equal(sealed, want, sizeof(want));
}

static void test_seal_failures(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    uint8_t priv[32], pub[65], priv2[32], pub2[65];
    uint8_t sealed[sizeof(msg) + WARD_SEAL_OVERHEAD];
    size_t len = 0;

    assert_int_equal(ward_p256_keygen(cp, &rng, priv, pub), WARD_OK);
    assert_int_equal(ward_p256_keygen(cp, &rng, priv2, pub2), WARD_OK);
    assert_int_equal(ward_seal_to(cp, &rng, pub, ad, sizeof(ad), msg, sizeof(msg), sealed,
                                  sizeof(sealed), &len), WARD_OK);

    /* The wrong recipient: its own key pair, or the right public key
     * with the wrong private key. */
    expect_seal_fail(priv2, pub2, ad, sizeof(ad), sealed, len, 0);
    expect_seal_fail(priv2, pub, ad, sizeof(ad), sealed, len, 0);
    expect_seal_fail(priv, pub2, ad, sizeof(ad), sealed, len, 0);

    /* Associated data. */
    expect_seal_fail(priv, pub, ad, sizeof(ad) - 1, sealed, len, 0);
    expect_seal_fail(priv, pub, NULL, 0, sealed, len, 0);

    /* Every byte of ciphertext and tag; the ephemeral point. A flipped
     * coordinate bit is off the curve (FORMAT) or another point (AUTH). */
    for (size_t i = 0; i < len; i++) {
        sealed[i] ^= (uint8_t)(1u << (i % 8));
        expect_seal_fail(priv, pub, ad, sizeof(ad), sealed, len, i < WARD_P256_POINT_LEN);
        sealed[i] ^= (uint8_t)(1u << (i % 8));
    }
    /* A valid but different ephemeral point. */
    uint8_t keep[65];
    memcpy(keep, sealed, 65);
    memcpy(sealed, pub2, 65);
    expect_seal_fail(priv, pub, ad, sizeof(ad), sealed, len, 0);
    memcpy(sealed, keep, 65);

    /* Lengths. */
    uint8_t out[sizeof(msg)];
    size_t olen = 7;
    assert_int_equal(ward_seal_open(cp, priv, pub, ad, sizeof(ad), sealed, len, out,
                                    sizeof(out) - 1, &olen), WARD_ERR_NOSPACE);
    assert_int_equal(olen, 0);
    assert_int_equal(ward_seal_open(cp, priv, pub, ad, sizeof(ad), sealed,
                                    WARD_SEAL_OVERHEAD - 1, out, sizeof(out), &olen),
                     WARD_ERR_FORMAT);
    expect_seal_fail(priv, pub, ad, sizeof(ad), sealed, len - 1, 0);
    assert_int_equal(ward_seal_to(cp, &rng, pub, ad, sizeof(ad), msg, sizeof(msg), sealed,
                                  sizeof(sealed) - 1, &olen), WARD_ERR_NOSPACE);
    assert_int_equal(olen, 0);

    /* Sealing to something that is not a point. */
    uint8_t notpoint[65];
    memcpy(notpoint, pub, 65);
    notpoint[64] ^= 1;
    assert_int_equal(ward_seal_to(cp, &rng, notpoint, ad, sizeof(ad), msg, sizeof(msg),
                                  sealed, sizeof(sealed), &olen), WARD_ERR_FORMAT);

    /* Intact, it still opens: the loop above put every byte back. */
    assert_int_equal(ward_seal_to(cp, &rng, pub, ad, sizeof(ad), msg, sizeof(msg), sealed,
                                  sizeof(sealed), &len), WARD_OK);
    assert_int_equal(ward_seal_open(cp, priv, pub, ad, sizeof(ad), sealed, len, out,
                                    sizeof(out), &olen), WARD_OK);
    assert_memory_equal(out, msg, sizeof(msg));
}

/* ---- constant-time helpers ---- */

static void test_ct_helpers(void **state)
{
    (void)state;
    uint8_t a[4] = { 1, 2, 3, 4 }, b[4] = { 1, 2, 3, 4 };

    assert_true(ward_ct_equal(a, b, 4));
    assert_true(ward_ct_equal(a, b, 0));
    b[3] = 5;
    assert_false(ward_ct_equal(a, b, 4));
    assert_true(ward_ct_equal(a, b, 3));
    b[3] = 4;
    b[0] = 0x81;
    assert_false(ward_ct_equal(a, b, 4));
    b[0] = 1;

    /* ward_ct_less: big-endian, strict. */
    assert_int_equal(ward_ct_less(a, b, 4), 0);  /* equal */
    assert_int_equal(ward_ct_less(a, b, 0), 0);
    b[3] = 5;
    assert_int_equal(ward_ct_less(a, b, 4), 1);  /* low byte decides */
    assert_int_equal(ward_ct_less(b, a, 4), 0);
    uint8_t hi[4] = { 2, 0, 0, 0 }, lo[4] = { 1, 0xff, 0xff, 0xff };
    assert_int_equal(ward_ct_less(lo, hi, 4), 1); /* high byte beats low bytes */
    assert_int_equal(ward_ct_less(hi, lo, 4), 0);
    uint8_t z[1] = { 0x00 }, f[1] = { 0xff };
    assert_int_equal(ward_ct_less(z, f, 1), 1);
    assert_int_equal(ward_ct_less(f, z, 1), 0);
    assert_int_equal(ward_ct_less(f, f, 1), 0);
    uint8_t n[32], nm1[32];
    ward_test_hex(N_HEX, n, 32);
    memcpy(nm1, n, 32);
    nm1[31] -= 1;
    assert_int_equal(ward_ct_less(nm1, n, 32), 1);
    assert_int_equal(ward_ct_less(n, n, 32), 0);
    assert_int_equal(ward_ct_less(n, nm1, 32), 0);

    uint8_t zeros[33] = { 0 };
    assert_int_equal(ward_ct_is_zero(zeros, sizeof(zeros)), 1);
    assert_int_equal(ward_ct_is_zero(zeros, 0), 1);
    zeros[32] = 0x80;
    assert_int_equal(ward_ct_is_zero(zeros, sizeof(zeros)), 0);
    assert_int_equal(ward_ct_is_zero(zeros, 32), 1);
    zeros[0] = 1;
    assert_int_equal(ward_ct_is_zero(zeros, 1), 0);

    /* ward_wipe really zeroes. */
    uint8_t w[9];
    memset(w, 0xee, sizeof(w));
    ward_wipe(w, sizeof(w));
    assert_true(all_zero(w, sizeof(w)));
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kdf_matches_info_format),
        cmocka_unit_test(test_kdf_separation),
        cmocka_unit_test(test_kdf_bounds),
        cmocka_unit_test(test_aead_round_trip),
        cmocka_unit_test(test_aead_tamper),
        cmocka_unit_test(test_aead_bounds),
        cmocka_unit_test(test_aead_backend_fault),
        cmocka_unit_test(test_scalar_random_rejection),
        cmocka_unit_test(test_keygen_public),
        cmocka_unit_test(test_sign_verify),
        cmocka_unit_test(test_seal_round_trip),
        cmocka_unit_test(test_seal_construction),
        cmocka_unit_test(test_seal_failures),
        cmocka_unit_test(test_ct_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
