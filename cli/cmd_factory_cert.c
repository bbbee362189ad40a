/* `ward factory cert`, `revoke` and `check`: device certificates and the root's
 * revocation list (ward_cert.h) as files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "identity.h"
#include "keyfile.h"
#include "keystore.h"
#include "ward/ward.h"
#include "ward/ward_files.h"
#include "ward/ward_host.h"

static int role_of(const char *name, uint8_t *role)
{
    if (cli_cert_role_by_name(name, strlen(name), role)) {
        return 0;
    }
    return cli_usage("--role: lock, device, gateway, subdevice, se-host or factory");
}

/* A decimal number of seconds (a time or a count of days) into *out. */
static int number_opt(const char *opt, const char *text, uint32_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v > 0xFFFFFFFFull) {
        return cli_usage("--%s: a decimal number up to 4294967295", opt);
    }
    *out = (uint32_t)v;
    return 0;
}

static int write_bin(const char *path, const uint8_t *buf, size_t len, const char *what)
{
    ward_err err = ward_file_write_atomic(path, (const char *)buf, len, 0644);
    if (err != WARD_OK) {
        return cli_fail("cannot write %s %s: %s", what, path, cli_file_why(err, errno, NULL));
    }
    return 0;
}

static uint32_t now_s(void)
{
    time_t t = time(NULL);
    return t < 0 ? 0u : (uint32_t)t;
}

#define CERT_USAGE                                                                     \
    "usage: ward factory cert --key KEY --role ROLE --id ID --pub FILE --out FILE "   \
    "[--issuer-cert FILE] [--days N | --expires UNIX] [--issued UNIX]"

int cmd_factory_cert(int argc, char **argv)
{
    const char *key = NULL, *role_s = NULL, *id = NULL, *pub_path = NULL, *out = NULL;
    const char *issuer_cert = NULL, *days_s = NULL, *expires_s = NULL, *issued_s = NULL;
    const cli_option opts[] = {
        { "key", true, &key }, { "role", true, &role_s }, { "id", true, &id },
        { "pub", true, &pub_path }, { "out", true, &out }, { "issuer-cert", true, &issuer_cert },
        { "days", true, &days_s }, { "expires", true, &expires_s }, { "issued", true, &issued_s },
    };
    int npos = 0;
    int rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (key == NULL || role_s == NULL || id == NULL || pub_path == NULL || out == NULL ||
        (days_s != NULL && expires_s != NULL)) {
        return cli_usage(CERT_USAGE);
    }
    ward_cert c;
    uint32_t days = 0;
    memset(&c, 0, sizeof c);
    c.issued = now_s();
    if ((rc = role_of(role_s, &c.role)) != 0 ||
        (issued_s != NULL && (rc = number_opt("issued", issued_s, &c.issued)) != 0) ||
        (expires_s != NULL && (rc = number_opt("expires", expires_s, &c.expires)) != 0) ||
        (days_s != NULL && (rc = number_opt("days", days_s, &days)) != 0)) {
        return rc;
    }
    if (days_s != NULL) {
        uint64_t e = (uint64_t)c.issued + (uint64_t)days * 86400u;
        if (days == 0 || e > 0xFFFFFFFFull) {
            return cli_usage("--days: 1 or more, ending before 2106");
        }
        c.expires = (uint32_t)e;
    }
    size_t id_len = strlen(id);
    if (id_len == 0 || id_len > WARD_CERT_ID_MAX ||
        ward_check_sn((const uint8_t *)id, id_len) != WARD_OK) {
        return cli_usage("--id: 1 to %d of A-Z a-z 0-9 . _ -", WARD_CERT_ID_MAX);
    }
    c.id_len = (uint8_t)id_len;
    memcpy(c.id, id, id_len);
    if (c.expires != WARD_CERT_NO_EXPIRY && c.expires <= c.issued) {
        return cli_usage("--expires: after the issue time");
    }
    uint8_t subject[WARD_P256_POINT_LEN];
    ward_err err = keyfile_read_hex(pub_path, subject, sizeof subject);
    if (err != WARD_OK) {
        return cli_fail("cannot read the public key %s: %s", pub_path,
                        cli_file_why(err, errno, "not a public key file (130 hex digits)"));
    }
    ward_host host;
    ward_host_init(&host);
    uint8_t chain[WARD_CERT_CHAIN_MAX_LEN];
    size_t have = 0, len = 0;
    if (issuer_cert != NULL) {
        /* The issuer's own certificate goes first, so the file is the
         * whole chain a device presents. */
        ward_cert ic;
        if ((rc = cli_read_bin(issuer_cert, chain, WARD_CERT_MAX, &have, "certificate")) != 0) {
            return rc;
        }
        if (ward_cert_parse(chain, have, &ic) != WARD_OK || ic.role != WARD_CERT_ROLE_FACTORY) {
            return cli_fail("%s is not a factory certificate", issuer_cert);
        }
    }
    cli_key s;
    if ((rc = cli_key_open(&s, key, WARD_KEY_FACTORY, host.crypto, "manufacturer key")) != 0) {
        return rc;
    }
    if (issuer_cert != NULL) {
        ward_cert ic;
        uint8_t comp[WARD_P256_COMPRESSED_LEN];
        ward_p256_compress(s.pub, comp);
        if (ward_cert_parse(chain, have, &ic) != WARD_OK ||
            memcmp(comp, ic.pub, sizeof comp) != 0) {
            cli_key_close(&s);
            return cli_fail("%s certifies another key than %s", issuer_cert, key);
        }
    }
    err = ward_cert_issue_by(host.crypto, &s.ks, WARD_KEY_FACTORY, &c, subject, chain + have,
                             sizeof chain - have, &len);
    cli_key_close(&s);
    if (err != WARD_OK) {
        return cli_fail("cannot issue the certificate: %s", ward_strerror(err));
    }
    if ((rc = write_bin(out, chain, have + len, "certificate")) != 0) {
        return rc;
    }
    printf("certificate: %s %s, %zu bytes%s, written to %s\n", cli_cert_role_name(c.role), id,
           len, have > 0 ? " after its factory's" : "", out);
    return 0;
}

/* The subject key id to revoke, from --cert (the last certificate of a
 * chain file), --pub or --key-id. */
static int revoked_kid(const ward_crypto *cp, const char *cert, const char *pub,
                       const char *kid_hex, uint8_t kid[WARD_CERT_KEY_ID_LEN])
{
    uint8_t point[WARD_P256_POINT_LEN];
    if (cert != NULL) {
        uint8_t b[WARD_CERT_CHAIN_MAX_LEN];
        size_t len = 0, off = 0;
        int rc = cli_read_bin(cert, b, sizeof b, &len, "certificate");
        if (rc != 0) {
            return rc;
        }
        ward_cert c;
        size_t one = ward_cert_len(b, len);
        if (one > 0 && one < len) {
            off = one;
        }
        if (ward_cert_parse(b + off, len - off, &c) != WARD_OK ||
            cp->p256_decompress(c.pub, point) != WARD_OK) {
            return cli_fail("%s is not a certificate or a chain", cert);
        }
    } else if (pub != NULL) {
        ward_err err = keyfile_read_hex(pub, point, sizeof point);
        if (err != WARD_OK || cp->p256_point_check(point) != WARD_OK) {
            return cli_fail("cannot read the public key %s: %s", pub,
                            cli_file_why(err, errno, "not a public key file (130 hex digits)"));
        }
    } else {
        size_t n = strlen(kid_hex);
        for (size_t i = 0; i < n; i++) {
            char ch = kid_hex[i];
            if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
                n = 0;
            }
        }
        if (n != 2 * WARD_CERT_KEY_ID_LEN) {
            return cli_usage("--key-id: 16 lower-case hex digits");
        }
        for (size_t i = 0; i < WARD_CERT_KEY_ID_LEN; i++) {
            unsigned v = 0;
            sscanf(kid_hex + 2 * i, "%2x", &v);
            kid[i] = (uint8_t)v;
        }
        return 0;
    }
    ward_err err = ward_cert_key_id(cp, point, kid);
    return err == WARD_OK ? 0 : cli_fail("cannot compute the key id: %s", ward_strerror(err));
}

#define REVOKE_USAGE                                                                \
    "usage: ward factory revoke --key ROOTKEY --list FILE "                         \
    "[--cert FILE | --pub FILE | --key-id HEX]"

int cmd_factory_revoke(int argc, char **argv)
{
    const char *key = NULL, *list_path = NULL, *cert = NULL, *pub = NULL, *kid_hex = NULL;
    const cli_option opts[] = {
        { "key", true, &key }, { "list", true, &list_path }, { "cert", true, &cert },
        { "pub", true, &pub }, { "key-id", true, &kid_hex },
    };
    int npos = 0;
    int rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (key == NULL || list_path == NULL ||
        (cert != NULL) + (pub != NULL) + (kid_hex != NULL) > 1) {
        return cli_usage(REVOKE_USAGE);
    }
    ward_host host;
    ward_host_init(&host);
    uint8_t add[WARD_CERT_KEY_ID_LEN];
    bool adding = cert != NULL || pub != NULL || kid_hex != NULL;
    if (adding && (rc = revoked_kid(host.crypto, cert, pub, kid_hex, add)) != 0) {
        return rc;
    }
    cli_key s;
    if ((rc = cli_key_open(&s, key, WARD_KEY_FACTORY, host.crypto, "manufacturer key")) != 0) {
        return rc;
    }
    /* The list so far, checked against this root: a list is only ever
     * extended, with the next sequence number. */
    char *old = NULL;
    size_t old_len = 0;
    ward_cert_list cur;
    memset(&cur, 0, sizeof cur);
    uint32_t seq = 1;
    size_t count = 0;
    uint8_t *entries = NULL, *outb = NULL;
    ward_err err = ward_file_read(list_path, WARD_CERT_LIST_LEN(WARD_CERT_LIST_ENTRIES_MAX),
                                  &old, &old_len);
    if (err == WARD_OK) {
        err = ward_cert_list_verify(host.crypto, s.pub, (const uint8_t *)old, old_len, NULL,
                                    &cur);
        if (err != WARD_OK) {
            rc = cli_fail("%s is not a revocation list signed by this key: %s", list_path,
                          ward_strerror(err));
            goto done;
        }
        if (cur.seq == 0xFFFFFFFFu) {
            rc = cli_fail("%s has the last sequence number", list_path);
            goto done;
        }
        seq = cur.seq + 1;
        count = cur.count;
    } else if (err != WARD_ERR_NOTFOUND) {
        rc = cli_fail("cannot read %s: %s", list_path, cli_file_why(err, errno, "too large"));
        goto done;
    }
    entries = malloc((count + 1) * WARD_CERT_KEY_ID_LEN);
    outb = malloc(WARD_CERT_LIST_LEN(count + 1));
    if (entries == NULL || outb == NULL) {
        rc = cli_fail("out of memory");
        goto done;
    }
    /* Merge the new id into the sorted entries, once. */
    size_t n = 0;
    bool placed = !adding, already = false;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *e = cur.entries + i * WARD_CERT_KEY_ID_LEN;
        int c = placed ? 1 : memcmp(add, e, WARD_CERT_KEY_ID_LEN);
        if (c == 0) {
            already = true;
            placed = true;
        } else if (c < 0) {
            memcpy(entries + n++ * WARD_CERT_KEY_ID_LEN, add, WARD_CERT_KEY_ID_LEN);
            placed = true;
        }
        memcpy(entries + n++ * WARD_CERT_KEY_ID_LEN, e, WARD_CERT_KEY_ID_LEN);
    }
    if (!placed) {
        memcpy(entries + n++ * WARD_CERT_KEY_ID_LEN, add, WARD_CERT_KEY_ID_LEN);
    }
    if (n > WARD_CERT_LIST_ENTRIES_MAX) {
        rc = cli_fail("%s is full (%u keys)", list_path, (unsigned)WARD_CERT_LIST_ENTRIES_MAX);
        goto done;
    }
    size_t len = 0;
    err = ward_cert_list_sign_by(host.crypto, &s.ks, WARD_KEY_FACTORY, seq, now_s(), entries, n,
                                 outb, WARD_CERT_LIST_LEN(count + 1), &len);
    if (err != WARD_OK) {
        rc = cli_fail("cannot sign the list: %s", ward_strerror(err));
        goto done;
    }
    if ((rc = write_bin(list_path, outb, len, "revocation list")) != 0) {
        goto done;
    }
    printf("revocation list %s: sequence %u, %zu key(s)%s\n", list_path, (unsigned)seq, n,
           already ? " (that key was on it already)" : "");
done:
    cli_key_close(&s);
    free(old);
    free(entries);
    free(outb);
    return rc;
}

#define CHECK_USAGE                                                                 \
    "usage: ward factory check --root FILE --chain FILE --role ROLE [--list FILE] " \
    "[--now UNIX]"

static const char *why_text(ward_cert_why why)
{
    switch (why) {
    case WARD_CERT_MALFORMED: return "not a valid certificate chain";
    case WARD_CERT_TOO_LONG: return "chain longer than factory and device";
    case WARD_CERT_UNKNOWN_ISSUER: return "not issued under this root";
    case WARD_CERT_BAD_SIGNATURE: return "a signature does not verify";
    case WARD_CERT_ROLE: return "wrong role";
    case WARD_CERT_EXPIRED: return "expired";
    case WARD_CERT_REVOKED: return "revoked";
    case WARD_CERT_WRONG_LIST: return "the revocation list is another root's";
    default: return "valid";
    }
}

int cmd_factory_check(int argc, char **argv)
{
    const char *root_path = NULL, *chain_path = NULL, *role_s = NULL, *list_path = NULL;
    const char *now_str = NULL;
    const cli_option opts[] = {
        { "root", true, &root_path }, { "chain", true, &chain_path }, { "role", true, &role_s },
        { "list", true, &list_path }, { "now", true, &now_str },
    };
    int npos = 0;
    int rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (root_path == NULL || chain_path == NULL || role_s == NULL) {
        return cli_usage(CHECK_USAGE);
    }
    uint8_t role = 0;
    uint32_t now = now_s();
    if ((rc = role_of(role_s, &role)) != 0 ||
        (now_str != NULL && (rc = number_opt("now", now_str, &now)) != 0)) {
        return rc;
    }
    ward_host host;
    ward_host_init(&host);
    uint8_t root[WARD_P256_POINT_LEN];
    ward_err err = keyfile_read_hex(root_path, root, sizeof root);
    if (err != WARD_OK || host.crypto->p256_point_check(root) != WARD_OK) {
        return cli_fail("cannot read the root key %s: %s", root_path,
                        cli_file_why(err, errno, "not a public key file (130 hex digits)"));
    }
    /* Room for more than a chain may hold: the core, not the reader,
     * says a chain is too long. */
    uint8_t chain[2 * WARD_CERT_CHAIN_MAX_LEN];
    size_t len = 0;
    if ((rc = cli_read_bin(chain_path, chain, sizeof chain, &len, "chain")) != 0) {
        return rc;
    }
    char *lb = NULL;
    size_t llen = 0;
    ward_cert_list list;
    if (list_path != NULL) {
        err = ward_file_read(list_path, WARD_CERT_LIST_LEN(WARD_CERT_LIST_ENTRIES_MAX), &lb,
                             &llen);
        if (err != WARD_OK) {
            return cli_fail("cannot read %s: %s", list_path, cli_file_why(err, errno, "too large"));
        }
        err = ward_cert_list_verify(host.crypto, root, (const uint8_t *)lb, llen, NULL, &list);
        if (err != WARD_OK) {
            free(lb);
            return cli_fail("%s is not a revocation list of this root: %s", list_path,
                            ward_strerror(err));
        }
    }
    ward_cert leaf;
    ward_cert_why why = WARD_CERT_OK;
    err = ward_cert_chain_verify(host.crypto, root, chain, len, role, now,
                                 list_path != NULL ? &list : NULL, &leaf, &why);
    free(lb);
    if (err != WARD_OK) {
        return cli_fail("certificate refused: %s", why_text(why));
    }
    printf("certificate valid: %s %.*s", cli_cert_role_name(leaf.role), (int)leaf.id_len,
           (const char *)leaf.id);
    if (leaf.expires != WARD_CERT_NO_EXPIRY) {
        printf(", expires %u", (unsigned)leaf.expires);
    }
    printf("\n");
    return 0;
}
