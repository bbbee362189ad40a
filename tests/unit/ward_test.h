/*
 * ward_test.h - shared support for the unit tests.
 *
 * Per-backend tests contain the marker WARD_TEST_PER_BACKEND (see
 * tests/CMakeLists.txt) and call ward_test_backend(argc, argv) first:
 * ctest passes "mbedtls" or "openssl" as the first argument.
 *
 * ward_test_rng_fixed() replays given bytes (to reproduce a published
 * vector's "random" scalar) and fails with WARD_ERR_IO when they run out;
 * ward_test_rng() is the system's generator.
 */
#ifndef WARD_TEST_H
#define WARD_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ward/ward.h"

const ward_crypto *ward_test_backend(int argc, char **argv);
/* The backend chosen by ward_test_backend(), for test bodies. */
extern const ward_crypto *ward_test_cp;

typedef struct ward_test_fixed {
    const uint8_t *data;
    size_t len;
    size_t pos;
} ward_test_fixed;

ward_random ward_test_rng_fixed(ward_test_fixed *f, const uint8_t *data,
                                size_t len);
ward_random ward_test_rng(void);

/* Parses hex (no spaces) into out; returns the byte count; aborts the
 * test on bad hex or overflow. */
size_t ward_test_hex(const char *hex, uint8_t *out, size_t cap);

/* A test that holds a raw private key signs and opens with it through a
 * software keystore, as the library takes long-term keys by handle only:
 * ward_test_key(priv) is a keystore holding priv under WARD_TEST_KEY
 * (one of a few kept in turn, so two may be used in one call). Aborts the
 * test if priv is not a P-256 key. */
#define WARD_TEST_KEY 0x7e57u
const ward_keystore *ward_test_key(const uint8_t priv[WARD_P256_SCALAR_LEN]);
/* The same signing with backend cp (a test pinned to one backend). */
const ward_keystore *ward_test_key_cp(const ward_crypto *cp,
                                      const uint8_t priv[WARD_P256_SCALAR_LEN]);

#endif /* WARD_TEST_H */
