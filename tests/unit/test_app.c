/* The client library: QR parser, account files, bind prepare, recovery, app->lock locally. WARD_TEST_PER_BACKEND WARD_TEST_CLIENT */
#define _GNU_SOURCE
#include "ward_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ward/ward_app.h"
#include "ward/ward_files.h"
#include "ward/ward_host.h"
#include "ward/ward_http.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_lock.h"
#include "ward/ward_port_sim.h"

#define K64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define T32 "0123456789abcdef0123456789ABCDEF"
#define PHONE "+8613800000000"

static char tmp_root[256];

static ward_host test_host(void)
{
    ward_host h;
    ward_host_init(&h);
    h.crypto = ward_test_cp;
    return h;
}

static char *tmp_dir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_root, name);
    return path;
}

static ward_err qr(const char *s)
{
    ward_qr q;
    return ward_qr_parse(s, strlen(s), &q);
}

static void test_qr_table(void **state)
{
    (void)state;
    ward_qr q;
    const char *good = "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\","
                       "\"sn\":\"LOCK-0001\",\"key\":\"" K64 "\",\"tid\":\""
                       T32 "\"}";
    assert_int_equal(ward_qr_parse(good, strlen(good), &q), WARD_OK);
    assert_string_equal(q.mobile, PHONE);
    assert_string_equal(q.sms, "012345");
    assert_string_equal(q.sn, "LOCK-0001");
    assert_int_equal(q.key[1], 0x11);
    assert_int_equal(q.tid[15], 0xEF);
    /* Order and white space do not matter. */
    assert_int_equal(qr(" { \"tid\":\"" T32 "\", \"key\":\"" K64 "\",\"sn\":\"A\","
                        "\"sms\":\"999999\",\"mobile\":\"12345\",\"v\":1 }\n"),
                     WARD_OK);
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "null",
        /* missing key */
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\"}",
        /* unknown key */
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\",\"x\":\"1\"}",
        /* duplicate keys (cJSON would keep both) */
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\",\"key\":\"" K64 "\"}",
        "{\"v\":1,\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        /* wrong version, wrong types */
        "{\"v\":2,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        "{\"v\":\"1\",\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        "{\"v\":1.5,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        "{\"v\":1,\"mobile\":8613800000000,\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":12345,\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        /* bad hex, wrong lengths */
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\",\"tid\":\"" T32 "\"}",
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "00\",\"tid\":\"" T32 "\"}",
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"0123\"}",
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"01234\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"01234a\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        "{\"v\":1,\"mobile\":\"+86-1380\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        "{\"v\":1,\"mobile\":\"123456789012345678901\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"LOCK/../x\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        /* escapes, trailing garbage, two objects */
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\\u0000X\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}",
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}x",
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}{}",
        "{\"v\":1,\"mobile\":\"" PHONE "\",\"sms\":\"012345\",\"sn\":\"L\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (qr(bad[i]) != WARD_ERR_FORMAT) {
            fail_msg("accepted bad QR payload #%zu: %s", i, bad[i]);
        }
    }
    /* Longer than WARD_QR_PAYLOAD_MAX, even if otherwise fine. */
    char big[2 * WARD_QR_PAYLOAD_MAX + 64];
    snprintf(big, sizeof big, "%s%*s", good, WARD_QR_PAYLOAD_MAX, " ");
    assert_int_equal(qr(big), WARD_ERR_FORMAT);
    /* An embedded NUL within the stated length. */
    char nul[300];
    size_t n = strlen(good);
    memcpy(nul, good, n);
    nul[n] = '\0';
    nul[n + 1] = ' ';
    assert_int_equal(ward_qr_parse(nul, n + 2, &q), WARD_ERR_FORMAT);
}

/* A server's text, escaped for a terminal: wardd_log's rules. */
static void test_http_text(void **state)
{
    (void)state;
    char out[64];
    ward_http_text(out, sizeof out, "ok bob-1.x@y");
    assert_string_equal(out, "ok bob-1.x@y");
    ward_http_text(out, sizeof out, "a\x1b[2J\n\r\x07\x7f\\\xc3\xa9");
    assert_string_equal(out, "a\\x1b[2J\\x0a\\x0d\\x07\\x7f\\\\\\xc3\\xa9");
    ward_http_text(out, sizeof out, NULL);
    assert_string_equal(out, "");
    /* Too long: cut before an escape, never inside one, and marked. */
    ward_http_text(out, 12, "abcdef\x1bghijk");
    assert_string_equal(out, "abcdef...");
    ward_http_text(out, 12, "abcdefghijk");
    assert_string_equal(out, "abcdefghijk");
    ward_http_text(out, 12, "abcdefghijkl");
    assert_string_equal(out, "abcdefgh...");
    ward_http_text(out, 1, "abc");
    assert_string_equal(out, "");
}

static mode_t file_mode(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 0777;
}

/* cJSON's allocations, watched: a block freed still holding the code. */
static const char *watched_code;
static bool code_freed;

static void *watch_malloc(size_t n)
{
    return malloc(n);
}

static void watch_free(void *p)
{
    if (p != NULL && watched_code != NULL &&
        memmem(p, malloc_usable_size(p), watched_code, strlen(watched_code)) != NULL) {
        code_freed = true;
    }
    free(p);
}

/* The phone's code is a secret: making the verify body leaves no copy of
 * it in freed memory (a cJSON tree and its print buffer did). */
static void test_verify_body_leaves_no_code(void **state)
{
    (void)state;
    ward_host h = test_host();
    ward_app app;
    char *json = NULL;
    assert_int_equal(ward_app_create(&app, &h, tmp_dir("code"), "alice", PHONE, "x"),
                     WARD_OK);
    cJSON_Hooks hooks = { watch_malloc, watch_free };
    watched_code = "482913";
    code_freed = false;
    cJSON_InitHooks(&hooks);
    ward_err err = ward_app_verify_json(&app, "482913", &json);
    cJSON_InitHooks(NULL);
    watched_code = NULL;
    assert_int_equal(err, WARD_OK);
    assert_string_equal(json, "{\"code\":\"482913\"}");
    assert_false(code_freed);
    explicit_bzero(json, strlen(json));
    free(json);
    ward_app_close(&app);
}

static void test_account_files(void **state)
{
    (void)state;
    ward_host h = test_host();
    ward_app app, again, rec;
    char path[600];
    assert_int_equal(ward_app_create(&app, &h, tmp_dir("acct"), "alice",
                                     PHONE, "http://127.0.0.1:1"), WARD_OK);
    snprintf(path, sizeof path, "%s/client.key", tmp_dir("acct"));
    assert_int_equal(file_mode(path), 0600);
    char *kp = ward_app_key_path(&app);
    assert_string_equal(kp, path);
    free(kp);
    assert_int_equal(ward_app_create(&again, &h, tmp_dir("acct"), "alice",
                                     PHONE, "x"), WARD_ERR_STATE);
    ward_app_close(&again);
    assert_int_equal(ward_app_open(&again, &h, tmp_dir("acct")), WARD_OK);
    assert_string_equal(again.user, "alice");
    assert_string_equal(again.phone, PHONE);
    assert_string_equal(again.server, "http://127.0.0.1:1");
    assert_memory_equal(again.pub, app.pub, 65);
    ward_app_close(&again);
    assert_int_equal(ward_app_recover(&rec, &h, tmp_dir("acct2"), path,
                                      "http://s"), WARD_OK);
    assert_memory_equal(rec.pub, app.pub, 65);
    assert_string_equal(rec.phone, PHONE);
    ward_app_close(&rec);
    assert_int_equal(ward_app_create(&again, &h, tmp_dir("bad"), "a b", PHONE,
                                     "x"), WARD_ERR_FORMAT);
    ward_app_close(&again);
    assert_int_equal(ward_app_open(&again, &h, tmp_dir("nothing")),
                     WARD_ERR_NOTFOUND);
    /* Said with the OS's reason (issue 15, item 6). */
    assert_non_null(strstr(ward_app_error(&again), "No such file or directory"));
    ward_app_close(&again);
    /* A damaged key file is named as one, not as a bad user id. */
    char bad_key[600];
    snprintf(bad_key, sizeof bad_key, "%s/client.key", tmp_dir("damaged"));
    mkdir(tmp_dir("damaged"), 0700);
    assert_int_equal(ward_file_write_atomic(bad_key, "garbage\n", 8, 0600), WARD_OK);
    assert_int_equal(ward_app_open(&again, &h, tmp_dir("damaged")), WARD_ERR_FORMAT);
    assert_non_null(strstr(ward_app_error(&again), "is not a ward key file"));
    ward_app_close(&again);
    /* A file where the directory should be: the OS's reason again. */
    assert_int_equal(ward_app_create(&again, &h, bad_key, "alice", PHONE, "x"),
                     WARD_ERR_IO);
    assert_non_null(strstr(ward_app_error(&again), "Not a directory"));
    ward_app_close(&again);
    char *json = NULL;
    assert_int_equal(ward_app_register_json(&app, &json), WARD_OK);
    assert_non_null(strstr(json, "\"user\":\"alice\""));
    free(json);
    assert_int_equal(ward_app_verify_json(&app, "012345", &json), WARD_OK);
    assert_string_equal(json, "{\"code\":\"012345\"}");
    free(json);
    assert_int_equal(ward_app_verify_json(&app, "12345", &json), WARD_ERR_FORMAT);
    assert_null(json);
    assert_int_equal(ward_app_verify_json(&app, "12345a", &json), WARD_ERR_FORMAT);

    /* A registration resumed: the same account keeps its key and follows
     * the server given now; another user or phone (wardd refused the
     * first) goes on with the same key while the directory holds no lock
     * or device record, and is refused once it does. */
    assert_int_equal(ward_app_register_open(&again, &h, tmp_dir("acct"), "alice", PHONE,
                                            "http://127.0.0.1:2"), WARD_OK);
    assert_memory_equal(again.pub, app.pub, 65);
    ward_app_close(&again);
    assert_int_equal(ward_app_open(&again, &h, tmp_dir("acct")), WARD_OK);
    assert_string_equal(again.server, "http://127.0.0.1:2");
    ward_app_close(&again);
    assert_int_equal(ward_app_register_open(&again, &h, tmp_dir("acct"), "alice2",
                                            "+8613900000000", "http://127.0.0.1:3"), WARD_OK);
    assert_memory_equal(again.pub, app.pub, 65);
    ward_app_close(&again);
    assert_int_equal(ward_app_open(&again, &h, tmp_dir("acct")), WARD_OK);
    assert_string_equal(again.user, "alice2");
    assert_string_equal(again.phone, "+8613900000000");
    assert_memory_equal(again.pub, app.pub, 65);
    ward_app_close(&again);
    char *locks = ward_path_join(tmp_dir("acct"), "locks");
    char *rec_path = ward_path_join(locks, "LOCK-0001.json");
    assert_int_equal(ward_mkdir(locks, 0700), WARD_OK);
    FILE *f = fopen(rec_path, "w");
    assert_non_null(f);
    fputs("{}", f);
    fclose(f);
    assert_int_equal(ward_app_register_open(&again, &h, tmp_dir("acct"), "bob", PHONE, "x"),
                     WARD_ERR_STATE);
    assert_non_null(strstr(ward_app_error(&again), "already holds account alice2"));
    ward_app_close(&again);
    remove(rec_path);
    free(rec_path);
    free(locks);
    /* Once wardd verified the phone, the directory is that account's. */
    assert_int_equal(ward_app_open(&again, &h, tmp_dir("acct")), WARD_OK);
    assert_int_equal(ward_app_mark_verified(&again), WARD_OK);
    ward_app_close(&again);
    assert_int_equal(ward_app_register_open(&again, &h, tmp_dir("acct"), "bob", PHONE, "x"),
                     WARD_ERR_STATE);
    assert_non_null(strstr(ward_app_error(&again), "alice2 (+8613900000000), verified"));
    ward_app_close(&again);
    assert_int_equal(ward_app_register_open(&again, &h, tmp_dir("acct"), "alice2",
                                            "+8613900000000", "http://127.0.0.1:3"), WARD_OK);
    assert_true(again.verified);
    ward_app_close(&again);
    assert_int_equal(ward_app_register_open(&again, &h, tmp_dir("fresh"), "bob", PHONE, "x"),
                     WARD_OK);
    assert_memory_not_equal(again.pub, app.pub, 65);
    ward_app_close(&again);
    ward_app_close(&app);
}

/* ---- a lock on simulated flash, for the local flow ---- */

typedef struct lock_env {
    uint8_t mem[8192];
    ward_sim_flash sf;
    ward_store_port port;
    ward_random rng;
    ward_clock clock;
    ward_lock lock;
} lock_env;

static ward_err fixed_now(void *ctx, uint64_t *ms)
{
    (void)ctx;
    *ms = 1700000000000ull;
    return WARD_OK;
}

static lock_env *lock_new(void)
{
    lock_env *e = test_calloc(1, sizeof *e);
    memset(e->mem, 0xFF, sizeof e->mem);
    ward_sim_flash_init(&e->sf, e->mem, sizeof e->mem, 256, &e->port);
    e->rng = ward_test_rng();
    e->clock.now_ms = fixed_now;
    e->clock.trusted = true;
    assert_int_equal(ward_lock_open(&e->lock, ward_test_cp, &e->rng, &e->clock,
                                    &e->port), WARD_OK);
    assert_int_equal(ward_lock_provision(&e->lock, (const uint8_t *)"LOCK-7",
                                         6), WARD_OK);
    return e;
}

static void test_prepare_phone_mismatch(void **state)
{
    (void)state;
    ward_host h = test_host();
    ward_app app;
    lock_env *e = lock_new();
    char qrbuf[WARD_QR_JSON_MAX], *up = NULL;
    size_t qlen = 0;
    assert_int_equal(ward_app_create(&app, &h, tmp_dir("mm"), "bob",
                                     "+8613900000000", "x"), WARD_OK);
    assert_int_equal(ward_bind_start(&e->lock, (const uint8_t *)PHONE,
                                     strlen(PHONE), qrbuf, sizeof qrbuf,
                                     &qlen), WARD_OK);
    assert_int_equal(ward_app_bind_prepare(&app, qrbuf, qlen, false, &up, NULL, NULL),
                     WARD_ERR_PARAM);
    assert_null(up);
    assert_string_equal(ward_app_error(&app), WARD_APP_PHONE_MISMATCH);
    ward_app_lock l;
    assert_int_equal(ward_app_lock_get(&app, "LOCK-7", &l), WARD_ERR_NOTFOUND);
    assert_int_equal(ward_app_lock_rebinding(&app, "LOCK-7", &l), WARD_ERR_NOTFOUND);
    /* Looking a record up writes nothing, not even its directory. */
    char path[600];
    snprintf(path, sizeof path, "%s/pending", tmp_dir("mm"));
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/locks", tmp_dir("mm"));
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(ward_app_bind_prepare(&app, "{}", 2, false, &up, NULL, NULL),
                     WARD_ERR_FORMAT);
    ward_app_close(&app);
    test_free(e);
}

static void test_local_flow_and_recovery(void **state)
{
    (void)state;
    ward_host h = test_host();
    ward_app app, rec;
    lock_env *e = lock_new();
    char qrbuf[WARD_QR_JSON_MAX], *up = NULL, tid_hex[33], sn[WARD_SN_MAX + 1];
    size_t qlen = 0, blen = 0, mlen = 0, opened = 0;
    uint8_t blob[WARD_BIND_BLOB_MAX], m[WARD_BIND_CONFIRM_MAX], lpub[65];
    uint8_t key[32];

    assert_int_equal(ward_app_create(&app, &h, tmp_dir("flow"), "carol",
                                     PHONE, "x"), WARD_OK);
    assert_int_equal(ward_bind_start(&e->lock, (const uint8_t *)PHONE,
                                     strlen(PHONE), qrbuf, sizeof qrbuf,
                                     &qlen), WARD_OK);
    assert_int_equal(ward_app_bind_prepare(&app, qrbuf, qlen, false, &up, tid_hex,
                                           sn), WARD_OK);
    assert_string_equal(sn, "LOCK-7");
    ward_app_lock l;
    assert_int_equal(ward_app_lock_get(&app, "LOCK-7", &l), WARD_OK);
    assert_false(l.bound);
    assert_int_equal(l.role, -1);

    /* wardd's part, played here: it stores the upload, texts the code. */
    cJSON *o = cJSON_Parse(up);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "tid")->valuestring, tid_hex);
    assert_string_equal(cJSON_GetObjectItem(o, "sn")->valuestring, "LOCK-7");
    assert_string_equal(cJSON_GetObjectItem(o, "phone")->valuestring, PHONE);
    const char *code = cJSON_GetObjectItem(o, "code")->valuestring;
    const char *b64 = cJSON_GetObjectItem(o, "blob")->valuestring;
    assert_int_equal(ward_b64_decode(b64, strlen(b64), blob, sizeof blob,
                                     &blen), WARD_OK);
    assert_int_equal(ward_bind_enter_code(&e->lock, (const uint8_t *)code, 6,
                                          NULL), WARD_OK);
    cJSON_Delete(o);
    free(up);
    assert_int_equal(ward_bind_finish(&e->lock, blob, blen, m, sizeof m,
                                      &mlen), WARD_OK);
    ward_bind_confirm c;
    assert_int_equal(ward_lock_identity(&e->lock, NULL, NULL, lpub), WARD_OK);
    assert_int_equal(ward_bind_confirm_verify(ward_test_cp, lpub, m, mlen, &c),
                     WARD_OK);
    assert_int_equal(c.role, WARD_ROLE_OWNER);
    uint8_t tid[WARD_TASK_ID_LEN];
    assert_int_equal(ward_hex_decode(tid_hex, 32, tid, sizeof tid, &blen), WARD_OK);
    assert_int_equal(ward_app_lock_bound(&app, "LOCK-7", tid, c.role), WARD_OK);
    assert_int_equal(ward_app_lock_get(&app, "LOCK-7", &l), WARD_OK);
    assert_true(l.bound);
    assert_int_equal(ward_lock_client_auth_key(&e->lock,
                                               (const uint8_t *)"carol", 5,
                                               key), WARD_OK);
    assert_memory_equal(l.auth_key, key, 32);

    /* A QR code naming the lock again (anyone may print one) replaces
     * nothing: refused, the binding untouched... */
    char crafted[WARD_QR_JSON_MAX];
    snprintf(crafted, sizeof crafted, "{\"v\":1,\"mobile\":\"%s\",\"sms\":\"123456\","
             "\"sn\":\"LOCK-7\",\"key\":\"" K64 "\",\"tid\":\"" T32 "\"}", PHONE);
    assert_int_equal(ward_app_bind_prepare(&app, crafted, strlen(crafted), false, &up, NULL,
                                           NULL), WARD_ERR_STATE);
    assert_null(up);
    assert_non_null(strstr(ward_app_error(&app), WARD_APP_ALREADY_BOUND));
    assert_int_equal(ward_app_lock_get(&app, "LOCK-7", &l), WARD_OK);
    assert_true(l.bound);
    assert_memory_equal(l.auth_key, key, 32);
    /* ...and with rebind it is kept beside the binding in use, which it
     * replaces only once the lock has taken it. */
    assert_int_equal(ward_app_bind_prepare(&app, crafted, strlen(crafted), true, &up, NULL,
                                           NULL), WARD_OK);
    free(up);
    assert_int_equal(ward_app_lock_get(&app, "LOCK-7", &l), WARD_OK);
    assert_true(l.bound);
    assert_memory_equal(l.auth_key, key, 32);
    ward_app_lock p;
    assert_int_equal(ward_app_lock_rebinding(&app, "LOCK-7", &p), WARD_OK);
    assert_false(p.bound);
    assert_memory_not_equal(p.auth_key, key, 32);
    /* wardd says the old task is bound again: the rebinding stays aside. */
    assert_int_equal(ward_app_lock_bound(&app, "LOCK-7", tid, WARD_ROLE_OWNER), WARD_OK);
    assert_int_equal(ward_app_lock_rebinding(&app, "LOCK-7", &l), WARD_OK);
    assert_int_equal(ward_app_lock_get(&app, "LOCK-7", &l), WARD_OK);
    assert_memory_equal(l.auth_key, key, 32);
    assert_int_equal(ward_app_lock_bound(&app, "LOCK-7", p.tid, WARD_ROLE_OWNER), WARD_OK);
    assert_int_equal(ward_app_lock_rebinding(&app, "LOCK-7", &l), WARD_ERR_NOTFOUND);
    assert_int_equal(ward_app_lock_get(&app, "LOCK-7", &l), WARD_OK);
    assert_true(l.bound);
    assert_memory_equal(l.auth_key, p.auth_key, 32);

    /* A new phone: the key file and the escrow wardd kept. */
    char escrow_b64[4 * ((WARD_ESCROW_LEN + 2) / 3) + 1], list[700];
    assert_int_equal(ward_b64_encode(c.escrow, WARD_ESCROW_LEN, escrow_b64,
                                     sizeof escrow_b64), WARD_OK);
    char *kp = ward_app_key_path(&app);
    assert_int_equal(ward_app_recover(&rec, &h, tmp_dir("flow-new"), kp, "x"),
                     WARD_OK);
    free(kp);
    snprintf(list, sizeof list,
             "{\"escrows\":[{\"sn\":\"LOCK-7\",\"role\":\"owner\",\"blob\":\"%s\"}]}",
             escrow_b64);
    assert_int_equal(ward_app_recover_escrows(&rec, list, strlen(list),
                                              &opened), WARD_OK);
    assert_int_equal(opened, 1);
    ward_app_lock r;
    assert_int_equal(ward_app_lock_get(&rec, "LOCK-7", &r), WARD_OK);
    assert_true(r.bound);
    assert_int_equal(r.role, WARD_ROLE_OWNER);
    assert_memory_equal(r.auth_key, key, 32);
    char path[700];
    snprintf(path, sizeof path, "%s/locks/LOCK-7.json", tmp_dir("flow-new"));
    assert_int_equal(file_mode(path), 0600);

    /* An escrow moved to another lock, or altered, does not open. */
    snprintf(list, sizeof list,
             "{\"escrows\":[{\"sn\":\"LOCK-8\",\"role\":2,\"blob\":\"%s\"}]}",
             escrow_b64);
    assert_int_equal(ward_app_recover_escrows(&rec, list, strlen(list),
                                              &opened), WARD_ERR_AUTH);
    assert_int_equal(opened, 0);
    escrow_b64[100] = escrow_b64[100] == 'A' ? 'B' : 'A';
    snprintf(list, sizeof list,
             "{\"escrows\":[{\"sn\":\"LOCK-7\",\"role\":0,\"blob\":\"%s\"}]}",
             escrow_b64);
    assert_int_equal(ward_app_recover_escrows(&rec, list, strlen(list),
                                              &opened), WARD_ERR_AUTH);
    assert_int_equal(ward_app_recover_escrows(&rec, "{}", 2, &opened),
                     WARD_ERR_FORMAT);

    /* Request signers: the app's verifies with its key, the lock's with
     * the lock's, each over the same base. */
    ward_http_signer s;
    uint8_t sig[64];
    const char *base = "\"@method\": GET\n";
    ward_app_http_signer(&app, &s);
    assert_string_equal(s.keyid, "user:carol");
    assert_int_equal(s.sign(s.ctx, base, strlen(base), sig), WARD_OK);
    assert_int_equal(ward_httpsig_verify(ward_test_cp, app.pub, base,
                                         strlen(base), sig), WARD_OK);
    assert_int_equal(ward_http_lock_signer(&s, &e->lock), WARD_OK);
    assert_string_equal(s.keyid, "lock:LOCK-7");
    assert_int_equal(s.sign(s.ctx, base, strlen(base), sig), WARD_OK);
    assert_int_equal(ward_httpsig_verify(ward_test_cp, lpub, base,
                                         strlen(base), sig), WARD_OK);
    /* Nobody listens on port 1: an I/O error, not a crash. */
    ward_http_response resp;
    assert_int_equal(ward_http_request(&h, "http://127.0.0.1:1", "GET",
                                       "/v1/health", NULL, 0, &s, &resp),
                     WARD_ERR_IO);
    /* It says why, libcurl's words and the OS's (issue 15, item 6). */
    assert_non_null(strstr(resp.error, "Connection refused"));
    assert_non_null(strstr(resp.error, "127.0.0.1"));
    ward_app_close(&rec);
    ward_app_close(&app);
    test_free(e);
}

/* A QR code for LOCK-9 with task id 000...0<n>. */
static void qr_task(char *out, size_t cap, char n, uint8_t tid[WARD_TASK_ID_LEN])
{
    char hex[33];
    memset(hex, '0', 32);
    hex[31] = n;
    hex[32] = '\0';
    snprintf(out, cap, "{\"v\":1,\"mobile\":\"%s\",\"sms\":\"123456\",\"sn\":\"LOCK-9\","
             "\"key\":\"" K64 "\",\"tid\":\"%s\"}", PHONE, hex);
    size_t got = 0;
    assert_int_equal(ward_hex_decode(hex, 32, tid, WARD_TASK_ID_LEN, &got), WARD_OK);
}

static void key_of(ward_app *app, bool rebinding, uint8_t key[32])
{
    ward_app_lock l;
    assert_int_equal(rebinding ? ward_app_lock_rebinding(app, "LOCK-9", &l)
                               : ward_app_lock_get(app, "LOCK-9", &l), WARD_OK);
    memcpy(key, l.auth_key, 32);
}

/* wardd's word that a task is bound binds the record that task began,
 * never a rebinding begun with another (which then replaced the binding
 * the lock took with a key the lock does not have). */
static void test_lock_bound_by_task(void **state)
{
    (void)state;
    ward_host h = test_host();
    ward_app app;
    char q[WARD_QR_JSON_MAX], *up = NULL;
    uint8_t ta[16], tb[16], tc[16], tx[16], kb[32], kc[32], k[32];
    ward_app_lock l;
    assert_int_equal(ward_app_create(&app, &h, tmp_dir("bytask"), "dave", PHONE, "x"),
                     WARD_OK);
    qr_task(q, sizeof q, '1', ta);
    assert_int_equal(ward_app_bind_prepare(&app, q, strlen(q), false, &up, NULL, NULL),
                     WARD_OK);
    free(up);
    assert_int_equal(ward_app_lock_bound(&app, "LOCK-9", ta, WARD_ROLE_MEMBER), WARD_OK);
    /* A rebinding (task B) beside the binding; then the binding goes (the
     * user revoked itself) and a new one begins (task C) in locks/. */
    qr_task(q, sizeof q, '2', tb);
    assert_int_equal(ward_app_bind_prepare(&app, q, strlen(q), true, &up, NULL, NULL),
                     WARD_OK);
    free(up);
    key_of(&app, true, kb);
    char path[700];
    snprintf(path, sizeof path, "%s/locks/LOCK-9.json", tmp_dir("bytask"));
    assert_int_equal(unlink(path), 0);
    qr_task(q, sizeof q, '3', tc);
    assert_int_equal(ward_app_bind_prepare(&app, q, strlen(q), false, &up, NULL, NULL),
                     WARD_OK);
    free(up);
    key_of(&app, false, kc);
    /* Another QR code for the lock (anyone may print one) replaces no
     * binding begun either; nor, even with rebind, does one of a task
     * recorded already. */
    char q2[WARD_QR_JSON_MAX];
    uint8_t td[16];
    qr_task(q2, sizeof q2, '4', td);
    assert_int_equal(ward_app_bind_prepare(&app, q2, strlen(q2), false, &up, NULL, NULL),
                     WARD_ERR_STATE);
    assert_null(up);
    assert_non_null(strstr(ward_app_error(&app), WARD_APP_BINDING_BEGUN));
    assert_int_equal(ward_app_bind_prepare(&app, q, strlen(q), true, &up, NULL, NULL),
                     WARD_ERR_STATE);
    qr_task(q2, sizeof q2, '2', td);
    assert_int_equal(ward_app_bind_prepare(&app, q2, strlen(q2), true, &up, NULL, NULL),
                     WARD_ERR_STATE);
    key_of(&app, false, k);
    assert_memory_equal(k, kc, 32);
    key_of(&app, true, k);
    assert_memory_equal(k, kb, 32);
    /* wardd names a task no record began: nothing changes. */
    qr_task(q, sizeof q, '9', tx);
    assert_int_equal(ward_app_lock_bound(&app, "LOCK-9", tx, WARD_ROLE_MEMBER),
                     WARD_ERR_NOTFOUND);
    assert_int_equal(ward_app_lock_get(&app, "LOCK-9", &l), WARD_OK);
    assert_false(l.bound);
    /* Task C bound: locks/ with C's key; B stays pending aside. */
    assert_int_equal(ward_app_lock_bound(&app, "LOCK-9", tc, WARD_ROLE_MEMBER), WARD_OK);
    assert_int_equal(ward_app_lock_get(&app, "LOCK-9", &l), WARD_OK);
    assert_true(l.bound);
    assert_memory_equal(l.auth_key, kc, 32);
    key_of(&app, true, k);
    assert_memory_equal(k, kb, 32);
    /* Task B bound after all: it replaces C, and leaves pending/. */
    assert_int_equal(ward_app_lock_bound(&app, "LOCK-9", tb, WARD_ROLE_ADMIN), WARD_OK);
    assert_int_equal(ward_app_lock_get(&app, "LOCK-9", &l), WARD_OK);
    assert_memory_equal(l.auth_key, kb, 32);
    assert_int_equal(l.role, WARD_ROLE_ADMIN);
    assert_int_equal(ward_app_lock_rebinding(&app, "LOCK-9", &l), WARD_ERR_NOTFOUND);
    /* Expiry drops only an unfinished record of that task: never the
     * binding in use, nor anything for a task no record began. */
    assert_int_equal(ward_app_lock_expired(&app, "LOCK-9", tb), WARD_ERR_STATE);
    assert_int_equal(ward_app_lock_expired(&app, "LOCK-9", tx), WARD_ERR_NOTFOUND);
    assert_int_equal(ward_app_lock_get(&app, "LOCK-9", &l), WARD_OK);
    assert_true(l.bound);
    qr_task(q, sizeof q, '5', td);
    assert_int_equal(ward_app_bind_prepare(&app, q, strlen(q), true, &up, NULL, NULL),
                     WARD_OK);
    free(up);
    assert_int_equal(ward_app_lock_expired(&app, "LOCK-9", tx), WARD_ERR_NOTFOUND);
    assert_int_equal(ward_app_lock_rebinding(&app, "LOCK-9", &l), WARD_OK);
    assert_int_equal(ward_app_lock_expired(&app, "LOCK-9", td), WARD_OK);
    assert_int_equal(ward_app_lock_rebinding(&app, "LOCK-9", &l), WARD_ERR_NOTFOUND);
    assert_int_equal(ward_app_lock_get(&app, "LOCK-9", &l), WARD_OK);
    assert_memory_equal(l.auth_key, kb, 32);
    ward_app_close(&app);
}

static int make_root(void **state)
{
    (void)state;
    snprintf(tmp_root, sizeof tmp_root, "/tmp/ward_test_app.XXXXXX");
    assert_non_null(mkdtemp(tmp_root));
    return 0;
}

static int remove_root(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qr_table),
        cmocka_unit_test(test_http_text),
        cmocka_unit_test(test_account_files),
        cmocka_unit_test(test_verify_body_leaves_no_code),
        cmocka_unit_test(test_prepare_phone_mismatch),
        cmocka_unit_test(test_local_flow_and_recovery),
        cmocka_unit_test(test_lock_bound_by_task),
    };
    return cmocka_run_group_tests(tests, make_root, remove_root);
}
