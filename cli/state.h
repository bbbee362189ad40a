/*
 * state.h - the device roles' state directory (ward_agent_state.h) as the
 * CLI opens it: each failure printed as one line, the exit code returned.
 */
#ifndef WARD_CLI_STATE_H
#define WARD_CLI_STATE_H

#include "ward/ward_agent_state.h"

/* ward_agent_state_open / _open_readonly / _create / _reacquire; 0 or an
 * exit code after printing st->why. */
int cli_state_open(ward_agent_state *st, ward_agent_role role, const char *dir);
int cli_state_open_readonly(ward_agent_state *st, ward_agent_role role, const char *dir);
int cli_state_create(ward_agent_state *st, ward_agent_role role, const char *dir,
                     const char *id, const char *server, const char *name, const char *type);
int cli_state_reacquire(ward_agent_state *st);

/* The state taken for one page of what wardd handed on (the first entry
 * to check takes it) and let go after the page, so other ward processes
 * (the near-field door, a request) get in between pages. */
typedef struct cli_hold {
    ward_agent_state *st;
    bool held;
} cli_hold;

/* Takes the state unless held: 0 or an exit code after printing why. */
int cli_hold_take(cli_hold *h);
/* Lets it go if held; a page_done hook of the agent's loops (ctx: cli_hold). */
void cli_hold_drop(void *hold);
/* "ward: LINE" on standard error: a note hook of the agent's loops. */
void cli_note(void *ctx, const char *line);

/* Has the manufacturer's key (a file of 64 hex digits) vouch for the
 * device's identity, and tells wardd: "lock SN activated ..." or "device
 * ID activated ..." on standard output, or an exit code after printing
 * why. */
int cli_state_activate(ward_agent_state *st, const char *factory_key);

struct cli_id_opts;
/* Every init's identity step: writes D/identity.pub, then presents to
 * wardd the chain o asks for (identity.h: --cert, or --factory-key with
 * --factory-cert; kept in D/identity.chain, of `role`), or else the
 * activation --factory-key signs, or nothing (--no-activate). 0 or an
 * exit code after printing why. */
int cli_state_identify(ward_agent_state *st, const struct cli_id_opts *o, uint8_t role);

#endif /* WARD_CLI_STATE_H */
