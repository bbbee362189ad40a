/* The app's half of flow D: request headers, and reading the device's error answers. */
#include <string.h>

#include "ward/ward_dev_app.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "dev_app_inner.h"

void ward_dev_app_hdr(ward_hdr *h, uint8_t type, uint8_t flags, uint8_t ki,
                      const uint8_t *cid, size_t cid_len)
{
    memset(h, 0, sizeof *h);
    h->version = WARD_PROTOCOL_VERSION;
    h->type = type;
    h->flags = flags;
    h->key_index = ki;
    h->client_id_len = (uint8_t)cid_len;
    if (cid_len > 0) {
        memcpy(h->client_id, cid, cid_len);
    }
}

ward_err ward_pair_error_of(const uint8_t *msg, size_t len)
{
    static const ward_tlv_spec spec[] = { { 0x01, true, 1, 1 } };
    ward_tlv_field f[1];
    ward_hdr h;
    size_t hlen = 0;
    uint8_t code = 0;
    if (ward_hdr_decode(msg, len, &h, &hlen) != WARD_OK ||
        (h.flags & WARD_FLAG_ERROR) == 0) {
        return WARD_OK;
    }
    if (ward_tlv_parse(msg + hlen, h.body_len, spec, 1, f) != WARD_OK ||
        ward_tlv_get_u8(&f[0], &code) != WARD_OK || code == 0 ||
        code >= WARD_ERR_COUNT) {
        return WARD_ERR_FORMAT;
    }
    return (ward_err)code;
}

bool ward_dev_app_refuses(const ward_hdr *h, const ward_dev_app_request *rq)
{
    const uint8_t both = WARD_FLAG_REPLY | WARD_FLAG_ERROR;
    return rq->type != 0 && (h->flags & both) == both &&
           h->type == rq->type && h->key_index == rq->key_index &&
           h->seq == rq->seq && h->client_id_len == rq->cid_len &&
           (rq->cid_len == 0 ||
            memcmp(h->client_id, rq->cid, rq->cid_len) == 0);
}

ward_err ward_dev_app_answer(const uint8_t *in, size_t in_len, uint8_t type,
                             uint8_t flags, const uint8_t *cid, size_t cid_len,
                             const ward_dev_app_request *rq, ward_hdr *h,
                             size_t *hlen, int *refusal)
{
    *refusal = WARD_DEV_APP_NO_REFUSAL;
    ward_err err = ward_hdr_decode(in, in_len, h, hlen);
    if (err != WARD_OK) {
        return err;
    }
    if ((h->flags & WARD_FLAG_ERROR) != 0) {
        *refusal = rq == NULL || ward_dev_app_refuses(h, rq)
                       ? WARD_DEV_APP_REFUSES_RQ
                       : WARD_DEV_APP_REFUSES_OTHER;
        err = ward_pair_error_of(in, in_len);
        return err == WARD_OK ? WARD_ERR_FORMAT : err;
    }
    if (h->type != type || h->flags != flags ||
        h->client_id_len != cid_len ||
        (cid_len > 0 && memcmp(h->client_id, cid, cid_len) != 0)) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

void ward_pair_device_wipe(ward_pair_device *d)
{
    WARD_ASSERT(d != NULL);
    ward_wipe(d, sizeof *d);
}

