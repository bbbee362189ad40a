/*
 * gw_subs.h - `ward gateway run`'s sub-devices (flow C): their TCP port,
 * where each frame goes through the core's ward_gw_sub_handle, their table
 * in the gateway's store G/subdevices.bin (records 0x04C0-0x04FF), and the
 * owner's control socket G/gateway.sock (mode 0600) that `ward gateway
 * subdevices` talks to: one request line, answer lines, the last "ok ..."
 * or "error ...". Sub-devices are served once the gateway holds
 * credentials (their keys derive from its localkey).
 */
#ifndef WARD_CLI_GW_SUBS_H
#define WARD_CLI_GW_SUBS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_net.h"
#include "ward/ward_gw_sub.h"
#include "ward/ward_host.h"
#include "ward/ward_port_posix.h"

#define GWS_STORE "subdevices.bin"
#define GWS_STORE_SIZE 8192
#define GWS_CTL "gateway.sock"
/* Sub-device connections at once; a new one evicts the longest idle. */
#define GWS_CONNS 8
/* The pollfds gw_subs_pollfds may fill. */
#define GWS_POLLFDS (2 + GWS_CONNS)

typedef struct gws_conn {
    int fd;
    gw_framer fr;
    bool named;                           /* its channel is id's */
    uint8_t id[WARD_GW_SUB_ID_LEN];
    long long last_ms;
} gws_conn;

typedef struct gw_subs {
    ward_host host;
    ward_file_port fp;
    ward_store st;
    bool store_open;
    ward_gw_sub_gw gw;
    bool ready;                           /* gw holds localkey */
    uint8_t localkey[WARD_GW_SUB_LOCALKEY_LEN];
    /* What a JOIN's identity is checked against (gw_subs_open). */
    bool have_factory, have_root;
    uint8_t factory_pub[WARD_P256_POINT_LEN];
    uint8_t root[WARD_P256_POINT_LEN];
    uint8_t *list_bytes;                  /* the newest revocation list; NULL: none */
    ward_cert_list list;
    char *ctl_path;
    int lsn, ctl;
    gws_conn c[GWS_CONNS];
} gw_subs;

/* Opens the table in dir, the TCP port (all addresses) and the control
 * socket. What sub-devices' identities are checked against: factory_pub,
 * the manufacturer's public key file (factory.pub) whose activations they
 * may carry; root, the root public key file their certificate chains lead
 * to; list, a revocation list of that root (kept in G/revocation.list
 * when newer than the one kept). Each may be NULL, not both keys. 0, or
 * an exit code after saying why. */
int gw_subs_open(gw_subs *s, const char *dir, unsigned port, const char *factory_pub,
                 const char *root, const char *list);
/* The gateway's current localkey (NULL: none yet). A new one restarts the
 * sub-device end: every channel closes, the table stays. */
void gw_subs_localkey(gw_subs *s, const uint8_t *localkey);
/* Fills p with what to poll (at most GWS_POLLFDS); its count. */
size_t gw_subs_pollfds(const gw_subs *s, struct pollfd *p);
/* Serves what poll found in p[0..n) (as gw_subs_pollfds filled it). */
void gw_subs_round(gw_subs *s, const struct pollfd *p, size_t n);
void gw_subs_close(gw_subs *s);

#endif /* WARD_CLI_GW_SUBS_H */
