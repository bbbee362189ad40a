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
#include "ward/ward_keystore.h"

ward_err keyfile_write_hex(const char *path, const uint8_t *bytes, size_t len,
                           unsigned mode);
/* Reads exactly len bytes of hex (surrounding white space allowed):
 * WARD_ERR_FORMAT when the file holds anything else. Both leave errno
 * as ward_files.h says on WARD_ERR_IO and WARD_ERR_NOTFOUND. */
ward_err keyfile_read_hex(const char *path, uint8_t *bytes, size_t len);

/* A private key file (64 hex digits) into the software keystore s under
 * id, the only way the CLI uses one: WARD_ERR_FORMAT also for a number
 * that is not a P-256 key. The bytes read are wiped. */
ward_err keyfile_load_key(const char *path, ward_keystore_soft *s, ward_key_id id);
/* id's key of s written to path (mode), the file where it is kept. */
ward_err keyfile_save_key(const char *path, const ward_keystore_soft *s, ward_key_id id,
                          unsigned mode);

#endif /* WARD_CLI_KEYFILE_H */
