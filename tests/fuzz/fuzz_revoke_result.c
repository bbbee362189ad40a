/* libFuzzer harness for the app opening the lock's REVOKE_RESULT, which
 * wardd hands over and may forge: arbitrary bytes and mutations of the
 * lock's genuine answers (the REVOKE's first, and its second when it is
 * delivered again). Only the genuine bytes open, and they say what the
 * lock did. */
#include <stdint.h>
#include <string.h>

#include "fuzz_lock.h"
#include "proto/op_inner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    uint8_t revoke[WARD_REVOKE_MAX], good[WARD_REVOKE_RESULT_MAX];
    uint8_t again[WARD_REVOKE_RESULT_MAX], msg[WARD_MSG_MAX];
    size_t revoke_len = 0, good_len = 0, again_len = 0, len = 0;
    uint32_t seal_state = 11;
    ward_random rng = fuzz_rng(&seal_state);
    ward_revoke_outcome out, opened;
    ward_op_sealed s1, s2;

    if (size == 0) {
        return 0;
    }
    fl_reset();
    CHECK(ward_revoke_seal(cp, &rng, fl_auth[0], FL_SN, FL_SN_LEN, (const uint8_t *)"alice",
                           5, (const uint8_t *)"bob", 3, fl_tid[1], revoke, sizeof revoke,
                           &revoke_len) == WARD_OK);
    CHECK(ward_op_lock_revoke(&fl_lock, revoke, revoke_len, &out, good, sizeof good,
                              &good_len) == WARD_OK);
    CHECK(out.outcome == WARD_REVOKE_DONE);
    /* The same REVOKE again (a lost acknowledgement, a replay): the same
     * key, so the lock's answer must come under another nonce. */
    CHECK(ward_op_lock_revoke(&fl_lock, revoke, revoke_len, &out, again, sizeof again,
                              &again_len) == WARD_OK);
    CHECK(out.outcome == WARD_REVOKE_NOT_BOUND);
    CHECK(ward_op_sealed_split(good, good_len, WARD_MSG_REVOKE_RESULT, &s1) == WARD_OK);
    CHECK(ward_op_sealed_split(again, again_len, WARD_MSG_REVOKE_RESULT, &s2) == WARD_OK);
    CHECK(memcmp(s1.nonce, s2.nonce, WARD_AEAD_NONCE_LEN) != 0);
    uint8_t mode = data[0] % 3u;
    if (mode == 0) {
        len = size - 1 < sizeof msg ? size - 1 : sizeof msg;
        memcpy(msg, data + 1, len);
    } else if (mode == 1) {
        len = fl_patch(good, good_len, data, size, msg, sizeof msg);
    } else {
        len = fl_patch(again, again_len, data, size, msg, sizeof msg);
    }
    ward_err err = ward_revoke_result_open(cp, fl_auth[0], FL_SN, FL_SN_LEN, revoke,
                                           revoke_len, (const uint8_t *)"bob", 3, msg, len,
                                           &opened);
    CHECK(err == WARD_OK || err == WARD_ERR_AUTH);
    if (err == WARD_OK) {
        bool is_good = len == good_len && memcmp(msg, good, len) == 0;
        bool is_again = len == again_len && memcmp(msg, again, len) == 0;
        CHECK(is_good || is_again);
        if (is_good) {
            CHECK(opened.outcome == WARD_REVOKE_DONE && opened.has_tid &&
                  memcmp(opened.tid, fl_tid[1], WARD_TASK_ID_LEN) == 0);
        } else {
            CHECK(opened.outcome == WARD_REVOKE_NOT_BOUND && !opened.has_tid);
        }
    }
    return 0;
}
