/*
 * ward_kat.h - known-answer tests of a crypto backend and of the suite.
 *
 * Runs every published vector under tests/vectors/ (SHA-256, RFC 4231
 * HMAC, RFC 5869 HKDF, SP 800-38C / RFC 3610 CCM, RFC 4493 CMAC, RFC 6979
 * ECDSA P-256, RFC 9383 SPAKE2+) against one crypto port, reporting each
 * case to a callback. Used by the unit tests (once per backend) and by
 * `ward selftest` on the running build. Host-side; not part of ward_core.
 */
#ifndef WARD_KAT_H
#define WARD_KAT_H

#include "ward/ward_crypto.h"
#include "ward/ward_err.h"

/* suite: "hmac_sha256", ...; name: the vector's name in its file.
 * result: WARD_OK when the case passed; WARD_ERR_UNSUPPORTED when the
 * backend cleanly refused an input beyond a documented limit of its own
 * (counted as skipped, see below); any other value is a failure. */
typedef void (*ward_kat_report)(void *ctx, const char *suite, const char *name,
                                ward_err result);

typedef struct ward_kat_result {
    unsigned passed;
    unsigned failed;
    /* Cases the backend cannot run: today only SP 800-38C example 4, whose
     * 64 KiB of associated data exceeds mbedTLS 2.28's CCM limit (and the
     * limit both ports share, 0xFEFF bytes). Never a wrong answer. */
    unsigned skipped;
} ward_kat_result;

ward_kat_result ward_kat_run(const ward_crypto *cp, ward_kat_report report,
                             void *ctx);

#endif /* WARD_KAT_H */
