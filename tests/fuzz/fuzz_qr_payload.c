/* libFuzzer harness for the app's QR payload parser (client library). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ward/ward_app.h"
#include "ward/ward_httpsig.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ward_qr q, again;
    char json[WARD_QR_PAYLOAD_MAX + 1], k[65], t[33];
    if (ward_qr_parse((const char *)data, size, &q) != WARD_OK) {
        return 0;
    }
    /* Accepted: every field is within its bounds and re-encodes to a
     * payload that parses to the same values. */
    CHECK(size <= WARD_QR_PAYLOAD_MAX);
    CHECK(strlen(q.sms) == 6 && strlen(q.sn) >= 1 && strlen(q.mobile) >= 5);
    CHECK(ward_hex_encode(q.key, sizeof q.key, k, sizeof k) == WARD_OK);
    CHECK(ward_hex_encode(q.tid, sizeof q.tid, t, sizeof t) == WARD_OK);
    int n = snprintf(json, sizeof json,
                     "{\"v\":1,\"mobile\":\"%s\",\"sms\":\"%s\",\"sn\":\"%s\","
                     "\"key\":\"%s\",\"tid\":\"%s\"}",
                     q.mobile, q.sms, q.sn, k, t);
    CHECK(n > 0 && (size_t)n < sizeof json);
    CHECK(ward_qr_parse(json, (size_t)n, &again) == WARD_OK);
    CHECK(memcmp(&q, &again, sizeof q) == 0);
    return 0;
}
