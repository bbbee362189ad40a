/* Flow C in wardd: one-use claims, gateway registration and rotation, logins
 * and sealed session packets. wardd calls the core for every message
 * (ward_gw_cloud.h); it keeps a password verifier and the accesskey wrapped
 * to its own key, and sessions in memory only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ward/ward_encode.h"
#include "ward/ward_gw_cloud.h"
#include "ward/ward_keystore.h"
#include "ward/ward_port_posix.h"
#include "wardd.h"

/* The wrap key's handle in wardd's keystore (keys.c). */
#define GW_WRAP_KEY WARD_KEY_GW_WRAP
#define GW_SESSIONS_MAX 4096
#define GW_SESSION_TTL_S 3600u
#define GW_CLAIM_TTL_MIN_DEFAULT 10
#define GW_CLAIM_TTL_MIN_MAX 60
/* Per WARDD_RATE_WINDOW_MS. */
#define GW_RATE_CLAIMS 30
#define GW_RATE_LOGINS 60
/* Registrations per user: each checks a secret (the owner hash), a guess
 * bounded like the other auth routes. (Logins per client address:
 * --gw-logins-per-addr.) */
#define GW_RATE_REGISTERS 30
static const char wrap_label[] = "gw accesskey";

typedef struct gw_slot {
    bool used;
    uint8_t sid[WARD_GW_SID_LEN];
    uint8_t tid[WARD_GW_TID_LEN];
    int64_t expires_ms;
    ward_gw_session s;
} gw_slot;

static struct {
    pthread_mutex_t mu;           /* the slots */
    const ward_keystore *ks;      /* wardd's keys (keys.c) */
    uint8_t wrap_pub[WARD_P256_POINT_LEN];
    gw_slot slots[GW_SESSIONS_MAX];
} gw = { .mu = PTHREAD_MUTEX_INITIALIZER };

ward_err wardd_gw_open(wardd *w)
{
    ward_err err = wardd_key_load(w, GW_WRAP_KEY, ".gwkey", ".gwpub", "gw_key", gw.wrap_pub);
    gw.ks = err == WARD_OK ? wardd_keys() : NULL;
    return err;
}

void wardd_gw_close(void)
{
    pthread_mutex_lock(&gw.mu);
    ward_wipe(gw.slots, sizeof gw.slots);
    pthread_mutex_unlock(&gw.mu);
    gw.ks = NULL;               /* wardd_keys_close wipes the key */
}

static void hex(const uint8_t *v, size_t n, char *out, size_t cap)
{
    WARD_ASSERT(ward_hex_encode(v, n, out, cap) == WARD_OK);
}

static bool rate(wardd *w, const char *kind, const char *id, unsigned limit, wardd_resp *out)
{
    char key[128];
    snprintf(key, sizeof key, "%s:%s", kind, id);
    wardd_rate_key k = { key, limit };
    int64_t retry_ms = 0;
    ward_err err = w->store.rate_take(w->store.h, &k, 1, wardd_now_ms(), WARDD_RATE_WINDOW_MS,
                                      &retry_ms);
    if (err == WARD_ERR_BUSY) {
        wardd_fail_retry(out, retry_ms, "too many requests");
        wardd_log("warn", "rate_limited", "key=%s", key);
        return false;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return false;
    }
    return true;
}

static ward_err claim_hash(const wardd *w, const uint8_t claim[WARD_GW_CLAIM_LEN],
                           uint8_t hash[WARD_SHA256_LEN])
{
    ward_iov part = { claim, WARD_GW_CLAIM_LEN };
    return w->cp->sha256(&part, 1, hash);
}

/* POST /v1/gateways/claims {"ttl_min"} -> 201 {"claim", "expires_ms"} */
void wardd_h_gw_claims_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    cJSON *j = NULL;
    if (!wardd_auth_user(w, r, &s, out) || !wardd_json_body(r, &j, out)) {
        return;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "ttl_min");
    double ttl = GW_CLAIM_TTL_MIN_DEFAULT;
    bool ok = t == NULL || cJSON_IsNumber(t);
    if (t != NULL && ok) {
        ttl = t->valuedouble;
        ok = ttl >= 1 && ttl <= GW_CLAIM_TTL_MIN_MAX && ttl == (double)(long)ttl;
    }
    cJSON_Delete(j);
    if (!ok) {
        wardd_fail(out, 400, "format", "ttl_min: a whole number of minutes, 1..60");
        return;
    }
    if (!rate(w, "gw-claim", s.id, GW_RATE_CLAIMS, out)) {
        return;
    }
    uint8_t claim[WARD_GW_CLAIM_LEN], hash[WARD_SHA256_LEN], msg[WARD_GW_CLAIM_MSG_LEN];
    size_t len = 0;
    ward_random rng = ward_random_posix();
    int64_t expires = wardd_now_ms() + (int64_t)ttl * 60000;
    if (rng.fill(rng.ctx, claim, sizeof claim) != WARD_OK || claim_hash(w, claim, hash) != WARD_OK) {
        ward_wipe(claim, sizeof claim);
        wardd_fail(out, 500, "internal", "no randomness");
        return;
    }
    WARD_ASSERT(ward_gw_claim_encode(claim, msg, sizeof msg, &len) == WARD_OK);
    ward_wipe(claim, sizeof claim);
    ward_err err = w->store.gw_claim_put(w->store.h, hash, s.id, expires);
    if (err != WARD_OK) {
        ward_wipe(msg, sizeof msg);
        wardd_fail_store(out, err);
        return;
    }
    cJSON *res = cJSON_CreateObject();
    bool built = res != NULL && wardd_json_add_b64(res, "claim", msg, len) &&
                 cJSON_AddNumberToObject(res, "expires_ms", (double)expires) != NULL;
    ward_wipe(msg, sizeof msg);
    if (!built) {
        cJSON_Delete(res);
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    wardd_log("info", "gw_claim_made", "uid=%s ttl_min=%ld", s.id, (long)ttl);
    wardd_reply(out, 201, res);
}

/* The accesskey wrapped to wardd's key, bound to tid and generation. */
static void wrap_ad(const uint8_t tid[WARD_GW_TID_LEN], uint32_t gen, uint8_t *ad, size_t *len)
{
    size_t n = sizeof wrap_label - 1;
    memcpy(ad, wrap_label, n);
    memcpy(ad + n, tid, WARD_GW_TID_LEN);
    n += WARD_GW_TID_LEN;
    ad[n++] = (uint8_t)(gen >> 24);
    ad[n++] = (uint8_t)(gen >> 16);
    ad[n++] = (uint8_t)(gen >> 8);
    ad[n++] = (uint8_t)gen;
    *len = n;
}

#define WRAP_AD_MAX (sizeof wrap_label - 1 + WARD_GW_TID_LEN + 4)

/* Forgets the session of tid, if any (rotation, a new login). Caller holds gw.mu. */
static void drop_tid(const uint8_t tid[WARD_GW_TID_LEN])
{
    for (size_t i = 0; i < GW_SESSIONS_MAX; i++) {
        if (gw.slots[i].used && memcmp(gw.slots[i].tid, tid, WARD_GW_TID_LEN) == 0) {
            ward_wipe(&gw.slots[i], sizeof gw.slots[i]);
        }
    }
}

/* Fresh credentials for g (tid and generation set), into c and g. */
static ward_err issue(wardd *w, wardd_gw *g, ward_gw_creds *c)
{
    ward_random rng = ward_random_posix();
    uint8_t ad[WRAP_AD_MAX];
    size_t ad_len = 0, wl = 0;
    memset(c, 0, sizeof *c);
    memcpy(c->tid, g->tid, sizeof c->tid);
    c->generation = g->generation;
    c->expiry_ms = (uint64_t)g->expires_ms;
    ward_err err = rng.fill(rng.ctx, c->password, sizeof c->password);
    if (err == WARD_OK) {
        err = rng.fill(rng.ctx, c->accesskey, sizeof c->accesskey);
    }
    if (err == WARD_OK) {
        err = rng.fill(rng.ctx, c->localkey, sizeof c->localkey);
    }
    if (err == WARD_OK) {
        err = ward_gw_password_verifier(w->cp, g->tid, c->password, g->verifier);
    }
    if (err == WARD_OK) {
        wrap_ad(g->tid, g->generation, ad, &ad_len);
        err = ward_seal_to(w->cp, &rng, gw.wrap_pub, ad, ad_len, c->accesskey,
                           sizeof c->accesskey, g->wrapped, sizeof g->wrapped, &wl);
    }
    if (err != WARD_OK) {
        ward_wipe(c, sizeof *c);
    }
    return err;
}

/* POST /v1/gateways {"register"} -> 201/200 {"tid","generation","expires_ms","credentials"} */
void wardd_h_gw_post(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    cJSON *j = NULL;
    if (!wardd_auth_user(w, r, &s, out) || !wardd_json_body(r, &j, out)) {
        return;
    }
    uint8_t msg[WARD_GW_REGISTER_MAX], owner[WARD_GW_OWNER_HASH_LEN];
    size_t len = 0, olen = 0;
    bool ok = wardd_json_b64(j, "register", msg, 1, sizeof msg, &len);
    const char *oh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "owner"));
    bool owner_ok = oh != NULL && strlen(oh) == 2 * WARD_GW_OWNER_HASH_LEN &&
                    ward_hex_decode(oh, strlen(oh), owner, sizeof owner, &olen) == WARD_OK &&
                    olen == sizeof owner;
    cJSON_Delete(j);
    if (!ok || !owner_ok) {
        ward_wipe(owner, sizeof owner);
        wardd_fail(out, 400, "format", ok ? "owner: the owner hash, 64 hex digits, expected"
                                          : "register: base64 message expected");
        return;
    }
    /* Each registration checks a secret (the owner hash): charged first. */
    if (!rate(w, "gw-register", s.id, GW_RATE_REGISTERS, out)) {
        ward_wipe(owner, sizeof owner);
        return;
    }
    if (!w->have_factory && !w->have_root) {
        wardd_fail(out, 401, "auth", "no manufacturer key configured");
        return;
    }
    /* The gateway's identity: a chain of role gateway under the root
     * (expiry by wardd's clock, the revocation list), or an activation. */
    ward_gw_register reg;
    ward_identity_trust trust;
    wardd_identity_hold(w, &trust);
    ward_err err = ward_gw_register_verify_id(w->cp, &trust, msg, len, &reg);
    wardd_identity_release(w);
    if (err == WARD_ERR_FORMAT) {
        ward_wipe(owner, sizeof owner);
        wardd_fail(out, 400, "format", "register message malformed");
        return;
    }
    if (err != WARD_OK) {
        ward_wipe(owner, sizeof owner);
        wardd_log("warn", "gw_register_refused", "uid=%s reason=signature", s.id);
        wardd_fail(out, 401, "auth", "registration not signed by an activated gateway");
        return;
    }
    /* The seed's binding check: the hash is the one the gateway committed
     * to for its current epoch, which only the app of this epoch's LAN
     * hand-over read (sealed, after the PoP). Checked before the claim is
     * spent, so a wrong hash costs the user only the rate limit. */
    err = ward_gw_owner_check(w->cp, &reg, owner);
    ward_wipe(owner, sizeof owner);
    if (err != WARD_OK) {
        wardd_log("warn", "gw_register_refused", "uid=%s reason=owner_hash", s.id);
        wardd_fail(out, 403, "forbidden",
                   "owner hash is not this gateway's (another provisioning's, or from before "
                   "a reset)");
        return;
    }
    uint8_t hash[WARD_SHA256_LEN];
    int64_t now = wardd_now_ms();
    if (claim_hash(w, reg.claim, hash) != WARD_OK) {
        wardd_fail(out, 500, "internal", "hash failed");
        return;
    }
    err = w->store.gw_claim_take(w->store.h, hash, s.id, now);
    if (err == WARD_ERR_AUTH) {
        wardd_log("warn", "gw_register_refused", "uid=%s reason=claim", s.id);
        wardd_fail(out, 403, "forbidden", "claim unknown, used, expired or another user's");
        return;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    wardd_gw g, old;
    uint32_t prev = 0;
    memset(&g, 0, sizeof g);
    err = w->store.gw_by_uuid(w->store.h, reg.uuid, &old);
    if (err == WARD_OK) {
        if (strcmp(old.uid, s.id) != 0 || memcmp(old.pub, reg.gw_pub, sizeof old.pub) != 0) {
            char u[2 * WARD_GW_UUID_LEN + 1];
            hex(reg.uuid, WARD_GW_UUID_LEN, u, sizeof u);
            wardd_log("warn", "gw_register_conflict", "uid=%s uuid=%s", s.id, u);
            wardd_fail(out, 409, "conflict", "already bound by someone else");
            return;
        }
        g = old;
        prev = old.generation;
        g.generation = old.generation + 1;
        g.last_counter = 0;
    } else if (err == WARD_ERR_NOTFOUND) {
        ward_random rng = ward_random_posix();
        if (rng.fill(rng.ctx, g.tid, sizeof g.tid) != WARD_OK) {
            wardd_fail(out, 500, "internal", "no randomness");
            return;
        }
        memcpy(g.uuid, reg.uuid, sizeof g.uuid);
        memcpy(g.pub, reg.gw_pub, sizeof g.pub);
        snprintf(g.uid, sizeof g.uid, "%s", s.id);
        g.generation = 1;
        g.created_ms = now;
    } else {
        wardd_fail_store(out, err);
        return;
    }
    memcpy(g.mac, reg.mac, sizeof g.mac);
    g.expires_ms = now + WARDD_LIVE(w, gw_key_ttl_s) * 1000;
    ward_gw_creds c;
    uint8_t creds[WARD_GW_CREDS_MSG_LEN];
    size_t clen = 0;
    ward_random rng = ward_random_posix();
    err = issue(w, &g, &c);
    if (err == WARD_OK) {
        err = ward_gw_creds_seal(w->cp, &rng, g.pub, &c, creds, sizeof creds, &clen);
    }
    ward_wipe(&c, sizeof c);
    if (err != WARD_OK) {
        wardd_fail(out, 500, "internal", "cannot issue credentials");
        return;
    }
    err = w->store.gw_put(w->store.h, &g, prev);
    if (err == WARD_ERR_STATE) {
        wardd_fail(out, 409, "conflict", "another registration of this gateway came first");
        return;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    /* The old keys stop at once: their session goes with them. */
    pthread_mutex_lock(&gw.mu);
    drop_tid(g.tid);
    pthread_mutex_unlock(&gw.mu);
    char t[2 * WARD_GW_TID_LEN + 1];
    hex(g.tid, sizeof g.tid, t, sizeof t);
    wardd_log("info", prev == 0 ? "gw_registered" : "gw_rotated", "uid=%s tid=%s generation=%u",
              s.id, t, (unsigned)g.generation);
    cJSON *res = cJSON_CreateObject();
    if (res == NULL || cJSON_AddStringToObject(res, "tid", t) == NULL ||
        cJSON_AddNumberToObject(res, "generation", g.generation) == NULL ||
        cJSON_AddNumberToObject(res, "expires_ms", (double)g.expires_ms) == NULL ||
        !wardd_json_add_b64(res, "credentials", creds, clen)) {
        cJSON_Delete(res);
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    wardd_reply(out, prev == 0 ? 201 : 200, res);
}

static int add_gw(void *ctx, const wardd_gw *g)
{
    cJSON *arr = ctx, *o = cJSON_CreateObject();
    char t[2 * WARD_GW_TID_LEN + 1], u[2 * WARD_GW_UUID_LEN + 1], m[2 * WARD_GW_MAC_LEN + 1];
    if (o == NULL) {
        return 1;
    }
    hex(g->tid, sizeof g->tid, t, sizeof t);
    hex(g->uuid, sizeof g->uuid, u, sizeof u);
    hex(g->mac, sizeof g->mac, m, sizeof m);
    cJSON_AddItemToArray(arr, o);
    bool ok = cJSON_AddStringToObject(o, "tid", t) != NULL &&
              cJSON_AddStringToObject(o, "uuid", u) != NULL &&
              cJSON_AddStringToObject(o, "mac", m) != NULL &&
              cJSON_AddNumberToObject(o, "generation", g->generation) != NULL &&
              cJSON_AddNumberToObject(o, "expires_ms", (double)g->expires_ms) != NULL;
    return ok ? 0 : 1;
}

/* GET /v1/gateways -> {"gateways": [...]} */
void wardd_h_gw_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    wardd_signer s;
    if (!wardd_auth_user(w, r, &s, out)) {
        return;
    }
    cJSON *res = cJSON_CreateObject();
    cJSON *arr = res != NULL ? cJSON_AddArrayToObject(res, "gateways") : NULL;
    if (arr == NULL) {
        cJSON_Delete(res);
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    ward_err err = w->store.gw_list(w->store.h, s.id, add_gw, arr);
    if (err != WARD_OK) {
        cJSON_Delete(res);
        wardd_fail_store(out, err);
        return;
    }
    wardd_reply(out, 200, res);
}

static gw_slot *slot_of(const uint8_t sid[WARD_GW_SID_LEN])
{
    for (size_t i = 0; i < GW_SESSIONS_MAX; i++) {
        if (gw.slots[i].used && memcmp(gw.slots[i].sid, sid, WARD_GW_SID_LEN) == 0) {
            return &gw.slots[i];
        }
    }
    return NULL;
}

/* A free slot, reclaiming expired ones; NULL when every one is live. */
static gw_slot *slot_free(int64_t now)
{
    gw_slot *free_one = NULL;
    for (size_t i = 0; i < GW_SESSIONS_MAX; i++) {
        if (gw.slots[i].used && gw.slots[i].expires_ms <= now) {
            ward_wipe(&gw.slots[i], sizeof gw.slots[i]);
        }
        if (!gw.slots[i].used && free_one == NULL) {
            free_one = &gw.slots[i];
        }
    }
    return free_one;
}

/* POST /v1/gateways/login {"login"} -> {"reply"} */
void wardd_h_gw_login(wardd *w, const wardd_req *r, wardd_resp *out)
{
    cJSON *j = NULL;
    char unit[72];
    /* Per source address before anything is read: a login is a password
     * check, and a stranger could try many tids from one place. */
    wardd_addr_unit(r->addr, unit, sizeof unit);
    if (!rate(w, "gw-login-addr", unit, WARDD_LIVE(w, gw_logins_per_addr), out) ||
        !wardd_json_body(r, &j, out)) {
        return;
    }
    uint8_t msg[WARD_GW_LOGIN_LEN], tid[WARD_GW_TID_LEN];
    size_t len = 0;
    uint64_t counter = 0;
    bool ok = wardd_json_b64(j, "login", msg, sizeof msg, sizeof msg, &len);
    cJSON_Delete(j);
    if (!ok || ward_gw_login_peek(msg, len, tid, &counter) != WARD_OK) {
        wardd_fail(out, 400, "format", "login: a LOGIN message in base64 expected");
        return;
    }
    char t[2 * WARD_GW_TID_LEN + 1];
    hex(tid, sizeof tid, t, sizeof t);
    if (!rate(w, "gw-login", t, GW_RATE_LOGINS, out)) {
        return;
    }
    wardd_gw g;
    ward_err err = w->store.gw_get(w->store.h, tid, &g);
    if (err == WARD_ERR_NOTFOUND) {
        wardd_log("warn", "gw_login_refused", "tid=%s reason=unknown", t);
        wardd_fail(out, 401, "auth", "login refused");
        return;
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return;
    }
    uint8_t ad[WRAP_AD_MAX], ak[WARD_GW_ACCESSKEY_LEN], sid[WARD_GW_SID_LEN];
    uint8_t reply[WARD_GW_LOGIN_REPLY_LEN];
    size_t ad_len = 0, n = 0, rlen = 0;
    wrap_ad(g.tid, g.generation, ad, &ad_len);
    err = ward_seal_open_by(w->cp, gw.ks, GW_WRAP_KEY, gw.wrap_pub, ad, ad_len, g.wrapped,
                            sizeof g.wrapped, ak, sizeof ak, &n);
    if (err != WARD_OK) {
        wardd_log("error", "gw_unwrap_failed", "tid=%s", t);
        wardd_fail(out, 500, "internal", "cannot open the gateway's key");
        return;
    }
    ward_random rng = ward_random_posix();
    if (rng.fill(rng.ctx, sid, sizeof sid) != WARD_OK) {
        ward_wipe(ak, sizeof ak);
        wardd_fail(out, 500, "internal", "no randomness");
        return;
    }
    int64_t now = wardd_now_ms();
    int64_t left_s = (g.expires_ms - now) / 1000;
    uint32_t ttl = left_s < (int64_t)GW_SESSION_TTL_S ? (uint32_t)(left_s > 0 ? left_s : 0)
                                                      : GW_SESSION_TTL_S;
    ward_gw_session sess;
    err = ward_gw_login_accept(&sess, w->cp, &rng, g.tid, ak, g.verifier, g.last_counter, sid,
                               ttl, msg, len, reply, sizeof reply, &rlen);
    ward_wipe(ak, sizeof ak);
    if (err == WARD_ERR_FORMAT) {
        wardd_fail(out, 400, "format", "login message malformed");
        return;
    }
    if (err != WARD_OK) {
        wardd_log("warn", "gw_login_refused", "tid=%s reason=auth", t);
        wardd_fail(out, 401, "auth", "login refused");
        return;
    }
    /* Only a genuine login learns that its credentials expired. */
    if (now >= g.expires_ms) {
        ward_gw_session_wipe(&sess);
        wardd_log("warn", "gw_login_refused", "tid=%s reason=expired", t);
        wardd_fail(out, 410, "expired", "credentials expired: register the gateway again");
        return;
    }
    err = w->store.gw_login(w->store.h, g.tid, g.generation, counter);
    if (err != WARD_OK) {
        ward_gw_session_wipe(&sess);
        if (err == WARD_ERR_AUTH) {
            wardd_log("warn", "gw_login_refused", "tid=%s reason=replay", t);
            wardd_fail(out, 401, "auth", "login refused");
        } else {
            wardd_fail_store(out, err);
        }
        return;
    }
    pthread_mutex_lock(&gw.mu);
    drop_tid(g.tid);
    gw_slot *sl = slot_free(now);
    if (sl != NULL) {
        sl->used = true;
        memcpy(sl->sid, sid, sizeof sid);
        memcpy(sl->tid, g.tid, sizeof g.tid);
        sl->expires_ms = now + (int64_t)ttl * 1000;
        sl->s = sess;
    }
    pthread_mutex_unlock(&gw.mu);
    ward_gw_session_wipe(&sess);
    if (sl == NULL) {
        wardd_fail(out, 503, "unavailable", "too many gateway sessions; try later");
        out->retry_after_s = 60;
        return;
    }
    wardd_log("info", "gw_login", "tid=%s generation=%u ttl=%u", t, (unsigned)g.generation,
              (unsigned)ttl);
    cJSON *res = cJSON_CreateObject();
    if (res == NULL || !wardd_json_add_b64(res, "reply", reply, rlen)) {
        cJSON_Delete(res);
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    wardd_reply(out, 200, res);
}

/* POST /v1/gateways/session {"packet"} -> {"packet"} or {} after a LOGOUT */
void wardd_h_gw_session(wardd *w, const wardd_req *r, wardd_resp *out)
{
    cJSON *j = NULL;
    if (!wardd_json_body(r, &j, out)) {
        return;
    }
    uint8_t msg[WARD_GW_DATA_MAX], sid[WARD_GW_SID_LEN], pt[WARD_GW_SESSION_PAYLOAD_MAX];
    size_t len = 0, n = 0, alen = 0;
    bool ok = wardd_json_b64(j, "packet", msg, 1, sizeof msg, &len);
    cJSON_Delete(j);
    if (!ok || ward_gw_packet_sid(msg, len, sid) != WARD_OK) {
        wardd_fail(out, 400, "format", "packet: a DATA or LOGOUT message in base64 expected");
        return;
    }
    uint8_t answer[WARD_GW_DATA_MAX], type = 0;
    int64_t now = wardd_now_ms();
    const char *why = NULL;
    pthread_mutex_lock(&gw.mu);
    gw_slot *sl = slot_of(sid);
    ward_err err = WARD_ERR_AUTH;
    if (sl == NULL) {
        why = "no such session";
    } else if (sl->expires_ms <= now) {
        ward_wipe(sl, sizeof *sl);
        why = "session expired";
    } else {
        err = ward_gw_session_open(&sl->s, w->cp, msg, len, &type, pt, sizeof pt, &n);
        if (err == WARD_OK && type == WARD_MSG_GW_LOGOUT) {
            ward_wipe(sl, sizeof *sl);
        } else if (err == WARD_OK && type == WARD_MSG_GW_RESET) {
            /* The user reset the gateway: its registration and owner go,
             * then its session; the sealed (empty) DATA is the proof it
             * reached wardd. A store failure leaves all as it was. */
            uint8_t tid[WARD_GW_TID_LEN];
            memcpy(tid, sl->tid, sizeof tid);
            ward_err derr = w->store.gw_drop(w->store.h, tid);
            if (derr == WARD_OK || derr == WARD_ERR_NOTFOUND) {
                err = ward_gw_session_seal(&sl->s, w->cp, WARD_MSG_GW_DATA, NULL, 0, answer,
                                           sizeof answer, &alen);
                ward_wipe(sl, sizeof *sl);
                char t[2 * WARD_GW_TID_LEN + 1];
                hex(tid, sizeof tid, t, sizeof t);
                wardd_log("info", "gw_reset", "tid=%s", t);
            } else {
                err = derr;
            }
        } else if (err == WARD_OK) {
            /* Today's service: the heartbeat echo. */
            err = ward_gw_session_seal(&sl->s, w->cp, WARD_MSG_GW_DATA, pt, n, answer,
                                       sizeof answer, &alen);
        }
    }
    pthread_mutex_unlock(&gw.mu);
    ward_wipe(pt, sizeof pt);
    if (err == WARD_ERR_FORMAT) {
        wardd_fail(out, 400, "format", "packet malformed");
        return;
    }
    if (err == WARD_ERR_IO || err == WARD_ERR_BUSY) {
        wardd_fail_store(out, err);
        return;
    }
    if (err != WARD_OK) {
        bool expired = why != NULL && strcmp(why, "session expired") == 0;
        wardd_fail(out, expired ? 410 : 401, expired ? "expired" : "auth",
                   why != NULL ? why : "packet refused");
        return;
    }
    cJSON *res = cJSON_CreateObject();
    if (res == NULL || (type != WARD_MSG_GW_LOGOUT &&
                        !wardd_json_add_b64(res, "packet", answer, alen))) {
        cJSON_Delete(res);
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    if (type == WARD_MSG_GW_LOGOUT) {
        char t[2 * WARD_GW_SID_LEN + 1];
        hex(sid, sizeof sid, t, sizeof t);
        wardd_log("info", "gw_logout", "sid=%s", t);
    }
    wardd_reply(out, 200, res);
}
