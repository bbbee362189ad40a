/* Every role's identity as the CLI gets it: a chain given or made by the factory, kept in
 * the state directory (identity.h). */
#include "identity.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "keyfile.h"
#include "keystore.h"
#include "ward/ward.h"
#include "ward/ward_files.h"

static const struct {
    const char *name;
    uint8_t role;
} roles[] = {
    { "lock", WARD_CERT_ROLE_LOCK }, { "device", WARD_CERT_ROLE_DEVICE },
    { "gateway", WARD_CERT_ROLE_GATEWAY }, { "subdevice", WARD_CERT_ROLE_SUBDEVICE },
    { "se-host", WARD_CERT_ROLE_SE_HOST }, { "factory", WARD_CERT_ROLE_FACTORY },
};

int cli_cert_role_by_name(const char *name, size_t len, uint8_t *role)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strlen(roles[i].name) == len && strncmp(roles[i].name, name, len) == 0) {
            *role = roles[i].role;
            return 1;
        }
    }
    return 0;
}

const char *cli_cert_role_name(uint8_t role)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (roles[i].role == role) {
            return roles[i].name;
        }
    }
    return "?";
}

int cli_identity_wanted(const cli_id_opts *o)
{
    return o->cert != NULL || (o->factory_key != NULL && o->factory_cert != NULL);
}

int cli_identity_usage(const cli_id_opts *o)
{
    if (o->cert != NULL && (o->factory_key != NULL || o->factory_cert != NULL)) {
        return cli_usage("--cert FILE, or --factory-key with --factory-cert: not both");
    }
    if (o->factory_cert != NULL && o->factory_key == NULL) {
        return cli_usage("--factory-cert goes with --factory-key (the factory's key)");
    }
    return 0;
}

static char *path_in(const char *dir, const char *name)
{
    char *p = ward_path_join(dir, name);
    if (p == NULL) {
        cli_fail("out of memory");
    }
    return p;
}

int cli_identity_save_pub(const char *dir, const uint8_t pub[WARD_P256_POINT_LEN])
{
    char *path = path_in(dir, CLI_IDENTITY_PUB);
    if (path == NULL) {
        return CLI_EXIT_FAIL;
    }
    int rc = 0;
    if (keyfile_write_hex(path, pub, WARD_P256_POINT_LEN, 0644) != WARD_OK) {
        rc = cli_fail("cannot write %s: %s", path, strerror(errno));
    }
    free(path);
    return rc;
}

/* The factory's certificate first, then this device's, issued by its key. */
static int issue(const ward_crypto *cp, const cli_id_opts *o, uint8_t role, const char *id,
                 size_t id_len, const uint8_t pub[WARD_P256_POINT_LEN], uint8_t *chain,
                 size_t cap, size_t *len)
{
    size_t have = 0, one = 0;
    ward_cert fc;
    int rc = cli_read_bin(o->factory_cert, chain, cap < WARD_CERT_MAX ? cap : WARD_CERT_MAX,
                          &have, "certificate");
    if (rc != 0) {
        return rc;
    }
    if (ward_cert_parse(chain, have, &fc) != WARD_OK || fc.role != WARD_CERT_ROLE_FACTORY) {
        return cli_fail("%s is not a factory certificate", o->factory_cert);
    }
    cli_key s;
    if ((rc = cli_key_open(&s, o->factory_key, WARD_KEY_FACTORY, cp, "manufacturer key")) != 0) {
        return rc;
    }
    uint8_t comp[WARD_P256_COMPRESSED_LEN];
    ward_p256_compress(s.pub, comp);
    if (memcmp(comp, fc.pub, sizeof comp) != 0) {
        cli_key_close(&s);
        return cli_fail("%s certifies another key than %s", o->factory_cert, o->factory_key);
    }
    ward_cert c;
    memset(&c, 0, sizeof c);
    time_t now = time(NULL);
    c.role = role;
    c.id_len = (uint8_t)id_len;
    memcpy(c.id, id, id_len);
    c.issued = now < 0 ? 0u : (uint32_t)now;
    c.expires = WARD_CERT_NO_EXPIRY;
    ward_err err = ward_cert_issue_by(cp, &s.ks, WARD_KEY_FACTORY, &c, pub, chain + have,
                                      cap - have, &one);
    cli_key_close(&s);
    if (err != WARD_OK) {
        return cli_fail("cannot issue the certificate: %s", ward_strerror(err));
    }
    *len = have + one;
    return 0;
}

int cli_identity_obtain(const char *dir, const ward_crypto *cp, const cli_id_opts *o,
                        uint8_t role, const char *id, size_t id_len,
                        const uint8_t pub[WARD_P256_POINT_LEN], uint8_t *chain, size_t cap,
                        size_t *len)
{
    int rc;
    *len = 0;
    if (id_len == 0 || id_len > WARD_CERT_ID_MAX) {
        return cli_fail("the id %.*s cannot be certified (1 to %d characters)", (int)id_len, id,
                        WARD_CERT_ID_MAX);
    }
    if (o->cert != NULL) {
        rc = cli_read_bin(o->cert, chain, cap, len, "certificate chain");
    } else {
        rc = issue(cp, o, role, id, id_len, pub, chain, cap, len);
    }
    if (rc != 0) {
        return rc;
    }
    /* Keep and present only a chain that names this device: its id and
     * its key. The role, the signatures, the expiry and the revocation are
     * the verifier's to judge (a role it does not take is refused there). */
    if (ward_identity_names(cp, chain, *len, 0xFFFFFFFFu, (const uint8_t *)id,
                            id_len, pub) != WARD_OK || !ward_identity_is_chain(chain, *len)) {
        return cli_fail("%s is not a certificate chain of %.*s's identity key",
                        o->cert != NULL ? o->cert : "the new certificate", (int)id_len, id);
    }
    char *path = path_in(dir, CLI_IDENTITY_CHAIN);
    if (path == NULL) {
        return CLI_EXIT_FAIL;
    }
    if (ward_file_write_atomic(path, (const char *)chain, *len, 0644) != WARD_OK) {
        rc = cli_fail("cannot write %s: %s", path, strerror(errno));
    }
    free(path);
    return rc;
}

int cli_identity_load(const char *dir, uint8_t *chain, size_t cap, size_t *len)
{
    *len = 0;
    char *path = path_in(dir, CLI_IDENTITY_CHAIN);
    if (path == NULL) {
        return CLI_EXIT_FAIL;
    }
    char *data = NULL;
    ward_err err = ward_file_read(path, cap, &data, len);
    int rc = 0;
    if (err == WARD_OK) {
        memcpy(chain, data, *len);
        free(data);
    } else if (err != WARD_ERR_NOTFOUND) {
        rc = cli_fail("cannot read %s: %s", path, cli_file_why(err, errno, "too large"));
    }
    free(path);
    return rc;
}

int cli_identity_list(const char *dir, const ward_crypto *cp,
                      const uint8_t root[WARD_P256_POINT_LEN], const char *given,
                      uint8_t **bytes, ward_cert_list *l)
{
    const size_t max = WARD_CERT_LIST_LEN(WARD_CERT_LIST_ENTRIES_MAX);
    char *kept = NULL, *fresh = NULL;
    size_t klen = 0, flen = 0;
    ward_cert_list kl, fl;
    int rc = 0;
    *bytes = NULL;
    char *path = path_in(dir, CLI_IDENTITY_LIST);
    if (path == NULL) {
        return CLI_EXIT_FAIL;
    }
    /* The kept list: one this verifier accepted before. */
    if (ward_file_read(path, max, &kept, &klen) == WARD_OK &&
        ward_cert_list_verify(cp, root, (const uint8_t *)kept, klen, NULL, &kl) != WARD_OK) {
        fprintf(stderr, "ward: warning: %s is not a list of this root: ignored\n", path);
        free(kept);
        kept = NULL;
    }
    if (given != NULL) {
        ward_err err = ward_file_read(given, max, &fresh, &flen);
        if (err != WARD_OK) {
            rc = cli_fail("cannot read %s: %s", given, cli_file_why(err, errno, "too large"));
        } else {
            err = ward_cert_list_verify(cp, root, (const uint8_t *)fresh, flen,
                                        kept != NULL ? &kl : NULL, &fl);
            if (err == WARD_ERR_EXPIRED) {
                fprintf(stderr, "ward: warning: %s is not newer than the list kept (sequence "
                        "%u): the kept one stays\n", given, (unsigned)kl.seq);
            } else if (err != WARD_OK) {
                rc = cli_fail("%s is not a revocation list of this root: %s", given,
                              ward_strerror(err));
            } else if (ward_file_write_atomic(path, fresh, flen, 0644) != WARD_OK) {
                rc = cli_fail("cannot write %s: %s", path, strerror(errno));
            } else {
                free(kept);
                kept = fresh;
                kl = fl;
                fresh = NULL;
            }
        }
    }
    free(fresh);
    free(path);
    if (rc != 0) {
        free(kept);
        return rc;
    }
    if (kept != NULL) {
        *bytes = (uint8_t *)kept;
        *l = kl;
    }
    return 0;
}
