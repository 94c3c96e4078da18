/* tuple and list. A list is never hashable. A tuple of hashable items that holds no tuple
 * hashes on first use, as a str does: a Pool worker makes a tuple of arguments for every item
 * of a chunk and most are never hashed. A tuple that holds tuples hashes at construction, from
 * its items' hashes, so that hashing recurses at most one level however deep a tuple nests
 * (a hostile pickle can nest them a million deep). */
#include <stdlib.h>

#include "object_impl.h"

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
    int hashable = 1, nests = 0;
    for (size_t i = 0; i < n; i++) {
        t->item[i] = mp_obj_incref(items[i]);
        hashable &= !!(items[i]->flags & MP__F_HASHABLE);
        nests |= items[i]->type == MP_TYPE_TUPLE;
    }
    if (hashable) {
        t->ob.u.hash = nests ? mp__hash_tuple(t->item, n) : MP__HASH_UNSET;
        t->ob.flags |= MP__F_HASHABLE;
    }
    return &t->ob;
}

int mp__tuple_reuse1(mp_obj_t *t, mp_obj_t *item)
{
    mp__tuple_t *tu = (mp__tuple_t *)t;
    if (t->type != MP_TYPE_TUPLE || tu->n != 1 || (t->flags & MP__F_CYCLE) ||
        atomic_load_explicit(&t->refcnt, memory_order_acquire) != 1 || item->type == MP_TYPE_TUPLE)
        return 0;
    mp_obj_t *old = tu->item[0];
    tu->item[0] = item; /* the caller's reference */
    /* As mp_tuple_new() leaves a tuple of one item that is not a tuple. */
    t->u.hash = MP__HASH_UNSET;
    t->flags = (uint8_t)((t->flags & ~MP__F_HASHABLE) | (item->flags & MP__F_HASHABLE));
    mp_obj_decref(old);
    return 1;
}

mp_obj_t *mp_tuple_from_seq(const mp_obj_t *seq)
{
    MP__NEED_OR(seq, NULL);
    if (seq->type == MP_TYPE_TUPLE)
        return mp_obj_incref((mp_obj_t *)seq);
    if (seq->type == MP_TYPE_LIST)
        return mp_tuple_new(MP__LIST(seq)->n, MP__LIST(seq)->item);
    mp__set_errmsg("mp_tuple_from_seq: expected tuple or list, got %s", mp_type_name(seq->type));
    return NULL;
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

void mp__list_view(mp__list_t *view, mp_obj_t *const *items, size_t n)
{
    atomic_init(&view->ob.refcnt, 1);
    view->ob.u.hash = 0;
    view->ob.type = MP_TYPE_LIST;
    view->ob.flags = MP__F_IMMORTAL;
    view->n = view->cap = n;
    view->item = (mp_obj_t **)items; /* never written: nothing can reach the view to change it */
}

mp_obj_t *mp__list_adopt(size_t n, mp_obj_t **items)
{
    mp__list_t *l = (mp__list_t *)mp__obj_alloc(MP_TYPE_LIST, sizeof *l);
    if (!l)
        return NULL;
    l->n = l->cap = n;
    l->item = items;
    return &l->ob;
}

size_t mp__list_move_items(mp_obj_t *list, mp_obj_t **dst, size_t max)
{
    mp__list_t *l = (mp__list_t *)list;
    if ((list->flags & MP__F_CYCLE) ||
        atomic_load_explicit(&list->refcnt, memory_order_acquire) != 1 || l->n > max)
        return SIZE_MAX;
    size_t n = l->n;
    for (size_t i = 0; i < n; i++)
        dst[i] = l->item[i];
    l->n = 0;
    return n;
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

/* ---- accessors ----------------------------------------------------------------------------- */

/* The items of o if it has the given type, else none. */
static mp_obj_t *const *items_of(const mp_obj_t *o, mp_type_t type, size_t *n)
{
    *n = 0;
    return o->type == type ? mp__seq_items(o, n) : NULL;
}

size_t mp_tuple_size(const mp_obj_t *t)
{
    size_t n;
    MP__NEED_OR(t, 0);
    items_of(t, MP_TYPE_TUPLE, &n);
    return n;
}

size_t mp_list_size(const mp_obj_t *l)
{
    size_t n;
    MP__NEED_OR(l, 0);
    items_of(l, MP_TYPE_LIST, &n);
    return n;
}

mp_obj_t *mp_tuple_get(const mp_obj_t *t, size_t i)
{
    size_t n;
    MP__NEED_OR(t, NULL);
    mp_obj_t *const *item = items_of(t, MP_TYPE_TUPLE, &n);
    return i < n ? item[i] : NULL;
}

mp_obj_t *mp_list_get(const mp_obj_t *l, size_t i)
{
    size_t n;
    MP__NEED_OR(l, NULL);
    mp_obj_t *const *item = items_of(l, MP_TYPE_LIST, &n);
    return i < n ? item[i] : NULL;
}

mp_obj_t *const *mp_tuple_items(const mp_obj_t *t)
{
    size_t n;
    MP__NEED_OR(t, NULL);
    mp_obj_t *const *item = items_of(t, MP_TYPE_TUPLE, &n);
    return n ? item : NULL;
}

mp_obj_t *const *mp_list_items(const mp_obj_t *l)
{
    size_t n;
    MP__NEED_OR(l, NULL);
    mp_obj_t *const *item = items_of(l, MP_TYPE_LIST, &n);
    return n ? item : NULL;
}
