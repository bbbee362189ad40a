/* libFuzzer harness for the gateway QR payload parser (flow C): what it takes re-encodes. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_gw_prov.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ward_gw_qr qr;
    char text[WARD_GW_QR_MAX + 1];
    size_t n = 0;
    if (ward_gw_qr_parse((const char *)data, size, &qr) != WARD_OK) {
        return 0;
    }
    CHECK(ward_gw_qr_encode(&qr, text, sizeof text, &n) == WARD_OK);
    CHECK(n == size && memcmp(text, data, size) == 0);
    char ssid[WARD_GW_SOFTAP_SSID_MAX + 1];
    CHECK(ward_gw_softap_ssid(qr.brand, qr.category, qr.mac, ssid, sizeof ssid, &n) == WARD_OK);
    CHECK(n <= WARD_GW_SOFTAP_SSID_MAX);
    return 0;
}
