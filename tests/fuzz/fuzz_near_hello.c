/* libFuzzer harness for the lock's parse of a NEAR_HELLO: what it accepts
 * re-encodes to the same bytes. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_op.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *uid = NULL;
    size_t uid_len = 0, len = 0;
    uint8_t op = 0;
    uint8_t out[WARD_MSG_MAX];
    ward_err err = ward_op_near_hello_parse(data, size, &uid, &uid_len, &op);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
    if (err != WARD_OK) {
        return 0;
    }
    CHECK(size <= WARD_NEAR_HELLO_MAX);
    CHECK(ward_op_near_hello(uid, uid_len, op, out, sizeof out, &len) ==
          WARD_OK);
    CHECK(len == size && memcmp(out, data, size) == 0);
    return 0;
}
