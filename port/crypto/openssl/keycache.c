/* A process-wide cache of checked public keys as EVP_PKEYs, so a verifier
 * that sees the same signers again skips the point check and the import. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "openssl_inner.h"

/* More than the signers a server sees again and again (its devices' and
 * operators' keys). A key beyond them costs what it did without a cache. */
#define WARD_KEY_CACHE_SLOTS 64

/* A point is public, so the slot holds it in the clear; tag is its hash,
 * compared before the 65 bytes. key NULL is an empty slot. */
typedef struct key_slot {
    EVP_PKEY *key;
    uint32_t tag;
    uint8_t pub[WARD_P256_POINT_LEN];
} key_slot;

/* Each slot holds one reference to its key; a lookup hands out another,
 * so replacing a slot never frees a key a verification is using. Never
 * freed: the static array keeps the keys reachable until exit. */
static key_slot ward_key_cache[WARD_KEY_CACHE_SLOTS];
static CRYPTO_RWLOCK *ward_key_lock;
static CRYPTO_ONCE ward_key_once = CRYPTO_ONCE_STATIC_INIT;

static void key_cache_init(void)
{
    /* Without a lock there is no cache: every lookup misses. */
    ward_key_lock = CRYPTO_THREAD_lock_new();
    ERR_clear_error();
}

static CRYPTO_RWLOCK *key_cache_lock(void)
{
    if (CRYPTO_THREAD_run_once(&ward_key_once, key_cache_init) != 1) {
        return NULL;
    }
    return ward_key_lock;
}

/* FNV-1a: a tag to skip most byte comparisons, and the slot a new key
 * replaces once the cache is full. Not a defence: a peer that makes keys
 * collide only makes them miss, and a miss is still correct. */
static uint32_t pub_hash(const uint8_t pub[WARD_P256_POINT_LEN])
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < WARD_P256_POINT_LEN; i++) {
        h ^= pub[i];
        h *= 16777619u;
    }
    return h;
}

/* The slot holding pub, or NULL; the caller holds the lock. */
static key_slot *slot_find(const uint8_t pub[WARD_P256_POINT_LEN], uint32_t tag)
{
    for (size_t i = 0; i < WARD_KEY_CACHE_SLOTS; i++) {
        key_slot *s = &ward_key_cache[i];
        if (s->key != NULL && s->tag == tag &&
            memcmp(s->pub, pub, WARD_P256_POINT_LEN) == 0) {
            return s;
        }
    }
    return NULL;
}

/* An empty slot if there is one, else the one the hash picks: with more
 * recurring keys than slots, some of them still hit. */
static key_slot *slot_victim(uint32_t tag)
{
    for (size_t i = 0; i < WARD_KEY_CACHE_SLOTS; i++) {
        if (ward_key_cache[i].key == NULL) {
            return &ward_key_cache[i];
        }
    }
    return &ward_key_cache[tag % WARD_KEY_CACHE_SLOTS];
}

/* A new reference to the cached key for pub, or NULL. */
static EVP_PKEY *cache_get(const uint8_t pub[WARD_P256_POINT_LEN], uint32_t tag)
{
    CRYPTO_RWLOCK *lock = key_cache_lock();
    if (lock == NULL || CRYPTO_THREAD_read_lock(lock) != 1) {
        return NULL;
    }
    const key_slot *s = slot_find(pub, tag);
    EVP_PKEY *key = s != NULL ? s->key : NULL;
    if (key != NULL && EVP_PKEY_up_ref(key) != 1) {
        key = NULL;
    }
    CRYPTO_THREAD_unlock(lock);
    return key;
}

/* Stores a reference to key, which the caller has checked, for pub. */
static void cache_put(const uint8_t pub[WARD_P256_POINT_LEN], uint32_t tag,
                      EVP_PKEY *key)
{
    CRYPTO_RWLOCK *lock = key_cache_lock();
    if (lock == NULL || CRYPTO_THREAD_write_lock(lock) != 1) {
        return;
    }
    EVP_PKEY *old = NULL;
    /* Another thread may have stored the same point meanwhile. */
    if (slot_find(pub, tag) == NULL && EVP_PKEY_up_ref(key) == 1) {
        key_slot *s = slot_victim(tag);
        old = s->key;
        s->key = key;
        s->tag = tag;
        memcpy(s->pub, pub, WARD_P256_POINT_LEN);
    }
    CRYPTO_THREAD_unlock(lock);
    /* Outside the lock: a verification may still hold its own reference. */
    EVP_PKEY_free(old);
}

ward_err ward_openssl_pub_key_cached(const uint8_t pub[WARD_P256_POINT_LEN],
                                     EVP_PKEY **key)
{
    uint32_t tag = pub_hash(pub);
    *key = cache_get(pub, tag);
    if (*key != NULL) {
        return WARD_OK;
    }
    /* Only a point that passes the check is ever stored, so a hit needs
     * no check: the same 65 bytes passed it before. */
    ward_err err = ward_openssl_p256_point_check(pub);
    if (err != WARD_OK) {
        return err;
    }
    *key = ward_openssl_pub_key(pub);
    if (*key == NULL) {
        ERR_clear_error();
        return WARD_ERR_CRYPTO;
    }
    cache_put(pub, tag, *key);
    return WARD_OK;
}
