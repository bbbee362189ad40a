/*
 * devlink.h - flow D in the CLI: the IoT device's state directory (`ward
 * device ...`) and the app's two links to a device (`ward app pair`,
 * `send`, `discover`).
 *
 *     D/device.json   {"id", "server", "name", "type"}
 *     D/store.bin     the device's power-safe record store (file port):
 *                     identity key, nodes, the pairing window; only the
 *                     core reads it
 *     D/.busy         flock(2): one ward process at a time on the device
 *
 *     A/devices/<ID>.json   the pairing record (ward_pair.h)
 *     A/devices/<ID>.near   the device's near-field address, HOST:PORT
 *     A/client_id           this app's CliID, hex (made at first pairing)
 *
 * The device signs its wardd requests with its identity key under keyid
 * "lock:ID": it is activated and stored exactly as a lock is (both by the
 * agent library's one state module, ward_agent_state.h).
 */
#ifndef WARD_CLI_DEVLINK_H
#define WARD_CLI_DEVLINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_app.h"
#include "ward/ward_device.h"
#include "ward/ward_host.h"
#include "ward/ward_http.h"
#include "ward/ward_port_posix.h"

/* Takes a message the app received and says whether it is the answer
 * the app waits for (WARD_OK), one to skip (a stale reply: any other
 * code), or the end (stop set: the device answered with an error). */
typedef ward_err (*devlink_accept_fn)(void *ctx, const uint8_t *msg,
                                      size_t len, bool *stop);

/* The app's link to one device. */
typedef struct devlink {
    bool far;
    char near[300];              /* HOST:PORT */
    ward_app *app;               /* far: the signer and the server */
    char cloud_id[WARD_DEV_CLOUD_ID_MAX + 1];
    unsigned timeout_ms;
} devlink;

/* Sends msg and waits for the answer accept() takes. Returns WARD_OK,
 * or the error of the last answer, or WARD_ERR_IO (no answer in time),
 * with one line in why. */
ward_err devlink_exchange(const devlink *l, const uint8_t *msg, size_t len,
                          devlink_accept_fn accept, void *ctx, char *why,
                          size_t why_cap);


#endif /* WARD_CLI_DEVLINK_H */
