/* Flow A's messages: bind data seal/open, confirmation and activation. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward/ward_bind.h"
#include "ward_inner.h"

static const uint8_t SN[] = "LOCK-0001";
static const uint8_t UID[] = "alice@example.org";
static const uint8_t PHONE[] = "+8613800000000";
#define SN_LEN (sizeof SN - 1)
#define UID_LEN (sizeof UID - 1)
#define PHONE_LEN (sizeof PHONE - 1)

typedef struct fixture {
    ward_random rng;
    uint8_t k[WARD_BIND_KEY_LEN];
    uint8_t tid[WARD_TASK_ID_LEN];
    uint8_t client_priv[WARD_P256_SCALAR_LEN];
    uint8_t client_pub[WARD_P256_POINT_LEN];
    uint8_t auth[WARD_AUTH_KEY_LEN];
    uint8_t escrow[WARD_ESCROW_LEN];
    ward_bind_data d;
    uint8_t blob[WARD_BIND_BLOB_MAX];
    size_t blob_len;
} fixture;

static fixture F;

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

static void make_fixture(fixture *f)
{
    const ward_crypto *cp = ward_test_cp;
    f->rng = ward_test_rng();
    assert_int_equal(f->rng.fill(f->rng.ctx, f->k, sizeof f->k), WARD_OK);
    assert_int_equal(f->rng.fill(f->rng.ctx, f->tid, sizeof f->tid), WARD_OK);
    assert_int_equal(f->rng.fill(f->rng.ctx, f->auth, sizeof f->auth), WARD_OK);
    assert_int_equal(ward_p256_keygen(cp, &f->rng, f->client_priv,
                                      f->client_pub), WARD_OK);
    assert_int_equal(ward_escrow_make_by(cp, &f->rng, ward_test_key(f->client_priv), WARD_TEST_KEY,
                                         f->client_pub, SN, SN_LEN, UID, UID_LEN, f->auth,
                                         f->escrow), WARD_OK);
    f->d.sn = SN;
    f->d.sn_len = SN_LEN;
    f->d.uid = UID;
    f->d.uid_len = UID_LEN;
    f->d.client_pub = f->client_pub;
    f->d.auth_key = f->auth;
    f->d.escrow = f->escrow;
    f->d.phone = PHONE;
    f->d.phone_len = PHONE_LEN;
    assert_int_equal(ward_bind_seal(cp, &f->rng, f->k, f->tid, &f->d, f->blob,
                                    sizeof f->blob, &f->blob_len), WARD_OK);
}

static int setup(void **state)
{
    (void)state;
    make_fixture(&F);
    return 0;
}

static ward_err try_open(const uint8_t *k, const uint8_t *tid,
                         const uint8_t *sn, size_t sn_len,
                         const uint8_t *blob, size_t len)
{
    uint8_t plain[WARD_BIND_DATA_BODY_MAX];
    ward_bind_data d;
    memset(plain, 0xAA, sizeof plain);
    ward_err err = ward_bind_open(ward_test_cp, k, tid, sn, sn_len, blob, len,
                                  plain, sizeof plain, &d);
    if (err != WARD_OK) {
        /* Nothing of the plaintext survives a failure. */
        for (size_t i = 0; i < sizeof plain; i++) {
            assert_int_equal(plain[i], 0);
        }
        assert_null(d.uid);
    }
    return err;
}

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t plain[WARD_BIND_DATA_BODY_MAX];
    ward_bind_data d;
    assert_true(F.blob_len <= WARD_BIND_BLOB_MAX);
    assert_int_equal(F.blob[1], WARD_MSG_BIND_DATA);
    assert_int_equal(F.blob[2], WARD_FLAG_SEALED);
    assert_int_equal(ward_bind_open(ward_test_cp, F.k, F.tid, SN, SN_LEN,
                                    F.blob, F.blob_len, plain, sizeof plain,
                                    &d), WARD_OK);
    assert_memory_equal(d.sn, SN, SN_LEN);
    assert_int_equal(d.sn_len, SN_LEN);
    assert_memory_equal(d.uid, UID, UID_LEN);
    assert_int_equal(d.uid_len, UID_LEN);
    assert_memory_equal(d.client_pub, F.client_pub, WARD_P256_POINT_LEN);
    assert_memory_equal(d.auth_key, F.auth, WARD_AUTH_KEY_LEN);
    assert_memory_equal(d.escrow, F.escrow, WARD_ESCROW_LEN);
    assert_memory_equal(d.phone, PHONE, PHONE_LEN);

    /* The escrow opens with the client key to the same auth key. */
    uint8_t a[WARD_AUTH_KEY_LEN];
    assert_int_equal(ward_escrow_open_by(ward_test_cp, ward_test_key(F.client_priv), WARD_TEST_KEY,
                                         F.client_pub, d.sn, d.sn_len, d.uid, d.uid_len, d.escrow,
                                         a), WARD_OK);
    assert_memory_equal(a, F.auth, sizeof a);

    /* Two seals of the same data differ (fresh nonce). */
    uint8_t blob2[WARD_BIND_BLOB_MAX];
    size_t len2 = 0;
    assert_int_equal(ward_bind_seal(ward_test_cp, &F.rng, F.k, F.tid, &F.d,
                                    blob2, sizeof blob2, &len2), WARD_OK);
    assert_int_equal(len2, F.blob_len);
    assert_memory_not_equal(blob2, F.blob, len2);
    assert_int_equal(try_open(F.k, F.tid, SN, SN_LEN, blob2, len2), WARD_OK);
}

/* The escrow: only what the client key signed opens (issue 14, finding
 * 4): wardd can seal to the public key, but not sign with the private. */
static void test_escrow_authenticated(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t a[WARD_AUTH_KEY_LEN], e[WARD_ESCROW_LEN], ad[WARD_ESCROW_AD_MAX];
    uint8_t other_priv[WARD_P256_SCALAR_LEN], other_pub[WARD_P256_POINT_LEN];
    uint8_t msg[WARD_SN_MAX + 1 + WARD_UID_MAX + WARD_ESCROW_SEAL_LEN], k[WARD_AUTH_KEY_LEN];
    size_t ad_len = 0, n = 0;
    assert_int_equal(WARD_ESCROW_SEAL_LEN, 113);
    assert_int_equal(WARD_ESCROW_LEN, 177);
    assert_int_equal(ward_escrow_open_by(cp, ward_test_key(F.client_priv), WARD_TEST_KEY,
                                         F.client_pub, SN, SN_LEN, UID, UID_LEN, F.escrow,
                                         a), WARD_OK);
    assert_memory_equal(a, F.auth, sizeof a);

    /* Planted: a key of the server's choosing sealed to the client key
     * exactly as the app seals, signed by the only key the server has. */
    memset(k, 0x77, sizeof k);
    assert_int_equal(ward_escrow_ad(SN, SN_LEN, UID, UID_LEN, ad, sizeof ad, &ad_len),
                     WARD_OK);
    assert_int_equal(ward_seal_to(cp, &F.rng, F.client_pub, ad, ad_len, k, sizeof k, e,
                                  WARD_ESCROW_SEAL_LEN, &n), WARD_OK);
    assert_int_equal(ward_p256_keygen(cp, &F.rng, other_priv, other_pub), WARD_OK);
    memcpy(msg, SN, SN_LEN);
    msg[SN_LEN] = 0;
    memcpy(msg + SN_LEN + 1, UID, UID_LEN);
    memcpy(msg + SN_LEN + 1 + UID_LEN, e, WARD_ESCROW_SEAL_LEN);
    assert_int_equal(ward_sign(cp, WARD_LABEL_ESCROW, other_priv, msg,
                               SN_LEN + 1 + UID_LEN + WARD_ESCROW_SEAL_LEN,
                               e + WARD_ESCROW_SEAL_LEN), WARD_OK);
    memset(a, 0xAA, sizeof a);
    assert_int_equal(ward_escrow_open_by(cp, ward_test_key(F.client_priv), WARD_TEST_KEY,
                                         F.client_pub, SN, SN_LEN, UID, UID_LEN, e,
                                         a), WARD_ERR_AUTH);
    assert_true(all_zero(a, sizeof a));
    /* The genuine seal with the signature of another escrow. */
    memcpy(e, F.escrow, WARD_ESCROW_SEAL_LEN);
    assert_int_equal(ward_escrow_make_by(cp, &F.rng, ward_test_key(F.client_priv), WARD_TEST_KEY,
                                         F.client_pub, SN, SN_LEN, UID, UID_LEN, k, msg), WARD_OK);
    memcpy(e + WARD_ESCROW_SEAL_LEN, msg + WARD_ESCROW_SEAL_LEN, WARD_P256_SIG_LEN);
    assert_int_equal(ward_escrow_open_by(cp, ward_test_key(F.client_priv), WARD_TEST_KEY,
                                         F.client_pub, SN, SN_LEN, UID, UID_LEN, e,
                                         a), WARD_ERR_AUTH);
    /* A genuine escrow moved to another lock or account, or altered. */
    assert_int_equal(ward_escrow_open_by(cp, ward_test_key(F.client_priv), WARD_TEST_KEY,
                                         F.client_pub, (const uint8_t *)"LOCK-0002", 9, UID,
                                         UID_LEN, F.escrow, a), WARD_ERR_AUTH);
    assert_int_equal(ward_escrow_open_by(cp, ward_test_key(F.client_priv), WARD_TEST_KEY,
                                         F.client_pub, SN, SN_LEN, (const uint8_t *)"bob", 3,
                                         F.escrow, a), WARD_ERR_AUTH);
    for (size_t i = 0; i < WARD_ESCROW_LEN; i += 11) {
        memcpy(e, F.escrow, sizeof e);
        e[i] ^= 0x01;
        assert_int_equal(ward_escrow_open_by(cp, ward_test_key(F.client_priv), WARD_TEST_KEY,
                                             F.client_pub, SN, SN_LEN, UID, UID_LEN, e,
                                             a), WARD_ERR_AUTH);
    }
    /* Another client key neither verifies nor opens it. */
    assert_int_equal(ward_escrow_open_by(cp, ward_test_key(other_priv), WARD_TEST_KEY, other_pub,
                                         SN, SN_LEN, UID, UID_LEN, F.escrow, a), WARD_ERR_AUTH);
    assert_int_equal(ward_escrow_open_by(cp, ward_test_key(F.client_priv), WARD_TEST_KEY,
                                         F.client_pub, (const uint8_t *)"a/b", 3, UID, UID_LEN,
                                         F.escrow, a),
                     WARD_ERR_FORMAT);
}

static void test_every_byte_flipped(void **state)
{
    (void)state;
    uint8_t b[WARD_BIND_BLOB_MAX];
    for (size_t i = 0; i < F.blob_len; i++) {
        for (unsigned bit = 0; bit < 8; bit += 7) {
            memcpy(b, F.blob, F.blob_len);
            b[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(try_open(F.k, F.tid, SN, SN_LEN, b, F.blob_len),
                             WARD_ERR_AUTH);
        }
    }
}

static void test_truncated_and_extended(void **state)
{
    (void)state;
    uint8_t b[WARD_BIND_BLOB_MAX + 1];
    for (size_t n = 0; n < F.blob_len; n++) {
        assert_int_equal(try_open(F.k, F.tid, SN, SN_LEN, F.blob, n),
                         WARD_ERR_AUTH);
    }
    memcpy(b, F.blob, F.blob_len);
    b[F.blob_len] = 0;
    assert_int_equal(try_open(F.k, F.tid, SN, SN_LEN, b, F.blob_len + 1),
                     WARD_ERR_AUTH);
}

static void test_wrong_key_task_sn(void **state)
{
    (void)state;
    uint8_t k2[WARD_BIND_KEY_LEN], tid2[WARD_TASK_ID_LEN];
    memcpy(k2, F.k, sizeof k2);
    k2[31] ^= 1;
    memcpy(tid2, F.tid, sizeof tid2);
    tid2[0] ^= 0x80;
    assert_int_equal(try_open(k2, F.tid, SN, SN_LEN, F.blob, F.blob_len),
                     WARD_ERR_AUTH);
    assert_int_equal(try_open(F.k, tid2, SN, SN_LEN, F.blob, F.blob_len),
                     WARD_ERR_AUTH);
    assert_int_equal(try_open(F.k, F.tid, (const uint8_t *)"LOCK-0002", 9,
                              F.blob, F.blob_len), WARD_ERR_AUTH);
    assert_int_equal(try_open(F.k, F.tid, SN, SN_LEN - 1, F.blob, F.blob_len),
                     WARD_ERR_AUTH);
}

/* A blob sealed for another task (even under the same K), or an older
 * task's blob replayed into a new one, does not open. */
static void test_other_task_and_replay(void **state)
{
    (void)state;
    uint8_t tid2[WARD_TASK_ID_LEN], b[WARD_BIND_BLOB_MAX];
    size_t len = 0;
    memcpy(tid2, F.tid, sizeof tid2);
    tid2[15] ^= 0x01;
    assert_int_equal(ward_bind_seal(ward_test_cp, &F.rng, F.k, tid2, &F.d, b,
                                    sizeof b, &len), WARD_OK);
    assert_int_equal(try_open(F.k, F.tid, SN, SN_LEN, b, len), WARD_ERR_AUTH);
    assert_int_equal(try_open(F.k, tid2, SN, SN_LEN, b, len), WARD_OK);

    fixture *newer = test_malloc(sizeof *newer);
    make_fixture(newer);
    assert_int_equal(try_open(newer->k, newer->tid, SN, SN_LEN, F.blob,
                              F.blob_len), WARD_ERR_AUTH);
    assert_int_equal(try_open(newer->k, newer->tid, SN, SN_LEN, newer->blob,
                              newer->blob_len), WARD_OK);
    test_free(newer);
}

/* Sealed correctly under K (the construction of the draft, rebuilt here
 * from ward_kdf and ward_aead_seal) but with a bad body: FORMAT. */
static ward_err open_crafted_body(const uint8_t *body, size_t body_len)
{
    const ward_crypto *cp = ward_test_cp;
    uint8_t key[WARD_AEAD_KEY_LEN], ctx[WARD_TASK_ID_LEN + SN_LEN];
    uint8_t blob[WARD_MSG_MAX], ad[WARD_HDR_BASE_LEN + sizeof ctx];
    size_t ct_len = 0;
    memcpy(ctx, F.tid, WARD_TASK_ID_LEN);
    memcpy(ctx + WARD_TASK_ID_LEN, SN, SN_LEN);
    assert_int_equal(ward_kdf(cp, WARD_LABEL_BIND_DATA, F.k, sizeof F.k, NULL,
                              0, ctx, sizeof ctx, key, sizeof key), WARD_OK);
    size_t sealed = WARD_AEAD_NONCE_LEN + body_len + WARD_AEAD_TAG_LEN;
    const uint8_t hdr[WARD_HDR_BASE_LEN] = { 1, WARD_MSG_BIND_DATA,
                                             WARD_FLAG_SEALED, 0, 0, 0, 0, 0,
                                             (uint8_t)(sealed >> 8),
                                             (uint8_t)sealed, 0 };
    memcpy(blob, hdr, sizeof hdr);
    memset(blob + sizeof hdr, 0x42, WARD_AEAD_NONCE_LEN);
    memcpy(ad, hdr, sizeof hdr);
    memcpy(ad + sizeof hdr, ctx, sizeof ctx);
    assert_int_equal(ward_aead_seal(cp, key, blob + sizeof hdr, ad, sizeof ad,
                                    body, body_len,
                                    blob + sizeof hdr + WARD_AEAD_NONCE_LEN,
                                    sizeof blob - sizeof hdr -
                                        WARD_AEAD_NONCE_LEN,
                                    &ct_len), WARD_OK);
    return try_open(F.k, F.tid, SN, SN_LEN, blob, sizeof hdr +
                    WARD_AEAD_NONCE_LEN + ct_len);
}

static size_t body_with(uint8_t *out, size_t cap, const uint8_t *phone,
                        size_t phone_len, const uint8_t *pub, bool extra)
{
    ward_tlv_writer w;
    size_t len = 0;
    ward_tlv_writer_init(&w, out, cap);
    ward_tlv_put(&w, 0x01, SN, SN_LEN);
    ward_tlv_put(&w, 0x02, UID, UID_LEN);
    ward_tlv_put(&w, 0x03, pub, WARD_P256_POINT_LEN);
    ward_tlv_put(&w, 0x04, F.auth, WARD_AUTH_KEY_LEN);
    ward_tlv_put(&w, 0x05, F.escrow, WARD_ESCROW_LEN);
    ward_tlv_put(&w, 0x06, phone, phone_len);
    if (extra) {
        ward_tlv_put(&w, 0x07, (const uint8_t *)"x", 1);
    }
    assert_int_equal(ward_tlv_writer_finish(&w, &len), WARD_OK);
    return len;
}

static void test_sealed_but_malformed(void **state)
{
    (void)state;
    uint8_t body[WARD_BIND_DATA_BODY_MAX + 8], bad_pub[WARD_P256_POINT_LEN];
    size_t n;
    n = body_with(body, sizeof body, PHONE, PHONE_LEN, F.client_pub, false);
    assert_int_equal(open_crafted_body(body, n), WARD_OK);
    n = body_with(body, sizeof body, PHONE, PHONE_LEN, F.client_pub, true);
    assert_int_equal(open_crafted_body(body, n), WARD_ERR_FORMAT);
    n = body_with(body, sizeof body, (const uint8_t *)"12a45", 5,
                  F.client_pub, false);
    assert_int_equal(open_crafted_body(body, n), WARD_ERR_FORMAT);
    memcpy(bad_pub, F.client_pub, sizeof bad_pub);
    bad_pub[64] ^= 1;
    n = body_with(body, sizeof body, PHONE, PHONE_LEN, bad_pub, false);
    assert_int_equal(open_crafted_body(body, n), WARD_ERR_FORMAT);
    assert_int_equal(open_crafted_body(body, 0), WARD_ERR_FORMAT);
}

static void test_seal_refuses_bad_data(void **state)
{
    (void)state;
    uint8_t b[WARD_BIND_BLOB_MAX];
    size_t len = 0;
    ward_bind_data d = F.d;
    d.phone = (const uint8_t *)"123";
    d.phone_len = 3;
    assert_int_equal(ward_bind_seal(ward_test_cp, &F.rng, F.k, F.tid, &d, b,
                                    sizeof b, &len), WARD_ERR_PARAM);
    d = F.d;
    d.uid = (const uint8_t *)"a b";
    d.uid_len = 3;
    assert_int_equal(ward_bind_seal(ward_test_cp, &F.rng, F.k, F.tid, &d, b,
                                    sizeof b, &len), WARD_ERR_PARAM);
    assert_int_equal(ward_bind_seal(ward_test_cp, &F.rng, F.k, F.tid, &F.d, b,
                                    F.blob_len - 1, &len), WARD_ERR_NOSPACE);
}

static void test_ids(void **state)
{
    (void)state;
    uint8_t long_id[WARD_UID_MAX + 1];
    memset(long_id, 'a', sizeof long_id);
    assert_int_equal(ward_check_sn(SN, SN_LEN), WARD_OK);
    assert_int_equal(ward_check_sn((const uint8_t *)"a@b", 3), WARD_ERR_FORMAT);
    assert_int_equal(ward_check_sn(long_id, WARD_SN_MAX), WARD_OK);
    assert_int_equal(ward_check_sn(long_id, WARD_SN_MAX + 1), WARD_ERR_FORMAT);
    assert_int_equal(ward_check_sn(long_id, 0), WARD_ERR_FORMAT);
    assert_int_equal(ward_check_uid(UID, UID_LEN), WARD_OK);
    assert_int_equal(ward_check_uid(long_id, WARD_UID_MAX), WARD_OK);
    assert_int_equal(ward_check_uid(long_id, WARD_UID_MAX + 1),
                     WARD_ERR_FORMAT);
    assert_int_equal(ward_check_uid((const uint8_t *)"a\"b", 3),
                     WARD_ERR_FORMAT);
    assert_int_equal(ward_check_phone(PHONE, PHONE_LEN), WARD_OK);
    assert_int_equal(ward_check_phone((const uint8_t *)"12345", 5), WARD_OK);
    assert_int_equal(ward_check_phone((const uint8_t *)"1234", 4),
                     WARD_ERR_FORMAT);
    assert_int_equal(ward_check_phone((const uint8_t *)"123+45", 6),
                     WARD_ERR_FORMAT);
    assert_int_equal(ward_check_phone((const uint8_t *)"123456789012345678901",
                                      21), WARD_ERR_FORMAT);
}

/* ---- confirmation and activation ---- */

static void keypair(uint8_t priv[32], uint8_t pub[65])
{
    ward_random rng = ward_test_rng();
    assert_int_equal(ward_p256_keygen(ward_test_cp, &rng, priv, pub), WARD_OK);
}

static ward_bind_confirm sample_confirm(void)
{
    ward_bind_confirm c;
    c.sn = SN;
    c.sn_len = SN_LEN;
    c.uid = UID;
    c.uid_len = UID_LEN;
    c.client_pub = F.client_pub;
    c.tid = F.tid;
    c.escrow = F.escrow;
    c.role = WARD_ROLE_MEMBER;
    c.time_ms = 1700000000123ull;
    return c;
}

static void test_confirm(void **state)
{
    (void)state;
    uint8_t priv[32], pub[65], priv2[32], pub2[65];
    uint8_t m[WARD_BIND_CONFIRM_MAX], t[WARD_BIND_CONFIRM_MAX];
    size_t len = 0;
    ward_bind_confirm c = sample_confirm(), got;
    keypair(priv, pub);
    keypair(priv2, pub2);
    assert_int_equal(ward_bind_confirm_sign_by(ward_test_cp, ward_test_key(priv), WARD_TEST_KEY, &c,
                                               m, sizeof m, &len), WARD_OK);
    assert_true(len <= WARD_BIND_CONFIRM_MAX);
    assert_int_equal(ward_bind_confirm_verify(ward_test_cp, pub, m, len, &got),
                     WARD_OK);
    assert_memory_equal(got.sn, SN, SN_LEN);
    assert_memory_equal(got.uid, UID, UID_LEN);
    assert_memory_equal(got.client_pub, F.client_pub, 65);
    assert_memory_equal(got.tid, F.tid, 16);
    assert_memory_equal(got.escrow, F.escrow, WARD_ESCROW_LEN);
    assert_int_equal(got.role, WARD_ROLE_MEMBER);
    assert_true(got.time_ms == 1700000000123ull);

    assert_int_equal(ward_bind_confirm_verify(ward_test_cp, pub2, m, len, &got),
                     WARD_ERR_AUTH);
    assert_null(got.sn);
    for (size_t i = 0; i < len; i++) {
        memcpy(t, m, len);
        t[i] ^= 0x01;
        assert_int_equal(ward_bind_confirm_verify(ward_test_cp, pub, t, len,
                                                  &got), WARD_ERR_AUTH);
    }
    for (size_t n = 0; n < len; n++) {
        assert_int_equal(ward_bind_confirm_verify(ward_test_cp, pub, m, n,
                                                  &got), WARD_ERR_AUTH);
    }
    /* A signature under another label (the activation's) does not do. */
    ward_activation a = { SN, SN_LEN, pub };
    assert_int_equal(ward_activation_sign_by(ward_test_cp, ward_test_key(priv), WARD_TEST_KEY, &a,
                                             t, sizeof t, &len), WARD_OK);
    assert_int_equal(ward_bind_confirm_verify(ward_test_cp, pub, t, len, &got),
                     WARD_ERR_AUTH);
    c.role = 3;
    assert_int_equal(ward_bind_confirm_sign_by(ward_test_cp, ward_test_key(priv), WARD_TEST_KEY, &c,
                                               m, sizeof m, &len), WARD_ERR_PARAM);
    c = sample_confirm();
    assert_int_equal(ward_bind_confirm_sign_by(ward_test_cp, ward_test_key(priv), WARD_TEST_KEY, &c,
                                               m, 100, &len), WARD_ERR_NOSPACE);
}

/* Signs header || fields exactly as a lock would, for malformed fields. */
static size_t sign_raw(const uint8_t priv[32], const char *label,
                       uint8_t type, ward_tlv_writer *w, uint8_t *out)
{
    size_t fields = 0;
    assert_int_equal(ward_tlv_writer_finish(w, &fields), WARD_OK);
    size_t body = fields + 66;
    out[0] = 1;
    out[1] = type;
    memset(out + 2, 0, 6);
    out[8] = (uint8_t)(body >> 8);
    out[9] = (uint8_t)body;
    out[10] = 0;
    uint8_t sig[64];
    assert_int_equal(ward_sign(ward_test_cp, label, priv, out,
                               WARD_HDR_BASE_LEN + fields, sig), WARD_OK);
    out[WARD_HDR_BASE_LEN + fields] = 0xFE;
    out[WARD_HDR_BASE_LEN + fields + 1] = 64;
    memcpy(out + WARD_HDR_BASE_LEN + fields + 2, sig, 64);
    return WARD_HDR_BASE_LEN + body;
}

static size_t confirm_raw(const uint8_t priv[32], uint8_t role,
                          const uint8_t *sn, size_t sn_len, bool extra,
                          uint8_t *out)
{
    ward_tlv_writer w;
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, WARD_MSG_MAX - 100);
    ward_tlv_put(&w, 0x01, sn, sn_len);
    ward_tlv_put(&w, 0x02, UID, UID_LEN);
    ward_tlv_put(&w, 0x03, F.client_pub, 65);
    ward_tlv_put(&w, 0x04, F.tid, 16);
    ward_tlv_put(&w, 0x05, F.escrow, WARD_ESCROW_LEN);
    ward_tlv_put_u8(&w, 0x06, role);
    ward_tlv_put_u64(&w, 0x07, 5);
    if (extra) {
        ward_tlv_put(&w, 0x08, (const uint8_t *)"?", 1);
    }
    return sign_raw(priv, WARD_LABEL_BIND_CONFIRM, WARD_MSG_BIND_CONFIRM, &w,
                    out);
}

static void test_confirm_malformed(void **state)
{
    (void)state;
    uint8_t priv[32], pub[65], m[WARD_MSG_MAX];
    ward_bind_confirm got;
    size_t len;
    keypair(priv, pub);
    len = confirm_raw(priv, 2, SN, SN_LEN, false, m);
    assert_int_equal(ward_bind_confirm_verify(ward_test_cp, pub, m, len, &got),
                     WARD_OK);
    len = confirm_raw(priv, 3, SN, SN_LEN, false, m);
    assert_int_equal(ward_bind_confirm_verify(ward_test_cp, pub, m, len, &got),
                     WARD_ERR_FORMAT);
    len = confirm_raw(priv, 0, (const uint8_t *)"LOCK 1", 6, false, m);
    assert_int_equal(ward_bind_confirm_verify(ward_test_cp, pub, m, len, &got),
                     WARD_ERR_FORMAT);
    len = confirm_raw(priv, 0, SN, SN_LEN, true, m);
    assert_int_equal(ward_bind_confirm_verify(ward_test_cp, pub, m, len, &got),
                     WARD_ERR_FORMAT);
    /* Validly signed, but the header says another type. */
    len = confirm_raw(priv, 0, SN, SN_LEN, false, m);
    m[1] = WARD_MSG_ACTIVATION;
    uint8_t sig[64];
    assert_int_equal(ward_sign(ward_test_cp, WARD_LABEL_BIND_CONFIRM, priv, m,
                               len - 66, sig), WARD_OK);
    memcpy(m + len - 64, sig, 64);
    assert_int_equal(ward_bind_confirm_verify(ward_test_cp, pub, m, len, &got),
                     WARD_ERR_FORMAT);
}

static void test_activation(void **state)
{
    (void)state;
    uint8_t fpriv[32], fpub[65], lpriv[32], lpub[65], m[WARD_MSG_MAX];
    uint8_t t[WARD_MSG_MAX];
    size_t len = 0;
    ward_activation a, got;
    keypair(fpriv, fpub);
    keypair(lpriv, lpub);
    a.sn = SN;
    a.sn_len = SN_LEN;
    a.lock_pub = lpub;
    assert_int_equal(ward_activation_sign_by(ward_test_cp, ward_test_key(fpriv), WARD_TEST_KEY, &a,
                                             m, sizeof m, &len), WARD_OK);
    assert_true(len <= WARD_ACTIVATION_MAX);
    assert_int_equal(ward_activation_verify(ward_test_cp, fpub, m, len, &got),
                     WARD_OK);
    assert_memory_equal(got.sn, SN, SN_LEN);
    assert_memory_equal(got.lock_pub, lpub, 65);
    assert_int_equal(ward_activation_verify(ward_test_cp, lpub, m, len, &got),
                     WARD_ERR_AUTH);
    for (size_t i = 0; i < len; i++) {
        memcpy(t, m, len);
        t[i] ^= 0x10;
        assert_int_equal(ward_activation_verify(ward_test_cp, fpub, t, len,
                                                &got), WARD_ERR_AUTH);
    }
    /* Signed by the factory but with a key off the curve: FORMAT. */
    ward_tlv_writer w;
    uint8_t bad[65];
    memcpy(bad, lpub, 65);
    bad[40] ^= 1;
    ward_tlv_writer_init(&w, m + WARD_HDR_BASE_LEN, 200);
    ward_tlv_put(&w, 0x01, SN, SN_LEN);
    ward_tlv_put(&w, 0x02, bad, 65);
    len = sign_raw(fpriv, WARD_LABEL_ACTIVATE, WARD_MSG_ACTIVATION, &w, m);
    assert_int_equal(ward_activation_verify(ward_test_cp, fpub, m, len, &got),
                     WARD_ERR_FORMAT);
    ward_tlv_writer_init(&w, m + WARD_HDR_BASE_LEN, 200);
    ward_tlv_put(&w, 0x01, SN, SN_LEN);
    len = sign_raw(fpriv, WARD_LABEL_ACTIVATE, WARD_MSG_ACTIVATION, &w, m);
    assert_int_equal(ward_activation_verify(ward_test_cp, fpub, m, len, &got),
                     WARD_ERR_FORMAT);
    a.lock_pub = bad;
    assert_int_equal(ward_activation_sign_by(ward_test_cp, ward_test_key(fpriv), WARD_TEST_KEY, &a,
                                             m, sizeof m, &len), WARD_ERR_PARAM);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_escrow_authenticated),
        cmocka_unit_test(test_every_byte_flipped),
        cmocka_unit_test(test_truncated_and_extended),
        cmocka_unit_test(test_wrong_key_task_sn),
        cmocka_unit_test(test_other_task_and_replay),
        cmocka_unit_test(test_sealed_but_malformed),
        cmocka_unit_test(test_seal_refuses_bad_data),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_confirm),
        cmocka_unit_test(test_confirm_malformed),
        cmocka_unit_test(test_activation),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
