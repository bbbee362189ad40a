/* The keystore port: the software keystore, signing and opening by handle, a lock whose identity key is in a keystore. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_keystore.h"
#include "ward/ward_lock.h"
#include "ward/ward_suite.h"
#include "proto/lock_inner.h"
#include "lock_fixture.h"
#include "proto/lock_records.h"

static void test_soft_generate_sign_ecdh(void **state)
{
    (void)state;
    ward_random rng = ward_test_rng();
    ward_keystore_soft s;
    ward_keystore ks;
    uint8_t pub[65], pub2[65], d[32], sig[64], peer_priv[32], peer_pub[65];
    uint8_t sh1[32], sh2[32];
    ward_keystore_soft_init(&s, ward_test_cp, &rng, &ks);
    assert_string_equal(ks.name, "software");
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_APP_CLIENT, pub), WARD_ERR_NOTFOUND);
    assert_int_equal(ks.generate(ks.ctx, WARD_KEY_APP_CLIENT, pub), WARD_OK);
    assert_int_equal(ward_test_cp->p256_point_check(pub), WARD_OK);
    /* Made once: a second generate would orphan what the first was for. */
    assert_int_equal(ks.generate(ks.ctx, WARD_KEY_APP_CLIENT, pub2), WARD_ERR_STATE);
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_APP_CLIENT, pub2), WARD_OK);
    assert_memory_equal(pub, pub2, 65);
    memset(d, 0x5A, sizeof d);
    assert_int_equal(ks.sign(ks.ctx, WARD_KEY_APP_CLIENT, d, sig), WARD_OK);
    assert_int_equal(ward_test_cp->ecdsa_p256_verify(pub, d, sig), WARD_OK);
    assert_int_equal(ks.sign(ks.ctx, WARD_KEY_LOCK_IDENTITY, d, sig), WARD_ERR_NOTFOUND);
    assert_int_equal(ward_p256_keygen(ward_test_cp, &rng, peer_priv, peer_pub), WARD_OK);
    assert_int_equal(ks.ecdh(ks.ctx, WARD_KEY_APP_CLIENT, peer_pub, sh1), WARD_OK);
    uint8_t mine[32];
    assert_int_equal(ward_keystore_soft_export(&s, WARD_KEY_APP_CLIENT, mine), WARD_OK);
    assert_int_equal(ward_test_cp->p256_ecdh(peer_priv, pub, sh2), WARD_OK);
    assert_memory_equal(sh1, sh2, 32);
    /* A peer point off the curve is refused, not multiplied. */
    uint8_t bad[65];
    memcpy(bad, peer_pub, 65);
    bad[64] ^= 1;
    assert_int_equal(ks.ecdh(ks.ctx, WARD_KEY_APP_CLIENT, bad, sh1), WARD_ERR_FORMAT);
    /* The two slots: a third id has no room. */
    assert_int_equal(ks.generate(ks.ctx, WARD_KEY_FACTORY, pub2), WARD_OK);
    assert_int_equal(ks.generate(ks.ctx, WARD_KEY_SE, pub2), WARD_ERR_NOSPACE);
    assert_int_equal(ks.generate(ks.ctx, 0, pub2), WARD_ERR_PARAM);
    ward_keystore_soft_wipe(&s);
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_APP_CLIENT, pub2), WARD_ERR_NOTFOUND);
}

static void test_soft_load_export(void **state)
{
    (void)state;
    ward_random rng = ward_test_rng();
    ward_keystore_soft s;
    ward_keystore ks;
    uint8_t priv[32], pub[65], got[65], out[32];
    assert_int_equal(ward_p256_keygen(ward_test_cp, &rng, priv, pub), WARD_OK);
    /* No generator: loading is all it is for. */
    ward_keystore_soft_init(&s, ward_test_cp, NULL, &ks);
    assert_int_equal(ks.generate(ks.ctx, WARD_KEY_LOCK_IDENTITY, got), WARD_ERR_UNSUPPORTED);
    assert_int_equal(ward_keystore_soft_export(&s, WARD_KEY_LOCK_IDENTITY, out),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(ward_keystore_soft_load(&s, WARD_KEY_LOCK_IDENTITY, priv), WARD_OK);
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_LOCK_IDENTITY, got), WARD_OK);
    assert_memory_equal(got, pub, 65);
    assert_int_equal(ward_keystore_soft_export(&s, WARD_KEY_LOCK_IDENTITY, out), WARD_OK);
    assert_memory_equal(out, priv, 32);
    /* Zero and n are not keys; the slot keeps what it had. */
    uint8_t zero[32] = { 0 }, n[32];
    ward_test_hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", n, 32);
    assert_int_equal(ward_keystore_soft_load(&s, WARD_KEY_LOCK_IDENTITY, zero),
                     WARD_ERR_FORMAT);
    assert_int_equal(ward_keystore_soft_load(&s, WARD_KEY_LOCK_IDENTITY, n), WARD_ERR_FORMAT);
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_LOCK_IDENTITY, got), WARD_OK);
    assert_memory_equal(got, pub, 65);
    assert_int_equal(ward_keystore_soft_load(&s, 0, priv), WARD_ERR_PARAM);
    ward_keystore_soft_wipe(&s);
}

/* By handle and by raw key, the same bytes: a keystore changes where the
 * key is, never what goes on the wire. */
static void test_by_handle_matches_raw(void **state)
{
    (void)state;
    ward_random rng = ward_test_rng();
    ward_keystore_soft s;
    ward_keystore ks;
    uint8_t priv[32], pub[65], sig[64], sealed[32 + WARD_SEAL_OVERHEAD], out[32];
    const uint8_t msg[] = "hello", ad[] = "ad";
    size_t n = 0;
    ward_keystore_soft_init(&s, ward_test_cp, &rng, &ks);
    assert_int_equal(ks.generate(ks.ctx, WARD_KEY_APP_CLIENT, pub), WARD_OK);
    assert_int_equal(ward_keystore_soft_export(&s, WARD_KEY_APP_CLIENT, priv), WARD_OK);

    assert_int_equal(ward_sign_by(ward_test_cp, &ks, WARD_KEY_APP_CLIENT, "test", msg, 5, sig),
                     WARD_OK);
    assert_int_equal(ward_verify(ward_test_cp, "test", pub, msg, 5, sig), WARD_OK);
    assert_int_equal(ward_verify(ward_test_cp, "tesT", pub, msg, 5, sig), WARD_ERR_AUTH);
    assert_int_equal(ward_sign_by(ward_test_cp, &ks, WARD_KEY_SE, "test", msg, 5, sig),
                     WARD_ERR_NOTFOUND);

    uint8_t key[32];
    memset(key, 0x11, sizeof key);
    assert_int_equal(ward_seal_to(ward_test_cp, &rng, pub, ad, 2, key, 32, sealed,
                                  sizeof sealed, &n), WARD_OK);
    assert_int_equal(ward_seal_open_by(ward_test_cp, &ks, WARD_KEY_APP_CLIENT, pub, ad, 2,
                                       sealed, n, out, sizeof out, &n), WARD_OK);
    assert_memory_equal(out, key, 32);
    n = sizeof sealed;
    sealed[40] ^= 1;  /* E off the curve */
    assert_int_equal(ward_seal_open_by(ward_test_cp, &ks, WARD_KEY_APP_CLIENT, pub, ad, 2,
                                       sealed, n, out, sizeof out, &n), WARD_ERR_FORMAT);

    /* The escrow: made by handle, opened with the exported key loaded
     * into another keystore (the key file's way), and the reverse. */
    uint8_t esc[WARD_ESCROW_LEN], got[32];
    const uint8_t sn[] = "LOCK-1", uid[] = "alice";
    assert_int_equal(ward_escrow_make_by(ward_test_cp, &rng, &ks, WARD_KEY_APP_CLIENT, pub, sn,
                                         6, uid, 5, key, esc), WARD_OK);
    assert_int_equal(ward_escrow_open_by(ward_test_cp, ward_test_key(priv), WARD_TEST_KEY, pub,
                                         sn, 6, uid, 5, esc, got), WARD_OK);
    assert_memory_equal(got, key, 32);
    assert_int_equal(ward_escrow_make_by(ward_test_cp, &rng, ward_test_key(priv), WARD_TEST_KEY,
                                         pub, sn, 6, uid, 5, key, esc), WARD_OK);
    memset(got, 0, sizeof got);
    assert_int_equal(ward_escrow_open_by(ward_test_cp, &ks, WARD_KEY_APP_CLIENT, pub, sn, 6,
                                         uid, 5, esc, got), WARD_OK);
    assert_memory_equal(got, key, 32);
    esc[WARD_ESCROW_LEN - 1] ^= 1;
    assert_int_equal(ward_escrow_open_by(ward_test_cp, &ks, WARD_KEY_APP_CLIENT, pub, sn, 6,
                                         uid, 5, esc, got), WARD_ERR_AUTH);

    /* The activation, signed by a factory key in a keystore. */
    ward_activation a, back;
    uint8_t act[WARD_ACTIVATION_MAX], fpub[65];
    assert_int_equal(ks.generate(ks.ctx, WARD_KEY_FACTORY, fpub), WARD_OK);
    memset(&a, 0, sizeof a);
    a.sn = sn;
    a.sn_len = 6;
    a.lock_pub = pub;
    assert_int_equal(ward_activation_sign_by(ward_test_cp, &ks, WARD_KEY_FACTORY, &a, act,
                                             sizeof act, &n), WARD_OK);
    assert_int_equal(ward_activation_verify(ward_test_cp, fpub, act, n, &back), WARD_OK);
    assert_int_equal(ward_activation_verify(ward_test_cp, pub, act, n, &back), WARD_ERR_AUTH);
    ward_keystore_soft_wipe(&s);
}

/* The lock made inside a keystore: the record keeps no private key, and
 * flow A and the request signature still verify with its public key. */
static void test_lock_identity_in_keystore(void **state)
{
    (void)state;
    ward_random rng = ward_test_rng();
    ward_keystore_soft s;
    ward_keystore ks;
    uint8_t kpub[65], rec[200], sig[64], d[32];
    size_t len = 0;
    ward_keystore_soft_init(&s, ward_test_cp, &rng, &ks);

    lf_env *e = lf_env_new();
    memset(e->mem, 0xFF, sizeof e->mem);  /* a lock not yet provisioned */
    lf_restart(e);
    ward_lock_use_keystore(&e->lock, &ks);
    assert_int_equal(ward_lock_provision(&e->lock, LF_SN, LF_SN_LEN), WARD_OK);
    assert_int_equal(ward_lock_identity(&e->lock, NULL, NULL, e->lock_pub), WARD_OK);
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_LOCK_IDENTITY, kpub), WARD_OK);
    assert_memory_equal(kpub, e->lock_pub, 65);
    assert_int_equal(ward_store_get(&lock_st(&e->lock)->store, LOCK_REC_IDENTITY, rec,
                                    sizeof rec, &len), WARD_OK);
    uint8_t zero[32] = { 0 };
    assert_memory_equal(rec + ID_OFF_PRIV, zero, 32);
    /* Provisioning again with the same SN changes nothing. */
    assert_int_equal(ward_lock_provision(&e->lock, LF_SN, LF_SN_LEN), WARD_OK);

    const char base[] = "\"@method\": POST\n";
    assert_int_equal(ward_lock_sign_request(&e->lock, base, sizeof base - 1, sig), WARD_OK);
    ward_iov part = { (const uint8_t *)base, sizeof base - 1 };
    assert_int_equal(ward_test_cp->sha256(&part, 1, d), WARD_OK);
    assert_int_equal(ward_test_cp->ecdsa_p256_verify(e->lock_pub, d, sig), WARD_OK);

    /* Flow A end to end: the confirmation verifies with the key in ks. */
    lf_app a;
    lf_app_init(&a, "alice");
    assert_int_equal(lf_bind(e, &a), WARD_ROLE_OWNER);

    /* Opened without its keystore, the lock cannot sign, and says so. */
    lf_restart(e);
    assert_int_equal(ward_lock_sign_request(&e->lock, base, sizeof base - 1, sig),
                     WARD_ERR_STATE);
    lf_env_free(e);
    ward_keystore_soft_wipe(&s);
}

/* A lock provisioned in software ignores a keystore given later: its key
 * stays the record's. */
static void test_lock_software_ignores_keystore(void **state)
{
    (void)state;
    ward_random rng = ward_test_rng();
    ward_keystore_soft s;
    ward_keystore ks;
    uint8_t sig[64], d[32];
    ward_keystore_soft_init(&s, ward_test_cp, &rng, &ks);
    lf_env *e = lf_env_new();
    ward_lock_use_keystore(&e->lock, &ks);
    const char base[] = "\"@method\": GET\n";
    assert_int_equal(ward_lock_sign_request(&e->lock, base, sizeof base - 1, sig), WARD_OK);
    ward_iov part = { (const uint8_t *)base, sizeof base - 1 };
    assert_int_equal(ward_test_cp->sha256(&part, 1, d), WARD_OK);
    assert_int_equal(ward_test_cp->ecdsa_p256_verify(e->lock_pub, d, sig), WARD_OK);
    uint8_t kpub[65];
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_LOCK_IDENTITY, kpub), WARD_ERR_NOTFOUND);
    lf_env_free(e);
}

/* A device keeps its identity in the lock's record: by the device's id. */
static void test_device_identity_id(void **state)
{
    (void)state;
    ward_random rng = ward_test_rng();
    ward_keystore_soft s;
    ward_keystore ks;
    uint8_t kpub[65];
    ward_keystore_soft_init(&s, ward_test_cp, &rng, &ks);
    lf_env *e = lf_env_new();
    memset(e->mem, 0xFF, sizeof e->mem);
    lf_restart(e);
    ward_lock_use_keystore_as(&e->lock, &ks, WARD_KEY_DEVICE_IDENTITY);
    assert_int_equal(ward_lock_provision(&e->lock, LF_SN, LF_SN_LEN), WARD_OK);
    assert_int_equal(ward_lock_identity(&e->lock, NULL, NULL, e->lock_pub), WARD_OK);
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_LOCK_IDENTITY, kpub), WARD_ERR_NOTFOUND);
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_DEVICE_IDENTITY, kpub), WARD_OK);
    assert_memory_equal(kpub, e->lock_pub, 65);
    lf_env_free(e);
    ward_keystore_soft_wipe(&s);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_soft_generate_sign_ecdh),
        cmocka_unit_test(test_soft_load_export),
        cmocka_unit_test(test_by_handle_matches_raw),
        cmocka_unit_test(test_lock_identity_in_keystore),
        cmocka_unit_test(test_lock_software_ignores_keystore),
        cmocka_unit_test(test_device_identity_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
