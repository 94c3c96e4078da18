/* The Pool's API: making a pool, submitting calls, close, terminate and join (pool_impl.h says
 * how the parts fit). Calls are pickled here, in the caller's thread, so that a value that does
 * not pickle fails the call that gave it and nothing is queued; the pool's thread only moves
 * bytes and parses replies. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "object_impl.h"
#include "pool_impl.h"
#include "process_impl.h"

/* The pools of this process that still run, for the exit handler: CPython terminates them at
 * exit through their finalizers; without it, a worker started by the pool's thread could race
 * the process's own exit. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static mp_pool_t *live;
static pid_t live_pid;

static void terminate_at_exit(void)
{
    /* A forked child has a copy of the list, but not the threads: its pools are not its own. */
    if (getpid() != live_pid)
        return;
    for (;;) {
        pthread_mutex_lock(&live_lock);
        mp_pool_t *p = live;
        if (p) {
            live = p->next_live;
            p->next_live = NULL;
        }
        pthread_mutex_unlock(&live_lock);
        if (!p)
            return;
        mp_pool_terminate(p);
    }
}

static void live_add(mp_pool_t *p)
{
    static int handler_set;
    pthread_mutex_lock(&live_lock);
    /* Registered after the first worker started, hence after the process module's own exit
     * handler: handlers run in reverse, so the pools stop before daemonic children are killed. */
    if (!handler_set)
        handler_set = atexit(terminate_at_exit) == 0;
    /* A forked child's first pool: the pools listed are the parent's copies, whose mutexes may
     * have been copied held; left on the list, the child's exit would lock them and hang. */
    if (live_pid != getpid())
        live = NULL;
    live_pid = getpid();
    p->next_live = live;
    live = p;
    pthread_mutex_unlock(&live_lock);
}

static void live_remove(mp_pool_t *p)
{
    pthread_mutex_lock(&live_lock);
    for (mp_pool_t **at = &live; *at; at = &(*at)->next_live)
        if (*at == p) {
            *at = p->next_live;
            break;
        }
    pthread_mutex_unlock(&live_lock);
}

void mp__pool_wake(mp_pool_t *p)
{
    char b = 1;
    /* The pipe is non-blocking: when it is full the thread has a wake-up pending anyway. */
    if (write(p->wake[1], &b, 1) < 0 && errno != EAGAIN)
        return;
}

static void pool_destroy(mp_pool_t *p)
{
    for (mp__unit_t *u = p->qhead, *next; u; u = next) {
        next = u->next;
        free(u->msg);
        free(u);
    }
    free(p->workers);
    free(p->pfd);
    free(p->broken);
    mp_obj_decref(p->initargs);
    close(p->wake[0]);
    close(p->wake[1]);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* Under no lock. */
static void pool_decref(mp_pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    int last = --p->refs == 0;
    pthread_mutex_unlock(&p->mu);
    if (last)
        pool_destroy(p);
}

/* ---- making a pool ---------------------------------------------------------------------- */

/* A transport has as many workers as it can give, by default; asking for more is an error,
 * not a wait for workers that cannot come. */
static int check_size(const mp_pool_opts_t *o, int *processes)
{
    const mp_pool_transport_t *t = mp__context_transport(o->context);
    int cap = t ? t->capacity(t->ctx) : 0;
    *processes = o->processes != MP_POOL_DEFAULT ? o->processes : t ? cap : mp_cpu_count();
    if (t && cap < 1)
        return mp__fail(MP_EINVAL, "the '%s' context has no worker to give", t->method);
    if (*processes < 1)
        return mp__fail(MP_EINVAL, "Number of processes must be at least 1");
    if (t && *processes > cap)
        return mp__fail(MP_EINVAL, "the '%s' context gives %d workers at most, not %d", t->method,
                        cap, *processes);
    return 0;
}

static int check_opts(const mp_pool_opts_t *o, int *processes, const char **init_name)
{
    int rc = check_size(o, processes);
    if (rc != 0)
        return rc;
    if (o->maxtasksperchild != MP_POOL_DEFAULT && o->maxtasksperchild < 1)
        return mp__fail(MP_EINVAL, "maxtasksperchild must be a positive int or None");
    *init_name = NULL;
    if (o->initializer &&
        !(*init_name = mp__fn_name(MP__FN_TASK, (mp_target_t)(void (*)(void))o->initializer)))
        return mp__fail(MP_EINVAL, "initializer: %s", mp_errmsg());
    if (o->initargs && mp_obj_type(o->initargs) != MP_TYPE_TUPLE)
        return mp__fail(MP_EINVAL, "initargs must be a tuple, not %s",
                        mp_type_name(mp_obj_type(o->initargs)));
    if (mp_current_process()->daemon)
        return mp__fail(MP_EDAEMON, "daemonic processes are not allowed to have children");
    return 0;
}

static mp_pool_t *pool_alloc(int processes)
{
    mp_pool_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->workers = calloc((size_t)processes, sizeof *p->workers);
    p->pfd = calloc(1 + 2 * (size_t)processes, sizeof *p->pfd);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    /* Deadlines are CLOCK_MONOTONIC (mp__now), so the waits must be too. */
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int bad = !p->workers || !p->pfd || pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) != 0;
    if (!bad) {
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->cv, &ca);
    }
    pthread_condattr_destroy(&ca);
    if (bad) {
        free(p->workers);
        free(p->pfd);
        free(p);
        return NULL;
    }
    p->processes = processes;
    p->refs = 1;
    p->creator = getpid();
    return p;
}

/* Starts the thread with every signal blocked: signals are the program's main thread's. */
static int start_thread(mp_pool_t *p)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&p->thread, NULL, mp__pool_thread, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0)
        return mp__fail(-e, "cannot start the pool's thread: %s", strerror(e));
    p->thread_started = 1;
    return 0;
}

/* Undoes a pool whose thread never started: its workers are stopped and reaped here. */
static void unmake(mp_pool_t *p)
{
    int refs = 0;
    for (int i = 0; i < p->processes; i++)
        if (mp__pool_worker_alive(&p->workers[i]))
            mp__pool_worker_kill(p, &p->workers[i]);
    for (int i = 0; i < p->processes; i++)
        if (mp__pool_worker_alive(&p->workers[i]))
            mp__pool_worker_release(p, &p->workers[i], &refs);
    pool_destroy(p);
}

int mp_pool_new(mp_pool_t **out, const mp_pool_opts_t *opts)
{
    MP__NEED(out);
    *out = NULL;
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    if (opts)
        o = *opts;
    int processes, rc;
    const char *init_name;
    if ((rc = check_opts(&o, &processes, &init_name)) != 0)
        return rc;
    mp_pool_t *p = pool_alloc(processes);
    if (!p)
        return mp__fail(MP_ENOMEM, "out of memory");
    p->maxtasks = o.maxtasksperchild == MP_POOL_DEFAULT ? 0 : o.maxtasksperchild;
    /* The method is fixed now: replacements start as the first workers did. */
    p->context = o.context;
    if (!p->context)
        mp_get_context(NULL, &p->context);
    p->transport = mp__context_transport(p->context);
    p->init_name = init_name;
    p->initargs = o.initargs ? mp_obj_incref(o.initargs) : NULL;
    pthread_sigmask(SIG_SETMASK, NULL, &p->creator_mask);
    for (int i = 0; i < processes; i++)
        p->workers[i].fd = -1;
    for (int i = 0; i < processes && rc == 0; i++)
        rc = mp__pool_start_worker(p, &p->workers[i], i);
    if (rc == 0)
        rc = start_thread(p);
    if (rc != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", mp_errmsg());
        unmake(p);
        return mp__fail(rc, "%s", msg);
    }
    live_add(p);
    *out = p;
    return 0;
}

/* ---- submitting ------------------------------------------------------------------------- */

/* One call as the pool sends it: what the worker runs and the items or arguments. */
typedef struct {
    mp_task_t fn;
    int kind, iter;
    mp_obj_t *args, *kwargs; /* apply */
    mp_obj_t *const *items;  /* map and starmap */
    size_t length, chunksize;
    const mp_pool_callbacks_t *cb;
} call_t;

/* Pickles one unit: (tag, task name, mode, data, kwargs or None). */
static int encode_unit(mp__unit_t *u, const char *name, const call_t *c, size_t chunk)
{
    mp_obj_t *data = c->args;
    mp__list_t view; /* a chunk's items, borrowed: a list of them would count each twice */
    if (c->kind != MP__JOB_APPLY) {
        size_t from = chunk * c->chunksize;
        size_t n = c->length - from < c->chunksize ? c->length - from : c->chunksize;
        mp__list_view(&view, c->items + from, n);
        data = &view.ob;
    }
    mp_obj_t *msg =
        mp_build("(LziOO)", u->tag, name, c->kind, data, c->kwargs ? c->kwargs : mp_none());
    if (!msg)
        return mp__fail(MP_ENOMEM, "out of memory");
    int rc = mp_pickle_dumps(msg, 5, &u->msg, &u->len);
    mp_obj_decref(msg);
    if (rc != 0)
        return mp__fail(MP_EENCODE, "cannot send the %s to a worker: %s",
                        c->kind == MP__JOB_APPLY ? "arguments" : "items", mp_errmsg());
    u->hdrlen = mp__conn_put_header(u->hdr, u->len);
    return 0;
}

static void free_units(mp__unit_t *u)
{
    while (u) {
        mp__unit_t *next = u->next;
        free(u->msg);
        free(u);
        u = next;
    }
}

/* The units of a call, in order, or NULL (rc set). */
static mp__unit_t *encode_call(mp_pool_t *p, const call_t *c, size_t nchunks, int *rc)
{
    const char *name = mp__fn_name(MP__FN_TASK, (mp_target_t)(void (*)(void))c->fn);
    if (!name) {
        *rc = mp__fail(MP_EINVAL, "%s", mp_errmsg());
        return NULL;
    }
    long long tag = __atomic_fetch_add(&p->next_tag, (long long)nchunks, __ATOMIC_RELAXED);
    mp__unit_t *head = NULL, **at = &head;
    for (size_t k = 0; k < nchunks; k++) {
        mp__unit_t *u = calloc(1, sizeof *u);
        if (!u) {
            *rc = mp__fail(MP_ENOMEM, "out of memory");
            break;
        }
        *at = u;
        at = &u->next;
        u->chunk = k;
        u->tag = tag + (long long)k;
        if ((*rc = encode_unit(u, name, c, k)) != 0)
            break;
    }
    if (*rc != 0) {
        free_units(head);
        return NULL;
    }
    return head;
}

static int submit(mp_pool_t *p, const call_t *c, mp_async_result_t **out)
{
    size_t nchunks = c->kind == MP__JOB_APPLY ? 1 : (c->length + c->chunksize - 1) / c->chunksize;
    int rc = 0;
    mp__unit_t *units = nchunks ? encode_call(p, c, nchunks, &rc) : NULL;
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&p->mu);
    mp_async_result_t *r = NULL;
    /* A broken pool still takes calls: the thread fails them (pool_loop.c), as it fails those
     * queued before the initializer's failure arrived, so the outcome does not hang on which
     * came first. */
    if (p->state != MP__POOL_RUN)
        rc = mp__fail(MP_ECLOSED, "Pool not running");
    else if (!(r = mp__result_new(p, c->kind, c->length, c->chunksize, c->cb)))
        rc = mp__fail(MP_ENOMEM, "out of memory");
    if (rc != 0) {
        pthread_mutex_unlock(&p->mu);
        free_units(units);
        return rc;
    }
    r->iter = c->iter;
    r->refs += (int)nchunks;
    p->refs++;
    for (mp__unit_t *u = units; u; u = u->next)
        u->job = r;
    if (units) {
        mp__unit_t *last = units;
        while (last->next)
            last = last->next;
        if (p->qtail)
            p->qtail->next = units;
        else
            p->qhead = units;
        p->qtail = last;
        p->nqueued += nchunks;
    }
    pthread_mutex_unlock(&p->mu);
    if (units)
        mp__pool_wake(p);
    *out = r;
    return 0;
}

/* The items of a list or tuple; EINVAL for anything else. */
static int items_of(mp_obj_t *iterable, mp_obj_t *const **items, size_t *n)
{
    mp_type_t t = mp_obj_type(iterable);
    if (t == MP_TYPE_LIST) {
        *items = mp_list_items(iterable);
        *n = mp_list_size(iterable);
    } else if (t == MP_TYPE_TUPLE) {
        *items = mp_tuple_items(iterable);
        *n = mp_tuple_size(iterable);
    } else {
        return mp__fail(MP_EINVAL, "'%s' object is not a list or tuple", mp_type_name(t));
    }
    return 0;
}

static int submit_map(mp_pool_t *p, mp_task_t fn, int kind, int iter, mp_obj_t *iterable,
                      size_t chunksize, const mp_pool_callbacks_t *cb, mp_async_result_t **out)
{
    call_t c = {.fn = fn, .kind = kind, .iter = iter, .cb = cb, .chunksize = chunksize};
    int rc = items_of(iterable, &c.items, &c.length);
    if (rc != 0)
        return rc;
    if (c.chunksize == 0 && iter != MP__IT_NONE)
        c.chunksize = 1;
    else if (c.chunksize == 0) /* CPython's divmod(len, 4 * processes), rounded up */
        c.chunksize = (c.length + 4 * (size_t)p->processes - 1) / (4 * (size_t)p->processes);
    if (c.chunksize == 0)
        c.chunksize = 1;
    return submit(p, &c, out);
}

int mp_pool_apply_async(mp_pool_t *p, mp_task_t fn, mp_obj_t *args, mp_obj_t *kwargs,
                        const mp_pool_callbacks_t *cb, mp_async_result_t **out)
{
    MP__NEED(p);
    MP__NEED(fn);
    MP__NEED(out);
    *out = NULL;
    if (kwargs && mp_obj_type(kwargs) != MP_TYPE_DICT)
        return mp__fail(MP_EINVAL, "kwds must be a dict, not %s",
                        mp_type_name(mp_obj_type(kwargs)));
    mp_obj_t *tuple = args ? mp_tuple_from_seq(args) : mp_tuple_new(0, NULL);
    if (!tuple)
        return mp__fail(MP_EINVAL, "args must be a tuple or list: %s", mp_errmsg());
    call_t c = {.fn = fn,
                .kind = MP__JOB_APPLY,
                .args = tuple,
                .kwargs = kwargs,
                .cb = cb,
                .length = 1,
                .chunksize = 1};
    int rc = submit(p, &c, out);
    mp_obj_decref(tuple);
    return rc;
}

/* The NULL policy of a call that takes items (errors.h): a macro, so that the message names the
 * public function that was called. */
#define NEED_CALL(out)                                                                             \
    do {                                                                                           \
        MP__NEED(p);                                                                               \
        MP__NEED(fn);                                                                              \
        MP__NEED(iterable);                                                                        \
        MP__NEED(out);                                                                             \
        *(out) = NULL;                                                                             \
    } while (0)

static int get_and_free(mp_async_result_t *r, mp_obj_t **result)
{
    int rc = mp_async_result_get(r, MP_FOREVER, result);
    mp_async_result_free(r);
    return rc;
}

int mp_pool_apply(mp_pool_t *p, mp_task_t fn, mp_obj_t *args, mp_obj_t *kwargs, mp_obj_t **result)
{
    MP__NEED(p);
    MP__NEED(fn);
    MP__NEED(result);
    *result = NULL;
    mp_async_result_t *r;
    int rc = mp_pool_apply_async(p, fn, args, kwargs, NULL, &r);
    return rc != 0 ? rc : get_and_free(r, result);
}

int mp_pool_map_async(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable, size_t chunksize,
                      const mp_pool_callbacks_t *cb, mp_async_result_t **out)
{
    NEED_CALL(out);
    return submit_map(p, fn, MP__JOB_MAP, MP__IT_NONE, iterable, chunksize, cb, out);
}

int mp_pool_starmap_async(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable, size_t chunksize,
                          const mp_pool_callbacks_t *cb, mp_async_result_t **out)
{
    NEED_CALL(out);
    return submit_map(p, fn, MP__JOB_STARMAP, MP__IT_NONE, iterable, chunksize, cb, out);
}

int mp_pool_map(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable, size_t chunksize, mp_obj_t **result)
{
    NEED_CALL(result);
    mp_async_result_t *r;
    int rc = mp_pool_map_async(p, fn, iterable, chunksize, NULL, &r);
    return rc != 0 ? rc : get_and_free(r, result);
}

int mp_pool_starmap(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable, size_t chunksize,
                    mp_obj_t **result)
{
    NEED_CALL(result);
    mp_async_result_t *r;
    int rc = mp_pool_starmap_async(p, fn, iterable, chunksize, NULL, &r);
    return rc != 0 ? rc : get_and_free(r, result);
}

static int imap(mp_pool_t *p, mp_task_t fn, int iter, mp_obj_t *iterable, size_t chunksize,
                mp_imap_t **out)
{
    mp_imap_t *it = calloc(1, sizeof *it);
    if (!it)
        return mp__fail(MP_ENOMEM, "out of memory");
    int rc = submit_map(p, fn, MP__JOB_MAP, iter, iterable, chunksize, NULL, &it->r);
    if (rc != 0) {
        free(it);
        return rc;
    }
    *out = it;
    return 0;
}

int mp_pool_imap(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable, size_t chunksize, mp_imap_t **out)
{
    NEED_CALL(out);
    return imap(p, fn, MP__IT_ORDERED, iterable, chunksize, out);
}

int mp_pool_imap_unordered(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable, size_t chunksize,
                           mp_imap_t **out)
{
    NEED_CALL(out);
    return imap(p, fn, MP__IT_UNORDERED, iterable, chunksize, out);
}

/* ---- freeing results ------------------------------------------------------------------- */

/* Here rather than in pool_result.c: a result's last reference drops its pool's, and only this
 * file knows how a pool ends. */
void mp_async_result_free(mp_async_result_t *r)
{
    if (!r)
        return;
    mp_pool_t *p = r->pool;
    pthread_mutex_lock(&p->mu);
    int freed = mp__result_decref(r);
    pthread_mutex_unlock(&p->mu);
    if (freed)
        pool_decref(p);
}

void mp_imap_free(mp_imap_t *it)
{
    if (!it)
        return;
    mp_async_result_free(it->r);
    free(it);
}

/* ---- close, terminate, join ------------------------------------------------------------- */

int mp_pool_close(mp_pool_t *p)
{
    MP__NEED(p);
    pthread_mutex_lock(&p->mu);
    if (p->state == MP__POOL_RUN)
        p->state = MP__POOL_CLOSE;
    pthread_mutex_unlock(&p->mu);
    mp__pool_wake(p);
    return 0;
}

/* Waits until the thread ended (it ends once every worker is gone) and reaps it once. */
static void wait_thread(mp_pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->thread_started && !p->thread_done)
        pthread_cond_wait(&p->cv, &p->mu);
    int join = p->thread_started && !p->thread_joined;
    p->thread_joined = 1;
    pthread_mutex_unlock(&p->mu);
    if (join)
        pthread_join(p->thread, NULL);
}

int mp_pool_terminate(mp_pool_t *p)
{
    MP__NEED(p);
    pthread_mutex_lock(&p->mu);
    p->state = MP__POOL_TERMINATE;
    pthread_mutex_unlock(&p->mu);
    mp__pool_wake(p);
    /* From a callback (the pool's own thread) the thread finishes the work after it returns. */
    if (p->creator == getpid() && !pthread_equal(pthread_self(), p->thread))
        wait_thread(p);
    return 0;
}

int mp_pool_join(mp_pool_t *p)
{
    MP__NEED(p);
    pthread_mutex_lock(&p->mu);
    int running = p->state == MP__POOL_RUN;
    pthread_mutex_unlock(&p->mu);
    if (running)
        return mp__fail(MP_EBUSY, "Pool is still running");
    if (pthread_equal(pthread_self(), p->thread))
        return mp__fail(MP_ESTATE, "cannot join the pool from its own callback");
    wait_thread(p);
    return 0;
}

int mp_pool_enter(mp_pool_t *p)
{
    MP__NEED(p);
    pthread_mutex_lock(&p->mu);
    int running = p->state == MP__POOL_RUN;
    pthread_mutex_unlock(&p->mu);
    return running ? 0 : mp__fail(MP_ECLOSED, "Pool not running");
}

int mp_pool_exit(mp_pool_t *p)
{
    return mp_pool_terminate(p);
}

void mp_pool_free(mp_pool_t *p)
{
    if (!p)
        return;
    live_remove(p);
    if (p->creator == getpid())
        mp_pool_terminate(p);
    pool_decref(p);
}

int mp_pool_worker_pids(mp_pool_t *p, pid_t *buf, size_t cap)
{
    MP__NEED(p);
    int n = 0;
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->processes; i++) {
        if (!mp__pool_worker_alive(&p->workers[i]))
            continue;
        if (buf && (size_t)n < cap)
            buf[n] = p->workers[i].pid;
        n++;
    }
    pthread_mutex_unlock(&p->mu);
    return n;
}

int mp_pool_processes(const mp_pool_t *p)
{
    MP__NEED(p);
    return p->processes;
}
