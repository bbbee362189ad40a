/* GET /v1/health: unsigned liveness probe, and the bind task lifetime a
 * lock tells the person its QR code is valid for. */
#include "wardd.h"

void wardd_h_health(wardd *w, const wardd_req *r, wardd_resp *out)
{
    (void)r;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "ok", 1);
    cJSON_AddNumberToObject(j, "task_ttl", (double)w->cfg.task_ttl_s);
    wardd_reply(out, 200, j);
}
