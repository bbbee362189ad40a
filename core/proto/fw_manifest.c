/* Firmware manifests (ward_fw.h): the encoding, its parser, signing and verifying. */
#include <string.h>

#include "ward/ward_fw.h"
#include "ward/ward_suite.h"
/* after ward_suite.h, whose sizes they use */
#include "ward/ward_bind.h"
#include "ward/ward_cert.h"
#include "ward_inner.h"

/* The bytes the signature covers: everything but the signature. */
#define SIGNED_LEN(m) (WARD_FW_MANIFEST_FIXED_LEN - WARD_P256_SIG_LEN + \
                       (size_t)(m)->class_len + (size_t)(m)->version_len)

static bool version_ok(const uint8_t *v, size_t len)
{
    if (len == 0 || len > WARD_FW_VERSION_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t c = v[i];
        bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  c == '.' || c == '+' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* The checks every field passes, on the way out and on the way in. */
static ward_err fields_ok(const ward_fw_manifest *m)
{
    if (m->class_len == 0 || m->class_len > WARD_FW_CLASS_MAX ||
        ward_check_sn(m->dev_class, m->class_len) != WARD_OK ||
        !version_ok(m->version, m->version_len) || m->min_counter > m->counter ||
        m->size == 0 || m->size > WARD_FW_SIZE_MAX) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

static size_t encode_signed(const ward_fw_manifest *m, uint8_t *out)
{
    uint8_t *p = out;
    *p++ = WARD_FW_FORMAT;
    *p++ = m->class_len;
    memcpy(p, m->dev_class, m->class_len);
    p += m->class_len;
    *p++ = m->version_len;
    memcpy(p, m->version, m->version_len);
    p += m->version_len;
    ward_store32(p, m->counter);
    ward_store32(p + 4, m->min_counter);
    ward_store32(p + 8, m->size);
    p += 12;
    memcpy(p, m->digest, WARD_SHA256_LEN);
    p += WARD_SHA256_LEN;
    memcpy(p, m->key_id, WARD_FW_KEY_ID_LEN);
    p += WARD_FW_KEY_ID_LEN;
    return (size_t)(p - out);
}

ward_err ward_fw_manifest_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                                  ward_key_id signer, const ward_fw_manifest *m,
                                  uint8_t *out, size_t cap, size_t *len)
{
    ward_fw_manifest t;
    uint8_t pub[WARD_P256_POINT_LEN];
    WARD_ASSERT(cp != NULL && ks != NULL && m != NULL && out != NULL && len != NULL);
    *len = 0;
    if (fields_ok(m) != WARD_OK) {
        return WARD_ERR_PARAM;
    }
    size_t tbs = SIGNED_LEN(m);
    if (cap < tbs + WARD_P256_SIG_LEN) {
        return WARD_ERR_NOSPACE;
    }
    memcpy(&t, m, sizeof t);
    ward_err err = ks->public_key(ks->ctx, signer, pub);
    if (err == WARD_OK) {
        err = ward_cert_key_id(cp, pub, t.key_id);
    }
    if (err != WARD_OK) {
        return err;
    }
    encode_signed(&t, out);
    err = ward_sign_by(cp, ks, signer, WARD_LABEL_FW_MANIFEST, out, tbs, out + tbs);
    if (err == WARD_OK) {
        *len = tbs + WARD_P256_SIG_LEN;
    }
    return err;
}

ward_err ward_fw_manifest_parse(const uint8_t *in, size_t len, ward_fw_manifest *m)
{
    WARD_ASSERT(m != NULL);
    memset(m, 0, sizeof *m);
    /* Lengths first: each is read only once the bytes before it are there. */
    if (in == NULL || len < WARD_FW_MANIFEST_MIN || len > WARD_FW_MANIFEST_MAX ||
        in[0] != WARD_FW_FORMAT || in[1] == 0 || in[1] > WARD_FW_CLASS_MAX) {
        return WARD_ERR_FORMAT;
    }
    size_t vpos = 2 + (size_t)in[1];
    if (vpos >= len || in[vpos] == 0 || in[vpos] > WARD_FW_VERSION_MAX ||
        len != WARD_FW_MANIFEST_FIXED_LEN + (size_t)in[1] + (size_t)in[vpos]) {
        return WARD_ERR_FORMAT;
    }
    const uint8_t *p = in + 1;
    m->class_len = *p++;
    memcpy(m->dev_class, p, m->class_len);
    p += m->class_len;
    m->version_len = *p++;
    memcpy(m->version, p, m->version_len);
    p += m->version_len;
    m->counter = ward_load32(p);
    m->min_counter = ward_load32(p + 4);
    m->size = ward_load32(p + 8);
    p += 12;
    memcpy(m->digest, p, WARD_SHA256_LEN);
    p += WARD_SHA256_LEN;
    memcpy(m->key_id, p, WARD_FW_KEY_ID_LEN);
    p += WARD_FW_KEY_ID_LEN;
    memcpy(m->sig, p, WARD_P256_SIG_LEN);
    if (fields_ok(m) != WARD_OK) {
        memset(m, 0, sizeof *m);
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err ward_fw_manifest_verify(const ward_crypto *cp,
                                 const uint8_t release_pub[WARD_P256_POINT_LEN],
                                 const uint8_t *in, size_t len, ward_fw_manifest *m)
{
    uint8_t kid[WARD_CERT_KEY_ID_LEN];
    WARD_ASSERT(cp != NULL && release_pub != NULL && m != NULL);
    ward_err err = ward_fw_manifest_parse(in, len, m);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_cert_key_id(cp, release_pub, kid);
    if (err == WARD_OK && memcmp(kid, m->key_id, sizeof kid) != 0) {
        err = WARD_ERR_NOTFOUND;
    }
    if (err == WARD_OK) {
        err = ward_verify(cp, WARD_LABEL_FW_MANIFEST, release_pub, in, len - WARD_P256_SIG_LEN,
                          m->sig);
    }
    if (err != WARD_OK) {
        memset(m, 0, sizeof *m);
    }
    return err;
}

bool ward_fw_manifest_for_class(const ward_fw_manifest *m, const uint8_t *dev_class,
                                size_t class_len)
{
    return class_len == m->class_len && class_len > 0 &&
           memcmp(m->dev_class, dev_class, class_len) == 0;
}
