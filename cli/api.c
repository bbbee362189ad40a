/* The CLI's app-side requests to wardd, over the agent's HTTP transport;
 * see api.h. */
#include "api.h"

#include "ward/ward_agent.h"

long api_call(const ward_host *host, const char *server, const char *method,
              const char *target, const char *body,
              const ward_http_signer *signer, ward_http_response *resp,
              char *msg, size_t msg_cap)
{
    return ward_agent_call(&ward_agent_http, host, server, method, target, body, signer, resp,
                           msg, msg_cap);
}

long api_post_blob(const ward_host *host, const char *server, const char *target,
                   const char *field, const uint8_t *bytes, size_t len,
                   const char *extra_field, const char *extra_value,
                   const ward_http_signer *signer, ward_http_response *resp,
                   char *msg, size_t msg_cap)
{
    return ward_agent_post_blob(&ward_agent_http, host, server, target, field, bytes, len,
                                extra_field, extra_value, signer, resp, msg, msg_cap);
}

int api_json_str(const ward_http_response *resp, const char *name, char *out,
                 size_t cap)
{
    return ward_agent_json_str(resp, name, out, cap);
}

int api_each_entry(const ward_http_response *resp, const char *list, const char *id_key,
                   const char *msg_key, const char *from_key, long long *after,
                   api_entry_fn each, void *ctx)
{
    return ward_agent_each_entry(resp, list, id_key, msg_key, from_key, after, each, ctx);
}

int api_each_msg(const ward_http_response *resp, long long *after, api_msg_fn each, void *ctx)
{
    return ward_agent_each_msg(resp, after, each, ctx);
}
