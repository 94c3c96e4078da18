/* The hash table behind dict, set and frozenset: entries in insertion order (which is what
 * iteration, repr and pickling see), and a separate open-addressing index of slots that maps
 * a placement hash (mp__place in object_impl.h) to an entry.
 *
 * The index knows hashes, not equality: a probe asks its caller's `match` whether an entry
 * with the same hash is the one sought. That keeps this file below object_equal.c, whose
 * comparison of two dicts looks keys up here while a lookup compares keys.
 *
 * Placement hashes are keyed with the process's secret (object_hash.c), so the index can use
 * their low bits as they are, and linear probing stays short whatever keys the input holds. */
#include <stdlib.h>

#include "object_impl.h"

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

size_t *mp__table_probe(const mp__table_t *t, int64_t hash, mp__match_fn match, const void *ctx)
{
    if (!t->slot)
        return NULL;
    for (size_t i = (size_t)hash & t->mask;; i = (i + 1) & t->mask) {
        size_t *s = &t->slot[i];
        if (!*s)
            return s;
        const mp__entry_t *e = &t->ent[*s - 1];
        if (e->hash == hash && match(e, ctx))
            return s;
    }
}

/* Keeps the index at most two thirds full so a probe always meets an empty slot. Room for a
 * batch is made at once: one resize instead of one per doubling on the way. */
int mp__table_reserve(mp__table_t *t, size_t extra)
{
    size_t want = t->n + extra;
    if (extra > SIZE_MAX / sizeof *t->ent / 4 - t->n)
        return mp__fail(MP_ENOMEM, "out of memory");
    if (want > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        if (cap < want)
            cap = want;
        mp__entry_t *e = realloc(t->ent, cap * sizeof *e);
        if (!e)
            return mp__fail(MP_ENOMEM, "out of memory");
        t->ent = e;
        t->cap = cap;
    }
    if (t->slot && want * 3 <= (t->mask + 1) * 2)
        return 0;
    size_t size = t->slot ? (t->mask + 1) * 2 : 8;
    while (want * 3 > size * 2)
        size *= 2;
    size_t *slot = calloc(size, sizeof *slot);
    if (!slot)
        return mp__fail(MP_ENOMEM, "out of memory");
    free(t->slot);
    t->slot = slot;
    t->mask = size - 1;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = (size_t)t->ent[i].hash & t->mask;
        while (slot[j])
            j = (j + 1) & t->mask;
        slot[j] = i + 1;
    }
    return 0;
}

void mp__table_put(mp__table_t *t, size_t *slot, mp_obj_t *key, mp_obj_t *value, int64_t hash)
{
    *slot = t->n + 1;
    t->ent[t->n].key = key;
    t->ent[t->n].value = value;
    t->ent[t->n].hash = hash;
    t->n++;
}
