/* Writes the seed corpora of the flow A message harnesses (bind_open,
 * bind_confirm) into tests/fuzz/corpus/: real sealed and signed messages,
 * which need the crypto the Python generators lack. Built with the fuzz
 * targets (not instrumented); run after a change of the messages:
 *
 *     build-fuzz/tests/fuzz/gen_corpus_bind tests/fuzz/corpus
 *
 * The keys are fixed (fuzz_bind_open.c's K, TID and SN; fuzz_bind_confirm.c's
 * lock key); ECDSA signatures differ from run to run. */
#include <stdio.h>
#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_port_openssl.h"
#include "fuzz_common.h"
#include "gen_corpus.h"

static const uint8_t K[WARD_BIND_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t TID[WARD_TASK_ID_LEN] = { 0xA5, 0x5A };
static const uint8_t SN[] = "LOCK-0001";
static const uint8_t UID[] = "alice@example.org";
static const uint8_t PHONE[] = "+8613800000000";
static const uint8_t LOCK_PRIV[WARD_P256_SCALAR_LEN] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static int put(const char *dir, const char *sub, const char *name, uint8_t mode,
               int with_mode, const uint8_t *data, size_t len)
{
    return gc_put_with("gen_corpus_bind", dir, sub, name, &mode, with_mode ? 1 : 0, data, len);
}

static size_t tlv(uint8_t *p, uint8_t tag, const uint8_t *v, size_t n)
{
    p[0] = tag;
    p[1] = (uint8_t)n;
    memcpy(p + 2, v, n);
    return 2 + n;
}

int main(int argc, char **argv)
{
    const ward_crypto *cp = ward_crypto_openssl();
    uint32_t seed = 1;
    ward_random rng = fuzz_rng(&seed);
    /* The app's and the lock's keys, used by handle as the library takes
     * long-term keys: the app's made in a software keystore, the lock's
     * (fixed, fuzz_bind_confirm.c's) loaded into it. */
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN], auth[WARD_AUTH_KEY_LEN];
    uint8_t escrow[WARD_ESCROW_LEN], body[WARD_BIND_DATA_BODY_MAX];
    uint8_t blob[WARD_BIND_BLOB_MAX], msg[WARD_BIND_CONFIRM_MAX];
    size_t n = 0, len = 0;
    const char *dir = gc_corpus_dir(argc, argv, "gen_corpus_bind");
    if (dir == NULL) {
        return 2;
    }
    memset(auth, 0x42, sizeof auth);
    ward_keystore_soft_init(&soft, cp, &rng, &ks);
    if (ks.generate(ks.ctx, WARD_KEY_APP_CLIENT, pub) != WARD_OK ||
        ward_keystore_soft_load(&soft, WARD_KEY_LOCK_IDENTITY, LOCK_PRIV) != WARD_OK ||
        ward_escrow_make_by(cp, &rng, &ks, WARD_KEY_APP_CLIENT, pub, SN, sizeof SN - 1, UID,
                            sizeof UID - 1, auth, escrow) != WARD_OK) {
        fprintf(stderr, "gen_corpus_bind: crypto failed\n");
        return 1;
    }
    ward_bind_data d = { SN, sizeof SN - 1, UID, sizeof UID - 1, pub, auth, escrow,
                         PHONE, sizeof PHONE - 1 };
    /* The body as the app writes it (docs/protocol.md, BIND_DATA). */
    n += tlv(body + n, 0x01, SN, sizeof SN - 1);
    n += tlv(body + n, 0x02, UID, sizeof UID - 1);
    n += tlv(body + n, 0x03, pub, sizeof pub);
    n += tlv(body + n, 0x04, auth, sizeof auth);
    n += tlv(body + n, 0x05, escrow, sizeof escrow);
    n += tlv(body + n, 0x06, PHONE, sizeof PHONE - 1);
    if (ward_bind_seal(cp, &rng, K, TID, &d, blob, sizeof blob, &len) != WARD_OK) {
        fprintf(stderr, "gen_corpus_bind: seal failed\n");
        return 1;
    }
    /* fuzz_bind_open: mode byte 0 raw blob, 1 body sealed by the harness,
     * 2 position and mask then a body. */
    uint8_t mutated[2 + sizeof body] = { 0x00, 0x10 };
    memcpy(mutated + 2, body, n);
    int rc = put(dir, "bind_open", "valid_blob", 0, 1, blob, len) |
             put(dir, "bind_open", "valid_body", 1, 1, body, n) |
             put(dir, "bind_open", "short_body", 1, 1, body, 29) |
             put(dir, "bind_open", "mutated_blob", 2, 1, mutated, 2 + n);

    /* fuzz_bind_confirm: the lock's signed confirmations. */
    uint8_t lock_pub[WARD_P256_POINT_LEN];
    if (ward_p256_public(cp, LOCK_PRIV, lock_pub) != WARD_OK) {
        return 1;
    }
    ward_bind_confirm c = { SN, sizeof SN - 1, UID, sizeof UID - 1, pub, TID, escrow,
                            WARD_ROLE_OWNER, 1700000000000ull };
    if (ward_bind_confirm_sign_by(cp, &ks, WARD_KEY_LOCK_IDENTITY, &c, msg, sizeof msg,
                                  &len) != WARD_OK) {
        return 1;
    }
    rc |= put(dir, "bind_confirm", "valid_owner", 0, 0, msg, len) |
          put(dir, "bind_confirm", "short", 0, 0, msg, 20);
    msg[len - 1] ^= 0x01;
    rc |= put(dir, "bind_confirm", "bad_sig", 0, 0, msg, len);
    c.role = WARD_ROLE_MEMBER;
    if (ward_bind_confirm_sign_by(cp, &ks, WARD_KEY_LOCK_IDENTITY, &c, msg, sizeof msg,
                                  &len) != WARD_OK) {
        return 1;
    }
    rc |= put(dir, "bind_confirm", "valid_member", 0, 0, msg, len);
    ward_keystore_soft_wipe(&soft);
    return rc;
}
