/* The lock activation (flow A): the factory signs {SN, lock key}, wardd checks it. */
#include <string.h>

#include "ward/ward_bind.h"
#include "ward_inner.h"
#include "proto_inner.h"

#define ACT_SN 0x01u
#define ACT_LOCK_PUB 0x02u

static const ward_tlv_spec activation_spec[] = {
    { ACT_SN, true, 1, WARD_SN_MAX },
    { ACT_LOCK_PUB, true, WARD_P256_POINT_LEN, WARD_P256_POINT_LEN },
    { WARD_TAG_SIG, true, WARD_P256_SIG_LEN, WARD_P256_SIG_LEN },
};
#define ACT_NFIELDS (sizeof activation_spec / sizeof activation_spec[0])

ward_err ward_activation_encode(const ward_crypto *cp,
                                const ward_activation *a, uint8_t *out,
                                size_t cap, size_t *signed_len)
{
    ward_tlv_writer w;
    size_t fields_len = 0;
    ward_err err;

    WARD_ASSERT(cp != NULL && a != NULL && out != NULL && signed_len != NULL);
    *signed_len = 0;
    if (ward_check_sn(a->sn, a->sn_len) != WARD_OK || a->lock_pub == NULL ||
        cp->p256_point_check(a->lock_pub) != WARD_OK) {
        return WARD_ERR_PARAM;
    }
    if (cap < WARD_HDR_BASE_LEN + WARD_SIG_FIELD_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN,
                         cap - WARD_HDR_BASE_LEN - WARD_SIG_FIELD_LEN);
    ward_tlv_put(&w, ACT_SN, a->sn, a->sn_len);
    ward_tlv_put(&w, ACT_LOCK_PUB, a->lock_pub, WARD_P256_POINT_LEN);
    err = ward_tlv_writer_finish(&w, &fields_len);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_proto_hdr(WARD_MSG_ACTIVATION, 0,
                         fields_len + WARD_SIG_FIELD_LEN, out, cap);
    if (err == WARD_OK) {
        *signed_len = WARD_HDR_BASE_LEN + fields_len;
    }
    return err;
}

ward_err ward_activation_parse(const ward_crypto *cp, const uint8_t *msg,
                               size_t len, ward_activation *a)
{
    ward_tlv_field f[ACT_NFIELDS];
    const uint8_t *body = NULL;
    size_t body_len = 0;

    WARD_ASSERT(cp != NULL && a != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(a, 0, sizeof *a);
    if (ward_proto_hdr_check(msg, len, WARD_MSG_ACTIVATION, 0, &body,
                             &body_len) != WARD_OK ||
        ward_tlv_parse(body, body_len, activation_spec, ACT_NFIELDS, f) !=
            WARD_OK ||
        !ward_proto_canonical(f, ACT_NFIELDS, body_len) ||
        ward_check_sn(f[0].ptr, f[0].len) != WARD_OK ||
        cp->p256_point_check(f[1].ptr) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    a->sn = f[0].ptr;
    a->sn_len = f[0].len;
    a->lock_pub = f[1].ptr;
    return WARD_OK;
}

ward_err ward_activation_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                                 ward_key_id id, const ward_activation *a, uint8_t *out,
                                 size_t cap, size_t *len)
{
    size_t signed_len = 0;
    WARD_ASSERT(cp != NULL && ks != NULL && len != NULL);
    *len = 0;
    ward_err err = ward_activation_encode(cp, a, out, cap, &signed_len);
    if (err == WARD_OK) {
        err = ward_proto_sign_by(cp, WARD_LABEL_ACTIVATE, ks, id, out, signed_len, cap, len);
    }
    return err;
}

ward_err ward_activation_verify(const ward_crypto *cp,
                                const uint8_t factory_pub[WARD_P256_POINT_LEN],
                                const uint8_t *msg, size_t len,
                                ward_activation *a)
{
    WARD_ASSERT(cp != NULL && factory_pub != NULL && a != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(a, 0, sizeof *a);
    /* Signature first: nothing unauthenticated reaches the parser. */
    if (ward_proto_verify(cp, WARD_LABEL_ACTIVATE, factory_pub, msg, len) !=
        WARD_OK) {
        return WARD_ERR_AUTH;
    }
    return ward_activation_parse(cp, msg, len, a);
}
