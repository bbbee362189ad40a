/* Shared by the flow B harnesses: a provisioned lock on simulated flash
 * with two bound clients, reset to the same image before every input. */
#ifndef WARD_FUZZ_LOCK_H
#define WARD_FUZZ_LOCK_H

#include <stdint.h>
#include <string.h>

#include "ward/ward_lock.h"
#include "ward/ward_op.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_sim.h"
#include "proto/lock_inner.h"
#include "proto/lock_records.h"
#include "fuzz_common.h"

#define FL_ERASE 256
#define FL_BANK                                                              \
    ((WARD_LOCK_STORE_BANK_MIN + FL_ERASE - 1) / FL_ERASE * FL_ERASE)
#define FL_T0 1700000000000ull

static const uint8_t FL_SN[] = "LOCK-0001";
#define FL_SN_LEN 9

/* Client 0 "alice" is the owner, client 1 "bob" a member. */
static const char *const fl_uid[2] = { "alice", "bob" };
static uint8_t fl_auth[2][WARD_AUTH_KEY_LEN];
static uint8_t fl_tid[2][WARD_TASK_ID_LEN];

static uint8_t fl_flash[2 * FL_BANK];
static uint8_t fl_image[2 * FL_BANK];
static ward_sim_flash fl_sf;
static ward_store_port fl_port;
static ward_lock fl_lock;
static uint32_t fl_rng_state;
static int fl_ready;

static inline ward_err fl_now(void *ctx, uint64_t *ms)
{
    (void)ctx;
    *ms = FL_T0;
    return WARD_OK;
}

static inline void fl_open(void)
{
    ward_random rng = fuzz_rng(&fl_rng_state);
    ward_clock clock = { fl_now, NULL, true };
    ward_sim_flash_init(&fl_sf, fl_flash, sizeof fl_flash, FL_ERASE, &fl_port);
    CHECK(ward_lock_open(&fl_lock, ward_crypto_openssl(), &rng, &clock,
                         &fl_port) == WARD_OK);
}

/* The same lock before every input, so runs repeat exactly. */
static inline void fl_reset(void)
{
    if (!fl_ready) {
        memset(fl_flash, 0xFF, sizeof fl_flash);
        fl_open();
        CHECK(ward_lock_provision(&fl_lock, FL_SN, FL_SN_LEN) == WARD_OK);
        for (unsigned i = 0; i < 2; i++) {
            lock_client_rec c;
            uint8_t rec[CLIENT_REC_MAX];
            memset(&c, 0, sizeof c);
            c.uid_len = strlen(fl_uid[i]);
            memcpy(c.uid, fl_uid[i], c.uid_len);
            c.pub[0] = 0x04;
            memset(fl_auth[i], (int)(0x31 + i), WARD_AUTH_KEY_LEN);
            memset(fl_tid[i], (int)(0x61 + i), WARD_TASK_ID_LEN);
            memcpy(c.auth_key, fl_auth[i], WARD_AUTH_KEY_LEN);
            memcpy(c.tid, fl_tid[i], WARD_TASK_ID_LEN);
            c.role = i == 0 ? WARD_ROLE_OWNER : WARD_ROLE_MEMBER;
            size_t n = ward_lock_client_encode(&c, rec);
            CHECK(ward_store_put(&lock_st(&fl_lock)->store,
                                 (uint16_t)(LOCK_REC_CLIENT_FIRST + i), rec,
                                 n) == WARD_OK);
        }
        memcpy(fl_image, fl_flash, sizeof fl_flash);
        fl_ready = 1;
    }
    memcpy(fl_flash, fl_image, sizeof fl_flash);
    fl_rng_state = 1;
    fl_open();
}

static inline int fl_bound(int i)
{
    uint8_t key[WARD_AUTH_KEY_LEN];
    return ward_lock_client_auth_key(&fl_lock, (const uint8_t *)fl_uid[i],
                                     strlen(fl_uid[i]), key) == WARD_OK;
}

/* Input byte 0 picks a mode; mode 0 sends the rest as is, any other
 * XORs it over base (extending it past its end), so the fuzzer explores
 * every small change to a valid message. */
static inline size_t fl_patch(const uint8_t *base, size_t base_len,
                       const uint8_t *data, size_t size, uint8_t *out,
                       size_t cap)
{
    size_t n = base_len;
    memcpy(out, base, base_len);
    for (size_t i = 1; i < size && i - 1 < cap; i++) {
        if (i - 1 < base_len) {
            out[i - 1] ^= data[i];
        } else {
            out[i - 1] = data[i];
            n = i;
        }
    }
    return n;
}

#endif /* WARD_FUZZ_LOCK_H */
