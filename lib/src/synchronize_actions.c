/* Barrier actions known by name (MP_BARRIER_ACTION in synchronize.h): what lets a Barrier with an
 * action reach a child started by spawn or forkserver, where a function pointer of the parent
 * means nothing. The barrier keeps the name in its shared state; each process that imports the
 * barrier finds its own function under that name. The table works as process_targets.c's does
 * (entries from constructors, threaded through themselves, a name given to two functions
 * refused), and is separate from it because an action and a target differ in type. */
#include <pthread.h>
#include <string.h>

#include "synchronize_impl.h"

static pthread_mutex_t actions_lock = PTHREAD_MUTEX_INITIALIZER;
static mp_barrier_action_entry_t *actions;

int mp_barrier_action_register(mp_barrier_action_entry_t *e)
{
    MP__NEED(e);
    MP__NEED(e->name);
    MP__NEED(e->fn);
    pthread_mutex_lock(&actions_lock);
    mp_barrier_action_entry_t *t = actions;
    while (t && t != e)
        t = t->next;
    if (!t) {
        e->next = actions;
        actions = e;
    }
    pthread_mutex_unlock(&actions_lock);
    return 0;
}

/* 1 and the function when exactly one has that name; 0 when none; 2 when several. */
static int count_named(const char *name, mp_barrier_action_t *fn)
{
    *fn = NULL;
    for (const mp_barrier_action_entry_t *t = actions; t; t = t->next) {
        if (strcmp(t->name, name) != 0)
            continue;
        if (*fn && t->fn != *fn)
            return 2;
        *fn = t->fn;
    }
    return *fn != NULL;
}

const char *mp__barrier_action_name(mp_barrier_action_t fn)
{
    const char *name = NULL;
    mp_barrier_action_t found;
    pthread_mutex_lock(&actions_lock);
    for (const mp_barrier_action_entry_t *t = actions; t && !name; t = t->next)
        if (t->fn == fn)
            name = t->name;
    if (name && count_named(name, &found) != 1)
        name = NULL;
    pthread_mutex_unlock(&actions_lock);
    return name;
}

mp_barrier_action_t mp__barrier_action_lookup(const char *name)
{
    mp_barrier_action_t fn;
    pthread_mutex_lock(&actions_lock);
    int n = count_named(name, &fn);
    pthread_mutex_unlock(&actions_lock);
    if (n != 1)
        mp__set_errmsg("no single Barrier action is registered as '%s' in this program "
                       "(MP_BARRIER_ACTION(%s) at file scope)",
                       name, name);
    return n == 1 ? fn : NULL;
}
