/* Releases from wardd over HTTP (fw_source.h): the newest manifest of a class, then the image
 * in byte ranges, each retried with back-off after a dropped connection from the byte reached. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "fw_http.h"
#include "fw_source.h"
#include "ward/ward_encode.h"
#include "ward/ward_http.h"

/* Tries of one range before the read gives up, and the back-off between
 * them: 0.25 s doubling to 4 s (about 8 s in all, then the update says
 * why and can be run again: it resumes where it stopped). */
#define FW_HTTP_TRIES 6
#define FW_HTTP_BACKOFF_MS 250u
#define FW_HTTP_BACKOFF_MAX_MS 4000u
#define FW_HTTP_RANGE_TIMEOUT_S 60L

typedef struct http_src {
    char url[WARD_CLI_URL_MAX + 1];
} http_src;

static int src_manifest(void *ctx, const char *dev_class, uint8_t *buf, size_t cap,
                        size_t *len)
{
    http_src *h = ctx;
    char target[128];
    snprintf(target, sizeof target, "/v1/fw/%s", dev_class);
    fw_http_ans a;
    if (fw_http_do("GET", h->url, target, NULL, 0, NULL, 0, NULL, 0, 30L, &a) != 0) {
        int rc = cli_fail("cannot reach wardd at %s: %s", h->url, a.error);
        fw_http_free(&a);
        return rc;
    }
    if (a.status == 404) {
        fw_http_free(&a);
        return 3;
    }
    char why[300];
    if (a.status != 200) {
        fw_http_refusal(&a, why, sizeof why);
        fw_http_free(&a);
        return cli_fail("wardd refused the manifest of class %s (%ld): %s", dev_class, a.status,
                        why);
    }
    cJSON *j = cJSON_ParseWithLength((const char *)a.body, a.len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "manifest");
    int rc = 0;
    if (!cJSON_IsString(m) ||
        ward_b64_decode(m->valuestring, strlen(m->valuestring), buf, cap, len) != WARD_OK) {
        rc = cli_fail("wardd at %s sent no manifest for class %s", h->url, dev_class);
    }
    cJSON_Delete(j);
    fw_http_free(&a);
    return rc;
}

/* "bytes F-L/SIZE" is exactly the range asked of an image of size bytes. */
static bool range_is(const char *cr, uint32_t first, uint32_t last, uint32_t size)
{
    char want[96];
    snprintf(want, sizeof want, "bytes %lu-%lu/%lu", (unsigned long)first, (unsigned long)last,
             (unsigned long)size);
    return strcmp(cr, want) == 0;
}

static int src_read(void *ctx, const uint8_t *manifest, size_t manifest_len, uint32_t off,
                    uint8_t *buf, size_t want, size_t *got)
{
    http_src *h = ctx;
    ward_fw_manifest m;
    *got = 0;
    if (ward_fw_manifest_parse(manifest, manifest_len, &m) != WARD_OK) {
        return cli_fail("not a firmware manifest");
    }
    if (off >= m.size || want == 0) {
        return 0;
    }
    if (want > m.size - off) {
        want = m.size - off;
    }
    char cls[WARD_FW_CLASS_MAX + 1], target[160], etag[2 * WARD_SHA256_LEN + 3];
    memcpy(cls, m.dev_class, m.class_len);
    cls[m.class_len] = '\0';
    snprintf(target, sizeof target, "/v1/fw/%s/%lu/image", cls, (unsigned long)m.counter);
    etag[0] = '"';
    cli_hex(m.digest, sizeof m.digest, etag + 1);
    strcat(etag, "\"");
    unsigned backoff = FW_HTTP_BACKOFF_MS;
    char last_why[400] = "";
    for (int tries = 0; tries < FW_HTTP_TRIES && *got < want; tries++) {
        if (tries > 0) {
            cli_nap(backoff);
            backoff = backoff * 2 > FW_HTTP_BACKOFF_MAX_MS ? FW_HTTP_BACKOFF_MAX_MS : backoff * 2;
            if (cli_stopping) {
                break;
            }
        }
        /* From the byte reached: a dropped connection loses nothing that came. */
        uint32_t first = off + (uint32_t)*got;
        uint32_t last = off + (uint32_t)want - 1;
        char range[64];
        snprintf(range, sizeof range, "Range: bytes=%lu-%lu", (unsigned long)first,
                 (unsigned long)last);
        const char *hdrs[1] = { range };
        fw_http_ans a;
        size_t room = want - *got;
        int rc = fw_http_do("GET", h->url, target, hdrs, 1, NULL, 0, buf + *got, room,
                            FW_HTTP_RANGE_TIMEOUT_S, &a);
        if (rc != 0 || a.status == 206) {
            /* What came before the drop is kept only from a 206 of this very
             * range and image (a partial answer checked as the whole one). */
            if (a.status == 206 && range_is(a.content_range, first, last, m.size) &&
                strcmp(a.etag, etag) == 0) {
                *got += a.len;
                if (rc == 0 && a.len != room) {
                    snprintf(last_why, sizeof last_why, "short range from wardd");
                }
            } else if (a.status == 206) {
                fw_http_free(&a);
                return cli_fail("wardd at %s sent another range or image than asked "
                                "(Content-Range \"%s\")", h->url, a.content_range);
            } else {
                snprintf(last_why, sizeof last_why, "%s", a.error);
            }
            fw_http_free(&a);
            continue;
        }
        char why[300];
        fw_http_refusal(&a, why, sizeof why);
        long status = a.status;
        long ra = a.retry_after_s;
        fw_http_free(&a);
        if (status == 429 || status == 503 || status >= 500) {
            /* Busy or failing for now: the same back-off (or wardd's own
             * Retry-After, within the bound). */
            if (ra > 0) {
                backoff = (unsigned)(ra * 1000 > FW_HTTP_BACKOFF_MAX_MS ? FW_HTTP_BACKOFF_MAX_MS
                                                                       : ra * 1000);
            }
            snprintf(last_why, sizeof last_why, "wardd answered %ld: %s", status, why);
            continue;
        }
        return cli_fail("wardd refused bytes %lu-%lu of %s (%ld): %s", (unsigned long)first,
                        (unsigned long)last, target, status, why);
    }
    if (*got < want) {
        return cli_fail("image from %s stopped at byte %lu after %d tries: %s", h->url,
                        (unsigned long)(off + *got), FW_HTTP_TRIES, last_why);
    }
    return 0;
}

static void src_close(void *ctx)
{
    free(ctx);
}

int fw_source_http_open(fw_source *s, const char *server_url)
{
    if (!ward_http_url_ok(server_url) || strlen(server_url) > WARD_CLI_URL_MAX) {
        return cli_fail("not an http(s) URL of wardd: %s", server_url);
    }
    http_src *h = calloc(1, sizeof *h);
    if (h == NULL) {
        return cli_fail("out of memory");
    }
    snprintf(h->url, sizeof h->url, "%s", server_url);
    size_t n = strlen(h->url);
    while (n > 0 && h->url[n - 1] == '/') {
        h->url[--n] = '\0';
    }
    s->manifest = src_manifest;
    s->read = src_read;
    s->close = src_close;
    s->ctx = h;
    return 0;
}
