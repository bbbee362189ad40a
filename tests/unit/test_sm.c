/* The optional SM3/SM4 entries of the crypto port: published vectors, an
 * independent construction, and a clean "unsupported" where absent.
 * WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

static size_t skipped;

/* The backend has the entries and the library answers them. */
static bool sm_available(void)
{
    static const uint8_t k[16] = { 0 };
    uint8_t out[32];
    ward_iov p = { k, sizeof k };
    if (ward_test_cp->hmac_sm3 == NULL || ward_test_cp->sm4_cmac == NULL) {
        return false;
    }
    return ward_test_cp->hmac_sm3(k, sizeof k, &p, 1, out) == WARD_OK &&
           ward_test_cp->sm4_cmac(k, &p, 1, out) == WARD_OK;
}

static bool skip_if_absent(const char *what)
{
    if (sm_available()) {
        return false;
    }
    printf("skipped: %s (%s has no SM3/SM4)\n", what, ward_test_cp->name);
    skipped++;
    return true;
}

/* The primitives themselves through EVP, to check the compositions
 * independently of the port: GB/T 32905 SM3 and GB/T 32907 SM4. */
static void sm3(const uint8_t *a, size_t a_len, const uint8_t *b,
                size_t b_len, uint8_t out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned n = 0;
    assert_non_null(c);
    assert_int_equal(EVP_DigestInit_ex(c, EVP_sm3(), NULL), 1);
    assert_int_equal(EVP_DigestUpdate(c, a, a_len), 1);
    if (b_len > 0) {
        assert_int_equal(EVP_DigestUpdate(c, b, b_len), 1);
    }
    assert_int_equal(EVP_DigestFinal_ex(c, out, &n), 1);
    assert_int_equal(n, 32);
    EVP_MD_CTX_free(c);
}

static void sm4_block(const uint8_t key[16], const uint8_t in[16],
                      uint8_t out[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    assert_non_null(c);
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_sm4_ecb(), NULL, key, NULL), 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    assert_int_equal(EVP_EncryptUpdate(c, out, &n, in, 16), 1);
    assert_int_equal(n, 16);
    EVP_CIPHER_CTX_free(c);
}

static void test_published_primitives(void **state)
{
    (void)state;
    if (skip_if_absent("GB/T 32905 and 32907 examples")) {
        return;
    }
    uint8_t want[32], got[32], key[16];
    /* GB/T 32905-2016 A.1: SM3("abc"). */
    ward_test_hex("66c7f0f462eeedd9d1f2d46bdc10e4e2"
                  "4167c4875cf2f7a2297da02b8f4ba8e0", want, sizeof want);
    sm3((const uint8_t *)"abc", 3, NULL, 0, got);
    assert_memory_equal(got, want, 32);
    /* GB/T 32907-2016 A.1: the key encrypts itself. */
    ward_test_hex("0123456789abcdeffedcba9876543210", key, sizeof key);
    ward_test_hex("681edf34d206965e86b3e94f536e4246", want, 16);
    sm4_block(key, key, got);
    assert_memory_equal(got, want, 16);
}

/* RFC 2104 written out over the SM3 just checked. */
static void hmac_sm3_ref(const uint8_t *key, size_t key_len,
                         const uint8_t *msg, size_t msg_len, uint8_t out[32])
{
    uint8_t k0[64] = { 0 }, pad[64], inner[32];
    if (key_len > 64) {
        sm3(key, key_len, NULL, 0, k0);
    } else {
        memcpy(k0, key, key_len);
    }
    for (size_t i = 0; i < 64; i++) {
        pad[i] = (uint8_t)(k0[i] ^ 0x36);
    }
    sm3(pad, 64, msg, msg_len, inner);
    for (size_t i = 0; i < 64; i++) {
        pad[i] = (uint8_t)(k0[i] ^ 0x5c);
    }
    sm3(pad, 64, inner, 32, out);
}

/* RFC 4493 written out over the SM4 block just checked. */
static void dbl(uint8_t b[16])
{
    uint8_t carry = (uint8_t)(b[0] >> 7);
    for (size_t i = 0; i < 15; i++) {
        b[i] = (uint8_t)(b[i] << 1 | b[i + 1] >> 7);
    }
    b[15] = (uint8_t)(b[15] << 1);
    b[15] ^= (uint8_t)(carry * 0x87u);
}

static void sm4_cmac_ref(const uint8_t key[16], const uint8_t *msg,
                         size_t len, uint8_t out[16])
{
    static const uint8_t zero[16] = { 0 };
    uint8_t k1[16], k2[16], x[16] = { 0 }, last[16] = { 0 };
    sm4_block(key, zero, k1);
    dbl(k1);
    memcpy(k2, k1, 16);
    dbl(k2);
    size_t nblocks = len == 0 ? 1 : (len + 15) / 16;
    bool complete = len > 0 && len % 16 == 0;
    for (size_t b = 0; b + 1 < nblocks; b++) {
        for (size_t i = 0; i < 16; i++) {
            x[i] ^= msg[16 * b + i];
        }
        sm4_block(key, x, x);
    }
    size_t rest = len - 16 * (nblocks - 1);
    memcpy(last, msg + 16 * (nblocks - 1), rest);
    if (!complete) {
        last[rest] = 0x80;
    }
    for (size_t i = 0; i < 16; i++) {
        x[i] ^= (uint8_t)(last[i] ^ (complete ? k1[i] : k2[i]));
    }
    sm4_block(key, x, out);
}

static void test_hmac_sm3(void **state)
{
    (void)state;
    if (skip_if_absent("HMAC-SM3")) {
        return;
    }
    uint8_t key[100], msg[200], got[32], want[32];
    memset(key, 'k', sizeof key);
    for (size_t i = 0; i < sizeof msg; i++) {
        msg[i] = (uint8_t)(i * 7u + 1u);
    }
    /* Cross-checked with `openssl mac -digest SM3 -macopt hexkey:6b6579
     * HMAC` and with the 100-byte key (longer than SM3's block). */
    ward_iov abc = { (const uint8_t *)"abc", 3 };
    ward_test_hex("28e63256e7c5a087b1f073265dc53092"
                  "163f7b82729735d06f28f10af9d52393", want, sizeof want);
    assert_int_equal(ward_test_cp->hmac_sm3((const uint8_t *)"key", 3, &abc, 1,
                                            got), WARD_OK);
    assert_memory_equal(got, want, 32);
    ward_test_hex("2d87dd3ffa1452e8e40d9123a02824fb"
                  "7dd98ae4a52683287245f1736dc610ef", want, sizeof want);
    assert_int_equal(ward_test_cp->hmac_sm3(key, 100, &abc, 1, got), WARD_OK);
    assert_memory_equal(got, want, 32);

    /* Against the construction written out, for every split of the
     * input into two parts, key lengths short, one block and long. */
    static const size_t klens[] = { 0, 16, 32, 64, 65, 100 };
    for (size_t k = 0; k < sizeof klens / sizeof klens[0]; k++) {
        for (size_t len = 0; len <= sizeof msg; len += 37) {
            hmac_sm3_ref(key, klens[k], msg, len, want);
            for (size_t cut = 0; cut <= len; cut += 19) {
                ward_iov parts[2] = { { msg, cut }, { msg + cut, len - cut } };
                assert_int_equal(ward_test_cp->hmac_sm3(key, klens[k], parts, 2,
                                                        got), WARD_OK);
                assert_memory_equal(got, want, 32);
            }
        }
    }
    /* A different key or message gives a different tag. */
    hmac_sm3_ref(key, 32, msg, 64, want);
    key[0] ^= 1;
    ward_iov p = { msg, 64 };
    assert_int_equal(ward_test_cp->hmac_sm3(key, 32, &p, 1, got), WARD_OK);
    assert_memory_not_equal(got, want, 32);
}

static void test_sm4_cmac(void **state)
{
    (void)state;
    if (skip_if_absent("SM4-CMAC")) {
        return;
    }
    uint8_t key[16], msg[100], got[16], want[16];
    ward_test_hex("0123456789abcdeffedcba9876543210", key, sizeof key);
    /* Cross-checked with `openssl mac -cipher SM4-CBC -macopt hexkey:...
     * CMAC`: "abc", the empty message, and 32 bytes of 'a' (two whole
     * blocks, the K1 path). */
    ward_iov abc = { (const uint8_t *)"abc", 3 };
    ward_test_hex("8e75238ac2672a6aee408c1e251854d8", want, 16);
    assert_int_equal(ward_test_cp->sm4_cmac(key, &abc, 1, got), WARD_OK);
    assert_memory_equal(got, want, 16);
    ward_test_hex("29e154322e5c7bd8ee6a25ba549b24bc", want, 16);
    assert_int_equal(ward_test_cp->sm4_cmac(key, NULL, 0, got), WARD_OK);
    assert_memory_equal(got, want, 16);
    memset(msg, 'a', 32);
    ward_iov aa = { msg, 32 };
    ward_test_hex("9eff18fad3997d40bde8485495954e68", want, 16);
    assert_int_equal(ward_test_cp->sm4_cmac(key, &aa, 1, got), WARD_OK);
    assert_memory_equal(got, want, 16);

    for (size_t i = 0; i < sizeof msg; i++) {
        msg[i] = (uint8_t)(i * 13u + 5u);
    }
    for (size_t len = 0; len <= sizeof msg; len++) {
        sm4_cmac_ref(key, msg, len, want);
        size_t cut = len / 3;
        ward_iov parts[2] = { { msg, cut }, { msg + cut, len - cut } };
        assert_int_equal(ward_test_cp->sm4_cmac(key, parts, 2, got), WARD_OK);
        assert_memory_equal(got, want, 16);
    }
    key[15] ^= 0x80;
    ward_iov p = { msg, 48 };
    sm4_cmac_ref(key, msg, 48, want);
    key[15] ^= 0x80;
    assert_int_equal(ward_test_cp->sm4_cmac(key, &p, 1, got), WARD_OK);
    assert_memory_not_equal(got, want, 16);
}

/* mbedTLS 2.28 has neither: the entries are NULL, not stubs. */
static void test_absent_is_null(void **state)
{
    (void)state;
    if (strncmp(ward_test_cp->name, "mbedtls", 7) == 0) {
        assert_null(ward_test_cp->hmac_sm3);
        assert_null(ward_test_cp->sm4_cmac);
    } else {
        assert_non_null(ward_test_cp->hmac_sm3);
        assert_non_null(ward_test_cp->sm4_cmac);
    }
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_absent_is_null),
        cmocka_unit_test(test_published_primitives),
        cmocka_unit_test(test_hmac_sm3),
        cmocka_unit_test(test_sm4_cmac),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    printf("%s: %zu SM test(s) skipped\n", ward_test_cp->name, skipped);
    return rc;
}
