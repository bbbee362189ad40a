/* libFuzzer harness for the identity inside M2 (ward_peer.h): the input is the plaintext a
 * responder seals (chain || signature); the harness seals it as the responder would, so the
 * initiator's checks behind the AEAD (role, chain, expiry, signature over the transcript) see
 * arbitrary bytes. Only the fixture's genuine gateway, or another valid chain under the root
 * with a signature by its key over this transcript, may be accepted. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "fuzz_peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static peer_fix fx;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    if (!ready) {
        peer_fix_make(cp, &fx);
        ready = 1;
    }
    static uint8_t m2[WARD_PEER_MSG_MAX + 64], m3[WARD_PEER_MSG_MAX];
    uint8_t th2[WARD_SHA256_LEN];
    size_t n2 = peer_fix_m2_of(cp, &fx, data, size, m2, sizeof m2, th2);
    if (n2 == 0) {
        return 0;
    }
    static ward_peer p;
    size_t n3 = 0;
    p = fx.ini;
    ward_err err = ward_peer_finish(&p, m2, n2, m3, sizeof m3, &n3);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT || err == WARD_ERR_AUTH ||
          err == WARD_ERR_EXPIRED);
    if (err == WARD_OK) {
        ward_cert c;
        CHECK(ward_peer_peer_cert(&p, &c) == WARD_OK);
        CHECK(c.role != WARD_CERT_ROLE_FACTORY && c.role != 0);
        CHECK(size > WARD_P256_SIG_LEN);
        /* the signature verified over this transcript and the chain sent */
        static uint8_t tbs[WARD_SHA256_LEN + WARD_CERT_CHAIN_MAX_LEN];
        size_t chain_len = size - WARD_P256_SIG_LEN;
        CHECK(chain_len <= WARD_CERT_CHAIN_MAX_LEN);
        memcpy(tbs, th2, sizeof th2);
        memcpy(tbs + sizeof th2, data, chain_len);
        CHECK(ward_verify(cp, WARD_LABEL_PEER_RESP, c.point, tbs, sizeof th2 + chain_len,
                          data + chain_len) == WARD_OK);
    } else {
        CHECK(!ward_peer_established(&p));
    }
    ward_peer_wipe(&p);
    return 0;
}
