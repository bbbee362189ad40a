/* Device certificates (ward_cert.h): key ids, issuing, the encoding and its parser. */
#include <string.h>

#include "ward/ward_cert.h"
#include "ward/ward_suite.h"
/* after ward_suite.h, whose sizes it uses */
#include "ward/ward_bind.h"
#include "ward_inner.h"
#include "cert_inner.h"

ward_err ward_cert_key_id(const ward_crypto *cp, const uint8_t pub[WARD_P256_POINT_LEN],
                          uint8_t kid[WARD_CERT_KEY_ID_LEN])
{
    uint8_t comp[WARD_P256_COMPRESSED_LEN];
    uint8_t digest[WARD_SHA256_LEN];
    if (pub[0] != 0x04) {
        return WARD_ERR_FORMAT;
    }
    /* Of the compressed form: the form a certificate carries, so a key id
     * is computed from a certificate without decompressing it. */
    ward_p256_compress(pub, comp);
    ward_iov part = { comp, sizeof comp };
    ward_err err = cp->sha256(&part, 1, digest);
    if (err == WARD_OK) {
        memcpy(kid, digest, WARD_CERT_KEY_ID_LEN);
    }
    return err;
}

int ward_cert_role_known(uint8_t role)
{
    return (role >= WARD_CERT_ROLE_LOCK && role <= WARD_CERT_ROLE_SE_HOST) ||
           role == WARD_CERT_ROLE_FACTORY;
}

/* The checks every field passes, on the way out and on the way in. */
static ward_err fields_ok(const ward_cert *c)
{
    if (!ward_cert_role_known(c->role) || c->id_len == 0 || c->id_len > WARD_CERT_ID_MAX ||
        ward_check_sn(c->id, c->id_len) != WARD_OK ||
        (c->pub[0] != 0x02 && c->pub[0] != 0x03) ||
        (c->expires != WARD_CERT_NO_EXPIRY && c->expires <= c->issued)) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err ward_cert_encode_tbs(const ward_cert *c, uint8_t *out, size_t cap, size_t *len)
{
    ward_err err = fields_ok(c);
    if (err != WARD_OK) {
        return err;
    }
    size_t need = WARD_CERT_SIGNED_LEN(c->id_len);
    if (cap < need) {
        return WARD_ERR_NOSPACE;
    }
    uint8_t *p = out;
    *p++ = WARD_CERT_FORMAT;
    *p++ = c->role;
    *p++ = c->id_len;
    memcpy(p, c->id, c->id_len);
    p += c->id_len;
    memcpy(p, c->pub, WARD_P256_COMPRESSED_LEN);
    p += WARD_P256_COMPRESSED_LEN;
    ward_store32(p, c->issued);
    ward_store32(p + 4, c->expires);
    p += 8;
    memcpy(p, c->issuer, WARD_CERT_KEY_ID_LEN);
    *len = need;
    return WARD_OK;
}

ward_err ward_cert_issue_by(const ward_crypto *cp, const ward_keystore *ks,
                            ward_key_id signer, const ward_cert *c,
                            const uint8_t subject_pub[WARD_P256_POINT_LEN],
                            uint8_t *out, size_t cap, size_t *len)
{
    ward_cert t;
    uint8_t signer_pub[WARD_P256_POINT_LEN];
    size_t tbs = 0;
    WARD_ASSERT(cp != NULL && ks != NULL && c != NULL && subject_pub != NULL);
    *len = 0;
    if (cp->p256_point_check(subject_pub) != WARD_OK) {
        return WARD_ERR_PARAM;
    }
    memcpy(&t, c, sizeof t);
    ward_p256_compress(subject_pub, t.pub);
    ward_err err = ks->public_key(ks->ctx, signer, signer_pub);
    if (err == WARD_OK) {
        err = ward_cert_key_id(cp, signer_pub, t.issuer);
    }
    if (err != WARD_OK) {
        return err;
    }
    err = ward_cert_encode_tbs(&t, out, cap, &tbs);
    if (err == WARD_ERR_FORMAT) {
        return WARD_ERR_PARAM;
    }
    if (err != WARD_OK) {
        return err;
    }
    if (cap - tbs < WARD_P256_SIG_LEN) {
        return WARD_ERR_NOSPACE;
    }
    err = ward_sign_by(cp, ks, signer, WARD_LABEL_CERT, out, tbs, out + tbs);
    if (err == WARD_OK) {
        *len = tbs + WARD_P256_SIG_LEN;
    }
    return err;
}

size_t ward_cert_len(const uint8_t *in, size_t avail)
{
    if (avail < WARD_CERT_OFF_ID || in[2] == 0 || in[2] > WARD_CERT_ID_MAX) {
        return 0;
    }
    return WARD_CERT_FIXED_LEN + in[2];
}

ward_err ward_cert_parse(const uint8_t *in, size_t len, ward_cert *c)
{
    WARD_ASSERT(c != NULL);
    memset(c, 0, sizeof *c);
    if (in == NULL || ward_cert_len(in, len) != len || in[0] != WARD_CERT_FORMAT) {
        return WARD_ERR_FORMAT;
    }
    const uint8_t *p = in + 1;
    c->role = *p++;
    c->id_len = *p++;
    memcpy(c->id, p, c->id_len);
    p += c->id_len;
    memcpy(c->pub, p, WARD_P256_COMPRESSED_LEN);
    p += WARD_P256_COMPRESSED_LEN;
    c->issued = ward_load32(p);
    c->expires = ward_load32(p + 4);
    p += 8;
    memcpy(c->issuer, p, WARD_CERT_KEY_ID_LEN);
    p += WARD_CERT_KEY_ID_LEN;
    memcpy(c->sig, p, WARD_P256_SIG_LEN);
    if (fields_ok(c) != WARD_OK) {
        memset(c, 0, sizeof *c);
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}
