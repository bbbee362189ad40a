/* Worked examples of the device certificates: a factory's, a lock's, the revocation list (examples.h). */
#include "examples.h"

#include <string.h>

#include "ward/ward_cert.h"
#include "proto/cert_inner.h"

#define ISSUED ((uint32_t)(EX_T0 / 1000u))
#define TEN_YEARS (3650u * 86400u)

typedef struct xc {
    ex_rng rr, fr, lr;
    ward_random rrng, frng, lrng;
    ward_keystore_soft rsoft, fsoft, lsoft;
    ward_keystore root, factory, lock;
    uint8_t root_pub[WARD_P256_POINT_LEN], factory_pub[WARD_P256_POINT_LEN];
    uint8_t lock_pub[WARD_P256_POINT_LEN];
    uint8_t fcert[WARD_CERT_MAX], lcert[WARD_CERT_MAX], chain[WARD_CERT_CHAIN_MAX_LEN];
    uint8_t list[WARD_CERT_LIST_LEN(2)];
} xc;

static void u32(ex_set *s, const char *name, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    ex_hex(s, name, b, sizeof b);
}

/* One certificate's fields, then its bytes with the signature. */
static void show(ex_set *s, const uint8_t *cert, size_t len, const uint8_t *signer_pub)
{
    ward_cert c;
    EX_OK(s, ward_cert_parse(cert, len, &c));
    uint8_t role = c.role;
    ex_hex(s, "role", &role, 1);
    ex_text(s, "id", c.id, c.id_len);
    ex_hex(s, "pub", c.pub, sizeof c.pub);
    u32(s, "issued", c.issued);
    u32(s, "expires", c.expires);
    ex_hex(s, "issuer", c.issuer, sizeof c.issuer);
    ex_note(s, "signature input: SHA-256(\"ward/1 sign cert\" || 0x00 || cert[0..len-64))");
    ex_sig(s, "cert", cert, len, false, len - WARD_P256_SIG_LEN, WARD_LABEL_CERT, signer_pub,
           cert, len - WARD_P256_SIG_LEN);
}

void ex_gen_certs(ex_set *s)
{
    static xc x;
    size_t flen = 0, llen = 0, listlen = 0;
    uint8_t kid[WARD_CERT_KEY_ID_LEN];
    ward_wipe(&x, sizeof x);
    x.rrng = ex_rng_init(&x.rr, s->cp, "cert root");
    x.frng = ex_rng_init(&x.fr, s->cp, "cert factory");
    x.lrng = ex_rng_init(&x.lr, s->cp, "cert lock");
    ward_keystore_soft_init(&x.rsoft, s->cp, &x.rrng, &x.root);
    ward_keystore_soft_init(&x.fsoft, s->cp, &x.frng, &x.factory);
    ward_keystore_soft_init(&x.lsoft, s->cp, &x.lrng, &x.lock);
    EX_OK(s, x.root.generate(x.root.ctx, WARD_KEY_FACTORY, x.root_pub));
    EX_OK(s, x.factory.generate(x.factory.ctx, WARD_KEY_FACTORY, x.factory_pub));
    EX_OK(s, x.lock.generate(x.lock.ctx, WARD_KEY_LOCK_IDENTITY, x.lock_pub));

    ward_cert c;
    memset(&c, 0, sizeof c);
    c.role = WARD_CERT_ROLE_FACTORY;
    c.id_len = 10;
    memcpy(c.id, "factory-sz", 10);
    c.issued = ISSUED;
    c.expires = WARD_CERT_NO_EXPIRY;
    EX_OK(s, ward_cert_issue_by(s->cp, &x.root, WARD_KEY_FACTORY, &c, x.factory_pub, x.fcert,
                                sizeof x.fcert, &flen));
    ex_begin(s, "cert-factory",
             "### Device certificates\n"
             "\n"
             "The manufacturer's root (a bare public key, the trust anchor) certifies a\n"
             "factory's key (role 0x80); the key id of a public key is the first 8\n"
             "bytes of SHA-256 of its compressed form.");
    ex_hex(s, "root_pub", x.root_pub, sizeof x.root_pub);
    EX_OK(s, ward_cert_key_id(s->cp, x.root_pub, kid));
    ex_hex(s, "root_key_id", kid, sizeof kid);
    ex_hex(s, "factory_pub", x.factory_pub, sizeof x.factory_pub);
    show(s, x.fcert, flen, x.root_pub);

    memset(&c, 0, sizeof c);
    c.role = WARD_CERT_ROLE_LOCK;
    c.id_len = 13;
    memcpy(c.id, "LOCK-000042-A", 13);
    c.issued = ISSUED;
    c.expires = ISSUED + TEN_YEARS;
    EX_OK(s, ward_cert_issue_by(s->cp, &x.factory, WARD_KEY_FACTORY, &c, x.lock_pub, x.lcert,
                                sizeof x.lcert, &llen));
    ex_begin(s, "cert-lock",
             "The factory certifies a lock for ten years; the lock presents the chain\n"
             "factory certificate || lock certificate, and a verifier holding only\n"
             "root_pub checks it offline (ward_cert_chain_verify).");
    ex_hex(s, "lock_pub", x.lock_pub, sizeof x.lock_pub);
    EX_OK(s, ward_cert_key_id(s->cp, x.factory_pub, kid));
    ex_hex(s, "factory_key_id", kid, sizeof kid);
    show(s, x.lcert, llen, x.factory_pub);
    memcpy(x.chain, x.fcert, flen);
    memcpy(x.chain + flen, x.lcert, llen);
    ward_cert leaf;
    ward_cert_why why;
    EX_OK(s, ward_cert_chain_verify(s->cp, x.root_pub, x.chain, flen + llen,
                                    WARD_CERT_ROLE_LOCK, ISSUED, NULL, &leaf, &why));

    /* Revoked: the lock's key and one other, sorted. */
    uint8_t entries[2 * WARD_CERT_KEY_ID_LEN];
    EX_OK(s, ward_cert_key_id(s->cp, x.lock_pub, entries));
    memset(entries + WARD_CERT_KEY_ID_LEN, 0xA5, WARD_CERT_KEY_ID_LEN);
    if (memcmp(entries, entries + WARD_CERT_KEY_ID_LEN, WARD_CERT_KEY_ID_LEN) > 0) {
        memcpy(kid, entries, sizeof kid);
        memcpy(entries, entries + WARD_CERT_KEY_ID_LEN, sizeof kid);
        memcpy(entries + WARD_CERT_KEY_ID_LEN, kid, sizeof kid);
    }
    EX_OK(s, ward_cert_list_sign_by(s->cp, &x.root, WARD_KEY_FACTORY, 7, ISSUED, entries, 2,
                                    x.list, sizeof x.list, &listlen));
    ex_begin(s, "cert-list",
             "The root's revocation list, sequence 7, revoking the lock's key (and\n"
             "another): format, issuer key id, sequence, issued, count, the sorted key\n"
             "ids, signature.");
    u32(s, "seq", 7);
    ex_hex(s, "entries", entries, sizeof entries);
    ex_note(s, "signature input: SHA-256(\"ward/1 sign cert list\" || 0x00 || list[0..len-64))");
    ex_sig(s, "list", x.list, listlen, false, listlen - WARD_P256_SIG_LEN, WARD_LABEL_CERT_LIST,
           x.root_pub, x.list, listlen - WARD_P256_SIG_LEN);
    ward_cert_list l;
    EX_OK(s, ward_cert_list_verify(s->cp, x.root_pub, x.list, listlen, NULL, &l));
    if (ward_cert_chain_verify(s->cp, x.root_pub, x.chain, flen + llen, WARD_CERT_ROLE_LOCK,
                               ISSUED, &l, &leaf, &why) != WARD_ERR_AUTH ||
        why != WARD_CERT_REVOKED) {
        ex_fail(s, "the listed lock was not refused as revoked");
    }
    ward_keystore_soft_wipe(&x.rsoft);
    ward_keystore_soft_wipe(&x.fsoft);
    ward_keystore_soft_wipe(&x.lsoft);
}
