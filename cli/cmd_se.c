/* `ward se run` and `ward se host`: a simulated secure element on a Unix
 * socket and the host it is bound to (flow E). A power cycle of either
 * is a process restart; each keeps its state in DIR/store.bin. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "keystore.h"
#include "se_link.h"
#include "ward/ward_files.h"
#include "ward/ward_host.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_se.h"

#define STORE_FILE "store.bin"
#define STORE_SIZE (2u * 4096u)
#define LINK_TIMEOUT_MS 10000u
#define MAX_THEN 16

/* DIR/store.bin through the file port. Returns 0 or an exit code. */
static int open_store(const char *dir, ward_file_port *fp, ward_store_port *port)
{
    if (ward_mkdir(dir, 0700) != WARD_OK) {
        return cli_fail("cannot create %s: %s", dir, strerror(errno));
    }
    char *path = ward_path_join(dir, STORE_FILE);
    ward_err err = path ? ward_file_port_open(fp, path, STORE_SIZE, port) : WARD_ERR_IO;
    free(path);
    if (err != WARD_OK) {
        return cli_fail("cannot open %s/%s: %s", dir, STORE_FILE,
                        cli_file_why(err, fp->os_errno, "not an SE's store (another size, or "
                                     "not a file: damaged, or another file)"));
    }
    return 0;
}

static const ward_crypto *pick_backend(const char *name)
{
    if (name == NULL) {
        ward_host host;
        ward_host_init(&host);
        return host.crypto;
    }
    return ward_host_backend(name);
}

/* ---- The secure element ---- */

/* The SE's services, for the demo: what a real SE would do with its keys. */
static size_t serve(const ward_se_elem *se, const uint8_t *cmd, size_t len, uint8_t *out,
                    unsigned served)
{
    char text[WARD_SE_CMD_MAX + 1];
    memcpy(text, cmd, len);
    text[len] = '\0';
    int n;
    if (strncmp(text, "echo ", 5) == 0) {
        n = snprintf((char *)out, WARD_SE_CMD_MAX + 1, "%s", text + 5);
    } else if (strcmp(text, "id") == 0) {
        char id[2 * WARD_SE_ID_LEN + 1];
        ward_se_elem_info info;
        ward_se_elem_get_info(se, &info);
        cli_hex(info.id, WARD_SE_ID_LEN, id);
        n = snprintf((char *)out, WARD_SE_CMD_MAX + 1, "%s", id);
    } else if (strcmp(text, "count") == 0) {
        n = snprintf((char *)out, WARD_SE_CMD_MAX + 1, "%u", served);
    } else {
        n = snprintf((char *)out, WARD_SE_CMD_MAX + 1, "unknown command");
    }
    return n < 0 ? 0 : ((size_t)n > WARD_SE_CMD_MAX ? WARD_SE_CMD_MAX : (size_t)n);
}

static void log_event(const char *id, const ward_se_event *ev)
{
    switch (ev->kind) {
    case WARD_SE_EV_BOUND:
        printf("[se %s] bound\n", id);
        break;
    case WARD_SE_EV_LOCKED:
        printf("[se %s] bind-locked\n", id);
        break;
    case WARD_SE_EV_CHALLENGE:
        printf("[se %s] challenge sent\n", id);
        break;
    case WARD_SE_EV_VERIFIED:
        printf("[se %s] verified: services on\n", id);
        break;
    case WARD_SE_EV_COMMAND:
        printf("[se %s] command: %.*s\n", id, (int)ev->len, (const char *)ev->data);
        break;
    case WARD_SE_EV_REFUSED:
        if (ev->wait_ms > 0) {
            printf("[se %s] refused: %s (wait %u ms)\n", id, ward_strerror(ev->err),
                   (unsigned)ev->wait_ms);
        } else {
            printf("[se %s] refused: %s\n", id, ward_strerror(ev->err));
        }
        break;
    default:
        break;
    }
    fflush(stdout);
}

/* One host connection: frames in, frames out, until it hangs up. */
static void serve_link(ward_se_elem *se, int fd, const char *id)
{
    uint8_t in[WARD_SE_FRAME_MAX], out[WARD_SE_FRAME_MAX], reply[WARD_SE_CMD_MAX + 1];
    size_t len = 0, out_len = 0;
    unsigned served = 0;
    ward_se_event ev;
    while (!cli_stopping) {
        ward_err err = se_link_read(fd, in, &len, 500);
        if (err == WARD_ERR_EXPIRED) {
            continue;
        }
        if (err != WARD_OK) {
            break;
        }
        if (ward_se_elem_input(se, in, len, &ev, out, sizeof out, &out_len) != WARD_OK) {
            break;
        }
        log_event(id, &ev);
        if (ev.kind == WARD_SE_EV_COMMAND) {
            size_t n = serve(se, ev.data, ev.len, reply, ++served);
            if (ward_se_elem_reply(se, reply, n, out, sizeof out, &out_len) != WARD_OK) {
                break;
            }
        }
        if (out_len > 0 && se_link_write(fd, out, out_len) != WARD_OK) {
            break;
        }
    }
    /* The link is gone: so is the session. */
    ward_se_elem_end_session(se);
}

int cmd_se_run(int argc, char **argv)
{
    const char *dir = NULL, *link = NULL, *backend = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "link", true, &link }, { "backend", true, &backend },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || link == NULL) {
        return cli_usage("usage: ward se run --dir S --link PATH [--backend openssl|mbedtls]");
    }
    const ward_crypto *cp = pick_backend(backend);
    if (cp == NULL) {
        return cli_usage("unknown backend '%s' (openssl or mbedtls)", backend);
    }
    ward_file_port fp;
    ward_store_port port;
    if ((rc = open_store(dir, &fp, &port)) != 0) {
        return rc;
    }
    ward_random rng = ward_random_posix();
    ward_clock clock = ward_clock_posix();
    ward_se_elem se;
    ward_err err = ward_se_elem_open(&se, cp, &rng, &clock, &port);
    if (err != WARD_OK) {
        ward_file_port_close(&fp);
        return cli_fail("cannot start the SE from %s: %s", dir,
                        cli_file_why(err, fp.os_errno, NULL));
    }
    int srv = se_link_listen(link);
    if (srv < 0) {
        int os = errno;
        ward_se_elem_close(&se);
        ward_file_port_close(&fp);
        return cli_fail("cannot listen on %s: %s", link, strerror(os));
    }
    cli_catch_stop();

    static const char *const states[] = { "unbound", "bound", "bind-locked" };
    char id[2 * WARD_SE_ID_LEN + 1];
    ward_se_elem_info info;
    ward_se_elem_get_info(&se, &info);
    cli_hex(info.id, WARD_SE_ID_LEN, id);
    printf("[se %s] powered up (%s, %s); link %s\n", id, states[info.state], cp->name, link);
    fflush(stdout);
    while (!cli_stopping) {
        struct pollfd p = { srv, POLLIN, 0 };
        if (poll(&p, 1, 200) <= 0) {
            continue;
        }
        int fd = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            serve_link(&se, fd, id);
            close(fd);
        }
    }
    close(srv);
    unlink(link);
    ward_se_elem_close(&se);
    ward_file_port_close(&fp);
    printf("[se %s] powered down\n", id);
    return 0;
}

/* ---- The host ---- */

typedef struct host_run {
    ward_se_host h;
    const ward_crypto *cp;
    ward_file_port fp;
    int fd;
} host_run;

/* Sends a frame, reads the SE's reply, hands it to the core. On success
 * *ev says what happened and out holds any frame to send next. */
static ward_err exchange(host_run *r, const uint8_t *frame, size_t len, ward_se_event *ev,
                         uint8_t *out, size_t *out_len)
{
    uint8_t in[WARD_SE_FRAME_MAX];
    size_t in_len = 0;
    ward_err err = se_link_write(r->fd, frame, len);
    if (err == WARD_OK) {
        err = se_link_read(r->fd, in, &in_len, LINK_TIMEOUT_MS);
    }
    if (err != WARD_OK) {
        memset(ev, 0, sizeof *ev);
        return WARD_ERR_IO;
    }
    return ward_se_host_input(&r->h, in, in_len, ev, out, WARD_SE_FRAME_MAX, out_len);
}

/* One line for a refusal or a failure. */
static int refused(const char *what, ward_err err, const ward_se_event *ev)
{
    if (ev->kind == WARD_SE_EV_REFUSED && err == WARD_ERR_BUSY) {
        return cli_fail("%s refused by the SE: back-off after wrong answers, wait %.1f s",
                        what, (double)ev->wait_ms / 1000.0);
    }
    if (ev->kind == WARD_SE_EV_REFUSED) {
        return cli_fail("%s refused by the SE: %s", what, ward_strerror(err));
    }
    if (err == WARD_ERR_IO) {
        return cli_fail("%s: the link to the SE failed", what);
    }
    return cli_fail("%s failed: %s", what, ward_strerror(err));
}

static int parse_choice(const char *v, const char *const *names, const uint8_t *values,
                        size_t n, uint8_t *out, const char *opt)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = values[i];
            return 0;
        }
    }
    return cli_usage("bad --%s '%s'", opt, v);
}

static const char *const f_names[] = { "hmac-sha256", "aes-cmac", "hmac-sm3", "sm4-cmac" };
static const uint8_t f_values[] = { WARD_SE_F_HMAC_SHA256, WARD_SE_F_AES_CMAC,
                                    WARD_SE_F_HMAC_SM3, WARD_SE_F_SM4_CMAC };

static int host_bind(host_run *r, const char *by_s, const char *variant_s, const char *f_s)
{
    static const char *const by_names[] = { "se", "host" };
    static const uint8_t by_values[] = { WARD_SE_R1_BY_SE, WARD_SE_R1_BY_HOST };
    static const char *const v_names[] = { "sym", "asym" };
    static const uint8_t v_values[] = { WARD_SE_VARIANT_SYM, WARD_SE_VARIANT_ASYM };
    uint8_t by = WARD_SE_R1_BY_SE, variant = WARD_SE_VARIANT_SYM, f = WARD_SE_F_HMAC_SHA256;
    int rc = 0;
    if ((by_s && (rc = parse_choice(by_s, by_names, by_values, 2, &by, "r1-by")) != 0) ||
        (variant_s && (rc = parse_choice(variant_s, v_names, v_values, 2, &variant,
                                         "variant")) != 0) ||
        (f_s && (rc = parse_choice(f_s, f_names, f_values, 4, &f, "f")) != 0)) {
        return rc;
    }
    uint8_t fr[WARD_SE_FRAME_MAX], out[WARD_SE_FRAME_MAX];
    size_t n = 0, m = 0;
    ward_se_event ev;
    memset(&ev, 0, sizeof ev);
    ward_err err = ward_se_host_bind(&r->h, by, variant, f, fr, sizeof fr, &n);
    if (err == WARD_ERR_LOCKED) {
        return cli_fail("this host is already bind-locked to an SE");
    }
    if (err == WARD_ERR_UNSUPPORTED) {
        return cli_fail("f %s is not available with %s", f_s, r->cp->name);
    }
    if (err == WARD_OK) {
        err = exchange(r, fr, n, &ev, out, &m);
    }
    if (err != WARD_OK) {
        return refused("binding", err, &ev);
    }
    char id[2 * WARD_SE_ID_LEN + 1];
    ward_se_host_info info;
    ward_se_host_get_info(&r->h, &info);
    cli_hex(info.se_id, WARD_SE_ID_LEN, id);
    printf("bound to SE %s (%s)\n", id,
           variant == WARD_SE_VARIANT_ASYM ? "asymmetric, P-256"
                                           : f_names[f - 1]);
    return 0;
}

static int host_lock(host_run *r)
{
    uint8_t fr[WARD_SE_FRAME_MAX], out[WARD_SE_FRAME_MAX];
    size_t n = 0, m = 0;
    ward_se_event ev;
    memset(&ev, 0, sizeof ev);
    ward_err err = ward_se_host_lock(&r->h, fr, sizeof fr, &n);
    if (err == WARD_ERR_STATE) {
        return cli_fail("this host is bound to no SE (run ward se host ... bind)");
    }
    if (err == WARD_OK) {
        err = exchange(r, fr, n, &ev, out, &m);
    }
    if (err != WARD_OK) {
        return refused("bind-lock", err, &ev);
    }
    char id[2 * WARD_SE_ID_LEN + 1];
    ward_se_host_info info;
    ward_se_host_get_info(&r->h, &info);
    cli_hex(info.se_id, WARD_SE_ID_LEN, id);
    printf("bind-locked to SE %s\n", id);
    return 0;
}

/* The power-up check, then each command in the same session. */
static int host_verify(host_run *r, char **cmds, int ncmds)
{
    uint8_t fr[WARD_SE_FRAME_MAX], ans[WARD_SE_FRAME_MAX];
    size_t n = 0, m = 0;
    ward_se_event ev;
    memset(&ev, 0, sizeof ev);
    ward_se_host_info info;
    ward_se_host_get_info(&r->h, &info);
    if (!info.bound) {
        return cli_fail("this host is bound to no SE (run ward se host ... bind)");
    }
    ward_err err = ward_se_host_hello(&r->h, fr, sizeof fr, &n);
    if (err == WARD_OK) {
        err = exchange(r, fr, n, &ev, ans, &m);
    }
    if (err == WARD_ERR_STATE && ev.se_state != WARD_SE_STATE_LOCKED) {
        return cli_fail("the SE is not bind-locked (run ward se host ... lock)");
    }
    if (err == WARD_OK) {
        err = exchange(r, ans, m, &ev, fr, &n);
    }
    if (err != WARD_OK) {
        return refused("verification", err, &ev);
    }
    printf("verified\n");
    fflush(stdout);
    for (int i = 0; i < ncmds; i++) {
        size_t len = strlen(cmds[i]);
        if (len > WARD_SE_CMD_MAX) {
            return cli_usage("command longer than %d bytes", WARD_SE_CMD_MAX);
        }
        err = ward_se_host_command(&r->h, (const uint8_t *)cmds[i], len, fr, sizeof fr, &n);
        if (err == WARD_OK) {
            err = exchange(r, fr, n, &ev, ans, &m);
        }
        if (err != WARD_OK) {
            return refused("command", err, &ev);
        }
        printf("%.*s\n", (int)ev.len, (const char *)ev.data);
        fflush(stdout);
    }
    return 0;
}

int cmd_se_host(int argc, char **argv)
{
    const char *dir = NULL, *link = NULL, *backend = NULL, *by = NULL, *variant = NULL,
               *f = NULL, *keystore = NULL;
    char *then[MAX_THEN];
    int nthen = 0;
    /* --then may come again and again: take those out first. */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (rest == NULL) {
        return cli_fail("out of memory");
    }
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--then") == 0) {
            if (i + 1 >= argc || nthen >= MAX_THEN) {
                free(rest);
                return cli_usage("--then needs a command (at most %d)", MAX_THEN);
            }
            then[nthen++] = argv[++i];
        } else {
            rest[nrest++] = argv[i];
        }
    }
    /* --then is listed for the help table's check; all were taken out above. */
    const char *then_seen = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir },         { "link", true, &link }, { "backend", true, &backend },
        { "r1-by", true, &by },        { "variant", true, &variant }, { "f", true, &f },
        { "then", true, &then_seen },  { "keystore", true, &keystore },
    };
    char *pos[1 + MAX_THEN];
    int npos = 0, rc = cli_parse(nrest, rest, opts, 8, pos, 1 + MAX_THEN, &npos);
    free(rest);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || link == NULL || npos < 1) {
        return cli_usage("usage: ward se host --dir H --link PATH [--keystore URI] bind "
                         "[--r1-by se|host] "
                         "[--variant sym|asym] [--f hmac-sha256|aes-cmac|hmac-sm3|sm4-cmac] "
                         "| lock | verify [--then CMD]... | cmd CMD...");
    }
    const char *what = pos[0];
    bool is_cmd = strcmp(what, "cmd") == 0;
    if (strcmp(what, "bind") != 0 && strcmp(what, "lock") != 0 &&
        strcmp(what, "verify") != 0 && !is_cmd) {
        return cli_usage("unknown se host action '%s' (bind, lock, verify, cmd)", what);
    }
    if ((is_cmd && npos < 2) || (!is_cmd && npos > 1) ||
        ((by || variant || f) && strcmp(what, "bind") != 0) ||
        (nthen > 0 && strcmp(what, "verify") != 0)) {
        return cli_usage("bad arguments for se host %s (see ward se host --help)", what);
    }
    const ward_crypto *cp = pick_backend(backend);
    if (cp == NULL) {
        return cli_usage("unknown backend '%s' (openssl or mbedtls)", backend);
    }
    host_run r;
    r.cp = cp;
    ward_store_port port;
    if ((rc = open_store(dir, &r.fp, &port)) != 0) {
        return rc;
    }
    ward_random rng = ward_random_posix();
    ward_err err = ward_se_host_open(&r.h, cp, &rng, &port);
    if (err != WARD_OK) {
        ward_file_port_close(&r.fp);
        return cli_fail("cannot read the host's state in %s: %s", dir, ward_strerror(err));
    }
    /* The asymmetric variant's key may be in a keystore (--keystore,
     * H/keystore). */
    ward_host kh;
    ward_host_init(&kh);
    kh.crypto = cp;
    cli_keystore_option(keystore);
    if ((rc = cli_keystore_attach(&kh, dir)) != 0) {
        ward_se_host_close(&r.h);
        ward_file_port_close(&r.fp);
        return rc;
    }
    ward_se_host_use_keystore(&r.h, kh.keystore);
    signal(SIGPIPE, SIG_IGN);
    r.fd = se_link_connect(link);
    if (r.fd < 0) {
        rc = cli_fail("cannot reach the SE at %s: %s", link, strerror(errno));
    } else if (strcmp(what, "bind") == 0) {
        rc = host_bind(&r, by, variant, f);
    } else if (strcmp(what, "lock") == 0) {
        rc = host_lock(&r);
    } else if (is_cmd) {
        rc = host_verify(&r, pos + 1, npos - 1);
    } else {
        rc = host_verify(&r, then, nthen);
    }
    if (r.fd >= 0) {
        close(r.fd);
    }
    ward_se_host_close(&r.h);
    ward_file_port_close(&r.fp);
    return rc;
}
