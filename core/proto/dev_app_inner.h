/*
 * dev_app_inner.h - helpers shared by the app's half of flow D
 * (dev_app.c binding, dev_app_chan.c channels and attach). Not installed.
 *
 * Refusals: a device's error answer (ward_dev_error_answer) keeps the
 * refused request's type and echoes its key index, seq and CliID. It
 * carries no tag, so these helpers tell an old refusal (re-queued by a
 * relay, or of an earlier request) from one of the request in flight,
 * never the device's from a forgery.
 */
#ifndef WARD_DEV_APP_INNER_H
#define WARD_DEV_APP_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_dev_app.h"

/* A request as its header went out: what the device's refusal of it
 * echoes (type 0: none in flight). */
typedef struct ward_dev_app_request {
    uint8_t type;
    uint8_t key_index;
    uint32_t seq;
    const uint8_t *cid;
    size_t cid_len;
} ward_dev_app_request;

/* What an error answer is to the request in flight. */
enum { WARD_DEV_APP_NO_REFUSAL = 0, WARD_DEV_APP_REFUSES_RQ,
       WARD_DEV_APP_REFUSES_OTHER };

/* A request header of this version: type, flags, key index, the CliID
 * (cid_len 0: none), seq 0. */
void ward_dev_app_hdr(ward_hdr *h, uint8_t type, uint8_t flags, uint8_t ki,
                      const uint8_t *cid, size_t cid_len);

/* Whether the error answer h refuses rq. */
bool ward_dev_app_refuses(const ward_hdr *h, const ward_dev_app_request *rq);

/* An answer of `type` with exactly `flags`, to this app (its CliID). An
 * error answer returns its code, and *refusal says whether it refuses rq
 * (rq NULL: whatever it refuses). */
ward_err ward_dev_app_answer(const uint8_t *in, size_t in_len, uint8_t type,
                             uint8_t flags, const uint8_t *cid, size_t cid_len,
                             const ward_dev_app_request *rq, ward_hdr *h,
                             size_t *hlen, int *refusal);

#endif /* WARD_DEV_APP_INNER_H */
