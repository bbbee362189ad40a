/*
 * cli.h - what the `ward` tool's commands share.
 *
 * Each command is one function taking the arguments after its name. It
 * returns the process exit code: 0 on success; on failure it has printed
 * exactly one line to stderr through cli_fail() saying what went wrong.
 * Usage errors exit with 2, every other failure with 1.
 */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_err.h"

#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

typedef int (*cli_command_fn)(int argc, char **argv);

/* What each command does and takes is in its help table (doc.h). */
typedef struct cli_command {
    const char *path;     /* "selftest", "lock init", ... */
    cli_command_fn run;
} cli_command;

/* Prints "ward: <message>" to stderr and returns CLI_EXIT_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "ward: <message>" to stderr and returns CLI_EXIT_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Option parsing shared by every command: long options only, each either
 * a flag (`--verbose`) or taking one value (`--dir D` or `--dir=D`). */
typedef struct cli_option {
    const char *name;     /* without the dashes */
    bool takes_value;
    const char **value;   /* set to the value, or to "" for a flag */
} cli_option;

/* The number of entries of an option table (cli_parse's nopts). */
#define CLI_NOPTS(opts) ((int)(sizeof(opts) / sizeof((opts)[0])))

/* Fills the options; positional arguments are collected into pos (up to
 * pos_cap). Returns 0, or prints a usage line and returns CLI_EXIT_USAGE.
 * Given --help or -h it prints the command's help instead and returns
 * CLI_HELP_SHOWN (help.h), which the command returns as it is. */
int cli_parse(int argc, char **argv, const cli_option *opts, int nopts,
              char **pos, int pos_cap, int *npos);

/* The options of a listing command, `--dir D [--json]`: *dir is required
 * (else the usage line, CLI_EXIT_USAGE); *json is set when --json is given,
 * and then stdout goes to stderr until the document (cli_json_begin).
 * Returns 0, CLI_EXIT_USAGE or CLI_HELP_SHOWN, as cli_parse. */
int cli_parse_listing(int argc, char **argv, const char *usage, const char **dir,
                      const char **json);

/* Why a file operation failed, for a person: the OS's text
 * (strerror(os_errno): "Read-only file system", "No such file or
 * directory", "No space left on device") for WARD_ERR_IO and
 * WARD_ERR_NOTFOUND, not_what for WARD_ERR_FORMAT ("not a key file"),
 * ward_strerror(err) for the rest. os_errno: what the ward_files.h call
 * or the file port (ward_file_port.os_errno) left. */
const char *cli_file_why(ward_err err, int os_errno, const char *not_what);

/* A whole binary file of at most cap bytes into buf (*len its length); what
 * names it in the complaint ("certificate"). 0 or an exit code after
 * printing why. */
int cli_read_bin(const char *path, uint8_t *buf, size_t cap, size_t *len, const char *what);

/* A whole number of seconds, 0..86400 (a day); -1 for anything else. */
int cli_seconds(const char *text, unsigned *seconds);
/* The value of option --name (text, NULL when not given: dflt) read by
 * cli_seconds(). Returns 0, or prints a usage line and returns
 * CLI_EXIT_USAGE. */
int cli_seconds_opt(const char *name, const char *text, unsigned dflt, unsigned *seconds);

/* The value of option --name (text, NULL when not given: dflt), a whole
 * number lo..hi in decimal (no sign, no spaces): counts, indices, ports,
 * milliseconds. Returns 0, or prints a usage line and returns
 * CLI_EXIT_USAGE. */
int cli_number_opt(const char *name, const char *text, unsigned long dflt, unsigned long lo,
                   unsigned long hi, unsigned long *value);

/* The longest --server URL (the lock and device records hold 511). */
#define WARD_CLI_URL_MAX 511
/* --server URL: *url (NULL: not given, 0) must be http:// or https:// with
 * a host, else a usage line and CLI_EXIT_USAGE (ftp:// would be tried, or
 * hang); on 0 *url points to a copy without trailing '/' (wardd's routes
 * are appended to it). */
int cli_server_opt(const char **url);

/* Asks wardd about the app's bindings still marked pending, records those
 * the lock has finished and drops those that expired, each said in one
 * line. Quiet: only those lines and warnings, on standard error, and 0
 * whatever failed; else 1 if asking about any record failed. */
struct ward_app;
int app_sync_locks(struct ward_app *app, unsigned wait_s, bool quiet, int *shown);

/* Long-running roles (lock run, device run, se run) stop cleanly on
 * SIGTERM or SIGINT: cli_catch_stop() sets cli_stopping when one comes
 * (and ignores SIGPIPE from peers that hang up). */
extern volatile sig_atomic_t cli_stopping;
void cli_catch_stop(void);
/* For ward_host.cancelled: true once a stop signal came. */
bool cli_cancelled(void *ctx);
/* Sleeps up to ms, in short steps, returning early once a stop signal
 * came. */
void cli_nap(unsigned ms);
/* The monotonic clock in ms: for deadlines and periods, which the wall
 * clock's steps must not stretch or cut. */
long long cli_mono_ms(void);
/* Lower-case hex of len bytes into out, which holds 2 * len + 1. */
void cli_hex(const uint8_t *in, size_t len, char *out);

int cmd_selftest(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_factory_keygen(int argc, char **argv);
int cmd_factory_cert(int argc, char **argv);
int cmd_factory_revoke(int argc, char **argv);
int cmd_factory_check(int argc, char **argv);
/* Signed firmware update (cmd_fw*.c): the vendor's release key and manifests. */
int cmd_fw_keygen(int argc, char **argv);
int cmd_fw_sign(int argc, char **argv);
int cmd_fw_serve(int argc, char **argv);
/* ... and each device role's update and boot (cmd_fw_role.c). */
int cmd_lock_update(int argc, char **argv);
int cmd_lock_boot(int argc, char **argv);
int cmd_device_update(int argc, char **argv);
int cmd_device_boot(int argc, char **argv);
int cmd_gateway_update(int argc, char **argv);
int cmd_gateway_boot(int argc, char **argv);
int cmd_lock_init(int argc, char **argv);
int cmd_lock_bind(int argc, char **argv);
int cmd_lock_bind_start(int argc, char **argv);
int cmd_lock_bind_finish(int argc, char **argv);
int cmd_lock_clients(int argc, char **argv);
int cmd_lock_sync(int argc, char **argv);
int cmd_lock_request(int argc, char **argv);
int cmd_lock_audit(int argc, char **argv);
int cmd_lock_run(int argc, char **argv);
int cmd_app_register(int argc, char **argv);
int cmd_app_scan(int argc, char **argv);
int cmd_app_status(int argc, char **argv);
int cmd_app_recover(int argc, char **argv);
int cmd_app_forget(int argc, char **argv);
int cmd_app_pending(int argc, char **argv);
int cmd_app_approve(int argc, char **argv);
int cmd_app_deny(int argc, char **argv);
int cmd_app_near(int argc, char **argv);
int cmd_app_revoke(int argc, char **argv);
int cmd_app_clients(int argc, char **argv);
int cmd_app_audit(int argc, char **argv);
int cmd_app_forget_key(int argc, char **argv);
int cmd_se_run(int argc, char **argv);
int cmd_se_host(int argc, char **argv);
/* Flow D (cmd_device.c, cmd_pair.c): an IoT device and its apps. */
int cmd_device_init(int argc, char **argv);
int cmd_device_run(int argc, char **argv);
int cmd_subdevice_init(int argc, char **argv);
int cmd_subdevice_run(int argc, char **argv);
int cmd_app_pair(int argc, char **argv);
int cmd_app_send(int argc, char **argv);
int cmd_app_discover(int argc, char **argv);
/* Flow C (cmd_gateway.c, cmd_provision.c): a gateway and its LAN hand-over. */
int cmd_gateway_init(int argc, char **argv);
int cmd_gateway_run(int argc, char **argv);
int cmd_gateway_reset(int argc, char **argv);
int cmd_gateway_subdevices(int argc, char **argv);
int cmd_app_provision(int argc, char **argv);
int cmd_app_gateways(int argc, char **argv);
/* Secure time (cmd_time.c): every device role syncs and prints it. */
int cmd_lock_time(int argc, char **argv);
int cmd_device_time(int argc, char **argv);
int cmd_gateway_time(int argc, char **argv);
/* Offline peer authentication (cmd_peer.c): two devices, no server. */
int cmd_peer_init(int argc, char **argv);
int cmd_peer_listen(int argc, char **argv);
int cmd_peer_connect(int argc, char **argv);
/* Firmware releases (cmd_fw_publish.c): to and from wardd. */
int cmd_fw_publish(int argc, char **argv);
int cmd_fw_fetch(int argc, char **argv);

#endif /* WARD_CLI_H */
