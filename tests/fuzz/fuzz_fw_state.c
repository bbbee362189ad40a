/* libFuzzer harness for the firmware update engine's records: any boot state (0x0A00) and
 * download record (0x0A01, 0x0A02) in the store, then get_state, boot, confirm and resume,
 * which never crash, never read past a slot, and give only states in range. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_fw_update.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_sim.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOT 4096
#define STORE 2048

static uint8_t slot_mem[2][SLOT], store_mem[STORE];

/* Input: len A (1), boot record (A), len B (1), download manifest (B),
 * checkpoint (the rest, 0..4 bytes used as the record). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    static const uint8_t pub[WARD_P256_POINT_LEN] = { 4 };
    if (size < 2) {
        return 0;
    }
    size_t a = data[0];
    if (1 + a + 1 > size) {
        return 0;
    }
    const uint8_t *boot = data + 1;
    size_t b = data[1 + a];
    if (2 + a + b > size) {
        return 0;
    }
    const uint8_t *dl = data + 2 + a;
    const uint8_t *ck = dl + b;
    size_t ck_len = size - 2 - a - b;
    if (ck_len > 8) {
        ck_len = 8;
    }
    memset(store_mem, 0xFF, sizeof store_mem);
    memset(slot_mem[0], 0xA5, SLOT);
    memset(slot_mem[1], 0x5A, SLOT);
    ward_sim_flash sf[3];
    ward_store_port sp;
    ward_fw_slots slots;
    memset(sf, 0, sizeof sf);
    ward_sim_flash_init(&sf[0], store_mem, STORE, 256, &sp);
    ward_sim_flash_init(&sf[1], slot_mem[0], SLOT, 256, &slots.slot[0]);
    ward_sim_flash_init(&sf[2], slot_mem[1], SLOT, 256, &slots.slot[1]);
    ward_store st;
    CHECK(ward_store_open(&st, &sp) == WARD_OK);
    ward_record_change ch[3] = {
        { WARD_FW_REC_BOOT, boot, a, false },
        { WARD_FW_REC_DOWNLOAD, dl, b, b == 0 },
        { WARD_FW_REC_CHECKPOINT, ck, ck_len, ck_len == 0 },
    };
    if (ward_store_update(&st, ch, 3) != WARD_OK) {
        return 0;
    }
    ward_fw_update u;
    CHECK(ward_fw_init(&u, cp, &slots, pub, (const uint8_t *)"lock", 4) == WARD_OK);
    ward_fw_state s;
    if (ward_fw_get_state(&st, &s) == WARD_OK) {
        CHECK(s.running <= 1 && s.trial <= WARD_FW_TRYING);
        CHECK(s.slot[0].version_len <= WARD_FW_VERSION_MAX);
        CHECK(s.slot[1].version_len <= WARD_FW_VERSION_MAX);
    }
    uint32_t off = 0;
    ward_err err = ward_fw_resume(&u, &st, dl, b, &off);
    if (err == WARD_OK) {
        CHECK(off <= SLOT);
        uint8_t chunk[64];
        memset(chunk, 0, sizeof chunk);
        err = ward_fw_write(&u, &st, chunk, sizeof chunk);
        CHECK(err == WARD_OK || err == WARD_ERR_NOSPACE);
        err = ward_fw_finish(&u, &st);
        CHECK(err != WARD_OK || ward_fw_get_state(&st, &s) == WARD_OK);
    }
    ward_fw_boot_result r;
    if (ward_fw_boot(&u, &st, &r) == WARD_OK) {
        CHECK(r.slot <= 1 && r.info.size >= 1 && r.info.size <= SLOT);
        CHECK(r.info.version_len <= WARD_FW_VERSION_MAX);
        if (r.on_trial) {
            CHECK(ward_fw_confirm(&u, &st) == WARD_OK);
            CHECK(ward_fw_get_state(&st, &s) == WARD_OK && s.running == r.slot &&
                  s.confirmed >= r.info.counter);
        }
    }
    return 0;
}
