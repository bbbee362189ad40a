/* ward_seal_to() / ward_seal_open(): ECDH + HKDF + AEAD sealing to a P-256 key. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_keystore.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"

#define SEAL_KM_LEN (WARD_AEAD_KEY_LEN + WARD_AEAD_NONCE_LEN)
#define SEAL_CTX_LEN (2 * WARD_P256_POINT_LEN)

/*
 * key || nonce = HKDF(ikm = ECDH(e, R), info label "seal", context E || R).
 *
 * The nonce may be derived rather than drawn because every seal makes a
 * fresh ephemeral key pair, so every seal gets its own AEAD key: a
 * (key, nonce) pair is never used twice, which is all CCM asks. Binding
 * E and R into the context makes the key depend on who it was sealed to
 * and on the exact ephemeral point sent, so a substituted point derives
 * an unrelated key.
 */
static ward_err seal_keys(const ward_crypto *cp,
                          const uint8_t *priv, const ward_keystore *ks, ward_key_id id,
                          const uint8_t peer[WARD_P256_POINT_LEN],
                          const uint8_t eph_pub[WARD_P256_POINT_LEN],
                          const uint8_t recipient_pub[WARD_P256_POINT_LEN],
                          uint8_t km[SEAL_KM_LEN])
{
    uint8_t shared[WARD_P256_SHARED_LEN];
    uint8_t context[SEAL_CTX_LEN];
    ward_err err;

    /* The recipient's key may be in a keystore (priv NULL); the
     * ephemeral one is always the crypto port's. */
    err = priv != NULL ? cp->p256_ecdh(priv, peer, shared) : ks->ecdh(ks->ctx, id, peer, shared);
    if (err == WARD_OK) {
        memcpy(context, eph_pub, WARD_P256_POINT_LEN);
        memcpy(context + WARD_P256_POINT_LEN, recipient_pub, WARD_P256_POINT_LEN);
        err = ward_kdf(cp, WARD_LABEL_SEAL, shared, sizeof(shared), NULL, 0,
                       context, sizeof(context), km, SEAL_KM_LEN);
    }
    ward_wipe(shared, sizeof(shared));
    if (err != WARD_OK) {
        ward_wipe(km, SEAL_KM_LEN);
    }
    return err;
}

ward_err ward_seal_to(const ward_crypto *cp, const ward_random *rng,
                      const uint8_t recipient_pub[WARD_P256_POINT_LEN],
                      const uint8_t *ad, size_t ad_len,
                      const uint8_t *pt, size_t pt_len,
                      uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t eph[WARD_P256_SCALAR_LEN];
    uint8_t km[SEAL_KM_LEN];
    size_t ct_len = 0;
    ward_err err;

    WARD_ASSERT(cp != NULL && rng != NULL && recipient_pub != NULL);
    WARD_ASSERT(out != NULL && out_len != NULL);
    WARD_ASSERT(ad != NULL || ad_len == 0);
    WARD_ASSERT(pt != NULL || pt_len == 0);

    *out_len = 0;
    if (pt_len > SIZE_MAX - WARD_SEAL_OVERHEAD || cap < pt_len + WARD_SEAL_OVERHEAD) {
        return WARD_ERR_NOSPACE;
    }

    /* E goes straight to the front of out: it is public. */
    err = ward_p256_keygen(cp, rng, eph, out);
    if (err == WARD_OK) {
        err = seal_keys(cp, eph, NULL, 0, recipient_pub, out, recipient_pub, km);
    }
    ward_wipe(eph, sizeof(eph));
    if (err == WARD_OK) {
        err = ward_aead_seal(cp, km, km + WARD_AEAD_KEY_LEN, ad, ad_len, pt, pt_len,
                             out + WARD_P256_POINT_LEN, cap - WARD_P256_POINT_LEN,
                             &ct_len);
    }
    ward_wipe(km, sizeof(km));
    if (err != WARD_OK) {
        return err;
    }
    *out_len = WARD_P256_POINT_LEN + ct_len;
    return WARD_OK;
}

static ward_err seal_open(const ward_crypto *cp, const uint8_t *recipient_priv,
                          const ward_keystore *ks, ward_key_id id,
                          const uint8_t recipient_pub[WARD_P256_POINT_LEN],
                          const uint8_t *ad, size_t ad_len,
                          const uint8_t *in, size_t in_len,
                          uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t km[SEAL_KM_LEN];
    ward_err err;

    WARD_ASSERT(cp != NULL && (recipient_priv != NULL || ks != NULL));
    WARD_ASSERT(recipient_pub != NULL);
    WARD_ASSERT(in != NULL && out != NULL && out_len != NULL);
    WARD_ASSERT(ad != NULL || ad_len == 0);

    *out_len = 0;
    if (in_len < WARD_SEAL_OVERHEAD) {
        return WARD_ERR_FORMAT;
    }
    if (cap < in_len - WARD_SEAL_OVERHEAD) {
        return WARD_ERR_NOSPACE;
    }
    /* The port checks E is on the curve before using it (FORMAT); a
     * keystore does the same (ward_keystore.h). */
    if (recipient_priv == NULL && cp->p256_point_check(in) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    err = seal_keys(cp, recipient_priv, ks, id, in, in, recipient_pub, km);
    if (err == WARD_OK) {
        err = ward_aead_open(cp, km, km + WARD_AEAD_KEY_LEN, ad, ad_len,
                             in + WARD_P256_POINT_LEN, in_len - WARD_P256_POINT_LEN,
                             out, cap, out_len);
    }
    ward_wipe(km, sizeof(km));
    return err;
}

ward_err ward_seal_open(const ward_crypto *cp,
                        const uint8_t recipient_priv[WARD_P256_SCALAR_LEN],
                        const uint8_t recipient_pub[WARD_P256_POINT_LEN],
                        const uint8_t *ad, size_t ad_len,
                        const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t cap, size_t *out_len)
{
    WARD_ASSERT(recipient_priv != NULL);
    return seal_open(cp, recipient_priv, NULL, 0, recipient_pub, ad, ad_len, in, in_len,
                     out, cap, out_len);
}

ward_err ward_seal_open_by(const ward_crypto *cp, const ward_keystore *ks, ward_key_id id,
                           const uint8_t recipient_pub[WARD_P256_POINT_LEN],
                           const uint8_t *ad, size_t ad_len,
                           const uint8_t *in, size_t in_len,
                           uint8_t *out, size_t cap, size_t *out_len)
{
    WARD_ASSERT(ks != NULL);
    return seal_open(cp, NULL, ks, id, recipient_pub, ad, ad_len, in, in_len,
                     out, cap, out_len);
}
