/* GET /v1/locks/{sn}/clients: who is bound to a lock, for its users. */
#include <string.h>

#include "wardd.h"

const char *wardd_role_name(uint8_t role)
{
    switch (role) {
    case WARD_ROLE_OWNER:
        return "owner";
    case WARD_ROLE_ADMIN:
        return "admin";
    case WARD_ROLE_MEMBER:
        return "member";
    default:
        return "unknown";
    }
}

static int add_client(void *ctx, const wardd_client_rec *rec)
{
    cJSON *arr = ctx;
    cJSON *e = cJSON_CreateObject();
    if (e == NULL) {
        return 1;
    }
    char tid[2 * WARD_TASK_ID_LEN + 1];
    WARD_ASSERT(ward_hex_encode(rec->tid, sizeof rec->tid, tid, sizeof tid) == WARD_OK);
    cJSON_AddStringToObject(e, "uid", rec->uid);
    cJSON_AddStringToObject(e, "role", wardd_role_name(rec->role));
    cJSON_AddStringToObject(e, "tid", tid);
    cJSON_AddNumberToObject(e, "bound", (double)(rec->bound_ms / 1000));
    cJSON_AddItemToArray(arr, e);
    return 0;
}

void wardd_h_clients_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    const char *sn = r->param;
    if (ward_check_sn((const uint8_t *)sn, strlen(sn)) != WARD_OK) {
        wardd_fail(out, 400, "format", "sn malformed");
        return;
    }
    if (!wardd_lock_reader(w, &s, sn, false, "not bound to this lock", out)) {
        return;
    }
    cJSON *res = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(res, "clients");
    ward_err err = w->store.clients_list(w->store.h, sn, add_client, arr);
    if (err != WARD_OK) {
        cJSON_Delete(res);
        wardd_fail_store(out, err);
        return;
    }
    wardd_reply(out, 200, res);
}
