/* `ward fw keygen` and `ward fw sign`: the vendor's release key and the signed manifest of an image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fw_image.h"
#include "keyfile.h"
#include "keystore.h"
#include "ward/ward.h"
#include "ward/ward_files.h"
#include "ward/ward_host.h"

#define WHAT "release key"

static const cli_keygen_kind release_key = {
    "fw keygen", "release.key", "release.pub", WARD_KEY_RELEASE, WHAT, "--release-pub",
};

int cmd_fw_keygen(int argc, char **argv)
{
    return cli_keygen(argc, argv, &release_key);
}

/* --class C or --version V into its field: 1..max bytes that ok takes. */
static int label_opt(const char *opt, const char *text, size_t max, uint8_t *field,
                     uint8_t *len)
{
    size_t n = strlen(text);
    if (n == 0 || n > max) {
        return cli_usage("--%s: 1 to %zu characters", opt, max);
    }
    memcpy(field, text, n);
    *len = (uint8_t)n;
    return 0;
}

#define SIGN_USAGE                                                                      \
    "usage: ward fw sign --key F --image IMG --class C --version V --counter N "        \
    "[--min-counter N] --out MANIFEST"

int cmd_fw_sign(int argc, char **argv)
{
    const char *key = NULL, *image = NULL, *cls = NULL, *version = NULL, *counter_s = NULL;
    const char *min_s = NULL, *out = NULL;
    const cli_option opts[] = {
        { "key", true, &key }, { "image", true, &image }, { "class", true, &cls },
        { "version", true, &version }, { "counter", true, &counter_s },
        { "min-counter", true, &min_s }, { "out", true, &out },
    };
    int npos = 0;
    int rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (key == NULL || image == NULL || cls == NULL || version == NULL || counter_s == NULL ||
        out == NULL) {
        return cli_usage(SIGN_USAGE);
    }
    ward_fw_manifest m;
    unsigned long counter = 0, min_counter = 0;
    memset(&m, 0, sizeof m);
    if ((rc = label_opt("class", cls, WARD_FW_CLASS_MAX, m.dev_class, &m.class_len)) != 0 ||
        (rc = label_opt("version", version, WARD_FW_VERSION_MAX, m.version,
                        &m.version_len)) != 0 ||
        (rc = cli_number_opt("counter", counter_s, 0, 1, 0xFFFFFFFFul, &counter)) != 0 ||
        (rc = cli_number_opt("min-counter", min_s, 0, 0, counter, &min_counter)) != 0) {
        return rc;
    }
    m.counter = (uint32_t)counter;
    m.min_counter = (uint32_t)min_counter;
    ward_host host;
    ward_host_init(&host);
    if ((rc = fw_image_digest(host.crypto, image, &m.size, m.digest)) != 0) {
        return rc;
    }
    cli_key k;
    if ((rc = cli_key_open(&k, key, WARD_KEY_RELEASE, host.crypto, WHAT)) != 0) {
        return rc;
    }
    uint8_t buf[WARD_FW_MANIFEST_MAX];
    size_t len = 0;
    ward_err err = ward_fw_manifest_sign_by(host.crypto, &k.ks, WARD_KEY_RELEASE, &m, buf,
                                            sizeof buf, &len);
    cli_key_close(&k);
    if (err == WARD_ERR_PARAM) {
        return cli_usage("--class: A-Z a-z 0-9 . _ - only; --version: A-Z a-z 0-9 . + _ - only");
    }
    if (err != WARD_OK) {
        return cli_fail("cannot sign the manifest: %s", ward_strerror(err));
    }
    err = ward_file_write_atomic(out, (const char *)buf, len, 0644);
    if (err != WARD_OK) {
        return cli_fail("cannot write %s: %s", out, cli_file_why(err, errno, NULL));
    }
    char hex[2 * WARD_SHA256_LEN + 1];
    cli_hex(m.digest, sizeof m.digest, hex);
    printf("manifest: class %s version %s counter %lu min-counter %lu, %zu bytes, written to %s\n",
           cls, version, counter, min_counter, len, out);
    printf("image: %lu bytes, sha256 %s\n", (unsigned long)m.size, hex);
    return 0;
}
