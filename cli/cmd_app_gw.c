/* `ward app gateways`: the owner's gateways as wardd records them (flow C),
 * with a warning when a gateway's credentials expire within 15 days. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json_out.h"
#include "keystore.h"
#include "ward/ward_app.h"
#include "ward/ward_app_cloud.h"

int cmd_app_gateways(int argc, char **argv)
{
    const char *dir = NULL, *json = NULL;
    int rc = cli_parse_listing(argc, argv, "usage: ward app gateways --dir A [--json]", &dir, &json);
    if (rc != 0) {
        return rc;
    }
    ward_host host;
    ward_app app;
    ward_host_init(&host);
    if ((rc = cli_keystore_attach(&host, dir)) != 0) {
        return rc;
    }
    if (ward_app_open(&app, &host, dir) != WARD_OK) {
        rc = cli_fail("%s", ward_app_error(&app));
        ward_app_close(&app);
        return rc;
    }
    static ward_app_gateways list;
    if (ward_app_gateways_get(&app, &list, NULL) != WARD_OK) {
        rc = cli_fail("%s", ward_app_error(&app));
        ward_app_close(&app);
        return rc;
    }
    ward_app_close(&app);
    int64_t now = (int64_t)time(NULL) * 1000;
    /* The warnings go to standard error, with --json too. */
    for (size_t i = 0; i < list.count; i++) {
        const ward_app_gateway *g = &list.gw[i];
        if (ward_app_gw_expiring(g->expires_ms, now)) {
            long days = (long)((g->expires_ms - now) / (24LL * 3600 * 1000));
            fprintf(stderr, "warning: gateway %s: its keys %s; register it again to renew them\n",
                    g->tid, g->expires_ms <= now ? "have expired"
                            : days == 0          ? "expire within a day"
                                                 : "expire in under 15 days");
        }
    }
    if (json != NULL) {
        cJSON *doc = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(doc, "gateways");
        for (size_t i = 0; i < list.count; i++) {
            const ward_app_gateway *g = &list.gw[i];
            cJSON *o = cli_json_push(arr);
            cJSON_AddStringToObject(o, "tid", g->tid);
            cJSON_AddStringToObject(o, "uuid", g->uuid);
            cJSON_AddStringToObject(o, "mac", g->mac);
            cJSON_AddNumberToObject(o, "generation", g->generation);
            cli_json_time(o, "expires_at", g->expires_ms);
            cJSON_AddBoolToObject(o, "expiring", ward_app_gw_expiring(g->expires_ms, now));
        }
        return cli_json_end(doc);
    }
    printf("%zu gateway%s registered at wardd\n", list.count, list.count == 1 ? "" : "s");
    for (size_t i = 0; i < list.count; i++) {
        const ward_app_gateway *g = &list.gw[i];
        time_t t = (time_t)(g->expires_ms / 1000);
        struct tm tm;
        char when[32] = "?";
        if (gmtime_r(&t, &tm) != NULL) {
            strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
        }
        printf("  %s  uuid %s  keys %u  valid until %s\n", g->tid, g->uuid,
               (unsigned)g->generation, when);
    }
    if (list.skipped > 0) {
        fprintf(stderr, "warning: %zu entr%s of wardd's list failed a check and %s skipped\n",
                list.skipped, list.skipped == 1 ? "y" : "ies", list.skipped == 1 ? "was" : "were");
    }
    return 0;
}
