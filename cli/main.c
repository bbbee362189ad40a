/* `ward`: one tool that plays every role of the system. This file only
 * finds the command named on the command line and runs it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ward/ward_http.h"

static const cli_command commands[] = {
    { "selftest", cmd_selftest,
      "run the published known-answer vectors on a crypto backend "
      "[--backend openssl|mbedtls|all] [--verbose]" },
    { "version", cmd_version, "print the version and the configured crypto backend" },
    { "factory keygen", cmd_factory_keygen,
      "make the manufacturer key pair: --out DIR" },
    { "lock init", cmd_lock_init,
      "make a lock's identity and activate it: --dir D --sn SN --server URL "
      "--factory-key FILE" },
    { "lock bind", cmd_lock_bind,
      "bind an app: show the QR code, read the SMS code: --dir D --phone P [--code C]" },
    { "lock bind-start", cmd_lock_bind_start,
      "first half of bind: --dir D --phone P --qr-out FILE.png" },
    { "lock bind-finish", cmd_lock_bind_finish,
      "second half of bind: --dir D --code CODE [--wait S]" },
    { "lock clients", cmd_lock_clients, "list the apps bound to the lock: --dir D" },
    { "lock sync", cmd_lock_sync,
      "send wardd what it has not acknowledged (a binding's confirmation): --dir D" },
    { "lock request", cmd_lock_request,
      "ask the bound apps to allow an operation (given up and withdrawn after --timeout "
      "or on Ctrl-C): --dir D --op unlock|intercom|video|add [--user U] [--timeout S] "
      "[--ttl S]" },
    { "lock run", cmd_lock_run,
      "run the lock: serve the near-field link, apply and answer revocations from wardd: "
      "--dir D" },
    { "lock audit", cmd_lock_audit, "the lock's own audit ring: --dir D" },
    { "app register", cmd_app_register,
      "make the app's account and key, verify its phone by the SMS code: --dir A "
      "--server URL --user U --phone P [--code C] | --dir A --code C" },
    { "app scan", cmd_app_scan,
      "scan a lock's QR code and upload the binding: --dir A --qr FILE.png [--wait S] "
      "[--rebind: completes once the old binding is revoked at the lock] (see --help)" },
    { "app status", cmd_app_status,
      "ask wardd about pending bindings: --dir A [--wait S]" },
    { "app forget", cmd_app_forget,
      "drop a binding begun with a lock and not finished (never one in use): --dir A "
      "--sn SN" },
    { "app recover", cmd_app_recover,
      "a new phone: import the key, restore locks from escrow: --dir A --from-key FILE" },
    { "app pending", cmd_app_pending, "requests waiting for this app's answer: --dir A [--wait S]" },
    { "app approve", cmd_app_approve,
      "allow a request: --dir A OP_ID [--wait S] [--from-escrow]" },
    { "app deny", cmd_app_deny, "refuse a request: --dir A OP_ID [--wait S]" },
    { "app near", cmd_app_near,
      "at the door, over the direct link: --dir A --link SOCKET [--op unlock] [--sn SN]" },
    { "app revoke", cmd_app_revoke,
      "remove a client from a lock, confirmed by the lock itself: --dir A --user U "
      "[--sn SN] [--timeout S] [--from-escrow]" },
    { "app clients", cmd_app_clients, "a lock's clients as wardd records them: --dir A [--sn SN]" },
    { "app audit", cmd_app_audit, "wardd's audit of a lock (owner, admin): --dir A [--sn SN]" },
    { "app forget-key", cmd_app_forget_key,
      "keep no authorization key on this phone; answer from escrow: --dir A [--sn SN]" },
    { "se run", cmd_se_run,
      "a simulated secure element on a Unix socket: --dir S --link PATH [--backend B]" },
    { "se host", cmd_se_host,
      "the SE's host: --dir H --link PATH bind [--r1-by se|host] [--variant sym|asym] "
      "[--f hmac-sha256|aes-cmac|hmac-sm3|sm4-cmac] | lock | verify [--then CMD]... | "
      "cmd CMD..." },
    { "device init", cmd_device_init,
      "make an IoT device's identity and activate it: --dir D --id ID --server URL "
      "--factory-key FILE [--name N] [--type T]" },
    { "device run", cmd_device_run,
      "run the device: near-field CoAP and far-field through wardd; a pairing window "
      "(its PIN printed) at start, on each stdin line and on SIGUSR1: "
      "--dir D [--server URL] [--listen HOST:PORT] (see --help)" },
    { "app pair", cmd_app_pair,
      "bind to a device with the PIN it shows: --dir A --device ID [--near HOST:PORT] "
      "[--pin PIN]" },
    { "app send", cmd_app_send,
      "a command to a paired device, print its reply: --dir A --device ID "
      "[--via near|far] CMD..." },
    { "app discover", cmd_app_discover,
      "devices on the LAN and in the cloud list: --dir A [--scan HOST:PORT-PORT]" },
};

#define NCOMMANDS (int)(sizeof(commands) / sizeof(commands[0]))

static void help(FILE *out)
{
    fprintf(out, "usage: ward [--cacert FILE] <command> [options]\n\n"
                 "global options (before or after the command):\n"
                 "  --cacert FILE      trust the CAs in FILE (PEM) for wardd's HTTPS "
                 "certificate,\n"
                 "                     instead of the system's (default: $SSL_CERT_FILE if "
                 "set)\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++) {
        fprintf(out, "  %-18s %s\n", commands[i].path, commands[i].summary);
    }
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

int main(int argc, char **argv)
{
    int rc = take_global_options(&argc, argv);
    if (rc != 0) {
        return rc;
    }
    if (argc < 2) {
        help(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        help(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        return cmd_version(0, NULL);
    }
    int words = 0;
    const cli_command *cmd = lookup(argc - 1, argv + 1, &words);
    if (cmd == NULL) {
        return cli_usage("unknown command '%s' (see ward --help)", argv[1]);
    }
    return cmd->run(argc - 1 - words, argv + 1 + words);
}
