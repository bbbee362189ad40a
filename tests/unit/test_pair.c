/* The app's records of paired devices, devices/<ID>.json (WARD_TEST_CLIENT). */
#define _DEFAULT_SOURCE 1
#include "ward_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ward/ward_files.h"
#include "ward/ward_pair.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ward-pair-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void sample(ward_pair_device *d, const char *id)
{
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", id);
    snprintf(d->name, sizeof d->name, "Desk lamp");
    snprintf(d->type, sizeof d->type, "lamp");
    d->key_index = 7;
    for (size_t i = 0; i < sizeof d->data_key; i++) {
        d->data_key[i] = (uint8_t)(i * 7 + 1);
    }
    memcpy(d->udidx, "PHONE-1.pid100", 14);
    d->udidx_len = 14;
    memcpy(d->client_id, "\x01\x02\x03", 3);
    d->client_id_len = 3;
}

static void test_round_trip(void **state)
{
    ward_pair_device d, e;
    struct stat st;
    char path[160];
    (void)state;
    sample(&d, "LAMP-0001");
    assert_int_equal(ward_pair_device_save(dir, &d), WARD_OK);
    snprintf(path, sizeof path, "%s/devices/LAMP-0001.json", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(ward_pair_device_load(dir, "LAMP-0001", &e), WARD_OK);
    assert_memory_equal(&d, &e, sizeof d);
    /* Attach adds the cloud id; an older app has no client id. */
    snprintf(d.cloud_id, sizeof d.cloud_id, "cloud-17");
    d.client_id_len = 0;
    memset(d.client_id, 0, sizeof d.client_id);
    assert_int_equal(ward_pair_device_save(dir, &d), WARD_OK);
    assert_int_equal(ward_pair_device_load(dir, "LAMP-0001", &e), WARD_OK);
    assert_memory_equal(&d, &e, sizeof d);
}

static void test_list_remove(void **state)
{
    ward_pair_device d;
    char ids[4][WARD_DEV_ID_MAX + 1];
    size_t n = 0;
    (void)state;
    assert_int_equal(ward_pair_device_list(dir, ids, 4, &n), WARD_OK);
    assert_int_equal(n, 0);
    sample(&d, "b-dev");
    assert_int_equal(ward_pair_device_save(dir, &d), WARD_OK);
    sample(&d, "a-dev");
    assert_int_equal(ward_pair_device_save(dir, &d), WARD_OK);
    assert_int_equal(ward_pair_device_list(dir, ids, 4, &n), WARD_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ids[0], "a-dev");
    assert_string_equal(ids[1], "b-dev");
    assert_int_equal(ward_pair_device_list(dir, ids, 1, &n), WARD_ERR_NOSPACE);
    assert_int_equal(ward_pair_device_remove(dir, "a-dev"), WARD_OK);
    assert_int_equal(ward_pair_device_remove(dir, "a-dev"), WARD_ERR_NOTFOUND);
    assert_int_equal(ward_pair_device_load(dir, "a-dev", &d), WARD_ERR_NOTFOUND);
}

static void put(const char *name, const char *text)
{
    char path[160];
    snprintf(path, sizeof path, "%s/devices", dir);
    assert_int_equal(ward_mkdir(path, 0700), WARD_OK);
    snprintf(path, sizeof path, "%s/devices/%s.json", dir, name);
    assert_int_equal(ward_file_write_atomic(path, text, strlen(text), 0600),
                     WARD_OK);
}

static void test_bad_files(void **state)
{
    ward_pair_device d;
    (void)state;
    /* Ids that are no file names. */
    sample(&d, "../evil");
    assert_int_equal(ward_pair_device_save(dir, &d), WARD_ERR_PARAM);
    assert_int_equal(ward_pair_device_load(dir, "../evil", &d),
                     WARD_ERR_NOTFOUND);
    const char *good_key = "\"data_key\":\"0001020304050607080900010203040506070809000102030405060708090001\"";
    char text[512];
    put("x1", "not json");
    assert_int_equal(ward_pair_device_load(dir, "x1", &d), WARD_ERR_FORMAT);
    /* The file names another device. */
    snprintf(text, sizeof text, "{\"id\":\"other\",\"name\":\"n\",\"type\":\"t\","
             "\"key_index\":3,%s,\"udidx\":\"01\"}", good_key);
    put("x2", text);
    assert_int_equal(ward_pair_device_load(dir, "x2", &d), WARD_ERR_FORMAT);
    /* Key index out of range, short key, odd hex. */
    snprintf(text, sizeof text, "{\"id\":\"x3\",\"name\":\"n\",\"type\":\"t\","
             "\"key_index\":0,%s,\"udidx\":\"01\"}", good_key);
    put("x3", text);
    assert_int_equal(ward_pair_device_load(dir, "x3", &d), WARD_ERR_FORMAT);
    put("x4", "{\"id\":\"x4\",\"name\":\"n\",\"type\":\"t\",\"key_index\":3,"
              "\"data_key\":\"0001\",\"udidx\":\"01\"}");
    assert_int_equal(ward_pair_device_load(dir, "x4", &d), WARD_ERR_FORMAT);
    snprintf(text, sizeof text, "{\"id\":\"x5\",\"name\":\"n\",\"type\":\"t\","
             "\"key_index\":3,%s,\"udidx\":\"012\"}", good_key);
    put("x5", text);
    assert_int_equal(ward_pair_device_load(dir, "x5", &d), WARD_ERR_FORMAT);
    snprintf(text, sizeof text, "{\"id\":\"x6\",\"name\":\"n\",\"type\":\"t\","
             "\"key_index\":3,%s,\"udidx\":\"01\"}", good_key);
    put("x6", text);
    assert_int_equal(ward_pair_device_load(dir, "x6", &d), WARD_OK);
    assert_int_equal(d.key_index, 3);
    assert_int_equal(d.client_id_len, 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
