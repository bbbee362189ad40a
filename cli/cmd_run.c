/* `ward lock run`: the lock as a running device. It serves the near-field
 * link (a phone at the door, D/near.sock) and keeps in touch with wardd:
 * it resends an unacknowledged binding confirmation and applies the
 * revocations wardd queues for it. Stops cleanly on SIGTERM or SIGINT. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"
#include "lockdir.h"
#include "lockops.h"
#include "ward/ward.h"
#include "ward/ward_frame.h"
#include "ward/ward_op.h"

#define MSG_MAX 256
#define INBOX_WAIT_S 5
#define NEAR_TIMEOUT_MS 30000u

/* One phone at the door: NEAR_HELLO -> OP_REQUEST -> APPROVAL -> OP_RESULT.
 * The request lives in this function's memory only. */
static void serve_near(lockdir *ld, int fd)
{
    uint8_t msg[WARD_MSG_MAX], out[WARD_MSG_MAX];
    size_t len = 0, out_len = 0;
    const uint8_t *uid = NULL;
    size_t uid_len = 0;
    uint8_t code = 0;
    ward_op_lock op;
    ward_op_outcome outcome;
    memset(&op, 0, sizeof op);
    memset(&outcome, 0, sizeof outcome);

    if (ward_frame_read(fd, msg, sizeof msg, &len, NEAR_TIMEOUT_MS) != WARD_OK ||
        ward_op_near_hello_parse(msg, len, &uid, &uid_len, &code) != WARD_OK) {
        fprintf(stderr, "ward: near field: not a ward hello, link closed\n");
        return;
    }
    if (lockdir_reacquire(ld) != 0) {
        return;
    }
    ward_err err = ward_op_lock_request(&ld->lock, &op, code, uid, uid_len, out, sizeof out,
                                        &out_len);
    lockdir_release(ld);
    if (err != WARD_OK) {
        fprintf(stderr, "ward: near field: %.*s may not ask for %s: %s\n", (int)uid_len,
                (const char *)uid, lockops_op_name(code), ward_strerror(err));
        return;
    }
    if (ward_frame_write(fd, out, out_len, NEAR_TIMEOUT_MS) != WARD_OK ||
        ward_frame_read(fd, msg, sizeof msg, &len, NEAR_TIMEOUT_MS) != WARD_OK) {
        fprintf(stderr, "ward: near field: the phone went away\n");
        return;
    }
    if (lockdir_reacquire(ld) != 0) {
        return;
    }
    out_len = 0;
    err = ward_op_lock_accept(&ld->lock, &op, msg, len, &outcome, out, sizeof out, &out_len);
    lockdir_release(ld);
    if (err != WARD_OK && err != WARD_ERR_EXPIRED) {
        fprintf(stderr, "ward: near field: answer refused: %s\n", ward_strerror(err));
        return;
    }
    lockops_act(ld, &outcome);
    if (!outcome.execute) {
        printf("[%s] near field: %s refused\n", ld->sn, lockops_op_name(code));
        fflush(stdout);
    }
    if (out_len > 0) {
        ward_frame_write(fd, out, out_len, NEAR_TIMEOUT_MS);
    }
}

static void *near_thread(void *arg)
{
    lockdir *ld = arg;
    char path[600];
    snprintf(path, sizeof path, "%s/near.sock", ld->dir);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path) {
        fprintf(stderr, "ward: near field off: socket path too long\n");
        return NULL;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(path);
    if (srv < 0 || bind(srv, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(srv, 4) != 0) {
        fprintf(stderr, "ward: near field off: cannot listen on %s\n", path);
        if (srv >= 0) close(srv);
        return NULL;
    }
    printf("[%s] near field listening on %s\n", ld->sn, path);
    fflush(stdout);
    while (!cli_stopping) {
        struct pollfd p = { srv, POLLIN, 0 };
        if (poll(&p, 1, 200) <= 0) {
            continue;
        }
        int fd = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            serve_near(ld, fd);
            close(fd);
        }
    }
    close(srv);
    unlink(path);
    return NULL;
}

/* Applies the revocations wardd holds for this lock and acknowledges them. */
static void poll_inbox(lockdir *ld)
{
    char target[64], why[MSG_MAX];
    snprintf(target, sizeof target, "/v1/lock/inbox?wait=%d", INBOX_WAIT_S);
    ward_http_signer signer;
    lockdir_signer(ld, &signer);
    ward_http_response resp;
    long status = api_call(&ld->host, ld->server, "GET", target, NULL, &signer, &resp, why,
                           sizeof why);
    if (status != 0) {
        ward_http_response_free(&resp);
        if (!cli_stopping) {
            fprintf(stderr, "ward: wardd inbox: %s\n", why);
            sleep(1);
        }
        return;
    }
    cJSON *o = cJSON_ParseWithLength(resp.body, resp.body_len);
    ward_http_response_free(&resp);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "revokes");
    cJSON *ack = cJSON_CreateArray();
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(item, "revoke");
        uint8_t msg[WARD_REVOKE_MAX + 8], target_uid[WARD_UID_MAX];
        size_t len = 0, target_len = 0;
        if (!cJSON_IsString(b64) ||
            ward_b64_decode(b64->valuestring, strlen(b64->valuestring), msg, sizeof msg,
                            &len) != WARD_OK || lockdir_reacquire(ld) != 0) {
            continue;
        }
        ward_err err = ward_op_lock_revoke(&ld->lock, msg, len, target_uid, &target_len);
        lockdir_release(ld);
        if (err == WARD_OK && target_len > 0) {
            printf("[%s] revoked: %.*s\n", ld->sn, (int)target_len, (const char *)target_uid);
        } else if (err == WARD_OK) {
            printf("[%s] a revocation from wardd had nothing left to do\n", ld->sn);
        } else {
            fprintf(stderr, "ward: a revocation from wardd was refused: %s\n",
                    ward_strerror(err));
        }
        fflush(stdout);
        /* Applied or refused for good: either way wardd may forget it. */
        if ((err == WARD_OK || err == WARD_ERR_AUTH || err == WARD_ERR_FORMAT) &&
            cJSON_IsString(id)) {
            cJSON_AddItemToArray(ack, cJSON_CreateString(id->valuestring));
        }
    }
    if (cJSON_GetArraySize(ack) > 0) {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddItemToObject(body, "ids", ack);
        char *text = cJSON_PrintUnformatted(body);
        status = api_call(&ld->host, ld->server, "POST", "/v1/lock/inbox/ack", text, &signer,
                          &resp, why, sizeof why);
        ward_http_response_free(&resp);
        cJSON_free(text);
        cJSON_Delete(body);
    } else {
        cJSON_Delete(ack);
    }
    cJSON_Delete(o);
}

int cmd_lock_run(int argc, char **argv)
{
    const char *dir = NULL;
    const cli_option opts[] = { { "dir", true, &dir } };
    int npos = 0, rc = cli_parse(argc, argv, opts, 1, NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: ward lock run --dir D");
    }
    /* Two views of the same lock, one per thread: each takes the state's
     * flock when it needs it, so they never write at once. */
    lockdir remote, near;
    if ((rc = lockdir_open(&remote, dir, false, NULL, NULL)) != 0) {
        return rc;
    }
    lockdir_release(&remote);
    if ((rc = lockdir_open(&near, dir, false, NULL, NULL)) != 0) {
        return rc;
    }
    lockdir_release(&near);

    cli_catch_stop();

    pthread_t tid;
    if (pthread_create(&tid, NULL, near_thread, &near) != 0) {
        return cli_fail("cannot start the near-field server");
    }
    printf("[%s] running; wardd at %s\n", remote.sn, remote.server);
    fflush(stdout);
    while (!cli_stopping) {
        poll_inbox(&remote);
    }
    pthread_join(tid, NULL);
    printf("[%s] stopped\n", remote.sn);
    return 0;
}
