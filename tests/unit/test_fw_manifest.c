/* Firmware manifests (ward_fw.h): sign and verify, and each refusal: another release key, an altered or cut byte, fields out of range, another class. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward/ward_cert.h"
#include "ward/ward_fw.h"
#include "ward/ward_suite.h"

typedef struct key {
    uint8_t priv[WARD_P256_SCALAR_LEN];
    uint8_t pub[WARD_P256_POINT_LEN];
} key;

static key release, other;

static int setup(void **state)
{
    (void)state;
    memset(release.priv, 0x21, sizeof release.priv);
    memset(other.priv, 0x42, sizeof other.priv);
    assert_int_equal(ward_p256_public(ward_test_cp, release.priv, release.pub), WARD_OK);
    assert_int_equal(ward_p256_public(ward_test_cp, other.priv, other.pub), WARD_OK);
    return 0;
}

static ward_fw_manifest sample(void)
{
    ward_fw_manifest m;
    memset(&m, 0, sizeof m);
    m.class_len = 9;
    memcpy(m.dev_class, "lock-k100", 9);
    m.version_len = 5;
    memcpy(m.version, "1.4.2", 5);
    m.counter = 7;
    m.min_counter = 3;
    m.size = 70000;
    memset(m.digest, 0xd1, sizeof m.digest);
    return m;
}

static ward_err sign(const key *k, const ward_fw_manifest *m, uint8_t *out, size_t cap,
                     size_t *len)
{
    return ward_fw_manifest_sign_by(ward_test_cp, ward_test_key(k->priv), WARD_TEST_KEY, m, out,
                                    cap, len);
}

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t buf[WARD_FW_MANIFEST_MAX];
    size_t len = 0;
    ward_fw_manifest m = sample(), got;
    assert_int_equal(sign(&release, &m, buf, sizeof buf, &len), WARD_OK);
    assert_int_equal(len, WARD_FW_MANIFEST_FIXED_LEN + 9 + 5);
    assert_int_equal(ward_fw_manifest_verify(ward_test_cp, release.pub, buf, len, &got), WARD_OK);
    assert_int_equal(got.counter, 7);
    assert_int_equal(got.min_counter, 3);
    assert_int_equal(got.size, 70000);
    assert_memory_equal(got.version, "1.4.2", 5);
    assert_memory_equal(got.digest, m.digest, sizeof m.digest);
    uint8_t kid[WARD_CERT_KEY_ID_LEN];
    assert_int_equal(ward_cert_key_id(ward_test_cp, release.pub, kid), WARD_OK);
    assert_memory_equal(got.key_id, kid, sizeof kid);
    assert_true(ward_fw_manifest_for_class(&got, (const uint8_t *)"lock-k100", 9));
    assert_false(ward_fw_manifest_for_class(&got, (const uint8_t *)"lock-k10", 8));
    assert_false(ward_fw_manifest_for_class(&got, (const uint8_t *)"lock-k200", 9));
    /* No room: nothing written is claimed. */
    assert_int_equal(sign(&release, &m, buf, len - 1, &len), WARD_ERR_NOSPACE);
    assert_int_equal(len, 0);
}

static void test_other_key(void **state)
{
    (void)state;
    uint8_t buf[WARD_FW_MANIFEST_MAX];
    size_t len = 0;
    ward_fw_manifest m = sample(), got;
    assert_int_equal(sign(&other, &m, buf, sizeof buf, &len), WARD_OK);
    assert_int_equal(ward_fw_manifest_verify(ward_test_cp, release.pub, buf, len, &got),
                     WARD_ERR_NOTFOUND);
    /* The key id swapped for the release key's: the signature still fails. */
    uint8_t kid[WARD_CERT_KEY_ID_LEN];
    assert_int_equal(ward_cert_key_id(ward_test_cp, release.pub, kid), WARD_OK);
    memcpy(buf + len - WARD_P256_SIG_LEN - WARD_FW_KEY_ID_LEN, kid, sizeof kid);
    assert_int_equal(ward_fw_manifest_verify(ward_test_cp, release.pub, buf, len, &got),
                     WARD_ERR_AUTH);
    uint8_t zero[sizeof got];
    memset(zero, 0, sizeof zero);
    assert_memory_equal(&got, zero, sizeof got);
}

/* Every single-bit flip and every cut is refused, never accepted. */
static void test_altered_or_cut(void **state)
{
    (void)state;
    uint8_t buf[WARD_FW_MANIFEST_MAX], t[WARD_FW_MANIFEST_MAX + 1];
    size_t len = 0;
    ward_fw_manifest m = sample(), got;
    assert_int_equal(sign(&release, &m, buf, sizeof buf, &len), WARD_OK);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(t, buf, len);
            t[i] ^= (uint8_t)(1u << bit);
            ward_err err = ward_fw_manifest_verify(ward_test_cp, release.pub, t, len, &got);
            assert_int_not_equal(err, WARD_OK);
        }
    }
    for (size_t n = 0; n < len; n++) {
        assert_int_not_equal(ward_fw_manifest_verify(ward_test_cp, release.pub, buf, n, &got),
                             WARD_OK);
    }
    memcpy(t, buf, len);
    t[len] = 0;
    assert_int_equal(ward_fw_manifest_parse(t, len + 1, &got), WARD_ERR_FORMAT);
}

static void test_fields_out_of_range(void **state)
{
    (void)state;
    uint8_t buf[WARD_FW_MANIFEST_MAX];
    size_t len = 0;
    ward_fw_manifest m;
    m = sample(); m.class_len = 0;
    assert_int_equal(sign(&release, &m, buf, sizeof buf, &len), WARD_ERR_PARAM);
    m = sample(); m.class_len = WARD_FW_CLASS_MAX + 1;
    assert_int_equal(sign(&release, &m, buf, sizeof buf, &len), WARD_ERR_PARAM);
    m = sample(); m.dev_class[0] = ' ';
    assert_int_equal(sign(&release, &m, buf, sizeof buf, &len), WARD_ERR_PARAM);
    m = sample(); m.version[1] = '/';
    assert_int_equal(sign(&release, &m, buf, sizeof buf, &len), WARD_ERR_PARAM);
    m = sample(); m.version_len = 0;
    assert_int_equal(sign(&release, &m, buf, sizeof buf, &len), WARD_ERR_PARAM);
    m = sample(); m.min_counter = m.counter + 1;
    assert_int_equal(sign(&release, &m, buf, sizeof buf, &len), WARD_ERR_PARAM);
    m = sample(); m.size = 0;
    assert_int_equal(sign(&release, &m, buf, sizeof buf, &len), WARD_ERR_PARAM);
    m = sample(); m.size = WARD_FW_SIZE_MAX + 1;
    assert_int_equal(sign(&release, &m, buf, sizeof buf, &len), WARD_ERR_PARAM);
    /* The longest one fits the bound. */
    m = sample();
    m.class_len = WARD_FW_CLASS_MAX;
    memset(m.dev_class, 'c', WARD_FW_CLASS_MAX);
    m.version_len = WARD_FW_VERSION_MAX;
    memset(m.version, '9', WARD_FW_VERSION_MAX);
    assert_int_equal(sign(&release, &m, buf, sizeof buf, &len), WARD_OK);
    assert_int_equal(len, WARD_FW_MANIFEST_MAX);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_other_key),
        cmocka_unit_test(test_altered_or_cut),
        cmocka_unit_test(test_fields_out_of_range),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
