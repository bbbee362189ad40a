/* libFuzzer harness for the gateway's TCP link (flow C): raw messages, and
 * plaintexts sealed under the app's key so the request parsers are reached. */
#include "fuzz_gw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fg *x = fg_get();
    ward_gw_app_state *a = fg_app(x);
    uint8_t msg[WARD_GW_PROV_MSG_MAX], out[WARD_GW_PROV_MSG_MAX];
    size_t len = 0, out_len = 0;
    ward_gw_event ev;
    if (size < 2) {
        return 0;
    }
    /* data[0]: bit 7 raw, else the type's offset (0x41 + low 3 bits) and
     * the rest the plaintext; data[1] the seq. */
    if ((data[0] & 0x80) != 0) {
        if (size - 1 > sizeof msg) {
            return 0;
        }
        memcpy(msg, data + 1, size - 1);
        len = size - 1;
    } else {
        uint8_t type = (uint8_t)(WARD_MSG_GW_SSID_LIST + (data[0] & 7));
        if (gw_seal_msg(a->cp, a->k_ag, GW_DIR_APP, type, 0, data[1], data + 2, size - 2, msg,
                        sizeof msg, &len) != WARD_OK) {
            return 0;
        }
    }
    ward_err err = ward_gw_prov_tcp(&x->gw, 1000, msg, len, &ev, out, sizeof out, &out_len);
    if (ev.type == WARD_GW_EV_CLAIM || ev.type == WARD_GW_EV_CREDENTIALS) {
        CHECK(err == WARD_OK && out_len == 0);
        CHECK(ev.len >= 1 && ev.len <= WARD_GW_CREDENTIALS_MAX);
        static const uint8_t ans[] = "answer";
        CHECK(ward_gw_prov_answer(&x->gw, ans, sizeof ans, out, sizeof out, &out_len) ==
              WARD_OK);
    }
    if (ev.type == WARD_GW_EV_JOIN) {
        CHECK(ev.ssid_len >= 1 && ev.ssid_len <= WARD_GW_SSID_MAX);
        CHECK(ev.psk_len == 0 || (ev.psk_len >= 8 && ev.psk_len <= WARD_GW_PSK_MAX));
        CHECK(ward_gw_prov_join_result(&x->gw, data[1] % 4) == WARD_OK);
    }
    if (out_len > 0 && (msg[2] & WARD_FLAG_SEALED) != 0 && (data[0] & 0x80) == 0) {
        /* A sealed answer the app can read. */
        ward_gw_answer ans;
        a->seq = msg[7];
        a->type = msg[1];
        ward_err r = ward_gw_app_reply(&x->app, out, out_len, &ans);
        CHECK(r == WARD_OK || r == WARD_ERR_AUTH);
    }
    return 0;
}
