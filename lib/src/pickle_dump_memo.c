/* The encoder's sharing: which objects occur more than once, and their memo entries.
 *
 * A first walk counts how often each object that may repeat occurs (pickle_graph.c explains
 * why only those with several references, or in a cycle, need counting). While the value is
 * written, an object is memoised when it occurs more than once, and every list and dict of a
 * recursive value too, so that an item can refer back to it; later occurrences fetch it. */
#include "pickle_dump_impl.h"

int mp__pickler_shared(const mp__pickler_t *p, const mp_obj_t *o)
{
    if ((o->flags & MP__F_CYCLE) && (o->type == MP_TYPE_LIST || o->type == MP_TYPE_DICT))
        return 1;
    const size_t *c = mp__ptrmap_get(&p->count, o);
    return c && *c > 1;
}

int mp__pickler_memo_put(mp__pickler_t *p, const mp_obj_t *o)
{
    if (!mp__pickler_shared(p, o))
        return 0;
    int added;
    size_t *slot = mp__ptrmap_put(&p->memo, o, &added);
    if (!slot)
        return mp__fail(MP_ENOMEM, "out of memory");
    size_t idx = *slot = p->nmemo++;
    if (p->proto >= 4)
        return mp__pickler_op_le(p, MP__OP_MEMOIZE, 0, 0);
    if (p->proto >= 1)
        return idx < 256 ? mp__pickler_op_le(p, MP__OP_BINPUT, idx, 1)
                         : mp__pickler_op_le(p, MP__OP_LONG_BINPUT, idx, 4);
    return mp__pickler_op_text(p, MP__OP_PUT, "%zu", idx);
}

int mp__pickler_memo_get(mp__pickler_t *p, const mp_obj_t *o)
{
    const size_t *idx = p->memo.n ? mp__ptrmap_get(&p->memo, o) : NULL;
    if (!idx)
        return 0;
    int rc;
    if (p->proto >= 1)
        rc = *idx < 256 ? mp__pickler_op_le(p, MP__OP_BINGET, *idx, 1)
                        : mp__pickler_op_le(p, MP__OP_LONG_BINGET, *idx, 4);
    else
        rc = mp__pickler_op_text(p, MP__OP_GET, "%zu", *idx);
    return rc < 0 ? rc : 1;
}

/* Counts o if it may repeat; walks into it the first time only, which also ends the walk
 * round a cycle. */
static int count_visit(mp__pickler_t *p, const mp_obj_t *o)
{
    int added = 1;
    if (mp__pickler_memoisable(o) && mp__pickle_may_repeat(o)) {
        size_t *c = mp__ptrmap_put(&p->count, o, &added);
        if (!c)
            return mp__fail(MP_ENOMEM, "out of memory");
        ++*c;
    }
    return added && mp__is_container(o) ? mp__pickler_push(p, o) : 0;
}

/* The first walk: p->count gets how often each object that may repeat occurs. Numbers, None,
 * bools and short text are never memoised: runs of them are skipped over in one loop. */
int mp__pickler_count(mp__pickler_t *p, const mp_obj_t *root)
{
    int rc = count_visit(p, root);
    while (rc == 0 && p->sp) {
        mp__pframe_t *f = &p->st[p->sp - 1];
        const mp_obj_t *c = mp__pickle_next(f->o, &f->i, 1);
        if (c)
            rc = count_visit(p, c);
        else
            p->sp--;
    }
    p->sp = 0;
    return rc;
}
