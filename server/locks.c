/* POST /v1/locks: lock activation, authorised by the manufacturer's key. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "wardd.h"

void wardd_h_locks_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    cJSON *j = NULL;
    if (!wardd_auth_digest(w, r, out) || !wardd_json_body(r, &j, out)) {
        return;
    }
    uint8_t msg[WARD_ACTIVATION_MAX];
    size_t len = 0;
    bool ok = wardd_json_b64(j, "activation", msg, 1, sizeof msg, &len);
    cJSON_Delete(j);
    if (!ok) {
        wardd_fail(out, 400, "format", "activation: base64 message expected");
        return;
    }
    if (!w->have_factory) {
        wardd_log("warn", "activation_refused", "reason=no_factory_key");
        wardd_fail(out, 401, "auth", "no manufacturer key configured");
        return;
    }
    /* The core checks the manufacturer's signature and parses; wardd only
     * reads the fields it hands back. */
    ward_activation a;
    ward_err err = ward_activation_verify(w->cp, w->factory_pub, msg, len, &a);
    if (err == WARD_ERR_AUTH) {
        wardd_log("warn", "activation_refused", "reason=factory_signature");
        wardd_fail(out, 401, "auth", "activation not signed by the manufacturer");
        return;
    }
    if (err != WARD_OK || ward_check_sn(a.sn, a.sn_len) != WARD_OK) {
        wardd_fail(out, 400, "format", "activation message malformed");
        return;
    }
    char sn[WARD_SN_MAX + 1];
    memcpy(sn, a.sn, a.sn_len);
    sn[a.sn_len] = '\0';
    uint8_t pub[WARD_P256_POINT_LEN];
    memcpy(pub, a.lock_pub, sizeof pub);

    /* The request must come from the key being registered. */
    char keyid[WARD_HTTPSIG_KEYID_MAX + 1];
    snprintf(keyid, sizeof keyid, "lock:%s", sn);
    wardd_signer s;
    if (!wardd_auth(w, r, pub, keyid, &s, out)) {
        return;
    }
    int created = 0;
    err = w->store.lock_put(w->store.h, sn, pub, &created);
    if (err == WARD_ERR_STATE) {
        wardd_log("warn", "activation_conflict", "sn=%s", sn);
        wardd_fail(out, 409, "conflict", "lock already registered with another key");
        return;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    if (created) {
        wardd_log("info", "lock_activated", "sn=%s", sn);
    }
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "sn", sn);
    wardd_reply(out, created ? 201 : 200, res);
}
