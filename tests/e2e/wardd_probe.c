/* wardd_probe: plays a lock and an app against a running wardd, one signed
 * request (or one attack) per subcommand, for tests/e2e/test_wardd_api.py.
 *
 *   wardd_probe URL DIR COMMAND ARGS... [--expect STATUS]
 *
 * Keys and task state live in DIR as hex files. Each command prints
 * "status=NNN" and the answer's body, plus facts it checked (code=...,
 * opened=1, state=..., escrow_ok=1), and exits 0 only when the status is
 * the expected one (default: any 2xx) and its own checks passed.
 * Accounts: register UID PHONE (wardd texts a code), verify UID CODE.
 * WARDD_PROBE_XFF in the environment: sent as X-Forwarded-For.
 * A hostile wardd's escrow: plant-escrow SN UID PUBHEX (no request).
 * Flow B: op-create, op-pending, op-answer, op-fetch, op-result, op-state,
 * revoke, inbox, inbox-ack, clients, audit (each documented below). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "ward/ward_bind.h"
#include "ward/ward_codec.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_op.h"
#include "ward/ward_port_posix.h"
#include "ward/ward_suite.h"
#if defined(WARD_CRYPTO_MBEDTLS)
#include "ward/ward_port_mbedtls.h"
#define PROBE_CRYPTO() ward_crypto_mbedtls()
#else
#include "ward/ward_port_openssl.h"
#define PROBE_CRYPTO() ward_crypto_openssl()
#endif

static const ward_crypto *cp;
static ward_random rng;
static const char *base_url;
static const char *dir;
static long expect_status = -1;

/* Options of the attack commands. */
typedef struct req_opts {
    int64_t created_skew;   /* seconds added to now */
    const char *nonce;      /* fixed nonce (replay) */
    int tamper;             /* alter the body after signing */
} req_opts;

typedef struct buf {
    char *p;
    size_t n;
} buf;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "probe: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void check(ward_err err, const char *what)
{
    if (err != WARD_OK) {
        die("%s: %s", what, ward_strerror(err));
    }
}

/* The probe plays every party and keeps their keys raw; the library signs
 * and opens with long-term keys by handle only, so each use goes through
 * a software keystore holding that key under PROBE_KEY (two kept in turn,
 * so two may serve one call). */
#define PROBE_KEY 1u
static const ward_keystore *key_of(const uint8_t priv[WARD_P256_SCALAR_LEN])
{
    static ward_keystore_soft soft[2];
    static ward_keystore table[2];
    static unsigned next;
    unsigned i = next++ % 2;
    ward_keystore_soft_init(&soft[i], cp, NULL, &table[i]);
    check(ward_keystore_soft_load(&soft[i], PROBE_KEY, priv), "key");
    return &table[i];
}

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void write_text(const char *name, const char *text)
{
    char p[1024];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        die("cannot write %s", p);
    }
}

/* Reads a file's first line (without the newline); 0 if missing. */
static int read_line(const char *name, char *out, size_t cap)
{
    char p[1024];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "r");
    if (f == NULL) {
        return 0;
    }
    if (fgets(out, (int)cap, f) == NULL) {
        out[0] = '\0';
    }
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 1;
}

static void hex_to(const char *hex, uint8_t *out, size_t len)
{
    size_t n = 0;
    if (ward_hex_decode(hex, strlen(hex), out, len, &n) != WARD_OK || n != len) {
        die("bad hex");
    }
}

static void to_hex(const uint8_t *in, size_t len, char *out, size_t cap)
{
    check(ward_hex_encode(in, len, out, cap), "hex");
}

/* A key pair stored as DIR/NAME (hex private key); made if missing. */
static void key_load(const char *name, uint8_t priv[WARD_P256_SCALAR_LEN],
                     uint8_t pub[WARD_P256_POINT_LEN])
{
    char hex[2 * WARD_P256_SCALAR_LEN + 2];
    if (read_line(name, hex, sizeof hex)) {
        hex_to(hex, priv, WARD_P256_SCALAR_LEN);
        check(ward_p256_public(cp, priv, pub), "public key");
        return;
    }
    check(ward_p256_keygen(cp, &rng, priv, pub), "keygen");
    to_hex(priv, WARD_P256_SCALAR_LEN, hex, sizeof hex);
    strcat(hex, "\n");
    write_text(name, hex);
}

/* A signer's key pair (KIND-ID.key, made on first use) and its keyid
 * (KIND:ID); KIND is "user" or "lock". */
static void signer_key(const char *kind, const char *id, uint8_t priv[WARD_P256_SCALAR_LEN],
                       uint8_t pub[WARD_P256_POINT_LEN], char *keyid, size_t cap)
{
    char name[128];
    snprintf(name, sizeof name, "%s-%s.key", kind, id);
    key_load(name, priv, pub);
    snprintf(keyid, cap, "%s:%s", kind, id);
}

static void user_key(const char *uid, uint8_t priv[WARD_P256_SCALAR_LEN], char *keyid,
                     size_t cap)
{
    uint8_t pub[WARD_P256_POINT_LEN];
    signer_key("user", uid, priv, pub, keyid, cap);
}

static void lock_key(const char *sn, uint8_t priv[WARD_P256_SCALAR_LEN], char *keyid,
                     size_t cap)
{
    uint8_t pub[WARD_P256_POINT_LEN];
    signer_key("lock", sn, priv, pub, keyid, cap);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    buf *b = ctx;
    size_t len = size * n;
    char *p = realloc(b->p, b->n + len + 1);
    if (p == NULL) {
        return 0;
    }
    memcpy(p + b->n, data, len);
    b->p = p;
    b->n += len;
    b->p[b->n] = '\0';
    return len;
}

/* Prints the Retry-After header, for the rate-limit tests. */
static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    (void)ctx;
    size_t len = size * n;
    if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        printf("retry_after=%.*s\n", (int)strcspn(data + 12, "\r\n") - 1, data + 13);
    }
    return len;
}

/* ward_httpsig_sign_fn over a private key held by the probe. */
static ward_err sign_with(void *priv, const char *base, size_t len,
                          uint8_t sig[WARD_P256_SIG_LEN])
{
    return ward_httpsig_sign_by(cp, key_of(priv), PROBE_KEY, base, len, sig);
}

/* Sends one request signed as keyid with priv (unsigned if keyid is
 * NULL); answers the status, the body in *resp (caller frees). */
static long request(const char *method, const char *path, const char *query,
                    const char *body, const char *keyid,
                    const uint8_t *priv, const req_opts *o, char **resp)
{
    static const req_opts none = { 0, NULL, 0 };
    if (o == NULL) {
        o = &none;
    }
    if (body == NULL) {
        body = "";
    }
    CURL *c = curl_easy_init();
    if (c == NULL) {
        die("curl init");
    }
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    /* A client behind a reverse proxy (or one lying about it): the
     * X-Forwarded-For header the proxy would send. */
    const char *xff = getenv("WARDD_PROBE_XFF");
    if (xff != NULL) {
        char line[512];
        snprintf(line, sizeof line, "X-Forwarded-For: %s", xff);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (keyid != NULL) {
        ward_httpsig_params p;
        memset(&p, 0, sizeof p);
        p.created = (int64_t)time(NULL) + o->created_skew;
        if (o->nonce != NULL) {
            snprintf(p.nonce, sizeof p.nonce, "%s", o->nonce);
        } else {
            uint8_t nb[WARD_HTTPSIG_NONCE_HEX / 2];
            check(rng.fill(rng.ctx, nb, sizeof nb), "random");
            to_hex(nb, sizeof nb, p.nonce, sizeof p.nonce);
        }
        snprintf(p.keyid, sizeof p.keyid, "%s", keyid);
        ward_httpsig_hdrs sh;
        check(ward_httpsig_request(cp, &p, method, path, query, (const uint8_t *)body,
                                   strlen(body), sign_with, (void *)priv, &sh), "sign");
        char line[512];
        snprintf(line, sizeof line, "Content-Digest: %s", sh.digest);
        hdrs = curl_slist_append(hdrs, line);
        snprintf(line, sizeof line, "Signature-Input: %s", sh.input);
        hdrs = curl_slist_append(hdrs, line);
        snprintf(line, sizeof line, "Signature: %s", sh.sig);
        hdrs = curl_slist_append(hdrs, line);
    }
    char *sent = strdup(body);
    if (o->tamper && sent[0] != '\0') {
        /* One byte changed after signing: a relay altering the body. */
        size_t i = strlen(sent) / 2;
        sent[i] = sent[i] == 'a' ? 'b' : 'a';
    }
    char url[1024];
    snprintf(url, sizeof url, "%s%s%s%s", base_url, path, query && *query ? "?" : "",
             query ? query : "");
    buf b = { NULL, 0 };
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, sent);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(sent));
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        die("%s %s: %s", method, path, curl_easy_strerror(rc));
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    free(sent);
    *resp = b.p ? b.p : strdup("");
    printf("status=%ld\nbody=%s\n", status, *resp);
    return status;
}

static int status_ok(long status)
{
    if (expect_status >= 0) {
        return status == expect_status;
    }
    return status >= 200 && status < 300;
}

/* Finds "name":"value" in a JSON answer (our answers are flat and simple). */
static int json_get(const char *json, const char *name, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", name);
    const char *s = strstr(json, pat);
    if (s == NULL) {
        return 0;
    }
    s += strlen(pat);
    const char *e = strchr(s, '"');
    if (e == NULL || (size_t)(e - s) >= cap) {
        return 0;
    }
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    return 1;
}

static void b64(const uint8_t *in, size_t len, char *out, size_t cap)
{
    check(ward_b64_encode(in, len, out, cap), "base64");
}

/* A registration body for UID and PHONE, signed by the user's key. */
static void registration(const char *uid, const char *phone, uint8_t priv[WARD_P256_SCALAR_LEN],
                         char *keyid, size_t kcap, char *body, size_t bcap)
{
    uint8_t pub[WARD_P256_POINT_LEN];
    char enc[128];
    signer_key("user", uid, priv, pub, keyid, kcap);
    b64(pub, sizeof pub, enc, sizeof enc);
    snprintf(body, bcap, "{\"user\":\"%s\",\"phone\":\"%s\",\"pub\":\"%s\"}", uid, phone,
             enc);
}

/* ---- commands ---- */

static int cmd_factory_keygen(void)
{
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN];
    key_load("factory.key", priv, pub);
    char hex[2 * WARD_P256_POINT_LEN + 2];
    to_hex(pub, sizeof pub, hex, sizeof hex);
    strcat(hex, "\n");
    write_text("factory.pub", hex);
    return 0;
}

/* activate SN [--other-key] [--bad-factory] */
static int cmd_activate(int argc, char **argv)
{
    if (argc < 1) {
        die("activate SN");
    }
    const char *sn = argv[0];
    int other = 0, bad_factory = 0;
    for (int i = 1; i < argc; i++) {
        other |= strcmp(argv[i], "--other-key") == 0;
        bad_factory |= strcmp(argv[i], "--bad-factory") == 0;
    }
    uint8_t fpriv[WARD_P256_SCALAR_LEN], fpub[WARD_P256_POINT_LEN];
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN];
    if (bad_factory) {
        check(ward_p256_keygen(cp, &rng, fpriv, fpub), "keygen");
    } else {
        key_load("factory.key", fpriv, fpub);
    }
    char name[128];
    snprintf(name, sizeof name, "lock-%s.key", sn);
    if (other) {
        check(ward_p256_keygen(cp, &rng, priv, pub), "keygen");
    } else {
        key_load(name, priv, pub);
    }
    ward_activation a = { (const uint8_t *)sn, strlen(sn), pub };
    uint8_t msg[WARD_ACTIVATION_MAX];
    size_t len = 0;
    check(ward_activation_sign_by(cp, key_of(fpriv), PROBE_KEY, &a, msg, sizeof msg, &len),
          "activation");
    char body[512], enc[400], keyid[128];
    b64(msg, len, enc, sizeof enc);
    snprintf(body, sizeof body, "{\"activation\":\"%s\"}", enc);
    snprintf(keyid, sizeof keyid, "lock:%s", sn);
    char *resp;
    long st = request("POST", "/v1/locks", NULL, body, keyid, priv, NULL, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* register UID PHONE */
static int cmd_register(int argc, char **argv)
{
    if (argc < 2) {
        die("register UID PHONE");
    }
    char keyid[128], body[512];
    uint8_t priv[WARD_P256_SCALAR_LEN];
    registration(argv[0], argv[1], priv, keyid, sizeof keyid, body, sizeof body);
    char *resp;
    long st = request("POST", "/v1/users", NULL, body, keyid, priv, NULL, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* plant-escrow SN UID PUBHEX: what a hostile wardd can make of an escrow
 * for UID on lock SN, knowing only the user's public key (its own users
 * table): a key of its choosing sealed to PUBHEX, exactly as the app
 * seals, and a signature made with a key of its own (it has no other).
 * Prints escrow=BASE64 (as GET /v1/escrow answers it) and key=HEX. No
 * request. */
static int cmd_plant_escrow(int argc, char **argv)
{
    if (argc < 3) {
        die("plant-escrow SN UID PUBHEX");
    }
    const char *sn = argv[0], *uid = argv[1];
    size_t sn_len = strlen(sn), uid_len = strlen(uid), ad_len = 0, n = 0;
    uint8_t pub[WARD_P256_POINT_LEN], key[WARD_AUTH_KEY_LEN], ad[WARD_ESCROW_AD_MAX];
    uint8_t escrow[WARD_ESCROW_LEN], mine_priv[WARD_P256_SCALAR_LEN];
    uint8_t mine_pub[WARD_P256_POINT_LEN], msg[WARD_SN_MAX + 1 + WARD_UID_MAX +
                                               WARD_ESCROW_SEAL_LEN];
    if (sn_len > WARD_SN_MAX || uid_len > WARD_UID_MAX) {
        die("plant-escrow: SN or UID too long");
    }
    hex_to(argv[2], pub, sizeof pub);
    check(rng.fill(rng.ctx, key, sizeof key), "random");
    check(ward_escrow_ad((const uint8_t *)sn, sn_len, (const uint8_t *)uid, uid_len, ad,
                         sizeof ad, &ad_len), "escrow ad");
    check(ward_seal_to(cp, &rng, pub, ad, ad_len, key, sizeof key, escrow,
                       WARD_ESCROW_SEAL_LEN, &n), "seal");
    /* sn || 0x00 || uid || seal, signed as the app signs it, but with the
     * only private key wardd has: its own. */
    memcpy(msg, sn, sn_len);
    msg[sn_len] = 0x00;
    memcpy(msg + sn_len + 1, uid, uid_len);
    memcpy(msg + sn_len + 1 + uid_len, escrow, WARD_ESCROW_SEAL_LEN);
    check(ward_p256_keygen(cp, &rng, mine_priv, mine_pub), "keygen");
    check(ward_sign(cp, WARD_LABEL_ESCROW, mine_priv, msg,
                    sn_len + 1 + uid_len + WARD_ESCROW_SEAL_LEN,
                    escrow + WARD_ESCROW_SEAL_LEN), "sign");
    char enc[400], hex[80];
    b64(escrow, sizeof escrow, enc, sizeof enc);
    to_hex(key, sizeof key, hex, sizeof hex);
    printf("escrow=%s\nkey=%s\n", enc, hex);
    return 0;
}

/* verify UID CODE: types back the code wardd texted to UID's phone. */
static int cmd_verify(int argc, char **argv)
{
    if (argc < 2) {
        die("verify UID CODE");
    }
    char keyid[128], body[128];
    uint8_t priv[WARD_P256_SCALAR_LEN];
    user_key(argv[0], priv, keyid, sizeof keyid);
    snprintf(body, sizeof body, "{\"code\":\"%s\"}", argv[1]);
    char *resp;
    long st = request("POST", "/v1/users/verify", NULL, body, keyid, priv, NULL, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* A task as the app keeps it: DIR/task-NAME, one hex or text field a line. */
typedef struct task {
    uint8_t tid[WARD_TASK_ID_LEN];
    uint8_t k[WARD_BIND_KEY_LEN];
    uint8_t auth_key[WARD_AUTH_KEY_LEN];
    char sn[WARD_SN_MAX + 1];
    char uid[WARD_UID_MAX + 1];
    char phone[WARD_PHONE_MAX + 1];
    char tid_hex[80];
} task;

static void task_load(const char *name, task *t)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/task-%s", dir, name);
    FILE *f = fopen(p, "r");
    if (f == NULL) {
        die("no task %s", name);
    }
    char tid[80], k[80], a[80];
    if (fscanf(f, "%79s %79s %79s %32s %64s %20s", tid, k, a, t->sn, t->uid, t->phone) != 6) {
        die("bad task file %s", name);
    }
    fclose(f);
    hex_to(tid, t->tid, sizeof t->tid);
    hex_to(k, t->k, sizeof t->k);
    hex_to(a, t->auth_key, sizeof t->auth_key);
    snprintf(t->tid_hex, sizeof t->tid_hex, "%s", tid);
}

static const char *opt_val(int argc, char **argv, const char *name);

/* upload NAME UID SN PHONE [--tid HEX]: what the app does after scanning
 * the QR (--tid: the QR's task id, else a fresh one). */
static int cmd_upload(int argc, char **argv)
{
    if (argc < 4) {
        die("upload NAME UID SN PHONE");
    }
    task t;
    memset(&t, 0, sizeof t);
    snprintf(t.uid, sizeof t.uid, "%s", argv[1]);
    snprintf(t.sn, sizeof t.sn, "%s", argv[2]);
    snprintf(t.phone, sizeof t.phone, "%s", argv[3]);
    /* The lock's half of the QR: tid, K and a code. */
    const char *tid_opt = opt_val(argc, argv, "--tid");
    if (tid_opt != NULL) {
        hex_to(tid_opt, t.tid, sizeof t.tid);
    } else {
        check(rng.fill(rng.ctx, t.tid, sizeof t.tid), "random");
    }
    check(rng.fill(rng.ctx, t.k, sizeof t.k), "random");
    uint8_t cb[4];
    check(rng.fill(rng.ctx, cb, sizeof cb), "random");
    char code[8];
    snprintf(code, sizeof code, "%06lu",
             (unsigned long)(((uint32_t)cb[0] << 24 | (uint32_t)cb[1] << 16 |
                              (uint32_t)cb[2] << 8 | cb[3]) % 1000000u));
    /* The app's half: the auth key, escrowed to itself, sealed under K. */
    char keyid[128];
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN];
    signer_key("user", t.uid, priv, pub, keyid, sizeof keyid);
    check(rng.fill(rng.ctx, t.auth_key, sizeof t.auth_key), "random");
    uint8_t escrow[WARD_ESCROW_LEN];
    check(ward_escrow_make_by(cp, &rng, key_of(priv), PROBE_KEY, pub, (const uint8_t *)t.sn,
                              strlen(t.sn), (const uint8_t *)t.uid, strlen(t.uid), t.auth_key,
                              escrow),
          "escrow");
    ward_bind_data d = {
        (const uint8_t *)t.sn, strlen(t.sn), (const uint8_t *)t.uid, strlen(t.uid),
        pub, t.auth_key, escrow, (const uint8_t *)t.phone, strlen(t.phone),
    };
    uint8_t blob[WARD_BIND_BLOB_MAX];
    size_t blob_len = 0;
    check(ward_bind_seal(cp, &rng, t.k, t.tid, &d, blob, sizeof blob, &blob_len), "seal");

    char tid_hex[40], k_hex[80], a_hex[80], enc[1024], body[2048];
    to_hex(t.tid, sizeof t.tid, tid_hex, sizeof tid_hex);
    to_hex(t.k, sizeof t.k, k_hex, sizeof k_hex);
    to_hex(t.auth_key, sizeof t.auth_key, a_hex, sizeof a_hex);
    b64(blob, blob_len, enc, sizeof enc);
    snprintf(body, sizeof body,
             "{\"tid\":\"%s\",\"sn\":\"%s\",\"phone\":\"%s\",\"code\":\"%s\",\"blob\":\"%s\"}",
             tid_hex, t.sn, t.phone, code, enc);
    char file[512];
    snprintf(file, sizeof file, "%s\n%s\n%s\n%s\n%s\n%s\n", tid_hex, k_hex, a_hex, t.sn,
             t.uid, t.phone);
    char tname[160];
    snprintf(tname, sizeof tname, "task-%s", argv[0]);
    write_text(tname, file);
    printf("code=%s\ntid=%s\n", code, tid_hex);
    char *resp;
    long st = request("POST", "/v1/bind/tasks", NULL, body, keyid, priv, NULL, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* Fetches task t as lock sn; on 200 opens the blob with K into *d
 * (plain holds it). Answers the status. */
static long fetch_open(const task *t, const char *sn, uint8_t *plain, size_t cap,
                       ward_bind_data *d, int *opened)
{
    char keyid[128], path[128];
    uint8_t priv[WARD_P256_SCALAR_LEN];
    lock_key(sn, priv, keyid, sizeof keyid);
    snprintf(path, sizeof path, "/v1/bind/tasks/%s", t->tid_hex);
    char *resp;
    long st = request("GET", path, NULL, NULL, keyid, priv, NULL, &resp);
    *opened = 0;
    char enc[1024];
    if (st == 200 && json_get(resp, "blob", enc, sizeof enc)) {
        uint8_t blob[WARD_BIND_BLOB_MAX];
        size_t n = 0;
        if (ward_b64_decode(enc, strlen(enc), blob, sizeof blob, &n) == WARD_OK &&
            ward_bind_open(cp, t->k, t->tid, (const uint8_t *)sn, strlen(sn), blob, n,
                           plain, cap, d) == WARD_OK &&
            d->uid_len == strlen(t->uid) && memcmp(d->uid, t->uid, d->uid_len) == 0 &&
            d->phone_len == strlen(t->phone) &&
            memcmp(d->phone, t->phone, d->phone_len) == 0 &&
            memcmp(d->auth_key, t->auth_key, WARD_AUTH_KEY_LEN) == 0) {
            *opened = 1;
        }
        printf("opened=%d\n", *opened);
    }
    free(resp);
    return st;
}

/* fetch NAME SN */
static int cmd_fetch(int argc, char **argv)
{
    if (argc < 2) {
        die("fetch NAME SN");
    }
    task t;
    task_load(argv[0], &t);
    uint8_t plain[WARD_BIND_DATA_BODY_MAX];
    ward_bind_data d;
    int opened = 0;
    long st = fetch_open(&t, argv[1], plain, sizeof plain, &d, &opened);
    return status_ok(st) && (st != 200 || opened) ? 0 : 1;
}

/* confirm NAME SN [--wrong-key] [--role R]: fetch, open, sign, confirm. */
static int cmd_confirm(int argc, char **argv)
{
    if (argc < 2) {
        die("confirm NAME SN");
    }
    const char *sn = argv[1];
    int wrong = 0;
    uint8_t role = WARD_ROLE_OWNER;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--wrong-key") == 0) {
            wrong = 1;
        } else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc) {
            role = (uint8_t)atoi(argv[++i]);
        }
    }
    task t;
    task_load(argv[0], &t);
    uint8_t plain[WARD_BIND_DATA_BODY_MAX];
    ward_bind_data d;
    int opened = 0;
    if (fetch_open(&t, sn, plain, sizeof plain, &d, &opened) != 200 || !opened) {
        die("confirm: could not fetch and open the task");
    }
    char keyid[128];
    uint8_t priv[WARD_P256_SCALAR_LEN];
    lock_key(sn, priv, keyid, sizeof keyid);
    uint8_t sign_priv[WARD_P256_SCALAR_LEN], sign_pub[WARD_P256_POINT_LEN];
    memcpy(sign_priv, priv, sizeof priv);
    if (wrong) {
        /* The confirmation under another key; the request still signed by
         * the lock (so only the message's signature is wrong). */
        check(ward_p256_keygen(cp, &rng, sign_priv, sign_pub), "keygen");
    }
    ward_bind_confirm c = {
        d.sn, d.sn_len, d.uid, d.uid_len, d.client_pub, t.tid, d.escrow, role,
        (uint64_t)time(NULL) * 1000u,
    };
    uint8_t msg[WARD_BIND_CONFIRM_MAX];
    size_t len = 0;
    check(ward_bind_confirm_sign_by(cp, key_of(sign_priv), PROBE_KEY, &c, msg, sizeof msg, &len),
          "confirm sign");
    char enc[1024], body[1200];
    b64(msg, len, enc, sizeof enc);
    snprintf(body, sizeof body, "{\"confirm\":\"%s\"}", enc);
    char *resp;
    long st = request("POST", "/v1/bind/confirm", NULL, body, keyid, priv, NULL, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* status NAME UID [--wait S] [--expect-state STATE] */
static int cmd_status(int argc, char **argv)
{
    if (argc < 2) {
        die("status NAME UID");
    }
    const char *wait = NULL, *want = NULL;
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--wait") == 0) {
            wait = argv[++i];
        } else if (strcmp(argv[i], "--expect-state") == 0) {
            want = argv[++i];
        }
    }
    task t;
    task_load(argv[0], &t);
    char keyid[128], path[128], query[64];
    uint8_t priv[WARD_P256_SCALAR_LEN];
    user_key(argv[1], priv, keyid, sizeof keyid);
    snprintf(path, sizeof path, "/v1/bind/tasks/%s/status", t.tid_hex);
    snprintf(query, sizeof query, "wait=%s", wait ? wait : "0");
    char *resp;
    long st = request("GET", path, wait ? query : NULL, NULL, keyid, priv, NULL, &resp);
    char state[32] = "";
    json_get(resp, "state", state, sizeof state);
    printf("state=%s\n", state);
    free(resp);
    return status_ok(st) && (want == NULL || strcmp(want, state) == 0) ? 0 : 1;
}

/* escrow UID [--task NAME]: lists, and opens the task's escrow with the
 * user's key (what a new phone does to recover). */
static int cmd_escrow(int argc, char **argv)
{
    if (argc < 1) {
        die("escrow UID");
    }
    const char *tname = NULL;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--task") == 0) {
            tname = argv[++i];
        }
    }
    char keyid[128];
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN];
    signer_key("user", argv[0], priv, pub, keyid, sizeof keyid);
    char *resp;
    long st = request("GET", "/v1/escrow", NULL, NULL, keyid, priv, NULL, &resp);
    int ok = status_ok(st);
    if (ok && tname != NULL) {
        task t;
        task_load(tname, &t);
        char pat[64], enc[400];
        snprintf(pat, sizeof pat, "\"sn\":\"%s\"", t.sn);
        const char *e = strstr(resp, pat);
        ok = 0;
        if (e != NULL && json_get(e, "blob", enc, sizeof enc)) {
            uint8_t blob[WARD_ESCROW_LEN], key[WARD_AUTH_KEY_LEN];
            size_t n = 0;
            ok = ward_b64_decode(enc, strlen(enc), blob, sizeof blob, &n) == WARD_OK &&
                 n == WARD_ESCROW_LEN &&
                 ward_escrow_open_by(cp, key_of(priv), PROBE_KEY, pub, (const uint8_t *)t.sn,
                                     strlen(t.sn), (const uint8_t *)t.uid, strlen(t.uid),
                                     blob, key) == WARD_OK &&
                 memcmp(key, t.auth_key, WARD_AUTH_KEY_LEN) == 0;
        }
        printf("escrow_ok=%d\n", ok);
    }
    free(resp);
    return ok ? 0 : 1;
}

/* replay UID: the same signed GET /v1/escrow twice; the second's status
 * is the one checked against --expect. */
static int cmd_replay(int argc, char **argv)
{
    if (argc < 1) {
        die("replay UID");
    }
    char keyid[128], nonce[WARD_HTTPSIG_NONCE_HEX + 1];
    uint8_t priv[WARD_P256_SCALAR_LEN];
    user_key(argv[0], priv, keyid, sizeof keyid);
    uint8_t nb[WARD_HTTPSIG_NONCE_HEX / 2];
    check(rng.fill(rng.ctx, nb, sizeof nb), "random");
    to_hex(nb, sizeof nb, nonce, sizeof nonce);
    req_opts o = { 0, nonce, 0 };
    char *resp;
    long first = request("GET", "/v1/escrow", NULL, NULL, keyid, priv, &o, &resp);
    free(resp);
    long second = request("GET", "/v1/escrow", NULL, NULL, keyid, priv, &o, &resp);
    free(resp);
    return first == 200 && status_ok(second) ? 0 : 1;
}

/* stale UID SKEW: GET /v1/escrow with created = now + SKEW seconds. */
static int cmd_stale(int argc, char **argv)
{
    if (argc < 2) {
        die("stale UID SKEW");
    }
    char keyid[128];
    uint8_t priv[WARD_P256_SCALAR_LEN];
    user_key(argv[0], priv, keyid, sizeof keyid);
    req_opts o = { atoll(argv[1]), NULL, 0 };
    char *resp;
    long st = request("GET", "/v1/escrow", NULL, NULL, keyid, priv, &o, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* tamper UID: a registration body altered by one byte after signing. */
static int cmd_tamper(int argc, char **argv)
{
    if (argc < 2) {
        die("tamper UID PHONE");
    }
    char keyid[128], body[512];
    uint8_t priv[WARD_P256_SCALAR_LEN];
    registration(argv[0], argv[1], priv, keyid, sizeof keyid, body, sizeof body);
    req_opts o = { 0, NULL, 1 };
    char *resp;
    long st = request("POST", "/v1/users", NULL, body, keyid, priv, &o, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* ---- flow B ---- */

/* Options shared by the flow B commands: --wait S, --target U, ... */
static const char *opt_val(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return argv[i + 1];
        }
    }
    return NULL;
}

static int opt_flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* An op as the probe keeps it: DIR/op-NAME = op_id, token, request hex. */
typedef struct op_file {
    char op_id[40];
    char token[40];
    uint8_t req[WARD_OP_REQUEST_MAX];
    size_t req_len;
} op_file;

static void op_load(const char *name, op_file *o)
{
    char p[1024], hex[600];
    snprintf(p, sizeof p, "%s/op-%s", dir, name);
    FILE *f = fopen(p, "r");
    if (f == NULL || fscanf(f, "%39s %39s %299s", o->op_id, o->token, hex) != 3) {
        die("no op %s", name);
    }
    fclose(f);
    check(ward_hex_decode(hex, strlen(hex), o->req, sizeof o->req, &o->req_len), "op hex");
}

/* Builds an OP_REQUEST the way the lock's core lays it out (header, then
 * sn, nonce, op, target?, expires). */
static size_t op_request_build(const char *sn, uint8_t op, const char *target,
                               uint8_t *out, size_t cap)
{
    uint8_t nonce[WARD_OP_NONCE_LEN];
    check(rng.fill(rng.ctx, nonce, sizeof nonce), "random");
    ward_tlv_writer tw;
    ward_tlv_writer_init(&tw, out + WARD_HDR_BASE_LEN, cap - WARD_HDR_BASE_LEN);
    ward_tlv_put(&tw, 0x01, (const uint8_t *)sn, strlen(sn));
    ward_tlv_put(&tw, 0x02, nonce, sizeof nonce);
    ward_tlv_put_u8(&tw, 0x03, op);
    if (target != NULL) {
        ward_tlv_put(&tw, 0x04, (const uint8_t *)target, strlen(target));
    }
    ward_tlv_put_u64(&tw, 0x05, (uint64_t)time(NULL) * 1000u + 60000u);
    size_t body_len = 0, hdr_len = 0;
    check(ward_tlv_writer_finish(&tw, &body_len), "op tlv");
    ward_hdr h;
    memset(&h, 0, sizeof h);
    h.version = WARD_PROTOCOL_VERSION;
    h.type = WARD_MSG_OP_REQUEST;
    h.body_len = (uint16_t)body_len;
    check(ward_hdr_encode(&h, out, WARD_HDR_BASE_LEN, &hdr_len), "op hdr");
    ward_op_request req;
    check(ward_op_request_parse(out, hdr_len + body_len, &req), "op parse");
    return hdr_len + body_len;
}

/* op-create NAME SN [--target U] [--op N] [--claim-sn OTHER]: the lock's
 * POST /v1/ops; keeps op id, token and request in DIR/op-NAME. */
static int cmd_op_create(int argc, char **argv)
{
    if (argc < 2) {
        die("op-create NAME SN");
    }
    const char *sn = argv[1];
    const char *target = opt_val(argc, argv, "--target");
    const char *opc = opt_val(argc, argv, "--op");
    const char *claim = opt_val(argc, argv, "--claim-sn");
    uint8_t req[WARD_OP_REQUEST_MAX];
    size_t len = op_request_build(claim ? claim : sn, opc ? (uint8_t)atoi(opc) : WARD_OP_UNLOCK,
                                  target, req, sizeof req);
    uint8_t token[16], hash[WARD_SHA256_LEN];
    check(rng.fill(rng.ctx, token, sizeof token), "random");
    ward_iov iov = { token, sizeof token };
    check(cp->sha256(&iov, 1, hash), "sha256");
    char enc[400], th[80], tok[40], body[700], keyid[128];
    b64(req, len, enc, sizeof enc);
    to_hex(hash, sizeof hash, th, sizeof th);
    to_hex(token, sizeof token, tok, sizeof tok);
    snprintf(body, sizeof body, "{\"request\":\"%s\",\"token_hash\":\"%s\"}", enc, th);
    uint8_t priv[WARD_P256_SCALAR_LEN];
    lock_key(sn, priv, keyid, sizeof keyid);
    char *resp;
    long st = request("POST", "/v1/ops", NULL, body, keyid, priv, NULL, &resp);
    char op_id[40] = "";
    if (st == 201 && json_get(resp, "op_id", op_id, sizeof op_id)) {
        char reqhex[2 * WARD_OP_REQUEST_MAX + 2], file[800], fname[160];
        to_hex(req, len, reqhex, sizeof reqhex);
        snprintf(file, sizeof file, "%s\n%s\n%s\n", op_id, tok, reqhex);
        snprintf(fname, sizeof fname, "op-%s", argv[0]);
        write_text(fname, file);
        printf("op_id=%s\n", op_id);
    }
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* Counts "op_id" entries of an answer and prints them. */
static int count_ids(const char *json, const char *field)
{
    char pat[32];
    int n = 0;
    snprintf(pat, sizeof pat, "\"%s\":", field);
    for (const char *p = strstr(json, pat); p != NULL; p = strstr(p + 1, pat)) {
        n++;
    }
    return n;
}

/* op-pending UID [--wait S] [--expect-count N] */
static int cmd_op_pending(int argc, char **argv)
{
    if (argc < 1) {
        die("op-pending UID");
    }
    const char *wait = opt_val(argc, argv, "--wait");
    const char *want = opt_val(argc, argv, "--expect-count");
    uint8_t priv[WARD_P256_SCALAR_LEN];
    char keyid[128], query[32];
    user_key(argv[0], priv, keyid, sizeof keyid);
    snprintf(query, sizeof query, "wait=%s", wait ? wait : "0");
    char *resp;
    long st = request("GET", "/v1/ops/pending", wait ? query : NULL, NULL, keyid, priv, NULL,
                      &resp);
    int n = count_ids(resp, "op_id");
    printf("count=%d\n", n);
    free(resp);
    return status_ok(st) && (want == NULL || atoi(want) == n) ? 0 : 1;
}

/* op-answer NAME UID TASK|- [--deny] [--as-uid U] [--replay] [--flags N]
 * [--not-base64]: seals an APPROVAL with the task's authorization key (a
 * random one for "-") and posts it signed by UID. --as-uid seals it for
 * another uid; --replay sends the same signed request twice (the second
 * status is checked); --flags overwrites the header's flags byte after
 * sealing; --not-base64 sends a value that is no base64. */
static int cmd_op_answer(int argc, char **argv)
{
    if (argc < 3) {
        die("op-answer NAME UID TASK");
    }
    op_file o;
    op_load(argv[0], &o);
    const char *uid = argv[1];
    const char *as = opt_val(argc, argv, "--as-uid");
    uint8_t auth_key[WARD_AUTH_KEY_LEN];
    if (strcmp(argv[2], "-") == 0) {
        check(rng.fill(rng.ctx, auth_key, sizeof auth_key), "random");
    } else {
        task t;
        task_load(argv[2], &t);
        memcpy(auth_key, t.auth_key, sizeof auth_key);
    }
    ward_op_request req;
    check(ward_op_request_parse(o.req, o.req_len, &req), "op parse");
    const char *sealed_uid = as ? as : uid;
    uint8_t appr[WARD_APPROVAL_MAX];
    size_t len = 0;
    check(ward_approval_seal(cp, auth_key, &req, (const uint8_t *)sealed_uid,
                             strlen(sealed_uid),
                             opt_flag(argc, argv, "--deny") ? WARD_DECISION_DENY
                                                            : WARD_DECISION_ALLOW,
                             appr, sizeof appr, &len), "approval seal");
    const char *flags = opt_val(argc, argv, "--flags");
    if (flags != NULL) {
        appr[2] = (uint8_t)strtoul(flags, NULL, 0);
    }
    char enc[400], body[500], path[128], keyid[128];
    b64(appr, len, enc, sizeof enc);
    if (opt_flag(argc, argv, "--not-base64")) {
        enc[0] = '*';
    }
    snprintf(body, sizeof body, "{\"approval\":\"%s\"}", enc);
    snprintf(path, sizeof path, "/v1/ops/%s/answer", o.op_id);
    uint8_t priv[WARD_P256_SCALAR_LEN];
    user_key(uid, priv, keyid, sizeof keyid);
    char nonce[WARD_HTTPSIG_NONCE_HEX + 1];
    uint8_t nb[WARD_HTTPSIG_NONCE_HEX / 2];
    check(rng.fill(rng.ctx, nb, sizeof nb), "random");
    to_hex(nb, sizeof nb, nonce, sizeof nonce);
    req_opts ro = { 0, nonce, 0 };
    char *resp;
    long st = request("POST", path, NULL, body, keyid, priv, &ro, &resp);
    free(resp);
    if (st == 200) {
        char fname[160];
        snprintf(fname, sizeof fname, "approval-%s", argv[0]);
        strcat(enc, "\n");
        write_text(fname, enc);
    }
    if (opt_flag(argc, argv, "--replay")) {
        long first = st;
        st = request("POST", path, NULL, body, keyid, priv, &ro, &resp);
        free(resp);
        return first == 200 && status_ok(st) ? 0 : 1;
    }
    return status_ok(st) ? 0 : 1;
}

/* op-fetch NAME [--wrong-token] [--wait S]: the lock's capability GET;
 * prints same=1 when the approval is the one posted. */
static int cmd_op_fetch(int argc, char **argv)
{
    if (argc < 1) {
        die("op-fetch NAME");
    }
    op_file o;
    op_load(argv[0], &o);
    if (opt_flag(argc, argv, "--wrong-token")) {
        o.token[0] = o.token[0] == '0' ? '1' : '0';
    }
    const char *wait = opt_val(argc, argv, "--wait");
    char path[128], query[96];
    snprintf(path, sizeof path, "/v1/ops/%s/answer", o.op_id);
    snprintf(query, sizeof query, "token=%s&wait=%s", o.token, wait ? wait : "0");
    char *resp;
    long st = request("GET", path, query, NULL, NULL, NULL, NULL, &resp);
    char got[400], sent[400], uid[80];
    if (st == 200 && json_get(resp, "approval", got, sizeof got) &&
        json_get(resp, "uid", uid, sizeof uid)) {
        char fname[160];
        snprintf(fname, sizeof fname, "approval-%s", argv[0]);
        printf("uid=%s\nsame=%d\n", uid, read_line(fname, sent, sizeof sent) &&
                                            strcmp(sent, got) == 0);
    }
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* op-result NAME [--for UID] [--wrong-token]: posts an (opaque) result blob. */
static int cmd_op_result(int argc, char **argv)
{
    if (argc < 1) {
        die("op-result NAME");
    }
    op_file o;
    op_load(argv[0], &o);
    if (opt_flag(argc, argv, "--wrong-token")) {
        o.token[0] = o.token[0] == '0' ? '1' : '0';
    }
    /* An OP_RESULT's shape (wardd opens nothing): header type 0x22,
     * flags SEALED; 0x01 the uid it is sealed for (--for, default bob);
     * 0x02 ciphertext and tag (random here). */
    const char *uid = opt_val(argc, argv, "--for");
    uid = uid != NULL ? uid : "bob";
    size_t ul = strlen(uid), ct = 19, body_len = 2 + ul + 2 + ct;
    uint8_t res[160];
    if (ul == 0 || ul > 64) {
        die("--for: a user id");
    }
    uint8_t hdr[11] = { 1, 0x22, 0x04, 0, 0, 0, 0, 0, (uint8_t)(body_len >> 8),
                        (uint8_t)body_len, 0 };
    memcpy(res, hdr, sizeof hdr);
    res[11] = 0x01;
    res[12] = (uint8_t)ul;
    memcpy(res + 13, uid, ul);
    res[13 + ul] = 0x02;
    res[14 + ul] = (uint8_t)ct;
    check(rng.fill(rng.ctx, res + 15 + ul, ct), "random");
    size_t res_len = 11 + body_len;
    char enc[300], body[360], path[128], query[64];
    b64(res, res_len, enc, sizeof enc);
    snprintf(body, sizeof body, "{\"result\":\"%s\"}", enc);
    snprintf(path, sizeof path, "/v1/ops/%s/result", o.op_id);
    snprintf(query, sizeof query, "token=%s", o.token);
    char *resp;
    long st = request("POST", path, query, body, NULL, NULL, NULL, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* op-state NAME UID [--wait S] [--expect-state S] */
static int cmd_op_state(int argc, char **argv)
{
    if (argc < 2) {
        die("op-state NAME UID");
    }
    op_file o;
    op_load(argv[0], &o);
    const char *wait = opt_val(argc, argv, "--wait");
    const char *want = opt_val(argc, argv, "--expect-state");
    uint8_t priv[WARD_P256_SCALAR_LEN];
    char keyid[128], path[128], query[32];
    user_key(argv[1], priv, keyid, sizeof keyid);
    snprintf(path, sizeof path, "/v1/ops/%s", o.op_id);
    snprintf(query, sizeof query, "wait=%s", wait ? wait : "0");
    char *resp;
    long st = request("GET", path, wait ? query : NULL, NULL, keyid, priv, NULL, &resp);
    char state[32] = "";
    json_get(resp, "state", state, sizeof state);
    printf("state=%s\n", state);
    free(resp);
    return status_ok(st) && (want == NULL || strcmp(want, state) == 0) ? 0 : 1;
}

/* revoke REVOKER_TASK TARGET_TASK [--as-uid U]: the revoker seals a REVOKE
 * of the target's binding and posts it. */
static int cmd_revoke(int argc, char **argv)
{
    if (argc < 2) {
        die("revoke REVOKER_TASK TARGET_TASK");
    }
    task r, t;
    task_load(argv[0], &r);
    task_load(argv[1], &t);
    const char *as = opt_val(argc, argv, "--as-uid");
    const char *sealer = as ? as : r.uid;
    uint8_t msg[WARD_REVOKE_MAX];
    size_t len = 0;
    check(ward_revoke_seal(cp, &rng, r.auth_key, (const uint8_t *)r.sn, strlen(r.sn),
                           (const uint8_t *)sealer, strlen(sealer), (const uint8_t *)t.uid,
                           strlen(t.uid), t.tid, msg, sizeof msg, &len), "revoke seal");
    char enc[400], body[600], keyid[128];
    b64(msg, len, enc, sizeof enc);
    snprintf(body, sizeof body, "{\"sn\":\"%s\",\"target\":\"%s\",\"revoke\":\"%s\"}", r.sn,
             t.uid, enc);
    uint8_t priv[WARD_P256_SCALAR_LEN];
    user_key(r.uid, priv, keyid, sizeof keyid);
    char *resp;
    long st = request("POST", "/v1/revocations", NULL, body, keyid, priv, NULL, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* inbox SN [--wait S] [--expect-count N]: prints count= and ids=. */
static int cmd_inbox(int argc, char **argv)
{
    if (argc < 1) {
        die("inbox SN");
    }
    const char *wait = opt_val(argc, argv, "--wait");
    const char *want = opt_val(argc, argv, "--expect-count");
    uint8_t priv[WARD_P256_SCALAR_LEN];
    char keyid[128], query[32];
    lock_key(argv[0], priv, keyid, sizeof keyid);
    snprintf(query, sizeof query, "wait=%s", wait ? wait : "0");
    char *resp;
    long st = request("GET", "/v1/lock/inbox", wait ? query : NULL, NULL, keyid, priv, NULL,
                      &resp);
    int n = count_ids(resp, "id");
    printf("count=%d\nids=", n);
    for (const char *p = strstr(resp, "\"id\":"); p != NULL; p = strstr(p + 1, "\"id\":")) {
        printf("%s%ld", p == strstr(resp, "\"id\":") ? "" : ",", atol(p + 5));
    }
    printf("\n");
    free(resp);
    return status_ok(st) && (want == NULL || atoi(want) == n) ? 0 : 1;
}

/* inbox-ack SN IDS (comma-separated) */
static int cmd_inbox_ack(int argc, char **argv)
{
    if (argc < 2) {
        die("inbox-ack SN IDS");
    }
    uint8_t priv[WARD_P256_SCALAR_LEN];
    char keyid[128], body[300];
    lock_key(argv[0], priv, keyid, sizeof keyid);
    snprintf(body, sizeof body, "{\"ids\":[%s]}", argv[1]);
    char *resp;
    long st = request("POST", "/v1/lock/inbox/ack", NULL, body, keyid, priv, NULL, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* Who reads lock SN's records: "lock" (SN itself), "lock:OTHER" (another
 * lock) or a UID. */
static void reader_key(const char *sn, const char *who, uint8_t priv[WARD_P256_SCALAR_LEN],
                       char *keyid, size_t cap)
{
    if (strcmp(who, "lock") == 0) {
        lock_key(sn, priv, keyid, cap);
    } else if (strncmp(who, "lock:", 5) == 0) {
        lock_key(who + 5, priv, keyid, cap);
    } else {
        user_key(who, priv, keyid, cap);
    }
}

/* clients SN lock|lock:OTHER|UID */
static int cmd_clients(int argc, char **argv)
{
    if (argc < 2) {
        die("clients SN lock|lock:OTHER|UID");
    }
    uint8_t priv[WARD_P256_SCALAR_LEN];
    char keyid[128], path[128];
    reader_key(argv[0], argv[1], priv, keyid, sizeof keyid);
    snprintf(path, sizeof path, "/v1/locks/%s/clients", argv[0]);
    char *resp;
    long st = request("GET", path, NULL, NULL, keyid, priv, NULL, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

/* audit SN lock|lock:OTHER|UID */
static int cmd_audit(int argc, char **argv)
{
    if (argc < 2) {
        die("audit SN lock|lock:OTHER|UID");
    }
    uint8_t priv[WARD_P256_SCALAR_LEN];
    char keyid[128], query[64];
    reader_key(argv[0], argv[1], priv, keyid, sizeof keyid);
    snprintf(query, sizeof query, "sn=%s", argv[0]);
    char *resp;
    long st = request("GET", "/v1/audit", query, NULL, keyid, priv, NULL, &resp);
    free(resp);
    return status_ok(st) ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: wardd_probe URL DIR COMMAND ARGS... [--expect STATUS]\n");
        return 2;
    }
    cp = PROBE_CRYPTO();
    rng = ward_random_posix();
    base_url = argv[1];
    dir = argv[2];
    const char *cmd = argv[3];
    /* Take --expect out; the rest belongs to the command. */
    char **args = calloc((size_t)argc, sizeof *args);
    int nargs = 0;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc) {
            expect_status = atol(argv[++i]);
        } else {
            args[nargs++] = argv[i];
        }
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc;
    if (strcmp(cmd, "factory-keygen") == 0) {
        rc = cmd_factory_keygen();
    } else if (strcmp(cmd, "activate") == 0) {
        rc = cmd_activate(nargs, args);
    } else if (strcmp(cmd, "register") == 0) {
        rc = cmd_register(nargs, args);
    } else if (strcmp(cmd, "plant-escrow") == 0) {
        rc = cmd_plant_escrow(nargs, args);
    } else if (strcmp(cmd, "verify") == 0) {
        rc = cmd_verify(nargs, args);
    } else if (strcmp(cmd, "upload") == 0) {
        rc = cmd_upload(nargs, args);
    } else if (strcmp(cmd, "fetch") == 0) {
        rc = cmd_fetch(nargs, args);
    } else if (strcmp(cmd, "confirm") == 0) {
        rc = cmd_confirm(nargs, args);
    } else if (strcmp(cmd, "status") == 0) {
        rc = cmd_status(nargs, args);
    } else if (strcmp(cmd, "escrow") == 0) {
        rc = cmd_escrow(nargs, args);
    } else if (strcmp(cmd, "replay") == 0) {
        rc = cmd_replay(nargs, args);
    } else if (strcmp(cmd, "stale") == 0) {
        rc = cmd_stale(nargs, args);
    } else if (strcmp(cmd, "tamper") == 0) {
        rc = cmd_tamper(nargs, args);
    } else if (strcmp(cmd, "op-create") == 0) {
        rc = cmd_op_create(nargs, args);
    } else if (strcmp(cmd, "op-pending") == 0) {
        rc = cmd_op_pending(nargs, args);
    } else if (strcmp(cmd, "op-answer") == 0) {
        rc = cmd_op_answer(nargs, args);
    } else if (strcmp(cmd, "op-fetch") == 0) {
        rc = cmd_op_fetch(nargs, args);
    } else if (strcmp(cmd, "op-result") == 0) {
        rc = cmd_op_result(nargs, args);
    } else if (strcmp(cmd, "op-state") == 0) {
        rc = cmd_op_state(nargs, args);
    } else if (strcmp(cmd, "revoke") == 0) {
        rc = cmd_revoke(nargs, args);
    } else if (strcmp(cmd, "inbox") == 0) {
        rc = cmd_inbox(nargs, args);
    } else if (strcmp(cmd, "inbox-ack") == 0) {
        rc = cmd_inbox_ack(nargs, args);
    } else if (strcmp(cmd, "clients") == 0) {
        rc = cmd_clients(nargs, args);
    } else if (strcmp(cmd, "audit") == 0) {
        rc = cmd_audit(nargs, args);
    } else {
        fprintf(stderr, "probe: unknown command %s\n", cmd);
        rc = 2;
    }
    free(args);
    curl_global_cleanup();
    return rc;
}
