/* wardd's private keys (the time key, the gateways' wrap key): key files beside the
 * database in a software keystore, or one PKCS#11 token (--pkcs11-uri) used under a
 * mutex; their public halves written beside the database (DB.timepub, DB.gwpub). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ward/ward_encode.h"
#include "ward/ward_keystore.h"
#include "ward/ward_port_pkcs11.h"
#include "ward/ward_port_posix.h"

#include "config.h"
#include "log.h"
#include "wardd.h"

static struct {
    ward_keystore_soft soft;    /* software: both keys (WARD_KEYSTORE_SOFT_KEYS is 2) */
    ward_pkcs11_keystore *p11;  /* or the token, */
    ward_keystore token;        /* its own table, */
    pthread_mutex_t mu;         /* and its one session, used by one thread at a time */
    ward_keystore ks;           /* what wardd signs and opens with */
} keys = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* A PKCS#11 session runs one operation at a time (C_SignInit then C_Sign):
 * request threads take turns. */
static ward_err locked_generate(void *ctx, ward_key_id id, uint8_t pub[WARD_P256_POINT_LEN])
{
    (void)ctx;
    pthread_mutex_lock(&keys.mu);
    ward_err err = keys.token.generate(keys.token.ctx, id, pub);
    pthread_mutex_unlock(&keys.mu);
    return err;
}

static ward_err locked_public(void *ctx, ward_key_id id, uint8_t pub[WARD_P256_POINT_LEN])
{
    (void)ctx;
    pthread_mutex_lock(&keys.mu);
    ward_err err = keys.token.public_key(keys.token.ctx, id, pub);
    pthread_mutex_unlock(&keys.mu);
    return err;
}

static ward_err locked_sign(void *ctx, ward_key_id id, const uint8_t digest[WARD_SHA256_LEN],
                            uint8_t sig[WARD_P256_SIG_LEN])
{
    (void)ctx;
    pthread_mutex_lock(&keys.mu);
    ward_err err = keys.token.sign(keys.token.ctx, id, digest, sig);
    pthread_mutex_unlock(&keys.mu);
    return err;
}

static ward_err locked_ecdh(void *ctx, ward_key_id id, const uint8_t peer[WARD_P256_POINT_LEN],
                            uint8_t shared[WARD_P256_SHARED_LEN])
{
    (void)ctx;
    pthread_mutex_lock(&keys.mu);
    ward_err err = keys.token.ecdh(keys.token.ctx, id, peer, shared);
    pthread_mutex_unlock(&keys.mu);
    return err;
}

ward_err wardd_keys_open(wardd *w)
{
    if (w->cfg.pkcs11_uri[0] == '\0') {
        ward_random rng = ward_random_posix();
        ward_keystore_soft_init(&keys.soft, w->cp, &rng, &keys.ks);
        return WARD_OK;
    }
    char why[512];
    ward_err err = ward_pkcs11_open(w->cfg.pkcs11_uri, w->cp, &keys.p11, &keys.token, why,
                                    sizeof why);
    if (err != WARD_OK) {
        /* The URI may hold the PIN: the port's words name the token, not it. */
        wardd_log("error", "keystore_open_failed", "err=\"%s\" why=\"%s\"", ward_strerror(err),
                  why);
        return err;
    }
    keys.ks = (ward_keystore){ keys.token.name, locked_generate, locked_public, locked_sign,
                               locked_ecdh, NULL };
    wardd_log("info", "keystore", "name=\"%s\"", keys.ks.name);
    return WARD_OK;
}

void wardd_keys_close(void)
{
    if (keys.p11 != NULL) {
        ward_pkcs11_close(keys.p11);
        keys.p11 = NULL;
    } else {
        ward_keystore_soft_wipe(&keys.soft);
    }
    memset(&keys.ks, 0, sizeof keys.ks);
}

const ward_keystore *wardd_keys(void)
{
    return &keys.ks;
}

/* The event "<what>_<suffix>": gw_key_bad, time_key_made... (as codes.c names them). */
static const char *event(char out[64], const char *what, const char *suffix)
{
    snprintf(out, 64, "%s_%s", what, suffix);
    return out;
}

static ward_err path_of(const char *db, const char *suffix, char *out, size_t cap)
{
    int len = snprintf(out, cap, "%s%s", db, suffix);
    return len < 0 || (size_t)len >= cap ? WARD_ERR_PARAM : WARD_OK;
}

/* DB.timepub, DB.gwpub: the 65-byte point as 130 hex digits and a newline (the
 * form of factory.pub), written anew at every start, atomically. */
static ward_err write_pub(const char *path, const uint8_t pub[WARD_P256_POINT_LEN])
{
    char tmp[1120], text[2 * WARD_P256_POINT_LEN + 2];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    WARD_ASSERT(ward_hex_encode(pub, WARD_P256_POINT_LEN, text, sizeof text) == WARD_OK);
    size_t n = strlen(text);
    text[n++] = '\n';
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return WARD_ERR_IO;
    }
    ward_err err = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0 ? WARD_OK : WARD_ERR_IO;
    if (close(fd) != 0) {
        err = WARD_ERR_IO;
    }
    if (err == WARD_OK && rename(tmp, path) != 0) {
        err = WARD_ERR_IO;
    }
    if (err != WARD_OK) {
        unlink(tmp);
    }
    return err;
}

/* The refusal of a key missing from where it is kept while the database has
 * one (its public key file, or its key file when the token is asked): a new
 * key would orphan what trusts the old one (devices pinning DB.timepub,
 * gateways whose accesskeys are wrapped to DB.gwpub). */
static ward_err missing(const char *what, const char *where, const char *evidence)
{
    char ev[64];
    wardd_log("error", event(ev, what, "missing"),
              "keystore=\"%s\" where=\"%s\" file=%s msg=\"no key there but this database "
              "has one: wrong keystore, token or object=? A new key is never made in its "
              "place; remove %s to start afresh\"",
              keys.ks.name, where, evidence, evidence);
    return WARD_ERR_NOTFOUND;
}

/* The token's key of id: taken when it is there, made when this database
 * never had such a key (neither file exists), refused otherwise. */
static ward_err token_key(ward_key_id id, const char *key_path, const char *pub_path,
                          bool have_pin, const char *what, uint8_t pub[WARD_P256_POINT_LEN])
{
    char ev[64], where[96];
    snprintf(where, sizeof where, "label OBJECT-%s", ward_pkcs11_key_name(id));
    ward_err err = keys.ks.public_key(keys.ks.ctx, id, pub);
    if (err == WARD_ERR_NOTFOUND) {
        if (have_pin || access(key_path, F_OK) == 0) {
            return missing(what, where, have_pin ? pub_path : key_path);
        }
        err = keys.ks.generate(keys.ks.ctx, id, pub);
        if (err == WARD_ERR_STATE) {
            err = keys.ks.public_key(keys.ks.ctx, id, pub);     /* made meanwhile */
        }
        if (err == WARD_OK) {
            wardd_log("info", event(ev, what, "made"), "keystore=\"%s\" where=\"%s\"",
                      keys.ks.name, where);
        }
    }
    if (err != WARD_OK) {
        wardd_log("error", event(ev, what, "bad"), "keystore=\"%s\" where=\"%s\" err=\"%s\"",
                  keys.ks.name, where, ward_strerror(err));
    }
    return err;
}

/* The key file's key (made when neither file exists) into the software keystore. */
static ward_err soft_key(wardd *w, ward_key_id id, const char *key_suffix, const char *key_path,
                         const char *pub_path, bool have_pin, const char *what,
                         uint8_t pub[WARD_P256_POINT_LEN])
{
    char ev[64];
    uint8_t priv[WARDD_CODE_KEY_LEN];
    if (have_pin && access(key_path, F_OK) != 0 && errno == ENOENT) {
        return missing(what, key_path, pub_path);
    }
    ward_err err = wardd_key_file_open(w->cfg.db, key_suffix, what, priv);
    if (err != WARD_OK) {
        return err;
    }
    err = ward_keystore_soft_load(&keys.soft, id, priv);
    ward_wipe(priv, sizeof priv);
    if (err == WARD_OK) {
        err = keys.ks.public_key(keys.ks.ctx, id, pub);
    }
    if (err != WARD_OK) {
        wardd_log("error", event(ev, what, "bad"), "file=%s err=\"%s\"", key_path,
                  ward_strerror(err));
    }
    return err;
}

ward_err wardd_key_load(wardd *w, ward_key_id id, const char *key_suffix,
                        const char *pub_suffix, const char *what,
                        uint8_t pub[WARD_P256_POINT_LEN])
{
    char key_path[1100], pub_path[1100], ev[64];
    uint8_t pinned[WARD_P256_POINT_LEN];
    ward_err err = path_of(w->cfg.db, key_suffix, key_path, sizeof key_path);
    if (err == WARD_OK) {
        err = path_of(w->cfg.db, pub_suffix, pub_path, sizeof pub_path);
    }
    if (err != WARD_OK) {
        wardd_log("error", event(ev, what, "bad"), "err=\"the database's path is too long\"");
        return err;
    }
    /* The public key file names the key this database uses (written at
     * every start since the key was made): the key found must be that one. */
    bool have_pin = access(pub_path, F_OK) == 0;
    if (have_pin && (err = wardd_factory_pub_load(w->cp, pub_path, pinned)) != WARD_OK) {
        wardd_log("error", event(ev, what, "bad"), "file=%s err=\"%s\" msg=\"not a public "
                  "key file\"", pub_path, ward_strerror(err));
        return err;
    }
    err = keys.p11 != NULL ? token_key(id, key_path, pub_path, have_pin, what, pub)
                           : soft_key(w, id, key_suffix, key_path, pub_path, have_pin, what, pub);
    if (err != WARD_OK) {
        return err;
    }
    if (have_pin && memcmp(pinned, pub, sizeof pinned) != 0) {
        wardd_log("error", event(ev, what, "mismatch"),
                  "keystore=\"%s\" file=%s msg=\"the key found is not the one this database "
                  "uses: wrong keystore, token or object=?\"", keys.ks.name, pub_path);
        return WARD_ERR_STATE;
    }
    if ((err = write_pub(pub_path, pub)) != WARD_OK) {
        wardd_log("error", event(ev, what, "bad"), "file=%s err=\"%s\" why=\"%s\"", pub_path,
                  ward_strerror(err), strerror(errno));
    }
    return err;
}
