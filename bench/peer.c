/* Offline peer authentication (issue 18, item 4): round trips, bytes per message against
 * EDHOC's, and CPU per side per handshake on each crypto backend (core only, no transport). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ward/ward_cert.h"
#include "ward/ward_peer.h"
#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_posix.h"

#define T0 1700000000u
/* EDHOC (RFC 9528), method 3 (static DH both sides), credentials by reference. */
#define EDHOC_M1 37
#define EDHOC_M2 45
#define EDHOC_M3 19

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

typedef struct side {
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t chain[WARD_CERT_CHAIN_MAX_LEN];
    size_t chain_len;
    ward_peer_config cfg;
    ward_peer p;
} side;

static ward_err issue(const ward_crypto *cp, const ward_keystore *by, uint8_t role,
                      const char *id, const uint8_t *pub, uint8_t *out, size_t cap, size_t *len)
{
    ward_cert c;
    memset(&c, 0, sizeof c);
    c.role = role;
    c.id_len = (uint8_t)strlen(id);
    memcpy(c.id, id, c.id_len);
    c.issued = T0;
    return ward_cert_issue_by(cp, by, WARD_KEY_FACTORY, &c, pub, out, cap, len);
}

/* A side certified by the factory (two = with the factory's certificate first). */
static ward_err make_side(const ward_crypto *cp, const ward_random *rng, side *s,
                          const ward_keystore *root, const uint8_t *root_pub,
                          const ward_keystore *fac, const uint8_t *fcert, size_t fcert_len,
                          uint8_t role, const char *id, int two)
{
    size_t n = 0;
    memset(s, 0, sizeof *s);
    ward_keystore_soft_init(&s->soft, cp, rng, &s->ks);
    ward_err err = s->ks.generate(s->ks.ctx, WARD_KEY_DEVICE_IDENTITY, s->pub);
    if (err == WARD_OK && two) {
        memcpy(s->chain, fcert, fcert_len);
        err = issue(cp, fac, role, id, s->pub, s->chain + fcert_len,
                    sizeof s->chain - fcert_len, &n);
        s->chain_len = fcert_len + n;
    } else if (err == WARD_OK) {
        err = issue(cp, root, role, id, s->pub, s->chain, sizeof s->chain, &n);
        s->chain_len = n;
    }
    s->cfg = (ward_peer_config){ .cp = cp, .rng = rng, .ks = &s->ks,
                                 .key = WARD_KEY_DEVICE_IDENTITY, .chain = s->chain,
                                 .chain_len = s->chain_len, .root = root_pub,
                                 .allowed = WARD_PEER_ALLOW_DEVICES, .now_s = T0 };
    return err;
}

static int run(const ward_crypto *cp, int rounds)
{
    ward_random rng = ward_random_posix();
    static ward_keystore_soft rsoft, fsoft;
    ward_keystore root, fac;
    uint8_t root_pub[WARD_P256_POINT_LEN], fac_pub[WARD_P256_POINT_LEN];
    uint8_t fcert[WARD_CERT_MAX];
    size_t fcert_len = 0;
    static side a, b;
    ward_keystore_soft_init(&rsoft, cp, &rng, &root);
    ward_keystore_soft_init(&fsoft, cp, &rng, &fac);
    if (root.generate(root.ctx, WARD_KEY_FACTORY, root_pub) != WARD_OK ||
        fac.generate(fac.ctx, WARD_KEY_FACTORY, fac_pub) != WARD_OK ||
        issue(cp, &root, WARD_CERT_ROLE_FACTORY, "factory-1", fac_pub, fcert, sizeof fcert,
              &fcert_len) != WARD_OK) {
        return 1;
    }
    for (int two = 0; two < 2; two++) {
        if (make_side(cp, &rng, &a, &root, root_pub, &fac, fcert, fcert_len,
                      WARD_CERT_ROLE_LOCK, "LOCK-0001", two) != WARD_OK ||
            make_side(cp, &rng, &b, &root, root_pub, &fac, fcert, fcert_len,
                      WARD_CERT_ROLE_GATEWAY, "gw-0001", two) != WARD_OK) {
            return 1;
        }
        uint8_t m1[WARD_PEER_M1_LEN], m2[WARD_PEER_MSG_MAX], m3[WARD_PEER_MSG_MAX];
        size_t n1 = 0, n2 = 0, n3 = 0;
        double ti = 0, tr = 0;
        for (int i = 0; i < rounds; i++) {
            double t0 = cpu_us();
            ward_err err = ward_peer_init(&a.p, &a.cfg);
            if (err == WARD_OK) {
                err = ward_peer_start(&a.p, m1, sizeof m1, &n1);
            }
            double t1 = cpu_us();
            if (err == WARD_OK) {
                err = ward_peer_init(&b.p, &b.cfg);
            }
            if (err == WARD_OK) {
                err = ward_peer_respond(&b.p, m1, n1, m2, sizeof m2, &n2);
            }
            double t2 = cpu_us();
            if (err == WARD_OK) {
                err = ward_peer_finish(&a.p, m2, n2, m3, sizeof m3, &n3);
            }
            double t3 = cpu_us();
            if (err == WARD_OK) {
                err = ward_peer_accept(&b.p, m3, n3);
            }
            double t4 = cpu_us();
            if (err != WARD_OK) {
                fprintf(stderr, "bench_peer: handshake failed: %s\n", ward_strerror(err));
                return 1;
            }
            ti += (t1 - t0) + (t3 - t2);
            tr += (t2 - t1) + (t4 - t3);
        }
        printf("  %-8s chain of %d (%3zu B): 3 messages, 1.5 round trips; M1 %zu, M2 %zu, "
               "M3 %zu B (total %zu); CPU initiator %.0f us, responder %.0f us\n",
               cp->name, two + 1, a.chain_len, n1, n2, n3, n1 + n2 + n3, ti / rounds,
               tr / rounds);
        ward_peer_wipe(&a.p);
        ward_peer_wipe(&b.p);
        ward_keystore_soft_wipe(&a.soft);
        ward_keystore_soft_wipe(&b.soft);
    }
    ward_keystore_soft_wipe(&rsoft);
    ward_keystore_soft_wipe(&fsoft);
    return 0;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 5 : 50;
    printf("offline peer authentication (SIGMA-I, certificate chains; %d handshakes each):\n",
           rounds);
    printf("  EDHOC (RFC 9528, static DH, credentials by reference): 3 messages, "
           "1.5 round trips; M1 %d, M2 %d, M3 %d B (total %d)\n",
           EDHOC_M1, EDHOC_M2, EDHOC_M3, EDHOC_M1 + EDHOC_M2 + EDHOC_M3);
    printf("  channel record overhead: %d B (kind, seq, tag)\n", WARD_PEER_RECORD_OVERHEAD);
    if (run(ward_crypto_mbedtls(), rounds) != 0 || run(ward_crypto_openssl(), rounds) != 0) {
        return 1;
    }
    return 0;
}
