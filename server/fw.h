/*
 * fw.h - wardd as a firmware distributor (issue 18 item 3; protocol.md
 * "Signed firmware update", section "Distribution by wardd").
 *
 * POST /v1/fw publishes a release: the manifest in the Ward-Manifest
 * header (base64), the image as the raw body. wardd checks the manifest
 * with the core (ward_fw_manifest_verify under one of its --release-pub
 * keys), its counter against the newest of its class and the declared
 * length against the manifest's size before it reads a byte of the body
 * (fw_publish.c: wardd_fw_early), then the image's SHA-256, and keeps
 * the image as a file under DB.fw/. GET /v1/fw/{class} answers the newest
 * manifest, GET /v1/fw/{class}/{counter}/image the image, with one byte
 * range per request (fw_serve.c, fw_range.c).
 */
#ifndef WARDD_FW_H
#define WARDD_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wardd.h"

/* Uploads whose bodies wardd holds in memory at once; more: 429. */
#define WARDD_FW_UPLOADS_MAX 2
#define WARDD_FW_KEYS_MAX 8

/* Loads the --release-pub keys and makes DB.fw/ (mode 0700). Logged. */
ward_err wardd_fw_open(wardd *w);

/* POST /v1/fw, once its headers are in and before its body is read:
 * true with *body_max set to the body's exact length (the manifest's
 * image size) and an upload slot taken; false with the refusal in *out.
 * wardd_fw_done gives the slot back, whatever became of the request. */
bool wardd_fw_early(wardd *w, const wardd_req *r, size_t *body_max, wardd_resp *out);
void wardd_fw_done(void);

void wardd_h_fw_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_fw_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_fw_image(wardd *w, const wardd_req *r, wardd_resp *out);

/* DB.fw/NAME into out; false when it does not fit. */
bool wardd_fw_path(const wardd *w, const char *name, char *out, size_t cap);

/* A Range header (NULL: none) over an image of size bytes (size >= 1). */
typedef enum wardd_range_res {
    WARDD_RANGE_ALL,        /* no range, or one of another unit: the whole image, 200 */
    WARDD_RANGE_PART,       /* bytes [*first, *last]: 206 */
    WARDD_RANGE_BAD         /* not satisfiable, malformed, or several ranges: 416 */
} wardd_range_res;

/* RFC 9110 14.1.2 for one range-spec of unit "bytes": "F-L", "F-" or
 * "-N" (the last N bytes). L past the end is clipped; F past the end,
 * F > L, a suffix of 0, anything else after "bytes=" is BAD. */
wardd_range_res wardd_range_parse(const char *header, uint64_t size, uint64_t *first,
                                  uint64_t *last);

#endif /* WARDD_FW_H */
