/* `ward lock|device|gateway update` and `boot`: a device role fetches a release into its other
 * slot and boots it on trial (ward_fw_update.h over the files of fw_device.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fw_device.h"
#include "fw_source.h"
#include "state.h"
#include "ward/ward_agent_state.h"
#include "ward/ward_host.h"

#define CHUNK 16384u
#define READ_TRIES 5

/* One line for each refusal of begin(); the running image is untouched. */
static int refused(ward_err err, const ward_fw_manifest *m, const ward_fw_state *s,
                   const char *dev_class)
{
    char run[WARD_FW_VERSION_MAX + 1];
    fw_version_text(&s->slot[s->running], run);
    switch (err) {
    case WARD_ERR_NOTFOUND:
        return cli_fail("refused: the manifest is signed by another key than the release key; "
                        "running version %s", run);
    case WARD_ERR_AUTH:
        return cli_fail("refused: the manifest's signature does not verify (altered); "
                        "running version %s", run);
    case WARD_ERR_FORMAT:
        return cli_fail("refused: not a manifest; running version %s", run);
    case WARD_ERR_PARAM:
        return cli_fail("refused: the release is for class %.*s, this device is %s; "
                        "running version %s", (int)m->class_len, (const char *)m->dev_class,
                        dev_class, run);
    case WARD_ERR_EXPIRED:
        return cli_fail("refused: counter %lu is not above the confirmed counter %lu "
                        "(a downgrade or a replayed manifest); running version %s",
                        (unsigned long)m->counter, (unsigned long)s->confirmed, run);
    case WARD_ERR_CONFLICT:
        return cli_fail("refused: the release needs counter %lu confirmed first (this device: "
                        "%lu); running version %s", (unsigned long)m->min_counter,
                        (unsigned long)s->confirmed, run);
    case WARD_ERR_NOSPACE:
        return cli_fail("refused: the image (%lu bytes) is larger than a slot (%u bytes)",
                        (unsigned long)m->size, FW_DEVICE_SLOT_SIZE);
    case WARD_ERR_STATE:
        return cli_fail("refused: an image is on trial: boot it (it confirms itself) or let it "
                        "revert first");
    default:
        return cli_fail("cannot start the download: %s", ward_strerror(err));
    }
}

/* The image from off to its end through src into the engine. Bounded
 * retries with back-off on a failed read, each from where it got to. */
static ward_err fetch(fw_device *d, fw_source *src, const uint8_t *mb, size_t ml,
                      const ward_fw_manifest *m, uint32_t off, uint32_t *reached)
{
    static uint8_t buf[CHUNK];
    unsigned tries = 0, nap = 100;
    ward_err err = WARD_OK;
    while (err == WARD_OK && off < m->size && !cli_stopping) {
        size_t want = m->size - off < CHUNK ? m->size - off : CHUNK, got = 0;
        if (src->read(src->ctx, mb, ml, off, buf, want, &got) != 0) {
            if (++tries >= READ_TRIES) {
                break;
            }
            fprintf(stderr, "ward: retrying from byte %lu in %u ms\n", (unsigned long)off, nap);
            cli_nap(nap);
            nap *= 2;
            continue;
        }
        tries = 0;
        nap = 100;
        err = ward_fw_write(&d->u, &d->st, buf, got);
        off += (uint32_t)got;
        if (got < want) {
            break;   /* the source's image ends here */
        }
    }
    *reached = off;
    return err;
}

static int update_run(const char *role_name, ward_agent_role role, int argc, char **argv)
{
    const char *dir = NULL, *server = NULL, *link = NULL;
    const cli_option opts[] = {
        { "dir", true, &dir }, { "server", true, &server }, { "link", true, &link },
    };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL || (server != NULL && link != NULL)) {
        return cli_usage("usage: ward %s update --dir D [--server URL | --link PATH]",
                         role_name);
    }
    if ((rc = cli_server_opt(&server)) != 0) {
        return rc;
    }
    char url[WARD_AGENT_URL_MAX + 1] = "";
    if (server == NULL && link == NULL) {
        /* The role's own wardd, from its init. */
        ward_agent_state st;
        if ((rc = cli_state_open_readonly(&st, role, dir)) != 0) {
            return rc;
        }
        snprintf(url, sizeof url, "%s", st.server);
        ward_agent_state_close(&st);
        server = url;
    }
    ward_host host;
    ward_host_init(&host);
    static fw_device d;
    if ((rc = fw_device_open(&d, dir, host.crypto)) != 0) {
        return rc;
    }
    cli_catch_stop();
    fw_source src;
    rc = link != NULL ? fw_source_link_open(&src, link) : fw_source_http_open(&src, server);
    if (rc != 0) {
        fw_device_close(&d);
        return rc;
    }
    uint8_t mb[WARD_FW_MANIFEST_MAX];
    size_t ml = 0;
    ward_fw_manifest m;
    ward_fw_state s;
    memset(&m, 0, sizeof m);
    rc = src.manifest(src.ctx, d.dev_class, mb, sizeof mb, &ml);
    if (rc == 3) {
        printf("no release for class %s\n", d.dev_class);
        rc = 0;
        goto out;
    }
    if (rc != 0) {
        goto out;
    }
    ward_err err = ward_fw_get_state(&d.st, &s);
    if (err != WARD_OK) {
        rc = cli_fail("cannot read the boot state: %s", ward_strerror(err));
        goto out;
    }
    /* For the messages; the engine verifies before it takes anything. */
    if (ward_fw_manifest_parse(mb, ml, &m) == WARD_OK && m.counter == s.confirmed &&
        memcmp(m.digest, s.slot[s.running].digest, WARD_SHA256_LEN) == 0) {
        char v[WARD_FW_VERSION_MAX + 1];
        fw_version_text(&s.slot[s.running], v);
        printf("up to date: running version %s (counter %lu)\n", v, (unsigned long)s.confirmed);
        goto out;
    }
    uint8_t other = (uint8_t)(1u - s.running);
    if (s.trial == WARD_FW_PENDING && m.counter == s.slot[other].counter &&
        memcmp(m.digest, s.slot[other].digest, WARD_SHA256_LEN) == 0) {
        char v[WARD_FW_VERSION_MAX + 1];
        fw_version_text(&s.slot[other], v);
        printf("version %s is downloaded already: it runs on trial at the next boot\n", v);
        goto out;
    }
    uint32_t off = 0, reached = 0;
    err = ward_fw_resume(&d.u, &d.st, mb, ml, &off);
    if (err == WARD_OK) {
        printf("resuming the download at byte %lu\n", (unsigned long)off);
    } else if (err == WARD_ERR_NOTFOUND) {
        err = ward_fw_begin(&d.u, &d.st, mb, ml);
        if (err != WARD_OK) {
            rc = refused(err, &m, &s, d.dev_class);
            goto out;
        }
    } else {
        rc = refused(err, &m, &s, d.dev_class);
        goto out;
    }
    err = fetch(&d, &src, mb, ml, &m, off, &reached);
    if (err != WARD_OK) {
        rc = cli_fail("cannot write the image into its slot: %s (run update again to resume)",
                      ward_strerror(err));
        goto out;
    }
    char run[WARD_FW_VERSION_MAX + 1], nv[WARD_FW_VERSION_MAX + 1];
    fw_version_text(&s.slot[s.running], run);
    memcpy(nv, m.version, m.version_len);
    nv[m.version_len] = '\0';
    if (reached < m.size) {
        rc = cli_fail("refused: the image ended at byte %lu of %lu (truncated; update again "
                      "resumes); running version %s", (unsigned long)reached,
                      (unsigned long)m.size, run);
        goto out;
    }
    err = ward_fw_finish(&d.u, &d.st);
    if (err == WARD_ERR_AUTH) {
        rc = cli_fail("refused: the image's SHA-256 is not the manifest's (altered); "
                      "running version %s", run);
    } else if (err != WARD_OK) {
        rc = cli_fail("cannot finish the download: %s", ward_strerror(err));
    } else {
        printf("downloaded version %s (counter %lu, %lu bytes) into slot %u: it runs on trial "
               "at the next boot\n", nv, (unsigned long)m.counter, (unsigned long)m.size,
               1u - s.running);
    }
out:
    src.close(src.ctx);
    fw_device_close(&d);
    return rc;
}

static int boot_run(const char *role_name, int argc, char **argv)
{
    const char *dir = NULL, *no_confirm = NULL;
    const cli_option opts[] = { { "dir", true, &dir }, { "no-confirm", false, &no_confirm } };
    int npos = 0, rc = cli_parse(argc, argv, opts, CLI_NOPTS(opts), NULL, 0, &npos);
    if (rc != 0) {
        return rc;
    }
    if (dir == NULL) {
        return cli_usage("usage: ward %s boot --dir D [--no-confirm]", role_name);
    }
    ward_host host;
    ward_host_init(&host);
    static fw_device d;
    if ((rc = fw_device_open(&d, dir, host.crypto)) != 0) {
        return rc;
    }
    ward_fw_boot_result b;
    ward_err err = ward_fw_boot(&d.u, &d.st, &b);
    if (err != WARD_OK) {
        fw_device_close(&d);
        return cli_fail("no image to boot: %s", err == WARD_ERR_AUTH
                        ? "the confirmed slot does not match its SHA-256" : ward_strerror(err));
    }
    char v[WARD_FW_VERSION_MAX + 1];
    fw_version_text(&b.info, v);
    if (b.reverted) {
        printf("reverted: the image on trial never confirmed itself (or did not verify)\n");
    }
    printf("running version %s\n", v);
    if (b.on_trial && no_confirm != NULL) {
        printf("on trial, not confirmed: the next boot reverts\n");
    } else if (b.on_trial) {
        /* The new image checks itself and says it works. */
        err = ward_fw_confirm(&d.u, &d.st);
        if (err != WARD_OK) {
            rc = cli_fail("cannot confirm version %s: %s", v, ward_strerror(err));
        } else {
            printf("confirmed: version %s, security counter %lu\n", v,
                   (unsigned long)b.info.counter);
        }
    }
    fw_device_close(&d);
    return rc;
}

int cmd_lock_update(int argc, char **argv)
{
    return update_run("lock", WARD_AGENT_LOCK, argc, argv);
}

int cmd_device_update(int argc, char **argv)
{
    return update_run("device", WARD_AGENT_DEVICE, argc, argv);
}

int cmd_gateway_update(int argc, char **argv)
{
    return update_run("gateway", WARD_AGENT_DEVICE, argc, argv);
}

int cmd_lock_boot(int argc, char **argv)
{
    return boot_run("lock", argc, argv);
}

int cmd_device_boot(int argc, char **argv)
{
    return boot_run("device", argc, argv);
}

int cmd_gateway_boot(int argc, char **argv)
{
    return boot_run("gateway", argc, argv);
}
