/* The secure element binding's crypto, shared by both roles: f(R1, R2), the session key, the command tags. */
#include <string.h>

#include "ward/ward_se.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "se_inner.h"

size_t ward_se_f_len(uint8_t f)
{
    switch (f) {
    case WARD_SE_F_HMAC_SHA256:
    case WARD_SE_F_HMAC_SM3:
        return 32;
    case WARD_SE_F_AES_CMAC:
    case WARD_SE_F_SM4_CMAC:
        return WARD_CMAC_LEN;
    default:
        return 0;
    }
}

ward_err ward_se_f_check(const ward_crypto *cp, uint8_t f)
{
    WARD_ASSERT(cp != NULL);
    switch (f) {
    case WARD_SE_F_HMAC_SHA256:
    case WARD_SE_F_AES_CMAC:
        return WARD_OK;
    case WARD_SE_F_HMAC_SM3:
        return cp->hmac_sm3 != NULL ? WARD_OK : WARD_ERR_UNSUPPORTED;
    case WARD_SE_F_SM4_CMAC:
        return cp->sm4_cmac != NULL ? WARD_OK : WARD_ERR_UNSUPPORTED;
    default:
        return WARD_ERR_PARAM;
    }
}

ward_err ward_se_f(const ward_crypto *cp, uint8_t f,
                   const uint8_t r1[WARD_SE_R1_LEN], const char *label,
                   const ward_iov *parts, size_t nparts, uint8_t out[32])
{
    static const uint8_t zero[1] = { 0 };
    ward_iov all[6];
    uint8_t k16[16];
    WARD_ASSERT(cp != NULL && r1 != NULL && label != NULL && out != NULL);
    WARD_ASSERT(nparts <= 4 && (parts != NULL || nparts == 0));

    ward_err err = ward_se_f_check(cp, f);
    if (err != WARD_OK) {
        return err;
    }
    all[0].ptr = (const uint8_t *)label;
    all[0].len = strlen(label);
    all[1].ptr = zero;
    all[1].len = 1;
    for (size_t i = 0; i < nparts; i++) {
        all[2 + i] = parts[i];
    }
    /* CMAC keys are 16 bytes: fold R1 so every bit of it counts. */
    for (size_t i = 0; i < sizeof k16; i++) {
        k16[i] = (uint8_t)(r1[i] ^ r1[i + 16]);
    }
    switch (f) {
    case WARD_SE_F_HMAC_SHA256:
        err = cp->hmac_sha256(r1, WARD_SE_R1_LEN, all, nparts + 2, out);
        break;
    case WARD_SE_F_AES_CMAC:
        err = cp->aes128_cmac(k16, all, nparts + 2, out);
        break;
    case WARD_SE_F_HMAC_SM3:
        err = cp->hmac_sm3(r1, WARD_SE_R1_LEN, all, nparts + 2, out);
        break;
    default:
        err = cp->sm4_cmac(k16, all, nparts + 2, out);
        break;
    }
    ward_wipe(k16, sizeof k16);
    return err;
}

ward_err ward_se_session_key(const ward_crypto *cp, const uint8_t *ikm,
                             size_t ikm_len,
                             const uint8_t se_id[WARD_SE_ID_LEN],
                             const uint8_t r2[WARD_SE_R2_LEN],
                             const uint8_t nonce[WARD_SE_NONCE_LEN],
                             const uint8_t *eph_pub, uint8_t ks[32])
{
    uint8_t ctx[WARD_SE_ID_LEN + WARD_SE_R2_LEN + WARD_SE_NONCE_LEN +
                WARD_P256_POINT_LEN];
    size_t n = 0;
    memcpy(ctx, se_id, WARD_SE_ID_LEN);
    n += WARD_SE_ID_LEN;
    memcpy(ctx + n, r2, WARD_SE_R2_LEN);
    n += WARD_SE_R2_LEN;
    memcpy(ctx + n, nonce, WARD_SE_NONCE_LEN);
    n += WARD_SE_NONCE_LEN;
    if (eph_pub != NULL) {
        memcpy(ctx + n, eph_pub, WARD_P256_POINT_LEN);
        n += WARD_P256_POINT_LEN;
    }
    return ward_kdf(cp, WARD_LABEL_SE_SESSION, ikm, ikm_len, NULL, 0, ctx, n,
                    ks, 32);
}

ward_err ward_se_tag(const ward_crypto *cp, const uint8_t ks[32], uint8_t dir,
                     uint8_t type, uint32_t ctr, const uint8_t *data,
                     size_t len, uint8_t tag[WARD_SE_TAG_LEN])
{
    uint8_t hdr[6], full[WARD_SHA256_LEN];
    hdr[0] = dir;
    hdr[1] = type;
    ward_store32(hdr + 2, ctr);
    ward_iov parts[2] = { { hdr, sizeof hdr }, { data, len } };
    ward_err err = cp->hmac_sha256(ks, 32, parts, 2, full);
    memcpy(tag, full, WARD_SE_TAG_LEN);
    ward_wipe(full, sizeof full);
    return err;
}

ward_err ward_se_tagged_frame(const ward_crypto *cp, const uint8_t ks[32],
                              uint8_t dir, uint8_t type, uint32_t ctr,
                              const uint8_t *data, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len)
{
    uint8_t p[WARD_SE_CTR_LEN + WARD_SE_CMD_MAX + WARD_SE_TAG_LEN];
    if (len > WARD_SE_CMD_MAX) {
        return WARD_ERR_PARAM;
    }
    ward_store32(p, ctr);
    if (len > 0) {
        memcpy(p + WARD_SE_CTR_LEN, data, len);
    }
    ward_err err = ward_se_tag(cp, ks, dir, type, ctr, data, len,
                               p + WARD_SE_CTR_LEN + len);
    if (err == WARD_OK) {
        err = ward_se_frame_encode(type, p,
                                   WARD_SE_CTR_LEN + len + WARD_SE_TAG_LEN,
                                   out, cap, out_len);
    }
    return err;
}

ward_err ward_se_tagged_check(const ward_crypto *cp, const uint8_t ks[32],
                              uint8_t dir, uint8_t type, const uint8_t *p,
                              size_t len, uint32_t *ctr, size_t *dlen)
{
    uint8_t want[WARD_SE_TAG_LEN];
    if (len < WARD_SE_CTR_LEN + WARD_SE_TAG_LEN ||
        len - WARD_SE_CTR_LEN - WARD_SE_TAG_LEN > WARD_SE_CMD_MAX) {
        return WARD_ERR_FORMAT;
    }
    *dlen = len - WARD_SE_CTR_LEN - WARD_SE_TAG_LEN;
    *ctr = ward_load32(p);
    ward_err err = ward_se_tag(cp, ks, dir, type, *ctr, p + WARD_SE_CTR_LEN,
                               *dlen, want);
    if (err == WARD_OK &&
        !ward_ct_equal(want, p + WARD_SE_CTR_LEN + *dlen, WARD_SE_TAG_LEN)) {
        err = WARD_ERR_AUTH;
    }
    ward_wipe(want, sizeof want);
    return err;
}

void ward_se_asym_signed(const uint8_t se_id[WARD_SE_ID_LEN],
                         const uint8_t r2[WARD_SE_R2_LEN],
                         const uint8_t eph_pub[WARD_P256_POINT_LEN],
                         const uint8_t nonce[WARD_SE_NONCE_LEN],
                         uint8_t out[SE_ASYM_SIGNED_LEN])
{
    memcpy(out, se_id, WARD_SE_ID_LEN);
    memcpy(out + WARD_SE_ID_LEN, r2, WARD_SE_R2_LEN);
    memcpy(out + WARD_SE_ID_LEN + WARD_SE_R2_LEN, eph_pub,
           WARD_P256_POINT_LEN);
    memcpy(out + WARD_SE_ID_LEN + WARD_SE_R2_LEN + WARD_P256_POINT_LEN, nonce,
           WARD_SE_NONCE_LEN);
}
