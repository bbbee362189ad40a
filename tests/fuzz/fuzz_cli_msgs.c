/* libFuzzer harness for the one reader of wardd's lists, the client's
 * (ward_http_each_entry), through the agent's ward_agent_each_entry: a
 * device's inbox and an app's replies (through ward_agent_each_msg), the
 * lock's inbox and an op's answers. The server is not
 * trusted: whatever the bytes, every message handed on is at most
 * WARD_MSG_MAX bytes, its cloud id or sender (if any) a string, ids grow
 * strictly, and the cursor only moves forward, to the last id handed on,
 * never past 2^53 - 1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward.h"
#include "ward/ward_agent.h"
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

typedef struct entries {
    long long last;
    size_t n;
} entries;

static int each_entry(void *ctx, long long id, const char *from, const uint8_t *msg,
                      size_t len)
{
    entries *e = ctx;
    CHECK(id > e->last && id <= 9007199254740991LL);
    CHECK(from == NULL || strlen(from) < 1u << 20);
    CHECK(msg != NULL || len == 0);
    CHECK(len <= WARD_MSG_MAX);
    e->last = id;
    e->n++;
    return e->n == 40;     /* a walk stopped halfway resumes where it stopped */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* As the HTTP layer hands it over: a NUL-terminated heap copy. */
    char *body = malloc(size + 1);
    CHECK(body != NULL);
    memcpy(body, data, size);
    body[size] = '\0';
    ward_http_response resp;
    memset(&resp, 0, sizeof resp);
    resp.status = 200;
    resp.body = body;
    resp.body_len = size;
    resp.retry_after_s = -1;
    long long after = 5;
    seen s = { 0 };
    int skipped = ward_agent_each_msg(&resp, &after, each, &s);
    CHECK(skipped >= -1);
    CHECK(after >= 5 && after <= 9007199254740991LL);
    CHECK(s.n == 0 || after > 5);
    /* The lock's inbox (no sender), an op's answers, the message lists
     * seen as entries: the same strict cursor for each. */
    static const char *const lists[][4] = {
        { "revokes", "id", "revoke", NULL },
        { "answers", "n", "approval", "uid" },
        { "msgs", "id", "msg", "cloud_id" },
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        long long cur = 3;
        entries e = { 3, 0 };
        skipped = ward_agent_each_entry(&resp, lists[i][0], lists[i][1], lists[i][2], lists[i][3],
                                 &cur, each_entry, &e);
        CHECK(skipped >= -1);
        CHECK(cur >= 3 && cur <= e.last);
        CHECK(e.n < 40 ? cur == e.last : cur < e.last);
    }
    free(body);
    return 0;
}
