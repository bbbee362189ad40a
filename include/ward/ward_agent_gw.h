/*
 * ward_agent_gw.h - (agent library) a gateway's login and session with
 * wardd over the agent's transport (flow C, docs/protocol.md "Login and
 * sessions"). The core makes and checks every message (ward_gw_cloud.h);
 * this module carries them to POST /v1/gateways/login and
 * POST /v1/gateways/session.
 *
 *     // the caller stores counter + 1 before each login: never sent twice
 *     ward_agent_gw_login(&ag, &s, &creds, counter, why, sizeof why);
 *     ward_agent_gw_send(&ag, &s, data, n, answer, sizeof answer, &alen, why, sizeof why);
 *     ward_agent_gw_logout(&ag, &s, why, sizeof why);
 *
 * Each returns as ward_agent_call(): 0 on success, wardd's HTTP status
 * when it refused (401 refused, 410 expired: register again), or
 * WARD_AGENT_UNREACHABLE; WARD_AGENT_GW_BAD_REPLY when wardd's answer does
 * not check (forged, replayed, malformed): then the session is unchanged
 * (a login stays pending). why gets one line for a person.
 */
#ifndef WARD_AGENT_GW_H
#define WARD_AGENT_GW_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_agent.h"
#include "ward/ward_gw_cloud.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_AGENT_GW_BAD_REPLY (-2L)

WARD_MUST_CHECK
long ward_agent_gw_login(const ward_agent *ag, ward_gw_session *s, const ward_gw_creds *c,
                         uint64_t counter, char *why, size_t why_cap);
/* One DATA up and wardd's DATA back (its payload into out). */
WARD_MUST_CHECK
long ward_agent_gw_send(const ward_agent *ag, ward_gw_session *s, const uint8_t *pt,
                        size_t pt_len, uint8_t *out, size_t cap, size_t *out_len, char *why,
                        size_t why_cap);
/* A RESET: wardd drops the gateway's registration, owner and session and
 * answers a sealed DATA, which is checked (WARD_AGENT_GW_BAD_REPLY when it
 * does not). The session is wiped whatever wardd answers. */
WARD_MUST_CHECK
long ward_agent_gw_reset(const ward_agent *ag, ward_gw_session *s, char *why, size_t why_cap);
/* A LOGOUT; the session is wiped whatever wardd answers. */
WARD_MUST_CHECK
long ward_agent_gw_logout(const ward_agent *ag, ward_gw_session *s, char *why, size_t why_cap);

#ifdef __cplusplus
}
#endif

#endif /* WARD_AGENT_GW_H */
