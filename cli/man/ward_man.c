/* Writes the man page ward(1) to stdout from the commands' help tables
 * (cli/doc_*.c), at build time: the page cannot drift from `--help`. */
#include <stdio.h>
#include <string.h>

#include "doc.h"
#include "ward/ward.h"

/* Text for roff: a backslash or a dash escaped, a control character at
 * the start of a line neutralised. */
static void text(const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i] != '\0'; i++) {
        if ((i == 0 || s[i - 1] == '\n') && (s[i] == '.' || s[i] == '\'')) {
            fputs("\\&", stdout);
        }
        if (s[i] == '\\') {
            fputs("\\e", stdout);
        } else if (s[i] == '-') {
            fputs("\\-", stdout);
        } else {
            putchar(s[i]);
        }
    }
}

static void line(const char *s)
{
    text(s, strlen(s));
    putchar('\n');
}

/* Paragraphs apart by blank lines; an indented line is kept as it is. */
static void paragraphs(const char *s)
{
    while (*s != '\0') {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (n == 0) {
            puts(".PP");
        } else {
            if (s[0] == ' ') {
                puts(".br");
            }
            text(s, n);
            putchar('\n');
        }
        s += n + (nl != NULL);
    }
}

static void command(const cli_doc *d)
{
    printf(".SS \"");
    text(d->path, strlen(d->path));
    printf("\"\n.B ward ");
    line(d->path);
    if (d->synopsis[0] != '\0') {
        line(d->synopsis);
    }
    puts(".PP");
    line(d->summary);
    if (d->details != NULL) {
        puts(".PP");
        paragraphs(d->details);
    }
    for (const cli_doc_opt *o = d->opts; o->name != NULL; o++) {
        printf(".TP\n\\fB\\-\\-");
        text(o->name, strlen(o->name));
        printf("\\fR");
        if (o->arg != NULL) {
            printf(" \\fI");
            text(o->arg, strlen(o->arg));
            printf("\\fR");
        }
        putchar('\n');
        line(o->help);
    }
    puts(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nshow this help and exit");
}

int main(void)
{
    printf(".TH WARD 1 \"\" \"ward %s\" \"ward manual\"\n", WARD_VERSION_STRING);
    puts(".SH NAME\n"
         "ward \\- one tool that plays every role of the ward security suite\n"
         ".SH SYNOPSIS\n"
         ".B ward\n.RB [ \\-\\-cacert\n.IR FILE ]\n.I COMMAND\n.RI [ options ]\n.br\n"
         ".B ward help\n.RI [ COMMAND | GROUP ]\n.br\n"
         ".B ward\n.I GROUP\n.B \\-\\-help\n.br\n"
         ".B ward \\-\\-version\n"
         ".SH DESCRIPTION\n"
         ".B ward\n"
         "plays every role of the ward system: the manufacturer, a smart lock, the\n"
         "phone app, an IoT device, a secure element and its host.\n"
         "The relay server is\n.BR wardd (8).\n"
         ".PP\n"
         "Every command takes long options only, as\n"
         ".BI \\-\\- name \" VALUE\"\n"
         "or\n"
         ".BI \\-\\- name = VALUE\\fR.\n"
         "Each command answers\n.B \\-\\-help\n(or\n.BR \\-h );\n"
         ".B ward help\n"
         "lists the commands and\n"
         ".BI \"ward help \" COMMAND\n"
         "prints a command's options, as this page does.\n"
         ".SH GLOBAL OPTIONS\n"
         "Given before or after the command:\n"
         ".TP\n.BI \\-\\-cacert \" FILE\"\n"
         "Trust the certificate authorities in\n.I FILE\n(PEM) for wardd's HTTPS\n"
         "certificate instead of the system's, for every role.\n"
         ".SH ENVIRONMENT\n"
         ".TP\n.B SSL_CERT_FILE\n"
         "The CA bundle to trust when\n.B \\-\\-cacert\nis not given.\n"
         ".SH COMMANDS");
    for (const cli_doc_group *g = cli_doc_groups; g->name != NULL; g++) {
        if (g->name[0] != '\0') {
            printf(".SS \"");
            text(g->name, strlen(g->name));
            printf(" \\(em ");
            text(g->summary, strlen(g->summary));
            printf("\"\n");
            printf(".B ward %s\nalone lists these commands.\n", g->name);
        }
        for (const cli_doc *d = g->docs; d->path != NULL; d++) {
            command(d);
        }
    }
    puts(".SH EXIT STATUS\n"
         ".TP\n.B 0\nsuccess, and every help\n"
         ".TP\n.B 1\nthe command failed; one line on standard error says why\n"
         ".TP\n.B 2\na usage error: an unknown command or option, a missing or bad value\n"
         ".SH FILES\n"
         "Each role keeps its state in the directory given by\n.BR \\-\\-dir :\n"
         "keys are written mode 0600 and the directory is locked while a command\n"
         "uses it.\n"
         ".SH SEE ALSO\n"
         ".BR wardd (8)");
    return 0;
}
