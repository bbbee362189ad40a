/* The app's side of a near-field operation: hello, request, approval, result over one stream. */
#include <errno.h>
#include <string.h>

#include "ward/ward_frame.h"
#include "ops_inner.h"

ward_err ward_app_near(ward_app *app, int fd, const char *sn, uint8_t op,
                       uint8_t decision, bool from_escrow,
                       unsigned timeout_ms, uint8_t *outcome)
{
    uint8_t msg[WARD_MSG_MAX], key[WARD_AUTH_KEY_LEN];
    size_t len = 0;
    ward_app_op req_op;
    ward_op_request req;
    WARD_ASSERT(app != NULL && sn != NULL && outcome != NULL);

    if (ward_check_sn((const uint8_t *)sn, strlen(sn)) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_FORMAT, "bad lock serial number");
    }
    if (ward_app_op_name(op) == NULL) {
        return ward_app_fail(app, WARD_ERR_PARAM, "unknown operation %u", op);
    }
    /* The key first: no point waking the lock if we cannot answer it. */
    ward_err err = ward_app_auth_key(app, sn, from_escrow, key);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_op_near_hello((const uint8_t *)app->user, strlen(app->user), op,
                             msg, sizeof msg, &len);
    if (err == WARD_OK) {
        err = ward_frame_write(fd, msg, len, timeout_ms);
        if (err != WARD_OK) {
            ward_app_fail(app, err, "cannot reach the lock (%s)",
                          ward_strerror(err));
        }
    } else {
        ward_app_fail(app, err, "cannot build the hello (%s)",
                      ward_strerror(err));
    }
    memset(&req_op, 0, sizeof req_op);
    if (err == WARD_OK) {
        err = ward_frame_read(fd, req_op.request, sizeof req_op.request,
                              &req_op.request_len, timeout_ms);
        int os = errno;
        if (err == WARD_ERR_IO && os == 0) {
            /* The lock says no more to a client it will not serve. */
            ward_app_fail(app, err, "the lock closed the link without a request: it "
                          "serves only clients bound to it, for what their role allows");
        } else if (err != WARD_OK) {
            ward_app_fail(app, err, "no request from the lock (%s)",
                          err == WARD_ERR_IO && os != 0 ? strerror(os)
                          : err == WARD_ERR_EXPIRED ? "none in time"
                                                    : ward_strerror(err));
        }
    }
    if (err == WARD_OK) {
        memcpy(req_op.sn, sn, strlen(sn) + 1);
        /* A lock that is not the one we walked up to, or a request for
         * someone else or for another operation, gets no answer. */
        if (ward_op_request_parse(req_op.request, req_op.request_len, &req) !=
                WARD_OK ||
            req.sn_len != strlen(sn) || memcmp(req.sn, sn, req.sn_len) != 0 ||
            req.target == NULL || req.target_len != strlen(app->user) ||
            memcmp(req.target, app->user, req.target_len) != 0 ||
            req.op != op) {
            err = ward_app_fail(app, WARD_ERR_AUTH,
                                "the lock's request is not for lock %s, this "
                                "user and this operation", sn);
        }
    }
    if (err == WARD_OK) {
        req_op.op = req.op;
        req_op.expires_ms = req.expires_ms;
        memcpy(req_op.target, app->user, strlen(app->user) + 1);
        err = ward_app_approval(app, &req_op, decision, key, msg, sizeof msg,
                                &len);
    }
    if (err == WARD_OK) {
        err = ward_frame_write(fd, msg, len, timeout_ms);
        if (err != WARD_OK) {
            ward_app_fail(app, err, "cannot send the answer (%s)",
                          ward_strerror(err));
        }
    }
    if (err == WARD_OK) {
        err = ward_frame_read(fd, msg, sizeof msg, &len, timeout_ms);
        if (err != WARD_OK) {
            ward_app_fail(app, err, "no result from the lock (%s)",
                          ward_strerror(err));
        }
    }
    if (err == WARD_OK) {
        err = ward_app_result_open(app, &req_op, key, msg, len, outcome);
    }
    ward_app_wipe(key, sizeof key);
    if (err == WARD_OK) {
        app->error[0] = '\0';
    }
    return err;
}
