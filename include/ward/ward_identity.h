/*
 * ward_identity.h - one identity for every device role (issue 18, item 1;
 * docs/protocol.md "Device certificates", "One identity for every role").
 *
 * What a lock, a device, a gateway, a sub-device or an SE host presents to
 * prove "I am `id` of `role` and I hold the private key of `pub`" is an
 * identity: its certificate chain ([factory ||] device, ward_cert.h), or,
 * while the migration lasts, flow A's ACTIVATION message signed by the
 * manufacturer key. The two are told apart by their second byte (a
 * certificate's role is never 0x12, the ACTIVATION's type). Every verifier
 * (wardd, a gateway) calls ward_identity_verify(); every holder calls
 * ward_identity_names() before presenting, so it never sends what names
 * another key. No heap, no OS: the caller passes "now" and the buffers.
 */
#ifndef WARD_IDENTITY_H
#define WARD_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_attr.h"
#include "ward_cert.h"
#include "ward_crypto.h"
#include "ward_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest identity: a chain of two certificates (an ACTIVATION is at
 * most 178 bytes). */
#define WARD_IDENTITY_MAX WARD_CERT_CHAIN_MAX_LEN

/* A set of acceptable roles: WARD_IDENTITY_ROLE(WARD_CERT_ROLE_LOCK) | ... */
#define WARD_IDENTITY_ROLE(role) (1u << (role))
/* The role of an identity that is an ACTIVATION: it names none. */
#define WARD_IDENTITY_ROLE_NONE 0u

/* What a verifier trusts. root: the manufacturer root's public key that
 * chains must lead to (NULL: every chain refused). factory: the key that
 * signs ACTIVATIONs (NULL: every ACTIVATION refused; the migration ends by
 * passing NULL). list: the newest revocation list the verifier accepted
 * for root (ward_cert_list_verify), or NULL. now_s: the verifier's secure
 * time, seconds since 1970. */
typedef struct ward_identity_trust {
    const uint8_t *root;
    const uint8_t *factory;
    const ward_cert_list *list;
    uint32_t now_s;
} ward_identity_trust;

/* Who an identity names. role: WARD_CERT_ROLE_* (WARD_IDENTITY_ROLE_NONE
 * for an ACTIVATION); pub uncompressed; expires: the device certificate's
 * (WARD_CERT_NO_EXPIRY for an ACTIVATION). */
typedef struct ward_identity {
    bool chain;
    uint8_t role;
    uint8_t id_len;
    uint8_t id[WARD_CERT_ID_MAX];
    uint8_t pub[WARD_P256_POINT_LEN];
    uint32_t expires;
} ward_identity;

/* true iff in[0..len) has the shape of a certificate chain rather than an
 * ACTIVATION (its second byte); says nothing of its validity. */
WARD_MUST_CHECK
bool ward_identity_is_chain(const uint8_t *in, size_t len);

/* Checks the identity in[0..len) against t: a chain with
 * ward_cert_chain_verify() (root, the role of the device's certificate in
 * `roles`, now_s, the list); an ACTIVATION with the factory key (it names
 * no role and has no expiry: accepted only when t->factory is given).
 * who (if not NULL) receives the device's id, role and key. Errors as
 * ward_cert_chain_verify(): WARD_ERR_FORMAT, WARD_ERR_AUTH, WARD_ERR_EXPIRED,
 * WARD_ERR_PARAM (a list of another root); why says which. */
WARD_MUST_CHECK
ward_err ward_identity_verify(const ward_crypto *cp, const ward_identity_trust *t,
                              uint32_t roles, const uint8_t *in, size_t len,
                              ward_identity *who, ward_cert_why *why);

/* Reads what in[0..len) claims, no signature checked: for the holder,
 * which may not know the root. WARD_ERR_FORMAT if it is neither form. */
WARD_MUST_CHECK
ward_err ward_identity_read(const ward_crypto *cp, const uint8_t *in, size_t len,
                            ward_identity *who);

/* The holder's check before it keeps or presents in[0..len): it reads
 * (ward_identity_read), names exactly id[0..id_len) and pub, and, if a
 * chain, a role in `roles`. WARD_ERR_FORMAT (unreadable) or
 * WARD_ERR_AUTH (another id, key or role). */
WARD_MUST_CHECK
ward_err ward_identity_names(const ward_crypto *cp, const uint8_t *in, size_t len,
                             uint32_t roles, const uint8_t *id, size_t id_len,
                             const uint8_t pub[WARD_P256_POINT_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* WARD_IDENTITY_H */
