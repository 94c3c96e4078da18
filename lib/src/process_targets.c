/* The table of functions known by name: targets (MP_TARGET in process.h) and pool tasks (MP_TASK
 * in pool.h). A start method that execs a fresh program sends the name in place of a function
 * pointer, which means nothing in another image.
 *
 * Entries come from constructors, before main(), so the table is a list threaded through the
 * entries themselves: registering allocates nothing and cannot fail. A library loaded later
 * with dlopen registers from its own constructors, possibly while other threads look names up:
 * an entry is complete before it is published at the head of its list (release/acquire), and
 * entries are never removed, so lookups take no lock. That matters under fork from a thread (a
 * Pool's thread starts replacement workers): a child never inherits a lookup's lock held. Only
 * registrations take the lock, against each other. A name registered for two different functions of one kind is kept but refused
 * on lookup: C has no modules to tell the two apart, and picking one would run the wrong code.
 * A target and a task may share a name: each kind has its own list, never confused. */
#include <pthread.h>
#include <string.h>

#include "mp_internal.h"

static pthread_mutex_t targets_lock = PTHREAD_MUTEX_INITIALIZER;
static mp_target_entry_t *tables[2]; /* one list a kind: MP__FN_TARGET, MP__FN_TASK */

static const char *const kind_noun[] = {"target", "task"};
static const char *const kind_macro[] = {"MP_TARGET", "MP_TASK"};

int mp__fn_register(mp_target_entry_t *e, int kind)
{
    MP__NEED(e);
    MP__NEED(e->name);
    MP__NEED(e->fn);
    pthread_mutex_lock(&targets_lock);
    mp_target_entry_t *t = tables[kind];
    while (t && t != e)
        t = t->next;
    if (!t) {
        e->next = tables[kind];
        __atomic_store_n(&tables[kind], e, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&targets_lock);
    return 0;
}

int mp_target_register(mp_target_entry_t *e)
{
    MP__NEED(e);
    return mp__fn_register(e, MP__FN_TARGET);
}

/* 0 if no function of `kind` is registered as `name`, 1 if one is (stored in *fn), 2 if
 * several are. */
static int functions_named(int kind, const char *name, mp_target_t *fn)
{
    *fn = NULL;
    for (const mp_target_entry_t *t = __atomic_load_n(&tables[kind], __ATOMIC_ACQUIRE); t;
         t = t->next) {
        if (!t->name || strcmp(t->name, name) != 0)
            continue;
        if (*fn && t->fn != *fn)
            return 2;
        *fn = t->fn;
    }
    return *fn != NULL;
}

mp_target_t mp__fn_lookup(int kind, const char *name)
{
    MP__NEED_OR(name, NULL);
    mp_target_t fn;
    int n = functions_named(kind, name, &fn);
    if (n == 1)
        return fn;
    if (n == 0)
        mp__set_errmsg("no %s is registered as '%s' (%s(%s) at file scope)", kind_noun[kind], name,
                       kind_macro[kind], name);
    else
        mp__set_errmsg("several functions are registered as the %s '%s': the name is ambiguous",
                       kind_noun[kind], name);
    return NULL;
}

mp_target_t mp_target_lookup(const char *name)
{
    MP__NEED_OR(name, NULL);
    return mp__fn_lookup(MP__FN_TARGET, name);
}

const char *mp__fn_name(int kind, mp_target_t fn)
{
    MP__NEED_OR(fn, NULL);
    const char *name = NULL;
    mp_target_t found;
    for (const mp_target_entry_t *t = __atomic_load_n(&tables[kind], __ATOMIC_ACQUIRE); t && !name;
         t = t->next)
        if (t->fn == fn)
            name = t->name;
    int n = name ? functions_named(kind, name, &found) : 0;
    if (!name) {
        mp__set_errmsg("the %s is not registered: give it a name with %s() (as pickle refuses a "
                       "function it cannot find by name)",
                       kind_noun[kind], kind_macro[kind]);
        return NULL;
    }
    if (n != 1) {
        mp__set_errmsg("the %s's name '%s' is shared with another function", kind_noun[kind], name);
        return NULL;
    }
    return name;
}

const char *mp_target_name(mp_target_t fn)
{
    MP__NEED_OR(fn, NULL);
    return mp__fn_name(MP__FN_TARGET, fn);
}
