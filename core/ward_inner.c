/* Constant-time helpers and wiping; see ward_inner.h. */
#include "ward_inner.h"

bool ward_ct_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint8_t diff = 0;
    for (size_t i = 0; i < len; i++) {
        diff = (uint8_t)(diff | (a[i] ^ b[i]));
    }
    return ward_ct_is_zero(&diff, 1) == 1u;
}

uint32_t ward_ct_less(const uint8_t *a, const uint8_t *b, size_t len)
{
    /* Scan from the least significant byte; the most significant differing
     * byte decides, without a data-dependent branch. */
    uint32_t lt = 0;
    for (size_t i = len; i-- > 0;) {
        uint32_t x = a[i], y = b[i];
        uint32_t less = (x - y) >> 31;      /* x < y */
        uint32_t neq = ((x ^ y) + 0xFFu) >> 8; /* x != y, as 0/1 */
        lt = (lt & (neq ^ 1u)) | (less & neq);
    }
    return lt;
}

uint32_t ward_ct_is_zero(const uint8_t *a, size_t len)
{
    uint32_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        acc |= a[i];
    }
    return ((acc - 1u) >> 31) & 1u;
}

void ward_wipe(void *p, size_t len)
{
    /* A volatile pointer keeps the compiler from dropping the stores as
     * dead; memset_s/explicit_bzero are not C99 or not everywhere. */
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (len-- > 0) {
        *v++ = 0;
    }
}
