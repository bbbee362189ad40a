/*
 * ward_kat_vectors.h - the shape of the known-answer table that
 * gen_vectors.py generates from the files in tests/vectors/. Private to
 * selftest/.
 *
 * Each case names its suite ("sha256", "aes128_ccm", ...), its name and
 * source reference as written in the vector file, and its fields in file
 * order. A field is a byte pattern repeated `repeat` times: short values
 * are written out (repeat 1); long repetitions such as FIPS 180-2's million
 * 'a' stay a pattern and a count, and the runner feeds them piecewise.
 * An empty field has data NULL and len 0.
 */
#ifndef WARD_KAT_VECTORS_H
#define WARD_KAT_VECTORS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ward_kat_field {
    const char *key;
    const uint8_t *data;
    size_t len;    /* bytes in data: one copy of the pattern */
    size_t repeat; /* the value is data repeated this many times */
} ward_kat_field;

typedef struct ward_kat_case {
    const char *suite;
    const char *name;
    const char *ref;  /* the document and section it comes from */
    const char *file; /* vector file it was read from, and line of "case" */
    unsigned line;
    const ward_kat_field *fields;
    size_t nfields;
} ward_kat_case;

extern const ward_kat_case ward_kat_cases[];
extern const size_t ward_kat_case_count;

#endif /* WARD_KAT_VECTORS_H */
