/* libFuzzer harness for firmware manifests: the parser, and the signature
 * check under a fixed release key, never accepting what it should not. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "fuzz_common.h"
#include "fuzz_fw_manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN];
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    if (!ready) {
        CHECK(fw_fuzz_key(cp, priv, pub) == 0);
        ready = 1;
    }
    ward_fw_manifest m;
    ward_err err = ward_fw_manifest_parse(data, size, &m);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
    if (err == WARD_OK) {
        /* What parses has the length its fields say, in range. */
        CHECK(size == WARD_FW_MANIFEST_FIXED_LEN + m.class_len + m.version_len);
        CHECK(m.class_len >= 1 && m.class_len <= WARD_FW_CLASS_MAX);
        CHECK(m.version_len >= 1 && m.version_len <= WARD_FW_VERSION_MAX);
        CHECK(m.min_counter <= m.counter && m.size >= 1 && m.size <= WARD_FW_SIZE_MAX);
        CHECK(memcmp(m.sig, data + size - WARD_P256_SIG_LEN, WARD_P256_SIG_LEN) == 0);
    }
    ward_fw_manifest v;
    err = ward_fw_manifest_verify(cp, pub, data, size, &v);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT || err == WARD_ERR_NOTFOUND ||
          err == WARD_ERR_AUTH);
    if (err == WARD_OK) {
        CHECK(memcmp(&v, &m, sizeof v) == 0);
    }
    return 0;
}
