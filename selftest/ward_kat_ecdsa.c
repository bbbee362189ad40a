/* Known answers for ECDSA P-256 with SHA-256 (RFC 6979 A.2.5): the key
 * pair, the published signature, refusal of flipped bits, and signing. */
#include <string.h>

#include "ward_kat_inner.h"

/* The port signs with its own nonce: mbedTLS derives it as RFC 6979 does,
 * so its signature must be the published one; any other backend signs at
 * random and its signature need only verify. */
static bool signs_deterministically(const ward_crypto *cp)
{
    return cp->name != NULL && strncmp(cp->name, "mbedtls", 7) == 0;
}

static ward_err verify_refuses(const ward_crypto *cp, const uint8_t *pub,
                               const uint8_t *digest, const uint8_t *sig)
{
    ward_err err = cp->ecdsa_p256_verify(pub, digest, sig);
    return err == WARD_ERR_AUTH ? WARD_OK : WARD_ERR_AUTH;
}

ward_err ward_kat_ecdsa_p256(const ward_crypto *cp, const ward_kat_case *c)
{
    const uint8_t *x, *ux, *uy, *r, *s;
    uint8_t pub[WARD_P256_POINT_LEN], got_pub[WARD_P256_POINT_LEN];
    uint8_t digest[WARD_SHA256_LEN], sig[WARD_P256_SIG_LEN];
    uint8_t bad[WARD_P256_SIG_LEN], bad_digest[WARD_SHA256_LEN];
    uint8_t mine[WARD_P256_SIG_LEN];
    const uint8_t *msg;
    size_t msg_len;
    ward_err err = ward_kat_fixed(c, "x", &x, WARD_P256_SCALAR_LEN);

    if (err == WARD_OK) {
        err = ward_kat_fixed(c, "ux", &ux, 32);
    }
    if (err == WARD_OK) {
        err = ward_kat_fixed(c, "uy", &uy, 32);
    }
    if (err == WARD_OK) {
        err = ward_kat_fixed(c, "r", &r, 32);
    }
    if (err == WARD_OK) {
        err = ward_kat_fixed(c, "s", &s, 32);
    }
    if (err == WARD_OK) {
        err = ward_kat_bytes(c, "msg", NULL, 0, &msg, &msg_len);
    }
    if (err != WARD_OK) {
        return err;
    }
    pub[0] = 0x04;
    memcpy(pub + 1, ux, 32);
    memcpy(pub + 33, uy, 32);
    memcpy(sig, r, 32);
    memcpy(sig + 32, s, 32);

    /* The published key pair: U = x*G, and U is on the curve. */
    err = cp->p256_point_check(pub);
    if (err == WARD_OK) {
        err = cp->p256_muladd(x, NULL, NULL, NULL, got_pub);
    }
    if (err == WARD_OK) {
        err = ward_kat_expect(got_pub, pub, sizeof(pub));
    }

    ward_iov part = { msg, msg_len };
    if (err == WARD_OK) {
        err = cp->sha256(&part, 1, digest);
    }
    /* The published signature verifies... */
    if (err == WARD_OK) {
        err = cp->ecdsa_p256_verify(pub, digest, sig);
        if (err != WARD_OK) {
            err = WARD_ERR_AUTH;
        }
    }
    /* ...and no longer does with one bit flipped in r, in s, or in the
     * digest, nor with r and s swapped. */
    if (err == WARD_OK) {
        memcpy(bad, sig, sizeof(bad));
        bad[31] ^= 0x01;
        err = verify_refuses(cp, pub, digest, bad);
    }
    if (err == WARD_OK) {
        memcpy(bad, sig, sizeof(bad));
        bad[40] ^= 0x10;
        err = verify_refuses(cp, pub, digest, bad);
    }
    if (err == WARD_OK) {
        memcpy(bad_digest, digest, sizeof(bad_digest));
        bad_digest[0] ^= 0x80;
        err = verify_refuses(cp, pub, bad_digest, sig);
    }
    if (err == WARD_OK) {
        memcpy(bad, s, 32);
        memcpy(bad + 32, r, 32);
        err = verify_refuses(cp, pub, digest, bad);
    }

    /* Signing: exactly the published (r, s) where the nonce is RFC 6979's,
     * and always a signature that verifies. */
    if (err == WARD_OK) {
        memset(mine, 0, sizeof(mine));
        err = cp->ecdsa_p256_sign(x, digest, mine);
    }
    if (err == WARD_OK && signs_deterministically(cp)) {
        err = ward_kat_expect(mine, sig, sizeof(mine));
    }
    if (err == WARD_OK) {
        err = cp->ecdsa_p256_verify(pub, digest, mine);
        if (err != WARD_OK) {
            err = WARD_ERR_AUTH;
        }
    }
    return err;
}
