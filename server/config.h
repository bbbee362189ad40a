/*
 * config.h - wardd's settings: defaults, a `key = value` file, then flags.
 *
 * Every setting has a long flag and a file key of the same name
 * (`--db FILE` and `db = FILE`); flags override the file. The
 * manufacturer public key file (--factory-pub) holds the 65-byte
 * uncompressed P-256 point as 130 hex digits, optionally followed by a
 * newline: the form `ward factory keygen` writes to factory.pub.
 */
#ifndef WARDD_CONFIG_H
#define WARDD_CONFIG_H

#include "wardd.h"

#define WARDD_PARSE_RUN 0      /* start the server */
#define WARDD_PARSE_EXIT 1     /* --help or --version answered: exit 0 */
#define WARDD_PARSE_ERROR 2    /* bad usage, said on stderr: exit 2 */

#if defined(__GNUC__)
#define WARDD_CONFIG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define WARDD_CONFIG_PRINTF(a, b)
#endif

/* Defaults, then the --config file, then the flags; complaints on stderr. */
int wardd_config_parse(int argc, char **argv, wardd_config *cfg);

/* The same for SIGHUP, into a fresh *next: nothing on stderr, the first
 * complaint in why (for the log). WARDD_PARSE_RUN when next is good. */
int wardd_config_reload(int argc, char **argv, wardd_config *next, char *why, size_t cap);

/* For each setting that differs between *cur and *next, calls fn with its
 * name and whether it was applied: the live ones (task-ttl, op-ttl,
 * sms-per-phone, sms-per-addr, time-per-addr) are stored into *cur
 * atomically, to be read with WARDD_LIVE; the others wait for a restart. */
void wardd_config_live(wardd_config *cur, const wardd_config *next,
                       void (*fn)(void *ctx, const char *name, bool applied), void *ctx);

/* Reads the factory.pub form above and checks the point is on the curve. */
ward_err wardd_factory_pub_load(const ward_crypto *cp, const char *path,
                                uint8_t pub[WARD_P256_POINT_LEN]);

#endif /* WARDD_CONFIG_H */
