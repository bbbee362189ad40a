/* The known-answer runner: every case of the generated table against one
 * crypto port, each reported, passes and failures counted. */
#include <string.h>

#include "ward/ward_config.h"
#include "ward_kat.h"
#include "ward_kat_inner.h"

typedef ward_err (*kat_checker)(const ward_crypto *cp, const ward_kat_case *c);

/* may_skip: the checker returns WARD_ERR_UNSUPPORTED only for a documented
 * backend limit (see ward_kat_ccm.c); from any other checker, or for a case
 * no checker takes, anything but WARD_OK is a failure. */
static const struct {
    const char *suite;
    kat_checker check;
    bool may_skip;
} kat_suites[] = {
    { "sha256", ward_kat_sha256, false },
    { "hmac_sha256", ward_kat_hmac_sha256, false },
    { "hkdf_sha256", ward_kat_hkdf_sha256, false },
    { "aes128_cmac", ward_kat_aes128_cmac, false },
    { "aes128_ccm", ward_kat_aes128_ccm, true },
    { "ecdsa_p256", ward_kat_ecdsa_p256, false },
    { "spake2p", ward_kat_spake2p, false },
};

static ward_err run_case(const ward_crypto *cp, const ward_kat_case *c,
                         bool *skipped)
{
    *skipped = false;
    for (size_t i = 0; i < sizeof(kat_suites) / sizeof(kat_suites[0]); i++) {
        if (strcmp(kat_suites[i].suite, c->suite) == 0) {
            ward_err err = kat_suites[i].check(cp, c);
            *skipped = err == WARD_ERR_UNSUPPORTED && kat_suites[i].may_skip;
            return err;
        }
    }
    /* gen_vectors.py knows the same suites; a case no checker takes
     * counts as failed rather than silently passing. */
    return WARD_ERR_STATE;
}

ward_kat_result ward_kat_run(const ward_crypto *cp, ward_kat_report report,
                             void *ctx)
{
    ward_kat_result result = { 0, 0, 0 };

    WARD_ASSERT(cp != NULL);

    for (size_t i = 0; i < ward_kat_case_count; i++) {
        const ward_kat_case *c = &ward_kat_cases[i];
        bool skipped;
        ward_err err = run_case(cp, c, &skipped);
        if (err == WARD_OK) {
            result.passed++;
        } else if (skipped) {
            result.skipped++;
        } else {
            result.failed++;
        }
        if (report != NULL) {
            report(ctx, c->suite, c->name, err);
        }
    }
    return result;
}
