/*
 * ward_port_openssl.h - the crypto port on OpenSSL 3.
 *
 * ward_crypto_openssl() returns a static table; it needs no set-up and is
 * thread-safe as OpenSSL 3 is. ward_random_openssl() draws from
 * RAND_bytes().
 */
#ifndef WARD_PORT_OPENSSL_H
#define WARD_PORT_OPENSSL_H

#include "ward_crypto.h"
#include "ward_random.h"

#ifdef __cplusplus
extern "C" {
#endif

const ward_crypto *ward_crypto_openssl(void);
ward_random ward_random_openssl(void);

#ifdef __cplusplus
}
#endif

#endif /* WARD_PORT_OPENSSL_H */
