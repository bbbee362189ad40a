/* bench_backend.h - the build's crypto backend (WARD_CRYPTO), for the benches that talk to wardd. */
#ifndef WARD_BENCH_BACKEND_H
#define WARD_BENCH_BACKEND_H

#if defined(WARD_CRYPTO_MBEDTLS)
#include "ward/ward_port_mbedtls.h"
#define BENCH_CRYPTO() ward_crypto_mbedtls()
#define BENCH_BACKEND "mbedtls"
#else
#include "ward/ward_port_openssl.h"
#define BENCH_CRYPTO() ward_crypto_openssl()
#define BENCH_BACKEND "openssl"
#endif

#endif /* WARD_BENCH_BACKEND_H */
