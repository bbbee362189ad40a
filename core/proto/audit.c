/* The lock's audit ring: the last WARD_AUDIT_MAX events in the store, oldest first. */
#include <string.h>

#include "ward/ward_op.h"
#include "ward_inner.h"
#include "lock_inner.h"
#include "lock_records.h"

static ward_err audit_last(const ward_lock *lock, uint32_t *last)
{
    uint8_t rec[AUDIT_HEAD_LEN];
    size_t len = 0;
    *last = 0;
    ward_err err = ward_store_get(&lock_cst(lock)->store, LOCK_REC_AUDIT_HEAD, rec,
                                  sizeof rec, &len);
    if (err == WARD_ERR_NOTFOUND) {
        return WARD_OK;
    }
    if (err == WARD_ERR_NOSPACE || (err == WARD_OK && len != sizeof rec)) {
        return WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        *last = ward_load32(rec);
    }
    return err;
}

static uint16_t audit_key(uint32_t seq)
{
    return (uint16_t)(LOCK_REC_AUDIT_FIRST + seq % WARD_AUDIT_MAX);
}

ward_err ward_lock_audit_prepare(const ward_lock *lock, uint8_t event,
                                 uint8_t op, uint8_t outcome,
                                 const uint8_t *uid, size_t uid_len,
                                 uint64_t now_ms, lock_audit_add *a)
{
    uint32_t last = 0;
    WARD_ASSERT(uid != NULL || uid_len == 0);
    WARD_ASSERT(uid_len <= WARD_UID_MAX);
    memset(a, 0, sizeof *a);
    ward_err err = audit_last(lock, &last);
    if (err != WARD_OK) {
        return err;
    }
    /* 2^32 - 1 events outlast the store's own sequence number; refusing
     * beats reusing a seq. */
    if (last == 0xFFFFFFFFu) {
        return WARD_ERR_STATE;
    }
    uint32_t seq = last + 1u;
    ward_store32(a->entry + AUDIT_OFF_SEQ, seq);
    ward_store64(a->entry + AUDIT_OFF_TIME, now_ms);
    a->entry[AUDIT_OFF_EVENT] = event;
    a->entry[AUDIT_OFF_OP] = op;
    a->entry[AUDIT_OFF_OUTCOME] = outcome;
    a->entry[AUDIT_OFF_UID_LEN] = (uint8_t)uid_len;
    if (uid_len > 0) {
        memcpy(a->entry + AUDIT_OFF_UID, uid, uid_len);
    }
    ward_store32(a->head, seq);
    a->ch[0].key = audit_key(seq);
    a->ch[0].value = a->entry;
    a->ch[0].len = AUDIT_OFF_UID + uid_len;
    a->ch[0].remove = false;
    a->ch[1].key = LOCK_REC_AUDIT_HEAD;
    a->ch[1].value = a->head;
    a->ch[1].len = sizeof a->head;
    a->ch[1].remove = false;
    return WARD_OK;
}

ward_err ward_audit_next(const ward_lock *lock, size_t *pos,
                         ward_audit_event *ev)
{
    uint8_t rec[AUDIT_REC_MAX];
    size_t len = 0;
    uint32_t last = 0;
    WARD_ASSERT(lock != NULL && pos != NULL && ev != NULL);
    memset(ev, 0, sizeof *ev);
    ward_err err = audit_last(lock, &last);
    if (err != WARD_OK) {
        return err;
    }
    uint32_t count = last < WARD_AUDIT_MAX ? last : WARD_AUDIT_MAX;
    if (*pos >= count) {
        return WARD_ERR_NOTFOUND;
    }
    uint32_t seq = last - count + 1u + (uint32_t)*pos;
    err = ward_store_get(&lock_cst(lock)->store, audit_key(seq), rec, sizeof rec, &len);
    if (err == WARD_ERR_NOSPACE || err == WARD_ERR_NOTFOUND) {
        /* The head counts this entry: the ring is not what we wrote. */
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK &&
        (len < AUDIT_OFF_UID || rec[AUDIT_OFF_UID_LEN] > WARD_UID_MAX ||
         len != AUDIT_OFF_UID + (size_t)rec[AUDIT_OFF_UID_LEN] ||
         ward_load32(rec + AUDIT_OFF_SEQ) != seq)) {
        err = WARD_ERR_FORMAT;
    }
    if (err != WARD_OK) {
        return err;
    }
    ev->seq = seq;
    ev->time_ms = ward_load64(rec + AUDIT_OFF_TIME);
    ev->event = rec[AUDIT_OFF_EVENT];
    ev->op = rec[AUDIT_OFF_OP];
    ev->outcome = rec[AUDIT_OFF_OUTCOME];
    ev->uid_len = rec[AUDIT_OFF_UID_LEN];
    memcpy(ev->uid, rec + AUDIT_OFF_UID, ev->uid_len);
    (*pos)++;
    return WARD_OK;
}
