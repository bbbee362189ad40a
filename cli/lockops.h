/*
 * lockops.h - the lock's operations (flow B) as the CLI runs them: the
 * remote request through wardd, shared by `ward lock request` and the
 * add-client step of binding, and the near-field server of `ward lock
 * run`.
 */
#ifndef WARD_CLI_LOCKOPS_H
#define WARD_CLI_LOCKOPS_H

#include <stdint.h>

#include "state.h"
#include "ward/ward_op.h"

const char *lockops_op_name(uint8_t op);
/* "unlock", "intercom", "video", "add" / "add client"; 0 or -1. */
int lockops_op_code(const char *name, uint8_t *op);

/* Asks through wardd and waits up to timeout_s for a verified answer.
 * Holds the lock's state only while it uses it. 0 with *out filled (the
 * caller acts on out->execute), or an exit code after printing why.
 * ttl_s: the request's life on the lock (0: WARD_OP_TTL_MS). */
int lockops_remote(ward_agent_state *ld, uint8_t code, const char *user, unsigned timeout_s,
                   unsigned ttl_s, ward_op_outcome *out);

/* Performs an executed operation (this simulated lock prints it). */
void lockops_act(const ward_agent_state *ld, const ward_op_outcome *o);

#endif /* WARD_CLI_LOCKOPS_H */
