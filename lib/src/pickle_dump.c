/* The pickle encoder: the walk over a value, its containers, and the entry point. What it writes
 * is what CPython's pickler writes for each type at each protocol, without FRAME and with as
 * little memo as the value allows.
 *
 * The value is written by a loop over an explicit stack, so nesting depth costs heap, not C
 * stack. Scalars go to pickle_dump_write.c, sharing to pickle_dump_memo.c; neither calls back.
 * A container opens with its opcode (memoised right away if it is a list or dict that may be
 * met again), its frame then writes the children, and it closes with the opcode that builds
 * it. Below protocol 4, set and frozenset are `set(list)` and `frozenset(list)`. A recursive
 * tuple is written as CPython writes it: its items first, and if writing them memoised the
 * tuple itself (the cycle came back to it through a list), the items are popped and the
 * memoised tuple fetched instead. */
#include <stdlib.h>
#include <string.h>

#include "pickle_dump_impl.h"

enum {
    CLOSE_NONE,
    CLOSE_APPENDS,
    CLOSE_SETITEMS,
    CLOSE_ADDITEMS,
    CLOSE_FROZENSET,
    CLOSE_TUPLE,
    CLOSE_MARK_TUPLE,
    CLOSE_REDUCE
};

/* ---- containers ---------------------------------------------------------------------------- */

/* Pushes the frame that writes o's n children, each followed by `after` every `step`. */
static int frame(mp__pickler_t *p, const mp_obj_t *o, size_t n, unsigned after, unsigned step,
                 unsigned close)
{
    int rc = mp__pickler_push(p, o);
    if (rc == 0) {
        mp__pframe_t *f = &p->st[p->sp - 1];
        f->n = n;
        f->after = (uint8_t)after;
        f->step = (uint8_t)step;
        f->close = (uint8_t)close;
    }
    return rc;
}

/* A list is memoised before its items, so that an item can be the list itself. */
static int open_list(mp__pickler_t *p, const mp_obj_t *o)
{
    size_t n = MP__LIST(o)->n;
    int rc = p->proto >= 1 ? mp__pickler_op(p, MP__OP_EMPTY_LIST) : mp__pickler_put(p, "(l", 2);
    if (rc == 0)
        rc = mp__pickler_memo_put(p, o);
    if (rc < 0 || n == 0)
        return rc;
    if (p->proto >= 1 && n > 1) {
        rc = mp__pickler_op(p, MP__OP_MARK);
        return rc < 0 ? rc : frame(p, o, n, 0, 1, CLOSE_APPENDS);
    }
    return frame(p, o, n, MP__OP_APPEND, 1, CLOSE_NONE);
}

static int open_dict(mp__pickler_t *p, const mp_obj_t *o)
{
    size_t n = 2 * MP__TABLE(o)->n;
    int rc = p->proto >= 1 ? mp__pickler_op(p, MP__OP_EMPTY_DICT) : mp__pickler_put(p, "(d", 2);
    if (rc == 0)
        rc = mp__pickler_memo_put(p, o);
    if (rc < 0 || n == 0)
        return rc;
    if (p->proto >= 1) {
        rc = mp__pickler_op(p, MP__OP_MARK);
        return rc < 0 ? rc : frame(p, o, n, 0, 1, CLOSE_SETITEMS);
    }
    return frame(p, o, n, MP__OP_SETITEM, 2, CLOSE_NONE);
}

/* Below protocol 4: set(list) or frozenset(list), the list written around the elements. */
static int open_old_set(mp__pickler_t *p, const mp_obj_t *o, size_t n)
{
    int rc = mp__pickler_global(p, NULL, o->type == MP_TYPE_SET ? "set" : "frozenset");
    if (rc == 0 && p->proto < 2)
        rc = mp__pickler_op(p, MP__OP_MARK);
    if (rc == 0)
        rc = p->proto >= 1 ? mp__pickler_op(p, MP__OP_EMPTY_LIST) : mp__pickler_put(p, "(l", 2);
    if (rc == 0 && p->proto >= 1 && n > 1)
        rc = mp__pickler_op(p, MP__OP_MARK);
    if (rc < 0)
        return rc;
    return frame(p, o, n, p->proto == 0 || n == 1 ? MP__OP_APPEND : 0, 1, CLOSE_REDUCE);
}

static int open_set(mp__pickler_t *p, const mp_obj_t *o)
{
    size_t n = MP__TABLE(o)->n;
    int rc;
    if (p->proto < 4)
        return open_old_set(p, o, n);
    if (o->type == MP_TYPE_FROZENSET) { /* memoised once made, by FROZENSET */
        rc = mp__pickler_op(p, MP__OP_MARK);
        return rc < 0 ? rc : frame(p, o, n, 0, 1, CLOSE_FROZENSET);
    }
    rc = mp__pickler_op(p, MP__OP_EMPTY_SET);
    if (rc == 0)
        rc = mp__pickler_memo_put(p, o);
    if (rc < 0 || n == 0)
        return rc;
    rc = mp__pickler_op(p, MP__OP_MARK);
    return rc < 0 ? rc : frame(p, o, n, 0, 1, CLOSE_ADDITEMS);
}

static int open_tuple(mp__pickler_t *p, const mp_obj_t *o)
{
    size_t n = MP__TUPLE(o)->n;
    if (n == 0)
        return p->proto >= 1 ? mp__pickler_op(p, MP__OP_EMPTY_TUPLE) : mp__pickler_put(p, "(t", 2);
    if (p->proto >= 2 && n <= 3)
        return frame(p, o, n, 0, 1, CLOSE_TUPLE);
    int rc = mp__pickler_op(p, MP__OP_MARK);
    return rc < 0 ? rc : frame(p, o, n, 0, 1, CLOSE_MARK_TUPLE);
}

/* A tuple whose items were written. If writing them memoised the tuple (a cycle through a
 * list came back to it), the items and their MARK are dropped and the memoised tuple, which
 * is the same object, fetched instead. */
static int close_tuple(mp__pickler_t *p, const mp_obj_t *o, int marked)
{
    size_t n = MP__TUPLE(o)->n;
    if (p->memo.n && mp__ptrmap_get(&p->memo, o)) {
        int rc = 0;
        if (marked && p->proto >= 1)
            rc = mp__pickler_op(p, MP__OP_POP_MARK);
        else /* at protocol 0 a last POP drops the MARK */
            for (size_t i = 0; rc == 0 && i < n + (marked ? 1 : 0); i++)
                rc = mp__pickler_op(p, MP__OP_POP);
        if (rc == 0)
            rc = mp__pickler_memo_get(p, o);
        return rc < 0 ? rc : 0;
    }
    int rc = mp__pickler_op(p, marked ? MP__OP_TUPLE : MP__OP_TUPLE1 + (unsigned)n - 1);
    return rc < 0 ? rc : mp__pickler_memo_put(p, o);
}

static int close_frame(mp__pickler_t *p, const mp__pframe_t *f)
{
    int rc = 0;
    switch (f->close) {
    case CLOSE_APPENDS:
        return mp__pickler_op(p, MP__OP_APPENDS);
    case CLOSE_SETITEMS:
        return mp__pickler_op(p, MP__OP_SETITEMS);
    case CLOSE_ADDITEMS:
        return mp__pickler_op(p, MP__OP_ADDITEMS);
    case CLOSE_FROZENSET:
        rc = mp__pickler_op(p, MP__OP_FROZENSET);
        return rc < 0 ? rc : mp__pickler_memo_put(p, f->o);
    case CLOSE_TUPLE:
    case CLOSE_MARK_TUPLE:
        return close_tuple(p, f->o, f->close == CLOSE_MARK_TUPLE);
    case CLOSE_REDUCE:
        if (p->proto >= 1 && f->n > 1)
            rc = mp__pickler_op(p, MP__OP_APPENDS);
        if (rc == 0)
            rc = mp__pickler_op(p, p->proto >= 2 ? MP__OP_TUPLE1 : MP__OP_TUPLE);
        if (rc == 0)
            rc = mp__pickler_op(p, MP__OP_REDUCE);
        return rc < 0 ? rc : mp__pickler_memo_put(p, f->o);
    default:
        return 0;
    }
}

/* ---- the loop ------------------------------------------------------------------------------ */

/* A handle goes as its persistent id, a flat tuple, and BINPERSID; without a hook it is
 * refused with the words of CPython's assert_spawning, which raises the same way. */
static int write_handle(mp__pickler_t *p, const mp_obj_t *o)
{
    if (!p->persid || p->proto < 1)
        return mp__fail(MP_EENCODE,
                        "%s objects should only be shared between processes through inheritance",
                        MP__HANDLE(o)->t->refused);
    mp_obj_t *pid = NULL;
    int rc = p->persid(o, p->persid_ud, &pid);
    size_t n = 0;
    mp_obj_t *const *items = rc == 0 ? mp__seq_items(pid, &n) : NULL;
    if (rc == 0 && (!items || pid->type != MP_TYPE_TUPLE))
        rc = mp__fail(MP_EENCODE, "a persistent id must be a tuple");
    if (rc == 0)
        rc = mp__pickler_op(p, MP__OP_MARK);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = mp__is_container(items[i]) || items[i]->type == MP_TYPE_HANDLE
                 ? mp__fail(MP_EENCODE, "a persistent id holds scalars only")
                 : mp__pickler_scalar(p, items[i]);
    if (rc == 0)
        rc = mp__pickler_op(p, MP__OP_TUPLE);
    if (rc == 0)
        rc = mp__pickler_op(p, MP__OP_BINPERSID);
    mp_obj_decref(pid);
    return rc;
}

/* Writes a scalar, or opens a container (its frame then writes the rest). */
static int start(mp__pickler_t *p, const mp_obj_t *o)
{
    int memoisable = mp__pickler_memoisable(o);
    int rc = p->memo.n && memoisable ? mp__pickler_memo_get(p, o) : 0;
    if (rc)
        return rc < 0 ? rc : 0;
    switch (o->type) {
    case MP_TYPE_TUPLE:
        return open_tuple(p, o);
    case MP_TYPE_LIST:
        return open_list(p, o);
    case MP_TYPE_DICT:
        return open_dict(p, o);
    case MP_TYPE_SET:
    case MP_TYPE_FROZENSET:
        return open_set(p, o);
    case MP_TYPE_HANDLE:
        rc = write_handle(p, o);
        return rc < 0 ? rc : mp__pickler_memo_put(p, o);
    default:
        rc = mp__pickler_scalar(p, o);
        return rc < 0 || !memoisable ? rc : mp__pickler_memo_put(p, o);
    }
}

/* The ints of a list or tuple, written in one loop while they last (a list of a million ints
 * is the common case worth it); the frame's index moves past them. */
static int small_ints(mp__pickler_t *p, mp__pframe_t *f)
{
    size_t n;
    mp_obj_t *const *items = mp__seq_items(f->o, &n);
    return items ? mp__pickler_small_ints(p, items, n, &f->i) : 0;
}

/* Writes o and everything in it. */
static int write_value(mp__pickler_t *p, const mp_obj_t *o)
{
    int rc = start(p, o);
    while (rc == 0 && p->sp) {
        mp__pframe_t *f = &p->st[p->sp - 1];
        if (f->pending) {
            f->pending = 0;
            if (f->after && f->i % f->step == 0 && (rc = mp__pickler_op(p, f->after)) < 0)
                break;
        }
        if (!f->after && p->proto >= 1 && (rc = small_ints(p, f)) < 0)
            break;
        if (f->i < f->n) {
            f->pending = 1;
            rc = start(p, mp__pickle_child(f->o, f->i++));
            continue;
        }
        mp__pframe_t done = *f;
        p->sp--;
        rc = close_frame(p, &done);
    }
    return rc;
}

int mp_pickle_dumps(const mp_obj_t *obj, int protocol, void **out, size_t *len)
{
    MP__NEED(obj);
    MP__NEED(out);
    MP__NEED(len);
    *out = NULL;
    if (protocol < -1 || protocol > MP_PICKLE_HIGHEST_PROTOCOL)
        return mp__fail(MP_EINVAL, "mp_pickle_dumps: pickle protocol must be <= %d",
                        MP_PICKLE_HIGHEST_PROTOCOL);
    return mp__pickle_dumps_hooked(obj, protocol, NULL, NULL, out, len);
}

int mp__pickle_dumps_hooked(const mp_obj_t *obj, int protocol, mp__persid_fn persid, void *ud,
                            void **out, size_t *len)
{
    mp__pickler_t p;
    memset(&p, 0, sizeof p);
    p.persid = persid;
    p.persid_ud = ud;
    p.proto = protocol < 0 ? MP_PICKLE_HIGHEST_PROTOCOL : protocol;
    p.auto_proto = protocol < 0;
    int rc = mp__pickler_count(&p, obj);
    if (rc == 0 && p.proto >= 2)
        rc = mp__pickler_op_le(&p, MP__OP_PROTO, (uint64_t)p.proto, 1);
    if (rc == 0)
        rc = write_value(&p, obj);
    if (rc == 0)
        rc = mp__pickler_op_le(&p, MP__OP_STOP, 0, 0);
    if (rc == 0 && p.auto_proto && !p.wrote_bytearray)
        p.buf[1] = MP_PICKLE_DEFAULT_PROTOCOL;
    mp__ptrmap_free(&p.count);
    mp__ptrmap_free(&p.memo);
    free(p.st);
    if (rc < 0) {
        free(p.buf);
        return rc;
    }
    *out = p.buf;
    *len = p.len;
    return 0;
}
