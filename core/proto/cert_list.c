/* The root's signed revocation list (ward_cert.h): signing, parsing, the replay check, lookup. */
#include <string.h>

#include "ward/ward_cert.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "cert_inner.h"

/* Strictly ascending: one encoding per set, and a binary search works. */
static bool sorted(const uint8_t *entries, size_t count)
{
    for (size_t i = 1; i < count; i++) {
        if (memcmp(entries + (i - 1) * WARD_CERT_KEY_ID_LEN,
                   entries + i * WARD_CERT_KEY_ID_LEN, WARD_CERT_KEY_ID_LEN) >= 0) {
            return false;
        }
    }
    return true;
}

ward_err ward_cert_list_sign_by(const ward_crypto *cp, const ward_keystore *ks,
                                ward_key_id signer, uint32_t seq, uint32_t issued,
                                const uint8_t *entries, size_t count,
                                uint8_t *out, size_t cap, size_t *len)
{
    uint8_t pub[WARD_P256_POINT_LEN];
    WARD_ASSERT(cp != NULL && ks != NULL && out != NULL && len != NULL);
    *len = 0;
    if (count > WARD_CERT_LIST_ENTRIES_MAX || (count > 0 && entries == NULL) ||
        !sorted(entries, count)) {
        return WARD_ERR_PARAM;
    }
    size_t total = WARD_CERT_LIST_LEN(count);
    if (cap < total) {
        return WARD_ERR_NOSPACE;
    }
    ward_err err = ks->public_key(ks->ctx, signer, pub);
    if (err == WARD_OK) {
        err = ward_cert_key_id(cp, pub, out + 1);
    }
    if (err != WARD_OK) {
        return err;
    }
    out[0] = WARD_CERT_FORMAT;
    ward_store32(out + 1 + WARD_CERT_KEY_ID_LEN, seq);
    ward_store32(out + 5 + WARD_CERT_KEY_ID_LEN, issued);
    ward_store16(out + 9 + WARD_CERT_KEY_ID_LEN, (uint16_t)count);
    if (count > 0) {
        memmove(out + WARD_CERT_LIST_OFF_ENTRIES, entries, count * WARD_CERT_KEY_ID_LEN);
    }
    size_t signed_len = total - WARD_P256_SIG_LEN;
    err = ward_sign_by(cp, ks, signer, WARD_LABEL_CERT_LIST, out, signed_len, out + signed_len);
    if (err == WARD_OK) {
        *len = total;
    }
    return err;
}

ward_err ward_cert_list_parse(const uint8_t *in, size_t len, ward_cert_list *l)
{
    WARD_ASSERT(l != NULL);
    memset(l, 0, sizeof *l);
    if (in == NULL || len < WARD_CERT_LIST_FIXED_LEN || in[0] != WARD_CERT_FORMAT) {
        return WARD_ERR_FORMAT;
    }
    uint16_t count = ward_load16(in + 9 + WARD_CERT_KEY_ID_LEN);
    const uint8_t *entries = in + WARD_CERT_LIST_OFF_ENTRIES;
    if (len != WARD_CERT_LIST_LEN(count) || !sorted(entries, count)) {
        return WARD_ERR_FORMAT;
    }
    memcpy(l->issuer, in + 1, WARD_CERT_KEY_ID_LEN);
    l->seq = ward_load32(in + 1 + WARD_CERT_KEY_ID_LEN);
    l->issued = ward_load32(in + 5 + WARD_CERT_KEY_ID_LEN);
    l->count = count;
    l->entries = entries;
    return WARD_OK;
}

ward_err ward_cert_list_verify(const ward_crypto *cp, const uint8_t root[WARD_P256_POINT_LEN],
                               const uint8_t *in, size_t len, const ward_cert_list *current,
                               ward_cert_list *l)
{
    uint8_t kid[WARD_CERT_KEY_ID_LEN];
    ward_cert_list t;
    WARD_ASSERT(cp != NULL && root != NULL && l != NULL);
    memset(l, 0, sizeof *l);
    ward_err err = ward_cert_list_parse(in, len, &t);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_cert_key_id(cp, root, kid);
    if (err != WARD_OK) {
        return err;
    }
    if (memcmp(kid, t.issuer, sizeof kid) != 0) {
        return WARD_ERR_AUTH;
    }
    size_t signed_len = len - WARD_P256_SIG_LEN;
    err = ward_verify(cp, WARD_LABEL_CERT_LIST, root, in, signed_len, in + signed_len);
    if (err != WARD_OK) {
        return err == WARD_ERR_CRYPTO ? err : WARD_ERR_AUTH;
    }
    /* Only a newer list replaces the kept one: a replayed older list
     * would bring a revoked key back. */
    if (current != NULL && t.seq <= current->seq) {
        return WARD_ERR_EXPIRED;
    }
    *l = t;
    return WARD_OK;
}

bool ward_cert_list_has(const ward_cert_list *l, const uint8_t kid[WARD_CERT_KEY_ID_LEN])
{
    size_t lo = 0, hi = l->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(l->entries + mid * WARD_CERT_KEY_ID_LEN, kid, WARD_CERT_KEY_ID_LEN);
        if (c == 0) {
            return true;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return false;
}
