/* The pickle vectors of conformance/vectors/ (CPython's output; README.md there says how each
 * file was made), read at test time: the directory is $MP_VECTORS if set, else
 * conformance/vectors from the current directory (the repository's root), else the first
 * conformance/vectors found going up from the running binary (build/conformance/.., or
 * build/cov/conformance/../.. for another BUILD). */
#ifndef MP_PICKLE_VECTORS_H
#define MP_PICKLE_VECTORS_H

#include <limits.h>
#include <stddef.h>

typedef struct {
    char *f[8]; /* the TAB-separated fields; missing ones are "" */
} pv_row_t;

typedef struct {
    pv_row_t *row;
    size_t n;
    char *text;              /* the file, fields cut in place */
    char why[2 * PATH_MAX]; /* when n is 0: why */
} pv_file_t;

/* Reads `name` from the vectors directory, skipping comments. */
void pv_load(pv_file_t *f, const char *name);

/* The vectors directory, or NULL if there is none. */
const char *pv_dir(void);

#endif
