/* `ward device ...`: the CLI playing an IoT device (flow D) that several
 * apps bind to. The device core (ward_device.h) decides everything; this
 * file moves its messages over CoAP (near) and wardd (far) at once, and
 * plays the device's local pairing button (start, stdin, SIGUSR1) and the
 * owner's close (SIGUSR2). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fw_device.h"
#include "coap_ward.h"
#include "sectime.h"
#include "identity.h"
#include "state.h"
#include "keystore.h"
#include "ward/ward.h"

#define MSG_MAX 256
#define FAR_WAIT_S 3u         /* a long-poll; also how soon a stop is seen */

/* Lines the tests read ("PIN: 123456"): whole, and at once. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

int cmd_device_init(int argc, char **argv)
{
    const char *dir = NULL, *id = NULL, *server = NULL, *factory = NULL, *no_act = NULL;
    const char *name = NULL, *type = NULL, *keystore = NULL, *fw_class = NULL;
    const char *release_pub = NULL;
    cli_id_opts ido = { NULL, NULL, NULL };
    const cli_option opts[] = {
        { "dir", true, &dir }, { "id", true, &id }, { "server", true, &server },
        { "factory-key", true, &factory }, { "no-activate", false, &no_act },
        { "name", true, &name }, { "type", true, &type }, { "keystore", true, &keystore },
        { "cert", true, &ido.cert }, { "factory-cert", true, &ido.factory_cert },
        { "fw-class", true, &fw_class }, { "release-pub", true, &release_pub },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    ido.factory_key = factory;
    if (dir == NULL || id == NULL || server == NULL ||
        (factory == NULL && no_act == NULL && ido.cert == NULL)) {
        return cli_usage("usage: ward device init --dir D --id ID --server URL "
                         "--factory-key FILE [--factory-cert FILE] [--cert FILE] [--name N] "
                         "[--type T] [--no-activate] [--keystore URI] [--fw-class C --release-pub F]");
    }
    if ((rc = cli_identity_usage(&ido)) != 0) {
        return rc;
    }
    if ((rc = cli_server_opt(&server)) != 0 ||
        (rc = fw_device_check_opts(fw_class, release_pub)) != 0) {
        return rc;
    }
    cli_keystore_option(keystore);
    ward_agent_state dd;
    if ((rc = cli_state_create(&dd, WARD_AGENT_DEVICE, dir, id, server, name ? name : id,
                               type ? type : "lamp")) != 0) {
        return rc;
    }
    printf("device %s: identity key ready in %s\n", dd.id, dir);
    rc = cli_state_identify(&dd, &ido, WARD_CERT_ROLE_DEVICE);
    if (rc == 0 && fw_class != NULL) {
        rc = fw_device_init(dir, fw_class, release_pub, dd.host.crypto);
    }
    ward_agent_state_close(&dd);
    return rc;
}

/* ---- ward device run ---- */

typedef struct runner {
    ward_agent_state dd;
    pthread_mutex_t mu;
    bool power;            /* the simulated lamp */
    unsigned commands;
    bool window_shown;     /* a pairing window's PIN is on "the display" */
    bool window_failed;    /* its state could not be read: said once */
    bool closing_said;     /* a close the store has not taken yet: said once */
    bool watch_stdin;      /* each line read there is a button press */
} runner;

/* SIGUSR1: the pairing button, pressed from another terminal; SIGUSR2:
 * the owner closes the window. */
static volatile sig_atomic_t button_signal, close_signal;

static void on_button_signal(int sig)
{
    if (sig == SIGUSR2) {
        close_signal = 1;
    } else {
        button_signal = 1;
    }
}

/* The local action that lets apps pair: a new window, a fresh PIN. */
static void press_button(runner *r)
{
    char pin[WARD_DEV_PIN_LEN + 1];
    pthread_mutex_lock(&r->mu);
    ward_err err = ward_dev_open_window(&r->dd.dev, pin);
    pthread_mutex_unlock(&r->mu);
    if (err != WARD_OK) {
        fprintf(stderr, "device: cannot open a pairing window: %s\n", ward_strerror(err));
        return;
    }
    say("pairing window open for %u s, %u wrong PINs close it", WARD_DEV_WINDOW_MS / 1000u,
        (unsigned)WARD_DEV_PIN_MAX_ATTEMPTS);
    say("PIN: %s", pin);
    r->window_shown = true;
    explicit_bzero(pin, sizeof pin);
}

/* The owner closes the window. "closed" is said only once the store no
 * longer holds it (ward_dev_close_window's WARD_OK): a restart right
 * after the answer finds no window. A removal the store refuses leaves
 * the window closing (it takes no binding); watch_window tries again and
 * says "closed" once it is removed. */
static void close_window(runner *r)
{
    pthread_mutex_lock(&r->mu);
    ward_err err = ward_dev_close_window(&r->dd.dev);
    pthread_mutex_unlock(&r->mu);
    if (err != WARD_OK) {
        fprintf(stderr, "device: the pairing window is not closed yet: the store refused its "
                "removal (%s); it takes no binding, and its removal is tried again\n",
                ward_agent_state_strerror(&r->dd, err));
        return;
    }
    say("pairing window closed by the owner");
    r->window_shown = false;
    r->closing_said = false;
}

/* Says once when the window has closed (time, wrong PINs), so the PIN
 * shown is known dead; "closed" only once the store has let go of it. */
static void watch_window(runner *r)
{
    ward_dev_window w;
    pthread_mutex_lock(&r->mu);
    ward_err err = ward_dev_window_state(&r->dd.dev, &w);
    pthread_mutex_unlock(&r->mu);
    if (w.closing) {
        /* The store refused its removal (err): tried again at each look,
         * never called closed before the store lets go of it. */
        if (!r->closing_said) {
            fprintf(stderr, "device: the pairing window is closing: it takes no binding, but "
                    "the store still holds it (%s; a restart would open it again)\n",
                    ward_agent_state_strerror(&r->dd, err));
            r->closing_said = true;
        }
    } else if (err != WARD_OK) {
        /* Asked every 100 ms: said once, not ten times a second. */
        if (!r->window_failed) {
            fprintf(stderr, "device: pairing window: %s\n", ward_strerror(err));
            r->window_failed = true;
        }
    } else if ((r->window_shown || r->closing_said) && !w.open) {
        say("pairing window closed (press Enter or send SIGUSR1 for a new one)");
        r->window_shown = false;
        r->closing_said = false;
    }
    if (err == WARD_OK) {
        r->window_failed = false;
    }
    explicit_bzero(&w, sizeof w);
}

/* A line on standard input is a button press. Read only when input is
 * waiting, and not while in the background of a terminal (a read there
 * would stop the process); end of input stops the watch, not the device. */
static void watch_stdin(runner *r)
{
    if (!r->watch_stdin) {
        return;
    }
    if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) != getpgrp()) {
        return;
    }
    struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
    if (poll(&pfd, 1, 0) != 1) {
        return;
    }
    char buf[256];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EIO)) {
        r->watch_stdin = false;
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            press_button(r);
        }
    }
}

/* What this simulated device does with a command: a lamp. */
static void run_command(runner *r, const ward_dev_event *ev, char *res, size_t cap)
{
    char cmd[WARD_DEV_DATA_MAX + 1];
    memcpy(cmd, ev->data, ev->data_len);
    cmd[ev->data_len] = '\0';
    r->commands++;
    if (strcmp(cmd, "on") == 0 || strcmp(cmd, "off") == 0) {
        r->power = cmd[1] == 'n';
        snprintf(res, cap, "ok power=%s", r->power ? "on" : "off");
    } else if (strcmp(cmd, "toggle") == 0) {
        r->power = !r->power;
        snprintf(res, cap, "ok power=%s", r->power ? "on" : "off");
    } else if (strcmp(cmd, "status") == 0) {
        snprintf(res, cap, "power=%s", r->power ? "on" : "off");
    } else if (strcmp(cmd, "whoami") == 0) {
        snprintf(res, cap, "key_index=%u channel=%u", ev->key_index,
                 (unsigned)ev->channel_id);
    } else if (strncmp(cmd, "echo ", 5) == 0 || strcmp(cmd, "echo") == 0) {
        snprintf(res, cap, "%s", cmd[4] ? cmd + 5 : "");
    } else {
        snprintf(res, cap, "error: unknown command (on, off, toggle, status, whoami, echo)");
    }
    explicit_bzero(cmd, sizeof cmd);
}

/* One received message through the core, under the lock: both links
 * call this. */
static void handle(runner *r, uint8_t kind, const uint8_t *tid, size_t tid_len,
                   const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                   size_t *out_len)
{
    ward_dev_event ev;
    pthread_mutex_lock(&r->mu);
    ward_err err = ward_dev_handle(&r->dd.dev, kind, tid, tid_len, in, in_len, out, cap,
                                   out_len, &ev);
    const char *via = kind == WARD_DEV_NEAR ? "near" : "far";
    switch (ev.type) {
    case WARD_DEV_EV_SHOW_PIN:
        say("PIN: %s", ev.pin);
        break;
    case WARD_DEV_EV_BOUND:
        say("bound: app key index %u (%s)", ev.key_index, via);
        break;
    case WARD_DEV_EV_CHANNEL_OPENED:
        say("channel %u open: app key index %u (%s)", (unsigned)ev.channel_id, ev.key_index,
            via);
        break;
    case WARD_DEV_EV_ATTACHED:
        say("attached: app key index %u reachable through wardd", ev.key_index);
        break;
    case WARD_DEV_EV_COMMAND: {
        char res[WARD_DEV_DATA_MAX];
        run_command(r, &ev, res, sizeof res);
        say("command from key index %u (%s): %.*s -> %s", ev.key_index, via,
            (int)ev.data_len, (const char *)ev.data, res);
        err = ward_dev_reply(&r->dd.dev, ev.key_index, ev.channel_id, (const uint8_t *)res,
                             strlen(res), out, cap, out_len);
        if (err != WARD_OK) {
            *out_len = 0;
        }
        explicit_bzero(res, sizeof res);
        break;
    }
    case WARD_DEV_EV_NONE:
        break;
    }
    pthread_mutex_unlock(&r->mu);
    explicit_bzero(&ev, sizeof ev);
    if (err != WARD_OK) {
        fprintf(stderr, "device: refused a %s message: %s\n", via, ward_strerror(err));
    }
}

static void on_near(void *ctx, const uint8_t *tid, size_t tid_len, const uint8_t *in,
                    size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    handle(ctx, WARD_DEV_NEAR, tid, tid_len, in, in_len, out, cap, out_len);
}

/* One message from the inbox through the core, its answer back. */
static void far_message(void *arg, const char *cloud_id, const uint8_t *in, size_t in_len)
{
    runner *r = arg;
    if (cloud_id == NULL || cloud_id[0] == '\0' || strlen(cloud_id) > WARD_DEV_TID_MAX) {
        return;
    }
    uint8_t out[WARD_MSG_MAX];
    size_t out_len = 0;
    /* Far-field the transport id is the cloud device id wardd routed by. */
    handle(r, WARD_DEV_FAR, (const uint8_t *)cloud_id, strlen(cloud_id), in, in_len, out,
           sizeof out, &out_len);
    if (out_len == 0) {
        return;
    }
    char why[MSG_MAX];
    if (ward_agent_dev_reply(&r->dd.link, cloud_id, out, out_len, why, sizeof why) != 0) {
        fprintf(stderr, "device: reply not relayed: %s\n", why);
    }
}

static void far_note(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "device: %s\n", line);
}

/* The far field, through the agent, until a stop signal. */
static void *far_loop(void *arg)
{
    runner *r = arg;
    r->dd.link.cancelled = cli_cancelled;
    r->dd.link.cancel_ctx = NULL;
    ward_agent_dev_loop(&r->dd.link, FAR_WAIT_S, far_message, r, far_note);
    return NULL;
}

static int serve(runner *r, const char *listen, bool far, bool window)
{
    char host[256];
    unsigned port = 0;
    if (wcoap_split(listen, host, sizeof host, &port) != WARD_OK) {
        return cli_usage("--listen HOST:PORT expected, not '%s'", listen);
    }
    ward_dev_info info;
    if (ward_dev_get_info(&r->dd.dev, &info) != WARD_OK) {
        return cli_fail("the device in %s has no identity (run ward device init)", r->dd.dir);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", info.id);
    cJSON_AddStringToObject(o, "name", info.name);
    cJSON_AddStringToObject(o, "type", info.type);
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    wcoap_dev *coap = NULL;
    unsigned bound = 0;
    ward_err err = json ? wcoap_dev_start(&coap, host, port, json, on_near, r, &bound)
                        : WARD_ERR_NOSPACE;
    int os = errno;
    cJSON_free(json);
    if (err != WARD_OK) {
        return cli_fail("cannot listen on udp %s: %s", listen,
                        err == WARD_ERR_IO && os != 0 ? strerror(os) : ward_strerror(err));
    }
    say("device %s: near coap://%s:%u", info.id, host, bound);
    pthread_t th;
    bool have_far = false;
    if (far) {
        have_far = pthread_create(&th, NULL, far_loop, r) == 0;
        if (have_far) {
            say("device %s: far through %s", info.id, r->dd.server);
        }
    }
    /* Starting the device is a local action: the first window opens.
     * Not with --no-window (a restart after a crash or a power cut is
     * nobody's action): a window the store still holds goes on. */
    if (window) {
        press_button(r);
    } else {
        ward_dev_window w;
        pthread_mutex_lock(&r->mu);
        ward_err werr = ward_dev_window_state(&r->dd.dev, &w);
        pthread_mutex_unlock(&r->mu);
        if (werr == WARD_OK && w.open) {
            say("pairing window still open from before the restart: %u s and %u wrong PINs "
                "left", (unsigned)(w.remaining_ms / 1000u), w.attempts_left);
            say("PIN: %s", w.pin);
            r->window_shown = true;
        } else if (werr == WARD_OK) {
            say("no pairing window open (press Enter or send SIGUSR1 for one)");
        }
        explicit_bzero(&w, sizeof w);
    }
    while (!cli_stopping) {
        wcoap_dev_step(coap, 100);
        if (button_signal) {
            button_signal = 0;
            press_button(r);
        }
        if (close_signal) {
            close_signal = 0;
            close_window(r);
        }
        watch_stdin(r);
        watch_window(r);
    }
    if (have_far) {
        pthread_join(th, NULL);
    }
    wcoap_dev_stop(coap);
    say("device %s: stopped after %u commands", info.id, r->commands);
    return 0;
}

#define RUN_USAGE "usage: ward device run --dir D [--server URL] [--listen HOST:PORT] [--no-far] " \
                  "[--no-window] [--time-every S]"

/* `ward device run --help` (doc_misc.c) states the pairing window's
 * numbers: it must change with them. */
typedef char window_is_180_s[WARD_DEV_WINDOW_MS == 180000u ? 1 : -1];
typedef char five_wrong_pins[WARD_DEV_PIN_MAX_ATTEMPTS == 5 ? 1 : -1];

int cmd_device_run(int argc, char **argv)
{
    const char *dir = NULL, *server = NULL, *listen = NULL, *no_far = NULL, *every_s = NULL;
    const char *no_window = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "server", true, &server }, { "listen", true, &listen },
        { "no-far", false, &no_far }, { "time-every", true, &every_s },
        { "no-window", false, &no_window },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    unsigned long every = 0;
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage(RUN_USAGE " (see --help)");
    }
    if ((rc = cli_number_opt("time-every", every_s, SECTIME_EVERY_S, 1, 86400, &every)) != 0) {
        return rc;
    }
    if ((rc = cli_server_opt(&server)) != 0) {
        return rc;
    }
    static runner r;
    memset(&r, 0, sizeof r);
    if ((rc = cli_state_open(&r.dd, WARD_AGENT_DEVICE, dir)) != 0) {
        return rc;
    }
    if (server != NULL && ward_agent_state_set_server(&r.dd, server) != WARD_OK) {
        ward_agent_state_close(&r.dd);
        return cli_usage("%s", r.dd.why);
    }
    /* Secure time (sectime.h): the window's end told on it, synced now and then. */
    if ((rc = sectime_keep(r.dd.server, (unsigned)every, r.dd.id)) != 0) {
        ward_agent_state_close(&r.dd);
        return rc;
    }
    pthread_mutex_init(&r.mu, NULL);
    r.dd.mu = &r.mu;
    r.watch_stdin = true;
    cli_catch_stop();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_button_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    /* A read from the terminal while in the background fails (EIO)
     * instead of stopping the process. */
    signal(SIGTTIN, SIG_IGN);
    rc = serve(&r, listen ? listen : "127.0.0.1:5683", no_far == NULL && r.dd.server[0],
               no_window == NULL);
    ward_agent_state_close(&r.dd);
    sectime_close();
    pthread_mutex_destroy(&r.mu);
    explicit_bzero(&r, sizeof r);
    return rc;
}
