/* JSON request bodies: parse, take bounded strings and base64 members,
 * wipe a secret member. */
#include <stdlib.h>
#include <string.h>

#include "ward/ward_suite.h"

#include "wardd.h"

bool wardd_json_body(const wardd_req *r, cJSON **obj, wardd_resp *out)
{
    cJSON *j = cJSON_ParseWithLength((const char *)r->body, r->body_len);
    if (j == NULL || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        wardd_fail(out, 400, "format", "body is not a JSON object");
        return false;
    }
    *obj = j;
    return true;
}

const char *wardd_json_str(const cJSON *obj, const char *name, size_t max)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsString(m) || m->valuestring == NULL) {
        return NULL;
    }
    size_t n = strlen(m->valuestring);
    return n >= 1 && n <= max ? m->valuestring : NULL;
}

void wardd_json_wipe(cJSON *obj, const char *name)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsString(m) && m->valuestring != NULL) {
        ward_wipe(m->valuestring, strlen(m->valuestring));
    }
}

bool wardd_json_b64(const cJSON *obj, const char *name, uint8_t *out,
                    size_t min, size_t cap, size_t *len)
{
    const char *s = wardd_json_str(obj, name, 4 * ((cap + 2) / 3));
    size_t n = 0;
    if (s == NULL || ward_b64_decode(s, strlen(s), out, cap, &n) != WARD_OK ||
        n < min || n > cap) {
        return false;
    }
    *len = n;
    return true;
}

bool wardd_json_add_b64(cJSON *obj, const char *name, const uint8_t *data,
                        size_t len)
{
    size_t cap = 4 * ((len + 2) / 3) + 1;
    char *s = malloc(cap);
    if (s == NULL || ward_b64_encode(data, len, s, cap) != WARD_OK) {
        free(s);
        return false;
    }
    bool ok = cJSON_AddStringToObject(obj, name, s) != NULL;
    free(s);
    return ok;
}
