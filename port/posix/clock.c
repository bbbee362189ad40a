/* ward_clock_posix(): the clock port on CLOCK_REALTIME. */
#include "ward/ward_port_posix.h"

#include <time.h>

static ward_err posix_now_ms(void *ctx, uint64_t *ms)
{
    struct timespec ts;
    (void)ctx;
    /* A clock before 1970 is a misconfigured host, not a time to trust. */
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0) {
        return WARD_ERR_IO;
    }
    *ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    return WARD_OK;
}

ward_clock ward_clock_posix(void)
{
    /* Hosts keep their wall clock in sync (NTP), so expiry may compare
     * against times other parties stamped. */
    ward_clock c = { posix_now_ms, NULL, true };
    return c;
}
