/* ward_random_posix(): the random port on getrandom(2). */
#include "ward/ward_port_posix.h"

#include <errno.h>
#include <sys/random.h>

static ward_err posix_fill(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    /* getrandom() may return fewer bytes than asked (large requests, a
     * signal); the port contract is all or nothing, so loop. */
    while (len > 0) {
        ssize_t n = getrandom(out, len, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return WARD_ERR_IO;
        }
        if (n == 0) {
            return WARD_ERR_IO;
        }
        out += n;
        len -= (size_t)n;
    }
    return WARD_OK;
}

ward_random ward_random_posix(void)
{
    ward_random r = { posix_fill, NULL };
    return r;
}
