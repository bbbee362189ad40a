/* The escrow of an auth key (flow A): sealed to the app's own key and
 * signed by it, so only the app opens it and only the app can have made
 * it (wardd, which holds it, can seal to the public key but not sign). */
#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_keystore.h"
#include "ward_inner.h"

/* ward_escrow_ad() writes "escrow" || sn || 0x00 || uid: the seal's
 * associated data. The signature covers the same bytes past that 6-byte
 * prefix, then the seal: sn || 0x00 || uid || seal. */
#define ESCROW_AD_PREFIX_LEN 6
#define ESCROW_BUF_MAX (WARD_ESCROW_AD_MAX + WARD_ESCROW_SEAL_LEN)

/* buf holds the ad (ad_len bytes, from ward_escrow_ad): appends the seal
 * and answers the signed bytes, which end with it. The ad stays as it
 * was, at the front of buf. */
static const uint8_t *escrow_signed(uint8_t buf[ESCROW_BUF_MAX], size_t ad_len,
                                    const uint8_t seal[WARD_ESCROW_SEAL_LEN], size_t *len)
{
    WARD_ASSERT(ad_len > ESCROW_AD_PREFIX_LEN && ad_len <= WARD_ESCROW_AD_MAX);
    memcpy(buf + ad_len, seal, WARD_ESCROW_SEAL_LEN);
    *len = ad_len - ESCROW_AD_PREFIX_LEN + WARD_ESCROW_SEAL_LEN;
    return buf + ESCROW_AD_PREFIX_LEN;
}

ward_err ward_escrow_make_by(const ward_crypto *cp, const ward_random *rng,
                             const ward_keystore *ks, ward_key_id id,
                             const uint8_t client_pub[WARD_P256_POINT_LEN],
                             const uint8_t *sn, size_t sn_len,
                             const uint8_t *uid, size_t uid_len,
                             const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                             uint8_t escrow[WARD_ESCROW_LEN])
{
    uint8_t buf[ESCROW_BUF_MAX];
    size_t ad_len = 0, n = 0, signed_len = 0;
    WARD_ASSERT(cp != NULL && rng != NULL && ks != NULL && client_pub != NULL);
    WARD_ASSERT(auth_key != NULL && escrow != NULL);
    /* Checks sn and uid (WARD_ERR_FORMAT), once for the seal and the
     * signature both. */
    ward_err err = ward_escrow_ad(sn, sn_len, uid, uid_len, buf, WARD_ESCROW_AD_MAX, &ad_len);
    /* The seal of a fixed-size key has a fixed size: exactly
     * WARD_ESCROW_SEAL_LEN once it succeeds. */
    if (err == WARD_OK) {
        err = ward_seal_to(cp, rng, client_pub, buf, ad_len, auth_key, WARD_AUTH_KEY_LEN,
                           escrow, WARD_ESCROW_SEAL_LEN, &n);
    }
    if (err == WARD_OK) {
        const uint8_t *msg = escrow_signed(buf, ad_len, escrow, &signed_len);
        err = ward_sign_by(cp, ks, id, WARD_LABEL_ESCROW, msg, signed_len,
                           escrow + WARD_ESCROW_SEAL_LEN);
    }
    if (err != WARD_OK) {
        ward_wipe(escrow, WARD_ESCROW_LEN);
    }
    return err;
}

ward_err ward_escrow_open_by(const ward_crypto *cp, const ward_keystore *ks, ward_key_id id,
                             const uint8_t client_pub[WARD_P256_POINT_LEN],
                             const uint8_t *sn, size_t sn_len,
                             const uint8_t *uid, size_t uid_len,
                             const uint8_t escrow[WARD_ESCROW_LEN],
                             uint8_t auth_key[WARD_AUTH_KEY_LEN])
{
    uint8_t buf[ESCROW_BUF_MAX];
    size_t ad_len = 0, n = 0, signed_len = 0;
    WARD_ASSERT(cp != NULL && ks != NULL && client_pub != NULL);
    WARD_ASSERT(escrow != NULL && auth_key != NULL);
    memset(auth_key, 0, WARD_AUTH_KEY_LEN);
    ward_err err = ward_escrow_ad(sn, sn_len, uid, uid_len, buf, WARD_ESCROW_AD_MAX, &ad_len);
    /* The signature first: a seal anyone could have made to the public
     * key is not even opened. */
    if (err == WARD_OK) {
        const uint8_t *msg = escrow_signed(buf, ad_len, escrow, &signed_len);
        if (ward_verify(cp, WARD_LABEL_ESCROW, client_pub, msg, signed_len,
                        escrow + WARD_ESCROW_SEAL_LEN) != WARD_OK) {
            err = WARD_ERR_AUTH;
        }
    }
    /* A seal of WARD_ESCROW_SEAL_LEN bytes opens to exactly
     * WARD_AUTH_KEY_LEN, or not at all. */
    if (err == WARD_OK) {
        err = ward_seal_open_by(cp, ks, id, client_pub, buf, ad_len, escrow,
                                WARD_ESCROW_SEAL_LEN, auth_key, WARD_AUTH_KEY_LEN, &n);
        if (err != WARD_OK && err != WARD_ERR_CRYPTO) {
            err = WARD_ERR_AUTH;
        }
    }
    if (err != WARD_OK) {
        ward_wipe(auth_key, WARD_AUTH_KEY_LEN);
    }
    return err;
}
