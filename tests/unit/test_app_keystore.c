/* The app's client key in a keystore: key file with "pub" only, open, sign, refuse a missing or other keystore. WARD_TEST_PER_BACKEND WARD_TEST_CLIENT */
#define _GNU_SOURCE
#include "ward_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_app.h"
#include "ward/ward_files.h"
#include "ward/ward_host.h"
#include "ward/ward_http.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_keystore.h"

#define PHONE "+8613800000000"

static char root[] = "/tmp/ward-app-ks-XXXXXX";

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void test_client_key_in_keystore(void **state)
{
    (void)state;
    ward_random rng = ward_test_rng();
    ward_keystore_soft s, other_s;
    ward_keystore ks, other;
    ward_host h;
    ward_app app;
    char dir[300], path[400];
    char *text = NULL;
    size_t len = 0;
    ward_keystore_soft_init(&s, ward_test_cp, &rng, &ks);
    ward_keystore_soft_init(&other_s, ward_test_cp, &rng, &other);
    ward_host_init(&h);
    h.crypto = ward_test_cp;
    h.keystore = &ks;
    snprintf(dir, sizeof dir, "%s/a", root);

    assert_int_equal(ward_app_create(&app, &h, dir, "alice", PHONE, "http://x"), WARD_OK);
    assert_true(app.key_external);
    uint8_t pub[65], priv[32];
    assert_int_equal(ks.public_key(ks.ctx, WARD_KEY_APP_CLIENT, pub), WARD_OK);
    assert_memory_equal(app.pub, pub, 65);
    /* Signed through the token; the app's software keystore holds nothing. */
    assert_ptr_equal(ward_app_keystore(&app), &ks);
    assert_int_equal(ward_keystore_soft_export(&app.soft, WARD_KEY_APP_CLIENT, priv),
                     WARD_ERR_NOTFOUND);
    ward_app_close(&app);

    /* The key file: "pub", no "key". */
    snprintf(path, sizeof path, "%s/client.key", dir);
    assert_int_equal(ward_file_read(path, 4096, &text, &len), WARD_OK);
    cJSON *o = cJSON_Parse(text);
    assert_null(cJSON_GetObjectItemCaseSensitive(o, "key"));
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "pub");
    assert_true(cJSON_IsString(p));
    assert_int_equal(strlen(p->valuestring), 130);
    cJSON_Delete(o);
    free(text);

    /* Opened with its keystore: requests are signed with the key there. */
    assert_int_equal(ward_app_open(&app, &h, dir), WARD_OK);
    assert_true(app.key_external);
    ward_http_signer sg;
    ward_app_http_signer(&app, &sg);
    const char base[] = "\"@method\": GET\n";
    uint8_t sig[64];
    assert_int_equal(sg.sign(sg.ctx, base, sizeof base - 1, sig), WARD_OK);
    assert_int_equal(ward_httpsig_verify(ward_test_cp, pub, base, sizeof base - 1, sig),
                     WARD_OK);
    ward_app_close(&app);

    /* Without a keystore, or with one holding another key: refused. */
    h.keystore = NULL;
    assert_int_equal(ward_app_open(&app, &h, dir), WARD_ERR_STATE);
    assert_non_null(strstr(ward_app_error(&app), "--keystore"));
    ward_app_close(&app);
    uint8_t opub[65];
    assert_int_equal(other.generate(other.ctx, WARD_KEY_APP_CLIENT, opub), WARD_OK);
    h.keystore = &other;
    assert_int_equal(ward_app_open(&app, &h, dir), WARD_ERR_CONFLICT);
    assert_non_null(strstr(ward_app_error(&app), "holds another client key"));
    ward_app_close(&app);

    /* Recovered into a new directory with the same keystore. */
    char dir2[300];
    snprintf(dir2, sizeof dir2, "%s/b", root);
    h.keystore = &ks;
    assert_int_equal(ward_app_recover(&app, &h, dir2, path, NULL), WARD_OK);
    assert_true(app.key_external);
    assert_memory_equal(app.pub, pub, 65);
    ward_app_close(&app);

    /* A software account is as before: "key" in the file. */
    char dir3[300];
    snprintf(dir3, sizeof dir3, "%s/c", root);
    h.keystore = NULL;
    assert_int_equal(ward_app_create(&app, &h, dir3, "bob", PHONE, "http://x"), WARD_OK);
    assert_false(app.key_external);
    ward_app_close(&app);
    ward_keystore_soft_wipe(&s);
    ward_keystore_soft_wipe(&other_s);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_key_in_keystore),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
