/* The outbox SMS provider: one JSON file per message, renamed into place. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sms.h"

typedef struct outbox {
    char *dir;
    pthread_mutex_t mu;
    unsigned long seq;          /* keeps names unique within one ms */
} outbox;

static long minutes_of(long ttl_s)
{
    return ttl_s >= 60 ? ttl_s / 60 : 1;
}

int wardd_sms_text(char *out, unsigned long cap, const char *code,
                   const char *sn, const char *uid, long ttl_s)
{
    long minutes = minutes_of(ttl_s);
    return snprintf(out, cap, "ward code %s: binding lock %s to account %s. "
                    "Expires in %ld minute%s.", code, sn, uid, minutes,
                    minutes == 1 ? "" : "s");
}

int wardd_sms_verify_text(char *out, unsigned long cap, const char *code,
                          const char *uid, long ttl_s)
{
    long minutes = minutes_of(ttl_s);
    return snprintf(out, cap, "ward code %s: verify phone for account %s. "
                    "Expires in %ld minute%s.", code, uid, minutes,
                    minutes == 1 ? "" : "s");
}

static ward_err write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return WARD_ERR_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return WARD_OK;
}

static ward_err outbox_send(void *ctx, const char *phone, const char *text)
{
    outbox *o = ctx;
    cJSON *j = cJSON_CreateObject();
    if (j == NULL || !cJSON_AddStringToObject(j, "phone", phone) ||
        !cJSON_AddStringToObject(j, "text", text)) {
        cJSON_Delete(j);
        return WARD_ERR_NOSPACE;
    }
    char *body = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (body == NULL) {
        return WARD_ERR_NOSPACE;
    }

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    pthread_mutex_lock(&o->mu);
    unsigned long n = o->seq++;
    pthread_mutex_unlock(&o->mu);

    char tmp[4096], final[4096];
    int a = snprintf(tmp, sizeof tmp, "%s/.tmp-%lld-%lu-%ld", o->dir, ms, n, (long)getpid());
    int b = snprintf(final, sizeof final, "%s/%lld-%lu.json", o->dir, ms, n);
    if (a < 0 || b < 0 || (size_t)a >= sizeof tmp || (size_t)b >= sizeof final) {
        free(body);
        return WARD_ERR_NOSPACE;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(body);
        return WARD_ERR_IO;
    }
    ward_err err = write_all(fd, body, strlen(body));
    if (err == WARD_OK) {
        err = write_all(fd, "\n", 1);
    }
    free(body);
    if (err == WARD_OK && fsync(fd) != 0) {
        err = WARD_ERR_IO;
    }
    if (close(fd) != 0) {
        err = WARD_ERR_IO;
    }
    if (err == WARD_OK && rename(tmp, final) != 0) {
        err = WARD_ERR_IO;
    }
    if (err != WARD_OK) {
        unlink(tmp);
        return err;
    }
    /* The rename is durable only once the directory is synced. */
    int dfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return WARD_OK;
}

static void outbox_close(void *ctx)
{
    outbox *o = ctx;
    if (o != NULL) {
        pthread_mutex_destroy(&o->mu);
        free(o->dir);
        free(o);
    }
}

ward_err wardd_sms_outbox_open(const char *dir, wardd_sms *sms)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return WARD_ERR_IO;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return WARD_ERR_IO;
    }
    outbox *o = calloc(1, sizeof *o);
    if (o == NULL || (o->dir = strdup(dir)) == NULL) {
        free(o);
        return WARD_ERR_NOSPACE;
    }
    pthread_mutex_init(&o->mu, NULL);
    sms->send = outbox_send;
    sms->close = outbox_close;
    sms->ctx = o;
    sms->name = "outbox";
    return WARD_OK;
}
