/*
 * conn_guard.h - keeps one address or one slow client from holding
 * wardd's connection threads: a cap on open connections per client
 * address, and absolute deadlines for each request on a connection.
 *
 * wardd serves each connection on a thread of its own (http.c), and a
 * thread waits for its client's bytes as long as they trickle in; these
 * bounds hold until the server is rebuilt without a thread per connection.
 *
 * Phases of a connection, and the deadline each one runs under:
 *   HEADERS  from the accept (or the end of the previous request, for a
 *            kept-alive connection) until its request's headers are in:
 *            header deadline. IDLE is the same wait before the next
 *            request's first line arrives on a kept-alive connection; it
 *            keeps the deadline it started with, and is logged as the
 *            ordinary end of an idle connection, not as an attack.
 *   BODY     from the headers until the body is in: body deadline.
 *   HANDLER  while wardd works on the request, long-polls included: none.
 *   REPLY    from the answer being queued until it is sent: body deadline.
 * A connection past its deadline is shut down (shutdown(2), which wakes
 * its thread) and logged (event=conn_deadline). The idle timeout of
 * libmicrohttpd still applies on top of these.
 *
 * Addresses are counted by IPv4 address, or by IPv6 /64 (what one host
 * or one home is given); an IPv4-mapped IPv6 address counts as its IPv4
 * address. A connection over the cap is closed at accept and logged
 * (event=conn_refused, at most one line a second, with the number of
 * refusals the line stands for). libmicrohttpd's own per-IP limit is not
 * used: it logs the line of its global limit, without the address, and
 * counts an IPv6 client by its whole address.
 */
#ifndef WARDD_CONN_GUARD_H
#define WARDD_CONN_GUARD_H

#include <stdbool.h>
#include <sys/socket.h>

#include "ward/ward_err.h"

typedef struct wardd_guard wardd_guard;
typedef struct wardd_guard_conn wardd_guard_conn;

typedef struct wardd_guard_cfg {
    unsigned max_connections;   /* sizes the table */
    unsigned per_addr;          /* 0: no cap per address */
    long header_ms;
    long body_ms;
} wardd_guard_cfg;

typedef enum wardd_phase {
    WARDD_PHASE_HEADERS,
    WARDD_PHASE_IDLE,
    WARDD_PHASE_BODY,
    WARDD_PHASE_HANDLER,
    WARDD_PHASE_REPLY,
} wardd_phase;

/* Starts the thread that enforces the deadlines. */
ward_err wardd_guard_start(const wardd_guard_cfg *cfg, wardd_guard **out);
/* Stops that thread and frees the table: after the last connection closed. */
void wardd_guard_free(wardd_guard *g);

/* The accept policy: false when addr already has per_addr connections. */
bool wardd_guard_admit(wardd_guard *g, const struct sockaddr *addr, socklen_t len);

/* A connection the server took (its socket and client address), in phase
 * HEADERS from now. On NULL (no memory) the socket has been shut down:
 * a connection is never served untracked. */
wardd_guard_conn *wardd_guard_open(wardd_guard *g, int fd, const struct sockaddr *addr);
/* The connection is closing: before its socket is closed. NULL is a no-op. */
void wardd_guard_close(wardd_guard_conn *c);

/* The connection moves on (see the phases above). Entering IDLE counts a
 * request done; HEADERS after IDLE keeps IDLE's deadline. NULL: no-op. */
void wardd_guard_phase(wardd_guard_conn *c, wardd_phase phase);

#endif /* WARDD_CONN_GUARD_H */
