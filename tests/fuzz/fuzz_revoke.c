/* libFuzzer harness for the lock applying a REVOKE: arbitrary bytes and
 * mutations of valid ones; only the exact valid message removes anyone,
 * and every REVOKE the lock answers is answered for its revoker alone,
 * under a fresh nonce each time it is answered. */
#include <stdint.h>
#include <string.h>

#include "fuzz_lock.h"
#include "proto/op_inner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    uint8_t msg[WARD_MSG_MAX], valid[WARD_REVOKE_MAX], refused[WARD_REVOKE_MAX];
    uint8_t res[WARD_REVOKE_RESULT_MAX];
    size_t valid_len = 0, refused_len = 0, len = 0, res_len = 0;
    uint32_t seal_state = 7;
    ward_random rng = fuzz_rng(&seal_state);
    ward_revoke_outcome out, opened;

    if (size == 0) {
        return 0;
    }
    fl_reset();
    /* The owner revokes the member (allowed); the member the owner (not). */
    CHECK(ward_revoke_seal(cp, &rng, fl_auth[0], FL_SN, FL_SN_LEN,
                           (const uint8_t *)"alice", 5,
                           (const uint8_t *)"bob", 3, fl_tid[1], valid,
                           sizeof valid, &valid_len) == WARD_OK);
    CHECK(ward_revoke_seal(cp, &rng, fl_auth[1], FL_SN, FL_SN_LEN,
                           (const uint8_t *)"bob", 3,
                           (const uint8_t *)"alice", 5, fl_tid[0], refused,
                           sizeof refused, &refused_len) == WARD_OK);
    uint8_t mode = data[0] % 3u;
    if (mode == 0) {
        len = size - 1 < sizeof msg ? size - 1 : sizeof msg;
        memcpy(msg, data + 1, len);
    } else if (mode == 1) {
        len = fl_patch(valid, valid_len, data, size, msg, sizeof msg);
    } else {
        len = fl_patch(refused, refused_len, data, size, msg, sizeof msg);
    }
    ward_err err = ward_op_lock_revoke(&fl_lock, msg, len, &out, res, sizeof res, &res_len);
    CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
    CHECK(err == WARD_OK ? res_len > 0 : res_len == 0);
    CHECK(fl_bound(0));
    if (!fl_bound(1)) {
        CHECK(err == WARD_OK && out.outcome == WARD_REVOKE_DONE && len == valid_len &&
              memcmp(msg, valid, len) == 0);
    }
    if (err == WARD_OK) {
        /* The answer opens for the revoker the lock named, and says what
         * the lock said. */
        int by = out.revoker_len == 3 ? 1 : 0;
        CHECK(out.revoker_len == strlen(fl_uid[by]) &&
              memcmp(out.revoker, fl_uid[by], out.revoker_len) == 0);
        CHECK(ward_revoke_result_open(cp, fl_auth[by], FL_SN, FL_SN_LEN, msg, len, out.target,
                                      out.target_len, res, res_len, &opened) == WARD_OK);
        CHECK(opened.outcome == out.outcome && opened.has_tid == out.has_tid);
        CHECK(ward_revoke_result_open(cp, fl_auth[1 - by], FL_SN, FL_SN_LEN, msg, len,
                                      out.target, out.target_len, res, res_len, &opened) ==
              WARD_ERR_AUTH);
        /* Delivered again, the REVOKE is answered again under the same
         * key: with another nonce, and that answer opens too. */
        uint8_t res2[WARD_REVOKE_RESULT_MAX];
        size_t res2_len = 0;
        ward_revoke_outcome out2;
        ward_op_sealed s1, s2;
        CHECK(ward_op_lock_revoke(&fl_lock, msg, len, &out2, res2, sizeof res2, &res2_len) ==
              WARD_OK);
        CHECK(out2.outcome == (out.outcome == WARD_REVOKE_DONE ? WARD_REVOKE_NOT_BOUND
                                                                : out.outcome));
        CHECK(ward_op_sealed_split(res, res_len, WARD_MSG_REVOKE_RESULT, &s1) == WARD_OK);
        CHECK(ward_op_sealed_split(res2, res2_len, WARD_MSG_REVOKE_RESULT, &s2) == WARD_OK);
        CHECK(memcmp(s1.nonce, s2.nonce, WARD_AEAD_NONCE_LEN) != 0);
        CHECK(ward_revoke_result_open(cp, fl_auth[by], FL_SN, FL_SN_LEN, msg, len, out.target,
                                      out.target_len, res2, res2_len, &opened) == WARD_OK);
        CHECK(opened.outcome == out2.outcome);
        /* wardd's view of the sender agrees with the lock's parse. */
        const uint8_t *uid = NULL;
        size_t uid_len = 0;
        CHECK(ward_approval_uid(msg, len, &uid, &uid_len) == WARD_OK);
        CHECK(ward_sealed_uid(res, res_len, WARD_MSG_REVOKE_RESULT, &uid, &uid_len) == WARD_OK);
    }
    return 0;
}
