/* dict, set and frozenset over the table of object_table.c: inserting by Python's equality
 * (1, 1.0 and True are one key), the builders the pickle decoder fills containers with, and
 * the public accessors. */
#include <string.h>

#include "object_impl.h"

/* Inserts key (and value, for a dict) into a table with room for it: an equal key already
 * present keeps its place and its key object; a dict's value is replaced, a set's new element
 * is dropped. Takes the references. */
static void insert_reserved(mp__table_t *t, mp_obj_t *key, mp_obj_t *value)
{
    int64_t place = mp__place(key);
    size_t *s = mp__table_find_slot(t, key, place);
    if (*s) {
        mp__entry_t *e = &t->ent[*s - 1];
        mp_obj_t *old = value ? e->value : NULL;
        if (value)
            e->value = value;
        mp_obj_decref(old);
        mp_obj_decref(key);
        return;
    }
    mp__table_put(t, s, key, value, place);
}

/* The table grows first, so that one probe finds either the key or the empty slot for it. */
static int table_insert(mp_obj_t *o, mp_obj_t *key, mp_obj_t *value)
{
    mp__table_t *t = (mp__table_t *)o;
    int rc;
    if (!key || (o->type == MP_TYPE_DICT && !value))
        rc = mp__fail(MP_EINVAL, "%s: NULL item", mp_type_name(o->type));
    else if (!(key->flags & MP__F_HASHABLE))
        rc = mp__unhashable(key);
    else
        rc = mp__table_reserve(t, 1);
    if (rc < 0)
        return rc;
    insert_reserved(t, mp_obj_incref(key), mp_obj_incref(value));
    return 0;
}

int mp__dict_setitem(mp_obj_t *dict, mp_obj_t *key, mp_obj_t *value)
{
    return table_insert(dict, key, value);
}

int mp__set_add(mp_obj_t *set, mp_obj_t *item)
{
    return table_insert(set, item, NULL);
}

/* The decoder moves its stack into a dict or set this way, without touching reference counts,
 * a SETITEMS batch (CPython writes up to 1000 pairs) at a time. */
int mp__table_insert_steal(mp_obj_t *table, mp_obj_t *const *items, size_t n, size_t step)
{
    mp__table_t *t = (mp__table_t *)table;
    int rc = mp__table_reserve(t, n / step);
    size_t i = 0;
    while (rc == 0 && i + step <= n) {
        mp_obj_t *key = items[i], *value = step == 2 ? items[i + 1] : NULL;
        if (!key || (step == 2 && !value))
            rc = mp__fail(MP_EINVAL, "%s: NULL item", mp_type_name(table->type));
        else if (!(key->flags & MP__F_HASHABLE))
            rc = mp__unhashable(key);
        else
            insert_reserved(t, key, value), i += step;
    }
    for (; i < n; i++) /* after a failure, the rest is only released */
        mp_obj_decref(items[i]);
    return rc;
}

/* ---- dict ---------------------------------------------------------------------------------- */

mp_obj_t *mp_dict_new(size_t n, mp_obj_t *const *keys, mp_obj_t *const *values)
{
    if (n) {
        MP__NEED_OR(keys, NULL);
        MP__NEED_OR(values, NULL);
    }
    mp_obj_t *d = mp__table_new(MP_TYPE_DICT, n);
    for (size_t i = 0; d && i < n; i++) {
        if (mp__dict_setitem(d, keys[i], values[i]) < 0) {
            mp_obj_decref(d);
            d = NULL;
        }
    }
    return d;
}

size_t mp_dict_size(const mp_obj_t *d)
{
    MP__NEED_OR(d, 0);
    return d->type == MP_TYPE_DICT ? MP__TABLE(d)->n : 0;
}

int mp_dict_item(const mp_obj_t *d, size_t i, mp_obj_t **key, mp_obj_t **value)
{
    MP__NEED(d);
    if (i >= mp_dict_size(d))
        return mp__fail(MP_EINVAL, "mp_dict_item: no item %zu", i);
    if (key)
        *key = MP__TABLE(d)->ent[i].key;
    if (value)
        *value = MP__TABLE(d)->ent[i].value;
    return 0;
}

mp_obj_t *mp_dict_get(const mp_obj_t *d, const mp_obj_t *key)
{
    MP__NEED_OR(d, NULL);
    MP__NEED_OR(key, NULL);
    if (d->type != MP_TYPE_DICT || !(key->flags & MP__F_HASHABLE))
        return NULL;
    const mp__entry_t *e = mp__table_find(d, key);
    return e ? e->value : NULL;
}

typedef struct {
    const char *s;
    size_t n;
} text_t;

static int match_text(const mp__entry_t *e, const void *ctx)
{
    const text_t *k = ctx;
    return e->key->type == MP_TYPE_STR && MP__STR(e->key)->len == k->n &&
           !memcmp(MP__STR(e->key)->data, k->s, k->n);
}

mp_obj_t *mp_dict_get_str(const mp_obj_t *d, const char *key)
{
    MP__NEED_OR(d, NULL);
    MP__NEED_OR(key, NULL);
    if (d->type != MP_TYPE_DICT)
        return NULL;
    /* Placed as the str would be, without allocating one; a str key's placement is the hash
     * of its UTF-8 bytes, and invalid UTF-8 simply matches no str. */
    text_t k = {key, strlen(key)};
    size_t *s = mp__table_probe(MP__TABLE(d), mp__hash_bytes(key, k.n), match_text, &k);
    return s && *s ? MP__TABLE(d)->ent[*s - 1].value : NULL;
}

/* ---- set, frozenset ------------------------------------------------------------------------ */

static mp_obj_t *set_like(mp_type_t type, size_t n, mp_obj_t *const *items)
{
    mp_obj_t *s = mp__table_new(type, n);
    for (size_t i = 0; s && i < n; i++) {
        if (mp__set_add(s, items[i]) < 0) {
            mp_obj_decref(s);
            s = NULL;
        }
    }
    if (s && type == MP_TYPE_FROZENSET) {
        s->u.hash = mp__hash_frozenset(MP__TABLE(s));
        s->flags |= MP__F_HASHABLE;
    }
    return s;
}

mp_obj_t *mp_set_new(size_t n, mp_obj_t *const *items)
{
    if (n)
        MP__NEED_OR(items, NULL);
    return set_like(MP_TYPE_SET, n, items);
}

mp_obj_t *mp_frozenset_new(size_t n, mp_obj_t *const *items)
{
    if (n)
        MP__NEED_OR(items, NULL);
    return set_like(MP_TYPE_FROZENSET, n, items);
}

static int is_set(const mp_obj_t *s)
{
    return (s->type == MP_TYPE_SET || s->type == MP_TYPE_FROZENSET);
}

size_t mp_set_size(const mp_obj_t *s)
{
    MP__NEED_OR(s, 0);
    return is_set(s) ? MP__TABLE(s)->n : 0;
}

mp_obj_t *mp_set_item(const mp_obj_t *s, size_t i)
{
    MP__NEED_OR(s, NULL);
    return i < mp_set_size(s) ? MP__TABLE(s)->ent[i].key : NULL;
}

int mp_set_contains(const mp_obj_t *s, const mp_obj_t *x)
{
    MP__NEED(s);
    MP__NEED(x);
    if (!is_set(s))
        return mp__fail(MP_EINVAL, "mp_set_contains: expected set or frozenset");
    if (!(x->flags & MP__F_HASHABLE))
        return mp__unhashable(x);
    return mp__table_find(s, x) != NULL;
}
