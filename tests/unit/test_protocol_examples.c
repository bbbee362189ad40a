/* docs/protocol.md's worked examples against the real code: checks or writes the appendix.
 * WARD_TEST_PER_BACKEND WARD_TEST_CLIENT
 *
 *     test_protocol_examples BACKEND                 the checks (ctest)
 *     test_protocol_examples mbedtls --print         the appendix, to stdout
 *     test_protocol_examples mbedtls --update FILE   the appendix rewritten in FILE
 *
 * The generator is tests/unit/examples_*.c; examples.h says how. */
#include "ward_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples.h"

#ifndef WARD_PROTOCOL_MD
#error "tests/CMakeLists.txt defines WARD_PROTOCOL_MD (the path of docs/protocol.md)"
#endif
#ifndef WARD_HEADERS_DIR
#error "tests/CMakeLists.txt defines WARD_HEADERS_DIR (the path of include/ward)"
#endif

static const char *doc_path = WARD_PROTOCOL_MD;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (buf == NULL) {
            break;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) {
            break;
        }
        char *bigger = realloc(buf, 2 * cap + 1);
        if (bigger == NULL) {
            free(buf);
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* Whether the backend signs deterministically (same key and digest, same
 * signature): then signatures are compared byte for byte. */
static bool deterministic(const ward_crypto *cp)
{
    uint8_t priv[32], digest[32], a[64], b[64];
    memset(priv, 0x11, sizeof priv);
    memset(digest, 0x22, sizeof digest);
    assert_int_equal(cp->ecdsa_p256_sign(priv, digest, a), WARD_OK);
    assert_int_equal(cp->ecdsa_p256_sign(priv, digest, b), WARD_OK);
    return memcmp(a, b, sizeof a) == 0;
}

static ex_set *generated(void)
{
    ex_set *s = calloc(1, sizeof *s);
    assert_non_null(s);
    if (ex_generate(s, ward_test_cp) != WARD_OK) {
        fprintf(stderr, "the generator failed: %s\n", s->err);
        free(s);
        fail_msg("the examples could not be made");
    }
    return s;
}

static ex_set *parsed(const char *doc, size_t len, ward_err want)
{
    ex_set *s = calloc(1, sizeof *s);
    assert_non_null(s);
    ward_err err = ex_doc_parse(s, doc, len);
    if (err != want) {
        fprintf(stderr, "parse: %s\n", err != WARD_OK ? s->err : "accepted");
        free(s);
        fail_msg("the document parsed to %s, not %s", ward_strerror(err), ward_strerror(want));
    }
    return s;
}

/* ---- the document against the code ---- */

static void test_doc_matches_code(void **state)
{
    (void)state;
    size_t len = 0;
    char *doc = slurp(doc_path, &len);
    if (doc == NULL) {
        fail_msg("cannot read %s", doc_path);
    }
    ex_set *want = generated();
    ex_set *got = parsed(doc, len, WARD_OK);
    assert_non_null(strstr(doc, EX_HEADING "\n"));
    size_t bad = ex_compare(want, got, deterministic(ward_test_cp), stderr);
    if (bad > 0) {
        fprintf(stderr,
                "%zu difference(s) between %s and the code. If the protocol changed on\n"
                "purpose: build/tests/test_protocol_examples mbedtls --update "
                "docs/protocol.md\n",
                bad, doc_path);
    }
    free(doc);
    free(want);
    free(got);
    assert_int_equal(bad, 0);
}

/* Every message type the headers define has a worked example. */
static void test_every_message_type_has_example(void **state)
{
    (void)state;
    static const char *const headers[] = { "ward_bind.h", "ward_op.h", "ward_device.h",
                                           "ward_gw_prov.h", "ward_gw_cloud.h" };
    ex_set *want = generated();
    size_t types = 0, missing = 0;
    char path[1024];
    for (size_t h = 0; h < sizeof headers / sizeof headers[0]; h++) {
        snprintf(path, sizeof path, "%s/%s", WARD_HEADERS_DIR, headers[h]);
        size_t len = 0;
        char *text = slurp(path, &len);
        if (text == NULL) {
            fail_msg("cannot read %s", path);
        }
        for (char *p = strstr(text, "#define WARD_MSG_"); p != NULL;
             p = strstr(p + 1, "#define WARD_MSG_")) {
            char name[64];
            unsigned type = 0;
            if (sscanf(p, "#define %63s 0x%x", name, &type) != 2) {
                continue;   /* WARD_MSG_MAX and the like are no types */
            }
            types++;
            bool found = false;
            for (size_t i = 0; i < want->n && !found; i++) {
                for (size_t j = 0; j < want->ex[i].n && !found; j++) {
                    const ex_field *f = &want->ex[i].f[j];
                    found = f->is_msg && f->len > 1 && f->val[1] == type;
                }
            }
            if (!found) {
                fprintf(stderr, "%s (0x%02x) has no worked example in examples_*.c\n", name,
                        type);
                missing++;
            }
        }
        free(text);
    }
    free(want);
    assert_true(types >= 16);
    assert_int_equal(missing, 0);
}

/* Every label of ward_suite.h is shown at work (a derivation or a
 * signature), but "sign" (a prefix) and "test". */
static void test_every_label_has_example(void **state)
{
    (void)state;
    char path[1024];
    size_t len = 0, labels = 0, missing = 0;
    snprintf(path, sizeof path, "%s/ward_suite.h", WARD_HEADERS_DIR);
    char *text = slurp(path, &len);
    if (text == NULL) {
        fail_msg("cannot read %s", path);
    }
    ex_set *want = generated();
    for (char *p = strstr(text, "#define WARD_LABEL_"); p != NULL;
         p = strstr(p + 1, "#define WARD_LABEL_")) {
        char *q = strchr(p, '"'), *e = q != NULL ? strchr(q + 1, '"') : NULL;
        char *nl = strchr(p, '\n');
        if (q == NULL || e == NULL || (nl != NULL && q > nl)) {
            continue;   /* WARD_LABEL_MAX */
        }
        size_t ll = (size_t)(e - q - 1);
        if ((ll == 4 && memcmp(q + 1, "sign", 4) == 0) ||
            (ll == 4 && memcmp(q + 1, "test", 4) == 0)) {
            continue;
        }
        labels++;
        bool found = false;
        for (size_t i = 0; i < want->n && !found; i++) {
            for (size_t j = 0; j < want->ex[i].n && !found; j++) {
                const ex_field *f = &want->ex[i].f[j];
                size_t nl2 = strlen(f->name);
                found = (nl2 >= 5 && strcmp(f->name + nl2 - 5, "label") == 0 &&
                         f->len == ll && memcmp(f->val, q + 1, ll) == 0) ||
                        (f->sig_label != NULL && strlen(f->sig_label) == ll &&
                         memcmp(f->sig_label, q + 1, ll) == 0);
            }
        }
        if (!found) {
            fprintf(stderr, "label \"%.*s\" has no worked example\n", (int)ll, q + 1);
            missing++;
        }
    }
    free(text);
    free(want);
    assert_true(labels >= 14);
    assert_int_equal(missing, 0);
}

/* "Error answers" lists every ward_err code by number. */
static void test_error_table(void **state)
{
    (void)state;
    static const struct {
        ward_err code;
        const char *name;
    } codes[] = {
        { WARD_ERR_PARAM, "WARD_ERR_PARAM" },
        { WARD_ERR_STATE, "WARD_ERR_STATE" },
        { WARD_ERR_NOSPACE, "WARD_ERR_NOSPACE" },
        { WARD_ERR_AUTH, "WARD_ERR_AUTH" },
        { WARD_ERR_FORMAT, "WARD_ERR_FORMAT" },
        { WARD_ERR_IO, "WARD_ERR_IO" },
        { WARD_ERR_BUSY, "WARD_ERR_BUSY" },
        { WARD_ERR_LOCKED, "WARD_ERR_LOCKED" },
        { WARD_ERR_EXPIRED, "WARD_ERR_EXPIRED" },
        { WARD_ERR_NOTFOUND, "WARD_ERR_NOTFOUND" },
        { WARD_ERR_CRYPTO, "WARD_ERR_CRYPTO" },
        { WARD_ERR_UNSUPPORTED, "WARD_ERR_UNSUPPORTED" },
        { WARD_ERR_CONFLICT, "WARD_ERR_CONFLICT" },
    };
    /* A code added to ward_err.h must be added here, and to the table. */
    typedef char every_code_listed[sizeof codes / sizeof codes[0] == WARD_ERR_COUNT - 1 ? 1
                                                                                       : -1];
    (void)sizeof(every_code_listed);
    size_t len = 0, missing = 0;
    char *doc = slurp(doc_path, &len);
    if (doc == NULL) {
        fail_msg("cannot read %s", doc_path);
    }
    const char *start = strstr(doc, "\n## Error answers\n");
    assert_non_null(start);
    const char *end = strstr(start + 1, "\n## ");
    assert_non_null(end);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char row[160];
        snprintf(row, sizeof row, "\n| %d | `%s` | %s |", (int)codes[i].code, codes[i].name,
                 ward_strerror(codes[i].code));
        const char *hit = strstr(start, row);
        if (hit == NULL || hit > end) {
            fprintf(stderr, "\"Error answers\" lacks the row:%s\n", row);
            missing++;
        }
    }
    free(doc);
    assert_int_equal(missing, 0);
}

/* ---- the checker itself: what it must refuse ---- */

static void test_parser_refuses_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "```example a\nx = 00\n",                       /* never closed */
        "```example a\nx = 0\n```\n",                   /* odd hex */
        "```example a\nx = zz\n```\n",                  /* not hex */
        "```example a\nx 00\n```\n",                    /* no '=' */
        "```example a\nx = 00\nx = 01\n```\n",          /* a field twice */
        "```example a\n```\n```example a\n```\n",       /* a block twice */
        "```example a\nx = \"t\"\n   00\n```\n",        /* hex going on after text */
        "```example a\n   00\n```\n",                   /* going on after nothing */
        "```example A b\n```\n",                        /* a bad block name */
        "```example a\nx =\n```\n",                     /* no value */
        "```example a\nx = \"ab\n```\n",                 /* text never closed */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        free(parsed(bad[i], strlen(bad[i]), WARD_ERR_FORMAT));
    }
    static const char good[] =
        "text\n```c\nnot = ours\n```\n```example a\n# note\nx = 0011\n    2233\n"
        "y = \"h\"i\"\nz = \"\"\n```\n";
    ex_set *s = parsed(good, strlen(good), WARD_OK);
    assert_int_equal(s->n, 1);
    assert_int_equal(s->ex[0].n, 3);
    assert_int_equal(s->ex[0].f[0].len, 4);
    assert_memory_equal(s->ex[0].f[0].val, "\x00\x11\x22\x33", 4);
    assert_int_equal(s->ex[0].f[1].len, 3);
    assert_memory_equal(s->ex[0].f[1].val, "h\"i", 3);
    assert_int_equal(s->ex[0].f[2].len, 0);
    free(s);
}

/* The appendix as written reads back equal; each kind of drift is found. */
static void test_checker_finds_drift(void **state)
{
    (void)state;
    ex_set *want = generated();
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    ex_appendix(want, f);
    fclose(f);
    bool det = deterministic(ward_test_cp);
    ex_set *got = parsed(text, len, WARD_OK);
    assert_int_equal(ex_compare(want, got, det, stderr), 0);
    free(got);

    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    /* A block gone. */
    char *gone = strstr(text, "```example approval\n");
    assert_non_null(gone);
    gone[4] = 'X';   /* "```eXample": no longer an example block */
    got = parsed(text, len, WARD_OK);
    assert_true(ex_compare(want, got, det, devnull) > 0);
    free(got);
    gone[4] = 'x';
    /* One digit changed. */
    char *field = strstr(gone, "\nmsg = ");
    assert_non_null(field);
    char *digit = field + 8;
    *digit = *digit == '0' ? '1' : '0';
    got = parsed(text, len, WARD_OK);
    assert_true(ex_compare(want, got, det, devnull) > 0);
    free(got);
    *digit = *digit == '0' ? '1' : '0';
    /* A signature changed: it no longer verifies, on any backend. */
    char *sig = strstr(text, "```example http-signature\n");
    assert_non_null(sig);
    sig = strstr(sig, "\nsig = ");
    assert_non_null(sig);
    sig[10] = sig[10] == '0' ? '1' : '0';
    got = parsed(text, len, WARD_OK);
    assert_true(ex_compare(want, got, det, devnull) > 0);
    free(got);
    fclose(devnull);
    free(text);
    free(want);
}

/* --update replaces the appendix and nothing else, and adds it if absent. */
static void test_update_in_place(void **state)
{
    (void)state;
    char path[] = "/tmp/ward-protocol-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char before[] = "# doc\n\n## Chapter\n\ntext\n";
    static const char after[] = "\n## Later\n\nmore\n";
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "%s\n%s\n\nstale\n%s", before, EX_HEADING, after);
    fclose(f);
    ex_set *want = generated();
    assert_int_equal(ex_update_file(want, path), WARD_OK);
    size_t len = 0;
    char *doc = slurp(path, &len);
    assert_non_null(doc);
    assert_memory_equal(doc, before, strlen(before));
    assert_null(strstr(doc, "stale"));
    assert_non_null(strstr(doc, after));
    ex_set *got = parsed(doc, len, WARD_OK);
    assert_int_equal(ex_compare(want, got, deterministic(ward_test_cp), stderr), 0);
    free(got);
    free(doc);
    /* Without an appendix: added at the end, the rest kept. */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(before, f);
    fclose(f);
    assert_int_equal(ex_update_file(want, path), WARD_OK);
    doc = slurp(path, &len);
    assert_non_null(doc);
    assert_memory_equal(doc, before, strlen(before));
    assert_non_null(strstr(doc, "\n" EX_HEADING "\n"));
    free(doc);
    free(want);
    remove(path);
}

/* ---- the generator's two commands ---- */

static int write_mode(const char *mode, const char *path)
{
    if (!deterministic(ward_test_cp)) {
        fprintf(stderr, "write the examples with the mbedtls backend: its ECDSA signatures "
                        "are deterministic (RFC 6979)\n");
        return 2;
    }
    ex_set *s = calloc(1, sizeof *s);
    if (s == NULL || ex_generate(s, ward_test_cp) != WARD_OK) {
        fprintf(stderr, "the generator failed: %s\n", s != NULL ? s->err : "no memory");
        free(s);
        return 1;
    }
    int rc = 0;
    if (strcmp(mode, "--print") == 0) {
        ex_appendix(s, stdout);
    } else if (ex_update_file(s, path) != WARD_OK) {
        fprintf(stderr, "cannot rewrite %s\n", path);
        rc = 1;
    } else {
        fprintf(stderr, "%s: appendix rewritten (%zu examples)\n", path, s->n);
    }
    free(s);
    return rc;
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    if (argc > 2 && strcmp(argv[2], "--print") == 0) {
        return write_mode(argv[2], NULL);
    }
    if (argc > 3 && strcmp(argv[2], "--update") == 0) {
        return write_mode(argv[2], argv[3]);
    }
    if (argc > 3 && strcmp(argv[2], "--doc") == 0) {
        doc_path = argv[3];
    } else if (argc > 2) {
        fprintf(stderr, "usage: %s BACKEND [--print | --update FILE | --doc FILE]\n", argv[0]);
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_matches_code),
        cmocka_unit_test(test_every_message_type_has_example),
        cmocka_unit_test(test_every_label_has_example),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_parser_refuses_malformed),
        cmocka_unit_test(test_checker_finds_drift),
        cmocka_unit_test(test_update_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
