/* Shared by the certificate harnesses and their corpus generator: fixed
 * keys (the root, a factory, a device) and the time the harnesses check at. */
#ifndef WARD_FUZZ_CERT_H
#define WARD_FUZZ_CERT_H

#include <stdint.h>
#include <string.h>

#include "ward/ward_cert.h"
#include "ward/ward_suite.h"

#define FC_NOW 1700000000u
enum { FC_ROOT, FC_FACTORY, FC_DEVICE, FC_OTHER, FC_NKEYS };

typedef struct fc_keys {
    uint8_t priv[FC_NKEYS][WARD_P256_SCALAR_LEN];
    uint8_t pub[FC_NKEYS][WARD_P256_POINT_LEN];
} fc_keys;

/* Key i: 32 bytes of (i + 1), then its public point. 0 on success. */
static inline int fc_keys_make(const ward_crypto *cp, fc_keys *k)
{
    for (int i = 0; i < FC_NKEYS; i++) {
        memset(k->priv[i], i + 1, WARD_P256_SCALAR_LEN);
        if (ward_p256_public(cp, k->priv[i], k->pub[i]) != WARD_OK) {
            return -1;
        }
    }
    return 0;
}

#endif /* WARD_FUZZ_CERT_H */
