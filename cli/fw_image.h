/* Firmware image files on the host: their size and SHA-256, read in pieces. */
#ifndef WARD_CLI_FW_IMAGE_H
#define WARD_CLI_FW_IMAGE_H

#include <stdint.h>

#include "ward/ward_crypto.h"

/* The size (1..WARD_FW_SIZE_MAX) and SHA-256 of the file at path, read in
 * pieces through the streaming hash. 0, or an exit code after printing
 * why (an empty or too large file is not an image). */
int fw_image_digest(const ward_crypto *cp, const char *path, uint32_t *size,
                    uint8_t digest[WARD_SHA256_LEN]);

#endif /* WARD_CLI_FW_IMAGE_H */
