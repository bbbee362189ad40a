/*
 * ward_app.h - (client library) the app's side of lock-app binding (flow A):
 * its account and key, the QR code, the upload, recovery on a new phone.
 *
 * An app keeps its state in a directory:
 *
 *     account.json      {"user", "phone", "server"}
 *     client.key        {"user", "phone", "server", "key": hex private key},
 *                       mode 0600;
 *                       the file `ward app recover --from-key FILE` imports
 *     locks/<SN>.json   {"sn", "state": "pending"|"bound", "role",
 *                       "auth_key": hex, "tid"}, mode 0600; without
 *                       "auth_key" when the app keeps A only in escrow
 *                       (ward_app_ops.h)
 *     pending/<SN>.json the same, "pending", for a lock the app is bound
 *                       to already and binds again (--rebind): the
 *                       binding in locks/ stays in use until wardd says
 *                       the lock took the new one (its task, by tid),
 *                       which then replaces it; revoking oneself drops
 *                       both
 *
 * Every file is written atomically (temporary file, fsync, rename, fsync
 * of the directory), so a crash leaves the old file or the new one.
 *
 * Binding, with the lock's QR payload in hand:
 *
 *     ward_host host; ward_host_init(&host);
 *     ward_app app;
 *     ward_app_create(&app, &host, dir, "alice", "+8613800000000", url);
 *         (or ward_app_open(&app, &host, dir) later)
 *     ward_app_register(&app, &verified, &rep);   // POST /v1/users
 *         (wardd texts a code to the phone; or ward_app_register_open()
 *         to go on with a registration begun before)
 *     ward_app_verify(&app, code, &rep);          // POST /v1/users/verify
 *     ward_app_bind_prepare(&app, qr, qr_len, false, &upload, tid_hex, sn);
 *     ward_app_bind_upload(&app, upload, sn, tid_hex, &up);
 *     ward_app_bind_wait(&app, sn, tid, 30, &task);  // records bound/expired
 *     ward_app_close(&app);
 *
 * The calls to wardd are ward_app_cloud.h's; the *_json() functions here
 * make their bodies, for a caller with its own HTTP stack.
 *
 * bind_prepare checks the QR payload strictly (ward_qr_parse()) and that
 * its phone number is the account's (WARD_ERR_PARAM and the message
 * "phone number in the QR code does not match this account"), makes the
 * auth key A, escrows it to the app's own public key, seals the bind data
 * under the QR's K and records the lock as pending. A QR code naming a
 * lock the app has a record of already is refused (WARD_ERR_STATE,
 * WARD_APP_ALREADY_BOUND, or WARD_APP_BINDING_BEGUN for a binding begun
 * and not finished, whose key the lock may take at any moment) unless
 * rebind: anyone can print a QR code, and scanning one must not wipe a
 * binding; with rebind the new pending binding is kept beside the record
 * (pending/), which it replaces only when ward_app_lock_bound() is called
 * for its task. A QR code of a task the app recorded already is refused
 * even so (wardd holds that task's blob, or never will).
 *
 * A rebinding completes only once the binding in use was revoked at the
 * lock: the lock refuses to bind a user id it holds (WARD_ERR_CONFLICT),
 * so while the old binding stands the new task just expires. A task
 * wardd says expired (or no longer knows) is dropped with
 * ward_app_lock_expired(): its record goes, the binding in use stays.
 *
 * Recovery: ward_app_recover() imports a key file into a new directory;
 * ward_app_recover_escrows() checks each escrow of the GET /v1/escrow
 * answer against the client's signature, opens it with the client key and
 * writes the lock records. wardd holds the escrows but not the key, so it
 * can neither open them nor make one the app would take.
 *
 * On failure, ward_app_error() gives one line for a person to read.
 */
#ifndef WARD_APP_H
#define WARD_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_bind.h"
#include "ward/ward_err.h"
#include "ward/ward_host.h"
#include "ward/ward_http.h"
#include "ward/ward_keystore.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_APP_ERROR_MAX 400
#define WARD_APP_PHONE_MISMATCH                                              \
    "phone number in the QR code does not match this account"
#define WARD_APP_ALREADY_BOUND "this app is bound to this lock already"
/* An escrow (recovery, or an answer from escrow) this app did not make. */
#define WARD_APP_MSG_ESCROW_FOREIGN                                          \
    "the escrow is not signed by this client key (this app did not make it)"
#define WARD_APP_BINDING_BEGUN "this app has begun binding this lock already (not finished)"

typedef struct ward_app {
    ward_host host;
    char *dir;
    char *server;
    char user[WARD_UID_MAX + 1];
    char phone[WARD_PHONE_MAX + 1];
    uint8_t pub[WARD_P256_POINT_LEN];
    /* The client key (WARD_KEY_APP_CLIENT) signs and opens only through a
     * keystore, ward_app_keystore(): host.keystore when key_external (a
     * PKCS#11 token; the key file holds only "pub"), else soft, which
     * holds the key read from the key file ("key"). A ward_app is not
     * copied (soft_table points into it); ward_app_close() wipes soft. */
    bool key_external;
    ward_keystore_soft soft;
    ward_keystore soft_table;
    bool verified;        /* wardd said the phone is verified (account.json) */
    char error[WARD_APP_ERROR_MAX];
} ward_app;

/* The QR payload, parsed. key is K: wipe with ward_qr_wipe(). */
typedef struct ward_qr {
    char mobile[WARD_PHONE_MAX + 1];
    char sms[WARD_BIND_CODE_LEN + 1];
    char sn[WARD_SN_MAX + 1];
    uint8_t key[WARD_BIND_KEY_LEN];
    uint8_t tid[WARD_TASK_ID_LEN];
} ward_qr;

/* One lock record of the app. */
typedef struct ward_app_lock {
    char sn[WARD_SN_MAX + 1];
    bool bound;                          /* false: pending */
    int role;                            /* WARD_ROLE_*, -1 while pending */
    uint8_t auth_key[WARD_AUTH_KEY_LEN]; /* the caller wipes it */
    uint8_t tid[WARD_TASK_ID_LEN];
    bool no_key;    /* A not kept (ward_app_forget_key()): auth_key is 0 */
} ward_app_lock;

/* Strict: a JSON object with exactly "v" (the number 1), "mobile",
 * "sms", "sn", "key", "tid", each once, each checked (phone, 6 digits,
 * SN, 64 and 32 hex digits). WARD_ERR_FORMAT otherwise. */
WARD_MUST_CHECK
ward_err ward_qr_parse(const char *payload, size_t len, ward_qr *qr);
void ward_qr_wipe(ward_qr *qr);

/* A new account in dir (created, mode 0700): makes the client key.
 * WARD_ERR_STATE if dir already holds one. */
WARD_MUST_CHECK
ward_err ward_app_create(ward_app *app, const ward_host *host,
                         const char *dir, const char *user, const char *phone,
                         const char *server);
WARD_MUST_CHECK
ward_err ward_app_open(ward_app *app, const ward_host *host, const char *dir);
/* Registration, resumable: ward_app_create() when dir holds no key yet;
 * otherwise goes on with the key dir holds (a registration begun before:
 * the files then name server): under this user and phone, which may
 * differ from the first ones (wardd refused them) only while the account
 * is not verified and dir holds no record of a lock or device; else
 * WARD_ERR_STATE. The key is never
 * replaced: wardd may have registered it. */
/* Records in account.json that wardd said the account's phone is
 * verified: from then on the directory is this account's only. */
WARD_MUST_CHECK
ward_err ward_app_mark_verified(ward_app *app);
WARD_MUST_CHECK
ward_err ward_app_register_open(ward_app *app, const ward_host *host,
                                const char *dir, const char *user,
                                const char *phone, const char *server);
/* A new phone: imports key_file into dir. server NULL takes the server
 * URL the key file names. */
WARD_MUST_CHECK
ward_err ward_app_recover(ward_app *app, const ward_host *host,
                          const char *dir, const char *key_file,
                          const char *server);
void ward_app_close(ward_app *app);
const char *ward_app_error(const ward_app *app);
/* The path of the key file (for the person to back up); malloc'd. */
WARD_MUST_CHECK
char *ward_app_key_path(const ward_app *app);

/* The body of POST /v1/users: {"user","phone","pub": b64}; malloc'd.
 * wardd answers {"user", "verified"} and, until the phone is verified,
 * sends a 6-digit code to it by SMS. */
WARD_MUST_CHECK
ward_err ward_app_register_json(ward_app *app, char **json);
/* The body of POST /v1/users/verify: {"code"}; malloc'd, and the only
 * copy of the code made: the caller wipes it before free(). WARD_ERR_FORMAT
 * unless code is 6 digits. */
WARD_MUST_CHECK
ward_err ward_app_verify_json(ward_app *app, const char *code, char **json);

/* The body of POST /v1/bind/tasks: {"tid","sn","phone","code","blob"};
 * malloc'd. tid_hex and sn (may be NULL) receive the task and lock.
 * rebind: bind a lock the app is bound to already (see above). */
WARD_MUST_CHECK
ward_err ward_app_bind_prepare(ward_app *app, const char *qr, size_t qr_len,
                               bool rebind, char **upload, char tid_hex[33],
                               char sn[WARD_SN_MAX + 1]);
/* wardd says task tid is bound: the record of lock sn begun with tid
 * becomes bound with role: a pending rebinding, replacing the binding it
 * was kept beside, or the record in locks/. WARD_ERR_NOTFOUND, nothing
 * changed, when no record of sn was begun with tid (a rebinding begun
 * with another task stays pending). */
WARD_MUST_CHECK
ward_err ward_app_lock_bound(ward_app *app, const char *sn,
                             const uint8_t tid[WARD_TASK_ID_LEN], int role);
/* wardd says task tid expired (or no longer knows it): the record of lock
 * sn that tid began and the lock never finished goes, a pending rebinding
 * or an unbound record in locks/. WARD_ERR_NOTFOUND when no record was
 * begun with tid; WARD_ERR_STATE, nothing changed, for a bound one (the
 * binding in use is not wardd's to take away). */
WARD_MUST_CHECK
ward_err ward_app_lock_expired(ward_app *app, const char *sn,
                               const uint8_t tid[WARD_TASK_ID_LEN]);

/* Opens every escrow of a GET /v1/escrow answer ({"escrows": [{"sn",
 * "role", "blob"}]}; role a number or "owner"/"admin"/"member") that this
 * client key signed (ward_escrow_open_by()) and writes those lock records.
 * *opened counts them; WARD_ERR_AUTH if any escrow is not signed by this
 * key or did not open (its lock record is not touched; the others are
 * still written), and ward_app_error() names the lock. */
WARD_MUST_CHECK
ward_err ward_app_recover_escrows(ward_app *app, const char *json,
                                  size_t len, size_t *opened);

/* WARD_ERR_NOTFOUND if the app has no record of lock sn. */
WARD_MUST_CHECK
ward_err ward_app_lock_get(ward_app *app, const char *sn, ward_app_lock *out);
/* The pending rebinding of lock sn (pending/), WARD_ERR_NOTFOUND if none. */
WARD_MUST_CHECK
ward_err ward_app_lock_rebinding(ward_app *app, const char *sn, ward_app_lock *out);

/* The keystore that holds the client key, under WARD_KEY_APP_CLIENT,
 * whose public point is app->pub. */
const ward_keystore *ward_app_keystore(const ward_app *app);

/* A request signer with keyid "user:UID" and the client key. */
void ward_app_http_signer(ward_app *app, ward_http_signer *s);

/* "owner", "admin", "member"; NULL for others. */
const char *ward_role_name(int role);

#ifdef __cplusplus
}
#endif

#endif /* WARD_APP_H */
