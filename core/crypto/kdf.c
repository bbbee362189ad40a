/* ward_kdf(): HKDF-SHA256 with the suite's labelled info string. */
#include <string.h>

#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "suite_inner.h"

#define KDF_PREFIX "ward/1 "
#define KDF_PREFIX_LEN (sizeof(KDF_PREFIX) - 1)
#define KDF_INFO_MAX (KDF_PREFIX_LEN + WARD_LABEL_MAX + 1 + WARD_KDF_CONTEXT_MAX)

ward_err ward_label_len(const char *label, size_t *len)
{
    /* A bounded scan: a label missing its NUL must not run us off the
     * end of memory. */
    size_t n = 0;
    while (n <= WARD_LABEL_MAX && label[n] != '\0') {
        n++;
    }
    if (n == 0 || n > WARD_LABEL_MAX) {
        return WARD_ERR_PARAM;
    }
    *len = n;
    return WARD_OK;
}

ward_err ward_kdf(const ward_crypto *cp, const char *label,
                  const uint8_t *ikm, size_t ikm_len,
                  const uint8_t *salt, size_t salt_len,
                  const uint8_t *context, size_t context_len,
                  uint8_t *out, size_t out_len)
{
    uint8_t info[KDF_INFO_MAX];
    size_t label_len = 0;
    size_t pos = 0;
    ward_err err;

    WARD_ASSERT(cp != NULL && label != NULL && out != NULL);
    WARD_ASSERT(ikm != NULL || ikm_len == 0);
    WARD_ASSERT(salt != NULL || salt_len == 0);
    WARD_ASSERT(context != NULL || context_len == 0);

    err = ward_label_len(label, &label_len);
    if (err != WARD_OK) {
        return err;
    }
    if (context_len > WARD_KDF_CONTEXT_MAX || out_len == 0 ||
        out_len > WARD_HKDF_OUT_MAX) {
        return WARD_ERR_PARAM;
    }

    /* The NUL after the label keeps ("ab", "c...") and ("a", "bc...")
     * apart: no label is a prefix of another's info string. */
    memcpy(info, KDF_PREFIX, KDF_PREFIX_LEN);
    pos = KDF_PREFIX_LEN;
    memcpy(info + pos, label, label_len);
    pos += label_len;
    info[pos++] = 0x00;
    if (context_len > 0) {
        memcpy(info + pos, context, context_len);
        pos += context_len;
    }

    err = cp->hkdf_sha256(salt, salt_len, ikm, ikm_len, info, pos, out, out_len);
    /* The context may carry key material some flow chose to bind in. */
    ward_wipe(info, sizeof(info));
    if (err != WARD_OK) {
        ward_wipe(out, out_len);
    }
    return err;
}
