/*
 * identity.h - how every role's init gets its identity (ward_identity.h):
 * a certificate chain given (--cert FILE) or made on the spot by the
 * factory (--factory-key KEY --factory-cert FILE), kept in the state
 * directory as D/identity.chain. The issuing key is a cli_key
 * (keystore.h).
 */
#ifndef WARD_CLI_IDENTITY_H
#define WARD_CLI_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_identity.h"
#include "ward/ward_keystore.h"
#include "ward/ward_port_pkcs11.h"

#define CLI_IDENTITY_CHAIN "identity.chain"  /* the chain, binary (ward_cert.h) */
#define CLI_IDENTITY_PUB "identity.pub"      /* the identity key, 130 hex digits */
#define CLI_IDENTITY_LIST "revocation.list"  /* a verifier's newest revocation list */

/* Certificate roles by their CLI names (lock, device, gateway, subdevice,
 * se-host, factory): 1 and *role set when name[0..len) is one; the name of
 * a role, "?" for none. */
int cli_cert_role_by_name(const char *name, size_t len, uint8_t *role);
const char *cli_cert_role_name(uint8_t role);

/* The identity options of every role's init. */
typedef struct cli_id_opts {
    const char *cert;          /* --cert FILE: a chain made by `ward factory cert` */
    const char *factory_key;   /* --factory-key KEY: with factory_cert, certify here */
    const char *factory_cert;  /* --factory-cert FILE: the factory's certificate */
} cli_id_opts;

/* true iff o asks for a certificate chain (else an activation, or none). */
int cli_identity_wanted(const cli_id_opts *o);

/* Usage check of o: --cert excludes --factory-key and --factory-cert;
 * --factory-cert needs --factory-key. 0 or an exit code. */
int cli_identity_usage(const cli_id_opts *o);

/* Writes D/identity.pub (pub, for the factory to certify). 0 or an exit code. */
int cli_identity_save_pub(const char *dir, const uint8_t pub[WARD_P256_POINT_LEN]);

/* The chain of the device (id, role, pub): read from o->cert, or issued by
 * o->factory_key under o->factory_cert (issued now, no expiry); checked to
 * name exactly this device, then kept in D/identity.chain (atomically).
 * 0 or an exit code after printing why. */
int cli_identity_obtain(const char *dir, const ward_crypto *cp, const cli_id_opts *o,
                        uint8_t role, const char *id, size_t id_len,
                        const uint8_t pub[WARD_P256_POINT_LEN], uint8_t *chain, size_t cap,
                        size_t *len);

/* D/identity.chain into chain: 0 with *len = 0 when there is none, or an
 * exit code after printing why. */
int cli_identity_load(const char *dir, uint8_t *chain, size_t cap, size_t *len);

/* A verifier's revocation list (ward_cert.h): the newest of the one kept
 * in D/revocation.list and `given` (a file, NULL: none), both checked
 * against root; a newer given list replaces the kept one (atomically), an
 * older one is refused with a warning and the kept one stays. *bytes
 * (malloc'd; NULL when neither exists) backs *l. 0 or an exit code. */
int cli_identity_list(const char *dir, const ward_crypto *cp,
                      const uint8_t root[WARD_P256_POINT_LEN], const char *given,
                      uint8_t **bytes, ward_cert_list *l);

#endif /* WARD_CLI_IDENTITY_H */
