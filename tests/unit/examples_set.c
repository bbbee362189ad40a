/* The worked examples' data: random stream, building, printing, parsing, comparing (examples.h). */
#include "examples.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_httpsig.h"

#define HEX_PER_LINE 64
#define FENCE "```"
#define FENCE_EXAMPLE "```example "

/* ---- the random stream ---- */

static const uint8_t rng_prefix[] = "ward example rng ";

static ward_err ex_fill(void *ctx, uint8_t *out, size_t len)
{
    ex_rng *r = ctx;
    for (size_t i = 0; i < len; i++) {
        if (r->avail == 0) {
            uint8_t ctr[4] = { (uint8_t)(r->counter >> 24), (uint8_t)(r->counter >> 16),
                               (uint8_t)(r->counter >> 8), (uint8_t)r->counter };
            static const uint8_t zero[1] = { 0 };
            ward_iov parts[4] = {
                { rng_prefix, sizeof rng_prefix - 1 },
                { (const uint8_t *)r->seed, strlen(r->seed) },
                { zero, 1 },
                { ctr, sizeof ctr },
            };
            ward_err err = r->cp->sha256(parts, 4, r->block);
            if (err != WARD_OK) {
                return err;
            }
            r->counter++;
            r->avail = sizeof r->block;
        }
        out[i] = r->block[sizeof r->block - r->avail--];
        if (r->log_len < sizeof r->log) {
            r->log[r->log_len++] = out[i];
        }
    }
    return WARD_OK;
}

ward_random ex_rng_init(ex_rng *r, const ward_crypto *cp, const char *seed)
{
    memset(r, 0, sizeof *r);
    r->cp = cp;
    snprintf(r->seed, sizeof r->seed, "%s", seed);
    ward_random rng = { ex_fill, r };
    return rng;
}

void ex_rng_mark(ex_rng *r)
{
    r->log_len = 0;
}

/* ---- building ---- */

void ex_fail(ex_set *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    longjmp(s->jb, 1);
}

uint8_t *ex_keep(ex_set *s, const void *v, size_t len)
{
    if (sizeof s->arena - s->used < len + 1) {
        ex_fail(s, "the examples' arena is full");
    }
    uint8_t *p = s->arena + s->used;
    if (len > 0) {
        memcpy(p, v, len);
    }
    p[len] = 0;   /* so text kept here is a C string */
    s->used += len + 1;
    return p;
}

static ex_example *cur(ex_set *s)
{
    if (s->n == 0) {
        ex_fail(s, "a field before any example");
    }
    return &s->ex[s->n - 1];
}

void ex_begin(ex_set *s, const char *name, const char *intro)
{
    if (s->n == EX_EXAMPLES_MAX || strlen(name) >= EX_NAME_MAX) {
        ex_fail(s, "too many examples, or a name too long: %s", name);
    }
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->ex[i].name, name) == 0) {
            ex_fail(s, "two examples named %s", name);
        }
    }
    ex_example *e = &s->ex[s->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->intro = intro != NULL ? (const char *)ex_keep(s, intro, strlen(intro)) : NULL;
}

static ex_field *add(ex_set *s, const char *name)
{
    ex_example *e = cur(s);
    if (e->n == EX_FIELDS_MAX || strlen(name) >= EX_NAME_MAX) {
        ex_fail(s, "%s: too many fields, or a name too long: %s", e->name, name);
    }
    for (size_t i = 0; name[0] != '\0' && i < e->n; i++) {
        if (strcmp(e->f[i].name, name) == 0) {
            ex_fail(s, "%s: two fields named %s", e->name, name);
        }
    }
    ex_field *f = &e->f[e->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    return f;
}

void ex_note(ex_set *s, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ex_field *f = add(s, "");
    f->comment = (const char *)ex_keep(s, line, strlen(line));
}

void ex_hex(ex_set *s, const char *name, const uint8_t *v, size_t len)
{
    ex_field *f = add(s, name);
    f->val = ex_keep(s, v, len);
    f->len = len;
}

static bool printable(const uint8_t *v, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (v[i] < 0x20 || v[i] > 0x7E) {
            return false;
        }
    }
    return true;
}

void ex_text(ex_set *s, const char *name, const uint8_t *v, size_t len)
{
    ex_hex(s, name, v, len);
    cur(s)->f[cur(s)->n - 1].text = printable(v, len);
}

void ex_str(ex_set *s, const char *name, const char *v)
{
    ex_text(s, name, (const uint8_t *)v, strlen(v));
}

void ex_msg(ex_set *s, const char *name, const uint8_t *v, size_t len)
{
    ex_hex(s, name, v, len);
    cur(s)->f[cur(s)->n - 1].is_msg = true;
}

void ex_sig(ex_set *s, const char *name, const uint8_t *v, size_t len,
            bool is_msg, size_t sig_off, const char *label,
            const uint8_t pub[WARD_P256_POINT_LEN], const uint8_t *msg,
            size_t msg_len)
{
    if (sig_off > len || len - sig_off < WARD_P256_SIG_LEN) {
        ex_fail(s, "%s: no signature at %zu", name, sig_off);
    }
    ex_hex(s, name, v, len);
    ex_field *f = &cur(s)->f[cur(s)->n - 1];
    f->is_msg = is_msg;
    f->sig_kind = label != NULL ? EX_SIG_WARD : EX_SIG_HTTP;
    f->sig_off = sig_off;
    f->sig_msg = ex_keep(s, msg, msg_len);
    f->sig_msg_len = msg_len;
    f->sig_label = label != NULL ? (const char *)ex_keep(s, label, strlen(label)) : NULL;
    f->sig_pub = ex_keep(s, pub, WARD_P256_POINT_LEN);
}

void ex_sig_frame(ex_set *s, const char *name, const uint8_t *v, size_t len,
                  size_t sig_off, const char *label,
                  const uint8_t pub[WARD_P256_POINT_LEN], const uint8_t *msg,
                  size_t msg_len)
{
    if (len < 2 || sig_off + WARD_P256_SIG_LEN > len - 2) {
        ex_fail(s, "%s: not a frame with a signature at %zu", name, sig_off);
    }
    ex_sig(s, name, v, len, false, sig_off, label, pub, msg, msg_len);
    cur(s)->f[cur(s)->n - 1].crc_tail = true;
}

ward_err ex_generate(ex_set *s, const ward_crypto *cp)
{
    memset(s, 0, sizeof *s);
    s->cp = cp;
    if (setjmp(s->jb) != 0) {
        return WARD_ERR_STATE;
    }
    ex_gen_suite(s);
    ex_gen_flow_a_b(s);
    ex_gen_flow_c_lan(s);
    ex_gen_flow_c_cloud(s);
    ex_gen_flow_c_sub(s);
    ex_gen_flow_c_state(s);
    ex_gen_flow_d(s);
    ex_gen_flow_e(s);
    ex_gen_certs(s);
    ex_gen_time(s);
    ex_gen_fw(s);
    return WARD_OK;
}

/* ---- printing ---- */

static void print_field(const ex_field *f, FILE *out)
{
    static const char digits[] = "0123456789abcdef";
    if (f->name[0] == '\0') {
        fprintf(out, "# %s\n", f->comment);
        return;
    }
    if (f->text || f->len == 0) {
        fprintf(out, "%s = \"%.*s\"\n", f->name, (int)f->len, (const char *)f->val);
        return;
    }
    size_t indent = strlen(f->name) + 3;
    fprintf(out, "%s = ", f->name);
    for (size_t i = 0; i < f->len; i++) {
        if (i > 0 && (2 * i) % HEX_PER_LINE == 0) {
            fprintf(out, "\n%*s", (int)indent, "");
        }
        fputc(digits[f->val[i] >> 4], out);
        fputc(digits[f->val[i] & 15u], out);
    }
    fputc('\n', out);
}

static const char appendix_intro[] =
    EX_HEADING "\n"
    "\n"
    "Every key derivation and every sealed or signed message of flows A, B, C,\n"
    "D and E, computed by the real code (the core, and the client library for\n"
    "the app's side) from fixed inputs. The unit test\n"
    "`tests/unit/test_protocol_examples.c` recomputes each value on both\n"
    "crypto backends and fails on any difference, on a block missing for a\n"
    "message type the headers define, on a label of `ward_suite.h` no block\n"
    "uses, and on a malformed block; so this appendix cannot drift from the\n"
    "code. It is written by that test, not by hand: after a protocol change,\n"
    "\n"
    "    build/tests/test_protocol_examples mbedtls --update docs/protocol.md\n"
    "\n"
    "rewrites it (from this heading to the next `## ` heading), and\n"
    "`--print` shows it. Edit the generator (`tests/unit/examples_*.c`), not\n"
    "this text.\n"
    "\n"
    "Format, for a program to read back: each example is a fenced block whose\n"
    "info string is `example NAME`. Inside, a line `name = value` gives one\n"
    "value: hex digits (lower case; a long value goes on, indented, on the\n"
    "following lines, 32 bytes a line), or `\"text\"` for printable ASCII: the\n"
    "bytes between the first and the last quote of the line, taken as they are\n"
    "(no escapes; `\"\"` is empty). Lines starting with `#` are comments.\n"
    "Integers are big-endian, as everywhere in ward.\n"
    "\n"
    "Inputs: private keys and every byte a party draws at random come from a\n"
    "fixed stream (block i = SHA-256(\"ward example rng \" ‖ seed ‖ 0x00 ‖ i as 4\n"
    "bytes), one seed per party); the values drawn are listed where they are\n"
    "used, so the stream itself is never needed. Clocks read\n"
    "1700000000000 ms (2023-11-14 22:13:20 UTC). ECDSA signatures are those\n"
    "of the mbedTLS backend, which signs deterministically (RFC 6979); the\n"
    "OpenSSL backend draws its nonce at random, so a signature is checked\n"
    "there by verifying it, and any valid signature is as good on the wire.\n";

void ex_appendix(const ex_set *s, FILE *out)
{
    fputs(appendix_intro, out);
    for (size_t i = 0; i < s->n; i++) {
        const ex_example *e = &s->ex[i];
        fputc('\n', out);
        if (e->intro != NULL) {
            fprintf(out, "%s\n\n", e->intro);
        }
        fprintf(out, "%s%s\n", FENCE_EXAMPLE, e->name);
        for (size_t j = 0; j < e->n; j++) {
            print_field(&e->f[j], out);
        }
        fprintf(out, "%s\n", FENCE);
    }
}

/* ---- parsing ---- */

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool name_ok(const char *p, size_t n, bool dashes_only)
{
    if (n == 0 || n >= EX_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                  (!dashes_only && ((c >= 'A' && c <= 'Z') || c == '_' || c == '.'));
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Appends hex digits p[0..n) to the value of f (the arena's last item). */
static bool add_hex(ex_set *s, ex_field *f, const char *p, size_t n)
{
    if (n % 2 != 0 || sizeof s->arena - s->used < n / 2 + 1) {
        return false;
    }
    uint8_t *dst = s->arena + s->used - 1;   /* over the previous NUL */
    if (f->val + f->len != dst) {
        return false;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = nibble(p[2 * i]), lo = nibble(p[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        dst[i] = (uint8_t)(hi << 4 | lo);
    }
    dst[n / 2] = 0;
    s->used += n / 2;
    f->len += n / 2;
    return true;
}

static ward_err bad(ex_set *s, unsigned line, const char *why)
{
    snprintf(s->err, sizeof s->err, "docs/protocol.md line %u: %s", line, why);
    return WARD_ERR_FORMAT;
}

/* One line inside a block. */
static ward_err parse_line(ex_set *s, ex_example *e, const char *p, size_t n,
                           unsigned line)
{
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r')) {
        n--;
    }
    size_t lead = 0;
    while (lead < n && (p[lead] == ' ' || p[lead] == '\t')) {
        lead++;
    }
    if (lead == n) {
        return WARD_OK;
    }
    if (p[lead] == '#') {
        return WARD_OK;
    }
    if (lead > 0) {
        /* A hex value going on. */
        ex_field *f = e->n > 0 ? &e->f[e->n - 1] : NULL;
        if (f == NULL || f->text || !add_hex(s, f, p + lead, n - lead)) {
            return bad(s, line, "a continuation line that is not hex after a hex value");
        }
        return WARD_OK;
    }
    const char *eq = memchr(p, '=', n);
    size_t name_len = 0;
    while (name_len < n && p[name_len] != ' ' && p[name_len] != '=') {
        name_len++;
    }
    if (eq == NULL || !name_ok(p, name_len, false)) {
        return bad(s, line, "not `name = value`");
    }
    for (const char *q = p + name_len; q < eq; q++) {
        if (*q != ' ') {
            return bad(s, line, "not `name = value`");
        }
    }
    if (e->n == EX_FIELDS_MAX) {
        return bad(s, line, "too many fields in one block");
    }
    for (size_t i = 0; i < e->n; i++) {
        if (strlen(e->f[i].name) == name_len && memcmp(e->f[i].name, p, name_len) == 0) {
            return bad(s, line, "a field named twice in one block");
        }
    }
    ex_field *f = &e->f[e->n];
    memset(f, 0, sizeof *f);
    memcpy(f->name, p, name_len);
    f->line = line;
    const char *v = eq + 1;
    while (v < p + n && *v == ' ') {
        v++;
    }
    size_t vlen = (size_t)(p + n - v);
    if (sizeof s->arena - s->used < vlen + 1) {
        return bad(s, line, "the document's examples are too large");
    }
    f->val = s->arena + s->used;
    s->arena[s->used++] = 0;
    if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
        f->text = true;
        memcpy(s->arena + s->used - 1, v + 1, vlen - 2);
        s->used += vlen - 2;
        s->arena[s->used - 1] = 0;
        f->len = vlen - 2;
    } else if (vlen == 0 || !add_hex(s, f, v, vlen)) {
        return bad(s, line, "a value that is neither hex nor \"text\"");
    }
    e->n++;
    return WARD_OK;
}

ward_err ex_doc_parse(ex_set *s, const char *doc, size_t len)
{
    memset(s, 0, sizeof *s);
    const char *p = doc, *end = doc + len;
    ex_example *e = NULL;
    unsigned line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        if (e == NULL && n >= sizeof FENCE_EXAMPLE - 1 &&
            memcmp(p, FENCE_EXAMPLE, sizeof FENCE_EXAMPLE - 1) == 0) {
            const char *name = p + sizeof FENCE_EXAMPLE - 1;
            size_t name_len = n - (sizeof FENCE_EXAMPLE - 1);
            while (name_len > 0 && (name[name_len - 1] == ' ' || name[name_len - 1] == '\r')) {
                name_len--;
            }
            if (!name_ok(name, name_len, true)) {
                return bad(s, line, "an example block without a good name");
            }
            for (size_t i = 0; i < s->n; i++) {
                if (strlen(s->ex[i].name) == name_len &&
                    memcmp(s->ex[i].name, name, name_len) == 0) {
                    return bad(s, line, "two example blocks of one name");
                }
            }
            if (s->n == EX_EXAMPLES_MAX) {
                return bad(s, line, "too many example blocks");
            }
            e = &s->ex[s->n++];
            memset(e, 0, sizeof *e);
            memcpy(e->name, name, name_len);
            e->line = line;
        } else if (e != NULL && n >= 3 && memcmp(p, FENCE, 3) == 0) {
            size_t k = 3;
            while (k < n && (p[k] == ' ' || p[k] == '\r')) {
                k++;
            }
            if (k != n) {
                return bad(s, line, "a fence with text inside an example block");
            }
            ex_example *done = e;
            e = NULL;
            for (size_t i = 0; i < done->n; i++) {
                /* a hex value split over lines ends whole */
                if (done->f[i].len == 0 && !done->f[i].text) {
                    return bad(s, done->f[i].line, "an empty hex value");
                }
            }
        } else if (e != NULL) {
            ward_err err = parse_line(s, e, p, n, line);
            if (err != WARD_OK) {
                return err;
            }
        }
        p += n + (nl != NULL ? 1 : 0);
    }
    if (e != NULL) {
        return bad(s, e->line, "an example block that is never closed");
    }
    return WARD_OK;
}

/* ---- comparing ---- */

static const ex_example *find_ex(const ex_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->ex[i].name, name) == 0) {
            return &s->ex[i];
        }
    }
    return NULL;
}

static const ex_field *find_field(const ex_example *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++) {
        if (e->f[i].name[0] != '\0' && strcmp(e->f[i].name, name) == 0) {
            return &e->f[i];
        }
    }
    return NULL;
}

static bool same_outside(const ex_field *a, const ex_field *b, size_t off, size_t n)
{
    return memcmp(a->val, b->val, off) == 0 &&
           memcmp(a->val + off + n, b->val + off + n, a->len - off - n) == 0;
}

static bool sig_verifies(const ward_crypto *cp, const ex_field *want, const uint8_t *sig)
{
    if (want->sig_kind == EX_SIG_WARD) {
        return ward_verify(cp, want->sig_label, want->sig_pub, want->sig_msg,
                           want->sig_msg_len, sig) == WARD_OK;
    }
    return ward_httpsig_verify(cp, want->sig_pub, (const char *)want->sig_msg,
                               want->sig_msg_len, sig) == WARD_OK;
}

/* Whether the document's value of a field is the code's. */
static bool field_matches(const ward_crypto *cp, const ex_field *want, const ex_field *got,
                          bool deterministic)
{
    if (want->len != got->len) {
        return false;
    }
    if (want->sig_kind == EX_SIG_NONE || deterministic) {
        return memcmp(want->val, got->val, want->len) == 0;
    }
    if (want->crc_tail) {
        /* The CRC covers the signature: the document's must fit its bytes. */
        size_t n = want->len - 2;
        uint16_t crc = ward_se_crc16(got->val, n);
        return memcmp(want->val, got->val, want->sig_off) == 0 &&
               memcmp(want->val + want->sig_off + WARD_P256_SIG_LEN,
                      got->val + want->sig_off + WARD_P256_SIG_LEN,
                      n - want->sig_off - WARD_P256_SIG_LEN) == 0 &&
               got->val[n] == (uint8_t)(crc >> 8) && got->val[n + 1] == (uint8_t)crc &&
               sig_verifies(cp, want, got->val + want->sig_off);
    }
    return same_outside(want, got, want->sig_off, WARD_P256_SIG_LEN) &&
           sig_verifies(cp, want, got->val + want->sig_off);
}

static size_t first_diff(const ex_field *a, const ex_field *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    size_t i = 0;
    while (i < n && a->val[i] == b->val[i]) {
        i++;
    }
    return i;
}

size_t ex_compare(const ex_set *want, const ex_set *got, bool deterministic, FILE *out)
{
    size_t bad_count = 0;
    for (size_t i = 0; i < want->n; i++) {
        const ex_example *w = &want->ex[i];
        const ex_example *g = find_ex(got, w->name);
        if (g == NULL) {
            fprintf(out, "example %s: missing from the document\n", w->name);
            bad_count++;
            continue;
        }
        for (size_t j = 0; j < w->n; j++) {
            const ex_field *wf = &w->f[j];
            if (wf->name[0] == '\0') {
                continue;
            }
            const ex_field *gf = find_field(g, wf->name);
            if (gf == NULL) {
                fprintf(out, "example %s: field %s missing from the document\n", w->name,
                        wf->name);
                bad_count++;
            } else if (!field_matches(want->cp, wf, gf, deterministic)) {
                fprintf(out,
                        "example %s (line %u): %s differs from the code's: %zu bytes there, "
                        "%zu here, first difference at byte %zu%s\n",
                        w->name, gf->line, wf->name, gf->len, wf->len, first_diff(wf, gf),
                        wf->sig_kind != EX_SIG_NONE && !deterministic
                            ? " (or its signature does not verify)"
                            : "");
                bad_count++;
            }
        }
        for (size_t j = 0; j < g->n; j++) {
            if (find_field(w, g->f[j].name) == NULL) {
                fprintf(out, "example %s (line %u): field %s is not made by the code\n",
                        w->name, g->f[j].line, g->f[j].name);
                bad_count++;
            }
        }
    }
    for (size_t i = 0; i < got->n; i++) {
        if (find_ex(want, got->ex[i].name) == NULL) {
            fprintf(out, "example %s (line %u): in the document, not made by the code\n",
                    got->ex[i].name, got->ex[i].line);
            bad_count++;
        }
    }
    return bad_count;
}

/* ---- updating the document ---- */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            break;
        }
        char *bigger = realloc(buf, cap * 2);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Where a line equal to (or, prefix, starting with) s begins, from p on. */
static const char *find_line(const char *doc, const char *end, const char *p, const char *s,
                             bool prefix)
{
    size_t sl = strlen(s);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if ((p == doc || p[-1] == '\n') &&
            (prefix ? n >= sl : n == sl) && memcmp(p, s, sl) == 0) {
            return p;
        }
        p += n + (nl != NULL ? 1 : 0);
    }
    return NULL;
}

ward_err ex_update_file(const ex_set *s, const char *path)
{
    size_t len = 0;
    char *doc = read_all(path, &len);
    if (doc == NULL) {
        return WARD_ERR_IO;
    }
    const char *end = doc + len;
    const char *start = find_line(doc, end, doc, EX_HEADING, false);
    const char *after = NULL;
    if (start != NULL) {
        const char *next = memchr(start, '\n', (size_t)(end - start));
        after = next != NULL ? find_line(doc, end, next + 1, "## ", true) : NULL;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        free(doc);
        return WARD_ERR_IO;
    }
    if (start != NULL) {
        fwrite(doc, 1, (size_t)(start - doc), f);
    } else {
        fwrite(doc, 1, len, f);
        if (len > 0 && doc[len - 1] != '\n') {
            fputc('\n', f);
        }
        fputc('\n', f);
    }
    ex_appendix(s, f);
    if (after != NULL) {
        fputc('\n', f);
        fwrite(after, 1, (size_t)(end - after), f);
    }
    bool ok = fflush(f) == 0 && !ferror(f);
    ok = fclose(f) == 0 && ok;
    free(doc);
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return WARD_ERR_IO;
    }
    return WARD_OK;
}
