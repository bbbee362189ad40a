/*
 * ward_err.h - the one error type of ward.
 *
 * Every fallible function returns a ward_err. WARD_OK is zero, so
 * `if (err != WARD_OK)` and `if (err)` both read naturally. Callers branch
 * on the class of failure, never on details: an authentication failure is
 * WARD_ERR_AUTH and nothing more, so a peer learns nothing from the answer.
 *
 * Misuse by the caller (a NULL pointer where one is required, a length that
 * contradicts a documented fixed size) is a broken program, not a runtime
 * condition: it trips WARD_ASSERT (see ward_config.h) instead of returning.
 */
#ifndef WARD_ERR_H
#define WARD_ERR_H

#include "ward_attr.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ward_err {
    WARD_OK = 0,
    WARD_ERR_PARAM,       /* a value from outside is out of its range */
    WARD_ERR_STATE,       /* not allowed in the current state */
    WARD_ERR_NOSPACE,     /* the caller's buffer or a table is too small */
    WARD_ERR_AUTH,        /* a tag, signature, code or proof did not verify */
    WARD_ERR_FORMAT,      /* bytes are not a valid encoding */
    WARD_ERR_IO,          /* the platform failed to read, write or sync */
    WARD_ERR_BUSY,        /* try again later (rate limit, work in progress) */
    WARD_ERR_LOCKED,      /* no pairing window open (or its tries spent), locked out
                             after too many failures, or bind-locked */
    WARD_ERR_EXPIRED,     /* a task, nonce or key is past its lifetime */
    WARD_ERR_NOTFOUND,    /* no such record, task or peer */
    WARD_ERR_CRYPTO,      /* the crypto backend failed for a reason not the input's */
    WARD_ERR_UNSUPPORTED, /* the build or backend lacks this feature */
    WARD_ERR_CONFLICT     /* already so with something else (a bound user id, another key) */
} ward_err;

#define WARD_ERR_COUNT 14

/* A short, stable, lower-case description; never NULL. */
const char *ward_strerror(ward_err err);

#ifdef __cplusplus
}
#endif

#endif /* WARD_ERR_H */
