/* Values: allocation, reference counts and freeing, None and bool, len() and truth.
 *
 * Freeing is the one place where nesting depth could hurt: a container whose count drops to
 * zero releases its items, which may release theirs, and so on. Instead of recursing, dying
 * containers are chained through their (no longer needed) hash field and emptied one by one,
 * so a million-deep tuple is freed in constant stack space and with no allocation. The members
 * of a recursive value are counted and freed as one unit (mp__cycle_t in object_impl.h). */
#include <stdlib.h>
#include <string.h>

#include "object_impl.h"

#define NONE_HASH ((int64_t)0x4e6f6e65) /* any constant: None equals only itself */

static mp__small_t none_obj = {{1, {NONE_HASH}, MP_TYPE_NONE, MP__F_IMMORTAL | MP__F_HASHABLE}, 0};
static mp__small_t false_obj = {{1, {0}, MP_TYPE_BOOL, MP__F_IMMORTAL | MP__F_HASHABLE}, 0};
static mp__small_t true_obj = {{1, {1}, MP_TYPE_BOOL, MP__F_IMMORTAL | MP__F_HASHABLE}, 1};

static const char *const type_names[] = {
    "NoneType", "bool", "int",  "float", "str",       "bytes",  "bytearray",
    "tuple",    "list", "dict", "set",   "frozenset", "handle",
};

const char *mp_type_name(mp_type_t t)
{
    if ((unsigned)t >= sizeof type_names / sizeof type_names[0])
        return "?";
    return type_names[t];
}

mp_type_t mp_obj_type(const mp_obj_t *o)
{
    MP__NEED_OR(o, (mp_type_t)-1);
    return (mp_type_t)o->type;
}

mp_obj_t *mp__obj_alloc_heap(mp_type_t type, size_t size)
{
    mp_obj_t *o = malloc(size);
    if (!o) {
        mp__set_errmsg("out of memory");
        return NULL;
    }
    return mp__obj_init(o, type, 0);
}

int mp__is_int(const mp_obj_t *o)
{
    return o->type == MP_TYPE_INT || o->type == MP_TYPE_BOOL;
}

/* ---- reference counting -------------------------------------------------------------------- */

/* The count that stands for o: its own, or its recursive unit's. */
static atomic_size_t *counter(mp_obj_t *o)
{
    return o->flags & MP__F_CYCLE ? &o->u.cycle->refcnt : &o->refcnt;
}

mp_obj_t *mp_obj_incref(mp_obj_t *o)
{
    if (o && !(o->flags & MP__F_IMMORTAL))
        atomic_fetch_add_explicit(counter(o), 1, memory_order_relaxed);
    return o;
}

size_t mp_obj_refcount(const mp_obj_t *o)
{
    MP__NEED_OR(o, 0);
    if (o->flags & MP__F_IMMORTAL)
        return SIZE_MAX;
    return atomic_load_explicit(counter((mp_obj_t *)o), memory_order_relaxed);
}

/* Drops one reference; returns 1 when it was the last (the caller now owns the corpse). The
 * release/acquire pair makes every other thread's reads of the value happen before the free. */
static inline int release(mp_obj_t *o)
{
    if (o->flags & MP__F_IMMORTAL)
        return 0;
    atomic_size_t *c = counter(o);
    /* A count of 1 is the caller's own reference: no other thread holds one to move it, so the
     * locked decrement (the dearest step of freeing a small value) is not needed. The acquire
     * load pairs with the release decrement of whichever thread let go before. */
    if (atomic_load_explicit(c, memory_order_acquire) == 1)
        return 1;
    if (atomic_fetch_sub_explicit(c, 1, memory_order_release) != 1)
        return 0;
    atomic_thread_fence(memory_order_acquire);
    return 1;
}

static int has_items(const mp_obj_t *o)
{
    return mp__is_container(o);
}

static inline void free_object(mp_obj_t *o, mp__slab_batch_t *b)
{
    if (o->flags & MP__F_SLAB)
        mp__slab_free(b, o);
    else
        free(o);
}

static void free_storage(mp_obj_t *o, mp__slab_batch_t *b)
{
    if (o->type == MP_TYPE_HANDLE) {
        /* A borrowed handle is its caller's; one rebuilt from a pickle has no other owner. */
        const mp__handle_t *h = MP__HANDLE(o);
        if (h->owned && h->t->free)
            h->t->free(h->handle);
    } else if (o->type == MP_TYPE_LIST) {
        free(((mp__list_t *)o)->item);
    } else if (o->type == MP_TYPE_DICT || o->type == MP_TYPE_SET || o->type == MP_TYPE_FROZENSET) {
        free(((mp__table_t *)o)->ent);
        free(((mp__table_t *)o)->slot);
    }
    free_object(o, b);
}

/* What is waiting to be emptied and freed: containers, and whole recursive units; and the
 * slab objects freed so far whose slab has not been told. */
typedef struct {
    mp_obj_t *objs;
    mp__cycle_t *cycles;
    mp__slab_batch_t slabs;
} dead_t;

/* Releases one item of a dying container: a dead scalar is freed at once, a dead container or
 * unit is queued for the loop in mp_obj_decref(). References inside the dying unit `own` were
 * never counted, so they are not released. */
static inline void drop_item(mp_obj_t *item, dead_t *d, const mp__cycle_t *own)
{
    if (!item || (own && (item->flags & MP__F_CYCLE) && item->u.cycle == own))
        return;
    if (!release(item))
        return;
    if (item->type < MP_TYPE_TUPLE) /* the common case, a scalar: nothing besides itself */
        free_object(item, &d->slabs);
    else if (item->flags & MP__F_CYCLE) {
        item->u.cycle->dead_next = d->cycles;
        d->cycles = item->u.cycle;
    } else if (has_items(item)) {
        item->u.dead_next = d->objs;
        d->objs = item;
    } else {
        free_storage(item, &d->slabs);
    }
}

static void empty_container(mp_obj_t *c, dead_t *d, const mp__cycle_t *own)
{
    size_t n;
    mp_obj_t *const *items = mp__seq_items(c, &n);
    if (items) {
        for (size_t i = 0; i < n; i++)
            drop_item(items[i], d, own);
        return;
    }
    const mp__table_t *t = MP__TABLE(c);
    for (size_t i = 0; i < t->n; i++) {
        drop_item(t->ent[i].key, d, own);
        drop_item(t->ent[i].value, d, own);
    }
}

void mp_obj_decref(mp_obj_t *o)
{
    dead_t d = {NULL, NULL, {NULL, 0}};
    drop_item(o, &d, NULL);
    while (d.objs || d.cycles) {
        if (d.objs) {
            mp_obj_t *c = d.objs;
            d.objs = c->u.dead_next;
            empty_container(c, &d, NULL);
            free_storage(c, &d.slabs);
            continue;
        }
        mp__cycle_t *g = d.cycles;
        d.cycles = g->dead_next;
        for (size_t i = 0; i < g->n; i++)
            empty_container(g->member[i], &d, g);
        for (size_t i = 0; i < g->n; i++)
            free_storage(g->member[i], &d.slabs);
        free(g);
    }
    mp__slab_flush(&d.slabs);
}

/* Every member's own count is a reference from outside or from a fellow member; the unit
 * keeps only the first kind. */
int mp__cycle_make(mp_obj_t *const *member, size_t n)
{
    mp__cycle_t *g = n <= (SIZE_MAX - sizeof *g) / sizeof *member
                         ? malloc(sizeof *g + n * sizeof *member)
                         : NULL;
    if (!g)
        return mp__fail(MP_ENOMEM, "out of memory");
    size_t total = 0;
    g->n = n;
    g->dead_next = NULL;
    for (size_t i = 0; i < n; i++) {
        g->member[i] = member[i];
        total += atomic_load_explicit(&member[i]->refcnt, memory_order_relaxed);
        member[i]->u.cycle = g;
        member[i]->flags |= MP__F_CYCLE;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k;
        mp_obj_t *const *items = mp__seq_items(member[i], &k);
        const mp__table_t *t = items ? NULL : MP__TABLE(member[i]);
        for (size_t j = 0; j < (t ? t->n : k); j++) {
            const mp_obj_t *x = t ? t->ent[j].value : items[j];
            total -= x && (x->flags & MP__F_CYCLE) && x->u.cycle == g;
        }
    }
    atomic_init(&g->refcnt, total);
    return 0;
}

/* ---- None, bool --------------------------------------------------------------------------- */

mp_obj_t *mp_none(void)
{
    return &none_obj.ob;
}

mp_obj_t *mp_bool(int v)
{
    return v ? &true_obj.ob : &false_obj.ob;
}

/* Hashed by identity, as a Python object without __eq__: values wrapping the same handle are
 * equal, and so hash alike. */
mp_obj_t *mp__handle_new(int kind, void *handle, const mp__handle_type_t *t, int owned)
{
    mp__handle_t *h = (mp__handle_t *)mp__obj_alloc(MP_TYPE_HANDLE, sizeof *h);
    if (!h)
        return NULL;
    h->kind = kind;
    h->owned = owned;
    h->handle = handle;
    h->t = t;
    h->ob.u.hash = (int64_t)((uintptr_t)handle >> 4);
    h->ob.flags |= MP__F_HASHABLE;
    return &h->ob;
}

const char *mp__obj_type_name(const mp_obj_t *o)
{
    return o->type == MP_TYPE_HANDLE ? MP__HANDLE(o)->t->name : mp_type_name(o->type);
}

mp_obj_t *const *mp__seq_items(const mp_obj_t *o, size_t *n)
{
    if (o->type == MP_TYPE_TUPLE) {
        *n = MP__TUPLE(o)->n;
        return MP__TUPLE(o)->item;
    }
    if (o->type == MP_TYPE_LIST) {
        *n = MP__LIST(o)->n;
        return MP__LIST(o)->item;
    }
    *n = 0;
    return NULL;
}

/* ---- truth and len ------------------------------------------------------------------------- */

int mp_obj_len(const mp_obj_t *o, size_t *out)
{
    MP__NEED(o);
    MP__NEED(out);
    switch (o->type) {
    case MP_TYPE_STR:
        *out = MP__STR(o)->ncp;
        return 0;
    case MP_TYPE_BYTES:
    case MP_TYPE_BYTEARRAY:
        *out = MP__STR(o)->len;
        return 0;
    case MP_TYPE_TUPLE:
    case MP_TYPE_LIST:
        mp__seq_items(o, out);
        return 0;
    case MP_TYPE_DICT:
    case MP_TYPE_SET:
    case MP_TYPE_FROZENSET:
        *out = MP__TABLE(o)->n;
        return 0;
    default:
        return mp__fail(MP_EINVAL, "object of type '%s' has no len()", mp__obj_type_name(o));
    }
}

int mp_obj_truth(const mp_obj_t *o)
{
    size_t n = 0;
    MP__NEED(o);
    switch (o->type) {
    case MP_TYPE_NONE:
        return 0;
    case MP_TYPE_BOOL:
        return MP__SMALL(o)->v != 0;
    case MP_TYPE_INT: /* a big int is never zero */
        return (o->flags & MP__F_BIG) || MP__SMALL(o)->v != 0;
    case MP_TYPE_FLOAT:
        return MP__FLOAT(o)->v != 0.0; /* NaN is true, as in Python */
    case MP_TYPE_HANDLE:
        return 1; /* an object without __bool__ or __len__ */
    default:
        mp_obj_len(o, &n);
        return n != 0;
    }
}
