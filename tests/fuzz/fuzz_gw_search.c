/* libFuzzer harness for the gateway's handling of SEARCH (flow C), with and past the proof. */
#include "fuzz_gw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fg *x = fg_get();
    ward_gw_prov_state *s = (ward_gw_prov_state *)(void *)x->gw.opaque.bytes;
    uint8_t in[WARD_GW_PROV_MSG_MAX], out[WARD_GW_PROV_MSG_MAX];
    size_t out_len = 0;
    gw_search q;
    if (size > sizeof in) {
        return 0;
    }
    memcpy(in, data, size);
    if (gw_search_parse(in, size, &q) == WARD_OK) {
        /* Accepted: every field lies inside the message and the proof is
         * its last 16 bytes. */
        CHECK(q.proof_off + 2 + WARD_GW_PROOF_LEN == size);
        CHECK(q.mac > in && q.pub > q.mac && q.nonce > q.pub && q.proof > q.nonce);
        /* Make the proof right, so the answer path is fuzzed too. */
        CHECK(gw_proof(s->cp, s->kp, in, q.proof_off, in + q.proof_off + 2) == WARD_OK);
    }
    ward_err err = ward_gw_prov_udp(&x->gw, 1000, in, size, out, sizeof out, &out_len);
    if (err == WARD_OK) {
        CHECK(out_len > 0);
        /* The same bytes again: the same answer. */
        uint8_t again[WARD_GW_PROV_MSG_MAX];
        size_t again_len = 0;
        CHECK(ward_gw_prov_udp(&x->gw, 1000, in, size, again, sizeof again, &again_len) ==
              WARD_OK);
        CHECK(again_len == out_len && memcmp(again, out, out_len) == 0);
    } else if (err == WARD_ERR_FORMAT || err == WARD_ERR_NOTFOUND) {
        CHECK(out_len == 0);
    }
    return 0;
}
