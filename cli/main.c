/* `ward`: one tool that plays every role of the system. This file only
 * finds the command named on the command line and runs it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
    { "selftest", cmd_selftest,
      "run the published known-answer vectors on a crypto backend "
      "[--backend openssl|mbedtls|all] [--verbose]" },
    { "version", cmd_version, "print the version and the configured crypto backend" },
};

#define NCOMMANDS (int)(sizeof(commands) / sizeof(commands[0]))

static void help(FILE *out)
{
    fprintf(out, "usage: ward <command> [options]\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++) {
        fprintf(out, "  %-16s %s\n", commands[i].path, commands[i].summary);
    }
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
