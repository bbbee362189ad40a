/* Offline peer authentication's handshake (ward_peer.h): SIGMA-I in three messages
 * over certificate chains. */
#include <string.h>

#include "ward/ward_peer.h"
#include "ward/ward_suite.h"

#include "../ward_inner.h"
#include "peer_inner.h"

/* Key and nonce that seal M2 or M3: 16 + 13 bytes. */
#define HS_KEY_LEN (WARD_AEAD_KEY_LEN + WARD_AEAD_NONCE_LEN)
/* The plaintext of M2 or M3 at its largest: chain || signature. */
#define ID_MAX (WARD_CERT_CHAIN_MAX_LEN + WARD_P256_SIG_LEN)

static ward_err fail(peer_ctx *c, ward_peer_why why, ward_err err)
{
    c->why = (uint8_t)why;
    c->state = PEER_FAILED;
    ward_wipe(c->x, sizeof c->x);
    ward_wipe(c->z, sizeof c->z);
    return err;
}

ward_err ward_peer_init(ward_peer *p, const ward_peer_config *cfg)
{
    WARD_ASSERT(p != NULL && cfg != NULL);
    memset(p, 0, sizeof *p);
    if (cfg->cp == NULL || cfg->rng == NULL || cfg->ks == NULL || cfg->chain == NULL ||
        cfg->chain_len == 0 || cfg->chain_len > WARD_CERT_CHAIN_MAX_LEN || cfg->root == NULL) {
        return WARD_ERR_PARAM;
    }
    peer_ctx *c = PEER(p);
    c->cfg = *cfg;
    c->state = PEER_IDLE;
    return WARD_OK;
}

/* th = SHA-256(th || a || b); a or b may be empty. */
static ward_err th_next(peer_ctx *c, const uint8_t *a, size_t a_len, const uint8_t *b,
                        size_t b_len)
{
    ward_iov parts[3] = { { c->th, sizeof c->th }, { a, a_len }, { b, b_len } };
    return c->cfg.cp->sha256(parts, 3, c->th);
}

/* A new ephemeral key pair; its public half compressed into out. */
static ward_err ephemeral(peer_ctx *c, uint8_t out[WARD_P256_COMPRESSED_LEN])
{
    uint8_t pub[WARD_P256_POINT_LEN];
    ward_err err = ward_p256_keygen(c->cfg.cp, c->cfg.rng, c->x, pub);
    if (err == WARD_OK) {
        ward_p256_compress(pub, out);
    }
    return err;
}

/* z = x * (the peer's compressed ephemeral key). */
static ward_err shared(peer_ctx *c, const uint8_t in[WARD_P256_COMPRESSED_LEN])
{
    uint8_t pub[WARD_P256_POINT_LEN];
    ward_err err = c->cfg.cp->p256_decompress(in, pub);
    if (err == WARD_OK) {
        err = c->cfg.cp->p256_ecdh(c->x, pub, c->z);
    }
    ward_wipe(c->x, sizeof c->x);
    return err;
}

/* This side's identity, sealed: chain || sig(label, th || chain), under
 * the key and nonce ward_kdf(kdf_label, z, th) with th as associated data.
 * out gets chain_len + 64 + 16 bytes. */
static ward_err seal_id(peer_ctx *c, const char *kdf_label, const char *sig_label,
                        uint8_t *out)
{
    const ward_peer_config *cfg = &c->cfg;
    uint8_t tbs[WARD_SHA256_LEN + WARD_CERT_CHAIN_MAX_LEN];
    uint8_t hk[HS_KEY_LEN];
    size_t n = cfg->chain_len, len = 0;
    memcpy(tbs, c->th, WARD_SHA256_LEN);
    memcpy(tbs + WARD_SHA256_LEN, cfg->chain, n);
    memcpy(out, cfg->chain, n);
    ward_err err = ward_sign_by(cfg->cp, cfg->ks, cfg->key, sig_label, tbs,
                                WARD_SHA256_LEN + n, out + n);
    if (err == WARD_OK) {
        err = ward_kdf(cfg->cp, kdf_label, c->z, sizeof c->z, NULL, 0, c->th, sizeof c->th, hk,
                       sizeof hk);
    }
    if (err == WARD_OK) {
        err = ward_aead_seal(cfg->cp, hk, hk + WARD_AEAD_KEY_LEN, c->th, sizeof c->th, out,
                             n + WARD_P256_SIG_LEN, out, n + WARD_P256_SIG_LEN + WARD_AEAD_TAG_LEN,
                             &len);
    }
    ward_wipe(hk, sizeof hk);
    return err;
}

/* The role of the device certificate ending chain, or 0 if it cannot be found. */
static uint8_t leaf_role(const uint8_t *chain, size_t len)
{
    size_t first = ward_cert_len(chain, len);
    if (first == 0 || first > len) {
        return 0;
    }
    if (first == len) {
        return chain[1];
    }
    size_t second = ward_cert_len(chain + first, len - first);
    return second != 0 && second <= len - first ? chain[first + 1] : 0;
}

/* Opens the peer's sealed identity in[0..len) and checks it: the chain
 * (root, role allowed, expiry, list) and the signature over th || chain. */
static ward_err open_id(peer_ctx *c, const char *kdf_label, const char *sig_label,
                        const uint8_t *in, size_t len)
{
    const ward_peer_config *cfg = &c->cfg;
    uint8_t hk[HS_KEY_LEN];
    uint8_t pt[WARD_SHA256_LEN + ID_MAX];    /* th || chain || sig once open */
    size_t n = 0;
    if (len < WARD_P256_SIG_LEN + WARD_AEAD_TAG_LEN + WARD_CERT_MIN ||
        len > ID_MAX + WARD_AEAD_TAG_LEN) {
        return fail(c, WARD_PEER_MALFORMED, WARD_ERR_FORMAT);
    }
    ward_err err = ward_kdf(cfg->cp, kdf_label, c->z, sizeof c->z, NULL, 0, c->th, sizeof c->th,
                            hk, sizeof hk);
    if (err == WARD_OK) {
        err = ward_aead_open(cfg->cp, hk, hk + WARD_AEAD_KEY_LEN, c->th, sizeof c->th, in, len,
                             pt + WARD_SHA256_LEN, ID_MAX, &n);
    }
    ward_wipe(hk, sizeof hk);
    if (err == WARD_ERR_AUTH) {
        return fail(c, WARD_PEER_DECRYPT, WARD_ERR_AUTH);
    }
    if (err != WARD_OK) {
        return fail(c, WARD_PEER_MALFORMED, err);
    }
    const uint8_t *chain = pt + WARD_SHA256_LEN;
    size_t chain_len = n - WARD_P256_SIG_LEN;
    uint8_t role = leaf_role(chain, chain_len);
    if (role == 0) {
        c->cert_why = WARD_CERT_MALFORMED;
        return fail(c, WARD_PEER_CHAIN, WARD_ERR_FORMAT);
    }
    if (role >= 32 || (cfg->allowed & WARD_PEER_ALLOW(role)) == 0) {
        return fail(c, WARD_PEER_ROLE, WARD_ERR_AUTH);
    }
    ward_cert_why why = WARD_CERT_OK;
    err = ward_cert_chain_verify(cfg->cp, cfg->root, chain, chain_len, role, cfg->now_s,
                                 cfg->list, &c->peer, &why);
    if (err != WARD_OK) {
        c->cert_why = (uint8_t)why;
        return fail(c, WARD_PEER_CHAIN, err);
    }
    memcpy(pt, c->th, WARD_SHA256_LEN);
    err = ward_verify(cfg->cp, sig_label, c->peer.point, pt, WARD_SHA256_LEN + chain_len,
                      chain + chain_len);
    if (err != WARD_OK) {
        return fail(c, WARD_PEER_SIGNATURE, WARD_ERR_AUTH);
    }
    return WARD_OK;
}

ward_err ward_peer_start(ward_peer *p, uint8_t *out, size_t cap, size_t *len)
{
    WARD_ASSERT(p != NULL && out != NULL && len != NULL);
    peer_ctx *c = PEER(p);
    *len = 0;
    if (c->state != PEER_IDLE) {
        return fail(c, WARD_PEER_ORDER, WARD_ERR_STATE);
    }
    if (cap < WARD_PEER_M1_LEN) {
        return WARD_ERR_NOSPACE;
    }
    out[0] = WARD_PEER_M1;
    ward_err err = ephemeral(c, out + 1);
    if (err != WARD_OK) {
        return fail(c, WARD_PEER_OK, err);
    }
    /* th starts as SHA-256(M1); th_next hashes the zero th in first. */
    ward_iov m1 = { out, WARD_PEER_M1_LEN };
    err = c->cfg.cp->sha256(&m1, 1, c->th);
    if (err != WARD_OK) {
        return fail(c, WARD_PEER_OK, err);
    }
    c->initiator = true;
    c->state = PEER_SENT_M1;
    *len = WARD_PEER_M1_LEN;
    return WARD_OK;
}

ward_err ward_peer_respond(ward_peer *p, const uint8_t *m1, size_t m1_len, uint8_t *out,
                           size_t cap, size_t *len)
{
    WARD_ASSERT(p != NULL && out != NULL && len != NULL);
    peer_ctx *c = PEER(p);
    *len = 0;
    if (c->state != PEER_IDLE) {
        return fail(c, WARD_PEER_ORDER, WARD_ERR_STATE);
    }
    size_t m2_len = WARD_PEER_M2_LEN(c->cfg.chain_len);
    if (cap < m2_len) {
        return WARD_ERR_NOSPACE;
    }
    if (m1 == NULL || m1_len != WARD_PEER_M1_LEN || m1[0] != WARD_PEER_M1) {
        return fail(c, WARD_PEER_MALFORMED, WARD_ERR_FORMAT);
    }
    ward_iov part = { m1, m1_len };
    out[0] = WARD_PEER_M2;
    ward_err err = c->cfg.cp->sha256(&part, 1, c->th);
    if (err == WARD_OK) {
        err = ephemeral(c, out + 1);
    }
    if (err == WARD_OK) {
        err = shared(c, m1 + 1);
        if (err == WARD_ERR_FORMAT) {
            return fail(c, WARD_PEER_MALFORMED, err);
        }
    }
    /* TH2 = SHA-256(SHA-256(M1) || kind || Y) */
    if (err == WARD_OK) {
        err = th_next(c, out, 1 + WARD_P256_COMPRESSED_LEN, NULL, 0);
    }
    uint8_t *sealed = out + 1 + WARD_P256_COMPRESSED_LEN;
    if (err == WARD_OK) {
        err = seal_id(c, WARD_LABEL_PEER_M2, WARD_LABEL_PEER_RESP, sealed);
    }
    /* TH3 = SHA-256(TH2 || the sealed identity) */
    if (err == WARD_OK) {
        err = th_next(c, sealed, m2_len - 1 - WARD_P256_COMPRESSED_LEN, NULL, 0);
    }
    if (err != WARD_OK) {
        ward_wipe(out, m2_len);
        return fail(c, WARD_PEER_OK, err);
    }
    c->state = PEER_SENT_M2;
    *len = m2_len;
    return WARD_OK;
}

ward_err ward_peer_finish(ward_peer *p, const uint8_t *m2, size_t m2_len, uint8_t *out,
                          size_t cap, size_t *len)
{
    WARD_ASSERT(p != NULL && out != NULL && len != NULL);
    peer_ctx *c = PEER(p);
    *len = 0;
    if (c->state != PEER_SENT_M1) {
        return fail(c, WARD_PEER_ORDER, WARD_ERR_STATE);
    }
    size_t m3_len = WARD_PEER_M3_LEN(c->cfg.chain_len);
    if (cap < m3_len) {
        return WARD_ERR_NOSPACE;
    }
    if (m2 == NULL || m2_len < 1 + WARD_P256_COMPRESSED_LEN || m2[0] != WARD_PEER_M2) {
        return fail(c, WARD_PEER_MALFORMED, WARD_ERR_FORMAT);
    }
    ward_err err = shared(c, m2 + 1);
    if (err != WARD_OK) {
        return fail(c, err == WARD_ERR_FORMAT ? WARD_PEER_MALFORMED : WARD_PEER_OK, err);
    }
    const uint8_t *sealed = m2 + 1 + WARD_P256_COMPRESSED_LEN;
    size_t sealed_len = m2_len - 1 - WARD_P256_COMPRESSED_LEN;
    err = th_next(c, m2, 1 + WARD_P256_COMPRESSED_LEN, NULL, 0);
    if (err == WARD_OK) {
        err = open_id(c, WARD_LABEL_PEER_M2, WARD_LABEL_PEER_RESP, sealed, sealed_len);
        if (err != WARD_OK) {
            return err;
        }
    }
    if (err == WARD_OK) {
        err = th_next(c, sealed, sealed_len, NULL, 0);
    }
    out[0] = WARD_PEER_M3;
    if (err == WARD_OK) {
        err = seal_id(c, WARD_LABEL_PEER_M3, WARD_LABEL_PEER_INIT, out + 1);
    }
    /* TH4 = SHA-256(TH3 || M3's sealed identity): the channel's keys. */
    if (err == WARD_OK) {
        err = th_next(c, out + 1, m3_len - 1, NULL, 0);
    }
    if (err == WARD_OK) {
        err = peer_chan_keys(c);
    }
    if (err != WARD_OK) {
        ward_wipe(out, m3_len);
        return fail(c, WARD_PEER_OK, err);
    }
    c->state = PEER_UP;
    *len = m3_len;
    return WARD_OK;
}

ward_err ward_peer_accept(ward_peer *p, const uint8_t *m3, size_t m3_len)
{
    WARD_ASSERT(p != NULL);
    peer_ctx *c = PEER(p);
    if (c->state != PEER_SENT_M2) {
        return fail(c, WARD_PEER_ORDER, WARD_ERR_STATE);
    }
    if (m3 == NULL || m3_len < 1 || m3[0] != WARD_PEER_M3) {
        return fail(c, WARD_PEER_MALFORMED, WARD_ERR_FORMAT);
    }
    ward_err err = open_id(c, WARD_LABEL_PEER_M3, WARD_LABEL_PEER_INIT, m3 + 1, m3_len - 1);
    if (err != WARD_OK) {
        return err;
    }
    err = th_next(c, m3 + 1, m3_len - 1, NULL, 0);
    if (err == WARD_OK) {
        err = peer_chan_keys(c);
    }
    if (err != WARD_OK) {
        return fail(c, WARD_PEER_OK, err);
    }
    c->state = PEER_UP;
    return WARD_OK;
}

bool ward_peer_established(const ward_peer *p)
{
    WARD_ASSERT(p != NULL);
    return CPEER(p)->state == PEER_UP;
}

ward_err ward_peer_peer_cert(const ward_peer *p, ward_cert *out)
{
    WARD_ASSERT(p != NULL && out != NULL);
    if (CPEER(p)->state != PEER_UP) {
        return WARD_ERR_STATE;
    }
    *out = CPEER(p)->peer;
    return WARD_OK;
}

ward_peer_why ward_peer_why_refused(const ward_peer *p, ward_cert_why *cert)
{
    WARD_ASSERT(p != NULL);
    if (cert != NULL) {
        *cert = (ward_cert_why)CPEER(p)->cert_why;
    }
    return (ward_peer_why)CPEER(p)->why;
}

void ward_peer_wipe(ward_peer *p)
{
    if (p != NULL) {
        ward_wipe(p, sizeof *p);
    }
}
