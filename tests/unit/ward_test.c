/* Shared support for the unit tests; see ward_test.h. */
#include "ward_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_posix.h"

const ward_crypto *ward_test_cp;

const ward_crypto *ward_test_backend(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "openssl";
    if (strcmp(name, "mbedtls") == 0) {
        ward_test_cp = ward_crypto_mbedtls();
    } else if (strcmp(name, "openssl") == 0) {
        ward_test_cp = ward_crypto_openssl();
    } else {
        fprintf(stderr, "unknown backend '%s' (mbedtls or openssl)\n", name);
        exit(2);
    }
    return ward_test_cp;
}

static ward_err fixed_fill(void *ctx, uint8_t *out, size_t len)
{
    ward_test_fixed *f = ctx;
    if (f->len - f->pos < len) {
        return WARD_ERR_IO;
    }
    memcpy(out, f->data + f->pos, len);
    f->pos += len;
    return WARD_OK;
}

ward_random ward_test_rng_fixed(ward_test_fixed *f, const uint8_t *data,
                                size_t len)
{
    f->data = data;
    f->len = len;
    f->pos = 0;
    ward_random r = { fixed_fill, f };
    return r;
}

ward_random ward_test_rng(void)
{
    return ward_random_posix();
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

size_t ward_test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > cap) {
        fail_msg("bad hex length %zu (cap %zu)", n, cap);
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            fail_msg("bad hex digit near offset %zu", 2 * i);
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n / 2;
}

#define TEST_KEYS 4

const ward_keystore *ward_test_key(const uint8_t priv[WARD_P256_SCALAR_LEN])
{
    return ward_test_key_cp(ward_test_cp, priv);
}

const ward_keystore *ward_test_key_cp(const ward_crypto *cp,
                                      const uint8_t priv[WARD_P256_SCALAR_LEN])
{
    static ward_keystore_soft soft[TEST_KEYS];
    static ward_keystore table[TEST_KEYS];
    static unsigned next;
    unsigned i = next++ % TEST_KEYS;
    ward_keystore_soft_init(&soft[i], cp, NULL, &table[i]);
    assert_int_equal(ward_keystore_soft_load(&soft[i], WARD_TEST_KEY, priv), WARD_OK);
    return &table[i];
}
