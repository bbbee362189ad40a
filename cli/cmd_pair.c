/* `ward app pair | send | discover`: the CLI playing one app of several
 * that share a device (flow D). The client library (ward_pair.h) does
 * the protocol; this file picks the link (CoAP near, wardd far), asks
 * the person for the PIN and prints the device's replies. */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "keystore.h"
#include "json_out.h"
#include "coap_ward.h"
#include "devlink.h"
#include "ward/ward.h"
#include "ward/ward_app_cloud.h"
#include "ward/ward_files.h"
#include "ward/ward_pair.h"

#define MSG_MAX 256
#define CLIENT_ID_LEN 8
#define DEFAULT_TIMEOUT_MS 5000
/* --timeout MS: at most ten minutes for one exchange. */
#define TIMEOUT_MS_MAX 600000ul
/* --repeat N: a bound on one command line's work. */
#define REPEAT_MAX 10000ul
#define SCAN_MAX 256
/* Riding out a busy device, with back-off (BACKOFF_FIRST_MS doubling up
 * to BACKOFF_MAX_MS): `ward app pair` asks again while every binding
 * slot is in a PAKE (each ends within WARD_DEV_PAKE_TTL_MS), and starts
 * over with the same PIN, at most TAKEOVER_TRIES times, when another
 * app's PIN_REQUEST took its slot before its PAKE_INIT (the device
 * counted that takeover against its window); `ward app send` opens its channel again, at most REOPEN_TRIES
 * times, when a command gets no answer. */
#define BUSY_RETRY_MS (WARD_DEV_PAKE_TTL_MS + 2000u)
#define TAKEOVER_TRIES 3
#define REOPEN_TRIES 3
#define BACKOFF_FIRST_MS 200u
#define BACKOFF_MAX_MS 2000u

/* Sleeps *backoff ms (less once a stop signal came), then doubles it
 * (up to BACKOFF_MAX_MS). */
static void back_off(unsigned *backoff)
{
    cli_nap(*backoff);
    *backoff = *backoff * 2u < BACKOFF_MAX_MS ? *backoff * 2u : BACKOFF_MAX_MS;
}

/* ---- the app's identifiers ---- */

/* The CliID: random, made once per app directory (A/client_id). */
static int client_id(const char *dir, const ward_host *host, uint8_t *cid, size_t *len)
{
    char *path = ward_path_join(dir, "client_id");
    char *text = NULL, hex[2 * CLIENT_ID_LEN + 2];
    size_t tl = 0;
    ward_err err = path ? ward_file_read(path, 256, &text, &tl) : WARD_ERR_IO;
    int rc = 0;
    if (err == WARD_OK) {
        tl = strcspn(text, "\r\n");
        size_t n = 0;
        if (ward_hex_decode(text, tl, cid, WARD_CLIENT_ID_MAX, &n) != WARD_OK || n == 0) {
            rc = cli_fail("%s/client_id is damaged (not the hex ward app pair writes)", dir);
        }
        *len = n;
    } else if (err == WARD_ERR_NOTFOUND) {
        *len = CLIENT_ID_LEN;
        if (ward_mkdir(dir, 0700) != WARD_OK) {
            rc = cli_fail("cannot create %s: %s", dir, strerror(errno));
        } else if (host->rng.fill(host->rng.ctx, cid, CLIENT_ID_LEN) != WARD_OK ||
                   ward_hex_encode(cid, CLIENT_ID_LEN, hex, sizeof hex) != WARD_OK) {
            rc = cli_fail("cannot make a client id in %s", dir);
        } else {
            strcat(hex, "\n");
            if (ward_file_write_atomic(path, hex, strlen(hex), 0644) != WARD_OK) {
                rc = cli_fail("cannot write %s/client_id: %s", dir, strerror(errno));
            }
        }
    } else {
        rc = cli_fail("cannot read %s/client_id: %s", dir,
                      cli_file_why(err, path ? errno : ENOMEM, "too large (damaged, or "
                                   "another file)"));
    }
    free(text);
    free(path);
    return rc;
}

/* The UDIDx: the phone's device id, the same for every app on it (which
 * is the point of the CliID): /etc/machine-id, else the host name. */
static void default_udidx(uint8_t *u, size_t *len)
{
    char *text = NULL;
    size_t tl = 0;
    if (ward_file_read("/etc/machine-id", 256, &text, &tl) == WARD_OK &&
        ward_hex_decode(text, strcspn(text, "\r\n"), u, WARD_DEV_UDIDX_MAX, len) == WARD_OK &&
        *len > 0) {
        free(text);
        return;
    }
    free(text);
    char name[WARD_DEV_UDIDX_MAX + 1] = "ward-host";
    gethostname(name, sizeof name - 1);
    name[WARD_DEV_UDIDX_MAX] = '\0';
    *len = strlen(name);
    memcpy(u, name, *len);
}

static char *near_path(const char *dir, const char *id)
{
    char name[WARD_DEV_ID_MAX + 32];
    snprintf(name, sizeof name, "devices/%s.near", id);
    return ward_path_join(dir, name);
}

static void near_save(const char *dir, const char *id, const char *near)
{
    char *path = near_path(dir, id);
    char line[320];
    snprintf(line, sizeof line, "%s\n", near);
    if (path == NULL || ward_file_write_atomic(path, line, strlen(line), 0644) != WARD_OK) {
        fprintf(stderr, "ward: cannot record the device's address: %s\n",
                path == NULL ? "out of memory" : strerror(errno));
    }
    free(path);
}

static bool near_load(const char *dir, const char *id, char *out, size_t cap)
{
    char *path = near_path(dir, id);
    char *text = NULL;
    size_t tl = 0;
    bool ok = path && ward_file_read(path, 512, &text, &tl) == WARD_OK &&
              strcspn(text, "\r\n") < cap && strcspn(text, "\r\n") > 0;
    if (ok) {
        text[strcspn(text, "\r\n")] = '\0';
        snprintf(out, cap, "%s", text);
    }
    free(text);
    free(path);
    return ok;
}

/* The app's wardd account, when it has one (far-field needs it). */
static bool app_account(ward_app *app, ward_host *host, const char *dir)
{
    char *path = ward_path_join(dir, "account.json");
    bool have = path && access(path, F_OK) == 0;
    free(path);
    if (!have) {
        return false;
    }
    if (cli_keystore_attach(host, dir) != 0) {
        return false;
    }
    if (ward_app_open(app, host, dir) != WARD_OK) {
        fprintf(stderr, "ward: %s\n", ward_app_error(app));
        ward_app_close(app);
        return false;
    }
    return true;
}

/* ---- accept functions for devlink_exchange() ---- */

typedef struct capture {
    uint8_t msg[WARD_MSG_MAX];
    size_t len;
} capture;

static ward_err take_any(void *ctx, const uint8_t *msg, size_t len, bool *stop)
{
    capture *c = ctx;
    (void)stop;
    if (len > sizeof c->msg) {
        return WARD_ERR_NOSPACE;
    }
    memcpy(c->msg, msg, len);
    c->len = len;
    return WARD_OK;
}

typedef struct chan_ctx {
    const ward_pair_device *dev;
    const ward_crypto *cp;
    ward_pair_channel *ch;
    uint8_t data[WARD_DEV_DATA_MAX + 1];
    size_t data_len;
} chan_ctx;

/* The channel knows its request in flight: a message that does not end
 * the exchange (a stale or replayed answer, the refusal of an older
 * request that a hostile relay queued again) leaves it as it was and
 * waiting, so we skip it; the answer or a refusal of this request stops. */
static ward_err take_open(void *ctx, const uint8_t *msg, size_t len, bool *stop)
{
    chan_ctx *c = ctx;
    ward_err err = ward_pair_on_channel_open(c->dev, c->cp, c->ch, msg, len);
    *stop = err != WARD_OK && !ward_pair_channel_waiting(c->ch);
    return err;
}

static ward_err take_reply(void *ctx, const uint8_t *msg, size_t len, bool *stop)
{
    chan_ctx *c = ctx;
    bool is_reply = false;
    ward_err err = ward_pair_on_reply(c->dev, c->cp, c->ch, msg, len, c->data,
                                      WARD_DEV_DATA_MAX, &c->data_len, &is_reply);
    *stop = err != WARD_OK && !ward_pair_channel_waiting(c->ch);
    if (err == WARD_OK && !is_reply) {
        /* A notification the device sent on its own: show, keep waiting. */
        printf("notification: %.*s\n", (int)c->data_len, (const char *)c->data);
        err = WARD_ERR_STATE;
    }
    return err;
}

/* The ATTACH in flight: its answer echoes the cloud id sent. */
typedef struct attach_ctx {
    chan_ctx cc;
    const char *cloud;
} attach_ctx;

static ward_err take_attach(void *ctx, const uint8_t *msg, size_t len, bool *stop)
{
    attach_ctx *a = ctx;
    ward_err err = ward_pair_on_attach(a->cc.dev, a->cc.cp, a->cc.ch, (const uint8_t *)a->cloud,
                                       strlen(a->cloud), msg, len);
    *stop = err != WARD_OK && !ward_pair_channel_waiting(a->cc.ch);
    return err;
}

static int refused(const char *what, ward_err err, const char *why)
{
    if (err == WARD_ERR_LOCKED) {
        return cli_fail("%s: the device is not open for pairing (no pairing window, or its "
                        "wrong PINs are spent): open a new window on the device (its button; "
                        "ward device run: Enter or SIGUSR1) and pair with its new PIN", what);
    }
    if (err == WARD_ERR_AUTH) {
        return cli_fail("%s: refused by the device (wrong PIN or a message that does not "
                        "verify)%s%s", what, why[0] ? ": " : "", why);
    }
    /* An I/O failure's reason is the why itself ("no answer from ..."). */
    if (err == WARD_ERR_IO && why[0] != '\0') {
        return cli_fail("%s: %s", what, why);
    }
    return cli_fail("%s: %s%s%s", what, ward_strerror(err), why[0] ? ": " : "", why);
}

/* ---- ward app pair ---- */

/* --near HOST:PORT (NULL: not given), checked before anything is sent. */
static int check_near(const char *near)
{
    char host[256];
    unsigned port = 0;
    if (near != NULL && wcoap_split(near, host, sizeof host, &port) != WARD_OK) {
        return cli_usage("--near: HOST:PORT expected (a port from 0 to 65535), not '%s'", near);
    }
    return 0;
}

/* The channel ATTACH rides in: `ward app send`'s default, which resumes
 * it (an open channel is not reset by opening it again). */
#define ATTACH_CHANNEL 1u

/* Asks wardd for this app's cloud device id and tells the device, in a
 * channel (its replay window refuses the ATTACH if anyone sends it again). */
static int attach(ward_app *app, const ward_host *host, devlink *l, ward_pair_device *dev,
                  const char *dir)
{
    char why[MSG_MAX] = "", cloud[WARD_DEV_CLOUD_ID_MAX + 1];
    if (ward_app_device_attach(app, dev->id, dev->client_id, dev->client_id_len, cloud,
                               NULL) != WARD_OK) {
        fprintf(stderr, "ward: paired, but not reachable far-field: %s\n",
                ward_app_error(app));
        return 0;
    }
    uint8_t out[WARD_DEV_MSG_MAX];
    size_t n = 0;
    ward_pair_channel ch;
    memset(&ch, 0, sizeof ch);
    attach_ctx ac = { { dev, host->crypto, &ch, { 0 }, 0 }, cloud };
    ward_err err = ward_pair_channel_open(dev, host->crypto, &host->rng, ATTACH_CHANNEL, &ch,
                                          out, sizeof out, &n);
    if (err == WARD_OK) {
        err = devlink_exchange(l, out, n, take_open, &ac.cc, why, sizeof why);
    }
    if (err == WARD_OK) {
        err = ward_pair_attach(dev, host->crypto, &ch, (const uint8_t *)cloud, strlen(cloud),
                               out, sizeof out, &n);
    }
    if (err == WARD_OK) {
        err = devlink_exchange(l, out, n, take_attach, &ac, why, sizeof why);
    }
    explicit_bzero(&ch, sizeof ch);
    if (err != WARD_OK) {
        return refused("attach", err, why);
    }
    snprintf(dev->cloud_id, sizeof dev->cloud_id, "%s", cloud);
    if ((err = ward_pair_device_save(dir, dev)) != WARD_OK) {
        return cli_fail("cannot save the device record in %s: %s", dir,
                        cli_file_why(err, errno, NULL));
    }
    char shown[4 * sizeof cloud];
    ward_http_text(shown, sizeof shown, cloud);
    printf("attached: far-field through wardd as %s\n", shown);
    return 0;
}

static int pair_exchange(devlink *l, const uint8_t *msg, size_t n, capture *cap,
                         const char *what)
{
    char why[MSG_MAX];
    ward_err err = devlink_exchange(l, msg, n, take_any, cap, why, sizeof why);
    return err == WARD_OK ? 0 : refused(what, err, why);
}

static int read_pin(const ward_dev_info *info, const char *given, char *pin, size_t cap)
{
    if (given != NULL) {
        snprintf(pin, cap, "%s", given);
        return 0;
    }
    fprintf(stderr, "device %s (%s, %s) shows a PIN; type it: ", info->id, info->name,
            info->type);
    fflush(stderr);
    if (fgets(pin, (int)cap, stdin) == NULL) {
        return cli_fail("no PIN given");
    }
    pin[strcspn(pin, "\r\n")] = '\0';
    return 0;
}

int cmd_app_pair(int argc, char **argv)
{
    const char *dir = NULL, *device = NULL, *near = NULL, *pin_arg = NULL, *name = NULL;
    const char *no_cid = NULL, *udidx_hex = NULL, *no_attach = NULL, *timeout = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "device", true, &device }, { "near", true, &near },
        { "pin", true, &pin_arg }, { "name", true, &name },
        { "no-client-id", false, &no_cid }, { "udidx", true, &udidx_hex },
        { "no-attach", false, &no_attach }, { "timeout", true, &timeout },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || device == NULL) {
        return cli_usage("usage: ward app pair --dir A --device ID [--near HOST:PORT] "
                         "[--pin PIN] [--name APP] [--no-client-id] [--udidx HEX] "
                         "[--no-attach] [--timeout MS]");
    }
    unsigned long timeout_ms = 0;
    if ((rc = cli_number_opt("timeout", timeout, DEFAULT_TIMEOUT_MS, 1, TIMEOUT_MS_MAX,
                             &timeout_ms)) != 0 ||
        (rc = check_near(near)) != 0) {
        return rc;
    }
    ward_host host;
    ward_host_init(&host);
    uint8_t cid[WARD_CLIENT_ID_MAX], udidx[WARD_DEV_UDIDX_MAX];
    size_t cid_len = 0, udidx_len = 0;
    if (no_cid == NULL && (rc = client_id(dir, &host, cid, &cid_len)) != 0) {
        return rc;
    }
    if (udidx_hex != NULL) {
        if (ward_hex_decode(udidx_hex, strlen(udidx_hex), udidx, sizeof udidx, &udidx_len) !=
                WARD_OK || udidx_len == 0) {
            return cli_usage("--udidx: 1-64 bytes of hex expected");
        }
    } else {
        default_udidx(udidx, &udidx_len);
    }
    devlink l;
    memset(&l, 0, sizeof l);
    snprintf(l.near, sizeof l.near, "%s", near ? near : "127.0.0.1:5683");
    l.timeout_ms = (unsigned)timeout_ms;
    const char *app_name = name ? name : "ward app";

    ward_pair p;
    ward_pair_device dev;
    ward_dev_info info;
    memset(&p, 0, sizeof p);
    memset(&dev, 0, sizeof dev);
    memset(&info, 0, sizeof info);
    uint8_t out[WARD_DEV_MSG_MAX];
    size_t n = 0;
    capture cap;
    char pin[32] = "";
    bool have_pin = false, said_busy = false;
    unsigned backoff = BACKOFF_FIRST_MS, takeovers = 0;
    long long busy_until = cli_mono_ms() + BUSY_RETRY_MS;
    ward_err err = WARD_OK;
    /* Every app of the window types its one PIN, so a binding whose slot
     * was taken over starts again without asking the person. */
    for (;;) {
        ward_pair_wipe(&p);
        err = ward_pair_start(&p, host.crypto, &host.rng, udidx, udidx_len, cid, cid_len,
                              (const uint8_t *)app_name, strlen(app_name), out, sizeof out,
                              &n);
        if (err != WARD_OK) {
            rc = cli_usage("cannot start the binding: %s", ward_strerror(err));
            break;
        }
        if ((rc = pair_exchange(&l, out, n, &cap, "PIN request")) != 0) {
            break;
        }
        err = ward_pair_on_pin(&p, cap.msg, cap.len, &info);
        if (err == WARD_ERR_BUSY && cli_mono_ms() < busy_until) {
            if (!said_busy) {
                fprintf(stderr, "ward: the device is busy with other bindings; "
                                "asking again\n");
                said_busy = true;
            }
            back_off(&backoff);
            continue;
        }
        if (err != WARD_OK) {
            rc = refused("PIN request", err, "");
            break;
        }
        if (strcmp(info.id, device) != 0) {
            rc = cli_fail("the device at %s is %s, not %s", l.near, info.id, device);
            break;
        }
        if (!have_pin && (rc = read_pin(&info, pin_arg, pin, sizeof pin)) != 0) {
            break;
        }
        have_pin = true;
        err = ward_pair_pake_init(&p, (const uint8_t *)pin, strlen(pin), out, sizeof out, &n);
        if (err != WARD_OK) {
            rc = cli_usage("the PIN is %d digits", WARD_DEV_PIN_LEN);
            break;
        }
        if ((rc = pair_exchange(&l, out, n, &cap, "binding")) != 0) {
            break;
        }
        err = ward_pair_on_pake_init(&p, cap.msg, cap.len, out, sizeof out, &n);
        if (err == WARD_ERR_NOTFOUND && takeovers < TAKEOVER_TRIES) {
            takeovers++;
            back_off(&backoff);
            continue;
        }
        rc = err == WARD_OK ? pair_exchange(&l, out, n, &cap, "binding")
                            : refused("binding", err, "");
        break;
    }
    if (rc == 0) {
        err = ward_pair_on_pake_finish(&p, cap.msg, cap.len, &dev);
        if (err != WARD_OK) {
            rc = refused("binding", err, "");
        }
    }
    explicit_bzero(pin, sizeof pin);
    if (rc != 0 && info.id[0] != '\0') {
        /* Free the device's binding slot now rather than at its expiry
         * (best effort: the device ends it anyway). A failed step (a wrong
         * PIN) wiped p's secrets but kept the CliID that names the slot. */
        if (ward_pair_end(&p, out, sizeof out, &n) == WARD_OK) {
            char why[MSG_MAX];
            l.timeout_ms = l.timeout_ms < 1000 ? l.timeout_ms : 1000;
            (void)devlink_exchange(&l, out, n, take_any, &cap, why, sizeof why);
        }
    }
    ward_pair_wipe(&p);
    ward_err saved = rc == 0 ? ward_pair_device_save(dir, &dev) : WARD_OK;
    if (saved != WARD_OK) {
        rc = cli_fail("cannot save the device record in %s: %s", dir,
                      cli_file_why(saved, errno, NULL));
    }
    if (rc == 0) {
        near_save(dir, dev.id, l.near);
        printf("paired with %s (%s, %s) as key index %u\n", dev.id, dev.name, dev.type,
               dev.key_index);
        ward_app app;
        if (no_attach == NULL && app_account(&app, &host, dir)) {
            rc = attach(&app, &host, &l, &dev, dir);
            ward_app_close(&app);
        }
    }
    ward_pair_device_wipe(&dev);
    wcoap_app_close();
    return rc;
}

/* ---- ward app send ---- */

/* Whether cmd may run twice with the effect of once: the lamp's on, off,
 * status, whoami and echo. Anything else (toggle, a word this CLI does
 * not know) is taken as not idempotent. */
static bool command_idempotent(const char *cmd)
{
    static const char *const words[] = { "on", "off", "status", "whoami", "echo" };
    size_t len = strcspn(cmd, " ");
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strlen(words[i]) == len && strncmp(cmd, words[i], len) == 0) {
            return true;
        }
    }
    return false;
}

/* One command and its reply. The device answers nothing to what it
 * cannot verify, a channel it no longer knows included (it restarted):
 * on no answer (near-field: the bare 4.00 that carries the silence),
 * open the channel again and learn what became of the command. LOST
 * (the device restarted and lost the channel) does not say whether the
 * command ran before the restart: the device keeps no record of
 * commands across power cuts. So it is sent again only if it is
 * idempotent; otherwise the outcome is reported unknown (WARD_ERR_STATE)
 * and the person decides (e.g. `status`, then the command again). */
static ward_err send_one(const devlink *l, const ward_host *host, chan_ctx *cc, const char *cmd,
                         char *why, size_t why_cap)
{
    uint8_t out[WARD_DEV_MSG_MAX];
    size_t n = 0;
    unsigned backoff = BACKOFF_FIRST_MS;
    ward_err err = ward_pair_command(cc->dev, host->crypto, cc->ch, (const uint8_t *)cmd,
                                     strlen(cmd), out, sizeof out, &n);
    if (err == WARD_OK) {
        err = devlink_exchange(l, out, n, take_reply, cc, why, why_cap);
    }
    for (unsigned r = 0; r < REOPEN_TRIES && ward_pair_channel_waiting(cc->ch) &&
                         (err == WARD_ERR_AUTH || err == WARD_ERR_IO); r++) {
        back_off(&backoff);
        err = ward_pair_channel_reopen(cc->dev, host->crypto, &host->rng, cc->ch, out,
                                       sizeof out, &n);
        if (err == WARD_OK) {
            err = devlink_exchange(l, out, n, take_open, cc, why, why_cap);
        }
        if (err != WARD_OK) {
            continue;   /* the re-open went unanswered too: again, later */
        }
        switch (ward_pair_channel_fate(cc->ch)) {
        case WARD_PAIR_FATE_LOST:
            if (!command_idempotent(cmd)) {
                snprintf(why, why_cap, "outcome unknown: the device restarted (it lost the "
                                       "channel) and may have run the command before; not "
                                       "sent again, it is not idempotent");
                return WARD_ERR_STATE;
            }
            fprintf(stderr, "ward: the device had lost the channel (a restart?); sending "
                            "the command again\n");
            err = ward_pair_command(cc->dev, host->crypto, cc->ch, (const uint8_t *)cmd,
                                    strlen(cmd), out, sizeof out, &n);
            if (err == WARD_OK) {
                err = devlink_exchange(l, out, n, take_reply, cc, why, why_cap);
            }
            break;
        case WARD_PAIR_FATE_TAKEN:
            snprintf(why, why_cap, "the device took the command, but its reply was lost");
            return WARD_ERR_IO;
        default:
            snprintf(why, why_cap, "the device did not take the command (it did not verify "
                                   "or never arrived)");
            return WARD_ERR_AUTH;
        }
    }
    return err;
}

int cmd_app_send(int argc, char **argv)
{
    const char *dir = NULL, *device = NULL, *via = NULL, *near = NULL, *timeout = NULL;
    const char *channel = NULL, *repeat = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "device", true, &device }, { "via", true, &via },
        { "near", true, &near }, { "timeout", true, &timeout }, { "channel", true, &channel },
        { "repeat", true, &repeat },
    };
    char *pos[32];
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), pos, 32, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || device == NULL || npos == 0 ||
        (via && strcmp(via, "near") != 0 && strcmp(via, "far") != 0)) {
        return cli_usage("usage: ward app send --dir A --device ID [--via near|far] "
                         "[--near HOST:PORT] [--channel N] [--repeat N] [--timeout MS] CMD...");
    }
    char cmd[WARD_DEV_DATA_MAX + 1] = "";
    for (int i = 0; i < npos; i++) {
        if (strlen(cmd) + strlen(pos[i]) + 2 > sizeof cmd) {
            return cli_usage("the command is longer than %d bytes", WARD_DEV_DATA_MAX);
        }
        if (i > 0) {
            strcat(cmd, " ");
        }
        strcat(cmd, pos[i]);
    }
    unsigned long timeout_ms = 0, chan_n = 0, times_n = 0;
    if ((rc = cli_number_opt("timeout", timeout, DEFAULT_TIMEOUT_MS, 1, TIMEOUT_MS_MAX,
                             &timeout_ms)) != 0 ||
        (rc = cli_number_opt("channel", channel, 1, 0, UINT32_MAX, &chan_n)) != 0 ||
        (rc = cli_number_opt("repeat", repeat, 1, 1, REPEAT_MAX, &times_n)) != 0 ||
        (rc = check_near(near)) != 0) {
        return rc;
    }
    ward_host host;
    ward_host_init(&host);
    ward_pair_device dev;
    ward_err err = ward_pair_device_load(dir, device, &dev);
    if (err == WARD_ERR_NOTFOUND) {
        return cli_fail("this app has not paired %s (run ward app pair)", device);
    }
    if (err != WARD_OK) {
        return cli_fail("cannot read the record of %s in %s: %s", device, dir,
                        cli_file_why(err, errno, "not a device record (damaged, or "
                                     "another file)"));
    }
    devlink l;
    memset(&l, 0, sizeof l);
    l.timeout_ms = (unsigned)timeout_ms;
    bool have_near = near ? (snprintf(l.near, sizeof l.near, "%s", near), true)
                          : near_load(dir, device, l.near, sizeof l.near);
    l.far = via ? strcmp(via, "far") == 0 : !have_near;
    ward_app app;
    bool have_app = false;
    if (l.far) {
        if (dev.cloud_id[0] == '\0') {
            ward_pair_device_wipe(&dev);
            return cli_fail("%s is not reachable far-field from this app (pair it with a "
                            "registered app)", device);
        }
        have_app = app_account(&app, &host, dir);
        if (!have_app) {
            ward_pair_device_wipe(&dev);
            return cli_fail("far-field needs the app's wardd account (ward app register)");
        }
        l.app = &app;
        snprintf(l.cloud_id, sizeof l.cloud_id, "%s", dev.cloud_id);
    } else if (!have_near) {
        ward_pair_device_wipe(&dev);
        return cli_fail("no near-field address for %s: give --near HOST:PORT", device);
    }
    ward_pair_channel ch;
    memset(&ch, 0, sizeof ch);
    chan_ctx cc = { &dev, host.crypto, &ch, { 0 }, 0 };
    uint8_t out[WARD_DEV_MSG_MAX];
    size_t n = 0;
    char why[MSG_MAX] = "";
    uint32_t chan_id = (uint32_t)chan_n;
    /* Opening an open channel resumes it: its counters and replay windows
     * carry on, whichever link the last message took. */
    err = ward_pair_channel_open(&dev, host.crypto, &host.rng, chan_id, &ch, out, sizeof out,
                                 &n);
    if (err == WARD_OK) {
        err = devlink_exchange(&l, out, n, take_open, &cc, why, sizeof why);
    }
    if (err != WARD_OK) {
        rc = refused("channel open", err, why);
    }
    unsigned times = (unsigned)times_n;
    for (unsigned i = 0; rc == 0 && i < times; i++) {
        err = send_one(&l, &host, &cc, cmd, why, sizeof why);
        if (err != WARD_OK) {
            rc = refused("command", err, why);
            break;
        }
        printf("%.*s\n", (int)cc.data_len, (const char *)cc.data);
        fflush(stdout);
        /* A reply "error: ..." is the device refusing the command (an
         * unknown one, say): a failure for whoever scripts this. */
        if (cc.data_len >= 6 && memcmp(cc.data, "error:", 6) == 0) {
            rc = cli_fail("%s refused the command", device);
        }
    }
    explicit_bzero(&cc, sizeof cc);
    explicit_bzero(&ch, sizeof ch);
    ward_pair_device_wipe(&dev);
    if (have_app) {
        ward_app_close(&app);
    }
    wcoap_app_close();
    return rc;
}

/* ---- ward app discover ---- */

typedef struct probe {
    char addr[300];
    char info[512];
    bool found;
    pthread_t th;
} probe;

static void *probe_one(void *arg)
{
    probe *p = arg;
    p->found = wcoap_get(p->addr, "ward/info", p->info, sizeof p->info, 1500) == WARD_OK;
    return NULL;
}

static int parse_scan(const char *scan, char *host, size_t cap, unsigned *lo, unsigned *hi)
{
    char buf[300];
    snprintf(buf, sizeof buf, "%s", scan);
    char *dash = strrchr(buf, '-');
    if (dash == NULL) {
        return wcoap_split(buf, host, cap, lo) == WARD_OK ? (*hi = *lo, 0) : -1;
    }
    *dash = '\0';
    char *end = NULL;
    unsigned long h = strtoul(dash + 1, &end, 10);
    if (wcoap_split(buf, host, cap, lo) != WARD_OK || *end != '\0' || h < *lo || h > 65535 ||
        h - *lo >= SCAN_MAX) {
        return -1;
    }
    *hi = (unsigned)h;
    return 0;
}

int cmd_app_discover(int argc, char **argv)
{
    const char *dir = NULL, *scan = NULL, *json = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "scan", true, &scan }, { "json", false, &json },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    char host_s[256];
    unsigned lo = WCOAP_DEFAULT_PORT, hi = WCOAP_DEFAULT_PORT;
    if (dir == NULL || parse_scan(scan ? scan : "127.0.0.1:5683", host_s, sizeof host_s, &lo,
                                  &hi) != 0) {
        return cli_usage("usage: ward app discover --dir A [--scan HOST:PORT[-PORT]] [--json] "
                         "(at most %d ports)", SCAN_MAX);
    }
    if (json != NULL) {
        cli_json_begin();
    }
    cJSON *doc = json != NULL ? cJSON_CreateObject() : NULL;
    cJSON *found = doc != NULL ? cJSON_AddArrayToObject(doc, "devices") : NULL;
    if (json != NULL && found == NULL) {
        cJSON_Delete(doc);
        return cli_fail("out of memory");
    }
    /* The LAN: /ward/info of every address, all at once. */
    size_t np = hi - lo + 1;
    probe *ps = calloc(np, sizeof *ps);
    if (ps == NULL) {
        cJSON_Delete(doc);
        return cli_fail("out of memory");
    }
    for (size_t i = 0; i < np; i++) {
        snprintf(ps[i].addr, sizeof ps[i].addr, strchr(host_s, ':') ? "[%s]:%u" : "%s:%u",
                 host_s, lo + (unsigned)i);
        if (pthread_create(&ps[i].th, NULL, probe_one, &ps[i]) != 0) {
            probe_one(&ps[i]);
            ps[i].th = 0;
        }
    }
    for (size_t i = 0; i < np; i++) {
        if (ps[i].th != 0) {
            pthread_join(ps[i].th, NULL);
        }
    }
    /* The cloud: this user's attachments. */
    ward_host host;
    ward_host_init(&host);
    ward_app app;
    ward_app_cloud_devices cloud = { NULL, 0, 0 };
    if (app_account(&app, &host, dir)) {
        if (ward_app_devices(&app, &cloud, NULL) != WARD_OK) {
            fprintf(stderr, "ward: no cloud list: %s\n", ward_app_error(&app));
        }
        ward_app_close(&app);
    }
    size_t both = 0;
    for (size_t i = 0; i < np; i++) {
        if (!ps[i].found) {
            continue;
        }
        cJSON *o = cJSON_Parse(ps[i].info);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(o, "type");
        if (cJSON_IsString(id) && cJSON_IsString(nm) && cJSON_IsString(ty)) {
            const char *cid = NULL;
            for (size_t k = 0; k < cloud.count; k++) {
                if (strcmp(cloud.devices[k].device, id->valuestring) == 0) {
                    cid = cloud.devices[k].cloud_id;
                }
            }
            /* The device's words and wardd's, printed escaped. */
            char eid[96], enm[160], ety[64], ecid[96];
            ward_http_text(eid, sizeof eid, id->valuestring);
            ward_http_text(enm, sizeof enm, nm->valuestring);
            ward_http_text(ety, sizeof ety, ty->valuestring);
            ward_http_text(ecid, sizeof ecid, cid);
            both += cid != NULL;
            if (doc != NULL) {
                cJSON *d = cli_json_push(found);
                cJSON_AddStringToObject(d, "where", cid ? "both" : "lan");
                cJSON_AddStringToObject(d, "id", eid);
                cJSON_AddStringToObject(d, "near", ps[i].addr);
                cJSON_AddStringToObject(d, "name", enm);
                cJSON_AddStringToObject(d, "type", ety);
                cli_json_str_or_null(d, "cloud_id", cid ? ecid : NULL);
                cJSON_Delete(o);
                continue;
            }
            printf("%s %s near=%s name=\"%s\" type=%s%s%s\n", cid ? "both" : "lan ", eid,
                   ps[i].addr, enm, ety, cid ? " cloud=" : "", ecid);
        }
        cJSON_Delete(o);
    }
    for (size_t k = 0; k < cloud.count; k++) {
        const ward_app_cloud_device *cd = &cloud.devices[k];
        bool seen = false;
        for (size_t i = 0; i < np; i++) {
            char pat[64];
            snprintf(pat, sizeof pat, "\"id\":\"%s\"", cd->device);
            seen |= ps[i].found && strstr(ps[i].info, pat) != NULL;
        }
        if (!seen) {
            /* Checked by the client library (a device id, 32 hex digits),
             * printed escaped all the same. */
            char ed[96], ec[96];
            ward_http_text(ed, sizeof ed, cd->device);
            ward_http_text(ec, sizeof ec, cd->cloud_id);
            if (doc != NULL) {
                cJSON *j = cli_json_push(found);
                cJSON_AddStringToObject(j, "where", "cloud");
                cJSON_AddStringToObject(j, "id", ed);
                cJSON_AddNullToObject(j, "near");
                cJSON_AddNullToObject(j, "name");
                cJSON_AddNullToObject(j, "type");
                cJSON_AddStringToObject(j, "cloud_id", ec);
            } else {
                printf("cloud %s cloud=%s\n", ed, ec);
            }
        }
    }
    ward_app_cloud_devices_free(&cloud);
    free(ps);
    if (doc != NULL) {
        cJSON_AddNumberToObject(doc, "both", (double)both);
        return cli_json_end(doc);
    }
    printf("%zu device(s) both on the LAN and in the cloud list\n", both);
    return 0;
}
