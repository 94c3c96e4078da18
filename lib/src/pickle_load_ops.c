/* The decoder's binary opcodes: the stack and the stream (MARK, POP, STOP, PROTO, FRAME),
 * scalars, containers, the memo, and the refusals. Each is a row of pickle_opcodes.h.
 *
 * Containers are built in place, as CPython's unpickler builds them: a list or dict is pushed
 * empty and filled by later opcodes, which is what lets a memoised list contain itself. Items
 * move from the stack into a list without touching their reference counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle_impl.h"

/* Rough sizes charged against the budget: an object's header, and a slot in a container. */
enum { OBJ_COST = 48, SEQ_SLOT = 16, TABLE_SLOT = 64 };

/* Little-endian operands of 1, 2, 4 or 8 bytes, whatever the machine's order; the compiler
 * makes one load of each form. */
static inline uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le(const unsigned char *p, int n)
{
    switch (n) {
    case 1:
        return p[0];
    case 2:
        return (uint64_t)p[0] | (uint64_t)p[1] << 8;
    case 4:
        return le32(p);
    default:
        return le32(p) | (uint64_t)le32(p + 4) << 32;
    }
}

/* ---- the stack and the stream -------------------------------------------------------------- */

int mp__op_mark(mp__unpickler_t *u, int arg)
{
    (void)arg;
    /* Each container being built holds at most one MARK open, and a recursive tuple is
     * written once inside itself (CPython's save_tuple, Lib/pickle.py): twice the depth bounds
     * any pickler's. */
    if (u->nmarks > u->lim.max_depth && u->nmarks - u->lim.max_depth > u->lim.max_depth)
        return mp__unpickle_fail(u, "more than %zu MARKs open (2 x max_depth + 1)", u->nmarks);
    int rc = mp__unpickle_grow(u, (void **)&u->marks, &u->mcap, u->nmarks, sizeof *u->marks);
    if (rc == 0)
        u->marks[u->nmarks++] = u->sp;
    return rc;
}

/* CPython's POP takes the value on top, or, when a MARK is on top, the MARK: protocol 0
 * ends a recursive tuple that way (POP once per item, then once more). */
int mp__op_pop(mp__unpickler_t *u, int arg)
{
    (void)arg;
    if (u->nmarks && u->marks[u->nmarks - 1] == u->sp) {
        u->nmarks--;
        return 0;
    }
    mp_obj_t *o = NULL;
    int rc = mp__unpickle_pop(u, &o);
    if (rc == 0)
        mp_obj_decref(o);
    return rc;
}

int mp__op_pop_mark(mp__unpickler_t *u, int arg)
{
    (void)arg;
    size_t base = 0;
    int rc = mp__unpickle_pop_mark(u, &base);
    while (rc == 0 && u->sp > base)
        mp_obj_decref(u->stack[--u->sp]);
    return rc;
}

int mp__op_stop(mp__unpickler_t *u, int arg)
{
    (void)arg;
    if (u->nmarks)
        return mp__unpickle_fail(u, "%zu MARK%s still open", u->nmarks, u->nmarks > 1 ? "s" : "");
    if (u->sp != 1)
        return u->sp ? mp__unpickle_fail(u, "%zu values on the stack, expected one", u->sp)
                     : mp__unpickle_fail(u, "unpickling stack underflow");
    if (u->pos != u->len)
        return mp__unpickle_fail(u, "%zu bytes after STOP", u->len - u->pos);
    if (mp__unpickle_is_tag(u->stack[0]))
        return mp__unpickle_fail(u, "the result is a callable, not a value");
    u->stopped = 1;
    return 0;
}

int mp__op_proto(mp__unpickler_t *u, int arg)
{
    (void)arg;
    const unsigned char *p = mp__unpickle_take(u, 1);
    if (!p)
        return MP_EDECODE;
    if (u->op_at != 0)
        return mp__unpickle_fail(u, "PROTO must be the first opcode");
    if (*p > MP_PICKLE_HIGHEST_PROTOCOL)
        return mp__unpickle_fail(u, "unsupported pickle protocol: %u", *p);
    return 0;
}

/* A frame only tells how much input the next opcodes span; that the input has it is all
 * there is to check (CPython's loaders treat it the same way). */
int mp__op_frame(mp__unpickler_t *u, int arg)
{
    (void)arg;
    const unsigned char *p = mp__unpickle_take(u, 8);
    if (!p)
        return MP_EDECODE;
    uint64_t n = le(p, 8);
    if (n > u->len - u->pos)
        return mp__unpickle_fail(u, "pickle data was truncated: FRAME of %llu bytes, %zu left",
                                 (unsigned long long)n, u->len - u->pos);
    return 0;
}

/* ---- scalars ------------------------------------------------------------------------------- */

/* None (arg 0), True (1), False (2). */
int mp__op_const(mp__unpickler_t *u, int arg)
{
    return mp__unpickle_push(u, arg == 0 ? mp_none() : mp_bool(arg == 1));
}

/* BININT1 (width 1), BININT2 (2, unsigned), BININT (4, signed). Values of BININT1 are shared
 * within one result, as CPython shares its small ints. A list of ints is written as runs of
 * one of these opcodes between MARK and APPENDS; a run is taken here in one loop, without
 * going back to the dispatch for each, which would cost about as much as making the int. */
int mp__op_binint(mp__unpickler_t *u, int width)
{
    for (;;) {
        const unsigned char *p = mp__unpickle_take(u, (size_t)width);
        if (!p)
            return MP_EDECODE;
        mp_obj_t *o;
        if (width == 1) {
            if (!u->small[*p] && !(u->small[*p] = mp_int(*p)))
                return mp__fail(MP_ENOMEM, "out of memory");
            o = mp__private_incref(u->small[*p]);
        } else {
            int rc = mp__unpickle_charge(u, OBJ_COST);
            if (rc < 0)
                return rc;
            o = mp__int_small(width == 2 ? (int64_t)le(p, 2) : (int32_t)(uint32_t)le(p, 4));
        }
        int rc = mp__unpickle_push(u, o);
        if (rc < 0 || u->pos == u->len || u->in[u->pos] != u->op)
            return rc;
        u->op_at = u->pos++; /* what run() does before each opcode */
    }
}

/* LONG1 (a 1-byte count of bytes) and LONG4 (a signed 4-byte count). */
int mp__op_long(mp__unpickler_t *u, int width)
{
    const unsigned char *p = mp__unpickle_take(u, (size_t)width);
    if (!p)
        return MP_EDECODE;
    int64_t n = width == 1 ? *p : (int32_t)(uint32_t)le(p, 4);
    if (n < 0)
        return mp__unpickle_fail(u, "LONG pickle has negative byte count");
    if (!(p = mp__unpickle_take(u, (size_t)n)))
        return MP_EDECODE;
    int rc = mp__unpickle_charge(u, OBJ_COST + (size_t)n);
    return rc < 0 ? rc : mp__unpickle_push(u, mp_int_from_bytes(p, (size_t)n, 1));
}

int mp__op_binfloat(mp__unpickler_t *u, int arg)
{
    const unsigned char *p = mp__unpickle_take(u, 8);
    (void)arg;
    if (!p)
        return MP_EDECODE;
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++) /* big-endian, unlike every other operand */
        bits = bits << 8 | p[i];
    double d;
    memcpy(&d, &bits, sizeof d);
    int rc = mp__unpickle_charge(u, OBJ_COST);
    return rc < 0 ? rc : mp__unpickle_push(u, mp_float(d));
}

/* ---- str, bytes, bytearray ----------------------------------------------------------------- */

/* The payload of a length-prefixed operand whose length takes `width` bytes. The length is
 * checked against the input before anything else. */
static inline __attribute__((always_inline)) const unsigned char *sized(mp__unpickler_t *u,
                                                                        int width, size_t *n)
{
    const unsigned char *p = mp__unpickle_take(u, (size_t)width);
    if (!p)
        return NULL;
    uint64_t len = width == 1 ? *p : le(p, width);
    if (len > u->len - u->pos) {
        mp__unpickle_fail(u, "pickle data was truncated: a length of %llu bytes, %zu left",
                          (unsigned long long)len, u->len - u->pos);
        return NULL;
    }
    *n = (size_t)len;
    return mp__unpickle_take(u, *n);
}

/* CPython memoises every str it writes at protocol 4 and up: a MEMOIZE right after the value
 * just pushed is run here, without a trip through the dispatch. */
static int then_memoize(mp__unpickler_t *u)
{
    if (u->pos == u->len || u->in[u->pos] != MP__OP_MEMOIZE)
        return 0;
    u->op_at = u->pos++; /* what run() does before each opcode */
    u->op = MP__OP_MEMOIZE;
    return mp__unpickle_memo_put(u, u->nmemo);
}

/* SHORT_BINUNICODE, BINUNICODE, BINUNICODE8: the length takes `width` bytes. */
int mp__op_text(mp__unpickler_t *u, int width)
{
    size_t n;
    const unsigned char *p = sized(u, width, &n);
    if (!p)
        return MP_EDECODE;
    int rc = mp__unpickle_charge(u, OBJ_COST + n);
    if (rc < 0)
        return rc;
    mp_obj_t *s = NULL;
    rc = mp__str_decode((const char *)p, n, MP_UTF8_SURROGATEPASS, &s);
    if (rc < 0) /* not UTF-8: the message says where */
        return rc == MP_ENOMEM ? rc : mp__unpickle_fail(u, "%s", mp_errmsg());
    rc = mp__unpickle_push(u, s);
    return rc < 0 ? rc : then_memoize(u);
}

static int push_bytes(mp__unpickler_t *u, int width, mp_type_t type)
{
    size_t n;
    const unsigned char *p = sized(u, width, &n);
    if (!p)
        return MP_EDECODE;
    int rc = mp__unpickle_charge(u, OBJ_COST + n);
    if (rc < 0)
        return rc;
    return mp__unpickle_push(u, type == MP_TYPE_BYTES ? mp_bytes(p, n) : mp_bytearray(p, n));
}

/* SHORT_BINBYTES, BINBYTES, BINBYTES8. */
int mp__op_bytes(mp__unpickler_t *u, int width)
{
    return push_bytes(u, width, MP_TYPE_BYTES);
}

int mp__op_bytearray8(mp__unpickler_t *u, int arg)
{
    (void)arg;
    return push_bytes(u, 8, MP_TYPE_BYTEARRAY);
}

/* ---- tuples and frozensets: made from the items above a MARK, or the top n ------------------ */

static int check_hashable(mp__unpickler_t *u, mp_obj_t *const *items, size_t n, size_t step)
{
    for (size_t i = 0; i < n; i += step) {
        if (!(items[i]->flags & MP__F_HASHABLE)) {
            mp__unhashable(items[i]);
            return mp__unpickle_fail(u, "%s", mp_errmsg());
        }
    }
    return 0;
}

static mp_obj_t *dict_of_pairs(size_t n, mp_obj_t *const *items)
{
    mp_obj_t *d = mp_dict_new(0, NULL, NULL);
    for (size_t i = 0; d && i < n; i += 2) {
        if (mp__dict_setitem(d, items[i], items[i + 1]) < 0) {
            mp_obj_decref(d);
            d = NULL;
        }
    }
    return d;
}

/* Replaces stack[base..sp) by one tuple, frozenset, list or dict (key, value...) of them. */
static int collect(mp__unpickler_t *u, size_t base, mp_type_t type)
{
    size_t n = u->sp - base;
    mp_obj_t **items = n ? u->stack + base : NULL; /* the stack may not exist yet */
    int rc = mp__unpickle_check_values(u, items, n);
    if (rc == 0 && type == MP_TYPE_DICT && n % 2)
        rc = mp__unpickle_fail(u, "odd number of items for DICT");
    if (rc == 0 && (type == MP_TYPE_FROZENSET || type == MP_TYPE_DICT))
        rc = check_hashable(u, items, n, type == MP_TYPE_DICT ? 2 : 1);
    if (rc == 0)
        rc = mp__unpickle_charge(u, OBJ_COST + (type == MP_TYPE_TUPLE ? SEQ_SLOT : TABLE_SLOT) * n);
    if (rc < 0)
        return rc;
    u->containers++;
    mp_obj_t *c = type == MP_TYPE_TUPLE       ? mp_tuple_new(n, items)
                  : type == MP_TYPE_FROZENSET ? mp_frozenset_new(n, items)
                  : type == MP_TYPE_LIST      ? mp_list_new(n, items)
                                              : dict_of_pairs(n, items);
    while (u->sp > base)
        mp__private_decref(u->stack[--u->sp]);
    return mp__unpickle_push(u, c);
}

/* EMPTY_TUPLE, TUPLE1, TUPLE2, TUPLE3: a tuple of the top n values. */
int mp__op_tuple_n(mp__unpickler_t *u, int n)
{
    size_t fence = u->nmarks ? u->marks[u->nmarks - 1] : 0;
    if (u->sp - fence < (size_t)n)
        return mp__unpickle_fail(u, "unpickling stack underflow");
    return collect(u, u->sp - (size_t)n, MP_TYPE_TUPLE);
}

/* TUPLE, FROZENSET, and protocol 0's LIST and DICT: of the values above the MARK. */
int mp__op_collect(mp__unpickler_t *u, int type)
{
    size_t base = 0;
    int rc = mp__unpickle_pop_mark(u, &base);
    return rc < 0 ? rc : collect(u, base, (mp_type_t)type);
}

/* ---- lists, dicts, sets: pushed empty, filled in place ------------------------------------- */

/* EMPTY_LIST, EMPTY_DICT, EMPTY_SET. */
int mp__op_empty(mp__unpickler_t *u, int type)
{
    int rc = mp__unpickle_charge(u, OBJ_COST);
    if (rc < 0)
        return rc;
    u->containers++;
    return mp__unpickle_push(u, type == MP_TYPE_LIST   ? mp_list_new(0, NULL)
                                : type == MP_TYPE_DICT ? mp_dict_new(0, NULL, NULL)
                                                       : mp_set_new(0, NULL));
}

/* The container the items stack[base..sp) go into: the value right below them, above the
 * enclosing MARK, of the given type. */
static mp_obj_t *target(mp__unpickler_t *u, size_t base, mp_type_t type)
{
    size_t fence = u->nmarks ? u->marks[u->nmarks - 1] : 0;
    if (base <= fence) {
        mp__unpickle_fail(u, "unpickling stack underflow: no %s below the items",
                          mp_type_name(type));
        return NULL;
    }
    mp_obj_t *c = u->stack[base - 1];
    if (c->type != type || mp__unpickle_is_tag(c)) {
        mp__unpickle_fail(u, "the items go into a %s, not a %s", mp_type_name(type),
                          mp__unpickle_is_tag(c) ? "callable" : mp_type_name(c->type));
        return NULL;
    }
    return c;
}

/* Moves stack[base..sp) to the end of the list below them. */
static int extend_list(mp__unpickler_t *u, size_t base)
{
    mp__list_t *l = (mp__list_t *)target(u, base, MP_TYPE_LIST);
    size_t k = u->sp - base;
    if (!l)
        return MP_EDECODE;
    int rc = mp__unpickle_check_values(u, u->stack + base, k);
    if (rc == 0)
        rc = mp__unpickle_charge(u, SEQ_SLOT * k);
    if (rc < 0)
        return rc;
    if (l->cap - l->n < k) {
        size_t cap = l->cap * 2 > l->n + k ? l->cap * 2 : l->n + k;
        mp_obj_t **p = realloc(l->item, cap * sizeof *p);
        if (!p)
            return mp__fail(MP_ENOMEM, "out of memory");
        l->item = p;
        l->cap = cap;
    }
    if (k) /* an empty list has no item array yet */
        memcpy(l->item + l->n, u->stack + base, k * sizeof *l->item);
    l->n += k;
    u->sp = base;
    return 0;
}

/* Inserts stack[base..sp) into the dict (pairs) or set below them. */
static int fill_table(mp__unpickler_t *u, size_t base, mp_type_t type)
{
    mp_obj_t *t = target(u, base, type);
    size_t k = u->sp - base, step = type == MP_TYPE_DICT ? 2 : 1;
    if (!t)
        return MP_EDECODE;
    if (k % step)
        return mp__unpickle_fail(u, "odd number of items for SETITEMS");
    /* The insertion finds an unhashable key itself, in the same pass over the items (a second
     * pass would read each of them from memory again). Only when the budget is exceeded too are
     * the keys checked first: that error is still the one reported. */
    int rc = mp__unpickle_check_values(u, u->stack + base, k);
    if (rc == 0 && TABLE_SLOT * (k / step) > u->budget - u->spent)
        rc = check_hashable(u, u->stack + base, k, step);
    if (rc == 0)
        rc = mp__unpickle_charge(u, TABLE_SLOT * (k / step));
    if (rc < 0)
        return rc;
    /* the stack's references move into the table, or are released */
    rc = mp__table_insert_steal(t, u->stack + base, k, step);
    u->sp = base;
    return rc == MP_EINVAL ? mp__unpickle_fail(u, "%s", mp_errmsg()) : rc;
}

/* APPEND (into a list, arg MP_TYPE_LIST) and SETITEM (a dict): the top one or two values go
 * into the container below them. */
int mp__op_fill_top(mp__unpickler_t *u, int type)
{
    size_t k = type == MP_TYPE_LIST ? 1 : 2;
    if (u->sp < k)
        return mp__unpickle_fail(u, "unpickling stack underflow");
    return type == MP_TYPE_LIST ? extend_list(u, u->sp - k)
                                : fill_table(u, u->sp - k, (mp_type_t)type);
}

/* APPENDS, SETITEMS, ADDITEMS: the values above the MARK go into the container below it. */
int mp__op_fill_mark(mp__unpickler_t *u, int type)
{
    size_t base = 0;
    int rc = mp__unpickle_pop_mark(u, &base);
    if (rc < 0)
        return rc;
    return type == MP_TYPE_LIST ? extend_list(u, base) : fill_table(u, base, (mp_type_t)type);
}

/* ---- memo ---------------------------------------------------------------------------------- */

/* BINPUT (a 1-byte index), LONG_BINPUT (4 bytes), MEMOIZE (width 0: the next index). */
int mp__op_put(mp__unpickler_t *u, int width)
{
    const unsigned char *p = mp__unpickle_take(u, (size_t)width);
    if (!p)
        return MP_EDECODE;
    return mp__unpickle_memo_put(u, width ? (size_t)le(p, width) : u->nmemo);
}

/* BINGET (a 1-byte index), LONG_BINGET (4 bytes). */
int mp__op_get(mp__unpickler_t *u, int width)
{
    const unsigned char *p = mp__unpickle_take(u, (size_t)width);
    return p ? mp__unpickle_memo_get(u, (size_t)le(p, width)) : MP_EDECODE;
}

/* ---- refusals ------------------------------------------------------------------------------ */

int mp__op_refuse(mp__unpickler_t *u, int why)
{
    static const char *const reason[] = {
        [MP__REFUSE_OBJECT] = "it would look up or call a Python object",
        [MP__REFUSE_BUFFER] = "out-of-band buffers are not part of the wire format",
        [MP__REFUSE_PY2] = "a Python 2 str, which CPython 3 never writes",
        [MP__REFUSE_DUP] = "no pickler writes DUP",
    };
    return mp__unpickle_fail(u, "refused: %s", reason[why]);
}

/* BINPERSID, only when the caller gave a hook (a spawned child's arguments): the id is checked
 * by the hook, whose complaint becomes the decoder's usual message. Everyone else's decoder
 * refuses it, and PERSID, exactly as before. */
int mp__op_persid(mp__unpickler_t *u, int binary)
{
    if (!binary || !u->persload)
        return mp__op_refuse(u, MP__REFUSE_OBJECT);
    mp_obj_t *pid = NULL, *v = NULL;
    int rc = mp__unpickle_pop(u, &pid);
    if (rc < 0)
        return rc;
    rc = mp__unpickle_check_values(u, &pid, 1);
    if (rc == 0)
        rc = u->persload(pid, u->persload_ud, &v);
    mp__private_decref(pid);
    if (rc == MP_EDECODE) {
        char why[256];
        snprintf(why, sizeof why, "%s", mp_errmsg());
        return mp__unpickle_fail(u, "bad persistent id: %s", why);
    }
    return rc < 0 ? rc : mp__unpickle_push(u, v);
}
