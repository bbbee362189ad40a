/* libFuzzer harness for the app's parsing of the gateway's answers (flow C):
 * SEARCH's answer raw, and TCP answers sealed under the gateway's key. */
#include "fuzz_gw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fg *x = fg_get();
    ward_gw_app_state *a = fg_app(x);
    uint8_t msg[WARD_GW_PROV_MSG_MAX];
    size_t len = 0;
    if (size < 1) {
        return 0;
    }
    if ((data[0] & 0x80) != 0) {
        /* SEARCH's answer, raw, to an app that is still searching. */
        ward_gw_info info;
        a->stage = 1;
        ward_err err = ward_gw_app_search_reply(&x->app, data + 1, size - 1, &info);
        if (err == WARD_OK) {
            CHECK(memcmp(info.mac, x->cfg.mac, 6) == 0 && info.tcp_port != 0);
        }
        return 0;
    }
    /* data[0]: the type's offset and the error flag; the rest the plaintext. */
    uint8_t type = (uint8_t)(WARD_MSG_GW_SSID_LIST + (data[0] & 7));
    uint8_t flags = (uint8_t)(WARD_FLAG_REPLY | ((data[0] & 8) != 0 ? WARD_FLAG_ERROR : 0));
    a->seq = 5;
    a->type = type;
    if (gw_seal_msg(a->cp, a->k_ga, GW_DIR_GW, type, flags, 5, data + 1, size - 1, msg,
                    sizeof msg, &len) != WARD_OK) {
        return 0;
    }
    ward_gw_answer ans;
    ward_err err = ward_gw_app_reply(&x->app, msg, len, &ans);
    if (err == WARD_OK) {
        CHECK(ans.type == type && ans.n <= WARD_GW_SCAN_MAX &&
              ans.data_len <= WARD_GW_LAN_PAYLOAD_MAX);
        for (size_t i = 0; i < ans.n; i++) {
            CHECK(ans.list[i].ssid_len >= 1 && ans.list[i].ssid_len <= WARD_GW_SSID_MAX);
        }
    } else {
        CHECK(err == WARD_ERR_FORMAT);
    }
    return 0;
}
