/* libFuzzer harness for the app's parsers of wardd's JSON answers (the
 * server is not trusted): the pending operations, a lock's clients and
 * the audit. The first byte picks the parser, the rest is the answer.
 * Whatever the bytes, a parser answers WARD_OK or WARD_ERR_FORMAT, and
 * what it accepts is bounded: every string ends inside its field. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_app.h"
#include "ward/ward_app_ops.h"
#include "ward/ward_host.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ward_app app;
static char dir[64];

static void remove_dir(void)
{
    ward_app_close(&app);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)system(cmd);
}

/* One app, made once: a fresh account bound to no lock. */
static void app_once(void)
{
    static int ready;
    if (ready) {
        return;
    }
    ward_host h;
    ward_host_init(&h);
    snprintf(dir, sizeof dir, "/tmp/ward-fuzz-app-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    CHECK(ward_app_create(&app, &h, dir, "erin", "+8613800000000",
                          "http://127.0.0.1:1") == WARD_OK);
    atexit(remove_dir);
    ready = 1;
}

static int ends_in(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    app_once();
    const char *json = (const char *)data + 1;
    size_t len = size - 1;
    ward_err err;
    if (data[0] % 3 == 0) {
        ward_app_ops ops;
        err = ward_app_ops_parse(&app, json, len, &ops);
        if (err == WARD_OK) {
            for (size_t i = 0; i < ops.count; i++) {
                const ward_app_op *o = &ops.ops[i];
                CHECK(ends_in(o->op_id, sizeof o->op_id) && ends_in(o->sn, sizeof o->sn) &&
                      ends_in(o->target, sizeof o->target));
                CHECK(o->request_len <= sizeof o->request);
            }
        }
        ward_app_ops_free(&ops);
    } else if (data[0] % 3 == 1) {
        ward_app_client *list = NULL;
        size_t n = 0;
        err = ward_app_clients_parse(&app, json, len, &list, &n);
        for (size_t i = 0; err == WARD_OK && i < n; i++) {
            CHECK(ends_in(list[i].uid, sizeof list[i].uid));
        }
        free(list);
    } else {
        ward_app_audit_event *ev = NULL;
        size_t n = 0;
        err = ward_app_audit_parse(&app, json, len, &ev, &n);
        for (size_t i = 0; err == WARD_OK && i < n; i++) {
            CHECK(ends_in(ev[i].event, sizeof ev[i].event) &&
                  ends_in(ev[i].uid, sizeof ev[i].uid) && ends_in(ev[i].op, sizeof ev[i].op) &&
                  ends_in(ev[i].detail, sizeof ev[i].detail));
        }
        free(ev);
    }
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
    return 0;
}
