/* dict, set and frozenset: one insertion-ordered hash table for all three, and the hashes of
 * str, bytes, tuple and frozenset.
 *
 * Entries sit in an array in insertion order (which is what iteration, repr and pickling see);
 * a separate open-addressing index of slots maps a hash to an entry. Every hashable value
 * carries its hash from construction, so lookups never hash recursively.
 *
 * str and bytes hash with SipHash-1-3 under a random per-process key (the algorithm CPython
 * uses, written here from its published description): a hostile pickle cannot precompute keys
 * that all collide and turn a dict into a linear list. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "object_impl.h"

/* ---- hashes -------------------------------------------------------------------------------- */

static uint64_t sip_key[2];
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void sip_init(void)
{
    if (getrandom(sip_key, sizeof sip_key, GRND_NONBLOCK) != (ssize_t)sizeof sip_key) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sip_key[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15u ^ (uint64_t)getpid();
        sip_key[1] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&sip_key;
    }
}

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static inline __attribute__((always_inline)) void sip_round(uint64_t v[4])
{
    v[0] += v[1], v[1] = ROTL(v[1], 13), v[1] ^= v[0], v[0] = ROTL(v[0], 32);
    v[2] += v[3], v[3] = ROTL(v[3], 16), v[3] ^= v[2];
    v[0] += v[3], v[3] = ROTL(v[3], 21), v[3] ^= v[0];
    v[2] += v[1], v[1] = ROTL(v[1], 17), v[1] ^= v[2], v[2] = ROTL(v[2], 32);
}

int64_t mp__hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    pthread_once(&sip_once, sip_init);
    uint64_t v[4] = {sip_key[0] ^ 0x736f6d6570736575u, sip_key[1] ^ 0x646f72616e646f6du,
                     sip_key[0] ^ 0x6c7967656e657261u, sip_key[1] ^ 0x7465646279746573u};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t m;
        memcpy(&m, b + i, 8); /* SipHash reads little-endian words, as this machine does */
        v[3] ^= m;
        sip_round(v);
        v[0] ^= m;
    }
    uint64_t last = (uint64_t)(n & 0xFF) << 56;
    for (size_t j = 0; i + j < n; j++)
        last |= (uint64_t)b[i + j] << (8 * j);
    v[3] ^= last;
    sip_round(v);
    v[0] ^= last;
    v[2] ^= 0xFF;
    sip_round(v), sip_round(v), sip_round(v);
    int64_t h = (int64_t)(v[0] ^ v[1] ^ v[2] ^ v[3]);
    return h == MP__HASH_UNSET ? h + 1 : h;
}

int64_t mp__hash_slow(const mp_obj_t *o)
{
    if (o->type != MP_TYPE_STR && o->type != MP_TYPE_BYTES)
        return o->u.hash; /* a tuple or frozenset whose mixed hash happens to be UNSET */
    int64_t h = mp__hash_bytes(MP__STR(o)->data, MP__STR(o)->len);
    __atomic_store_n(&((mp_obj_t *)o)->u.hash, h, __ATOMIC_RELAXED);
    return h;
}

static uint64_t mix64(uint64_t x) /* a bijective finaliser: spreads sequential int hashes */
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9u;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

int64_t mp__hash_tuple(mp_obj_t *const *item, size_t n)
{
    uint64_t h = 0x27D4EB2F165667C5u ^ n;
    for (size_t i = 0; i < n; i++)
        h = mix64(h ^ (uint64_t)mp__hash(item[i])) + 0x9E3779B97F4A7C15u;
    return (int64_t)h;
}

/* Order must not matter: equal frozensets hold equal elements in any order. */
static int64_t hash_frozenset(const mp__table_t *t)
{
    uint64_t h = mix64(t->n + 0x51ED27u);
    for (size_t i = 0; i < t->n; i++)
        h += mix64((uint64_t)t->ent[i].hash);
    return (int64_t)mix64(h);
}

int mp__unhashable(const mp_obj_t *o)
{
    /* For a tuple, name the item that makes it unhashable, as Python does. */
    while (o->type == MP_TYPE_TUPLE) {
        size_t i = 0;
        while (MP__TUPLE(o)->item[i]->flags & MP__F_HASHABLE)
            i++;
        o = MP__TUPLE(o)->item[i];
    }
    return mp__fail(MP_EINVAL, "unhashable type: '%s'", mp_type_name(o->type));
}

int mp_obj_hash(const mp_obj_t *o, int64_t *out)
{
    if (!(o->flags & MP__F_HASHABLE))
        return mp__unhashable(o);
    if (out)
        *out = mp__hash(o);
    return 0;
}

/* ---- the table ----------------------------------------------------------------------------- */

mp_obj_t *mp__table_new(mp_type_t type, size_t cap)
{
    mp__table_t *t = (mp__table_t *)mp__obj_alloc(type, sizeof *t);
    if (!t)
        return NULL;
    t->n = t->cap = t->mask = 0;
    t->ent = NULL;
    t->slot = NULL;
    if (cap && cap <= SIZE_MAX / sizeof *t->ent / 2) {
        t->ent = malloc(cap * sizeof *t->ent);
        t->cap = t->ent ? cap : 0;
    }
    return &t->ob;
}

typedef int (*match_fn)(const mp__entry_t *e, const void *ctx);

/* The slot holding a matching entry, or the empty slot where it would go. */
static size_t *probe(const mp__table_t *t, int64_t hash, match_fn match, const void *ctx)
{
    for (size_t i = (size_t)mix64((uint64_t)hash) & t->mask;; i = (i + 1) & t->mask) {
        size_t *s = &t->slot[i];
        if (!*s)
            return s;
        const mp__entry_t *e = &t->ent[*s - 1];
        if (e->hash == hash && match(e, ctx))
            return s;
    }
}

static int match_obj(const mp__entry_t *e, const void *key)
{
    return e->key == key || mp__equal(e->key, key);
}

const mp__entry_t *mp__table_find(const mp_obj_t *o, const mp_obj_t *key)
{
    const mp__table_t *t = MP__TABLE(o);
    if (!t->slot)
        return NULL;
    size_t *s = probe(t, mp__hash(key), match_obj, key);
    return *s ? &t->ent[*s - 1] : NULL;
}

/* Keeps the index at most two thirds full so probe() always meets an empty slot. */
static int grow(mp__table_t *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        mp__entry_t *e = cap <= SIZE_MAX / sizeof *e / 2 ? realloc(t->ent, cap * sizeof *e) : NULL;
        if (!e)
            return mp__fail(MP_ENOMEM, "out of memory");
        t->ent = e;
        t->cap = cap;
    }
    if (t->slot && (t->n + 1) * 3 <= (t->mask + 1) * 2)
        return 0;
    size_t size = t->slot ? (t->mask + 1) * 2 : 8;
    while ((t->n + 1) * 3 > size * 2)
        size *= 2;
    size_t *slot = calloc(size, sizeof *slot);
    if (!slot)
        return mp__fail(MP_ENOMEM, "out of memory");
    free(t->slot);
    t->slot = slot;
    t->mask = size - 1;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = (size_t)mix64((uint64_t)t->ent[i].hash) & t->mask;
        while (slot[j])
            j = (j + 1) & t->mask;
        slot[j] = i + 1;
    }
    return 0;
}

/* Inserts key (and value, for a dict). An equal key already present keeps its place and its
 * key object; a dict's value is replaced, a set's new element is dropped. The table grows
 * first, so that one probe finds either the key or the empty slot for it. With `steal` the
 * table takes the caller's references, and releases those it does not keep, even on failure:
 * the decoder moves its stack into a dict without touching reference counts. */
static int table_insert(mp_obj_t *o, mp_obj_t *key, mp_obj_t *value, int steal)
{
    mp__table_t *t = (mp__table_t *)o;
    int rc;
    if (!key || (o->type == MP_TYPE_DICT && !value))
        rc = mp__fail(MP_EINVAL, "%s: NULL item", mp_type_name(o->type));
    else if (!(key->flags & MP__F_HASHABLE))
        rc = mp__unhashable(key);
    else
        rc = grow(t);
    if (!steal) /* from here on, the references are the table's, to keep or to drop */
        mp_obj_incref(key), mp_obj_incref(value);
    if (rc < 0) {
        mp_obj_decref(key), mp_obj_decref(value);
        return rc;
    }
    int64_t hash = mp__hash(key);
    size_t *s = probe(t, hash, match_obj, key);
    if (*s) {
        mp__entry_t *e = &t->ent[*s - 1];
        mp_obj_t *old = value ? e->value : NULL;
        if (value)
            e->value = value;
        mp_obj_decref(old);
        mp_obj_decref(key);
        return 0;
    }
    *s = t->n + 1;
    t->ent[t->n].key = key;
    t->ent[t->n].value = value;
    t->ent[t->n].hash = hash;
    t->n++;
    return 0;
}

int mp__dict_setitem(mp_obj_t *dict, mp_obj_t *key, mp_obj_t *value)
{
    return table_insert(dict, key, value, 0);
}

int mp__set_add(mp_obj_t *set, mp_obj_t *item)
{
    return table_insert(set, item, NULL, 0);
}

int mp__table_insert_steal(mp_obj_t *table, mp_obj_t *key, mp_obj_t *value)
{
    return table_insert(table, key, value, 1);
}

/* ---- dict ---------------------------------------------------------------------------------- */

mp_obj_t *mp_dict_new(size_t n, mp_obj_t *const *keys, mp_obj_t *const *values)
{
    if (n && (!keys || !values)) {
        mp__set_errmsg("mp_dict_new: NULL keys or values");
        return NULL;
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
    return d && d->type == MP_TYPE_DICT ? MP__TABLE(d)->n : 0;
}

int mp_dict_item(const mp_obj_t *d, size_t i, mp_obj_t **key, mp_obj_t **value)
{
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
    if (!d || d->type != MP_TYPE_DICT || !key || !(key->flags & MP__F_HASHABLE))
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
    if (!d || d->type != MP_TYPE_DICT || !key || !MP__TABLE(d)->slot)
        return NULL;
    /* Hashed as the str would be, without allocating one; a str key's hash is that of its
     * UTF-8 bytes, and invalid UTF-8 simply matches no str. */
    text_t k = {key, strlen(key)};
    size_t *s = probe(MP__TABLE(d), mp__hash_bytes(key, k.n), match_text, &k);
    return *s ? MP__TABLE(d)->ent[*s - 1].value : NULL;
}

/* ---- set, frozenset ------------------------------------------------------------------------ */

static mp_obj_t *set_like(mp_type_t type, size_t n, mp_obj_t *const *items)
{
    if (n && !items) {
        mp__set_errmsg("%s: NULL items", mp_type_name(type));
        return NULL;
    }
    mp_obj_t *s = mp__table_new(type, n);
    for (size_t i = 0; s && i < n; i++) {
        if (mp__set_add(s, items[i]) < 0) {
            mp_obj_decref(s);
            s = NULL;
        }
    }
    if (s && type == MP_TYPE_FROZENSET) {
        s->u.hash = hash_frozenset(MP__TABLE(s));
        s->flags |= MP__F_HASHABLE;
    }
    return s;
}

mp_obj_t *mp_set_new(size_t n, mp_obj_t *const *items)
{
    return set_like(MP_TYPE_SET, n, items);
}

mp_obj_t *mp_frozenset_new(size_t n, mp_obj_t *const *items)
{
    return set_like(MP_TYPE_FROZENSET, n, items);
}

static int is_set(const mp_obj_t *s)
{
    return s && (s->type == MP_TYPE_SET || s->type == MP_TYPE_FROZENSET);
}

size_t mp_set_size(const mp_obj_t *s)
{
    return is_set(s) ? MP__TABLE(s)->n : 0;
}

mp_obj_t *mp_set_item(const mp_obj_t *s, size_t i)
{
    return i < mp_set_size(s) ? MP__TABLE(s)->ent[i].key : NULL;
}

int mp_set_contains(const mp_obj_t *s, const mp_obj_t *x)
{
    if (!is_set(s))
        return mp__fail(MP_EINVAL, "mp_set_contains: expected set or frozenset");
    if (!x || !(x->flags & MP__F_HASHABLE))
        return x ? mp__unhashable(x) : mp__fail(MP_EINVAL, "mp_set_contains: NULL item");
    return mp__table_find(s, x) != NULL;
}
