/* The encoder's state, and its three files, each calling only the ones below it:
 *   pickle_dump.c        the walk over the value, its containers, mp_pickle_dumps()
 *   pickle_dump_memo.c   which objects repeat, and their memo entries
 *   pickle_dump_write.c  the output buffer, the frame stack, what each scalar becomes */
#ifndef MP_PICKLE_DUMP_IMPL_H
#define MP_PICKLE_DUMP_IMPL_H

#include "pickle_impl.h"

/* A container being walked or written. */
typedef struct {
    const mp_obj_t *o;
    size_t i, n;   /* next child; how many (a dict's keys and values both) */
    uint8_t after; /* written after every `step`-th child (APPEND, SETITEM); 0 for none */
    uint8_t step;
    uint8_t close;   /* how the container ends (pickle_dump.c) */
    uint8_t pending; /* a child was started: its `after` is due when it is done */
} mp__pframe_t;

/* The persistent-id hook (pickle's persistent_id): gives the id a handle value is written as,
 * a tuple of None, ints, str and bytes (a new reference in *pid), or fails with a code and a
 * message. Without a hook a handle refuses to pickle, as CPython's do outside spawning. */
typedef int (*mp__persid_fn)(const mp_obj_t *handle, void *ud, mp_obj_t **pid);

typedef struct {
    unsigned char *buf;
    size_t len, cap;
    int proto;      /* the opcodes allowed: 0..5 */
    int auto_proto; /* protocol -1: the header says 5 only if a bytearray needed it */
    int wrote_bytearray;
    mp__ptrmap_t count; /* object -> occurrences, for objects that may repeat */
    mp__ptrmap_t memo;  /* object -> memo index */
    size_t nmemo;
    mp__pframe_t *st;
    size_t sp, scap;
    mp__persid_fn persid;
    void *persid_ud;
} mp__pickler_t;

/* ---- pickle_dump_write.c ------------------------------------------------------------------- */

/* Makes room for n more bytes of output. */
int mp__pickler_room(mp__pickler_t *p, size_t n);
int mp__pickler_put(mp__pickler_t *p, const void *data, size_t n);
/* An opcode and a little-endian operand of `width` bytes. */
int mp__pickler_op_le(mp__pickler_t *p, unsigned op, uint64_t v, int width);
/* An opcode and its protocol 0 text operand, ended by a newline. */
int mp__pickler_op_text(mp__pickler_t *p, unsigned op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int mp__pickler_op(mp__pickler_t *p, unsigned op)
{
    return mp__pickler_op_le(p, op, 0, 0);
}
/* GLOBAL module.name; a NULL module is where the protocol finds builtins. */
int mp__pickler_global(mp__pickler_t *p, const char *module, const char *name);
/* Pushes a frame for container o (all but o zeroed). */
int mp__pickler_push(mp__pickler_t *p, const mp_obj_t *o);
/* Writes None, a bool, int, float, str, bytes or bytearray (without its memo entry). */
int mp__pickler_scalar(mp__pickler_t *p, const mp_obj_t *o);
/* Writes items[*i], items[*i + 1]... while they are ints of 32 bits or less (protocol 1 and
 * up), moving *i past them. */
int mp__pickler_small_ints(mp__pickler_t *p, mp_obj_t *const *items, size_t n, size_t *i);

/* Objects worth a memo entry when shared: containers but (), bytearray, handles, and str and
 * bytes long enough that writing them again costs more than an index. No other object is ever counted or
 * memoised, so the walk asks the memo about these only. */
static inline int mp__pickler_memoisable(const mp_obj_t *o)
{
    if (o->type == MP_TYPE_HANDLE) /* a handle met twice is one handle in the child too */
        return 1;
    if (mp__is_container(o))
        return o->type != MP_TYPE_TUPLE || MP__TUPLE(o)->n;
    if (o->type == MP_TYPE_STR || o->type == MP_TYPE_BYTES)
        return MP__STR(o)->len >= MP__PICKLE_SHARED_TEXT;
    return o->type == MP_TYPE_BYTEARRAY;
}

/* ---- pickle_dump_memo.c -------------------------------------------------------------------- */

/* The first walk: p->count gets how often each object that may repeat occurs. */
int mp__pickler_count(mp__pickler_t *p, const mp_obj_t *root);
/* Whether o occurs more than once (or is a list or dict of a recursive value). */
int mp__pickler_shared(const mp__pickler_t *p, const mp_obj_t *o);
/* Memoises o, if shared, with the protocol's opcode. */
int mp__pickler_memo_put(mp__pickler_t *p, const mp_obj_t *o);
/* Writes a fetch of o if it is memoised: 1 if it was, 0 if not, or an error. */
int mp__pickler_memo_get(mp__pickler_t *p, const mp_obj_t *o);

/* ---- pickle_dump.c ------------------------------------------------------------------------- */

/* mp_pickle_dumps() with a persistent-id hook (NULL: none), at protocol 1 or above. */
int mp__pickle_dumps_hooked(const mp_obj_t *obj, int protocol, mp__persid_fn persid, void *ud,
                            void **out, size_t *len);

#endif /* MP_PICKLE_DUMP_IMPL_H */
