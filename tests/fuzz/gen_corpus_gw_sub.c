/* Writes the seed corpus of fuzz_gw_sub into tests/fuzz/corpus/gw_sub/:
 * real JOINs, replies, HELLOs, packets both ways and a REFUSED, made from
 * fuzz_gw_sub.h's fixed state. Built with the fuzz targets (not
 * instrumented); run after a change of the messages:
 *
 *     build-fuzz/tests/fuzz/gen_corpus_gw_sub tests/fuzz/corpus
 *
 * ECDSA signatures differ from run to run. */
#include <stdio.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "gen_corpus.h"
#include "fuzz_gw_sub.h"

static int put(const char *dir, const char *name, const uint8_t *data, size_t len)
{
    return gc_put("gen_corpus_gw_sub", dir, "gw_sub", name, data, len);
}

static gws_fix fix;

int main(int argc, char **argv)
{
    const char *dir = gc_corpus_dir(argc, argv, "gen_corpus_gw_sub");
    if (dir == NULL) {
        return 2;
    }
    const ward_crypto *cp = ward_crypto_openssl();
    uint8_t msg[WARD_GW_SUB_FRAME_MAX];
    size_t n = 0;
    int bad = 0;
    gws_fix_make(cp, &fix);
    bad |= put(dir, "join_a", fix.join_a, fix.join_a_len);
    bad |= put(dir, "join_b", fix.join_b, fix.join_b_len);
    bad |= put(dir, "hello_a", fix.hello_a, fix.hello_a_len);
    bad |= put(dir, "hello_a_reply", fix.hello_a_reply, fix.hello_a_reply_len);
    bad |= put(dir, "challenge_ask", fix.chal_ask, fix.chal_ask_len);
    bad |= put(dir, "challenge_reply", fix.chal_b, fix.chal_b_len);

    /* Packets of A's open channel, each way (the harness's first). */
    ward_gw_sub_dev a = fix.a_open;
    CHECK(ward_gw_sub_dev_seal(&a, cp, WARD_MSG_GW_SUB_DATA, (const uint8_t *)"21.5C", 5, msg,
                               sizeof msg, &n) == WARD_OK);
    bad |= put(dir, "data_up", msg, n);
    a = fix.a_open;
    CHECK(ward_gw_sub_dev_seal(&a, cp, WARD_MSG_GW_SUB_LEAVE, NULL, 0, msg, sizeof msg, &n) ==
          WARD_OK);
    bad |= put(dir, "leave_up", msg, n);
    ward_gw_sub_gw gw = fix.gw;
    CHECK(ward_gw_sub_seal(&gw, cp, fix.a_id, WARD_MSG_GW_SUB_DATA, (const uint8_t *)"ok", 2, msg,
                           sizeof msg, &n) == WARD_OK);
    bad |= put(dir, "data_down", msg, n);

    /* B's JOIN answered (the last step: it changes the gateway). */
    ward_gw_sub_event ev;
    CHECK(ward_gw_sub_handle(&fix.gw, cp, &fix.rng, GWS_T0 + 1, fix.join_b, fix.join_b_len, msg,
                             sizeof msg, &n, &ev) == WARD_OK &&
          ev.kind == WARD_GW_SUB_EV_JOINED);
    bad |= put(dir, "join_b_reply", msg, n);
    CHECK(ward_gw_sub_handle(&fix.gw, cp, &fix.rng, GWS_T0 + 1, fix.join_b, fix.join_b_len, msg,
                             sizeof msg, &n, &ev) == WARD_OK);
    /* A JOIN of C, refused: no window. */
    uint8_t c_id[WARD_GW_SUB_ID_LEN];
    memset(c_id, 0xC3, sizeof c_id);
    memcpy(msg, fix.join_b, fix.join_b_len);
    memcpy(msg + WARD_HDR_BASE_LEN + 2, c_id, sizeof c_id);
    size_t jl = fix.join_b_len;
    uint8_t ans[WARD_GW_SUB_FRAME_MAX];
    CHECK(ward_gw_sub_handle(&fix.gw, cp, &fix.rng, GWS_T0 + 1, msg, jl, ans, sizeof ans, &n,
                             &ev) == WARD_OK &&
          ev.kind == WARD_GW_SUB_EV_REFUSED);
    bad |= put(dir, "refused", ans, n);
    return bad;
}
