/*
 * keyref.h - a long-term key named on the command line for one signing
 * job: a key file (64 hex digits, as factory.key or release.key) loaded
 * into a software keystore, or the PKCS#11 URI of the token that holds it
 * (ward_port_pkcs11.h; never exported). `ward fw sign --key` and `ward fw
 * keygen --keystore` use it; any other one-shot signer may.
 */
#ifndef WARD_CLI_KEYREF_H
#define WARD_CLI_KEYREF_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_keystore.h"
#include "ward/ward_port_pkcs11.h"

typedef struct cli_keyref {
    ward_keystore_soft soft;
    ward_pkcs11_keystore *p11;   /* NULL: the software keystore */
    ward_keystore ks;            /* the key is ks's key `id` */
    ward_key_id id;
    uint8_t pub[WARD_P256_POINT_LEN];
} cli_keyref;

/* Opens ref (a key file or "pkcs11:...") so that k->ks holds its key
 * under id; what names the key in messages ("release key"). 0, or an
 * exit code after printing why. */
int cli_keyref_open(cli_keyref *k, const char *ref, ward_key_id id, const ward_crypto *cp,
                    const char *what);
/* Wipes the software key or closes the token. */
void cli_keyref_close(cli_keyref *k);

/* Makes id's key inside the token uri names (a key already there is
 * taken) and gives its public point and the keystore's name. 0, or an
 * exit code after printing why. */
int cli_keyref_generate(const char *uri, ward_key_id id, const ward_crypto *cp,
                        uint8_t pub[WARD_P256_POINT_LEN], char *name, size_t name_cap,
                        const char *what);

#endif /* WARD_CLI_KEYREF_H */
