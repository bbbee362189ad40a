/* Prints `ward`'s help from the command tables (doc_*.c) and checks a
 * parser's options against them, so the two cannot drift apart. */
#include "help.h"

#include <stdbool.h>
#include <string.h>

const cli_doc *cli_current;

/* Columns: the option or command names, then their meaning. */
#define NAME_COL 26

static void list_docs(FILE *out, const cli_doc *docs)
{
    for (const cli_doc *d = docs; d->path != NULL; d++) {
        /* Two spaces at least between name and meaning: readers split there. */
        fprintf(out, "  %-18s %s%s\n", d->path, strlen(d->path) >= 18 ? " " : "", d->summary);
    }
}

void cli_help_list(FILE *out)
{
    fprintf(out, "usage: ward COMMAND [options]\n"
                 "       ward help [COMMAND]\n\n"
                 "ward plays every role of the ward system: the manufacturer, a smart lock,\n"
                 "the phone app, an IoT device, a secure element and its host.\n\n"
                 "commands:\n");
    for (const cli_doc_group *g = cli_doc_groups; g->name != NULL; g++) {
        list_docs(out, g->docs);
    }
    fprintf(out, "\nglobal options (before or after the command):\n"
                 "  %-*s %s\n  %-*s %s\n",
            NAME_COL - 2, "--cacert FILE",
            "trust the CAs in FILE (PEM) for wardd's HTTPS certificate",
            NAME_COL - 2, "", "(default: $SSL_CERT_FILE if set, else the system's)");
    fprintf(out, "\noptions:\n"
                 "  %-*s %s\n  %-*s %s\n\n"
                 "`ward COMMAND --help` (or `ward help COMMAND`) lists a command's options;\n"
                 "`ward GROUP --help` a group's commands (groups:",
            NAME_COL - 2, "-h, --help", "show this help and exit",
            NAME_COL - 2, "--version", "print the version and exit");
    for (const cli_doc_group *g = cli_doc_groups; g->name != NULL; g++) {
        if (g->name[0] != '\0') {
            fprintf(out, " %s", g->name);
        }
    }
    fprintf(out, "). See ward(1).\n");
}

void cli_help_group(FILE *out, const cli_doc_group *g)
{
    fprintf(out, "usage: ward %s COMMAND [options]\n\n%s\n\ncommands:\n", g->name, g->summary);
    list_docs(out, g->docs);
    fprintf(out, "\n`ward %s COMMAND --help` (or `ward help %s COMMAND`) lists a command's "
                 "options.\n", g->name, g->name);
}

static void option_line(FILE *out, const char *left, const char *help)
{
    if (strlen(left) + 2 > NAME_COL) {
        fprintf(out, "  %s\n  %-*s %s\n", left, NAME_COL - 2, "", help);
    } else {
        fprintf(out, "  %-*s %s\n", NAME_COL - 2, left, help);
    }
}

void cli_help_command(FILE *out, const cli_doc *d)
{
    fprintf(out, "usage: ward %s%s%s\n\n%s\n", d->path, d->synopsis[0] ? " " : "",
            d->synopsis, d->summary);
    if (d->details != NULL) {
        fprintf(out, "\n%s\n", d->details);
    }
    fprintf(out, "\noptions:\n");
    for (const cli_doc_opt *o = d->opts; o->name != NULL; o++) {
        char left[96];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
        option_line(out, left, o->help);
    }
    option_line(out, "-h, --help", "show this help and exit");
}

static const cli_doc_opt *doc_option(const cli_doc *d, const char *name)
{
    for (const cli_doc_opt *o = d->opts; o->name != NULL; o++) {
        if (strcmp(o->name, name) == 0) {
            return o;
        }
    }
    return NULL;
}

int cli_help_check(const cli_doc *d, const cli_option *opts, int nopts)
{
    int bad = 0;
    for (int i = 0; i < nopts; i++) {
        const cli_doc_opt *o = doc_option(d, opts[i].name);
        if (o == NULL || (o->arg != NULL) != opts[i].takes_value) {
            bad = cli_fail("internal: option --%s of '%s' is %s its help table (cli/doc_*.c)",
                           opts[i].name, d->path, o == NULL ? "missing from" : "unlike");
        }
    }
    for (const cli_doc_opt *o = d->opts; o->name != NULL; o++) {
        bool known = false;
        for (int i = 0; i < nopts; i++) {
            known = known || strcmp(opts[i].name, o->name) == 0;
        }
        if (!known) {
            bad = cli_fail("internal: the help of '%s' lists --%s, which its parser does "
                           "not take", d->path, o->name);
        }
    }
    return bad;
}
