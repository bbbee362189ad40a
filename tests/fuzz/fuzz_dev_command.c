/* libFuzzer harness for the device's handling of COMMAND (flow D). */
#include "fuzz_dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fd_run(WARD_MSG_DEV_COMMAND, data, size);
}
