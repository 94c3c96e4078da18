/* Values: lifetime, the singletons, str/bytes/float, tuple and list.
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
    "NoneType",  "bool",  "int",  "float", "str", "bytes",
    "bytearray", "tuple", "list", "dict",  "set", "frozenset",
};

const char *mp_type_name(mp_type_t t)
{
    if ((unsigned)t >= sizeof type_names / sizeof type_names[0])
        return "?";
    return type_names[t];
}

mp_type_t mp_obj_type(const mp_obj_t *o)
{
    return (mp_type_t)o->type;
}

mp_obj_t *mp__obj_alloc(mp_type_t type, size_t size)
{
    mp_obj_t *o = mp__slab_alloc(size);
    uint8_t flags = o ? MP__F_SLAB : 0;
    if (!o && !(o = malloc(size))) {
        mp__set_errmsg("out of memory");
        return NULL;
    }
    atomic_init(&o->refcnt, 1);
    o->u.hash = 0;
    o->type = (uint8_t)type;
    o->flags = flags;
    return o;
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
    if (o->flags & MP__F_IMMORTAL)
        return SIZE_MAX;
    return atomic_load_explicit(counter((mp_obj_t *)o), memory_order_relaxed);
}

/* Drops one reference; returns 1 when it was the last (the caller now owns the corpse). The
 * release/acquire pair makes every other thread's reads of the value happen before the free. */
static int release(mp_obj_t *o)
{
    if (o->flags & MP__F_IMMORTAL)
        return 0;
    if (atomic_fetch_sub_explicit(counter(o), 1, memory_order_release) != 1)
        return 0;
    atomic_thread_fence(memory_order_acquire);
    return 1;
}

static int has_items(const mp_obj_t *o)
{
    return o->type >= MP_TYPE_TUPLE;
}

static void free_storage(mp_obj_t *o)
{
    if (o->type == MP_TYPE_LIST) {
        free(((mp__list_t *)o)->item);
    } else if (o->type >= MP_TYPE_DICT) {
        free(((mp__table_t *)o)->ent);
        free(((mp__table_t *)o)->slot);
    }
    if (o->flags & MP__F_SLAB)
        mp__slab_free(o);
    else
        free(o);
}

/* What is waiting to be emptied and freed: containers, and whole recursive units. */
typedef struct {
    mp_obj_t *objs;
    mp__cycle_t *cycles;
} dead_t;

/* Releases one item of a dying container: a dead scalar is freed at once, a dead container or
 * unit is queued for the loop in mp_obj_decref(). References inside the dying unit `own` were
 * never counted, so they are not released. */
static void drop_item(mp_obj_t *item, dead_t *d, const mp__cycle_t *own)
{
    if (!item || (own && (item->flags & MP__F_CYCLE) && item->u.cycle == own))
        return;
    if (!release(item))
        return;
    if (item->flags & MP__F_CYCLE) {
        item->u.cycle->dead_next = d->cycles;
        d->cycles = item->u.cycle;
    } else if (has_items(item)) {
        item->u.dead_next = d->objs;
        d->objs = item;
    } else {
        free_storage(item);
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
    dead_t d = {NULL, NULL};
    drop_item(o, &d, NULL);
    while (d.objs || d.cycles) {
        if (d.objs) {
            mp_obj_t *c = d.objs;
            d.objs = c->u.dead_next;
            empty_container(c, &d, NULL);
            free_storage(c);
            continue;
        }
        mp__cycle_t *g = d.cycles;
        d.cycles = g->dead_next;
        for (size_t i = 0; i < g->n; i++)
            empty_container(g->member[i], &d, g);
        for (size_t i = 0; i < g->n; i++)
            free_storage(g->member[i]);
        free(g);
    }
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

/* ---- None, bool, float --------------------------------------------------------------------- */

mp_obj_t *mp_none(void)
{
    return &none_obj.ob;
}

mp_obj_t *mp_bool(int v)
{
    return v ? &true_obj.ob : &false_obj.ob;
}

mp_obj_t *mp_float(double v)
{
    mp__float_t *f = (mp__float_t *)mp__obj_alloc(MP_TYPE_FLOAT, sizeof *f);
    if (!f)
        return NULL;
    f->v = v; /* a plain copy keeps every bit, NaN payload and sign included */
    f->ob.u.hash = mp__hash_double(&f->ob, v);
    f->ob.flags |= MP__F_HASHABLE;
    return &f->ob;
}

double mp_float_value(const mp_obj_t *o)
{
    return o->type == MP_TYPE_FLOAT ? MP__FLOAT(o)->v : NAN;
}

/* ---- str, bytes, bytearray ----------------------------------------------------------------- */

/* The length of the UTF-8 sequence starting at p[0..n), or 0 if it is invalid. Lone surrogates
 * (ED A0..BF xx) count as valid only when `surrogates` is set; *sur reports them. */
static size_t utf8_seq(const unsigned char *p, size_t n, int surrogates, int *sur)
{
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below */
        else if (c == 0xED && n > 1 && p[1] >= 0xA0) {
            if (!surrogates)
                return 0;
            *sur = 1;
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

static mp_obj_t *bytes_like(mp_type_t type, const void *p, size_t n)
{
    if (n > SIZE_MAX - sizeof(mp__str_t) - 1) {
        mp__set_errmsg("out of memory");
        return NULL;
    }
    mp__str_t *s = (mp__str_t *)mp__obj_alloc(type, sizeof *s + n + 1);
    if (!s)
        return NULL;
    mp__advise_fill(s->data, n);
    if (n)
        memcpy(s->data, p, n);
    s->data[n] = '\0';
    s->len = s->ncp = n;
    if (type != MP_TYPE_BYTEARRAY) {
        s->ob.u.hash = MP__HASH_UNSET; /* computed on first use: mp__hash() */
        s->ob.flags |= MP__F_HASHABLE;
    }
    return &s->ob;
}

int mp__str_decode(const char *utf8, size_t n, mp_utf8_errors_t errors, mp_obj_t **out)
{
    const unsigned char *p = (const unsigned char *)utf8;
    size_t ncp = 0;
    int sur = 0;
    *out = NULL;
    if (!utf8 && n)
        return mp__fail(MP_EINVAL, "mp_str: NULL text");
    size_t i = 0;
    while (i < n && p[i] < 0x80) /* ASCII, the common case, needs no decoding */
        i++;
    ncp = i;
    for (; i < n; ncp++) {
        int s = 0;
        size_t len = utf8_seq(p + i, n - i, errors == MP_UTF8_SURROGATEPASS, &s);
        if (!len)
            return mp__fail(MP_EINVAL, "mp_str: invalid UTF-8 at byte %zu", i);
        sur |= s;
        i += len;
    }
    mp_obj_t *o = bytes_like(MP_TYPE_STR, utf8, n);
    if (!o)
        return MP_ENOMEM;
    ((mp__str_t *)o)->ncp = ncp;
    if (sur)
        o->flags |= MP__F_SURROGATE;
    *out = o;
    return 0;
}

mp_obj_t *mp_str_decode(const char *utf8, size_t n, mp_utf8_errors_t errors)
{
    mp_obj_t *o;
    mp__str_decode(utf8, n, errors, &o);
    return o;
}

mp_obj_t *mp_str_n(const char *utf8, size_t n)
{
    return mp_str_decode(utf8, n, MP_UTF8_STRICT);
}

mp_obj_t *mp_str(const char *utf8)
{
    if (!utf8) {
        mp__set_errmsg("mp_str: NULL text");
        return NULL;
    }
    return mp_str_decode(utf8, strlen(utf8), MP_UTF8_STRICT);
}

const char *mp_str_data(const mp_obj_t *o, size_t *nbytes)
{
    if (o->type != MP_TYPE_STR)
        return NULL;
    if (nbytes)
        *nbytes = MP__STR(o)->len;
    return MP__STR(o)->data;
}

mp_obj_t *mp_bytes(const void *p, size_t n)
{
    return bytes_like(MP_TYPE_BYTES, p, n);
}

mp_obj_t *mp_bytearray(const void *p, size_t n)
{
    return bytes_like(MP_TYPE_BYTEARRAY, p, n);
}

const unsigned char *mp_bytes_data(const mp_obj_t *o, size_t *n)
{
    if (o->type != MP_TYPE_BYTES && o->type != MP_TYPE_BYTEARRAY)
        return NULL;
    if (n)
        *n = MP__STR(o)->len;
    return (const unsigned char *)MP__STR(o)->data;
}

/* ---- tuple, list --------------------------------------------------------------------------- */

static int check_items(size_t n, mp_obj_t *const *items, const char *who)
{
    if (n && !items)
        return mp__fail(MP_EINVAL, "%s: NULL items", who);
    for (size_t i = 0; i < n; i++)
        if (!items[i])
            return mp__fail(MP_EINVAL, "%s: item %zu is NULL", who, i);
    return 0;
}

mp_obj_t *mp_tuple_new(size_t n, mp_obj_t *const *items)
{
    if (check_items(n, items, "mp_tuple_new") < 0)
        return NULL;
    if (n > (SIZE_MAX - sizeof(mp__tuple_t)) / sizeof(mp_obj_t *)) {
        mp__set_errmsg("out of memory");
        return NULL;
    }
    mp__tuple_t *t = (mp__tuple_t *)mp__obj_alloc(MP_TYPE_TUPLE, sizeof *t + n * sizeof *items);
    if (!t)
        return NULL;
    t->n = n;
    int hashable = 1;
    for (size_t i = 0; i < n; i++) {
        t->item[i] = mp_obj_incref(items[i]);
        hashable &= !!(items[i]->flags & MP__F_HASHABLE);
    }
    if (hashable) {
        t->ob.u.hash = mp__hash_tuple(t->item, n);
        t->ob.flags |= MP__F_HASHABLE;
    }
    return &t->ob;
}

mp_obj_t *mp_tuple_from_seq(const mp_obj_t *seq)
{
    if (seq && seq->type == MP_TYPE_TUPLE)
        return mp_obj_incref((mp_obj_t *)seq);
    if (seq && seq->type == MP_TYPE_LIST)
        return mp_tuple_new(MP__LIST(seq)->n, MP__LIST(seq)->item);
    mp__set_errmsg("mp_tuple_from_seq: expected tuple or list, got %s",
                   seq ? mp_type_name(mp_obj_type(seq)) : "NULL");
    return NULL;
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

size_t mp_tuple_size(const mp_obj_t *t)
{
    return t && t->type == MP_TYPE_TUPLE ? MP__TUPLE(t)->n : 0;
}

mp_obj_t *mp_tuple_get(const mp_obj_t *t, size_t i)
{
    return i < mp_tuple_size(t) ? MP__TUPLE(t)->item[i] : NULL;
}

mp_obj_t *const *mp_tuple_items(const mp_obj_t *t)
{
    return mp_tuple_size(t) ? MP__TUPLE(t)->item : NULL;
}

mp_obj_t *mp_list_new(size_t n, mp_obj_t *const *items)
{
    if (check_items(n, items, "mp_list_new") < 0)
        return NULL;
    mp__list_t *l = (mp__list_t *)mp__obj_alloc(MP_TYPE_LIST, sizeof *l);
    if (!l)
        return NULL;
    l->n = l->cap = 0;
    l->item = NULL;
    if (n && n <= SIZE_MAX / sizeof *items && (l->item = malloc(n * sizeof *items)))
        l->cap = n; /* so the appends below never reallocate */
    for (size_t i = 0; i < n; i++) {
        if (mp__list_append(&l->ob, items[i]) < 0) {
            mp_obj_decref(&l->ob);
            return NULL;
        }
    }
    return &l->ob;
}

int mp__list_append(mp_obj_t *list, mp_obj_t *item)
{
    mp__list_t *l = (mp__list_t *)list;
    if (!item)
        return mp__fail(MP_EINVAL, "list append: NULL item");
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        mp_obj_t **p = cap <= SIZE_MAX / sizeof *p ? realloc(l->item, cap * sizeof *p) : NULL;
        if (!p)
            return mp__fail(MP_ENOMEM, "out of memory");
        l->item = p;
        l->cap = cap;
    }
    l->item[l->n++] = mp_obj_incref(item);
    return 0;
}

size_t mp_list_size(const mp_obj_t *l)
{
    return l && l->type == MP_TYPE_LIST ? MP__LIST(l)->n : 0;
}

mp_obj_t *mp_list_get(const mp_obj_t *l, size_t i)
{
    return i < mp_list_size(l) ? MP__LIST(l)->item[i] : NULL;
}

mp_obj_t *const *mp_list_items(const mp_obj_t *l)
{
    return mp_list_size(l) ? MP__LIST(l)->item : NULL;
}

/* ---- truth and len ------------------------------------------------------------------------- */

int mp_obj_len(const mp_obj_t *o, size_t *out)
{
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
        return mp__fail(MP_EINVAL, "object of type '%s' has no len()", mp_type_name(o->type));
    }
}

int mp_obj_truth(const mp_obj_t *o)
{
    size_t n = 0;
    switch (o->type) {
    case MP_TYPE_NONE:
        return 0;
    case MP_TYPE_BOOL:
        return MP__SMALL(o)->v != 0;
    case MP_TYPE_INT: /* a big int is never zero */
        return (o->flags & MP__F_BIG) || MP__SMALL(o)->v != 0;
    case MP_TYPE_FLOAT:
        return MP__FLOAT(o)->v != 0.0; /* NaN is true, as in Python */
    default:
        mp_obj_len(o, &n);
        return n != 0;
    }
}
