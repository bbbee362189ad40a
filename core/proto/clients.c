/* The lock's table of bound apps: records 0x0110 + slot in the store. */
#include <string.h>

#include "ward/ward_lock.h"
#include "ward_inner.h"
#include "lock_inner.h"
#include "lock_records.h"

ward_err ward_lock_client_read(const ward_lock *lock, uint16_t key,
                               lock_client_rec *c)
{
    uint8_t rec[CLIENT_REC_MAX];
    size_t len = 0;
    memset(c, 0, sizeof *c);
    ward_err err = ward_store_get(&lock_cst(lock)->store, key, rec, sizeof rec, &len);
    if (err == WARD_ERR_NOSPACE) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        size_t uid_len = len > 0 ? rec[0] : 0;
        size_t tail = WARD_P256_POINT_LEN + WARD_AUTH_KEY_LEN + 1 + 8 +
                      WARD_TASK_ID_LEN;
        if (uid_len == 0 || uid_len > WARD_UID_MAX ||
            len != 1 + uid_len + tail) {
            err = WARD_ERR_FORMAT;
        } else {
            const uint8_t *p = rec + 1;
            c->uid_len = uid_len;
            memcpy(c->uid, p, uid_len);
            p += uid_len;
            memcpy(c->pub, p, WARD_P256_POINT_LEN);
            p += WARD_P256_POINT_LEN;
            memcpy(c->auth_key, p, WARD_AUTH_KEY_LEN);
            p += WARD_AUTH_KEY_LEN;
            c->role = p[0];
            c->bound_at_ms = ward_load64(p + 1);
            memcpy(c->tid, p + 9, WARD_TASK_ID_LEN);
        }
    }
    ward_wipe(rec, sizeof rec);
    if (err != WARD_OK) {
        ward_wipe(c, sizeof *c);
    }
    return err;
}

size_t ward_lock_client_encode(const lock_client_rec *c,
                               uint8_t out[CLIENT_REC_MAX])
{
    uint8_t *p = out;
    *p++ = (uint8_t)c->uid_len;
    memcpy(p, c->uid, c->uid_len);
    p += c->uid_len;
    memcpy(p, c->pub, WARD_P256_POINT_LEN);
    p += WARD_P256_POINT_LEN;
    memcpy(p, c->auth_key, WARD_AUTH_KEY_LEN);
    p += WARD_AUTH_KEY_LEN;
    *p++ = c->role;
    ward_store64(p, c->bound_at_ms);
    p += 8;
    memcpy(p, c->tid, WARD_TASK_ID_LEN);
    p += WARD_TASK_ID_LEN;
    return (size_t)(p - out);
}

ward_err ward_lock_client_slot(const ward_lock *lock, const uint8_t *uid,
                               size_t uid_len, uint16_t *key, uint8_t *role)
{
    lock_client_rec c;
    bool have_free = false, bound = false;
    size_t count = 0;
    uint16_t free_key = 0;

    for (uint16_t k = LOCK_REC_CLIENT_FIRST; k <= LOCK_REC_CLIENT_LAST; k++) {
        ward_err err = ward_lock_client_read(lock, k, &c);
        if (err == WARD_ERR_NOTFOUND) {
            if (!have_free) {
                have_free = true;
                free_key = k;
            }
            continue;
        }
        if (err != WARD_OK) {
            return err;
        }
        count++;
        bound = bound || (c.uid_len == uid_len && memcmp(c.uid, uid, uid_len) == 0);
        ward_wipe(&c, sizeof c);
    }
    /* A binding never takes over a record: the same uid under another
     * key would inherit its role and its place, and undoing a refused
     * binding would then delete the client that was there first. The
     * user revokes its old binding (or recovers it by escrow) instead. */
    if (bound) {
        return WARD_ERR_CONFLICT;
    }
    if (!have_free) {
        return WARD_ERR_NOSPACE;
    }
    *key = free_key;
    /* The first app to bind owns the lock; later ones are members until
     * an owner promotes them. */
    *role = count == 0 ? WARD_ROLE_OWNER : WARD_ROLE_MEMBER;
    return WARD_OK;
}

ward_err ward_lock_client_count(const ward_lock *lock, size_t *count)
{
    size_t pos = 0, len = 0, n = 0;
    uint16_t key = 0;
    ward_err err;
    WARD_ASSERT(lock != NULL && count != NULL);
    while ((err = ward_store_next(&lock_cst(lock)->store, &pos, LOCK_REC_CLIENT_FIRST,
                                  LOCK_REC_CLIENT_LAST, &key, &len)) ==
           WARD_OK) {
        n++;
    }
    *count = n;
    return err == WARD_ERR_NOTFOUND ? WARD_OK : err;
}

ward_err ward_lock_client_get(const ward_lock *lock, size_t index,
                              ward_lock_client *client)
{
    lock_client_rec c;
    size_t n = 0;
    WARD_ASSERT(lock != NULL && client != NULL);
    memset(client, 0, sizeof *client);
    for (uint16_t k = LOCK_REC_CLIENT_FIRST; k <= LOCK_REC_CLIENT_LAST; k++) {
        ward_err err = ward_lock_client_read(lock, k, &c);
        if (err == WARD_ERR_NOTFOUND) {
            continue;
        }
        if (err != WARD_OK) {
            return err;
        }
        if (n++ == index) {
            memcpy(client->uid, c.uid, c.uid_len);
            client->uid_len = c.uid_len;
            memcpy(client->client_pub, c.pub, WARD_P256_POINT_LEN);
            client->role = c.role;
            client->bound_at_ms = c.bound_at_ms;
            ward_wipe(&c, sizeof c);
            return WARD_OK;
        }
        ward_wipe(&c, sizeof c);
    }
    return WARD_ERR_NOTFOUND;
}

ward_err ward_lock_client_find(const ward_lock *lock, const uint8_t *uid,
                               size_t uid_len, uint16_t *key,
                               lock_client_rec *c)
{
    for (uint16_t k = LOCK_REC_CLIENT_FIRST; k <= LOCK_REC_CLIENT_LAST; k++) {
        ward_err err = ward_lock_client_read(lock, k, c);
        if (err == WARD_ERR_NOTFOUND) {
            continue;
        }
        if (err != WARD_OK) {
            return err;
        }
        if (c->uid_len == uid_len && memcmp(c->uid, uid, uid_len) == 0) {
            *key = k;
            return WARD_OK;
        }
        ward_wipe(c, sizeof *c);
    }
    return WARD_ERR_NOTFOUND;
}

ward_err ward_lock_client_auth_key(const ward_lock *lock, const uint8_t *uid,
                                   size_t uid_len,
                                   uint8_t key[WARD_AUTH_KEY_LEN])
{
    lock_client_rec c;
    uint16_t k = 0;
    WARD_ASSERT(lock != NULL && uid != NULL && key != NULL);
    ward_err err = ward_lock_client_find(lock, uid, uid_len, &k, &c);
    if (err == WARD_OK) {
        memcpy(key, c.auth_key, WARD_AUTH_KEY_LEN);
    }
    ward_wipe(&c, sizeof c);
    return err;
}
