/* Request authentication: the RFC 9421 profile of ward_httpsig.h, with
 * clock skew, replay and key checks. Runs before any handler acts. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "wardd.h"

static bool refuse(wardd_resp *out, const char *why)
{
    /* The client learns only "auth"; the log keeps the reason. */
    wardd_log("warn", "auth_refused", "reason=%s", why);
    wardd_fail(out, 401, "auth", "request signature refused");
    return false;
}

/* Splits "lock:SN" / "user:UID" and checks the identifier's form. */
static bool parse_keyid(const char *keyid, wardd_signer *s)
{
    const char *id;
    if (strncmp(keyid, "lock:", 5) == 0) {
        s->is_lock = true;
        id = keyid + 5;
        if (ward_check_sn((const uint8_t *)id, strlen(id)) != WARD_OK) {
            return false;
        }
    } else if (strncmp(keyid, "user:", 5) == 0) {
        s->is_lock = false;
        id = keyid + 5;
        if (ward_check_uid((const uint8_t *)id, strlen(id)) != WARD_OK) {
            return false;
        }
    } else {
        return false;
    }
    snprintf(s->id, sizeof s->id, "%s", id);
    snprintf(s->keyid, sizeof s->keyid, "%s", keyid);
    return true;
}

/* Drops old nonces and rate events about once a minute. */
static void maybe_purge(wardd *w, int64_t now)
{
    bool due = false;
    pthread_mutex_lock(&w->mu);
    if (now >= w->next_purge_ms) {
        w->next_purge_ms = now + 60 * 1000;
        due = true;
    }
    pthread_mutex_unlock(&w->mu);
    if (due) {
        /* Keep tasks a day past expiry so status answers "expired". */
        ward_err err = w->store.purge(w->store.h, now, 24LL * 3600 * 1000);
        if (err != WARD_OK) {
            wardd_log("error", "purge_failed", "err=%s", ward_strerror(err));
        }
    }
}

bool wardd_auth_digest(wardd *w, const wardd_req *r, wardd_resp *out)
{
    const char *digest_hdr = r->header(r->ctx, "Content-Digest");
    char digest[WARD_HTTPSIG_DIGEST_HDR_MAX];
    if (digest_hdr == NULL) {
        return refuse(out, "missing_headers");
    }
    if (ward_httpsig_digest(w->cp, r->body, r->body_len, digest, sizeof digest) != WARD_OK ||
        strcmp(digest, digest_hdr) != 0) {
        return refuse(out, "digest_mismatch");
    }
    return true;
}

/* Everything but spending the nonce: s->nonce is the one to spend. */
static bool auth_check(wardd *w, const wardd_req *r, const uint8_t *given_pub,
                       const char *expect_keyid, wardd_signer *s, wardd_resp *out)
{
    memset(s, 0, sizeof *s);
    const char *digest_hdr = r->header(r->ctx, "Content-Digest");
    const char *input_hdr = r->header(r->ctx, "Signature-Input");
    const char *sig_hdr = r->header(r->ctx, "Signature");
    if (digest_hdr == NULL || input_hdr == NULL || sig_hdr == NULL) {
        return refuse(out, "missing_headers");
    }
    ward_httpsig_params p;
    uint8_t sig[WARD_P256_SIG_LEN];
    if (ward_httpsig_parse(input_hdr, sig_hdr, &p, sig) != WARD_OK) {
        return refuse(out, "malformed_signature");
    }
    if (!parse_keyid(p.keyid, s)) {
        return refuse(out, "bad_keyid");
    }
    snprintf(out->signer, sizeof out->signer, "%s", s->keyid);
    int64_t now = wardd_now_ms();
    int64_t skew = now / 1000 - p.created;
    if (skew > WARD_HTTPSIG_MAX_SKEW_S || skew < -WARD_HTTPSIG_MAX_SKEW_S) {
        return refuse(out, "stale_created");
    }
    if (!wardd_auth_digest(w, r, out)) {
        return false;
    }

    if (given_pub != NULL) {
        if (expect_keyid == NULL || strcmp(expect_keyid, s->keyid) != 0) {
            return refuse(out, "keyid_not_body");
        }
        memcpy(s->pub, given_pub, WARD_P256_POINT_LEN);
    } else {
        ward_err err = s->is_lock ? w->store.lock_get(w->store.h, s->id, s->pub)
                                  : w->store.user_get(w->store.h, s->id, NULL, s->pub);
        if (err == WARD_ERR_NOTFOUND) {
            return refuse(out, "unknown_keyid");
        }
        if (err != WARD_OK) {
            wardd_fail_store(out, err);
            return false;
        }
    }

    char base[1024];
    size_t base_len = 0;
    if (ward_httpsig_base(r->method, r->path, r->query, digest_hdr, &p, base,
                          sizeof base, &base_len) != WARD_OK) {
        return refuse(out, "bad_components");
    }
    if (ward_httpsig_verify(w->cp, s->pub, base, base_len, sig) != WARD_OK) {
        return refuse(out, "bad_signature");
    }

    /* Only a verified request spends its nonce: junk cannot fill the table. */
    maybe_purge(w, now);
    memcpy(s->nonce, p.nonce, sizeof s->nonce);
    /* Remembered for as long as the request itself would still pass the
     * created check (a fast client clock puts that up to ~601 s ahead,
     * past a plain now + 600 s), so a replay never outlives its nonce. */
    int64_t passes_until = ((int64_t)p.created + WARD_HTTPSIG_MAX_SKEW_S + 1) * 1000LL;
    s->nonce_expires_ms = now + WARD_HTTPSIG_NONCE_TTL_S * 1000LL;
    if (s->nonce_expires_ms < passes_until) {
        s->nonce_expires_ms = passes_until;
    }
    s->nonce_spent = false;
    return true;
}

bool wardd_auth_replayed(wardd_resp *out)
{
    return refuse(out, "nonce_replayed");
}

bool wardd_auth_spend(wardd *w, wardd_signer *s, wardd_resp *out)
{
    if (s->nonce_spent) {
        return true;
    }
    ward_err err = w->store.nonce_use(w->store.h, s->keyid, s->nonce, s->nonce_expires_ms);
    if (err == WARD_ERR_AUTH) {
        return wardd_auth_replayed(out);
    }
    if (err != WARD_OK) {
        wardd_fail_store(out, err);
        return false;
    }
    s->nonce_spent = true;
    return true;
}

bool wardd_auth(wardd *w, const wardd_req *r, const uint8_t *given_pub,
                const char *expect_keyid, wardd_signer *s, wardd_resp *out)
{
    return auth_check(w, r, given_pub, expect_keyid, s, out) && wardd_auth_spend(w, s, out);
}

bool wardd_auth_deferred(wardd *w, const wardd_req *r, wardd_signer *s, wardd_resp *out)
{
    return auth_check(w, r, NULL, NULL, s, out);
}

bool wardd_lock_reader(wardd *w, const wardd_signer *s, const char *sn, bool admins_only,
                       const char *refusal, wardd_resp *out)
{
    if (s->is_lock) {
        if (strcmp(s->id, sn) != 0) {
            wardd_fail(out, 403, "forbidden", "not this lock");
            return false;
        }
        return true;
    }
    uint8_t role = WARD_ROLE_MEMBER;
    ward_err err = w->store.binding_get(w->store.h, sn, s->id, &role);
    if (err != WARD_OK && err != WARD_ERR_NOTFOUND) {
        wardd_fail_store(out, err);
        return false;
    }
    if (err == WARD_ERR_NOTFOUND ||
        (admins_only && role != WARD_ROLE_OWNER && role != WARD_ROLE_ADMIN)) {
        wardd_fail(out, 403, "forbidden", refusal);
        return false;
    }
    return true;
}

bool wardd_auth_user(wardd *w, const wardd_req *r, wardd_signer *s, wardd_resp *out)
{
    if (!wardd_auth(w, r, NULL, NULL, s, out)) {
        return false;
    }
    if (s->is_lock) {
        wardd_fail(out, 403, "forbidden", "an app's request");
        return false;
    }
    return true;
}
