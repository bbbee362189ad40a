/* libFuzzer harness for flow C's login and session: wardd's LOGIN reader
 * and check, the gateway's reader of the LOGIN reply, and both ends'
 * packet readers on open sessions (fuzz_gw_cloud.h makes them once). */
#include <stdint.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "fuzz_gw_cloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gw_fix fx;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    uint32_t seed = 99;
    ward_random rng = fuzz_rng(&seed);
    if (!ready) {
        gw_fix_make(cp, &fx);
        ready = 1;
    }
    uint8_t tid[WARD_GW_TID_LEN], out[WARD_GW_DATA_MAX], type = 0;
    uint64_t counter = 0;
    size_t n = 0;
    ward_gw_session s;
    ward_err err = ward_gw_login_peek(data, size, tid, &counter);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
    err = ward_gw_login_accept(&s, cp, &rng, fx.c.tid, fx.c.accesskey, fx.verifier, 4, GW_SID,
                               600, data, size, out, sizeof out, &n);
    CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
    CHECK(err != WARD_OK || n == WARD_GW_LOGIN_REPLY_LEN);
    s = fx.pending;
    err = ward_gw_login_finish(&s, cp, data, size);
    CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
    uint8_t sid[WARD_GW_SID_LEN];
    err = ward_gw_packet_sid(data, size, sid);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
    s = fx.srv;
    err = ward_gw_session_open(&s, cp, data, size, &type, out, sizeof out, &n);
    CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
    CHECK(err != WARD_OK || n <= WARD_GW_SESSION_PAYLOAD_MAX);
    s = fx.gw;
    err = ward_gw_session_open(&s, cp, data, size, &type, out, sizeof out, &n);
    CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
    return 0;
}
