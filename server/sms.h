/*
 * sms.h - how wardd sends the verification code: one interface, two
 * providers.
 *
 *  - outbox (default): one file per message, DIR/<unix ms>-<n>.json =
 *    {"phone": "...", "text": "..."}, written to a hidden temporary name,
 *    fsynced and renamed, so a reader (the demo, the tests, a forwarding
 *    script) never sees half a message;
 *  - command: runs CMD with the phone as its last argument and the text on
 *    its standard input (fork/exec, no shell: CMD is split on spaces, with
 *    no quoting); exit status 0 means sent.
 *
 * send() may be called from many threads at once.
 */
#ifndef WARDD_SMS_H
#define WARDD_SMS_H

#include "ward/ward_err.h"

typedef struct wardd_sms {
    ward_err (*send)(void *ctx, const char *phone, const char *text);
    void (*close)(void *ctx);
    void *ctx;
    const char *name;            /* "outbox" or "command", for the log */
} wardd_sms;

/* How long a command may take, from its start to its exit; then it is
 * killed (and the message counts as not sent). */
#define WARDD_SMS_COMMAND_TIMEOUT_MS 30000

/* Creates DIR if missing. */
ward_err wardd_sms_outbox_open(const char *dir, wardd_sms *sms);
/* timeout_ms: WARDD_SMS_COMMAND_TIMEOUT_MS (tests give shorter ones). */
ward_err wardd_sms_command_open(const char *cmd, long timeout_ms, wardd_sms *sms);

/* The message texts, with a lifetime in seconds: a bind code names the
 * lock and the account that uploaded the task (the person who types it
 * into the lock binds that account), a phone code the account asking to
 * verify the phone. */
int wardd_sms_text(char *out, unsigned long cap, const char *code,
                   const char *sn, const char *uid, long ttl_s);
int wardd_sms_verify_text(char *out, unsigned long cap, const char *code,
                          const char *uid, long ttl_s);

#endif /* WARDD_SMS_H */
