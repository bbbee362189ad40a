/* `ward selftest` and `ward version`: what this build is and whether its
 * crypto gives the published answers. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "ward/ward.h"
#include "ward/ward_host.h"
#include "ward_kat.h"

typedef struct report_ctx {
    bool verbose;
    const char *backend;
    cJSON *failures;   /* --json: the failed vectors, else NULL */
} report_ctx;

static void report(void *ctx, const char *suite, const char *name, ward_err result)
{
    const report_ctx *rc = ctx;
    if (rc->failures != NULL) {
        if (result != WARD_OK && result != WARD_ERR_UNSUPPORTED) {
            cJSON *f = cli_json_push(rc->failures);
            cJSON_AddStringToObject(f, "suite", suite);
            cJSON_AddStringToObject(f, "name", name);
            cJSON_AddStringToObject(f, "error", ward_strerror(result));
        }
        return;
    }
    if (result == WARD_ERR_UNSUPPORTED) {
        printf("skip %-8s %-12s %s: beyond this backend's documented limits\n",
               rc->backend, suite, name);
    } else if (result != WARD_OK) {
        printf("FAIL %-8s %-12s %s: %s\n", rc->backend, suite, name, ward_strerror(result));
    } else if (rc->verbose) {
        printf("ok   %-8s %-12s %s\n", rc->backend, suite, name);
    }
}

/* Runs one backend's vectors; with backends (--json) adds its report
 * there instead of printing it. */
static bool run_backend(const char *name, bool verbose, cJSON *backends)
{
    const ward_crypto *cp = ward_host_backend(name);
    cJSON *b = backends != NULL ? cli_json_push(backends) : NULL;
    cJSON *failures = b != NULL ? cJSON_AddArrayToObject(b, "failures") : NULL;
    report_ctx rc = { verbose, name, failures };
    ward_kat_result r = ward_kat_run(cp, report, &rc);
    bool ok = r.failed == 0 && r.passed > 0;
    if (b != NULL) {
        cJSON_AddStringToObject(b, "backend", name);
        cJSON_AddStringToObject(b, "implementation", cp->name);
        cJSON_AddNumberToObject(b, "passed", r.passed);
        cJSON_AddNumberToObject(b, "failed", r.failed);
        cJSON_AddNumberToObject(b, "skipped", r.skipped);
        cJSON_AddBoolToObject(b, "ok", ok);
    } else {
        printf("%s (%s): %u passed, %u failed, %u skipped\n", name, cp->name, r.passed,
               r.failed, r.skipped);
    }
    return ok;
}

int cmd_selftest(int argc, char **argv)
{
    const char *backend = NULL, *verbose = NULL, *json = NULL;
    const cli_option opts[] = {
        { "backend", true, &backend },
        { "verbose", false, &verbose },
        { "json", false, &json },
    };
    char *pos[1];
    int npos = 0;
    int rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), pos, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (backend == NULL) {
        backend = ward_host_backend_name();
    }
    if (strcmp(backend, "all") != 0 && ward_host_backend(backend) == NULL) {
        return cli_usage("unknown backend '%s' (openssl, mbedtls or all)", backend);
    }
    cJSON *doc = NULL, *backends = NULL;
    if (json != NULL) {
        cli_json_begin();
        doc = cJSON_CreateObject();
        backends = cJSON_AddArrayToObject(doc, "backends");
        if (backends == NULL) {
            cJSON_Delete(doc);
            return cli_fail("out of memory");
        }
    }
    bool ok;
    if (strcmp(backend, "all") == 0) {
        bool a = run_backend("mbedtls", verbose != NULL, backends);
        bool b = run_backend("openssl", verbose != NULL, backends);
        ok = a && b;
    } else {
        ok = run_backend(backend, verbose != NULL, backends);
    }
    /* The report is the document, passed or not; a failure is also said
     * on stderr and in the exit code. */
    if (doc != NULL) {
        cJSON_AddBoolToObject(doc, "passed", ok);
        rc = cli_json_end(doc);
    }
    if (!ok) {
        return cli_fail("selftest failed: this build's crypto does not give the published answers");
    }
    if (json == NULL) {
        printf("selftest passed\n");
    }
    return rc;
}

int cmd_version(int argc, char **argv)
{
    const char *json = NULL;
    const cli_option opts[] = { { "json", false, &json } };
    int npos = 0;
    int rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (json != NULL) {
        cli_json_begin();
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "version", WARD_VERSION_STRING);
        cJSON_AddStringToObject(doc, "crypto_backend", ward_host_backend_name());
        cJSON_AddNumberToObject(doc, "protocol", WARD_PROTOCOL_VERSION);
        return cli_json_end(doc);
    }
    printf("ward %s (crypto backend: %s, protocol %d)\n", WARD_VERSION_STRING,
           ward_host_backend_name(), WARD_PROTOCOL_VERSION);
    return 0;
}
