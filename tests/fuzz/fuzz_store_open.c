/* libFuzzer harness for the record store: open any flash image, read it, update it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_port_sim.h"
#include "ward/ward_store.h"
#include "store/store_inner.h"

/* The opaque store's state, to check what the store decided. */
#define STATE(st) ward_store_cstate_of(&(st))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle failure is a finding: crash so libFuzzer keeps the input. */
#define CHECK(c) do { if (!(c)) { abort(); } } while (0)

/* The input is the raw flash, cut or padded with erased bytes to this. */
#define BANK 512
#define FLASH (2 * BANK)
#define ERASE 64
#define CAP (BANK - WARD_STORE_BANK_HDR_LEN)
#define MAX_RECS (CAP / WARD_STORE_RECORD_HDR_LEN)
#define FUZZ_KEY 0x1234

static uint8_t mem[FLASH];

typedef struct rec {
    uint16_t key;
    size_t len;
    size_t at;      /* into vals */
} rec;

static rec recs[MAX_RECS];
static uint8_t vals[CAP];

/* Reads every record of st in order; returns how many. */
static size_t read_all(const ward_store *st)
{
    size_t pos = 0, n = 0, total = 0, len;
    uint16_t key;
    ward_err err;
    while ((err = ward_store_next(st, &pos, 0, 0xFFFF, &key, &len)) ==
           WARD_OK) {
        CHECK(n < MAX_RECS);
        CHECK(key < WARD_STORE_KEY_RESERVED && len <= WARD_RECORD_MAX);
        CHECK(total + len <= sizeof vals);
        recs[n].key = key;
        recs[n].len = len;
        recs[n].at = total;
        /* get() finds the first record of a key; only check the value
         * when this record is that one. */
        size_t first_pos = 0, first_len;
        uint16_t k;
        CHECK(ward_store_next(st, &first_pos, key, key, &k,
                              &first_len) == WARD_OK);
        if (first_pos == pos) {
            size_t got = 0;
            CHECK(ward_store_get(st, key, vals + total, sizeof vals - total,
                                 &got) == WARD_OK);
            CHECK(got == len);
        }
        total += len;
        n++;
    }
    CHECK(err == WARD_ERR_NOTFOUND);
    CHECK(ward_store_free(st) + total + n * WARD_STORE_RECORD_HDR_LEN == CAP);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ward_sim_flash sf;
    ward_store_port port;
    ward_store st, st2;

    memset(mem, 0xFF, sizeof mem);
    memcpy(mem, data, size < sizeof mem ? size : sizeof mem);
    ward_sim_flash_init(&sf, mem, sizeof mem, ERASE, &port);

    /* Whatever the bytes, open() succeeds: a bad image opens empty. */
    CHECK(ward_store_open(&st, &port) == WARD_OK);
    CHECK(STATE(st)->valid || (STATE(st)->seq == 0 && STATE(st)->used == 0));
    CHECK(STATE(st)->used <= CAP);
    size_t n = read_all(&st);

    /* One update: put a value taken from the input under FUZZ_KEY. */
    const uint8_t *value = data;
    size_t vlen = size < 40 ? size : 40;
    size_t need = WARD_STORE_RECORD_HDR_LEN + vlen;
    size_t freed = 0;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].key == FUZZ_KEY) {
            freed += WARD_STORE_RECORD_HDR_LEN + recs[i].len;
        }
    }
    uint32_t seq = STATE(st)->seq;
    bool fits = ward_store_free(&st) + freed >= need;
    ward_err err = ward_store_put(&st, FUZZ_KEY, value, vlen);
    if (seq == 0xFFFFFFFFu) {
        CHECK(err == WARD_ERR_STATE);
        return 0;
    }
    if (!fits) {
        CHECK(err == WARD_ERR_NOSPACE);
        return 0;
    }
    CHECK(err == WARD_OK);
    CHECK(STATE(st)->seq == seq + 1);

    /* The update is visible after a reopen, and nothing else changed:
     * the other records keep their order and values. */
    CHECK(ward_store_open(&st2, &port) == WARD_OK);
    CHECK(STATE(st2)->valid && STATE(st2)->seq == STATE(st)->seq &&
          STATE(st2)->active == STATE(st)->active);
    size_t pos = 0, len = 0;
    uint16_t key;
    uint8_t buf[WARD_RECORD_MAX];
    for (size_t i = 0; i < n; i++) {
        if (recs[i].key == FUZZ_KEY) {
            continue;
        }
        CHECK(ward_store_next(&st2, &pos, 0, 0xFFFF, &key, &len) == WARD_OK);
        CHECK(key == recs[i].key && len == recs[i].len);
    }
    CHECK(ward_store_next(&st2, &pos, 0, 0xFFFF, &key, &len) == WARD_OK);
    CHECK(key == FUZZ_KEY && len == vlen);
    CHECK(ward_store_next(&st2, &pos, 0, 0xFFFF, &key, &len) ==
          WARD_ERR_NOTFOUND);
    CHECK(ward_store_get(&st2, FUZZ_KEY, buf, sizeof buf, &len) == WARD_OK);
    CHECK(len == vlen && memcmp(buf, value, vlen) == 0);

    /* Values of the unique keys that survived are the same bytes. */
    for (size_t i = 0; i < n; i++) {
        if (recs[i].key == FUZZ_KEY) {
            continue;
        }
        CHECK(ward_store_get(&st2, recs[i].key, buf, sizeof buf, &len) ==
              WARD_OK);
        /* The first record of the key before is the first after. */
        size_t first = 0;
        while (recs[first].key != recs[i].key) {
            first++;
        }
        if (first == i) {
            CHECK(len == recs[i].len &&
                  memcmp(buf, vals + recs[i].at, len) == 0);
        }
    }
    return 0;
}
