/* Unit tests of one crypto backend's entries: failure paths and edge
 * cases, checked against each other (published vectors live in
 * tests/vectors). Runs once per backend: WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_openssl.h"

#define N_HEX "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
#define P_HEX "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"
/* 2^256 mod n = 2^256 - n. */
#define C_HEX "00000000ffffffff00000000000000004319055258e8617b0c46353d039cdaaf"
#define G_HEX "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" \
              "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"

static uint8_t n_be[32], p_be[32], c_be[32], g_pt[65];

/* ---- helpers ---- */

static void rnd(uint8_t *out, size_t len)
{
    ward_random r = ward_random_openssl();
    assert_int_equal(r.fill(r.ctx, out, len), WARD_OK);
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

static int all_byte(const uint8_t *p, size_t len, uint8_t v)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != v) {
            return 0;
        }
    }
    return 1;
}

/* A random scalar in 1..n-1. */
static void rand_scalar(uint8_t s[32])
{
    do {
        uint8_t wide[48];
        rnd(wide, sizeof(wide));
        assert_int_equal(ward_test_cp->p256_scalar_reduce(wide, sizeof(wide), s),
                         WARD_OK);
    } while (all_zero(s, 32));
}

static void base_mul(const uint8_t s[32], uint8_t out[65])
{
    assert_int_equal(ward_test_cp->p256_muladd(s, NULL, NULL, NULL, out), WARD_OK);
}

/* out = (a + b) mod n, through scalar_reduce of the 33-byte sum. */
static void scalar_add(const uint8_t a[32], const uint8_t b[32], uint8_t out[32])
{
    uint8_t sum[33];
    unsigned carry = 0;
    for (size_t i = 32; i-- > 0;) {
        unsigned v = (unsigned)a[i] + b[i] + carry;
        sum[i + 1] = (uint8_t)v;
        carry = v >> 8;
    }
    sum[0] = (uint8_t)carry;
    assert_int_equal(ward_test_cp->p256_scalar_reduce(sum, sizeof(sum), out), WARD_OK);
}

static void scalar_small(uint8_t out[32], uint8_t v)
{
    memset(out, 0, 32);
    out[31] = v;
}

static int setup(void **state)
{
    (void)state;
    ward_test_hex(N_HEX, n_be, sizeof(n_be));
    ward_test_hex(P_HEX, p_be, sizeof(p_be));
    ward_test_hex(C_HEX, c_be, sizeof(c_be));
    ward_test_hex(G_HEX, g_pt, sizeof(g_pt));
    return 0;
}

/* ---- table ---- */

static void test_table_complete(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    assert_non_null(cp->name);
    assert_true(strncmp(cp->name, "mbedtls ", 8) == 0 ||
                strncmp(cp->name, "openssl ", 8) == 0);
    assert_non_null(cp->sha256);
    assert_non_null(cp->hmac_sha256);
    assert_non_null(cp->hkdf_sha256);
    assert_non_null(cp->ccm_seal);
    assert_non_null(cp->ccm_open);
    assert_non_null(cp->aes128_cmac);
    assert_non_null(cp->p256_muladd);
    assert_non_null(cp->p256_point_check);
    assert_non_null(cp->p256_scalar_reduce);
    assert_non_null(cp->p256_scalar_neg);
    assert_non_null(cp->p256_ecdh);
    assert_non_null(cp->ecdsa_p256_sign);
    assert_non_null(cp->ecdsa_p256_verify);
    assert_non_null(cp->sha256_start);
    assert_non_null(cp->sha256_update);
    assert_non_null(cp->sha256_finish);
}

/* ---- sha256 ---- */

static void test_sha256_empty_forms_agree(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t a[32], b[32], c[32], e[32];
    ward_iov none = { NULL, 0 };
    ward_iov two[2] = { { NULL, 0 }, { (const uint8_t *)"", 0 } };
    ward_test_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                  e, sizeof(e));
    assert_int_equal(cp->sha256(NULL, 0, a), WARD_OK);
    assert_int_equal(cp->sha256(&none, 1, b), WARD_OK);
    assert_int_equal(cp->sha256(two, 2, c), WARD_OK);
    assert_memory_equal(a, e, 32);
    assert_memory_equal(b, e, 32);
    assert_memory_equal(c, e, 32);
}

static void test_sha256_split_invariant(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t msg[200], whole[32], part[32];
    rnd(msg, sizeof(msg));
    ward_iov one = { msg, sizeof(msg) };
    assert_int_equal(cp->sha256(&one, 1, whole), WARD_OK);
    for (size_t i = 0; i <= sizeof(msg); i += 13) {
        for (size_t j = i; j <= sizeof(msg); j += 29) {
            ward_iov parts[5] = { { msg, i }, { NULL, 0 }, { msg + i, j - i },
                                  { msg + j, sizeof(msg) - j }, { msg, 0 } };
            assert_int_equal(cp->sha256(parts, 5, part), WARD_OK);
            assert_memory_equal(whole, part, 32);
        }
    }
    /* One bit of difference anywhere changes the digest. */
    msg[199] ^= 0x01;
    assert_int_equal(cp->sha256(&one, 1, part), WARD_OK);
    assert_memory_not_equal(whole, part, 32);
}

/* The streaming entries give the one-shot digest for every way of cutting
 * the input, including empty pieces; a copied context goes on alone, and
 * finish wipes it. */
static void test_sha256_stream(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t msg[300], whole[32], part[32], fork_d[32];
    rnd(msg, sizeof(msg));
    ward_iov one = { msg, sizeof(msg) };
    assert_int_equal(cp->sha256(&one, 1, whole), WARD_OK);
    for (size_t step = 1; step <= sizeof(msg); step += 17) {
        ward_sha256_ctx h, fork;
        assert_int_equal(cp->sha256_start(&h), WARD_OK);
        assert_int_equal(cp->sha256_update(&h, NULL, 0), WARD_OK);
        for (size_t off = 0; off < sizeof(msg); off += step) {
            size_t n = sizeof(msg) - off < step ? sizeof(msg) - off : step;
            assert_int_equal(cp->sha256_update(&h, msg + off, n), WARD_OK);
        }
        memcpy(&fork, &h, sizeof fork);
        assert_int_equal(cp->sha256_finish(&h, part), WARD_OK);
        assert_memory_equal(whole, part, 32);
        assert_true(all_zero(h.opaque.bytes, sizeof h.opaque.bytes));
        assert_int_equal(cp->sha256_finish(&fork, fork_d), WARD_OK);
        assert_memory_equal(whole, fork_d, 32);
    }
    ward_sha256_ctx e;
    uint8_t empty[32], expect[32];
    ward_test_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                  expect, sizeof(expect));
    assert_int_equal(cp->sha256_start(&e), WARD_OK);
    assert_int_equal(cp->sha256_finish(&e, empty), WARD_OK);
    assert_memory_equal(empty, expect, 32);
}

/* ---- hmac ---- */

static void test_hmac_split_and_key(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t key[100], msg[150], whole[32], part[32], other[32];
    rnd(key, sizeof(key));
    rnd(msg, sizeof(msg));
    ward_iov one = { msg, sizeof(msg) };
    assert_int_equal(cp->hmac_sha256(key, 20, &one, 1, whole), WARD_OK);
    for (size_t i = 0; i <= sizeof(msg); i += 7) {
        ward_iov parts[3] = { { msg, i }, { NULL, 0 }, { msg + i, sizeof(msg) - i } };
        assert_int_equal(cp->hmac_sha256(key, 20, parts, 3, part), WARD_OK);
        assert_memory_equal(whole, part, 32);
    }
    /* Another key, or a longer key with the same prefix, differs. HMAC
     * pads a key with zero bytes, so a longer key ending in 0x00 would
     * be the same key (1 run in 256 failed before this line). */
    key[20] |= 0x01;
    assert_int_equal(cp->hmac_sha256(key, 21, &one, 1, other), WARD_OK);
    assert_memory_not_equal(whole, other, 32);
    key[0] ^= 0x80;
    assert_int_equal(cp->hmac_sha256(key, 20, &one, 1, other), WARD_OK);
    assert_memory_not_equal(whole, other, 32);
    /* HMAC is not the plain hash of the message. */
    assert_int_equal(cp->sha256(&one, 1, other), WARD_OK);
    assert_memory_not_equal(whole, other, 32);
}

static void test_hmac_long_key_is_hashed(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    /* RFC 2104: a key longer than the block (64) is replaced by its hash. */
    uint8_t key[100], hk[32], a[32], b[32];
    rnd(key, sizeof(key));
    ward_iov k = { key, sizeof(key) };
    ward_iov m = { (const uint8_t *)"message", 7 };
    assert_int_equal(cp->sha256(&k, 1, hk), WARD_OK);
    assert_int_equal(cp->hmac_sha256(key, sizeof(key), &m, 1, a), WARD_OK);
    assert_int_equal(cp->hmac_sha256(hk, sizeof(hk), &m, 1, b), WARD_OK);
    assert_memory_equal(a, b, 32);
    /* A key shorter than the block is zero-padded: trailing zeros do not
     * change the MAC, and the empty key equals a key of zeros. */
    uint8_t z[64] = { 0 };
    assert_int_equal(cp->hmac_sha256(NULL, 0, &m, 1, a), WARD_OK);
    assert_int_equal(cp->hmac_sha256(z, sizeof(z), &m, 1, b), WARD_OK);
    assert_memory_equal(a, b, 32);
    assert_int_equal(cp->hmac_sha256(z, 1, NULL, 0, a), WARD_OK);
    assert_int_equal(cp->hmac_sha256(NULL, 0, NULL, 0, b), WARD_OK);
    assert_memory_equal(a, b, 32);
}

/* ---- hkdf ---- */

static void test_hkdf_out_len_bounds(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    static uint8_t out[WARD_HKDF_OUT_MAX + 1];
    uint8_t ikm[16];
    rnd(ikm, sizeof(ikm));
    assert_int_equal(cp->hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0, out, 0),
                     WARD_ERR_PARAM);
    assert_int_equal(cp->hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0, out,
                                     WARD_HKDF_OUT_MAX + 1), WARD_ERR_PARAM);
    assert_int_equal(cp->hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0, out,
                                     WARD_HKDF_OUT_MAX), WARD_OK);
    assert_int_equal(cp->hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0, out, 1),
                     WARD_OK);
    /* Empty input key material is allowed. */
    assert_int_equal(cp->hkdf_sha256(NULL, 0, NULL, 0, NULL, 0, out, 32), WARD_OK);
}

static void test_hkdf_prefix_and_salt(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t ikm[22], salt[13], info[10], long_out[100], short_out[42], o2[42];
    rnd(ikm, sizeof(ikm));
    rnd(salt, sizeof(salt));
    rnd(info, sizeof(info));
    /* A shorter output is a prefix of a longer one. */
    assert_int_equal(cp->hkdf_sha256(salt, sizeof(salt), ikm, sizeof(ikm), info,
                                     sizeof(info), long_out, sizeof(long_out)), WARD_OK);
    assert_int_equal(cp->hkdf_sha256(salt, sizeof(salt), ikm, sizeof(ikm), info,
                                     sizeof(info), short_out, sizeof(short_out)), WARD_OK);
    assert_memory_equal(long_out, short_out, sizeof(short_out));
    /* Every input matters. */
    info[0] ^= 1;
    assert_int_equal(cp->hkdf_sha256(salt, sizeof(salt), ikm, sizeof(ikm), info,
                                     sizeof(info), o2, sizeof(o2)), WARD_OK);
    assert_memory_not_equal(short_out, o2, sizeof(o2));
    info[0] ^= 1;
    salt[12] ^= 1;
    assert_int_equal(cp->hkdf_sha256(salt, sizeof(salt), ikm, sizeof(ikm), info,
                                     sizeof(info), o2, sizeof(o2)), WARD_OK);
    assert_memory_not_equal(short_out, o2, sizeof(o2));
    /* No salt is HashLen zeros (RFC 5869 2.2). */
    uint8_t zeros[32] = { 0 };
    assert_int_equal(cp->hkdf_sha256(NULL, 0, ikm, sizeof(ikm), info, sizeof(info),
                                     short_out, sizeof(short_out)), WARD_OK);
    assert_int_equal(cp->hkdf_sha256(zeros, sizeof(zeros), ikm, sizeof(ikm), info,
                                     sizeof(info), o2, sizeof(o2)), WARD_OK);
    assert_memory_equal(short_out, o2, sizeof(o2));
}

static void test_hkdf_matches_hmac(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    /* RFC 5869 by hand from the HMAC entry: PRK = HMAC(salt, IKM),
     * T(1) = HMAC(PRK, info || 1), T(2) = HMAC(PRK, T(1) || info || 2). */
    uint8_t ikm[40], salt[20], info[1500], prk[32], t1[32], t2[32], out[64];
    rnd(ikm, sizeof(ikm));
    rnd(salt, sizeof(salt));
    rnd(info, sizeof(info));
    const uint8_t one = 1, two = 2;
    ward_iov x = { ikm, sizeof(ikm) };
    assert_int_equal(cp->hmac_sha256(salt, sizeof(salt), &x, 1, prk), WARD_OK);
    ward_iov e1[2] = { { info, sizeof(info) }, { &one, 1 } };
    assert_int_equal(cp->hmac_sha256(prk, 32, e1, 2, t1), WARD_OK);
    ward_iov e2[3] = { { t1, 32 }, { info, sizeof(info) }, { &two, 1 } };
    assert_int_equal(cp->hmac_sha256(prk, 32, e2, 3, t2), WARD_OK);
    assert_int_equal(cp->hkdf_sha256(salt, sizeof(salt), ikm, sizeof(ikm), info,
                                     sizeof(info), out, sizeof(out)), WARD_OK);
    assert_memory_equal(out, t1, 32);
    assert_memory_equal(out + 32, t2, 32);
}

/* ---- ccm ---- */

static void test_ccm_roundtrip_all_lengths(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t key[16], nonce[13], ad[20], pt[37], ct[37], back[37], tag[16];
    rnd(key, sizeof(key));
    rnd(nonce, sizeof(nonce));
    rnd(ad, sizeof(ad));
    rnd(pt, sizeof(pt));
    for (size_t nl = WARD_CCM_NONCE_MIN; nl <= WARD_CCM_NONCE_MAX; nl++) {
        for (size_t tl = WARD_CCM_TAG_MIN; tl <= WARD_CCM_TAG_MAX; tl += 2) {
            assert_int_equal(cp->ccm_seal(key, nonce, nl, ad, sizeof(ad), pt,
                                          sizeof(pt), ct, tag, tl), WARD_OK);
            assert_memory_not_equal(pt, ct, sizeof(pt));
            memset(back, 0xAA, sizeof(back));
            assert_int_equal(cp->ccm_open(key, nonce, nl, ad, sizeof(ad), ct,
                                          sizeof(ct), tag, tl, back), WARD_OK);
            assert_memory_equal(pt, back, sizeof(pt));
        }
    }
}

static void test_ccm_bad_lengths(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t key[16] = { 1 }, nonce[16] = { 2 }, pt[8] = { 3 }, ct[8], tag[18];
    static const size_t bad_nonce[] = { 0, 6, 14, 15 };
    static const size_t bad_tag[] = { 0, 2, 3, 5, 7, 15, 17, 18 };
    for (size_t i = 0; i < sizeof(bad_nonce) / sizeof(bad_nonce[0]); i++) {
        assert_int_equal(cp->ccm_seal(key, nonce, bad_nonce[i], NULL, 0, pt, 8,
                                      ct, tag, 16), WARD_ERR_PARAM);
        memset(ct, 0xAA, sizeof(ct));
        assert_int_equal(cp->ccm_open(key, nonce, bad_nonce[i], NULL, 0, pt, 8,
                                      tag, 16, ct), WARD_ERR_PARAM);
        assert_true(all_zero(ct, sizeof(ct)));
    }
    for (size_t i = 0; i < sizeof(bad_tag) / sizeof(bad_tag[0]); i++) {
        assert_int_equal(cp->ccm_seal(key, nonce, 13, NULL, 0, pt, 8, ct, tag,
                                      bad_tag[i]), WARD_ERR_PARAM);
        memset(ct, 0xAA, sizeof(ct));
        assert_int_equal(cp->ccm_open(key, nonce, 13, NULL, 0, pt, 8, tag,
                                      bad_tag[i], ct), WARD_ERR_PARAM);
        assert_true(all_zero(ct, sizeof(ct)));
    }
}

static void test_ccm_message_length_field(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    /* A 13-byte nonce leaves a 2-byte length field: 65535 bytes fit,
     * 65536 do not. */
    size_t len = 65536;
    uint8_t *buf = calloc(len, 1), key[16] = { 0 }, nonce[13] = { 0 }, tag[16];
    assert_non_null(buf);
    assert_int_equal(cp->ccm_seal(key, nonce, 13, NULL, 0, buf, len, buf, tag, 16),
                     WARD_ERR_PARAM);
    assert_int_equal(cp->ccm_seal(key, nonce, 13, NULL, 0, buf, len - 1, buf, tag,
                                  16), WARD_OK);
    assert_int_equal(cp->ccm_open(key, nonce, 13, NULL, 0, buf, len - 1, tag, 16,
                                  buf), WARD_OK);
    assert_true(all_zero(buf, len - 1));
    /* With a 12-byte nonce the same message fits. */
    assert_int_equal(cp->ccm_seal(key, nonce, 12, NULL, 0, buf, len, buf, tag, 16),
                     WARD_OK);
    assert_int_equal(cp->ccm_open(key, nonce, 12, NULL, 0, buf, len, tag, 16, buf),
                     WARD_OK);
    assert_true(all_zero(buf, len));
    /* Associated data up to 0xFEFF bytes (what both backends encode). */
    assert_int_equal(cp->ccm_seal(key, nonce, 13, buf, 0xFEFF, NULL, 0, NULL, tag,
                                  16), WARD_OK);
    assert_int_equal(cp->ccm_open(key, nonce, 13, buf, 0xFEFF, NULL, 0, tag, 16,
                                  NULL), WARD_OK);
    assert_int_equal(cp->ccm_seal(key, nonce, 13, buf, 0xFF00, NULL, 0, NULL, tag,
                                  16), WARD_ERR_PARAM);
    free(buf);
}

/* Opens ct after flipping one bit of one input; expects WARD_ERR_AUTH and
 * a zeroed output. */
static void ccm_expect_auth(uint8_t key[16], uint8_t nonce[13], uint8_t *ad,
                            size_t ad_len, uint8_t *ct, size_t ct_len,
                            uint8_t *tag, size_t tag_len, uint8_t *flip)
{
    const ward_crypto *cp = ward_test_cp;
    uint8_t out[64];
    *flip ^= 0x04;
    memset(out, 0xAA, sizeof(out));
    assert_int_equal(cp->ccm_open(key, nonce, 13, ad, ad_len, ct, ct_len, tag,
                                  tag_len, out), WARD_ERR_AUTH);
    assert_true(all_zero(out, ct_len));
    assert_true(all_byte(out + ct_len, sizeof(out) - ct_len, 0xAA));
    *flip ^= 0x04;
    assert_int_equal(cp->ccm_open(key, nonce, 13, ad, ad_len, ct, ct_len, tag,
                                  tag_len, out), WARD_OK);
}

static void test_ccm_tamper(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t key[16], nonce[13], ad[11], pt[40], ct[40], tag[16];
    rnd(key, sizeof(key));
    rnd(nonce, sizeof(nonce));
    rnd(ad, sizeof(ad));
    rnd(pt, sizeof(pt));
    assert_int_equal(cp->ccm_seal(key, nonce, 13, ad, sizeof(ad), pt, sizeof(pt),
                                  ct, tag, 16), WARD_OK);
    ccm_expect_auth(key, nonce, ad, sizeof(ad), ct, sizeof(ct), tag, 16, &ct[0]);
    ccm_expect_auth(key, nonce, ad, sizeof(ad), ct, sizeof(ct), tag, 16, &ct[39]);
    ccm_expect_auth(key, nonce, ad, sizeof(ad), ct, sizeof(ct), tag, 16, &tag[0]);
    ccm_expect_auth(key, nonce, ad, sizeof(ad), ct, sizeof(ct), tag, 16, &tag[15]);
    ccm_expect_auth(key, nonce, ad, sizeof(ad), ct, sizeof(ct), tag, 16, &ad[5]);
    ccm_expect_auth(key, nonce, ad, sizeof(ad), ct, sizeof(ct), tag, 16, &nonce[12]);
    ccm_expect_auth(key, nonce, ad, sizeof(ad), ct, sizeof(ct), tag, 16, &key[7]);

    uint8_t out[40];
    /* Dropping the associated data, or a byte of the message, fails. */
    assert_int_equal(cp->ccm_open(key, nonce, 13, NULL, 0, ct, sizeof(ct), tag, 16,
                                  out), WARD_ERR_AUTH);
    assert_true(all_zero(out, sizeof(out)));
    assert_int_equal(cp->ccm_open(key, nonce, 13, ad, sizeof(ad), ct, sizeof(ct) - 1,
                                  tag, 16, out), WARD_ERR_AUTH);
    /* The tag length is bound into the MAC: a truncated tag of a longer one
     * does not verify as a shorter tag. */
    assert_int_equal(cp->ccm_open(key, nonce, 13, ad, sizeof(ad), ct, sizeof(ct),
                                  tag, 8, out), WARD_ERR_AUTH);
    /* The nonce length too: the 12-byte prefix of the nonce fails. */
    assert_int_equal(cp->ccm_open(key, nonce, 12, ad, sizeof(ad), ct, sizeof(ct),
                                  tag, 16, out), WARD_ERR_AUTH);
}

static void test_ccm_in_place(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t key[16], nonce[13], pt[53], ct[53], buf[53], tag[12], tag2[12];
    rnd(key, sizeof(key));
    rnd(nonce, sizeof(nonce));
    rnd(pt, sizeof(pt));
    assert_int_equal(cp->ccm_seal(key, nonce, 13, NULL, 0, pt, sizeof(pt), ct, tag,
                                  sizeof(tag)), WARD_OK);
    memcpy(buf, pt, sizeof(buf));
    assert_int_equal(cp->ccm_seal(key, nonce, 13, NULL, 0, buf, sizeof(buf), buf,
                                  tag2, sizeof(tag2)), WARD_OK);
    assert_memory_equal(buf, ct, sizeof(ct));
    assert_memory_equal(tag, tag2, sizeof(tag));
    assert_int_equal(cp->ccm_open(key, nonce, 13, NULL, 0, buf, sizeof(buf), tag,
                                  sizeof(tag), buf), WARD_OK);
    assert_memory_equal(buf, pt, sizeof(pt));
    /* In place and failing: the ciphertext buffer ends up zeroed. */
    memcpy(buf, ct, sizeof(buf));
    tag[3] ^= 1;
    assert_int_equal(cp->ccm_open(key, nonce, 13, NULL, 0, buf, sizeof(buf), tag,
                                  sizeof(tag), buf), WARD_ERR_AUTH);
    assert_true(all_zero(buf, sizeof(buf)));
}

static void test_ccm_empty_and_ctr_prefix(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t key[16], nonce[13], ad[9], pt[40], ct_long[40], ct_short[17];
    uint8_t tag[8], tag_long[8];
    rnd(key, sizeof(key));
    rnd(nonce, sizeof(nonce));
    rnd(ad, sizeof(ad));
    rnd(pt, sizeof(pt));
    /* No message: the tag still authenticates the associated data. */
    assert_int_equal(cp->ccm_seal(key, nonce, 13, ad, sizeof(ad), NULL, 0, NULL,
                                  tag, 8), WARD_OK);
    assert_int_equal(cp->ccm_open(key, nonce, 13, ad, sizeof(ad), NULL, 0, tag, 8,
                                  NULL), WARD_OK);
    ad[0] ^= 1;
    assert_int_equal(cp->ccm_open(key, nonce, 13, ad, sizeof(ad), NULL, 0, tag, 8,
                                  NULL), WARD_ERR_AUTH);
    /* Nothing at all still has a tag, and it depends on the key. */
    assert_int_equal(cp->ccm_seal(key, nonce, 7, NULL, 0, NULL, 0, NULL, tag, 4),
                     WARD_OK);
    assert_int_equal(cp->ccm_open(key, nonce, 7, NULL, 0, NULL, 0, tag, 4, NULL),
                     WARD_OK);
    key[0] ^= 1;
    assert_int_equal(cp->ccm_open(key, nonce, 7, NULL, 0, NULL, 0, tag, 4, NULL),
                     WARD_ERR_AUTH);
    /* Counter mode: a shorter message encrypts to a prefix of the longer
     * one's ciphertext, while the tags differ. */
    assert_int_equal(cp->ccm_seal(key, nonce, 13, ad, sizeof(ad), pt, sizeof(pt),
                                  ct_long, tag_long, 8), WARD_OK);
    assert_int_equal(cp->ccm_seal(key, nonce, 13, ad, sizeof(ad), pt,
                                  sizeof(ct_short), ct_short, tag, 8), WARD_OK);
    assert_memory_equal(ct_long, ct_short, sizeof(ct_short));
    assert_memory_not_equal(tag, tag_long, 8);
}

/* ---- cmac ---- */

static void test_cmac_split_and_key(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t key[16], msg[70], whole[16], part[16];
    rnd(key, sizeof(key));
    rnd(msg, sizeof(msg));
    ward_iov one = { msg, sizeof(msg) };
    assert_int_equal(cp->aes128_cmac(key, &one, 1, whole), WARD_OK);
    for (size_t i = 0; i <= sizeof(msg); i += 5) {
        for (size_t j = i; j <= sizeof(msg); j += 16) {
            ward_iov parts[4] = { { msg, i }, { msg + i, j - i }, { NULL, 0 },
                                  { msg + j, sizeof(msg) - j } };
            assert_int_equal(cp->aes128_cmac(key, parts, 4, part), WARD_OK);
            assert_memory_equal(whole, part, 16);
        }
    }
    key[15] ^= 1;
    assert_int_equal(cp->aes128_cmac(key, &one, 1, part), WARD_OK);
    assert_memory_not_equal(whole, part, 16);
    /* The empty message and a full-block message use different subkeys:
     * no padding collision between "" and a block of padding. */
    uint8_t pad[16] = { 0x80 }, e1[16], e2[16];
    ward_iov p = { pad, sizeof(pad) };
    assert_int_equal(cp->aes128_cmac(key, NULL, 0, e1), WARD_OK);
    assert_int_equal(cp->aes128_cmac(key, &p, 1, e2), WARD_OK);
    assert_memory_not_equal(e1, e2, 16);
}

/* ---- points ---- */

static void test_point_check(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t one[32], g[65], pt[65];
    scalar_small(one, 1);
    base_mul(one, g);
    assert_memory_equal(g, g_pt, 65);
    assert_int_equal(cp->p256_point_check(g), WARD_OK);

    /* Any prefix but 0x04, even with valid coordinates. */
    static const uint8_t prefixes[] = { 0x00, 0x02, 0x03, 0x05, 0x06, 0x07, 0xff };
    for (size_t i = 0; i < sizeof(prefixes); i++) {
        memcpy(pt, g, 65);
        pt[0] = prefixes[i];
        assert_int_equal(cp->p256_point_check(pt), WARD_ERR_FORMAT);
    }
    /* Off the curve. */
    memcpy(pt, g, 65);
    pt[64] ^= 1;
    assert_int_equal(cp->p256_point_check(pt), WARD_ERR_FORMAT);
    memcpy(pt, g, 65);
    pt[10] ^= 0x10;
    assert_int_equal(cp->p256_point_check(pt), WARD_ERR_FORMAT);
    /* Infinity, in any spelling we might be sent. */
    memset(pt, 0, 65);
    assert_int_equal(cp->p256_point_check(pt), WARD_ERR_FORMAT);
    pt[0] = 0x04;
    assert_int_equal(cp->p256_point_check(pt), WARD_ERR_FORMAT);
    /* x = p (a coordinate out of the field); and y + p for a valid y. */
    memcpy(pt, g, 65);
    memcpy(pt + 1, p_be, 32);
    assert_int_equal(cp->p256_point_check(pt), WARD_ERR_FORMAT);
    memset(pt, 0xff, 65);
    pt[0] = 0x04;
    assert_int_equal(cp->p256_point_check(pt), WARD_ERR_FORMAT);
    /* -G is valid: y replaced by p - y. */
    uint8_t nm1[32];
    assert_int_equal(cp->p256_scalar_neg(one, nm1), WARD_OK);
    base_mul(nm1, pt);
    assert_int_equal(cp->p256_point_check(pt), WARD_OK);
    assert_memory_equal(pt + 1, g + 1, 32);
    assert_memory_not_equal(pt + 33, g + 33, 32);
}

/* ---- scalars ---- */

static void test_scalar_reduce(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t in[65], out[32], want[32];
    memset(in, 0x11, sizeof(in));
    assert_int_equal(cp->p256_scalar_reduce(in, 0, out), WARD_ERR_PARAM);
    assert_int_equal(cp->p256_scalar_reduce(in, 65, out), WARD_ERR_PARAM);
    /* Short input: the value, left-padded. */
    in[0] = 5;
    assert_int_equal(cp->p256_scalar_reduce(in, 1, out), WARD_OK);
    scalar_small(want, 5);
    assert_memory_equal(out, want, 32);
    /* n -> 0; n + 1 as 33 bytes -> 1; 2^256 + n -> 2^256 mod n. */
    assert_int_equal(cp->p256_scalar_reduce(n_be, 32, out), WARD_OK);
    assert_true(all_zero(out, 32));
    in[0] = 1;
    memcpy(in + 1, n_be, 32);
    assert_int_equal(cp->p256_scalar_reduce(in, 33, out), WARD_OK);
    assert_memory_equal(out, c_be, 32);
    /* 64 zero bytes then ... 32 leading zeros do not change anything. */
    uint8_t s[32];
    rand_scalar(s);
    memset(in, 0, 32);
    memcpy(in + 32, s, 32);
    assert_int_equal(cp->p256_scalar_reduce(in, 64, out), WARD_OK);
    assert_memory_equal(out, s, 32);
    /* Random wide inputs always land below n. */
    for (int i = 0; i < 50; i++) {
        rnd(in, 64);
        in[0] |= 0x80;
        assert_int_equal(cp->p256_scalar_reduce(in, 64, out), WARD_OK);
        assert_true(memcmp(out, n_be, 32) < 0);
    }
}

static void test_scalar_reduce_64_matches_points(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    /* h = H * 2^256 + L, so (h mod n)*G = (H mod n)*(c*G) + (L mod n)*G
     * with c = 2^256 mod n: the reduction checked through the curve. */
    uint8_t h[64], r[32], hr[32], lr[32], cg[65], lhs[65], rhs[65];
    memset(h, 0xff, sizeof(h));
    for (int round = 0; round < 4; round++) {
        if (round > 0) {
            rnd(h, sizeof(h));
        }
        assert_int_equal(cp->p256_scalar_reduce(h, 64, r), WARD_OK);
        assert_int_equal(cp->p256_scalar_reduce(h, 32, hr), WARD_OK);
        assert_int_equal(cp->p256_scalar_reduce(h + 32, 32, lr), WARD_OK);
        base_mul(c_be, cg);
        base_mul(r, lhs);
        assert_int_equal(cp->p256_muladd(hr, cg, lr, g_pt, rhs), WARD_OK);
        assert_memory_equal(lhs, rhs, 65);
    }
}

static void test_scalar_neg(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t zero[32] = { 0 }, one[32], out[32], back[32], want[32], s[32];
    assert_int_equal(cp->p256_scalar_neg(zero, out), WARD_OK);
    assert_true(all_zero(out, 32));
    scalar_small(one, 1);
    assert_int_equal(cp->p256_scalar_neg(one, out), WARD_OK);
    memcpy(want, n_be, 32);
    want[31] = (uint8_t)(want[31] - 1);
    assert_memory_equal(out, want, 32);
    /* Out of range is a malformed scalar. */
    assert_int_equal(cp->p256_scalar_neg(n_be, out), WARD_ERR_FORMAT);
    memset(s, 0xff, 32);
    assert_int_equal(cp->p256_scalar_neg(s, out), WARD_ERR_FORMAT);
    /* neg(neg(s)) = s and s + neg(s) = 0. */
    for (int i = 0; i < 10; i++) {
        rand_scalar(s);
        assert_int_equal(cp->p256_scalar_neg(s, out), WARD_OK);
        assert_memory_not_equal(out, s, 32);
        assert_int_equal(cp->p256_scalar_neg(out, back), WARD_OK);
        assert_memory_equal(back, s, 32);
        scalar_add(s, out, back);
        assert_true(all_zero(back, 32));
    }
}

/* ---- muladd ---- */

static void test_muladd_linear(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t a[32], b[32], ab[32], ag[65], bg[65], abg[65], sum[65], tmp[65];
    for (int i = 0; i < 8; i++) {
        rand_scalar(a);
        if (i == 0) {
            memcpy(b, a, 32); /* the doubling case */
        } else {
            rand_scalar(b);
        }
        scalar_add(a, b, ab);
        base_mul(a, ag);
        base_mul(b, bg);
        base_mul(ab, abg);
        /* (a+b)*G = a*G + b*G, with G implicit and explicit. */
        assert_int_equal(cp->p256_muladd(a, NULL, b, g_pt, sum), WARD_OK);
        assert_memory_equal(sum, abg, 65);
        assert_int_equal(cp->p256_muladd(a, g_pt, b, g_pt, sum), WARD_OK);
        assert_memory_equal(sum, abg, 65);
        /* The order of the terms does not matter. */
        assert_int_equal(cp->p256_muladd(b, g_pt, a, g_pt, tmp), WARD_OK);
        assert_memory_equal(tmp, abg, 65);
        /* a*(b*G) = b*(a*G). */
        assert_int_equal(cp->p256_muladd(a, bg, NULL, NULL, sum), WARD_OK);
        assert_int_equal(cp->p256_muladd(b, ag, NULL, NULL, tmp), WARD_OK);
        assert_memory_equal(sum, tmp, 65);
        assert_int_equal(cp->p256_point_check(sum), WARD_OK);
    }
}

static void test_muladd_edges(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t a[32], na[32], one[32], zero[32] = { 0 }, q[65], p[65], out[65], ref[65];
    rand_scalar(a);
    scalar_small(one, 1);
    base_mul(a, p);
    rand_scalar(na);
    base_mul(na, q);
    /* 1*P = P; b = 0 adds nothing. */
    assert_int_equal(cp->p256_muladd(one, p, NULL, NULL, out), WARD_OK);
    assert_memory_equal(out, p, 65);
    assert_int_equal(cp->p256_muladd(one, p, zero, q, out), WARD_OK);
    assert_memory_equal(out, p, 65);
    /* 1*P + 1*Q = Q + P. */
    assert_int_equal(cp->p256_muladd(one, p, one, q, out), WARD_OK);
    assert_int_equal(cp->p256_muladd(one, q, one, p, ref), WARD_OK);
    assert_memory_equal(out, ref, 65);
    /* a*G + (n-a)*G is infinity. */
    assert_int_equal(cp->p256_scalar_neg(a, na), WARD_OK);
    assert_int_equal(cp->p256_muladd(a, NULL, na, g_pt, out), WARD_ERR_FORMAT);
    /* P + (-1)*P too. */
    uint8_t m1[32];
    assert_int_equal(cp->p256_scalar_neg(one, m1), WARD_OK);
    assert_int_equal(cp->p256_muladd(one, p, m1, p, out), WARD_ERR_FORMAT);
    /* Scalars: a = 0 or >= n, b >= n. */
    assert_int_equal(cp->p256_muladd(zero, NULL, NULL, NULL, out), WARD_ERR_FORMAT);
    assert_int_equal(cp->p256_muladd(zero, p, one, q, out), WARD_ERR_FORMAT);
    assert_int_equal(cp->p256_muladd(n_be, NULL, NULL, NULL, out), WARD_ERR_FORMAT);
    assert_int_equal(cp->p256_muladd(one, p, n_be, q, out), WARD_ERR_FORMAT);
    /* Points: off the curve, bad prefix, infinity, for P and for Q. */
    uint8_t bad[65];
    memcpy(bad, q, 65);
    bad[40] ^= 2;
    assert_int_equal(cp->p256_muladd(one, bad, NULL, NULL, out), WARD_ERR_FORMAT);
    assert_int_equal(cp->p256_muladd(one, p, one, bad, out), WARD_ERR_FORMAT);
    /* Even with b = 0 the point Q must be valid. */
    assert_int_equal(cp->p256_muladd(one, p, zero, bad, out), WARD_ERR_FORMAT);
    memcpy(bad, q, 65);
    bad[0] = 0x03;
    assert_int_equal(cp->p256_muladd(one, bad, NULL, NULL, out), WARD_ERR_FORMAT);
    assert_int_equal(cp->p256_muladd(one, p, one, bad, out), WARD_ERR_FORMAT);
    memset(bad, 0, 65);
    assert_int_equal(cp->p256_muladd(one, bad, NULL, NULL, out), WARD_ERR_FORMAT);
    bad[0] = 0x04;
    assert_int_equal(cp->p256_muladd(one, p, one, bad, out), WARD_ERR_FORMAT);
}

/* ---- ecdh ---- */

static void test_ecdh(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t a[32], b[32], pa[65], pb[65], s1[32], s2[32], ab[65];
    for (int i = 0; i < 5; i++) {
        rand_scalar(a);
        rand_scalar(b);
        base_mul(a, pa);
        base_mul(b, pb);
        assert_int_equal(cp->p256_ecdh(a, pb, s1), WARD_OK);
        assert_int_equal(cp->p256_ecdh(b, pa, s2), WARD_OK);
        assert_memory_equal(s1, s2, 32);
        /* It is the x-coordinate of a*B. */
        assert_int_equal(cp->p256_muladd(a, pb, NULL, NULL, ab), WARD_OK);
        assert_memory_equal(s1, ab + 1, 32);
    }
    /* Another private key gives another secret. */
    b[31] ^= 1;
    assert_int_equal(cp->p256_ecdh(b, pa, s2), WARD_OK);
    assert_memory_not_equal(s1, s2, 32);
    /* Bad private keys. */
    uint8_t zero[32] = { 0 };
    memset(s1, 0xAA, 32);
    assert_int_equal(cp->p256_ecdh(zero, pb, s1), WARD_ERR_FORMAT);
    assert_int_equal(cp->p256_ecdh(n_be, pb, s1), WARD_ERR_FORMAT);
    /* Bad peers. */
    uint8_t bad[65];
    memcpy(bad, pb, 65);
    bad[64] ^= 1;
    assert_int_equal(cp->p256_ecdh(a, bad, s1), WARD_ERR_FORMAT);
    memcpy(bad, pb, 65);
    bad[0] = 0x02;
    assert_int_equal(cp->p256_ecdh(a, bad, s1), WARD_ERR_FORMAT);
    memset(bad, 0, 65);
    assert_int_equal(cp->p256_ecdh(a, bad, s1), WARD_ERR_FORMAT);
}

/* ---- ecdsa ---- */

static void test_ecdsa_sign_verify(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t d[32], pub[65], dig[32], sig[64], sig2[64], bad[64];
    rand_scalar(d);
    base_mul(d, pub);
    rnd(dig, sizeof(dig));
    assert_int_equal(cp->ecdsa_p256_sign(d, dig, sig), WARD_OK);
    assert_int_equal(cp->ecdsa_p256_verify(pub, dig, sig), WARD_OK);
    /* r and s are in 1..n-1. */
    assert_false(all_zero(sig, 32));
    assert_false(all_zero(sig + 32, 32));
    assert_true(memcmp(sig, n_be, 32) < 0);
    assert_true(memcmp(sig + 32, n_be, 32) < 0);
    /* Any flipped bit of the signature or digest fails. */
    for (size_t bit = 0; bit < 512; bit += 37) {
        memcpy(bad, sig, 64);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(cp->ecdsa_p256_verify(pub, dig, bad), WARD_ERR_AUTH);
    }
    for (size_t bit = 0; bit < 256; bit += 29) {
        dig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(cp->ecdsa_p256_verify(pub, dig, sig), WARD_ERR_AUTH);
        dig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* Another valid key fails. */
    uint8_t d2[32], pub2[65];
    rand_scalar(d2);
    base_mul(d2, pub2);
    assert_int_equal(cp->ecdsa_p256_verify(pub2, dig, sig), WARD_ERR_AUTH);
    /* (r, n - s) is the same signature in ECDSA: verify does the math. */
    memcpy(sig2, sig, 32);
    assert_int_equal(cp->p256_scalar_neg(sig + 32, sig2 + 32), WARD_OK);
    assert_int_equal(cp->ecdsa_p256_verify(pub, dig, sig2), WARD_OK);
    /* A second signature verifies too; mbedTLS's is the same (RFC 6979). */
    assert_int_equal(cp->ecdsa_p256_sign(d, dig, sig2), WARD_OK);
    assert_int_equal(cp->ecdsa_p256_verify(pub, dig, sig2), WARD_OK);
    if (strncmp(cp->name, "mbedtls", 7) == 0) {
        assert_memory_equal(sig, sig2, 64);
    }
}

static void test_ecdsa_out_of_range(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t d[32], pub[65], dig[32], sig[64], bad[64];
    rand_scalar(d);
    base_mul(d, pub);
    rnd(dig, sizeof(dig));
    assert_int_equal(cp->ecdsa_p256_sign(d, dig, sig), WARD_OK);
    /* r or s zero, equal to n, or all ones: WARD_ERR_AUTH, not a fault. */
    const uint8_t *halves[3];
    uint8_t zero[32] = { 0 }, ff[32];
    memset(ff, 0xff, 32);
    halves[0] = zero;
    halves[1] = n_be;
    halves[2] = ff;
    for (size_t i = 0; i < 3; i++) {
        memcpy(bad, sig, 64);
        memcpy(bad, halves[i], 32);
        assert_int_equal(cp->ecdsa_p256_verify(pub, dig, bad), WARD_ERR_AUTH);
        memcpy(bad, sig, 64);
        memcpy(bad + 32, halves[i], 32);
        assert_int_equal(cp->ecdsa_p256_verify(pub, dig, bad), WARD_ERR_AUTH);
    }
    memset(bad, 0, 64);
    assert_int_equal(cp->ecdsa_p256_verify(pub, dig, bad), WARD_ERR_AUTH);
    /* Bad keys. */
    uint8_t badpub[65];
    memcpy(badpub, pub, 65);
    badpub[64] ^= 1;
    assert_int_equal(cp->ecdsa_p256_verify(badpub, dig, sig), WARD_ERR_FORMAT);
    memcpy(badpub, pub, 65);
    badpub[0] = 0x03;
    assert_int_equal(cp->ecdsa_p256_verify(badpub, dig, sig), WARD_ERR_FORMAT);
    memset(bad, 0xAA, 64);
    assert_int_equal(cp->ecdsa_p256_sign(zero, dig, bad), WARD_ERR_FORMAT);
    assert_int_equal(cp->ecdsa_p256_sign(n_be, dig, bad), WARD_ERR_FORMAT);
    assert_int_equal(cp->ecdsa_p256_sign(ff, dig, bad), WARD_ERR_FORMAT);
}

/* ---- failures leave no trace ---- */

static void test_failures_leave_no_error_queue(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    /* The OpenSSL backend empties its error queue when an entry fails, so
     * a failure cannot leak into an unrelated caller's ERR_get_error(). */
    uint8_t key[16] = { 0 }, nonce[13] = { 0 }, ct[8] = { 0 }, tag[16] = { 0 };
    uint8_t pt[8], pnt[65], out[65], zero[32] = { 0 }, sig[64] = { 0 }, d[32];
    ERR_clear_error();
    assert_int_equal(cp->ccm_open(key, nonce, 13, NULL, 0, ct, 8, tag, 16, pt),
                     WARD_ERR_AUTH);
    memcpy(pnt, g_pt, 65);
    pnt[64] ^= 1;
    assert_int_equal(cp->p256_point_check(pnt), WARD_ERR_FORMAT);
    assert_int_equal(cp->p256_muladd(zero, NULL, NULL, NULL, out), WARD_ERR_FORMAT);
    assert_int_equal(cp->p256_ecdh(n_be, g_pt, zero), WARD_ERR_FORMAT);
    assert_int_equal(cp->ecdsa_p256_verify(g_pt, zero, sig), WARD_ERR_AUTH);
    rand_scalar(d);
    assert_int_equal(cp->ecdsa_p256_sign(d, zero, sig), WARD_OK);
    sig[5] ^= 1;
    assert_int_equal(cp->ecdsa_p256_verify(g_pt, zero, sig), WARD_ERR_AUTH);
    assert_int_equal(ERR_peek_error(), 0);
}

/* ---- random ---- */

static void test_backend_random(void **state)
{
    (void)state;
    ward_random r = strncmp(ward_test_cp->name, "mbedtls", 7) == 0
                        ? ward_random_mbedtls() : ward_random_openssl();
    static uint8_t a[5000], b[5000];
    assert_int_equal(r.fill(r.ctx, a, 0), WARD_OK);
    assert_int_equal(r.fill(r.ctx, a, sizeof(a)), WARD_OK);
    assert_int_equal(r.fill(r.ctx, b, sizeof(b)), WARD_OK);
    assert_memory_not_equal(a, b, sizeof(a));
    /* Larger than one DRBG request, so the tail is filled too. */
    assert_false(all_zero(a + 4900, 100));
    assert_false(all_zero(b + 4900, 100));
    uint8_t c[3] = { 0 };
    assert_int_equal(r.fill(r.ctx, c, 1), WARD_OK);
    assert_int_equal(c[1], 0);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_complete),
        cmocka_unit_test(test_sha256_empty_forms_agree),
        cmocka_unit_test(test_sha256_split_invariant),
        cmocka_unit_test(test_sha256_stream),
        cmocka_unit_test(test_hmac_split_and_key),
        cmocka_unit_test(test_hmac_long_key_is_hashed),
        cmocka_unit_test(test_hkdf_out_len_bounds),
        cmocka_unit_test(test_hkdf_prefix_and_salt),
        cmocka_unit_test(test_hkdf_matches_hmac),
        cmocka_unit_test(test_ccm_roundtrip_all_lengths),
        cmocka_unit_test(test_ccm_bad_lengths),
        cmocka_unit_test(test_ccm_message_length_field),
        cmocka_unit_test(test_ccm_tamper),
        cmocka_unit_test(test_ccm_in_place),
        cmocka_unit_test(test_ccm_empty_and_ctr_prefix),
        cmocka_unit_test(test_cmac_split_and_key),
        cmocka_unit_test(test_point_check),
        cmocka_unit_test(test_scalar_reduce),
        cmocka_unit_test(test_scalar_reduce_64_matches_points),
        cmocka_unit_test(test_scalar_neg),
        cmocka_unit_test(test_muladd_linear),
        cmocka_unit_test(test_muladd_edges),
        cmocka_unit_test(test_ecdh),
        cmocka_unit_test(test_ecdsa_sign_verify),
        cmocka_unit_test(test_ecdsa_out_of_range),
        cmocka_unit_test(test_failures_leave_no_error_queue),
        cmocka_unit_test(test_backend_random),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
