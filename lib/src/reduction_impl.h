/* Handles pickled while spawning (reduction*.c): what a start method that execs a fresh program
 * image (spawn, forkserver) uses to send a process's arguments, handles included. Nothing here is
 * part of the API. */
#ifndef MP_REDUCTION_IMPL_H
#define MP_REDUCTION_IMPL_H

#include <stddef.h>

#include "mp_internal.h"

/* The most descriptors one child can be given: what one SCM_RIGHTS message carries. */
#define MP__FDLIST_MAX 253

/* The descriptors a pickled value refers to, each once, in the order the pickle numbers them. */
typedef struct mp__fdlist {
    int fd[MP__FDLIST_MAX];
    size_t n;
} mp__fdlist_t;

/* Pickles `obj` for a child started by spawn or forkserver. Every handle value in it becomes a
 * persistent id (BINPERSID) naming its kind, the shared memory behind it (an index into `fds`
 * and an offset) and any descriptor of its own (a queue's end-of-producers pipe, a connection's
 * socket); the descriptors are appended to `fds` (a descriptor already there is not added
 * again). Fails with MP_EENCODE and a message naming the value for what cannot be sent (a
 * Barrier with an action, a connection holding read-ahead bytes, too many descriptors); on
 * failure nothing is allocated and `fds` may hold some entries (the caller discards it). */
int mp__reduce_dumps(const mp_obj_t *obj, mp__fdlist_t *fds, void **out, size_t *len);

/* The child's side: unpickles what mp__reduce_dumps made, rebuilding each handle from
 * `fds[i]`, the child's descriptor for the parent's i-th. Rebuilt handles belong to their
 * values. The decoder's strictness is the usual one, and a persistent id is checked in full
 * (kind, index, offset within the mapping) before anything is mapped. The descriptors stay open
 * (a handle's memory is mapped from them, and a grandchild is given them again). */
int mp__reduce_loads(const void *data, size_t len, const int *fds, size_t nfds, mp_obj_t **out);

/* reduction.c: a handle value of `kind`; `owned`: freeing the value frees the handle (and a
 * failure to make the value, too). */
mp_obj_t *mp__handle_obj(mp_handle_kind_t kind, void *handle, int owned);

#endif /* MP_REDUCTION_IMPL_H */
