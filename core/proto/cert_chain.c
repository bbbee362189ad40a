/* Verifying a certificate chain, [factory ||] device, against the manufacturer's root (ward_cert.h). */
#include <string.h>

#include "ward/ward_cert.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "cert_inner.h"

static ward_err refuse(ward_cert_why *why, ward_cert_why w, ward_err err)
{
    if (why != NULL) {
        *why = w;
    }
    return err;
}

/* c's signature, by the key pub (uncompressed). */
static ward_err check_sig(const ward_crypto *cp, const ward_cert *c,
                          const uint8_t pub[WARD_P256_POINT_LEN])
{
    uint8_t tbs[WARD_CERT_MAX];
    size_t len = 0;
    ward_err err = ward_cert_encode_tbs(c, tbs, sizeof tbs, &len);
    if (err == WARD_OK) {
        err = ward_verify(cp, WARD_LABEL_CERT, pub, tbs, len, c->sig);
    }
    return err;
}

/* Splits chain into its certificates: *n of them, at most WARD_CERT_CHAIN_MAX. */
static ward_err split(const uint8_t *chain, size_t len, ward_cert c[WARD_CERT_CHAIN_MAX],
                      size_t *n, ward_cert_why *why)
{
    size_t off = 0;
    *n = 0;
    while (off < len) {
        if (*n == WARD_CERT_CHAIN_MAX) {
            return refuse(why, WARD_CERT_TOO_LONG, WARD_ERR_FORMAT);
        }
        size_t one = ward_cert_len(chain + off, len - off);
        if (one == 0 || one > len - off ||
            ward_cert_parse(chain + off, one, &c[*n]) != WARD_OK) {
            return refuse(why, WARD_CERT_MALFORMED, WARD_ERR_FORMAT);
        }
        off += one;
        (*n)++;
    }
    if (*n == 0) {
        return refuse(why, WARD_CERT_MALFORMED, WARD_ERR_FORMAT);
    }
    return WARD_OK;
}

ward_err ward_cert_chain_verify(const ward_crypto *cp, const uint8_t root[WARD_P256_POINT_LEN],
                                const uint8_t *chain, size_t len, uint8_t role,
                                uint32_t now_s, const ward_cert_list *list,
                                ward_cert *leaf, ward_cert_why *why)
{
    ward_cert c[WARD_CERT_CHAIN_MAX];
    uint8_t kid[WARD_CERT_KEY_ID_LEN];
    uint8_t point[WARD_CERT_CHAIN_MAX][WARD_P256_POINT_LEN];
    size_t n = 0;
    WARD_ASSERT(cp != NULL && root != NULL);
    if (why != NULL) {
        *why = WARD_CERT_OK;
    }
    if (leaf != NULL) {
        memset(leaf, 0, sizeof *leaf);
    }
    if (chain == NULL) {
        return refuse(why, WARD_CERT_MALFORMED, WARD_ERR_FORMAT);
    }
    ward_err err = split(chain, len, c, &n, why);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_cert_key_id(cp, root, kid);
    if (err != WARD_OK) {
        return err;
    }
    if (list != NULL && memcmp(list->issuer, kid, sizeof kid) != 0) {
        return refuse(why, WARD_CERT_WRONG_LIST, WARD_ERR_PARAM);
    }
    /* Signatures first, top down: nothing of a certificate is believed
     * (its role, its expiry) before its issuer's signature is. */
    const uint8_t *signer = root;
    for (size_t i = 0; i < n; i++) {
        if (memcmp(c[i].issuer, kid, sizeof kid) != 0) {
            return refuse(why, WARD_CERT_UNKNOWN_ISSUER, WARD_ERR_AUTH);
        }
        err = check_sig(cp, &c[i], signer);
        if (err == WARD_ERR_CRYPTO) {
            return err;
        }
        if (err != WARD_OK) {
            return refuse(why, WARD_CERT_BAD_SIGNATURE, WARD_ERR_AUTH);
        }
        if (cp->p256_decompress(c[i].pub, point[i]) != WARD_OK) {
            /* Signed, yet not a point: the issuer made a mistake. */
            return refuse(why, WARD_CERT_MALFORMED, WARD_ERR_FORMAT);
        }
        err = ward_cert_key_id(cp, point[i], kid);
        if (err != WARD_OK) {
            return err;
        }
        signer = point[i];
    }
    /* Only the root's direct certificate may be a factory that signs
     * further, and a device certificate signs nothing. */
    const ward_cert *dev = &c[n - 1];
    if ((n == 2 && (c[0].role != WARD_CERT_ROLE_FACTORY ||
                    dev->role == WARD_CERT_ROLE_FACTORY)) ||
        dev->role != role) {
        return refuse(why, WARD_CERT_ROLE, WARD_ERR_AUTH);
    }
    for (size_t i = 0; i < n; i++) {
        if (c[i].expires != WARD_CERT_NO_EXPIRY && now_s >= c[i].expires) {
            return refuse(why, WARD_CERT_EXPIRED, WARD_ERR_EXPIRED);
        }
    }
    if (list != NULL) {
        for (size_t i = 0; i < n; i++) {
            err = ward_cert_key_id(cp, point[i], kid);
            if (err != WARD_OK) {
                return err;
            }
            if (ward_cert_list_has(list, kid)) {
                return refuse(why, WARD_CERT_REVOKED, WARD_ERR_AUTH);
            }
        }
    }
    if (leaf != NULL) {
        *leaf = *dev;
        memcpy(leaf->point, point[n - 1], WARD_P256_POINT_LEN);
    }
    return WARD_OK;
}
