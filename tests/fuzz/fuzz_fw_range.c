/* libFuzzer harness for the Range header of wardd's image route (server/fw_range.c), which
 * reads what a client sends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle failure is a finding: crash so libFuzzer keeps the input. */
#define CHECK(c) do { if (!(c)) { abort(); } } while (0)

/* Input: 4 bytes of image size (big-endian, 0 taken as 1), then the
 * header's text. A part answered lies inside the image, first <= last. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size > 4096) {
        return 0;
    }
    uint64_t img = ((uint64_t)data[0] << 24) | ((uint64_t)data[1] << 16) |
                   ((uint64_t)data[2] << 8) | data[3];
    if (img == 0) {
        img = 1;
    }
    char *text = malloc(size - 3);
    CHECK(text != NULL);
    memcpy(text, data + 4, size - 4);
    text[size - 4] = '\0';
    uint64_t first = UINT64_MAX, last = UINT64_MAX;
    wardd_range_res r = wardd_range_parse(text, img, &first, &last);
    if (r == WARDD_RANGE_PART) {
        CHECK(first <= last && last < img);
    } else {
        CHECK(first == UINT64_MAX && last == UINT64_MAX);   /* nothing written */
    }
    free(text);
    return 0;
}
