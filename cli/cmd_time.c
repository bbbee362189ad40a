/* `ward lock|device|gateway time`: a device role syncs its secure time (ward_time.h) with k of n
 * time servers and prints it; the trusted keys in D/time.conf, the floor in D/time.bin. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ward/ward_encode.h"
#include "ward/ward_files.h"
#include "ward/ward_host.h"
#include "ward/ward_http.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_time.h"

#include "cli.h"
#include "json_out.h"
#include "keyfile.h"
#include "sectime.h"
#include "state.h"

#define URLS_MAX SECTIME_URLS_MAX

/* Every value of --name in argv (the parser keeps only the last). */
static int collect(int argc, char **argv, const char *name, const char **vals, size_t cap,
                   size_t *n)
{
    size_t nl = strlen(name);
    *n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, nl) != 0) {
            continue;
        }
        const char *v = NULL;
        if (a[2 + nl] == '=') {
            v = a + 3 + nl;
        } else if (a[2 + nl] == '\0' && i + 1 < argc) {
            v = argv[++i];
        } else {
            continue;
        }
        if (*n == cap) {
            return cli_usage("--%s: at most %zu", name, cap);
        }
        vals[(*n)++] = v;
    }
    return 0;
}

static void iso(uint64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char s[32];
    gmtime_r(&t, &tm);
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%03uZ", s, (unsigned)(ms % 1000));
}

static int print_time(const ward_time_interval *iv, uint64_t floor, unsigned agreed,
                      const sectime_conf *c, bool json)
{
    if (json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddBoolToObject(doc, "synced", iv->synced);
        cli_json_time(doc, "floor", (int64_t)floor);
        if (iv->synced) {
            cli_json_time(doc, "lo", (int64_t)iv->lo);
            cli_json_time(doc, "hi", (int64_t)iv->hi);
        } else {
            cJSON_AddNullToObject(doc, "lo");
            cJSON_AddNullToObject(doc, "hi");
        }
        cJSON_AddNumberToObject(doc, "answers", agreed);
        cJSON_AddNumberToObject(doc, "k", c->k);
        cJSON_AddNumberToObject(doc, "n", (double)c->nkeys);
        return cli_json_end(doc);
    }
    char a[40], b[40];
    iso(floor, a, sizeof a);
    if (!iv->synced) {
        printf("time: not synced; at least %s (the floor)\n", a);
        return 0;
    }
    uint64_t mid = iv->lo + (iv->hi - iv->lo) / 2;
    iso(mid, b, sizeof b);
    printf("time: %s +- %" PRIu64 " ms (%u answers, %u of %zu needed)\n", b,
           (iv->hi - iv->lo + 1) / 2, agreed, c->k, c->nkeys);
    printf("interval: %" PRIu64 "..%" PRIu64 " ms\n", iv->lo, iv->hi);
    printf("floor: %s\n", a);
    return 0;
}

static int time_run(const char *role_name, ward_agent_role role, int argc, char **argv)
{
    const char *dir = NULL, *key1 = NULL, *k_s = NULL, *url1 = NULL, *json = NULL,
               *nosync = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir },         { "time-key", true, &key1 },
        { "time-k", true, &k_s },      { "time-url", true, &url1 },
        { "no-sync", false, &nosync }, { "json", false, &json },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: ward %s time --dir D [--time-key FILE]... [--time-k K] "
                         "[--time-url URL]... [--no-sync] [--json]", role_name);
    }
    const char *keyfiles[WARD_TIME_KEYS_MAX], *urls[URLS_MAX];
    size_t nk = 0, nu = 0;
    unsigned long k = 0;
    if ((rc = collect(argc, argv, "time-key", keyfiles, WARD_TIME_KEYS_MAX, &nk)) != 0 ||
        (rc = collect(argc, argv, "time-url", urls, URLS_MAX, &nu)) != 0 ||
        (rc = cli_number_opt("time-k", k_s, 0, 1, WARD_TIME_KEYS_MAX, &k)) != 0) {
        return rc;
    }
    for (size_t i = 0; i < nu; i++) {
        if (strlen(urls[i]) > WARD_CLI_URL_MAX || !ward_http_url_ok(urls[i])) {
            return cli_usage("--time-url: an http:// or https:// URL with a host");
        }
    }
    if (json != NULL) {
        cli_json_begin();
    }
    /* The role's own state says where its wardd is, and that D is one. */
    ward_agent_state st;
    if ((rc = cli_state_open_readonly(&st, role, dir)) != 0) {
        return rc;
    }
    char server[WARD_AGENT_URL_MAX + 1];
    snprintf(server, sizeof server, "%s", st.server);
    ward_agent_state_close(&st);

    static sectime_conf c;
    bool found = false;
    rc = sectime_conf_read(dir, &c, &found);
    bool changed = false;
    if (rc == 0 && nk > 0) {
        c.nkeys = 0;
        for (size_t i = 0; i < nk && rc == 0; i++) {
            ward_err err = keyfile_read_hex(keyfiles[i], c.keys[c.nkeys], WARD_P256_POINT_LEN);
            if (err != WARD_OK) {
                rc = cli_fail("--time-key %s: %s", keyfiles[i],
                              cli_file_why(err, errno, "not a public key file (130 hex digits)"));
            }
            c.nkeys++;
        }
        changed = true;
    }
    if (rc == 0 && k != 0) {
        c.k = (unsigned)k;
        changed = true;
    }
    if (rc == 0 && nu > 0) {
        for (size_t i = 0; i < nu; i++) {
            snprintf(c.urls[i], sizeof c.urls[i], "%s", urls[i]);
        }
        c.nurls = nu;
        changed = true;
    }
    if (rc == 0 && c.nkeys == 0) {
        rc = cli_usage("no time key: give the time servers' keys with --time-key FILE (wardd "
                       "writes its own to DB.timepub)");
    }
    if (rc == 0 && c.k > c.nkeys) {
        rc = cli_usage("--time-k %u: more than the %zu keys trusted", c.k, c.nkeys);
    }
    if (rc == 0) {
        /* The keys checked before they are kept. */
        ward_host host;
        ward_host_init(&host);
        static ward_time t;
        ward_err err = ward_time_init(&t, host.crypto, NULL,
                                      (const uint8_t(*)[WARD_P256_POINT_LEN])c.keys, c.nkeys,
                                      c.k, 0);
        if (err != WARD_OK) {
            rc = cli_usage("--time-key: %s", err == WARD_ERR_PARAM ? "a key given twice"
                                                                   : "not a P-256 public key");
        }
    }
    if (rc == 0 && changed) {
        rc = sectime_conf_write(dir, &c);
    }
    bool on = false;
    if (rc == 0) {
        rc = sectime_open(dir, &on);
    }
    unsigned answers = 0;
    if (rc == 0 && nosync == NULL) {
        ward_err err = sectime_sync(server, &answers);
        if (err == WARD_ERR_AUTH) {
            rc = cli_fail("no time believed: %u answer%s verified, %u must agree", answers,
                          answers == 1 ? "" : "s", c.k);
        } else if (err == WARD_ERR_STATE) {
            rc = cli_fail("no time believed: the servers agree on a time before the floor "
                          "(time going back is refused)");
        } else if (err != WARD_OK) {
            rc = cli_fail("%s/time.bin: %s", dir, cli_file_why(err, errno, NULL));
        }
    }
    if (rc == 0) {
        ward_time_interval iv;
        uint64_t floor = 0;
        if (sectime_now(&iv, &floor) != WARD_OK) {
            rc = cli_fail("the monotonic clock went back");
        } else {
            rc = print_time(&iv, floor, answers, &c, json != NULL);
        }
    }
    sectime_close();
    return rc;
}

int cmd_lock_time(int argc, char **argv)
{
    return time_run("lock", WARD_AGENT_LOCK, argc, argv);
}

int cmd_device_time(int argc, char **argv)
{
    return time_run("device", WARD_AGENT_DEVICE, argc, argv);
}

int cmd_gateway_time(int argc, char **argv)
{
    return time_run("gateway", WARD_AGENT_DEVICE, argc, argv);
}
