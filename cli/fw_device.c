/* A device role's firmware slots and boot state as files in its state directory; see fw_device.h. */
#include "fw_device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "cli.h"
#include "keyfile.h"
#include "ward/ward_bind.h"
#include "ward/ward_cert.h"
#include "ward/ward_encode.h"
#include "ward/ward_files.h"

#define CONF_MAX 1024

int fw_device_check_opts(const char *dev_class, const char *release_pub)
{
    if ((dev_class == NULL) != (release_pub == NULL)) {
        return cli_usage("--fw-class and --release-pub go together");
    }
    size_t n = dev_class != NULL ? strlen(dev_class) : 1;
    if (dev_class != NULL && (n == 0 || n > WARD_FW_CLASS_MAX ||
                              ward_check_sn((const uint8_t *)dev_class, n) != WARD_OK)) {
        return cli_usage("--fw-class: 1 to %d of A-Z a-z 0-9 . _ -", WARD_FW_CLASS_MAX);
    }
    return 0;
}

void fw_version_text(const ward_fw_info *i, char out[WARD_FW_VERSION_MAX + 1])
{
    size_t n = i->version_len <= WARD_FW_VERSION_MAX ? i->version_len : 0;
    memcpy(out, i->version, n);
    out[n] = '\0';
}

static char *fw_path(const char *dir, const char *name)
{
    char *fw = ward_path_join(dir, "fw");
    char *p = fw != NULL ? ward_path_join(fw, name) : NULL;
    free(fw);
    return p;
}

/* The ports over D/fw's three files (made, filled with 0xFF, if need be). */
static int open_files(fw_device *d, const char *dir)
{
    static const char *const names[3] = { "state.bin", "slot0.bin", "slot1.bin" };
    ward_file_port *fps[3] = { &d->store_fp, &d->slot_fp[0], &d->slot_fp[1] };
    ward_store_port *ports[3] = { &d->store_port, &d->slots.slot[0], &d->slots.slot[1] };
    for (int i = 0; i < 3; i++) {
        char *p = fw_path(dir, names[i]);
        size_t size = i == 0 ? FW_DEVICE_STORE_SIZE : FW_DEVICE_SLOT_SIZE;
        ward_err err = p != NULL ? ward_file_port_open(fps[i], p, size, ports[i]) : WARD_ERR_IO;
        if (err != WARD_OK) {
            int os = fps[i]->os_errno;
            for (int j = 0; j < i; j++) {
                ward_file_port_close(fps[j]);
            }
            int rc = cli_fail("cannot open %s: %s", p != NULL ? p : names[i],
                              cli_file_why(err, os, "not a file of the right size"));
            free(p);
            return rc;
        }
        free(p);
    }
    /* Slots erase in flash-like units (the file port's own unit is half
     * the file, a store bank). */
    d->slots.slot[0].erase_size = FW_DEVICE_ERASE;
    d->slots.slot[1].erase_size = FW_DEVICE_ERASE;
    /* One command at a time on a device's firmware. */
    if (flock(d->store_fp.fd, LOCK_EX | LOCK_NB) != 0) {
        for (int j = 0; j < 3; j++) {
            ward_file_port_close(fps[j]);
        }
        return cli_fail("%s/fw is in use by another ward command", dir);
    }
    return 0;
}

void fw_device_close(fw_device *d)
{
    ward_file_port_close(&d->store_fp);
    ward_file_port_close(&d->slot_fp[0]);
    ward_file_port_close(&d->slot_fp[1]);
}

static int start_engine(fw_device *d)
{
    ward_err err = ward_store_open(&d->st, &d->store_port);
    if (err == WARD_OK) {
        err = ward_fw_init(&d->u, d->cp, &d->slots, d->release_pub,
                           (const uint8_t *)d->dev_class, strlen(d->dev_class));
    }
    if (err != WARD_OK) {
        fw_device_close(d);
        return cli_fail("cannot open the firmware store: %s",
                        cli_file_why(err, d->store_fp.os_errno, "damaged"));
    }
    return 0;
}

int fw_device_init(const char *dir, const char *dev_class, const char *release_pub,
                   const ward_crypto *cp)
{
    fw_device *d = calloc(1, sizeof *d);
    char *fw = ward_path_join(dir, "fw"), *conf = fw_path(dir, "conf");
    int rc = 0;
    if (d == NULL || fw == NULL || conf == NULL) {
        rc = cli_fail("out of memory");
        goto out;
    }
    d->cp = cp;
    snprintf(d->dev_class, sizeof d->dev_class, "%s", dev_class);
    ward_err err = keyfile_read_hex(release_pub, d->release_pub, WARD_P256_POINT_LEN);
    if (err == WARD_OK && cp->p256_point_check(d->release_pub) != WARD_OK) {
        err = WARD_ERR_FORMAT;
    }
    if (err != WARD_OK) {
        rc = cli_fail("--release-pub %s: %s", release_pub,
                      cli_file_why(err, errno, "not a public key file (130 hex digits)"));
        goto out;
    }
    FILE *exists = fopen(conf, "r");
    if (exists != NULL) {
        fclose(exists);
        rc = cli_fail("%s exists: this device has its firmware already", conf);
        goto out;
    }
    if (ward_mkdir(fw, 0700) != WARD_OK) {
        rc = cli_fail("cannot create directory %s: %s", fw, strerror(errno));
        goto out;
    }
    if ((rc = open_files(d, dir)) != 0) {
        goto out;
    }
    /* The factory image: what the device left the factory with, at
     * counter 0, so any signed release is above it. */
    char img[96];
    int n = snprintf(img, sizeof img, "ward factory firmware for class %s\n", dev_class);
    ward_fw_info f;
    memset(&f, 0, sizeof f);
    f.size = (uint32_t)n;
    f.version_len = 7;
    memcpy(f.version, "factory", 7);
    ward_iov one = { (const uint8_t *)img, (size_t)n };
    err = cp->sha256(&one, 1, f.digest);
    if (err == WARD_OK) {
        err = d->slots.slot[0].write(d->slots.slot[0].ctx, 0, (const uint8_t *)img, (size_t)n);
    }
    if (err == WARD_OK) {
        err = d->slots.slot[0].sync(d->slots.slot[0].ctx);
    }
    if (err != WARD_OK) {
        fw_device_close(d);
        rc = cli_fail("cannot write the factory image: %s", ward_strerror(err));
        goto out;
    }
    if ((rc = start_engine(d)) != 0) {
        goto out;
    }
    err = ward_fw_provision(&d->u, &d->st, &f);
    fw_device_close(d);
    if (err != WARD_OK) {
        rc = cli_fail("cannot record the factory image: %s", ward_strerror(err));
        goto out;
    }
    char hex[2 * WARD_P256_POINT_LEN + 1], text[CONF_MAX];
    WARD_ASSERT(ward_hex_encode(d->release_pub, WARD_P256_POINT_LEN, hex, sizeof hex) == WARD_OK);
    n = snprintf(text, sizeof text, "class %s\nrelease-pub %s\n", dev_class, hex);
    err = ward_file_write_atomic(conf, text, (size_t)n, 0644);
    if (err != WARD_OK) {
        rc = cli_fail("cannot write %s: %s", conf, cli_file_why(err, errno, NULL));
        goto out;
    }
    uint8_t kid[WARD_CERT_KEY_ID_LEN];
    char kid_hex[2 * WARD_CERT_KEY_ID_LEN + 1] = "?";
    if (ward_cert_key_id(cp, d->release_pub, kid) == WARD_OK) {
        cli_hex(kid, sizeof kid, kid_hex);
    }
    printf("firmware: class %s, release key %s, running version factory (counter 0)\n",
           dev_class, kid_hex);
out:
    free(d);
    free(fw);
    free(conf);
    return rc;
}

/* D/fw/conf into d's class and release key. */
static int conf_read(fw_device *d, const char *dir)
{
    char *conf = fw_path(dir, "conf"), *text = NULL;
    size_t len = 0;
    ward_err err = conf != NULL ? ward_file_read(conf, CONF_MAX, &text, &len) : WARD_ERR_IO;
    if (err == WARD_ERR_NOTFOUND) {
        free(conf);
        return cli_fail("%s has no firmware: give `init` --fw-class C --release-pub F", dir);
    }
    if (err != WARD_OK) {
        int rc = cli_fail("cannot read %s/fw/conf: %s", dir, cli_file_why(err, errno, "too long"));
        free(conf);
        return rc;
    }
    bool have_class = false, have_pub = false;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL;
         l = strtok_r(NULL, "\n", &save)) {
        size_t got = 0;
        if (strncmp(l, "class ", 6) == 0 && fw_device_check_opts(l + 6, "") == 0) {
            snprintf(d->dev_class, sizeof d->dev_class, "%s", l + 6);
            have_class = true;
        } else if (strncmp(l, "release-pub ", 12) == 0 &&
                   ward_hex_decode(l + 12, strlen(l + 12), d->release_pub, WARD_P256_POINT_LEN,
                                   &got) == WARD_OK && got == WARD_P256_POINT_LEN) {
            have_pub = true;
        }
    }
    free(text);
    int rc = have_class && have_pub ? 0 : cli_fail("%s: not a firmware conf", conf);
    free(conf);
    return rc;
}

int fw_device_open(fw_device *d, const char *dir, const ward_crypto *cp)
{
    int rc;
    memset(d, 0, sizeof *d);
    d->cp = cp;
    if ((rc = conf_read(d, dir)) != 0 || (rc = open_files(d, dir)) != 0) {
        return rc;
    }
    return start_engine(d);
}
