/* Flow C's registration messages: CLAIM, REGISTER and CREDENTIALS (and its ack). */
#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_gw_cloud.h"
#include "ward_inner.h"
#include "proto_inner.h"
#include "gw_msg.h"

#define REG_CLAIM 0x01u
#define REG_MAC 0x02u
#define REG_UUID 0x03u
#define REG_PUB 0x04u
#define REG_ACT 0x05u
#define REG_OWNER 0x06u

#define CR_TID 0x01u
#define CR_GEN 0x02u
#define CR_EXPIRY 0x03u
#define CR_SEALED 0x04u

#define CR_SEALED_LEN (WARD_GW_CREDS_PLAIN_LEN + WARD_SEAL_OVERHEAD)
/* header || tid || gen || expiry: the AD of the sealed field */
#define CR_AD_LEN (WARD_GW_CREDS_MSG_LEN - WARD_TLV_SIZE(CR_SEALED_LEN))

/* C99 has no _Static_assert: a negative array size fails the build. */
typedef char gw_activation_max_ok[WARD_GW_ACTIVATION_MAX == WARD_ACTIVATION_MAX ? 1 : -1];
typedef char gw_uuid_is_id[WARD_GW_UUID_LEN == GW_MSG_ID_LEN ? 1 : -1];
typedef char gw_register_fits[WARD_GW_REGISTER_MAX <= WARD_MSG_MAX ? 1 : -1];

static const ward_tlv_spec claim_spec[] = {
    { 0x01u, true, WARD_GW_CLAIM_LEN, WARD_GW_CLAIM_LEN },
};

static const ward_tlv_spec reg_spec[] = {
    { REG_CLAIM, true, WARD_GW_CLAIM_LEN, WARD_GW_CLAIM_LEN },
    { REG_MAC, true, WARD_GW_MAC_LEN, WARD_GW_MAC_LEN },
    { REG_UUID, true, WARD_GW_UUID_LEN, WARD_GW_UUID_LEN },
    { REG_PUB, true, WARD_P256_POINT_LEN, WARD_P256_POINT_LEN },
    { REG_ACT, true, 1, WARD_GW_ACTIVATION_MAX },
    { REG_OWNER, true, WARD_GW_OWNER_COMMIT_LEN, WARD_GW_OWNER_COMMIT_LEN },
    { WARD_TAG_SIG, true, WARD_P256_SIG_LEN, WARD_P256_SIG_LEN },
};
#define REG_NFIELDS (sizeof reg_spec / sizeof reg_spec[0])

static const ward_tlv_spec creds_spec[] = {
    { CR_TID, true, WARD_GW_TID_LEN, WARD_GW_TID_LEN },
    { CR_GEN, true, 4, 4 },
    { CR_EXPIRY, true, 8, 8 },
    { CR_SEALED, true, CR_SEALED_LEN, CR_SEALED_LEN },
};
#define CR_NFIELDS (sizeof creds_spec / sizeof creds_spec[0])

static const ward_tlv_spec ack_spec[] = {
    { CR_TID, true, WARD_GW_TID_LEN, WARD_GW_TID_LEN },
    { CR_GEN, true, 4, 4 },
};
#define ACK_NFIELDS (sizeof ack_spec / sizeof ack_spec[0])

ward_err ward_gw_claim_encode(const uint8_t claim[WARD_GW_CLAIM_LEN], uint8_t *out, size_t cap,
                              size_t *len)
{
    ward_tlv_writer w;
    WARD_ASSERT(claim != NULL && out != NULL && len != NULL);
    *len = 0;
    if (cap < WARD_GW_CLAIM_MSG_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN);
    ward_tlv_put(&w, 0x01u, claim, WARD_GW_CLAIM_LEN);
    return gw_msg_finish(WARD_MSG_GW_CLAIM, 0, &w, out, cap, len);
}

ward_err ward_gw_claim_parse(const uint8_t *msg, size_t len, uint8_t claim[WARD_GW_CLAIM_LEN])
{
    ward_tlv_field f[1];
    WARD_ASSERT(claim != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(claim, 0, WARD_GW_CLAIM_LEN);
    if (gw_msg_parse(msg, len, WARD_MSG_GW_CLAIM, 0, claim_spec, 1, f) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    memcpy(claim, f[0].ptr, WARD_GW_CLAIM_LEN);
    return WARD_OK;
}

ward_err ward_gw_owner_hash(const ward_crypto *cp, const uint8_t code[WARD_GW_OWNER_CODE_LEN],
                            const uint8_t random[WARD_GW_OWNER_RANDOM_LEN],
                            const uint8_t uuid[WARD_GW_UUID_LEN],
                            uint8_t hash[WARD_GW_OWNER_HASH_LEN])
{
    WARD_ASSERT(cp != NULL && code != NULL && random != NULL && uuid != NULL && hash != NULL);
    /* The seed's H(verification code + random): keyed by the secret code,
     * salted by the epoch's random, bound to this gateway's uuid. */
    return ward_kdf(cp, WARD_LABEL_GW_OWNER, code, WARD_GW_OWNER_CODE_LEN, random,
                    WARD_GW_OWNER_RANDOM_LEN, uuid, WARD_GW_UUID_LEN, hash,
                    WARD_GW_OWNER_HASH_LEN);
}

ward_err ward_gw_owner_commit(const ward_crypto *cp, const uint8_t hash[WARD_GW_OWNER_HASH_LEN],
                              const uint8_t uuid[WARD_GW_UUID_LEN],
                              uint8_t commit[WARD_GW_OWNER_COMMIT_LEN])
{
    WARD_ASSERT(cp != NULL && hash != NULL && uuid != NULL && commit != NULL);
    /* One-way: the REGISTER (seen by wardd and whoever logs it) does not
     * give the hash away, only lets wardd recognise it. */
    return ward_kdf(cp, WARD_LABEL_GW_OWNER_COMMIT, hash, WARD_GW_OWNER_HASH_LEN, NULL, 0, uuid,
                    WARD_GW_UUID_LEN, commit, WARD_GW_OWNER_COMMIT_LEN);
}

ward_err ward_gw_owner_check(const ward_crypto *cp, const ward_gw_register *r,
                             const uint8_t hash[WARD_GW_OWNER_HASH_LEN])
{
    uint8_t c[WARD_GW_OWNER_COMMIT_LEN];
    WARD_ASSERT(cp != NULL && r != NULL && hash != NULL);
    if (r->owner_commit == NULL || r->uuid == NULL) {
        return WARD_ERR_PARAM;
    }
    ward_err err = ward_gw_owner_commit(cp, hash, r->uuid, c);
    if (err == WARD_OK && !ward_ct_equal(c, r->owner_commit, sizeof c)) {
        err = WARD_ERR_AUTH;
    }
    ward_wipe(c, sizeof c);
    return err;
}

ward_err ward_gw_register_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                                  ward_key_id id, const uint8_t claim[WARD_GW_CLAIM_LEN],
                                  const uint8_t mac[WARD_GW_MAC_LEN],
                                  const uint8_t uuid[WARD_GW_UUID_LEN],
                                  const uint8_t *activation, size_t activation_len,
                                  const uint8_t owner[WARD_GW_OWNER_HASH_LEN], uint8_t *out,
                                  size_t cap, size_t *len)
{
    uint8_t pub[WARD_P256_POINT_LEN], commit[WARD_GW_OWNER_COMMIT_LEN];
    ward_tlv_writer w;
    size_t fields = 0;
    WARD_ASSERT(cp != NULL && ks != NULL && claim != NULL && mac != NULL && uuid != NULL);
    WARD_ASSERT(activation != NULL && owner != NULL && out != NULL && len != NULL);
    *len = 0;
    if (activation_len == 0 || activation_len > WARD_GW_ACTIVATION_MAX) {
        return WARD_ERR_PARAM;
    }
    ward_err err = ward_gw_owner_commit(cp, owner, uuid, commit);
    if (err != WARD_OK) {
        return err;
    }
    err = ks->public_key(ks->ctx, id, pub);
    if (err != WARD_OK) {
        return err;
    }
    /* Refuse to send what wardd would refuse: an activation of another key. */
    if (gw_activation_matches(cp, activation, activation_len, uuid, pub, NULL, 0) != WARD_OK) {
        return WARD_ERR_PARAM;
    }
    if (cap < WARD_HDR_BASE_LEN + WARD_SIG_FIELD_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN - WARD_SIG_FIELD_LEN);
    ward_tlv_put(&w, REG_CLAIM, claim, WARD_GW_CLAIM_LEN);
    ward_tlv_put(&w, REG_MAC, mac, WARD_GW_MAC_LEN);
    ward_tlv_put(&w, REG_UUID, uuid, WARD_GW_UUID_LEN);
    ward_tlv_put(&w, REG_PUB, pub, WARD_P256_POINT_LEN);
    ward_tlv_put(&w, REG_ACT, activation, activation_len);
    ward_tlv_put(&w, REG_OWNER, commit, WARD_GW_OWNER_COMMIT_LEN);
    err = ward_tlv_writer_finish(&w, &fields);
    if (err == WARD_OK) {
        err = ward_proto_hdr(WARD_MSG_GW_REGISTER, 0, fields + WARD_SIG_FIELD_LEN, out, cap);
    }
    if (err == WARD_OK) {
        err = ward_proto_sign_by(cp, WARD_LABEL_GW_REGISTER, ks, id, out,
                                 WARD_HDR_BASE_LEN + fields, cap, len);
    }
    return err;
}

ward_err ward_gw_register_verify(const ward_crypto *cp,
                                 const uint8_t factory_pub[WARD_P256_POINT_LEN],
                                 const uint8_t *msg, size_t len, ward_gw_register *r)
{
    /* The factory key signs activations and is the root of chains. */
    ward_identity_trust t = { factory_pub, factory_pub, NULL, 0 };
    WARD_ASSERT(factory_pub != NULL);
    return ward_gw_register_verify_id(cp, &t, msg, len, r);
}

ward_err ward_gw_register_verify_id(const ward_crypto *cp, const ward_identity_trust *t,
                                    const uint8_t *msg, size_t len, ward_gw_register *r)
{
    ward_tlv_field f[REG_NFIELDS];
    WARD_ASSERT(cp != NULL && t != NULL && r != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(r, 0, sizeof *r);
    /* The key that signs is inside the message, so the structure is read
     * first; nothing of it is used before both signatures verify. */
    if (gw_msg_parse(msg, len, WARD_MSG_GW_REGISTER, 0, reg_spec, REG_NFIELDS, f) != WARD_OK ||
        cp->p256_point_check(f[3].ptr) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    if (ward_proto_verify(cp, WARD_LABEL_GW_REGISTER, f[3].ptr, msg, len) != WARD_OK ||
        gw_activation_matches(cp, f[4].ptr, f[4].len, f[2].ptr, f[3].ptr, t,
                              WARD_IDENTITY_ROLE(WARD_CERT_ROLE_GATEWAY)) != WARD_OK) {
        return WARD_ERR_AUTH;
    }
    r->claim = f[0].ptr;
    r->mac = f[1].ptr;
    r->uuid = f[2].ptr;
    r->gw_pub = f[3].ptr;
    r->activation = f[4].ptr;
    r->activation_len = f[4].len;
    r->owner_commit = f[5].ptr;
    return WARD_OK;
}

ward_err ward_gw_password_verifier(const ward_crypto *cp, const uint8_t tid[WARD_GW_TID_LEN],
                                   const uint8_t password[WARD_GW_PASSWORD_LEN],
                                   uint8_t out[WARD_GW_VERIFIER_LEN])
{
    WARD_ASSERT(cp != NULL && tid != NULL && password != NULL && out != NULL);
    /* The password is 128 random bits: a keyed hash is a sound verifier;
     * a slow hash would only slow wardd down. */
    return ward_kdf(cp, WARD_LABEL_GW_PASSWORD, password, WARD_GW_PASSWORD_LEN, NULL, 0, tid,
                    WARD_GW_TID_LEN, out, WARD_GW_VERIFIER_LEN);
}

ward_err ward_gw_creds_seal(const ward_crypto *cp, const ward_random *rng,
                            const uint8_t gw_pub[WARD_P256_POINT_LEN], const ward_gw_creds *c,
                            uint8_t *out, size_t cap, size_t *len)
{
    uint8_t plain[WARD_GW_CREDS_PLAIN_LEN];
    ward_tlv_writer w;
    size_t sealed_len = 0;
    WARD_ASSERT(cp != NULL && rng != NULL && gw_pub != NULL && c != NULL);
    WARD_ASSERT(out != NULL && len != NULL);
    *len = 0;
    if (cap < WARD_GW_CREDS_MSG_LEN) {
        return WARD_ERR_NOSPACE;
    }
    if (c->generation == 0) {
        return WARD_ERR_PARAM;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, CR_AD_LEN - WARD_HDR_BASE_LEN);
    ward_tlv_put(&w, CR_TID, c->tid, WARD_GW_TID_LEN);
    ward_tlv_put_u32(&w, CR_GEN, c->generation);
    ward_tlv_put_u64(&w, CR_EXPIRY, c->expiry_ms);
    WARD_ASSERT(ward_tlv_writer_finish(&w, &sealed_len) == WARD_OK);
    WARD_ASSERT(ward_proto_hdr(WARD_MSG_GW_CREDENTIALS, 0,
                               WARD_GW_CREDS_MSG_LEN - WARD_HDR_BASE_LEN, out, cap) == WARD_OK);
    memcpy(plain, c->password, WARD_GW_PASSWORD_LEN);
    memcpy(plain + WARD_GW_PASSWORD_LEN, c->accesskey, WARD_GW_ACCESSKEY_LEN);
    memcpy(plain + WARD_GW_PASSWORD_LEN + WARD_GW_ACCESSKEY_LEN, c->localkey,
           WARD_GW_LOCALKEY_LEN);
    out[CR_AD_LEN] = CR_SEALED;
    out[CR_AD_LEN + 1] = (uint8_t)CR_SEALED_LEN;
    ward_err err = ward_seal_to(cp, rng, gw_pub, out, CR_AD_LEN, plain, sizeof plain,
                                out + CR_AD_LEN + 2, CR_SEALED_LEN, &sealed_len);
    ward_wipe(plain, sizeof plain);
    if (err != WARD_OK) {
        ward_wipe(out, WARD_GW_CREDS_MSG_LEN);
        return err;
    }
    *len = WARD_GW_CREDS_MSG_LEN;
    return WARD_OK;
}

static ward_err creds_parse(const uint8_t *msg, size_t len, ward_gw_creds *c,
                            ward_tlv_field f[CR_NFIELDS])
{
    memset(c, 0, sizeof *c);
    if (len != WARD_GW_CREDS_MSG_LEN ||
        gw_msg_parse(msg, len, WARD_MSG_GW_CREDENTIALS, 0, creds_spec, CR_NFIELDS, f) != WARD_OK ||
        ward_tlv_get_u32(&f[1], &c->generation) != WARD_OK ||
        ward_tlv_get_u64(&f[2], &c->expiry_ms) != WARD_OK || c->generation == 0) {
        memset(c, 0, sizeof *c);
        return WARD_ERR_FORMAT;
    }
    memcpy(c->tid, f[0].ptr, WARD_GW_TID_LEN);
    return WARD_OK;
}

ward_err ward_gw_creds_peek(const uint8_t *msg, size_t len, ward_gw_creds *c)
{
    ward_tlv_field f[CR_NFIELDS];
    WARD_ASSERT(c != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    return creds_parse(msg, len, c, f);
}

ward_err ward_gw_creds_open_by(const ward_crypto *cp, const ward_keystore *ks, ward_key_id id,
                               const uint8_t *msg, size_t len, ward_gw_creds *c)
{
    ward_tlv_field f[CR_NFIELDS];
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t plain[WARD_GW_CREDS_PLAIN_LEN];
    size_t plain_len = 0;
    WARD_ASSERT(cp != NULL && ks != NULL && c != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    ward_err err = creds_parse(msg, len, c, f);
    if (err != WARD_OK) {
        return err;
    }
    err = ks->public_key(ks->ctx, id, pub);
    if (err == WARD_OK) {
        err = ward_seal_open_by(cp, ks, id, pub, msg, CR_AD_LEN, f[3].ptr, f[3].len, plain,
                                sizeof plain, &plain_len);
        if (err == WARD_ERR_FORMAT) {
            err = WARD_ERR_AUTH;   /* an ephemeral point off the curve: forged */
        }
    }
    if (err != WARD_OK || plain_len != sizeof plain) {
        ward_wipe(plain, sizeof plain);
        memset(c, 0, sizeof *c);
        return err != WARD_OK ? err : WARD_ERR_AUTH;
    }
    memcpy(c->password, plain, WARD_GW_PASSWORD_LEN);
    memcpy(c->accesskey, plain + WARD_GW_PASSWORD_LEN, WARD_GW_ACCESSKEY_LEN);
    memcpy(c->localkey, plain + WARD_GW_PASSWORD_LEN + WARD_GW_ACCESSKEY_LEN,
           WARD_GW_LOCALKEY_LEN);
    ward_wipe(plain, sizeof plain);
    return WARD_OK;
}

ward_err ward_gw_creds_ack_encode(const uint8_t tid[WARD_GW_TID_LEN], uint32_t gen,
                                  uint8_t *out, size_t cap, size_t *len)
{
    ward_tlv_writer w;
    WARD_ASSERT(tid != NULL && out != NULL && len != NULL);
    *len = 0;
    if (cap < WARD_GW_CREDS_ACK_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN);
    ward_tlv_put(&w, CR_TID, tid, WARD_GW_TID_LEN);
    ward_tlv_put_u32(&w, CR_GEN, gen);
    return gw_msg_finish(WARD_MSG_GW_CREDENTIALS, WARD_FLAG_REPLY, &w, out, cap, len);
}

ward_err ward_gw_creds_ack_parse(const uint8_t *msg, size_t len, uint8_t tid[WARD_GW_TID_LEN],
                                 uint32_t *gen)
{
    ward_tlv_field f[ACK_NFIELDS];
    WARD_ASSERT(tid != NULL && gen != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(tid, 0, WARD_GW_TID_LEN);
    *gen = 0;
    if (gw_msg_parse(msg, len, WARD_MSG_GW_CREDENTIALS, WARD_FLAG_REPLY, ack_spec, ACK_NFIELDS,
                     f) != WARD_OK ||
        ward_tlv_get_u32(&f[1], gen) != WARD_OK) {
        *gen = 0;
        return WARD_ERR_FORMAT;
    }
    memcpy(tid, f[0].ptr, WARD_GW_TID_LEN);
    return WARD_OK;
}
