/* The software keystore: P-256 keys in caller-owned RAM behind the keystore port. */
#include <string.h>

#include "ward/ward_keystore.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "suite_inner.h"

static int slot_of(const ward_keystore_soft *s, ward_key_id id)
{
    for (int i = 0; i < WARD_KEYSTORE_SOFT_KEYS; i++) {
        if (id != 0 && s->keys[i].id == id) {
            return i;
        }
    }
    return -1;
}

static int free_slot(const ward_keystore_soft *s)
{
    for (int i = 0; i < WARD_KEYSTORE_SOFT_KEYS; i++) {
        if (s->keys[i].id == 0) {
            return i;
        }
    }
    return -1;
}

static ward_err soft_generate(void *ctx, ward_key_id id, uint8_t pub[WARD_P256_POINT_LEN])
{
    ward_keystore_soft *s = ctx;
    if (id == 0 || slot_of(s, id) >= 0) {
        return id == 0 ? WARD_ERR_PARAM : WARD_ERR_STATE;
    }
    int i = free_slot(s);
    if (i < 0) {
        return WARD_ERR_NOSPACE;
    }
    if (s->rng.fill == NULL) {
        return WARD_ERR_UNSUPPORTED;
    }
    ward_err err = ward_p256_keygen(s->cp, &s->rng, s->keys[i].priv, s->keys[i].pub);
    if (err != WARD_OK) {
        ward_wipe(&s->keys[i], sizeof s->keys[i]);
        return err;
    }
    s->keys[i].id = id;
    memcpy(pub, s->keys[i].pub, WARD_P256_POINT_LEN);
    return WARD_OK;
}

static ward_err soft_public(void *ctx, ward_key_id id, uint8_t pub[WARD_P256_POINT_LEN])
{
    const ward_keystore_soft *s = ctx;
    int i = slot_of(s, id);
    if (i < 0) {
        return WARD_ERR_NOTFOUND;
    }
    memcpy(pub, s->keys[i].pub, WARD_P256_POINT_LEN);
    return WARD_OK;
}

static ward_err soft_sign(void *ctx, ward_key_id id, const uint8_t digest[WARD_SHA256_LEN],
                          uint8_t sig[WARD_P256_SIG_LEN])
{
    const ward_keystore_soft *s = ctx;
    int i = slot_of(s, id);
    if (i < 0) {
        return WARD_ERR_NOTFOUND;
    }
    return s->cp->ecdsa_p256_sign(s->keys[i].priv, digest, sig);
}

static ward_err soft_ecdh(void *ctx, ward_key_id id, const uint8_t peer[WARD_P256_POINT_LEN],
                          uint8_t shared[WARD_P256_SHARED_LEN])
{
    const ward_keystore_soft *s = ctx;
    int i = slot_of(s, id);
    if (i < 0) {
        return WARD_ERR_NOTFOUND;
    }
    return s->cp->p256_ecdh(s->keys[i].priv, peer, shared);
}

void ward_keystore_soft_init(ward_keystore_soft *s, const ward_crypto *cp,
                             const ward_random *rng, ward_keystore *ks)
{
    WARD_ASSERT(s != NULL && cp != NULL && ks != NULL);
    memset(s, 0, sizeof *s);
    s->cp = cp;
    if (rng != NULL) {
        s->rng = *rng;
    }
    memset(ks, 0, sizeof *ks);
    ks->name = "software";
    ks->generate = soft_generate;
    ks->public_key = soft_public;
    ks->sign = soft_sign;
    ks->ecdh = soft_ecdh;
    ks->ctx = s;
}

ward_err ward_keystore_soft_load(ward_keystore_soft *s, ward_key_id id,
                                 const uint8_t priv[WARD_P256_SCALAR_LEN])
{
    uint8_t pub[WARD_P256_POINT_LEN];
    WARD_ASSERT(s != NULL && priv != NULL);
    if (id == 0) {
        return WARD_ERR_PARAM;
    }
    int i = slot_of(s, id);
    if (i < 0) {
        i = free_slot(s);
    }
    if (i < 0) {
        return WARD_ERR_NOSPACE;
    }
    /* ward_p256_public() refuses 0 and scalars >= n. */
    ward_err err = ward_p256_public(s->cp, priv, pub);
    if (err != WARD_OK) {
        return err;
    }
    s->keys[i].id = id;
    memcpy(s->keys[i].priv, priv, WARD_P256_SCALAR_LEN);
    memcpy(s->keys[i].pub, pub, WARD_P256_POINT_LEN);
    return WARD_OK;
}

ward_err ward_keystore_soft_put(ward_keystore_soft *s, ward_key_id id,
                                const uint8_t priv[WARD_P256_SCALAR_LEN],
                                const uint8_t pub[WARD_P256_POINT_LEN])
{
    WARD_ASSERT(s != NULL && priv != NULL && pub != NULL);
    if (id == 0) {
        return WARD_ERR_PARAM;
    }
    int i = slot_of(s, id);
    if (i < 0) {
        i = free_slot(s);
    }
    if (i < 0) {
        return WARD_ERR_NOSPACE;
    }
    if (ward_p256_scalar_ok(priv) != 1u) {
        return WARD_ERR_FORMAT;
    }
    s->keys[i].id = id;
    memcpy(s->keys[i].priv, priv, WARD_P256_SCALAR_LEN);
    memcpy(s->keys[i].pub, pub, WARD_P256_POINT_LEN);
    return WARD_OK;
}

ward_err ward_keystore_soft_export(const ward_keystore_soft *s, ward_key_id id,
                                   uint8_t priv[WARD_P256_SCALAR_LEN])
{
    WARD_ASSERT(s != NULL && priv != NULL);
    int i = slot_of(s, id);
    if (i < 0) {
        return WARD_ERR_NOTFOUND;
    }
    memcpy(priv, s->keys[i].priv, WARD_P256_SCALAR_LEN);
    return WARD_OK;
}

void ward_keystore_soft_wipe(ward_keystore_soft *s)
{
    if (s != NULL) {
        ward_wipe(s->keys, sizeof s->keys);
    }
}
