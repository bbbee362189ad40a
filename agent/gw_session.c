/* A gateway's login and sealed session packets with wardd over the agent's transport (flow C). */
#include <stdio.h>
#include <string.h>

#include "ward/ward_agent_gw.h"
#include "ward/ward_encode.h"

/* The base64 member name of wardd's answer, decoded into out. */
static long answer_bytes(const ward_http_response *r, const char *name, uint8_t *out,
                         size_t cap, size_t *len, char *why, size_t why_cap)
{
    char b64[2 * WARD_GW_DATA_MAX];
    *len = 0;
    if (ward_agent_json_str(r, name, b64, sizeof b64) != 0 ||
        ward_b64_decode(b64, strlen(b64), out, cap, len) != WARD_OK) {
        snprintf(why, why_cap, "wardd's answer has no %s", name);
        return WARD_AGENT_GW_BAD_REPLY;
    }
    return 0;
}

long ward_agent_gw_login(const ward_agent *ag, ward_gw_session *s, const ward_gw_creds *c,
                         uint64_t counter, char *why, size_t why_cap)
{
    uint8_t login[WARD_GW_LOGIN_LEN], reply[WARD_GW_LOGIN_REPLY_LEN + 1];
    size_t len = 0, rlen = 0;
    ward_http_response r;
    ward_err err = ward_gw_login_start(s, ag->host.crypto, &ag->host.rng, c, counter, login,
                                       sizeof login, &len);
    if (err != WARD_OK) {
        snprintf(why, why_cap, "cannot make the login: %s", ward_strerror(err));
        return WARD_AGENT_GW_BAD_REPLY;
    }
    long st = ward_agent_post_blob(ag->transport, &ag->host, ag->server, "/v1/gateways/login",
                                   "login", login, len, NULL, NULL, NULL, &r, why, why_cap);
    if (st == 0) {
        st = answer_bytes(&r, "reply", reply, sizeof reply, &rlen, why, why_cap);
    }
    ward_http_response_free(&r);
    if (st == 0 && (err = ward_gw_login_finish(s, ag->host.crypto, reply, rlen)) != WARD_OK) {
        snprintf(why, why_cap, "wardd's login reply does not check: %s", ward_strerror(err));
        st = WARD_AGENT_GW_BAD_REPLY;
    }
    return st;
}

/* Seals type with pt, posts it, and gives wardd's answer (NULL out: none wanted). */
static long post_packet(const ward_agent *ag, ward_gw_session *s, uint8_t type,
                        const uint8_t *pt, size_t pt_len, ward_http_response *r, char *why,
                        size_t why_cap)
{
    uint8_t msg[WARD_GW_DATA_MAX];
    size_t len = 0;
    ward_err err = ward_gw_session_seal(s, ag->host.crypto, type, pt, pt_len, msg, sizeof msg,
                                        &len);
    memset(r, 0, sizeof *r);
    if (err != WARD_OK) {
        snprintf(why, why_cap, "cannot seal the packet: %s", ward_strerror(err));
        return WARD_AGENT_GW_BAD_REPLY;
    }
    return ward_agent_post_blob(ag->transport, &ag->host, ag->server, "/v1/gateways/session",
                                "packet", msg, len, NULL, NULL, NULL, r, why, why_cap);
}

/* type with pt up, wardd's sealed DATA back into out. */
static long exchange(const ward_agent *ag, ward_gw_session *s, uint8_t up, const uint8_t *pt,
                     size_t pt_len, uint8_t *out, size_t cap, size_t *out_len, char *why,
                     size_t why_cap)
{
    ward_http_response r;
    uint8_t answer[WARD_GW_DATA_MAX], type = 0;
    size_t alen = 0;
    *out_len = 0;
    long st = post_packet(ag, s, up, pt, pt_len, &r, why, why_cap);
    if (st == 0) {
        st = answer_bytes(&r, "packet", answer, sizeof answer, &alen, why, why_cap);
    }
    ward_http_response_free(&r);
    if (st != 0) {
        return st;
    }
    ward_err err = ward_gw_session_open(s, ag->host.crypto, answer, alen, &type, out, cap,
                                        out_len);
    if (err != WARD_OK || type != WARD_MSG_GW_DATA) {
        *out_len = 0;
        snprintf(why, why_cap, "wardd's packet does not check: %s",
                 ward_strerror(err != WARD_OK ? err : WARD_ERR_FORMAT));
        return WARD_AGENT_GW_BAD_REPLY;
    }
    return 0;
}

long ward_agent_gw_send(const ward_agent *ag, ward_gw_session *s, const uint8_t *pt,
                        size_t pt_len, uint8_t *out, size_t cap, size_t *out_len, char *why,
                        size_t why_cap)
{
    return exchange(ag, s, WARD_MSG_GW_DATA, pt, pt_len, out, cap, out_len, why, why_cap);
}

long ward_agent_gw_reset(const ward_agent *ag, ward_gw_session *s, char *why, size_t why_cap)
{
    uint8_t none[1];
    size_t n = 0;
    long st = exchange(ag, s, WARD_MSG_GW_RESET, NULL, 0, none, sizeof none, &n, why, why_cap);
    ward_gw_session_wipe(s);
    return st;
}

long ward_agent_gw_logout(const ward_agent *ag, ward_gw_session *s, char *why, size_t why_cap)
{
    ward_http_response r;
    long st = post_packet(ag, s, WARD_MSG_GW_LOGOUT, NULL, 0, &r, why, why_cap);
    ward_http_response_free(&r);
    ward_gw_session_wipe(s);
    return st;
}
