/* P-256 point compression (core) and decompression (each backend), and the two backends agreeing: WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_suite.h"

#define P_HEX "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"
#define G_HEX "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" \
              "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"

static void random_point(uint8_t pt[WARD_P256_POINT_LEN])
{
    uint8_t k[WARD_P256_SCALAR_LEN];
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_p256_keygen(ward_test_cp, &rng, k, pt), WARD_OK);
}

static void test_round_trip_random(void **state)
{
    (void)state;
    unsigned seen[2] = { 0, 0 };
    for (int i = 0; i < 64; i++) {
        uint8_t pt[WARD_P256_POINT_LEN], c[WARD_P256_COMPRESSED_LEN];
        uint8_t back[WARD_P256_POINT_LEN];
        random_point(pt);
        ward_p256_compress(pt, c);
        assert_true(c[0] == 0x02 || c[0] == 0x03);
        seen[c[0] & 1u]++;
        assert_memory_equal(c + 1, pt + 1, 32);
        assert_int_equal(ward_test_cp->p256_decompress(c, back), WARD_OK);
        assert_memory_equal(back, pt, sizeof pt);
    }
    /* Both parities came up, so both branches of the root choice ran. */
    assert_true(seen[0] > 0 && seen[1] > 0);
}

static void test_generator(void **state)
{
    (void)state;
    uint8_t g[WARD_P256_POINT_LEN], c[WARD_P256_COMPRESSED_LEN];
    uint8_t back[WARD_P256_POINT_LEN];
    ward_test_hex(G_HEX, g, sizeof g);
    ward_p256_compress(g, c);
    assert_int_equal(c[0], 0x03);   /* G's y ends in 0xf5: odd */
    assert_int_equal(ward_test_cp->p256_decompress(c, back), WARD_OK);
    assert_memory_equal(back, g, sizeof g);
    /* The other prefix is -G: same x, y = p - y. */
    c[0] = 0x02;
    assert_int_equal(ward_test_cp->p256_decompress(c, back), WARD_OK);
    assert_memory_equal(back, g, 33);
    assert_memory_not_equal(back + 33, g + 33, 32);
    assert_int_equal(back[64] & 1u, 0);
}

static void test_backends_agree(void **state)
{
    (void)state;
    const ward_crypto *o = ward_crypto_openssl(), *m = ward_crypto_mbedtls();
    for (int i = 0; i < 32; i++) {
        uint8_t pt[WARD_P256_POINT_LEN], c[WARD_P256_COMPRESSED_LEN];
        uint8_t a[WARD_P256_POINT_LEN], b[WARD_P256_POINT_LEN];
        random_point(pt);
        ward_p256_compress(pt, c);
        c[0] ^= (uint8_t)(i & 1);   /* half of them the negated point */
        assert_int_equal(o->p256_decompress(c, a), WARD_OK);
        assert_int_equal(m->p256_decompress(c, b), WARD_OK);
        assert_memory_equal(a, b, sizeof a);
        assert_int_equal(o->p256_point_check(a), WARD_OK);
        assert_int_equal(m->p256_point_check(a), WARD_OK);
    }
    /* And on refusals: an x that is on no point, for either prefix. */
    uint8_t c[WARD_P256_COMPRESSED_LEN], out[WARD_P256_POINT_LEN];
    int refused = 0;
    for (int i = 0; i < 64 && refused < 8; i++) {
        ward_random rng = ward_test_rng();
        assert_int_equal(rng.fill(rng.ctx, c + 1, 32), WARD_OK);
        c[0] = 0x02;
        ward_err eo = o->p256_decompress(c, out);
        ward_err em = m->p256_decompress(c, out);
        assert_int_equal(eo, em);
        refused += eo == WARD_ERR_FORMAT;
    }
    assert_true(refused > 0);
}

static void test_not_a_square(void **state)
{
    (void)state;
    uint8_t c[WARD_P256_COMPRESSED_LEN], out[WARD_P256_POINT_LEN];
    /* About half of all x have no point; find some and check both
     * prefixes are refused and the output is not left half-written. */
    int found = 0;
    for (int i = 0; i < 200 && found < 10; i++) {
        uint8_t pt[WARD_P256_POINT_LEN];
        ward_random rng = ward_test_rng();
        assert_int_equal(rng.fill(rng.ctx, c + 1, 32), WARD_OK);
        c[0] = 0x02;
        memset(out, 0xAA, sizeof out);
        ward_err err = ward_test_cp->p256_decompress(c, pt);
        if (err == WARD_OK) {
            assert_int_equal(ward_test_cp->p256_point_check(pt), WARD_OK);
            continue;
        }
        assert_int_equal(err, WARD_ERR_FORMAT);
        c[0] = 0x03;
        assert_int_equal(ward_test_cp->p256_decompress(c, out), WARD_ERR_FORMAT);
        found++;
    }
    assert_true(found > 0);
    /* x = 0 (rhs = b) is a square: a point the backends agree on. */
    uint8_t a[WARD_P256_POINT_LEN], b[WARD_P256_POINT_LEN];
    memset(c, 0, sizeof c);
    c[0] = 0x02;
    assert_int_equal(ward_crypto_openssl()->p256_decompress(c, a), WARD_OK);
    assert_int_equal(ward_crypto_mbedtls()->p256_decompress(c, b), WARD_OK);
    assert_memory_equal(a, b, sizeof a);
}

static void test_x_not_below_p(void **state)
{
    (void)state;
    uint8_t c[WARD_P256_COMPRESSED_LEN], out[WARD_P256_POINT_LEN];
    c[0] = 0x02;
    ward_test_hex(P_HEX, c + 1, 32);   /* x = p */
    assert_int_equal(ward_test_cp->p256_decompress(c, out), WARD_ERR_FORMAT);
    c[0] = 0x03;
    assert_int_equal(ward_test_cp->p256_decompress(c, out), WARD_ERR_FORMAT);
    memset(c + 1, 0xFF, 32);           /* x = 2^256 - 1 */
    assert_int_equal(ward_test_cp->p256_decompress(c, out), WARD_ERR_FORMAT);
    /* x = p + x(G) would be G's x reduced: must not be taken as G. */
    uint8_t g[WARD_P256_POINT_LEN], p[32];
    ward_test_hex(G_HEX, g, sizeof g);
    ward_test_hex(P_HEX, p, sizeof p);
    unsigned carry = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned s = (unsigned)p[i] + g[1 + i] + carry;
        c[1 + i] = (uint8_t)s;
        carry = s >> 8;
    }
    if (carry == 0) {   /* x(G) + p < 2^256: a 32-byte alias of x(G) */
        c[0] = 0x03;
        assert_int_equal(ward_test_cp->p256_decompress(c, out), WARD_ERR_FORMAT);
    }
}

static void test_wrong_prefix(void **state)
{
    (void)state;
    uint8_t g[WARD_P256_POINT_LEN], c[WARD_P256_COMPRESSED_LEN];
    uint8_t out[WARD_P256_POINT_LEN];
    ward_test_hex(G_HEX, g, sizeof g);
    ward_p256_compress(g, c);
    static const uint8_t bad[] = { 0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xFF };
    for (size_t i = 0; i < sizeof bad; i++) {
        c[0] = bad[i];
        assert_int_equal(ward_test_cp->p256_decompress(c, out), WARD_ERR_FORMAT);
    }
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_generator),
        cmocka_unit_test(test_backends_agree),
        cmocka_unit_test(test_not_a_square),
        cmocka_unit_test(test_x_not_below_p),
        cmocka_unit_test(test_wrong_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
