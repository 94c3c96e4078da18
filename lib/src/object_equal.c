/* Python's `==` over values, and looking a key up in a dict, set or frozenset by it.
 *
 * The two belong together: comparing two dicts looks each key up in the other, and a lookup
 * compares keys. The table's index (object_table.c) takes the comparison as a callback, so
 * this mutual recursion stays inside this file.
 *
 * The walk keeps its own stack of container pairs instead of recursing, so nesting depth costs
 * heap, not C stack. Two places still recurse, both bounded by what they recurse on: looking a
 * dict key or set element up in the other table compares keys, and keys nest only through
 * tuples and frozensets, whose own comparison is again this walk; and when the walk's stack
 * cannot grow (out of memory), the pair at hand is compared by a nested walk rather than
 * failing, since this function has no way to report an error. */
#include <stdlib.h>
#include <string.h>

#include "object_impl.h"

enum { UNEQUAL = 0, EQUAL = 1, DESCEND = 2 };

/* Types that can compare equal to each other share a class. */
static int eq_class(const mp_obj_t *o)
{
    switch (o->type) {
    case MP_TYPE_BOOL:
    case MP_TYPE_FLOAT:
        return MP_TYPE_INT;
    case MP_TYPE_BYTEARRAY:
        return MP_TYPE_BYTES;
    case MP_TYPE_FROZENSET:
        return MP_TYPE_SET;
    default:
        return o->type;
    }
}

static int numbers_equal(const mp_obj_t *a, const mp_obj_t *b)
{
    if (a->type == MP_TYPE_FLOAT && b->type == MP_TYPE_FLOAT)
        return MP__FLOAT(a)->v == MP__FLOAT(b)->v;
    if (a->type == MP_TYPE_FLOAT)
        return mp__int_equal_double(b, MP__FLOAT(a)->v);
    if (b->type == MP_TYPE_FLOAT)
        return mp__int_equal_double(a, MP__FLOAT(b)->v);
    return mp__int_equal(a, b);
}

/* Compares everything but the items; DESCEND when the items decide. */
static int shallow(const mp_obj_t *a, const mp_obj_t *b)
{
    size_t na, nb;
    if (eq_class(a) != eq_class(b))
        return UNEQUAL;
    switch (eq_class(a)) {
    case MP_TYPE_NONE:
        return EQUAL;
    case MP_TYPE_INT:
        return numbers_equal(a, b);
    case MP_TYPE_STR:
    case MP_TYPE_BYTES:
        return MP__STR(a)->len == MP__STR(b)->len &&
               !memcmp(MP__STR(a)->data, MP__STR(b)->data, MP__STR(a)->len);
    case MP_TYPE_HANDLE:
        return MP__HANDLE(a)->kind == MP__HANDLE(b)->kind &&
               MP__HANDLE(a)->handle == MP__HANDLE(b)->handle;
    case MP_TYPE_SET:
        /* Cached hashes settle most unequal frozensets at once. */
        if ((a->flags & b->flags & MP__F_HASHABLE) && mp__hash(a) != mp__hash(b))
            return UNEQUAL;
        break;
    default:
        break;
    }
    mp_obj_len(a, &na);
    mp_obj_len(b, &nb);
    if (na != nb)
        return UNEQUAL;
    return na ? DESCEND : EQUAL;
}

typedef struct {
    const mp_obj_t *a, *b;
    size_t i;
} frame_t;

/* The next pair of items of a frame to compare: 1 with *x, *y set, 0 when the frame is done,
 * -1 when a key of `a` is missing from `b`. */
static int next_pair(frame_t *f, const mp_obj_t **x, const mp_obj_t **y)
{
    size_t n;
    mp_obj_t *const *ia = mp__seq_items(f->a, &n);
    if (ia) {
        if (f->i == n)
            return 0;
        *x = ia[f->i];
        *y = mp__seq_items(f->b, &n)[f->i];
        f->i++;
        return 1;
    }
    const mp__table_t *t = MP__TABLE(f->a);
    while (f->i < t->n) {
        const mp__entry_t *mine = &t->ent[f->i++];
        const mp__entry_t *theirs = mp__table_find(f->b, mine->key);
        if (!theirs)
            return -1;
        if (mine->value) {
            *x = mine->value;
            *y = theirs->value;
            return 1;
        }
    }
    return 0;
}

typedef struct {
    frame_t *f;
    size_t n, cap;
    frame_t inline_f[32];
} eqstack_t;

static int push(eqstack_t *s, const mp_obj_t *a, const mp_obj_t *b)
{
    if (s->n == s->cap) {
        frame_t *f = NULL;
        if (s->cap <= SIZE_MAX / sizeof *f / 2)
            f = s->f == s->inline_f ? malloc(s->cap * 2 * sizeof *f)
                                    : realloc(s->f, s->cap * 2 * sizeof *f);
        if (!f)
            return -1;
        if (s->f == s->inline_f)
            memcpy(f, s->inline_f, sizeof s->inline_f);
        s->f = f;
        s->cap *= 2;
    }
    s->f[s->n++] = (frame_t){a, b, 0};
    return 0;
}

/* Pairs of containers that the walk has met and may meet again: members of recursive values
 * (MP__F_CYCLE), and containers held more than once, which a shared value (`a = [..]; [a, a,
 * ...]`) would otherwise make the walk compare once per path, exponentially often. Meeting a
 * pair again means the walk came round a cycle, or already compared it: either way it may be
 * taken as equal (a difference anywhere ends the walk at once). So two recursive values
 * compare equal when they unfold alike, and every comparison takes time linear in the size of
 * its operands. */
typedef struct {
    const mp_obj_t **slot; /* pairs (a, b) at 2i, 2i + 1 */
    size_t mask, n;
} pairs_t;

static size_t pair_slot(const pairs_t *p, const mp_obj_t *a, const mp_obj_t *b)
{
    uint64_t h = ((uint64_t)(uintptr_t)a * 0x9E3779B97F4A7C15u) ^ (uint64_t)(uintptr_t)b;
    size_t i = (size_t)(h ^ (h >> 29)) & p->mask;
    while (p->slot[2 * i] && (p->slot[2 * i] != a || p->slot[2 * i + 1] != b))
        i = (i + 1) & p->mask;
    return i;
}

/* 1 if the pair was met before, 0 if it is new (now recorded), -1 when out of memory. */
static int pairs_seen(pairs_t *p, const mp_obj_t *a, const mp_obj_t *b)
{
    if (p->slot && p->slot[2 * pair_slot(p, a, b)])
        return 1;
    if (2 * (p->n + 1) > (p->slot ? p->mask + 1 : 0)) {
        size_t size = p->slot ? 2 * (p->mask + 1) : 64;
        pairs_t q = {calloc(2 * size, sizeof *q.slot), size - 1, p->n};
        if (!q.slot)
            return -1;
        for (size_t i = 0; p->slot && i <= p->mask; i++) {
            if (p->slot[2 * i]) {
                size_t j = pair_slot(&q, p->slot[2 * i], p->slot[2 * i + 1]);
                q.slot[2 * j] = p->slot[2 * i];
                q.slot[2 * j + 1] = p->slot[2 * i + 1];
            }
        }
        free(p->slot);
        *p = q;
    }
    size_t i = pair_slot(p, a, b);
    p->slot[2 * i] = a;
    p->slot[2 * i + 1] = b;
    p->n++;
    return 0;
}

static int may_repeat(const mp_obj_t *o)
{
    return (o->flags & MP__F_CYCLE) || mp_obj_refcount(o) > 1;
}

/* Whether the walk may skip the pair (x, y). Out of memory, a pair is skipped only if it is
 * open on the stack, which still ends. */
static int skip_pair(pairs_t *p, const eqstack_t *s, const mp_obj_t *x, const mp_obj_t *y)
{
    if (!may_repeat(x) || !may_repeat(y))
        return 0;
    int seen = pairs_seen(p, x, y);
    if (seen >= 0)
        return seen;
    for (size_t i = 0; i < s->n; i++)
        if (s->f[i].a == x && s->f[i].b == y)
            return 1;
    return 0;
}

/* Compares the items of a and b, which shallow() found alike. */
static int walk(const mp_obj_t *a, const mp_obj_t *b)
{
    eqstack_t s;
    pairs_t seen = {NULL, 0, 0};
    s.f = s.inline_f;
    s.n = 0;
    s.cap = sizeof s.inline_f / sizeof s.inline_f[0];
    skip_pair(&seen, &s, a, b);
    push(&s, a, b);
    int result = EQUAL;
    while (s.n && result == EQUAL) {
        const mp_obj_t *x, *y;
        int more = next_pair(&s.f[s.n - 1], &x, &y);
        if (more <= 0) {
            s.n--;
            result = more < 0 ? UNEQUAL : EQUAL;
            continue;
        }
        if (x == y) /* identity first, as CPython's containers do: a NaN item equals itself */
            continue;
        result = shallow(x, y);
        if (result == DESCEND && skip_pair(&seen, &s, x, y))
            result = EQUAL;
        else if (result == DESCEND)
            result = push(&s, x, y) == 0 ? EQUAL : walk(x, y);
    }
    if (s.f != s.inline_f)
        free(s.f);
    free(seen.slot);
    return result;
}

static int match_obj(const mp__entry_t *e, const void *key)
{
    return e->key == key || mp__equal(e->key, key);
}

size_t *mp__table_find_slot(const mp__table_t *t, const mp_obj_t *key, int64_t place)
{
    return mp__table_probe(t, place, match_obj, key);
}

const mp__entry_t *mp__table_find(const mp_obj_t *o, const mp_obj_t *key)
{
    const mp__table_t *t = MP__TABLE(o);
    size_t *s = mp__table_probe(t, mp__place(key), match_obj, key);
    return s && *s ? &t->ent[*s - 1] : NULL;
}

int mp__equal(const mp_obj_t *a, const mp_obj_t *b)
{
    if (a == b && a->type != MP_TYPE_FLOAT)
        return 1;
    int r = shallow(a, b);
    return r == DESCEND ? walk(a, b) : r;
}

int mp_obj_equal(const mp_obj_t *a, const mp_obj_t *b)
{
    if (!a || !b)
        return a == b;
    return mp__equal(a, b);
}
