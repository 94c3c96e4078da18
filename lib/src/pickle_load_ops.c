/* The decoder's binary opcodes: scalars, containers and the memo, and the refusals.
 *
 * Containers are built in place, as CPython's unpickler builds them: a list or dict is pushed
 * empty and filled by later opcodes, which is what lets a memoised list contain itself. Items
 * move from the stack into a list without touching their reference counts. */
#include <stdlib.h>
#include <string.h>

#include "pickle_impl.h"

/* Rough sizes charged against the budget: an object's header, and a slot in a container. */
enum { OBJ_COST = 48, SEQ_SLOT = 16, TABLE_SLOT = 64 };

/* ---- scalars ------------------------------------------------------------------------------- */

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

/* None (arg 0), True (1), False (2). */
static int op_const(mp__unpickler_t *u, int arg)
{
    return mp__unpickle_push(u, arg == 0 ? mp_none() : mp_bool(arg == 1));
}

/* BININT1 (width 1), BININT2 (2, unsigned), BININT (4, signed). Values of BININT1 are shared
 * within one result, as CPython shares its small ints. */
static int op_binint(mp__unpickler_t *u, int width)
{
    const unsigned char *p = mp__unpickle_take(u, (size_t)width);
    if (!p)
        return MP_EDECODE;
    if (width == 1) {
        if (!u->small[*p] && !(u->small[*p] = mp_int(*p)))
            return mp__fail(MP_ENOMEM, "out of memory");
        return mp__unpickle_push(u, mp__private_incref(u->small[*p]));
    }
    int64_t v = width == 2 ? (int64_t)le(p, 2) : (int32_t)(uint32_t)le(p, 4);
    int rc = mp__unpickle_charge(u, OBJ_COST);
    return rc < 0 ? rc : mp__unpickle_push(u, mp_int(v));
}

/* LONG1 (a 1-byte count of bytes) and LONG4 (a signed 4-byte count). */
static int op_long(mp__unpickler_t *u, int width)
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

static int op_binfloat(mp__unpickler_t *u, int arg)
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
static const unsigned char *sized(mp__unpickler_t *u, int width, size_t *n)
{
    const unsigned char *p = mp__unpickle_take(u, (size_t)width);
    if (!p)
        return NULL;
    uint64_t len = le(p, width);
    if (len > u->len - u->pos) {
        mp__unpickle_fail(u, "pickle data was truncated: a length of %llu bytes, %zu left",
                          (unsigned long long)len, u->len - u->pos);
        return NULL;
    }
    *n = (size_t)len;
    return mp__unpickle_take(u, *n);
}

/* SHORT_BINUNICODE, BINUNICODE, BINUNICODE8: the length takes `width` bytes. */
static int op_text(mp__unpickler_t *u, int width)
{
    size_t n;
    const unsigned char *p = sized(u, width, &n);
    if (!p)
        return MP_EDECODE;
    int rc = mp__unpickle_charge(u, OBJ_COST + n);
    if (rc < 0)
        return rc;
    mp_obj_t *s = mp_str_decode((const char *)p, n, MP_UTF8_SURROGATEPASS);
    if (!s)
        return strcmp(mp_errmsg(), "out of memory") ? mp__unpickle_fail(u, "%s", mp_errmsg())
                                                    : MP_ENOMEM;
    return mp__unpickle_push(u, s);
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
static int op_bytes(mp__unpickler_t *u, int width)
{
    return push_bytes(u, width, MP_TYPE_BYTES);
}

static int op_bytearray8(mp__unpickler_t *u, int arg)
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
    mp_obj_t *c = type == MP_TYPE_TUPLE       ? mp_tuple_new(n, items)
                  : type == MP_TYPE_FROZENSET ? mp_frozenset_new(n, items)
                  : type == MP_TYPE_LIST      ? mp_list_new(n, items)
                                              : dict_of_pairs(n, items);
    while (u->sp > base)
        mp__private_decref(u->stack[--u->sp]);
    return mp__unpickle_push(u, c);
}

/* EMPTY_TUPLE, TUPLE1, TUPLE2, TUPLE3: a tuple of the top n values. */
static int op_tuple_n(mp__unpickler_t *u, int n)
{
    size_t fence = u->nmarks ? u->marks[u->nmarks - 1] : 0;
    if (u->sp - fence < (size_t)n)
        return mp__unpickle_fail(u, "unpickling stack underflow");
    return collect(u, u->sp - (size_t)n, MP_TYPE_TUPLE);
}

/* TUPLE, FROZENSET, and protocol 0's LIST and DICT: of the values above the MARK. */
static int op_collect(mp__unpickler_t *u, int type)
{
    size_t base = 0;
    int rc = mp__unpickle_pop_mark(u, &base);
    return rc < 0 ? rc : collect(u, base, (mp_type_t)type);
}

/* ---- lists, dicts, sets: pushed empty, filled in place ------------------------------------- */

/* EMPTY_LIST, EMPTY_DICT, EMPTY_SET. */
static int op_empty(mp__unpickler_t *u, int type)
{
    int rc = mp__unpickle_charge(u, OBJ_COST);
    if (rc < 0)
        return rc;
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
    int rc = mp__unpickle_check_values(u, u->stack + base, k);
    if (rc == 0)
        rc = check_hashable(u, u->stack + base, k, step);
    if (rc == 0)
        rc = mp__unpickle_charge(u, TABLE_SLOT * (k / step));
    if (rc < 0)
        return rc;
    size_t i = base; /* the stack's references move into the table */
    for (; rc == 0 && i < u->sp; i += step)
        rc = mp__table_insert_steal(t, u->stack[i], step == 2 ? u->stack[i + 1] : NULL);
    for (; i < u->sp; i++) /* after a failure, the rest is only released */
        mp_obj_decref(u->stack[i]);
    u->sp = base;
    return rc;
}

/* APPEND (into a list, arg MP_TYPE_LIST) and SETITEM (a dict): the top one or two values go
 * into the container below them. */
static int op_fill_top(mp__unpickler_t *u, int type)
{
    size_t k = type == MP_TYPE_LIST ? 1 : 2;
    if (u->sp < k)
        return mp__unpickle_fail(u, "unpickling stack underflow");
    return type == MP_TYPE_LIST ? extend_list(u, u->sp - k)
                                : fill_table(u, u->sp - k, (mp_type_t)type);
}

/* APPENDS, SETITEMS, ADDITEMS: the values above the MARK go into the container below it. */
static int op_fill_mark(mp__unpickler_t *u, int type)
{
    size_t base = 0;
    int rc = mp__unpickle_pop_mark(u, &base);
    if (rc < 0)
        return rc;
    return type == MP_TYPE_LIST ? extend_list(u, base) : fill_table(u, base, (mp_type_t)type);
}

/* ---- memo ---------------------------------------------------------------------------------- */

int mp__unpickle_memo_put(mp__unpickler_t *u, size_t idx)
{
    size_t fence = u->nmarks ? u->marks[u->nmarks - 1] : 0;
    if (u->sp <= fence)
        return mp__unpickle_fail(u, "unpickling stack underflow");
    if (idx != u->nmemo)
        return mp__unpickle_fail(u, "memo index %zu out of order (picklers write %zu next)", idx,
                                 u->nmemo);
    if (u->nmemo >= u->lim.max_memo)
        return mp__unpickle_fail(u, "more than %zu memo entries (max_memo)", u->lim.max_memo);
    if (u->nmemo == u->memocap) {
        size_t cap = u->memocap ? 2 * u->memocap : 64;
        int rc = mp__unpickle_charge(u, (cap - u->memocap) * sizeof *u->memo);
        mp_obj_t **p = rc < 0 ? NULL : realloc(u->memo, cap * sizeof *p);
        if (!p)
            return rc < 0 ? rc : mp__fail(MP_ENOMEM, "out of memory");
        u->memo = p;
        u->memocap = cap;
    }
    u->memo[u->nmemo++] = mp__private_incref(u->stack[u->sp - 1]);
    return 0;
}

int mp__unpickle_memo_get(mp__unpickler_t *u, size_t idx)
{
    if (idx >= u->nmemo)
        return mp__unpickle_fail(u, "Memo value not found at index %zu", idx);
    mp_obj_t *o = u->memo[idx];
    if (o->type == MP_TYPE_LIST || o->type == MP_TYPE_DICT)
        u->maybe_cyclic = 1;
    return mp__unpickle_push(u, mp__private_incref(o));
}

/* BINPUT (a 1-byte index), LONG_BINPUT (4 bytes), MEMOIZE (width 0: the next index). */
static int op_put(mp__unpickler_t *u, int width)
{
    const unsigned char *p = mp__unpickle_take(u, (size_t)width);
    if (!p)
        return MP_EDECODE;
    return mp__unpickle_memo_put(u, width ? (size_t)le(p, width) : u->nmemo);
}

/* BINGET (a 1-byte index), LONG_BINGET (4 bytes). */
static int op_get(mp__unpickler_t *u, int width)
{
    const unsigned char *p = mp__unpickle_take(u, (size_t)width);
    return p ? mp__unpickle_memo_get(u, (size_t)le(p, width)) : MP_EDECODE;
}

/* ---- refusals ------------------------------------------------------------------------------ */

enum { REFUSE_OBJECT, REFUSE_BUFFER, REFUSE_PY2, REFUSE_DUP };

static int op_refuse(mp__unpickler_t *u, int why)
{
    static const char *const reason[] = {
        [REFUSE_OBJECT] = "it would look up or call a Python object",
        [REFUSE_BUFFER] = "out-of-band buffers are not part of the wire format",
        [REFUSE_PY2] = "a Python 2 str, which CPython 3 never writes",
        [REFUSE_DUP] = "no pickler writes DUP",
    };
    return mp__unpickle_fail(u, "refused: %s", reason[why]);
}

#define REFUSE(why)                                                                                \
    {                                                                                              \
        op_refuse, REFUSE_##why                                                                    \
    }

const mp__op_t mp__unpickle_bin_ops[256] = {
    [MP__OP_NONE] = {op_const, 0},
    [MP__OP_NEWTRUE] = {op_const, 1},
    [MP__OP_NEWFALSE] = {op_const, 2},
    [MP__OP_BININT1] = {op_binint, 1},
    [MP__OP_BININT2] = {op_binint, 2},
    [MP__OP_BININT] = {op_binint, 4},
    [MP__OP_LONG1] = {op_long, 1},
    [MP__OP_LONG4] = {op_long, 4},
    [MP__OP_BINFLOAT] = {op_binfloat, 0},
    [MP__OP_SHORT_BINUNICODE] = {op_text, 1},
    [MP__OP_BINUNICODE] = {op_text, 4},
    [MP__OP_BINUNICODE8] = {op_text, 8},
    [MP__OP_SHORT_BINBYTES] = {op_bytes, 1},
    [MP__OP_BINBYTES] = {op_bytes, 4},
    [MP__OP_BINBYTES8] = {op_bytes, 8},
    [MP__OP_BYTEARRAY8] = {op_bytearray8, 0},
    [MP__OP_EMPTY_TUPLE] = {op_tuple_n, 0},
    [MP__OP_TUPLE1] = {op_tuple_n, 1},
    [MP__OP_TUPLE2] = {op_tuple_n, 2},
    [MP__OP_TUPLE3] = {op_tuple_n, 3},
    [MP__OP_TUPLE] = {op_collect, MP_TYPE_TUPLE},
    [MP__OP_FROZENSET] = {op_collect, MP_TYPE_FROZENSET},
    [MP__OP_LIST] = {op_collect, MP_TYPE_LIST},
    [MP__OP_DICT] = {op_collect, MP_TYPE_DICT},
    [MP__OP_EMPTY_LIST] = {op_empty, MP_TYPE_LIST},
    [MP__OP_EMPTY_DICT] = {op_empty, MP_TYPE_DICT},
    [MP__OP_EMPTY_SET] = {op_empty, MP_TYPE_SET},
    [MP__OP_APPEND] = {op_fill_top, MP_TYPE_LIST},
    [MP__OP_SETITEM] = {op_fill_top, MP_TYPE_DICT},
    [MP__OP_APPENDS] = {op_fill_mark, MP_TYPE_LIST},
    [MP__OP_SETITEMS] = {op_fill_mark, MP_TYPE_DICT},
    [MP__OP_ADDITEMS] = {op_fill_mark, MP_TYPE_SET},
    [MP__OP_BINPUT] = {op_put, 1},
    [MP__OP_LONG_BINPUT] = {op_put, 4},
    [MP__OP_MEMOIZE] = {op_put, 0},
    [MP__OP_BINGET] = {op_get, 1},
    [MP__OP_LONG_BINGET] = {op_get, 4},
    [MP__OP_BUILD] = REFUSE(OBJECT),
    [MP__OP_INST] = REFUSE(OBJECT),
    [MP__OP_OBJ] = REFUSE(OBJECT),
    [MP__OP_NEWOBJ] = REFUSE(OBJECT),
    [MP__OP_NEWOBJ_EX] = REFUSE(OBJECT),
    [MP__OP_PERSID] = REFUSE(OBJECT),
    [MP__OP_BINPERSID] = REFUSE(OBJECT),
    [MP__OP_EXT1] = REFUSE(OBJECT),
    [MP__OP_EXT2] = REFUSE(OBJECT),
    [MP__OP_EXT4] = REFUSE(OBJECT),
    [MP__OP_NEXT_BUFFER] = REFUSE(BUFFER),
    [MP__OP_READONLY_BUFFER] = REFUSE(BUFFER),
    [MP__OP_STRING] = REFUSE(PY2),
    [MP__OP_BINSTRING] = REFUSE(PY2),
    [MP__OP_SHORT_BINSTRING] = REFUSE(PY2),
    [MP__OP_DUP] = REFUSE(DUP),
};
