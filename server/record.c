/* The test-only answer record (record.h): one JSON line per answer,
 * appended under a lock so lines from concurrent answers never mix. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "record.h"

static FILE *rec_file;
static pthread_mutex_t rec_mu = PTHREAD_MUTEX_INITIALIZER;

int wardd_record_open(void)
{
    const char *path = getenv("WARDD_TEST_RECORD");
    if (path == NULL || path[0] == '\0') {
        return 0;
    }
    rec_file = fopen(path, "a");
    if (rec_file == NULL) {
        wardd_log("error", "record_open_failed", "file=%s err=\"%s\"", path, strerror(errno));
        return -1;
    }
    wardd_log("warn", "recording_answers", "file=%s msg=\"test only: every answer's body "
              "is written there\"", path);
    return 0;
}

void wardd_record_close(void)
{
    pthread_mutex_lock(&rec_mu);
    if (rec_file != NULL) {
        fclose(rec_file);
        rec_file = NULL;
    }
    pthread_mutex_unlock(&rec_mu);
}

void wardd_record(const char *method, const char *path, unsigned status,
                  const char *content_type, long retry_after, const char *body, size_t len)
{
    if (rec_file == NULL) {
        return;
    }
    char *copy = malloc(len + 1);
    cJSON *j = cJSON_CreateObject();
    if (copy != NULL && j != NULL) {
        memcpy(copy, body, len);
        copy[len] = '\0';
        cJSON_AddStringToObject(j, "method", method ? method : "");
        if (path != NULL) {
            cJSON_AddStringToObject(j, "path", path);
        } else {
            cJSON_AddNullToObject(j, "path");
        }
        cJSON_AddNumberToObject(j, "status", status);
        cJSON_AddStringToObject(j, "content_type", content_type);
        cJSON_AddNumberToObject(j, "retry_after", (double)retry_after);
        cJSON_AddStringToObject(j, "body", copy);
    }
    char *line = j != NULL ? cJSON_PrintUnformatted(j) : NULL;
    pthread_mutex_lock(&rec_mu);
    if (rec_file != NULL) {
        /* A line that could not be made is a line the checker misses:
         * write a marker it refuses instead. */
        fprintf(rec_file, "%s\n", line ? line : "{\"record_error\":\"no memory\"}");
        fflush(rec_file);
    }
    pthread_mutex_unlock(&rec_mu);
    free(line);
    cJSON_Delete(j);
    free(copy);
}
