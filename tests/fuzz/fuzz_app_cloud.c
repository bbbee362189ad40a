/* libFuzzer harness for the app's checks of wardd's flow A and D answers
 * (ward_app_cloud.h; the server is not trusted): a task's status, an
 * upload's expiry, the device list, a list of far-field replies. The
 * first byte picks the parser, the rest is the answer. Whatever the
 * bytes, what a parser accepts is bounded and checked: a role is one of
 * three or none, an expiry a date or 0, every device id and cloud id
 * passes its check, the reply cursor only moves forward. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_app_cloud.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int take(void *ctx, const uint8_t *msg, size_t len)
{
    size_t *n = ctx;
    CHECK(msg != NULL && len >= 1 && len <= WARD_MSG_MAX);
    (*n)++;
    /* Stop now and then: the cursor must then stay before that one. */
    return msg[0] == 0xff;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const char *json = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 4) {
    case 0: {
        ward_app_task t;
        ward_app_task_parse(json, len, &t);
        CHECK(t.state <= WARD_APP_TASK_EXPIRED);
        CHECK(t.role >= -1 && t.role <= 2);
        CHECK(t.state == WARD_APP_TASK_BOUND || t.role == -1);
        break;
    }
    case 1: {
        int64_t e = -1;
        ward_app_upload_parse(json, len, &e);
        CHECK(e >= 0 && e < 100000000000LL);
        break;
    }
    case 2: {
        ward_app_cloud_devices l;
        ward_err err = ward_app_devices_parse(json, len, &l);
        CHECK(err == WARD_OK || err == WARD_ERR_FORMAT || err == WARD_ERR_NOSPACE);
        CHECK(l.count <= WARD_APP_CLOUD_DEVICES_MAX);
        for (size_t i = 0; i < l.count; i++) {
            const ward_app_cloud_device *d = &l.devices[i];
            CHECK(ward_app_cloud_id_ok(d->cloud_id));
            CHECK(ward_check_sn((const uint8_t *)d->device, strlen(d->device)) == WARD_OK);
            CHECK(memchr(d->app, '\0', sizeof d->app) != NULL && d->attached_ms >= 0);
        }
        ward_app_cloud_devices_free(&l);
        break;
    }
    default: {
        int64_t after = (int64_t)(data[0] >> 2), before = after;
        size_t n = 0, handed = 0;
        int skipped = ward_app_dev_msgs_parse(json, len, "00112233445566778899aabbccddeeff",
                                              &after, take, &n, &handed);
        CHECK(skipped >= -1 && after >= before && handed <= n);
        CHECK(after <= 9007199254740991LL);
        break;
    }
    }
    return 0;
}
