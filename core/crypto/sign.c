/* ward_sign() / ward_verify(): ECDSA P-256 over a labelled message digest. */
#include "ward/ward_keystore.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "suite_inner.h"

/* Prefixed so that no digest a flow signs can equal a hash computed for
 * any other purpose, in ward or outside it. */
static const uint8_t sign_prefix[] = "ward/1 sign ";
static const uint8_t label_end[1] = { 0x00 };

static ward_err sign_digest(const ward_crypto *cp, const char *label,
                            const uint8_t *msg, size_t msg_len,
                            uint8_t digest[WARD_SHA256_LEN])
{
    ward_iov parts[4];
    size_t label_len = 0;
    ward_err err = ward_label_len(label, &label_len);
    if (err != WARD_OK) {
        return err;
    }
    /* Hashed in pieces: msg may be large and is never copied. */
    parts[0].ptr = sign_prefix;
    parts[0].len = sizeof(sign_prefix) - 1;
    parts[1].ptr = (const uint8_t *)label;
    parts[1].len = label_len;
    parts[2].ptr = label_end;
    parts[2].len = sizeof(label_end);
    parts[3].ptr = msg;
    parts[3].len = msg_len;
    return cp->sha256(parts, WARD_ARRAY_LEN(parts), digest);
}

ward_err ward_sign(const ward_crypto *cp, const char *label,
                   const uint8_t priv[WARD_P256_SCALAR_LEN],
                   const uint8_t *msg, size_t msg_len,
                   uint8_t sig[WARD_P256_SIG_LEN])
{
    uint8_t digest[WARD_SHA256_LEN];
    ward_err err;

    WARD_ASSERT(cp != NULL && label != NULL && priv != NULL && sig != NULL);
    WARD_ASSERT(msg != NULL || msg_len == 0);

    if (ward_p256_scalar_ok(priv) != 1u) {
        return WARD_ERR_FORMAT;
    }
    err = sign_digest(cp, label, msg, msg_len, digest);
    if (err == WARD_OK) {
        err = cp->ecdsa_p256_sign(priv, digest, sig);
    }
    if (err != WARD_OK) {
        ward_wipe(sig, WARD_P256_SIG_LEN);
    }
    /* A digest of a secret message would say something about it. */
    ward_wipe(digest, sizeof(digest));
    return err;
}

ward_err ward_sign_by(const ward_crypto *cp, const ward_keystore *ks, ward_key_id id,
                      const char *label, const uint8_t *msg, size_t msg_len,
                      uint8_t sig[WARD_P256_SIG_LEN])
{
    uint8_t digest[WARD_SHA256_LEN];
    ward_err err;

    WARD_ASSERT(cp != NULL && ks != NULL && label != NULL && sig != NULL);
    WARD_ASSERT(msg != NULL || msg_len == 0);

    err = sign_digest(cp, label, msg, msg_len, digest);
    if (err == WARD_OK) {
        err = ks->sign(ks->ctx, id, digest, sig);
    }
    if (err != WARD_OK) {
        ward_wipe(sig, WARD_P256_SIG_LEN);
    }
    ward_wipe(digest, sizeof(digest));
    return err;
}

ward_err ward_verify(const ward_crypto *cp, const char *label,
                     const uint8_t pub[WARD_P256_POINT_LEN],
                     const uint8_t *msg, size_t msg_len,
                     const uint8_t sig[WARD_P256_SIG_LEN])
{
    uint8_t digest[WARD_SHA256_LEN];
    ward_err err;

    WARD_ASSERT(cp != NULL && label != NULL && pub != NULL && sig != NULL);
    WARD_ASSERT(msg != NULL || msg_len == 0);

    err = sign_digest(cp, label, msg, msg_len, digest);
    if (err == WARD_OK) {
        err = cp->ecdsa_p256_verify(pub, digest, sig);
    }
    ward_wipe(digest, sizeof(digest));
    return err;
}
