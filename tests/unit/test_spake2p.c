/* Unit tests of SPAKE2+ (core/crypto/spake2p.c) on each backend. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward_inner.h"
#include "crypto/spake2p_inner.h"

/* The opaque context's state, to check it is wiped. */
#define STATE(c) ward_spake2p_cstate_of(&(c))

/* RFC 9383 appendix C, P256-SHA256-HKDF-HMAC. */
static const char rfc_context[] = "SPAKE2+-P256-SHA256-HKDF-SHA256-HMAC-SHA256 Test Vectors";
#define RFC_W0 "bb8e1bbcf3c48f62c08db243652ae55d3e5586053fca77102994f23ad95491b3"
#define RFC_W1 "7e945f34d78785b8a3ef44d0df5a1a97d6b3b460409a345ca7830387a74b1dba"
#define RFC_L "04eb7c9db3d9a9eb1f8adab81b5794c1f13ae3e225efbe91ea487425854c7fc00f" \
              "00bfedcbd09b2400142d40a14f2064ef31dfaa903b91d1faea7093d835966efd"
#define RFC_X "d1232c8e8693d02368976c174e2088851b8365d0d79a9eee709c6a05a2fad539"
#define RFC_SHARE_P "04ef3bd051bf78a2234ec0df197f7828060fe9856503579bb1733009042c15c0c1" \
                    "de127727f418b5966afadfdd95a6e4591d171056b333dab97a79c7193e341727"
#define RFC_Y "717a72348a182085109c8d3917d6c43d59b224dc6a7fc4f0483232fa6516d8b3"
#define RFC_SHARE_V "04c0f65da0d11927bdf5d560c69e1d7d939a05b0e88291887d679fcadea75810fb" \
                    "5cc1ca7494db39e82ff2f50665255d76173e09986ab46742c798a9a68437b048"
#define RFC_CONFIRM_P "926cc713504b9b4d76c9162ded04b5493e89109f6d89462cd33adc46fda27527"
#define RFC_CONFIRM_V "9747bcc4f8fe9f63defee53ac9b07876d907d55047e6ff2def2e7529089d3e68"
#define RFC_K_SHARED "0c5f8ccd1413423a54f6c1fb26ff01534a87f893779c6e68666d772bfd91f3e7"

#define N_HEX "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"

static const uint8_t ctx_bytes[] = "ward test pairing";
static const uint8_t id_p[] = "app-1";
static const uint8_t id_v[] = "lock-1";

static int all_zero(const void *p, size_t len)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < len; i++) {
        if (b[i] != 0) {
            return 0;
        }
    }
    return 1;
}

/* A fresh password record: w0, w1 and L. */
typedef struct creds {
    uint8_t w0[32], w1[32], l[65];
} creds;

static void make_creds(creds *c)
{
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    uint8_t ws[80];
    assert_int_equal(rng.fill(rng.ctx, ws, sizeof(ws)), WARD_OK);
    assert_int_equal(ward_spake2p_w(cp, ws, ws + 40, c->w0, c->w1), WARD_OK);
    assert_int_equal(ward_spake2p_register(cp, c->w1, c->l), WARD_OK);
}

/* The messages of one exchange, so tests can tamper between steps. */
typedef struct run {
    ward_spake2p p, v;
    uint8_t share_p[65], share_v[65], confirm_v[32], confirm_p[32];
    uint8_t key_p[32], key_v[32];
} run;

static void start(run *r, const creds *prover, const creds *verifier)
{
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    memset(r, 0, sizeof(*r));
    assert_int_equal(ward_spake2p_prover_start(&r->p, cp, &rng, ctx_bytes, sizeof(ctx_bytes),
                                               id_p, sizeof(id_p), id_v, sizeof(id_v),
                                               prover->w0, prover->w1, r->share_p),
                     WARD_OK);
    assert_int_equal(ward_spake2p_verifier_respond(&r->v, cp, &rng, ctx_bytes,
                                                   sizeof(ctx_bytes), id_p, sizeof(id_p),
                                                   id_v, sizeof(id_v), verifier->w0,
                                                   verifier->l, r->share_p, r->share_v,
                                                   r->confirm_v),
                     WARD_OK);
}

static void test_m_n_on_curve(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    const uint8_t *m = ward_spake2p_m(), *n = ward_spake2p_n();
    uint8_t mc[33], nc[33];

    assert_int_equal(cp->p256_point_check(m), WARD_OK);
    assert_int_equal(cp->p256_point_check(n), WARD_OK);
    /* The RFC's compressed forms: x matches, and y's parity the prefix. */
    ward_test_hex("02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f", mc, 33);
    ward_test_hex("03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49", nc, 33);
    assert_int_equal(m[0], 0x04);
    assert_int_equal(n[0], 0x04);
    assert_memory_equal(m + 1, mc + 1, 32);
    assert_memory_equal(n + 1, nc + 1, 32);
    assert_int_equal(m[64] & 1, mc[0] & 1);
    assert_int_equal(n[64] & 1, nc[0] & 1);
}

static void test_rfc9383_vector(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t w0[32], w1[32], l[65], x[32], y[32];
    uint8_t want_sp[65], want_sv[65], want_cp[32], want_cv[32], want_k[32];
    uint8_t sp[65], sv[65], cfv[32], cfp[32], kp[32], kv[32];
    ward_spake2p p, v;
    ward_test_fixed fx, fy;

    ward_test_hex(RFC_W0, w0, 32);
    ward_test_hex(RFC_W1, w1, 32);
    ward_test_hex(RFC_X, x, 32);
    ward_test_hex(RFC_Y, y, 32);
    ward_test_hex(RFC_SHARE_P, want_sp, 65);
    ward_test_hex(RFC_SHARE_V, want_sv, 65);
    ward_test_hex(RFC_CONFIRM_P, want_cp, 32);
    ward_test_hex(RFC_CONFIRM_V, want_cv, 32);
    ward_test_hex(RFC_K_SHARED, want_k, 32);

    assert_int_equal(ward_spake2p_register(cp, w1, l), WARD_OK);
    uint8_t want_l[65];
    ward_test_hex(RFC_L, want_l, 65);
    assert_memory_equal(l, want_l, 65);

    ward_random rx = ward_test_rng_fixed(&fx, x, 32);
    ward_random ry = ward_test_rng_fixed(&fy, y, 32);
    ward_spake2p_wipe(&p);
    ward_spake2p_wipe(&v);
    assert_int_equal(ward_spake2p_prover_start(&p, cp, &rx, (const uint8_t *)rfc_context,
                                               strlen(rfc_context), (const uint8_t *)"client",
                                               6, (const uint8_t *)"server", 6, w0, w1, sp),
                     WARD_OK);
    assert_memory_equal(sp, want_sp, 65);
    assert_int_equal(ward_spake2p_verifier_respond(&v, cp, &ry, (const uint8_t *)rfc_context,
                                                   strlen(rfc_context),
                                                   (const uint8_t *)"client", 6,
                                                   (const uint8_t *)"server", 6, w0, l, sp,
                                                   sv, cfv),
                     WARD_OK);
    assert_memory_equal(sv, want_sv, 65);
    assert_memory_equal(cfv, want_cv, 32);
    assert_int_equal(ward_spake2p_prover_finish(&p, cp, sv, cfv, cfp, kp), WARD_OK);
    assert_memory_equal(cfp, want_cp, 32);
    assert_memory_equal(kp, want_k, 32);
    assert_int_equal(ward_spake2p_verifier_finish(&v, cp, cfp, kv), WARD_OK);
    assert_memory_equal(kv, want_k, 32);
}

static void test_exchange(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    creds c;
    run r;
    make_creds(&c);
    start(&r, &c, &c);
    /* Once it has answered, the verifier no longer needs y, w0 or L. */
    assert_true(all_zero(STATE(r.v)->eph, sizeof(STATE(r.v)->eph)));
    assert_true(all_zero(STATE(r.v)->w0, sizeof(STATE(r.v)->w0)));
    assert_true(all_zero(STATE(r.v)->w1_or_l, sizeof(STATE(r.v)->w1_or_l)));
    /* The verifier's early key: the final key, before confirmP; the
     * prover's role has none. */
    uint8_t early[32];
    assert_int_equal(ward_spake2p_verifier_early_key(&r.v, early), WARD_OK);
    assert_int_equal(ward_spake2p_verifier_early_key(&r.p, early + 0), WARD_ERR_STATE);
    assert_true(all_zero(early, sizeof early));
    assert_int_equal(ward_spake2p_verifier_early_key(&r.v, early), WARD_OK);
    assert_int_equal(ward_spake2p_prover_finish(&r.p, cp, r.share_v, r.confirm_v,
                                                r.confirm_p, r.key_p), WARD_OK);
    assert_int_equal(ward_spake2p_verifier_finish(&r.v, cp, r.confirm_p, r.key_v), WARD_OK);
    assert_memory_equal(r.key_p, r.key_v, 32);
    assert_memory_equal(early, r.key_v, 32);
    assert_false(all_zero(r.key_p, 32));
    assert_int_equal(ward_spake2p_verifier_early_key(&r.v, early), WARD_ERR_STATE);

    /* Done contexts keep no secret and take no further call. */
    assert_true(all_zero(STATE(r.p)->w0, sizeof(STATE(r.p)->w0)));
    assert_true(all_zero(STATE(r.p)->w1_or_l, sizeof(STATE(r.p)->w1_or_l)));
    assert_true(all_zero(STATE(r.p)->eph, sizeof(STATE(r.p)->eph)));
    assert_true(all_zero(STATE(r.p)->shared_key, sizeof(STATE(r.p)->shared_key)));
    assert_true(all_zero(STATE(r.v)->confirm_key, sizeof(STATE(r.v)->confirm_key)));
    assert_true(all_zero(STATE(r.v)->shared_key, sizeof(STATE(r.v)->shared_key)));
    uint8_t k[32];
    assert_int_equal(ward_spake2p_verifier_finish(&r.v, cp, r.confirm_p, k), WARD_ERR_STATE);
    assert_int_equal(ward_spake2p_prover_finish(&r.p, cp, r.share_v, r.confirm_v,
                                                r.confirm_p, k), WARD_ERR_STATE);

    /* A second exchange with the same password gives another key. */
    run r2;
    start(&r2, &c, &c);
    assert_memory_not_equal(r2.share_p, r.share_p, 65);
    assert_int_equal(ward_spake2p_prover_finish(&r2.p, cp, r2.share_v, r2.confirm_v,
                                                r2.confirm_p, r2.key_p), WARD_OK);
    assert_int_equal(ward_spake2p_verifier_finish(&r2.v, cp, r2.confirm_p, r2.key_v),
                     WARD_OK);
    assert_memory_equal(r2.key_p, r2.key_v, 32);
    assert_memory_not_equal(r2.key_p, r.key_p, 32);
}

/* The prover checks first, so a wrong password shows there: AUTH, a
 * wiped context, no confirmation and no key released. */
static void expect_prover_auth(run *r)
{
    memset(r->confirm_p, 0x11, 32);
    memset(r->key_p, 0x22, 32);
    assert_int_equal(ward_spake2p_prover_finish(&r->p, ward_test_cp, r->share_v, r->confirm_v,
                                                r->confirm_p, r->key_p), WARD_ERR_AUTH);
    assert_true(all_zero(&r->p, sizeof(r->p)));
    assert_true(all_zero(r->confirm_p, 32));
    assert_true(all_zero(r->key_p, 32));
}

static void test_wrong_password(void **state)
{
    (void)state;
    creds good, bad;
    run r;
    make_creds(&good);

    /* Prover with a wrong w0. */
    bad = good;
    bad.w0[31] ^= 1;
    start(&r, &bad, &good);
    expect_prover_auth(&r);

    /* Prover with a wrong w1 (right w0): only V differs. */
    bad = good;
    bad.w1[0] ^= 0x40;
    start(&r, &bad, &good);
    expect_prover_auth(&r);

    /* Verifier holding another record L. */
    creds other;
    make_creds(&other);
    bad = good;
    memcpy(bad.l, other.l, 65);
    start(&r, &good, &bad);
    expect_prover_auth(&r);

    /* An attacker who skips the prover's check still cannot make a
     * confirmation the verifier accepts. */
    start(&r, &good, &good);
    uint8_t k[32];
    memset(k, 0x33, sizeof(k));
    memset(r.confirm_p, 0, sizeof(r.confirm_p));
    assert_int_equal(ward_spake2p_verifier_finish(&r.v, ward_test_cp, r.confirm_p, k),
                     WARD_ERR_AUTH);
    assert_true(all_zero(&r.v, sizeof(r.v)));
    assert_true(all_zero(k, sizeof(k)));
}

static void test_tampered_messages(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    creds c;
    run r;
    uint8_t k[32];
    make_creds(&c);

    /* confirmV altered in flight: the prover refuses. */
    start(&r, &c, &c);
    r.confirm_v[17] ^= 4;
    expect_prover_auth(&r);

    /* confirmP altered: the verifier refuses. */
    start(&r, &c, &c);
    assert_int_equal(ward_spake2p_prover_finish(&r.p, cp, r.share_v, r.confirm_v,
                                                r.confirm_p, r.key_p), WARD_OK);
    r.confirm_p[0] ^= 0x80;
    assert_int_equal(ward_spake2p_verifier_finish(&r.v, cp, r.confirm_p, k), WARD_ERR_AUTH);
    assert_true(all_zero(&r.v, sizeof(r.v)));

    /* shareV altered: off the curve (FORMAT) or another point (AUTH). */
    for (size_t i = 1; i < 65; i += 16) {
        start(&r, &c, &c);
        r.share_v[i] ^= 1;
        ward_err err = ward_spake2p_prover_finish(&r.p, cp, r.share_v, r.confirm_v,
                                                  r.confirm_p, r.key_p);
        assert_true(err == WARD_ERR_FORMAT || err == WARD_ERR_AUTH);
        assert_true(all_zero(&r.p, sizeof(r.p)));
    }

    /* shareP altered before the verifier saw it. */
    ward_random rng = ward_test_rng();
    for (size_t i = 1; i < 65; i += 16) {
        start(&r, &c, &c);
        r.share_p[i] ^= 1;
        ward_spake2p_wipe(&r.v);
        ward_err err = ward_spake2p_verifier_respond(&r.v, cp, &rng, ctx_bytes,
                                                     sizeof(ctx_bytes), id_p, sizeof(id_p),
                                                     id_v, sizeof(id_v), c.w0, c.l,
                                                     r.share_p, r.share_v, r.confirm_v);
        if (err == WARD_OK) {
            expect_prover_auth(&r);
        } else {
            assert_int_equal(err, WARD_ERR_FORMAT);
            assert_true(all_zero(&r.v, sizeof(r.v)));
        }
    }

    /* Different context or identities on the two sides. */
    memset(&r, 0, sizeof(r));
    assert_int_equal(ward_spake2p_prover_start(&r.p, cp, &rng, ctx_bytes, sizeof(ctx_bytes),
                                               id_p, sizeof(id_p), id_v, sizeof(id_v), c.w0,
                                               c.w1, r.share_p), WARD_OK);
    assert_int_equal(ward_spake2p_verifier_respond(&r.v, cp, &rng, ctx_bytes,
                                                   sizeof(ctx_bytes), id_p, sizeof(id_p) - 1,
                                                   id_v, sizeof(id_v), c.w0, c.l, r.share_p,
                                                   r.share_v, r.confirm_v), WARD_OK);
    expect_prover_auth(&r);
}

static void test_invalid_shares(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    creds c;
    run r;
    uint8_t bad[65];
    make_creds(&c);

    /* What no share may be: all zero (no encoding of infinity exists),
     * compressed, off the curve, or w0*M, whose unmasked point is the
     * identity. */
    uint8_t w0m[65];
    assert_int_equal(cp->p256_muladd(c.w0, ward_spake2p_m(), NULL, NULL, w0m), WARD_OK);
    for (int kind = 0; kind < 4; kind++) {
        memset(bad, 0, sizeof(bad));
        if (kind == 1) {
            memcpy(bad, ward_spake2p_m(), 65);
            bad[0] = 0x02;
        } else if (kind == 2) {
            memcpy(bad, ward_spake2p_m(), 65);
            bad[64] ^= 1;
        } else if (kind == 3) {
            memcpy(bad, w0m, 65);
        }
        ward_spake2p v;
        uint8_t sv[65], cv[32];
        ward_spake2p_wipe(&v);
        assert_int_equal(ward_spake2p_verifier_respond(&v, cp, &rng, NULL, 0, NULL, 0, NULL, 0,
                                                       c.w0, c.l, bad, sv, cv),
                         WARD_ERR_FORMAT);
        assert_true(all_zero(&v, sizeof(v)));
    }

    /* The same on the prover's side: w0*N cancels the verifier's mask. */
    uint8_t w0n[65];
    assert_int_equal(cp->p256_muladd(c.w0, ward_spake2p_n(), NULL, NULL, w0n), WARD_OK);
    for (int kind = 0; kind < 3; kind++) {
        start(&r, &c, &c);
        if (kind == 0) {
            memset(r.share_v, 0, 65);
        } else if (kind == 1) {
            r.share_v[64] ^= 1;
        } else {
            memcpy(r.share_v, w0n, 65);
        }
        assert_int_equal(ward_spake2p_prover_finish(&r.p, cp, r.share_v, r.confirm_v,
                                                    r.confirm_p, r.key_p), WARD_ERR_FORMAT);
        assert_true(all_zero(&r.p, sizeof(r.p)));
    }

    /* A record L that is not a point. */
    creds badl = c;
    badl.l[40] ^= 1;
    ward_spake2p v;
    uint8_t sp[65], sv[65], cv[32];
    ward_spake2p_wipe(&v);
    memset(&r, 0, sizeof(r));
    assert_int_equal(ward_spake2p_prover_start(&r.p, cp, &rng, NULL, 0, NULL, 0, NULL, 0,
                                               c.w0, c.w1, sp), WARD_OK);
    assert_int_equal(ward_spake2p_verifier_respond(&v, cp, &rng, NULL, 0, NULL, 0, NULL, 0,
                                                   badl.w0, badl.l, sp, sv, cv),
                     WARD_ERR_FORMAT);
}

static void test_out_of_order(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    creds c;
    run r;
    uint8_t k[32], cf[32], share[65];
    make_creds(&c);

    /* Finishing a context that never started. */
    ward_spake2p s;
    ward_spake2p_wipe(&s);
    assert_int_equal(ward_spake2p_prover_finish(&s, cp, c.l, k, cf, k), WARD_ERR_STATE);
    ward_spake2p_wipe(&s);
    assert_int_equal(ward_spake2p_verifier_finish(&s, cp, cf, k), WARD_ERR_STATE);
    assert_true(all_zero(&s, sizeof(s)));

    /* The wrong role's finish, and a second start: refused, and the
     * context is gone, so the exchange cannot go on either. */
    start(&r, &c, &c);
    assert_int_equal(ward_spake2p_verifier_finish(&r.p, cp, r.confirm_p, k), WARD_ERR_STATE);
    assert_true(all_zero(&r.p, sizeof(r.p)));
    assert_int_equal(ward_spake2p_prover_finish(&r.p, cp, r.share_v, r.confirm_v,
                                                r.confirm_p, r.key_p), WARD_ERR_STATE);

    start(&r, &c, &c);
    assert_int_equal(ward_spake2p_prover_finish(&r.v, cp, r.share_v, r.confirm_v,
                                                r.confirm_p, r.key_p), WARD_ERR_STATE);
    assert_true(all_zero(&r.v, sizeof(r.v)));

    start(&r, &c, &c);
    assert_int_equal(ward_spake2p_prover_start(&r.p, cp, &rng, NULL, 0, NULL, 0, NULL, 0,
                                               c.w0, c.w1, share), WARD_ERR_STATE);
    assert_true(all_zero(&r.p, sizeof(r.p)));
    assert_int_equal(ward_spake2p_verifier_respond(&r.v, cp, &rng, NULL, 0, NULL, 0, NULL, 0,
                                                   c.w0, c.l, r.share_p, share, cf),
                     WARD_ERR_STATE);

    /* A context never zeroed (garbage state) does not start. */
    memset(&s, 0x5b, sizeof(s));
    assert_int_equal(ward_spake2p_prover_start(&s, cp, &rng, NULL, 0, NULL, 0, NULL, 0,
                                               c.w0, c.w1, share), WARD_ERR_STATE);
    assert_true(all_zero(&s, sizeof(s)));
}

static void test_parameters(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    ward_random rng = ward_test_rng();
    creds c;
    ward_spake2p s;
    uint8_t share[65];
    static const uint8_t big[WARD_SPAKE2P_CONTEXT_MAX + 1];
    make_creds(&c);

    ward_spake2p_wipe(&s);
    assert_int_equal(ward_spake2p_prover_start(&s, cp, &rng, big, WARD_SPAKE2P_CONTEXT_MAX,
                                               big, WARD_SPAKE2P_ID_MAX, big,
                                               WARD_SPAKE2P_ID_MAX, c.w0, c.w1, share),
                     WARD_OK);
    ward_spake2p_wipe(&s);
    assert_int_equal(ward_spake2p_prover_start(&s, cp, &rng, big, WARD_SPAKE2P_CONTEXT_MAX + 1,
                                               NULL, 0, NULL, 0, c.w0, c.w1, share),
                     WARD_ERR_PARAM);
    assert_int_equal(ward_spake2p_prover_start(&s, cp, &rng, NULL, 0, big,
                                               WARD_SPAKE2P_ID_MAX + 1, NULL, 0, c.w0, c.w1,
                                               share), WARD_ERR_PARAM);
    assert_int_equal(ward_spake2p_prover_start(&s, cp, &rng, NULL, 0, NULL, 0, big,
                                               WARD_SPAKE2P_ID_MAX + 1, c.w0, c.w1, share),
                     WARD_ERR_PARAM);

    /* w0, w1 must be in [1, n). */
    uint8_t zero[32] = { 0 }, n[32];
    ward_test_hex(N_HEX, n, 32);
    assert_int_equal(ward_spake2p_prover_start(&s, cp, &rng, NULL, 0, NULL, 0, NULL, 0,
                                               zero, c.w1, share), WARD_ERR_FORMAT);
    assert_int_equal(ward_spake2p_prover_start(&s, cp, &rng, NULL, 0, NULL, 0, NULL, 0,
                                               c.w0, n, share), WARD_ERR_FORMAT);
    uint8_t sv[65], cv[32];
    assert_int_equal(ward_spake2p_verifier_respond(&s, cp, &rng, NULL, 0, NULL, 0, NULL, 0,
                                                   n, c.l, share, sv, cv), WARD_ERR_FORMAT);
    uint8_t l[65];
    assert_int_equal(ward_spake2p_register(cp, zero, l), WARD_ERR_FORMAT);

    /* A random source that fails: the error, a wiped context. */
    ward_test_fixed f;
    ward_random dry = ward_test_rng_fixed(&f, zero, 8);
    assert_int_equal(ward_spake2p_prover_start(&s, cp, &dry, NULL, 0, NULL, 0, NULL, 0,
                                               c.w0, c.w1, share), WARD_ERR_IO);
    assert_true(all_zero(&s, sizeof(s)));
}

static void test_w_reduction(void **state)
{
    (void)state;
    const ward_crypto *cp = ward_test_cp;
    uint8_t w0s[40], w1s[40], w0[32], w1[32], want[32];

    memset(w0s, 0xff, sizeof(w0s));
    memset(w1s, 0x01, sizeof(w1s));
    assert_int_equal(ward_spake2p_w(cp, w0s, w1s, w0, w1), WARD_OK);
    /* (2^320 - 1) mod n and 0x0101...01 (40 bytes) mod n, by Python. */
    ward_test_hex("fffffffe00000001431905529c0166cd22159165b6faae70f756a571fc632550", want, 32);
    assert_memory_equal(w0, want, 32);
    ward_test_hex("02020201fefefeff01445d62b55152b9866561ee015f71beb49fb020554e145f", want, 32);
    assert_memory_equal(w1, want, 32);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_m_n_on_curve),
        cmocka_unit_test(test_rfc9383_vector),
        cmocka_unit_test(test_exchange),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_tampered_messages),
        cmocka_unit_test(test_invalid_shares),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_parameters),
        cmocka_unit_test(test_w_reduction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
