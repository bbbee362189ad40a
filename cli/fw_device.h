/*
 * fw_device.h - a device role's firmware, as the CLI simulates it in its
 * state directory D (`ward lock|device|gateway init --fw-class C
 * --release-pub F`, then `update` and `boot`):
 *     D/fw/conf       "class C" and "release-pub HEX" (130 digits) lines
 *     D/fw/state.bin  the power-safe store of the boot state (records
 *                     0x0A00-0x0A02; file port, FW_DEVICE_STORE_SIZE)
 *     D/fw/slot0.bin, D/fw/slot1.bin  the two image slots (file port,
 *                     FW_DEVICE_SLOT_SIZE each, erased in 4096-byte units)
 * The engine is the core's (ward_fw_update.h); this file only gives it
 * its flash. A real device keeps the records in its one store.
 */
#ifndef WARD_CLI_FW_DEVICE_H
#define WARD_CLI_FW_DEVICE_H

#include "ward/ward_fw_update.h"
#include "ward/ward_port_posix.h"

#define FW_DEVICE_SLOT_SIZE (1024u * 1024u)
#define FW_DEVICE_ERASE 4096u
#define FW_DEVICE_STORE_SIZE 4096u

typedef struct fw_device {
    ward_file_port store_fp, slot_fp[2];
    ward_store_port store_port;
    ward_fw_slots slots;
    ward_store st;
    ward_fw_update u;
    const ward_crypto *cp;
    char dev_class[WARD_FW_CLASS_MAX + 1];
    uint8_t release_pub[WARD_P256_POINT_LEN];
} fw_device;

/* --fw-class C and --release-pub F of `ROLE init`, checked before the
 * role's state is made: both or neither, C in its alphabet. 0 or
 * CLI_EXIT_USAGE after the usage line. */
int fw_device_check_opts(const char *dev_class, const char *release_pub);

/* Makes D/fw for class C and release key F: the factory image (version
 * "factory", counter 0) in slot 0, provisioned. Prints what it made. 0 or
 * an exit code after printing why. */
int fw_device_init(const char *dir, const char *dev_class, const char *release_pub, const ward_crypto *cp);

/* Opens D/fw (made by fw_device_init). 0 or an exit code. */
int fw_device_open(fw_device *d, const char *dir, const ward_crypto *cp);
void fw_device_close(fw_device *d);

/* A version label as text (at most 32 characters). */
void fw_version_text(const ward_fw_info *i, char out[WARD_FW_VERSION_MAX + 1]);

#endif /* WARD_CLI_FW_DEVICE_H */
