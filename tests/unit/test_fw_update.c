/* The firmware update engine (ward_fw_update.h): update, trial, confirm, revert, each refusal by its effect, and a power cut at every byte of the whole update. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <stdio.h>
#include <string.h>

#include "ward/ward_fw_update.h"
#include "ward/ward_port_sim.h"
#include "ward/ward_suite.h"

#define ERASE 256
#define STORE 1024
#define SLOT 4096
#define FLASH (STORE + 2 * SLOT)
#define FACTORY_LEN 1500
#define IMAGE_LEN 3000
#define CHUNK 300

/* One simulated flash holds the store and both slots, so a single cut
 * count covers every byte the update writes or erases, wherever. */
typedef struct region {
    ward_store_port base;
    size_t off;
} region;

static ward_err r_read(void *ctx, size_t off, uint8_t *buf, size_t len)
{
    region *r = ctx;
    return r->base.read(r->base.ctx, r->off + off, buf, len);
}

static ward_err r_write(void *ctx, size_t off, const uint8_t *buf, size_t len)
{
    region *r = ctx;
    return r->base.write(r->base.ctx, r->off + off, buf, len);
}

static ward_err r_erase(void *ctx, size_t off, size_t len)
{
    region *r = ctx;
    return r->base.erase(r->base.ctx, r->off + off, len);
}

static ward_err r_sync(void *ctx)
{
    region *r = ctx;
    return r->base.sync(r->base.ctx);
}

typedef struct env {
    uint8_t mem[FLASH];
    ward_sim_flash sf;
    ward_store_port flash;
    region reg[3];
    ward_store_port store_port;
    ward_fw_slots slots;
    ward_store st;
    ward_fw_update u;
} env;

static env E;
static uint8_t snapshot[FLASH];
static uint8_t release_priv[32], release_pub[65], other_priv[32], other_pub[65];
static uint8_t factory_img[FACTORY_LEN], image[IMAGE_LEN];
static uint8_t manifest[WARD_FW_MANIFEST_MAX];
static size_t manifest_len;

static void port_of(region *r, size_t off, size_t size, ward_store_port *out)
{
    r->base = E.flash;
    r->off = off;
    out->size = size;
    out->erase_size = ERASE;
    out->read = r_read;
    out->write = r_write;
    out->erase = r_erase;
    out->sync = r_sync;
    out->ctx = r;
}

/* Power-up: the ports over E.mem as it is, the store opened, the engine set. */
static void power_up(void)
{
    memset(&E.sf, 0, sizeof E.sf);
    ward_sim_flash_init(&E.sf, E.mem, FLASH, ERASE, &E.flash);
    port_of(&E.reg[0], 0, STORE, &E.store_port);
    port_of(&E.reg[1], STORE, SLOT, &E.slots.slot[0]);
    port_of(&E.reg[2], STORE + SLOT, SLOT, &E.slots.slot[1]);
    assert_int_equal(ward_store_open(&E.st, &E.store_port), WARD_OK);
    assert_int_equal(ward_fw_init(&E.u, ward_test_cp, &E.slots, release_pub,
                                  (const uint8_t *)"lock-a1", 7), WARD_OK);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static void digest(const uint8_t *p, size_t n, uint8_t out[32])
{
    ward_iov one = { p, n };
    assert_int_equal(ward_test_cp->sha256(&one, 1, out), WARD_OK);
}

static size_t make_manifest(const uint8_t *priv, const char *cls, const char *ver,
                            uint32_t counter, uint32_t min, const uint8_t *img, uint32_t size,
                            uint8_t *out)
{
    ward_fw_manifest m;
    size_t len = 0;
    memset(&m, 0, sizeof m);
    m.class_len = (uint8_t)strlen(cls);
    memcpy(m.dev_class, cls, m.class_len);
    m.version_len = (uint8_t)strlen(ver);
    memcpy(m.version, ver, m.version_len);
    m.counter = counter;
    m.min_counter = min;
    m.size = size;
    digest(img, size, m.digest);
    assert_int_equal(ward_fw_manifest_sign_by(ward_test_cp, ward_test_key(priv), WARD_TEST_KEY,
                                              &m, out, WARD_FW_MANIFEST_MAX, &len), WARD_OK);
    return len;
}

/* A fresh device: the factory image in slot 0, provisioned at counter 0. */
static void factory(void)
{
    memset(E.mem, 0xFF, sizeof E.mem);
    memcpy(E.mem + STORE, factory_img, sizeof factory_img);
    power_up();
    ward_fw_info f;
    memset(&f, 0, sizeof f);
    f.size = FACTORY_LEN;
    digest(factory_img, FACTORY_LEN, f.digest);
    f.version_len = 7;
    memcpy(f.version, "factory", 7);
    assert_int_equal(ward_fw_provision(&E.u, &E.st, &f), WARD_OK);
    assert_int_equal(ward_fw_provision(&E.u, &E.st, &f), WARD_ERR_STATE);
}

static int setup(void **state)
{
    (void)state;
    memset(release_priv, 0x21, 32);
    memset(other_priv, 0x42, 32);
    assert_int_equal(ward_p256_public(ward_test_cp, release_priv, release_pub), WARD_OK);
    assert_int_equal(ward_p256_public(ward_test_cp, other_priv, other_pub), WARD_OK);
    fill(factory_img, sizeof factory_img, 1);
    fill(image, sizeof image, 2);
    manifest_len = make_manifest(release_priv, "lock-a1", "1.0", 1, 0, image, IMAGE_LEN,
                                 manifest);
    return 0;
}

static ward_err download(const uint8_t *m, size_t mlen, const uint8_t *img, size_t from,
                         size_t to)
{
    ward_err err = WARD_OK;
    for (size_t off = from; err == WARD_OK && off < to; off += CHUNK) {
        size_t n = to - off < CHUNK ? to - off : CHUNK;
        err = ward_fw_write(&E.u, &E.st, img + off, n);
    }
    (void)m;
    (void)mlen;
    return err;
}

static void expect_running(const char *version, uint32_t confirmed)
{
    ward_fw_state s;
    assert_int_equal(ward_fw_get_state(&E.st, &s), WARD_OK);
    assert_int_equal(s.confirmed, confirmed);
    assert_int_equal(s.slot[s.running].version_len, strlen(version));
    assert_memory_equal(s.slot[s.running].version, version, strlen(version));
}

static void test_update_trial_confirm(void **state)
{
    (void)state;
    ward_fw_boot_result b;
    factory();
    assert_int_equal(ward_fw_boot(&E.u, &E.st, &b), WARD_OK);
    assert_false(b.on_trial);
    assert_memory_equal(b.info.version, "factory", 7);
    assert_int_equal(ward_fw_begin(&E.u, &E.st, manifest, manifest_len), WARD_OK);
    assert_int_equal(download(manifest, manifest_len, image, 0, IMAGE_LEN), WARD_OK);
    assert_int_equal(ward_fw_write(&E.u, &E.st, image, 1), WARD_ERR_NOSPACE);
    assert_int_equal(ward_fw_finish(&E.u, &E.st), WARD_OK);
    /* Pending: the counter has not moved. */
    expect_running("factory", 0);
    power_up();
    assert_int_equal(ward_fw_boot(&E.u, &E.st, &b), WARD_OK);
    assert_true(b.on_trial);
    assert_int_equal(b.slot, 1);
    assert_memory_equal(b.info.version, "1.0", 3);
    /* On trial: still not moved; the fall-back is the factory image. */
    expect_running("factory", 0);
    assert_int_equal(ward_fw_confirm(&E.u, &E.st), WARD_OK);
    assert_int_equal(ward_fw_confirm(&E.u, &E.st), WARD_ERR_STATE);
    expect_running("1.0", 1);
    power_up();
    assert_int_equal(ward_fw_boot(&E.u, &E.st, &b), WARD_OK);
    assert_false(b.on_trial);
    assert_int_equal(b.slot, 1);
    assert_memory_equal(b.info.version, "1.0", 3);
}

static void test_unconfirmed_trial_reverts(void **state)
{
    (void)state;
    ward_fw_boot_result b;
    factory();
    assert_int_equal(ward_fw_begin(&E.u, &E.st, manifest, manifest_len), WARD_OK);
    assert_int_equal(download(manifest, manifest_len, image, 0, IMAGE_LEN), WARD_OK);
    assert_int_equal(ward_fw_finish(&E.u, &E.st), WARD_OK);
    assert_int_equal(ward_fw_boot(&E.u, &E.st, &b), WARD_OK);
    assert_true(b.on_trial);
    /* It dies before confirming: the next boot runs the factory image. */
    power_up();
    assert_int_equal(ward_fw_boot(&E.u, &E.st, &b), WARD_OK);
    assert_true(b.reverted);
    assert_false(b.on_trial);
    assert_int_equal(b.slot, 0);
    assert_memory_equal(b.info.version, "factory", 7);
    expect_running("factory", 0);
    assert_int_equal(ward_fw_confirm(&E.u, &E.st), WARD_ERR_STATE);
    /* The same release may be tried again: its counter never counted. */
    assert_int_equal(ward_fw_begin(&E.u, &E.st, manifest, manifest_len), WARD_OK);
}

/* begin() refused: err, and nothing written or erased, state unchanged. */
static void refused_at_begin(const uint8_t *m, size_t len, ward_err want,
                             const char *running, uint32_t confirmed)
{
    uint64_t before = E.sf.bytes_done;
    assert_int_equal(ward_fw_begin(&E.u, &E.st, m, len), want);
    assert_true(E.sf.bytes_done == before);
    assert_int_equal(ward_fw_write(&E.u, &E.st, image, 1), WARD_ERR_STATE);
    expect_running(running, confirmed);
}

static void install(const uint8_t *m, size_t len, const uint8_t *img, size_t size)
{
    ward_fw_boot_result b;
    assert_int_equal(ward_fw_begin(&E.u, &E.st, m, len), WARD_OK);
    assert_int_equal(download(m, len, img, 0, size), WARD_OK);
    assert_int_equal(ward_fw_finish(&E.u, &E.st), WARD_OK);
    assert_int_equal(ward_fw_boot(&E.u, &E.st, &b), WARD_OK);
    assert_true(b.on_trial);
    assert_int_equal(ward_fw_confirm(&E.u, &E.st), WARD_OK);
}

static void test_refusals(void **state)
{
    (void)state;
    uint8_t m[WARD_FW_MANIFEST_MAX], big[SLOT + 1];
    size_t len;
    factory();
    /* Another key's manifest. */
    len = make_manifest(other_priv, "lock-a1", "1.0", 1, 0, image, IMAGE_LEN, m);
    refused_at_begin(m, len, WARD_ERR_NOTFOUND, "factory", 0);
    /* The right key id, the counter raised (1 -> 3) after signing. */
    memcpy(m, manifest, manifest_len);
    m[2 + 7 + 1 + 3 + 3] ^= 2;
    refused_at_begin(m, manifest_len, WARD_ERR_AUTH, "factory", 0);
    /* Another class. */
    len = make_manifest(release_priv, "lock-b2", "1.0", 1, 0, image, IMAGE_LEN, m);
    refused_at_begin(m, len, WARD_ERR_PARAM, "factory", 0);
    /* Needs counter 1 installed first. */
    len = make_manifest(release_priv, "lock-a1", "2.0", 2, 1, image, IMAGE_LEN, m);
    refused_at_begin(m, len, WARD_ERR_CONFLICT, "factory", 0);
    /* Larger than a slot. */
    memset(big, 7, sizeof big);
    len = make_manifest(release_priv, "lock-a1", "1.0", 1, 0, big, sizeof big, m);
    refused_at_begin(m, len, WARD_ERR_NOSPACE, "factory", 0);
    /* Counter 1 installed: 1.0 again (replayed) and counter 0 are refused;
     * the stepping stone's successor is now taken. */
    install(manifest, manifest_len, image, IMAGE_LEN);
    expect_running("1.0", 1);
    refused_at_begin(manifest, manifest_len, WARD_ERR_EXPIRED, "1.0", 1);
    len = make_manifest(release_priv, "lock-a1", "0.9", 0, 0, factory_img, FACTORY_LEN, m);
    refused_at_begin(m, len, WARD_ERR_EXPIRED, "1.0", 1);
    len = make_manifest(release_priv, "lock-a1", "2.0", 2, 1, factory_img, FACTORY_LEN, m);
    assert_int_equal(ward_fw_begin(&E.u, &E.st, m, len), WARD_OK);
    /* While 2.0 is on trial, nothing else may begin. */
    assert_int_equal(download(m, len, factory_img, 0, FACTORY_LEN), WARD_OK);
    assert_int_equal(ward_fw_finish(&E.u, &E.st), WARD_OK);
    ward_fw_boot_result b;
    assert_int_equal(ward_fw_boot(&E.u, &E.st, &b), WARD_OK);
    assert_true(b.on_trial);
    uint8_t m3[WARD_FW_MANIFEST_MAX];
    size_t len3 = make_manifest(release_priv, "lock-a1", "3.0", 3, 0, image, IMAGE_LEN, m3);
    refused_at_begin(m3, len3, WARD_ERR_STATE, "1.0", 1);
}

static void test_altered_and_truncated_image(void **state)
{
    (void)state;
    uint8_t bad[IMAGE_LEN];
    ward_fw_boot_result b;
    factory();
    memcpy(bad, image, sizeof bad);
    bad[IMAGE_LEN / 2] ^= 0x80;
    assert_int_equal(ward_fw_begin(&E.u, &E.st, manifest, manifest_len), WARD_OK);
    assert_int_equal(download(manifest, manifest_len, bad, 0, IMAGE_LEN), WARD_OK);
    assert_int_equal(ward_fw_finish(&E.u, &E.st), WARD_ERR_AUTH);
    uint32_t off = 9;
    assert_int_equal(ward_fw_resume(&E.u, &E.st, manifest, manifest_len, &off),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(ward_fw_boot(&E.u, &E.st, &b), WARD_OK);
    assert_false(b.on_trial);
    assert_memory_equal(b.info.version, "factory", 7);
    /* Cut short: not finished, not pending. */
    assert_int_equal(ward_fw_begin(&E.u, &E.st, manifest, manifest_len), WARD_OK);
    assert_int_equal(download(manifest, manifest_len, image, 0, IMAGE_LEN - 1), WARD_OK);
    assert_int_equal(ward_fw_finish(&E.u, &E.st), WARD_ERR_STATE);
    assert_int_equal(ward_fw_boot(&E.u, &E.st, &b), WARD_OK);
    assert_false(b.on_trial);
    expect_running("factory", 0);
    /* A slot whose bytes changed after finish is not tried at boot. */
    assert_int_equal(ward_fw_begin(&E.u, &E.st, manifest, manifest_len), WARD_OK);
    assert_int_equal(download(manifest, manifest_len, image, 0, IMAGE_LEN), WARD_OK);
    assert_int_equal(ward_fw_finish(&E.u, &E.st), WARD_OK);
    E.mem[STORE + SLOT + 10] ^= 1;
    assert_int_equal(ward_fw_boot(&E.u, &E.st, &b), WARD_OK);
    assert_true(b.reverted);
    assert_false(b.on_trial);
    expect_running("factory", 0);
}

static void test_resume_after_cut(void **state)
{
    (void)state;
    factory();
    assert_int_equal(ward_fw_begin(&E.u, &E.st, manifest, manifest_len), WARD_OK);
    assert_int_equal(download(manifest, manifest_len, image, 0, 2500), WARD_OK);
    /* Power lost: the last checkpoint (2048, whole erase units past
     * WARD_FW_CHECKPOINT_MIN) is where it goes on. */
    power_up();
    uint32_t off = 0;
    uint8_t m2[WARD_FW_MANIFEST_MAX];
    size_t len2 = make_manifest(release_priv, "lock-a1", "1.1", 2, 0, image, IMAGE_LEN, m2);
    assert_int_equal(ward_fw_resume(&E.u, &E.st, m2, len2, &off), WARD_ERR_NOTFOUND);
    assert_int_equal(ward_fw_resume(&E.u, &E.st, manifest, manifest_len, &off), WARD_OK);
    assert_int_equal(off, 2048);
    assert_int_equal(download(manifest, manifest_len, image, off, IMAGE_LEN), WARD_OK);
    assert_int_equal(ward_fw_finish(&E.u, &E.st), WARD_OK);
}

/* ---- a power cut at every byte ---- */

/* Whatever the boot found, the device carries the update to its end, as
 * `ward ROLE update` then `boot` would. */
static ward_err carry_on(const ward_fw_boot_result *b)
{
    ward_fw_state s;
    ward_err err;
    if (b->on_trial) {
        return ward_fw_confirm(&E.u, &E.st);
    }
    if ((err = ward_fw_get_state(&E.st, &s)) != WARD_OK) {
        return err;
    }
    if (s.confirmed >= 1) {
        return WARD_OK;
    }
    uint32_t off = 0;
    if (s.trial != WARD_FW_PENDING) {
        err = ward_fw_resume(&E.u, &E.st, manifest, manifest_len, &off);
        if (err == WARD_ERR_NOTFOUND) {
            off = 0;
            err = ward_fw_begin(&E.u, &E.st, manifest, manifest_len);
        }
        if (err == WARD_OK) {
            err = download(manifest, manifest_len, image, off, IMAGE_LEN);
        }
        if (err == WARD_OK) {
            err = ward_fw_finish(&E.u, &E.st);
        }
        if (err != WARD_OK) {
            return err;
        }
    }
    ward_fw_boot_result nb;
    if ((err = ward_fw_boot(&E.u, &E.st, &nb)) != WARD_OK) {
        return err;
    }
    return nb.on_trial ? ward_fw_confirm(&E.u, &E.st) : WARD_ERR_STATE;
}

/* After any cut: the boot finds a verified image, factory or 1.0, and
 * the confirmed counter is never above the image that runs. */
static void check_bootable(ward_fw_boot_result *b)
{
    ward_fw_state s;
    assert_int_equal(ward_fw_boot(&E.u, &E.st, b), WARD_OK);
    assert_int_equal(ward_fw_get_state(&E.st, &s), WARD_OK);
    const uint8_t *img = b->info.counter == 0 ? factory_img : image;
    size_t len = b->info.counter == 0 ? FACTORY_LEN : IMAGE_LEN;
    assert_int_equal(b->info.size, len);
    assert_memory_equal(E.mem + STORE + (size_t)b->slot * SLOT, img, len);
    assert_true(s.confirmed <= b->info.counter);
    assert_true(b->on_trial || s.confirmed == b->info.counter);
}

/* Cuts power after each n < limit bytes from snap (limit 0: until the
 * update fits uncut): the first life boots and carries on; after the cut
 * the device must boot a verified image, and then finish the update.
 * Returns the number of cuts. */
static size_t cut_everywhere(const uint8_t *snap, uint64_t limit)
{
    size_t cuts = 0;
    for (uint64_t n = 0; limit == 0 || n < limit; n++) {
        ward_fw_boot_result b;
        memcpy(E.mem, snap, FLASH);
        power_up();
        ward_sim_flash_cut_after(&E.sf, n);
        ward_err err = ward_fw_boot(&E.u, &E.st, &b);
        if (err == WARD_OK) {
            err = carry_on(&b);
        }
        if (!E.sf.dead) {
            assert_int_equal(err, WARD_OK);
            assert_true(limit == 0);
            break;
        }
        cuts++;
        assert_int_not_equal(err, WARD_OK);
        power_up();
        check_bootable(&b);
        assert_int_equal(carry_on(&b), WARD_OK);
        power_up();
        assert_int_equal(ward_fw_boot(&E.u, &E.st, &b), WARD_OK);
        assert_false(b.on_trial);
        assert_memory_equal(b.info.version, "1.0", 3);
        expect_running("1.0", 1);
    }
    return cuts;
}

/* Every byte of begin's store update, then (from the state after it, so
 * the manifest's signature is not checked again at each cut) every byte
 * of the download, its checkpoints, finish, the trial mark, and the
 * confirmation that switches the slot and raises the counter. */
static void test_power_cut_everywhere(void **state)
{
    (void)state;
    static uint8_t after_begin[FLASH];
    factory();
    memcpy(snapshot, E.mem, sizeof snapshot);
    uint64_t before = E.sf.bytes_done;
    assert_int_equal(ward_fw_begin(&E.u, &E.st, manifest, manifest_len), WARD_OK);
    uint64_t begin_bytes = E.sf.bytes_done - before;
    memcpy(after_begin, E.mem, sizeof after_begin);
    size_t cuts = cut_everywhere(snapshot, begin_bytes);
    assert_int_equal(cuts, begin_bytes);
    cuts += cut_everywhere(after_begin, 0);
    print_message("power cut at %zu points of the update\n", cuts);
    assert_true(cuts > 2 * IMAGE_LEN);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_trial_confirm),
        cmocka_unit_test(test_unconfirmed_trial_reverts),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_altered_and_truncated_image),
        cmocka_unit_test(test_resume_after_cut),
        cmocka_unit_test(test_power_cut_everywhere),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
