/* Flow C's login (ephemeral ECDH under the accesskey) and the sealed session packets. */
#include <string.h>

#include "ward/ward_gw_cloud.h"
#include "ward_inner.h"
#include "proto_inner.h"
#include "gw_msg.h"

#define LG_TID 0x01u
#define LG_COUNTER 0x02u
#define LG_NONCE 0x03u
#define LG_SEALED 0x04u
#define LG_SEALED_LEN (WARD_GW_PASSWORD_LEN + WARD_P256_POINT_LEN + WARD_AEAD_TAG_LEN)
#define LG_AD_LEN (WARD_GW_LOGIN_LEN - WARD_TLV_SIZE(LG_SEALED_LEN))

#define RP_SID 0x01u
#define RP_PUB 0x02u
#define RP_TTL 0x03u
#define RP_CONFIRM 0x04u
#define RP_AD_LEN (WARD_GW_LOGIN_REPLY_LEN - WARD_TLV_SIZE(WARD_AEAD_TAG_LEN))

#define PK_SID 0x01u
#define PK_SEALED 0x02u
/* header || sid field: the AD of a packet */
#define PK_AD_LEN (WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SID_LEN))

/* Nonce direction bytes: gateway -> wardd, wardd -> gateway. */
#define DIR_UP 0x01u
#define DIR_DOWN 0x02u

#define ST_NONE 0u
#define ST_LOGIN_SENT 1u
#define ST_OPEN 2u
#define ROLE_GATEWAY 1u
#define ROLE_SERVER 2u

typedef struct gw_sess {
    uint8_t state;
    uint8_t role;
    uint32_t ttl_s;
    uint32_t tx_seq;   /* last sent */
    uint32_t rx_seq;   /* last accepted */
    uint64_t counter;  /* the login's */
    uint8_t tid[WARD_GW_TID_LEN];
    uint8_t sid[WARD_GW_SID_LEN];
    uint8_t k_tx[WARD_AEAD_KEY_LEN];
    uint8_t k_rx[WARD_AEAD_KEY_LEN];
    /* held between LOGIN and its reply, gateway side only */
    uint8_t accesskey[WARD_GW_ACCESSKEY_LEN];
    uint8_t eph_priv[WARD_P256_SCALAR_LEN];
    uint8_t eph_pub[WARD_P256_POINT_LEN];
} gw_sess;

/* C99 has no _Static_assert: a negative array size fails the build. */
typedef char gw_sess_fits[sizeof(gw_sess) <= WARD_GW_SESSION_CTX_SIZE ? 1 : -1];
typedef char gw_data_fits[WARD_GW_DATA_MAX <= WARD_MSG_MAX ? 1 : -1];

static const ward_tlv_spec login_spec[] = {
    { LG_TID, true, WARD_GW_TID_LEN, WARD_GW_TID_LEN },
    { LG_COUNTER, true, 8, 8 },
    { LG_NONCE, true, WARD_GW_LOGIN_NONCE_LEN, WARD_GW_LOGIN_NONCE_LEN },
    { LG_SEALED, true, LG_SEALED_LEN, LG_SEALED_LEN },
};
#define LG_NFIELDS (sizeof login_spec / sizeof login_spec[0])

static const ward_tlv_spec reply_spec[] = {
    { RP_SID, true, WARD_GW_SID_LEN, WARD_GW_SID_LEN },
    { RP_PUB, true, WARD_P256_POINT_LEN, WARD_P256_POINT_LEN },
    { RP_TTL, true, 4, 4 },
    { RP_CONFIRM, true, WARD_AEAD_TAG_LEN, WARD_AEAD_TAG_LEN },
};
#define RP_NFIELDS (sizeof reply_spec / sizeof reply_spec[0])

static const ward_tlv_spec packet_spec[] = {
    { PK_SID, true, WARD_GW_SID_LEN, WARD_GW_SID_LEN },
    { PK_SEALED, true, WARD_AEAD_TAG_LEN, WARD_GW_SESSION_PAYLOAD_MAX + WARD_AEAD_TAG_LEN },
};
#define PK_NFIELDS (sizeof packet_spec / sizeof packet_spec[0])

static gw_sess *sess(ward_gw_session *s)
{
    return (gw_sess *)(void *)s->opaque.bytes;
}

static const gw_sess *csess(const ward_gw_session *s)
{
    return (const gw_sess *)(const void *)s->opaque.bytes;
}

static ward_err login_key(const ward_crypto *cp, const uint8_t *accesskey, const uint8_t *tid,
                          uint8_t key[WARD_AEAD_KEY_LEN])
{
    return ward_kdf(cp, WARD_LABEL_GW_LOGIN, accesskey, WARD_GW_ACCESSKEY_LEN, NULL, 0, tid,
                    WARD_GW_TID_LEN, key, WARD_AEAD_KEY_LEN);
}

/* k_up || k_down = kdf("gw session", ikm = ecdh x, salt = accesskey,
 * context = tid || counter (8) || E_g || E_s || sid); the caller's
 * direction decides which is tx. */
static ward_err session_keys(gw_sess *g, const ward_crypto *cp, const uint8_t shared[32],
                             const uint8_t *accesskey, const uint8_t *e_g, const uint8_t *e_s)
{
    uint8_t ctx[WARD_GW_TID_LEN + 8 + 2 * WARD_P256_POINT_LEN + WARD_GW_SID_LEN];
    uint8_t keys[2 * WARD_AEAD_KEY_LEN];
    size_t o = 0;
    memcpy(ctx, g->tid, WARD_GW_TID_LEN);
    o += WARD_GW_TID_LEN;
    ward_store64(ctx + o, g->counter);
    o += 8;
    memcpy(ctx + o, e_g, WARD_P256_POINT_LEN);
    o += WARD_P256_POINT_LEN;
    memcpy(ctx + o, e_s, WARD_P256_POINT_LEN);
    o += WARD_P256_POINT_LEN;
    memcpy(ctx + o, g->sid, WARD_GW_SID_LEN);
    o += WARD_GW_SID_LEN;
    ward_err err = ward_kdf(cp, WARD_LABEL_GW_SESSION, shared, WARD_P256_SHARED_LEN, accesskey,
                            WARD_GW_ACCESSKEY_LEN, ctx, o, keys, sizeof keys);
    if (err == WARD_OK) {
        const uint8_t *up = keys, *down = keys + WARD_AEAD_KEY_LEN;
        memcpy(g->k_tx, g->role == ROLE_GATEWAY ? up : down, WARD_AEAD_KEY_LEN);
        memcpy(g->k_rx, g->role == ROLE_GATEWAY ? down : up, WARD_AEAD_KEY_LEN);
    }
    ward_wipe(keys, sizeof keys);
    return err;
}

ward_err ward_gw_login_start(ward_gw_session *s, const ward_crypto *cp, const ward_random *rng,
                             const ward_gw_creds *c, uint64_t counter, uint8_t *out, size_t cap,
                             size_t *len)
{
    gw_sess *g;
    ward_tlv_writer w;
    uint8_t key[WARD_AEAD_KEY_LEN];
    uint8_t nonce[WARD_GW_LOGIN_NONCE_LEN];
    uint8_t plain[WARD_GW_PASSWORD_LEN + WARD_P256_POINT_LEN];
    size_t n = 0;
    WARD_ASSERT(s != NULL && cp != NULL && rng != NULL && c != NULL && out != NULL &&
                len != NULL);
    *len = 0;
    ward_gw_session_wipe(s);
    g = sess(s);
    if (cap < WARD_GW_LOGIN_LEN) {
        return WARD_ERR_NOSPACE;
    }
    g->role = ROLE_GATEWAY;
    g->counter = counter;
    memcpy(g->tid, c->tid, WARD_GW_TID_LEN);
    memcpy(g->accesskey, c->accesskey, WARD_GW_ACCESSKEY_LEN);
    ward_err err = ward_p256_keygen(cp, rng, g->eph_priv, g->eph_pub);
    if (err == WARD_OK) {
        err = rng->fill(rng->ctx, nonce, sizeof nonce);
    }
    if (err == WARD_OK) {
        err = login_key(cp, c->accesskey, c->tid, key);
    }
    if (err == WARD_OK) {
        ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, LG_AD_LEN - WARD_HDR_BASE_LEN);
        ward_tlv_put(&w, LG_TID, c->tid, WARD_GW_TID_LEN);
        ward_tlv_put_u64(&w, LG_COUNTER, counter);
        ward_tlv_put(&w, LG_NONCE, nonce, sizeof nonce);
        WARD_ASSERT(ward_tlv_writer_finish(&w, &n) == WARD_OK);
        WARD_ASSERT(ward_proto_hdr(WARD_MSG_GW_LOGIN, 0, WARD_GW_LOGIN_LEN - WARD_HDR_BASE_LEN,
                                   out, cap) == WARD_OK);
        memcpy(plain, c->password, WARD_GW_PASSWORD_LEN);
        memcpy(plain + WARD_GW_PASSWORD_LEN, g->eph_pub, WARD_P256_POINT_LEN);
        out[LG_AD_LEN] = LG_SEALED;
        out[LG_AD_LEN + 1] = (uint8_t)LG_SEALED_LEN;
        err = ward_aead_seal(cp, key, nonce, out, LG_AD_LEN, plain, sizeof plain,
                             out + LG_AD_LEN + 2, LG_SEALED_LEN, &n);
    }
    ward_wipe(key, sizeof key);
    ward_wipe(plain, sizeof plain);
    if (err != WARD_OK) {
        ward_gw_session_wipe(s);
        ward_wipe(out, cap < WARD_GW_LOGIN_LEN ? cap : WARD_GW_LOGIN_LEN);
        return err;
    }
    g->state = ST_LOGIN_SENT;
    *len = WARD_GW_LOGIN_LEN;
    return WARD_OK;
}

ward_err ward_gw_login_peek(const uint8_t *msg, size_t len, uint8_t tid[WARD_GW_TID_LEN],
                            uint64_t *counter)
{
    ward_tlv_field f[LG_NFIELDS];
    WARD_ASSERT(tid != NULL && counter != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(tid, 0, WARD_GW_TID_LEN);
    *counter = 0;
    if (len != WARD_GW_LOGIN_LEN ||
        gw_msg_parse(msg, len, WARD_MSG_GW_LOGIN, 0, login_spec, LG_NFIELDS, f) != WARD_OK ||
        ward_tlv_get_u64(&f[1], counter) != WARD_OK) {
        *counter = 0;
        return WARD_ERR_FORMAT;
    }
    memcpy(tid, f[0].ptr, WARD_GW_TID_LEN);
    return WARD_OK;
}

ward_err ward_gw_login_accept(ward_gw_session *s, const ward_crypto *cp, const ward_random *rng,
                              const uint8_t tid[WARD_GW_TID_LEN],
                              const uint8_t accesskey[WARD_GW_ACCESSKEY_LEN],
                              const uint8_t verifier[WARD_GW_VERIFIER_LEN],
                              uint64_t last_counter, const uint8_t sid[WARD_GW_SID_LEN],
                              uint32_t ttl_s, const uint8_t *msg, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len)
{
    ward_tlv_field f[LG_NFIELDS];
    uint8_t peek_tid[WARD_GW_TID_LEN];
    uint64_t counter = 0;
    uint8_t key[WARD_AEAD_KEY_LEN];
    uint8_t plain[WARD_GW_PASSWORD_LEN + WARD_P256_POINT_LEN];
    uint8_t check[WARD_GW_VERIFIER_LEN];
    uint8_t e_priv[WARD_P256_SCALAR_LEN], e_pub[WARD_P256_POINT_LEN];
    uint8_t shared[WARD_P256_SHARED_LEN];
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    ward_tlv_writer w;
    size_t n = 0;
    gw_sess *g;
    WARD_ASSERT(s != NULL && cp != NULL && rng != NULL && tid != NULL && accesskey != NULL);
    WARD_ASSERT(verifier != NULL && sid != NULL && out != NULL && out_len != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    *out_len = 0;
    ward_gw_session_wipe(s);
    g = sess(s);
    if (ward_gw_login_peek(msg, len, peek_tid, &counter) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    WARD_ASSERT(gw_msg_parse(msg, len, WARD_MSG_GW_LOGIN, 0, login_spec, LG_NFIELDS, f) == WARD_OK);
    if (cap < WARD_GW_LOGIN_REPLY_LEN) {
        return WARD_ERR_NOSPACE;
    }
    /* Another gateway's login, or a replay: refused before any crypto. */
    if (!ward_ct_equal(peek_tid, tid, WARD_GW_TID_LEN) || counter <= last_counter) {
        return WARD_ERR_AUTH;
    }
    ward_err err = login_key(cp, accesskey, tid, key);
    if (err == WARD_OK) {
        err = ward_aead_open(cp, key, f[2].ptr, msg, LG_AD_LEN, f[3].ptr, f[3].len, plain,
                             sizeof plain, &n);
    }
    if (err == WARD_OK) {
        err = ward_gw_password_verifier(cp, tid, plain, check);
    }
    if (err == WARD_OK && !ward_ct_equal(check, verifier, sizeof check)) {
        err = WARD_ERR_AUTH;
    }
    g->role = ROLE_SERVER;
    g->counter = counter;
    g->ttl_s = ttl_s;
    memcpy(g->tid, tid, WARD_GW_TID_LEN);
    memcpy(g->sid, sid, WARD_GW_SID_LEN);
    if (err == WARD_OK) {
        err = ward_p256_keygen(cp, rng, e_priv, e_pub);
    }
    if (err == WARD_OK) {
        err = cp->p256_ecdh(e_priv, plain + WARD_GW_PASSWORD_LEN, shared);
        if (err == WARD_ERR_FORMAT) {
            err = WARD_ERR_AUTH;   /* sealed under accesskey, yet no point: not ours */
        }
    }
    if (err == WARD_OK) {
        err = session_keys(g, cp, shared, accesskey, plain + WARD_GW_PASSWORD_LEN, e_pub);
    }
    if (err == WARD_OK) {
        ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, RP_AD_LEN - WARD_HDR_BASE_LEN);
        ward_tlv_put(&w, RP_SID, sid, WARD_GW_SID_LEN);
        ward_tlv_put(&w, RP_PUB, e_pub, WARD_P256_POINT_LEN);
        ward_tlv_put_u32(&w, RP_TTL, ttl_s);
        WARD_ASSERT(ward_tlv_writer_finish(&w, &n) == WARD_OK);
        WARD_ASSERT(ward_proto_hdr(WARD_MSG_GW_LOGIN, WARD_FLAG_REPLY,
                                   WARD_GW_LOGIN_REPLY_LEN - WARD_HDR_BASE_LEN, out,
                                   cap) == WARD_OK);
        out[RP_AD_LEN] = RP_CONFIRM;
        out[RP_AD_LEN + 1] = WARD_AEAD_TAG_LEN;
        gw_nonce(DIR_DOWN, 0, nonce);
        /* The confirmation: an empty packet at seq 0, so the gateway knows
         * this wardd holds the accesskey and saw its share. */
        err = ward_aead_seal(cp, g->k_tx, nonce, out, RP_AD_LEN, NULL, 0, out + RP_AD_LEN + 2,
                             WARD_AEAD_TAG_LEN, &n);
    }
    ward_wipe(key, sizeof key);
    ward_wipe(plain, sizeof plain);
    ward_wipe(check, sizeof check);
    ward_wipe(e_priv, sizeof e_priv);
    ward_wipe(shared, sizeof shared);
    if (err != WARD_OK) {
        ward_gw_session_wipe(s);
        ward_wipe(out, cap < WARD_GW_LOGIN_REPLY_LEN ? cap : WARD_GW_LOGIN_REPLY_LEN);
        return err == WARD_ERR_CRYPTO || err == WARD_ERR_IO ? err : WARD_ERR_AUTH;
    }
    g->state = ST_OPEN;
    *out_len = WARD_GW_LOGIN_REPLY_LEN;
    return WARD_OK;
}

ward_err ward_gw_login_finish(ward_gw_session *s, const ward_crypto *cp, const uint8_t *msg,
                              size_t len)
{
    ward_tlv_field f[RP_NFIELDS];
    uint8_t shared[WARD_P256_SHARED_LEN];
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    uint8_t none[1];
    size_t n = 0;
    uint32_t ttl = 0;
    gw_sess *g;
    WARD_ASSERT(s != NULL && cp != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    g = sess(s);
    if (g->state != ST_LOGIN_SENT || g->role != ROLE_GATEWAY) {
        return WARD_ERR_STATE;
    }
    if (len != WARD_GW_LOGIN_REPLY_LEN ||
        gw_msg_parse(msg, len, WARD_MSG_GW_LOGIN, WARD_FLAG_REPLY, reply_spec, RP_NFIELDS, f) !=
            WARD_OK ||
        ward_tlv_get_u32(&f[2], &ttl) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = cp->p256_ecdh(g->eph_priv, f[1].ptr, shared);
    if (err == WARD_ERR_FORMAT) {
        return WARD_ERR_FORMAT;   /* the pending login stays for a genuine reply */
    }
    memcpy(g->sid, f[0].ptr, WARD_GW_SID_LEN);
    if (err == WARD_OK) {
        err = session_keys(g, cp, shared, g->accesskey, g->eph_pub, f[1].ptr);
    }
    if (err == WARD_OK) {
        gw_nonce(DIR_DOWN, 0, nonce);
        err = ward_aead_open(cp, g->k_rx, nonce, msg, RP_AD_LEN, f[3].ptr, f[3].len, none,
                             sizeof none, &n);
    }
    ward_wipe(shared, sizeof shared);
    if (err != WARD_OK) {
        /* A forged reply leaves the pending login as it was. */
        ward_wipe(g->k_tx, sizeof g->k_tx);
        ward_wipe(g->k_rx, sizeof g->k_rx);
        memset(g->sid, 0, sizeof g->sid);
        return err == WARD_ERR_CRYPTO || err == WARD_ERR_IO ? err : WARD_ERR_AUTH;
    }
    /* Forward secrecy: the ephemeral and the accesskey leave the session. */
    ward_wipe(g->eph_priv, sizeof g->eph_priv);
    ward_wipe(g->accesskey, sizeof g->accesskey);
    g->ttl_s = ttl;
    g->state = ST_OPEN;
    return WARD_OK;
}

ward_err ward_gw_session_seal(ward_gw_session *s, const ward_crypto *cp, uint8_t type,
                              const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                              size_t *len)
{
    gw_sess *g;
    WARD_ASSERT(s != NULL && cp != NULL && out != NULL && len != NULL);
    WARD_ASSERT(pt != NULL || pt_len == 0);
    *len = 0;
    g = sess(s);
    if (type != WARD_MSG_GW_DATA && type != WARD_MSG_GW_LOGOUT && type != WARD_MSG_GW_RESET) {
        return WARD_ERR_PARAM;
    }
    if (pt_len > WARD_GW_SESSION_PAYLOAD_MAX || (type != WARD_MSG_GW_DATA && pt_len != 0)) {
        return WARD_ERR_PARAM;
    }
    if (g->state != ST_OPEN || g->tx_seq == UINT32_MAX) {
        return WARD_ERR_STATE;
    }
    ward_err err = gw_sealed_write(cp, g->k_tx, g->role == ROLE_GATEWAY ? DIR_UP : DIR_DOWN,
                                   type, 0, g->tx_seq + 1, g->sid, WARD_GW_SID_LEN, pt, pt_len,
                                   out, cap, len);
    if (err != WARD_OK) {
        return err;
    }
    g->tx_seq++;
    return WARD_OK;
}

/* Header and fields of a packet: type, seq, sid and the sealed field. */
static ward_err packet_parse(const uint8_t *msg, size_t len, ward_hdr *h, ward_tlv_field *f)
{
    static const uint8_t types[] = {WARD_MSG_GW_DATA, WARD_MSG_GW_LOGOUT, WARD_MSG_GW_RESET};
    return gw_sealed_parse(msg, len, types, sizeof types, packet_spec, h, f);
}

ward_err ward_gw_packet_sid(const uint8_t *msg, size_t len, uint8_t sid[WARD_GW_SID_LEN])
{
    ward_hdr h;
    ward_tlv_field f[PK_NFIELDS];
    WARD_ASSERT(sid != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    memset(sid, 0, WARD_GW_SID_LEN);
    if (packet_parse(msg, len, &h, f) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    memcpy(sid, f[0].ptr, WARD_GW_SID_LEN);
    return WARD_OK;
}

ward_err ward_gw_session_open(ward_gw_session *s, const ward_crypto *cp, const uint8_t *msg,
                              size_t len, uint8_t *type, uint8_t *out, size_t cap,
                              size_t *out_len)
{
    ward_hdr h;
    ward_tlv_field f[PK_NFIELDS];
    uint8_t nonce[WARD_AEAD_NONCE_LEN];
    gw_sess *g;
    WARD_ASSERT(s != NULL && cp != NULL && type != NULL && out_len != NULL);
    WARD_ASSERT(msg != NULL || len == 0);
    WARD_ASSERT(out != NULL || cap == 0);
    *out_len = 0;
    *type = 0;
    g = sess(s);
    if (g->state != ST_OPEN) {
        return WARD_ERR_STATE;
    }
    if (packet_parse(msg, len, &h, f) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    /* Another session's packet, or one at or below the last accepted
     * counter (a replay, or older than one already taken): refused. */
    if (!ward_ct_equal(f[0].ptr, g->sid, WARD_GW_SID_LEN) || h.seq <= g->rx_seq) {
        return WARD_ERR_AUTH;
    }
    if (h.type != WARD_MSG_GW_DATA && f[1].len != WARD_AEAD_TAG_LEN) {
        return WARD_ERR_FORMAT;
    }
    if (cap < (size_t)f[1].len - WARD_AEAD_TAG_LEN) {
        return WARD_ERR_NOSPACE;
    }
    gw_nonce(g->role == ROLE_GATEWAY ? DIR_DOWN : DIR_UP, h.seq, nonce);
    /* An empty payload needs no buffer of the caller's. */
    uint8_t none[1];
    ward_err err = ward_aead_open(cp, g->k_rx, nonce, msg, PK_AD_LEN, f[1].ptr, f[1].len,
                                  out != NULL ? out : none, out != NULL ? cap : 0, out_len);
    if (err != WARD_OK) {
        *out_len = 0;
        return err == WARD_ERR_CRYPTO ? err : WARD_ERR_AUTH;
    }
    g->rx_seq = h.seq;
    *type = h.type;
    if (h.type == WARD_MSG_GW_LOGOUT) {
        /* Logged out: nothing more is sealed or opened under these keys. */
        ward_gw_session_wipe(s);
    }
    return WARD_OK;
}

ward_err ward_gw_session_id(const ward_gw_session *s, uint8_t sid[WARD_GW_SID_LEN])
{
    WARD_ASSERT(s != NULL && sid != NULL);
    if (csess(s)->state != ST_OPEN) {
        memset(sid, 0, WARD_GW_SID_LEN);
        return WARD_ERR_STATE;
    }
    memcpy(sid, csess(s)->sid, WARD_GW_SID_LEN);
    return WARD_OK;
}

uint32_t ward_gw_session_ttl(const ward_gw_session *s)
{
    WARD_ASSERT(s != NULL);
    return csess(s)->state == ST_OPEN ? csess(s)->ttl_s : 0;
}

void ward_gw_session_wipe(ward_gw_session *s)
{
    WARD_ASSERT(s != NULL);
    ward_wipe(s->opaque.bytes, sizeof s->opaque.bytes);
}
