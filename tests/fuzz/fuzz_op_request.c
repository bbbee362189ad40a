/* libFuzzer harness for wardd's parse of an OP_REQUEST: what it accepts
 * re-encodes to the same bytes. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_op.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ward_op_request req;
    uint8_t out[WARD_MSG_MAX];
    size_t len = 0;
    ward_err err = ward_op_request_parse(data, size, &req);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
    if (err != WARD_OK) {
        return 0;
    }
    CHECK(req.op >= 1 && req.op <= WARD_OP_MAX);
    CHECK(size <= WARD_OP_REQUEST_MAX);
    CHECK(ward_op_request_encode(&req, out, sizeof out, &len) == WARD_OK);
    CHECK(len == size && memcmp(out, data, size) == 0);
    return 0;
}
