/* A key file or a PKCS#11 URI opened as a keystore for one job; see keyref.h. */
#include "keyref.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "keyfile.h"

static bool is_uri(const char *ref)
{
    return strncmp(ref, "pkcs11:", 7) == 0;
}

int cli_keyref_open(cli_keyref *k, const char *ref, ward_key_id id, const ward_crypto *cp,
                    const char *what)
{
    ward_err err;
    memset(k, 0, sizeof *k);
    k->id = id;
    if (is_uri(ref)) {
        char why[512];
        err = ward_pkcs11_open(ref, cp, &k->p11, &k->ks, why, sizeof why);
        if (err != WARD_OK) {
            return cli_fail("cannot open the keystore of the %s: %s", what, why);
        }
    } else {
        ward_keystore_soft_init(&k->soft, cp, NULL, &k->ks);
        err = keyfile_load_key(ref, &k->soft, id);
        if (err != WARD_OK) {
            int os = errno;
            ward_keystore_soft_wipe(&k->soft);
            return cli_fail("cannot read the %s %s: %s", what, ref,
                            cli_file_why(err, os, "not a key file (64 hex digits)"));
        }
    }
    err = k->ks.public_key(k->ks.ctx, id, k->pub);
    if (err != WARD_OK) {
        cli_keyref_close(k);
        return cli_fail("no %s in %s: %s", what, is_uri(ref) ? "the keystore" : ref,
                        ward_strerror(err));
    }
    return 0;
}

void cli_keyref_close(cli_keyref *k)
{
    if (k->p11 != NULL) {
        ward_pkcs11_close(k->p11);
        k->p11 = NULL;
    } else {
        ward_keystore_soft_wipe(&k->soft);
    }
}

int cli_keyref_generate(const char *uri, ward_key_id id, const ward_crypto *cp,
                        uint8_t pub[WARD_P256_POINT_LEN], char *name, size_t name_cap,
                        const char *what)
{
    ward_pkcs11_keystore *p = NULL;
    ward_keystore ks;
    char why[512];
    if (!is_uri(uri)) {
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
