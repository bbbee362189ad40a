/* GET /v1/fw/{class} (the newest manifest) and GET /v1/fw/{class}/{counter}/image (the image,
 * one byte range per request, sent from its file). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ward/ward_bind.h"
#include "ward/ward_encode.h"

#include "fw.h"
#include "log.h"

#define FW_PREFIX "/v1/fw/"

/* The class segment of the path into cls; the rest of the path after it
 * in *rest. False when the segment is not a device class. */
static bool path_class(const char *path, char cls[WARD_FW_CLASS_MAX + 1], const char **rest)
{
    const char *p = path + strlen(FW_PREFIX);
    size_t n = strcspn(p, "/");
    if (n == 0 || n > WARD_FW_CLASS_MAX || ward_check_sn((const uint8_t *)p, n) != WARD_OK) {
        return false;
    }
    memcpy(cls, p, n);
    cls[n] = '\0';
    *rest = p + n;
    return true;
}

static void bad_class(wardd_resp *out)
{
    wardd_fail(out, 400, "format", "device class: 1-32 of A-Z a-z 0-9 . _ -");
}

/* GET /v1/fw/{class} -> 200 {class, version, counter, size, digest, manifest}. */
void wardd_h_fw_get(wardd *w, const wardd_req *r, wardd_resp *out)
{
    char cls[WARD_FW_CLASS_MAX + 1];
    const char *rest;
    if (!path_class(r->path, cls, &rest)) {
        bad_class(out);
        return;
    }
    wardd_fw_rel *rel = calloc(1, sizeof *rel);
    if (rel == NULL) {
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    ward_err err = w->store.fw_newest(w->store.h, cls, rel);
    if (err == WARD_ERR_NOTFOUND) {
        wardd_fail(out, 404, "notfound", "no release for this device class");
    } else if (err != WARD_OK) {
        wardd_fail_store(out, err);
    } else {
        char hex[2 * WARD_SHA256_LEN + 1];
        WARD_ASSERT(ward_hex_encode(rel->digest, sizeof rel->digest, hex, sizeof hex) ==
                    WARD_OK);
        cJSON *j = cJSON_CreateObject();
        if (j == NULL || cJSON_AddStringToObject(j, "class", rel->dev_class) == NULL ||
            cJSON_AddStringToObject(j, "version", rel->version) == NULL ||
            cJSON_AddNumberToObject(j, "counter", rel->counter) == NULL ||
            cJSON_AddNumberToObject(j, "size", rel->size) == NULL ||
            cJSON_AddStringToObject(j, "digest", hex) == NULL ||
            !wardd_json_add_b64(j, "manifest", rel->manifest, rel->manifest_len)) {
            cJSON_Delete(j);
            wardd_fail(out, 500, "internal", "out of memory");
        } else {
            wardd_reply(out, 200, j);
        }
    }
    free(rel);
}

/* "/{counter}/image" into *counter: decimal, no sign, no leading zero. */
static bool path_counter(const char *rest, uint32_t *counter)
{
    if (*rest++ != '/' || *rest < '0' || *rest > '9' || (rest[0] == '0' && rest[1] != '/')) {
        return false;
    }
    uint64_t v = 0;
    size_t k = 0;
    while (*rest >= '0' && *rest <= '9') {
        if (++k > 10) {
            return false;
        }
        v = v * 10 + (uint64_t)(*rest++ - '0');
    }
    if (v > UINT32_MAX || strcmp(rest, "/image") != 0) {
        return false;
    }
    *counter = (uint32_t)v;
    return true;
}

/* GET /v1/fw/{class}/{counter}/image [Range: bytes=...] -> 200 or 206
 * (application/octet-stream, ETag "digest hex", Content-Range), 416. */
void wardd_h_fw_image(wardd *w, const wardd_req *r, wardd_resp *out)
{
    char cls[WARD_FW_CLASS_MAX + 1];
    const char *rest;
    uint32_t counter = 0;
    if (!path_class(r->path, cls, &rest)) {
        bad_class(out);
        return;
    }
    if (!path_counter(rest, &counter)) {
        wardd_fail(out, 400, "format", "counter: a decimal number below 2^32");
        return;
    }
    wardd_fw_rel *rel = calloc(1, sizeof *rel);
    if (rel == NULL) {
        wardd_fail(out, 500, "internal", "out of memory");
        return;
    }
    ward_err err = w->store.fw_get(w->store.h, cls, counter, rel);
    if (err != WARD_OK) {
        if (err == WARD_ERR_NOTFOUND) {
            wardd_fail(out, 404, "notfound", "no release of this class at this counter");
        } else {
            wardd_fail_store(out, err);
        }
        free(rel);
        return;
    }
    char path[1200], etag[2 * WARD_SHA256_LEN + 3], hdr[96];
    struct stat sb;
    int fd = -1;
    if (wardd_fw_path(w, rel->file, path, sizeof path)) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0 || fstat(fd, &sb) != 0 || (uint64_t)sb.st_size != rel->size) {
        /* The row names a file that is gone or not the image: an
         * operator's problem, not the client's. */
        wardd_log("error", "fw_image_missing", "class=%s counter=%lu file=%s", cls,
                  (unsigned long)counter, rel->file);
        if (fd >= 0) {
            close(fd);
        }
        wardd_fail(out, 500, "internal", "the image is not readable");
        free(rel);
        return;
    }
    etag[0] = '"';
    WARD_ASSERT(ward_hex_encode(rel->digest, sizeof rel->digest, etag + 1, sizeof etag - 1) ==
                WARD_OK);
    etag[2 * WARD_SHA256_LEN + 1] = '"';
    etag[2 * WARD_SHA256_LEN + 2] = '\0';
    uint64_t first = 0, last = rel->size - 1;
    switch (wardd_range_parse(r->header(r->ctx, "Range"), rel->size, &first, &last)) {
    case WARDD_RANGE_ALL:
        wardd_reply_file(out, 200, "application/octet-stream", fd, 0, rel->size);
        break;
    case WARDD_RANGE_PART:
        wardd_reply_file(out, 206, "application/octet-stream", fd, first, last - first + 1);
        snprintf(hdr, sizeof hdr, "bytes %llu-%llu/%lu", (unsigned long long)first,
                 (unsigned long long)last, (unsigned long)rel->size);
        wardd_resp_header(out, "Content-Range", hdr);
        break;
    case WARDD_RANGE_BAD:
    default:
        close(fd);
        wardd_fail(out, 416, "format", "one satisfiable range of bytes, as bytes=FIRST-LAST");
        snprintf(hdr, sizeof hdr, "bytes */%lu", (unsigned long)rel->size);
        wardd_resp_header(out, "Content-Range", hdr);
        break;
    }
    wardd_resp_header(out, "ETag", etag);
    wardd_resp_header(out, "Accept-Ranges", "bytes");
    free(rel);
}
