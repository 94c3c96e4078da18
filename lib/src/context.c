/* The three contexts and the program's default start method (CPython's context.py).
 *
 * CPython's default context is fixed the first time it is asked for (get_start_method() with
 * allow_none=False), after which set_start_method() refuses without force: a program that
 * already made processes one way must not silently switch. The choice is process-wide state
 * behind a lock, since threads may start processes while another sets the method. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mp_internal.h"
#include "process_impl.h"

struct mp_context_s {
    const char *name;
    int method;
    const mp_pool_transport_t *transport; /* MP__START_TRANSPORT only */
    struct mp_context_s *next;            /* the transports' contexts made so far */
};

static const mp_context_t contexts[] = {
    {"fork", MP__START_FORK, NULL, NULL},
    {"spawn", MP__START_SPAWN, NULL, NULL},
    {"forkserver", MP__START_FORKSERVER, NULL, NULL},
};

static pthread_mutex_t choice_lock = PTHREAD_MUTEX_INITIALIZER;
static const mp_context_t *chosen; /* NULL: not chosen yet */

static const mp_context_t *find(const char *method)
{
    for (size_t i = 0; i < sizeof contexts / sizeof *contexts; i++)
        if (strcmp(contexts[i].name, method) == 0)
            return &contexts[i];
    return NULL;
}

int mp_get_context(const char *method, const mp_context_t **out)
{
    MP__NEED(out);
    if (!method) {
        pthread_mutex_lock(&choice_lock);
        *out = chosen ? chosen : &contexts[0];
        pthread_mutex_unlock(&choice_lock);
        return 0;
    }
    const mp_context_t *c = find(method);
    if (!c)
        return mp__fail(MP_EINVAL, "cannot find context for '%s'", method);
    *out = c;
    return 0;
}

const char *mp_context_start_method(const mp_context_t *ctx)
{
    return ctx ? ctx->name : NULL;
}

int mp__context_method(const mp_context_t *ctx)
{
    if (!ctx)
        mp_get_context(NULL, &ctx);
    return ctx->method;
}

int mp_set_start_method(const char *method, int force)
{
    const mp_context_t *c = NULL;
    if (method && !(c = find(method)))
        return mp__fail(MP_EINVAL, "cannot find context for '%s'", method);
    if (!method && !force)
        c = &contexts[0]; /* CPython: set_start_method(None) picks the default context */
    pthread_mutex_lock(&choice_lock);
    int taken = chosen && !force;
    if (!taken)
        chosen = c;
    pthread_mutex_unlock(&choice_lock);
    return taken ? mp__fail(MP_ERUNTIME, "context has already been set") : 0;
}

const char *mp_get_start_method(int allow_none)
{
    pthread_mutex_lock(&choice_lock);
    if (!chosen && !allow_none)
        chosen = &contexts[0];
    const char *name = chosen ? chosen->name : NULL;
    pthread_mutex_unlock(&choice_lock);
    return name;
}

size_t mp_get_all_start_methods(const char **out, size_t cap)
{
    size_t n = sizeof contexts / sizeof *contexts;
    for (size_t i = 0; out && i < n && i < cap; i++)
        out[i] = contexts[i].name;
    return n;
}

void mp__context_inherit(const char *method)
{
    /* A spawned child uses the start method its parent chose (CPython's preparation data
     * carries it), or none if the parent made no choice. */
    pthread_mutex_lock(&choice_lock);
    chosen = method ? find(method) : NULL;
    pthread_mutex_unlock(&choice_lock);
}

/* Kept on a list for the program's life: a pool holds a pointer to its context, and asking
 * twice for one transport's context gives the same one. */
static mp_context_t *made;

int mp_context_from_transport(const mp_pool_transport_t *t, const mp_context_t **out)
{
    MP__NEED(t);
    MP__NEED(out);
    if (!t->method || !t->worker_class || !t->capacity || !t->start || !t->stop || !t->reap)
        return mp__fail(MP_EINVAL, "a pool transport needs a method name and every function");
    pthread_mutex_lock(&choice_lock);
    mp_context_t *c = made;
    while (c && c->transport != t)
        c = c->next;
    if (!c && (c = malloc(sizeof *c)) != NULL) {
        *c = (mp_context_t){t->method, MP__START_TRANSPORT, t, made};
        made = c;
    }
    pthread_mutex_unlock(&choice_lock);
    if (!c)
        return mp__fail(MP_ENOMEM, "out of memory");
    *out = c;
    return 0;
}

const mp_pool_transport_t *mp__context_transport(const mp_context_t *ctx)
{
    return ctx ? ctx->transport : NULL;
}
