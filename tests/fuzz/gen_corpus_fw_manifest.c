/* Writes the seed corpus of fuzz_fw_manifest into tests/fuzz/corpus/fw_manifest:
 * manifests signed by the harness's release key, one by another key, and broken
 * ones. Built with the fuzz targets (not instrumented); run after a change:
 *
 *     build-fuzz/tests/fuzz/gen_corpus_fw_manifest tests/fuzz/corpus
 *
 * ECDSA signatures differ from run to run. */
#include <stdio.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "fuzz_common.h"
#include "fuzz_fw_manifest.h"

static int put(const char *dir, const char *name, const uint8_t *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/fw_manifest/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "gen_corpus_fw_manifest: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

static size_t sign(const ward_crypto *cp, const uint8_t priv[WARD_P256_SCALAR_LEN],
                   const ward_fw_manifest *m, uint8_t *out)
{
    ward_keystore_soft soft;
    ward_keystore ks;
    size_t len = 0;
    ward_keystore_soft_init(&soft, cp, NULL, &ks);
    CHECK(ward_keystore_soft_load(&soft, WARD_KEY_RELEASE, priv) == WARD_OK);
    CHECK(ward_fw_manifest_sign_by(cp, &ks, WARD_KEY_RELEASE, m, out, WARD_FW_MANIFEST_MAX,
                                   &len) == WARD_OK);
    ward_keystore_soft_wipe(&soft);
    return len;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_corpus_fw_manifest CORPUS_DIR\n");
        return 2;
    }
    const ward_crypto *cp = ward_crypto_openssl();
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN], other[WARD_P256_SCALAR_LEN];
    uint8_t b[WARD_FW_MANIFEST_MAX];
    CHECK(fw_fuzz_key(cp, priv, pub) == 0);
    memset(other, 0x09, sizeof other);
    ward_fw_manifest m;
    memset(&m, 0, sizeof m);
    m.class_len = 9;
    memcpy(m.dev_class, "lock-k100", 9);
    m.version_len = 5;
    memcpy(m.version, "1.4.2", 5);
    m.counter = 7;
    m.min_counter = 3;
    m.size = 70000;
    memset(m.digest, 0xd1, sizeof m.digest);
    int bad = 0;
    size_t len = sign(cp, priv, &m, b);
    bad |= put(argv[1], "good", b, len);
    bad |= put(argv[1], "short", b, len - 1);
    b[len - 1] ^= 1;
    bad |= put(argv[1], "bad_sig", b, len);
    len = sign(cp, other, &m, b);
    bad |= put(argv[1], "other_key", b, len);
    m.class_len = WARD_FW_CLASS_MAX;
    memset(m.dev_class, 'c', WARD_FW_CLASS_MAX);
    m.version_len = WARD_FW_VERSION_MAX;
    memset(m.version, '9', WARD_FW_VERSION_MAX);
    m.min_counter = 0;
    m.size = WARD_FW_SIZE_MAX;
    len = sign(cp, priv, &m, b);
    bad |= put(argv[1], "longest", b, len);
    return bad;
}
