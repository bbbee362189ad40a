/* Shared by fuzz_peer_msg.c, fuzz_peer_id.c and gen_corpus_peer.c: a root, a lock (initiator)
 * and a gateway (responder) with fixed keys and chains under the root, and the handshake run
 * as far as each harness needs, with fixed random streams, so seeds made by the generator
 * open in the harnesses. */
#ifndef WARD_FUZZ_PEER_H
#define WARD_FUZZ_PEER_H

#include <string.h>

#include "ward/ward_cert.h"
#include "ward/ward_keystore.h"
#include "ward/ward_peer.h"
#include "ward/ward_suite.h"
#include "fuzz_common.h"

#define PEER_FUZZ_T0 1700000000u
#define PEER_FUZZ_SEED_I 11u
#define PEER_FUZZ_SEED_R 23u

typedef struct peer_fix {
    ward_keystore_soft soft[3];          /* root, lock, gateway */
    ward_keystore ks[3];
    uint8_t pub[3][WARD_P256_POINT_LEN];
    uint8_t chain[2][WARD_CERT_MAX];     /* lock's, gateway's */
    size_t chain_len[2];
    uint32_t si, sr;                     /* the random streams' states */
    ward_random ri, rr;
    ward_peer_config ci, cr;
    ward_peer ini;                       /* initiator after M1 */
    ward_peer resp;                      /* responder after M2 */
    uint8_t m1[WARD_PEER_M1_LEN], m2[WARD_PEER_MSG_MAX];
    size_t n1, n2;
} peer_fix;

static inline void peer_fix_key(const ward_crypto *cp, peer_fix *f, int i)
{
    uint8_t priv[WARD_P256_SCALAR_LEN];
    memset(priv, 0x31 + 0x11 * i, sizeof priv);
    priv[0] = 0x05;
    ward_keystore_soft_init(&f->soft[i], cp, NULL, &f->ks[i]);
    CHECK(ward_keystore_soft_load(&f->soft[i], WARD_KEY_DEVICE_IDENTITY, priv) == WARD_OK);
    CHECK(f->ks[i].public_key(f->ks[i].ctx, WARD_KEY_DEVICE_IDENTITY, f->pub[i]) == WARD_OK);
}

static inline void peer_fix_cert(const ward_crypto *cp, peer_fix *f, int i, uint8_t role,
                                 const char *id)
{
    ward_cert c;
    memset(&c, 0, sizeof c);
    c.role = role;
    c.id_len = (uint8_t)strlen(id);
    memcpy(c.id, id, c.id_len);
    c.issued = PEER_FUZZ_T0;
    CHECK(ward_cert_issue_by(cp, &f->ks[0], WARD_KEY_DEVICE_IDENTITY, &c, f->pub[i + 1],
                             f->chain[i], sizeof f->chain[i], &f->chain_len[i]) == WARD_OK);
}

/* Keys, chains, configs; the initiator has sent M1, the responder M2. */
static inline void peer_fix_make(const ward_crypto *cp, peer_fix *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < 3; i++) {
        peer_fix_key(cp, f, i);
    }
    peer_fix_cert(cp, f, 0, WARD_CERT_ROLE_LOCK, "LOCK-1");
    peer_fix_cert(cp, f, 1, WARD_CERT_ROLE_GATEWAY, "gw-1");
    f->si = PEER_FUZZ_SEED_I;
    f->sr = PEER_FUZZ_SEED_R;
    f->ri = fuzz_rng(&f->si);
    f->rr = fuzz_rng(&f->sr);
    ward_peer_config base = { .cp = cp, .root = f->pub[0], .key = WARD_KEY_DEVICE_IDENTITY,
                              .allowed = WARD_PEER_ALLOW_DEVICES, .now_s = PEER_FUZZ_T0 };
    f->ci = base;
    f->ci.rng = &f->ri;
    f->ci.ks = &f->ks[1];
    f->ci.chain = f->chain[0];
    f->ci.chain_len = f->chain_len[0];
    f->cr = base;
    f->cr.rng = &f->rr;
    f->cr.ks = &f->ks[2];
    f->cr.chain = f->chain[1];
    f->cr.chain_len = f->chain_len[1];
    CHECK(ward_peer_init(&f->ini, &f->ci) == WARD_OK);
    CHECK(ward_peer_start(&f->ini, f->m1, sizeof f->m1, &f->n1) == WARD_OK);
    CHECK(ward_peer_init(&f->resp, &f->cr) == WARD_OK);
    CHECK(ward_peer_respond(&f->resp, f->m1, f->n1, f->m2, sizeof f->m2, &f->n2) == WARD_OK);
}

/* The scalar the responder drew for Y (its stream from the start). */
static inline void peer_fix_y(const ward_crypto *cp, uint8_t y[WARD_P256_SCALAR_LEN])
{
    uint32_t s = PEER_FUZZ_SEED_R;
    ward_random r = fuzz_rng(&s);
    CHECK(ward_p256_scalar_random(cp, &r, y) == WARD_OK);
}

/* M2 carrying pt (a responder's identity, chain || signature) sealed as the responder would:
 * kind, Y, AEAD under k2 of the transcript with the fixture's M1. TH2 into th2. */
static inline size_t peer_fix_m2_of(const ward_crypto *cp, const peer_fix *f,
                                    const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                                    uint8_t th2[WARD_SHA256_LEN])
{
    uint8_t y[WARD_P256_SCALAR_LEN], ypub[WARD_P256_POINT_LEN], xpub[WARD_P256_POINT_LEN];
    uint8_t z[WARD_P256_SHARED_LEN], hk[WARD_AEAD_KEY_LEN + WARD_AEAD_NONCE_LEN];
    size_t n = 0;
    if (cap < 1 + WARD_P256_COMPRESSED_LEN + pt_len + WARD_AEAD_TAG_LEN) {
        return 0;
    }
    peer_fix_y(cp, y);
    CHECK(ward_p256_public(cp, y, ypub) == WARD_OK);
    out[0] = WARD_PEER_M2;
    ward_p256_compress(ypub, out + 1);
    CHECK(cp->p256_decompress(f->m1 + 1, xpub) == WARD_OK);
    CHECK(cp->p256_ecdh(y, xpub, z) == WARD_OK);
    ward_iov io1 = { f->m1, f->n1 };
    CHECK(cp->sha256(&io1, 1, th2) == WARD_OK);
    ward_iov io2[2] = { { th2, WARD_SHA256_LEN }, { out, 1 + WARD_P256_COMPRESSED_LEN } };
    CHECK(cp->sha256(io2, 2, th2) == WARD_OK);
    CHECK(ward_kdf(cp, WARD_LABEL_PEER_M2, z, sizeof z, NULL, 0, th2, WARD_SHA256_LEN, hk,
                   sizeof hk) == WARD_OK);
    CHECK(ward_aead_seal(cp, hk, hk + WARD_AEAD_KEY_LEN, th2, WARD_SHA256_LEN, pt, pt_len,
                         out + 1 + WARD_P256_COMPRESSED_LEN,
                         cap - 1 - WARD_P256_COMPRESSED_LEN, &n) == WARD_OK);
    return 1 + WARD_P256_COMPRESSED_LEN + n;
}

#endif /* WARD_FUZZ_PEER_H */
