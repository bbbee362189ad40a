/* POST /v1/revocations: an owner or admin (or the client itself) drops a
 * binding; wardd checks roles from its own table and queues the sealed
 * REVOKE for the lock, which checks them again. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "wardd.h"

/* The owner may revoke anyone but itself, an admin only members, and
 * anyone else only itself: a lock never loses its last owner this way. */
static bool may_revoke(const char *revoker, uint8_t revoker_role, const char *target,
                       uint8_t target_role)
{
    if (strcmp(revoker, target) == 0) {
        return revoker_role != WARD_ROLE_OWNER;
    }
    if (revoker_role == WARD_ROLE_OWNER) {
        return true;
    }
    return revoker_role == WARD_ROLE_ADMIN && target_role == WARD_ROLE_MEMBER;
}

void wardd_h_revocations_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth(w, r, NULL, NULL, &s, out)) {
        return;
    }
    if (s.is_lock) {
        wardd_fail(out, 403, "forbidden", "revocations come from users");
        return;
    }
    cJSON *j = NULL;
    if (!wardd_json_body(r, &j, out)) {
        return;
    }
    char sn[WARD_SN_MAX + 1] = "", target[WARD_UID_MAX + 1] = "";
    const char *jsn = wardd_json_str(j, "sn", WARD_SN_MAX);
    const char *jtarget = wardd_json_str(j, "target", WARD_UID_MAX);
    uint8_t msg[WARD_REVOKE_MAX];
    size_t len = 0;
    bool ok = jsn != NULL && jtarget != NULL &&
              ward_check_sn((const uint8_t *)jsn, strlen(jsn)) == WARD_OK &&
              ward_check_uid((const uint8_t *)jtarget, strlen(jtarget)) == WARD_OK &&
              wardd_json_b64(j, "revoke", msg, 1, sizeof msg, &len);
    if (ok) {
        snprintf(sn, sizeof sn, "%s", jsn);
        snprintf(target, sizeof target, "%s", jtarget);
    }
    cJSON_Delete(j);
    const uint8_t *uid = NULL;
    size_t uid_len = 0;
    if (!ok || ward_sealed_uid(msg, len, WARD_MSG_REVOKE, &uid, &uid_len) != WARD_OK) {
        wardd_fail(out, 400, "format", "sn, target or revoke malformed");
        return;
    }
    if (uid_len != strlen(s.id) || memcmp(uid, s.id, uid_len) != 0) {
        wardd_log("warn", "revoke_refused", "reason=uid_not_signer signer=%s", s.id);
        wardd_fail(out, 403, "forbidden", "revoke is not the signer's");
        return;
    }
    /* wardd may have dropped a binding the lock still holds: it dropped
     * its own with a REVOKE the lock answered "bound under another
     * binding" (naming the one it holds). Then the same revoker may send
     * the REVOKE again, queued for the lock to judge, even a member
     * revoking itself (wardd holds no binding of it any more). The store
     * queues such a one only on that evidence: an earlier REVOKE of the
     * target by this revoker that the lock acknowledged with a result. */
    bool self = strcmp(s.id, target) == 0, unbound = false;
    uint8_t my_role = 0, target_role = 0;
    ward_err err = w->store.binding_get(w->store.h, sn, s.id, &my_role);
    if (err == WARD_ERR_NOTFOUND && self) {
        unbound = true;
        err = WARD_OK;
    } else if (err == WARD_ERR_NOTFOUND) {
        wardd_fail(out, 403, "forbidden", "not bound to this lock");
        return;
    } else if (err == WARD_OK) {
        err = w->store.binding_get(w->store.h, sn, target, &target_role);
        unbound = err == WARD_ERR_NOTFOUND;
        err = unbound ? WARD_OK : err;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    if (unbound) {
        target_role = WARD_ROLE_MEMBER;     /* unknown here: the lock judges */
    }
    if (!(unbound && self) && !may_revoke(s.id, my_role, target, target_role)) {
        wardd_log("warn", "revoke_refused", "reason=role sn=%s uid=%s target=%s", sn, s.id,
                  target);
        wardd_fail(out, 403, "forbidden", "role does not allow this revocation");
        return;
    }
    wardd_revoke_rec rec = { sn, s.id, target, msg, len, wardd_now_ms(), my_role, target_role,
                             unbound };
    int64_t inbox_id = 0;
    err = w->store.revoke(w->store.h, &rec, &inbox_id);
    if (err == WARD_ERR_NOTFOUND && unbound) {
        wardd_log("warn", "revoke_refused", "reason=unbound_unanswered sn=%s uid=%s target=%s",
                  sn, s.id, target);
    }
    if (err == WARD_ERR_NOTFOUND && unbound && self) {
        wardd_fail(out, 403, "forbidden", "not bound to this lock");
        return;
    }
    if (err == WARD_ERR_NOTFOUND) {
        wardd_fail(out, 404, "notfound", "target is not bound to this lock");
        return;
    }
    if (err == WARD_ERR_STATE) {
        wardd_log("warn", "revoke_refused", "reason=roles_changed sn=%s uid=%s target=%s", sn,
                  s.id, target);
        wardd_fail(out, 409, "conflict", "the bindings changed meanwhile: try again");
        return;
    }
    if (err == WARD_ERR_BUSY) {
        wardd_log("warn", "revoke_refused", "reason=inbox_full sn=%s uid=%s", sn, s.id);
        out->retry_after_s = 60;
        wardd_fail(out, 429, "busy", "the lock has too many revocations waiting");
        return;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    wardd_wake("lock", sn);
    wardd_log("info", "revoked", "sn=%s uid=%s target=%s unbound=%d", sn, s.id, target,
              unbound ? 1 : 0);
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "state", "revoked");
    cJSON_AddStringToObject(res, "sn", sn);
    cJSON_AddStringToObject(res, "target", target);
    cJSON_AddNumberToObject(res, "inbox_id", (double)inbox_id);
    wardd_reply(out, 200, res);
}
