/* libFuzzer harness for the device's handling of PAKE_FINISH (flow D). */
#include "fuzz_dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fd_run(WARD_MSG_DEV_PAKE_FINISH, data, size);
}
