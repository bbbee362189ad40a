/* Address blocks and the real client behind trusted reverse proxies
 * (X-Forwarded-For read from trusted peers only, right to left). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static bool is_v4(const uint8_t a[16])
{
    return memcmp(a, v4_mapped, sizeof v4_mapped) == 0;
}

bool wardd_addr_parse(const char *text, size_t len, uint8_t out[16])
{
    char buf[INET6_ADDRSTRLEN + 2];
    if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
        text++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof buf) {
        return false;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    struct in_addr v4;
    if (inet_pton(AF_INET, buf, &v4) == 1) {
        memcpy(out, v4_mapped, sizeof v4_mapped);
        memcpy(out + 12, &v4, 4);
        return true;
    }
    struct in6_addr v6;
    if (strchr(buf, ':') != NULL && inet_pton(AF_INET6, buf, &v6) == 1) {
        memcpy(out, &v6, 16);
        return true;
    }
    return false;
}

bool wardd_cidr_parse(const char *text, wardd_cidr *out)
{
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    if (!wardd_addr_parse(text, len, out->addr) || text[0] == '[') {
        return false;
    }
    /* Written as IPv6 (an IPv4-mapped block too), the prefix counts 128 bits. */
    bool v6_text = memchr(text, ':', len) != NULL;
    unsigned max = v6_text ? 128 : 32;
    unsigned bits = max;
    if (slash != NULL) {
        char *end = NULL;
        unsigned long n = strtoul(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || n > max) {
            return false;
        }
        bits = (unsigned)n;
    }
    out->bits = bits + (128 - max);
    /* The host bits cleared, so a block compares by its prefix alone. */
    for (unsigned i = out->bits; i < 128; i++) {
        out->addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
    }
    return true;
}

bool wardd_addr_of(const struct sockaddr *sa, uint8_t out[16])
{
    if (sa == NULL) {
        return false;
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        memcpy(out, v4_mapped, sizeof v4_mapped);
        memcpy(out + 12, &in->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(out, &in6->sin6_addr, 16);
        return true;
    }
    return false;
}

void wardd_addr_text(const uint8_t a[16], char *out, size_t cap)
{
    const char *ok = is_v4(a) ? inet_ntop(AF_INET, a + 12, out, (socklen_t)cap)
                              : inet_ntop(AF_INET6, a, out, (socklen_t)cap);
    if (ok == NULL && cap > 0) {
        snprintf(out, cap, "unknown");
    }
}

bool wardd_addr_loopback(const uint8_t a[16])
{
    static const uint8_t v6_loopback[16] = { [15] = 1 };
    return (is_v4(a) && a[12] == 127) || memcmp(a, v6_loopback, 16) == 0;
}

static bool cidr_match(const wardd_cidr *c, const uint8_t a[16])
{
    unsigned whole = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr, a, whole) != 0) {
        return false;
    }
    if (rest == 0) {
        return true;
    }
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (a[whole] & mask) == c->addr[whole];
}

bool wardd_cidrs_match(const wardd_cidrs *list, const uint8_t a[16])
{
    for (unsigned i = 0; i < list->n && i < WARDD_CIDRS_MAX; i++) {
        if (cidr_match(&list->v[i], a)) {
            return true;
        }
    }
    return false;
}

bool wardd_client_resolve(const wardd_cidrs *trusted, const uint8_t peer[16],
                          const char *xff, uint8_t client[16])
{
    memcpy(client, peer, 16);
    if (xff == NULL || !wardd_cidrs_match(trusted, peer)) {
        return false;
    }
    size_t end = strnlen(xff, WARDD_XFF_MAX + 1);
    if (end > WARDD_XFF_MAX) {
        return false;
    }
    /* From the right: each entry is the hop that reached the trusted one
     * after it. Every step moves `end` left, so the walk ends. */
    while (end > 0) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',') {
            start--;
        }
        size_t a = start, b = end;
        while (a < b && (xff[a] == ' ' || xff[a] == '\t')) {
            a++;
        }
        while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t')) {
            b--;
        }
        uint8_t hop[16];
        if (!wardd_addr_parse(xff + a, b - a, hop)) {
            break;                  /* the last trusted hop stays the client */
        }
        memcpy(client, hop, 16);
        if (!wardd_cidrs_match(trusted, hop)) {
            break;                  /* the first untrusted hop: the client */
        }
        end = start > 0 ? start - 1 : 0;
    }
    return memcmp(client, peer, 16) != 0;
}
