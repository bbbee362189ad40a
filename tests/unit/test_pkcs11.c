/* The PKCS#11 keystore (port/pkcs11) on a SoftHSM2 token made in a temporary directory. WARD_TEST_PER_BACKEND WARD_TEST_PKCS11 */
#define _GNU_SOURCE
#include "ward_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/p11-kit.h>

#include "ward/ward_bind.h"
#include "ward/ward_keystore.h"
#include "ward/ward_lock.h"
#include "ward/ward_port_pkcs11.h"
#include "ward/ward_suite.h"
#include "lock_fixture.h"

static char tmpdir[] = "/tmp/ward-p11-XXXXXX";
static const char *module;
static char uri[512];

static const char *find_module(void)
{
    static const char *const paths[] = {
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/local/lib/softhsm/libsofthsm2.so",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (access(paths[i], R_OK) == 0) {
            return paths[i];
        }
    }
    return NULL;
}

/* A token "ward" (user PIN 1234) in a directory of its own, so the test
 * touches no system token. */
static int setup(void **state)
{
    (void)state;
    char conf[256], cmd[512];
    module = find_module();
    if (module == NULL || system("command -v softhsm2-util >/dev/null 2>&1") != 0) {
        module = NULL;
        return 0;
    }
    assert_non_null(mkdtemp(tmpdir));
    snprintf(conf, sizeof conf, "%s/softhsm2.conf", tmpdir);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
            tmpdir);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
    snprintf(cmd, sizeof cmd, "softhsm2-util --init-token --free --label ward --pin 1234 "
             "--so-pin 5678 >/dev/null");
    assert_int_equal(system(cmd), 0);
    snprintf(uri, sizeof uri, "pkcs11:token=ward;object=t?module-path=%s&pin-value=1234",
             module);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    if (module != NULL) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        assert_int_equal(system(cmd), 0);
    }
    return 0;
}

#define NEED_SOFTHSM()                                                       \
    do {                                                                     \
        if (module == NULL) {                                                \
            print_message("SKIP: softhsm2 is not installed "                 \
                          "(scripts/deps.sh installs it)\n");                \
            skip();                                                          \
        }                                                                    \
    } while (0)

static void test_generate_sign_ecdh(void **state)
{
    (void)state;
    NEED_SOFTHSM();
    ward_pkcs11_keystore *p = NULL;
    ward_keystore ks;
    char why[256];
    uint8_t pub[65], pub2[65], d[32], sig[64], peer_priv[32], peer_pub[65], s1[32], s2[32];
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_pkcs11_open(uri, ward_test_cp, &p, &ks, why, sizeof why), WARD_OK);
    assert_string_equal(ks.name, "pkcs11 ward");
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_APP_CLIENT, pub), WARD_ERR_NOTFOUND);
    assert_int_equal(ks.generate(ks.ctx, WARD_KEY_APP_CLIENT, pub), WARD_OK);
    assert_int_equal(ks.generate(ks.ctx, WARD_KEY_APP_CLIENT, pub2), WARD_ERR_STATE);
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_APP_CLIENT, pub2), WARD_OK);
    assert_memory_equal(pub, pub2, 65);
    memset(d, 0xA5, sizeof d);
    assert_int_equal(ks.sign(ks.ctx, WARD_KEY_APP_CLIENT, d, sig), WARD_OK);
    assert_int_equal(ward_test_cp->ecdsa_p256_verify(pub, d, sig), WARD_OK);
    assert_int_equal(ward_p256_keygen(ward_test_cp, &rng, peer_priv, peer_pub), WARD_OK);
    assert_int_equal(ks.ecdh(ks.ctx, WARD_KEY_APP_CLIENT, peer_pub, s1), WARD_OK);
    assert_int_equal(ward_test_cp->p256_ecdh(peer_priv, pub, s2), WARD_OK);
    assert_memory_equal(s1, s2, 32);
    peer_pub[64] ^= 1;
    assert_int_equal(ks.ecdh(ks.ctx, WARD_KEY_APP_CLIENT, peer_pub, s1), WARD_ERR_FORMAT);
    assert_int_equal(ks.sign(ks.ctx, 99, d, sig), WARD_ERR_PARAM);

    /* The suite by handle: an escrow made in the token opens in it. */
    uint8_t key[32], esc[WARD_ESCROW_LEN], got[32];
    const uint8_t sn[] = "LOCK-1", uid[] = "alice";
    memset(key, 0x42, sizeof key);
    assert_int_equal(ward_escrow_make_by(ward_test_cp, &rng, &ks, WARD_KEY_APP_CLIENT, pub, sn,
                                         6, uid, 5, key, esc), WARD_OK);
    assert_int_equal(ward_escrow_open_by(ward_test_cp, &ks, WARD_KEY_APP_CLIENT, pub, sn, 6,
                                         uid, 5, esc, got), WARD_OK);
    assert_memory_equal(got, key, 32);
    ward_pkcs11_close(p);

    /* The key is a token object: it is there after a reopen. */
    assert_int_equal(ward_pkcs11_open(uri, ward_test_cp, &p, &ks, why, sizeof why), WARD_OK);
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_APP_CLIENT, pub2), WARD_OK);
    assert_memory_equal(pub, pub2, 65);
    ward_pkcs11_close(p);
}

/* What the issue asks of the token's keys: CKA_SENSITIVE true,
 * CKA_EXTRACTABLE false, and the module refuses to give CKA_VALUE. */
static void test_key_not_extractable(void **state)
{
    (void)state;
    NEED_SOFTHSM();
    ward_pkcs11_keystore *p = NULL;
    ward_keystore ks;
    uint8_t pub[65];
    assert_int_equal(ward_pkcs11_open(uri, ward_test_cp, &p, &ks, NULL, 0), WARD_OK);
    assert_int_equal(ks.generate(ks.ctx, WARD_KEY_LOCK_IDENTITY, pub), WARD_OK);
    ward_pkcs11_close(p);

    CK_FUNCTION_LIST *m = p11_kit_module_load(module, 0);
    assert_non_null(m);
    assert_int_equal(p11_kit_module_initialize(m), CKR_OK);
    CK_SLOT_ID slots[8];
    CK_ULONG n = 8;
    assert_int_equal(m->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    assert_true(n >= 1);
    CK_SESSION_HANDLE s;
    assert_int_equal(m->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
    assert_int_equal(m->C_Login(s, CKU_USER, (CK_UTF8CHAR *)"1234", 4), CKR_OK);
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    const char label[] = "t-lock-identity";
    CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof cls },
                         { CKA_LABEL, (void *)label, sizeof label - 1 } };
    CK_OBJECT_HANDLE o[2];
    assert_int_equal(m->C_FindObjectsInit(s, t, 2), CKR_OK);
    assert_int_equal(m->C_FindObjects(s, o, 2, &n), CKR_OK);
    m->C_FindObjectsFinal(s);
    assert_int_equal(n, 1);
    CK_BBOOL sens = CK_FALSE, extr = CK_TRUE, never = CK_FALSE;
    CK_ATTRIBUTE a[] = { { CKA_SENSITIVE, &sens, sizeof sens },
                         { CKA_EXTRACTABLE, &extr, sizeof extr },
                         { CKA_NEVER_EXTRACTABLE, &never, sizeof never } };
    assert_int_equal(m->C_GetAttributeValue(s, o[0], a, 3), CKR_OK);
    assert_true(sens == CK_TRUE);
    assert_true(extr == CK_FALSE);
    assert_true(never == CK_TRUE);
    uint8_t val[64];
    CK_ATTRIBUTE v = { CKA_VALUE, val, sizeof val };
    assert_int_equal(m->C_GetAttributeValue(s, o[0], &v, 1), CKR_ATTRIBUTE_SENSITIVE);
    m->C_CloseSession(s);
    p11_kit_module_finalize(m);
    p11_kit_module_release(m);
}

static void test_bad_uris(void **state)
{
    (void)state;
    NEED_SOFTHSM();
    ward_pkcs11_keystore *p = (ward_pkcs11_keystore *)1;
    ward_keystore ks;
    char why[256], u[600];
    assert_int_equal(ward_pkcs11_open("file:/x", ward_test_cp, &p, &ks, why, sizeof why),
                     WARD_ERR_FORMAT);
    assert_null(p);
    assert_non_null(strstr(why, "not a PKCS#11 URI"));
    snprintf(u, sizeof u, "pkcs11:token=nosuch?module-path=%s&pin-value=1234", module);
    assert_int_equal(ward_pkcs11_open(u, ward_test_cp, &p, &ks, why, sizeof why),
                     WARD_ERR_NOTFOUND);
    assert_non_null(strstr(why, "no PKCS#11 token matches"));
    snprintf(u, sizeof u, "pkcs11:token=ward?module-path=%s&pin-value=9999", module);
    assert_int_equal(ward_pkcs11_open(u, ward_test_cp, &p, &ks, why, sizeof why),
                     WARD_ERR_AUTH);
    assert_non_null(strstr(why, "refused the PIN"));
    assert_int_equal(ward_pkcs11_open("pkcs11:token=ward?module-path=/nonexistent.so",
                                      ward_test_cp, &p, &ks, why, sizeof why),
                     WARD_ERR_NOTFOUND);
    assert_non_null(strstr(why, "cannot load"));
    /* The PIN from a file (pin-source), and the modules p11-kit knows
     * (SoftHSM2 registers itself) when no module-path is given. */
    char pinfile[300];
    snprintf(pinfile, sizeof pinfile, "%s/pin", tmpdir);
    FILE *f = fopen(pinfile, "w");
    assert_non_null(f);
    fputs("1234\n", f);
    fclose(f);
    snprintf(u, sizeof u, "pkcs11:token=ward?pin-source=%s", pinfile);
    assert_int_equal(ward_pkcs11_open(u, ward_test_cp, &p, &ks, why, sizeof why), WARD_OK);
    ward_pkcs11_close(p);
}

/* A lock whose identity key is made in the token: flow A end to end. */
static void test_lock_in_token(void **state)
{
    (void)state;
    NEED_SOFTHSM();
    ward_pkcs11_keystore *p = NULL;
    ward_keystore ks;
    char u[600];
    snprintf(u, sizeof u, "pkcs11:token=ward;object=lk?module-path=%s&pin-value=1234", module);
    assert_int_equal(ward_pkcs11_open(u, ward_test_cp, &p, &ks, NULL, 0), WARD_OK);
    lf_env *e = lf_env_new();
    memset(e->mem, 0xFF, sizeof e->mem);
    lf_restart(e);
    ward_lock_use_keystore(&e->lock, &ks);
    assert_int_equal(ward_lock_provision(&e->lock, LF_SN, LF_SN_LEN), WARD_OK);
    assert_int_equal(ward_lock_identity(&e->lock, NULL, NULL, e->lock_pub), WARD_OK);
    uint8_t kpub[65];
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_LOCK_IDENTITY, kpub), WARD_OK);
    assert_memory_equal(kpub, e->lock_pub, 65);
    lf_app a;
    lf_app_init(&a, "alice");
    assert_int_equal(lf_bind(e, &a), WARD_ROLE_OWNER);
    lf_env_free(e);
    ward_pkcs11_close(p);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_sign_ecdh),
        cmocka_unit_test(test_key_not_extractable),
        cmocka_unit_test(test_bad_uris),
        cmocka_unit_test(test_lock_in_token),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
