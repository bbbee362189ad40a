/* ward_p256_compress(): SEC1 compressed form of an uncompressed P-256 point, for the wire. */
#include <string.h>

#include "ward/ward_crypto.h"
#include "ward_inner.h"

void ward_p256_compress(const uint8_t in[WARD_P256_POINT_LEN],
                        uint8_t out[WARD_P256_COMPRESSED_LEN])
{
    WARD_ASSERT(in != NULL && out != NULL);
    /* y's parity is the low bit of its last byte (big-endian). */
    out[0] = (uint8_t)(0x02u | (in[WARD_P256_POINT_LEN - 1] & 1u));
    memcpy(out + 1, in + 1, WARD_P256_SCALAR_LEN);
}
