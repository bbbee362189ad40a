/* Known answers for SPAKE2+ (RFC 9383 Appendix C): each intermediate value
 * recomputed with the crypto port, then the whole exchange through the
 * core's API with the vector's x and y replayed as the random scalars. */
#include <string.h>

#include "ward/ward_spake2p.h"
#include "ward_kat_inner.h"

#define POINT WARD_P256_POINT_LEN
#define SCALAR WARD_P256_SCALAR_LEN
#define KAT_TT_MAX 1024

/* Everything the vector gives, looked up once. */
typedef struct kat_spake {
    const uint8_t *context, *id_p, *id_v;
    size_t context_len, id_p_len, id_v_len;
    const uint8_t *w0, *w1, *x, *y;
    const uint8_t *l, *m, *n, *share_p, *share_v, *z, *v;
    const uint8_t *tt;
    size_t tt_len;
    const uint8_t *k_main, *k_confirm_p, *k_confirm_v;
    const uint8_t *confirm_p, *confirm_v, *k_shared;
} kat_spake;

/* A random port that hands out exactly the bytes it was given, then fails:
 * the core draws 32 bytes per scalar, so it replays x (or y) exactly. */
typedef struct kat_replay {
    const uint8_t *data;
    size_t len, pos;
} kat_replay;

static ward_err replay_fill(void *ctx, uint8_t *out, size_t len)
{
    kat_replay *r = ctx;
    if (r->len - r->pos < len) {
        return WARD_ERR_IO;
    }
    memcpy(out, r->data + r->pos, len);
    r->pos += len;
    return WARD_OK;
}

static const uint8_t scalar_one[SCALAR] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
};

static ward_err load(const ward_kat_case *c, kat_spake *k)
{
    static const struct {
        const char *key;
        size_t off;
        size_t len;
    } fixed[] = {
        { "w0", offsetof(kat_spake, w0), SCALAR },
        { "w1", offsetof(kat_spake, w1), SCALAR },
        { "x", offsetof(kat_spake, x), SCALAR },
        { "y", offsetof(kat_spake, y), SCALAR },
        { "l", offsetof(kat_spake, l), POINT },
        { "m", offsetof(kat_spake, m), POINT },
        { "n", offsetof(kat_spake, n), POINT },
        { "share_p", offsetof(kat_spake, share_p), POINT },
        { "share_v", offsetof(kat_spake, share_v), POINT },
        { "z", offsetof(kat_spake, z), POINT },
        { "v", offsetof(kat_spake, v), POINT },
        { "k_main", offsetof(kat_spake, k_main), WARD_SHA256_LEN },
        { "k_confirm_p", offsetof(kat_spake, k_confirm_p), WARD_SPAKE2P_CONFIRM_LEN },
        { "k_confirm_v", offsetof(kat_spake, k_confirm_v), WARD_SPAKE2P_CONFIRM_LEN },
        { "confirm_p", offsetof(kat_spake, confirm_p), WARD_SPAKE2P_CONFIRM_LEN },
        { "confirm_v", offsetof(kat_spake, confirm_v), WARD_SPAKE2P_CONFIRM_LEN },
        { "k_shared", offsetof(kat_spake, k_shared), WARD_SPAKE2P_KEY_LEN },
    };
    ward_err err = ward_kat_bytes(c, "context", NULL, 0, &k->context, &k->context_len);
    if (err == WARD_OK) {
        err = ward_kat_bytes(c, "id_prover", NULL, 0, &k->id_p, &k->id_p_len);
    }
    if (err == WARD_OK) {
        err = ward_kat_bytes(c, "id_verifier", NULL, 0, &k->id_v, &k->id_v_len);
    }
    if (err == WARD_OK) {
        err = ward_kat_bytes(c, "tt", NULL, 0, &k->tt, &k->tt_len);
    }
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && err == WARD_OK; i++) {
        const uint8_t **slot = (const uint8_t **)(void *)((char *)k + fixed[i].off);
        err = ward_kat_fixed(c, fixed[i].key, slot, fixed[i].len);
    }
    return err;
}

/* Appends len (8 bytes, little-endian) then the bytes: RFC 9383 section
 * 3.3's encoding of each transcript part. */
static size_t tt_append(uint8_t *tt, size_t pos, const uint8_t *p, size_t len)
{
    for (unsigned i = 0; i < 8; i++) {
        tt[pos + i] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    memcpy(tt + pos + 8, p, len);
    return pos + 8 + len;
}

/* Every value of the vector recomputed with the port's primitives alone:
 * this pins the vector itself, independently of the core's code. */
static ward_err check_schedule(const ward_crypto *cp, const kat_spake *k)
{
    uint8_t pt[POINT], tmp[POINT], neg_w0[SCALAR];
    uint8_t tt[KAT_TT_MAX], hash[WARD_SHA256_LEN], keys[2 * WARD_SPAKE2P_CONFIRM_LEN];
    uint8_t shared[WARD_SPAKE2P_KEY_LEN], mac[WARD_SHA256_LEN];
    static const uint8_t info_confirm[] = "ConfirmationKeys";
    static const uint8_t info_shared[] = "SharedKey";
    ward_err err;

    /* L = w1*G, shareP = x*G + w0*M, shareV = y*G + w0*N. */
    err = cp->p256_muladd(k->w1, NULL, NULL, NULL, pt);
    if (err == WARD_OK) {
        err = ward_kat_expect(pt, k->l, POINT);
    }
    if (err == WARD_OK) {
        err = cp->p256_muladd(k->x, NULL, k->w0, k->m, pt);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(pt, k->share_p, POINT);
    }
    if (err == WARD_OK) {
        err = cp->p256_muladd(k->y, NULL, k->w0, k->n, pt);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(pt, k->share_v, POINT);
    }
    /* The prover's view: Z = x*(shareV - w0*N), V = w1*(shareV - w0*N). */
    if (err == WARD_OK) {
        err = cp->p256_scalar_neg(k->w0, neg_w0);
    }
    if (err == WARD_OK) {
        err = cp->p256_muladd(scalar_one, k->share_v, neg_w0, k->n, tmp);
    }
    if (err == WARD_OK) {
        err = cp->p256_muladd(k->x, tmp, NULL, NULL, pt);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(pt, k->z, POINT);
    }
    if (err == WARD_OK) {
        err = cp->p256_muladd(k->w1, tmp, NULL, NULL, pt);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(pt, k->v, POINT);
    }
    /* The verifier's view: Z = y*(shareP - w0*M), V = y*L. */
    if (err == WARD_OK) {
        err = cp->p256_muladd(scalar_one, k->share_p, neg_w0, k->m, tmp);
    }
    if (err == WARD_OK) {
        err = cp->p256_muladd(k->y, tmp, NULL, NULL, pt);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(pt, k->z, POINT);
    }
    if (err == WARD_OK) {
        err = cp->p256_muladd(k->y, k->l, NULL, NULL, pt);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(pt, k->v, POINT);
    }
    /* TT, built from its parts, and K_main = Hash(TT). */
    if (err == WARD_OK) {
        size_t need = 10 * 8 + k->context_len + k->id_p_len + k->id_v_len +
                      6 * POINT + SCALAR;
        if (need > sizeof(tt) || need != k->tt_len) {
            err = WARD_ERR_AUTH;
        }
    }
    if (err == WARD_OK) {
        size_t pos = tt_append(tt, 0, k->context, k->context_len);
        pos = tt_append(tt, pos, k->id_p, k->id_p_len);
        pos = tt_append(tt, pos, k->id_v, k->id_v_len);
        pos = tt_append(tt, pos, k->m, POINT);
        pos = tt_append(tt, pos, k->n, POINT);
        pos = tt_append(tt, pos, k->share_p, POINT);
        pos = tt_append(tt, pos, k->share_v, POINT);
        pos = tt_append(tt, pos, k->z, POINT);
        pos = tt_append(tt, pos, k->v, POINT);
        pos = tt_append(tt, pos, k->w0, SCALAR);
        err = ward_kat_expect(tt, k->tt, pos);
    }
    if (err == WARD_OK) {
        ward_iov part = { k->tt, k->tt_len };
        err = cp->sha256(&part, 1, hash);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(hash, k->k_main, WARD_SHA256_LEN);
    }
    /* K_confirmP || K_confirmV = KDF(nil, K_main, "ConfirmationKeys"),
     * K_shared = KDF(nil, K_main, "SharedKey"). */
    if (err == WARD_OK) {
        err = cp->hkdf_sha256(NULL, 0, k->k_main, WARD_SHA256_LEN, info_confirm,
                              sizeof(info_confirm) - 1, keys, sizeof(keys));
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(keys, k->k_confirm_p, WARD_SPAKE2P_CONFIRM_LEN);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(keys + WARD_SPAKE2P_CONFIRM_LEN, k->k_confirm_v,
                              WARD_SPAKE2P_CONFIRM_LEN);
    }
    if (err == WARD_OK) {
        err = cp->hkdf_sha256(NULL, 0, k->k_main, WARD_SHA256_LEN, info_shared,
                              sizeof(info_shared) - 1, shared, sizeof(shared));
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(shared, k->k_shared, sizeof(shared));
    }
    /* confirmP = MAC(K_confirmP, shareV), confirmV = MAC(K_confirmV, shareP). */
    if (err == WARD_OK) {
        ward_iov part = { k->share_v, POINT };
        err = cp->hmac_sha256(k->k_confirm_p, WARD_SPAKE2P_CONFIRM_LEN, &part, 1, mac);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(mac, k->confirm_p, WARD_SPAKE2P_CONFIRM_LEN);
    }
    if (err == WARD_OK) {
        ward_iov part = { k->share_p, POINT };
        err = cp->hmac_sha256(k->k_confirm_v, WARD_SPAKE2P_CONFIRM_LEN, &part, 1, mac);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(mac, k->confirm_v, WARD_SPAKE2P_CONFIRM_LEN);
    }
    return err;
}

/* Both sides up to the verifier's response, with x and y replayed. */
static ward_err run_first_half(const ward_crypto *cp, const kat_spake *k,
                               ward_spake2p *prover, ward_spake2p *verifier,
                               uint8_t share_p[POINT], uint8_t share_v[POINT],
                               uint8_t confirm_v[WARD_SPAKE2P_CONFIRM_LEN])
{
    kat_replay rx = { k->x, SCALAR, 0 }, ry = { k->y, SCALAR, 0 };
    ward_random rng_x = { replay_fill, &rx }, rng_y = { replay_fill, &ry };

    ward_spake2p_wipe(prover);
    ward_spake2p_wipe(verifier);
    ward_err err = ward_spake2p_prover_start(prover, cp, &rng_x, k->context,
                                             k->context_len, k->id_p, k->id_p_len,
                                             k->id_v, k->id_v_len, k->w0, k->w1,
                                             share_p);
    if (err == WARD_OK) {
        err = ward_spake2p_verifier_respond(verifier, cp, &rng_y, k->context,
                                            k->context_len, k->id_p, k->id_p_len,
                                            k->id_v, k->id_v_len, k->w0, k->l,
                                            share_p, share_v, confirm_v);
    }
    return err;
}

/* The exchange through include/ward/ward_spake2p.h, every output compared,
 * then each confirmation tampered with and refused. */
static ward_err check_flow(const ward_crypto *cp, const kat_spake *k)
{
    ward_spake2p prover, verifier;
    uint8_t w0s[WARD_SPAKE2P_WS_LEN], w1s[WARD_SPAKE2P_WS_LEN];
    uint8_t w0[SCALAR], w1[SCALAR], l[POINT];
    uint8_t share_p[POINT], share_v[POINT];
    uint8_t confirm_p[WARD_SPAKE2P_CONFIRM_LEN], confirm_v[WARD_SPAKE2P_CONFIRM_LEN];
    uint8_t key_p[WARD_SPAKE2P_KEY_LEN], key_v[WARD_SPAKE2P_KEY_LEN];
    ward_err err;

    /* w0s and w1s that reduce to the vector's w0 and w1: zeros in front. */
    memset(w0s, 0, sizeof(w0s));
    memset(w1s, 0, sizeof(w1s));
    memcpy(w0s + sizeof(w0s) - SCALAR, k->w0, SCALAR);
    memcpy(w1s + sizeof(w1s) - SCALAR, k->w1, SCALAR);
    err = ward_spake2p_w(cp, w0s, w1s, w0, w1);
    if (err == WARD_OK) {
        err = ward_kat_expect(w0, k->w0, SCALAR);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(w1, k->w1, SCALAR);
    }
    if (err == WARD_OK) {
        err = ward_spake2p_register(cp, k->w1, l);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(l, k->l, POINT);
    }

    if (err == WARD_OK) {
        err = run_first_half(cp, k, &prover, &verifier, share_p, share_v, confirm_v);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(share_p, k->share_p, POINT);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(share_v, k->share_v, POINT);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(confirm_v, k->confirm_v, WARD_SPAKE2P_CONFIRM_LEN);
    }
    if (err == WARD_OK) {
        err = ward_spake2p_prover_finish(&prover, cp, share_v, confirm_v,
                                         confirm_p, key_p);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(confirm_p, k->confirm_p, WARD_SPAKE2P_CONFIRM_LEN);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(key_p, k->k_shared, WARD_SPAKE2P_KEY_LEN);
    }
    if (err == WARD_OK) {
        err = ward_spake2p_verifier_finish(&verifier, cp, confirm_p, key_v);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(key_v, k->k_shared, WARD_SPAKE2P_KEY_LEN);
    }

    /* A flipped bit in confirmV: the prover refuses. */
    if (err == WARD_OK) {
        err = run_first_half(cp, k, &prover, &verifier, share_p, share_v, confirm_v);
    }
    if (err == WARD_OK) {
        confirm_v[0] ^= 0x01;
        err = ward_spake2p_prover_finish(&prover, cp, share_v, confirm_v,
                                         confirm_p, key_p);
        err = err == WARD_ERR_AUTH ? WARD_OK : WARD_ERR_AUTH;
    }
    /* A flipped bit in confirmP: the verifier refuses. */
    if (err == WARD_OK) {
        err = run_first_half(cp, k, &prover, &verifier, share_p, share_v, confirm_v);
    }
    if (err == WARD_OK) {
        err = ward_spake2p_prover_finish(&prover, cp, share_v, confirm_v,
                                         confirm_p, key_p);
    }
    if (err == WARD_OK) {
        confirm_p[WARD_SPAKE2P_CONFIRM_LEN - 1] ^= 0x80;
        err = ward_spake2p_verifier_finish(&verifier, cp, confirm_p, key_v);
        err = err == WARD_ERR_AUTH ? WARD_OK : WARD_ERR_AUTH;
    }
    ward_spake2p_wipe(&prover);
    ward_spake2p_wipe(&verifier);
    return err;
}

ward_err ward_kat_spake2p(const ward_crypto *cp, const ward_kat_case *c)
{
    kat_spake k;
    ward_err err = load(c, &k);
    if (err == WARD_OK) {
        err = check_schedule(cp, &k);
    }
    if (err == WARD_OK) {
        err = check_flow(cp, &k);
    }
    return err;
}
