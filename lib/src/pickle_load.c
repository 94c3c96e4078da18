/* The pickle decoder: its state, the loop over opcodes, and the end of a run.
 *
 * The decoder never resolves a name and never calls anything, so nothing in the input can run:
 * the opcodes that would (GLOBAL with another name, REDUCE on anything but the few stand-ins
 * of pickle_load_text.c, BUILD, INST, OBJ, NEWOBJ*, PERSID, EXT*) are refused by name. Every
 * operand length is checked against the input left before anything is allocated, and every
 * allocation is counted against a budget, so a short input cannot make a big value.
 *
 * A recursive value needs a list or dict fetched back from the memo. When that happened, the
 * end of a run makes the recursive parts counted units (pickle_graph.c); a failed run empties
 * every memoised list and dict instead, which breaks every cycle before the references go. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle_impl.h"

extern const mp__op_t mp__unpickle_bin_ops[256];

/* ---- names and messages -------------------------------------------------------------------- */

static const char *const op_names[256] = {
    ['('] = "MARK",
    ['.'] = "STOP",
    ['0'] = "POP",
    ['1'] = "POP_MARK",
    ['2'] = "DUP",
    ['F'] = "FLOAT",
    ['I'] = "INT",
    ['J'] = "BININT",
    ['K'] = "BININT1",
    ['L'] = "LONG",
    ['M'] = "BININT2",
    ['N'] = "NONE",
    ['P'] = "PERSID",
    ['Q'] = "BINPERSID",
    ['R'] = "REDUCE",
    ['S'] = "STRING",
    ['T'] = "BINSTRING",
    ['U'] = "SHORT_BINSTRING",
    ['V'] = "UNICODE",
    ['X'] = "BINUNICODE",
    ['a'] = "APPEND",
    ['b'] = "BUILD",
    ['c'] = "GLOBAL",
    ['d'] = "DICT",
    ['}'] = "EMPTY_DICT",
    ['e'] = "APPENDS",
    ['g'] = "GET",
    ['h'] = "BINGET",
    ['i'] = "INST",
    ['j'] = "LONG_BINGET",
    ['l'] = "LIST",
    [']'] = "EMPTY_LIST",
    ['o'] = "OBJ",
    ['p'] = "PUT",
    ['q'] = "BINPUT",
    ['r'] = "LONG_BINPUT",
    ['s'] = "SETITEM",
    ['t'] = "TUPLE",
    [')'] = "EMPTY_TUPLE",
    ['u'] = "SETITEMS",
    ['G'] = "BINFLOAT",
    ['B'] = "BINBYTES",
    ['C'] = "SHORT_BINBYTES",
    [0x80] = "PROTO",
    [0x81] = "NEWOBJ",
    [0x82] = "EXT1",
    [0x83] = "EXT2",
    [0x84] = "EXT4",
    [0x85] = "TUPLE1",
    [0x86] = "TUPLE2",
    [0x87] = "TUPLE3",
    [0x88] = "NEWTRUE",
    [0x89] = "NEWFALSE",
    [0x8a] = "LONG1",
    [0x8b] = "LONG4",
    [0x8c] = "SHORT_BINUNICODE",
    [0x8d] = "BINUNICODE8",
    [0x8e] = "BINBYTES8",
    [0x8f] = "EMPTY_SET",
    [0x90] = "ADDITEMS",
    [0x91] = "FROZENSET",
    [0x92] = "NEWOBJ_EX",
    [0x93] = "STACK_GLOBAL",
    [0x94] = "MEMOIZE",
    [0x95] = "FRAME",
    [0x96] = "BYTEARRAY8",
    [0x97] = "NEXT_BUFFER",
    [0x98] = "READONLY_BUFFER",
};

const char *mp__pickle_opname(unsigned op)
{
    return op < 256 ? op_names[op] : NULL;
}

int mp__unpickle_fail(mp__unpickler_t *u, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    const char *name = op_names[u->op];
    return mp__fail(MP_EDECODE, "pickle: %s (0x%02x) at byte %zu: %s",
                    name ? name : "unknown opcode", u->op, u->op_at, why);
}

/* ---- input, budget, stack ------------------------------------------------------------------ */

int mp__unpickle_charge(mp__unpickler_t *u, size_t n)
{
    if (n > u->budget - u->spent)
        return mp__unpickle_fail(u, "the value would take more than %zu bytes (max_alloc)",
                                 u->budget);
    u->spent += n;
    return 0;
}

const unsigned char *mp__unpickle_take(mp__unpickler_t *u, size_t n)
{
    if (n > u->len - u->pos) {
        mp__unpickle_fail(u, "pickle data was truncated: %zu bytes of operand needed, %zu left", n,
                          u->len - u->pos);
        return NULL;
    }
    const unsigned char *p = u->in + u->pos;
    u->pos += n;
    return p;
}

/* Grows an array of `size`-byte elements to hold one more, charging the budget. */
static int grow(mp__unpickler_t *u, void **arr, size_t *cap, size_t used, size_t size)
{
    if (used < *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 64;
    int rc = mp__unpickle_charge(u, (n - *cap) * size);
    if (rc < 0)
        return rc;
    void *p = realloc(*arr, n * size);
    if (!p)
        return mp__fail(MP_ENOMEM, "out of memory");
    *arr = p;
    *cap = n;
    return 0;
}

int mp__unpickle_push_slow(mp__unpickler_t *u, mp_obj_t *o)
{
    if (!o)
        return mp__fail(MP_ENOMEM, "out of memory");
    int rc = grow(u, (void **)&u->stack, &u->scap, u->sp, sizeof *u->stack);
    if (rc < 0) {
        mp_obj_decref(o);
        return rc;
    }
    u->stack[u->sp++] = o;
    return 0;
}

static size_t fence(const mp__unpickler_t *u)
{
    return u->nmarks ? u->marks[u->nmarks - 1] : 0;
}

int mp__unpickle_pop(mp__unpickler_t *u, mp_obj_t **o)
{
    if (u->sp <= fence(u))
        return mp__unpickle_fail(u, "unpickling stack underflow");
    *o = u->stack[--u->sp];
    return 0;
}

int mp__unpickle_pop_mark(mp__unpickler_t *u, size_t *base)
{
    if (!u->nmarks)
        return mp__unpickle_fail(u, "could not find MARK");
    *base = u->marks[--u->nmarks];
    return 0;
}

static int op_mark(mp__unpickler_t *u, int arg)
{
    (void)arg;
    /* Each container being built holds at most one MARK open, and a recursive tuple is
     * written once inside itself (WIRE.md (f)): twice the depth bounds any pickler's. */
    if (u->nmarks > u->lim.max_depth && u->nmarks - u->lim.max_depth > u->lim.max_depth)
        return mp__unpickle_fail(u, "more than %zu MARKs open (2 x max_depth + 1)", u->nmarks);
    int rc = grow(u, (void **)&u->marks, &u->mcap, u->nmarks, sizeof *u->marks);
    if (rc == 0)
        u->marks[u->nmarks++] = u->sp;
    return rc;
}

/* CPython's POP takes the value on top, or, when a MARK is on top, the MARK: protocol 0
 * ends a recursive tuple that way (POP once per item, then once more). */
static int op_pop(mp__unpickler_t *u, int arg)
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

static int op_pop_mark(mp__unpickler_t *u, int arg)
{
    (void)arg;
    size_t base = 0;
    int rc = mp__unpickle_pop_mark(u, &base);
    while (rc == 0 && u->sp > base)
        mp_obj_decref(u->stack[--u->sp]);
    return rc;
}

/* ---- the run ------------------------------------------------------------------------------- */

static int op_stop(mp__unpickler_t *u, int arg)
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

static int op_proto(mp__unpickler_t *u, int arg)
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
static int op_frame(mp__unpickler_t *u, int arg)
{
    (void)arg;
    const unsigned char *p = mp__unpickle_take(u, 8);
    if (!p)
        return MP_EDECODE;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | p[i];
    if (n > u->len - u->pos)
        return mp__unpickle_fail(u, "pickle data was truncated: FRAME of %llu bytes, %zu left",
                                 (unsigned long long)n, u->len - u->pos);
    return 0;
}

static const mp__op_t core_ops[256] = {
    [MP__OP_MARK] = {op_mark, 0},         [MP__OP_POP] = {op_pop, 0},
    [MP__OP_POP_MARK] = {op_pop_mark, 0}, [MP__OP_STOP] = {op_stop, 0},
    [MP__OP_PROTO] = {op_proto, 0},       [MP__OP_FRAME] = {op_frame, 0},
};

static int run(mp__unpickler_t *u)
{
    while (!u->stopped) {
        if (u->pos == u->len)
            return mp__fail(MP_EDECODE, "pickle: the input ends at byte %zu without STOP", u->pos);
        u->op_at = u->pos;
        u->op = u->in[u->pos++];
        const mp__op_t *op = &mp__unpickle_bin_ops[u->op];
        if (!op->fn)
            op = core_ops[u->op].fn ? &core_ops[u->op] : &mp__unpickle_text_ops[u->op];
        int rc = op->fn ? op->fn(u, op->arg) : mp__unpickle_fail(u, "invalid load key");
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Empties every memoised list and dict, so that no cycle survives a failed run. The memo
 * still holds each of them, so none dies while its items go. Members of units already made
 * (a run that failed while making them) are left to their unit. */
static void break_cycles(mp__unpickler_t *u)
{
    for (size_t i = 0; i < u->nmemo; i++) {
        mp_obj_t *o = u->memo[i];
        if (o->flags & MP__F_CYCLE)
            continue;
        if (o->type == MP_TYPE_LIST) {
            mp__list_t *l = (mp__list_t *)o;
            size_t n = l->n;
            l->n = 0;
            while (n)
                mp_obj_decref(l->item[--n]);
        } else if (o->type == MP_TYPE_DICT) {
            mp__table_t *t = (mp__table_t *)o;
            size_t n = t->n;
            t->n = 0;
            for (; n; n--) {
                mp_obj_decref(t->ent[n - 1].key);
                mp_obj_decref(t->ent[n - 1].value);
            }
        }
    }
}

static void release_all(mp__unpickler_t *u)
{
    while (u->sp)
        mp__private_decref(u->stack[--u->sp]);
    while (u->nmemo)
        mp__private_decref(u->memo[--u->nmemo]);
    for (size_t i = 0; i < 256; i++)
        if (u->small[i])
            mp__private_decref(u->small[i]);
    free(u->stack);
    free(u->memo);
    free(u->marks);
}

/* After STOP: recursive parts become units, the memo goes, then the depth is checked. */
static int finish(mp__unpickler_t *u, mp_obj_t **out)
{
    int rc = u->maybe_cyclic ? mp__unpickle_cycles(u) : 0;
    if (rc < 0) {
        break_cycles(u);
        release_all(u);
        return rc;
    }
    mp_obj_t *result = u->stack[--u->sp];
    release_all(u);
    size_t depth = mp__pickle_depth(result, u->lim.max_depth);
    if (depth > u->lim.max_depth) {
        mp_obj_decref(result);
        if (depth == SIZE_MAX)
            return mp__fail(MP_ENOMEM, "out of memory");
        return mp__fail(MP_EDECODE, "pickle: the value nests deeper than max_depth (%zu)",
                        u->lim.max_depth);
    }
    *out = result;
    return 0;
}

int mp_pickle_loads_ex(const void *data, size_t len, const mp_pickle_limits_t *limits,
                       mp_obj_t **out)
{
    static const mp_pickle_limits_t defaults = MP_PICKLE_LIMITS_DEFAULT;
    if (!out || (!data && len))
        return mp__fail(MP_EINVAL, "mp_pickle_loads: NULL %s", out ? "data" : "out");
    *out = NULL;
    mp__unpickler_t u;
    memset(&u, 0, sizeof u);
    u.in = data;
    u.len = len;
    u.lim = limits ? *limits : defaults;
    u.budget = u.lim.max_alloc;
    if (!u.budget) /* 64 MiB + 64 bytes per input byte, saturating */
        u.budget =
            len < (SIZE_MAX - ((size_t)64 << 20)) / 64 ? ((size_t)64 << 20) + 64 * len : SIZE_MAX;
    mp__arena_open(); /* the values made here come from slabs (object_slab.c) */
    int rc = run(&u);
    if (rc == 0) {
        rc = finish(&u, out);
    } else {
        if (u.maybe_cyclic)
            break_cycles(&u);
        release_all(&u);
    }
    mp__arena_close();
    return rc;
}

int mp_pickle_loads(const void *data, size_t len, mp_obj_t **out)
{
    return mp_pickle_loads_ex(data, len, NULL, out);
}
