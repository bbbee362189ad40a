/*
 * examples.h - the worked examples of docs/protocol.md ("Appendix: worked
 * examples"), made by the real code and checked against the document.
 *
 * The generator (examples_suite.c, examples_ab.c, examples_c_lan.c,
 * examples_c_cloud.c, examples_c_sub.c, examples_c_state.c, with
 * examples_c_fixture.c, examples_d.c, examples_e.c, examples_cert.c,
 * examples_time.c) runs every key
 * derivation and every sealed or signed message of flows A, B, C, D and E
 * with fixed inputs: keys and "random" bytes from a fixed stream (ex_rng),
 * a fixed clock. Each example is a named list of fields `name = value`
 * (hex, or "text" for printable ASCII) with comment lines between them.
 *
 * In the document an example is a fenced block:
 *
 *     ```example approval
 *     # a comment
 *     auth_key = 0011...            (64 hex digits a line at most; a hex
 *                ...                 value goes on, indented, on the next)
 *     uid = "alice"
 *     ```
 *
 * ex_doc_parse() reads those blocks back; ex_compare() reports every
 * difference between the generated set and the document's. A field that
 * holds an ECDSA signature (ex_sig) is compared byte for byte where the
 * backend signs deterministically (mbedTLS, RFC 6979); otherwise the
 * document's signature must verify and every other byte must match.
 *
 * ex_appendix() writes the whole appendix (heading, prose, blocks):
 * `test_protocol_examples mbedtls --update docs/protocol.md` replaces the
 * appendix in place, so a protocol change updates it in one command.
 */
#ifndef WARD_EXAMPLES_H
#define WARD_EXAMPLES_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ward/ward.h"

#define EX_NAME_MAX 48
#define EX_FIELDS_MAX 64
#define EX_EXAMPLES_MAX 64
#define EX_ARENA (96 * 1024)
#define EX_ERR_MAX 512

/* How a signature field is verified where it cannot be reproduced. */
enum { EX_SIG_NONE = 0, EX_SIG_WARD, EX_SIG_HTTP };

typedef struct ex_field {
    char name[EX_NAME_MAX];     /* "" for a comment line */
    const char *comment;        /* the comment's text (arena) */
    const uint8_t *val;         /* arena */
    size_t len;
    bool text;                  /* printed as "text" */
    bool is_msg;                /* a whole ward message (header first) */
    /* A signature of 64 bytes at val[sig_off] over msg[0..msg_len),
     * by pub; label for ward_sign, none for an RFC 9421 signature. */
    int sig_kind;
    size_t sig_off;
    const uint8_t *sig_msg;
    size_t sig_msg_len;
    const char *sig_label;
    const uint8_t *sig_pub;
    bool crc_tail;              /* an SE frame: its last 2 bytes are a CRC */
    unsigned line;              /* parsed: line of the document */
} ex_field;

typedef struct ex_example {
    char name[EX_NAME_MAX];
    const char *intro;          /* prose before the block (arena), or NULL */
    ex_field f[EX_FIELDS_MAX];
    size_t n;
    unsigned line;              /* parsed: line of the opening fence */
} ex_example;

typedef struct ex_set {
    ex_example ex[EX_EXAMPLES_MAX];
    size_t n;
    uint8_t arena[EX_ARENA];
    size_t used;
    const ward_crypto *cp;
    jmp_buf jb;                 /* the generator's failures land here */
    char err[EX_ERR_MAX];
} ex_set;

/* ---- the deterministic random source ---- */

/* Block i of the stream is SHA-256("ward example rng " || seed || 0x00 ||
 * i as 4 bytes big-endian); bytes are handed out in order. Every draw is
 * also appended to log (up to its size) until ex_rng_mark() clears it. */
typedef struct ex_rng {
    const ward_crypto *cp;
    char seed[32];
    uint32_t counter;
    uint8_t block[32];
    size_t avail;
    uint8_t log[512];
    size_t log_len;
} ex_rng;

ward_random ex_rng_init(ex_rng *r, const ward_crypto *cp, const char *seed);
void ex_rng_mark(ex_rng *r);

/* ---- building a set (the generator); failures longjmp to s->jb ---- */

void ex_fail(ex_set *s, const char *fmt, ...);
/* Fails the generation unless err is WARD_OK. */
#define EX_OK(s, expr)                                                       \
    do {                                                                     \
        ward_err ex_err_ = (expr);                                           \
        if (ex_err_ != WARD_OK) {                                            \
            ex_fail((s), "%s:%d: %s: %s", __FILE__, __LINE__, #expr,         \
                    ward_strerror(ex_err_));                                 \
        }                                                                    \
    } while (0)
/* Fails unless the documented construction gives the code's bytes. */
#define EX_SAME(s, a, alen, b, blen, what)                                   \
    do {                                                                     \
        if ((alen) != (blen) || memcmp((a), (b), (alen)) != 0) {             \
            ex_fail((s), "%s:%d: the documented %s differs from the code's", \
                    __FILE__, __LINE__, (what));                             \
        }                                                                    \
    } while (0)

void ex_begin(ex_set *s, const char *name, const char *intro);
void ex_note(ex_set *s, const char *fmt, ...);
void ex_hex(ex_set *s, const char *name, const uint8_t *v, size_t len);
/* Printable ASCII (0x20..0x7E) is shown as "text", else as hex. */
void ex_text(ex_set *s, const char *name, const uint8_t *v, size_t len);
void ex_str(ex_set *s, const char *name, const char *v);
void ex_msg(ex_set *s, const char *name, const uint8_t *v, size_t len);
/* v holds a signature at sig_off (64 bytes) over msg, by pub (label NULL:
 * an RFC 9421 signature over SHA-256(msg)). is_msg marks a ward message. */
void ex_sig(ex_set *s, const char *name, const uint8_t *v, size_t len,
            bool is_msg, size_t sig_off, const char *label,
            const uint8_t pub[WARD_P256_POINT_LEN], const uint8_t *msg,
            size_t msg_len);
/* The same for an SE frame that carries a signature: its CRC-16 (last
 * two bytes) depends on the signature too. */
void ex_sig_frame(ex_set *s, const char *name, const uint8_t *v, size_t len,
                  size_t sig_off, const char *label,
                  const uint8_t pub[WARD_P256_POINT_LEN], const uint8_t *msg,
                  size_t msg_len);
/* Copies into the set's arena (so fields may point at it). */
uint8_t *ex_keep(ex_set *s, const void *v, size_t len);

/* ward_kdf(label, ikm, empty salt, ctx) into out, shown as the fields
 * PREFIX.label, .ikm, .salt, .context, .info (the HKDF info) and .okm. */
void ex_kdf(ex_set *s, const char *prefix, const char *label, const uint8_t *ikm,
            size_t ikm_len, const uint8_t *ctx, size_t ctx_len, uint8_t *out,
            size_t out_len);

/* Every clock of the examples reads this (unix ms). */
#define EX_T0 1700000000000ull
ward_clock ex_clock(void);

/* The generator: every example, with the backend cp. WARD_OK, or an
 * error with s->err saying what failed. */
ward_err ex_generate(ex_set *s, const ward_crypto *cp);
void ex_gen_suite(ex_set *s);
void ex_gen_flow_a_b(ex_set *s);
void ex_gen_flow_c_lan(ex_set *s);
void ex_gen_flow_c_cloud(ex_set *s);
void ex_gen_flow_c_sub(ex_set *s);
void ex_gen_flow_c_state(ex_set *s);
void ex_gen_flow_d(ex_set *s);
void ex_gen_flow_e(ex_set *s);
void ex_gen_certs(ex_set *s);
void ex_gen_time(ex_set *s);
void ex_gen_fw(ex_set *s);

/* ---- the document ---- */

/* Writes the appendix: its heading, its prose and every block. */
void ex_appendix(const ex_set *s, FILE *out);

/* Reads every ```example block of doc[0..len) into s (cp NULL). WARD_OK,
 * or WARD_ERR_FORMAT with s->err naming the line. */
ward_err ex_doc_parse(ex_set *s, const char *doc, size_t len);

/* Every difference between the generated set want and the document's
 * set got, one line each to out; returns the count. A backend whose
 * signatures are randomized (deterministic false) checks signature fields
 * by verifying the document's. */
size_t ex_compare(const ex_set *want, const ex_set *got,
                  bool deterministic, FILE *out);

/* Replaces the appendix of the file at path (from its heading to the next
 * "## " heading or the end) with ex_appendix(); appends it when absent. */
ward_err ex_update_file(const ex_set *s, const char *path);

/* The appendix heading, a line of its own in the document. */
#define EX_HEADING "## Appendix: worked examples"

#endif /* WARD_EXAMPLES_H */
