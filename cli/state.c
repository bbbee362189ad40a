/* The device roles' state directory and activation, said as the CLI says
 * things (state.h). */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "identity.h"
#include "keystore.h"
#include "sectime.h"
#include "ward/ward.h"

#define MSG_MAX 256

static int said(const ward_agent_state *st, ward_err err)
{
    if (err == WARD_OK) {
        return 0;
    }
    return st->usage ? cli_usage("%s", st->why) : cli_fail("%s", st->why);
}

/* The keystore D/keystore (or --keystore) names, NULL for software. */
static int keystore_of(const char *dir, const ward_keystore **ks)
{
    ward_host host;
    ward_host_init(&host);
    int rc = cli_keystore_attach(&host, dir);
    *ks = host.keystore;
    return rc;
}

int cli_state_open(ward_agent_state *st, ward_agent_role role, const char *dir)
{
    const ward_keystore *ks = NULL;
    bool timed = false;
    int rc = keystore_of(dir, &ks);
    if (rc == 0) {
        rc = sectime_open(dir, &timed);
    }
    if (rc != 0) {
        return rc;
    }
    /* The flows' "now": secure time when D has time keys (sectime.h). */
    ward_clock clock = sectime_clock(), sign = sectime_sign_clock();
    rc = said(st, ward_agent_state_open_clock(st, role, dir, ks, &clock, &sign));
    if (rc == 0 && timed && !sectime_synced()) {
        /* No sync yet on this boot: one now, the state let go meanwhile.
         * Without one the flows cannot tell an expiry and refuse. */
        unsigned answers = 0;
        ward_agent_state_release(st);
        ward_err err = sectime_sync(st->server, &answers);
        if (err != WARD_OK) {
            fprintf(stderr, "ward: secure time unknown (%s): what has an expiry is refused "
                    "until a sync (ward %s time --dir %s)\n",
                    err == WARD_ERR_AUTH    ? "fewer time answers agree than needed"
                    : err == WARD_ERR_STATE ? "the servers agree on a time before the floor"
                                            : ward_strerror(err),
                    role == WARD_AGENT_LOCK ? "lock" : "device", dir);
        }
        rc = cli_state_reacquire(st);
    }
    return rc;
}

int cli_state_open_readonly(ward_agent_state *st, ward_agent_role role, const char *dir)
{
    return said(st, ward_agent_state_open_readonly(st, role, dir));
}

int cli_state_create(ward_agent_state *st, ward_agent_role role, const char *dir,
                     const char *id, const char *server, const char *name, const char *type)
{
    const ward_keystore *ks = NULL;
    int rc = keystore_of(dir, &ks);
    return rc != 0 ? rc
                   : said(st, ward_agent_state_create(st, role, dir, id, server, name, type, ks));
}

int cli_state_reacquire(ward_agent_state *st)
{
    return said(st, ward_agent_state_reacquire(st));
}

int cli_hold_take(cli_hold *h)
{
    if (h->held) {
        return 0;
    }
    int rc = cli_state_reacquire(h->st);
    h->held = rc == 0;
    return rc;
}

void cli_hold_drop(void *hold)
{
    cli_hold *h = hold;
    if (h->held) {
        ward_agent_state_release(h->st);
        h->held = false;
    }
}

void cli_note(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "ward: %s\n", line);
}

/* The presented identity's id and key, as the lock or device holds them. */
static int own_identity(ward_agent_state *st, uint8_t id[WARD_SN_MAX], uint8_t *pub,
                        ward_activation *act)
{
    ward_err err = st->role == WARD_AGENT_LOCK ? ward_lock_activation(&st->lock, id, pub, act)
                                               : ward_dev_activation(&st->dev, id, pub, act);
    return err == WARD_OK ? 0 : cli_fail("cannot read the identity key: %s", ward_strerror(err));
}

/* Presents msg (an identity: a chain or an activation) to wardd. */
static int present(ward_agent_state *st, const uint8_t *msg, size_t len)
{
    char why[MSG_MAX];
    if (ward_agent_activate(&st->link, msg, len, why, sizeof why) != 0) {
        return cli_fail("activation: %s", why);
    }
    printf("%s %s activated with wardd at %s\n", st->role == WARD_AGENT_LOCK ? "lock" : "device",
           st->id, st->server);
    return 0;
}

int cli_state_activate(ward_agent_state *st, const char *factory_key)
{
    uint8_t id[WARD_SN_MAX], pub[WARD_P256_POINT_LEN], msg[WARD_ACTIVATION_MAX];
    ward_activation act;
    size_t len = 0;
    int rc = own_identity(st, id, pub, &act);
    /* The manufacturer key: a key file, or a PKCS#11 URI (keystore.h). */
    if (rc == 0) {
        rc = cli_factory_sign(factory_key, st->host.crypto, &act, msg, sizeof msg, &len);
    }
    return rc != 0 ? rc : present(st, msg, len);
}

int cli_state_identify(ward_agent_state *st, const cli_id_opts *o, uint8_t role)
{
    uint8_t id[WARD_SN_MAX], pub[WARD_P256_POINT_LEN], chain[WARD_IDENTITY_MAX];
    ward_activation act;
    size_t len = 0;
    int rc = own_identity(st, id, pub, &act);
    if (rc == 0) {
        rc = cli_identity_save_pub(st->dir, pub);
    }
    if (rc != 0 || !cli_identity_wanted(o)) {
        return rc != 0 || o->factory_key == NULL ? rc : cli_state_activate(st, o->factory_key);
    }
    rc = cli_identity_obtain(st->dir, st->host.crypto, o, role, (const char *)act.sn,
                             act.sn_len, pub, chain, sizeof chain, &len);
    return rc != 0 ? rc : present(st, chain, len);
}
