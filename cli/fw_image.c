/* Firmware image files on the host: size and SHA-256 by streaming; see fw_image.h. */
#include "fw_image.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ward/ward_fw.h"

int fw_image_digest(const ward_crypto *cp, const char *path, uint32_t *size,
                    uint8_t digest[WARD_SHA256_LEN])
{
    static uint8_t buf[65536];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return cli_fail("cannot read the image %s: %s", path, strerror(errno));
    }
    ward_sha256_ctx h;
    uint64_t total = 0;
    ward_err err = cp->sha256_start(&h);
    size_t n;
    while (err == WARD_OK && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        total += n;
        if (total > WARD_FW_SIZE_MAX) {
            break;
        }
        err = cp->sha256_update(&h, buf, n);
    }
    int os = ferror(f) ? errno : 0;
    fclose(f);
    uint8_t d[WARD_SHA256_LEN];
    ward_err fin = cp->sha256_finish(&h, d);
    if (os != 0) {
        return cli_fail("cannot read the image %s: %s", path, strerror(os));
    }
    if (err != WARD_OK || fin != WARD_OK) {
        return cli_fail("cannot hash the image %s: %s", path,
                        ward_strerror(err != WARD_OK ? err : fin));
    }
    if (total == 0 || total > WARD_FW_SIZE_MAX) {
        return cli_fail("%s is not an image: 1 byte to 2 GiB expected", path);
    }
    memcpy(digest, d, sizeof d);
    *size = (uint32_t)total;
    return 0;
}
