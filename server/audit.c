/* GET /v1/audit?sn=SN: wardd's audit of a lock, newest first, for the
 * lock itself or its owner and admins. */
#include <string.h>

#include "wardd.h"

static int add_event(void *ctx, const wardd_audit_rec *rec)
{
    cJSON *arr = ctx;
    cJSON *e = cJSON_CreateObject();
    if (e == NULL) {
        return 1;
    }
    cJSON_AddNumberToObject(e, "id", (double)rec->id);
    cJSON_AddNumberToObject(e, "ts", (double)rec->ts_ms);
    cJSON_AddStringToObject(e, "event", rec->event);
    cJSON_AddStringToObject(e, "uid", rec->uid);
    cJSON_AddNumberToObject(e, "op", rec->op);
    cJSON_AddStringToObject(e, "detail", rec->detail);
    cJSON_AddItemToArray(arr, e);
    return 0;
}

void wardd_h_audit_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    const char *sn = r->arg(r->ctx, "sn");
    if (sn == NULL || ward_check_sn((const uint8_t *)sn, strlen(sn)) != WARD_OK) {
        wardd_fail(out, 400, "format", "sn: a lock's SN expected");
        return;
    }
    if (!wardd_lock_reader(w, &s, sn, true, "the audit is for the owner and admins", out)) {
        return;
    }
    cJSON *res = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(res, "events");
    ward_err err = w->store.audit_list(w->store.h, sn, WARDD_AUDIT_READ_MAX, add_event, arr);
    if (err != WARD_OK) {
        cJSON_Delete(res);
        wardd_fail_store(out, err);
        return;
    }
    wardd_reply(out, 200, res);
}
