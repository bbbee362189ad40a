/* GET /v1/health: unsigned liveness probe, with wardd's version and the
 * bind task lifetime a lock tells the person its QR code is valid for.
 * GET /v1/ready: readiness, which touches the store and its disk. */
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "log.h"
#include "metrics.h"
#include "wardd.h"

/* Below this much free space for the database, wardd is not ready: the
 * next binding or op may be the write that fails. */
#define WARDD_READY_MIN_FREE (1024 * 1024ULL)

void wardd_h_health(wardd *w, const wardd_req *r, wardd_resp *out)
{
    (void)r;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "ok", 1);
    cJSON_AddStringToObject(j, "version", WARDD_VERSION);
    cJSON_AddNumberToObject(j, "task_ttl", (double)w->cfg.task_ttl_s);
    wardd_reply(out, 200, j);
}

/* Free bytes for an unprivileged writer on the database's filesystem,
 * or -1 when statvfs fails. */
static long long free_bytes(const char *db)
{
    char dir[1100];
    const char *slash = strrchr(db, '/');
    if (slash == NULL) {
        snprintf(dir, sizeof dir, ".");
    } else {
        snprintf(dir, sizeof dir, "%.*s", slash == db ? 1 : (int)(slash - db), db);
    }
    struct statvfs sv;
    if (statvfs(dir, &sv) != 0) {
        return -1;
    }
    return (long long)sv.f_bavail * (long long)sv.f_frsize;
}

void wardd_h_ready(wardd *w, const wardd_req *r, wardd_resp *out)
{
    (void)r;
    char msg[320];
    ward_err err = w->store.ready(w->store.h);
    if (err != WARD_OK) {
        wardd_metric_inc(WARDD_C_STORE_ERRORS);
        snprintf(msg, sizeof msg, "store: %s", wardd_store_why());
        wardd_log("warn", "not_ready", "why=\"%s\"", msg);
        wardd_fail(out, 503, "unavailable", msg);
        return;
    }
    long long avail = free_bytes(w->cfg.db);
    if (avail >= 0 && (unsigned long long)avail < WARDD_READY_MIN_FREE) {
        snprintf(msg, sizeof msg, "disk nearly full: %lld bytes free beside %.200s", avail,
                 w->cfg.db);
        wardd_log("warn", "not_ready", "why=\"%s\"", msg);
        wardd_fail(out, 503, "unavailable", msg);
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "ok", 1);
    wardd_reply(out, 200, j);
}
