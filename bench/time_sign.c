/* wardd's cost per GET /v1/time: signed time answers per second with the time key in the
 * software keystore (each crypto backend) and in a SoftHSM2 token (PKCS#11), one thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ward/ward_keystore.h"
#include "ward/ward_port_mbedtls.h"
#include "ward/ward_port_openssl.h"
#include "ward/ward_port_pkcs11.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_time.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Answers signed per second by id's key in ks over about seconds; -1 on a failure. */
static double rate(const ward_crypto *cp, const ward_keystore *ks, double seconds)
{
    uint8_t nonce[WARD_TIME_NONCE_LEN], ans[WARD_TIME_ANSWER_LEN];
    size_t len = 0;
    long n = 0;
    memset(nonce, 0x5a, sizeof nonce);
    double start = now_s(), t = start;
    while (t - start < seconds) {
        nonce[0] = (uint8_t)n;
        ward_err err = ward_time_answer_make(cp, ks, WARD_KEY_TIME, 1700000000000ull + (uint64_t)n,
                                             1000, nonce, ans, sizeof ans, &len);
        if (err != WARD_OK) {
            fprintf(stderr, "bench_time_sign: %s: %s\n", ks->name, ward_strerror(err));
            return -1;
        }
        n++;
        t = now_s();
    }
    return (double)n / (t - start);
}

static int software(const ward_crypto *cp, double seconds)
{
    ward_random rng = ward_random_posix();
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN];
    ward_keystore_soft_init(&soft, cp, &rng, &ks);
    if (ks.generate(ks.ctx, WARD_KEY_TIME, pub) != WARD_OK) {
        fprintf(stderr, "bench_time_sign: no software key\n");
        return 1;
    }
    double r = rate(cp, &ks, seconds);
    ward_keystore_soft_wipe(&soft);
    if (r < 0) {
        return 1;
    }
    printf("  software keystore (%s): %8.0f answers/s\n", cp->name, r);
    return 0;
}

static const char *softhsm_module(void)
{
    static const char *const paths[] = {
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/local/lib/softhsm/libsofthsm2.so",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (access(paths[i], R_OK) == 0) {
            return paths[i];
        }
    }
    return NULL;
}

/* A token made for the bench in a temporary directory (no system token touched). */
static int softhsm(const ward_crypto *cp, double seconds)
{
    const char *module = softhsm_module();
    if (module == NULL || system("command -v softhsm2-util >/dev/null 2>&1") != 0) {
        printf("  SoftHSM2 token: skipped (softhsm2 is not installed; scripts/deps.sh)\n");
        return 0;
    }
    char dir[] = "/tmp/ward-bench-hsm.XXXXXX", conf[128], cmd[256], uri[512], why[512];
    if (mkdtemp(dir) == NULL) {
        perror("bench_time_sign: mkdtemp");
        return 1;
    }
    snprintf(conf, sizeof conf, "%s/softhsm2.conf", dir);
    FILE *f = fopen(conf, "w");
    if (f == NULL) {
        perror("bench_time_sign: softhsm2.conf");
        return 1;
    }
    fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", dir);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
    int rc = 1;
    ward_pkcs11_keystore *p = NULL;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN];
    if (system("softhsm2-util --init-token --free --label ward --pin 1234 --so-pin 5678 "
               ">/dev/null") != 0) {
        fprintf(stderr, "bench_time_sign: softhsm2-util --init-token failed\n");
        goto done;
    }
    snprintf(uri, sizeof uri, "pkcs11:token=ward?module-path=%s&pin-value=1234", module);
    if (ward_pkcs11_open(uri, cp, &p, &ks, why, sizeof why) != WARD_OK ||
        ks.generate(ks.ctx, WARD_KEY_TIME, pub) != WARD_OK) {
        fprintf(stderr, "bench_time_sign: the token: %s\n", why);
        goto done;
    }
    double r = rate(cp, &ks, seconds);
    if (r >= 0) {
        printf("  SoftHSM2 token (PKCS#11):          %8.0f answers/s\n", r);
        rc = 0;
    }
done:
    ward_pkcs11_close(p);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_time_sign: cannot remove %s\n", dir);
    }
    return rc;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 0.5 : 3.0;
    printf("GET /v1/time: signed time answers (%d bytes) per second, one thread, "
           "the signing only (no HTTP):\n", WARD_TIME_ANSWER_LEN);
    if (software(ward_crypto_openssl(), seconds) != 0 ||
        software(ward_crypto_mbedtls(), seconds) != 0 ||
        softhsm(ward_crypto_openssl(), seconds) != 0) {
        return 1;
    }
    printf("  (wardd takes the token's one session in turns: the token's rate is wardd's "
           "ceiling whatever its cores; --time-per-addr bounds what one address takes)\n");
    return 0;
}
