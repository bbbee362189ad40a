/* Releases from a peer over a byte stream (`ward fw serve --link PATH`): fw_source.h over fw_link.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "fw_link.h"
#include "fw_source.h"

typedef struct link_src {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int fd;   /* -1: not connected (again after any failure) */
} link_src;

static int link_connect(link_src *l)
{
    if (l->fd >= 0) {
        return 0;
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, l->path, strlen(l->path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int os = errno;
        if (fd >= 0) {
            close(fd);
        }
        return cli_fail("cannot reach the release server at %s: %s", l->path, strerror(os));
    }
    l->fd = fd;
    return 0;
}

static void link_drop(link_src *l)
{
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
}

/* One request and its answer; an answer of another type than want is
 * refused (ERROR's code in *code). 0 or 1 after printing why. */
static int exchange(link_src *l, uint8_t req, const uint8_t *body, size_t len, uint8_t want,
                    uint8_t *ans, size_t cap, size_t *got, uint8_t *code)
{
    uint8_t type = 0;
    *code = 0;
    if (link_connect(l) != 0) {
        return 1;
    }
    if (fw_link_send(l->fd, req, body, len) != 0) {
        int os = errno;
        link_drop(l);
        return cli_fail("release server %s: %s", l->path, strerror(os));
    }
    int r = fw_link_recv(l->fd, &type, ans, cap, got);
    if (r != 0) {
        int os = errno;
        link_drop(l);
        return cli_fail("release server %s: %s", l->path,
                        r == -2 ? "an answer longer than asked for"
                                : os == 0 ? "it hung up" : strerror(os));
    }
    if (type == FW_LINK_ANS_ERROR && *got == 1) {
        *code = ans[0];
        return 1;
    }
    if (type != want) {
        link_drop(l);
        return cli_fail("release server %s: an answer of type 0x%02x, not 0x%02x", l->path,
                        type, want);
    }
    return 0;
}

static int link_manifest(void *ctx, const char *dev_class, uint8_t *buf, size_t cap,
                         size_t *len)
{
    link_src *l = ctx;
    uint8_t code = 0;
    int rc = exchange(l, FW_LINK_REQ_MANIFEST, (const uint8_t *)dev_class, strlen(dev_class),
                      FW_LINK_ANS_MANIFEST, buf, cap, len, &code);
    if (rc != 0 && code == FW_LINK_E_NO_RELEASE) {
        return 3;
    }
    if (rc != 0 && code != 0) {
        return cli_fail("release server %s refused the request (error %u)", l->path, code);
    }
    return rc;
}

static int link_read(void *ctx, const uint8_t *manifest, size_t manifest_len, uint32_t off,
                     uint8_t *buf, size_t want, size_t *got)
{
    link_src *l = ctx;
    ward_fw_manifest m;
    *got = 0;
    if (ward_fw_manifest_parse(manifest, manifest_len, &m) != WARD_OK) {
        return cli_fail("not a manifest");
    }
    while (*got < want) {
        size_t ask = want - *got < FW_LINK_BODY_MAX ? want - *got : FW_LINK_BODY_MAX;
        uint32_t at = off + (uint32_t)*got;
        uint8_t req[10], code = 0;
        size_t n = 0;
        req[0] = (uint8_t)(m.counter >> 24);
        req[1] = (uint8_t)(m.counter >> 16);
        req[2] = (uint8_t)(m.counter >> 8);
        req[3] = (uint8_t)m.counter;
        req[4] = (uint8_t)(at >> 24);
        req[5] = (uint8_t)(at >> 16);
        req[6] = (uint8_t)(at >> 8);
        req[7] = (uint8_t)at;
        req[8] = (uint8_t)(ask >> 8);
        req[9] = (uint8_t)ask;
        if (exchange(l, FW_LINK_REQ_READ, req, sizeof req, FW_LINK_ANS_DATA, buf + *got, ask,
                     &n, &code) != 0) {
            return code != 0 ? cli_fail("release server %s refused the read (error %u)",
                                        l->path, code)
                             : 1;
        }
        *got += n;
        if (n < ask) {
            break;   /* the image's end */
        }
    }
    return 0;
}

static void link_close(void *ctx)
{
    link_src *l = ctx;
    link_drop(l);
    free(l);
}

int fw_source_link_open(fw_source *s, const char *path)
{
    link_src *l = calloc(1, sizeof *l);
    if (l == NULL) {
        return cli_fail("out of memory");
    }
    if (strlen(path) == 0 || strlen(path) >= sizeof l->path) {
        free(l);
        return cli_usage("--link: a socket path of 1 to %zu bytes", sizeof l->path - 1);
    }
    snprintf(l->path, sizeof l->path, "%s", path);
    l->fd = -1;
    s->manifest = link_manifest;
    s->read = link_read;
    s->close = link_close;
    s->ctx = l;
    return 0;
}
