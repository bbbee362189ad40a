/* Offline peer authentication (ward_peer.h): the handshake, each refusal (other root, revoked, expired, role, altered or replayed messages) and the channel's replay window. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward/ward_cert.h"
#include "ward/ward_peer.h"
#include "ward/ward_suite.h"

#define T0 1700000000u

enum { ROOT, ROOT2, FACTORY, LOCK, GATEWAY, NKEYS };
static uint8_t priv[NKEYS][WARD_P256_SCALAR_LEN];
static uint8_t pub[NKEYS][WARD_P256_POINT_LEN];

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < NKEYS; i++) {
        memset(priv[i], 0x21 * (i + 1), sizeof priv[i]);
        priv[i][0] = 0x02;
        assert_int_equal(ward_p256_public(ward_test_cp, priv[i], pub[i]), WARD_OK);
    }
    return 0;
}

typedef struct side {
    ward_keystore_soft soft;
    ward_keystore ks;
    ward_random rng;
    uint8_t chain[WARD_CERT_CHAIN_MAX_LEN];
    size_t chain_len;
    ward_peer_config cfg;
    ward_peer p;
} side;

static void issue(int signer, uint8_t role, const char *id, int subject, uint32_t expires,
                  uint8_t *out, size_t cap, size_t *len)
{
    ward_cert c;
    memset(&c, 0, sizeof c);
    c.role = role;
    c.id_len = (uint8_t)strlen(id);
    memcpy(c.id, id, c.id_len);
    c.issued = T0;
    c.expires = expires;
    assert_int_equal(ward_cert_issue_by(ward_test_cp, ward_test_key(priv[signer]), WARD_TEST_KEY,
                                        &c, pub[subject], out, cap, len),
                     WARD_OK);
}

/* A side with key k certified (role, id) by factory under root (root2: another root). */
static void make_side(side *s, int k, uint8_t role, const char *id, int root, uint32_t expires)
{
    memset(s, 0, sizeof *s);
    s->rng = ward_test_rng();
    ward_keystore_soft_init(&s->soft, ward_test_cp, &s->rng, &s->ks);
    assert_int_equal(ward_keystore_soft_load(&s->soft, WARD_KEY_DEVICE_IDENTITY, priv[k]),
                     WARD_OK);
    size_t n = 0, m = 0;
    issue(root, WARD_CERT_ROLE_FACTORY, "factory-1", FACTORY, 0, s->chain, sizeof s->chain, &n);
    issue(FACTORY, role, id, k, expires, s->chain + n, sizeof s->chain - n, &m);
    s->chain_len = n + m;
    s->cfg.cp = ward_test_cp;
    s->cfg.rng = &s->rng;
    s->cfg.ks = &s->ks;
    s->cfg.key = WARD_KEY_DEVICE_IDENTITY;
    s->cfg.chain = s->chain;
    s->cfg.chain_len = s->chain_len;
    s->cfg.root = pub[ROOT];
    s->cfg.allowed = WARD_PEER_ALLOW_DEVICES;
    s->cfg.now_s = T0;
}

typedef struct msgs {
    uint8_t m1[WARD_PEER_MSG_MAX], m2[WARD_PEER_MSG_MAX], m3[WARD_PEER_MSG_MAX];
    size_t n1, n2, n3;
} msgs;

/* Runs the handshake; i initiates. The error of the step that failed. */
static ward_err run(side *i, side *r, msgs *m, int alter_m2, int alter_m3)
{
    assert_int_equal(ward_peer_init(&i->p, &i->cfg), WARD_OK);
    assert_int_equal(ward_peer_init(&r->p, &r->cfg), WARD_OK);
    assert_int_equal(ward_peer_start(&i->p, m->m1, sizeof m->m1, &m->n1), WARD_OK);
    ward_err err = ward_peer_respond(&r->p, m->m1, m->n1, m->m2, sizeof m->m2, &m->n2);
    if (err != WARD_OK) {
        return err;
    }
    if (alter_m2 >= 0) {
        m->m2[alter_m2] ^= 0x01;
    }
    err = ward_peer_finish(&i->p, m->m2, m->n2, m->m3, sizeof m->m3, &m->n3);
    if (err != WARD_OK) {
        return err;
    }
    if (alter_m3 >= 0) {
        m->m3[alter_m3] ^= 0x01;
    }
    return ward_peer_accept(&r->p, m->m3, m->n3);
}

static side a, b;
static msgs m;

static void test_handshake_and_channel(void **state)
{
    (void)state;
    make_side(&a, LOCK, WARD_CERT_ROLE_LOCK, "LOCK-1", ROOT, 0);
    make_side(&b, GATEWAY, WARD_CERT_ROLE_GATEWAY, "gw-1", ROOT, T0 + 1000);
    assert_int_equal(run(&a, &b, &m, -1, -1), WARD_OK);
    assert_true(ward_peer_established(&a.p));
    assert_true(ward_peer_established(&b.p));
    assert_int_equal(m.n1, WARD_PEER_M1_LEN);
    assert_int_equal(m.n2, WARD_PEER_M2_LEN(b.chain_len));
    assert_int_equal(m.n3, WARD_PEER_M3_LEN(a.chain_len));
    ward_cert c;
    assert_int_equal(ward_peer_peer_cert(&a.p, &c), WARD_OK);
    assert_int_equal(c.role, WARD_CERT_ROLE_GATEWAY);
    assert_memory_equal(c.point, pub[GATEWAY], WARD_P256_POINT_LEN);
    assert_int_equal(ward_peer_peer_cert(&b.p, &c), WARD_OK);
    assert_memory_equal(c.id, "LOCK-1", 6);
    /* Records both ways. */
    uint8_t rec[64], pt[64];
    size_t n = 0, k = 0;
    assert_int_equal(ward_peer_seal(&a.p, (const uint8_t *)"ping", 4, rec, sizeof rec, &n),
                     WARD_OK);
    assert_int_equal(n, 4 + WARD_PEER_RECORD_OVERHEAD);
    assert_int_equal(ward_peer_open(&b.p, rec, n, pt, sizeof pt, &k), WARD_OK);
    assert_memory_equal(pt, "ping", 4);
    /* The same record again is a replay; the channel stays up. */
    assert_int_equal(ward_peer_open(&b.p, rec, n, pt, sizeof pt, &k), WARD_ERR_CONFLICT);
    assert_int_equal(ward_peer_why_refused(&b.p, NULL), WARD_PEER_REPLAY);
    /* A record of one direction does not open in the other. */
    assert_int_equal(ward_peer_open(&a.p, rec, n, pt, sizeof pt, &k), WARD_ERR_AUTH);
    assert_int_equal(ward_peer_seal(&b.p, (const uint8_t *)"pong", 4, rec, sizeof rec, &n),
                     WARD_OK);
    rec[n - 1] ^= 1;
    assert_int_equal(ward_peer_open(&a.p, rec, n, pt, sizeof pt, &k), WARD_ERR_AUTH);
    rec[n - 1] ^= 1;
    assert_int_equal(ward_peer_open(&a.p, rec, n, pt, sizeof pt, &k), WARD_OK);
    assert_memory_equal(pt, "pong", 4);
    ward_peer_wipe(&a.p);
    ward_peer_wipe(&b.p);
}

static void test_window(void **state)
{
    (void)state;
    make_side(&a, LOCK, WARD_CERT_ROLE_LOCK, "LOCK-1", ROOT, 0);
    make_side(&b, GATEWAY, WARD_CERT_ROLE_GATEWAY, "gw-1", ROOT, 0);
    assert_int_equal(run(&a, &b, &m, -1, -1), WARD_OK);
    static uint8_t recs[100][32];
    size_t n = 0, k = 0;
    uint8_t pt[16];
    for (int i = 0; i < 100; i++) {
        assert_int_equal(ward_peer_seal(&a.p, (const uint8_t *)"x", 1, recs[i], 32, &n), WARD_OK);
    }
    /* Out of order inside the window is taken, once. */
    assert_int_equal(ward_peer_open(&b.p, recs[90], n, pt, sizeof pt, &k), WARD_OK);
    assert_int_equal(ward_peer_open(&b.p, recs[50], n, pt, sizeof pt, &k), WARD_OK);
    assert_int_equal(ward_peer_open(&b.p, recs[50], n, pt, sizeof pt, &k), WARD_ERR_CONFLICT);
    /* 90 - 26 = 64 behind: older than the window. */
    assert_int_equal(ward_peer_open(&b.p, recs[26], n, pt, sizeof pt, &k), WARD_ERR_CONFLICT);
    assert_int_equal(ward_peer_open(&b.p, recs[27], n, pt, sizeof pt, &k), WARD_OK);
    assert_int_equal(ward_peer_open(&b.p, recs[99], n, pt, sizeof pt, &k), WARD_OK);
    assert_int_equal(ward_peer_open(&b.p, recs[90], n, pt, sizeof pt, &k), WARD_ERR_CONFLICT);
    /* A forged sequence number does not move the window. */
    recs[0][1] = 0x7f;
    assert_int_equal(ward_peer_open(&b.p, recs[0], n, pt, sizeof pt, &k), WARD_ERR_AUTH);
    assert_int_equal(ward_peer_open(&b.p, recs[98], n, pt, sizeof pt, &k), WARD_OK);
}

static void expect_refused(side *i, side *r, int alter_m2, int alter_m3, ward_err want,
                           const ward_peer *refuser, ward_peer_why why, ward_cert_why cwhy)
{
    assert_int_equal(run(i, r, &m, alter_m2, alter_m3), want);
    ward_cert_why got = WARD_CERT_OK;
    assert_int_equal(ward_peer_why_refused(refuser, &got), why);
    if (why == WARD_PEER_CHAIN) {
        assert_int_equal(got, cwhy);
    }
    /* Nothing is established on the refusing side, and it stays refused. */
    assert_false(ward_peer_established(refuser));
    uint8_t rec[32];
    size_t n = 0;
    assert_int_equal(ward_peer_seal((ward_peer *)refuser, (const uint8_t *)"x", 1, rec,
                                    sizeof rec, &n),
                     WARD_ERR_STATE);
}

static void test_other_root(void **state)
{
    (void)state;
    make_side(&a, LOCK, WARD_CERT_ROLE_LOCK, "LOCK-1", ROOT, 0);
    make_side(&b, GATEWAY, WARD_CERT_ROLE_GATEWAY, "gw-1", ROOT2, 0);
    expect_refused(&a, &b, -1, -1, WARD_ERR_AUTH, &a.p, WARD_PEER_CHAIN,
                   WARD_CERT_UNKNOWN_ISSUER);
    /* the other way round: the responder refuses the initiator's chain */
    expect_refused(&b, &a, -1, -1, WARD_ERR_AUTH, &a.p, WARD_PEER_CHAIN,
                   WARD_CERT_UNKNOWN_ISSUER);
}

static void test_revoked(void **state)
{
    (void)state;
    make_side(&a, LOCK, WARD_CERT_ROLE_LOCK, "LOCK-1", ROOT, 0);
    make_side(&b, GATEWAY, WARD_CERT_ROLE_GATEWAY, "gw-1", ROOT, 0);
    uint8_t kid[WARD_CERT_KEY_ID_LEN], lbytes[WARD_CERT_LIST_LEN(1)];
    size_t ln = 0;
    assert_int_equal(ward_cert_key_id(ward_test_cp, pub[GATEWAY], kid), WARD_OK);
    assert_int_equal(ward_cert_list_sign_by(ward_test_cp, ward_test_key(priv[ROOT]),
                                            WARD_TEST_KEY, 1, T0, kid, 1, lbytes,
                                            sizeof lbytes, &ln),
                     WARD_OK);
    ward_cert_list l;
    assert_int_equal(ward_cert_list_verify(ward_test_cp, pub[ROOT], lbytes, ln, NULL, &l),
                     WARD_OK);
    a.cfg.list = &l;
    expect_refused(&a, &b, -1, -1, WARD_ERR_AUTH, &a.p, WARD_PEER_CHAIN, WARD_CERT_REVOKED);
    expect_refused(&b, &a, -1, -1, WARD_ERR_AUTH, &a.p, WARD_PEER_CHAIN, WARD_CERT_REVOKED);
}

static void test_expired(void **state)
{
    (void)state;
    make_side(&a, LOCK, WARD_CERT_ROLE_LOCK, "LOCK-1", ROOT, 0);
    make_side(&b, GATEWAY, WARD_CERT_ROLE_GATEWAY, "gw-1", ROOT, T0 + 100);
    a.cfg.now_s = T0 + 99;
    assert_int_equal(run(&a, &b, &m, -1, -1), WARD_OK);
    a.cfg.now_s = T0 + 100;
    expect_refused(&a, &b, -1, -1, WARD_ERR_EXPIRED, &a.p, WARD_PEER_CHAIN, WARD_CERT_EXPIRED);
}

static void test_role(void **state)
{
    (void)state;
    make_side(&a, LOCK, WARD_CERT_ROLE_LOCK, "LOCK-1", ROOT, 0);
    make_side(&b, GATEWAY, WARD_CERT_ROLE_DEVICE, "dev-1", ROOT, 0);
    a.cfg.allowed = WARD_PEER_ALLOW(WARD_CERT_ROLE_GATEWAY);
    expect_refused(&a, &b, -1, -1, WARD_ERR_AUTH, &a.p, WARD_PEER_ROLE, WARD_CERT_OK);
    b.cfg.allowed = WARD_PEER_ALLOW(WARD_CERT_ROLE_GATEWAY);
    a.cfg.allowed = WARD_PEER_ALLOW_DEVICES;
    expect_refused(&a, &b, -1, -1, WARD_ERR_AUTH, &b.p, WARD_PEER_ROLE, WARD_CERT_OK);
    /* allowed again: the same pair goes through */
    b.cfg.allowed = WARD_PEER_ALLOW_DEVICES;
    assert_int_equal(run(&a, &b, &m, -1, -1), WARD_OK);
}

static void test_altered(void **state)
{
    (void)state;
    make_side(&a, LOCK, WARD_CERT_ROLE_LOCK, "LOCK-1", ROOT, 0);
    make_side(&b, GATEWAY, WARD_CERT_ROLE_GATEWAY, "gw-1", ROOT, 0);
    assert_int_equal(run(&a, &b, &m, -1, -1), WARD_OK);
    size_t n2 = m.n2, n3 = m.n3;
    /* bytes of every field of M2 and M3 (kind, Y, chain, signature, tag), one at a time:
     * every 11th and the last, to keep the test fast */
    for (size_t i = 0; i < n2; i = i + 11 < n2 || i == n2 - 1 ? i + 11 : n2 - 1) {
        ward_err err = run(&a, &b, &m, (int)i, -1);
        assert_true(err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
        assert_false(ward_peer_established(&a.p));
    }
    for (size_t i = 0; i < n3; i = i + 11 < n3 || i == n3 - 1 ? i + 11 : n3 - 1) {
        ward_err err = run(&a, &b, &m, -1, (int)i);
        assert_true(err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT);
        assert_false(ward_peer_established(&b.p));
    }
    /* cut short */
    assert_int_equal(ward_peer_init(&a.p, &a.cfg), WARD_OK);
    assert_int_equal(ward_peer_init(&b.p, &b.cfg), WARD_OK);
    assert_int_equal(ward_peer_start(&a.p, m.m1, sizeof m.m1, &m.n1), WARD_OK);
    assert_int_equal(ward_peer_respond(&b.p, m.m1, m.n1 - 1, m.m2, sizeof m.m2, &m.n2),
                     WARD_ERR_FORMAT);
}

static void test_replayed(void **state)
{
    (void)state;
    make_side(&a, LOCK, WARD_CERT_ROLE_LOCK, "LOCK-1", ROOT, 0);
    make_side(&b, GATEWAY, WARD_CERT_ROLE_GATEWAY, "gw-1", ROOT, 0);
    assert_int_equal(run(&a, &b, &m, -1, -1), WARD_OK);
    static msgs old;
    old = m;
    /* An old M3 in a new handshake: the responder's new Y changed every key. */
    assert_int_equal(ward_peer_init(&a.p, &a.cfg), WARD_OK);
    assert_int_equal(ward_peer_init(&b.p, &b.cfg), WARD_OK);
    assert_int_equal(ward_peer_start(&a.p, m.m1, sizeof m.m1, &m.n1), WARD_OK);
    assert_int_equal(ward_peer_respond(&b.p, m.m1, m.n1, m.m2, sizeof m.m2, &m.n2), WARD_OK);
    assert_int_equal(ward_peer_accept(&b.p, old.m3, old.n3), WARD_ERR_AUTH);
    assert_false(ward_peer_established(&b.p));
    /* An old M2 to a new initiator. */
    assert_int_equal(ward_peer_init(&a.p, &a.cfg), WARD_OK);
    assert_int_equal(ward_peer_start(&a.p, m.m1, sizeof m.m1, &m.n1), WARD_OK);
    assert_int_equal(ward_peer_finish(&a.p, old.m2, old.n2, m.m3, sizeof m.m3, &m.n3),
                     WARD_ERR_AUTH);
    /* The whole old initiator's flight to a new responder: M1 then M3. */
    assert_int_equal(ward_peer_init(&b.p, &b.cfg), WARD_OK);
    assert_int_equal(ward_peer_respond(&b.p, old.m1, old.n1, m.m2, sizeof m.m2, &m.n2), WARD_OK);
    assert_int_equal(ward_peer_accept(&b.p, old.m3, old.n3), WARD_ERR_AUTH);
    /* Out of turn. */
    assert_int_equal(ward_peer_init(&b.p, &b.cfg), WARD_OK);
    assert_int_equal(ward_peer_accept(&b.p, old.m3, old.n3), WARD_ERR_STATE);
    assert_int_equal(ward_peer_why_refused(&b.p, NULL), WARD_PEER_ORDER);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_channel),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_other_root),
        cmocka_unit_test(test_revoked),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_role),
        cmocka_unit_test(test_altered),
        cmocka_unit_test(test_replayed),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
