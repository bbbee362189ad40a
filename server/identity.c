/* wardd's identity check (wardd.h): device certificate chains against --root-pub, with the
 * newest revocation list of --revocation-list and wardd's clock; ACTIVATIONs by --factory-pub
 * while the migration lasts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "wardd.h"

static const char *why_text(ward_cert_why why)
{
    switch (why) {
    case WARD_CERT_MALFORMED: return "not a certificate chain nor an activation";
    case WARD_CERT_TOO_LONG: return "chain longer than factory and device";
    case WARD_CERT_UNKNOWN_ISSUER: return "not issued under the manufacturer's root";
    case WARD_CERT_BAD_SIGNATURE: return "a signature does not verify";
    case WARD_CERT_ROLE: return "wrong role";
    case WARD_CERT_EXPIRED: return "expired";
    case WARD_CERT_REVOKED: return "revoked";
    case WARD_CERT_WRONG_LIST: return "revocation list of another root";
    default: return "refused";
    }
}

/* The whole file at path, at most max bytes, malloc'd. */
static ward_err read_file(const char *path, size_t max, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return WARD_ERR_IO;
    }
    char *buf = malloc(max + 1);
    size_t n = buf != NULL ? fread(buf, 1, max + 1, f) : 0;
    bool bad = buf == NULL || ferror(f) || n > max;
    fclose(f);
    if (bad) {
        free(buf);
        return buf == NULL ? WARD_ERR_IO : WARD_ERR_FORMAT;
    }
    *data = buf;
    *len = n;
    return WARD_OK;
}

/* Reads the list file again if it changed since the last read, and keeps
 * it if it is the root's and newer than the one held: an older list put
 * in its place does not un-revoke a key. Under list_mu. */
static void list_refresh(wardd *w)
{
    struct stat sb;
    if (w->cfg.revocation_list[0] == '\0' || !w->have_root) {
        return;
    }
    if (stat(w->cfg.revocation_list, &sb) != 0) {
        if (w->list_size != -1) {
            wardd_log("warn", "revocation_list_unreadable", "file=%s err=\"%s\" msg=\"kept\"",
                      w->cfg.revocation_list, strerror(errno));
        }
        w->list_size = -1;
        return;
    }
    long long mtime = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
    if (mtime == w->list_mtime_ns && (long long)sb.st_size == w->list_size &&
        (long long)sb.st_ino == w->list_ino) {
        return;
    }
    w->list_mtime_ns = mtime;
    w->list_size = (long long)sb.st_size;
    w->list_ino = (long long)sb.st_ino;
    char *data = NULL;
    size_t len = 0;
    ward_cert_list l;
    ward_err err = read_file(w->cfg.revocation_list,
                             WARD_CERT_LIST_LEN(WARD_CERT_LIST_ENTRIES_MAX), &data, &len);
    if (err == WARD_OK) {
        err = ward_cert_list_verify(w->cp, w->root_pub, (const uint8_t *)data, len,
                                    w->list_bytes != NULL ? &w->list : NULL, &l);
    }
    if (err != WARD_OK) {
        wardd_log("warn", "revocation_list_refused", "file=%s err=\"%s\" held_seq=%u",
                  w->cfg.revocation_list, ward_strerror(err),
                  w->list_bytes != NULL ? (unsigned)w->list.seq : 0u);
        free(data);
        return;
    }
    free(w->list_bytes);
    w->list_bytes = (uint8_t *)data;
    w->list = l;
    wardd_log("info", "revocation_list", "seq=%u keys=%u", (unsigned)l.seq, (unsigned)l.count);
}

bool wardd_identity_init(wardd *w)
{
    pthread_mutex_init(&w->list_mu, NULL);
    w->list_bytes = NULL;
    w->list_mtime_ns = w->list_size = w->list_ino = 0;
    if (w->cfg.root_pub[0] != '\0') {
        ward_err err = wardd_factory_pub_load(w->cp, w->cfg.root_pub, w->root_pub);
        if (err != WARD_OK) {
            wardd_log("error", "root_pub_bad", "file=%s err=\"%s\"", w->cfg.root_pub,
                      ward_strerror(err));
            return false;
        }
        w->have_root = true;
    } else if (w->have_factory) {
        /* A manufacturer without a separate root signs certificates with
         * the factory key itself: that key is then the root. */
        memcpy(w->root_pub, w->factory_pub, sizeof w->root_pub);
        w->have_root = true;
    }
    if (w->cfg.revocation_list[0] == '\0') {
        return true;
    }
    if (!w->have_root) {
        wardd_log("error", "revocation_list_without_root", "msg=\"give --root-pub\"");
        return false;
    }
    list_refresh(w);
    if (w->list_bytes == NULL) {
        /* A list that was asked for and cannot be used: refuse to run
         * rather than accept revoked devices. */
        wardd_log("error", "revocation_list_bad", "file=%s", w->cfg.revocation_list);
        return false;
    }
    return true;
}

void wardd_identity_hold(wardd *w, ward_identity_trust *t)
{
    time_t now = time(NULL);
    memset(t, 0, sizeof *t);
    t->root = w->have_root ? w->root_pub : NULL;
    t->factory = w->have_factory ? w->factory_pub : NULL;
    t->now_s = now < 0 ? 0u : (now > (time_t)0xFFFFFFFF ? 0xFFFFFFFFu : (uint32_t)now);
    pthread_mutex_lock(&w->list_mu);
    list_refresh(w);
    t->list = w->list_bytes != NULL ? &w->list : NULL;
}

void wardd_identity_release(wardd *w)
{
    pthread_mutex_unlock(&w->list_mu);
}

bool wardd_identity_check(wardd *w, const uint8_t *in, size_t len, uint32_t roles,
                          ward_identity *who, wardd_resp *out)
{
    if (!w->have_root && !w->have_factory) {
        wardd_log("warn", "identity_refused", "reason=no_manufacturer_key");
        wardd_fail(out, 401, "auth", "no manufacturer key configured");
        return false;
    }
    ward_identity_trust t;
    ward_cert_why why = WARD_CERT_OK;
    wardd_identity_hold(w, &t);
    ward_err err = ward_identity_verify(w->cp, &t, roles, in, len, who, &why);
    wardd_identity_release(w);
    if (err == WARD_OK) {
        return true;
    }
    char msg[96];
    snprintf(msg, sizeof msg, "identity refused: %s", why_text(why));
    wardd_log("warn", "identity_refused", "reason=\"%s\"", why_text(why));
    if (err == WARD_ERR_FORMAT) {
        wardd_fail(out, 400, "format", msg);
    } else {
        wardd_fail(out, 401, "auth", msg);
    }
    return false;
}
