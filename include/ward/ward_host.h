/*
 * ward_host.h - (client library) the platform an app or a host tool runs ward on.
 *
 * A phone app or a desktop tool does not pick ports one by one: it gets
 * the crypto backend this build was configured with (-DWARD_CRYPTO=openssl
 * or mbedtls), the system's random generator and its clock, bundled.
 * Any backend can also be named at run time, for tools that compare them.
 *
 *     ward_host host;
 *     ward_host_init(&host);
 *     ward_p256_keygen(host.crypto, &host.rng, priv, pub);
 */
#ifndef WARD_HOST_H
#define WARD_HOST_H

#include <stdbool.h>

#include "ward/ward_clock.h"
#include "ward/ward_crypto.h"
#include "ward/ward_err.h"
#include "ward/ward_keystore.h"
#include "ward/ward_random.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ward_host {
    const ward_crypto *crypto;
    ward_random rng;
    ward_clock clock;
    /* Optional: asked before an HTTP request starts (before it is
     * signed) and about once a second while it waits (a long-poll); true
     * abandons the request (WARD_ERR_IO), so a process told to stop does
     * not wait out a 30 s poll. Set it on a copy of the host used for the
     * waits that may be abandoned, never on the one that carries a result
     * or an acknowledgement. NULL: never. */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
    /* Optional: the keystore (ward_keystore.h) that holds the app's
     * client key (WARD_KEY_APP_CLIENT) by handle. NULL: the key is the
     * crypto port's, kept in the app's key file as today. It must
     * outlive every ward_app opened with this host. */
    const ward_keystore *keystore;
} ward_host;

/* The configured backend, getrandom(2), the real-time clock, no
 * cancellation. */
void ward_host_init(ward_host *host);

/* "openssl" or "mbedtls"; NULL for any other name. */
WARD_MUST_CHECK
const ward_crypto *ward_host_backend(const char *name);

/* The name of the configured backend. */
const char *ward_host_backend_name(void);

#ifdef __cplusplus
}
#endif

#endif /* WARD_HOST_H */
