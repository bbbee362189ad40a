/* Naming a crypto backend at run time, for tools that compare them. The
 * client library links both; the configured one is the default. */
#include "ward/ward_host.h"

#include <string.h>

#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_openssl.h"

const ward_crypto *ward_host_backend(const char *name)
{
    if (strcmp(name, "openssl") == 0) {
        return ward_crypto_openssl();
    }
    if (strcmp(name, "mbedtls") == 0) {
        return ward_crypto_mbedtls();
    }
    return NULL;
}
