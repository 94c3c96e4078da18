/* Internals of Value and Array (sharedctypes*.c) that the handle passing of reduction*.c needs.
 * Nothing here is part of the API. */
#ifndef MP_SHAREDCTYPES_IMPL_H
#define MP_SHAREDCTYPES_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "mp_internal.h"

/* Shared: the typecode and length sit before the data, so that a child rebuilt from a memfd
 * and an offset learns them from the memory itself (and checks them against the mapping). */
typedef struct mp__sct_shared {
    uint64_t len;
    char typecode;
    char pad_[7];
} mp__sct_shared_t;

/* One handle for both Value and Array: a Value is an array of one. */
struct mp_array_s {
    mp__sct_shared_t *sh;
    unsigned char *data;
    mp_lock_t *lock; /* NULL: raw */
    int own_lock;
    size_t len, itemsize;
    char typecode;
};
struct mp_value_s {
    struct mp_array_s a;
};

/* The bytes one element of `typecode` takes; 0 for an unknown code. */
size_t mp__sct_itemsize(char typecode);

/* MP_EINVAL when `n` elements of `typecode` at `p` hold a 'u' that is no code point (below 0
 * or past U+10FFFF, which CPython could not read back); 0 otherwise. */
int mp__sct_check_chars(const char *fn, char typecode, const void *p, size_t n);

/* A handle over the object at `offset` in the memfd `fd`, with `lock` (NULL: raw; the handle
 * owns it). The header read from the memory is checked: a known code, and a length that fits
 * the mapping. */
int mp__sct_import(int fd, size_t offset, mp_lock_t *lock, struct mp_array_s **out);

#endif /* MP_SHAREDCTYPES_IMPL_H */
