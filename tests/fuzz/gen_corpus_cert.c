/* Writes the seed corpora of fuzz_cert and fuzz_cert_list into
 * tests/fuzz/corpus/cert/ and cert_list/: real certificates, chains and
 * lists made with fuzz_cert.h's fixed keys. Built with the fuzz targets
 * (not instrumented); run after a change of the formats:
 *
 *     build-fuzz/tests/fuzz/gen_corpus_cert tests/fuzz/corpus
 *
 * ECDSA signatures differ from run to run. */
#include <stdio.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "gen_corpus.h"
#include "fuzz_cert.h"
#include "fuzz_common.h"

static fc_keys keys;

static int put(const char *dir, const char *sub, const char *name, const uint8_t *data,
               size_t len)
{
    return gc_put("gen_corpus_cert", dir, sub, name, data, len);
}

/* Appends a certificate of subject by signer to out[*n..]. */
static int issue(const ward_crypto *cp, int signer, uint8_t role, const char *id, int subject,
                 uint32_t expires, uint8_t *out, size_t cap, size_t *n)
{
    ward_keystore_soft soft;
    ward_keystore ks;
    ward_cert c;
    size_t len = 0;
    memset(&c, 0, sizeof c);
    c.role = role;
    c.id_len = (uint8_t)strlen(id);
    memcpy(c.id, id, c.id_len);
    c.issued = FC_NOW - 1000u;
    c.expires = expires;
    fuzz_soft_key(cp, NULL, &soft, &ks, WARD_KEY_FACTORY, keys.priv[signer], NULL);
    ward_err err = ward_cert_issue_by(cp, &ks, WARD_KEY_FACTORY, &c, keys.pub[subject],
                                      out + *n, cap - *n, &len);
    ward_keystore_soft_wipe(&soft);
    *n += len;
    return err == WARD_OK ? 0 : 1;
}

static int list(const ward_crypto *cp, const char *dir, const char *name, int signer,
                uint32_t seq, const int *revoked, size_t count)
{
    uint8_t e[FC_NKEYS * WARD_CERT_KEY_ID_LEN], out[WARD_CERT_LIST_LEN(FC_NKEYS)];
    size_t len = 0;
    for (size_t i = 0; i < count; i++) {
        if (ward_cert_key_id(cp, keys.pub[revoked[i]], e + i * WARD_CERT_KEY_ID_LEN) != WARD_OK) {
            return 1;
        }
    }
    for (size_t i = 1; i < count; i++) {
        for (size_t j = i; j > 0 && memcmp(e + 8 * (j - 1), e + 8 * j, 8) > 0; j--) {
            uint8_t t[8];
            memcpy(t, e + 8 * j, 8);
            memcpy(e + 8 * j, e + 8 * (j - 1), 8);
            memcpy(e + 8 * (j - 1), t, 8);
        }
    }
    ward_keystore_soft soft;
    ward_keystore ks;
    fuzz_soft_key(cp, NULL, &soft, &ks, WARD_KEY_FACTORY, keys.priv[signer], NULL);
    ward_err err = ward_cert_list_sign_by(cp, &ks, WARD_KEY_FACTORY, seq, FC_NOW, e, count,
                                          out, sizeof out, &len);
    ward_keystore_soft_wipe(&soft);
    return err != WARD_OK || put(dir, "cert_list", name, out, len);
}

int main(int argc, char **argv)
{
    const char *dir = gc_corpus_dir(argc, argv, "gen_corpus_cert");
    if (dir == NULL) {
        return 2;
    }
    const ward_crypto *cp = ward_crypto_openssl();
    uint8_t b[3 * WARD_CERT_MAX];
    size_t n = 0;
    int bad = fc_keys_make(cp, &keys) != 0;

    bad |= issue(cp, FC_ROOT, WARD_CERT_ROLE_LOCK, "lock-1", FC_DEVICE, 0, b, sizeof b, &n);
    bad |= put(dir, "cert", "direct_lock", b, n);
    n = 0;
    bad |= issue(cp, FC_ROOT, WARD_CERT_ROLE_FACTORY, "factory-1", FC_FACTORY, 0, b, sizeof b, &n);
    bad |= put(dir, "cert", "factory", b, n);
    bad |= issue(cp, FC_FACTORY, WARD_CERT_ROLE_GATEWAY, "0123456789abcdef0123456789abcdef",
                 FC_DEVICE, FC_NOW + 86400u, b, sizeof b, &n);
    bad |= put(dir, "cert", "chain_gateway", b, n);
    n = 0;
    bad |= issue(cp, FC_ROOT, WARD_CERT_ROLE_FACTORY, "f", FC_FACTORY, FC_NOW + 10u, b, sizeof b,
                 &n);
    bad |= issue(cp, FC_FACTORY, WARD_CERT_ROLE_SUBDEVICE, "sub.1", FC_OTHER, 0, b, sizeof b, &n);
    bad |= put(dir, "cert", "chain_revoked", b, n);
    bad |= issue(cp, FC_OTHER, WARD_CERT_ROLE_SE_HOST, "se_host", FC_DEVICE, 0, b, sizeof b, &n);
    bad |= put(dir, "cert", "chain_three", b, n);
    n = 0;
    bad |= issue(cp, FC_OTHER, WARD_CERT_ROLE_DEVICE, "dev-9", FC_DEVICE, FC_NOW - 1u, b,
                 sizeof b, &n);
    bad |= put(dir, "cert", "other_root_expired", b, n);

    const int one[] = { FC_DEVICE };
    const int all[] = { FC_FACTORY, FC_DEVICE, FC_OTHER };
    bad |= list(cp, dir, "empty_seq6", FC_ROOT, 6, NULL, 0);
    bad |= list(cp, dir, "one_seq9", FC_ROOT, 9, one, 1);
    bad |= list(cp, dir, "three_seq7", FC_ROOT, 7, all, 3);
    bad |= list(cp, dir, "old_seq2", FC_ROOT, 2, all, 3);
    bad |= list(cp, dir, "other_signer", FC_OTHER, 8, one, 1);
    return bad ? 1 : 0;
}
