/* The OpenSSL random port: RAND_bytes(). */
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "ward/ward_port_openssl.h"

#include "openssl_inner.h"

static ward_err random_fill(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    WARD_ASSERT(out != NULL || len == 0);
    size_t done = 0;
    while (done < len) {
        /* RAND_bytes() takes an int length. */
        size_t n = len - done < (size_t)INT_MAX ? len - done : (size_t)INT_MAX;
        if (RAND_bytes(out + done, (int)n) != 1) {
            /* Never hand out a partial fill as if it were random. */
            OPENSSL_cleanse(out, len);
            ERR_clear_error();
            return WARD_ERR_IO;
        }
        done += n;
    }
    return WARD_OK;
}

ward_random ward_random_openssl(void)
{
    ward_random r = { random_fill, NULL };
    return r;
}
