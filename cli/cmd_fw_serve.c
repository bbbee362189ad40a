/* `ward fw serve`: one release (manifest and image) served over a Unix stream socket, as over a UART (fw_link.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "fw_link.h"
#include "ward/ward_files.h"
#include "ward/ward_fw.h"

typedef struct served {
    uint8_t manifest[WARD_FW_MANIFEST_MAX];
    size_t manifest_len;
    ward_fw_manifest m;
    int image_fd;
    unsigned reads;
} served;

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int answer_error(int fd, uint8_t code)
{
    return fw_link_send(fd, FW_LINK_ANS_ERROR, &code, 1);
}

/* One request; -1 ends the connection. */
static int answer(const served *s, int fd, uint8_t type, const uint8_t *body, size_t len)
{
    if (type == FW_LINK_REQ_MANIFEST) {
        if (len == s->m.class_len && memcmp(body, s->m.dev_class, len) == 0) {
            return fw_link_send(fd, FW_LINK_ANS_MANIFEST, s->manifest, s->manifest_len);
        }
        return answer_error(fd, len >= 1 && len <= WARD_FW_CLASS_MAX ? FW_LINK_E_NO_RELEASE
                                                                    : FW_LINK_E_BAD);
    }
    if (type != FW_LINK_REQ_READ || len != 10) {
        answer_error(fd, FW_LINK_E_BAD);
        return -1;
    }
    uint32_t counter = be32(body), off = be32(body + 4);
    size_t want = ((size_t)body[8] << 8) | body[9];
    if (counter != s->m.counter) {
        return answer_error(fd, FW_LINK_E_NO_COUNTER);
    }
    if (want == 0 || want > FW_LINK_BODY_MAX) {
        return answer_error(fd, FW_LINK_E_BAD);
    }
    uint8_t data[FW_LINK_BODY_MAX];
    ssize_t n = pread(s->image_fd, data, want, (off_t)off);
    if (n < 0) {
        fprintf(stderr, "ward: reading the image: %s\n", strerror(errno));
        return -1;
    }
    return fw_link_send(fd, FW_LINK_ANS_DATA, data, (size_t)n);
}

static void serve_one(served *s, int fd)
{
    uint8_t body[FW_LINK_BODY_MAX], type = 0;
    size_t len = 0;
    while (!cli_stopping && fw_link_recv(fd, &type, body, sizeof body, &len) == 0) {
        if (type == FW_LINK_REQ_READ) {
            s->reads++;
        }
        if (answer(s, fd, type, body, len) != 0) {
            break;
        }
    }
    close(fd);
}

static int listen_unix(const char *path)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    if (strlen(path) == 0 || strlen(path) >= sizeof sa.sun_path) {
        return -2;
    }
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    struct stat sb;
    /* A socket left by an earlier server is replaced; anything else is not ours. */
    if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0) {
        int os = errno;
        if (fd >= 0) {
            close(fd);
        }
        errno = os;
        return -1;
    }
    return fd;
}

#define SERVE_USAGE "usage: ward fw serve --link PATH --manifest M --image IMG"

int cmd_fw_serve(int argc, char **argv)
{
    const char *link = NULL, *mpath = NULL, *ipath = NULL;
    const cli_option opts[] = {
        { "link", true, &link }, { "manifest", true, &mpath }, { "image", true, &ipath },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (link == NULL || mpath == NULL || ipath == NULL) {
        return cli_usage(SERVE_USAGE);
    }
    static served s;
    char *text = NULL;
    ward_err err = ward_file_read(mpath, WARD_FW_MANIFEST_MAX, &text, &s.manifest_len);
    if (err == WARD_OK) {
        memcpy(s.manifest, text, s.manifest_len);
        free(text);
        /* Parsed for its class and counter only: the device verifies it. */
        err = ward_fw_manifest_parse(s.manifest, s.manifest_len, &s.m);
    }
    if (err != WARD_OK) {
        return cli_fail("cannot read the manifest %s: %s", mpath,
                        cli_file_why(err, errno, "not a manifest"));
    }
    s.image_fd = open(ipath, O_RDONLY | O_CLOEXEC);
    if (s.image_fd < 0) {
        return cli_fail("cannot read the image %s: %s", ipath, strerror(errno));
    }
    int lfd = listen_unix(link);
    if (lfd < 0) {
        close(s.image_fd);
        return lfd == -2 ? cli_usage("--link: a socket path of 1 to 107 bytes")
                         : cli_fail("cannot listen on %s: %s", link, strerror(errno));
    }
    cli_catch_stop();
    char ver[WARD_FW_VERSION_MAX + 1], cls[WARD_FW_CLASS_MAX + 1];
    memcpy(ver, s.m.version, s.m.version_len);
    ver[s.m.version_len] = '\0';
    memcpy(cls, s.m.dev_class, s.m.class_len);
    cls[s.m.class_len] = '\0';
    printf("serving version %s (class %s, counter %lu, %lu bytes) on %s\n", ver, cls,
           (unsigned long)s.m.counter, (unsigned long)s.m.size, link);
    fflush(stdout);
    /* One device at a time, as on a wire. */
    while (!cli_stopping) {
        struct pollfd pfd = { lfd, POLLIN, 0 };
        int r = poll(&pfd, 1, 200);
        if (r <= 0) {
            continue;
        }
        int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd >= 0) {
            serve_one(&s, cfd);
        }
    }
    close(lfd);
    unlink(link);
    close(s.image_fd);
    printf("stopped after %u reads\n", s.reads);
    return 0;
}
