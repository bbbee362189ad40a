/* POST /v1/locks: a lock's or device's registration, authorised by its identity (a
 * certificate chain to the manufacturer's root, or an activation by the factory key). */
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
    /* The identity a lock or a flow D device presents: its certificate
     * chain, or an ACTIVATION while the migration lasts. */
    uint8_t msg[WARD_IDENTITY_MAX];
    size_t len = 0;
    bool ok = wardd_json_b64(j, "activation", msg, 1, sizeof msg, &len);
    cJSON_Delete(j);
    if (!ok) {
        wardd_fail(out, 400, "format", "activation: base64 message expected");
        return;
    }
    /* The core checks the chain (or the manufacturer's signature) and
     * parses; wardd only reads the fields it hands back. */
    ward_identity who;
    if (!wardd_identity_check(w, msg, len,
                              WARD_IDENTITY_ROLE(WARD_CERT_ROLE_LOCK) |
                                  WARD_IDENTITY_ROLE(WARD_CERT_ROLE_DEVICE),
                              &who, out)) {
        return;
    }
    if (ward_check_sn(who.id, who.id_len) != WARD_OK || who.id_len > WARD_SN_MAX) {
        wardd_fail(out, 400, "format", "activation message malformed");
        return;
    }
    char sn[WARD_SN_MAX + 1];
    memcpy(sn, who.id, who.id_len);
    sn[who.id_len] = '\0';
    uint8_t pub[WARD_P256_POINT_LEN];
    memcpy(pub, who.pub, sizeof pub);

    /* The request must come from the key being registered. */
    char keyid[WARD_HTTPSIG_KEYID_MAX + 1];
    snprintf(keyid, sizeof keyid, "lock:%s", sn);
    wardd_signer s;
    if (!wardd_auth(w, r, pub, keyid, &s, out)) {
        return;
    }
    int created = 0;
    ward_err err = w->store.lock_put(w->store.h, sn, pub, &created);
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
