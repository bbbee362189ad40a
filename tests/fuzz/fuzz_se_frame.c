/* libFuzzer harness for the secure element link (flow E): the frame
 * parser, and the SE's handling of arbitrary frames in every state. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "ward/ward_port_sim.h"
#include "ward/ward_se.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLASH 1024

/* What the SE tells of itself, through its public call. */
static ward_se_elem_info se_info(const ward_se_elem *se)
{
    ward_se_elem_info i;
    ward_se_elem_get_info(se, &i);
    return i;
}

static ward_err fixed_now(void *ctx, uint64_t *ms)
{
    (void)ctx;
    *ms = 1700000000000ull;
    return WARD_OK;
}

/* Moves one frame host -> SE -> host; the roles must agree. */
static ward_err pass(ward_se_elem *se, ward_se_host *h, const uint8_t *fr,
                     size_t n, uint8_t *next, size_t *next_len)
{
    uint8_t reply[WARD_SE_FRAME_MAX];
    size_t rlen = 0;
    ward_se_event ev;
    CHECK(ward_se_elem_input(se, fr, n, &ev, reply, sizeof reply, &rlen) ==
          WARD_OK);
    return ward_se_host_input(h, reply, rlen, &ev, next, WARD_SE_FRAME_MAX,
                              next_len);
}

/* The SE in state `mode`: 0 unbound, 1 bound, 2 bind-locked, 3 verified
 * with a session open. */
static void setup(uint8_t mode, ward_se_elem *se, ward_se_host *h,
                  uint8_t *se_mem, uint8_t *host_mem, uint32_t *seed)
{
    static ward_sim_flash sf_se, sf_host;
    ward_store_port p_se, p_host;
    ward_random rng = fuzz_rng(seed);
    ward_clock clk = { fixed_now, NULL, false };
    uint8_t fr[WARD_SE_FRAME_MAX], next[WARD_SE_FRAME_MAX];
    size_t n = 0, m = 0;
    const ward_crypto *cp = ward_crypto_openssl();

    ward_sim_flash_init(&sf_se, se_mem, FLASH, 64, &p_se);
    ward_sim_flash_format(&sf_se);
    ward_sim_flash_init(&sf_host, host_mem, FLASH, 64, &p_host);
    ward_sim_flash_format(&sf_host);
    CHECK(ward_se_elem_open(se, cp, &rng, &clk, &p_se) == WARD_OK);
    CHECK(ward_se_host_open(h, cp, &rng, &p_host) == WARD_OK);
    if (mode >= 1) {
        CHECK(ward_se_host_bind(h, WARD_SE_R1_BY_HOST, WARD_SE_VARIANT_SYM,
                                WARD_SE_F_HMAC_SHA256, fr, sizeof fr, &n) ==
              WARD_OK);
        CHECK(pass(se, h, fr, n, next, &m) == WARD_OK);
    }
    if (mode >= 2) {
        CHECK(ward_se_host_lock(h, fr, sizeof fr, &n) == WARD_OK);
        CHECK(pass(se, h, fr, n, next, &m) == WARD_OK);
    }
    if (mode >= 3) {
        CHECK(ward_se_host_hello(h, fr, sizeof fr, &n) == WARD_OK);
        CHECK(pass(se, h, fr, n, next, &m) == WARD_OK);
        CHECK(pass(se, h, next, m, fr, &n) == WARD_OK);
        CHECK(se_info(se).verified);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t se_mem[FLASH], host_mem[FLASH];
    uint8_t type = 0, fr[WARD_SE_FRAME_MAX + 8], out[WARD_SE_FRAME_MAX];
    const uint8_t *payload = NULL;
    size_t len = 0, n = 0, out_len = 0;
    ward_se_elem se;
    ward_se_host h;
    ward_se_event ev;
    uint32_t seed = 1;

    /* The parser alone: what it accepts re-encodes to the same bytes. */
    if (ward_se_frame_parse(data, size, &type, &payload, &len) == WARD_OK) {
        CHECK(size == len + WARD_SE_FRAME_OVERHEAD);
        CHECK(ward_se_frame_encode(type, payload, len, fr, sizeof fr, &n) ==
              WARD_OK);
        CHECK(n == size && memcmp(fr, data, size) == 0);
        CHECK(ward_se_frame_total(data) == size);
    }
    if (size < 1) {
        return 0;
    }
    uint8_t mode = (uint8_t)(data[0] & 3u);
    setup(mode, &se, &h, se_mem, host_mem, &seed);
    uint8_t state0 = se_info(&se).state;
    data++;
    size--;
    /* The rest: chunks of len (1) | type (1) | payload, sent as frames
     * with a good CRC, so the SE's handlers are reached; a chunk whose
     * length byte has the top bit set goes raw, CRC and all. */
    while (size >= 2) {
        size_t want = data[0] & 0x7Fu;
        bool raw = (data[0] & 0x80u) != 0;
        if (want > size - 2) {
            want = size - 2;
        }
        if (raw) {
            n = want + 2 < sizeof fr ? want + 2 : sizeof fr;
            memcpy(fr, data, n);
        } else {
            CHECK(ward_se_frame_encode(data[1], data + 2, want, fr, sizeof fr,
                                       &n) == WARD_OK);
        }
        data += want + 2;
        size -= want + 2;
        CHECK(ward_se_elem_input(&se, fr, n, &ev, out, sizeof out, &out_len) ==
              WARD_OK);
        if (ev.kind == WARD_SE_EV_COMMAND) {
            /* Only a session's genuine command gets here, and the
             * fuzzer cannot forge a tag. */
            CHECK(mode == 3 && out_len == 0);
            CHECK(ward_se_elem_reply(&se, ev.data, ev.len, out, sizeof out,
                                     &out_len) == WARD_OK);
        }
        CHECK(ward_se_frame_parse(out, out_len, &type, &payload, &len) ==
              WARD_OK);
        CHECK(type >= 0x80u);
        /* Nothing a stranger sends verifies, binds over a lock, or
         * unlocks. */
        CHECK(ev.kind != WARD_SE_EV_VERIFIED);
        CHECK(state0 != WARD_SE_STATE_LOCKED ||
              se_info(&se).state == WARD_SE_STATE_LOCKED);
        CHECK(state0 != WARD_SE_STATE_LOCKED || ev.kind != WARD_SE_EV_BOUND);
        /* The host is never fooled into a session by such frames. */
        size_t m = 0;
        (void)ward_se_host_input(&h, out, out_len, &ev, fr, WARD_SE_FRAME_MAX,
                                 &m);
    }
    ward_se_elem_close(&se);
    ward_se_host_close(&h);
    return 0;
}
