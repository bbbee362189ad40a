/*
 * help.h - `ward help`, `ward GROUP` and `ward CMD --help`, printed from
 * the tables of doc.h.
 */
#ifndef WARD_CLI_HELP_H
#define WARD_CLI_HELP_H

#include <stdio.h>

#include "cli.h"
#include "doc.h"

/* What cli_parse() returns once it printed a command's help: the command
 * passes it up like any other non-zero code and main() exits 0. */
#define CLI_HELP_SHOWN (-1)

/* The command main() is running (its help and its usage errors name it);
 * NULL until main() found it. */
extern const cli_doc *cli_current;

/* Every command, one line each. */
void cli_help_list(FILE *out);
/* A group's commands. */
void cli_help_group(FILE *out, const cli_doc_group *g);
/* One command: usage line, what it does, every option. */
void cli_help_command(FILE *out, const cli_doc *d);
/* Checks that the parser's options are exactly the table's (a flag where
 * the table has no value, a value where it names one). Returns 0, or
 * prints what differs and returns CLI_EXIT_FAIL. */
int cli_help_check(const cli_doc *d, const cli_option *opts, int nopts);

#endif /* WARD_CLI_HELP_H */
