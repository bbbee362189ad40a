/*
 * keystore.h - where the CLI's long-term keys live: `--keystore URI`.
 *
 * `ward lock init` and `ward app register|recover` take --keystore URI:
 *     pkcs11:token=...;object=...?module-path=...&pin-value=...
 * (RFC 7512, ward_port_pkcs11.h), or "software" (the default: the key in
 * the lock's store.bin or the app's client.key, as before). The URI given
 * is remembered in the state directory, D/keystore (mode 0600: it may
 * hold the PIN), and every later command on D uses it without the option.
 */
#ifndef WARD_CLI_KEYSTORE_H
#define WARD_CLI_KEYSTORE_H

#include "ward/ward_bind.h"
#include "ward/ward_host.h"
#include "ward/ward_port_pkcs11.h"

/* The --keystore value of the command now running (NULL: not given). */
void cli_keystore_option(const char *uri);

/* Sets host->keystore to the keystore of state directory dir: the one
 * --keystore named (D/keystore is then written; D is made if need be),
 * or the one D/keystore names, or none. The keystore stays open until
 * the process exits. 0, or an exit code after printing why. */
int cli_keystore_attach(ward_host *host, const char *dir);

/* A long-term signing key named on the command line, the one way every
 * command takes one (`--factory-key`, `ward factory cert|revoke --key`, a
 * release key): a key file (64 hex digits, mode 0600, `ward factory keygen`)
 * loaded into a software keystore for this command, or the PKCS#11 URI of
 * the token that holds it as id (label OBJECT-NAME, ward_port_pkcs11.h),
 * opened for this command. Either way k->ks signs by handle under k->id,
 * and k->pub is its public key. */
typedef struct cli_key {
    ward_keystore_soft soft;
    ward_pkcs11_keystore *p11;  /* NULL: the software keystore */
    ward_keystore ks;
    ward_key_id id;
    uint8_t pub[WARD_P256_POINT_LEN];
} cli_key;

/* Opens key (a file or a pkcs11: URI) as id into *k; what names it in the
 * complaints ("manufacturer key", "release key"). 0, or an exit code after
 * printing why (nothing left open). */
int cli_key_open(cli_key *k, const char *key, ward_key_id id, const ward_crypto *cp,
                 const char *what);
/* Closes the token or wipes the software copy. */
void cli_key_close(cli_key *k);

/* Makes id's key pair inside the token uri names (a key already there is
 * taken) and gives its public key and the keystore's name. 0 or an exit
 * code after printing why. */
int cli_key_generate_in(const char *uri, ward_key_id id, const ward_crypto *cp,
                        uint8_t pub[WARD_P256_POINT_LEN], char *name, size_t name_cap,
                        const char *what);

/* Makes id's key pair in the software keystore and writes it: the private
 * key to key_path (64 hex digits, 0600), the public one to pub_path (130
 * hex digits). 0 or an exit code after printing why. */
int cli_key_generate_file(const char *key_path, const char *pub_path, ward_key_id id,
                          ward_host *host, const char *what);

/* A key pair a vendor keeps (the manufacturer's, the release key) and how
 * `ward ... keygen --out DIR [--keystore URI]` names it. */
typedef struct cli_keygen_kind {
    const char *command;    /* "factory keygen" */
    const char *key_file;   /* "factory.key" (64 hex digits, 0600) */
    const char *pub_file;   /* "factory.pub" (130 hex digits) */
    ward_key_id id;
    const char *what;       /* "manufacturer key" */
    const char *pub_use;    /* "wardd --factory-pub" */
} cli_keygen_kind;

/* The whole keygen command: the key made in a software keystore and kept
 * in DIR/key_file (never replacing one), or made inside the token URI
 * names (only DIR/pub_file written). 0 or an exit code after printing why. */
int cli_keygen(int argc, char **argv, const cli_keygen_kind *k);

/* Signs activation a with the manufacturer key factory (cli_key_open, id
 * WARD_KEY_FACTORY; ward_activation_sign_by()). 0 or an exit code after
 * printing why. */
int cli_factory_sign(const char *factory, const ward_crypto *cp, const ward_activation *a,
                     uint8_t *msg, size_t cap, size_t *len);

#endif /* WARD_CLI_KEYSTORE_H */
