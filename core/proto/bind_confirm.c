/* The bind confirmation (flow A): the lock signs it, wardd verifies it. */
#include <string.h>

#include "ward/ward_bind.h"
#include "ward_inner.h"
#include "proto_inner.h"

#define BC_SN 0x01u
#define BC_UID 0x02u
#define BC_CLIENT_PUB 0x03u
#define BC_TID 0x04u
#define BC_ESCROW 0x05u
#define BC_ROLE 0x06u
#define BC_TIME 0x07u

static const ward_tlv_spec confirm_spec[] = {
    { BC_SN, true, 1, WARD_SN_MAX },
    { BC_UID, true, 1, WARD_UID_MAX },
    { BC_CLIENT_PUB, true, WARD_P256_POINT_LEN, WARD_P256_POINT_LEN },
    { BC_TID, true, WARD_TASK_ID_LEN, WARD_TASK_ID_LEN },
    { BC_ESCROW, true, WARD_ESCROW_LEN, WARD_ESCROW_LEN },
    { BC_ROLE, true, 1, 1 },
    { BC_TIME, true, 8, 8 },
    { WARD_TAG_SIG, true, WARD_P256_SIG_LEN, WARD_P256_SIG_LEN },
};
#define BC_NFIELDS (sizeof confirm_spec / sizeof confirm_spec[0])

ward_err ward_bind_confirm_encode(const ward_bind_confirm *c, uint8_t *out,
                                  size_t cap, size_t *signed_len)
{
    ward_tlv_writer w;
    size_t fields_len = 0;
    ward_err err;

    WARD_ASSERT(c != NULL && out != NULL && signed_len != NULL);
    *signed_len = 0;
    if (ward_check_sn(c->sn, c->sn_len) != WARD_OK ||
        ward_check_uid(c->uid, c->uid_len) != WARD_OK ||
        c->client_pub == NULL || c->tid == NULL || c->escrow == NULL ||
        c->role > WARD_ROLE_MEMBER) {
        return WARD_ERR_PARAM;
    }
    if (cap < WARD_HDR_BASE_LEN + WARD_SIG_FIELD_LEN) {
        return WARD_ERR_NOSPACE;
    }
    /* The fields go after the header's place, leaving room for the
     * signature field the header must already count. */
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN,
                         cap - WARD_HDR_BASE_LEN - WARD_SIG_FIELD_LEN);
    ward_tlv_put(&w, BC_SN, c->sn, c->sn_len);
    ward_tlv_put(&w, BC_UID, c->uid, c->uid_len);
    ward_tlv_put(&w, BC_CLIENT_PUB, c->client_pub, WARD_P256_POINT_LEN);
    ward_tlv_put(&w, BC_TID, c->tid, WARD_TASK_ID_LEN);
    ward_tlv_put(&w, BC_ESCROW, c->escrow, WARD_ESCROW_LEN);
    ward_tlv_put_u8(&w, BC_ROLE, c->role);
    ward_tlv_put_u64(&w, BC_TIME, c->time_ms);
    err = ward_tlv_writer_finish(&w, &fields_len);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_proto_hdr(WARD_MSG_BIND_CONFIRM, 0,
                         fields_len + WARD_SIG_FIELD_LEN, out, cap);
    if (err == WARD_OK) {
        *signed_len = WARD_HDR_BASE_LEN + fields_len;
    }
    return err;
}

ward_err ward_bind_confirm_parse(const ward_crypto *cp, const uint8_t *msg,
                                 size_t len, ward_bind_confirm *c)
{
    ward_tlv_field f[BC_NFIELDS];
    const uint8_t *body = NULL;
    size_t body_len = 0;

    WARD_ASSERT(cp != NULL && c != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(c, 0, sizeof *c);
    if (ward_proto_hdr_check(msg, len, WARD_MSG_BIND_CONFIRM, 0, &body,
                             &body_len) != WARD_OK ||
        ward_tlv_parse(body, body_len, confirm_spec, BC_NFIELDS, f) !=
            WARD_OK ||
        !ward_proto_canonical(f, BC_NFIELDS, body_len) ||
        ward_check_sn(f[0].ptr, f[0].len) != WARD_OK ||
        ward_check_uid(f[1].ptr, f[1].len) != WARD_OK ||
        cp->p256_point_check(f[2].ptr) != WARD_OK ||
        ward_tlv_get_u8(&f[5], &c->role) != WARD_OK ||
        c->role > WARD_ROLE_MEMBER ||
        ward_tlv_get_u64(&f[6], &c->time_ms) != WARD_OK) {
        memset(c, 0, sizeof *c);
        return WARD_ERR_FORMAT;
    }
    c->sn = f[0].ptr;
    c->sn_len = f[0].len;
    c->uid = f[1].ptr;
    c->uid_len = f[1].len;
    c->client_pub = f[2].ptr;
    c->tid = f[3].ptr;
    c->escrow = f[4].ptr;
    return WARD_OK;
}

ward_err ward_bind_confirm_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                                   ward_key_id id, const ward_bind_confirm *c, uint8_t *out,
                                   size_t cap, size_t *len)
{
    size_t signed_len = 0;
    WARD_ASSERT(cp != NULL && ks != NULL && len != NULL);
    *len = 0;
    ward_err err = ward_bind_confirm_encode(c, out, cap, &signed_len);
    if (err == WARD_OK && cp->p256_point_check(c->client_pub) != WARD_OK) {
        err = WARD_ERR_PARAM;
    }
    if (err == WARD_OK) {
        err = ward_proto_sign_by(cp, WARD_LABEL_BIND_CONFIRM, ks, id, out, signed_len, cap,
                                 len);
    }
    return err;
}

ward_err ward_bind_confirm_verify(const ward_crypto *cp,
                                  const uint8_t lock_pub[WARD_P256_POINT_LEN],
                                  const uint8_t *msg, size_t len,
                                  ward_bind_confirm *c)
{
    WARD_ASSERT(cp != NULL && lock_pub != NULL && c != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(c, 0, sizeof *c);
    /* Signature first: nothing unauthenticated reaches the parser. */
    if (ward_proto_verify(cp, WARD_LABEL_BIND_CONFIRM, lock_pub, msg, len) !=
        WARD_OK) {
        return WARD_ERR_AUTH;
    }
    return ward_bind_confirm_parse(cp, msg, len, c);
}
