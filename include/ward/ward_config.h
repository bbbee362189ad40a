/*
 * ward_config.h - compile-time switches and worst-case sizes.
 *
 * Every switch may be overridden with -D or by a header named in
 * WARD_CONFIG_FILE, which is included first. Bad combinations fail the
 * build with #error at the bottom of this file, not at run time.
 */
#ifndef WARD_CONFIG_H
#define WARD_CONFIG_H

#ifdef WARD_CONFIG_FILE
#include WARD_CONFIG_FILE
#endif

/* Largest message (header + body) the core parses or builds.
 * Requires: >= WARD_HDR_MAX + 64. Bounds every stack buffer that holds a
 * whole message, so keep it small on devices. */
#ifndef WARD_MSG_MAX
#define WARD_MSG_MAX 1024
#endif

/* Largest client id carried in the header's reserved area (seed 003's
 * CliID). Requires: 1..32. */
#ifndef WARD_CLIENT_ID_MAX
#define WARD_CLIENT_ID_MAX 16
#endif

/* Largest value of one record in the record store. Requires: <= 65535. */
#ifndef WARD_RECORD_MAX
#define WARD_RECORD_MAX 512
#endif

/* SPAKE2+ context and identity strings kept for the transcript. */
#ifndef WARD_SPAKE2P_CONTEXT_MAX
#define WARD_SPAKE2P_CONTEXT_MAX 64
#endif
#ifndef WARD_SPAKE2P_ID_MAX
#define WARD_SPAKE2P_ID_MAX 32
#endif

/* Lock-app binding (flow A). How many apps one lock holds (each client
 * record costs about 180 bytes of store), how long a binding task lives
 * after the QR is shown, and how many wrong codes end it.
 * Requires: WARD_MAX_CLIENTS 1..255, WARD_BIND_MAX_ATTEMPTS 1..255. */
#ifndef WARD_MAX_CLIENTS
#define WARD_MAX_CLIENTS 16
#endif
#ifndef WARD_BIND_TTL_MS
#define WARD_BIND_TTL_MS (10u * 60u * 1000u)
#endif
#ifndef WARD_BIND_MAX_ATTEMPTS
#define WARD_BIND_MAX_ATTEMPTS 5
#endif

/* Remote operation approval (flow B). How long the lock waits for an
 * answer to its one outstanding request, and how many events its audit
 * ring keeps (each costs about 84 bytes of store).
 * Requires: WARD_AUDIT_MAX 1..255. */
#ifndef WARD_OP_TTL_MS
#define WARD_OP_TTL_MS (60u * 1000u)
#endif
#ifndef WARD_AUDIT_MAX
#define WARD_AUDIT_MAX 32
#endif

/* Several apps, one device (flow D). How many apps one device holds
 * (each node costs about 190 bytes of store and 150 of RAM), how many may
 * bind at once (each binding in progress holds a SPAKE2+ context, about
 * 600 bytes of RAM), how many channels are open at once (about 90 bytes
 * each). Binding is possible only inside a pairing window that a local
 * action opens (ward_dev_open_window(): a fresh PIN); the window lasts
 * WARD_DEV_WINDOW_MS and closes after WARD_DEV_PIN_MAX_ATTEMPTS failed
 * PIN attempts, so an online guesser's chance per window is at most
 * WARD_DEV_PIN_MAX_ATTEMPTS / 10^6 (the cap of 100 keeps it <= 10^-4). A
 * binding that answered PAKE_INIT waits at most WARD_DEV_PAKE_TTL_MS for
 * PAKE_FINISH.
 * Requires: WARD_MAX_NODES 1..64, WARD_DEV_MAX_BINDINGS 1..16,
 * WARD_DEV_MAX_CHANNELS 1..255, WARD_DEV_PIN_MAX_ATTEMPTS 1..100,
 * WARD_DEV_WINDOW_MS 10 s..1 h, WARD_DEV_PAKE_TTL_MS 1 s..the window. */
#ifndef WARD_MAX_NODES
#define WARD_MAX_NODES 8
#endif
#ifndef WARD_DEV_MAX_BINDINGS
#define WARD_DEV_MAX_BINDINGS 2
#endif
#ifndef WARD_DEV_MAX_CHANNELS
#define WARD_DEV_MAX_CHANNELS 8
#endif
#ifndef WARD_DEV_WINDOW_MS
#define WARD_DEV_WINDOW_MS (3u * 60u * 1000u)
#endif
#ifndef WARD_DEV_PAKE_TTL_MS
#define WARD_DEV_PAKE_TTL_MS (10u * 1000u)
#endif
#ifndef WARD_DEV_PIN_MAX_ATTEMPTS
#define WARD_DEV_PIN_MAX_ATTEMPTS 5
#endif

/* Secure element binding (flow E). After each wrong answer the SE waits
 * before its next challenge: WARD_SE_BACKOFF_MS after the first, doubling
 * with each further one up to WARD_SE_BACKOFF_MAX_MS. WARD_SE_CMD_MAX
 * bounds the data of one authenticated command or response.
 * Requires: WARD_SE_CMD_MAX 1..108 (a frame's payload is at most 128). */
#ifndef WARD_SE_BACKOFF_MS
#define WARD_SE_BACKOFF_MS 1000u
#endif
#ifndef WARD_SE_BACKOFF_MAX_MS
#define WARD_SE_BACKOFF_MAX_MS (60u * 60u * 1000u)
#endif
#ifndef WARD_SE_CMD_MAX
#define WARD_SE_CMD_MAX 96
#endif

/* What a broken caller hits. The default traps without any libc symbol;
 * firmware usually maps it to its fault handler. */
#ifndef WARD_ASSERT_FAIL
#if defined(__GNUC__) || defined(__clang__)
#define WARD_ASSERT_FAIL() __builtin_trap()
#else
#define WARD_ASSERT_FAIL() do { for (;;) { } } while (0)
#endif
#endif

#ifndef WARD_ASSERT
#define WARD_ASSERT(cond) do { if (!(cond)) { WARD_ASSERT_FAIL(); } } while (0)
#endif

#if WARD_CLIENT_ID_MAX < 1 || WARD_CLIENT_ID_MAX > 32
#error "WARD_CLIENT_ID_MAX must be 1..32"
#endif
#if WARD_MAX_CLIENTS < 1 || WARD_MAX_CLIENTS > 255
#error "WARD_MAX_CLIENTS must be 1..255"
#endif
#if WARD_BIND_MAX_ATTEMPTS < 1 || WARD_BIND_MAX_ATTEMPTS > 255
#error "WARD_BIND_MAX_ATTEMPTS must be 1..255"
#endif
#if WARD_AUDIT_MAX < 1 || WARD_AUDIT_MAX > 255
#error "WARD_AUDIT_MAX must be 1..255"
#endif
#if WARD_RECORD_MAX > 65535
#error "WARD_RECORD_MAX must fit the store's 16-bit length field"
#endif
#if WARD_MSG_MAX < 128 || WARD_MSG_MAX > 65535
#error "WARD_MSG_MAX must be 128..65535"
#endif

#if WARD_MAX_NODES < 1 || WARD_MAX_NODES > 64
#error "WARD_MAX_NODES must be 1..64"
#endif
#if WARD_DEV_MAX_BINDINGS < 1 || WARD_DEV_MAX_BINDINGS > 16
#error "WARD_DEV_MAX_BINDINGS must be 1..16"
#endif
#if WARD_DEV_MAX_CHANNELS < 1 || WARD_DEV_MAX_CHANNELS > 255
#error "WARD_DEV_MAX_CHANNELS must be 1..255"
#endif
#if WARD_DEV_PIN_MAX_ATTEMPTS < 1 || WARD_DEV_PIN_MAX_ATTEMPTS > 100
#error "WARD_DEV_PIN_MAX_ATTEMPTS must be 1..100 (at most 10^-4 per window)"
#endif
#if WARD_DEV_WINDOW_MS < 10000 || WARD_DEV_WINDOW_MS > 3600000
#error "WARD_DEV_WINDOW_MS must be 10 s..1 h"
#endif
#if WARD_DEV_PAKE_TTL_MS < 1000 || WARD_DEV_PAKE_TTL_MS > WARD_DEV_WINDOW_MS
#error "WARD_DEV_PAKE_TTL_MS must be 1 s..WARD_DEV_WINDOW_MS"
#endif
#ifdef WARD_DEV_BIND_TTL_MS
#error "WARD_DEV_BIND_TTL_MS is gone: see WARD_DEV_WINDOW_MS and WARD_DEV_PAKE_TTL_MS"
#endif

#if WARD_SE_CMD_MAX < 1 || WARD_SE_CMD_MAX > 108
#error "WARD_SE_CMD_MAX must be 1..108"
#endif
#if WARD_SE_BACKOFF_MS < 1 || WARD_SE_BACKOFF_MAX_MS < WARD_SE_BACKOFF_MS
#error "WARD_SE_BACKOFF_MS must be >= 1 and <= WARD_SE_BACKOFF_MAX_MS"
#endif

#endif /* WARD_CONFIG_H */
