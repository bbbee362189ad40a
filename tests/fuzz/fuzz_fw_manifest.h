/* Shared by the firmware manifest harness and its corpus generator: the
 * release key (32 bytes of 0x07) the harness verifies under. */
#ifndef WARD_FUZZ_FW_MANIFEST_H
#define WARD_FUZZ_FW_MANIFEST_H

#include <string.h>

#include "ward/ward_fw.h"
#include "ward/ward_suite.h"

static inline int fw_fuzz_key(const ward_crypto *cp, uint8_t priv[WARD_P256_SCALAR_LEN],
                              uint8_t pub[WARD_P256_POINT_LEN])
{
    memset(priv, 0x07, WARD_P256_SCALAR_LEN);
    return ward_p256_public(cp, priv, pub) == WARD_OK ? 0 : -1;
}

#endif /* WARD_FUZZ_FW_MANIFEST_H */
