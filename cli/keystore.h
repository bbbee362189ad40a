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

/* The --keystore value of the command now running (NULL: not given). */
void cli_keystore_option(const char *uri);

/* Sets host->keystore to the keystore of state directory dir: the one
 * --keystore named (D/keystore is then written; D is made if need be),
 * or the one D/keystore names, or none. The keystore stays open until
 * the process exits. 0, or an exit code after printing why. */
int cli_keystore_attach(ward_host *host, const char *dir);

/* Signs activation a with the manufacturer key (ward_activation_sign_by()):
 * factory is its key file (64 hex digits, `ward factory keygen`) or the
 * PKCS#11 URI of the token that holds it (id WARD_KEY_FACTORY, label
 * PREFIX-factory: `ward factory keygen --keystore URI`). 0 or an exit
 * code after printing why. */
int cli_factory_sign(const char *factory, const ward_crypto *cp, const ward_activation *a,
                     uint8_t *msg, size_t cap, size_t *len);

/* Makes the manufacturer key inside the token uri names and gives its
 * public key; a key already there is taken. 0 or an exit code. */
int cli_factory_keygen(const char *uri, const ward_crypto *cp,
                       uint8_t pub[WARD_P256_POINT_LEN], char *name, size_t name_cap);

#endif /* WARD_CLI_KEYSTORE_H */
