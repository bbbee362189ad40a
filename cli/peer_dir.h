/*
 * peer_dir.h - the state directory of `ward peer` (cli/cmd_peer.c): what
 * a device needs to authenticate a peer offline, as files in D:
 *
 *   peer.key          this device's private key, 64 hex digits (0600)
 *   peer.pub          its public key, 130 hex digits (to certify)
 *   peer.chain        its certificate chain, binary ([factory ||] device)
 *   root.pub          the manufacturer root's public key, 130 hex digits
 *   revocation.list   the newest revocation list accepted (binary; optional)
 *   time.bin          secure time's floor (ward lock|device|gateway time;
 *                     optional: without it the floor is this build's time)
 */
#ifndef WARD_CLI_PEER_DIR_H
#define WARD_CLI_PEER_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_cert.h"
#include "ward/ward_keystore.h"
#include "ward/ward_peer.h"

#define PEER_KEY_FILE "peer.key"
#define PEER_PUB_FILE "peer.pub"
#define PEER_CHAIN_FILE "peer.chain"
#define PEER_ROOT_FILE "root.pub"
#define PEER_LIST_FILE "revocation.list"
#define PEER_TIME_FILE "time.bin"
/* The largest revocation list kept: 8000 key ids. */
#define PEER_LIST_MAX WARD_CERT_LIST_LEN(8000)
/* The key's handle in the software keystore. */
#define PEER_KEY WARD_KEY_DEVICE_IDENTITY

typedef struct peer_dir {
    const ward_crypto *cp;
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t pub[WARD_P256_POINT_LEN];
    uint8_t chain[WARD_CERT_CHAIN_MAX_LEN];
    size_t chain_len;
    ward_cert self;                  /* the device certificate of chain */
    uint8_t root[WARD_P256_POINT_LEN];
    char *list_bytes;                /* NULL: no list kept */
    size_t list_len;
    ward_cert_list list;
    uint64_t floor_ms;               /* secure time's floor */
} peer_dir;

/* Loads D for a handshake: key, chain, root, list (if any) and the floor.
 * 0, or an exit code after printing why. */
int peer_dir_load(peer_dir *d, const char *dir, const ward_crypto *cp, const ward_random *rng);
void peer_dir_free(peer_dir *d);
/* d->floor_ms from D/time.bin (d->root must be set); no file: this
 * build's time. 0, or an exit code after printing why. */
int peer_dir_floor(peer_dir *d, const char *dir);

/* "lock", "gateway", ... for a certificate role ("?" for another). */
const char *peer_role_name(uint8_t role);
/* "lock,gateway": the WARD_PEER_ALLOW() bits; 0 and a usage line if a
 * name is not a device role. */
int peer_roles_parse(const char *text, uint32_t *allowed);
/* Why a chain was refused, for a person. */
const char *peer_cert_why_text(ward_cert_why why);

#endif /* WARD_CLI_PEER_DIR_H */
