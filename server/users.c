/* POST /v1/users: account registration {user id, phone, client key}. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "wardd.h"

void wardd_h_users_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    cJSON *j = NULL;
    if (!wardd_auth_digest(w, r, out) || !wardd_json_body(r, &j, out)) {
        return;
    }
    char uid[WARD_UID_MAX + 1], phone[WARD_PHONE_MAX + 1];
    const char *u = wardd_json_str(j, "user", WARD_UID_MAX);
    const char *p = wardd_json_str(j, "phone", WARD_PHONE_MAX);
    uint8_t pub[WARD_P256_POINT_LEN];
    size_t pub_len = 0;
    bool ok = u != NULL && p != NULL &&
              wardd_json_b64(j, "pub", pub, sizeof pub, sizeof pub, &pub_len);
    if (ok) {
        snprintf(uid, sizeof uid, "%s", u);
        snprintf(phone, sizeof phone, "%s", p);
    }
    cJSON_Delete(j);
    if (!ok || ward_check_uid((const uint8_t *)uid, strlen(uid)) != WARD_OK ||
        ward_check_phone((const uint8_t *)phone, strlen(phone)) != WARD_OK ||
        w->cp->p256_point_check(pub) != WARD_OK) {
        wardd_fail(out, 400, "format", "user, phone or pub malformed");
        return;
    }
    char keyid[WARD_HTTPSIG_KEYID_MAX + 1];
    snprintf(keyid, sizeof keyid, "user:%s", uid);
    wardd_signer s;
    if (!wardd_auth(w, r, pub, keyid, &s, out)) {
        return;
    }
    int created = 0;
    ward_err err = w->store.user_put(w->store.h, uid, phone, pub, &created);
    if (err == WARD_ERR_STATE) {
        wardd_fail(out, 409, "conflict", "user already registered with another key or phone");
        return;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    if (created) {
        wardd_log("info", "user_registered", "uid=%s", uid);
    }
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "user", uid);
    wardd_reply(out, created ? 201 : 200, res);
}
