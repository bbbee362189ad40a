/* wardd's settings: defaults, then the --config file, then flags. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_fw.h"

#include "config.h"
#include "proxy.h"

enum kind { K_STR, K_LONG, K_UINT, K_LISTEN, K_CIDR, K_PATHS };

typedef struct opt {
    const char *name;
    enum kind kind;
    size_t off;
    size_t cap;                 /* K_STR: the buffer; else the field's size */
    const char *help;
    bool live;                  /* SIGHUP applies a new value (wardd_config_live) */
} opt;

#define FIELD(field) offsetof(wardd_config, field), sizeof(((wardd_config *)0)->field)
#define STR(field) K_STR, FIELD(field)
#define NUM(kind, field) kind, FIELD(field)
#define CIDR(field) K_CIDR, FIELD(field)
#define PATHS(field) K_PATHS, FIELD(field)
#define LISTEN K_LISTEN, 0, 0

/* The deadlines in seconds stay small enough to add to a clock in ms. */
#define WARDD_DEADLINE_MAX_S 3600

static const opt opts[] = {
    { "listen", LISTEN, "HOST:PORT to listen on (default 127.0.0.1:8440; port 0: any)", false },
    { "db", STR(db), "SQLite database file (default wardd.db)", false },
    { "sms-outbox", STR(sms_outbox), "directory for outgoing SMS files (default ./outbox)",
      false },
    { "sms-command", STR(sms_command), "send SMS by running CMD PHONE with the text on stdin",
      false },
    { "factory-pub", STR(factory_pub), "manufacturer public key file (130 hex digits)", false },
    { "root-pub", STR(root_pub),
      "manufacturer root public key file: device certificate chains lead to it", false },
    { "revocation-list", STR(revocation_list),
      "the root's revocation list file (ward factory revoke), re-read when it changes", false },
    { "tls-cert", STR(tls_cert), "PEM certificate: serve HTTPS (with --tls-key)", false },
    { "tls-key", STR(tls_key), "PEM private key for --tls-cert", false },
    { "task-ttl", NUM(K_LONG, task_ttl_s), "bind task lifetime in seconds (default 600)", true },
    { "gw-key-ttl", NUM(K_LONG, gw_key_ttl_s),
      "gateway credentials' lifetime in seconds (default 31536000, a year)", false },
    { "op-ttl", NUM(K_LONG, op_ttl_s), "how long an op waits for an answer, seconds (default 60)",
      true },
    { "sms-per-phone", NUM(K_UINT, sms_per_phone), "codes per phone per 10 minutes (default 3)",
      true },
    { "sms-per-addr", NUM(K_UINT, sms_per_addr),
      "codes per client address per 10 minutes (default 10)", true },
    { "gw-logins-per-addr", NUM(K_UINT, gw_logins_per_addr),
      "gateway logins per client address per 10 minutes (default 600)", false },
    { "time-per-addr", NUM(K_UINT, time_per_addr),
      "GET /v1/time answers per client address (IPv6 per /64) per minute (default 60)", true },
    { "pkcs11-uri", STR(pkcs11_uri),
      "PKCS#11 token (RFC 7512 URI) holding wardd's time and gateway wrap keys", false },
    { "max-connections", NUM(K_UINT, max_connections), "concurrent connections (default 256)",
      false },
    { "max-per-addr", NUM(K_UINT, max_per_addr),
      "connections per client address, IPv6 per /64 (default 32; 0: no cap)", false },
    { "header-deadline", NUM(K_LONG, header_deadline_s),
      "seconds to send a request's headers (default 20)", false },
    { "body-deadline", NUM(K_LONG, body_deadline_s),
      "seconds to send a body after its headers, and to read an answer (default 30)", false },
    { "log", STR(log_file), "append the log to FILE instead of stderr (SIGHUP reopens it)",
      false },
    { "trusted-proxy", CIDR(trusted_proxy),
      "CIDR of a reverse proxy whose X-Forwarded-For names the client (repeatable)", false },
    { "release-pub", PATHS(release_pub),
      "firmware release public key file (130 hex digits); repeatable, up to 8", false },
    { "fw-max-bytes", NUM(K_LONG, fw_max_bytes),
      "largest firmware image POST /v1/fw takes, bytes (default 16777216)", false },
    { "fw-publish-per-addr", NUM(K_UINT, fw_publish_per_addr),
      "firmware publications per address per 10 minutes (default 10)", true },
    { "metrics-allow", CIDR(metrics_allow),
      "CIDR that may read /metrics besides loopback (repeatable)", false },
};

/* The last complaint, for a reload that logs it instead of exiting. */
static char complaint[256];
static bool quiet;

static void say(const char *fmt, ...) WARDD_CONFIG_PRINTF(1, 2);

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(complaint, sizeof complaint, fmt, ap);
    va_end(ap);
    if (!quiet) {
        fprintf(stderr, "wardd: %s\n", complaint);
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: wardd [options]\n"
               "The ward relay server: lock activation, accounts, bind tasks, escrow.\n\n");
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        fprintf(f, "  --%-16s %s\n", opts[i].name, opts[i].help);
    }
    fprintf(f, "  --%-16s %s\n", "config FILE", "read `key = value` lines (same names); flags win");
    fprintf(f, "  --%-16s %s\n", "help", "this text");
    fprintf(f, "  --%-16s %s\n", "version", "print the version");
    fprintf(f, "\nSIGTERM or SIGINT stops the server cleanly. SIGHUP reopens the --log file and\n"
               "rereads the --config file: task-ttl, op-ttl, sms-per-phone, sms-per-addr and\n"
               "time-per-addr take effect at once, other settings at the next start. Logs go\n"
               "to stderr unless --log FILE. --pkcs11-uri: give the PIN with pin-source=FILE\n"
               "or WARD_PKCS11_PIN, not pin-value= on a command line others can read.\n");
}

static void defaults(wardd_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen_host, sizeof cfg->listen_host, "127.0.0.1");
    cfg->listen_port = 8440;
    snprintf(cfg->db, sizeof cfg->db, "wardd.db");
    snprintf(cfg->sms_outbox, sizeof cfg->sms_outbox, "./outbox");
    cfg->task_ttl_s = 600;
    cfg->gw_key_ttl_s = 365L * 24 * 3600;
    cfg->op_ttl_s = 60;
    cfg->sms_per_phone = 3;
    cfg->sms_per_addr = 10;
    cfg->gw_logins_per_addr = 600;
    /* A device syncs at start and then every few hours; 60 a minute lets a
     * few dozen behind one NAT restart at once. */
    cfg->time_per_addr = 60;
    cfg->max_connections = 256;
    /* One address holds at most an eighth of the default 256 threads. */
    cfg->max_per_addr = 32;
    cfg->fw_max_bytes = 16L * 1024 * 1024;
    cfg->fw_publish_per_addr = 10;
    cfg->header_deadline_s = 20;
    cfg->body_deadline_s = 30;
}

static int parse(int argc, char **argv, wardd_config *cfg);

static const opt *find(const char *name)
{
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        if (strcmp(opts[i].name, name) == 0) {
            return &opts[i];
        }
    }
    return NULL;
}

static int set_listen(wardd_config *cfg, const char *v)
{
    const char *colon = strrchr(v, ':');
    if (colon == NULL || colon == v || colon[1] == '\0') {
        return -1;
    }
    const char *host = v;
    size_t hlen = (size_t)(colon - v);
    if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
        host++;
        hlen -= 2;
    }
    char *end = NULL;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || *end != '\0' || port > 65535 || hlen == 0 ||
        hlen >= sizeof cfg->listen_host) {
        return -1;
    }
    memcpy(cfg->listen_host, host, hlen);
    cfg->listen_host[hlen] = '\0';
    cfg->listen_port = (unsigned)port;
    return 0;
}

static int set(wardd_config *cfg, const opt *o, const char *v)
{
    char *base = (char *)cfg;
    char *end = NULL;
    errno = 0;
    switch (o->kind) {
    case K_LISTEN:
        return set_listen(cfg, v);
    case K_STR:
        if (strlen(v) >= o->cap) {
            return -1;
        }
        memcpy(base + o->off, v, strlen(v) + 1);
        return 0;
    case K_CIDR: {
        wardd_cidrs *list = (wardd_cidrs *)(void *)(base + o->off);
        if (list->n >= WARDD_CIDRS_MAX || !wardd_cidr_parse(v, &list->v[list->n])) {
            return -1;
        }
        list->n++;
        return 0;
    }
    case K_PATHS: {
        wardd_paths *list = (wardd_paths *)(void *)(base + o->off);
        if (list->n >= WARDD_PATHS_MAX || *v == '\0' || strlen(v) >= sizeof list->v[0]) {
            return -1;
        }
        memcpy(list->v[list->n++], v, strlen(v) + 1);
        return 0;
    }
    case K_LONG: {
        long n = strtol(v, &end, 10);
        if (errno || *v == '\0' || *end != '\0' || n <= 0) {
            return -1;
        }
        memcpy(base + o->off, &n, sizeof n);
        return 0;
    }
    case K_UINT: {
        unsigned long n = strtoul(v, &end, 10);
        if (errno || *v == '\0' || *end != '\0' || *v == '-' || n > 1000000) {
            return -1;
        }
        unsigned u = (unsigned)n;
        memcpy(base + o->off, &u, sizeof u);
        return 0;
    }
    }
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    return s;
}

static int load_file(wardd_config *cfg, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        say("cannot read config %s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#') {
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            say("%s:%d: `key = value` expected", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        const opt *o = find(key);
        if (o == NULL || set(cfg, o, val) != 0) {
            say("%s:%d: bad setting '%s'", path, lineno, key);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

/* Splits "--name=value" or "--name value"; *i moves past what it used. */
static int flag_value(int argc, char **argv, int *i, char *name, size_t cap,
                      const char **value)
{
    const char *a = argv[*i] + 2;
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    if (n >= cap) {
        return -1;
    }
    memcpy(name, a, n);
    name[n] = '\0';
    if (eq != NULL) {
        *value = eq + 1;
    } else if (*i + 1 < argc) {
        *value = argv[++*i];
    } else {
        *value = NULL;
    }
    return 0;
}

int wardd_config_parse(int argc, char **argv, wardd_config *cfg)
{
    quiet = false;
    return parse(argc, argv, cfg);
}

int wardd_config_reload(int argc, char **argv, wardd_config *next, char *why, size_t cap)
{
    quiet = true;
    complaint[0] = '\0';
    int rc = parse(argc, argv, next);
    quiet = false;
    snprintf(why, cap, "%s", complaint);
    return rc;
}

/* Whether setting o differs between a and b. */
static bool differs(const opt *o, const wardd_config *a, const wardd_config *b)
{
    if (o->kind == K_LISTEN) {
        return strcmp(a->listen_host, b->listen_host) != 0 || a->listen_port != b->listen_port;
    }
    const char *pa = (const char *)a + o->off, *pb = (const char *)b + o->off;
    if (o->kind == K_STR) {
        return strcmp(pa, pb) != 0;
    }
    if (o->kind == K_PATHS) {
        const wardd_paths *la = (const wardd_paths *)(const void *)pa;
        const wardd_paths *lb = (const wardd_paths *)(const void *)pb;
        if (la->n != lb->n) {
            return true;
        }
        for (unsigned i = 0; i < la->n; i++) {
            if (strcmp(la->v[i], lb->v[i]) != 0) {
                return true;
            }
        }
        return false;
    }
    if (o->kind == K_CIDR) {
        const wardd_cidrs *la = (const wardd_cidrs *)(const void *)pa;
        const wardd_cidrs *lb = (const wardd_cidrs *)(const void *)pb;
        return la->n != lb->n || memcmp(la->v, lb->v, la->n * sizeof la->v[0]) != 0;
    }
    return memcmp(pa, pb, o->cap) != 0;
}

void wardd_config_live(wardd_config *cur, const wardd_config *next,
                       void (*fn)(void *ctx, const char *name, bool applied), void *ctx)
{
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        const opt *o = &opts[i];
        if (!differs(o, cur, next)) {
            continue;
        }
        if (o->live) {
            /* Request threads read these while this runs: one atomic
             * store each (WARDD_LIVE reads them). */
            char *dst = (char *)cur + o->off;
            const char *src = (const char *)next + o->off;
            if (o->kind == K_LONG) {
                long v;
                memcpy(&v, src, sizeof v);
                __atomic_store_n((long *)(void *)dst, v, __ATOMIC_RELAXED);
            } else {
                unsigned v;
                memcpy(&v, src, sizeof v);
                __atomic_store_n((unsigned *)(void *)dst, v, __ATOMIC_RELAXED);
            }
        }
        fn(ctx, o->name, o->live);
    }
}

static int parse(int argc, char **argv, wardd_config *cfg)
{
    defaults(cfg);
    /* First pass: --help, --version and the config file, which flags override. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return WARDD_PARSE_EXIT;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("wardd %s\n", WARDD_VERSION);
            return WARDD_PARSE_EXIT;
        }
    }
    for (int i = 1; i < argc; i++) {
        char name[32];
        const char *v = NULL;
        if (strncmp(argv[i], "--", 2) != 0) {
            continue;
        }
        int j = i;
        if (flag_value(argc, argv, &j, name, sizeof name, &v) == 0 &&
            strcmp(name, "config") == 0) {
            if (v == NULL || load_file(cfg, v) != 0) {
                return WARDD_PARSE_ERROR;
            }
        }
    }
    for (int i = 1; i < argc; i++) {
        char name[32];
        const char *v = NULL;
        if (strncmp(argv[i], "--", 2) != 0 ||
            flag_value(argc, argv, &i, name, sizeof name, &v) != 0) {
            say("unexpected argument '%s' (see --help)", argv[i]);
            return WARDD_PARSE_ERROR;
        }
        if (strcmp(name, "config") == 0) {
            continue;
        }
        const opt *o = find(name);
        if (o == NULL) {
            say("unknown option --%s (see --help)", name);
            return WARDD_PARSE_ERROR;
        }
        if (v == NULL || set(cfg, o, v) != 0) {
            say("bad value for --%s", name);
            return WARDD_PARSE_ERROR;
        }
    }
    if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0')) {
        say("--tls-cert and --tls-key go together");
        return WARDD_PARSE_ERROR;
    }
    if (cfg->time_per_addr == 0) {
        say("--time-per-addr must be positive");
        return WARDD_PARSE_ERROR;
    }
    if (cfg->pkcs11_uri[0] != '\0' && strncmp(cfg->pkcs11_uri, "pkcs11:", 7) != 0) {
        say("--pkcs11-uri: a PKCS#11 URI (pkcs11:token=...)");
        return WARDD_PARSE_ERROR;
    }
    if (cfg->max_connections == 0) {
        say("--max-connections must be positive");
        return WARDD_PARSE_ERROR;
    }
    if (cfg->fw_max_bytes > (long)WARD_FW_SIZE_MAX) {
        say("--fw-max-bytes is at most %lu", (unsigned long)WARD_FW_SIZE_MAX);
        return WARDD_PARSE_ERROR;
    }
    if (cfg->header_deadline_s > WARDD_DEADLINE_MAX_S ||
        cfg->body_deadline_s > WARDD_DEADLINE_MAX_S) {
        say("--header-deadline and --body-deadline are at most %d s", WARDD_DEADLINE_MAX_S);
        return WARDD_PARSE_ERROR;
    }
    return WARDD_PARSE_RUN;
}

ward_err wardd_factory_pub_load(const ward_crypto *cp, const char *path,
                                uint8_t pub[WARD_P256_POINT_LEN])
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return WARD_ERR_IO;
    }
    char buf[2 * WARD_P256_POINT_LEN + 4];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (n > 0 && buf[n - 1] == '\n') {
        buf[--n] = '\0';
    }
    size_t len = 0;
    if (n != 2 * WARD_P256_POINT_LEN ||
        ward_hex_decode(buf, n, pub, WARD_P256_POINT_LEN, &len) != WARD_OK ||
        len != WARD_P256_POINT_LEN) {
        return WARD_ERR_FORMAT;
    }
    return cp->p256_point_check(pub);
}
