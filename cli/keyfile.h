/*
 * keyfile.h - P-256 keys as small hex files: the manufacturer's key pair
 * (factory.key, factory.pub) that `ward factory keygen` writes, `ward lock
 * init --factory-key` signs with and `wardd --factory-pub` trusts.
 * factory.key holds 64 hex digits (mode 0600), factory.pub 130 (the
 * uncompressed point), each followed by a newline.
 */
#ifndef WARD_CLI_KEYFILE_H
#define WARD_CLI_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_err.h"

ward_err keyfile_write_hex(const char *path, const uint8_t *bytes, size_t len,
                           unsigned mode);
/* Reads exactly len bytes of hex (surrounding white space allowed):
 * WARD_ERR_FORMAT when the file holds anything else. Both leave errno
 * as ward_files.h says on WARD_ERR_IO and WARD_ERR_NOTFOUND. */
ward_err keyfile_read_hex(const char *path, uint8_t *bytes, size_t len);

#endif /* WARD_CLI_KEYFILE_H */
