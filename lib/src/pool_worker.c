/* The worker's side of a Pool: tasks known by name, the exception a task raises, and the loop a
 * worker process runs. A worker reads one unit at a time from its end of a socketpair, runs it
 * and answers before it reads the next: the parent relies on that order to know, when a worker
 * dies, which unit it was running (pool_impl.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "object_impl.h"
#include "pool_impl.h"
#include "process_impl.h"

int mp__task_register(mp_target_entry_t *e, mp_task_t fn)
{
    MP__NEED(e);
    MP__NEED(fn);
    /* The table stores every kind as a target pointer; pool code casts it back by kind. */
    e->fn = (mp_target_t)(void (*)(void))fn;
    return mp__fn_register(e, MP__FN_TASK);
}

mp_task_t mp_task_lookup(const char *name)
{
    MP__NEED_OR(name, NULL);
    return (mp_task_t)(void (*)(void))mp__fn_lookup(MP__FN_TASK, name);
}

/* The exception the running task raised: one task runs at a time per thread. */
static __thread char *raised_type, *raised_msg;
static __thread int raised;

static void forget_raised(void)
{
    free(raised_type);
    free(raised_msg);
    raised_type = raised_msg = NULL;
    raised = 0;
}

mp_obj_t *mp_task_raise(const char *exc_type, const char *fmt, ...)
{
    forget_raised();
    raised = 1;
    raised_type = strdup(exc_type ? exc_type : "Exception");
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&raised_msg, fmt, ap) < 0)
            raised_msg = NULL;
        va_end(ap);
    }
    return NULL;
}

mp_obj_t *mp__pool_worker_args(mp_conn_t *child_end, const char *init_name, mp_obj_t *initargs,
                               int maxtasks)
{
    if (initargs)
        return mp_build("(NzOi)", mp_conn_obj(child_end), init_name, initargs, maxtasks);
    return mp_build("(Nz()i)", mp_conn_obj(child_end), init_name, maxtasks);
}

/* The reply for a failed unit: (tag, False, (type, message)). */
static mp_obj_t *error_reply(long long tag, const char *type, const char *msg)
{
    return mp_build("(Lp(ss))", tag, 0, type, msg ? msg : "");
}

static mp_obj_t *raised_reply(long long tag, const char *task)
{
    mp_obj_t *r;
    if (raised)
        r = error_reply(tag, raised_type, raised_msg);
    else {
        char msg[256];
        snprintf(msg, sizeof msg, "task '%s' returned NULL without calling mp_task_raise()", task);
        r = error_reply(tag, "SystemError", msg);
    }
    forget_raised();
    return r;
}

/* The argument tuple for the next item, given the caller's reference to it: args itself,
 * holding item now, when the task kept no reference to it (map); else a new one. */
static mp_obj_t *next_args(mp_obj_t *args, int mode, mp_obj_t *item)
{
    mp_obj_t *t;
    if (mode == MP__JOB_MAP && args && mp__tuple_reuse1(args, item))
        return args;
    mp_obj_decref(args);
    t = mode == MP__JOB_MAP ? mp_tuple_new(1, &item) : mp_tuple_from_seq(item);
    mp_obj_decref(item);
    if (!t)
        mp_task_raise("TypeError", "%s", mp_errmsg());
    return t;
}

/* fn over each item of a chunk: fn(item) for map, fn(*item) for starmap. The chunk's list is
 * the worker's alone (just unpickled), so its references move into the argument tuples
 * (mp__list_move_items) and no item's count is touched with a locked instruction. */
static mp_obj_t *run_chunk(mp_task_t fn, int mode, mp_obj_t *items)
{
    size_t n = mp_list_size(items), i = 0;
    mp_obj_t **out = calloc(n ? n : 1, sizeof *out), **own = malloc((n ? n : 1) * sizeof *own);
    mp_obj_t *list, *args = NULL;
    if (!out || !own) { /* before any reference moved: the list still holds them all */
        free(out);
        free(own);
        return mp_task_raise("MemoryError", NULL);
    }
    int owned = mp__list_move_items(items, own, n) == n;
    for (; i < n; i++) {
        mp_obj_t *item = owned ? own[i] : mp_obj_incref(mp_list_get(items, i));
        if (!(args = next_args(args, mode, item)) || !(out[i] = fn(args, NULL)))
            break;
    }
    mp_obj_decref(args);
    for (size_t j = i + 1; owned && j < n; j++)
        mp_obj_decref(own[j]); /* the items after a failed one */
    free(own);
    if (i == n && (list = mp__list_adopt(n, out)) != NULL)
        return list;
    for (size_t j = 0; j < i; j++)
        mp_obj_decref(out[j]);
    free(out);
    return i == n ? mp_task_raise("MemoryError", NULL) : NULL;
}

/* Runs one unit; returns the reply to send. */
static mp_obj_t *run_unit(long long tag, const char *name, int mode, mp_obj_t *data,
                          mp_obj_t *kwargs)
{
    mp_task_t fn = mp_task_lookup(name);
    if (!fn)
        return error_reply(tag, "AttributeError", mp_errmsg());
    if (mp_obj_type(kwargs) == MP_TYPE_NONE)
        kwargs = NULL;
    /* Small values come from slabs while the unit runs (object_slab.c): a chunk makes an
     * argument tuple and a result for every item, and malloc/free of each cost more than the
     * task itself when the task is tiny. */
    mp__arena_open();
    mp_obj_t *value = mode == MP__JOB_APPLY ? fn(data, kwargs) : run_chunk(fn, mode, data);
    mp__arena_close();
    if (!value)
        return raised_reply(tag, name);
    return mp_build("(LpN)", tag, 1, value);
}

/* Sends a reply; one that does not pickle is replaced by CPython's MaybeEncodingError. */
static int send_reply(mp_conn_t *c, mp_obj_t *reply, long long tag)
{
    void *buf;
    size_t len;
    int rc = mp_pickle_dumps(reply, 4, &buf, &len);
    if (rc != 0) {
        char *repr = mp_repr(mp_tuple_get(reply, 2));
        char msg[512];
        snprintf(msg, sizeof msg, "Error sending result: '%.200s'. Reason: '%.200s'",
                 repr ? repr : "?", mp_errmsg());
        free(repr);
        mp_obj_t *err = error_reply(tag, "MaybeEncodingError", msg);
        rc = err ? mp_pickle_dumps(err, 4, &buf, &len) : MP_ENOMEM;
        mp_obj_decref(err);
        if (rc != 0)
            return rc;
    }
    rc = mp_conn_send_bytes(c, buf, len);
    free(buf);
    return rc;
}

/* Runs the initializer; 0, or a failure already reported to the parent. */
static int run_initializer(mp_conn_t *c, const char *name, mp_obj_t *initargs)
{
    mp_task_t init = mp_task_lookup(name);
    mp_obj_t *value = init ? init(initargs, NULL) : NULL;
    if (value) {
        mp_obj_decref(value);
        return 0;
    }
    mp_obj_t *reply = init ? raised_reply(MP__POOL_TAG_INIT_FAILED, name)
                           : error_reply(MP__POOL_TAG_INIT_FAILED, "AttributeError", mp_errmsg());
    if (reply)
        send_reply(c, reply, MP__POOL_TAG_INIT_FAILED);
    mp_obj_decref(reply);
    return -1;
}

/* Reads, runs and answers units until STOP, the end of the parent's end, or the task limit. A
 * message that does not parse means the parent is not a pool: the worker ends. */
static void serve(mp_conn_t *c, int maxtasks, int watch_parent)
{
    for (int done = 0; !maxtasks || done < maxtasks; done++) {
        void *buf;
        size_t len;
        mp_obj_t *msg = NULL, *data, *kwargs;
        long long tag;
        const char *name;
        int mode;
        /* A worker whose parent died (SIGKILL) has nobody to answer: it ends within a second
         * instead of waiting for ever, as sibling workers may hold the parent's end open. */
        int ready;
        while ((ready = mp_conn_poll(c, watch_parent ? 1.0 : MP_FOREVER)) == 0)
            if (!mp__parent_alive())
                return;
        if (ready < 0 || mp_conn_recv_bytes(c, &buf, &len, MP_SIZE_NONE) != 0)
            return;
        int rc = mp_pickle_loads(buf, len, &msg);
        free(buf);
        if (rc != 0 || mp_parse(msg, "(LziOO)", &tag, &name, &mode, &data, &kwargs) != 0 ||
            tag == MP__POOL_TAG_STOP || !name) {
            mp_obj_decref(msg);
            return;
        }
        mp_obj_t *reply = run_unit(tag, name, mode, data, kwargs);
        rc = reply ? send_reply(c, reply, tag) : MP_ENOMEM;
        mp_obj_decref(reply);
        mp_obj_decref(msg);
        if (rc != 0)
            return;
    }
}

void mp__pool_worker_main(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs;
    (void)ctx;
    mp_obj_t *conn_obj, *initargs;
    const char *init_name;
    int maxtasks;
    mp_conn_t *c;
    if (mp_parse(args, "(OzOi)", &conn_obj, &init_name, &initargs, &maxtasks) != 0 ||
        mp_obj_as_conn(conn_obj, &c) != 0)
        mp_exit(1);
    if (init_name && run_initializer(c, init_name, initargs) != 0)
        mp_exit(1);
    serve(c, maxtasks, 1);
}
MP_TARGET(mp__pool_worker_main);

int mp__pool_worker_spec(const char *init_name, mp_obj_t *initargs, int maxtasks, void **buf,
                         size_t *len)
{
    mp_obj_t *spec = initargs ? mp_build("(zOi)", init_name, initargs, maxtasks)
                              : mp_build("(z()i)", init_name, maxtasks);
    if (!spec)
        return mp__fail(MP_ENOMEM, "out of memory");
    int rc = mp_pickle_dumps(spec, 4, buf, len);
    mp_obj_decref(spec);
    return rc != 0 ? mp__fail(MP_EENCODE, "cannot send initargs: %s", mp_errmsg()) : 0;
}

/* A transport's worker is no child of the pool's process: its end of the stream is the only
 * sign of the pool's life, so it waits on it without watching a parent. */
int mp_pool_serve(int fd, const void *spec, size_t len)
{
    MP__NEED_OR(spec, 1);
    mp_obj_t *args = NULL, *initargs;
    const char *init_name;
    int maxtasks, code = 1, mine = dup(fd);
    mp_conn_t *c = NULL;
    if (mine < 0 || mp_conn_from_fd(&c, mine, 1, 1) != 0) {
        if (mine >= 0)
            close(mine);
        return 1;
    }
    if (mp_pickle_loads(spec, len, &args) == 0 &&
        mp_parse(args, "(zOi)", &init_name, &initargs, &maxtasks) == 0 &&
        (!init_name || run_initializer(c, init_name, initargs) == 0)) {
        serve(c, maxtasks, 0);
        code = 0;
    }
    mp_obj_decref(args);
    mp_conn_free(c);
    return code;
}
