/* The power-safe record store: two banks, the newest valid image wins. */
/*
 * Byte layout (every integer big-endian). The port's region is split into
 * two banks of size/2 bytes each; bank b starts at b * size/2, and a bank
 * is a whole number of erase units.
 *
 *   bank    = header (20) | records (`used` bytes) | erased (0xFF) rest
 *   header  = magic "WRD1" (4) | seq (4) | used (4) | records_crc (4) |
 *             header_crc (4)
 *   record  = key (2) | len (2) | value (len)
 *
 * records_crc is the CRC-32 of the `used` record bytes, header_crc the
 * CRC-32 of the 16 header bytes before it (store_crc.h). A bank is valid
 * when header_crc, magic, seq != 0, used <= bank - 20 and records_crc all
 * check and the records parse to exactly `used` bytes, each with a key
 * below WARD_STORE_KEY_RESERVED and len <= WARD_RECORD_MAX. open() takes
 * the valid bank with the higher seq (a plain u32 comparison); with none,
 * the store is empty (seq 0, which is never written).
 *
 * An update writes a whole new image into the bank that is not active:
 * erase the bank, stream the records (unchanged old ones first, in their
 * order, then the changed ones), sync, write the header, sync. Why a power
 * cut at any byte is safe:
 *   - the active bank is never written, so the old image stays valid
 *     until the new header exists;
 *   - the target bank holds at most an image older than the active one
 *     (or garbage), so erasing it loses nothing, and a half-erased old
 *     image either fails its CRCs or still carries its older seq;
 *   - records are synced before the header is written, so a valid header
 *     never describes records that are not yet durable;
 *   - the header's CRC is its last field: a torn header leaves 0xFF (or
 *     half-written) bytes there and matches only by a 2^-32 accident.
 * seq reaching 0xFFFFFFFF is refused with WARD_ERR_STATE instead of
 * wrapping (a wrapped seq would lose to the older bank). Four billion
 * updates outlast any flash's erase endurance by four orders of magnitude.
 *
 * An update that removes a record then erases the old bank: what was
 * removed (a revoked client's key) must not stay readable there until
 * the next update reuses the bank. The new image is durable by then, so
 * a cut during that erase loses nothing and the update answers WARD_OK.
 *
 * When an update fails with WARD_ERR_IO the in-RAM state stays on the old
 * bank, so reads go on answering the old state. The media may still hold
 * the new image if only the last sync failed; a later open() then finds
 * the new state, which is also an allowed outcome, and a later update
 * erases that bank first, so the two never mix.
 */
#include "ward/ward_store.h"

#include <string.h>

#include "store_crc.h"
#include "store_inner.h"
#include "ward_inner.h"

#define BANK_MAGIC 0x57524431u  /* "WRD1" */
#define SEQ_LAST 0xFFFFFFFFu
/* The stack buffer that carries records between banks and into the CRC. */
#define CHUNK 64

static size_t bank_off(const ward_store *st, uint8_t bank)
{
    const ward_store_state *S = ward_store_cstate_of(st);
    return (size_t)bank * S->bank_size;
}

static size_t records_cap(const ward_store *st)
{
    const ward_store_state *S = ward_store_cstate_of(st);
    return S->bank_size - WARD_STORE_BANK_HDR_LEN;
}

static ward_err port_read(const ward_store *st, size_t off, uint8_t *buf,
                          size_t len)
{
    const ward_store_state *S = ward_store_cstate_of(st);
    /* Any port failure is WARD_ERR_IO to our caller, whatever the port
     * said: it is the platform's fault, not the caller's input. */
    return S->port.read(S->port.ctx, off, buf, len) == WARD_OK ?
           WARD_OK : WARD_ERR_IO;
}

static ward_err port_write(ward_store *st, size_t off, const uint8_t *buf,
                           size_t len)
{
    ward_store_state *S = ward_store_state_of(st);
    return S->port.write(S->port.ctx, off, buf, len) == WARD_OK ?
           WARD_OK : WARD_ERR_IO;
}

/* Reads the record header at `pos` of the records of `bank` holding
 * `used` bytes. WARD_ERR_FORMAT if it does not fit or breaks the rules. */
static ward_err record_at(const ward_store *st, uint8_t bank, uint32_t used,
                          size_t pos, uint16_t *key, size_t *len)
{
    uint8_t hdr[WARD_STORE_RECORD_HDR_LEN];
    if (used - pos < WARD_STORE_RECORD_HDR_LEN) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = port_read(st, bank_off(st, bank) + WARD_STORE_BANK_HDR_LEN
                             + pos, hdr, sizeof hdr);
    if (err != WARD_OK) {
        return err;
    }
    *key = ward_load16(hdr);
    *len = ward_load16(hdr + 2);
    if (*key >= WARD_STORE_KEY_RESERVED || *len > WARD_RECORD_MAX ||
        used - pos - WARD_STORE_RECORD_HDR_LEN < *len) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}

/* Checks the image in `bank`; on success gives its seq and used. buf
 * carries record bytes, secrets among them: the caller wipes it. */
static ward_err check_bank(const ward_store *st, uint8_t bank, bool *ok,
                           uint32_t *seq, uint32_t *used, uint8_t buf[CHUNK])
{
    size_t base = bank_off(st, bank);
    *ok = false;

    ward_err err = port_read(st, base, buf, WARD_STORE_BANK_HDR_LEN);
    if (err != WARD_OK) {
        return err;
    }
    if (ward_crc32(0, buf, 16) != ward_load32(buf + 16) ||
        ward_load32(buf) != BANK_MAGIC || ward_load32(buf + 4) == 0 ||
        ward_load32(buf + 8) > records_cap(st)) {
        return WARD_OK;
    }
    uint32_t s = ward_load32(buf + 4);
    uint32_t u = ward_load32(buf + 8);
    uint32_t want_crc = ward_load32(buf + 12);

    /* Walk the records and checksum them in the same pass: the CRC alone
     * would accept an image that a bug wrote consistently wrong, and the
     * walk alone would accept flipped value bytes. */
    uint32_t crc = 0;
    size_t pos = 0;
    while (pos < u) {
        uint16_t key;
        size_t len;
        err = record_at(st, bank, u, pos, &key, &len);
        if (err == WARD_ERR_FORMAT) {
            return WARD_OK;
        }
        if (err != WARD_OK) {
            return err;
        }
        size_t left = WARD_STORE_RECORD_HDR_LEN + len;
        while (left > 0) {
            size_t n = left < CHUNK ? left : CHUNK;
            err = port_read(st, base + WARD_STORE_BANK_HDR_LEN + pos, buf, n);
            if (err != WARD_OK) {
                return err;
            }
            crc = ward_crc32(crc, buf, n);
            pos += n;
            left -= n;
        }
    }
    if (crc != want_crc) {
        return WARD_OK;
    }
    *ok = true;
    *seq = s;
    *used = u;
    return WARD_OK;
}

ward_err ward_store_open(ward_store *st, const ward_store_port *port)
{
    WARD_ASSERT(st != NULL && port != NULL);
    WARD_ASSERT(port->read != NULL && port->write != NULL &&
                port->erase != NULL && port->sync != NULL);
    WARD_ASSERT(port->erase_size >= 1);
    WARD_ASSERT(port->size % (2 * port->erase_size) == 0);
    WARD_ASSERT(port->size / 2 > WARD_STORE_BANK_HDR_LEN);
    ward_store_state *S = ward_store_state_of(st);
    /* `used` is a u32 on the media. */
    WARD_ASSERT((uint64_t)(port->size / 2) <= 0xFFFFFFFFu);

    memset(st, 0, sizeof *st);
    S->port = *port;
    S->bank_size = port->size / 2;

    bool ok[2];
    uint32_t seq[2] = { 0, 0 }, used[2] = { 0, 0 };
    uint8_t buf[CHUNK];
    for (uint8_t b = 0; b < 2; b++) {
        ward_err err = check_bank(st, b, &ok[b], &seq[b], &used[b], buf);
        if (err != WARD_OK) {
            ward_wipe(buf, sizeof buf);
            return err;
        }
    }
    ward_wipe(buf, sizeof buf);
    if (!ok[0] && !ok[1]) {
        return WARD_OK;
    }
    uint8_t pick = (uint8_t)(!ok[0] || (ok[1] && seq[1] > seq[0]));
    S->active = pick;
    S->valid = true;
    S->seq = seq[pick];
    S->used = used[pick];
    return WARD_OK;
}

ward_err ward_store_next(const ward_store *st, size_t *pos, uint16_t first,
                         uint16_t last, uint16_t *key, size_t *len)
{
    WARD_ASSERT(st != NULL && pos != NULL && key != NULL && len != NULL);
    const ward_store_state *S = ward_store_cstate_of(st);
    if (!S->valid) {
        return WARD_ERR_NOTFOUND;
    }
    while (*pos < S->used) {
        uint16_t k;
        size_t n;
        ward_err err = record_at(st, S->active, S->used, *pos, &k, &n);
        if (err != WARD_OK) {
            /* open() checked the image; a different answer now is the
             * media failing under us. */
            return WARD_ERR_IO;
        }
        *pos += WARD_STORE_RECORD_HDR_LEN + n;
        if (k >= first && k <= last) {
            *key = k;
            *len = n;
            return WARD_OK;
        }
    }
    return WARD_ERR_NOTFOUND;
}

ward_err ward_store_get(const ward_store *st, uint16_t key, uint8_t *out,
                        size_t cap, size_t *len)
{
    WARD_ASSERT(st != NULL && len != NULL);
    WARD_ASSERT(out != NULL || cap == 0);
    const ward_store_state *S = ward_store_cstate_of(st);
    size_t pos = 0, n = 0;
    uint16_t k;
    ward_err err = ward_store_next(st, &pos, key, key, &k, &n);
    if (err != WARD_OK) {
        return err;
    }
    *len = n;
    if (n > cap) {
        return WARD_ERR_NOSPACE;
    }
    if (n == 0) {
        return WARD_OK;
    }
    /* next() left pos just past the record. */
    return port_read(st, bank_off(st, S->active) + WARD_STORE_BANK_HDR_LEN
                     + pos - n, out, n);
}

size_t ward_store_free(const ward_store *st)
{
    WARD_ASSERT(st != NULL);
    const ward_store_state *S = ward_store_cstate_of(st);
    return records_cap(st) - (S->valid ? S->used : 0u);
}

/* Whether change i is the one that decides its key (no later change to
 * the same key follows it). */
static bool change_wins(const ward_record_change *c, size_t n, size_t i)
{
    for (size_t j = i + 1; j < n; j++) {
        if (c[j].key == c[i].key) {
            return false;
        }
    }
    return true;
}

static bool key_changed(const ward_record_change *c, size_t n, uint16_t key)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i].key == key) {
            return true;
        }
    }
    return false;
}

/* The size of the image the update would write, or WARD_ERR_NOSPACE. */
static ward_err new_size(const ward_store *st, const ward_record_change *c,
                         size_t n, size_t *size)
{
    const ward_store_state *S = ward_store_cstate_of(st);
    size_t cap = records_cap(st), total = 0, pos = 0;
    uint32_t used = S->valid ? S->used : 0u;
    while (pos < used) {
        uint16_t k;
        size_t len;
        if (record_at(st, S->active, used, pos, &k, &len) != WARD_OK) {
            return WARD_ERR_IO;
        }
        pos += WARD_STORE_RECORD_HDR_LEN + len;
        if (!key_changed(c, n, k)) {
            total += WARD_STORE_RECORD_HDR_LEN + len;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!c[i].remove && change_wins(c, n, i)) {
            /* Checked against cap at each step, so it never wraps. */
            total += WARD_STORE_RECORD_HDR_LEN + c[i].len;
            if (total > cap) {
                return WARD_ERR_NOSPACE;
            }
        }
    }
    if (total > cap) {
        return WARD_ERR_NOSPACE;
    }
    *size = total;
    return WARD_OK;
}

/* Writes len bytes at *at in the target bank and feeds them to the CRC. */
static ward_err emit(ward_store *st, size_t *at, const uint8_t *buf,
                     size_t len, uint32_t *crc)
{
    if (len == 0) {
        return WARD_OK;
    }
    ward_err err = port_write(st, *at, buf, len);
    if (err != WARD_OK) {
        return err;
    }
    *crc = ward_crc32(*crc, buf, len);
    *at += len;
    return WARD_OK;
}

/* Streams the new records into bank `to`: the old records no change
 * touches, then the winning changes. buf carries record bytes, secrets
 * among them: the caller wipes it. */
static ward_err write_records(ward_store *st, uint8_t to,
                              const ward_record_change *c, size_t n,
                              size_t size, uint32_t *crc, uint8_t buf[CHUNK])
{
    ward_store_state *S = ward_store_state_of(st);
    size_t from_base = bank_off(st, S->active) + WARD_STORE_BANK_HDR_LEN;
    size_t at = bank_off(st, to) + WARD_STORE_BANK_HDR_LEN;
    uint32_t used = S->valid ? S->used : 0u;
    size_t pos = 0;
    ward_err err;

    while (pos < used) {
        uint16_t k;
        size_t len;
        if (record_at(st, S->active, used, pos, &k, &len) != WARD_OK) {
            return WARD_ERR_IO;
        }
        size_t left = WARD_STORE_RECORD_HDR_LEN + len;
        if (key_changed(c, n, k)) {
            pos += left;
            continue;
        }
        while (left > 0) {
            size_t m = left < CHUNK ? left : CHUNK;
            err = port_read(st, from_base + pos, buf, m);
            if (err == WARD_OK) {
                err = emit(st, &at, buf, m, crc);
            }
            if (err != WARD_OK) {
                return err;
            }
            pos += m;
            left -= m;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (c[i].remove || !change_wins(c, n, i)) {
            continue;
        }
        ward_store16(buf, c[i].key);
        ward_store16(buf + 2, (uint16_t)c[i].len);
        err = emit(st, &at, buf, WARD_STORE_RECORD_HDR_LEN, crc);
        if (err == WARD_OK) {
            err = emit(st, &at, c[i].value, c[i].len, crc);
        }
        if (err != WARD_OK) {
            return err;
        }
    }
    /* The old bank read back differently than when it was sized: the
     * media is failing, and a header must not describe this image. */
    if (at - bank_off(st, to) - WARD_STORE_BANK_HDR_LEN != size) {
        return WARD_ERR_IO;
    }
    return WARD_OK;
}

static bool any_removal(const ward_record_change *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i].remove) {
            return true;
        }
    }
    return false;
}

ward_err ward_store_update(ward_store *st, const ward_record_change *changes,
                           size_t n)
{
    WARD_ASSERT(st != NULL);
    WARD_ASSERT(changes != NULL || n == 0);
    ward_store_state *S = ward_store_state_of(st);
    for (size_t i = 0; i < n; i++) {
        if (changes[i].key >= WARD_STORE_KEY_RESERVED ||
            (!changes[i].remove && changes[i].len > WARD_RECORD_MAX)) {
            return WARD_ERR_PARAM;
        }
        WARD_ASSERT(changes[i].remove || changes[i].value != NULL ||
                    changes[i].len == 0);
    }
    if (n == 0) {
        return WARD_OK;
    }
    if (S->seq == SEQ_LAST) {
        return WARD_ERR_STATE;
    }
    size_t size;
    ward_err err = new_size(st, changes, n, &size);
    if (err != WARD_OK) {
        return err;
    }

    uint8_t to = (uint8_t)(S->active ^ 1u);
    uint32_t crc = 0;
    if (S->port.erase(S->port.ctx, bank_off(st, to), S->bank_size)
        != WARD_OK) {
        return WARD_ERR_IO;
    }
    uint8_t buf[CHUNK];
    err = write_records(st, to, changes, n, size, &crc, buf);
    ward_wipe(buf, sizeof buf);
    if (err != WARD_OK) {
        return err;
    }
    if (S->port.sync(S->port.ctx) != WARD_OK) {
        return WARD_ERR_IO;
    }

    uint8_t hdr[WARD_STORE_BANK_HDR_LEN];
    ward_store32(hdr, BANK_MAGIC);
    ward_store32(hdr + 4, S->seq + 1u);
    ward_store32(hdr + 8, (uint32_t)size);
    ward_store32(hdr + 12, crc);
    ward_store32(hdr + 16, ward_crc32(0, hdr, 16));
    err = port_write(st, bank_off(st, to), hdr, sizeof hdr);
    if (err != WARD_OK) {
        return err;
    }
    if (S->port.sync(S->port.ctx) != WARD_OK) {
        return WARD_ERR_IO;
    }

    uint8_t from = S->active;
    bool had_image = S->valid;
    S->active = to;
    S->valid = true;
    S->seq++;
    S->used = (uint32_t)size;
    /* A removed record (a revoked client and its key) would otherwise
     * stay readable in the old bank until the next update reuses it. The
     * new image is durable and has the higher seq, so a cut during this
     * erase loses nothing; the update has happened whatever the erase
     * answers, and a failed erase leaves the old bank to the next one. */
    if (had_image && any_removal(changes, n)) {
        (void)S->port.erase(S->port.ctx, bank_off(st, from), S->bank_size);
    }
    return WARD_OK;
}

ward_err ward_store_put(ward_store *st, uint16_t key, const uint8_t *value,
                        size_t len)
{
    ward_record_change ch = { key, value, len, false };
    return ward_store_update(st, &ch, 1);
}

ward_err ward_store_remove(ward_store *st, uint16_t key)
{
    ward_record_change ch = { key, NULL, 0, true };
    return ward_store_update(st, &ch, 1);
}
