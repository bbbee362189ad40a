/* Secure time's answer (ward_time.h): the key id, a server's signing, and reading the bytes. */
#include <string.h>

#include "ward/ward_suite.h"
#include "ward/ward_time.h"

#include "../ward_inner.h"
#include "time_inner.h"

ward_err ward_time_key_id(const ward_crypto *cp, const uint8_t pub[WARD_P256_POINT_LEN],
                          uint8_t id[WARD_TIME_KEY_ID_LEN])
{
    WARD_ASSERT(cp != NULL && pub != NULL && id != NULL);
    uint8_t h[WARD_SHA256_LEN];
    ward_iov part = { pub, WARD_P256_POINT_LEN };
    ward_err err = cp->sha256(&part, 1, h);
    if (err == WARD_OK) {
        memcpy(id, h, WARD_TIME_KEY_ID_LEN);
    }
    return err;
}

ward_err ward_time_answer_make(const ward_crypto *cp, const ward_keystore *ks, ward_key_id id,
                               uint64_t time_ms, uint32_t radius_ms,
                               const uint8_t nonce[WARD_TIME_NONCE_LEN],
                               uint8_t *out, size_t cap, size_t *len)
{
    WARD_ASSERT(cp != NULL && ks != NULL && nonce != NULL && out != NULL && len != NULL);
    *len = 0;
    if (time_ms > WARD_TIME_MS_MAX || radius_ms > WARD_TIME_RADIUS_MAX_MS) {
        return WARD_ERR_PARAM;
    }
    if (cap < WARD_TIME_ANSWER_LEN) {
        return WARD_ERR_NOSPACE;
    }
    uint8_t pub[WARD_P256_POINT_LEN];
    ward_err err = ks->public_key(ks->ctx, id, pub);
    if (err == WARD_OK) {
        out[0] = WARD_TIME_VERSION;
        err = ward_time_key_id(cp, pub, out + 1);
    }
    if (err != WARD_OK) {
        return err;
    }
    uint8_t *p = out + 1 + WARD_TIME_KEY_ID_LEN;
    ward_store64(p, time_ms);
    ward_store32(p + 8, radius_ms);
    memcpy(p + 12, nonce, WARD_TIME_NONCE_LEN);
    err = ward_sign_by(cp, ks, id, TIME_LABEL, out, WARD_TIME_BODY_LEN, out + WARD_TIME_BODY_LEN);
    if (err != WARD_OK) {
        memset(out, 0, WARD_TIME_ANSWER_LEN);
        return err;
    }
    *len = WARD_TIME_ANSWER_LEN;
    return WARD_OK;
}

ward_err ward_time_answer_parse(const uint8_t *in, size_t len, ward_time_answer *a)
{
    WARD_ASSERT(a != NULL && (in != NULL || len == 0));
    memset(a, 0, sizeof *a);
    if (len != WARD_TIME_ANSWER_LEN || in[0] != WARD_TIME_VERSION) {
        return WARD_ERR_FORMAT;
    }
    const uint8_t *p = in + 1;
    uint64_t t = ward_load64(p + WARD_TIME_KEY_ID_LEN);
    uint32_t r = ward_load32(p + WARD_TIME_KEY_ID_LEN + 8);
    if (t > WARD_TIME_MS_MAX || r > WARD_TIME_RADIUS_MAX_MS) {
        return WARD_ERR_FORMAT;
    }
    memcpy(a->key_id, p, WARD_TIME_KEY_ID_LEN);
    a->time_ms = t;
    a->radius_ms = r;
    memcpy(a->nonce, p + WARD_TIME_KEY_ID_LEN + 12, WARD_TIME_NONCE_LEN);
    memcpy(a->sig, in + WARD_TIME_BODY_LEN, WARD_P256_SIG_LEN);
    return WARD_OK;
}
