/* The escrow of an auth key (flow A): sealed to the app's own key and
 * signed by it, so only the app opens it and only the app can have made
 * it (wardd, which holds it, can seal to the public key but not sign). */
#include <string.h>

#include "ward/ward_bind.h"
#include "ward_inner.h"

/* What the signature covers: sn || 0x00 || uid || seal. */
#define ESCROW_SIGNED_MAX (WARD_SN_MAX + 1 + WARD_UID_MAX + WARD_ESCROW_SEAL_LEN)

static ward_err signed_part(const uint8_t *sn, size_t sn_len, const uint8_t *uid,
                            size_t uid_len, const uint8_t *seal,
                            uint8_t out[ESCROW_SIGNED_MAX], size_t *len)
{
    if (ward_check_sn(sn, sn_len) != WARD_OK || ward_check_uid(uid, uid_len) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    /* The NUL separates sn from uid: neither alphabet contains it. */
    memcpy(out, sn, sn_len);
    out[sn_len] = 0x00;
    memcpy(out + sn_len + 1, uid, uid_len);
    memcpy(out + sn_len + 1 + uid_len, seal, WARD_ESCROW_SEAL_LEN);
    *len = sn_len + 1 + uid_len + WARD_ESCROW_SEAL_LEN;
    return WARD_OK;
}

ward_err ward_escrow_make(const ward_crypto *cp, const ward_random *rng,
                          const uint8_t client_priv[WARD_P256_SCALAR_LEN],
                          const uint8_t client_pub[WARD_P256_POINT_LEN],
                          const uint8_t *sn, size_t sn_len,
                          const uint8_t *uid, size_t uid_len,
                          const uint8_t auth_key[WARD_AUTH_KEY_LEN],
                          uint8_t escrow[WARD_ESCROW_LEN])
{
    uint8_t ad[WARD_ESCROW_AD_MAX], msg[ESCROW_SIGNED_MAX];
    size_t ad_len = 0, n = 0, msg_len = 0;
    WARD_ASSERT(cp != NULL && rng != NULL && client_priv != NULL && client_pub != NULL);
    WARD_ASSERT(auth_key != NULL && escrow != NULL);
    ward_err err = ward_escrow_ad(sn, sn_len, uid, uid_len, ad, sizeof ad, &ad_len);
    if (err == WARD_OK) {
        err = ward_seal_to(cp, rng, client_pub, ad, ad_len, auth_key, WARD_AUTH_KEY_LEN,
                           escrow, WARD_ESCROW_SEAL_LEN, &n);
    }
    if (err == WARD_OK && n != WARD_ESCROW_SEAL_LEN) {
        err = WARD_ERR_CRYPTO;
    }
    if (err == WARD_OK) {
        err = signed_part(sn, sn_len, uid, uid_len, escrow, msg, &msg_len);
    }
    if (err == WARD_OK) {
        err = ward_sign(cp, WARD_LABEL_ESCROW, client_priv, msg, msg_len,
                        escrow + WARD_ESCROW_SEAL_LEN);
    }
    if (err != WARD_OK) {
        ward_wipe(escrow, WARD_ESCROW_LEN);
    }
    return err;
}

ward_err ward_escrow_open(const ward_crypto *cp,
                          const uint8_t client_priv[WARD_P256_SCALAR_LEN],
                          const uint8_t client_pub[WARD_P256_POINT_LEN],
                          const uint8_t *sn, size_t sn_len,
                          const uint8_t *uid, size_t uid_len,
                          const uint8_t escrow[WARD_ESCROW_LEN],
                          uint8_t auth_key[WARD_AUTH_KEY_LEN])
{
    uint8_t ad[WARD_ESCROW_AD_MAX], msg[ESCROW_SIGNED_MAX];
    size_t ad_len = 0, n = 0, msg_len = 0;
    WARD_ASSERT(cp != NULL && client_priv != NULL && client_pub != NULL);
    WARD_ASSERT(escrow != NULL && auth_key != NULL);
    memset(auth_key, 0, WARD_AUTH_KEY_LEN);
    /* The signature first: a seal anyone could have made to the public
     * key is not even opened. */
    ward_err err = signed_part(sn, sn_len, uid, uid_len, escrow, msg, &msg_len);
    if (err == WARD_OK &&
        ward_verify(cp, WARD_LABEL_ESCROW, client_pub, msg, msg_len,
                    escrow + WARD_ESCROW_SEAL_LEN) != WARD_OK) {
        err = WARD_ERR_AUTH;
    }
    if (err == WARD_OK) {
        err = ward_escrow_ad(sn, sn_len, uid, uid_len, ad, sizeof ad, &ad_len);
    }
    if (err == WARD_OK) {
        err = ward_seal_open(cp, client_priv, client_pub, ad, ad_len, escrow,
                             WARD_ESCROW_SEAL_LEN, auth_key, WARD_AUTH_KEY_LEN, &n);
        if (err == WARD_OK && n != WARD_AUTH_KEY_LEN) {
            err = WARD_ERR_AUTH;
        }
        if (err != WARD_OK && err != WARD_ERR_CRYPTO) {
            err = WARD_ERR_AUTH;
        }
    }
    if (err != WARD_OK) {
        ward_wipe(auth_key, WARD_AUTH_KEY_LEN);
    }
    return err;
}
