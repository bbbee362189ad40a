/* `ward peer`'s state directory (peer_dir.h): the key, the chain, the root, the list and
 * the time floor. */
#include "peer_dir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "identity.h"
#include "ward/ward_files.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_store.h"
#include "ward/ward_time.h"

#include "cli.h"
#include "keyfile.h"

/* The firmware's build time, secure time's first floor (cli/CMakeLists.txt). */
#ifndef WARD_CLI_BUILD_MS
#define WARD_CLI_BUILD_MS 0
#endif
#define TIME_STORE_SIZE 1024   /* cmd_time.c's D/time.bin */

const char *peer_role_name(uint8_t role)
{
    return cli_cert_role_name(role);
}

int peer_roles_parse(const char *text, uint32_t *allowed)
{
    *allowed = 0;
    const char *p = text;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        uint8_t role = 0;
        bool found = cli_cert_role_by_name(p, n, &role) && role != WARD_CERT_ROLE_FACTORY;
        if (found) {
            *allowed |= WARD_PEER_ALLOW(role);
        } else {
            *allowed = 0;
            return cli_usage("--allow: a comma-separated list of lock, device, gateway, "
                             "subdevice, se-host");
        }
        p += n + (p[n] == ',');
    }
    return *allowed == 0 ? cli_usage("--allow: at least one role") : 0;
}

const char *peer_cert_why_text(ward_cert_why why)
{
    switch (why) {
    case WARD_CERT_MALFORMED: return "not a valid certificate chain";
    case WARD_CERT_TOO_LONG: return "chain longer than factory and device";
    case WARD_CERT_UNKNOWN_ISSUER: return "not issued under our root";
    case WARD_CERT_BAD_SIGNATURE: return "a certificate signature does not verify";
    case WARD_CERT_ROLE: return "wrong role in the chain";
    case WARD_CERT_EXPIRED: return "certificate expired (secure time)";
    case WARD_CERT_REVOKED: return "revoked";
    case WARD_CERT_WRONG_LIST: return "the revocation list is another root's";
    default: return "valid";
    }
}

/* peer_dir.h; a sync holds an exclusive lock on the file, this a shared one. */
int peer_dir_floor(peer_dir *d, const char *dir)
{
    d->floor_ms = (uint64_t)WARD_CLI_BUILD_MS;
    char *path = ward_path_join(dir, PEER_TIME_FILE);
    if (path == NULL) {
        return cli_fail("out of memory");
    }
    ward_file_port fp = { .fd = -1 };
    ward_store_port port;
    ward_store st;
    ward_err err = ward_file_port_open_readonly(&fp, path, TIME_STORE_SIZE, &port);
    if (err == WARD_ERR_NOTFOUND) {
        free(path);
        return 0;
    }
    if (err == WARD_OK && flock(fp.fd, LOCK_SH) != 0) {
        err = WARD_ERR_IO;
    }
    if (err == WARD_OK) {
        err = ward_store_open(&st, &port);
    }
    /* The floor needs no time key: the root stands in for the list of
     * servers, which a device that does not sync here never asks. */
    static ward_time t;
    const uint8_t(*keys)[WARD_P256_POINT_LEN] = (const uint8_t(*)[WARD_P256_POINT_LEN])d->root;
    if (err == WARD_OK) {
        err = ward_time_init(&t, d->cp, &st, keys, 1, 1, (uint64_t)WARD_CLI_BUILD_MS);
    }
    int rc = 0;
    if (err == WARD_OK) {
        d->floor_ms = ward_time_floor(&t);
    } else {
        rc = cli_fail("%s: %s", path, cli_file_why(err, fp.os_errno, "not a store"));
    }
    if (fp.fd >= 0) {
        ward_file_port_close(&fp);
    }
    free(path);
    return rc;
}

static int read_file(const char *dir, const char *name, size_t max, char **data, size_t *len,
                     bool optional, const char *what)
{
    char *path = ward_path_join(dir, name);
    if (path == NULL) {
        return cli_fail("out of memory");
    }
    *data = NULL;
    ward_err err = ward_file_read(path, max, data, len);
    int rc = 0;
    if (err == WARD_ERR_NOTFOUND && optional) {
        *data = NULL;
    } else if (err != WARD_OK) {
        rc = cli_fail("%s: %s (%s; see ward peer init)", path,
                      cli_file_why(err, errno, "too large"), what);
    }
    free(path);
    return rc;
}

int peer_dir_load(peer_dir *d, const char *dir, const ward_crypto *cp, const ward_random *rng)
{
    memset(d, 0, sizeof *d);
    d->cp = cp;
    ward_keystore_soft_init(&d->soft, cp, rng, &d->ks);
    char *kpath = ward_path_join(dir, PEER_KEY_FILE);
    char *rpath = ward_path_join(dir, PEER_ROOT_FILE);
    int rc = 0;
    ward_err err = WARD_OK;
    if (kpath == NULL || rpath == NULL) {
        rc = cli_fail("out of memory");
    } else if ((err = keyfile_load_key(kpath, &d->soft, PEER_KEY)) != WARD_OK) {
        rc = cli_fail("%s: %s (ward peer init makes it)", kpath,
                      cli_file_why(err, errno, "not a key file"));
    } else if ((err = keyfile_read_hex(rpath, d->root, WARD_P256_POINT_LEN)) != WARD_OK) {
        rc = cli_fail("%s: %s (ward peer init --root FILE)", rpath,
                      cli_file_why(err, errno, "not a public key file"));
    }
    free(kpath);
    free(rpath);
    char *chain = NULL;
    if (rc == 0) {
        rc = read_file(dir, PEER_CHAIN_FILE, WARD_CERT_CHAIN_MAX_LEN, &chain, &d->chain_len,
                       false, "the chain: ward peer init --cert FILE");
    }
    if (rc == 0) {
        memcpy(d->chain, chain, d->chain_len);
        size_t first = ward_cert_len(d->chain, d->chain_len);
        size_t off = first == d->chain_len ? 0 : first;
        if (first == 0 ||
            ward_cert_parse(d->chain + off, d->chain_len - off, &d->self) != WARD_OK) {
            rc = cli_fail("%s/%s: not a certificate chain", dir, PEER_CHAIN_FILE);
        }
    }
    free(chain);
    if (rc == 0) {
        rc = read_file(dir, PEER_LIST_FILE, PEER_LIST_MAX, &d->list_bytes, &d->list_len, true,
                       "the revocation list");
    }
    if (rc == 0 && d->list_bytes != NULL &&
        ward_cert_list_verify(cp, d->root, (const uint8_t *)d->list_bytes, d->list_len, NULL,
                              &d->list) != WARD_OK) {
        rc = cli_fail("%s/%s: not a revocation list signed by the root", dir, PEER_LIST_FILE);
    }
    if (rc == 0) {
        rc = peer_dir_floor(d, dir);
    }
    if (rc == 0 && d->ks.public_key(d->ks.ctx, PEER_KEY, d->pub) != WARD_OK) {
        rc = cli_fail("%s: the key did not load", dir);
    }
    if (rc != 0) {
        peer_dir_free(d);
    }
    return rc;
}

void peer_dir_free(peer_dir *d)
{
    ward_keystore_soft_wipe(&d->soft);
    free(d->list_bytes);
    d->list_bytes = NULL;
}
