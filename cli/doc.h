/*
 * doc.h - what each `ward` command is for and every option it takes: the
 * one table that `ward help`, `ward CMD --help`, the parser's check, the
 * man page ward(1) and the shell completion are all made from.
 *
 * Pure data (no function pointers), so the man page generator links the
 * tables alone. A command's parser options must match its table: asking
 * for `--help` checks it (cli_parse), and tests/cli/test_help.py asks for
 * every command.
 */
#ifndef WARD_CLI_DOC_H
#define WARD_CLI_DOC_H

typedef struct cli_doc_opt {
    const char *name;   /* without the dashes; NULL ends the list */
    const char *arg;    /* the value's placeholder ("DIR"), NULL for a flag */
    const char *help;   /* one line */
} cli_doc_opt;

typedef struct cli_doc {
    const char *path;        /* "selftest", "lock init", ... */
    const char *synopsis;    /* what follows the path in a usage line */
    const char *summary;     /* one line for the command lists */
    const char *details;     /* NULL, or paragraphs for --help and the man page */
    const cli_doc_opt *opts; /* ended by { NULL } */
} cli_doc;

typedef struct cli_doc_group {
    const char *name;        /* "lock"; "" for the commands of one word */
    const char *summary;
    const cli_doc *docs;     /* ended by { NULL } */
} cli_doc_group;

/* The --json flag of the listing and status commands (docs/cli.md). */
#define CLI_DOC_JSON { "json", NULL, "one JSON document on standard output (fields: docs/cli.md)" }

/* `ward ROLE time` (cli/cmd_time.c), the same for every device role. */
#define CLI_DOC_TIME_SYNOPSIS                                                \
    "--dir D [--time-key FILE]... [--time-k K] [--time-url URL]... [--no-sync] [--json]"
#define CLI_DOC_TIME_SUMMARY "sync secure time with k of n time servers and print it"
#define CLI_DOC_TIME_DETAILS                                                 \
    "Asks each time server (GET /v1/time) with one fresh nonce and believes a\n" \
    "time only where K answers, each signed by a trusted key, agree; prints\n"   \
    "now as an interval. The time never goes back below the floor kept in\n"     \
    "D/time.bin (first floor: this build's time); a sync that would is refused\n" \
    "(exit 1). --time-key, --time-k and --time-url are remembered in\n"         \
    "D/time.conf (given again, they replace it). wardd writes its time key to\n" \
    "DB.timepub. Without --time-url the role's own wardd is asked."
#define CLI_DOC_TIME_OPTS                                                    \
    { "time-key", "FILE", "a trusted time server's public key, 130 hex digits (repeatable)" }, \
    { "time-k", "K", "how many servers must agree (default 1)" },                     \
    { "time-url", "URL", "a time server to ask (repeatable; default the role's wardd)" }, \
    { "no-sync", NULL, "ask nobody: print the floor" }, CLI_DOC_JSON

/* Every group, in the order of `ward help`; ended by { NULL }. */
extern const cli_doc_group cli_doc_groups[];

/* Each group's table (doc_*.c). */
extern const cli_doc cli_docs_top[];
extern const cli_doc cli_docs_factory[];
extern const cli_doc cli_docs_lock[];
extern const cli_doc cli_docs_app[];
extern const cli_doc cli_docs_se[];
extern const cli_doc cli_docs_device[];
extern const cli_doc cli_docs_gateway[];
extern const cli_doc cli_docs_subdevice[];
extern const cli_doc cli_docs_fw[];

/* The command named path ("lock init"), or NULL. */
const cli_doc *cli_doc_find(const char *path);
/* The group named name, or NULL. */
const cli_doc_group *cli_doc_group_find(const char *name);

#endif /* WARD_CLI_DOC_H */
