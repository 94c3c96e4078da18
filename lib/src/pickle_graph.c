/* Walks over a decoded value: its nesting depth, and its recursive parts.
 *
 * Both walks keep their own stacks, so a value nested as deep as the input allows costs heap,
 * not C stack, and both go through an object once however often it is shared. An object met
 * again can only be one whose reference count is above one, or a member of a cycle, so only
 * those are looked up in a map: a list of a million ints costs no map at all. */
#include <stdlib.h>

#include "pickle_impl.h"

const mp_obj_t *mp__pickle_child(const mp_obj_t *o, size_t i)
{
    size_t n;
    mp_obj_t *const *items = mp__seq_items(o, &n);
    if (items)
        return i < n ? items[i] : NULL;
    const mp__table_t *t = MP__TABLE(o);
    if (o->type != MP_TYPE_DICT)
        return i < t->n ? t->ent[i].key : NULL;
    return i / 2 < t->n ? (i % 2 ? t->ent[i / 2].value : t->ent[i / 2].key) : NULL;
}

static inline int wanted(const mp_obj_t *c, int texts)
{
    if (mp__is_container(c))
        return 1;
    return texts && (c->type == MP_TYPE_BYTEARRAY || c->type == MP_TYPE_HANDLE ||
                     ((c->type == MP_TYPE_STR || c->type == MP_TYPE_BYTES) &&
                      MP__STR(c)->len >= MP__PICKLE_SHARED_TEXT));
}

const mp_obj_t *mp__pickle_next(const mp_obj_t *o, size_t *i, int texts)
{
    size_t n;
    mp_obj_t *const *items = mp__seq_items(o, &n);
    if (items) {
        while (*i < n && !wanted(items[*i], texts))
            ++*i;
        return *i < n ? items[(*i)++] : NULL;
    }
    const mp__table_t *t = MP__TABLE(o);
    size_t step = o->type == MP_TYPE_DICT ? 2 : 1; /* a dict's children: key, value, ... */
    for (; *i < step * t->n; ++*i) {
        const mp__entry_t *e = &t->ent[*i / step];
        const mp_obj_t *c = step == 2 && *i % 2 ? e->value : e->key;
        if (wanted(c, texts)) {
            ++*i;
            return c;
        }
    }
    return NULL;
}

int mp__pickle_may_repeat(const mp_obj_t *o)
{
    return (o->flags & MP__F_CYCLE) || mp_obj_refcount(o) > 1;
}

/* ---- depth --------------------------------------------------------------------------------- */

typedef struct {
    const mp_obj_t *o;
    size_t i, height; /* next child; tallest child so far, plus one */
} dframe_t;

/* Post-order heights; a shared container's height is kept in the map as height + 1, and 0
 * while it is being walked (a cycle back to it then counts nothing). The walk stops as soon
 * as the path it is on, plus what it knows lies below, passes the limit. */
size_t mp__pickle_depth(const mp_obj_t *root, size_t limit)
{
    if (!mp__is_container(root))
        return 0;
    mp__ptrmap_t seen = MP__PTRMAP_INIT;
    dframe_t *st = malloc(64 * sizeof *st);
    size_t sp = 0, cap = 64, result = SIZE_MAX;
    int added;
    if (!st)
        return SIZE_MAX;
    st[sp++] = (dframe_t){root, 0, 1};
    if (mp__pickle_may_repeat(root) && !mp__ptrmap_put(&seen, root, &added))
        goto out;
    while (sp) {
        dframe_t *f = &st[sp - 1];
        const mp_obj_t *c = mp__pickle_next(f->o, &f->i, 0);
        if (!c) {
            size_t h = f->height, *slot = mp__ptrmap_get(&seen, f->o);
            if (slot)
                *slot = h + 1;
            if (--sp && h + 1 > st[sp - 1].height)
                st[sp - 1].height = h + 1;
            if (!sp)
                result = h;
            continue;
        }
        if (!mp__is_container(c))
            continue;
        size_t *slot = mp__pickle_may_repeat(c) ? mp__ptrmap_put(&seen, c, &added) : NULL;
        if (mp__pickle_may_repeat(c) && !slot)
            goto out;
        if (slot && !added) {
            if (*slot && *slot > f->height)
                f->height = *slot; /* its height + 1, counted from f */
            if (sp - 1 + f->height > limit) {
                result = limit + 1;
                goto out;
            }
            continue;
        }
        if (sp + 1 > limit) {
            result = limit + 1;
            goto out;
        }
        if (sp == cap) {
            dframe_t *g = realloc(st, 2 * cap * sizeof *st);
            if (!g)
                goto out;
            st = g;
            cap *= 2;
        }
        st[sp++] = (dframe_t){c, 0, 1};
    }
out:
    free(st);
    mp__ptrmap_free(&seen);
    return result;
}

/* ---- cycles -------------------------------------------------------------------------------- */

/* Tarjan's strongly connected components, over the only objects that can lie on a cycle:
 * lists, dicts (through their values: keys are hashable) and the tuples that hold them. */
typedef struct {
    mp_obj_t *o;
    size_t index, low, next; /* discovery order, lowest reachable, next child to look at */
    int on_stack;
} node_t;

typedef struct {
    node_t *node;
    size_t n, cap;
    size_t *stack, sp; /* Tarjan's stack of node numbers; as long as node at most */
    size_t *path, pp;  /* the walk's own call stack */
    mp__ptrmap_t num;  /* object -> node number */
} scc_t;

static int on_cycle_path(const mp_obj_t *o)
{
    return o && (o->type == MP_TYPE_LIST || o->type == MP_TYPE_DICT ||
                 (o->type == MP_TYPE_TUPLE && !(o->flags & MP__F_HASHABLE)));
}

static const mp_obj_t *edge(const mp_obj_t *o, size_t i)
{
    return o->type == MP_TYPE_DICT ? mp__pickle_child(o, 2 * i + 1) : mp__pickle_child(o, i);
}

/* Numbers o and puts it on both stacks; its node number, or SIZE_MAX out of memory. */
static size_t visit(scc_t *g, mp_obj_t *o)
{
    int added;
    size_t *slot = mp__ptrmap_put(&g->num, o, &added);
    if (!slot)
        return SIZE_MAX;
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 64;
        /* Each grown array goes into g at once, so a later failure leaks nothing. */
        node_t *nd = realloc(g->node, cap * sizeof *nd);
        if (nd)
            g->node = nd;
        size_t *st = nd ? realloc(g->stack, cap * sizeof *st) : NULL;
        if (st)
            g->stack = st;
        size_t *pa = st ? realloc(g->path, cap * sizeof *pa) : NULL;
        if (!pa)
            return SIZE_MAX;
        g->path = pa;
        g->cap = cap;
    }
    *slot = g->n;
    g->node[g->n] = (node_t){o, g->n, g->n, 0, 1};
    g->stack[g->sp++] = g->n;
    g->path[g->pp++] = g->n;
    return g->n++;
}

static int self_loop(const mp_obj_t *o)
{
    const mp_obj_t *c;
    for (size_t i = 0; (c = edge(o, i)); i++)
        if (c == o)
            return 1;
    return 0;
}

/* v is done: if it roots a component, pop the component and make it one unit. */
static int close_node(scc_t *g, size_t v)
{
    node_t *nv = &g->node[v];
    if (--g->pp && nv->low < g->node[g->path[g->pp - 1]].low)
        g->node[g->path[g->pp - 1]].low = nv->low;
    if (nv->low != nv->index)
        return 0;
    size_t top = g->sp;
    do
        g->node[g->stack[--g->sp]].on_stack = 0;
    while (g->stack[g->sp] != v);
    size_t n = top - g->sp;
    if (n == 1 && !self_loop(nv->o))
        return 0;
    mp_obj_t **members = malloc(n * sizeof *members);
    if (!members)
        return mp__fail(MP_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        members[i] = g->node[g->stack[g->sp + i]].o;
    int rc = mp__cycle_make(members, n);
    free(members);
    return rc;
}

static int walk_from(scc_t *g, mp_obj_t *root)
{
    if (visit(g, root) == SIZE_MAX)
        return mp__fail(MP_ENOMEM, "out of memory");
    while (g->pp) {
        size_t v = g->path[g->pp - 1];
        const mp_obj_t *c = edge(g->node[v].o, g->node[v].next++);
        if (!c) {
            int rc = close_node(g, v);
            if (rc < 0)
                return rc;
            continue;
        }
        if (!on_cycle_path(c))
            continue;
        size_t *w = mp__ptrmap_get(&g->num, c);
        if (!w && visit(g, (mp_obj_t *)c) == SIZE_MAX)
            return mp__fail(MP_ENOMEM, "out of memory");
        if (w && g->node[*w].on_stack && g->node[*w].index < g->node[v].low)
            g->node[v].low = g->node[*w].index;
    }
    return 0;
}

int mp__unpickle_cycles(mp__unpickler_t *u)
{
    scc_t g = {NULL, 0, 0, NULL, 0, NULL, 0, MP__PTRMAP_INIT};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < u->nmemo; i++) {
        mp_obj_t *o = u->memo[i];
        if ((o->type == MP_TYPE_LIST || o->type == MP_TYPE_DICT) && !mp__ptrmap_get(&g.num, o))
            rc = walk_from(&g, o);
    }
    free(g.node);
    free(g.stack);
    free(g.path);
    mp__ptrmap_free(&g.num);
    return rc;
}
