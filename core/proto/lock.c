/* The lock's context and identity: open, provision, activation, request signing. */
#include <string.h>

#include "ward/ward_lock.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "lock_inner.h"
#include "lock_records.h"

ward_err ward_lock_open(ward_lock *lock, const ward_crypto *cp,
                        const ward_random *rng, const ward_clock *clock,
                        const ward_store_port *port)
{
    WARD_ASSERT(lock != NULL && cp != NULL && rng != NULL && clock != NULL);
    WARD_ASSERT(port != NULL && rng->fill != NULL && clock->now_ms != NULL);
    memset(lock, 0, sizeof *lock);
    lock_st(lock)->cp = cp;
    lock_st(lock)->rng = *rng;
    lock_st(lock)->clock = *clock;
    return ward_store_open(&lock_st(lock)->store, port);
}

void ward_lock_use_keystore_as(ward_lock *lock, const ward_keystore *ks, ward_key_id id)
{
    WARD_ASSERT(lock != NULL);
    lock_st(lock)->ks = ks;
    lock_st(lock)->ks_id = id;
}

void ward_lock_use_keystore(ward_lock *lock, const ward_keystore *ks)
{
    ward_lock_use_keystore_as(lock, ks, WARD_KEY_LOCK_IDENTITY);
}

/* 1 iff the 32 bytes are all zero; in constant time, as they are secret
 * when they are not. */
static bool all_zero(const uint8_t *b, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= b[i];
    }
    return acc == 0;
}

ward_err ward_lock_load_identity(const ward_lock *lock, lock_identity *id)
{
    uint8_t rec[ID_REC_MAX];
    size_t len = 0;
    ward_err err = ward_store_get(&lock_cst(lock)->store, LOCK_REC_IDENTITY, rec,
                                  sizeof rec, &len);
    memset(id, 0, sizeof *id);
    if (err == WARD_ERR_NOTFOUND) {
        return WARD_ERR_STATE;
    }
    if (err == WARD_OK &&
        (len <= ID_OFF_SN || (size_t)rec[ID_OFF_SN_LEN] != len - ID_OFF_SN)) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        memcpy(id->priv, rec + ID_OFF_PRIV, WARD_P256_SCALAR_LEN);
        id->external = all_zero(id->priv, WARD_P256_SCALAR_LEN);
        memcpy(id->pub, rec + ID_OFF_PUB, WARD_P256_POINT_LEN);
        id->sn_len = len - ID_OFF_SN;
        memcpy(id->sn, rec + ID_OFF_SN, id->sn_len);
    }
    ward_wipe(rec, sizeof rec);
    return err;
}

ward_err ward_lock_provision(ward_lock *lock, const uint8_t *sn,
                             size_t sn_len)
{
    lock_identity id;
    uint8_t rec[ID_REC_MAX];
    WARD_ASSERT(lock != NULL);

    if (ward_check_sn(sn, sn_len) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = ward_lock_load_identity(lock, &id);
    if (err == WARD_OK) {
        /* An identity is made once: a second SN would orphan the key
         * wardd registered. */
        bool same = id.sn_len == sn_len && memcmp(id.sn, sn, sn_len) == 0;
        ward_wipe(&id, sizeof id);
        return same ? WARD_OK : WARD_ERR_STATE;
    }
    if (err != WARD_ERR_STATE) {
        return err;
    }
    if (lock_st(lock)->ks != NULL) {
        /* Made inside the keystore; a key already there under this id
         * (made by the integrator's tooling) is taken as it is. The
         * record's priv stays zero: the mark of a key kept outside. */
        memset(rec + ID_OFF_PRIV, 0, WARD_P256_SCALAR_LEN);
        const ward_keystore *ks = lock_st(lock)->ks;
        ward_key_id ks_id = lock_st(lock)->ks_id;
        err = ks->generate(ks->ctx, ks_id, rec + ID_OFF_PUB);
        if (err == WARD_ERR_STATE) {
            err = ks->public_key(ks->ctx, ks_id, rec + ID_OFF_PUB);
        }
        if (err == WARD_OK && lock_st(lock)->cp->p256_point_check(rec + ID_OFF_PUB) != WARD_OK) {
            err = WARD_ERR_CRYPTO;
        }
    } else {
        err = ward_p256_keygen(lock_st(lock)->cp, &lock_st(lock)->rng, rec + ID_OFF_PRIV,
                               rec + ID_OFF_PUB);
    }
    if (err == WARD_OK) {
        rec[ID_OFF_SN_LEN] = (uint8_t)sn_len;
        memcpy(rec + ID_OFF_SN, sn, sn_len);
        err = ward_store_put(&lock_st(lock)->store, LOCK_REC_IDENTITY, rec,
                             ID_OFF_SN + sn_len);
    }
    ward_wipe(rec, sizeof rec);
    return err;
}

ward_err ward_lock_identity(const ward_lock *lock, uint8_t sn[WARD_SN_MAX],
                            size_t *sn_len,
                            uint8_t pub[WARD_P256_POINT_LEN])
{
    lock_identity id;
    WARD_ASSERT(lock != NULL);
    ward_err err = ward_lock_load_identity(lock, &id);
    if (err == WARD_OK) {
        if (sn != NULL) {
            memcpy(sn, id.sn, id.sn_len);
        }
        if (sn_len != NULL) {
            *sn_len = id.sn_len;
        }
        if (pub != NULL) {
            memcpy(pub, id.pub, WARD_P256_POINT_LEN);
        }
    }
    ward_wipe(&id, sizeof id);
    return err;
}

ward_err ward_lock_activation(const ward_lock *lock, uint8_t sn[WARD_SN_MAX],
                              uint8_t pub[WARD_P256_POINT_LEN],
                              ward_activation *a)
{
    size_t sn_len = 0;
    WARD_ASSERT(sn != NULL && pub != NULL && a != NULL);
    memset(a, 0, sizeof *a);
    ward_err err = ward_lock_identity(lock, sn, &sn_len, pub);
    if (err == WARD_OK) {
        a->sn = sn;
        a->sn_len = sn_len;
        a->lock_pub = pub;
    }
    return err;
}

/* Every RFC 9421 signature base of ours starts with the @method line. No
 * ward_sign() input can: those are hashed behind "ward/1 sign ". */
static const char request_prefix[] = "\"@method\": ";

ward_err ward_lock_sign_request(const ward_lock *lock, const char *base,
                                size_t base_len,
                                uint8_t sig[WARD_P256_SIG_LEN])
{
    lock_identity id;
    uint8_t digest[WARD_SHA256_LEN];
    ward_iov part;
    size_t plen = sizeof request_prefix - 1;

    WARD_ASSERT(lock != NULL && base != NULL && sig != NULL);
    if (base_len < plen || memcmp(base, request_prefix, plen) != 0) {
        return WARD_ERR_PARAM;
    }
    ward_err err = ward_lock_load_identity(lock, &id);
    if (err == WARD_OK) {
        part.ptr = (const uint8_t *)base;
        part.len = base_len;
        err = lock_cst(lock)->cp->sha256(&part, 1, digest);
    }
    if (err == WARD_OK) {
        err = ward_lock_id_sign(lock, &id, digest, sig);
    }
    ward_wipe(&id, sizeof id);
    ward_wipe(digest, sizeof digest);
    return err;
}

/* The keystore that holds the identity key, and its id there: the lock's,
 * or for a key kept in the identity record, soft with that key put in it
 * for this one use (the caller wipes soft). NULL for a key in a keystore
 * the lock was not given (WARD_ERR_STATE). */
static const ward_keystore *id_keystore(const ward_lock *lock, const lock_identity *id,
                                        ward_keystore_soft *soft, ward_keystore *table,
                                        ward_key_id *kid, ward_err *err)
{
    const ward_lock_state *L = lock_cst(lock);
    ward_keystore_soft_init(soft, L->cp, NULL, table);
    if (id->external) {
        *kid = L->ks_id;
        *err = L->ks != NULL ? WARD_OK : WARD_ERR_STATE;
        return L->ks;
    }
    *kid = WARD_KEY_LOCK_IDENTITY;
    *err = ward_keystore_soft_put(soft, *kid, id->priv, id->pub);
    return *err == WARD_OK ? table : NULL;
}

ward_err ward_lock_id_sign(const ward_lock *lock, const lock_identity *id,
                           const uint8_t digest[WARD_SHA256_LEN],
                           uint8_t sig[WARD_P256_SIG_LEN])
{
    ward_keystore_soft soft;
    ward_keystore table;
    ward_key_id kid = 0;
    ward_err err = WARD_OK;
    const ward_keystore *ks = id_keystore(lock, id, &soft, &table, &kid, &err);
    if (ks != NULL) {
        err = ks->sign(ks->ctx, kid, digest, sig);
    }
    ward_keystore_soft_wipe(&soft);
    return err;
}

ward_err ward_lock_id_confirm(const ward_lock *lock, const lock_identity *id,
                              const ward_bind_confirm *c, uint8_t *out, size_t cap,
                              size_t *len)
{
    ward_keystore_soft soft;
    ward_keystore table;
    ward_key_id kid = 0;
    ward_err err = WARD_OK;
    *len = 0;
    const ward_keystore *ks = id_keystore(lock, id, &soft, &table, &kid, &err);
    if (ks != NULL) {
        err = ward_bind_confirm_sign_by(lock_cst(lock)->cp, ks, kid, c, out, cap, len);
    }
    ward_keystore_soft_wipe(&soft);
    return err;
}
