/* Base64 (RFC 4648, padded, canonical) and hex for the host side. */
#include <string.h>

#include "ward/ward_encode.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

ward_err ward_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t need = 4 * ((len + 2) / 3) + 1;
    if (cap < need) {
        return WARD_ERR_NOSPACE;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? b64_alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return WARD_OK;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64_alphabet, c) : NULL;
    return p ? (int)(p - b64_alphabet) : -1;
}

ward_err ward_b64_decode(const char *in, size_t in_len, uint8_t *out,
                         size_t cap, size_t *len)
{
    if (in_len % 4 != 0) {
        return WARD_ERR_FORMAT;
    }
    size_t o = 0;
    for (size_t i = 0; i < in_len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = in[i + (size_t)k];
            if (c == '=' && i + 4 == in_len && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad > 0) {
                    return WARD_ERR_FORMAT; /* data after padding */
                }
                v[k] = b64_value(c);
                if (v[k] < 0) {
                    return WARD_ERR_FORMAT;
                }
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
                     (uint32_t)v[2] << 6 | (uint32_t)v[3];
        /* Canonical: the bits a padded group does not carry must be zero. */
        if ((pad == 1 && (w & 0xFF)) || (pad == 2 && (w & 0xFFFF))) {
            return WARD_ERR_FORMAT;
        }
        size_t n = 3 - (size_t)pad;
        if (o + n > cap) {
            return WARD_ERR_NOSPACE;
        }
        out[o++] = (uint8_t)(w >> 16);
        if (n > 1) out[o++] = (uint8_t)(w >> 8);
        if (n > 2) out[o++] = (uint8_t)w;
    }
    *len = o;
    return WARD_OK;
}

ward_err ward_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    if (cap < 2 * len + 1) {
        return WARD_ERR_NOSPACE;
    }
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
    return WARD_OK;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

ward_err ward_hex_decode(const char *in, size_t in_len, uint8_t *out,
                         size_t cap, size_t *len)
{
    if (in_len % 2 != 0) {
        return WARD_ERR_FORMAT;
    }
    if (in_len / 2 > cap) {
        return WARD_ERR_NOSPACE;
    }
    for (size_t i = 0; i < in_len / 2; i++) {
        int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return WARD_ERR_FORMAT;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = in_len / 2;
    return WARD_OK;
}
