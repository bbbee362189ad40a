/* Shared by the flow C harnesses and gen_corpus_gw_cloud.c: fixed keys, and the
 * same deterministic login (so the corpus's packets belong to the
 * harness's sessions). */
#ifndef WARD_FUZZ_GW_CLOUD_H
#define WARD_FUZZ_GW_CLOUD_H

#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_gw_cloud.h"
#include "fuzz_common.h"

static const uint8_t GW_FACTORY_PRIV[WARD_P256_SCALAR_LEN] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t GW_PRIV[WARD_P256_SCALAR_LEN] = {
    9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
    9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };
static const uint8_t GW_SID[WARD_GW_SID_LEN] = { 0x51, 0x1d };

/* Both ends after one login: the gateway's before the reply (pending),
 * both sessions open, the LOGIN and its reply; creds and verifier. */
typedef struct gw_fix {
    ward_gw_creds c;
    uint8_t verifier[WARD_GW_VERIFIER_LEN];
    ward_gw_session pending, gw, srv;
    uint8_t login[WARD_GW_LOGIN_LEN], reply[WARD_GW_LOGIN_REPLY_LEN];
    size_t login_len, reply_len;
} gw_fix;

static inline void gw_fix_make(const ward_crypto *cp, gw_fix *f)
{
    uint32_t seed = 7;
    ward_random rng = fuzz_rng(&seed);
    memset(f, 0, sizeof *f);
    memset(f->c.tid, 0x71, sizeof f->c.tid);
    memset(f->c.password, 0x72, sizeof f->c.password);
    memset(f->c.accesskey, 0x73, sizeof f->c.accesskey);
    memset(f->c.localkey, 0x74, sizeof f->c.localkey);
    f->c.generation = 1;
    f->c.expiry_ms = 1800000000000ull;
    CHECK(ward_gw_password_verifier(cp, f->c.tid, f->c.password, f->verifier) == WARD_OK);
    CHECK(ward_gw_login_start(&f->pending, cp, &rng, &f->c, 5, f->login, sizeof f->login,
                              &f->login_len) == WARD_OK);
    CHECK(ward_gw_login_accept(&f->srv, cp, &rng, f->c.tid, f->c.accesskey, f->verifier, 4,
                               GW_SID, 600, f->login, f->login_len, f->reply, sizeof f->reply,
                               &f->reply_len) == WARD_OK);
    f->gw = f->pending;
    CHECK(ward_gw_login_finish(&f->gw, cp, f->reply, f->reply_len) == WARD_OK);
}

#endif /* WARD_FUZZ_GW_CLOUD_H */
