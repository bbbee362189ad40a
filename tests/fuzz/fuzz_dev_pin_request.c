/* libFuzzer harness for the device's handling of PIN_REQUEST (flow D):
 * whatever it carries, from whichever CliID, the binding fuzz_dev.h put
 * in its PAKE (CLI's) goes on, unreplaced. */
#include "fuzz_dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = fd_run(WARD_MSG_DEV_PIN_REQUEST, data, size);
    if (size >= 2 && size <= WARD_MSG_MAX) {
        int in_pake = 0;
        for (size_t i = 0; i < WARD_DEV_MAX_BINDINGS; i++) {
            const ward_dev_binding *b = &dev_st(&fd_dev)->bind[i];
            const ward_dev_binding *b0 = &dev_st(&fd_dev0)->bind[i];
            in_pake += b->stage == b0->stage && b->stage == 2 &&
                       b->key_index == b0->key_index &&
                       memcmp(b->salt, b0->salt, sizeof b->salt) == 0;
        }
        CHECK(in_pake == 1);
    }
    return rc;
}
