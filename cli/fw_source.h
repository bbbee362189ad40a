/* Where `ward <role> update` gets a release from: wardd over HTTP, or a peer
 * over a byte stream (a Unix socket standing in for a UART). The update
 * engine in the core sees only manifest bytes and image chunks, so it is the
 * same over every source (issue 18, item 6). */
#ifndef WARD_CLI_FW_SOURCE_H
#define WARD_CLI_FW_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_fw.h"

typedef struct fw_source {
    /* The newest manifest the source has for dev_class: its bytes into
     * buf (cap >= WARD_FW_MANIFEST_MAX). 0 on success; 3 when the source
     * has none for that class; 1 after printing why on stderr. */
    int (*manifest)(void *ctx, const char *dev_class, uint8_t *buf, size_t cap, size_t *len);
    /* Bytes [off, off + want) of the image the manifest (its bytes, as
     * returned above) names, into buf; *got < want only at the image's
     * end. 0 on success; 1 after printing why on stderr (the caller may
     * retry, bounded, from where it got to). */
    int (*read)(void *ctx, const uint8_t *manifest, size_t manifest_len, uint32_t off,
                uint8_t *buf, size_t want, size_t *got);
    void (*close)(void *ctx);
    void *ctx;
} fw_source;

/* From wardd at server_url (GET /v1/fw/{class}, GET /v1/fw/{class}/{counter}/image
 * with Range): cli/fw_source_http.c. 0 or 1 after printing why. */
int fw_source_http_open(fw_source *s, const char *server_url);

/* From a peer serving releases on a stream socket at path (`ward fw serve
 * --link PATH`): cli/fw_source_link.c. 0 or 1 after printing why. */
int fw_source_link_open(fw_source *s, const char *path);

#endif /* WARD_CLI_FW_SOURCE_H */
