/* Client management from the app: list a lock's clients, read wardd's audit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_httpsig.h"
#include "ops_inner.h"


static void copy_str(char *out, size_t cap, const char *s)
{
    snprintf(out, cap, "%s", s != NULL ? s : "");
}

static bool parse_client(const cJSON *e, ward_app_client *c)
{
    const char *uid = ward_json_str(e, "uid");
    const char *tid = ward_json_str(e, "tid");
    size_t got = 0;
    memset(c, 0, sizeof *c);
    c->role = ward_app_role_json(cJSON_GetObjectItemCaseSensitive(e, "role"));
    if (uid == NULL || tid == NULL || c->role < 0 ||
        ward_check_uid((const uint8_t *)uid, strlen(uid)) != WARD_OK ||
        ward_hex_decode(tid, strlen(tid), c->tid, sizeof c->tid, &got) !=
            WARD_OK || got != WARD_TASK_ID_LEN) {
        return false;
    }
    memcpy(c->uid, uid, strlen(uid) + 1);
    c->bound = ward_json_int(e, "bound", 0);
    return true;
}

/* Parses the array `key` of a wardd answer into a malloc'd array of
 * elem_size-byte elements, one parse() per entry. One bad entry spoils
 * the whole list: a revocation picks its target's task id from it. */
typedef bool (*entry_parser)(const cJSON *e, void *out);

static ward_err parse_list(ward_app *app, const char *json, size_t len,
                           const char *key, size_t elem_size,
                           entry_parser parse, const char *what, void **list,
                           size_t *count)
{
    *list = NULL;
    *count = 0;
    cJSON *root = cJSON_ParseWithLength(json, len);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key);
    int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
    uint8_t *l = n >= 0 ? calloc(n > 0 ? (size_t)n : 1, elem_size) : NULL;
    ward_err err = n < 0 ? WARD_ERR_FORMAT : l == NULL ? WARD_ERR_IO : WARD_OK;
    size_t k = 0;
    const cJSON *e;
    if (err == WARD_OK) {
        cJSON_ArrayForEach(e, arr) {
            if (!parse(e, l + elem_size * k++)) {
                err = WARD_ERR_FORMAT;
                break;
            }
        }
    }
    cJSON_Delete(root);
    if (err != WARD_OK) {
        free(l);
        return ward_app_fail(app, err, err == WARD_ERR_IO
                                           ? "out of memory"
                                           : "the server's %s is malformed",
                             what);
    }
    *list = l;
    *count = k;
    return WARD_OK;
}

static bool parse_client_entry(const cJSON *e, void *out)
{
    return parse_client(e, out);
}

ward_err ward_app_clients_parse(ward_app *app, const char *json, size_t len,
                                ward_app_client **list, size_t *count)
{
    WARD_ASSERT(app != NULL && json != NULL && list != NULL && count != NULL);
    void *l = NULL;
    ward_err err = parse_list(app, json, len, "clients", sizeof **list,
                              parse_client_entry, "client list", &l, count);
    *list = l;
    return err;
}

ward_err ward_app_clients(ward_app *app, const char *sn,
                          ward_app_client **list, size_t *count)
{
    char target[WARD_SN_MAX + 32];
    ward_http_response r;
    WARD_ASSERT(app != NULL && sn != NULL && list != NULL && count != NULL);
    *list = NULL;
    *count = 0;
    if (ward_check_sn((const uint8_t *)sn, strlen(sn)) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_FORMAT, "bad lock serial number");
    }
    snprintf(target, sizeof target, "/v1/locks/%s/clients", sn);
    ward_err err = ward_app_call(app, "GET", target, NULL, &r);
    if (err != WARD_OK) {
        return err;
    }
    if (r.status == 200) {
        err = ward_app_clients_parse(app, r.body, r.body_len, list, count);
    } else if (r.status == 403 || r.status == 404) {
        err = ward_app_fail(app, r.status == 403 ? WARD_ERR_PARAM
                                                 : WARD_ERR_NOTFOUND,
                            "lock %s is not bound to this user at wardd", sn);
    } else {
        err = ward_app_status_fail(app, &r, "cannot list the clients");
    }
    ward_http_response_free(&r);
    return err;
}

static bool parse_event(const cJSON *e, ward_app_audit_event *ev)
{
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(e, "op");
    const char *event = ward_json_str(e, "event");
    memset(ev, 0, sizeof *ev);
    if (!cJSON_IsObject(e) || event == NULL) {
        return false;
    }
    ev->ts = ward_json_int(e, "ts", 0);
    copy_str(ev->event, sizeof ev->event, event);
    copy_str(ev->uid, sizeof ev->uid, ward_json_str(e, "uid"));
    copy_str(ev->detail, sizeof ev->detail, ward_json_str(e, "detail"));
    if (cJSON_IsNumber(op) && op->valueint == 0) {
        ev->op[0] = '\0';  /* not an operation event */
    } else if (cJSON_IsNumber(op)) {
        const char *name = op->valueint >= 0 && op->valueint <= 255
                               ? ward_app_op_name((uint8_t)op->valueint)
                               : NULL;
        if (name != NULL) {
            copy_str(ev->op, sizeof ev->op, name);
        } else {
            snprintf(ev->op, sizeof ev->op, "%d", op->valueint);
        }
    } else {
        copy_str(ev->op, sizeof ev->op, cJSON_IsString(op) ? op->valuestring
                                                           : NULL);
    }
    return true;
}

static bool parse_event_entry(const cJSON *e, void *out)
{
    return parse_event(e, out);
}

ward_err ward_app_audit_parse(ward_app *app, const char *json, size_t len,
                              ward_app_audit_event **list, size_t *count)
{
    WARD_ASSERT(app != NULL && json != NULL && list != NULL && count != NULL);
    void *l = NULL;
    ward_err err = parse_list(app, json, len, "events", sizeof **list,
                              parse_event_entry, "audit log", &l, count);
    *list = l;
    return err;
}

ward_err ward_app_audit(ward_app *app, const char *sn,
                        ward_app_audit_event **list, size_t *count)
{
    char target[WARD_SN_MAX + 32];
    ward_http_response r;
    WARD_ASSERT(app != NULL && sn != NULL && list != NULL && count != NULL);
    *list = NULL;
    *count = 0;
    if (ward_check_sn((const uint8_t *)sn, strlen(sn)) != WARD_OK) {
        return ward_app_fail(app, WARD_ERR_FORMAT, "bad lock serial number");
    }
    snprintf(target, sizeof target, "/v1/audit?sn=%s", sn);
    ward_err err = ward_app_call(app, "GET", target, NULL, &r);
    if (err != WARD_OK) {
        return err;
    }
    if (r.status == 200) {
        err = ward_app_audit_parse(app, r.body, r.body_len, list, count);
    } else if (r.status == 403) {
        err = ward_app_fail(app, WARD_ERR_PARAM,
                            "only the owner or an admin may read the audit");
    } else {
        err = ward_app_status_fail(app, &r, "cannot read the audit");
    }
    ward_http_response_free(&r);
    return err;
}
