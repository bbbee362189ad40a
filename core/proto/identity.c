/* One identity for every role (ward_identity.h): a certificate chain, or an ACTIVATION while
 * the migration lasts, verified and read the same way by every verifier and holder. */
#include <string.h>

#include "ward/ward_identity.h"
#include "ward/ward_bind.h"
#include "ward_inner.h"
#include "proto_inner.h"

typedef char identity_max_ok[WARD_ACTIVATION_MAX <= WARD_IDENTITY_MAX ? 1 : -1];

static ward_err refuse(ward_cert_why *why, ward_cert_why w, ward_err err)
{
    if (why != NULL) {
        *why = w;
    }
    return err;
}

bool ward_identity_is_chain(const uint8_t *in, size_t len)
{
    /* A certificate starts format, role; an ACTIVATION version, type 0x12,
     * which no role takes. */
    return in != NULL && len >= 2 && in[0] == WARD_CERT_FORMAT && in[1] != WARD_MSG_ACTIVATION;
}

/* The device's certificate of a chain: the second if there are two. */
static ward_err leaf_of(const uint8_t *in, size_t len, ward_cert *c)
{
    size_t one = ward_cert_len(in, len);
    if (one == 0) {
        return WARD_ERR_FORMAT;
    }
    return one < len ? ward_cert_parse(in + one, len - one, c) : ward_cert_parse(in, len, c);
}

static void from_activation(const ward_activation *a, ward_identity *who)
{
    memset(who, 0, sizeof *who);
    who->role = WARD_IDENTITY_ROLE_NONE;
    who->id_len = (uint8_t)a->sn_len;
    memcpy(who->id, a->sn, a->sn_len);
    memcpy(who->pub, a->lock_pub, WARD_P256_POINT_LEN);
    who->expires = WARD_CERT_NO_EXPIRY;
}

static void from_cert(const ward_cert *c, const uint8_t pub[WARD_P256_POINT_LEN],
                      ward_identity *who)
{
    memset(who, 0, sizeof *who);
    who->chain = true;
    who->role = c->role;
    who->id_len = c->id_len;
    memcpy(who->id, c->id, c->id_len);
    memcpy(who->pub, pub, WARD_P256_POINT_LEN);
    who->expires = c->expires;
}

ward_err ward_identity_verify(const ward_crypto *cp, const ward_identity_trust *t,
                              uint32_t roles, const uint8_t *in, size_t len,
                              ward_identity *who, ward_cert_why *why)
{
    WARD_ASSERT(cp != NULL && t != NULL);
    ward_identity scratch;
    if (who == NULL) {
        who = &scratch;
    }
    memset(who, 0, sizeof *who);
    if (why != NULL) {
        *why = WARD_CERT_OK;
    }
    if (in == NULL || len == 0) {
        return refuse(why, WARD_CERT_MALFORMED, WARD_ERR_FORMAT);
    }
    if (!ward_identity_is_chain(in, len)) {
        if (t->factory == NULL) {
            return refuse(why, WARD_CERT_UNKNOWN_ISSUER, WARD_ERR_AUTH);
        }
        ward_activation a;
        ward_err err = ward_activation_verify(cp, t->factory, in, len, &a);
        if (err != WARD_OK) {
            return refuse(why, err == WARD_ERR_AUTH ? WARD_CERT_BAD_SIGNATURE
                                                    : WARD_CERT_MALFORMED, err);
        }
        from_activation(&a, who);
        return WARD_OK;
    }
    if (t->root == NULL) {
        return refuse(why, WARD_CERT_UNKNOWN_ISSUER, WARD_ERR_AUTH);
    }
    /* The role asked of the chain: the device certificate's own if the
     * verifier accepts it, else one it accepts, so the chain check refuses
     * with ROLE in its own order (signatures first). */
    ward_cert leaf;
    uint8_t role = 0;
    if (leaf_of(in, len, &leaf) == WARD_OK && leaf.role < 32 &&
        (roles & WARD_IDENTITY_ROLE(leaf.role)) != 0) {
        role = leaf.role;
    } else {
        while (role < 31 && (roles & WARD_IDENTITY_ROLE(role)) == 0) {
            role++;
        }
    }
    ward_err err = ward_cert_chain_verify(cp, t->root, in, len, role, t->now_s, t->list,
                                          &leaf, why);
    if (err != WARD_OK) {
        return err;
    }
    from_cert(&leaf, leaf.point, who);
    return WARD_OK;
}

ward_err ward_identity_read(const ward_crypto *cp, const uint8_t *in, size_t len,
                            ward_identity *who)
{
    WARD_ASSERT(cp != NULL && who != NULL);
    memset(who, 0, sizeof *who);
    if (in == NULL || len == 0) {
        return WARD_ERR_FORMAT;
    }
    if (!ward_identity_is_chain(in, len)) {
        ward_activation a;
        if (ward_activation_parse(cp, in, len, &a) != WARD_OK) {
            return WARD_ERR_FORMAT;
        }
        from_activation(&a, who);
        return WARD_OK;
    }
    ward_cert leaf;
    uint8_t pub[WARD_P256_POINT_LEN];
    if (len > WARD_IDENTITY_MAX || leaf_of(in, len, &leaf) != WARD_OK ||
        cp->p256_decompress(leaf.pub, pub) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    from_cert(&leaf, pub, who);
    return WARD_OK;
}

ward_err ward_identity_names(const ward_crypto *cp, const uint8_t *in, size_t len,
                             uint32_t roles, const uint8_t *id, size_t id_len,
                             const uint8_t pub[WARD_P256_POINT_LEN])
{
    WARD_ASSERT(cp != NULL && pub != NULL && (id != NULL || id_len == 0));
    ward_identity who;
    if (ward_identity_read(cp, in, len, &who) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    if ((who.chain && (who.role >= 32 || (roles & WARD_IDENTITY_ROLE(who.role)) == 0)) ||
        who.id_len != id_len || memcmp(who.id, id, id_len) != 0 ||
        memcmp(who.pub, pub, WARD_P256_POINT_LEN) != 0) {
        return WARD_ERR_AUTH;
    }
    return WARD_OK;
}
