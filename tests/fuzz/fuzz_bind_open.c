/* libFuzzer harness for the lock opening bind data: raw blobs, mutated valid
 * blobs, and arbitrary bodies sealed correctly under K. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_port_openssl.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t K[WARD_BIND_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t TID[WARD_TASK_ID_LEN] = { 0xA5, 0x5A };
static const uint8_t SN[] = "LOCK-0001";
#define SN_LEN (sizeof SN - 1)

static uint8_t plain[WARD_BIND_DATA_BODY_MAX];

static ward_err open_blob(const uint8_t *blob, size_t len, ward_bind_data *d)
{
    ward_err err = ward_bind_open(ward_crypto_openssl(), K, TID, SN, SN_LEN,
                                  blob, len, plain, sizeof plain, d);
    if (err != WARD_OK) {
        for (size_t i = 0; i < sizeof plain; i++) {
            CHECK(plain[i] == 0);
        }
    }
    return err;
}

/* An opened body re-seals to one that opens to the same fields. */
static void check_round_trip(const ward_bind_data *d)
{
    uint32_t s = 7;
    ward_random rng = fuzz_rng(&s);
    uint8_t blob[WARD_BIND_BLOB_MAX], plain2[WARD_BIND_DATA_BODY_MAX];
    size_t len = 0;
    ward_bind_data d2;
    CHECK(d->sn_len == SN_LEN || d->sn_len >= 1);
    CHECK(ward_bind_seal(ward_crypto_openssl(), &rng, K, TID, d, blob,
                         sizeof blob, &len) == WARD_OK);
    /* The blob is bound to the SN it names; only ours opens here. */
    if (d->sn_len != SN_LEN || memcmp(d->sn, SN, SN_LEN) != 0) {
        return;
    }
    CHECK(ward_bind_open(ward_crypto_openssl(), K, TID, SN, SN_LEN, blob, len,
                         plain2, sizeof plain2, &d2) == WARD_OK);
    CHECK(d2.uid_len == d->uid_len && memcmp(d2.uid, d->uid, d->uid_len) == 0);
    CHECK(memcmp(d2.auth_key, d->auth_key, WARD_AUTH_KEY_LEN) == 0);
    CHECK(d2.phone_len == d->phone_len);
}

/* Seals body under K the way an app would (the draft's construction). */
static size_t seal_body(const uint8_t *body, size_t n, uint8_t *blob)
{
    const ward_crypto *cp = ward_crypto_openssl();
    uint8_t key[WARD_AEAD_KEY_LEN], ctx[WARD_TASK_ID_LEN + SN_LEN];
    uint8_t ad[WARD_HDR_BASE_LEN + sizeof ctx];
    size_t ct = 0, sealed = WARD_AEAD_NONCE_LEN + n + WARD_AEAD_TAG_LEN;
    memcpy(ctx, TID, WARD_TASK_ID_LEN);
    memcpy(ctx + WARD_TASK_ID_LEN, SN, SN_LEN);
    CHECK(ward_kdf(cp, WARD_LABEL_BIND_DATA, K, sizeof K, NULL, 0, ctx,
                   sizeof ctx, key, sizeof key) == WARD_OK);
    const uint8_t hdr[WARD_HDR_BASE_LEN] = { 1, WARD_MSG_BIND_DATA,
                                             WARD_FLAG_SEALED, 0, 0, 0, 0, 0,
                                             (uint8_t)(sealed >> 8),
                                             (uint8_t)sealed, 0 };
    memcpy(blob, hdr, sizeof hdr);
    memset(blob + sizeof hdr, 0x33, WARD_AEAD_NONCE_LEN);
    memcpy(ad, hdr, sizeof hdr);
    memcpy(ad + sizeof hdr, ctx, sizeof ctx);
    CHECK(ward_aead_seal(cp, key, blob + sizeof hdr, ad, sizeof ad, body, n,
                         blob + sizeof hdr + WARD_AEAD_NONCE_LEN,
                         WARD_MSG_MAX, &ct) == WARD_OK);
    return sizeof hdr + WARD_AEAD_NONCE_LEN + ct;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t blob[2 * WARD_MSG_MAX];
    ward_bind_data d;
    if (size < 1) {
        return 0;
    }
    uint8_t mode = data[0] % 3;
    data++;
    size--;
    if (mode == 0) {
        /* Whatever wardd might hand over. */
        if (open_blob(data, size, &d) == WARD_OK) {
            check_round_trip(&d);
        }
    } else if (mode == 1) {
        /* A body sealed under K: the parser behind the tag. */
        if (size > WARD_MSG_MAX - 64) {
            return 0;
        }
        size_t len = seal_body(data, size, blob);
        if (open_blob(blob, len, &d) == WARD_OK) {
            check_round_trip(&d);
        }
    } else {
        /* A validly sealed blob with one byte changed (position and
         * mask from the first two input bytes) never opens. */
        if (size < 3 || size > WARD_MSG_MAX - 64) {
            return 0;
        }
        size_t len = seal_body(data + 2, size - 2, blob);
        size_t pos = (((size_t)data[0] << 8) | data[1]) % len;
        blob[pos] ^= (uint8_t)(data[1] | 1u);
        CHECK(open_blob(blob, len, &d) == WARD_ERR_AUTH);
    }
    return 0;
}
