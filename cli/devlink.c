/* The app's two links to a device: CoAP near-field, wardd far-field. */
#include "devlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "coap_ward.h"
#include "ward/ward.h"
#include "ward/ward_app_cloud.h"

/* Back-off between polls that wardd answered at once with nothing. */
#define BACKOFF_FIRST_MS 100u
#define BACKOFF_MAX_MS 1000u

static ward_err near_exchange(const devlink *l, const uint8_t *msg, size_t len,
                              devlink_accept_fn accept, void *ctx, char *why,
                              size_t why_cap)
{
    uint8_t in[WCOAP_PAYLOAD_MAX];
    size_t in_len = 0;
    ward_err err = wcoap_exchange(l->near, msg, len, in, sizeof in, &in_len, l->timeout_ms);
    if (err == WARD_ERR_AUTH) {
        snprintf(why, why_cap, "the device at %s refused the message", l->near);
        return err;
    }
    if (err != WARD_OK) {
        snprintf(why, why_cap, "no answer from coap://%s: %s", l->near,
                 err == WARD_ERR_IO ? wcoap_why() : ward_strerror(err));
        return err;
    }
    bool stop = false;
    err = accept(ctx, in, in_len, &stop);
    if (err != WARD_OK) {
        snprintf(why, why_cap, "the device's answer: %s", ward_strerror(err));
    }
    return err;
}

/* What take_reply keeps across the replies of one exchange. */
typedef struct reply_take {
    devlink_accept_fn accept;
    void *ctx;
    bool taken, stop;
    ward_err last;
} reply_take;

/* Offers a reply to accept() until one is taken (or the device says
 * stop); the rest are only acknowledged (0: the cursor moves past). */
static int take_reply(void *arg, const uint8_t *msg, size_t len)
{
    reply_take *t = arg;
    if (t->taken || t->stop) {
        return 0;
    }
    ward_err err = t->accept(t->ctx, msg, len, &t->stop);
    if (err != WARD_ERR_IO) {
        t->last = err;
    }
    t->taken = err == WARD_OK;
    return 0;
}

static ward_err far_exchange(const devlink *l, const uint8_t *msg, size_t len,
                             devlink_accept_fn accept, void *ctx, char *why, size_t why_cap)
{
    if (ward_app_dev_post(l->app, l->cloud_id, msg, len, NULL) != WARD_OK) {
        snprintf(why, why_cap, "%s", ward_app_error(l->app));
        return WARD_ERR_IO;
    }
    long long deadline = cli_mono_ms() + l->timeout_ms;
    int64_t after = 0;
    unsigned backoff = BACKOFF_FIRST_MS;
    reply_take t = { accept, ctx, false, false, WARD_ERR_IO };
    /* Replies of earlier exchanges may still wait there: each is offered
     * to accept(), which skips what does not belong to this one. Once
     * one is taken, a last poll (wait 0) acknowledges what was seen. */
    for (;;) {
        bool done = t.taken || t.stop;
        long long left = deadline - cli_mono_ms();
        if (done && after == 0) {
            return t.taken ? WARD_OK : t.last;
        }
        if (!done && left <= 0) {
            snprintf(why, why_cap, "no answer through wardd in %u ms", l->timeout_ms);
            return t.last;
        }
        long wait = done ? 0 : (long)((left + 999) / 1000);
        long long asked = cli_mono_ms();
        size_t handed = 0;
        ward_app_reply rep;
        ward_err err = ward_app_dev_replies(l->app, l->cloud_id, (unsigned)wait, &after,
                                            take_reply, &t, &handed, &rep);
        /* An answer that holds no list is passed over like an empty one. */
        bool malformed = err == WARD_ERR_FORMAT && rep.status >= 200 && rep.status < 300;
        if (err != WARD_OK && !malformed) {
            snprintf(why, why_cap, "%s", ward_app_error(l->app));
            return WARD_ERR_IO;
        }
        if (done) {
            return t.taken ? WARD_OK : t.last;
        }
        if (t.stop && !t.taken) {
            snprintf(why, why_cap, "the device's answer: %s", ward_strerror(t.last));
        }
        /* A wardd that answers a long-poll at once with nothing (or with
         * what is no list) must not make us spin until the deadline. */
        if (handed == 0 && !t.taken && !t.stop && wait > 0 &&
            cli_mono_ms() < asked + 1000) {
            cli_nap(backoff);
            backoff = backoff * 2u < BACKOFF_MAX_MS ? backoff * 2u : BACKOFF_MAX_MS;
        }
    }
}

ward_err devlink_exchange(const devlink *l, const uint8_t *msg, size_t len,
                          devlink_accept_fn accept, void *ctx, char *why, size_t why_cap)
{
    why[0] = '\0';
    if (l->far) {
        return far_exchange(l, msg, len, accept, ctx, why, why_cap);
    }
    return near_exchange(l, msg, len, accept, ctx, why, why_cap);
}
