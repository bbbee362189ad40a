/* Shared by the C corpus generators (gen_corpus_*.c): their command line and the one way they
 * write a seed file. */
#ifndef WARD_GEN_CORPUS_H
#define WARD_GEN_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* argv[1], the corpus directory; NULL after printing the usage line of prog. */
static inline const char *gc_corpus_dir(int argc, char **argv, const char *prog)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", prog);
        return NULL;
    }
    return argv[1];
}

/* Writes dir/sub/name: head (head_len bytes, none if 0: a harness's mode byte, say), then
 * data. 0, or 1 after saying which file could not be written. */
static inline int gc_put_with(const char *prog, const char *dir, const char *sub,
                              const char *name, const uint8_t *head, size_t head_len,
                              const uint8_t *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && (head_len == 0 || fwrite(head, 1, head_len, f) == head_len) &&
             (len == 0 || fwrite(data, 1, len, f) == len);
    if (f == NULL || fclose(f) != 0 || !ok) {
        fprintf(stderr, "%s: cannot write %s\n", prog, path);
        return 1;
    }
    return 0;
}

static inline int gc_put(const char *prog, const char *dir, const char *sub, const char *name,
                         const uint8_t *data, size_t len)
{
    return gc_put_with(prog, dir, sub, name, NULL, 0, data, len);
}

#endif /* WARD_GEN_CORPUS_H */
