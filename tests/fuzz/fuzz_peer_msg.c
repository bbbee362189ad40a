/* libFuzzer harness for the peer handshake's messages (ward_peer.h): the first byte picks the
 * receiver: 0 the responder takes M1, 1 the initiator takes M2, 2 the responder takes M3,
 * 3 an established channel opens a record. Whatever comes, the answer is one of the documented
 * errors, nothing is established on a refusal, and a refused context stays refused. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_port_openssl.h"
#include "fuzz_peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static peer_fix fx;
static ward_peer up_i, up_r;      /* an established pair */
static int ready;

static bool documented(ward_err e)
{
    return e == WARD_OK || e == WARD_ERR_FORMAT || e == WARD_ERR_AUTH || e == WARD_ERR_EXPIRED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ward_crypto *cp = ward_crypto_openssl();
    if (!ready) {
        peer_fix_make(cp, &fx);
        uint8_t m3[WARD_PEER_MSG_MAX];
        size_t n3 = 0;
        up_i = fx.ini;
        up_r = fx.resp;
        CHECK(ward_peer_finish(&up_i, fx.m2, fx.n2, m3, sizeof m3, &n3) == WARD_OK);
        CHECK(ward_peer_accept(&up_r, m3, n3) == WARD_OK);
        ready = 1;
    }
    if (size < 1) {
        return 0;
    }
    const uint8_t *m = data + 1;
    size_t n = size - 1;
    static uint8_t out[WARD_PEER_MSG_MAX];
    size_t len = 0;
    ward_err err;
    static ward_peer p;
    switch (data[0] & 3) {
    case 0: {
        uint32_t s = PEER_FUZZ_SEED_R;
        ward_random r = fuzz_rng(&s);
        ward_peer_config c = fx.cr;
        c.rng = &r;
        CHECK(ward_peer_init(&p, &c) == WARD_OK);
        err = ward_peer_respond(&p, m, n, out, sizeof out, &len);
        CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
        CHECK((err == WARD_OK) == (len == WARD_PEER_M2_LEN(fx.chain_len[1])));
        if (err == WARD_OK) {
            CHECK(n == WARD_PEER_M1_LEN && m[0] == WARD_PEER_M1);
        }
        break;
    }
    case 1:
        p = fx.ini;
        err = ward_peer_finish(&p, m, n, out, sizeof out, &len);
        CHECK(documented(err));
        CHECK(ward_peer_established(&p) == (err == WARD_OK));
        if (err == WARD_OK) {
            ward_cert c;
            CHECK(ward_peer_peer_cert(&p, &c) == WARD_OK && c.role == WARD_CERT_ROLE_GATEWAY);
        } else {
            CHECK(ward_peer_seal(&p, (const uint8_t *)"x", 1, out, sizeof out, &len) ==
                  WARD_ERR_STATE);
        }
        break;
    case 2:
        p = fx.resp;
        err = ward_peer_accept(&p, m, n);
        CHECK(documented(err));
        CHECK(ward_peer_established(&p) == (err == WARD_OK));
        if (err != WARD_OK) {
            CHECK(ward_peer_accept(&p, m, n) == WARD_ERR_STATE);
        }
        break;
    default:
        p = up_r;
        err = ward_peer_open(&p, m, n, out, sizeof out, &len);
        CHECK(err == WARD_OK || err == WARD_ERR_FORMAT || err == WARD_ERR_AUTH ||
              err == WARD_ERR_CONFLICT || err == WARD_ERR_NOSPACE);
        if (err == WARD_OK) {
            CHECK(len + WARD_PEER_RECORD_OVERHEAD == n);
            /* the same record twice: refused */
            CHECK(ward_peer_open(&p, m, n, out, sizeof out, &len) == WARD_ERR_CONFLICT);
        }
        break;
    }
    ward_peer_wipe(&p);
    return 0;
}
