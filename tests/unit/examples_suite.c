/* Worked examples of the crypto suite: ward_kdf's info and a seal to a public key (examples.h). */
#include "examples.h"

#include <string.h>

static ward_err fixed_now(void *ctx, uint64_t *ms)
{
    (void)ctx;
    *ms = EX_T0;
    return WARD_OK;
}

ward_clock ex_clock(void)
{
    ward_clock c = { fixed_now, NULL, true };
    return c;
}

void ex_kdf(ex_set *s, const char *prefix, const char *label, const uint8_t *ikm,
            size_t ikm_len, const uint8_t *ctx, size_t ctx_len, uint8_t *out,
            size_t out_len)
{
    static const char info_prefix[] = "ward/1 ";
    uint8_t info[7 + WARD_LABEL_MAX + 1 + WARD_KDF_CONTEXT_MAX];
    char name[EX_NAME_MAX];
    size_t ll = strlen(label), n = 0;
    if (ll > WARD_LABEL_MAX || ctx_len > WARD_KDF_CONTEXT_MAX) {
        ex_fail(s, "%s: label or context too long", prefix);
    }
    EX_OK(s, ward_kdf(s->cp, label, ikm, ikm_len, NULL, 0, ctx, ctx_len, out, out_len));
    memcpy(info, info_prefix, 7);
    n = 7;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = 0x00;
    if (ctx_len > 0) {
        memcpy(info + n, ctx, ctx_len);
        n += ctx_len;
    }
    /* The documented construction, by the port's HKDF: the same bytes. */
    uint8_t again[128];
    if (out_len > sizeof again) {
        ex_fail(s, "%s: output too long", prefix);
    }
    EX_OK(s, s->cp->hkdf_sha256(NULL, 0, ikm, ikm_len, info, n, again, out_len));
    EX_SAME(s, again, out_len, out, out_len, "HKDF-SHA256(salt empty, ikm, info)");
    snprintf(name, sizeof name, "%s.label", prefix);
    ex_str(s, name, label);
    snprintf(name, sizeof name, "%s.ikm", prefix);
    ex_hex(s, name, ikm, ikm_len);
    snprintf(name, sizeof name, "%s.salt", prefix);
    ex_hex(s, name, NULL, 0);
    snprintf(name, sizeof name, "%s.context", prefix);
    ex_hex(s, name, ctx, ctx_len);
    snprintf(name, sizeof name, "%s.info", prefix);
    ex_hex(s, name, info, n);
    snprintf(name, sizeof name, "%s.okm", prefix);
    ex_hex(s, name, out, out_len);
}

/* A seal to a public key, with every intermediate value. */
static void seal(ex_set *s)
{
    ex_rng rr, er;
    ward_random recip_rng = ex_rng_init(&rr, s->cp, "seal recipient");
    ward_random eph_rng = ex_rng_init(&er, s->cp, "seal sender");
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN];
    uint8_t e[WARD_P256_SCALAR_LEN], epub[WARD_P256_POINT_LEN];
    uint8_t x[WARD_P256_SHARED_LEN], x2[WARD_P256_SHARED_LEN];
    uint8_t ctx[2 * WARD_P256_POINT_LEN], km[WARD_AEAD_KEY_LEN + WARD_AEAD_NONCE_LEN];
    uint8_t out[128], ct[64], back[32];
    size_t n = 0, cn = 0, bn = 0;
    static const char ad[] = "example ad";
    static const char pt[] = "example plaintext";

    EX_OK(s, ward_p256_keygen(s->cp, &recip_rng, priv, pub));
    ex_rng_mark(&er);
    EX_OK(s, ward_seal_to(s->cp, &eph_rng, pub, (const uint8_t *)ad, strlen(ad),
                          (const uint8_t *)pt, strlen(pt), out, sizeof out, &n));
    if (er.log_len != WARD_P256_SCALAR_LEN) {
        ex_fail(s, "seal: the sender drew %zu bytes, not one scalar", er.log_len);
    }
    memcpy(e, er.log, sizeof e);
    EX_OK(s, ward_p256_public(s->cp, e, epub));
    EX_SAME(s, epub, sizeof epub, out, sizeof epub, "ephemeral point E = e*G");
    EX_OK(s, s->cp->p256_ecdh(e, pub, x));
    EX_OK(s, s->cp->p256_ecdh(priv, epub, x2));
    EX_SAME(s, x, sizeof x, x2, sizeof x2, "ECDH x-coordinate");

    ex_begin(s, "seal",
             "### Crypto suite\n"
             "\n"
             "A seal to a public key R (`ward_seal_to`, the escrow's construction): the\n"
             "sender draws e, sends E = e·G, and both sides derive key ‖ nonce from the\n"
             "x-coordinate of e·R (= r·E), 32 bytes big-endian, with the empty salt.");
    ex_hex(s, "recipient_priv", priv, sizeof priv);
    ex_hex(s, "recipient_pub", pub, sizeof pub);
    ex_str(s, "ad", ad);
    ex_str(s, "pt", pt);
    ex_note(s, "e: the 32 bytes the sender draws (a scalar below n; drawn again otherwise)");
    ex_hex(s, "e", e, sizeof e);
    ex_hex(s, "E", epub, sizeof epub);
    ex_hex(s, "ecdh_x", x, sizeof x);
    memcpy(ctx, epub, WARD_P256_POINT_LEN);
    memcpy(ctx + WARD_P256_POINT_LEN, pub, WARD_P256_POINT_LEN);
    ex_note(s, "key || nonce = ward_kdf(\"seal\", ikm = ecdh_x, context = E || R), 29 bytes");
    ex_kdf(s, "kdf", WARD_LABEL_SEAL, x, sizeof x, ctx, sizeof ctx, km, sizeof km);
    ex_hex(s, "key", km, WARD_AEAD_KEY_LEN);
    ex_hex(s, "nonce", km + WARD_AEAD_KEY_LEN, WARD_AEAD_NONCE_LEN);
    EX_OK(s, ward_aead_seal(s->cp, km, km + WARD_AEAD_KEY_LEN, (const uint8_t *)ad,
                            strlen(ad), (const uint8_t *)pt, strlen(pt), ct, sizeof ct, &cn));
    EX_SAME(s, ct, cn, out + WARD_P256_POINT_LEN, n - WARD_P256_POINT_LEN,
            "seal = E || AES-128-CCM(key, nonce, ad, pt)");
    ex_note(s, "sealed = E || AES-128-CCM ciphertext || tag (16)");
    ex_hex(s, "sealed", out, n);
    EX_OK(s, ward_seal_open(s->cp, priv, pub, (const uint8_t *)ad, strlen(ad), out, n, back,
                            sizeof back, &bn));
    EX_SAME(s, back, bn, pt, strlen(pt), "opened seal");
}

void ex_gen_suite(ex_set *s)
{
    seal(s);
}
