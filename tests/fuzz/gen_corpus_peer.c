/* Writes the seed corpora of fuzz_peer_msg and fuzz_peer_id into tests/fuzz/corpus/peer_msg and
 * corpus/peer_id from fuzz_peer.h's fixture: a genuine M1, M2, M3 and record, a genuine
 * identity (chain || signature over the harness's transcript), and broken ones. Built with the
 * fuzz targets (not instrumented); run after a change of the handshake:
 *
 *     build-fuzz/tests/fuzz/gen_corpus_peer tests/fuzz/corpus
 *
 * ECDSA signatures differ from run to run. */
#include <stdio.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "fuzz_peer.h"

static int put(const char *dir, const char *sub, const char *name, uint8_t sel,
               const uint8_t *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && (sel == 0xFF || fputc(sel, f) != EOF) &&
             fwrite(data, 1, len, f) == len;
    if (f == NULL || fclose(f) != 0 || !ok) {
        fprintf(stderr, "gen_corpus_peer: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_corpus_peer CORPUS_DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    const ward_crypto *cp = ward_crypto_openssl();
    static peer_fix f;
    peer_fix_make(cp, &f);
    static ward_peer i, r;
    uint8_t m3[WARD_PEER_MSG_MAX], rec[64], id[WARD_CERT_MAX + WARD_P256_SIG_LEN];
    uint8_t tbs[WARD_SHA256_LEN + WARD_CERT_MAX], th2[WARD_SHA256_LEN], m2[WARD_PEER_MSG_MAX];
    size_t n3 = 0, nr = 0;
    i = f.ini;
    r = f.resp;
    CHECK(ward_peer_finish(&i, f.m2, f.n2, m3, sizeof m3, &n3) == WARD_OK);
    CHECK(ward_peer_accept(&r, m3, n3) == WARD_OK);
    CHECK(ward_peer_seal(&i, (const uint8_t *)"ping", 4, rec, sizeof rec, &nr) == WARD_OK);
    int bad = put(dir, "peer_msg", "m1", 0, f.m1, f.n1) |
              put(dir, "peer_msg", "m1_cut", 0, f.m1, f.n1 - 1) |
              put(dir, "peer_msg", "m2", 1, f.m2, f.n2) |
              put(dir, "peer_msg", "m2_head", 1, f.m2, 34) |
              put(dir, "peer_msg", "m3", 2, m3, n3) |
              put(dir, "peer_msg", "record", 3, rec, nr) |
              put(dir, "peer_msg", "record_cut", 3, rec, 5);
    /* The identity the harness's transcript wants signed: its TH2 comes from the fixture. */
    size_t cl = f.chain_len[1];
    (void)peer_fix_m2_of(cp, &f, (const uint8_t *)"x", 1, m2, sizeof m2, th2);
    memcpy(tbs, th2, sizeof th2);
    memcpy(tbs + sizeof th2, f.chain[1], cl);
    memcpy(id, f.chain[1], cl);
    CHECK(ward_sign_by(cp, &f.ks[2], WARD_KEY_DEVICE_IDENTITY, WARD_LABEL_PEER_RESP, tbs,
                       sizeof th2 + cl, id + cl) == WARD_OK);
    /* the seed reaches the harness's accepting path: the initiator takes it */
    {
        static ward_peer p;
        static uint8_t sealed[WARD_PEER_MSG_MAX + 64], out[WARD_PEER_MSG_MAX];
        size_t n = peer_fix_m2_of(cp, &f, id, cl + WARD_P256_SIG_LEN, sealed, sizeof sealed,
                                  th2), on = 0;
        p = f.ini;
        CHECK(n > 0 && ward_peer_finish(&p, sealed, n, out, sizeof out, &on) == WARD_OK);
        ward_peer_wipe(&p);
    }
    bad |= put(dir, "peer_id", "gateway", 0xFF, id, cl + WARD_P256_SIG_LEN) |
           put(dir, "peer_id", "chain_only", 0xFF, id, cl);
    /* the lock's chain signed by the lock: a valid identity of another role */
    size_t ll = f.chain_len[0];
    memcpy(tbs + sizeof th2, f.chain[0], ll);
    memcpy(id, f.chain[0], ll);
    CHECK(ward_sign_by(cp, &f.ks[1], WARD_KEY_DEVICE_IDENTITY, WARD_LABEL_PEER_RESP, tbs,
                       sizeof th2 + ll, id + ll) == WARD_OK);
    bad |= put(dir, "peer_id", "lock", 0xFF, id, ll + WARD_P256_SIG_LEN);
    ward_peer_wipe(&i);
    ward_peer_wipe(&r);
    return bad;
}
