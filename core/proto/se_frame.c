/* The secure element link's frames: length, type, payload, CRC-16. */
#include <string.h>

#include "ward/ward_se.h"
#include "ward_inner.h"
#include "se_inner.h"

uint16_t ward_se_crc16(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFu;
    WARD_ASSERT(p != NULL || len == 0);
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint32_t)p[i] << 8;
        for (int b = 0; b < 8; b++) {
            crc = (crc & 0x8000u) != 0u ? (crc << 1) ^ 0x1021u : crc << 1;
            crc &= 0xFFFFu;
        }
    }
    return (uint16_t)crc;
}

ward_err ward_se_frame_encode(uint8_t type, const uint8_t *payload,
                              size_t len, uint8_t *out, size_t cap,
                              size_t *out_len)
{
    WARD_ASSERT(out != NULL && out_len != NULL);
    WARD_ASSERT(payload != NULL || len == 0);
    *out_len = 0;
    if (len > WARD_SE_PAYLOAD_MAX) {
        return WARD_ERR_PARAM;
    }
    if (cap < len + WARD_SE_FRAME_OVERHEAD) {
        return WARD_ERR_NOSPACE;
    }
    out[0] = (uint8_t)len;
    out[1] = type;
    /* memmove: a caller may build the payload in place at out + 2. */
    if (len > 0) {
        memmove(out + WARD_SE_FRAME_HDR_LEN, payload, len);
    }
    ward_store16(out + WARD_SE_FRAME_HDR_LEN + len,
                 ward_se_crc16(out, WARD_SE_FRAME_HDR_LEN + len));
    *out_len = len + WARD_SE_FRAME_OVERHEAD;
    return WARD_OK;
}

ward_err ward_se_frame_parse(const uint8_t *in, size_t in_len, uint8_t *type,
                             const uint8_t **payload, size_t *len)
{
    WARD_ASSERT(in != NULL || in_len == 0);
    WARD_ASSERT(type != NULL && payload != NULL && len != NULL);
    *type = 0;
    *payload = NULL;
    *len = 0;
    if (in_len < WARD_SE_FRAME_OVERHEAD || in[0] > WARD_SE_PAYLOAD_MAX ||
        in_len != (size_t)in[0] + WARD_SE_FRAME_OVERHEAD) {
        return WARD_ERR_FORMAT;
    }
    size_t n = in[0];
    if (ward_load16(in + WARD_SE_FRAME_HDR_LEN + n) !=
        ward_se_crc16(in, WARD_SE_FRAME_HDR_LEN + n)) {
        return WARD_ERR_FORMAT;
    }
    *type = in[1];
    *payload = in + WARD_SE_FRAME_HDR_LEN;
    *len = n;
    return WARD_OK;
}

size_t ward_se_frame_total(const uint8_t hdr[WARD_SE_FRAME_HDR_LEN])
{
    WARD_ASSERT(hdr != NULL);
    return hdr[0] > WARD_SE_PAYLOAD_MAX
               ? 0
               : (size_t)hdr[0] + WARD_SE_FRAME_OVERHEAD;
}

ward_err ward_se_error_frame(ward_err err, uint32_t wait_ms, uint8_t *out,
                             size_t cap, size_t *out_len)
{
    uint8_t p[5];
    p[0] = (uint8_t)err;
    ward_store32(p + 1, wait_ms);
    return ward_se_frame_encode(WARD_SE_ERROR, p, sizeof p, out, cap, out_len);
}
