/* `ward selftest` and `ward version`: what this build is and whether its
 * crypto gives the published answers. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ward/ward.h"
#include "ward/ward_host.h"
#include "ward_kat.h"

typedef struct report_ctx {
    bool verbose;
    const char *backend;
} report_ctx;

static void report(void *ctx, const char *suite, const char *name, ward_err result)
{
    const report_ctx *rc = ctx;
    if (result == WARD_ERR_UNSUPPORTED) {
        printf("skip %-8s %-12s %s: beyond this backend's documented limits\n",
               rc->backend, suite, name);
    } else if (result != WARD_OK) {
        printf("FAIL %-8s %-12s %s: %s\n", rc->backend, suite, name, ward_strerror(result));
    } else if (rc->verbose) {
        printf("ok   %-8s %-12s %s\n", rc->backend, suite, name);
    }
}

static bool run_backend(const char *name, bool verbose)
{
    const ward_crypto *cp = ward_host_backend(name);
    report_ctx rc = { verbose, name };
    ward_kat_result r = ward_kat_run(cp, report, &rc);
    printf("%s (%s): %u passed, %u failed, %u skipped\n", name, cp->name, r.passed,
           r.failed, r.skipped);
    return r.failed == 0 && r.passed > 0;
}

int cmd_selftest(int argc, char **argv)
{
    const char *backend = NULL, *verbose = NULL;
    const cli_option opts[] = {
        { "backend", true, &backend },
        { "verbose", false, &verbose },
    };
    char *pos[1];
    int npos = 0;
    int rc = cli_parse(argc, argv, opts, 2, pos, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (backend == NULL) {
        backend = ward_host_backend_name();
    }
    bool ok;
    if (strcmp(backend, "all") == 0) {
        bool a = run_backend("mbedtls", verbose != NULL);
        bool b = run_backend("openssl", verbose != NULL);
        ok = a && b;
    } else if (ward_host_backend(backend) != NULL) {
        ok = run_backend(backend, verbose != NULL);
    } else {
        return cli_usage("unknown backend '%s' (openssl, mbedtls or all)", backend);
    }
    if (!ok) {
        return cli_fail("selftest failed: this build's crypto does not give the published answers");
    }
    printf("selftest passed\n");
    return 0;
}

int cmd_version(int argc, char **argv)
{
    int npos = 0, rc = cli_parse(argc, argv, NULL, 0, NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    printf("ward %s (crypto backend: %s, protocol %d)\n", WARD_VERSION_STRING,
           ward_host_backend_name(), WARD_PROTOCOL_VERSION);
    return 0;
}
