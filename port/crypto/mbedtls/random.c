/* The mbedTLS random port: a CTR-DRBG seeded from mbedTLS's entropy. */
#include <pthread.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>

#include "ward/ward_port_mbedtls.h"

#include "mbedtls_inner.h"

/* One generator per process, set up on first use, behind a mutex: wardd
 * calls it from every connection's thread. It also blinds the ECP
 * multiplications. (This is the host's port; a device's own port needs
 * no lock when it has one thread.) */
static mbedtls_entropy_context ward_entropy;
static mbedtls_ctr_drbg_context ward_drbg;
static int ward_drbg_ready;
static pthread_mutex_t ward_drbg_mu = PTHREAD_MUTEX_INITIALIZER;

static int drbg_setup(void)
{
    static const unsigned char pers[] = "ward mbedtls drbg";
    if (ward_drbg_ready) {
        return 0;
    }
    mbedtls_entropy_init(&ward_entropy);
    mbedtls_ctr_drbg_init(&ward_drbg);
    int rc = mbedtls_ctr_drbg_seed(&ward_drbg, mbedtls_entropy_func,
                                   &ward_entropy, pers, sizeof(pers) - 1);
    if (rc != 0) {
        /* Leave it uninitialised so the next call tries again. */
        mbedtls_ctr_drbg_free(&ward_drbg);
        mbedtls_entropy_free(&ward_entropy);
        return rc;
    }
    ward_drbg_ready = 1;
    return 0;
}

int ward_mbedtls_drbg(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    pthread_mutex_lock(&ward_drbg_mu);
    int rc = drbg_setup();
    while (rc == 0 && len > 0) {
        /* The DRBG caps each request at MBEDTLS_CTR_DRBG_MAX_REQUEST. */
        size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST
                       ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        rc = mbedtls_ctr_drbg_random(&ward_drbg, out, n);
        out += n;
        len -= n;
    }
    pthread_mutex_unlock(&ward_drbg_mu);
    return rc;
}

static ward_err random_fill(void *ctx, uint8_t *out, size_t len)
{
    WARD_ASSERT(out != NULL || len == 0);
    if (ward_mbedtls_drbg(ctx, out, len) != 0) {
        /* Never hand out a partial fill as if it were random. */
        mbedtls_platform_zeroize(out, len);
        return WARD_ERR_IO;
    }
    return WARD_OK;
}

ward_random ward_random_mbedtls(void)
{
    ward_random r = { random_fill, NULL };
    return r;
}
