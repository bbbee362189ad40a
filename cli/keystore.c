/* `--keystore URI`: opens the keystore a state directory names; see keystore.h. */
#include "keystore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "keyfile.h"
#include "ward/ward_files.h"
#include "ward/ward_port_pkcs11.h"

#define KEYSTORE_FILE "keystore"
#define URI_MAX 2048

static const char *option_uri;
/* One keystore per process: a ward process plays one role on one
 * state directory. */
static ward_pkcs11_keystore *open_p11;
static ward_keystore open_ks;
static char open_uri[URI_MAX];

void cli_keystore_option(const char *uri)
{
    option_uri = uri;
}

static void close_at_exit(void)
{
    ward_pkcs11_close(open_p11);
    open_p11 = NULL;
    explicit_bzero(open_uri, sizeof open_uri);
}

/* The URI D/keystore remembers ("" for none); 0 or an exit code. */
static int read_remembered(const char *dir, char uri[URI_MAX])
{
    char *path = ward_path_join(dir, KEYSTORE_FILE), *text = NULL;
    size_t len = 0;
    uri[0] = 0;
    ward_err err = path != NULL ? ward_file_read(path, URI_MAX - 1, &text, &len) : WARD_ERR_IO;
    free(path);
    if (err == WARD_ERR_NOTFOUND) {
        return 0;
    }
    if (err != WARD_OK) {
        return cli_fail("cannot read %s/%s: %s", dir, KEYSTORE_FILE,
                        cli_file_why(err, errno, "too long for a keystore URI"));
    }
    len = strcspn(text, "\r\n");
    memcpy(uri, text, len);
    uri[len] = 0;
    explicit_bzero(text, len);
    free(text);
    return 0;
}

static int remember(const char *dir, const char *uri)
{
    char *path = NULL;
    ward_err err = ward_mkdir(dir, 0700);
    if (err == WARD_OK) {
        path = ward_path_join(dir, KEYSTORE_FILE);
        err = path != NULL ? ward_file_write_atomic(path, uri, strlen(uri), 0600) : WARD_ERR_IO;
    }
    free(path);
    if (err != WARD_OK) {
        return cli_fail("cannot write %s/%s: %s", dir, KEYSTORE_FILE, strerror(errno));
    }
    return 0;
}

int cli_keystore_attach(ward_host *host, const char *dir)
{
    char uri[URI_MAX];
    int rc = read_remembered(dir, uri);
    if (rc != 0) {
        return rc;
    }
    if (option_uri != NULL) {
        if (strlen(option_uri) >= URI_MAX) {
            return cli_usage("--keystore: the URI is too long");
        }
        if (strcmp(option_uri, "software") != 0 && strncmp(option_uri, "pkcs11:", 7) != 0) {
            return cli_usage("--keystore: 'software' or a PKCS#11 URI (pkcs11:token=...)");
        }
        /* A directory keeps the keystore it was made with: its keys are
         * there. */
        if (uri[0] != 0 && strcmp(uri, option_uri) != 0) {
            return cli_fail("%s uses another keystore (see %s/%s)", dir, dir, KEYSTORE_FILE);
        }
        if (uri[0] == 0 && strcmp(option_uri, "software") != 0 &&
            (rc = remember(dir, option_uri)) != 0) {
            return rc;
        }
        snprintf(uri, sizeof uri, "%s", option_uri);
    }
    if (uri[0] == 0 || strcmp(uri, "software") == 0) {
        host->keystore = NULL;
        return 0;
    }
    if (open_p11 != NULL) {
        if (strcmp(uri, open_uri) != 0) {
            return cli_fail("one keystore per ward process");
        }
        host->keystore = &open_ks;
        return 0;
    }
    char why[512];
    ward_err err = ward_pkcs11_open(uri, host->crypto, &open_p11, &open_ks, why, sizeof why);
    if (err != WARD_OK) {
        return cli_fail("cannot open the keystore of %s: %s", dir, why);
    }
    snprintf(open_uri, sizeof open_uri, "%s", uri);
    atexit(close_at_exit);
    host->keystore = &open_ks;
    return 0;
}

int cli_key_open(cli_key *k, const char *key, ward_key_id id, const ward_crypto *cp,
                 const char *what)
{
    ward_err err;
    memset(k, 0, sizeof *k);
    k->id = id;
    if (strncmp(key, "pkcs11:", 7) == 0) {
        char why[512];
        err = ward_pkcs11_open(key, cp, &k->p11, &k->ks, why, sizeof why);
        if (err != WARD_OK) {
            return cli_fail("cannot open the keystore of the %s: %s", what, why);
        }
        err = k->ks.public_key(k->ks.ctx, id, k->pub);
        if (err != WARD_OK) {
            /* The keystore's name, not the URI: it may hold the PIN. */
            int rc = cli_fail("no %s in the keystore (%s, label OBJECT-%s): %s", what,
                              k->ks.name, ward_pkcs11_key_name(id), ward_strerror(err));
            ward_pkcs11_close(k->p11);
            k->p11 = NULL;
            return rc;
        }
        return 0;
    }
    ward_keystore_soft_init(&k->soft, cp, NULL, &k->ks);
    err = keyfile_load_key(key, &k->soft, id);
    if (err == WARD_OK) {
        err = k->ks.public_key(k->ks.ctx, id, k->pub);
    }
    if (err != WARD_OK) {
        int os = errno;
        char bad[128];
        ward_keystore_soft_wipe(&k->soft);
        snprintf(bad, sizeof bad, "not a %s file (64 hex digits; damaged, or another file)",
                 what);
        return cli_fail("cannot read the %s %s: %s", what, key, cli_file_why(err, os, bad));
    }
    return 0;
}

void cli_key_close(cli_key *k)
{
    if (k->p11 != NULL) {
        ward_pkcs11_close(k->p11);
        k->p11 = NULL;
    } else {
        ward_keystore_soft_wipe(&k->soft);
    }
}

int cli_key_generate_in(const char *uri, ward_key_id id, const ward_crypto *cp,
                        uint8_t pub[WARD_P256_POINT_LEN], char *name, size_t name_cap,
                        const char *what)
{
    ward_pkcs11_keystore *p = NULL;
    ward_keystore ks;
    char why[512];
    if (strncmp(uri, "pkcs11:", 7) != 0) {
        return cli_usage("--keystore: a PKCS#11 URI (pkcs11:token=...)");
    }
    ward_err err = ward_pkcs11_open(uri, cp, &p, &ks, why, sizeof why);
    if (err != WARD_OK) {
        return cli_fail("cannot open the keystore: %s", why);
    }
    err = ks.generate(ks.ctx, id, pub);
    if (err == WARD_ERR_STATE) {
        err = ks.public_key(ks.ctx, id, pub);
    }
    snprintf(name, name_cap, "%s", ks.name);
    ward_pkcs11_close(p);
    if (err != WARD_OK) {
        return cli_fail("cannot make the %s in the keystore: %s", what, ward_strerror(err));
    }
    return 0;
}

int cli_factory_sign(const char *factory, const ward_crypto *cp, const ward_activation *a,
                     uint8_t *msg, size_t cap, size_t *len)
{
    cli_key k;
    int rc = cli_key_open(&k, factory, WARD_KEY_FACTORY, cp, "manufacturer key");
    if (rc != 0) {
        return rc;
    }
    ward_err err = ward_activation_sign_by(cp, &k.ks, WARD_KEY_FACTORY, a, msg, cap, len);
    cli_key_close(&k);
    if (err != WARD_OK) {
        return cli_fail("cannot sign the activation with the manufacturer key: %s",
                        ward_strerror(err));
    }
    return 0;
}

int cli_key_generate_file(const char *key_path, const char *pub_path, ward_key_id id,
                          ward_host *host, const char *what)
{
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN];
    ward_keystore_soft_init(&soft, host->crypto, &host->rng, &ks);
    ward_err err = ks.generate(ks.ctx, id, pub);
    int os = 0;
    if (err == WARD_OK) {
        err = keyfile_save_key(key_path, &soft, id, 0600);
        os = errno;
    }
    if (err == WARD_OK) {
        err = keyfile_write_hex(pub_path, pub, sizeof pub, 0644);
        os = errno;
    }
    ward_keystore_soft_wipe(&soft);
    if (err != WARD_OK) {
        return cli_fail("cannot make the %s in %s: %s", what, key_path,
                        cli_file_why(err, os, NULL));
    }
    return 0;
}

/* The key made inside the token uri names: only DIR/FILE.pub is written. */
static int keygen_in_token(const char *out, const char *uri, const cli_keygen_kind *k,
                           const ward_crypto *cp)
{
    uint8_t pub[WARD_P256_POINT_LEN];
    char name[128];
    int rc = cli_key_generate_in(uri, k->id, cp, pub, name, sizeof name, k->what);
    if (rc != 0) {
        return rc;
    }
    char *pub_path = ward_path_join(out, k->pub_file);
    ward_err err = pub_path ? keyfile_write_hex(pub_path, pub, sizeof pub, 0644) : WARD_ERR_IO;
    if (err != WARD_OK) {
        rc = cli_fail("cannot write %s/%s: %s", out, k->pub_file, cli_file_why(err, errno, NULL));
    } else {
        printf("%s: in the keystore (%s), label ...-%s\n", k->what, name,
               ward_pkcs11_key_name(k->id));
        printf("public key for %s: %s\n", k->pub_use, pub_path);
    }
    free(pub_path);
    return rc;
}

/* A new key in the software keystore, kept in DIR/FILE.key. */
static int keygen_in_file(const char *out, const cli_keygen_kind *k, ward_host *host)
{
    int rc = 0;
    char *key_path = ward_path_join(out, k->key_file);
    char *pub_path = ward_path_join(out, k->pub_file);
    FILE *exists = key_path ? fopen(key_path, "r") : NULL;
    if (key_path == NULL || pub_path == NULL) {
        rc = cli_fail("out of memory");
    } else if (exists != NULL) {
        fclose(exists);
        rc = cli_fail("%s already exists: a %s is never replaced silently", key_path, k->what);
    } else {
        rc = cli_key_generate_file(key_path, pub_path, k->id, host, k->what);
        if (rc == 0) {
            printf("%s: %s (secret, keep it offline)\n", k->what, key_path);
            printf("public key for %s: %s\n", k->pub_use, pub_path);
        }
    }
    free(key_path);
    free(pub_path);
    return rc;
}

int cli_keygen(int argc, char **argv, const cli_keygen_kind *k)
{
    const char *out = NULL, *keystore = NULL;
    const cli_option opts[] = { { "out", true, &out }, { "keystore", true, &keystore } };
    int npos = 0;
    int rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (out == NULL) {
        return cli_usage("usage: ward %s --out DIR [--keystore URI]", k->command);
    }
    if (ward_mkdir(out, 0700) != WARD_OK) {
        return cli_fail("cannot create directory %s: %s", out, strerror(errno));
    }
    ward_host host;
    ward_host_init(&host);
    return keystore != NULL ? keygen_in_token(out, keystore, k, host.crypto)
                            : keygen_in_file(out, k, &host);
}
