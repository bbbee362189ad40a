/*
 * ward_port_mbedtls.h - the crypto port on mbedTLS (2.28).
 *
 * ward_crypto_mbedtls() returns a static table; it needs no set-up.
 * ward_random_mbedtls() is a CTR-DRBG seeded from mbedTLS's entropy
 * sources, behind the random port; it is initialised on first use and
 * guarded by a mutex, so threads (wardd's connections) may share it.
 */
#ifndef WARD_PORT_MBEDTLS_H
#define WARD_PORT_MBEDTLS_H

#include "ward_crypto.h"
#include "ward_random.h"

#ifdef __cplusplus
extern "C" {
#endif

const ward_crypto *ward_crypto_mbedtls(void);
ward_random ward_random_mbedtls(void);

#ifdef __cplusplus
}
#endif

#endif /* WARD_PORT_MBEDTLS_H */
