/*
 * wardd.h - what the parts of wardd share: its configuration, the server
 * context, the request and answer every handler sees, and the helpers
 * they call (auth, rate limits, JSON errors).
 *
 * A request goes: http.c (libmicrohttpd: body with a size cap, routing)
 * -> one handler (locks.c, users.c, bind.c, escrow.c, health.c, and for
 * flow B ops.c, revoke.c, inbox.c, clients.c, audit.c) -> auth.c
 * (RFC 9421 signature, nonce, key from the store) before anything acts ->
 * the store vtable (store.h) and the SMS provider (sms.h). Handlers know
 * nothing of libmicrohttpd or SQL; they fill a wardd_resp. openapi.c serves
 * docs/openapi.json, the document of every route, built into the binary.
 */
#ifndef WARDD_H
#define WARDD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ward/ward_bind.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_identity.h"
#include "ward/ward_keystore.h"

#include "sms.h"
#include "store.h"

#define WARDD_VERSION "0.1.0"
#define WARDD_BODY_MAX (16 * 1024)     /* larger bodies: 413 */
#define WARDD_PATH_MAX 256
#define WARDD_WAIT_MAX_S 30            /* longest long-poll */
#define WARDD_RATE_WINDOW_MS (10 * 60 * 1000LL)
#define WARDD_CODE_TTL_MS (10 * 60 * 1000LL) /* a phone code's life */
/* Code checks per phone number per day, whatever the account: each
 * account has its own lock-out, but anyone may open accounts naming a
 * number, and each would bring fresh guesses at its codes. Only checks
 * against a live code count (see wardd_rate_code_check). */
#define WARDD_CODE_CHECKS_PER_PHONE 10
#define WARDD_CODE_CHECK_WINDOW_MS (24 * 3600 * 1000LL)
#define WARDD_CODE_KEY_LEN 32

/* An address block (--trusted-proxy, --metrics-allow): IPv4 held as its
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d), its prefix length + 96. */
#define WARDD_CIDRS_MAX 16
typedef struct wardd_cidr {
    uint8_t addr[16];
    unsigned bits;
} wardd_cidr;

typedef struct wardd_cidrs {
    wardd_cidr v[WARDD_CIDRS_MAX];
    unsigned n;
} wardd_cidrs;

/* Files named by a repeatable option (--release-pub). */
#define WARDD_PATHS_MAX 8
typedef struct wardd_paths {
    char v[WARDD_PATHS_MAX][1024];
    unsigned n;
} wardd_paths;

typedef struct wardd_config {
    char listen_host[64];
    unsigned listen_port;           /* 0: the kernel picks one */
    char db[1024];
    char sms_outbox[1024];
    char sms_command[1024];         /* empty: use the outbox */
    char factory_pub[1024];         /* empty: activation refused */
    char root_pub[1024];            /* manufacturer root (chains); empty: factory_pub's key */
    char revocation_list[1024];     /* the root's list, re-read when the file changes */
    char pkcs11_uri[1024];          /* empty: wardd's private keys in files (keys.c) */
    char tls_cert[1024];
    char tls_key[1024];
    long task_ttl_s;
    long op_ttl_s;                  /* wardd's bound on an op's life */
    long gw_key_ttl_s;              /* flow C: credentials' life */
    unsigned sms_per_phone;         /* per WARDD_RATE_WINDOW_MS */
    unsigned sms_per_addr;
    unsigned gw_logins_per_addr;    /* flow C: gateway logins per address, per window */
    unsigned time_per_addr;         /* GET /v1/time answers per address per minute */
    unsigned max_connections;
    unsigned max_per_addr;          /* 0: no cap per client address */
    long header_deadline_s;         /* a request's headers, from its start */
    long body_deadline_s;           /* its body after them; its answer's sending */
    char log_file[1024];            /* empty: stderr */
    wardd_cidrs trusted_proxy;      /* peers whose X-Forwarded-For is read */
    wardd_cidrs metrics_allow;      /* besides loopback, who may read /metrics */
    wardd_paths release_pub;        /* firmware release keys; none: publishing refused */
    long fw_max_bytes;              /* the largest image wardd takes */
    unsigned fw_publish_per_addr;   /* publications per address, per window */
} wardd_config;

/* A setting SIGHUP may change while requests run (config.h says which):
 * read with one atomic load. */
#define WARDD_LIVE(w, field) __atomic_load_n(&(w)->cfg.field, __ATOMIC_RELAXED)

typedef struct wardd {
    wardd_config cfg;
    const ward_crypto *cp;
    wardd_store store;
    wardd_sms sms;
    uint8_t factory_pub[WARD_P256_POINT_LEN];
    bool have_factory;
    /* Identities (identity.c): the root chains lead to, and the newest
     * revocation list read from cfg.revocation_list, under list_mu. */
    uint8_t root_pub[WARD_P256_POINT_LEN];
    bool have_root;
    pthread_mutex_t list_mu;
    uint8_t *list_bytes;            /* malloc'd, NULL: none held */
    ward_cert_list list;            /* entries point into list_bytes */
    long long list_mtime_ns, list_size, list_ino;
    /* The key of phone codes' MACs (codes.c): kept beside the database,
     * never in it, so a reader of the database learns no live code. */
    uint8_t code_key[WARDD_CODE_KEY_LEN];

    /* Long-polls wait on `changed`; a confirmation or shutdown wakes them. */
    pthread_mutex_t mu;
    pthread_cond_t changed;
    bool stopping;
    uint64_t generation;            /* bumped by every wardd_notify */
    int64_t next_purge_ms;
} wardd;

/* A request as handlers see it. Paths and queries are raw (as sent), the
 * form the signature covers. */
typedef struct wardd_req {
    const char *method;
    char path[WARDD_PATH_MAX];
    char query[WARDD_PATH_MAX];     /* without '?'; "" when absent */
    char param[WARDD_PATH_MAX];     /* the '*' segment of the route */
    const uint8_t *body;
    size_t body_len;
    char addr[64];                  /* client address (behind a trusted proxy: the
                                     * one it names), for rate limits and logs */
    /* Header and query lookups (NULL when absent). */
    const char *(*header)(void *ctx, const char *name);
    const char *(*arg)(void *ctx, const char *name);
    void *ctx;
} wardd_req;

typedef struct wardd_resp {
    unsigned status;
    cJSON *json;                    /* owned; http.c frees it */
    /* Instead of json, a body sent byte for byte (wardd_reply_body). */
    const char *body;
    size_t body_len;
    bool body_owned;                /* http.c frees body */
    const char *content_type;       /* of body */
    long retry_after_s;             /* > 0: a Retry-After header */
    char signer[WARD_HTTPSIG_KEYID_MAX + 1]; /* for the request log */
    /* Instead of json or body, bytes [fd_off, fd_off + fd_len) of the
     * open file fd, sent by libmicrohttpd from the file (an image); the
     * answer owns fd (wardd_reply_file) and http.c closes it. */
    bool has_fd;
    int fd;
    uint64_t fd_off;
    uint64_t fd_len;
    /* Headers of the answer's own (ETag, Content-Range): wardd_resp_header. */
#define WARDD_RESP_HDRS 3
    unsigned nhdr;
    const char *hdr_name[WARDD_RESP_HDRS];
    char hdr_value[WARDD_RESP_HDRS][96];
} wardd_resp;

typedef void (*wardd_handler)(wardd *w, const wardd_req *r, wardd_resp *out);

/* Handlers, one file per resource. */
void wardd_h_locks_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_users_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_users_verify(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_tasks_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_task_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_task_status(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_confirm_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_escrow_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_health(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_ready(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_metrics(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_openapi(wardd *w, const wardd_req *r, wardd_resp *out);
/* Flow B (ops.c, revoke.c, inbox.c, clients.c, audit.c). */
void wardd_h_ops_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_ops_pending(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_op_answer_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_op_answer_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_op_result_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_op_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_op_withdraw(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_revocations_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_revocation_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_inbox_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_inbox_ack(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_clients_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_audit_get(wardd *w, const wardd_req *r, wardd_resp *out);
/* wardd's private keys (keys.c): one keystore for all of them, the
 * software one (key files beside the database) or, with --pkcs11-uri, a
 * PKCS#11 token whose one session request threads take in turns.
 * wardd_keys_open opens it (logged on failure); wardd_key_load puts the key
 * of id in it: in software from DB<key_suffix> (made when missing); in the
 * token the key labelled OBJECT-NAME (ward_pkcs11_key_name), made there
 * only when the database never had such a key (neither DB<key_suffix> nor
 * DB<pub_suffix> exists), refused when it is not the one DB<pub_suffix>
 * names; then writes its public key to DB<pub_suffix> (130 hex digits and
 * a newline). what names it in the log ("time_key": time_key_made, ...). */
ward_err wardd_keys_open(wardd *w);
ward_err wardd_key_load(wardd *w, ward_key_id id, const char *key_suffix,
                        const char *pub_suffix, const char *what,
                        uint8_t pub[WARD_P256_POINT_LEN]);
const ward_keystore *wardd_keys(void);
void wardd_keys_close(void);

/* Flow C (gateways.c). wardd_gw_open loads wardd's wrap key of the
 * gateways' accesskeys (WARD_KEY_GW_WRAP: DB.gwkey or the token, public
 * half in DB.gwpub) through wardd_key_load; wardd_gw_close forgets every
 * session. */
ward_err wardd_gw_open(wardd *w);
void wardd_gw_close(void);
void wardd_h_gw_claims_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_gw_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_gw_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_gw_login(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_gw_session(wardd *w, const wardd_req *r, wardd_resp *out);
/* Secure time (time.c): wardd_time_open loads wardd's time key
 * (WARD_KEY_TIME: DB.timekey or the token) through wardd_key_load, its
 * public key in DB.timepub; wardd_h_time answers GET /v1/time with a
 * signed answer (ward_time.h), at most --time-per-addr a minute to one
 * client address (IPv6: its /64), else 429 with Retry-After. */
ward_err wardd_time_open(wardd *w);
void wardd_time_close(void);
void wardd_h_time(wardd *w, const wardd_req *r, wardd_resp *out);
/* GET /v1/time's limit (time_rate.c, in memory): takes one answer from the
 * bucket of addr's unit (wardd_addr_unit), which holds per_min and refills
 * at per_min a minute; false with *retry_ms until the next when empty. */
bool wardd_time_rate_take(const char *addr, unsigned per_min, int64_t now_ms,
                          int64_t *retry_ms);

/* The HTTP side (http.c). start fills *port with the bound port; stop
 * stops accepting, lets open connections finish for up to 2 s, then
 * closes the rest. */
struct wardd_http;
ward_err wardd_http_start(wardd *w, struct wardd_http **http, unsigned *port);
void wardd_http_stop(struct wardd_http *http);

/* The verified signer of a request (auth.c). */
typedef struct wardd_signer {
    char keyid[WARD_HTTPSIG_KEYID_MAX + 1];
    bool is_lock;
    char id[WARD_UID_MAX + 1];      /* the SN or the UID */
    uint8_t pub[WARD_P256_POINT_LEN];
    char nonce[WARD_HTTPSIG_NONCE_HEX + 1];
    int64_t nonce_expires_ms;
    bool nonce_spent;
} wardd_signer;

/* Verifies the request's signature. given_pub: the key to check against
 * (activation, registration), with expect_keyid the keyid the body
 * implies; NULL for both: the key registered for the keyid. Answers true,
 * or false with *out filled (401, or 500 when the store fails). */
bool wardd_auth(wardd *w, const wardd_req *r, const uint8_t *given_pub,
                const char *expect_keyid, wardd_signer *s, wardd_resp *out);

/* wardd_auth for a route only an app's user may call: a lock's or a
 * device's signature is answered 403. */
bool wardd_auth_user(wardd *w, const wardd_req *r, wardd_signer *s, wardd_resp *out);

/* wardd_auth without spending the nonce, for a handler that spends it in
 * its own store transaction (one commit instead of two on a hot path):
 * it passes s->nonce to the store entry that takes one (op_answer), which
 * answers WARD_ERR_AUTH for a replay (then call wardd_auth_replayed), or
 * calls wardd_auth_spend before it answers anything else. A request that
 * is refused must spend its nonce too, so it cannot be replayed later. */
bool wardd_auth_deferred(wardd *w, const wardd_req *r, wardd_signer *s,
                         wardd_resp *out);
/* Spends s->nonce (once; again is a no-op): false with a 401 for a
 * replay, or a 500. */
bool wardd_auth_spend(wardd *w, wardd_signer *s, wardd_resp *out);
/* The 401 of a replayed nonce; answers false. */
bool wardd_auth_replayed(wardd_resp *out);
/* Only the Content-Digest check: handlers whose key comes in the body run
 * it before they parse the body, so an altered body is a 401, not a 400. */
bool wardd_auth_digest(wardd *w, const wardd_req *r, wardd_resp *out);

/* Whether s may read lock sn's records: the lock itself, or a user bound
 * to it (as owner or admin when admins_only). Answers true, or false with
 * a 403 (refusal, for a user, says why) or a 500 in *out. */
bool wardd_lock_reader(wardd *w, const wardd_signer *s, const char *sn, bool admins_only,
                       const char *refusal, wardd_resp *out);

/* SMS rate limits (ratelimit.c): charges one message to the phone and
 * the address, or answers false with a 429 in *out. wardd_rate_sms is
 * for bind codes, wardd_rate_code for phone codes (registration), each
 * with its own counters. */
bool wardd_rate_sms(wardd *w, const char *phone, const char *addr,
                    wardd_resp *out);
bool wardd_rate_code(wardd *w, const char *phone, const char *addr,
                     wardd_resp *out);
/* A phone-code check of uid's phone (users.c): code_check, charged to the
 * number's budget of checks (WARDD_CODE_CHECKS_PER_PHONE per
 * WARDD_CODE_CHECK_WINDOW_MS, whatever the account) in its own
 * transaction, and only when there is a live code to compare: a check
 * refused for a lock-out or for want of a code costs the number nothing.
 * True with code_check's answer in *err and *res; false with a 429 in
 * *out when the budget is spent (nothing was compared). */
bool wardd_rate_code_check(wardd *w, const char *uid, const char *phone,
                           const uint8_t mac[WARD_SHA256_LEN], ward_err *err,
                           wardd_code_res *res, wardd_resp *out);
/* The address a rate limit counts: an IPv4 address, or an IPv6 /64 (what
 * one host or home is given, as the connection cap counts them), so a
 * client cannot take a fresh allowance from each address of its /64.
 * out: at least 72 bytes. */
void wardd_addr_unit(const char *addr, char *out, size_t cap);
/* A 429 `busy` "WHY: try again in N s", with Retry-After N: retry_ms in
 * whole seconds, at least 1. */
void wardd_fail_retry(wardd_resp *out, int64_t retry_ms, const char *why);
/* An upload naming an unknown lock (after wardd_rate_sms charged it, as
 * every upload is): uses up the rest of the phone's allowance of bind
 * codes and answers what wardd_rate_sms answers a sender who used it up
 * (a 429, or a 500 when the store fails), so the answer tells nothing of
 * which locks exist and each probe costs a whole allowance. */
void wardd_rate_unknown_lock(wardd *w, const char *phone, const char *addr,
                             wardd_resp *out);

/* Phone codes (codes.c). The MAC key is read from DB.codekey, made at
 * the first start (32 random bytes, hex, mode 0600). */
ward_err wardd_code_key_open(const char *db, uint8_t key[WARDD_CODE_KEY_LEN]);
/* The same for any such key: DB followed by suffix (".codekey"), what
 * names it in the log. */
ward_err wardd_key_file_open(const char *db, const char *suffix, const char *what,
                             uint8_t key[WARDD_CODE_KEY_LEN]);
/* A uniform 6-digit code; false when randomness fails. */
bool wardd_code_new(char code[WARD_BIND_CODE_LEN + 1]);
/* Whether code (NULL: no) is a code as sent: 6 decimal digits. Phone
 * codes and bind codes have the same shape. */
bool wardd_code_ok(const char *code);
/* What the store keeps of a code: ward_kdf(label "phone code", code key,
 * uid || 0x00 || phone || 0x00 || code), 32 bytes. */
ward_err wardd_code_mac(const wardd *w, const char *uid, const char *phone, const char *code,
                        uint8_t mac[WARD_SHA256_LEN]);

/* Identities (identity.c). Loads --root-pub and --revocation-list at
 * start: false (said in the log) if one is given and cannot be used. */
bool wardd_identity_init(wardd *w);
/* Checks the identity a device presents (a chain, or an ACTIVATION by
 * --factory-pub while the migration lasts) for one of `roles`, with
 * wardd's clock for expiry and the newest revocation list; on refusal
 * answers 400 or 401 into out and returns false. */
bool wardd_identity_check(wardd *w, const uint8_t *in, size_t len, uint32_t roles,
                          ward_identity *who, wardd_resp *out);
/* What a core check that carries an identity inside its message (flow
 * C's REGISTER) is given: *t valid, and the list held, until
 * wardd_identity_release(). */
void wardd_identity_hold(wardd *w, ward_identity_trust *t);
void wardd_identity_release(wardd *w);

/* Answers (http.c). wardd_fail: {"error": class, "message": msg}. */
void wardd_fail(wardd_resp *out, unsigned status, const char *cls,
                const char *msg);
void wardd_reply(wardd_resp *out, unsigned status, cJSON *json);
/* A 200 whose body is not built with cJSON: static bytes (owned false)
 * or a malloc'd text http.c frees after sending (owned true). */
void wardd_reply_body(wardd_resp *out, const char *content_type, const char *body,
                      size_t len, bool owned);
/* A status (200, 206) whose body is len bytes of the open file fd from
 * off: out owns fd from here on (closed after sending, or by the next
 * wardd_reply). */
void wardd_reply_file(wardd_resp *out, unsigned status, const char *content_type, int fd,
                      uint64_t off, uint64_t len);
/* Adds a header to the answer (up to WARDD_RESP_HDRS; name static). */
void wardd_resp_header(wardd_resp *out, const char *name, const char *value);
/* 500 for a store failure, logged. */
void wardd_fail_store(wardd_resp *out, ward_err err);

/* JSON helpers (json.c). The body as an object, or false with a 400. */
bool wardd_json_body(const wardd_req *r, cJSON **obj, wardd_resp *out);
/* A string member of 1..max bytes, or NULL. */
const char *wardd_json_str(const cJSON *obj, const char *name, size_t max);
/* Wipes a string member in place (a code), before cJSON_Delete frees it;
 * the request body it was parsed from is wiped by http.c. */
void wardd_json_wipe(cJSON *obj, const char *name);
/* A base64 member decoded into out (exactly len bytes unless min < len),
 * min..cap bytes; false on any problem. */
bool wardd_json_b64(const cJSON *obj, const char *name, uint8_t *out,
                    size_t min, size_t cap, size_t *len);
bool wardd_json_add_b64(cJSON *obj, const char *name, const uint8_t *data,
                        size_t len);

/* Keyed long-polls (poll.c). kind/id name what changed: ("user", UID)
 * for a new op a user may answer, ("op", OP_ID hex) for an answer or a
 * result or a withdrawal, ("lock", SN) for the lock's inbox,
 * ("revocation", ID) for the lock's answer to a revocation. Read the generation before
 * looking at the store, then wait: an event in between is not missed.
 * wait answers true when woken, false at at_ms or shutdown. */
uint64_t wardd_wake_gen(const char *kind, const char *id);
void wardd_wake(const char *kind, const char *id);
bool wardd_wake_wait(wardd *w, const char *kind, const char *id, uint64_t gen,
                     int64_t at_ms);
/* The ?wait=S argument, capped at WARDD_WAIT_MAX_S; false with a 400. */
bool wardd_wait_arg(const wardd_req *r, long *wait_s, wardd_resp *out);
/* The ?after=N argument (absent: 0): the last id the poller already has;
 * false with a 400. */
bool wardd_after_arg(const wardd_req *r, int64_t *after, wardd_resp *out);

/* "owner", "admin", "member" (clients.c). */
const char *wardd_role_name(uint8_t role);

/* Unix time in milliseconds. */
int64_t wardd_now_ms(void);
/* Wakes every long-poll (a task changed, or shutdown). */
void wardd_notify(wardd *w);

#endif /* WARDD_H */
