/* Device certificates (ward_cert.h): chains to the root, and each refusal: wrong root, too long, role, expired, revoked, old list, cut or altered bytes; ward_identity's one check for every role. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_cert.h"
#include "ward/ward_identity.h"
#include "ward/ward_suite.h"

#define T0 1700000000u

/* Keys by number: private key = SHA-256-free fixed bytes, distinct per n. */
typedef struct key {
    uint8_t priv[WARD_P256_SCALAR_LEN];
    uint8_t pub[WARD_P256_POINT_LEN];
} key;

enum { ROOT, ROOT2, FACTORY, FACTORY2, LOCK, GATEWAY, NKEYS };
static key keys[NKEYS];

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < NKEYS; i++) {
        memset(keys[i].priv, 0x11 * (i + 1), sizeof keys[i].priv);
        keys[i].priv[0] = 0x01;   /* below n */
        assert_int_equal(ward_p256_public(ward_test_cp, keys[i].priv, keys[i].pub), WARD_OK);
    }
    return 0;
}

typedef struct blob {
    uint8_t b[3 * WARD_CERT_MAX];
    size_t n;
} blob;

static void issue(int signer, uint8_t role, const char *id, int subject, uint32_t expires,
                  blob *out)
{
    ward_cert c;
    size_t len = 0;
    memset(&c, 0, sizeof c);
    c.role = role;
    c.id_len = (uint8_t)strlen(id);
    memcpy(c.id, id, c.id_len);
    c.issued = T0;
    c.expires = expires;
    assert_int_equal(ward_cert_issue_by(ward_test_cp, ward_test_key(keys[signer].priv),
                                        WARD_TEST_KEY, &c, keys[subject].pub,
                                        out->b + out->n, sizeof out->b - out->n, &len),
                     WARD_OK);
    out->n += len;
}

static ward_cert_why verify(const blob *chain, int root, uint8_t role, uint32_t now,
                            const ward_cert_list *list, ward_err *err)
{
    ward_cert leaf;
    ward_cert_why why = WARD_CERT_OK;
    *err = ward_cert_chain_verify(ward_test_cp, keys[root].pub, chain->b, chain->n, role, now,
                                  list, &leaf, &why);
    assert_true((*err == WARD_OK) == (why == WARD_CERT_OK));
    return why;
}

static void expect(const blob *chain, int root, uint8_t role, uint32_t now,
                   const ward_cert_list *list, ward_cert_why want)
{
    ward_err err;
    assert_int_equal(verify(chain, root, role, now, list, &err), want);
}

static void kid_of(int k, uint8_t kid[WARD_CERT_KEY_ID_LEN])
{
    assert_int_equal(ward_cert_key_id(ward_test_cp, keys[k].pub, kid), WARD_OK);
}

/* A list of the key ids of ks[0..n), by signer, sorted here. */
static void make_list(int signer, uint32_t seq, const int *ks, size_t n, blob *out)
{
    uint8_t e[8 * NKEYS];
    for (size_t i = 0; i < n; i++) {
        kid_of(ks[i], e + 8 * i);
    }
    for (size_t i = 1; i < n; i++) {        /* insertion sort, n is tiny */
        for (size_t j = i; j > 0 && memcmp(e + 8 * (j - 1), e + 8 * j, 8) > 0; j--) {
            uint8_t t[8];
            memcpy(t, e + 8 * j, 8);
            memcpy(e + 8 * j, e + 8 * (j - 1), 8);
            memcpy(e + 8 * (j - 1), t, 8);
        }
    }
    assert_int_equal(ward_cert_list_sign_by(ward_test_cp, ward_test_key(keys[signer].priv),
                                            WARD_TEST_KEY, seq, T0, e, n, out->b,
                                            sizeof out->b, &out->n),
                     WARD_OK);
}

static void test_direct_and_two_level(void **state)
{
    (void)state;
    blob direct = { .n = 0 }, chain = { .n = 0 };
    issue(ROOT, WARD_CERT_ROLE_LOCK, "lock-0001", LOCK, WARD_CERT_NO_EXPIRY, &direct);
    assert_int_equal(direct.n, WARD_CERT_FIXED_LEN + 9);
    expect(&direct, ROOT, WARD_CERT_ROLE_LOCK, T0 + 1000000u, NULL, WARD_CERT_OK);

    issue(ROOT, WARD_CERT_ROLE_FACTORY, "factory-sz", FACTORY, T0 + 86400u * 3650u, &chain);
    issue(FACTORY, WARD_CERT_ROLE_GATEWAY, "0123456789abcdef0123456789abcdef", GATEWAY,
          T0 + 86400u * 365u, &chain);
    ward_cert leaf;
    ward_cert_why why;
    assert_int_equal(ward_cert_chain_verify(ward_test_cp, keys[ROOT].pub, chain.b, chain.n,
                                            WARD_CERT_ROLE_GATEWAY, T0, NULL, &leaf, &why),
                     WARD_OK);
    /* The device learns the key it will talk to, uncompressed. */
    assert_memory_equal(leaf.point, keys[GATEWAY].pub, WARD_P256_POINT_LEN);
    assert_int_equal(leaf.id_len, 32);
    assert_int_equal(leaf.role, WARD_CERT_ROLE_GATEWAY);
    assert_int_equal(leaf.expires, T0 + 86400u * 365u);
    /* The longest certificate (32-byte id) is within the 150 bytes. */
    assert_int_equal(ward_cert_len(chain.b + (chain.n - WARD_CERT_MAX), WARD_CERT_MAX),
                     WARD_CERT_MAX);
    assert_true(WARD_CERT_MAX <= 150);
    /* Parse then re-issue gives the same bytes before the signature. */
    ward_cert c;
    size_t first = ward_cert_len(chain.b, chain.n);
    assert_int_equal(ward_cert_parse(chain.b, first, &c), WARD_OK);
    assert_int_equal(c.role, WARD_CERT_ROLE_FACTORY);
    kid_of(ROOT, c.pub);   /* reuse as scratch: the issuer is the root's key id */
    assert_memory_equal(c.issuer, c.pub, WARD_CERT_KEY_ID_LEN);
}

static void test_wrong_root(void **state)
{
    (void)state;
    blob direct = { .n = 0 }, chain = { .n = 0 };
    issue(ROOT, WARD_CERT_ROLE_LOCK, "lock-1", LOCK, WARD_CERT_NO_EXPIRY, &direct);
    expect(&direct, ROOT2, WARD_CERT_ROLE_LOCK, T0, NULL, WARD_CERT_UNKNOWN_ISSUER);
    issue(ROOT2, WARD_CERT_ROLE_FACTORY, "factory-x", FACTORY, WARD_CERT_NO_EXPIRY, &chain);
    issue(FACTORY, WARD_CERT_ROLE_LOCK, "lock-1", LOCK, WARD_CERT_NO_EXPIRY, &chain);
    expect(&chain, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, WARD_CERT_UNKNOWN_ISSUER);
    /* Another key that claims the root's key id: its signature fails. */
    blob forged = { .n = 0 };
    issue(ROOT2, WARD_CERT_ROLE_LOCK, "lock-1", LOCK, WARD_CERT_NO_EXPIRY, &forged);
    uint8_t kid[8];
    kid_of(ROOT, kid);
    memcpy(forged.b + forged.n - WARD_P256_SIG_LEN - 8, kid, 8);
    expect(&forged, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, WARD_CERT_BAD_SIGNATURE);
    /* A device certificate whose factory is left out. */
    blob alone = { .n = 0 };
    issue(FACTORY, WARD_CERT_ROLE_LOCK, "lock-1", LOCK, WARD_CERT_NO_EXPIRY, &alone);
    expect(&alone, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, WARD_CERT_UNKNOWN_ISSUER);
}

static void test_chain_too_long(void **state)
{
    (void)state;
    /* root -> factory -> factory2 -> lock: three certificates. */
    blob three = { .n = 0 };
    issue(ROOT, WARD_CERT_ROLE_FACTORY, "f1", FACTORY, WARD_CERT_NO_EXPIRY, &three);
    size_t f1 = three.n;
    issue(FACTORY, WARD_CERT_ROLE_FACTORY, "f2", FACTORY2, WARD_CERT_NO_EXPIRY, &three);
    size_t f2 = three.n - f1;
    issue(FACTORY2, WARD_CERT_ROLE_LOCK, "lock-1", LOCK, WARD_CERT_NO_EXPIRY, &three);
    expect(&three, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, WARD_CERT_TOO_LONG);
    /* Without the first: the second factory is not the root's. */
    blob tail = { .n = three.n - f1 };
    memcpy(tail.b, three.b + f1, tail.n);
    expect(&tail, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, WARD_CERT_UNKNOWN_ISSUER);
    /* The first two: a factory may not make a factory. */
    blob two = { .n = f1 + f2 };
    memcpy(two.b, three.b, two.n);
    expect(&two, ROOT, WARD_CERT_ROLE_FACTORY, T0, NULL, WARD_CERT_ROLE);
    /* Trailing bytes after two certificates count as a third. */
    blob chain = { .n = 0 };
    issue(ROOT, WARD_CERT_ROLE_FACTORY, "f1", FACTORY, WARD_CERT_NO_EXPIRY, &chain);
    issue(FACTORY, WARD_CERT_ROLE_LOCK, "lock-1", LOCK, WARD_CERT_NO_EXPIRY, &chain);
    chain.b[chain.n++] = 0x01;
    expect(&chain, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, WARD_CERT_TOO_LONG);
}

static void test_role_mismatch(void **state)
{
    (void)state;
    blob direct = { .n = 0 }, chain = { .n = 0 }, devdev = { .n = 0 };
    issue(ROOT, WARD_CERT_ROLE_LOCK, "lock-1", LOCK, WARD_CERT_NO_EXPIRY, &direct);
    expect(&direct, ROOT, WARD_CERT_ROLE_GATEWAY, T0, NULL, WARD_CERT_ROLE);
    expect(&direct, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, WARD_CERT_OK);
    issue(ROOT, WARD_CERT_ROLE_FACTORY, "f1", FACTORY, WARD_CERT_NO_EXPIRY, &chain);
    issue(FACTORY, WARD_CERT_ROLE_DEVICE, "dev-1", LOCK, WARD_CERT_NO_EXPIRY, &chain);
    expect(&chain, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, WARD_CERT_ROLE);
    expect(&chain, ROOT, WARD_CERT_ROLE_DEVICE, T0, NULL, WARD_CERT_OK);
    /* A device's key signing another device: its certificate is no factory. */
    issue(ROOT, WARD_CERT_ROLE_GATEWAY, "gw-1", FACTORY, WARD_CERT_NO_EXPIRY, &devdev);
    issue(FACTORY, WARD_CERT_ROLE_SUBDEVICE, "sub-1", LOCK, WARD_CERT_NO_EXPIRY, &devdev);
    expect(&devdev, ROOT, WARD_CERT_ROLE_SUBDEVICE, T0, NULL, WARD_CERT_ROLE);
}

static void test_expired(void **state)
{
    (void)state;
    blob chain = { .n = 0 };
    issue(ROOT, WARD_CERT_ROLE_FACTORY, "f1", FACTORY, T0 + 2000u, &chain);
    issue(FACTORY, WARD_CERT_ROLE_LOCK, "lock-1", LOCK, T0 + 1000u, &chain);
    expect(&chain, ROOT, WARD_CERT_ROLE_LOCK, T0 + 999u, NULL, WARD_CERT_OK);
    ward_err err;
    assert_int_equal(verify(&chain, ROOT, WARD_CERT_ROLE_LOCK, T0 + 1000u, NULL, &err),
                     WARD_CERT_EXPIRED);
    assert_int_equal(err, WARD_ERR_EXPIRED);
    /* The factory's expiry binds its devices even when theirs is later. */
    blob late = { .n = 0 };
    issue(ROOT, WARD_CERT_ROLE_FACTORY, "f1", FACTORY, T0 + 2000u, &late);
    issue(FACTORY, WARD_CERT_ROLE_LOCK, "lock-1", LOCK, WARD_CERT_NO_EXPIRY, &late);
    expect(&late, ROOT, WARD_CERT_ROLE_LOCK, T0 + 1999u, NULL, WARD_CERT_OK);
    expect(&late, ROOT, WARD_CERT_ROLE_LOCK, T0 + 2000u, NULL, WARD_CERT_EXPIRED);
    /* An expiry not after the issue time is no encoding of ours. */
    ward_cert c;
    size_t len = 0;
    uint8_t out[WARD_CERT_MAX];
    memset(&c, 0, sizeof c);
    c.role = WARD_CERT_ROLE_LOCK;
    c.id_len = 1;
    c.id[0] = 'x';
    c.issued = T0;
    c.expires = T0;
    assert_int_equal(ward_cert_issue_by(ward_test_cp, ward_test_key(keys[ROOT].priv),
                                        WARD_TEST_KEY, &c, keys[LOCK].pub, out, sizeof out,
                                        &len),
                     WARD_ERR_PARAM);
}

static void test_revoked(void **state)
{
    (void)state;
    blob chain = { .n = 0 }, l = { .n = 0 };
    ward_cert_list list;
    issue(ROOT, WARD_CERT_ROLE_FACTORY, "f1", FACTORY, WARD_CERT_NO_EXPIRY, &chain);
    issue(FACTORY, WARD_CERT_ROLE_LOCK, "lock-1", LOCK, WARD_CERT_NO_EXPIRY, &chain);

    const int others[] = { GATEWAY, FACTORY2 };
    make_list(ROOT, 1, others, 2, &l);
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT].pub, l.b, l.n, NULL, &list),
                     WARD_OK);
    expect(&chain, ROOT, WARD_CERT_ROLE_LOCK, T0, &list, WARD_CERT_OK);

    const int dev[] = { GATEWAY, LOCK };
    make_list(ROOT, 2, dev, 2, &l);
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT].pub, l.b, l.n, NULL, &list),
                     WARD_OK);
    expect(&chain, ROOT, WARD_CERT_ROLE_LOCK, T0, &list, WARD_CERT_REVOKED);

    /* Revoking the factory's key revokes every device it certified. */
    const int fac[] = { FACTORY };
    make_list(ROOT, 3, fac, 1, &l);
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT].pub, l.b, l.n, NULL, &list),
                     WARD_OK);
    expect(&chain, ROOT, WARD_CERT_ROLE_LOCK, T0, &list, WARD_CERT_REVOKED);

    /* A list of another root's is not this chain's list. */
    make_list(ROOT2, 9, others, 2, &l);
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT2].pub, l.b, l.n, NULL, &list),
                     WARD_OK);
    expect(&chain, ROOT, WARD_CERT_ROLE_LOCK, T0, &list, WARD_CERT_WRONG_LIST);
}

static void test_old_list_replay(void **state)
{
    (void)state;
    blob l1 = { .n = 0 }, l2 = { .n = 0 }, other = { .n = 0 };
    ward_cert_list cur, got;
    const int one[] = { LOCK };
    const int two[] = { LOCK, GATEWAY };
    make_list(ROOT, 1, one, 1, &l1);
    make_list(ROOT, 2, two, 2, &l2);
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT].pub, l1.b, l1.n, NULL, &cur),
                     WARD_OK);
    assert_int_equal(cur.seq, 1);
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT].pub, l2.b, l2.n, &cur, &got),
                     WARD_OK);
    cur = got;
    assert_int_equal(cur.seq, 2);
    assert_int_equal(cur.count, 2);
    /* The older list, and the same one again, do not replace it. */
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT].pub, l1.b, l1.n, &cur, &got),
                     WARD_ERR_EXPIRED);
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT].pub, l2.b, l2.n, &cur, &got),
                     WARD_ERR_EXPIRED);
    /* Signed by another key: refused, whatever its sequence. */
    make_list(ROOT2, 100, one, 1, &other);
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT].pub, other.b, other.n, &cur,
                                           &got),
                     WARD_ERR_AUTH);
    /* The root's key id on another key's list: the signature fails. */
    memcpy(other.b + 1, l2.b + 1, WARD_CERT_KEY_ID_LEN);
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT].pub, other.b, other.n, &cur,
                                           &got),
                     WARD_ERR_AUTH);
    /* A raised sequence on the genuine list: the signature fails. */
    l1.b[1 + WARD_CERT_KEY_ID_LEN + 3] = 9;
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT].pub, l1.b, l1.n, &cur, &got),
                     WARD_ERR_AUTH);
    /* Unsorted entries are no encoding of ours. */
    uint8_t e[16];
    memset(e, 0x22, 8);
    memset(e + 8, 0x11, 8);
    uint8_t out[WARD_CERT_LIST_LEN(2)];
    size_t len = 0;
    assert_int_equal(ward_cert_list_sign_by(ward_test_cp, ward_test_key(keys[ROOT].priv),
                                            WARD_TEST_KEY, 5, T0, e, 2, out, sizeof out, &len),
                     WARD_ERR_PARAM);
    memcpy(e, e + 8, 8);   /* a duplicate */
    assert_int_equal(ward_cert_list_sign_by(ward_test_cp, ward_test_key(keys[ROOT].priv),
                                            WARD_TEST_KEY, 5, T0, e, 2, out, sizeof out, &len),
                     WARD_ERR_PARAM);
}

static void test_list_lookup(void **state)
{
    (void)state;
    static uint8_t bytes[WARD_CERT_LIST_LEN(300)];
    uint8_t e[300 * 8];
    for (size_t i = 0; i < 300; i++) {
        memset(e + 8 * i, 0, 8);
        e[8 * i + 6] = (uint8_t)((2 * i) >> 8);
        e[8 * i + 7] = (uint8_t)(2 * i);
    }
    size_t len = 0;
    ward_cert_list l;
    assert_int_equal(ward_cert_list_sign_by(ward_test_cp, ward_test_key(keys[ROOT].priv),
                                            WARD_TEST_KEY, 1, T0, e, 300, bytes, sizeof bytes,
                                            &len),
                     WARD_OK);
    assert_int_equal(len, sizeof bytes);
    assert_int_equal(ward_cert_list_parse(bytes, len, &l), WARD_OK);
    for (size_t v = 0; v < 600; v++) {
        uint8_t kid[8] = { 0 };
        kid[6] = (uint8_t)(v >> 8);
        kid[7] = (uint8_t)v;
        assert_int_equal(ward_cert_list_has(&l, kid), v % 2 == 0);
    }
    /* Cut or lengthened: the count no longer matches. */
    assert_int_equal(ward_cert_list_parse(bytes, len - 1, &l), WARD_ERR_FORMAT);
    assert_int_equal(ward_cert_list_parse(bytes, len - 8, &l), WARD_ERR_FORMAT);
    assert_int_equal(ward_cert_list_parse(bytes, WARD_CERT_LIST_FIXED_LEN - 1, &l),
                     WARD_ERR_FORMAT);
}

static void test_truncated_or_altered(void **state)
{
    (void)state;
    blob chain = { .n = 0 };
    issue(ROOT, WARD_CERT_ROLE_FACTORY, "f1", FACTORY, WARD_CERT_NO_EXPIRY, &chain);
    issue(FACTORY, WARD_CERT_ROLE_LOCK, "lock-1", LOCK, T0 + 5000u, &chain);
    expect(&chain, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, WARD_CERT_OK);
    ward_err err;
    for (size_t cut = 0; cut < chain.n; cut++) {
        blob t = { .n = cut };
        memcpy(t.b, chain.b, cut);
        ward_cert_why why = verify(&t, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, &err);
        if (cut == ward_cert_len(chain.b, chain.n)) {
            /* Exactly the factory's certificate: a factory, not a lock. */
            assert_int_equal(why, WARD_CERT_ROLE);
        } else {
            assert_int_equal(why, WARD_CERT_MALFORMED);
            assert_int_equal(err, WARD_ERR_FORMAT);
        }
    }
    /* Every byte changed, one at a time: never accepted. */
    for (size_t i = 0; i < chain.n; i++) {
        blob t = chain;
        t.b[i] ^= (uint8_t)(i % 2 == 0 ? 0x01 : 0x80);
        ward_cert_why why = verify(&t, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, &err);
        assert_int_not_equal(why, WARD_CERT_OK);
        assert_true(err == WARD_ERR_FORMAT || err == WARD_ERR_AUTH || err == WARD_ERR_EXPIRED ||
                    err == WARD_ERR_PARAM);
    }
    /* Fields the parser refuses outright. */
    ward_cert c;
    size_t first = ward_cert_len(chain.b, chain.n);
    uint8_t one[WARD_CERT_MAX];
    memcpy(one, chain.b, first);
    assert_int_equal(ward_cert_parse(one, first, &c), WARD_OK);
    one[0] = 2;                                  /* format */
    assert_int_equal(ward_cert_parse(one, first, &c), WARD_ERR_FORMAT);
    one[0] = 1;
    one[1] = 0x06;                               /* role */
    assert_int_equal(ward_cert_parse(one, first, &c), WARD_ERR_FORMAT);
    one[1] = WARD_CERT_ROLE_FACTORY;
    one[3] = ' ';                                /* id alphabet */
    assert_int_equal(ward_cert_parse(one, first, &c), WARD_ERR_FORMAT);
    one[3] = 'f';
    one[3 + 2] = 0x04;                           /* an uncompressed prefix */
    assert_int_equal(ward_cert_parse(one, first, &c), WARD_ERR_FORMAT);
    one[3 + 2] = 0x02;
    one[2] = 0;                                  /* id length */
    assert_int_equal(ward_cert_parse(one, first, &c), WARD_ERR_FORMAT);
    one[2] = WARD_CERT_ID_MAX + 1;
    assert_int_equal(ward_cert_len(one, first), 0);
    /* A subject key off the curve is not certified. */
    uint8_t bad[65], out[WARD_CERT_MAX];
    size_t len = 0;
    memcpy(bad, keys[LOCK].pub, 65);
    bad[64] ^= 1;
    memset(&c, 0, sizeof c);
    c.role = WARD_CERT_ROLE_LOCK;
    c.id_len = 1;
    c.id[0] = 'x';
    assert_int_equal(ward_cert_issue_by(ward_test_cp, ward_test_key(keys[ROOT].priv),
                                        WARD_TEST_KEY, &c, bad, out, sizeof out, &len),
                     WARD_ERR_PARAM);
    assert_int_equal(verify(&(blob){ .n = 0 }, ROOT, WARD_CERT_ROLE_LOCK, T0, NULL, &err),
                     WARD_CERT_MALFORMED);
}

/* ward_identity: one check for every role, a chain or (migration) an ACTIVATION. */
static void test_identity(void **state)
{
    (void)state;
    blob chain = { .n = 0 };
    issue(ROOT, WARD_CERT_ROLE_FACTORY, "factory-sz", FACTORY, WARD_CERT_NO_EXPIRY, &chain);
    issue(FACTORY, WARD_CERT_ROLE_DEVICE, "DEV-1", LOCK, T0 + 100u, &chain);
    uint8_t act[WARD_ACTIVATION_MAX];
    size_t alen = 0;
    ward_activation a = { (const uint8_t *)"LOCK-1", 6, keys[GATEWAY].pub };
    assert_int_equal(ward_activation_sign_by(ward_test_cp, ward_test_key(keys[FACTORY2].priv),
                                             WARD_TEST_KEY, &a, act, sizeof act, &alen),
                     WARD_OK);
    assert_true(ward_identity_is_chain(chain.b, chain.n));
    assert_false(ward_identity_is_chain(act, alen));

    const uint32_t locks = WARD_IDENTITY_ROLE(WARD_CERT_ROLE_LOCK) |
                           WARD_IDENTITY_ROLE(WARD_CERT_ROLE_DEVICE);
    ward_identity_trust t = { keys[ROOT].pub, keys[FACTORY2].pub, NULL, T0 };
    ward_identity who;
    ward_cert_why why;
    assert_int_equal(ward_identity_verify(ward_test_cp, &t, locks, chain.b, chain.n, &who, &why),
                     WARD_OK);
    assert_true(who.chain);
    assert_int_equal(who.role, WARD_CERT_ROLE_DEVICE);
    assert_int_equal(who.id_len, 5);
    assert_memory_equal(who.id, "DEV-1", 5);
    assert_memory_equal(who.pub, keys[LOCK].pub, WARD_P256_POINT_LEN);
    assert_int_equal(who.expires, T0 + 100u);
    /* A role the verifier does not take; past the expiry; no root. */
    assert_int_equal(ward_identity_verify(ward_test_cp, &t,
                                          WARD_IDENTITY_ROLE(WARD_CERT_ROLE_GATEWAY), chain.b,
                                          chain.n, &who, &why), WARD_ERR_AUTH);
    assert_int_equal(why, WARD_CERT_ROLE);
    t.now_s = T0 + 100u;
    assert_int_equal(ward_identity_verify(ward_test_cp, &t, locks, chain.b, chain.n, &who, &why),
                     WARD_ERR_EXPIRED);
    assert_int_equal(why, WARD_CERT_EXPIRED);
    t.now_s = T0;
    t.root = keys[ROOT2].pub;
    assert_int_equal(ward_identity_verify(ward_test_cp, &t, locks, chain.b, chain.n, &who, &why),
                     WARD_ERR_AUTH);
    assert_int_equal(why, WARD_CERT_UNKNOWN_ISSUER);
    t.root = NULL;
    assert_int_equal(ward_identity_verify(ward_test_cp, &t, locks, chain.b, chain.n, &who, &why),
                     WARD_ERR_AUTH);
    /* Revoked: the list the verifier holds. */
    blob lb = { .n = 0 };
    const int revoked[] = { FACTORY };
    make_list(ROOT, 1, revoked, 1, &lb);
    ward_cert_list list;
    assert_int_equal(ward_cert_list_verify(ward_test_cp, keys[ROOT].pub, lb.b, lb.n, NULL, &list),
                     WARD_OK);
    t.root = keys[ROOT].pub;
    t.list = &list;
    assert_int_equal(ward_identity_verify(ward_test_cp, &t, locks, chain.b, chain.n, &who, &why),
                     WARD_ERR_AUTH);
    assert_int_equal(why, WARD_CERT_REVOKED);
    t.list = NULL;

    /* The ACTIVATION: by the factory key only while one is given. */
    assert_int_equal(ward_identity_verify(ward_test_cp, &t, locks, act, alen, &who, &why),
                     WARD_OK);
    assert_false(who.chain);
    assert_int_equal(who.role, WARD_IDENTITY_ROLE_NONE);
    assert_memory_equal(who.pub, keys[GATEWAY].pub, WARD_P256_POINT_LEN);
    act[alen - 1] ^= 1u;
    assert_int_equal(ward_identity_verify(ward_test_cp, &t, locks, act, alen, &who, &why),
                     WARD_ERR_AUTH);
    assert_int_equal(why, WARD_CERT_BAD_SIGNATURE);
    act[alen - 1] ^= 1u;
    t.factory = NULL;
    assert_int_equal(ward_identity_verify(ward_test_cp, &t, locks, act, alen, &who, &why),
                     WARD_ERR_AUTH);
    assert_int_equal(ward_identity_verify(ward_test_cp, &t, locks, act, 0, &who, &why),
                     WARD_ERR_FORMAT);

    /* The holder's check: its id and key, no signature needed. */
    assert_int_equal(ward_identity_names(ward_test_cp, chain.b, chain.n, locks,
                                         (const uint8_t *)"DEV-1", 5, keys[LOCK].pub), WARD_OK);
    assert_int_equal(ward_identity_names(ward_test_cp, chain.b, chain.n, locks,
                                         (const uint8_t *)"DEV-2", 5, keys[LOCK].pub),
                     WARD_ERR_AUTH);
    assert_int_equal(ward_identity_names(ward_test_cp, chain.b, chain.n, locks,
                                         (const uint8_t *)"DEV-1", 5, keys[ROOT].pub),
                     WARD_ERR_AUTH);
    assert_int_equal(ward_identity_names(ward_test_cp, act, alen, 0,
                                         (const uint8_t *)"LOCK-1", 6, keys[GATEWAY].pub),
                     WARD_OK);
    assert_int_equal(ward_identity_names(ward_test_cp, chain.b, chain.n - 1, locks,
                                         (const uint8_t *)"DEV-1", 5, keys[LOCK].pub),
                     WARD_ERR_FORMAT);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct_and_two_level),
        cmocka_unit_test(test_wrong_root),
        cmocka_unit_test(test_chain_too_long),
        cmocka_unit_test(test_role_mismatch),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_revoked),
        cmocka_unit_test(test_old_list_replay),
        cmocka_unit_test(test_list_lookup),
        cmocka_unit_test(test_truncated_or_altered),
        cmocka_unit_test(test_identity),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
