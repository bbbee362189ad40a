/* libFuzzer harness for the CLI's reader of wardd's message lists (a
 * device's inbox, an app's replies: api_each_msg). The server is not
 * trusted: whatever the bytes, every message handed on is at most
 * WARD_MSG_MAX bytes, its cloud id (if any) a string, and the cursor
 * only moves forward, never past 2^53. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "ward/ward.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seen {
    size_t n;
} seen;

static void each(void *ctx, const char *cloud_id, const uint8_t *msg, size_t len)
{
    seen *s = ctx;
    CHECK(len <= WARD_MSG_MAX);
    CHECK(len == 0 || msg != NULL);
    CHECK(cloud_id == NULL || strlen(cloud_id) < 1u << 20);
    s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* As the HTTP layer hands it over: a NUL-terminated heap copy. */
    char *body = malloc(size + 1);
    CHECK(body != NULL);
    memcpy(body, data, size);
    body[size] = '\0';
    ward_http_response resp = { 200, body, size, -1 };
    long long after = 5;
    seen s = { 0 };
    api_each_msg(&resp, &after, each, &s);
    CHECK(after >= 5 && after <= 9007199254740992LL);
    free(body);
    return 0;
}
