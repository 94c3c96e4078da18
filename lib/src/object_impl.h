/* The layout of values, shared by the object*.c files and the pickle codec (pickle*.c).
 *
 * Every value starts with `struct mp_obj_s`; the per-type structs below embed it first, so a
 * pointer to either is a pointer to the other. Values are immutable once a constructor returns
 * them, which lets each hashable value compute its hash once (containers at construction, from
 * the cached hashes of their items; str and bytes on first use): hashing never recurses. The
 * builder functions at the end mutate a list, dict or set that the caller has just made and
 * not yet shared (the pickle decoder's APPENDS, SETITEMS and ADDITEMS). */
#ifndef MP_OBJECT_IMPL_H
#define MP_OBJECT_IMPL_H

#include <stdatomic.h>
#include <stdint.h>

#include "mp_internal.h"

enum {
    MP__F_IMMORTAL = 1,  /* a static singleton: reference counting skips it */
    MP__F_HASHABLE = 2,  /* the value is hashable: mp__hash() gives its hash */
    MP__F_BIG = 4,       /* an int stored as mp__bigint_t (its value is outside int64) */
    MP__F_SURROGATE = 8, /* a str holding at least one lone surrogate */
    MP__F_CYCLE = 32,    /* a member of a recursive value: counted by its mp__cycle_t */
    MP__F_SLAB = 64      /* carved from a slab (object_slab.c), not malloc'd */
};

/* A recursive value (Python's `l = [l]`, which only the pickle decoder builds) cannot be freed
 * by reference counts alone: its members keep each other alive. So the members of each
 * strongly connected part are counted as one unit. References between members are not
 * counted; `refcnt` counts the references from outside to any member, and when it drops to
 * zero every member goes at once. Members are lists, dicts and tuples that hold one of them,
 * all unhashable, so their hash field is free to point here. */
typedef struct mp__cycle_s {
    atomic_size_t refcnt;
    struct mp__cycle_s *dead_next; /* while being freed */
    size_t n;
    struct mp_obj_s *member[];
} mp__cycle_t;

struct mp_obj_s {
    atomic_size_t refcnt; /* unused while MP__F_CYCLE: the unit's count stands for it */
    union {
        int64_t hash;               /* while alive, if MP__F_HASHABLE */
        mp__cycle_t *cycle;         /* while alive, if MP__F_CYCLE */
        struct mp_obj_s *dead_next; /* while being freed: the list of containers to empty */
    } u;
    uint8_t type;  /* mp_type_t */
    uint8_t flags; /* MP__F_* */
};

typedef struct { /* bool, and int within int64 */
    mp_obj_t ob;
    int64_t v;
} mp__small_t;

typedef struct { /* int outside int64: sign and magnitude, 32-bit limbs, least significant first */
    mp_obj_t ob;
    int neg;
    size_t n; /* limb[n - 1] != 0 */
    uint32_t limb[];
} mp__bigint_t;

typedef struct {
    mp_obj_t ob;
    double v;
} mp__float_t;

typedef struct { /* str, bytes, bytearray: data[len] is always '\0' */
    mp_obj_t ob;
    size_t len;
    size_t ncp; /* str: code points */
    char data[];
} mp__str_t;

typedef struct {
    mp_obj_t ob;
    size_t n;
    mp_obj_t *item[];
} mp__tuple_t;

typedef struct {
    mp_obj_t ob;
    size_t n, cap;
    mp_obj_t **item;
} mp__list_t;

typedef struct {
    mp_obj_t *key, *value; /* value is NULL in sets */
    int64_t hash;          /* where the key is placed: mp__place(key) */
} mp__entry_t;

typedef struct { /* dict, set, frozenset: entries in insertion order plus an index over them */
    mp_obj_t ob;
    size_t n, cap;
    mp__entry_t *ent;
    size_t *slot; /* mask + 1 slots: 0 empty, else entry index + 1 */
    size_t mask;
} mp__table_t;

/* A handle value (reduction.h): a process-local handle of a Lock, Queue, Connection... that a
 * value can carry into a process's arguments. What each kind is called, and how an owned
 * handle is freed, is reduction.c's table; the object layer only reads it, so it never calls
 * up into the primitives. */
typedef struct mp__handle_type {
    const char *name;    /* the Python class: "Lock" */
    const char *module;  /* where CPython defines it, for repr */
    const char *refused; /* the class CPython's refusal to pickle it names (Event's: Condition) */
    void (*free)(void *handle);
} mp__handle_type_t;

typedef struct {
    mp_obj_t ob;
    int kind;  /* mp_handle_kind_t */
    int owned; /* rebuilt in this process: freeing the value frees the handle */
    void *handle;
    const mp__handle_type_t *t;
} mp__handle_t;

#define MP__SMALL(o) ((const mp__small_t *)(o))
#define MP__BIG(o) ((const mp__bigint_t *)(o))
#define MP__FLOAT(o) ((const mp__float_t *)(o))
#define MP__STR(o) ((const mp__str_t *)(o))
#define MP__TUPLE(o) ((const mp__tuple_t *)(o))
#define MP__LIST(o) ((const mp__list_t *)(o))
#define MP__TABLE(o) ((const mp__table_t *)(o))
#define MP__HANDLE(o) ((const mp__handle_t *)(o))

/* Whether o holds other values: tuple, list, dict, set, frozenset (not a handle, which comes
 * after them in mp_type_t, nor the decoder's stand-ins). */
static inline int mp__is_container(const mp_obj_t *o)
{
    return o->type >= MP_TYPE_TUPLE && o->type <= MP_TYPE_FROZENSET;
}

/* The files, each calling only into those listed before it (a file graph without cycles):
 *   object_slab.c    bulk allocation for the pickle decoder
 *   object.c         allocation, reference counts and freeing, None and bool, len and truth
 *   object_hash.c    every hash: CPython's numeric hash, SipHash, and where tables place keys
 *   object_str.c     str, bytes, bytearray
 *   object_seq.c     tuple, list
 *   object_int.c     int and float
 *   object_table.c   the insertion-ordered hash table behind dict, set and frozenset
 *   object_equal.c   Python's ==, and looking a key up by it
 *   object_dict.c    dict, set and frozenset
 *   object_build.c, object_parse.c, object_repr.c, object_unicode.c: formats and repr */

/* object_slab.c: while the calling thread has an arena open, mp__obj_alloc() carves small
 * objects from shared slabs (the pickle decoder's bulk allocation). Opens nest. Carving is
 * inline: it is most of the cost of making a small value, which the decoder does per item. */
void mp__arena_open(void);
void mp__arena_close(void);
#define MP__SLAB_OBJ_MAX 256
typedef struct {
    char *next, *end; /* what is left of the current slab; both NULL while none is carved */
    void *cur;
    size_t handed, depth;
} mp__arena_t;
extern _Thread_local mp__arena_t mp__arena;
void *mp__slab_refill(size_t size); /* NULL: no arena open, too big, or out of memory */
static inline void *mp__slab_alloc(size_t size)
{
    mp__arena_t *a = &mp__arena;
    size = (size + 15) & ~(size_t)15;
    if (size > MP__SLAB_OBJ_MAX || (size_t)(a->end - a->next) < size)
        return mp__slab_refill(size);
    void *p = a->next;
    a->next += size;
    a->handed++;
    return p;
}
/* Frees of slab objects in a row mostly hit one slab: its count drops once per run of them
 * (one atomic operation instead of one per object). Flush before the batch goes out of scope. */
typedef struct {
    void *slab;
    size_t n;
} mp__slab_batch_t;
#define MP__SLAB_SIZE 16384 /* and its alignment */
void mp__slab_flush(mp__slab_batch_t *b);
void mp__slab_switch(mp__slab_batch_t *b, void *slab); /* flushes, then counts for `slab` */
/* Under AddressSanitizer a freed object's header is poisoned until its slab is carved again,
 * so that a use after free is caught as it would be with malloc. */
#if defined(__SANITIZE_ADDRESS__)
#define MP__SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP__SLAB_ASAN 1
#endif
#endif
#ifdef MP__SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define MP__SLAB_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define MP__SLAB_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define MP__SLAB_POISON(p, n) ((void)(p), (void)(n))
#define MP__SLAB_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
static inline void mp__slab_free(mp__slab_batch_t *b, void *p)
{
    MP__SLAB_POISON(p, sizeof(mp_obj_t));
    /* The slab is the aligned block the object sits in. */
    void *slab = (void *)((uintptr_t)p & ~(uintptr_t)(MP__SLAB_SIZE - 1)); /* NOLINT */
    if (slab != b->slab)
        mp__slab_switch(b, slab);
    b->n++;
}
/* A hint that p[0..n) is about to be filled at once: huge pages for a buffer of megabytes.
 * Every str and bytes made asks; the test that answers most of them is inline. */
void mp__advise_huge(void *p, size_t n);
#define MP__ADVISE_MIN ((size_t)4 << 20) /* two huge pages: less cannot hold a whole one for sure */
static inline void mp__advise_fill(void *p, size_t n)
{
    if (n >= MP__ADVISE_MIN)
        mp__advise_huge(p, n);
}

/* object.c */
mp_obj_t *mp__obj_alloc_heap(mp_type_t type, size_t size); /* malloc'd; sets the message */
static inline mp_obj_t *mp__obj_init(mp_obj_t *o, mp_type_t type, uint8_t flags)
{
    atomic_init(&o->refcnt, 1);
    o->u.hash = 0;
    o->type = (uint8_t)type;
    o->flags = flags;
    return o;
}
/* A new object with one reference, from the arena's slab when one is open. */
static inline mp_obj_t *mp__obj_alloc(mp_type_t type, size_t size)
{
    mp_obj_t *o = (mp_obj_t *)mp__slab_alloc(size);
    return o ? mp__obj_init(o, type, MP__F_SLAB) : mp__obj_alloc_heap(type, size);
}
/* mp_str_decode() keeping the code: 0 and *out, MP_EINVAL (not UTF-8), or MP_ENOMEM. */
int mp__str_decode(const char *utf8, size_t n, mp_utf8_errors_t errors, mp_obj_t **out);

/* object.c: a handle value (a new reference, hashed by the handle's identity), and the name
 * of o's class for messages: mp_type_name(), or a handle's own ("Lock"). */
mp_obj_t *mp__handle_new(int kind, void *handle, const mp__handle_type_t *t, int owned);
const char *mp__obj_type_name(const mp_obj_t *o);
/* object.c: the items of a tuple or list (count in *n); NULL for other types. */
mp_obj_t *const *mp__seq_items(const mp_obj_t *o, size_t *n);
int mp__is_int(const mp_obj_t *o); /* int or bool */

/* object_hash.c: CPython's numeric hash (of an int64, of a sign and magnitude, of a double;
 * a NaN's hash is its owner's identity), and SipHash-1-3 of bytes under the process's key. */
int64_t mp__hash_int64(int64_t v);
int64_t mp__hash_limbs(int neg, const uint32_t *limb, size_t n);
int64_t mp__hash_double(const mp_obj_t *owner, double v);
int64_t mp__hash_bytes(const void *p, size_t n); /* never MP__HASH_UNSET */
int64_t mp__hash_tuple(mp_obj_t *const *item, size_t n);
int64_t mp__hash_frozenset(const mp__table_t *t);
int mp__unhashable(const mp_obj_t *o); /* sets the message, returns MP_EINVAL */
/* The magnitude of an integral double of at least 2**63 as canonical limbs (limb[34] is enough
 * for any double); returns their count. An int equal to it has exactly these limbs. */
size_t mp__double_limbs(double d, uint32_t limb[34]);
/* mp__hash_int64, with the common case inline: below 2**61 - 1 in magnitude an int is its own
 * residue, and only -1 hashes otherwise (to -2, as in CPython). */
static inline int64_t mp__hash_int(int64_t v)
{
    const int64_t p = ((int64_t)1 << 61) - 1;
    if (v > -p && v < p)
        return v == -1 ? -2 : v;
    return mp__hash_int64(v);
}

/* object_int.c: an int within int64 (mp_int()), inline for the pickle decoder, which makes one
 * per item of a list of ints. */
static inline mp_obj_t *mp__int_small(int64_t v)
{
    mp__small_t *s = (mp__small_t *)mp__obj_alloc(MP_TYPE_INT, sizeof *s);
    if (!s)
        return NULL;
    s->v = v;
    s->ob.u.hash = mp__hash_int(v);
    s->ob.flags |= MP__F_HASHABLE;
    return &s->ob;
}

/* The hash of a hashable value. A str or bytes computes its own on first use, as CPython's do:
 * a 64 MiB bytes that never becomes a dict key is never hashed. Two threads may both compute
 * it first; they store the same number, with atomic stores, so the race is harmless. A tuple
 * that holds no tuple does the same (object_seq.c); every other value has its hash from
 * construction. */
#define MP__HASH_UNSET INT64_MIN /* no hash function returns it (mp__hash_bytes avoids it) */
int64_t mp__hash_slow(const mp_obj_t *o);
static inline int64_t mp__hash(const mp_obj_t *o)
{
    int64_t h = __atomic_load_n(&o->u.hash, __ATOMIC_RELAXED);
    return h != MP__HASH_UNSET ? h : mp__hash_slow(o);
}

/* Where a table places a hashable value: a hash keyed with the process's secret, so that no
 * input can be made in advance whose keys all land together (the numeric hash mp_obj_hash()
 * reports is CPython's, which anyone can make collide: k * (2**61 - 1) for every k). Equal
 * values, across bool, int and float too, place alike. str, bytes, tuple and frozenset hashes
 * are keyed already; numbers key their canonical form (mp__place_number). */
int64_t mp__place_number(const mp_obj_t *o);
static inline int64_t mp__place(const mp_obj_t *o)
{
    return o->type == MP_TYPE_BOOL || o->type == MP_TYPE_INT || o->type == MP_TYPE_FLOAT
               ? mp__place_number(o)
               : mp__hash(o);
}

/* object_seq.c: makes t, a tuple of one item that only the caller holds, hold `item` instead,
 * as if made anew by mp_tuple_new(), taking the caller's reference to item; 1, or 0 (t and
 * item untouched) when t is shared or item is a tuple. A Pool worker passes each item of a
 * chunk to the task in one tuple this way. */
int mp__tuple_reuse1(mp_obj_t *t, mp_obj_t *item);
/* object_seq.c: makes *view a list of the n items that the caller holds, borrowed, for as
 * long as the view is used: an immortal value on the caller's stack, which counts nothing.
 * The Pool pickles a chunk of a map's items through one. */
void mp__list_view(mp__list_t *view, mp_obj_t *const *items, size_t n);
/* object_seq.c: a list that takes over `items` (malloc'd, n references, none NULL) as its own
 * storage: no copy and no count touched. NULL when out of memory, and then nothing was taken. */
mp_obj_t *mp__list_adopt(size_t n, mp_obj_t **items);
/* object_seq.c: moves the references of a list only the caller holds into dst (at most max)
 * and leaves it empty: their count; SIZE_MAX (nothing moved) if it is shared or too long.
 * Joining a map's chunks this way touches no count. */
size_t mp__list_move_items(mp_obj_t *list, mp_obj_t **dst, size_t max);
/* object_seq.c: appends to a list (see the builders below). */
int mp__list_append(mp_obj_t *list, mp_obj_t *item);

/* object_int.c: numeric equality (both int or bool; an int or bool and a double). */
int mp__int_equal(const mp_obj_t *a, const mp_obj_t *b);
int mp__int_equal_double(const mp_obj_t *i, double d);

/* object_table.c: the index of a dict, set or frozenset, which knows hashes but not equality:
 * a probe asks `match` whether an entry with the same placement hash is the one sought. */
typedef int (*mp__match_fn)(const mp__entry_t *e, const void *ctx);
mp_obj_t *mp__table_new(mp_type_t type, size_t cap);
/* The slot holding a matching entry, or the empty slot where it would go; NULL while the
 * table has no index (it is empty). */
size_t *mp__table_probe(const mp__table_t *t, int64_t hash, mp__match_fn match, const void *ctx);
/* Makes room for `extra` more entries, so that the next probes find empty slots. 0 or
 * MP_ENOMEM. */
int mp__table_reserve(mp__table_t *t, size_t extra);
/* Fills the empty slot a probe returned with a new entry (taking the references). */
void mp__table_put(mp__table_t *t, size_t *slot, mp_obj_t *key, mp_obj_t *value, int64_t hash);

/* object_equal.c: equality of two non-NULL values of any types; and a key's entry in a dict,
 * set or frozenset (key must be hashable), or NULL, found by that equality. */
int mp__equal(const mp_obj_t *a, const mp_obj_t *b);
const mp__entry_t *mp__table_find(const mp_obj_t *t, const mp_obj_t *key);
size_t *mp__table_find_slot(const mp__table_t *t, const mp_obj_t *key, int64_t place);

/* object_dict.c: builders (see the top of this file); each takes its own references, returns
 * 0 or a code. */
int mp__dict_setitem(mp_obj_t *dict, mp_obj_t *key, mp_obj_t *value);
int mp__set_add(mp_obj_t *set, mp_obj_t *item);
/* As mp__dict_setitem (value NULL: mp__set_add) of each item (step 1) or each key, value pair
 * (step 2) of items[0..n) in turn, taking the caller's references instead, even on failure:
 * the items after the one that failed are released. Room for all is made first. */
int mp__table_insert_steal(mp_obj_t *table, mp_obj_t *const *items, size_t n, size_t step);

/* object.c: makes the n members, a strongly connected part of a value that the caller has just
 * built and shared with no one, one counted unit (see mp__cycle_t). Returns 0 or MP_ENOMEM. */
int mp__cycle_make(mp_obj_t *const *member, size_t n);

/* object_unicode.c: whether Python's str.isprintable() holds for the code point. */
int mp__unicode_printable(uint32_t cp);

#endif /* MP_OBJECT_IMPL_H */
