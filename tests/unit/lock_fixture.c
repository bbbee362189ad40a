/* A provisioned lock on simulated flash and the apps that bind to it, for the lock's tests. */
#include "ward_test.h"
#include "lock_fixture.h"

#include <stdio.h>
#include <string.h>

const uint8_t LF_SN[] = "LOCK-0001";
const uint8_t LF_PHONE[] = "+8613800000000";

static ward_err fake_now(void *ctx, uint64_t *ms)
{
    *ms = ((lf_env *)ctx)->now;
    return WARD_OK;
}

/* A power-up: the lock context is made anew from what the flash holds. */
void lf_restart(lf_env *e)
{
    ward_sim_flash_init(&e->sf, e->mem, LF_FLASH, LF_ERASE, &e->port);
    assert_int_equal(ward_lock_open(&e->lock, ward_test_cp, &e->rng,
                                    &e->clock, &e->port), WARD_OK);
}

lf_env *lf_env_new(void)
{
    lf_env *e = test_calloc(1, sizeof *e);
    memset(e->mem, 0xFF, sizeof e->mem);
    e->now = LF_T0;
    e->clock.now_ms = fake_now;
    e->clock.ctx = e;
    e->clock.trusted = true;
    e->rng = ward_test_rng();
    lf_restart(e);
    assert_int_equal(ward_lock_provision(&e->lock, LF_SN, LF_SN_LEN), WARD_OK);
    assert_int_equal(ward_lock_identity(&e->lock, NULL, NULL, e->lock_pub),
                     WARD_OK);
    return e;
}

void lf_env_free(lf_env *e)
{
    test_free(e);
}

void lf_app_init(lf_app *a, const char *uid)
{
    ward_random rng = ward_test_rng();
    snprintf(a->uid, sizeof a->uid, "%s", uid);
    assert_int_equal(ward_p256_keygen(ward_test_cp, &rng, a->priv, a->pub),
                     WARD_OK);
}

size_t lf_uid_len(const lf_app *a)
{
    return strlen(a->uid);
}

static void json_field(const char *qr, const char *name, char *out, size_t cap)
{
    char key[32];
    snprintf(key, sizeof key, "\"%s\":\"", name);
    const char *p = strstr(qr, key);
    assert_non_null(p);
    p += strlen(key);
    const char *q = strchr(p, '"');
    assert_non_null(q);
    assert_true((size_t)(q - p) < cap);
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
}

ward_err lf_try_start(lf_env *e, lf_qr *s)
{
    char qr[WARD_QR_JSON_MAX], hex[80], sn[40], mobile[40];
    size_t len = 0;
    ward_err err = ward_bind_start(&e->lock, LF_PHONE, LF_PHONE_LEN, qr,
                                   sizeof qr, &len);
    if (err != WARD_OK) {
        return err;
    }
    assert_int_equal(strlen(qr), len);
    assert_true(strncmp(qr, "{\"v\":1,\"mobile\":\"", 17) == 0);
    assert_int_equal(qr[len - 1], '}');
    json_field(qr, "sms", s->code, sizeof s->code);
    assert_int_equal(strlen(s->code), 6);
    json_field(qr, "sn", sn, sizeof sn);
    assert_string_equal(sn, (const char *)LF_SN);
    json_field(qr, "mobile", mobile, sizeof mobile);
    assert_string_equal(mobile, (const char *)LF_PHONE);
    json_field(qr, "key", hex, sizeof hex);
    assert_int_equal(strlen(hex), 64);
    ward_test_hex(hex, s->k, sizeof s->k);
    json_field(qr, "tid", hex, sizeof hex);
    assert_int_equal(strlen(hex), 32);
    ward_test_hex(hex, s->tid, sizeof s->tid);
    /* Exactly the draft's layout and nothing else. */
    char expect[WARD_QR_JSON_MAX];
    char khex[65], thex[33];
    for (size_t i = 0; i < 32; i++) snprintf(khex + 2 * i, 3, "%02x", s->k[i]);
    for (size_t i = 0; i < 16; i++) snprintf(thex + 2 * i, 3, "%02x", s->tid[i]);
    snprintf(expect, sizeof expect,
             "{\"v\":1,\"mobile\":\"%s\",\"sms\":\"%s\",\"sn\":\"%s\","
             "\"key\":\"%s\",\"tid\":\"%s\"}", LF_PHONE, s->code, LF_SN, khex,
             thex);
    assert_string_equal(qr, expect);
    return WARD_OK;
}

void lf_start(lf_env *e, lf_qr *s)
{
    size_t n = 0;
    assert_int_equal(ward_lock_client_count(&e->lock, &n), WARD_OK);
    if (n > 0) {
        assert_non_null(e->owner);
        lf_grant(e, e->owner);
    }
    assert_int_equal(lf_try_start(e, s), WARD_OK);
}

size_t lf_app_blob(lf_app *a, const lf_qr *s, const uint8_t *phone,
                   size_t phone_len, uint8_t *blob)
{
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    uint8_t escrow[WARD_ESCROW_LEN];
    size_t len = 0;
    ward_bind_data d;
    assert_int_equal(rng.fill(rng.ctx, a->auth, sizeof a->auth), WARD_OK);
    assert_int_equal(ward_escrow_make_by(cp, &rng, ward_test_key(a->priv), WARD_TEST_KEY, a->pub,
                                         LF_SN, LF_SN_LEN, (const uint8_t *)a->uid, strlen(a->uid),
                                         a->auth, escrow), WARD_OK);
    d.sn = LF_SN;
    d.sn_len = LF_SN_LEN;
    d.uid = (const uint8_t *)a->uid;
    d.uid_len = strlen(a->uid);
    d.client_pub = a->pub;
    d.auth_key = a->auth;
    d.escrow = escrow;
    d.phone = phone;
    d.phone_len = phone_len;
    assert_int_equal(ward_bind_seal(cp, &rng, s->k, s->tid, &d, blob,
                                    WARD_BIND_BLOB_MAX, &len), WARD_OK);
    return len;
}

void lf_enter_ok(lf_env *e, const lf_qr *s)
{
    unsigned left = 99;
    assert_int_equal(ward_bind_enter_code(&e->lock, (const uint8_t *)s->code,
                                          6, &left), WARD_OK);
}

void lf_check_bound(lf_env *e, const lf_app *a, const lf_qr *s,
                    const uint8_t *m, size_t len, uint8_t role)
{
    ward_bind_confirm c;
    uint8_t key[WARD_AUTH_KEY_LEN];
    assert_int_equal(ward_bind_confirm_verify(ward_test_cp, e->lock_pub, m,
                                              len, &c), WARD_OK);
    assert_memory_equal(c.sn, LF_SN, LF_SN_LEN);
    assert_int_equal(c.uid_len, strlen(a->uid));
    assert_memory_equal(c.uid, a->uid, c.uid_len);
    assert_memory_equal(c.client_pub, a->pub, 65);
    assert_memory_equal(c.tid, s->tid, 16);
    assert_int_equal(c.role, role);
    assert_true(c.time_ms == e->now);
    assert_int_equal(ward_lock_client_auth_key(&e->lock,
                                               (const uint8_t *)a->uid,
                                               strlen(a->uid), key), WARD_OK);
    assert_memory_equal(key, a->auth, 32);
    /* The escrow opens for the app only. */
    uint8_t got[32];
    assert_int_equal(ward_escrow_open_by(ward_test_cp, ward_test_key(a->priv), WARD_TEST_KEY,
                                         a->pub, c.sn, c.sn_len, c.uid, c.uid_len, c.escrow,
                                         got), WARD_OK);
    assert_memory_equal(got, a->auth, 32);
}

uint8_t lf_bind(lf_env *e, lf_app *a)
{
    lf_qr s;
    uint8_t blob[WARD_BIND_BLOB_MAX], m[WARD_BIND_CONFIRM_MAX];
    size_t blen, mlen = 0;
    ward_bind_confirm c;
    lf_start(e, &s);
    lf_enter_ok(e, &s);
    blen = lf_app_blob(a, &s, LF_PHONE, LF_PHONE_LEN, blob);
    assert_int_equal(ward_bind_finish(&e->lock, blob, blen, m, sizeof m,
                                      &mlen), WARD_OK);
    assert_int_equal(ward_bind_confirm_verify(ward_test_cp, e->lock_pub, m,
                                              mlen, &c), WARD_OK);
    lf_check_bound(e, a, &s, m, mlen, c.role);
    assert_int_equal(ward_bind_confirmed(&e->lock), WARD_OK);
    memcpy(a->tid, s.tid, sizeof a->tid);
    a->role = c.role;
    if (c.role == WARD_ROLE_OWNER) {
        e->owner = a;
    }
    return c.role;
}

void lf_request(lf_env *e, ward_op_lock *op, uint8_t code,
                const lf_app *target, uint8_t *msg, size_t cap,
                ward_op_request *req)
{
    size_t len = 0;
    const uint8_t *t = target != NULL ? (const uint8_t *)target->uid : NULL;
    size_t tlen = target != NULL ? strlen(target->uid) : 0;
    assert_int_equal(ward_op_lock_request(&e->lock, op, code, t, tlen, msg,
                                          cap, &len), WARD_OK);
    assert_true(len <= WARD_OP_REQUEST_MAX);
    assert_int_equal(ward_op_request_parse(msg, len, req), WARD_OK);
    assert_int_equal(req->op, code);
    assert_true(req->expires_ms == e->now + WARD_OP_TTL_MS);
}

size_t lf_answer(const lf_app *a, const ward_op_request *req,
                 uint8_t decision, uint8_t *out, size_t cap)
{
    size_t len = 0;
    assert_int_equal(ward_approval_seal(ward_test_cp, a->auth, req,
                                        (const uint8_t *)a->uid,
                                        strlen(a->uid), decision, out, cap,
                                        &len), WARD_OK);
    assert_true(len <= WARD_APPROVAL_MAX);
    return len;
}

ward_err lf_try_grant(lf_env *e, const lf_app *approver)
{
    ward_op_lock op;
    ward_op_request req;
    ward_op_outcome out;
    uint8_t msg[WARD_OP_REQUEST_MAX], ap[WARD_APPROVAL_MAX];
    uint8_t res[WARD_OP_RESULT_MAX];
    size_t res_len = 0;
    lf_request(e, &op, WARD_OP_ADD_CLIENT, NULL, msg, sizeof msg, &req);
    size_t n = lf_answer(approver, &req, WARD_DECISION_ALLOW, ap, sizeof ap);
    ward_err err = ward_op_lock_accept(&e->lock, &op, ap, n, &out, res,
                                       sizeof res, &res_len);
    if (err == WARD_OK) {
        assert_true(out.execute);
        assert_int_equal(out.op, WARD_OP_ADD_CLIENT);
    }
    return err;
}

void lf_grant(lf_env *e, const lf_app *approver)
{
    assert_int_equal(lf_try_grant(e, approver), WARD_OK);
}
