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

/* The key made inside a PKCS#11 token (label PREFIX-release): only
 * release.pub is written, and `fw sign --key` takes the same URI. */
static int keygen_in_keystore(const char *out, const char *uri, const ward_crypto *cp)
{
    uint8_t pub[WARD_P256_POINT_LEN];
    char name[128];
    int rc = cli_key_generate_in(uri, WARD_KEY_RELEASE, cp, pub, name, sizeof name, WHAT);
    if (rc != 0) {
        return rc;
    }
    char *pub_path = ward_path_join(out, "release.pub");
    ward_err err = pub_path ? keyfile_write_hex(pub_path, pub, sizeof pub, 0644) : WARD_ERR_IO;
    if (err != WARD_OK) {
        rc = cli_fail("cannot write %s/release.pub: %s", out, cli_file_why(err, errno, NULL));
    } else {
        printf("release key: in the keystore (%s), label ...-release\n", name);
        printf("public key for --release-pub: %s\n", pub_path);
    }
    free(pub_path);
    return rc;
}

/* A new key in the software keystore, kept in DIR/release.key. */
static int keygen_in_file(const char *out, ward_host *host)
{
    int rc = 0;
    char *key_path = ward_path_join(out, "release.key");
    char *pub_path = ward_path_join(out, "release.pub");
    FILE *exists = key_path ? fopen(key_path, "r") : NULL;
    if (key_path == NULL || pub_path == NULL) {
        rc = cli_fail("out of memory");
    } else if (exists != NULL) {
        fclose(exists);
        rc = cli_fail("%s already exists: a release key is never replaced silently", key_path);
    } else {
        rc = cli_key_generate_file(key_path, pub_path, WARD_KEY_RELEASE, host, "release key");
        if (rc == 0) {
            printf("release key: %s (secret, keep it offline)\n", key_path);
            printf("public key for --release-pub: %s\n", pub_path);
        }
    }
    free(key_path);
    free(pub_path);
    return rc;
}

int cmd_fw_keygen(int argc, char **argv)
{
    const char *out = NULL, *keystore = NULL;
    const cli_option opts[] = { { "out", true, &out }, { "keystore", true, &keystore } };
    int npos = 0;
    int rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (out == NULL) {
        return cli_usage("usage: ward fw keygen --out DIR [--keystore URI]");
    }
    if (ward_mkdir(out, 0700) != WARD_OK) {
        return cli_fail("cannot create directory %s: %s", out, strerror(errno));
    }
    ward_host host;
    ward_host_init(&host);
    return keystore != NULL ? keygen_in_keystore(out, keystore, host.crypto)
                            : keygen_in_file(out, &host);
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
