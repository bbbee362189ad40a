/*
 * proxy.h - client addresses behind a reverse proxy: address blocks
 * (--trusted-proxy, --metrics-allow) and the real client named by
 * X-Forwarded-For.
 *
 * Addresses are held as 16 bytes, IPv4 as its IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d), so one comparison serves both families and a peer
 * that reaches an IPv6 socket over IPv4 matches an IPv4 block.
 *
 * The real client: only when the TCP peer is inside a trusted block is
 * X-Forwarded-For read. Its list (every X-Forwarded-For header, joined
 * with commas in the order received) is walked from the right: each
 * proxy appends the address it received the request from, so the
 * right-most entries were written by proxies we trust, and the first
 * entry from the right that is not itself trusted is the client. Anything
 * left of it was written by the client and is never believed. An entry
 * that is not an address (or a list past WARDD_XFF_MAX bytes) ends the
 * walk: the client is then the last trusted hop (the one that handed it
 * over), never a value the client could have chosen.
 */
#ifndef WARDD_PROXY_H
#define WARDD_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wardd.h"

#define WARDD_XFF_MAX 1024

/* "a.b.c.d", "a.b.c.d/n", "v6", "v6/n" (no brackets, no port). */
bool wardd_cidr_parse(const char *text, wardd_cidr *out);
/* An address as text ("a.b.c.d", "v6", "[v6]"); false if it is none. */
bool wardd_addr_parse(const char *text, size_t len, uint8_t out[16]);
/* A socket address (AF_INET or AF_INET6); false for any other. */
bool wardd_addr_of(const struct sockaddr *sa, uint8_t out[16]);
/* IPv4 (mapped) as a.b.c.d, IPv6 as RFC 5952 text. */
void wardd_addr_text(const uint8_t a[16], char *out, size_t cap);
bool wardd_addr_loopback(const uint8_t a[16]);
bool wardd_cidrs_match(const wardd_cidrs *list, const uint8_t a[16]);

/* The real client of a request from peer with X-Forwarded-For xff (NULL:
 * none), as described above. Answers true when the client is not the
 * peer (the request came through a trusted proxy). */
bool wardd_client_resolve(const wardd_cidrs *trusted, const uint8_t peer[16],
                          const char *xff, uint8_t client[16]);

#endif /* WARDD_PROXY_H */
