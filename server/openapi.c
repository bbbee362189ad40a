/* GET /v1/openapi.json: the OpenAPI 3.1 document of wardd's API
 * (docs/openapi.json), built into the binary by server/embed.cmake, so the
 * answer is always the document of the code that answers. Unsigned. */
#include <stddef.h>

#include "wardd.h"

extern const char wardd_openapi_json[];
extern const size_t wardd_openapi_json_len;

void wardd_h_openapi(wardd *w, const wardd_req *r, wardd_resp *out)
{
    (void)w;
    (void)r;
    /* Sent byte for byte: a round trip through cJSON would print numbers
     * past 2^53 (the ids' bound, 9007199254740991) in its own way. */
    wardd_reply_body(out, "application/json", wardd_openapi_json, wardd_openapi_json_len,
                     false);
}
