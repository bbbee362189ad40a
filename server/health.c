/* GET /v1/health: unsigned liveness probe. */
#include "wardd.h"

void wardd_h_health(wardd *w, const wardd_req *r, wardd_resp *out)
{
    (void)w;
    (void)r;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "ok", 1);
    wardd_reply(out, 200, j);
}
