/* Error lines and long-option parsing shared by every command. */
#include "cli.h"
#include "help.h"
#include "json_out.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ward/ward_encode.h"
#include "ward/ward_files.h"
#include "ward/ward_http.h"

static void vline(const char *fmt, va_list ap)
{
    fputs("ward: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(fmt, ap);
    va_end(ap);
    return CLI_EXIT_FAIL;
}

int cli_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(fmt, ap);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

static const cli_option *find_option(const cli_option *opts, int nopts,
                                     const char *name, size_t len)
{
    for (int i = 0; i < nopts; i++) {
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) {
            return &opts[i];
        }
    }
    return NULL;
}

/* Whether --help or -h is among the arguments (not as an option's value),
 * whatever else is wrong with them. */
static bool wants_help(int argc, char **argv, const cli_option *opts, int nopts)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            return true;
        }
        if (strncmp(arg, "--", 2) == 0 && strchr(arg, '=') == NULL) {
            const cli_option *opt = find_option(opts, nopts, arg + 2, strlen(arg + 2));
            i += opt != NULL && opt->takes_value;
        }
    }
    return false;
}

int cli_parse(int argc, char **argv, const cli_option *opts, int nopts,
              char **pos, int pos_cap, int *npos)
{
    *npos = 0;
    if (wants_help(argc, argv, opts, nopts)) {
        if (cli_current == NULL) {
            return cli_fail("internal: no help for this command");
        }
        int rc = cli_help_check(cli_current, opts, nopts);
        if (rc != 0) {
            return rc;
        }
        cli_help_command(stdout, cli_current);
        return CLI_HELP_SHOWN;
    }
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (*npos >= pos_cap) {
                return cli_usage("unexpected argument '%s' (see ward %s --help)", arg,
                                 cli_current ? cli_current->path : "");
            }
            pos[(*npos)++] = argv[i];
            continue;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_option *opt = find_option(opts, nopts, name, len);
        if (opt == NULL) {
            return cli_usage("unknown option '--%.*s' (see ward %s --help)", (int)len, name,
                             cli_current ? cli_current->path : "");
        }
        if (!opt->takes_value) {
            if (eq) {
                return cli_usage("option '--%s' takes no value", opt->name);
            }
            *opt->value = "";
        } else if (eq) {
            *opt->value = eq + 1;
        } else if (i + 1 < argc) {
            *opt->value = argv[++i];
        } else {
            return cli_usage("option '--%s' needs a value", opt->name);
        }
    }
    return 0;
}

const char *cli_file_why(ward_err err, int os_errno, const char *not_what)
{
    if ((err == WARD_ERR_IO || err == WARD_ERR_NOTFOUND) && os_errno != 0) {
        return strerror(os_errno);
    }
    if (err == WARD_ERR_FORMAT && not_what != NULL) {
        return not_what;
    }
    return ward_strerror(err);
}

int cli_read_bin(const char *path, uint8_t *buf, size_t cap, size_t *len, const char *what)
{
    char *data = NULL;
    ward_err err = ward_file_read(path, cap, &data, len);
    if (err != WARD_OK) {
        return cli_fail("cannot read %s %s: %s", what, path,
                        cli_file_why(err, errno, "too large to be one"));
    }
    memcpy(buf, data, *len);
    free(data);
    return 0;
}

int cli_seconds(const char *text, unsigned *seconds)
{
    char *end = NULL;
    if (text == NULL || *text < '0' || *text > '9') {
        return -1;
    }
    unsigned long v = strtoul(text, &end, 10);
    if (*end != '\0' || v > 86400ul) {
        return -1;
    }
    *seconds = (unsigned)v;
    return 0;
}

int cli_seconds_opt(const char *name, const char *text, unsigned dflt, unsigned *seconds)
{
    *seconds = dflt;
    if (text != NULL && cli_seconds(text, seconds) != 0) {
        return cli_usage("--%s: whole seconds (0 to 86400) expected, not '%s'", name, text);
    }
    return 0;
}

int cli_number_opt(const char *name, const char *text, unsigned long dflt, unsigned long lo,
                   unsigned long hi, unsigned long *value)
{
    char *end = NULL;
    *value = dflt;
    if (text == NULL) {
        return 0;
    }
    /* strtoul would take "-5" (as ULONG_MAX - 4), " 5" and "+5". */
    unsigned long v = *text >= '0' && *text <= '9' ? strtoul(text, &end, 10) : 0;
    if (end == NULL || *end != '\0' || v < lo || v > hi || (v == ULONG_MAX && hi != v)) {
        return cli_usage("--%s: a whole number from %lu to %lu expected, not '%s'", name, lo,
                         hi, text);
    }
    *value = v;
    return 0;
}

int cli_server_opt(const char **url)
{
    static char kept[WARD_CLI_URL_MAX + 1];
    if (*url == NULL) {
        return 0;
    }
    if (!ward_http_url_ok(*url)) {
        return cli_usage("--server: an http:// or https:// URL expected, not '%s'", *url);
    }
    size_t n = strlen(*url);
    while (n > 0 && (*url)[n - 1] == '/') {
        n--;
    }
    if (n > WARD_CLI_URL_MAX) {
        return cli_usage("--server: a URL of at most %d characters expected",
                         WARD_CLI_URL_MAX);
    }
    /* Kept without its trailing '/': wardd's routes are appended to it. */
    memcpy(kept, *url, n);
    kept[n] = '\0';
    *url = kept;
    return 0;
}

volatile sig_atomic_t cli_stopping;

static void on_stop_signal(int sig)
{
    (void)sig;
    cli_stopping = 1;
}

bool cli_cancelled(void *ctx)
{
    (void)ctx;
    return cli_stopping != 0;
}

long long cli_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cli_hex(const uint8_t *in, size_t len, char *out)
{
    if (ward_hex_encode(in, len, out, 2 * len + 1) != WARD_OK) {
        out[0] = '\0';   /* only when len is absurd: the caller's buffer holds 2 * len + 1 */
    }
}

void cli_nap(unsigned ms)
{
    while (ms > 0 && !cli_stopping) {
        unsigned step = ms < 100u ? ms : 100u;
        struct timespec ts = { 0, (long)step * 1000000L };
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

void cli_catch_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cli_parse_listing(int argc, char **argv, const char *usage, const char **dir,
                      const char **json)
{
    const cli_option opts[] = { { "dir", true, dir }, { "json", false, json } };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (*dir == NULL) {
        return cli_usage("%s", usage);
    }
    if (*json != NULL) {
        cli_json_begin();
    }
    return 0;
}
