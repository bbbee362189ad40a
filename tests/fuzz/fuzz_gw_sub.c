/* libFuzzer harness for flow C's sub-device link: every frame the gateway
 * takes (ward_gw_sub_handle, from the same state each run: A joined with
 * its channel open, a window open) and everything a sub-device parses (a
 * CHALLENGE reply, a JOIN reply, a HELLO reply, a packet, a REFUSED). */
#include <stdint.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "fuzz_gw_sub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gws_fix fix;
/* The state every run starts from (the live objects hold pointers to
 * each other, so they are restored in place). */
static uint8_t mem0[sizeof fix.mem];
static ward_sim_flash sf0;
static ward_store st0;
static ward_gw_sub_gw gw0;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    if (!ready) {
        gws_fix_make(cp, &fix);
        memcpy(mem0, fix.mem, sizeof mem0);
        sf0 = fix.sf;
        st0 = fix.st;
        gw0 = fix.gw;
        ready = 1;
    }
    fix.seed = 99;   /* the same draws every run */
    memcpy(fix.mem, mem0, sizeof mem0);
    fix.sf = sf0;
    fix.st = st0;
    fix.gw = gw0;

    uint8_t out[WARD_GW_SUB_FRAME_MAX];
    size_t n = 0;
    ward_gw_sub_event ev;
    ward_err err = ward_gw_sub_handle(&fix.gw, cp, &fix.rng, GWS_T0 + 1, data, size, out,
                                      sizeof out, &n, &ev);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT || err == WARD_ERR_AUTH);
    CHECK(n <= sizeof out && (err == WARD_OK || n == 0));
    CHECK(ev.payload_len <= sizeof ev.payload);
    if (err == WARD_OK && ev.kind == WARD_GW_SUB_EV_JOINED) {
        CHECK(ward_gw_sub_count(&fix.gw) == 2);
    }

    ward_gw_sub_dev d = fix.b_join;
    uint8_t join[WARD_GW_SUB_FRAME_MAX];
    err = ward_gw_sub_join_start(&d, cp, &fix.rng, &fix.bks, WARD_KEY_DEVICE_IDENTITY, fix.b_id,
                                 fix.b_act, fix.b_act_len, data, size, join, sizeof join, &n);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
    CHECK(err != WARD_OK || n <= WARD_GW_SUB_JOIN_MAX);
    d = fix.b_join;
    ward_gw_sub_cred cred;
    err = ward_gw_sub_join_finish(&d, cp, &fix.bks, WARD_KEY_DEVICE_IDENTITY, data, size, &cred);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT || err == WARD_ERR_AUTH);
    d = fix.a_hello;
    err = ward_gw_sub_hello_finish(&d, cp, data, size);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT || err == WARD_ERR_AUTH);
    d = fix.a_open;
    uint8_t type = 0, pt[WARD_GW_SUB_PAYLOAD_MAX];
    err = ward_gw_sub_dev_open(&d, cp, data, size, &type, pt, sizeof pt, &n);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT || err == WARD_ERR_AUTH);
    CHECK(err != WARD_OK || n <= sizeof pt);
    uint8_t id[WARD_GW_SUB_ID_LEN], code = 0;
    err = ward_gw_sub_refused_parse(data, size, id, &code);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
    ward_gw_sub_dev_wipe(&d);
    return 0;
}
