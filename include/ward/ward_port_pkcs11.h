/*
 * ward_port_pkcs11.h - the keystore port (ward_keystore.h) on a PKCS#11
 * token, through p11-kit (library ward_port_pkcs11, links -lp11-kit).
 *
 * The token is named by an RFC 7512 PKCS#11 URI:
 *
 *     pkcs11:token=LABEL[;object=PREFIX][?module-path=PATH][&pin-value=PIN]
 *     pkcs11:token=LABEL?pin-source=FILE
 *
 *  - token=: the token's label (any token path attribute of RFC 7512
 *    narrows the match: manufacturer=, model=, serial=); the first token
 *    that matches, in slot order, is used;
 *  - object=: the prefix of the keys' labels (default "ward"); the key of
 *    id N is the key pair labelled PREFIX "-" NAME, NAME one of
 *    lock-identity, device-identity, app-client, factory, se, time, release,
 *    gw-wrap (ward_pkcs11_key_name());
 *  - module-path=: the PKCS#11 module to load; without it, every module
 *    registered with p11-kit (/usr/share/p11-kit/modules) is searched;
 *  - pin-value= or pin-source= (a file whose first line is the user PIN);
 *    without either, the environment variable WARD_PKCS11_PIN; without
 *    that, no login (a token that needs one then refuses every key).
 *
 * Keys are made by C_GenerateKeyPair (CKM_EC_KEY_PAIR_GEN, P-256) as
 * token objects; the private key is CKA_SENSITIVE, not CKA_EXTRACTABLE,
 * with CKA_SIGN and CKA_DERIVE only. Signing is CKM_ECDSA over the
 * 32-byte digest; ECDH is CKM_ECDH1_DERIVE (CKD_NULL) into a session-only
 * generic secret that is read and destroyed at once.
 */
#ifndef WARD_PORT_PKCS11_H
#define WARD_PORT_PKCS11_H

#include <stddef.h>

#include "ward_crypto.h"
#include "ward_err.h"
#include "ward_keystore.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ward_pkcs11_keystore ward_pkcs11_keystore;

/* Opens the token uri names (loads the module, opens a read-write
 * session, logs in) and fills ks. cp checks peer points before ECDH.
 * On failure *out is NULL and why (may be NULL) says what failed, e.g.
 * "no token matches pkcs11:token=ward". WARD_ERR_FORMAT: not a PKCS#11
 * URI; WARD_ERR_NOTFOUND: no such module or token; WARD_ERR_AUTH: the
 * PIN was refused; WARD_ERR_IO: another failure of the module. */
WARD_MUST_CHECK
ward_err ward_pkcs11_open(const char *uri, const ward_crypto *cp,
                          ward_pkcs11_keystore **out, ward_keystore *ks,
                          char *why, size_t why_cap);
/* Logs out, closes the session and unloads the module. NULL is fine. */
void ward_pkcs11_close(ward_pkcs11_keystore *p);

/* "lock-identity" etc. for a key id, NULL for an unknown one. */
const char *ward_pkcs11_key_name(ward_key_id id);

#ifdef __cplusplus
}
#endif

#endif /* WARD_PORT_PKCS11_H */
