/* Firmware update (issue 18, item 3): the device's verification cost per KB on each crypto
 * backend: SHA-256 of the image as it arrives, one ECDSA verify of its manifest, and the whole
 * engine (ward_fw_update.h) writing into RAM flash and verifying again at boot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ward/ward_fw_update.h"
#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_port_sim.h"

#define SLOT (512u * 1024u)
#define ERASE 4096u
#define STORE 4096u
#define CHUNK 1024u

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static uint8_t image[SLOT], slot_mem[2][SLOT], store_mem[STORE];

static int check(ward_err err, const char *what)
{
    if (err != WARD_OK) {
        fprintf(stderr, "bench_fw_update: %s: %s\n", what, ward_strerror(err));
        return 1;
    }
    return 0;
}

static int run(const char *name, const ward_crypto *cp, uint32_t size, int rounds)
{
    ward_random rng = ward_random_posix();
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN], mb[WARD_FW_MANIFEST_MAX];
    size_t ml = 0;
    ward_keystore_soft_init(&soft, cp, &rng, &ks);
    ward_fw_manifest m;
    memset(&m, 0, sizeof m);
    m.class_len = 4;
    memcpy(m.dev_class, "lock", 4);
    m.version_len = 3;
    memcpy(m.version, "1.0", 3);
    m.counter = 1;
    m.size = size;
    ward_iov one = { image, size };
    if (check(ks.generate(ks.ctx, WARD_KEY_RELEASE, pub), "keygen") ||
        check(cp->sha256(&one, 1, m.digest), "sha256") ||
        check(ward_fw_manifest_sign_by(cp, &ks, WARD_KEY_RELEASE, &m, mb, sizeof mb, &ml),
              "sign")) {
        return 1;
    }
    ward_keystore_soft_wipe(&soft);

    /* SHA-256 streamed in 1 KB chunks, as the engine feeds it. */
    uint8_t d[WARD_SHA256_LEN];
    double t0 = cpu_us();
    for (int r = 0; r < rounds; r++) {
        ward_sha256_ctx h;
        if (check(cp->sha256_start(&h), "sha256_start")) {
            return 1;
        }
        for (uint32_t off = 0; off < size; off += CHUNK) {
            if (check(cp->sha256_update(&h, image + off, CHUNK), "sha256_update")) {
                return 1;
            }
        }
        if (check(cp->sha256_finish(&h, d), "sha256_finish")) {
            return 1;
        }
    }
    double sha_us = (cpu_us() - t0) / rounds;

    ward_fw_manifest got;
    int verifies = rounds * 10;
    t0 = cpu_us();
    for (int r = 0; r < verifies; r++) {
        if (check(ward_fw_manifest_verify(cp, pub, mb, ml, &got), "verify")) {
            return 1;
        }
    }
    double verify_us = (cpu_us() - t0) / verifies;

    /* The engine: begin (verify), write all, finish, boot (hash again). */
    double eng_us = 0, boot_us = 0;
    for (int r = 0; r < rounds; r++) {
        ward_sim_flash sf[3];
        ward_store_port sp;
        ward_fw_slots slots;
        ward_store st;
        ward_fw_update u;
        ward_fw_boot_result b;
        memset(store_mem, 0xFF, sizeof store_mem);
        memset(slot_mem, 0xFF, sizeof slot_mem);
        memset(sf, 0, sizeof sf);
        ward_sim_flash_init(&sf[0], store_mem, STORE, 256, &sp);
        ward_sim_flash_init(&sf[1], slot_mem[0], SLOT, ERASE, &slots.slot[0]);
        ward_sim_flash_init(&sf[2], slot_mem[1], SLOT, ERASE, &slots.slot[1]);
        ward_fw_info f;
        memset(&f, 0, sizeof f);
        memcpy(slot_mem[0], "factory", 7);
        f.size = 7;
        f.version_len = 7;
        memcpy(f.version, "factory", 7);
        ward_iov fi = { slot_mem[0], 7 };
        if (check(cp->sha256(&fi, 1, f.digest), "sha256") ||
            check(ward_store_open(&st, &sp), "store") ||
            check(ward_fw_init(&u, cp, &slots, pub, (const uint8_t *)"lock", 4), "init") ||
            check(ward_fw_provision(&u, &st, &f), "provision")) {
            return 1;
        }
        t0 = cpu_us();
        if (check(ward_fw_begin(&u, &st, mb, ml), "begin")) {
            return 1;
        }
        for (uint32_t off = 0; off < size; off += CHUNK) {
            if (check(ward_fw_write(&u, &st, image + off, CHUNK), "write")) {
                return 1;
            }
        }
        if (check(ward_fw_finish(&u, &st), "finish")) {
            return 1;
        }
        double t1 = cpu_us();
        if (check(ward_fw_boot(&u, &st, &b), "boot") || !b.on_trial) {
            return 1;
        }
        eng_us += t1 - t0;
        boot_us += cpu_us() - t1;
    }
    eng_us /= rounds;
    boot_us /= rounds;
    double kb = size / 1024.0;
    printf("  %-16s SHA-256 %7.0f KB/s (%5.2f us/KB), manifest verify %6.0f us; "
           "download of %u KB through the engine %6.2f us/KB (%.1f ms), boot check %.1f ms\n",
           name, kb / (sha_us / 1e6), sha_us / kb, verify_us, (unsigned)kb, eng_us / kb,
           eng_us / 1e3, boot_us / 1e3);
    return 0;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    uint32_t size = quick ? 128u * 1024u : SLOT;
    int rounds = quick ? 3 : 10;
    for (uint32_t i = 0; i < SLOT; i++) {
        image[i] = (uint8_t)(i * 131u + (i >> 9));
    }
    printf("firmware update verification, per crypto backend (CPU time; RAM flash, 1 KB chunks):\n");
    int rc = run(ward_crypto_mbedtls()->name, ward_crypto_mbedtls(), size, rounds) ||
             run(ward_crypto_openssl()->name, ward_crypto_openssl(), size, rounds);
    return rc;
}
