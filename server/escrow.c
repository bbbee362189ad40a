/* GET /v1/escrow: the signing user's escrowed authorization keys (sealed). */
#include "wardd.h"

static int add_escrow(void *ctx, const wardd_escrow_rec *rec)
{
    cJSON *arr = ctx;
    cJSON *e = cJSON_CreateObject();
    if (e == NULL) {
        return 1;
    }
    cJSON_AddStringToObject(e, "sn", rec->sn);
    cJSON_AddNumberToObject(e, "role", rec->role);
    wardd_json_add_b64(e, "blob", rec->blob, rec->blob_len);
    cJSON_AddItemToArray(arr, e);
    return 0;
}

void wardd_h_escrow_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    if (s.is_lock) {
        wardd_fail(out, 403, "forbidden", "escrows are for users");
        return;
    }
    cJSON *res = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(res, "escrows");
    ward_err err = w->store.escrow_list(w->store.h, s.id, add_escrow, arr);
    if (err != WARD_OK) {
        cJSON_Delete(res);
        wardd_fail_store(out, err);
        return;
    }
    wardd_reply(out, 200, res);
}
