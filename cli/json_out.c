/* `--json`: one JSON document on standard output, notes moved to stderr; see json_out.h. */
#include "json_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ward/ward_http.h"

/* The real standard output while a JSON command runs; -1 before. */
static int json_fd = -1;

void cli_json_begin(void)
{
    fflush(stdout);
    json_fd = dup(STDOUT_FILENO);
    if (json_fd >= 0) {
        dup2(STDERR_FILENO, STDOUT_FILENO);
    }
}

int cli_json_end(cJSON *doc)
{
    char *text = doc != NULL ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    if (text == NULL) {
        return cli_fail("out of memory");
    }
    fflush(stdout);
    int fd = json_fd >= 0 ? json_fd : STDOUT_FILENO;
    size_t len = strlen(text), off = 0;
    int rc = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n <= 0) {
            rc = cli_fail("cannot write the JSON document to standard output");
            break;
        }
        off += (size_t)n;
    }
    if (rc == 0 && write(fd, "\n", 1) != 1) {
        rc = cli_fail("cannot write the JSON document to standard output");
    }
    cJSON_free(text);
    return rc;
}

cJSON *cli_json_push(cJSON *arr)
{
    cJSON *o = cJSON_CreateObject();
    if (o != NULL && !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        o = NULL;
    }
    return o;
}

void cli_json_time(cJSON *obj, const char *name, int64_t ms)
{
    char when[32], key[48];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL ||
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(when, sizeof when, "?");
    }
    cJSON_AddStringToObject(obj, name, when);
    snprintf(key, sizeof key, "%s_ms", name);
    cJSON_AddNumberToObject(obj, key, (double)ms);
}

void cli_json_str_or_null(cJSON *obj, const char *name, const char *text)
{
    if (text == NULL || text[0] == '\0') {
        cJSON_AddNullToObject(obj, name);
    } else {
        cJSON_AddStringToObject(obj, name, text);
    }
}

void cli_json_remote(cJSON *obj, const char *name, const char *text)
{
    if (text == NULL || text[0] == '\0') {
        cJSON_AddNullToObject(obj, name);
        return;
    }
    /* At most 4 bytes out for each in. */
    size_t cap = 4 * strlen(text) + 1;
    char *esc = malloc(cap);
    if (esc != NULL) {
        ward_http_text(esc, cap, text);
        cJSON_AddStringToObject(obj, name, esc);
        free(esc);
    }
}
