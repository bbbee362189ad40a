/*
 * agent_inner.h - what the agent's own files share (not public): the stop
 * hook asked, naps that see a stop, lines for a person.
 */
#ifndef WARD_AGENT_INNER_H
#define WARD_AGENT_INNER_H

#include "ward/ward_agent.h"

/* Whether ag->cancelled() says stop (never when unset). */
bool ward_agent_stopping(const ward_agent *ag);

/* Sleeps ms, in steps of at most 100 ms, until a stop. */
void ward_agent_nap(const ward_agent *ag, unsigned ms);

/* A monotonic clock in milliseconds, for pacing. */
long long ward_agent_mono_ms(void);

/* Formats one line and hands it to note(ctx, line) (nothing when NULL). */
void ward_agent_say(void (*note)(void *ctx, const char *line), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* WARD_AGENT_INNER_H */
