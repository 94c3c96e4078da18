/* The pickle encoder: what CPython's pickler writes for each type at each protocol, without
 * FRAME and with as little memo as the value allows.
 *
 * A first walk counts how often each object that may repeat occurs (pickle_graph.c explains
 * why only those with several references, or in a cycle, need counting). Then the value is
 * written by a loop over an explicit stack, so nesting depth costs heap, not C stack. An
 * object is memoised when it occurs more than once, and every list and dict of a recursive
 * value is memoised right after it is opened, before its items, so that an item can refer back
 * to it. A recursive tuple is written as CPython writes it: its items first, and if writing
 * them memoised the tuple itself (the cycle came back to it through a list), the items are
 * popped and the memoised tuple fetched instead. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle_dump_impl.h"

/* ---- output -------------------------------------------------------------------------------- */

int mp__pickler_room(mp__pickler_t *p, size_t n)
{
    if (p->cap - p->len >= n)
        return 0;
    if (n > SIZE_MAX / 2 - p->len)
        return mp__fail(MP_ENOMEM, "out of memory");
    size_t cap = p->cap ? p->cap * 2 : 256;
    if (cap < p->len + n)
        cap = p->len + n + 64; /* a big payload: room for the opcodes after it, no realloc */
    unsigned char *b = realloc(p->buf, cap);
    if (!b)
        return mp__fail(MP_ENOMEM, "out of memory");
    mp__advise_fill(b + p->len, cap - p->len);
    p->buf = b;
    p->cap = cap;
    return 0;
}

int mp__pickler_put(mp__pickler_t *p, const void *data, size_t n)
{
    int rc = mp__pickler_room(p, n);
    if (rc == 0 && n) {
        memcpy(p->buf + p->len, data, n);
        p->len += n;
    }
    return rc;
}

/* An opcode and a little-endian operand of `width` bytes. */
int mp__pickler_op_le(mp__pickler_t *p, unsigned op, uint64_t v, int width)
{
    int rc = mp__pickler_room(p, 1 + (size_t)width);
    if (rc == 0) {
        p->buf[p->len++] = (unsigned char)op;
        for (int i = 0; i < width; i++, v >>= 8)
            p->buf[p->len++] = (unsigned char)v;
    }
    return rc;
}

/* An opcode and its protocol 0 text operand, ended by a newline. */
int mp__pickler_op_text(mp__pickler_t *p, unsigned op, const char *fmt, ...)
{
    char buf[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + 1, sizeof buf - 2, fmt, ap);
    va_end(ap);
    buf[0] = (char)op;
    buf[n + 1] = '\n';
    return mp__pickler_put(p, buf, (size_t)n + 2);
}

int mp__pickler_push(mp__pickler_t *p, const mp_obj_t *o)
{
    if (p->sp == p->scap) {
        size_t cap = p->scap ? 2 * p->scap : 32;
        mp__pframe_t *st = cap <= SIZE_MAX / sizeof *st ? realloc(p->st, cap * sizeof *st) : NULL;
        if (!st)
            return mp__fail(MP_ENOMEM, "out of memory");
        p->st = st;
        p->scap = cap;
    }
    p->st[p->sp++] = (mp__pframe_t){o, 0, 0, 0, 1, 0, 0};
    return 0;
}

/* ---- memo ---------------------------------------------------------------------------------- */

/* Objects worth a memo entry when shared: containers but (), bytearray, and str and bytes long
 * enough that writing them again costs more than an index. */
static int memoisable(const mp_obj_t *o)
{
    if (o->type >= MP_TYPE_TUPLE)
        return o->type != MP_TYPE_TUPLE || MP__TUPLE(o)->n;
    if (o->type == MP_TYPE_STR || o->type == MP_TYPE_BYTES)
        return MP__STR(o)->len >= MP__PICKLE_SHARED_TEXT;
    return o->type == MP_TYPE_BYTEARRAY;
}

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

/* Writes a fetch of o if it is memoised: 1 if it was, 0 if not, or an error. */
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
    if (memoisable(o) && mp__pickle_may_repeat(o)) {
        size_t *c = mp__ptrmap_put(&p->count, o, &added);
        if (!c)
            return mp__fail(MP_ENOMEM, "out of memory");
        ++*c;
    }
    return added && o->type >= MP_TYPE_TUPLE ? mp__pickler_push(p, o) : 0;
}

/* The first walk: p->count gets how often each object that may repeat occurs. Numbers, None,
 * bools and short text are never memoised: runs of them are skipped over in one loop. */
static int count_all(mp__pickler_t *p, const mp_obj_t *root)
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
    return rc;
}

int mp_pickle_dumps(const mp_obj_t *obj, int protocol, void **out, size_t *len)
{
    if (out)
        *out = NULL;
    if (!obj || !out || !len)
        return mp__fail(MP_EINVAL, "mp_pickle_dumps: NULL %s", !obj ? "obj" : "out or len");
    if (protocol < -1 || protocol > MP_PICKLE_HIGHEST_PROTOCOL)
        return mp__fail(MP_EINVAL, "mp_pickle_dumps: pickle protocol must be <= %d",
                        MP_PICKLE_HIGHEST_PROTOCOL);
    mp__pickler_t p;
    memset(&p, 0, sizeof p);
    p.proto = protocol < 0 ? MP_PICKLE_HIGHEST_PROTOCOL : protocol;
    p.auto_proto = protocol < 0;
    int rc = count_all(&p, obj);
    p.sp = 0;
    if (rc == 0 && p.proto >= 2)
        rc = mp__pickler_op_le(&p, MP__OP_PROTO, (uint64_t)p.proto, 1);
    if (rc == 0)
        rc = mp__pickler_write(&p, obj);
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
