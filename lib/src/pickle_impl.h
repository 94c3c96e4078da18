/* Internals shared by the pickle*.c files: a map keyed by object address (sharing, memo
 * indexes, the walks over values), the opcodes (pickle_opcodes.h), and the decoder: its state,
 * its handlers, the whitelist and the files that hold each, called in one direction:
 * pickle_load.c (the run) -> pickle_load_ops.c, pickle_load_text.c (the handlers)
 * -> pickle_load_state.c -> pickle_whitelist.c. */
#ifndef MP_PICKLE_IMPL_H
#define MP_PICKLE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "object_impl.h"

/* ---- address map ----------------------------------------------------------------------- */

/* Open addressing over object addresses, which are never reused while the map lives (every
 * key is kept alive by the value being walked). */
typedef struct {
    const void **key;
    size_t *val;
    size_t mask, n;
} mp__ptrmap_t;

#define MP__PTRMAP_INIT                                                                            \
    {                                                                                              \
        NULL, NULL, 0, 0                                                                           \
    }

/* The value stored for k, or NULL. */
size_t *mp__ptrmap_get(const mp__ptrmap_t *m, const void *k);
/* The value slot for k, added with value 0 (and *added = 1) if absent; NULL out of memory. */
size_t *mp__ptrmap_put(mp__ptrmap_t *m, const void *k, int *added);
void mp__ptrmap_free(mp__ptrmap_t *m);

/* ---- opcodes ----------------------------------------------------------------------------- */

#include "pickle_opcodes.h"

/* MP__OP_MARK = '(', ... */
#define MP__OP_ENUM(name, byte, proto, fn, arg) MP__OP_##name = (byte),
enum { MP__PICKLE_OPCODES(MP__OP_ENUM) };
#undef MP__OP_ENUM

/* Why a refused opcode is refused (mp__op_refuse's argument). */
enum { MP__REFUSE_OBJECT, MP__REFUSE_BUFFER, MP__REFUSE_PY2, MP__REFUSE_DUP };

/* ---- the decoder --------------------------------------------------------------------------- */

/* The persistent-load hook (pickle's persistent_load): the value a persistent id stands for,
 * a new reference in *out, or a code (MP_EDECODE with a message saying what is wrong with the
 * id). Without one, PERSID and BINPERSID are refused as every opcode that names an object. */
typedef int (*mp__persload_fn)(const mp_obj_t *pid, void *ud, mp_obj_t **out);

typedef struct mp__unpickler {
    const unsigned char *in;
    size_t len, pos;
    size_t op_at; /* offset of the opcode being run, for messages */
    unsigned op;
    mp_obj_t **stack; /* owned references; the items above marks[nmarks - 1] are the fence's */
    size_t sp, scap;
    size_t *marks;
    size_t nmarks, mcap;
    mp_obj_t **memo; /* owned references */
    size_t nmemo, memocap;
    mp_pickle_limits_t lim;
    size_t budget, spent; /* bytes that may still be / have been allocated */
    int maybe_cyclic;     /* a list or dict came back from the memo: a cycle may exist */
    int saw_tag;          /* a stand-in for a callable was pushed: values must be checked */
    int stopped;
    size_t containers; /* made by EMPTY_* and the MARK collectors: the most the result can nest */
    mp__persload_fn persload;
    void *persload_ud;
    mp_obj_t *small[256]; /* BININT1's values, made once per call */
} mp__unpickler_t;

/* An opcode's handler and the argument it is called with (a width, a count, a type...). */
typedef struct {
    int (*fn)(mp__unpickler_t *u, int arg);
    int arg;
} mp__op_t;

/* Every handler of the opcode table. */
#define MP__OP_DECLARE(name, byte, proto, fn, arg) int fn(mp__unpickler_t *u, int arg_);
MP__PICKLE_OPCODES(MP__OP_DECLARE)
#undef MP__OP_DECLARE

/* Until the decoder returns, the objects it made are seen by no other thread, so the counts it
 * moves itself (the memo's, the stack's) need no atomic instruction, which costs as much as the
 * rest of a small value's decoding. Members of recursive units (made at the end of a run) and
 * the immortal singletons go the usual way. */
static inline int mp__private(const mp_obj_t *o)
{
    return !(o->flags & (MP__F_IMMORTAL | MP__F_CYCLE));
}

static inline mp_obj_t *mp__private_incref(mp_obj_t *o)
{
    if (!mp__private(o))
        return mp_obj_incref(o);
    size_t c = atomic_load_explicit(&o->refcnt, memory_order_relaxed);
    atomic_store_explicit(&o->refcnt, c + 1, memory_order_relaxed);
    return o;
}

static inline void mp__private_decref(mp_obj_t *o)
{
    size_t c = mp__private(o) ? atomic_load_explicit(&o->refcnt, memory_order_relaxed) : 0;
    if (c > 1)
        atomic_store_explicit(&o->refcnt, c - 1, memory_order_relaxed);
    else
        mp_obj_decref(o);
}

/* pickle_load.c: mp_pickle_loads() with a persistent-load hook, for BINPERSID only (libmp
 * never writes PERSID, so it stays refused). */
int mp__pickle_loads_hooked(const void *data, size_t len, mp__persload_fn persload, void *ud,
                            mp_obj_t **out);

/* ---- pickle_whitelist.c: the constructors GLOBAL and STACK_GLOBAL may name ------------- */

/* What a refusal of another name lists. */
#define MP__WHITELIST_NAMES "bytes, bytearray, set, frozenset, _codecs.encode"

/* The stand-ins for the whitelisted callables are static objects of this type, which no value
 * has: the decoder keeps them out of values (mp__unpickle_check_values). */
#define MP__TAG_TYPE 0xF0

/* Whether o is one of the decoder's inert stand-ins for a whitelisted callable. */
static inline int mp__unpickle_is_tag(const mp_obj_t *o)
{
    return o->type == MP__TAG_TYPE;
}

/* The stand-in for module.name, or NULL if that name is not whitelisted. */
mp_obj_t *mp__whitelist_find(const unsigned char *mod, size_t nm, const unsigned char *name,
                             size_t nn);
/* The name of a stand-in ("_codecs.encode"). */
const char *mp__whitelist_name(const mp_obj_t *tag);
/* What the stand-in builds from the tuple args, in *out: 0; MP_EDECODE with mp_errmsg() saying
 * why when the arguments are not what CPython pickles for it; MP_ENOMEM. */
int mp__whitelist_call(const mp_obj_t *tag, const mp_obj_t *args, mp_obj_t **out);

/* ---- pickle_load_state.c: input, budget, stack, marks, memo, messages ----------------------- */

/* Fails the call with MP_EDECODE: "pickle: NAME (0xNN) at byte N: <why>". */
int mp__unpickle_fail(mp__unpickler_t *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Counts n more bytes against the allocation budget; MP_EDECODE past it. Inline, as most
 * opcodes charge: only the failure is out of line. */
int mp__unpickle_overdrawn(mp__unpickler_t *u);
static inline int mp__unpickle_charge(mp__unpickler_t *u, size_t n)
{
    if (n > u->budget - u->spent)
        return mp__unpickle_overdrawn(u);
    u->spent += n;
    return 0;
}
/* Grows an array of `size`-byte elements to hold one more than `used`, charging the budget. */
int mp__unpickle_grow(mp__unpickler_t *u, void **arr, size_t *cap, size_t used, size_t size);
/* The next n bytes of input (the operand), or NULL after setting the truncation error. */
const unsigned char *mp__unpickle_truncated(mp__unpickler_t *u, size_t n);
static inline const unsigned char *mp__unpickle_take(mp__unpickler_t *u, size_t n)
{
    if (n > u->len - u->pos)
        return mp__unpickle_truncated(u, n);
    const unsigned char *p = u->in + u->pos;
    u->pos += n;
    return p;
}
/* Pushes an owned reference (released on failure; NULL means the constructor failed). The
 * common case is inline: most opcodes push one value. */
int mp__unpickle_push_slow(mp__unpickler_t *u, mp_obj_t *o);
static inline int mp__unpickle_push(mp__unpickler_t *u, mp_obj_t *o)
{
    if (!o || u->sp == u->scap)
        return mp__unpickle_push_slow(u, o);
    u->stack[u->sp++] = o;
    return 0;
}
/* Pops the top value above the current mark into *o (owned); stack underflow otherwise. */
int mp__unpickle_pop(mp__unpickler_t *u, mp_obj_t **o);
/* Closes the innermost MARK: *base is where its items start. */
int mp__unpickle_pop_mark(mp__unpickler_t *u, size_t *base);
/* Refuses a callable stand-in where a value must go. */
int mp__unpickle_check_values(mp__unpickler_t *u, mp_obj_t *const *items, size_t n);
/* Stores the top of the stack at memo index idx, which must be the next one. CPython memoises
 * every str, list and dict it writes, so the common case is inline. */
int mp__unpickle_memo_put_slow(mp__unpickler_t *u, size_t idx);
static inline int mp__unpickle_memo_put(mp__unpickler_t *u, size_t idx)
{
    size_t fence = u->nmarks ? u->marks[u->nmarks - 1] : 0;
    if (u->sp <= fence || idx != u->nmemo || idx == u->memocap || idx >= u->lim.max_memo)
        return mp__unpickle_memo_put_slow(u, idx);
    u->memo[u->nmemo++] = mp__private_incref(u->stack[u->sp - 1]);
    return 0;
}
/* Pushes memo entry idx. */
int mp__unpickle_memo_get(mp__unpickler_t *u, size_t idx);

/* pickle_graph.c: walks over values. */
/* The i-th child of a container (a dict's are key, value, key, value...), or NULL past the
 * last. */
const mp_obj_t *mp__pickle_child(const mp_obj_t *o, size_t i);
/* Whether o may be met more than once in a walk: it has several references, or is a member
 * of a recursive value. Objects with one reference are met once, and need no map. */
int mp__pickle_may_repeat(const mp_obj_t *o);
/* str and bytes at least this long are memoised by the encoder when they occur more than once. */
#define MP__PICKLE_SHARED_TEXT 64
/* The next child of o from *i on that a walk must visit, the leaves in between skipped in one
 * loop: a container, or with `texts` also a bytearray, a handle, or a str or bytes the encoder
 * may memoise. NULL past the last. */
const mp_obj_t *mp__pickle_next(const mp_obj_t *o, size_t *i, int texts);
/* Makes every recursive part reachable from the memo one counted unit (mp__cycle_make). */
int mp__unpickle_cycles(mp__unpickler_t *u);
/* The nesting depth of o, or more than `limit` (the walk stops there); SIZE_MAX out of memory. */
size_t mp__pickle_depth(const mp_obj_t *o, size_t limit);

#endif /* MP_PICKLE_IMPL_H */
