/* `ward gateway subdevices`: the owner's side of a running gateway's sub-devices (list, open the
 * join window, remove one) through its control socket G/gateway.sock (gw_subs.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "gw_subs.h"
#include "ward/ward_files.h"

#define ANSWER_WAIT_MS 5000
#define ANSWER_MAX 4096

/* Sends req to the gateway of dir and prints its answer lines; the last
 * one says ok or error. */
static int ask(const char *dir, const char *req)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    char *path = ward_path_join(dir, GWS_CTL);
    if (path == NULL) {
        return cli_fail("out of memory");
    }
    if (strlen(path) >= sizeof a.sun_path) {
        int rc = cli_fail("%s: a path too long for a socket", path);
        free(path);
        return rc;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int rc = cli_fail("%s: the gateway is not running with --sub-port (ward gateway run): %s",
                          dir, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        free(path);
        return rc;
    }
    free(path);
    size_t n = strlen(req);
    if (send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n) {
        close(fd);
        return cli_fail("the gateway closed its control socket: %s", strerror(errno));
    }
    static char buf[ANSWER_MAX + 1];
    size_t have = 0;
    long long end = cli_mono_ms() + ANSWER_WAIT_MS;
    while (have < ANSWER_MAX) {
        long long left = end - cli_mono_ms();
        struct pollfd p = { fd, POLLIN, 0 };
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            break;
        }
        ssize_t k = recv(fd, buf + have, ANSWER_MAX - have, 0);
        if (k <= 0) {
            break;
        }
        have += (size_t)k;
    }
    close(fd);
    buf[have] = '\0';
    /* Every line but the last is shown as it is; the last says how it went. */
    char *last = NULL, *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (last != NULL) {
            printf("%s\n", last);
        }
        last = line;
    }
    if (last != NULL && strncmp(last, "ok", 2) == 0) {
        if (last[2] == ' ') {
            printf("%s\n", last + 3);
        }
        return 0;
    }
    if (last != NULL && strncmp(last, "error ", 6) == 0) {
        return cli_fail("%s", last + 6);
    }
    return cli_fail("no answer from the gateway in %d s", ANSWER_WAIT_MS / 1000);
}

int cmd_gateway_subdevices(int argc, char **argv)
{
    const char *dir = NULL, *open_s = NULL, *tries_s = NULL, *remove = NULL, *close_w = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "open", true, &open_s }, { "tries", true, &tries_s },
        { "remove", true, &remove }, { "close", false, &close_w },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    int actions = (open_s != NULL) + (remove != NULL) + (close_w != NULL);
    if (dir == NULL || actions > 1 || (tries_s != NULL && open_s == NULL)) {
        return cli_usage("usage: ward gateway subdevices --dir G [--open SECONDS [--tries N] | "
                         "--close | --remove ID]");
    }
    char req[96];
    if (open_s != NULL) {
        unsigned secs = 0;
        unsigned long tries = 0;
        if ((rc = cli_seconds_opt("open", open_s, 0, &secs)) != 0 ||
            (rc = cli_number_opt("tries", tries_s, 3, 1, WARD_GW_SUB_TRIES_MAX, &tries)) != 0) {
            return rc;
        }
        if (secs == 0 || secs > WARD_GW_SUB_WINDOW_MAX_MS / 1000u) {
            return cli_usage("--open: 1 to %u seconds", WARD_GW_SUB_WINDOW_MAX_MS / 1000u);
        }
        snprintf(req, sizeof req, "open %u %lu\n", secs, tries);
    } else if (remove != NULL) {
        size_t n = strlen(remove);
        bool hex = n == 2 * WARD_GW_SUB_ID_LEN;
        for (size_t i = 0; hex && i < n; i++) {
            hex = strchr("0123456789abcdefABCDEF", remove[i]) != NULL;
        }
        if (!hex) {
            return cli_usage("--remove: a sub-device id, 32 hex digits, not '%s'", remove);
        }
        snprintf(req, sizeof req, "remove %s\n", remove);
    } else if (close_w != NULL) {
        snprintf(req, sizeof req, "close\n");
    } else {
        snprintf(req, sizeof req, "list\n");
    }
    return ask(dir, req);
}
