/* libFuzzer harness for the lock's accept of an APPROVAL: an outstanding
 * request, two bound clients; only the exact valid answer may execute. */
#include <stdint.h>
#include <string.h>

#include "fuzz_lock.h"
#include "proto/op_inner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    uint8_t msg[WARD_MSG_MAX], allow[WARD_APPROVAL_MAX], deny[WARD_APPROVAL_MAX];
    uint8_t res[WARD_OP_RESULT_MAX];
    size_t allow_len = 0, deny_len = 0, len = 0, res_len = 0;
    ward_op_lock op;
    ward_op_state *os = op_st(&op);
    ward_op_request req;
    ward_op_outcome out;
    uint8_t nonce[WARD_OP_NONCE_LEN];

    if (size == 0) {
        return 0;
    }
    fl_reset();
    /* Byte 0: bits 0-1 the mode, bit 2 "add client" instead of unlock,
     * bit 3 the request names bob. */
    uint8_t mode = data[0] & 3u;
    memset(&op, 0, sizeof op);
    os->active = true;
    os->op = (data[0] & 4u) ? WARD_OP_ADD_CLIENT : WARD_OP_UNLOCK;
    memset(nonce, 0x4E, sizeof nonce);
    memcpy(os->nonce, nonce, sizeof nonce);
    if (data[0] & 8u) {
        memcpy(os->target, "bob", 3);
        os->target_len = 3;
    }
    os->expires_ms = FL_T0 + WARD_OP_TTL_MS;
    memset(&req, 0, sizeof req);
    req.sn = FL_SN;
    req.sn_len = FL_SN_LEN;
    req.nonce = nonce; /* op's is wiped once the answer consumes it */
    req.op = os->op;
    req.expires_ms = os->expires_ms;
    /* alice allows, bob denies: the valid answers a mutation starts from. */
    CHECK(ward_approval_seal(cp, fl_auth[0], &req, (const uint8_t *)"alice",
                             5, WARD_DECISION_ALLOW, allow, sizeof allow,
                             &allow_len) == WARD_OK);
    CHECK(ward_approval_seal(cp, fl_auth[1], &req, (const uint8_t *)"bob", 3,
                             WARD_DECISION_DENY, deny, sizeof deny,
                             &deny_len) == WARD_OK);
    if (mode == 0) {
        len = size - 1 < sizeof msg ? size - 1 : sizeof msg;
        memcpy(msg, data + 1, len);
    } else if (mode == 1) {
        len = fl_patch(allow, allow_len, data, size, msg, sizeof msg);
    } else {
        len = fl_patch(deny, deny_len, data, size, msg, sizeof msg);
    }

    ward_err err = ward_op_lock_accept(&fl_lock, &op, msg, len, &out, res,
                                       sizeof res, &res_len);
    CHECK(err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
    if (out.execute) {
        CHECK(err == WARD_OK && len == allow_len &&
              memcmp(msg, allow, len) == 0);
    }
    if (err != WARD_OK) {
        /* Not an answer: the request stays, nothing to send back. */
        CHECK(os->active && res_len == 0 && !out.execute);
        return 0;
    }
    CHECK(!os->active);
    int who = out.uid_len == 3 ? 1 : 0;
    CHECK(memcmp(out.uid, fl_uid[who], out.uid_len) == 0);
    uint8_t oc = 0xFF;
    CHECK(ward_op_result_open(cp, fl_auth[who], &req, out.uid, out.uid_len,
                              res, res_len, &oc) == WARD_OK);
    CHECK(oc == out.outcome);
    /* A member's "add client" answer is never a valid one. */
    CHECK(!(req.op == WARD_OP_ADD_CLIENT && who == 1));
    return 0;
}
