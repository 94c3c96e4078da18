/* The decoder's state as the opcodes use it: the input and its operands, the allocation
 * budget, the stack and its MARKs, the memo, and the messages that name the opcode at fault.
 *
 * Every operand length is checked against the input left before anything is allocated, and
 * every allocation is counted against the budget, so a short input cannot make a big value.
 * The handlers (pickle_load_ops.c, pickle_load_text.c) call in here; nothing here calls them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle_impl.h"

/* ---- names and messages -------------------------------------------------------------------- */

#define OP_NAME(name, byte, proto, fn, arg) [byte] = #name,
static const char *const op_names[256] = {MP__PICKLE_OPCODES(OP_NAME)};
#undef OP_NAME

int mp__unpickle_fail(mp__unpickler_t *u, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    const char *name = u->op < 256 ? op_names[u->op] : NULL;
    return mp__fail(MP_EDECODE, "pickle: %s (0x%02x) at byte %zu: %s",
                    name ? name : "unknown opcode", u->op, u->op_at, why);
}

/* ---- input, budget, stack ------------------------------------------------------------------ */

int mp__unpickle_overdrawn(mp__unpickler_t *u)
{
    return mp__unpickle_fail(u, "the value would take more than %zu bytes (max_alloc)", u->budget);
}

const unsigned char *mp__unpickle_truncated(mp__unpickler_t *u, size_t n)
{
    mp__unpickle_fail(u, "pickle data was truncated: %zu bytes of operand needed, %zu left", n,
                      u->len - u->pos);
    return NULL;
}

int mp__unpickle_grow(mp__unpickler_t *u, void **arr, size_t *cap, size_t used, size_t size)
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
    int rc = mp__unpickle_grow(u, (void **)&u->stack, &u->scap, u->sp, sizeof *u->stack);
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

int mp__unpickle_check_values(mp__unpickler_t *u, mp_obj_t *const *items, size_t n)
{
    for (size_t i = 0; u->saw_tag && i < n; i++)
        if (mp__unpickle_is_tag(items[i]))
            return mp__unpickle_fail(u, "refused: the callable %s used as a value",
                                     mp__whitelist_name(items[i]));
    return 0;
}

/* ---- memo ---------------------------------------------------------------------------------- */

int mp__unpickle_memo_put_slow(mp__unpickler_t *u, size_t idx)
{
    if (u->sp <= fence(u))
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
