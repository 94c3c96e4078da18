/* The table of targets known by name (MP_TARGET in process.h): what a start method that execs
 * a fresh program sends in place of a function pointer, which means nothing in another image.
 *
 * Entries come from constructors, before main(), so the table is a list threaded through the
 * entries themselves: registering allocates nothing and cannot fail. A library loaded later
 * with dlopen registers from its own constructors, possibly while other threads look names up,
 * hence the lock. A name registered for two different functions is kept but refused on lookup:
 * C has no modules to tell the two apart, and picking one would run the wrong code. */
#include <pthread.h>
#include <string.h>

#include "mp_internal.h"

static pthread_mutex_t targets_lock = PTHREAD_MUTEX_INITIALIZER;
static mp_target_entry_t *targets;

int mp_target_register(mp_target_entry_t *e)
{
    MP__NEED(e);
    MP__NEED(e->name);
    MP__NEED(e->fn);
    pthread_mutex_lock(&targets_lock);
    mp_target_entry_t *t = targets;
    while (t && t != e)
        t = t->next;
    if (!t) {
        e->next = targets;
        targets = e;
    }
    pthread_mutex_unlock(&targets_lock);
    return 0;
}

/* 0 if no function is registered as `name`, 1 if one is (stored in *fn), 2 if several are. */
static int functions_named(const char *name, mp_target_t *fn)
{
    *fn = NULL;
    for (const mp_target_entry_t *t = targets; t; t = t->next) {
        if (!t->name || strcmp(t->name, name) != 0) /* never NULL: register() refuses it */
            continue;
        if (*fn && t->fn != *fn)
            return 2;
        *fn = t->fn;
    }
    return *fn != NULL;
}

mp_target_t mp_target_lookup(const char *name)
{
    MP__NEED_OR(name, NULL);
    mp_target_t fn;
    pthread_mutex_lock(&targets_lock);
    int n = functions_named(name, &fn);
    pthread_mutex_unlock(&targets_lock);
    if (n == 1)
        return fn;
    if (n == 0)
        mp__set_errmsg("no target is registered as '%s' (MP_TARGET(%s) at file scope)", name, name);
    else
        mp__set_errmsg("several functions are registered as '%s': the name is ambiguous", name);
    return NULL;
}

const char *mp_target_name(mp_target_t fn)
{
    MP__NEED_OR(fn, NULL);
    const char *name = NULL;
    mp_target_t found;
    pthread_mutex_lock(&targets_lock);
    for (const mp_target_entry_t *t = targets; t && !name; t = t->next)
        if (t->fn == fn)
            name = t->name;
    int n = name ? functions_named(name, &found) : 0;
    pthread_mutex_unlock(&targets_lock);
    if (!name) {
        mp__set_errmsg("the target is not registered: give it a name with MP_TARGET() (as "
                       "pickle refuses a function it cannot find by name)");
        return NULL;
    }
    if (n != 1) {
        mp__set_errmsg("the target's name '%s' is shared with another function", name);
        return NULL;
    }
    return name;
}
