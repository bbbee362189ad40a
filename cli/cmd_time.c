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
#include "state.h"

#define TIME_CONF "time.conf"
#define TIME_STORE "time.bin"
#define TIME_STORE_SIZE 1024
#define TIME_CONF_MAX 4096
#define URLS_MAX WARD_TIME_KEYS_MAX

/* The firmware's build time, the first floor (cli/CMakeLists.txt). */
#ifndef WARD_CLI_BUILD_MS
#define WARD_CLI_BUILD_MS 0
#endif

typedef struct time_conf {
    unsigned k;
    size_t nkeys, nurls;
    uint8_t keys[WARD_TIME_KEYS_MAX][WARD_P256_POINT_LEN];
    char urls[URLS_MAX][WARD_CLI_URL_MAX + 1];
} time_conf;

/* D/time.conf: lines "k K", "key HEX" (130 digits), "url URL"; '#' starts a comment. */
static int conf_read(const char *path, time_conf *c)
{
    char *text = NULL;
    size_t len = 0;
    memset(c, 0, sizeof *c);
    c->k = 1;
    ward_err err = ward_file_read(path, TIME_CONF_MAX, &text, &len);
    if (err == WARD_ERR_NOTFOUND) {
        return 0;
    }
    if (err != WARD_OK) {
        return cli_fail("%s: %s", path, cli_file_why(err, errno, "longer than a time.conf"));
    }
    int rc = 0;
    unsigned line = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL && rc == 0;
         l = strtok_r(NULL, "\n", &save)) {
        line++;
        size_t got = 0;
        if (l[0] == '#' || l[0] == '\0') {
            continue;
        }
        if (strncmp(l, "k ", 2) == 0) {
            char *end = NULL;
            unsigned long k = strtoul(l + 2, &end, 10);
            if (*end != '\0' || k < 1 || k > WARD_TIME_KEYS_MAX) {
                rc = cli_fail("%s:%u: k: a number 1..%d", path, line, WARD_TIME_KEYS_MAX);
            }
            c->k = (unsigned)k;
        } else if (strncmp(l, "key ", 4) == 0 && c->nkeys < WARD_TIME_KEYS_MAX &&
                   ward_hex_decode(l + 4, strlen(l + 4), c->keys[c->nkeys], WARD_P256_POINT_LEN,
                                   &got) == WARD_OK && got == WARD_P256_POINT_LEN) {
            c->nkeys++;
        } else if (strncmp(l, "url ", 4) == 0 && c->nurls < URLS_MAX &&
                   strlen(l + 4) <= WARD_CLI_URL_MAX && ward_http_url_ok(l + 4)) {
            snprintf(c->urls[c->nurls++], WARD_CLI_URL_MAX + 1, "%s", l + 4);
        } else {
            rc = cli_fail("%s:%u: not a line of time.conf (k K, key HEX, url URL; at most %d "
                          "keys and urls)", path, line, WARD_TIME_KEYS_MAX);
        }
    }
    free(text);
    return rc;
}

static int conf_write(const char *path, const time_conf *c)
{
    char text[TIME_CONF_MAX];
    size_t n = (size_t)snprintf(text, sizeof text,
                                "# ward secure time: trusted time keys, how many must agree, "
                                "where to ask\nk %u\n", c->k);
    for (size_t i = 0; i < c->nkeys; i++) {
        char hex[2 * WARD_P256_POINT_LEN + 1];
        WARD_ASSERT(ward_hex_encode(c->keys[i], WARD_P256_POINT_LEN, hex, sizeof hex) == WARD_OK);
        n += (size_t)snprintf(text + n, sizeof text - n, "key %s\n", hex);
    }
    for (size_t i = 0; i < c->nurls; i++) {
        n += (size_t)snprintf(text + n, sizeof text - n, "url %s\n", c->urls[i]);
    }
    WARD_ASSERT(n < sizeof text);
    ward_err err = ward_file_write_atomic(path, text, n, 0600);
    return err == WARD_OK ? 0 : cli_fail("%s: %s", path, cli_file_why(err, errno, NULL));
}

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

/* One server's answer to nonce into ans, or a warning and false. */
static bool ask(const ward_host *host, const char *url, const uint8_t nonce[WARD_TIME_NONCE_LEN],
                uint8_t ans[WARD_TIME_ANSWER_LEN], size_t *len)
{
    char target[32 + 2 * WARD_TIME_NONCE_LEN];
    char hex[2 * WARD_TIME_NONCE_LEN + 1];
    WARD_ASSERT(ward_hex_encode(nonce, WARD_TIME_NONCE_LEN, hex, sizeof hex) == WARD_OK);
    snprintf(target, sizeof target, "/v1/time?nonce=%s", hex);
    ward_http_response resp;
    ward_err err = ward_http_request(host, url, "GET", target, NULL, 0, NULL, &resp);
    char why[WARD_HTTP_ERROR_MAX + 256];
    long outcome = ward_http_outcome(err, &resp, url, why, sizeof why);
    if (outcome != 0 || resp.status != 200) {
        fprintf(stderr, "time: %s: %s\n", url, outcome != 0 ? why : "not a time answer");
        if (err == WARD_OK) {
            ward_http_response_free(&resp);
        }
        return false;
    }
    cJSON *j = cJSON_ParseWithLength(resp.body, resp.body_len);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "answer");
    bool ok = cJSON_IsString(a) &&
              ward_b64_decode(a->valuestring, strlen(a->valuestring), ans, WARD_TIME_ANSWER_LEN,
                              len) == WARD_OK;
    cJSON_Delete(j);
    ward_http_response_free(&resp);
    if (!ok) {
        fprintf(stderr, "time: %s: not a time answer\n", url);
    }
    return ok;
}

static const char *add_why(ward_err err)
{
    switch (err) {
    case WARD_ERR_NOTFOUND:
        return "signed by a key not trusted (--time-key)";
    case WARD_ERR_AUTH:
        return "refused: not an answer to this nonce (replayed?) or a bad signature";
    case WARD_ERR_EXPIRED:
        return "refused: came too late";
    case WARD_ERR_CONFLICT:
        return "a second answer of the same key, counted once";
    case WARD_ERR_FORMAT:
        return "not a time answer";
    default:
        return ward_strerror(err);
    }
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
                      const time_conf *c, bool json)
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
    int npos = 0, rc = cli_parse(argc, argv, opts, 6, NULL, 0, &npos);
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

    char *cpath = ward_path_join(dir, TIME_CONF), *spath = ward_path_join(dir, TIME_STORE);
    static time_conf c;
    if (cpath == NULL || spath == NULL) {
        rc = cli_fail("out of memory");
    } else {
        rc = conf_read(cpath, &c);
    }
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
    const ward_crypto *cp = NULL;
    ward_host host;
    ward_host_init(&host);
    cp = host.crypto;
    static ward_time t;
    if (rc == 0) {
        ward_err err = ward_time_init(&t, cp, NULL, (const uint8_t(*)[WARD_P256_POINT_LEN])c.keys,
                                      c.nkeys, c.k, (uint64_t)WARD_CLI_BUILD_MS);
        if (err != WARD_OK) {
            rc = cli_usage("--time-key: %s", err == WARD_ERR_PARAM ? "a key given twice"
                                                                   : "not a P-256 public key");
        }
    }
    if (rc == 0 && changed) {
        rc = conf_write(cpath, &c);
    }
    /* The floor's store, one writer at a time. */
    ward_file_port fp = { .fd = -1 };
    ward_store_port port;
    ward_store store;
    if (rc == 0) {
        ward_err err = ward_file_port_open(&fp, spath, TIME_STORE_SIZE, &port);
        if (err == WARD_OK && flock(fp.fd, LOCK_EX) != 0) {
            err = WARD_ERR_IO;
        }
        if (err == WARD_OK) {
            err = ward_store_open(&store, &port);
        }
        if (err == WARD_OK) {
            err = ward_time_init(&t, cp, &store, (const uint8_t(*)[WARD_P256_POINT_LEN])c.keys,
                                 c.nkeys, c.k, (uint64_t)WARD_CLI_BUILD_MS);
        }
        if (err != WARD_OK) {
            rc = cli_fail("%s: %s", spath, cli_file_why(err, fp.os_errno, "not a store"));
        }
    }
    unsigned answers = 0;
    if (rc == 0 && nosync == NULL) {
        size_t nask = c.nurls;
        const char *ask_urls[URLS_MAX];
        for (size_t i = 0; i < c.nurls; i++) {
            ask_urls[i] = c.urls[i];
        }
        if (nask == 0) {
            ask_urls[nask++] = server;      /* the role's own wardd */
        }
        uint8_t nonce[WARD_TIME_NONCE_LEN];
        ward_err err = ward_time_begin(&t, &host.rng, (uint64_t)cli_mono_ms(), nonce);
        for (size_t i = 0; err == WARD_OK && i < nask; i++) {
            uint8_t ans[WARD_TIME_ANSWER_LEN];
            size_t len = 0;
            if (!ask(&host, ask_urls[i], nonce, ans, &len)) {
                continue;
            }
            ward_err e = ward_time_add(&t, ans, len, (uint64_t)cli_mono_ms());
            if (e == WARD_OK) {
                answers++;
            } else {
                fprintf(stderr, "time: %s: %s\n", ask_urls[i], add_why(e));
            }
        }
        if (err == WARD_OK) {
            err = ward_time_finish(&t, &store, (uint64_t)cli_mono_ms());
        }
        if (err == WARD_ERR_AUTH) {
            rc = cli_fail("no time believed: %u answer%s verified, %u must agree", answers,
                          answers == 1 ? "" : "s", c.k);
        } else if (err == WARD_ERR_STATE) {
            rc = cli_fail("no time believed: the servers agree on a time before the floor "
                          "(time going back is refused)");
        } else if (err != WARD_OK) {
            rc = cli_fail("%s: %s", spath, cli_file_why(err, fp.os_errno, NULL));
        }
    }
    if (rc == 0) {
        ward_time_interval iv;
        if (ward_time_now(&t, (uint64_t)cli_mono_ms(), &iv) != WARD_OK) {
            rc = cli_fail("the monotonic clock went back");
        } else {
            rc = print_time(&iv, ward_time_floor(&t), answers, &c, json != NULL);
        }
    }
    if (fp.fd >= 0) {
        ward_file_port_close(&fp);
    }
    free(cpath);
    free(spath);
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
