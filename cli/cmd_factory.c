/* `ward factory keygen`: the manufacturer's key pair that vouches for
 * every lock it makes (the activation signature wardd checks). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "keyfile.h"
#include "keystore.h"
#include "ward/ward.h"
#include "ward/ward_files.h"
#include "ward/ward_host.h"


/* The key made inside a PKCS#11 token: only factory.pub is written;
 * activations are signed with --factory-key URI. */
static int keygen_in_keystore(const char *out, const char *uri)
{
    uint8_t pub[WARD_P256_POINT_LEN];
    char name[128];
    ward_host host;
    ward_host_init(&host);
    if (ward_mkdir(out, 0700) != WARD_OK) {
        return cli_fail("cannot create directory %s: %s", out, strerror(errno));
    }
    int rc = cli_key_generate_in(uri, WARD_KEY_FACTORY, host.crypto, pub, name, sizeof name,
                                 "manufacturer key");
    if (rc != 0) {
        return rc;
    }
    char *pub_path = ward_path_join(out, "factory.pub");
    ward_err err = pub_path ? keyfile_write_hex(pub_path, pub, sizeof pub, 0644) : WARD_ERR_IO;
    if (err != WARD_OK) {
        rc = cli_fail("cannot write %s/factory.pub: %s", out, cli_file_why(err, errno, NULL));
    } else {
        printf("manufacturer key: in the keystore (%s), label ...-factory\n", name);
        printf("public key for wardd --factory-pub: %s\n", pub_path);
    }
    free(pub_path);
    return rc;
}

int cmd_factory_keygen(int argc, char **argv)
{
    const char *out = NULL, *keystore = NULL;
    const cli_option opts[] = { { "out", true, &out }, { "keystore", true, &keystore } };
    int npos = 0;
    int rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (out == NULL) {
        return cli_usage("usage: ward factory keygen --out DIR [--keystore URI]");
    }
    if (keystore != NULL) {
        return keygen_in_keystore(out, keystore);
    }
    if (ward_mkdir(out, 0700) != WARD_OK) {
        return cli_fail("cannot create directory %s: %s", out, strerror(errno));
    }
    char *key_path = ward_path_join(out, "factory.key");
    char *pub_path = ward_path_join(out, "factory.pub");
    FILE *exists = key_path ? fopen(key_path, "r") : NULL;
    if (exists != NULL) {
        fclose(exists);
        rc = cli_fail("%s already exists: a manufacturer key is never replaced silently",
                      key_path);
    } else {
        ward_host host;
        ward_host_init(&host);
        /* Made in the software keystore, kept in its file. */
        rc = cli_key_generate_file(key_path, pub_path, WARD_KEY_FACTORY, &host,
                                   "manufacturer key");
        if (rc == 0) {
            printf("manufacturer key: %s (secret, keep it offline)\n", key_path);
            printf("public key for wardd --factory-pub: %s\n", pub_path);
        }
    }
    free(key_path);
    free(pub_path);
    return rc;
}
