/* Worked example of offline peer authentication: a lock and a gateway's handshake and a
 * first record (examples.h). */
#include "examples.h"

#include <string.h>

#include "ward/ward_cert.h"
#include "ward/ward_peer.h"
#include "ward/ward_port_mbedtls.h"

#define ISSUED ((uint32_t)(EX_T0 / 1000u))

typedef struct xp {
    ex_rng kr, ir, rr;
    ward_random krng, irng, rrng;
    ward_keystore_soft root_soft, lock_soft, gw_soft;
    ward_keystore root, lock, gw;
    uint8_t root_pub[WARD_P256_POINT_LEN], lock_pub[WARD_P256_POINT_LEN];
    uint8_t gw_pub[WARD_P256_POINT_LEN];
    uint8_t lock_chain[WARD_CERT_MAX], gw_chain[WARD_CERT_MAX];
    size_t lock_len, gw_len;
    ward_peer_config ic, rc;
    ward_peer i, r;
    uint8_t m1[WARD_PEER_M1_LEN], m2[WARD_PEER_MSG_MAX], m3[WARD_PEER_MSG_MAX];
    uint8_t rec[64], buf[WARD_PEER_MSG_MAX], tbs[WARD_SHA256_LEN + WARD_CERT_MAX];
} xp;

static void certify(ex_set *s, xp *x, uint8_t role, const char *id, const uint8_t *pub,
                    uint8_t *out, size_t *len)
{
    ward_cert c;
    memset(&c, 0, sizeof c);
    c.role = role;
    c.id_len = (uint8_t)strlen(id);
    memcpy(c.id, id, c.id_len);
    c.issued = ISSUED;
    EX_OK(s, ward_cert_issue_by(s->cp, &x->root, WARD_KEY_FACTORY, &c, pub, out, WARD_CERT_MAX,
                                len));
}

/* th = SHA-256(th || part) (th NULL: SHA-256(part)). */
static void th_next(ex_set *s, uint8_t th[WARD_SHA256_LEN], bool first, const uint8_t *part,
                    size_t len)
{
    ward_iov io[2] = { { th, first ? 0 : WARD_SHA256_LEN }, { part, len } };
    EX_OK(s, s->cp->sha256(io, 2, th));
}

/* Seals chain || sig as the document says; fails unless the code's bytes are those. */
static void same_sealed(ex_set *s, const uint8_t hk[29], const uint8_t th[WARD_SHA256_LEN],
                        const uint8_t *pt, size_t pt_len, const uint8_t *code, const char *what)
{
    uint8_t out[WARD_PEER_MSG_MAX];
    size_t n = 0;
    EX_OK(s, ward_aead_seal(s->cp, hk, hk + WARD_AEAD_KEY_LEN, th, WARD_SHA256_LEN, pt, pt_len,
                            out, sizeof out, &n));
    EX_SAME(s, out, n, code, n, what);
}

void ex_gen_peer(ex_set *s)
{
    static xp x;
    memset(&x, 0, sizeof x);
    /* Long-term keys sign with mbedTLS (RFC 6979): the signatures inside
     * M2 and M3 are encrypted, so they must be the same on every backend
     * for the ciphertexts to be; everything else uses the backend tested. */
    const ward_crypto *det = ward_crypto_mbedtls();
    x.krng = ex_rng_init(&x.kr, s->cp, "peer keys");
    x.irng = ex_rng_init(&x.ir, s->cp, "peer initiator");
    x.rrng = ex_rng_init(&x.rr, s->cp, "peer responder");
    ward_keystore_soft_init(&x.root_soft, det, &x.krng, &x.root);
    ward_keystore_soft_init(&x.lock_soft, det, &x.krng, &x.lock);
    ward_keystore_soft_init(&x.gw_soft, det, &x.krng, &x.gw);
    EX_OK(s, x.root.generate(x.root.ctx, WARD_KEY_FACTORY, x.root_pub));
    EX_OK(s, x.lock.generate(x.lock.ctx, WARD_KEY_DEVICE_IDENTITY, x.lock_pub));
    EX_OK(s, x.gw.generate(x.gw.ctx, WARD_KEY_DEVICE_IDENTITY, x.gw_pub));
    certify(s, &x, WARD_CERT_ROLE_LOCK, "LOCK-0001", x.lock_pub, x.lock_chain, &x.lock_len);
    certify(s, &x, WARD_CERT_ROLE_GATEWAY, "gw-0001", x.gw_pub, x.gw_chain, &x.gw_len);

    ward_peer_config base = { .cp = s->cp, .root = x.root_pub, .key = WARD_KEY_DEVICE_IDENTITY,
                              .allowed = WARD_PEER_ALLOW_DEVICES, .now_s = ISSUED + 60 };
    x.ic = base;
    x.ic.rng = &x.irng;
    x.ic.ks = &x.lock;
    x.ic.chain = x.lock_chain;
    x.ic.chain_len = x.lock_len;
    x.rc = base;
    x.rc.rng = &x.rrng;
    x.rc.ks = &x.gw;
    x.rc.chain = x.gw_chain;
    x.rc.chain_len = x.gw_len;
    EX_OK(s, ward_peer_init(&x.i, &x.ic));
    EX_OK(s, ward_peer_init(&x.r, &x.rc));

    size_t n1 = 0, n2 = 0, n3 = 0, nr = 0;
    uint8_t xs[WARD_P256_SCALAR_LEN], ys[WARD_P256_SCALAR_LEN];
    ex_rng_mark(&x.ir);
    EX_OK(s, ward_peer_start(&x.i, x.m1, sizeof x.m1, &n1));
    memcpy(xs, x.ir.log, sizeof xs);
    ex_rng_mark(&x.rr);
    EX_OK(s, ward_peer_respond(&x.r, x.m1, n1, x.m2, sizeof x.m2, &n2));
    memcpy(ys, x.rr.log, sizeof ys);
    EX_OK(s, ward_peer_finish(&x.i, x.m2, n2, x.m3, sizeof x.m3, &n3));
    EX_OK(s, ward_peer_accept(&x.r, x.m3, n3));
    EX_OK(s, ward_peer_seal(&x.i, (const uint8_t *)"ping", 4, x.rec, sizeof x.rec, &nr));

    /* The documented construction, step by step, against the code's bytes. */
    uint8_t pub[WARD_P256_POINT_LEN], xc[WARD_P256_COMPRESSED_LEN], yc[WARD_P256_COMPRESSED_LEN];
    uint8_t ypub[WARD_P256_POINT_LEN], z[WARD_P256_SHARED_LEN];
    uint8_t th[WARD_SHA256_LEN], th2[WARD_SHA256_LEN], th3[WARD_SHA256_LEN];
    uint8_t k2[29], k3[29], ks[58];
    EX_OK(s, ward_p256_public(s->cp, xs, pub));
    ward_p256_compress(pub, xc);
    EX_SAME(s, xc, sizeof xc, x.m1 + 1, sizeof xc, "X (M1)");
    EX_OK(s, ward_p256_public(s->cp, ys, ypub));
    ward_p256_compress(ypub, yc);
    EX_SAME(s, yc, sizeof yc, x.m2 + 1, sizeof yc, "Y (M2)");
    EX_OK(s, s->cp->p256_ecdh(xs, ypub, z));
    th_next(s, th, true, x.m1, n1);
    th_next(s, th, false, x.m2, 1 + WARD_P256_COMPRESSED_LEN);
    memcpy(th2, th, sizeof th);
    th_next(s, th, false, x.m2 + 34, n2 - 34);
    memcpy(th3, th, sizeof th);

    ex_begin(s, "peer",
             "### Offline peer authentication\n"
             "\n"
             "A lock (the initiator, `LOCK-0001`) and a gateway (the responder,\n"
             "`gw-0001`), each certified directly by the root (a one-certificate\n"
             "chain), authenticate each other and the lock sends `ping` over the\n"
             "channel. `x` and `y` are the ephemeral private keys each side drew.");
    ex_hex(s, "root_pub", x.root_pub, sizeof x.root_pub);
    ex_hex(s, "lock_pub", x.lock_pub, sizeof x.lock_pub);
    ex_hex(s, "lock_chain", x.lock_chain, x.lock_len);
    ex_hex(s, "gw_pub", x.gw_pub, sizeof x.gw_pub);
    ex_hex(s, "gw_chain", x.gw_chain, x.gw_len);
    ex_note(s, "M1 = 0x61 || X (compressed), X = x * G");
    ex_hex(s, "x", xs, sizeof xs);
    ex_hex(s, "m1", x.m1, n1);
    ex_note(s, "the responder: Y = y * G, z = x-coordinate of y * X");
    ex_hex(s, "y", ys, sizeof ys);
    ex_hex(s, "z", z, sizeof z);
    ex_note(s, "TH2 = SHA-256(SHA-256(M1) || 0x62 || Y)");
    ex_hex(s, "th2", th2, sizeof th2);
    ex_kdf(s, "k2", WARD_LABEL_PEER_M2, z, sizeof z, th2, sizeof th2, k2, sizeof k2);
    ex_note(s, "sig_r = ward_sign(\"peer resp\", TH2 || gw_chain) by the gateway's key");
    memcpy(x.tbs, th2, sizeof th2);
    memcpy(x.tbs + sizeof th2, x.gw_chain, x.gw_len);
    memcpy(x.buf, x.gw_chain, x.gw_len);
    EX_OK(s, ward_sign_by(det, &x.gw, WARD_KEY_DEVICE_IDENTITY, WARD_LABEL_PEER_RESP, x.tbs,
                          sizeof th2 + x.gw_len, x.buf + x.gw_len));
    ex_sig(s, "sig_r", ex_keep(s, x.buf + x.gw_len, WARD_P256_SIG_LEN), WARD_P256_SIG_LEN,
           false, 0, WARD_LABEL_PEER_RESP, x.gw_pub, ex_keep(s, x.tbs, sizeof th2 + x.gw_len),
           sizeof th2 + x.gw_len);
    same_sealed(s, k2, th2, x.buf, x.gw_len + WARD_P256_SIG_LEN, x.m2 + 34, "M2's sealed part");
    ex_note(s, "M2 = 0x62 || Y || AES-128-CCM(k2 key, k2 nonce, ad = TH2,");
    ex_note(s, "     gw_chain || sig_r) || tag");
    ex_hex(s, "m2", x.m2, n2);
    ex_note(s, "TH3 = SHA-256(TH2 || M2 after Y)");
    ex_hex(s, "th3", th3, sizeof th3);
    ex_kdf(s, "k3", WARD_LABEL_PEER_M3, z, sizeof z, th3, sizeof th3, k3, sizeof k3);
    memcpy(x.tbs, th3, sizeof th3);
    memcpy(x.tbs + sizeof th3, x.lock_chain, x.lock_len);
    memcpy(x.buf, x.lock_chain, x.lock_len);
    EX_OK(s, ward_sign_by(det, &x.lock, WARD_KEY_DEVICE_IDENTITY, WARD_LABEL_PEER_INIT, x.tbs,
                          sizeof th3 + x.lock_len, x.buf + x.lock_len));
    ex_note(s, "sig_i = ward_sign(\"peer init\", TH3 || lock_chain) by the lock's key");
    ex_sig(s, "sig_i", ex_keep(s, x.buf + x.lock_len, WARD_P256_SIG_LEN), WARD_P256_SIG_LEN,
           false, 0, WARD_LABEL_PEER_INIT, x.lock_pub,
           ex_keep(s, x.tbs, sizeof th3 + x.lock_len), sizeof th3 + x.lock_len);
    same_sealed(s, k3, th3, x.buf, x.lock_len + WARD_P256_SIG_LEN, x.m3 + 1, "M3's sealed part");
    ex_note(s, "M3 = 0x63 || AES-128-CCM(k3 key, k3 nonce, ad = TH3, lock_chain || sig_i) || tag");
    ex_hex(s, "m3", x.m3, n3);
    th_next(s, th, false, x.m3 + 1, n3 - 1);
    ex_note(s, "TH4 = SHA-256(TH3 || M3 after its first byte); the channel's keys:");
    ex_note(s, "initiator->responder key, nonce, then responder->initiator key, nonce");
    ex_hex(s, "th4", th, sizeof th);
    ex_kdf(s, "session", WARD_LABEL_PEER_SESSION, z, sizeof z, th, sizeof th, ks, sizeof ks);
    uint8_t head[5] = { WARD_PEER_RECORD, 0, 0, 0, 0 };
    uint8_t out[64];
    size_t on = 0;
    EX_OK(s, ward_aead_seal(s->cp, ks, ks + WARD_AEAD_KEY_LEN, head, sizeof head,
                            (const uint8_t *)"ping", 4, out, sizeof out, &on));
    EX_SAME(s, out, on, x.rec + 5, nr - 5, "the first record");
    ex_note(s, "record 0 = 0x64 || seq (4 bytes, 0) || AES-128-CCM(key, nonce with its last");
    ex_note(s, "4 bytes XOR seq, ad = 0x64 || seq, \"ping\") || tag");
    ex_hex(s, "record", x.rec, nr);
    ward_wipe(xs, sizeof xs);
    ward_wipe(ys, sizeof ys);
    ward_peer_wipe(&x.i);
    ward_peer_wipe(&x.r);
    ward_keystore_soft_wipe(&x.root_soft);
    ward_keystore_soft_wipe(&x.lock_soft);
    ward_keystore_soft_wipe(&x.gw_soft);
}
