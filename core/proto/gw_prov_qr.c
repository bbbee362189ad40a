/* Flow C: the gateway's QR payload and its SoftAP name. */
#include <string.h>

#include "ward/ward_gw_prov.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"

#define QR_PREFIX "WGW1:"
#define QR_PREFIX_LEN 5

static const char hexd[] = "0123456789abcdef";
static const char hexu[] = "0123456789ABCDEF";

/* 1..max of [A-Za-z0-9-], NUL-terminated within max + 1 bytes. */
static bool name_ok(const char *s, size_t max, size_t *len)
{
    size_t n = 0;
    while (n <= max && s[n] != '\0') {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-')) {
            return false;
        }
        n++;
    }
    *len = n;
    return n >= 1 && n <= max;
}

static void put_hex(char *out, const uint8_t *v, size_t n, const char *digits)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[v[i] >> 4];
        out[2 * i + 1] = digits[v[i] & 0x0F];
    }
}

/* Lower-case hex only: one encoding. */
static bool get_hex(const char *in, uint8_t *v, size_t n)
{
    for (size_t i = 0; i < 2 * n; i++) {
        char c = in[i];
        int d;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
        } else {
            return false;
        }
        if (i % 2 == 0) {
            v[i / 2] = (uint8_t)(d << 4);
        } else {
            v[i / 2] = (uint8_t)(v[i / 2] | d);
        }
    }
    return true;
}

ward_err ward_gw_qr_encode(const ward_gw_qr *qr, char *out, size_t cap, size_t *len)
{
    size_t bl = 0, cl = 0;
    WARD_ASSERT(qr != NULL && out != NULL && len != NULL);
    *len = 0;
    if (!name_ok(qr->brand, WARD_GW_BRAND_MAX, &bl) ||
        !name_ok(qr->category, WARD_GW_CATEGORY_MAX, &cl)) {
        return WARD_ERR_FORMAT;
    }
    size_t n = QR_PREFIX_LEN + 2 * WARD_GW_MAC_LEN + 1 + 2 * WARD_GW_POP_LEN + 1 + bl + 1 + cl;
    if (cap < n + 1) {
        return WARD_ERR_NOSPACE;
    }
    size_t o = 0;
    memcpy(out, QR_PREFIX, QR_PREFIX_LEN);
    o += QR_PREFIX_LEN;
    put_hex(out + o, qr->mac, WARD_GW_MAC_LEN, hexd);
    o += 2 * WARD_GW_MAC_LEN;
    out[o++] = ':';
    put_hex(out + o, qr->pop, WARD_GW_POP_LEN, hexd);
    o += 2 * WARD_GW_POP_LEN;
    out[o++] = ':';
    memcpy(out + o, qr->brand, bl);
    o += bl;
    out[o++] = ':';
    memcpy(out + o, qr->category, cl);
    o += cl;
    out[o] = '\0';
    *len = o;
    return WARD_OK;
}

ward_err ward_gw_qr_parse(const char *in, size_t len, ward_gw_qr *qr)
{
    WARD_ASSERT(in != NULL && qr != NULL);
    memset(qr, 0, sizeof *qr);
    size_t fixed = QR_PREFIX_LEN + 2 * WARD_GW_MAC_LEN + 1 + 2 * WARD_GW_POP_LEN + 1;
    if (len < fixed + 3 || len > WARD_GW_QR_MAX || memcmp(in, QR_PREFIX, QR_PREFIX_LEN) != 0 ||
        in[QR_PREFIX_LEN + 2 * WARD_GW_MAC_LEN] != ':' || in[fixed - 1] != ':' ||
        !get_hex(in + QR_PREFIX_LEN, qr->mac, WARD_GW_MAC_LEN) ||
        !get_hex(in + QR_PREFIX_LEN + 2 * WARD_GW_MAC_LEN + 1, qr->pop, WARD_GW_POP_LEN)) {
        ward_wipe(qr, sizeof *qr);
        return WARD_ERR_FORMAT;
    }
    /* brand ':' category, each checked by name_ok on its own copy */
    const char *rest = in + fixed;
    size_t rl = len - fixed, colon = rl;
    for (size_t i = 0; i < rl; i++) {
        if (rest[i] == ':') {
            colon = i;
            break;
        }
    }
    size_t bl = 0, cl = 0;
    bool ok = colon >= 1 && colon <= WARD_GW_BRAND_MAX && rl - colon - 1 >= 1 &&
              rl - colon - 1 <= WARD_GW_CATEGORY_MAX;
    if (ok) {
        memcpy(qr->brand, rest, colon);
        memcpy(qr->category, rest + colon + 1, rl - colon - 1);
        ok = name_ok(qr->brand, WARD_GW_BRAND_MAX, &bl) && bl == colon &&
             name_ok(qr->category, WARD_GW_CATEGORY_MAX, &cl) && cl == rl - colon - 1;
    }
    if (!ok) {
        ward_wipe(qr, sizeof *qr);
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

ward_err ward_gw_softap_ssid(const char *brand, const char *category,
                             const uint8_t mac[WARD_GW_MAC_LEN], char *out, size_t cap,
                             size_t *len)
{
    size_t bl = 0, cl = 0;
    WARD_ASSERT(brand != NULL && category != NULL && mac != NULL && out != NULL);
    *len = 0;
    if (!name_ok(brand, WARD_GW_BRAND_MAX, &bl) ||
        !name_ok(category, WARD_GW_CATEGORY_MAX, &cl)) {
        return WARD_ERR_FORMAT;
    }
    size_t n = bl + 1 + cl + 1 + 6;
    if (cap < n + 1) {
        return WARD_ERR_NOSPACE;
    }
    memcpy(out, brand, bl);
    out[bl] = '_';
    memcpy(out + bl + 1, category, cl);
    out[bl + 1 + cl] = '_';
    put_hex(out + bl + cl + 2, mac + 3, 3, hexu);
    out[n] = '\0';
    *len = n;
    return WARD_OK;
}
