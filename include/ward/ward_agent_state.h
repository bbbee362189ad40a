/*
 * ward_agent_state.h - (agent library) a device's state directory on a
 * POSIX host: one module for every device role (a lock, an IoT device).
 *
 *     D/lock.json     {"sn", "server"}                    (a lock)
 *     D/device.json   {"id", "server", "name", "type"}    (a device)
 *     D/store.bin     the power-safe record store (file port): identity
 *                     key, bound clients or nodes, pending binding,
 *                     lock-out; only the device core reads it
 *     D/.busy         flock(2) target: one process at a time works on the
 *                     state (a lock's waits for up to 15 s, a device's not)
 *     D/near.sock     a lock's near-field link while it runs
 *
 * A long-running device opens its state once and keeps it; a command that
 * waits on the network may let it go (release) and take it back
 * (reacquire), so another process can act on the device meanwhile. The
 * state carries the device's link to wardd (ward_agent.h), signed with its
 * identity key under keyid "lock:ID".
 *
 * Failures fill st->why with one line (no prefix) and set st->usage when
 * the caller's input was at fault (a bad id, a too long path or URL).
 */
#ifndef WARD_AGENT_STATE_H
#define WARD_AGENT_STATE_H

#include <pthread.h>
#include <stdbool.h>

#include "ward/ward_agent.h"
#include "ward/ward_bind.h"
#include "ward/ward_device.h"
#include "ward/ward_host.h"
#include "ward/ward_http.h"
#include "ward/ward_keystore.h"
#include "ward/ward_lock.h"
#include "ward/ward_port_posix.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ward_agent_role {
    WARD_AGENT_LOCK = 1,
    WARD_AGENT_DEVICE = 2
} ward_agent_role;

#define WARD_AGENT_DIR_MAX 511

typedef struct ward_agent_state {
    ward_agent_role role;
    char dir[WARD_AGENT_DIR_MAX + 1];
    char id[WARD_SN_MAX + 1];              /* a lock's sn, a device's id */
    char server[WARD_AGENT_URL_MAX + 1];
    char name[WARD_DEV_NAME_MAX + 1];      /* a device's only */
    char type[WARD_DEV_TYPE_MAX + 1];      /* a device's only */
    ward_host host;                        /* its clock: the HTTP signatures' */
    ward_clock flow_clock;                 /* the device core's, if given at open */
    ward_file_port file;
    ward_lock lock;                        /* role WARD_AGENT_LOCK */
    ward_device dev;                       /* role WARD_AGENT_DEVICE */
    bool open;                             /* the store is open, the flock held */
    bool parked;                           /* released: the store file kept open,
                                              its bytes in `seen`, the flock dropped */
    bool readonly;
    int busy_fd;
    unsigned char *seen;                   /* parked: the store as this process left it */
    size_t seen_len;
    pthread_mutex_t *mu;                   /* when set: held while signing */
    ward_http_signer signer;               /* "lock:ID", the identity key */
    ward_agent link;                       /* to wardd, signed with signer */
    bool usage;
    char why[600];
    char err_why[128];
} ward_agent_state;

/* Makes D (mode 0700), its store and the device's identity, and writes
 * its config. id: a lock's serial number or a device's id (1-32 of A-Z
 * a-z 0-9 . _ -); name and type for a device only (NULL for a lock). The
 * state is left open. keystore (ward_keystore.h) holds the identity key
 * (made there now, used there on every open); NULL: the key lives in the
 * store, as software. */
WARD_MUST_CHECK
ward_err ward_agent_state_create(ward_agent_state *st, ward_agent_role role, const char *dir,
                                 const char *id, const char *server, const char *name,
                                 const char *type, const ward_keystore *keystore);
/* Opens an existing D, its store and the device core on it; keystore as
 * it was given to ward_agent_state_create(). */
WARD_MUST_CHECK
ward_err ward_agent_state_open(ward_agent_state *st, ward_agent_role role, const char *dir,
                               const ward_keystore *keystore);
/* As ward_agent_state_open, with the clocks given (copied; each must stay
 * valid while st is open; NULL: the host's wall clock). flows: where the
 * device core's flows take "now" for their expiries; a device with secure
 * time gives ward_time_clock_init()'s (ward_time.h). host: the clock of
 * the request signatures' "created" (wardd judges their age on its own
 * clock), e.g. secure time once synced and the wall clock before. */
WARD_MUST_CHECK
ward_err ward_agent_state_open_clock(ward_agent_state *st, ward_agent_role role, const char *dir,
                                     const ward_keystore *keystore, const ward_clock *flows,
                                     const ward_clock *host);
/* Opens an existing D only to read it: nothing is created or written (a
 * read-only directory will do), the flock shared with other readers. */
WARD_MUST_CHECK
ward_err ward_agent_state_open_readonly(ward_agent_state *st, ward_agent_role role,
                                        const char *dir);
void ward_agent_state_close(ward_agent_state *st);

/* Lets other processes at the state while this one waits (the flock is
 * dropped), and takes it back; the device core must not be used in
 * between. The signer takes it for as long as it signs. A writer keeps its
 * store file open and a copy of its bytes while it waits: back under the
 * flock, it reads the store again into the device core only when another
 * process changed it (other bytes, or another file at D/store.bin), so a
 * long-running process opens its store once. */
void ward_agent_state_release(ward_agent_state *st);
WARD_MUST_CHECK
ward_err ward_agent_state_reacquire(ward_agent_state *st);

/* Points the link at another server (not written to the config). */
WARD_MUST_CHECK
ward_err ward_agent_state_set_server(ward_agent_state *st, const char *server);

/* ward_strerror(err), with the OS's reason beside WARD_ERR_IO from the
 * store ("i/o error: No space left on device"). Valid until the next call. */
const char *ward_agent_state_strerror(ward_agent_state *st, ward_err err);

#ifdef __cplusplus
}
#endif

#endif /* WARD_AGENT_STATE_H */
