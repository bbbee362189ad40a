/* The host platform bundle: configured crypto backend, OS random, clock. */
#include "ward/ward_host.h"

#include <string.h>

#include "ward/ward_port_posix.h"
#if defined(WARD_CRYPTO_MBEDTLS)
#include "ward/ward_port_mbedtls.h"
#else
#include "ward/ward_port_openssl.h"
#endif

const char *ward_host_backend_name(void)
{
#if defined(WARD_CRYPTO_MBEDTLS)
    return "mbedtls";
#else
    return "openssl";
#endif
}

void ward_host_init(ward_host *host)
{
#if defined(WARD_CRYPTO_MBEDTLS)
    host->crypto = ward_crypto_mbedtls();
#else
    host->crypto = ward_crypto_openssl();
#endif
    host->rng = ward_random_posix();
    host->clock = ward_clock_posix();
    host->cancelled = NULL;
    host->cancel_ctx = NULL;
    host->keystore = NULL;
}
