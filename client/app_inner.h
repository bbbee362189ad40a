/*
 * app_inner.h - helpers shared by the client library's files. Not installed.
 */
#ifndef WARD_APP_INNER_H
#define WARD_APP_INNER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ward/ward_app.h"
#include "ward/ward_files.h"

/* The string member name of obj, or NULL if absent or not a string. */
const char *ward_json_str(const cJSON *obj, const char *name);
/* obj's integer member name, or dflt when it is missing, not a number,
 * not whole, or beyond what a double holds exactly (a hostile server's
 * 1e300 must not reach a cast). */
int64_t ward_json_int(const cJSON *obj, const char *name, int64_t dflt);

/* Opens an escrow of lock sn (base64, as GET /v1/escrow lists it) into
 * key, only if this client key signed it (ward_escrow_open_by()): one wardd
 * made is refused. WARD_ERR_FORMAT: not base64 of an escrow;
 * WARD_ERR_AUTH: not signed by this key, or altered. key is zero on
 * failure; no message is set (the callers say what it was for). */
ward_err ward_app_escrow_decode(ward_app *app, const char *sn, const char *b64,
                                uint8_t key[WARD_AUTH_KEY_LEN]);

/* Removes every record of lock sn: locks/ and pending/ (none there is
 * fine). */
ward_err ward_app_lock_remove(ward_app *app, const char *sn);

/* Sets app->error (printf-style) and returns err. */
ward_err ward_app_fail(ward_app *app, ward_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with ": " and the OS's text for os_errno (strerror) after it,
 * when os_errno is not 0: "cannot write client.key in A: Read-only file
 * system". Callers pass the errno a ward_files.h call left. */
ward_err ward_app_fail_os(ward_app *app, ward_err err, int os_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* WARD_APP_INNER_H */
