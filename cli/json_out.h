/*
 * json_out.h - `--json`: a command's report as one JSON document on
 * standard output, and nothing else there.
 *
 *     if (json) cli_json_begin();      // from here stdout goes to stderr
 *     ... the command works, printing notes as it always did ...
 *     cJSON *doc = cJSON_CreateObject(); ... fill it ...
 *     return cli_json_end(doc);        // the document, on the real stdout
 *
 * cli_json_begin() points file descriptor 1 at standard error and keeps
 * the real standard output aside, so whatever a command or a helper
 * prints for a person on the way (a binding found finished, a record
 * dropped) lands on stderr and cannot break the document. A command that
 * fails prints its error line as always and no document: stdout stays
 * empty and the exit code says it failed. The field names are a contract,
 * listed in docs/cli.md.
 */
#ifndef WARD_CLI_JSON_OUT_H
#define WARD_CLI_JSON_OUT_H

#include <cjson/cJSON.h>
#include <stdint.h>

/* Sends standard output to standard error until cli_json_end(). */
void cli_json_begin(void);

/* Prints doc (unformatted, one line) on the real standard output and
 * frees it. Returns 0, or 1 after saying so when doc is NULL or could not
 * be printed (out of memory). */
int cli_json_end(cJSON *doc);

/* A new object appended to array arr; NULL when out of memory. */
cJSON *cli_json_push(cJSON *arr);

/* obj[name] = the ISO 8601 UTC time of ms (unix milliseconds), and
 * obj[name + "_ms"] = ms. */
void cli_json_time(cJSON *obj, const char *name, int64_t ms);

/* obj[name] = text, or null when text is NULL or "". */
void cli_json_str_or_null(cJSON *obj, const char *name, const char *text);

/* obj[name] = text a server or a device sent, escaped as the text
 * output prints it (ward_http_text(): \xNN for every byte outside
 * printable ASCII), so the document carries no terminal control either;
 * null when text is NULL or "". */
void cli_json_remote(cJSON *obj, const char *name, const char *text);

#endif /* WARD_CLI_JSON_OUT_H */
