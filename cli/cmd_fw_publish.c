/* `ward fw publish` (a signed release to wardd) and `ward fw fetch` (the newest release of a
 * class from wardd, through the update's HTTP source, its digest checked). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "fw_http.h"
#include "fw_source.h"
#include "keyfile.h"
#include "ward/ward_bind.h"
#include "ward/ward_encode.h"
#include "ward/ward_fw.h"
#include "ward/ward_host.h"

/* A publish carries the whole image in one request: give it time. */
#define FW_PUBLISH_TIMEOUT_S 600L

/* The whole of a file of at most cap bytes into a malloc'd buffer. */
static int read_all(const char *what, const char *path, size_t cap, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return cli_fail("cannot read %s %s: %s", what, path, strerror(errno));
    }
    size_t room = 64 * 1024, n = 0;
    uint8_t *buf = malloc(room);
    for (;;) {
        if (buf == NULL) {
            fclose(f);
            return cli_fail("out of memory reading %s", path);
        }
        n += fread(buf + n, 1, room - n, f);
        if (n < room || ferror(f)) {
            break;
        }
        if (room > cap) {
            break;
        }
        uint8_t *more = realloc(buf, room * 2);
        if (more == NULL) {
            free(buf);
        }
        buf = more;
        room *= 2;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || n > cap) {
        free(buf);
        return bad ? cli_fail("cannot read %s %s", what, path)
                   : cli_fail("%s %s is longer than %lu bytes", what, path, (unsigned long)cap);
    }
    *out = buf;
    *len = n;
    return 0;
}

static void say_manifest(const char *verb, const ward_fw_manifest *m)
{
    char digest[2 * WARD_SHA256_LEN + 1];
    cli_hex(m->digest, sizeof m->digest, digest);
    printf("%s class %.*s version %.*s counter %lu: %lu bytes, sha256 %s\n", verb,
           (int)m->class_len, (const char *)m->dev_class, (int)m->version_len,
           (const char *)m->version, (unsigned long)m->counter, (unsigned long)m->size, digest);
}

int cmd_fw_publish(int argc, char **argv)
{
    const char *server = NULL, *manifest = NULL, *image = NULL;
    const cli_option opts[] = {
        { "server", true, &server },
        { "manifest", true, &manifest },
        { "image", true, &image },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, 3, NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (server == NULL || manifest == NULL || image == NULL) {
        return cli_usage("usage: ward fw publish --server URL --manifest M --image IMG");
    }
    if ((rc = cli_server_opt(&server)) != 0) {
        return rc;
    }
    uint8_t *mbytes = NULL, *img = NULL;
    size_t mlen = 0, ilen = 0;
    ward_fw_manifest m;
    if ((rc = read_all("manifest", manifest, WARD_FW_MANIFEST_MAX, &mbytes, &mlen)) != 0) {
        return rc;
    }
    if (ward_fw_manifest_parse(mbytes, mlen, &m) != WARD_OK) {
        free(mbytes);
        return cli_fail("%s is not a firmware manifest (`ward fw sign` writes one)", manifest);
    }
    if ((rc = read_all("image", image, WARD_FW_SIZE_MAX, &img, &ilen)) != 0) {
        free(mbytes);
        return rc;
    }
    char b64[WARD_B64_LEN(WARD_FW_MANIFEST_MAX) + 1], hdr[sizeof b64 + 32];
    WARD_ASSERT(ward_b64_encode(mbytes, mlen, b64, sizeof b64) == WARD_OK);
    free(mbytes);
    snprintf(hdr, sizeof hdr, "Ward-Manifest: %s", b64);
    const char *hdrs[2] = { hdr, "Content-Type: application/octet-stream" };
    fw_http_ans a;
    /* wardd checks everything (key, counter, size, digest): this side
     * only sends, so what it says is what a device would be given. */
    rc = fw_http_do("POST", server, "/v1/fw", hdrs, 2, img, ilen, NULL, 0, FW_PUBLISH_TIMEOUT_S,
                    &a);
    free(img);
    if (rc != 0) {
        rc = cli_fail("cannot reach wardd at %s: %s", server, a.error);
        fw_http_free(&a);
        return rc;
    }
    if (a.status != 201) {
        char why[300];
        fw_http_refusal(&a, why, sizeof why);
        rc = cli_fail("wardd refused the release (%ld): %s", a.status, why);
        fw_http_free(&a);
        return rc;
    }
    fw_http_free(&a);
    say_manifest("published", &m);
    return 0;
}

int cmd_fw_fetch(int argc, char **argv)
{
    const char *server = NULL, *cls = NULL, *out = NULL, *mout = NULL, *pubf = NULL;
    const char *chunk_s = NULL;
    const cli_option opts[] = {
        { "server", true, &server },         { "class", true, &cls },
        { "out", true, &out },               { "manifest-out", true, &mout },
        { "release-pub", true, &pubf },      { "chunk", true, &chunk_s },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, 6, NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (server == NULL || cls == NULL || out == NULL) {
        return cli_usage("usage: ward fw fetch --server URL --class C --out IMG "
                         "[--manifest-out M] [--release-pub F] [--chunk BYTES]");
    }
    unsigned long chunk = 0;
    if ((rc = cli_server_opt(&server)) != 0 ||
        (rc = cli_number_opt("chunk", chunk_s, 65536, 1, 16ul * 1024 * 1024, &chunk)) != 0) {
        return rc;
    }
    if (ward_check_sn((const uint8_t *)cls, strlen(cls)) != WARD_OK ||
        strlen(cls) > WARD_FW_CLASS_MAX) {
        return cli_usage("--class: 1-32 of A-Z a-z 0-9 . _ -");
    }
    ward_host host;
    ward_host_init(&host);
    uint8_t pub[WARD_P256_POINT_LEN];
    if (pubf != NULL && keyfile_read_hex(pubf, pub, sizeof pub) != WARD_OK) {
        return cli_fail("cannot read the release public key %s (130 hex digits)", pubf);
    }
    fw_source src;
    if ((rc = fw_source_http_open(&src, server)) != 0) {
        return rc;
    }
    uint8_t mbytes[WARD_FW_MANIFEST_MAX];
    size_t mlen = 0;
    ward_fw_manifest m;
    rc = src.manifest(src.ctx, cls, mbytes, sizeof mbytes, &mlen);
    if (rc == 3) {
        src.close(src.ctx);
        return cli_fail("wardd at %s has no release for class %s", server, cls);
    }
    ward_err err = WARD_OK;
    if (rc == 0) {
        err = pubf != NULL ? ward_fw_manifest_verify(host.crypto, pub, mbytes, mlen, &m)
                           : ward_fw_manifest_parse(mbytes, mlen, &m);
        if (err == WARD_OK && !ward_fw_manifest_for_class(&m, (const uint8_t *)cls,
                                                          strlen(cls))) {
            err = WARD_ERR_PARAM;
        }
        if (err != WARD_OK) {
            rc = cli_fail("the manifest from %s is refused: %s", server,
                          err == WARD_ERR_NOTFOUND ? "signed by another key"
                          : err == WARD_ERR_AUTH   ? "its signature does not verify"
                          : err == WARD_ERR_PARAM  ? "it is for another class"
                                                   : "not a manifest");
        }
    }
    uint8_t *img = rc == 0 ? malloc(m.size) : NULL;
    if (rc == 0 && img == NULL) {
        rc = cli_fail("out of memory for an image of %lu bytes", (unsigned long)m.size);
    }
    for (uint32_t off = 0; rc == 0 && off < m.size;) {
        size_t want = m.size - off < chunk ? m.size - off : chunk, got = 0;
        rc = src.read(src.ctx, mbytes, mlen, off, img + off, want, &got);
        if (rc == 0 && got != want) {
            rc = cli_fail("the image from %s ends at byte %lu of %lu", server,
                          (unsigned long)(off + got), (unsigned long)m.size);
        }
        off += (uint32_t)got;
    }
    src.close(src.ctx);
    uint8_t digest[WARD_SHA256_LEN];
    if (rc == 0) {
        ward_iov iov = { img, m.size };
        if (host.crypto->sha256(&iov, 1, digest) != WARD_OK ||
            memcmp(digest, m.digest, sizeof digest) != 0) {
            rc = cli_fail("the image from %s is not the manifest's (SHA-256 differs): not written",
                          server);
        }
    }
    if (rc == 0) {
        FILE *f = fopen(out, "wb");
        if (f == NULL || fwrite(img, 1, m.size, f) != m.size || fclose(f) != 0) {
            rc = cli_fail("cannot write %s: %s", out, strerror(errno));
        }
    }
    if (rc == 0 && mout != NULL) {
        FILE *f = fopen(mout, "wb");
        if (f == NULL || fwrite(mbytes, 1, mlen, f) != mlen || fclose(f) != 0) {
            rc = cli_fail("cannot write %s: %s", mout, strerror(errno));
        }
    }
    free(img);
    if (rc == 0) {
        say_manifest("fetched", &m);
    }
    return rc;
}
