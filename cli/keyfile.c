/* Hex key files for the manufacturer's key pair; see keyfile.h. */
#include "keyfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_files.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_suite.h"


ward_err keyfile_write_hex(const char *path, const uint8_t *bytes, size_t len,
                           unsigned mode)
{
    char *hex = malloc(2 * len + 2);
    if (hex == NULL) {
        errno = ENOMEM;
        return WARD_ERR_IO;
    }
    ward_err err = ward_hex_encode(bytes, len, hex, 2 * len + 1);
    if (err == WARD_OK) {
        hex[2 * len] = '\n';
        err = ward_file_write_atomic(path, hex, 2 * len + 1, mode);
    }
    int saved = errno;
    explicit_bzero(hex, 2 * len + 2);
    free(hex);
    errno = saved;
    return err;
}

ward_err keyfile_read_hex(const char *path, uint8_t *bytes, size_t len)
{
    char *text = NULL;
    size_t n = 0, got = 0;
    ward_err err = ward_file_read(path, 4 * len + 64, &text, &n);
    if (err != WARD_OK) {
        return err;
    }
    size_t start = 0, end = n;
    while (start < end && isspace((unsigned char)text[start])) start++;
    while (end > start && isspace((unsigned char)text[end - 1])) end--;
    if (end - start != 2 * len) {
        err = WARD_ERR_FORMAT;
    } else {
        err = ward_hex_decode(text + start, end - start, bytes, len, &got);
    }
    explicit_bzero(text, n);
    free(text);
    return err;
}

ward_err keyfile_load_key(const char *path, ward_keystore_soft *s, ward_key_id id)
{
    uint8_t priv[WARD_P256_SCALAR_LEN];
    ward_err err = keyfile_read_hex(path, priv, sizeof priv);
    if (err == WARD_OK && ward_keystore_soft_load(s, id, priv) != WARD_OK) {
        err = WARD_ERR_FORMAT;
    }
    ward_wipe(priv, sizeof priv);
    return err;
}

ward_err keyfile_save_key(const char *path, const ward_keystore_soft *s, ward_key_id id,
                          unsigned mode)
{
    uint8_t priv[WARD_P256_SCALAR_LEN];
    ward_err err = ward_keystore_soft_export(s, id, priv);
    if (err == WARD_OK) {
        err = keyfile_write_hex(path, priv, sizeof priv, mode);
    }
    int os = errno;
    ward_wipe(priv, sizeof priv);
    errno = os;
    return err;
}
