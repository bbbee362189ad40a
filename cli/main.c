/* `ward`: one tool that plays every role of the system. This file only
 * finds the command named on the command line and runs it; what each
 * command does and takes is in its help table (doc_*.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fw_http.h"
#include "help.h"
#include "ward/ward_http.h"

static const cli_command commands[] = {
    { "selftest", cmd_selftest },
    { "version", cmd_version },
    { "factory keygen", cmd_factory_keygen },
    { "factory cert", cmd_factory_cert },
    { "factory revoke", cmd_factory_revoke },
    { "factory check", cmd_factory_check },
    { "fw keygen", cmd_fw_keygen },
    { "fw sign", cmd_fw_sign },
    { "fw serve", cmd_fw_serve },
    { "lock init", cmd_lock_init },
    { "lock bind", cmd_lock_bind },
    { "lock bind-start", cmd_lock_bind_start },
    { "lock bind-finish", cmd_lock_bind_finish },
    { "lock clients", cmd_lock_clients },
    { "lock sync", cmd_lock_sync },
    { "lock request", cmd_lock_request },
    { "lock run", cmd_lock_run },
    { "lock audit", cmd_lock_audit },
    { "lock time", cmd_lock_time },
    { "lock update", cmd_lock_update },
    { "lock boot", cmd_lock_boot },
    { "app register", cmd_app_register },
    { "app scan", cmd_app_scan },
    { "app status", cmd_app_status },
    { "app recover", cmd_app_recover },
    { "app pending", cmd_app_pending },
    { "app approve", cmd_app_approve },
    { "app deny", cmd_app_deny },
    { "app near", cmd_app_near },
    { "app revoke", cmd_app_revoke },
    { "app clients", cmd_app_clients },
    { "app audit", cmd_app_audit },
    { "app forget-key", cmd_app_forget_key },
    { "app forget", cmd_app_forget },
    { "se run", cmd_se_run },
    { "se host", cmd_se_host },
    { "device init", cmd_device_init },
    { "device run", cmd_device_run },
    { "device time", cmd_device_time },
    { "device update", cmd_device_update },
    { "device boot", cmd_device_boot },
    { "subdevice init", cmd_subdevice_init },
    { "subdevice run", cmd_subdevice_run },
    { "app pair", cmd_app_pair },
    { "app send", cmd_app_send },
    { "app discover", cmd_app_discover },
    { "gateway init", cmd_gateway_init },
    { "gateway run", cmd_gateway_run },
    { "gateway reset", cmd_gateway_reset },
    { "gateway time", cmd_gateway_time },
    { "gateway update", cmd_gateway_update },
    { "gateway boot", cmd_gateway_boot },
    { "gateway subdevices", cmd_gateway_subdevices },
    { "app provision", cmd_app_provision },
    { "app gateways", cmd_app_gateways },
    { "peer init", cmd_peer_init },
    { "peer listen", cmd_peer_listen },
    { "peer connect", cmd_peer_connect },
    { "fw publish", cmd_fw_publish },
    { "fw fetch", cmd_fw_fetch },
};

#define NCOMMANDS (int)(sizeof(commands) / sizeof(commands[0]))

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* Takes the global options out of argv (wherever they are, before the
 * "--" that ends options) and applies them: --cacert FILE, else
 * $SSL_CERT_FILE, is the CA bundle of every HTTPS request to wardd, for
 * every role. Returns 0, or prints a usage line and returns
 * CLI_EXIT_USAGE. */
static int take_global_options(int *argc, char **argv)
{
    const char *ca = NULL;
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < *argc) {
                argv[kept++] = argv[i++];
            }
            break;
        }
        if (strcmp(argv[i], "--cacert") == 0) {
            if (i + 1 >= *argc) {
                return cli_usage("option '--cacert' needs a value");
            }
            ca = argv[++i];
        } else if (strncmp(argv[i], "--cacert=", 9) == 0) {
            ca = argv[i] + 9;
        } else {
            argv[kept++] = argv[i];
        }
    }
    *argc = kept;
    argv[kept] = NULL;
    if (ca != NULL && ca[0] == '\0') {
        return cli_usage("--cacert: a file name expected");
    }
    if (ca != NULL) {
        /* Given on this command line: a typo is said before anything. */
        FILE *f = fopen(ca, "r");
        if (f == NULL) {
            return cli_usage("--cacert: cannot read %s: %s", ca, strerror(errno));
        }
        fclose(f);
    } else {
        /* From the environment, as the curl tool takes it: only HTTPS
         * requests use it, and say so if it cannot be read. */
        ca = getenv("SSL_CERT_FILE");
        if (ca == NULL || ca[0] == '\0') {
            return 0;
        }
    }
    ward_http_set_ca_file(ca);
    cli_ca_file = ca;
    return 0;
}

/* Commands may be one word ("selftest") or two ("lock init"). */
static const cli_command *lookup(int argc, char **argv, int *words)
{
    for (int i = 0; i < NCOMMANDS; i++) {
        const char *path = commands[i].path;
        const char *space = strchr(path, ' ');
        if (space == NULL) {
            if (strcmp(argv[0], path) == 0) {
                *words = 1;
                return &commands[i];
            }
        } else if (argc >= 2 && strncmp(argv[0], path, (size_t)(space - path)) == 0 &&
                   argv[0][space - path] == '\0' && strcmp(argv[1], space + 1) == 0) {
            *words = 2;
            return &commands[i];
        }
    }
    return NULL;
}

/* Runs the command with argv; its help table names it in help and errors. */
static int run(const cli_command *cmd, int argc, char **argv)
{
    cli_current = cli_doc_find(cmd->path);
    int rc = cmd->run(argc, argv);
    return rc == CLI_HELP_SHOWN ? 0 : rc;
}

/* `ward help [COMMAND | GROUP]`. A command's help comes from its own
 * parser, which checks its options against the help table on the way. */
static int help(int argc, char **argv)
{
    if (argc == 0) {
        cli_help_list(stdout);
        return 0;
    }
    int words = 0;
    const cli_command *cmd = lookup(argc, argv, &words);
    if (cmd != NULL && words == argc) {
        static char help_flag[] = "--help";
        char *hargv[] = { help_flag, NULL };
        return run(cmd, 1, hargv);
    }
    const cli_doc_group *g = cli_doc_group_find(argv[0]);
    if (g != NULL && argc == 1) {
        cli_help_group(stdout, g);
        return 0;
    }
    return cli_usage("no command '%s%s%s' (see ward help)", argv[0], argc > 1 ? " " : "",
                     argc > 1 ? argv[1] : "");
}

int main(int argc, char **argv)
{
    int rc = take_global_options(&argc, argv);
    if (rc != 0) {
        return rc;
    }
    if (argc < 2) {
        cli_help_list(stderr);
        return CLI_EXIT_USAGE;
    }
    if (is_help(argv[1])) {
        cli_help_list(stdout);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0) {
        return help(argc - 2, argv + 2);
    }
    if (strcmp(argv[1], "--version") == 0) {
        return cmd_version(argc - 2, argv + 2);
    }
    int words = 0;
    const cli_command *cmd = lookup(argc - 1, argv + 1, &words);
    if (cmd != NULL) {
        return run(cmd, argc - 1 - words, argv + 1 + words);
    }
    /* A group alone, or asked for its help, lists its commands. */
    const cli_doc_group *g = cli_doc_group_find(argv[1]);
    if (g != NULL && argc == 2) {
        cli_help_group(stderr, g);
        return CLI_EXIT_USAGE;
    }
    if (g != NULL && is_help(argv[2])) {
        cli_help_group(stdout, g);
        return 0;
    }
    if (g != NULL) {
        return cli_usage("unknown command 'ward %s %s' (see ward %s --help)", argv[1], argv[2],
                         argv[1]);
    }
    return cli_usage("unknown command '%s' (see ward --help)", argv[1]);
}
