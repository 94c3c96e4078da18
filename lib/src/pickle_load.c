/* The pickle decoder's run: the dispatch over the opcode table, and the end of a run.
 *
 * The decoder never resolves a name and never calls anything, so nothing in the input can run:
 * the opcodes that would (GLOBAL with another name, REDUCE on anything but the few stand-ins
 * of pickle_whitelist.c, BUILD, INST, OBJ, NEWOBJ*, PERSID, EXT*) are refused by name. The
 * handlers are in pickle_load_ops.c and pickle_load_text.c, over the state of
 * pickle_load_state.c; this file is the only one that calls them, through the one table
 * expanded from pickle_opcodes.h.
 *
 * A recursive value needs a list or dict fetched back from the memo. When that happened, the
 * end of a run makes the recursive parts counted units (pickle_graph.c); a failed run empties
 * every memoised list and dict instead, which breaks every cycle before the references go. */
#include <stdlib.h>
#include <string.h>

#include "pickle_impl.h"

#define OP_ENTRY(name, byte, proto, fn, arg) [byte] = {fn, arg},
static const mp__op_t dispatch[256] = {MP__PICKLE_OPCODES(OP_ENTRY)};
#undef OP_ENTRY

static int run(mp__unpickler_t *u)
{
    while (!u->stopped) {
        if (u->pos == u->len)
            return mp__fail(MP_EDECODE, "pickle: the input ends at byte %zu without STOP", u->pos);
        u->op_at = u->pos;
        u->op = u->in[u->pos++];
        const mp__op_t *op = &dispatch[u->op];
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

/* After STOP: recursive parts become units, the memo goes, then the depth is checked. A path
 * down the result meets each container once (a cycle back adds no depth), so when every
 * container in it was made by this run, the run's count of them bounds the depth, and the walk
 * is needed only past max_depth. The values of a persistent id and of a whitelisted constructor
 * are made elsewhere: with either, the walk always runs. */
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
    if (u->containers <= u->lim.max_depth && !u->saw_tag && !u->persload) {
        *out = result;
        return 0;
    }
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

/* The decode, once the out-pointer is known good; `fn` names the public call in messages. */
static int loads(const char *fn, const void *data, size_t len, const mp_pickle_limits_t *limits,
                 mp_obj_t **out, mp__persload_fn persload, void *ud)
{
    static const mp_pickle_limits_t defaults = MP_PICKLE_LIMITS_DEFAULT;
    if (!data && len) /* an argument is NULL: nothing is touched (errors.h) */
        return mp__fail(MP_EINVAL, "%s: data is NULL (with len %zu)", fn, len);
    *out = NULL;
    mp__unpickler_t u;
    memset(&u, 0, sizeof u);
    u.in = data;
    u.len = len;
    u.lim = limits ? *limits : defaults;
    u.persload = persload;
    u.persload_ud = ud;
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

int mp_pickle_loads_ex(const void *data, size_t len, const mp_pickle_limits_t *limits,
                       mp_obj_t **out)
{
    MP__NEED(out);
    return loads(__func__, data, len, limits, out, NULL, NULL);
}

int mp_pickle_loads(const void *data, size_t len, mp_obj_t **out)
{
    MP__NEED(out);
    return loads(__func__, data, len, NULL, out, NULL, NULL);
}

int mp__pickle_loads_hooked(const void *data, size_t len, mp__persload_fn persload, void *ud,
                            mp_obj_t **out)
{
    MP__NEED(out);
    return loads(__func__, data, len, NULL, out, persload, ud);
}
